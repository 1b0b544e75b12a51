/**
 * Reads the links and anchors of a markdown page, as GitHub renders it, so that a test can check
 * that every relative link of the docs points at a file that exists, and at a heading that
 * exists in it. The rules are in test/docs/links.test.ts.
 */

/** One link of a page: `[text](target)`, `![alt](target)` or `[label]: target`. */
export interface Link {
  /** The line of the page (1-based). */
  line: number
  /** The target as written, without its title. */
  target: string
}

// A fence opens with three or more backticks or tildes and is closed by the same run or longer.
const FENCE = /^\s{0,3}(`{3,}|~{3,})/
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/
// `[text](target "title")`, the text holding no `]`; the target is `<…>` or has no space.
const INLINE_LINK = /!?\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g
const REFERENCE_DEFINITION = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/
const HTML_ANCHOR = /<a\s[^>]*?\b(?:id|name)="([^"]+)"/g

/** The lines of a page that markdown reads as text: those outside fenced code blocks. */
function proseLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = []
  let fence: string | undefined
  markdown.split('\n').forEach((text, index) => {
    const open = FENCE.exec(text)?.[1]
    if (fence !== undefined) {
      if (open !== undefined && open[0] === fence[0] && open.length >= fence.length)
        fence = undefined
      return
    }
    if (open !== undefined) fence = open
    else out.push({ line: index + 1, text })
  })
  return out
}

// Inline code is text, never a link: `[a](b)` inside backticks stays as it is.
const withoutCodeSpans = (text: string) => text.replace(/(`+)[\s\S]*?\1/g, '')

/** Every link of a page outside code blocks and code spans. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = []
  for (const { line, text } of proseLines(markdown)) {
    const prose = withoutCodeSpans(text)
    for (const match of prose.matchAll(INLINE_LINK))
      links.push({ line, target: unbracket(match[1] ?? '') })
    const definition = REFERENCE_DEFINITION.exec(prose)?.[1]
    if (definition !== undefined) links.push({ line, target: unbracket(definition) })
  }
  return links
}

const unbracket = (target: string) =>
  target.startsWith('<') && target.endsWith('>') ? target.slice(1, -1) : target

/**
 * The anchors a page has on GitHub: one per heading (its slug, `-1`, `-2`… after a repeat) and
 * one per `<a id>` or `<a name>`.
 */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const { text } of proseLines(markdown)) {
    for (const match of text.matchAll(HTML_ANCHOR)) anchors.add(match[1] ?? '')
    const heading = HEADING.exec(text)?.[2]
    if (heading === undefined) continue
    const slug = slugOf(heading)
    const repeats = seen.get(slug) ?? 0
    seen.set(slug, repeats + 1)
    anchors.add(repeats === 0 ? slug : `${slug}-${repeats}`)
  }
  return anchors
}

/**
 * A heading's anchor as GitHub makes it: the rendered text (code spans and link text kept,
 * markup dropped), lower-cased, without punctuation other than `-` and `_`, spaces as `-`.
 */
export function slugOf(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
  return rendered
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-')
}

/** Whether a link leaves the repository (a URL with a scheme, or protocol-relative). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')
}
