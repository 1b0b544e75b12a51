import fc from 'fast-check'

/**
 * Characters that break naive SSE and JSON code: every line break SSE knows (CR, LF, CRLF) and
 * some it does not (U+2028, U+2029, NEL), NUL, DEL, a BOM, lone and paired surrogates, multi-byte
 * characters, and text that looks like SSE fields.
 */
const TRICKY = [
  '\r',
  '\n',
  '\r\n',
  '\n\n',
  '\r\r',
  '\0',
  '\x7f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\uFEFF',
  'é',
  '🚀',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  ':',
  ' ',
  '"',
  '\\',
  'data: x',
  'id: 99',
  'event: complete',
  'retry: 1',
] as const

/** One code unit of a lone surrogate: what `JSON.stringify` escapes and UTF-8 cannot encode. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))

/** A string built of tricky pieces, any code point, and lone surrogates. */
export const trickyString = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: loneSurrogate },
  ),
  maxLength: 30,
})

/** A string that can be an SSE field (`id`, `event`): anything but CR, LF and NUL. */
export const fieldString = trickyString.map((s) => s.replace(/[\r\n\0]/g, ''))

/** Where to cut a byte sequence of any length: sorted, distinct fractions of its length. */
export const cuts = fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 24 })

/** Cuts `bytes` at `fractions` of its length (every-byte when `everyByte`), as a network may. */
export function chunk(
  bytes: Uint8Array,
  fractions: readonly number[],
  everyByte = false,
): Uint8Array[] {
  if (everyByte) return Array.from(bytes, (byte) => Uint8Array.of(byte))
  const offsets = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort(
    (a, b) => a - b,
  )
  const chunks: Uint8Array[] = []
  let from = 0
  for (const offset of [...offsets, bytes.length]) {
    if (offset > from) chunks.push(bytes.subarray(from, offset))
    from = Math.max(from, offset)
  }
  return chunks
}

/** What a UTF-8 encoder and a spec SSE parser make of a string sent as `data`: documented. */
export function afterSseData(text: string): string {
  // UTF-8 cannot carry a lone surrogate (U+FFFD instead), and every line break becomes LF.
  return wellFormed(text).replace(/\r\n|\r/g, '\n')
}

/** `String.prototype.toWellFormed` (ES2024): each lone surrogate becomes U+FFFD. */
export function wellFormed(text: string): string {
  return text.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '\ufffd',
  )
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
