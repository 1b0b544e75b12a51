import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts

// The first block of the README is what a reader runs first: it must stay true.
const firstBlock = /```sh\n([\s\S]*?)```/.exec(read('README.md'))?.[1] ?? ''

describe('the README', () => {
  it('starts with the commands that run the demo and the tests', () => {
    expect(read('README.md').split('\n').slice(0, 6).join('\n')).toContain(firstBlock)
    expect(firstBlock).toMatch(/npm run demo\b/)
    expect(firstBlock).toMatch(/npm test\b/)
  })

  it('names only npm scripts that exist, and says what `npm test` runs', () => {
    for (const [, name] of firstBlock.matchAll(/npm run ([\w:-]+)/g))
      expect(scripts, `npm run ${name}`).toHaveProperty(name ?? '')
    expect(scripts.demo).toContain('src/cli.ts demo')
    // "lint, typecheck, build, unit/integration/browser tests, package check"
    const test = scripts.test ?? ''
    for (const step of ['lint', 'typecheck', 'build', 'vitest run', 'check:package'])
      expect(test, step).toContain(step)
  })
})
