import { connect } from '../client/connect.js'
import { StreamHttpError } from '../client/errors.js'
import type { StreamEvent } from '../client/events.js'
import { isRunstreamError, type RunstreamError } from '../core/errors.js'
import { parseCursor } from '../core/event-id.js'
import { parseCommandArgs, parseList, parseNumber, usage } from './args.js'
import { clockTime, formatEvent, isFailure, summarize } from './format.js'
import { TAIL_HELP } from './help.js'
import { CliError, type CliIo, EXIT, paint } from './io.js'

const OPTIONS = {
  events: { type: 'string' },
  json: { type: 'boolean' },
  'last-event-id': { type: 'string' },
  terminal: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  'max-retries': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/**
 * `runstream tail <url>`: prints the events of any SSE stream until its terminal event, and
 * returns the exit code (see `EXIT`).
 */
export async function tail(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('tail', argv, OPTIONS, {
    min: 1,
    max: 1,
    usage:
      'the stream URL, such as http://localhost:4400/api/v0/executions/workflows/exec_1/stream',
  })
  if (values.help === true) {
    io.stdout(TAIL_HELP)
    return EXIT.ok
  }
  const url = parseUrl(positionals[0] as string)
  const streamName = streamOfUrl(url)
  const only =
    values.events === undefined ? undefined : new Set(parseList('tail', 'events', values.events))
  if (only !== undefined) url.searchParams.set('events', [...only].join(','))
  const terminal =
    values.terminal === undefined
      ? ['complete', 'error']
      : parseList('tail', 'terminal', values.terminal)
  const headers = parseHeaders(values.header ?? [])
  const lastEventId = values['last-event-id']
  if (lastEventId !== undefined && (lastEventId === '' || /[\r\n\0]/.test(lastEventId))) {
    throw usage('tail', '--last-event-id must be a non-empty event id without line breaks')
  }
  const maxRetries =
    values['max-retries'] === undefined
      ? 20
      : parseNumber('tail', 'max-retries', values['max-retries'], {
          min: 0,
          max: Number.POSITIVE_INFINITY,
          integer: true,
        })

  const p = paint(io.color)
  const shown = url.origin + url.pathname
  const status = (symbol: string, text: string) =>
    io.stderr(`${p.dim(clockTime(new Date()))}  ${symbol} ${text}\n`)
  let opened = false
  let unreachable: RunstreamError | undefined
  let last: StreamEvent | undefined

  const subscription = connect(url, {
    headers,
    terminal,
    reconnect: { maxRetries },
    signal: io.signal,
    ...(lastEventId === undefined ? {} : { lastEventId }),
    onOpen() {
      if (!opened) status(p.green('●'), `connected to ${shown}`)
      else {
        const cursor = subscription.lastEventId
        // The event's id, not its epoch: the cursor `<epoch>.<id>` is for machines.
        const shownId = cursor === undefined ? undefined : (parseCursor(cursor)?.id ?? cursor)
        status(
          p.green('●'),
          `reconnected${shownId === undefined ? '' : `, resuming after #${shownId}`}`,
        )
      }
      opened = true
    },
    onReconnect(info) {
      if (!opened) {
        // A first attempt that fails is a typo or a server that is down: say so now.
        unreachable = info.error
        subscription.close()
        return
      }
      status(
        p.yellow('↻'),
        `reconnecting in ${(info.delayMs / 1000).toFixed(1)} s (attempt ${info.attempt}): ${describe(info.error, shown)}`,
      )
    },
    onError(error, info) {
      if (!info.fatal && isRunstreamError(error, 'cursor_expired')) {
        status(p.yellow('!'), error.message)
      }
    },
  })

  const width = io.columns ?? 160
  try {
    for await (const event of subscription) {
      const isTerminal = terminal.includes(event.type)
      if (only !== undefined && !only.has(event.type) && !isTerminal) continue
      io.stdout(
        values.json === true
          ? `${jsonLine(event, streamName)}\n`
          : `${formatEvent(event, p, width)}\n`,
      )
      last = event
    }
  } catch (error) {
    throw new CliError(EXIT.unreachable, `runstream tail: ${describe(error, shown)}`, {
      cause: error,
    })
  }

  if (unreachable !== undefined) {
    throw new CliError(EXIT.unreachable, `runstream tail: ${describe(unreachable, shown)}`, {
      cause: unreachable,
    })
  }
  if (last !== undefined && terminal.includes(last.type)) {
    const failed = isFailure(last)
    status(
      failed ? p.red('✗') : p.green('✓'),
      `${failed ? 'failed' : 'finished'}: ${last.type}${summarize(last) === '' ? '' : ` (${summarize(last)})`}`,
    )
    return failed ? EXIT.failed : EXIT.ok
  }
  if (io.signal.aborted) return EXIT.interrupted
  // The server answered 204: nothing more will come after our cursor.
  status(p.green('✓'), 'the server says the stream is finished (HTTP 204)')
  return EXIT.ok
}

/**
 * An event as one JSON line, in the envelope's member order: `{id, type, stream, ts, data}`. From a
 * server in envelope framing every member is the envelope's; in payload framing there is no `ts`,
 * and `stream` is the one the URL names when it is a runstream route. Members left unknown are
 * left out, never invented.
 */
function jsonLine(event: StreamEvent, streamName: string | undefined): string {
  const stream = event.stream ?? streamName
  return JSON.stringify({
    id: event.id,
    type: event.type,
    ...(stream === undefined ? {} : { stream }),
    ...(event.ts === undefined ? {} : { ts: event.ts }),
    data: event.data,
  })
}

const ROUTE = /\/executions\/(workflows|agents|tasks)\/([^/]+)\/stream$/
const KINDS: Readonly<Record<string, string>> = {
  workflows: 'workflow',
  agents: 'agent',
  tasks: 'task',
}

/** The stream a runstream route's URL names (`…/agents/a1/stream` is `agent:a1`), if it is one. */
function streamOfUrl(url: URL): string | undefined {
  const match = ROUTE.exec(url.pathname)
  if (match === null) return undefined
  try {
    return `${KINDS[match[1] as string]}:${decodeURIComponent(match[2] as string)}`
  } catch {
    return undefined
  }
}

function parseUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw usage('tail', `"${text}" is not a URL; pass an absolute http:// or https:// URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usage('tail', `"${text}" is not an http:// or https:// URL`)
  }
  return url
}

function parseHeaders(lines: readonly string[]): Headers {
  const headers = new Headers()
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = colon <= 0 ? '' : line.slice(0, colon).trim()
    try {
      if (name === '') throw new TypeError('no name')
      headers.append(name, line.slice(colon + 1).trim())
    } catch {
      throw usage('tail', `--header must look like "Name: value", got "${line}"`)
    }
  }
  return headers
}

// What went wrong, in one sentence, without the client's advice about reconnecting.
function describe(error: unknown, url: string): string {
  if (error instanceof StreamHttpError) {
    const body = error.body as { error?: { message?: unknown; code?: unknown } } | undefined
    const said = body?.error?.message
    if (typeof said !== 'string') return error.message
    const code = body?.error?.code
    return `${url} answered HTTP ${error.status}${typeof code === 'string' ? ` (${code})` : ''}: ${said}`
  }
  if (isRunstreamError(error, 'network_error')) {
    const code = systemCode(error.cause)
    if (code !== undefined) return `cannot reach ${url}: ${SYSTEM_ERRORS[code] ?? code}`
    const inner = innermost(error.cause)
    return inner === undefined ? error.message : `cannot reach ${url}: ${inner}`
  }
  return error instanceof Error ? error.message : String(error)
}

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is the server running on that port?)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
}

function innermost(error: unknown): string | undefined {
  let message: string | undefined
  for (let at = error, depth = 0; at instanceof Error && depth < 5; depth++) {
    message = at.message
    at = at.cause
  }
  return message
}

// undici keeps the system error (ECONNREFUSED, …) a `cause` or two deep, or in an AggregateError.
function systemCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || !(error instanceof Object)) return undefined
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && code !== 'ERR_INVALID_STATE') return code
  const nested =
    error instanceof AggregateError ? error.errors[0] : (error as { cause?: unknown }).cause
  return systemCode(nested, depth + 1)
}
