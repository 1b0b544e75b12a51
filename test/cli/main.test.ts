import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DEMO_HELP, MAIN_HELP, SERVE_HELP, TAIL_HELP } from '../../src/cli/help.js'
import type { CliIo } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'
import { runCli } from './spawn.js'

/** Runs the command in-process with captured output. */
async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    env: {},
    color: false,
    columns: undefined,
    signal: new AbortController().signal,
  }
  const code = await main(argv, io, () => '9.9.9')
  return { code, stdout, stderr }
}

describe('runstream (arguments and help)', () => {
  it('prints the overview and exits 2 when no command is given', async () => {
    expect(await run()).toEqual({ code: 2, stdout: MAIN_HELP, stderr: '' })
  })

  it('prints the overview and exits 0 with --help', async () => {
    expect(await run('--help')).toEqual({ code: 0, stdout: MAIN_HELP, stderr: '' })
  })

  it.each([
    ['tail', TAIL_HELP],
    ['serve', SERVE_HELP],
    ['demo', DEMO_HELP],
  ])('%s --help prints its usage, options and exit codes, and exits 0', async (command, help) => {
    const result = await run(command, '--help')
    expect(result).toEqual({ code: 0, stdout: help, stderr: '' })
    expect(help).toContain(`runstream ${command}`)
    expect(help).toContain('Options:')
  })

  it('lists the exit codes in the help of the commands that end with one', () => {
    for (const help of [MAIN_HELP, TAIL_HELP, SERVE_HELP]) {
      for (const code of ['0 ', '1 ', '2 ', '3 ', '130 ']) expect(help).toContain(`\n  ${code}`)
    }
  })

  it('names the commands and exits 2 for an unknown command', async () => {
    expect(await run('tial')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'runstream: unknown command "tial". The commands are tail, serve and demo; run `runstream --help`.\n',
    })
  })

  it.each([
    [['tail'], 'runstream tail: missing the stream URL'],
    [['tail', 'http://x/a', 'http://x/b'], 'runstream tail: unexpected argument "http://x/b"'],
    [['tail', 'http://x/a', '--colour'], "runstream tail: Unknown option '--colour'"],
    [
      ['tail', 'http://x/a', '--events'],
      "runstream tail: Option '--events <value>' argument missing",
    ],
    [
      ['tail', 'localhost:4400/x'],
      'runstream tail: "localhost:4400/x" is not an http:// or https:// URL',
    ],
    [['tail', 'not a url'], 'runstream tail: "not a url" is not a URL'],
    [
      ['tail', 'http://x/a', '--events', ' , '],
      'runstream tail: --events needs a comma-separated list',
    ],
    [
      ['tail', 'http://x/a', '-H', 'no colon'],
      'runstream tail: --header must look like "Name: value"',
    ],
    [
      ['tail', 'http://x/a', '--max-retries', '1.5'],
      'runstream tail: --max-retries must be a whole number',
    ],
    [['serve'], 'runstream serve: missing the JSON-lines file to serve'],
    [['serve', 'x.jsonl', '--speed', '0'], 'runstream serve: --speed must be a number from 0.001'],
    [
      ['serve', 'x.jsonl', '--port', '70000'],
      'runstream serve: --port must be a whole number from 0 to 65535',
    ],
    [['demo', 'extra'], 'runstream demo: unexpected argument "extra"'],
    [['demo', '--fail-rate', '2'], 'runstream demo: --fail-rate must be a number from 0 to 1'],
    [['demo', '--pace', 'fast'], 'runstream demo: --pace must be a number from 0 to 100'],
  ])('refuses %j with exit 2 and a pointer to --help', async (argv, message) => {
    const { code, stdout, stderr } = await run(...argv)
    expect(stdout).toBe('')
    expect(stderr.startsWith(message)).toBe(true)
    expect(stderr).toMatch(/Run `runstream (tail|serve|demo) --help` for usage\.\n$/)
    expect(code).toBe(2)
  })

  it('serve: a missing file exits 2 and names it', async () => {
    const { code, stderr } = await run('serve', 'does-not-exist.jsonl')
    expect(stderr).toContain('runstream serve: no such file: does-not-exist.jsonl')
    expect(code).toBe(2)
  })

  it('the bin prints the package version with --version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    const { code, stdout } = await runCli(['--version'])
    expect(stdout).toBe(`${pkg.version}\n`)
    expect(code).toBe(0)
  })
})
