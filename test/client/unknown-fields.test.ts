import { expect, test } from 'vitest'

// Unknown fields cost what comments cost. (eventsource-parser built a ParseError, with its stack
// trace, for every line of an unknown field: about 500 times the cost of an event's line, which a
// hostile server could spend the client's CPU on.) No client module is imported before the count
// starts, so that an Error subclass defined at import time is counted too.

test('a line of an unknown field builds nothing: no Error, whatever the field', async () => {
  const original = globalThis.Error
  let built = 0
  globalThis.Error = new Proxy(original, {
    construct(target, args, newTarget) {
      built++
      return Reflect.construct(target, args, newTarget)
    },
  })
  const events: string[] = []
  try {
    const { createSseReader } = await import('../../src/client/parse.js')
    const reader = createSseReader(
      {
        event: (data) => events.push(data),
        id: () => undefined,
        retry: () => undefined,
        tooLarge: () => events.push('too large'),
      },
      1_000_000,
    )
    const lines = 'bogus: 1\nx-custom: yes\nnocolon\nretry: soon\nEvent: wrong case\n'
    const bytes = new TextEncoder().encode(`${lines.repeat(2000)}: a comment\n\n`.repeat(5))
    reader.push(bytes)
    reader.push(new TextEncoder().encode('data: after\n\n'))
  } finally {
    globalThis.Error = original
  }
  expect(events).toEqual(['after'])
  expect(built).toBe(0)
})
