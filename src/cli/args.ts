import { type ParseArgsConfig, parseArgs } from 'node:util'
import { CliError, EXIT } from './io.js'

type OptionsConfig = NonNullable<ParseArgsConfig['options']>

/** What {@link parseCommandArgs} returns: the options by name, and the positional arguments. */
export interface ParsedArgs<O extends OptionsConfig> {
  values: ReturnType<
    typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>
  >['values']
  positionals: string[]
}

/**
 * Parses a command's arguments with `node:util`'s `parseArgs`, strictly: an unknown option, a
 * missing value or a wrong count of positional arguments is a {@link CliError} (exit 2) whose
 * message names the command's `--help`.
 */
export function parseCommandArgs<O extends OptionsConfig>(
  command: string,
  argv: readonly string[],
  options: O,
  positionals: { min: number; max: number; usage: string },
): ParsedArgs<O> {
  let parsed: ParsedArgs<O>
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (error) {
    // Node's messages go on with advice about `--`; the first sentence says what is wrong.
    const message = error instanceof Error ? (error.message.split(/(?<=\.) /)[0] ?? '') : ''
    throw usage(command, message.replace(/\.$/, ''))
  }
  const count = parsed.positionals.length
  if ((parsed.values as { help?: boolean }).help === true) return parsed
  if (count < positionals.min) throw usage(command, `missing ${positionals.usage}`)
  if (count > positionals.max) {
    throw usage(command, `unexpected argument "${parsed.positionals[positionals.max]}"`)
  }
  return parsed
}

/** A usage error of `command`: exit 2, with a pointer to its help. */
export function usage(command: string, problem: string): CliError {
  return new CliError(
    EXIT.usage,
    `runstream ${command}: ${problem}. Run \`runstream ${command} --help\` for usage.`,
  )
}

/** Splits `a,b , c` into names, refusing an empty list. */
export function parseList(command: string, option: string, text: string): string[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
  if (names.length === 0) {
    throw usage(command, `--${option} needs a comma-separated list, such as "complete,error"`)
  }
  return names
}

/** Parses a number option within bounds. */
export function parseNumber(
  command: string,
  option: string,
  text: string,
  bounds: { min: number; max: number; integer?: boolean },
): number {
  const value = text.trim() === '' ? Number.NaN : Number(text)
  const fits =
    !Number.isNaN(value) &&
    value >= bounds.min &&
    value <= bounds.max &&
    (bounds.integer !== true || Number.isInteger(value) || value === Number.POSITIVE_INFINITY)
  if (!fits) {
    const kind = bounds.integer === true ? 'a whole number' : 'a number'
    throw usage(
      command,
      `--${option} must be ${kind} from ${bounds.min} to ${bounds.max}, got "${text}"`,
    )
  }
  return value
}
