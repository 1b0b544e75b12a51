/**
 * Child processes for the bench: each heavy side (a server, a crowd of clients) runs in a
 * process of its own, so one case's heap, sockets and JIT state never disturb the next, and a
 * server and its clients each get a core of their own.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** How long a bench process may take to answer one step before the case fails. */
export const STEP_TIMEOUT_MS = 60_000

/** Options of {@link ProcessGroup.spawn}. */
export interface SpawnOptions {
  /**
   * Node flags for this process only, after those of `BENCH_NODE_OPTIONS` (such as
   * `--trace-gc-nvp` on the server of a case and not its client).
   */
  nodeFlags?: readonly string[]
  /**
   * A file that receives the process's stdout instead of the bench's own: what V8's tracing
   * flags print (`--trace-gc`) goes there, one file per process, so two sides never interleave.
   */
  stdoutFile?: string
  /**
   * A command that runs node, such as `['valgrind', '--tool=callgrind']`: the process is
   * `<wrapper…> node <flags> <file>`, still talking over IPC.
   */
  wrapper?: readonly string[]
}

/** A set of bench processes that are all stopped together. */
export interface ProcessGroup {
  /** Forks `bench/lib/<file>` under tsx, with `--expose-gc`, talking over IPC. */
  spawn(file: string, options?: SpawnOptions): ChildProcess
  /** Asks every process to exit, and kills the ones that have not within `graceMs` (1 s). */
  stopAll(graceMs?: number): Promise<void>
}

/**
 * Creates a {@link ProcessGroup}. `BENCH_NODE_OPTIONS` adds flags to every bench process, such
 * as `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile one side.
 */
export function processGroup(): ProcessGroup {
  const children: ChildProcess[] = []
  return {
    spawn(file, options = {}) {
      const out = options.stdoutFile === undefined ? 'inherit' : openSync(options.stdoutFile, 'w')
      const [wrapper, ...wrapperArgs] = options.wrapper ?? []
      const child = fork(join(here, file), [], {
        ...(wrapper === undefined ? {} : { execPath: wrapper }),
        execArgv: [
          ...(wrapper === undefined ? [] : [...wrapperArgs, process.execPath]),
          '--import',
          'tsx',
          '--expose-gc',
          ...(process.env.BENCH_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
          ...(options.nodeFlags ?? []),
        ],
        stdio: ['ignore', out, 'inherit', 'ipc'],
      })
      // The child holds its own copy of the descriptor.
      if (typeof out === 'number') closeSync(out)
      children.push(child)
      return child
    },
    async stopAll(graceMs) {
      await Promise.all(children.map((child) => stop(child, graceMs)))
    },
  }
}

/** Asks a bench process to exit, and kills it if it has not within `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 1000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.send({ type: 'exit' }, () => undefined)
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** Waits for the next IPC message of `type` from `child`; fails if it exits or times out first. */
export function next<T>(
  child: ChildProcess,
  type: string,
  timeoutMs: number = STEP_TIMEOUT_MS,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`no "${type}" from a bench process within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (message: { type: string } & T) => {
      if (message.type !== type) return
      cleanup()
      resolve(message)
    }
    const onExit = (code: number | null, signal: string | null) => {
      cleanup()
      reject(new Error(`a bench process exited (${signal ?? code}) while waiting for "${type}"`))
    }
    const cleanup = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The value after `--name` on the command line, as a number. */
export function numberArgument(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? undefined : Number(process.argv[at + 1])
  return value !== undefined && Number.isFinite(value) ? value : undefined
}

/** Whether this module is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(url) === process.argv[1]
}

/** Runs `main` as a script: prints a crash and sets a failing exit code. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
