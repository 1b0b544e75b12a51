// Proves `require('runstream')` works on Node 20.19+ (require of an ES module), for every subpath.
// Run after the build: node scripts/check-require.cjs
const expected = {
  runstream: [
    'createStreamManager',
    'defineCatalog',
    'executionCatalog',
    'orchestrationCatalog',
    'memoryStore',
  ],
  'runstream/server': ['createFetchHandler'],
  'runstream/node': ['stdoutTransport', 'createNodeHandler'],
  'runstream/client': ['connect', 'createStreamClient'],
  'runstream/fold': ['foldRun', 'initialRunState'],
  'runstream/react': ['useStream', 'useRun', 'RunstreamProvider'],
  'runstream/redis': ['redisStore'],
  'runstream/ag-ui': ['agUiCatalog', 'RunstreamAgent'],
  'runstream/ai-sdk': ['uiMessageCatalog', 'defineUiMessageCatalog', 'ResumableChatTransport'],
}
let failed = false
for (const [specifier, names] of Object.entries(expected)) {
  let mod
  try {
    mod = require(specifier)
  } catch (error) {
    console.error(`require('${specifier}') failed: ${error.message}`)
    failed = true
    continue
  }
  const missing = names.filter(
    (name) => typeof mod[name] !== 'function' && typeof mod[name] !== 'object',
  )
  if (missing.length > 0) {
    console.error(`require('${specifier}') lacks: ${missing.join(', ')}`)
    failed = true
  } else {
    console.log(`require('${specifier}'): ok (${Object.keys(mod).length} exports)`)
  }
}
process.exit(failed ? 1 : 0)
