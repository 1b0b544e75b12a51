#!/usr/bin/env node
/**
 * The `runstream` command: `tail` any SSE stream, `serve` a recorded JSON-lines log, or run the
 * `demo`. See `runstream --help`, or src/cli/help.ts.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs'
import type { CliIo } from './cli/io.js'
import { main } from './cli/main.js'

const stopping = new AbortController()
let interrupts = 0
const onSignal = (signal: NodeJS.Signals) => {
  interrupts++
  // The first Ctrl-C stops cleanly; a second one does not wait for that.
  if (interrupts > 1) process.exit(signal === 'SIGINT' ? 130 : 143)
  stopping.abort()
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

// A reader that went away (`runstream tail … | head`) is not a failure: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

const color =
  process.env.NO_COLOR === undefined &&
  (process.env.FORCE_COLOR !== undefined || process.stdout.isTTY === true)
const io: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  color,
  columns: process.stdout.isTTY === true ? process.stdout.columns : undefined,
  signal: stopping.signal,
}

const code = await main(process.argv.slice(2), io, () => {
  // src/cli.ts and dist/cli.js both sit one level below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  return String(pkg.version)
})
process.off('SIGINT', onSignal)
process.off('SIGTERM', onSignal)
process.exitCode = code
// Whatever a library left open (a keep-alive socket, a timer) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2000).unref()
