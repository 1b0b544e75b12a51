import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { CATALOGS } from '../../scripts/docs/catalogs.js'
import { generatedDocs } from '../../scripts/generate-docs.js'
import { demoCatalog } from '../../src/demo/catalog.js'
import { runSimulation } from '../../src/demo/simulation.js'
import { createStreamManager } from '../../src/index.js'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
const openapi = () => JSON.parse(read('docs/openapi.json'))

describe('generated docs', () => {
  it.each(generatedDocs().map((doc) => [doc.path, doc.content]))(
    '%s is up to date with the schemas (else run `npm run docs`)',
    (path, content) => {
      expect(read(path), `${path} is stale: run \`npm run docs\` and commit the result`).toBe(
        content,
      )
    },
  )

  it('docs/openapi.json is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(openapi())
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  it('the validator refuses a broken document, so the check above can fail', async () => {
    const broken = openapi()
    broken.paths['/api/v0/executions/tasks/{id}/stream'].get.responses['200'].content = 'text'
    expect((await new Validator().validate(broken)).valid).toBe(false)
  })

  it('documents the three stream routes with the cursor, filter and format parameters', () => {
    const doc = openapi()
    expect(Object.keys(doc.paths)).toEqual([
      '/api/v0/executions/workflows/{id}/stream',
      '/api/v0/executions/agents/{id}/stream',
      '/api/v0/executions/tasks/{id}/stream',
      '/api/v0/streams',
      '/api/v0/executions/workflows',
      '/api/v0/executions/workflows/{id}/cancel',
      '/api/v0/executions/agents',
      '/api/v0/executions/agents/{id}/cancel',
      '/api/v0/executions/tasks',
      '/api/v0/executions/tasks/{id}/cancel',
    ])
    // The run routes: a POST that streams with Location, and a cancel with 202 and 404.
    const start = doc.paths['/api/v0/executions/agents'].post
    expect(Object.keys(start.responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
      '413',
      '429',
      '500',
      '503',
    ])
    expect(Object.keys(start.responses['200'].headers)).toContain('Location')
    const cancel = doc.paths['/api/v0/executions/agents/{id}/cancel'].post
    expect(Object.keys(cancel.responses)).toEqual(['202', '400', '401', '403', '404', '500', '503'])
    const params = Object.values(
      doc.components.parameters as Record<string, { name: string; in: string }>,
    )
    expect(params.map((p) => `${p.in}:${p.name}`).sort()).toEqual(
      [
        'path:id',
        'query:events',
        'query:lastEventId',
        'header:Last-Event-ID',
        'query:format',
        'query:format',
      ].sort(),
    )
    const agent = doc.paths['/api/v0/executions/agents/{id}/stream'].get
    expect(Object.keys(agent.responses)).toEqual([
      '200',
      '204',
      '400',
      '401',
      '403',
      '404',
      '429',
      '500',
      '503',
    ])
    expect(Object.keys(agent.responses['200'].content)).toEqual(['text/event-stream', 'text/plain'])
    const workflow = doc.paths['/api/v0/executions/workflows/{id}/stream'].get
    expect(Object.keys(workflow.responses['200'].content)).toEqual(['text/event-stream'])
  })

  it('describes every event of every built-in catalog, and nothing else', () => {
    for (const { name, catalog, descriptions } of CATALOGS) {
      for (const event of catalog.names)
        expect(descriptions[event], `${name}.${event}`).toBeTruthy()
      expect(Object.keys(descriptions).sort(), name).toEqual([...catalog.names].sort())
    }
  })

  it('docs/catalog.schema.json accepts every envelope a real run emits, and refuses wrong ones', async () => {
    const ajv = new Ajv2020({ strict: false })
    addFormats(ajv)
    const valid = ajv.compile(JSON.parse(read('docs/catalog.schema.json')))
    const manager = createStreamManager({ catalog: demoCatalog })
    await runSimulation({ manager, executionId: 'docs', pace: 0 })
    await runSimulation({ manager, executionId: 'docs-failing', pace: 0, fail: true })
    await manager.flush()
    const envelopes = [
      ...(await manager.store.read('workflow:docs', { limit: 10_000 })).events,
      ...(await manager.store.read('workflow:docs-failing', { limit: 10_000 })).events,
    ].map((record) => JSON.parse(record.json))
    expect(new Set(envelopes.map((e) => e.type)).size).toBeGreaterThanOrEqual(11)
    for (const envelope of envelopes)
      expect(valid(envelope), JSON.stringify(valid.errors)).toBe(true)

    const chunk = envelopes.find((e) => e.type === 'llm_chunk')
    expect(valid({ ...chunk, data: { text: 42 } })).toBe(false)
    expect(valid({ ...chunk, type: 'llm_chonk' })).toBe(false)
    expect(valid({ ...chunk, id: '01' })).toBe(false)
    expect(valid({ ...chunk, ts: 'yesterday' })).toBe(false)
  })

  it('the OpenAPI Envelope schema is the same envelope as docs/catalog.schema.json', () => {
    const fromOpenApi = openapi().components.schemas.Envelope
    const fromCatalog = JSON.parse(read('docs/catalog.schema.json'))
    expect(fromOpenApi.properties).toEqual(fromCatalog.properties)
    expect(fromOpenApi.required).toEqual(fromCatalog.required)
  })
})
