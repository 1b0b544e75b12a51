import { readFileSync } from 'node:fs'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { catalogJsonSchema, schemaFiles } from '../../scripts/docs/catalog-schema.js'
import { CATALOGS, isCatalog } from '../../scripts/docs/catalogs.js'
import { agUiCatalog } from '../../src/ag-ui.js'
import { uiMessageCatalog } from '../../src/ai-sdk.js'
import { type AnyCatalog, compozyCatalog, createStreamManager } from '../../src/index.js'
import { events, RECORDINGS } from '../compozy/recordings.js'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

interface Exported {
  types: string
  default: string
}
const EXPORTS = (JSON.parse(read('package.json')) as { exports: Record<string, Exported | string> })
  .exports

// Each subpath's source entry: `./dist/ag-ui.d.ts` is built from `src/ag-ui.ts`.
const entryOf = (subpath: string) => {
  const target = EXPORTS[subpath]
  if (typeof target !== 'object') throw new Error(`package.json exports no ${subpath}`)
  return target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts')
}
const importEntry = async (subpath: string) =>
  (await import(
    /* @vite-ignore */ new URL(`../../${entryOf(subpath)}`, import.meta.url).href
  )) as Record<string, unknown>

// The catalogs an app imports. runstream/testing's `contractCatalog` is the contract suites'
// fixture (note, ping, done), not a catalog for an app's events.
const FIXTURES = new Set(['runstream/testing:contractCatalog'])

describe('the catalog reference', () => {
  it('documents each catalog with the subpath that exports it', async () => {
    for (const owner of CATALOGS) {
      const subpath =
        owner.from === 'runstream' ? '.' : `./${owner.from.slice('runstream/'.length)}`
      const entry = await importEntry(subpath)
      expect(entry[owner.name], `${owner.from} exports ${owner.name}`).toBe(owner.catalog)
    }
    expect(read('docs/catalog-reference.md')).toContain(
      "`import { agUiCatalog } from 'runstream/ag-ui'`",
    )
  })

  it('documents every catalog that an entry of package.json exports', async () => {
    const exported: string[] = []
    for (const subpath of Object.keys(EXPORTS)) {
      if (subpath === './package.json') continue
      const entry = await importEntry(subpath)
      const from = subpath === '.' ? 'runstream' : `runstream/${subpath.slice(2)}`
      for (const [name, value] of Object.entries(entry))
        if (isCatalog(value) && !FIXTURES.has(`${from}:${name}`)) exported.push(`${from}:${name}`)
    }
    const documented = CATALOGS.map((owner) => `${owner.from}:${owner.name}`)
    expect([...new Set(exported)].sort()).toEqual(documented.sort())
  })

  it('writes one JSON Schema per catalog, keeping catalog.schema.json for the first two', () => {
    expect(schemaFiles()).toEqual([
      'catalog.schema.json',
      'catalog-compozy.schema.json',
      'catalog-ag-ui.schema.json',
      'catalog-ai-sdk.schema.json',
    ])
    expect(catalogJsonSchema('catalog.schema.json').$defs).toHaveProperty('llm_chunk')
    expect(catalogJsonSchema('catalog.schema.json').$defs).toHaveProperty('thought')
  })
})

/** The envelopes a manager of `catalog` stores for `payloads`; fails if it refuses one. */
async function envelopesOf(
  catalog: AnyCatalog,
  stream: string,
  payloads: readonly (readonly [string, unknown])[],
): Promise<Record<string, unknown>[]> {
  const errors: unknown[] = []
  const manager = createStreamManager({ catalog, onError: (error) => errors.push(error) })
  const handle = manager.stream(stream) as { emit(type: string, data: unknown): void }
  for (const [type, data] of payloads) handle.emit(type, data)
  await manager.flush()
  expect(errors).toEqual([])
  const { events: records } = await manager.store.read(stream, { limit: 10_000 })
  expect(records).toHaveLength(payloads.length)
  return records.map((record) => JSON.parse(record.json))
}

function validator(file: string) {
  const ajv = new Ajv2020({ strict: false })
  addFormats(ajv)
  return ajv.compile(JSON.parse(read(`docs/${file}`)))
}

const USER = {
  id: 'u1',
  role: 'user',
  content: [
    { type: 'text', text: 'What is on this picture?' },
    { type: 'image', source: { type: 'url', value: 'https://example.com/cat.png' } },
  ],
}

const AG_UI_RUN = [
  [
    'RUN_STARTED',
    {
      type: 'RUN_STARTED',
      threadId: 'th1',
      runId: 'r1',
      input: { threadId: 'th1', runId: 'r1', messages: [USER], tools: [], context: [] },
    },
  ],
  ['STATE_SNAPSHOT', { type: 'STATE_SNAPSHOT', snapshot: { looks: 0 } }],
  ['STATE_DELTA', { type: 'STATE_DELTA', delta: [{ op: 'replace', path: '/looks', value: 1 }] }],
  ['TEXT_MESSAGE_START', { type: 'TEXT_MESSAGE_START', messageId: 'a1', role: 'assistant' }],
  ['TEXT_MESSAGE_CONTENT', { type: 'TEXT_MESSAGE_CONTENT', messageId: 'a1', delta: 'A cat.' }],
  ['TEXT_MESSAGE_END', { type: 'TEXT_MESSAGE_END', messageId: 'a1' }],
  [
    'TOOL_CALL_START',
    { type: 'TOOL_CALL_START', toolCallId: 'c1', toolCallName: 'zoom', parentMessageId: 'a1' },
  ],
  ['TOOL_CALL_ARGS', { type: 'TOOL_CALL_ARGS', toolCallId: 'c1', delta: '{"x":2}' }],
  ['TOOL_CALL_END', { type: 'TOOL_CALL_END', toolCallId: 'c1' }],
  [
    'TOOL_CALL_RESULT',
    { type: 'TOOL_CALL_RESULT', messageId: 't1', toolCallId: 'c1', content: 'zoomed' },
  ],
  [
    'MESSAGES_SNAPSHOT',
    {
      type: 'MESSAGES_SNAPSHOT',
      messages: [
        USER,
        {
          id: 'a1',
          role: 'assistant',
          content: 'A cat.',
          toolCalls: [
            { id: 'c1', type: 'function', function: { name: 'zoom', arguments: '{"x":2}' } },
          ],
        },
        { id: 't1', role: 'tool', toolCallId: 'c1', content: 'zoomed' },
      ],
    },
  ],
  [
    'RUN_FINISHED',
    {
      type: 'RUN_FINISHED',
      threadId: 'th1',
      runId: 'r1',
      outcome: { type: 'success' },
      usage: [{ provider: 'openai', inputTokens: 12, outputTokens: 3 }],
    },
  ],
] as const

const AI_SDK_REPLY = [
  ['start', { type: 'start', messageId: 'm1' }],
  ['start-step', { type: 'start-step' }],
  ['text-start', { type: 'text-start', id: 't1' }],
  ['text-delta', { type: 'text-delta', id: 't1', delta: 'Sunny' }],
  ['text-end', { type: 'text-end', id: 't1' }],
  [
    'tool-input-available',
    {
      type: 'tool-input-available',
      toolCallId: 'c1',
      toolName: 'weather',
      input: { city: 'Oslo' },
    },
  ],
  ['tool-output-available', { type: 'tool-output-available', toolCallId: 'c1', output: 21 }],
  ['source-url', { type: 'source-url', sourceId: 's1', url: 'https://example.com' }],
  ['finish-step', { type: 'finish-step' }],
  ['finish', { type: 'finish', finishReason: 'stop' }],
] as const

describe('the JSON Schema of each catalog', () => {
  it("catalog-compozy.schema.json accepts every envelope of compozy's recorded streams", async () => {
    const valid = validator('catalog-compozy.schema.json')
    for (const recording of RECORDINGS) {
      const payloads = events(recording).map(
        (frame) =>
          [frame.event, frame.event === 'llm_chunk' ? frame.data : JSON.parse(frame.data)] as const,
      )
      for (const envelope of await envelopesOf(compozyCatalog, recording.stream, payloads))
        expect(valid(envelope), `${recording.name}: ${JSON.stringify(valid.errors)}`).toBe(true)
    }
    const envelope = { id: '1', type: 'llm_chunk', stream: 'agent:a', ts: new Date().toISOString() }
    expect(valid({ ...envelope, data: 'Hello' })).toBe(true)
    expect(valid({ ...envelope, data: { text: 'Hello' } })).toBe(false)
    expect(valid({ ...envelope, type: 'complete', data: { status: 'DONE' } })).toBe(false)
  })

  it('catalog-ag-ui.schema.json accepts a real run, shared definitions included, and refuses wrong events', async () => {
    const valid = validator('catalog-ag-ui.schema.json')
    const envelopes = await envelopesOf(agUiCatalog, 'agent:r1', AG_UI_RUN)
    for (const envelope of envelopes)
      expect(valid(envelope), JSON.stringify(valid.errors)).toBe(true)

    const byType = (type: string) => envelopes.find((e) => e.type === type) ?? {}
    const delta = byType('STATE_DELTA')
    expect(
      valid({ ...delta, data: { type: 'STATE_DELTA', delta: [{ op: 'frob', path: '/a' }] } }),
    ).toBe(false)
    const snapshot = byType('MESSAGES_SNAPSHOT')
    const robot = { id: 'x', role: 'robot', content: 'beep' }
    expect(valid({ ...snapshot, data: { type: 'MESSAGES_SNAPSHOT', messages: [robot] } })).toBe(
      false,
    )
    const image = { ...USER, content: [{ type: 'image', source: { type: 'ftp', value: 'x' } }] }
    expect(valid({ ...snapshot, data: { type: 'MESSAGES_SNAPSHOT', messages: [image] } })).toBe(
      false,
    )
    expect(valid({ ...byType('TEXT_MESSAGE_END'), data: { type: 'TEXT_MESSAGE_END' } })).toBe(false)
  })

  it('catalog-ai-sdk.schema.json accepts a real reply and refuses chunks the catalog does not hold', async () => {
    const valid = validator('catalog-ai-sdk.schema.json')
    const envelopes = await envelopesOf(uiMessageCatalog, 'chat:r1', AI_SDK_REPLY)
    for (const envelope of envelopes)
      expect(valid(envelope), JSON.stringify(valid.errors)).toBe(true)
    const text = envelopes.find((e) => e.type === 'text-delta') ?? {}
    expect(valid({ ...text, data: { type: 'text-delta', id: 't1' } })).toBe(false)
    const data = { type: 'data-weather', data: { city: 'Oslo' } }
    expect(valid({ ...text, type: 'data-weather', data })).toBe(false)
  })
})
