/**
 * Fails when a public symbol (anything an entry point exports) has no TSDoc comment.
 * Run: node --import tsx scripts/check-tsdoc.ts (part of `npm test`).
 */
import ts from 'typescript'

const entries = [
  'index',
  'server',
  'client',
  'fold',
  'react',
  'node',
  'redis',
  'testing',
  'ag-ui',
  'ai-sdk',
].map((name) => `src/${name}.ts`)
const program = ts.createProgram(entries, {
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  types: ['node'],
  skipLibCheck: true,
})
const checker = program.getTypeChecker()
const undocumented: string[] = []
let count = 0
for (const entry of entries) {
  const file = program.getSourceFile(entry)
  const module = file && checker.getSymbolAtLocation(file)
  if (module === undefined) throw new Error(`check-tsdoc: cannot read ${entry}`)
  for (const exported of checker.getExportsOfModule(module)) {
    count++
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim()
    if (text === '') undocumented.push(`${entry}: ${exported.getName()}`)
  }
}
if (undocumented.length > 0) {
  console.error(`check-tsdoc: ${undocumented.length} public symbol(s) without TSDoc:`)
  for (const line of undocumented) console.error(`  ${line}`)
  process.exit(1)
}
console.log(`check-tsdoc: all ${count} public symbols of ${entries.length} entries are documented`)
