// The architecture of src/, as data: which part may import which, where Node is allowed, where
// each optional peer is imported. Each rule says why; a change that needs a new import between
// two parts changes this file, in review, with its reason.

/** What a part of src/ may import from the other parts, and why. */
export interface Layer {
  /** The units this one may import (its own files it always may). */
  readonly may: readonly string[]
  readonly why: string
}

/**
 * The units of src/: each folder (`src/server`), each entry file (`src/server.ts`), and
 * `src/demo/page`, the demo's browser page, which is bundled apart from the Node demo server.
 * A file belongs to the longest unit that holds it. The allowed imports form no cycle (a test
 * checks it), so the units are layered: the core at the bottom, entries and edges on top.
 */
export const LAYERS: Readonly<Record<string, Layer>> = {
  // The bottom.
  'src/core': {
    may: [],
    why: 'the core (envelope, catalog, errors, manager, stores) is shared by every entry and every runtime: it knows nothing of the server, the client, Node or any integration, so that each of those can use it and the client bundle stays small',
  },

  // On the core only: what apps build on. Client and server never import each other; what they
  // share (the envelope, cursors, errors, the wire format) is in the core.
  'src/catalogs': {
    may: ['src/core'],
    why: "the built-in catalogs are defined with the core's defineCatalog, as an app defines its own",
  },
  'src/transports': {
    may: ['src/core'],
    why: "transports implement the core's Transport and run anywhere; the Node stdout one is a wrapper in src/node",
  },
  'src/client': {
    may: ['src/core'],
    why: 'the client runs in browsers under a size budget: it must not pull in the server, and shares the wire format with it through the core only',
  },
  'src/server': {
    may: ['src/core'],
    why: 'the server speaks Fetch (Request → Response) and runs in Workers, Deno and Bun: Node objects are adapted in src/node, and it never consumes streams, so it needs no client',
  },
  'src/redis': {
    may: ['src/core'],
    why: "the Redis store implements the core's EventStore; it is the only unit that imports ioredis",
  },

  // Built on the client.
  'src/fold': {
    may: ['src/core', 'src/catalogs', 'src/client'],
    why: "folding reduces the client's events of the execution catalog to a run state",
  },
  'src/react': {
    may: ['src/core', 'src/fold', 'src/client.ts'],
    why: "the hooks use the client as apps do, through its public entry (runstream/client), so the client's internals can change without them, and fold runs with foldRun",
  },

  // The Node edge: "Node objects only at the edge". Only what runs on Node imports it: its
  // entry, the CLI and the CLI's demo server.
  'src/node': {
    may: ['src/core', 'src/server', 'src/transports'],
    why: "the Node edge only adapts Node requests, responses and streams to the server's pipeline (and stdout to a transport): the flows themselves live once, in the server",
  },

  // Integrations: both sides of one protocol.
  'src/ag-ui': {
    may: ['src/core', 'src/client', 'src/server'],
    why: 'the AG-UI integration has a server side (its handler, on the server pipeline) and a browser side (RunstreamAgent, on the client)',
  },
  'src/ai-sdk': {
    may: ['src/core', 'src/client', 'src/server'],
    why: 'the AI SDK integration has a server side (its handler, on the server pipeline) and a browser side (the chat transport, on the client)',
  },

  // Tools for store and transport authors, and the CLI: apps of the library, at the top.
  'src/testing': {
    may: ['src/core', 'src/server'],
    why: "the contract suites test the core's interfaces, and the fault server writes frames with the server's own encoder",
  },
  'src/demo': {
    may: ['src/core', 'src/catalogs', 'src/server', 'src/node'],
    why: 'the demo server behind `runstream demo` is a Node app built as an app would build it',
  },
  'src/demo/page': {
    may: ['src/core', 'src/client', 'src/demo'],
    why: "the demo's browser page runs on the client and shares the demo's catalog and script (which therefore must stay free of Node, as the web-entry test checks)",
  },
  'src/cli': {
    may: [
      'src/core',
      'src/catalogs',
      'src/client',
      'src/server',
      'src/node',
      'src/demo',
      'src/redis.ts',
    ],
    why: 'the CLI is the outermost app: it serves (node), tails (client) and runs the demo; it loads runstream/redis with import() only for --redis, so ioredis is needed only then',
  },

  // Entries: each re-exports its folder (and the core types its API names); nothing in a folder
  // imports an entry, except the two consumers of a public API named above.
  'src/index.ts': {
    may: ['src/core', 'src/catalogs', 'src/transports'],
    why: 'runstream is the core, the built-in catalogs and the runtime-neutral transports',
  },
  'src/client.ts': { may: ['src/client', 'src/core'], why: 'runstream/client' },
  'src/server.ts': { may: ['src/server', 'src/core'], why: 'runstream/server' },
  'src/fold.ts': { may: ['src/fold', 'src/core'], why: 'runstream/fold' },
  'src/react.ts': { may: ['src/react', 'src/core'], why: 'runstream/react' },
  'src/node.ts': {
    may: ['src/node', 'src/server', 'src/core'],
    why: "runstream/node names the server's option types",
  },
  'src/redis.ts': { may: ['src/redis', 'src/core'], why: 'runstream/redis' },
  'src/testing.ts': { may: ['src/testing', 'src/core'], why: 'runstream/testing' },
  'src/ag-ui.ts': {
    may: ['src/ag-ui', 'src/server', 'src/core'],
    why: "runstream/ag-ui names the server's option types",
  },
  'src/ai-sdk.ts': {
    may: ['src/ai-sdk', 'src/server', 'src/core'],
    why: "runstream/ai-sdk names the server's option types",
  },
  'src/cli.ts': { may: ['src/cli'], why: 'the runstream bin' },
}

/**
 * The units that may import Node builtins (`node:*`, or a bare `fs`): they run only on Node.
 * Everything else also runs in browsers, Workers, Deno and Bun. The style guide's "only
 * runstream/node touches node:*" is meant for the library that apps import; the CLI (a bin), its
 * demo server and runstream/testing (for authors' test suites) are Node programs too.
 */
export const NODE_UNITS: readonly string[] = [
  'src/node',
  'src/cli',
  'src/cli.ts',
  'src/demo',
  'src/testing',
]

/**
 * Packages that only run on Node, besides the builtins: no file that a web entry reaches may
 * import one.
 */
export const NODE_ONLY_PACKAGES: readonly string[] = ['ioredis']

/**
 * The entries that never reach Node: those scripts/check-bundle.mjs checks on the built files
 * (the list is taken from there), and the demo page, which the build bundles for the browser.
 */
export const EXTRA_WEB_ENTRIES: readonly string[] = ['src/demo/page/app.ts']

/** The entries that may reach Node: the other entries must be web entries. */
export const NODE_ENTRIES: readonly string[] = [
  'src/node.ts',
  'src/redis.ts',
  'src/testing.ts',
  'src/cli.ts',
]

/**
 * The units that may import each optional peer dependency. An app that does not use React, Redis,
 * AG-UI or the AI SDK does not install them, so importing one anywhere else breaks its import of
 * runstream. `@opentelemetry/api` is imported nowhere in src/: only the copy-me example in
 * examples/opentelemetry uses it.
 */
export const OPTIONAL_PEER_HOMES: Readonly<Record<string, readonly string[]>> = {
  react: ['src/react'],
  ioredis: ['src/redis'],
  '@ag-ui/client': ['src/ag-ui'],
  '@ag-ui/core': ['src/ag-ui'],
  rxjs: ['src/ag-ui'],
  ai: ['src/ai-sdk'],
  '@opentelemetry/api': [],
}

/**
 * How the core may import zod: only `zod/v4/core`, as the zod guide for library authors says,
 * so that it takes schemas of zod 4 and zod/mini alike (`$ZodType`) and validates them with
 * `safeParse` without pulling in either API.
 */
export const CORE_ZOD_IMPORTS: readonly string[] = ['zod/v4/core']

/** The `import()` calls whose specifier is computed, so the graph cannot follow them, and why. */
export const COMPUTED_IMPORTS: Readonly<Record<string, string>> = {
  'src/demo/assets.ts':
    'esbuild, named in a variable so that tsup does not bundle it: only `npm run demo` from source needs it',
}
