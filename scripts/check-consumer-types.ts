/**
 * Type-checks the packed package the way new projects get it: TypeScript 5.9 and 7, a
 * `"type": "module"` package and a CommonJS one, `nodenext`, `node16` and `bundler` resolution.
 *
 * - The web entries (`runstream`, `runstream/server`, `runstream/client`) are checked twice: as
 *   a browser project has them (the default libs, DOM included, and `"types": []`: no Node
 *   types at all, and the check fails if any file of `@types/node` enters the program), and as
 *   a Node server has them (`@types/node`, no DOM lib).
 * - The Node entries (`runstream/node`, `runstream/redis`, `runstream/testing`) are checked with
 *   `"types": ["node"]`, which their docs ask for: TypeScript 7 loads no `@types/*` by itself.
 *
 * In the first setting, declarations are checked too (`skipLibCheck: false`), so a type our
 * `.d.ts` files name but the consumer lacks is an error here, not a silent `any` there; errors
 * inside other packages' declarations are not counted.
 *
 * The protocol entries (`runstream/fold`, `runstream/react`, `runstream/ag-ui`,
 * `runstream/ai-sdk`) are checked with their peers installed as npm installs them, `@types/react`
 * included; `runstream/react` only in the browser setting.
 *
 * TypeScript 5.9 is checked with the repository's @types/node (Node 20), TypeScript 7 with the
 * latest, as `npm install --save-dev typescript @types/node` gives a new project today.
 *
 * One install per TypeScript version is kept outside the repository (in the system's temp
 * folder, one per checkout) and reused; npm installs from its cache when it can. The packed
 * tarball is unpacked into it on every run.
 *
 * Run after the build: `node --import tsx scripts/check-consumer-types.ts` (part of
 * `npm run check:package`). Exits 1 when a cell of the matrix fails.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { cacheDir, type PackageManifest, pack, prepareInstall } from './consumer-types/install.js'
import {
  consumerSource,
  consumerTsconfig,
  ENTRIES,
  type EntryCheck,
  type Environment,
  SETTINGS,
  type Setting,
  slug,
  TYPESCRIPT_VERSIONS,
} from './consumer-types/projects.js'

const run = promisify(execFile)

/** The outcome of one cell: a TypeScript version, a setting, an entry in an environment. */
export interface Cell {
  typescript: string
  setting: string
  specifier: string
  environment: Environment
  ok: boolean
  /** tsc's errors, or why the cell failed. */
  errors: string[]
}

interface TscResult {
  errors: string[]
  files: string[]
}

/** Runs the installed tsc on a project; returns its errors and the files of its program. */
async function tsc(installDir: string, project: string): Promise<TscResult> {
  const bin = join(installDir, 'node_modules/typescript/bin/tsc')
  const args = [bin, '-p', project, '--pretty', 'false', '--listFiles']
  const options = { cwd: installDir, maxBuffer: 64 * 1024 * 1024 }
  const output = await run(process.execPath, args, options).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  )
  const lines = output.split('\n').filter((line) => line.trim() !== '')
  const errors: string[] = []
  const files: string[] = []
  for (const line of lines) {
    if (/error TS\d+/.test(line) || !line.startsWith('/')) {
      if (line.startsWith(' ') && errors.length > 0) errors[errors.length - 1] += `\n${line}`
      else errors.push(line)
    } else files.push(line)
  }
  return { errors, files }
}

/**
 * Whether a tsc error lies in another package's declarations (the AI SDK's own `.d.ts` fail
 * `exactOptionalPropertyTypes` and name `Buffer` and `HeadersInit`, whoever imports them): a
 * project with `skipLibCheck: false` sees those with or without runstream, so they say nothing
 * about ours.
 */
const inOtherPackage = (error: string) => /^node_modules\/(?!runstream\/)/.test(error)

/** Files of @types/node in a program that must have none. */
const nodeTypesIn = (files: string[]) => files.filter((file) => file.includes('/@types/node/'))

/**
 * Type-checks every entry in every setting against the install in `installDir`; one tsc run per
 * setting and environment, and one per entry only when that run fails, to say which entry.
 */
export async function checkInstall(
  installDir: string,
  typescript: string,
  entries: EntryCheck[] = ENTRIES,
  settings: Setting[] = SETTINGS,
): Promise<Cell[]> {
  const cells: Cell[] = []
  for (const setting of settings) {
    for (const environment of ['web', 'node'] as const) {
      const group = entries.filter((entry) => entry.environments.includes(environment))
      if (group.length === 0) continue
      const project = join(installDir, `${slug(setting.label.replace(' ', '-'))}-${environment}`)
      rmSync(project, { recursive: true, force: true })
      mkdirSync(project, { recursive: true })
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ private: true, ...(setting.esm ? { type: 'module' } : {}) }),
      )
      for (const entry of group) {
        writeFileSync(
          join(project, `${slug(entry.specifier)}.ts`),
          consumerSource(entry, setting.dynamicImport),
        )
      }
      const write = (name: string, files: string[]) => {
        const config = consumerTsconfig(setting, environment, files)
        writeFileSync(join(project, name), `${JSON.stringify(config, null, 2)}\n`)
        return join(project, name)
      }
      const verdict = ({ errors, files }: TscResult): string[] => {
        const leaked = environment === 'web' ? nodeTypesIn(files) : []
        const ours = errors.filter((error) => !inOtherPackage(error))
        return leaked.length > 0
          ? [...ours, `@types/node entered a program without Node types: ${leaked[0]}`]
          : ours
      }
      const all = verdict(
        await tsc(
          installDir,
          write(
            'tsconfig.json',
            group.map((e) => `${slug(e.specifier)}.ts`),
          ),
        ),
      )
      const perEntry =
        all.length === 0
          ? group.map(() => [])
          : await Promise.all(
              group.map(async (entry) => {
                const file = `${slug(entry.specifier)}.ts`
                return verdict(
                  await tsc(installDir, write(`tsconfig.${slug(entry.specifier)}.json`, [file])),
                )
              }),
            )
      group.forEach((entry, index) => {
        const errors = perEntry[index] ?? []
        cells.push({
          typescript,
          setting: setting.label,
          specifier: entry.specifier,
          environment,
          ok: errors.length === 0,
          errors,
        })
      })
    }
  }
  return cells
}

/** A plain-text table: one row per TypeScript version and setting, one column per entry. */
export function formatMatrix(cells: Cell[]): string {
  const columns = [...new Set(cells.map((c) => `${c.specifier} (${c.environment})`))]
  const rows = [...new Set(cells.map((c) => `TS ${c.typescript}, ${c.setting}`))]
  const header = ['', ...columns]
  const body = rows.map((row) => [
    row,
    ...columns.map((column) => {
      const cell = cells.find(
        (c) =>
          `TS ${c.typescript}, ${c.setting}` === row &&
          `${c.specifier} (${c.environment})` === column,
      )
      return cell === undefined ? '' : cell.ok ? 'pass' : 'FAIL'
    }),
  ])
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i]?.length ?? 0)))
  return [header, ...body]
    .map((r) => r.map((text, i) => text.padEnd(widths[i] ?? 0)).join(' | '))
    .join('\n')
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const started = performance.now()
  const cache = cacheDir(root)
  const tarball = await pack(root, join(cache, 'pack'))
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageManifest
  const cells = (
    await Promise.all(
      Object.entries(TYPESCRIPT_VERSIONS).map(async ([label, specs]) => {
        const dir = join(cache, `ts-${label}`)
        await prepareInstall(dir, specs, tarball, manifest)
        return checkInstall(dir, label)
      }),
    )
  ).flat()
  console.log(formatMatrix(cells))
  const failed = cells.filter((cell) => !cell.ok)
  for (const cell of failed) {
    console.error(
      `\n✗ TS ${cell.typescript}, ${cell.setting}, ${cell.specifier} (${cell.environment}):`,
    )
    for (const error of cell.errors.slice(0, 8)) console.error(`  ${error}`)
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(
    `${failed.length === 0 ? '✓' : '✗'} consumer types: ${cells.length - failed.length} of ${cells.length} cells pass (${seconds} s; installs in ${cache})`,
  )
  process.exit(failed.length === 0 ? 0 : 1)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
