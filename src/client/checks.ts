/**
 * The checks of options, run where an option is given: misuse throws a `TypeError` whose message
 * says what to pass instead, so that nothing hangs or fails later because of a bad option.
 */

/**
 * How one option is checked: `[min, max]` a whole number in that range (`Infinity` too when
 * `max` is), `[min, max, 1]` any number in it, a `typeof` name, or a function that returns what
 * is wrong (`undefined` when nothing is).
 */
export type Check =
  | readonly [min: number, max: number, any?: 1]
  | 'function'
  | 'string'
  | 'boolean'
  | ((value: unknown) => string | undefined)

/**
 * Checks every option of `options` against `spec`, whose keys are all the options there are:
 * a renamed one is refused with its new name, any other unknown one (a typo such as
 * `lastEventID`, which would otherwise be ignored in silence) with the list of options. An option
 * given as `undefined` means its default.
 *
 * @param where - who checks, the start of every message (`connect`, …)
 */
export function checkOptions(
  where: string,
  options: object,
  spec: Record<string, Check>,
  renamed: Record<string, string> = {},
): void {
  if (typeof options !== 'object' || options === null) {
    misuse(where, 'options', `must be an object, not ${show(options)}.`)
  }
  for (const [key, value] of Object.entries(options)) {
    if (Object.hasOwn(renamed, key)) misuse(where, key, `was renamed: use ${renamed[key]}.`)
    if (!Object.hasOwn(spec, key)) {
      misuse(where, key, `is not an option; the options are ${Object.keys(spec).join(', ')}.`)
    }
    const check = spec[key] as Check
    if (value === undefined) continue
    let problem: string | undefined
    if (typeof check === 'function') problem = check(value)
    else if (typeof check === 'string') {
      if (typeof value !== check) problem = `must be a ${check}`
    } else {
      const [min, max, any] = check
      if (
        !(
          typeof value === 'number' &&
          value >= min &&
          value <= max &&
          (any || Number.isInteger(value) || value === max)
        )
      ) {
        problem = `must be a ${any ? '' : 'whole '}number from ${min} to ${max}`
      }
    }
    if (problem)
      misuse(where, key, problem.endsWith('.') ? problem : `${problem}, not ${show(value)}.`)
  }
}

/** Throws the `TypeError` of a misused option: `<where>: <name> <problem>`. */
export function misuse(where: string, name: string, problem: string): never {
  throw new TypeError(`${where}: ${name} ${problem}`)
}

/** A short description of a value for a message. */
export function show(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value.slice(0, 40))
    : typeof value === 'number'
      ? String(value)
      : typeof value
}

/** The check of a `catalog` option. */
export const isCatalog: Check = (value) =>
  typeof (value as { validate?: unknown })?.validate === 'function'
    ? undefined
    : 'must be a catalog made with defineCatalog().'

/** The check of a `headers` option. */
export const isHeaders: Check = (value) =>
  typeof value === 'object' || typeof value === 'function'
    ? undefined
    : 'must be headers or a function that returns them.'

/** The longest delay a timer can wait (setTimeout fires at once beyond it). */
export const MAX_TIMER_MS = 2_147_483_647
