import { readdirSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import ts from 'typescript'

// The imports of runstream's sources, read with the TypeScript parser: a regex misses imports
// written over several lines, `export … from`, `import()` and `import('x').T` types, and finds
// imports inside comments and strings (TSDoc examples are full of `import … from 'runstream'`).

/** One import of a source file, as written. */
export interface Import {
  /** The importing file, relative to the repository: `src/server/run-start.ts`. */
  readonly from: string
  /** The specifier as written (`./json-body.js`, `node:http`), or the expression of an `import()` that is not a string. */
  readonly specifier: string
  /** The source file a relative specifier names; `undefined` for a package or a name that names nothing. */
  readonly to: string | undefined
  /** 1-based, for the messages. */
  readonly line: number
  /**
   * `import type …`, `export type … from`, or an `import('x').T` type: gone from the emitted
   * JavaScript. `import { type A } from` is not: with `verbatimModuleSyntax` it stays as
   * `import {} from`, which still loads the module.
   */
  readonly typeOnly: boolean
  /** `import(…)`, evaluated when called. */
  readonly dynamic: boolean
  /** Whether the specifier is a string literal; an `import(name)` is not, and cannot be followed. */
  readonly literal: boolean
}

/** The files of a source tree and every import they make. */
export interface ImportGraph {
  readonly files: readonly string[]
  readonly imports: readonly Import[]
  /** The imports of a file, in source order. */
  importsOf(file: string): readonly Import[]
}

/** Whether `specifier` names a file (`./x.js`, `../core/y.js`) rather than a package. */
export function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../')
}

/**
 * Every `.ts`/`.tsx` file under `dir` (relative to `root`), keyed by its path relative to `root`
 * with `/` separators, in a stable order.
 */
export function readSources(root: string, dir = 'src'): Map<string, string> {
  const sources = new Map<string, string>()
  const walk = (relative: string): void => {
    const entries = readdirSync(join(root, relative), { withFileTypes: true })
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = posix.join(relative, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        sources.set(path, readFileSync(join(root, path), 'utf8'))
      }
    }
  }
  walk(dir)
  return sources
}

/** Parses every source and resolves its relative imports against the other sources. */
export function importGraph(sources: ReadonlyMap<string, string>): ImportGraph {
  const imports: Import[] = []
  const byFile = new Map<string, Import[]>()
  for (const [file, text] of sources) {
    const found = importsIn(file, text, sources)
    byFile.set(file, found)
    imports.push(...found)
  }
  return {
    files: [...sources.keys()],
    imports,
    importsOf: (file) => byFile.get(file) ?? [],
  }
}

function importsIn(file: string, text: string, sources: ReadonlyMap<string, string>): Import[] {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind)
  const found: Import[] = []
  const add = (node: ts.Node, specifier: ts.Expression, typeOnly: boolean, dynamic: boolean) => {
    const literal = ts.isStringLiteralLike(specifier)
    const written = literal ? specifier.text : specifier.getText(source)
    found.push({
      from: file,
      specifier: written,
      to: literal && isRelative(written) ? resolve(file, written, sources) : undefined,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
      typeOnly,
      dynamic,
      literal,
    })
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.importClause?.isTypeOnly === true, false)
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      add(node, node.moduleSpecifier, node.isTypeOnly, false)
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      add(node, node.moduleReference.expression, node.isTypeOnly, false)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [specifier] = node.arguments
      if (specifier !== undefined) add(node, specifier, false, true)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, true, false)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

// As the bundler resolution of tsconfig.json does for our sources: `./x.js` is `./x.ts`.
function resolve(
  file: string,
  specifier: string,
  sources: ReadonlyMap<string, string>,
): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(file), specifier))
  const stem = base.replace(/\.(js|jsx|ts|tsx)$/, '')
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${base}/index.ts`, `${base}/index.tsx`]
  return candidates.find((candidate) => sources.has(candidate))
}
