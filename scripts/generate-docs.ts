/**
 * Writes the generated docs: `docs/catalog-reference.md` and the JSON Schemas of envelopes
 * (`docs/catalog.schema.json` for the execution and orchestration catalogs, one
 * `docs/catalog-<name>.schema.json` for each other built-in catalog) from the built-in catalogs'
 * zod schemas, and the OpenAPI documents of the handlers: `docs/openapi.json`
 * (the execution routes), `docs/openapi-ag-ui.json` and `docs/openapi-ai-sdk.json`.
 * Run it with `npm run docs` after changing a catalog or a route; `--check` only reports (exit 1)
 * whether the files are out of date. test/docs/generated.test.ts fails while they are.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { catalogReferenceMarkdown } from './docs/catalog-reference.js'
import { catalogJsonSchema, schemaFiles } from './docs/catalog-schema.js'
import { openApiDocument } from './docs/openapi.js'
import { agUiOpenApiDocument } from './docs/openapi-ag-ui.js'
import { aiSdkOpenApiDocument } from './docs/openapi-ai-sdk.js'

/** Every generated file: its path from the repository root, and its content. */
export function generatedDocs(): { path: string; content: string }[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`
  return [
    { path: 'docs/catalog-reference.md', content: catalogReferenceMarkdown() },
    ...schemaFiles().map((file) => ({
      path: `docs/${file}`,
      content: json(catalogJsonSchema(file)),
    })),
    { path: 'docs/openapi.json', content: json(openApiDocument(pkg.version)) },
    { path: 'docs/openapi-ag-ui.json', content: json(agUiOpenApiDocument(pkg.version)) },
    { path: 'docs/openapi-ai-sdk.json', content: json(aiSdkOpenApiDocument(pkg.version)) },
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check')
  let stale = 0
  for (const { path, content } of generatedDocs()) {
    const file = new URL(`../${path}`, import.meta.url)
    let current: string | undefined
    try {
      current = readFileSync(file, 'utf8')
    } catch {
      current = undefined
    }
    if (current === content) continue
    stale++
    if (check) console.error(`${path} is out of date: run \`npm run docs\`.`)
    else {
      writeFileSync(file, content)
      console.log(`wrote ${path}`)
    }
  }
  if (check && stale > 0) process.exitCode = 1
  if (!check && stale === 0) console.log('docs are up to date')
}
