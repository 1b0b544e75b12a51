/**
 * Extracts the TypeScript samples of the docs and type-checks them against the package's
 * source. The rules a page follows are in test/docs/samples.test.ts.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

/** One ```ts block of a page. */
export interface Block {
  /** The line of the page (1-based) where the block's first line of code is. */
  line: number
  /** Its code. */
  code: string
  /** The HTML comment right above its fence, without `<!--` and `-->`, if any. */
  directive: string | undefined
}

/** What is compiled as one file: one block, or a block and those that continue it. */
export interface Sample {
  /** The page, relative to the repository. */
  page: string
  /** The line of the page where the sample's first block starts. */
  line: number
  /** Declarations the page asked for with `<!-- declare: … -->`, placed first. */
  declarations: string[]
  blocks: Block[]
}

/** A sample's error, at its place in the page. */
export interface SampleError {
  page: string
  line: number
  message: string
}

const FENCE = /^(\s*)```(ts|typescript)\s*$/
const COMMENT = /^\s*<!--\s*([\s\S]*?)\s*-->\s*$/

/** The HTML comment (one line or several) that ends on line `end`, if one does. */
function commentEndingAt(lines: string[], end: number): string | undefined {
  if (!(lines[end] ?? '').trimEnd().endsWith('-->')) return undefined
  let start = end
  while (start > 0 && !(lines[start] ?? '').includes('<!--')) start--
  return COMMENT.exec(lines.slice(start, end + 1).join('\n'))?.[1]
}

/** Finds every ```ts block of a page, with the HTML comment right above it. */
export function extractBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '')
    if (open === null) continue
    const indent = open[1]?.length ?? 0
    const start = i + 1
    let end = start
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? '')) end++
    let above = i - 1
    while (above >= 0 && (lines[above] ?? '').trim() === '') above--
    const directive = commentEndingAt(lines, above)
    blocks.push({
      line: start + 1,
      code: lines
        .slice(start, end)
        .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
        .join('\n'),
      directive,
    })
    i = end
  }
  return blocks
}

/**
 * Groups a page's blocks into samples: `<!-- fragment -->` blocks are left out,
 * `<!-- continues -->` blocks join the sample before them, and `<!-- declare: … -->` adds
 * declarations to a sample of its own.
 */
export function samplesOf(page: string, markdown: string): Sample[] {
  const samples: Sample[] = []
  for (const block of extractBlocks(markdown)) {
    const directive = block.directive ?? ''
    if (directive === 'fragment' || directive.startsWith('fragment:')) continue
    const previous = samples[samples.length - 1]
    if (directive === 'continues' && previous !== undefined) {
      previous.blocks.push(block)
      continue
    }
    const declarations = directive.startsWith('declare:')
      ? [directive.slice('declare:'.length).trim()]
      : []
    samples.push({ page, line: block.line, declarations, blocks: [block] })
  }
  return samples
}

/** The file a sample names on its first line (`// agent.ts`), so that `./agent.js` resolves. */
export function fileNameOf(sample: Sample): string | undefined {
  const first = sample.blocks[0]?.code.split('\n')[0] ?? ''
  return /^\/\/ ([\w.-]+\.tsx?)$/.exec(first.trim())?.[1]
}

interface Written {
  sample: Sample
  file: string
  /** For each line of the file (0-based), the page's line, or undefined for a declaration. */
  lines: (number | undefined)[]
}

/**
 * Type-checks `samples` in one program, with the repository's compiler options, Node's and the
 * DOM's types, and `runstream/*` resolved to `src/`. Files are written under `dir`, a folder
 * inside the repository (so that `zod` and the others resolve from its node_modules), one
 * folder per page; a sample whose first line is `// name.ts` is written as that file, so the
 * page's other samples can import it.
 */
export function checkSamples(root: string, dir: string, samples: Sample[]): SampleError[] {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const written: Written[] = samples.map((sample, index) => {
    // One folder per page, where a sample that names its file gets that name.
    const folder = join(dir, sample.page.replace(/[^a-z0-9]+/gi, '-'))
    mkdirSync(folder, { recursive: true })
    const file = join(folder, fileNameOf(sample) ?? `line-${sample.line}-${index}.ts`)
    const lines: (number | undefined)[] = []
    const text: string[] = []
    for (const declaration of sample.declarations) {
      for (const line of declaration.split('\n')) {
        text.push(line)
        lines.push(undefined)
      }
    }
    for (const block of sample.blocks) {
      block.code.split('\n').forEach((line, offset) => {
        text.push(line)
        lines.push(block.line + offset)
      })
    }
    writeFileSync(file, `${text.join('\n')}\n`)
    return { sample, file, lines }
  })

  const configPath = join(root, 'tsconfig.json')
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, {
    types: ['node'],
    noEmit: true,
    // Every sample is a module of its own, even one without an import.
    moduleDetection: ts.ModuleDetectionKind.Force,
  })
  const program = ts.createProgram(
    written.map((w) => w.file),
    parsed.options,
  )
  const errors: SampleError[] = []
  for (const { sample, file, lines } of written) {
    const source = program.getSourceFile(file)
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ]
    for (const diagnostic of diagnostics) {
      const at =
        diagnostic.file && diagnostic.start !== undefined
          ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line
          : undefined
      errors.push({
        page: sample.page,
        line: (at !== undefined ? lines[at] : undefined) ?? sample.line,
        message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
      })
    }
  }
  return errors
}

/** `page:line: message`, one per line. */
export function formatErrors(errors: SampleError[], root: string): string {
  return errors
    .map((e) => `${relative(root, join(root, e.page))}:${e.line}: ${e.message}`)
    .join('\n')
}
