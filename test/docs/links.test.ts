import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { anchorsOf, isExternal, linksOf, slugOf } from './links.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

// The pages a reader follows links between: the README and every page of docs/.
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
]

const anchorCache = new Map<string, Set<string>>()
function anchorsOfFile(file: string): Set<string> {
  let anchors = anchorCache.get(file)
  if (anchors === undefined) {
    anchors = anchorsOf(readFileSync(file, 'utf8'))
    anchorCache.set(file, anchors)
  }
  return anchors
}

/** What is wrong with each relative link of `page` (a path from `root`): one line per link. */
function brokenLinks(root: string, page: string): string[] {
  const file = join(root, page)
  const broken: string[] = []
  for (const { line, target } of linksOf(readFileSync(file, 'utf8'))) {
    if (isExternal(target)) continue
    const hash = target.indexOf('#')
    const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash))
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1))
    const resolved = path === '' ? file : join(dirname(file), path)
    const where = `${page}:${line} → ${target}`
    if (!existsSync(resolved)) {
      broken.push(`${where}: no file ${relative(root, resolved)}`)
      continue
    }
    // Anchors into code or JSON (`#L10`, `#/paths`) are the viewer's business, not a heading.
    if (anchor === undefined || !resolved.endsWith('.md')) continue
    if (!anchorsOfFile(resolved).has(anchor))
      broken.push(`${where}: no heading or <a id> "${anchor}" in ${relative(root, resolved)}`)
  }
  return broken
}

describe('links of the docs', () => {
  it.each(PAGES)('every relative link of %s points at a file and heading that exist', (page) => {
    expect(brokenLinks(ROOT, page)).toEqual([])
  })

  it('reports a missing file and a missing heading, and accepts those that exist', () => {
    const page = 'test/docs/fixtures/links.md'
    expect(brokenLinks(ROOT, page)).toEqual([
      `${page}:7 → missing.md: no file test/docs/fixtures/missing.md`,
      `${page}:8 → links.md#no-such-heading: no heading or <a id> "no-such-heading" in test/docs/fixtures/links.md`,
      `${page}:9 → #nor-this: no heading or <a id> "nor-this" in test/docs/fixtures/links.md`,
    ])
  })
})

describe('markdown reading', () => {
  it('makes anchors as GitHub does, numbering repeated headings', () => {
    expect(slugOf('`subscribeMany(baseUrl, streams, options)`')).toBe(
      'subscribemanybaseurl-streams-options',
    )
    expect(slugOf('`workflow_start` (compozy)')).toBe('workflow_start-compozy')
    expect(slugOf('`text-delta` (AI SDK)')).toBe('text-delta-ai-sdk')
    expect(slugOf('What happens at a [limit](limits.md)?')).toBe('what-happens-at-a-limit')
    expect([...anchorsOf('# A\n## A\n## A\n<a id="custom"></a>\n')]).toEqual([
      'a',
      'a-1',
      'a-2',
      'custom',
    ])
  })

  it('ignores links and headings in code blocks and code spans', () => {
    const page = [
      'See [one](one.md) and `[not](code.md)`.',
      '```md',
      '# Not a heading',
      '[not](fenced.md)',
      '```',
      '[two]: <two words.md>',
    ].join('\n')
    expect(linksOf(page)).toEqual([
      { line: 1, target: 'one.md' },
      { line: 6, target: 'two words.md' },
    ])
    expect([...anchorsOf(page)]).toEqual([])
  })

  it('knows which links leave the repository', () => {
    expect(['https://x.dev', 'mailto:a@b.c', '//cdn.x/y.js'].every(isExternal)).toBe(true)
    expect(['docs/a.md', '#anchor', '../README.md'].some(isExternal)).toBe(false)
  })
})
