import { describe, expectTypeOf, test } from 'vitest'
import {
  type ConnectOptions,
  connect,
  createStreamClient,
  type HeadersOption,
} from '../../src/client.js'

// The client's request options are typed from the globals Node (@types/node) and the DOM both
// declare, not from DOM-only names such as HeadersInit: scripts/check-consumer-types.ts checks
// that a Node project without the DOM lib reads them. Here: they still accept what fetch does.

describe('request options accept what fetch accepts', () => {
  test('headers: a record, pairs, a Headers, or a function returning one, sync or async', () => {
    expectTypeOf<Record<string, string>>().toExtend<HeadersOption>()
    expectTypeOf<[string, string][]>().toExtend<HeadersOption>()
    expectTypeOf<Headers>().toExtend<HeadersOption>()
    expectTypeOf<() => Promise<Record<string, string>>>().toExtend<HeadersOption>()
    expectTypeOf<() => Headers>().toExtend<HeadersOption>()
    expectTypeOf<number>().not.toExtend<HeadersOption>()
    createStreamClient({
      baseUrl: 'http://x',
      headers: async () => ({ authorization: 'Bearer t' }),
    })
  })

  test('body: a string, form data, URL parameters, a Blob, bytes or a stream; never null', () => {
    type Body = NonNullable<ConnectOptions['body']>
    expectTypeOf<string>().toExtend<Body>()
    expectTypeOf<FormData>().toExtend<Body>()
    expectTypeOf<URLSearchParams>().toExtend<Body>()
    expectTypeOf<Blob>().toExtend<Body>()
    expectTypeOf<Uint8Array<ArrayBuffer>>().toExtend<Body>()
    expectTypeOf<ReadableStream<Uint8Array>>().toExtend<Body>()
    expectTypeOf<{ toString(): string }>().not.toExtend<Body>()
    // @ts-expect-error exactOptionalPropertyTypes: leave body out rather than pass null
    connect('http://x', { method: 'POST', body: null })
  })
})
