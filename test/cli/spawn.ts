import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The repository's root: commands run from here, as `npm run` does. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A child process started by {@link start}, with its output collected. */
export interface Started {
  readonly child: ChildProcess
  /** Everything it wrote to stdout so far. */
  stdout(): string
  /** Everything it wrote to stderr so far. */
  stderr(): string
  /** Resolves with the first match of `pattern` in stdout (or stderr), or rejects after `timeoutMs`. */
  waitFor(
    pattern: RegExp,
    options?: { timeoutMs?: number; stream?: 'stdout' | 'stderr' },
  ): Promise<RegExpMatchArray>
  /** Resolves with the exit code (`null` when killed by a signal) once the process ended. */
  readonly exited: Promise<number | null>
  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

const running = new Set<Started>()

/**
 * Starts `node --import tsx <file> ...args` from the repository root, with `NO_COLOR` set so the
 * output is plain text. Call {@link stopAll} in `afterEach`.
 */
export function start(
  file: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Started {
  return startProcess(process.execPath, ['--import', 'tsx', file, ...args], env, file)
}

/**
 * Starts any `command` (another runtime, a binary) as {@link start} starts a Node script: from
 * the repository root, with `NO_COLOR` set, stopped by {@link stopAll}. `label` names it in errors.
 */
export function startProcess(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
  label = command,
): Started {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const waiters = new Set<() => void>()
  const check = () => {
    for (const waiter of waiters) waiter()
  }
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    out += text
    check()
  })
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    err += text
    check()
  })
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(started)
      // Let the last 'data' events land before anyone reads the output.
      setImmediate(() => {
        check()
        resolve(code)
      })
    })
  })
  const started: Started = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, options = {}) {
      const timeoutMs = options.timeoutMs ?? 15_000
      const source = () =>
        options.stream === 'stderr' ? err : options.stream === 'stdout' ? out : `${out}\n${err}`
      return new Promise((resolve, reject) => {
        const done = () => {
          waiters.delete(probe)
          clearTimeout(timer)
        }
        const probe = () => {
          const match = source().match(pattern)
          if (match !== null) {
            done()
            resolve(match)
          } else if (child.exitCode !== null) {
            done()
            reject(
              new Error(
                `${label} exited (${child.exitCode}) before printing ${pattern}.\nstdout: ${out}\nstderr: ${err}`,
              ),
            )
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(
            new Error(
              `${label} printed no ${pattern} within ${timeoutMs} ms.\nstdout: ${out}\nstderr: ${err}`,
            ),
          )
        }, timeoutMs)
        waiters.add(probe)
        probe()
      })
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
  running.add(started)
  return started
}

/** Runs the `runstream` command from source until it exits. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = start('src/cli.ts', args, env)
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), timeoutMs)
  const code = await cli.exited
  clearTimeout(timer)
  return { code, stdout: cli.stdout(), stderr: cli.stderr() }
}

/** Starts the `runstream` command from source without waiting for it to end. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): Started {
  return start('src/cli.ts', args, env)
}

/** Kills whatever a test left running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((started) => started.stop('SIGKILL')))
}
