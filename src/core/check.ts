/**
 * Option checks shared by the core's factories: every option is checked where it is given, and
 * misuse throws a `TypeError` whose message says how to fix it.
 */

/** Throws when `options` still uses a name renamed before 1.0 (docs/naming.md), naming the new one. */
export function refuseRenamed(
  where: string,
  options: object,
  renamed: Readonly<Record<string, string>>,
): void {
  for (const old of Object.keys(renamed)) {
    if (Object.hasOwn(options, old)) {
      throw new TypeError(
        `${where}: \`${old}\` was renamed to \`${renamed[old]}\` (see docs/naming.md). Pass ${renamed[old]} instead.`,
      )
    }
  }
}

/**
 * A positive safe integer, or `fallback` when `value` is `undefined`.
 *
 * @param unit - what the number counts, for the message (`events`, `bytes`, `milliseconds`)
 * @param example - a valid value, for the message
 */
export function positiveInteger(
  where: string,
  name: string,
  value: unknown,
  fallback: number,
  unit: string,
  example: string,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(
      `${where}: \`${name}\` must be a positive whole number of ${unit}, such as ${example}; got ${describe(value)}.`,
    )
  }
  return value
}

/** A function, or `undefined` when left out. */
export function optionalFunction<F>(
  where: string,
  name: string,
  value: F | undefined,
): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${where}: \`${name}\` must be a function; got ${describe(value)}.`)
  }
  return value
}

/** A boolean, or `fallback` when `value` is `undefined`. */
export function optionalBoolean(
  where: string,
  name: string,
  value: unknown,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw new TypeError(`${where}: \`${name}\` must be true or false; got ${describe(value)}.`)
  }
  return value
}

/** An options object, or `{}` when left out. */
export function optionsObject<T extends object>(where: string, value: T | undefined): T {
  if (value === undefined) return {} as T
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${where}: pass an options object; got ${describe(value)}.`)
  }
  return value
}

/** A short, safe description of a value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'bigint') return `${value}n`
  return String(value)
}
