import { describe, expect, it } from 'vitest'
import { servesSlot, slotPrimaries } from '../../src/redis/slot.js'

// Slot maps as ioredis keeps them in `cluster.slots`: indexed by slot, primary first, with holes
// for slots it has not learned.
function slotMap(owners: Record<number, string[]>): (string[] | undefined)[] {
  const slots: (string[] | undefined)[] = []
  for (const [slot, nodes] of Object.entries(owners)) slots[Number(slot)] = nodes
  slots.length = 16384
  return slots
}

describe('servesSlot', () => {
  const map = slotMap({ 0: ['a:1', 'b:1'], 9000: ['c:1'], 16383: ['a:1'] })

  it('names the primaries of a slot map, as slotPrimaries does', () => {
    for (const node of ['a:1', 'c:1']) expect(servesSlot(map, node)).toBe(true)
    expect([...slotPrimaries(map)].sort()).toEqual(['a:1', 'c:1'])
  })

  it('does not name a node that is only a replica, or absent', () => {
    for (const node of ['b:1', 'd:1']) {
      expect(servesSlot(map, node)).toBe(false)
      expect(slotPrimaries(map).has(node)).toBe(false)
    }
  })

  it('names no node in a map with no slot, as while the cluster is out of reach', () => {
    expect(servesSlot([], 'a:1')).toBe(false)
    expect(servesSlot(slotMap({}), 'a:1')).toBe(false)
  })
})
