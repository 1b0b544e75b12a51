/**
 * Every TypeScript sample the docs show type-checks against the package.
 *
 * Each ```ts block of README.md and docs/*.md is compiled as a module of its own, with the
 * repository's compiler options (strict), Node's and the DOM's types, and `runstream`,
 * `runstream/server`, … resolved to `src/`. A sample should be complete: its imports, and the
 * names it uses. Where a page cannot do that, an HTML comment on the line(s) right above the
 * fence says how the block is checked (the reader does not see it):
 *
 * - `<!-- continues -->`: the block goes on from the page's block before it (and those that
 *   block continues): they are compiled as one file, as the reader reads them.
 * - `<!-- declare: <TypeScript declarations> -->`: the names the reader brings (their LLM call,
 *   their UI) are declared first, e.g. `<!-- declare: declare function render(text: string): void -->`.
 * - `<!-- fragment: why -->`: not compiled (the shape of an interface, a line for a framework
 *   whose types the repository does not have). Say why after the colon; use it least.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkSamples, formatErrors, type Sample, samplesOf } from './samples.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
]
const samples = pages.flatMap((page) => samplesOf(page, readFileSync(join(root, page), 'utf8')))

describe('the docs samples', () => {
  it('are found: README.md and docs/*.md show TypeScript', () => {
    expect(samples.length).toBeGreaterThan(20)
    expect(new Set(samples.map((s) => s.page))).toContain('docs/getting-started.md')
  })

  it('type-check against the package', () => {
    const errors = checkSamples(root, join(root, '.scratch/doc-samples'), samples)
    expect(formatErrors(errors, root)).toBe('')
  }, 120_000)
})

describe('the samples check', () => {
  const page = (markdown: string): Sample[] => samplesOf('test.md', markdown)

  it('reports an error at its line in the page, and a missing import', () => {
    const errors = checkSamples(
      root,
      join(root, '.scratch/doc-samples-selftest'),
      page(
        [
          '# A page',
          '',
          '```ts',
          "import { createStreamManager } from 'runstream'",
          '',
          'const manager = createStreamManager({ catalog: executionCatalog })',
          "manager.stream('w').emit('llm_chunk', { text: 42 })",
          '```',
        ].join('\n'),
      ),
    )
    expect(errors.map((e) => `${e.page}:${e.line}`)).toEqual(['test.md:6'])
    expect(errors[0]?.message).toContain("Cannot find name 'executionCatalog'")
  }, 60_000)

  it('compiles a continued block with the one before it, and puts declarations first', () => {
    const samples = page(
      [
        '```ts',
        "import { createStreamManager, executionCatalog } from 'runstream'",
        'const manager = createStreamManager({ catalog: executionCatalog })',
        '```',
        '',
        'Then:',
        '',
        '<!-- continues -->',
        '```ts',
        "manager.stream('w').emit('llm_chunk', { text: 'x' })",
        '```',
        '',
        '<!--',
        '  declare: declare function render(text: string): string',
        '-->',
        '```ts',
        "export const shown: number = render('y')",
        '```',
        '',
        '<!-- fragment: the shape only -->',
        '```ts',
        'interface Broken { name: strin }',
        '```',
      ].join('\n'),
    )
    expect(samples.map((s) => [s.line, s.blocks.length, s.declarations.length])).toEqual([
      [2, 2, 0],
      [17, 1, 1],
    ])
    const errors = checkSamples(root, join(root, '.scratch/doc-samples-selftest'), samples)
    // Only the declared sample is wrong: render returns a string.
    expect(errors.map((e) => `${e.page}:${e.line}`)).toEqual(['test.md:17'])
  }, 60_000)
})
