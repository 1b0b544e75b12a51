import { describe, expect, it } from 'vitest'
import { isRefusal, matchRoute, normalizeBasePath } from '../../src/server/routes.js'

const base = '/api/v0'

describe('matchRoute', () => {
  it.each([
    ['/api/v0/executions/workflows/exec_42/stream', 'workflow:exec_42'],
    ['/api/v0/executions/agents/a-1/stream', 'agent:a-1'],
    ['/api/v0/executions/tasks/t.1:2@x~y+z=w/stream', 'task:t.1:2@x~y+z=w'],
    ['/api/v0/executions/tasks/run%3A7/stream', 'task:run:7'],
  ])('maps %s to the stream %s', (path, stream) => {
    const match = matchRoute(path, base)
    expect(match).toMatchObject({ stream })
  })

  it.each([
    '/api/v0/executions/runs/x/stream',
    '/api/v0/executions/workflows/x',
    '/api/v0/executions/workflows//stream',
    '/api/v0/executions/workflows/a/b/stream',
    '/api/v1/executions/workflows/x/stream',
    '/executions/workflows/x/stream',
  ])('does not match %s', (path) => {
    expect(matchRoute(path, base)).toBeUndefined()
  })

  it.each([
    ['a dot-dot', '..'],
    ['a single dot', '.'],
    ['an encoded dot-dot', '%2E%2E'],
    ['dot-dot inside', 'a..b'],
    ['an encoded slash', 'a%2Fb'],
    ['an encoded line break', 'a%0Ab'],
    ['an encoded NUL', 'a%00b'],
    ['a space', 'a%20b'],
    ['a malformed escape', '%E0%A4%A'],
    ['a double-encoded dot', '%252e'],
    ['129 characters', 'x'.repeat(129)],
  ])('refuses %s in the id with a 400', (_, id) => {
    const match = matchRoute(`/api/v0/executions/agents/${id}/stream`, base)
    expect(match).toBeDefined()
    expect(match !== undefined && isRefusal(match)).toBe(true)
    expect(match).toMatchObject({ status: 400, body: { error: { code: 'invalid_stream_id' } } })
  })

  it('accepts an id of exactly 128 characters', () => {
    expect(matchRoute(`/api/v0/executions/agents/${'x'.repeat(128)}/stream`, base)).toMatchObject({
      id: 'x'.repeat(128),
    })
  })

  it('serves under a configured base path', () => {
    expect(
      matchRoute('/streams/executions/tasks/t1/stream', normalizeBasePath('/streams/')),
    ).toMatchObject({
      stream: 'task:t1',
    })
    expect(matchRoute('/executions/tasks/t1/stream', normalizeBasePath('/'))).toMatchObject({
      stream: 'task:t1',
    })
  })
})

describe('normalizeBasePath', () => {
  it.each(['api', '', '/api?x=1', '/a b'])('refuses %j', (path) => {
    expect(() => normalizeBasePath(path)).toThrow(TypeError)
  })
})
