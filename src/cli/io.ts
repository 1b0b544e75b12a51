/** What a command may touch of the outside world: passed in, so tests can run commands in-process. */
export interface CliIo {
  /** Writes to standard output (events, data). */
  stdout(text: string): void
  /** Writes to standard error (status lines, errors). */
  stderr(text: string): void
  /** The environment (`PORT`, `REDIS_URL`, `NO_COLOR`, …). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Whether to color the output (a terminal, and `NO_COLOR` unset). */
  readonly color: boolean
  /** The terminal's width in columns, when there is a terminal. */
  readonly columns: number | undefined
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: long-running commands stop cleanly. */
  readonly signal: AbortSignal
}

/** The exit codes of every command, as `--help` lists them. */
export const EXIT = {
  /** Done: the stream ended without failure, or the server was stopped. */
  ok: 0,
  /** The stream ended with a failure: an `error` event, or `complete` with a failed status. */
  failed: 1,
  /** Bad arguments or an unusable input file. */
  usage: 2,
  /** The URL could not be reached, answered an HTTP error, or the port could not be opened. */
  unreachable: 3,
  /** Stopped with Ctrl-C before the stream ended (tail). */
  interrupted: 130,
} as const

/** An error that ends a command with an exit code and a message, without a stack trace. */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number

  constructor(exitCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

/** ANSI styles, or identity functions when color is off. */
export interface Paint {
  dim(text: string): string
  bold(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  blue(text: string): string
  magenta(text: string): string
  cyan(text: string): string
}

/** The styles for `color` on or off. */
export function paint(color: boolean): Paint {
  const style =
    (open: number, close: number) =>
    (text: string): string =>
      color ? `\u001b[${open}m${text}\u001b[${close}m` : text
  return {
    dim: style(2, 22),
    bold: style(1, 22),
    red: style(31, 39),
    green: style(32, 39),
    yellow: style(33, 39),
    blue: style(34, 39),
    magenta: style(35, 39),
    cyan: style(36, 39),
  }
}
