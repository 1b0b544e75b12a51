import { describe, optionalBoolean, optionsObject, positiveInteger } from '../core/check.js'
import type { RunRequestOptions } from './options.js'

/** {@link RunRequestOptions} checked, with their defaults. */
export interface ResolvedRunOptions {
  readonly cancelOnDisconnect: boolean
  readonly maxBodyBytes: number
}

/** The default of `maxBodyBytes`: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576

/** Checks the options of requests that start runs (handlers and `createRunResponse`). */
export function resolveRunOptions(
  where: string,
  options: RunRequestOptions | undefined,
): ResolvedRunOptions {
  const given = optionsObject(where, options)
  return {
    cancelOnDisconnect: optionalBoolean(
      where,
      'cancelOnDisconnect',
      given.cancelOnDisconnect,
      false,
    ),
    maxBodyBytes: positiveInteger(
      where,
      'maxBodyBytes',
      given.maxBodyBytes,
      DEFAULT_MAX_BODY_BYTES,
      'bytes',
      '1_048_576 (1 MiB)',
    ),
  }
}

/**
 * Checks the `location` of a stream answered outside the routes (`createSseResponse`,
 * `handler.respond`). A request that is not a `GET` needs one: runstream's client reconnects
 * with `GET`, to the `Location` when there is one and to the request's URL otherwise.
 */
export function resolveLocation(
  where: string,
  method: string,
  location: unknown,
): string | undefined {
  if (location === undefined) {
    if (method === 'GET' || method === 'HEAD') return undefined
    throw new TypeError(
      `${where}: a ${method} request answered with a stream needs \`location\`: the URL of a GET route that serves the same stream, such as \`/runs/\${id}/events\`. runstream's client reconnects there after a drop, and never sends the body again; without it, it would reconnect to the ${method} URL. Pass \`location: request.url\` if that URL also answers GET.`,
    )
  }
  if (location instanceof URL) return location.href
  if (typeof location !== 'string' || location === '' || /[\u0000-\u001f\u007f]/.test(location)) {
    throw new TypeError(
      `${where}: \`location\` must be a URL or a path without control characters, such as "/runs/42/events"; got ${describe(location)}.`,
    )
  }
  return location
}
