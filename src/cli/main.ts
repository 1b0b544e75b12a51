import { demo } from './demo.js'
import { MAIN_HELP } from './help.js'
import { CliError, type CliIo, EXIT } from './io.js'
import { serve } from './serve.js'
import { tail } from './tail.js'

const COMMANDS: Readonly<Record<string, (argv: readonly string[], io: CliIo) => Promise<number>>> =
  {
    tail,
    serve,
    demo,
  }

/**
 * Runs the `runstream` command with `argv` (without `node` and the script) and resolves with the
 * exit code. Errors are printed to stderr, never thrown.
 */
export async function main(
  argv: readonly string[],
  io: CliIo,
  version: () => string,
): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout(MAIN_HELP)
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  if (name === '-v' || name === '--version') {
    io.stdout(`${version()}\n`)
    return EXIT.ok
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (command === undefined) {
    io.stderr(
      `runstream: unknown command "${name}". The commands are tail, serve and demo; run \`runstream --help\`.\n`,
    )
    return EXIT.usage
  }
  try {
    return await command(rest, io)
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`${error.message}\n`)
      return error.exitCode
    }
    io.stderr(
      `runstream ${name}: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    return EXIT.failed
  }
}
