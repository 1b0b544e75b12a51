/**
 * The checks of options, run where an option is given: misuse throws a `TypeError` whose message
 * says what to pass instead, so that nothing hangs or fails later because of a bad option.
 */

/** Throws the `TypeError` of a misused option: `<where>: <name> <problem>`. */
export function misuse(where: string, name: string, problem: string): never {
  throw new TypeError(`${where}: ${name} ${problem}`)
}

/**
 * Checks a whole number in `[min, max]` (`Infinity` too when `max` is). `undefined` means the
 * default and passes.
 */
export function checkWhole(
  where: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (
    value !== undefined &&
    !(
      typeof value === 'number' &&
      value >= min &&
      value <= max &&
      (Number.isInteger(value) || value === max)
    )
  ) {
    misuse(where, name, `must be a whole number from ${min} to ${max}, not ${show(value)}.`)
  }
}

/** Checks a function (or `undefined`). */
export function checkFunction(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    misuse(where, name, `must be a function, not ${show(value)}.`)
  }
}

/** Checks a string (or `undefined`). */
export function checkString(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') {
    misuse(where, name, `must be a string, not ${show(value)}.`)
  }
}

/**
 * Refuses options the function does not know: a renamed one with its new name, any other with
 * the list of known ones (a typo such as `lastEventID` would otherwise be ignored in silence).
 */
export function checkKeys(
  where: string,
  options: object,
  known: readonly string[],
  renamed: Record<string, string> = {},
): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(renamed, key)) misuse(where, key, `was renamed: use ${renamed[key]}.`)
    if (!known.includes(key))
      misuse(where, key, `is not an option; the options are ${known.join(', ')}.`)
  }
}

/** A short description of a value for a message. */
export function show(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value.slice(0, 40))
    : typeof value === 'number'
      ? String(value)
      : typeof value
}
