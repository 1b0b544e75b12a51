/**
 * The consumer projects of scripts/check-consumer-types.ts: which TypeScript versions, which
 * project setups, and for each entry of the package a small file that uses it.
 */

/**
 * The TypeScript versions a consumer may have, by label, as the npm specs of what its project
 * installs besides runstream, its dependencies and its peers.
 */
export const TYPESCRIPT_VERSIONS: Record<string, string[]> = {
  // The repository's own compiler, with its @types/node (Node 20, the engines' floor).
  '5.9': ['typescript@~5.9.0'],
  // What `npm install --save-dev typescript @types/node` gives a new project today.
  '7': ['typescript@^7.0.0', '@types/node@latest'],
}

/** Which types a consumer project has. */
export type Environment = 'web' | 'node'

/** One entry of the package and a small consumer of it. */
export interface EntryCheck {
  /** The import specifier. */
  specifier: string
  /** The environments it must type-check in. */
  environments: Environment[]
  /** The names it imports. */
  names: string[]
  /** Statements that use them; `// @ts-expect-error` lines prove the types are not `any`. */
  body: string
}

/** How a consumer project is set up. */
export interface Setting {
  /** A short label for the report. */
  label: string
  /** Whether its package.json says `"type": "module"`. */
  esm: boolean
  /** Its `module` and `moduleResolution`. */
  module: string
  moduleResolution: string
  /** Whether it imports with `await import()` (CommonJS under node16 cannot `require` ESM). */
  dynamicImport: boolean
  /**
   * Whether declaration files are checked too (`skipLibCheck: false`): then a type our `.d.ts`
   * files name but the project lacks is an error, not a silent `any`. It checks zod's and
   * Node's declarations as well, which costs TypeScript 5.9 seconds, so one setting does it.
   */
  libCheck: boolean
}

/** Web entries first: they must work without Node types. */
export const ENTRIES: EntryCheck[] = [
  {
    specifier: 'runstream',
    environments: ['web', 'node'],
    names: ['createStreamManager', 'defineCatalog', 'executionCatalog', 'isRunstreamError'],
    body: `
const catalog = defineCatalog({ progress: z.object({ pct: z.number() }) })
const stream = createStreamManager({ catalog }).stream('job:1')
stream.emit('progress', { pct: 40 })
// @ts-expect-error: pct is a number
stream.emit('progress', { pct: '40' })
const manager = createStreamManager({ catalog: executionCatalog })
manager.stream('workflow:exec_1').emit('llm_chunk', { text: 'hello' })
// @ts-expect-error: not an event of the catalog
manager.stream('workflow:exec_1').emit('llm_chunkk', { text: 'hello' })
const closed: Promise<void> = manager.close()
const known: boolean = isRunstreamError(new Error('x'))
export { closed, known }
`,
  },
  {
    specifier: 'runstream/server',
    environments: ['web', 'node'],
    names: ['createFetchHandler', 'createStreamManager', 'executionCatalog'],
    body: `
const handler = createFetchHandler(createStreamManager({ catalog: executionCatalog }))
const response: Promise<Response> = handler(new Request('http://localhost/'))
// @ts-expect-error: a Request, not a string
handler('http://localhost/')
export { response }
`,
  },
  {
    specifier: 'runstream/client',
    environments: ['web', 'node'],
    names: ['createStreamClient', 'connect', 'executionCatalog'],
    body: `
const client = createStreamClient({
  baseUrl: 'http://localhost:3000',
  catalog: executionCatalog,
  headers: { authorization: 'Bearer x' },
})
async function watch(): Promise<string> {
  let text = ''
  for await (const event of client.workflow('exec_1')) {
    if (event.type === 'llm_chunk') text += event.data.text
    // @ts-expect-error: llm_chunk data has no status
    if (event.type === 'llm_chunk') text += event.data.status
  }
  return text
}
const subscription = connect('http://localhost:3000/stream', { method: 'POST', body: '{}' })
export { watch, subscription }
`,
  },
  {
    specifier: 'runstream/fold',
    environments: ['web', 'node'],
    names: ['foldRun', 'initialRunState'],
    body: `
const state = foldRun(initialRunState, {
  type: 'workflow_start',
  data: { workflow_id: 'wf', execution_id: 'exec_1' },
})
const status: string = state.status
// @ts-expect-error: a run state has no such field
state.nope
export { status }
`,
  },
  {
    specifier: 'runstream/react',
    environments: ['web'],
    names: ['useRun', 'useStream', 'RunstreamProvider'],
    body: `
function RunView(): string {
  const { run, readyState } = useRun('workflow', 'exec_1')
  const { events } = useStream('/api/v0/executions/workflows/exec_1/stream')
  // @ts-expect-error: useRun takes an execution kind
  useRun('nope', 'exec_1')
  return \`\${run.status} \${readyState} \${events.length}\`
}
export { RunView, RunstreamProvider }
`,
  },
  {
    specifier: 'runstream/ag-ui',
    environments: ['web', 'node'],
    names: ['createAgUiHandler', 'agUiCatalog', 'RunstreamAgent', 'createStreamManager'],
    body: `
const manager = createStreamManager({ catalog: agUiCatalog })
const handler = createAgUiHandler(manager, {
  async *run(input) {
    yield { type: 'RUN_STARTED', threadId: input.threadId, runId: input.runId }
    yield { type: 'RUN_FINISHED', threadId: input.threadId, runId: input.runId }
  },
})
const answer: Promise<Response> = handler(new Request('http://localhost/agent'))
const agent = new RunstreamAgent({ url: 'http://localhost/agent' })
// @ts-expect-error: the agent's url is a string
new RunstreamAgent({ url: 42 })
export { answer, agent }
`,
  },
  {
    specifier: 'runstream/ai-sdk',
    environments: ['web', 'node'],
    names: [
      'createChatHandler',
      'uiMessageCatalog',
      'ResumableChatTransport',
      'createStreamManager',
    ],
    body: `
const manager = createStreamManager({ catalog: uiMessageCatalog })
const handler = createChatHandler(manager, {
  async *run() {
    yield { type: 'start' }
    yield { type: 'finish' }
  },
})
const answer: Promise<Response> = handler(new Request('http://localhost/api/chat'))
const transport = new ResumableChatTransport({ api: '/api/chat' })
transport.close()
// @ts-expect-error: api is a string
new ResumableChatTransport({ api: 42 })
export { answer, transport }
`,
  },
  {
    specifier: 'runstream/node',
    environments: ['node'],
    names: ['createNodeHandler', 'stdoutTransport', 'createStreamManager', 'executionCatalog'],
    body: `
const manager = createStreamManager({ catalog: executionCatalog, transports: [stdoutTransport()] })
const handler = createNodeHandler(manager)
http.createServer(handler)
// @ts-expect-error: a Node handler takes (req, res)
handler(new Request('http://localhost/'))
export { handler }
`,
  },
  {
    specifier: 'runstream/redis',
    environments: ['node'],
    names: ['redisStore', 'createStreamManager', 'executionCatalog'],
    body: `
const store = redisStore({ url: 'redis://127.0.0.1:6379' })
const manager = createStreamManager({ catalog: executionCatalog, store })
// @ts-expect-error: url is a string
redisStore({ url: 6379 })
export { manager }
`,
  },
  {
    specifier: 'runstream/testing',
    environments: ['node'],
    names: ['createFaultProxy', 'createFaultServer'],
    body: `
async function proxy(): Promise<string> {
  const faults = await createFaultProxy({ target: 3000, chunkBytes: 7 })
  faults.cutAll()
  // @ts-expect-error: no such method
  faults.explode()
  return faults.url
}
export { proxy, createFaultServer }
`,
  },
]

/** The consumer projects' setups. */
export const SETTINGS: Setting[] = [
  {
    label: 'esm nodenext',
    esm: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    dynamicImport: false,
    libCheck: true,
  },
  {
    label: 'cjs nodenext',
    esm: false,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    dynamicImport: false,
    libCheck: false,
  },
  {
    label: 'cjs node16',
    esm: false,
    module: 'node16',
    moduleResolution: 'node16',
    dynamicImport: true,
    libCheck: false,
  },
  {
    label: 'bundler',
    esm: false,
    module: 'esnext',
    moduleResolution: 'bundler',
    dynamicImport: false,
    libCheck: false,
  },
]

/** A file-name-safe form of a specifier. */
export const slug = (specifier: string) => specifier.replace('/', '-')

/** Writes a consumer file for `entry`: static imports, or `await import()` in a function. */
export function consumerSource(entry: EntryCheck, dynamicImport: boolean): string {
  const needsHttp = entry.body.includes('http.createServer')
  const names = entry.names
  const core = ['createStreamManager', 'defineCatalog', 'executionCatalog', 'isRunstreamError']
  const fromEntry =
    entry.specifier === 'runstream' ? names : names.filter((name) => !core.includes(name))
  const fromCore =
    entry.specifier === 'runstream' ? [] : names.filter((name) => core.includes(name))
  const imports: [string, string[]][] = [[entry.specifier, fromEntry]]
  if (fromCore.length > 0) imports.push(['runstream', fromCore])
  if (entry.body.includes('z.')) imports.push(['zod', ['z']])
  if (needsHttp) imports.push(['node:http', ['default as http']])
  if (!dynamicImport) {
    const lines = imports.map(([from, list]) => {
      const [first] = list
      if (list.length === 1 && first?.startsWith('default as '))
        return `import ${first.slice('default as '.length)} from '${from}'`
      return `import { ${list.join(', ')} } from '${from}'`
    })
    return `${lines.join('\n')}\n${entry.body}`
  }
  // CommonJS under node16 cannot require an ES module: it imports the package dynamically.
  const lines = imports.map(([from, list]) => {
    const bindings = list.map((name) => name.replace('default as ', 'default: '))
    return `  const { ${bindings.join(', ')} } = await import('${from}')`
  })
  const body = entry.body
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('export '))
    .map((line) => `  ${line}`)
    .join('\n')
  return `export async function main(): Promise<void> {\n${lines.join('\n')}\n${body}\n}\n`
}

/** The tsconfig of a consumer project: close to what `tsc --init` writes today. */
export function consumerTsconfig(setting: Setting, environment: Environment, files: string[]) {
  return {
    compilerOptions: {
      module: setting.module,
      moduleResolution: setting.moduleResolution,
      target: 'es2022',
      // A browser project keeps the default libs (DOM included) and no Node types; a Node
      // server names @types/node and no DOM.
      ...(environment === 'web' ? { types: [] } : { types: ['node'], lib: ['es2022'] }),
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      // A CommonJS project writes `import` and lets tsc turn it into `require`.
      verbatimModuleSyntax: setting.esm || setting.moduleResolution === 'bundler',
      isolatedModules: true,
      moduleDetection: 'force',
      skipLibCheck: !setting.libCheck,
      noEmit: true,
    },
    files,
  }
}
