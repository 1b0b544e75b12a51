/**
 * The Redis Cluster hash slot of a key or shard channel: CRC16 (XMODEM) of its hash tag (the text
 * between the first `{` and the next `}`, when not empty) or else of the whole name, modulo 16384.
 */
export function keySlot(key: string): number {
  const bytes = new TextEncoder().encode(key)
  let from = 0
  let to = bytes.length
  const open = bytes.indexOf(0x7b)
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1)
    if (close > open + 1) {
      from = open + 1
      to = close
    }
  }
  let crc = 0
  for (let i = from; i < to; i++) {
    crc = ((crc << 8) ^ (TABLE[((crc >>> 8) ^ (bytes[i] as number)) & 0xff] as number)) & 0xffff
  }
  return crc & 0x3fff
}

/**
 * The nodes (`host:port`) that a Redis Cluster slot map (ioredis' `cluster.slots`, indexed by
 * slot, primary first) names as the primary of at least one slot. Empty when the map holds no
 * slot, as while the cluster is out of reach.
 */
export function slotPrimaries(slots: readonly (readonly string[] | undefined)[]): Set<string> {
  const primaries = new Set<string>()
  for (const owners of slots) if (owners?.[0] !== undefined) primaries.add(owners[0])
  return primaries
}

/**
 * Whether a Redis Cluster slot map (as for {@link slotPrimaries}) names `node` (`host:port`) as
 * the primary of at least one slot: `slotPrimaries(slots).has(node)`, but stopping at the first
 * such slot instead of scanning all 16,384.
 */
export function servesSlot(
  slots: readonly (readonly string[] | undefined)[],
  node: string,
): boolean {
  for (const owners of slots) if (owners?.[0] === node) return true
  return false
}

// CRC16-XMODEM (polynomial 0x1021), a byte at a time.
const TABLE = (() => {
  const table = new Uint16Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n << 8
    for (let bit = 0; bit < 8; bit++)
      c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
    table[n] = c
  }
  return table
})()
