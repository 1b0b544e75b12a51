/**
 * The length of `text` in bytes of UTF-8, without encoding it. A lone surrogate counts 3 bytes,
 * as `TextEncoder` writes it (U+FFFD).
 */
export function utf8Length(text: string): number {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) continue
    if (code < 0x800) bytes += 1
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        // Two UTF-16 units, four bytes.
        bytes += 2
        i++
      } else bytes += 2
    } else bytes += 2
  }
  return bytes
}
