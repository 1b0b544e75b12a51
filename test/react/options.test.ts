import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, test } from 'vitest'
import { useRun, useStream } from '../../src/react.js'

// Misuse throws a TypeError with the fix when the hook is called; a missing id or URL opens
// nothing and says `closed`. (Rendered on the server, where the hooks open nothing anyway.)

const render = (hook: () => unknown) =>
  renderToString(
    createElement(() => {
      const value = hook() as { readyState: string }
      return createElement('p', null, value.readyState)
    }),
  )

describe('hook options', () => {
  test('useStream refuses a maxEvents that is not a positive integer', () => {
    for (const maxEvents of [0, -1, 1.5, Number.NaN]) {
      expect(() => render(() => useStream('http://127.0.0.1:1/s', { maxEvents }))).toThrow(
        /maxEvents must be a positive integer/,
      )
    }
    expect(() => render(() => useStream('http://127.0.0.1:1/s', { maxEvents: 1 }))).not.toThrow()
  })

  test('useRun refuses an empty id and says how to show no run', () => {
    expect(() => render(() => useRun('task', ''))).toThrow(/non-empty string.*pass null/)
  })

  test('a null URL or id opens nothing and is closed', () => {
    expect(render(() => useStream(null))).toBe('<p>closed</p>')
    expect(render(() => useRun('agent', undefined))).toBe('<p>closed</p>')
  })
})
