import type { EventStore } from '../core/store.js'
import { startDemoServer } from '../demo/server.js'
import { parseCommandArgs, parseNumber } from './args.js'
import { DEMO_HELP } from './help.js'
import { CliError, type CliIo, EXIT, paint } from './io.js'

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  pace: { type: 'string' },
  'fail-rate': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/**
 * `runstream demo`: starts the demo server, prints its URL, and runs until Ctrl-C. Returns the
 * exit code.
 */
export async function demo(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('demo', argv, OPTIONS, { min: 0, max: 0, usage: '' })
  if (values.help === true) {
    io.stdout(DEMO_HELP)
    return EXIT.ok
  }
  const explicitPort = values.port ?? io.env.PORT
  const port =
    explicitPort === undefined
      ? 4400
      : parseNumber('demo', 'port', explicitPort, { min: 0, max: 65_535, integer: true })
  const paceText = values.pace ?? io.env.RUNSTREAM_DEMO_PACE
  const pace =
    paceText === undefined ? 1 : parseNumber('demo', 'pace', paceText, { min: 0, max: 100 })
  const failRate =
    values['fail-rate'] === undefined
      ? 0.25
      : parseNumber('demo', 'fail-rate', values['fail-rate'], { min: 0, max: 1 })

  const p = paint(io.color)
  const redisUrl = io.env.REDIS_URL
  const store = redisUrl === undefined || redisUrl === '' ? undefined : await openRedis(redisUrl)
  let server: Awaited<ReturnType<typeof startDemoServer>>
  try {
    server = await startDemoServer({
      port,
      strictPort: values.port !== undefined,
      host: values.host ?? '127.0.0.1',
      pace,
      failRate,
      ...(store === undefined ? {} : { store }),
      log: (line) => io.stderr(`${p.dim(line)}\n`),
      onError: (error) => io.stderr(`${p.red('!')} ${error.code}: ${error.message}\n`),
    })
  } catch (error) {
    await store?.close?.()
    const message = error instanceof Error ? error.message : String(error)
    throw new CliError(EXIT.unreachable, `runstream demo: ${message}`, { cause: error })
  }
  io.stdout(
    `\n  ${p.bold('runstream demo')} is running at ${p.cyan(server.url)}\n` +
      `  events are kept ${store === undefined ? 'in memory' : `in Redis (${redactUrl(redisUrl as string)})`}; press Ctrl-C to stop.\n\n`,
  )
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve()
    else io.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  io.stderr('stopping…\n')
  await server.close()
  return EXIT.ok
}

async function openRedis(url: string): Promise<EventStore> {
  // Loaded only when asked for: ioredis is an optional peer dependency.
  try {
    const { redisStore } = await import('../redis.js')
    return redisStore({ url })
  } catch (error) {
    throw new CliError(
      EXIT.unreachable,
      `runstream demo: cannot use Redis at ${redactUrl(url)} (${error instanceof Error ? error.message : String(error)}). Install ioredis, or unset REDIS_URL to keep events in memory.`,
      { cause: error },
    )
  }
}

// A password in the URL must not reach the terminal.
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(an invalid URL)'
  }
}
