/**
 * The benchmark suite: runstream against its peers, every case in a fresh process, one after
 * the other, on the same machine in the same run.
 *
 *   npm run bench                 the full suite (a few minutes): writes bench/results.json,
 *                                 docs/benchmarks.md and docs/benchmarks.svg
 *   npm run bench -- --quick      about 30 s, smaller sizes: proves the suite runs (CI); writes
 *                                 under artifacts/bench/ and leaves the checked-in page alone
 *   npm run bench -- --only emit,latency
 *                                 some cases (also written under artifacts/bench/)
 *   npm run bench -- --render     renders the page again from bench/results.json
 *
 * Goals are reported, never asserted: the exit code is non-zero only when a case crashed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { next, processGroup } from './lib/processes.js'
import {
  allGoals,
  type Environment,
  renderChart,
  renderMarkdown,
  type SuiteResults,
} from './lib/report.js'
import {
  adaptersSection,
  type CaseName,
  consumeSection,
  emitSection,
  fanoutSections,
  framingSection,
  latencySection,
  redisSection,
  type Section,
  slowSection,
  storeSection,
} from './lib/summary.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

interface CaseSpec {
  name: CaseName
  /** Options of the case's `run()` in a full and in a quick run. */
  full: object
  quick: object
  /** Turns the raw result into the report's sections. */
  sections(result: never): Section[]
}

const CASES: readonly CaseSpec[] = [
  {
    name: 'emit',
    full: { events: 200_000, rounds: 7 },
    quick: { events: 30_000, rounds: 3 },
    sections: (r) => [emitSection(r)],
  },
  {
    name: 'fanout',
    full: { clients: 1000, events: 1000, rounds: 4 },
    quick: { clients: 200, events: 200, rounds: 1, settleClients: 200, moreClients: 200 },
    sections: (r) => fanoutSections(r),
  },
  {
    name: 'consume',
    full: { events: 100_000, rounds: 5 },
    quick: { events: 10_000, rounds: 2 },
    sections: (r) => [consumeSection(r)],
  },
  {
    name: 'latency',
    // 15 s rounds: a p99 of 5 s is the 50th slowest of 5,000 samples, a few stalls of the
    // machine, and its rounds swung from 0.3× to 2.9× raw in one sitting.
    full: { seconds: 15, rate: 1000, rounds: 3 },
    quick: { seconds: 1, rate: 1000, warmupSeconds: 0.2, rounds: 1 },
    sections: (r) => [latencySection(r)],
  },
  {
    name: 'slow',
    full: { events: 100_000, stalled: 100 },
    quick: { events: 10_000, stalled: 100, memoryCapBytes: 256 * 1_048_576, timeLimitMs: 3000 },
    sections: (r) => [slowSection(r)],
  },
  {
    name: 'redis',
    full: {},
    quick: { events: 5000, seconds: 1, rounds: 2 },
    sections: (r) => [redisSection(r)],
  },
  {
    name: 'framing',
    full: {},
    quick: {},
    sections: (r) => [framingSection(r)],
  },
  {
    name: 'adapters',
    full: { events: 100_000, rounds: 5 },
    quick: { events: 10_000, rounds: 2 },
    sections: (r) => [adaptersSection(r)],
  },
  {
    name: 'store',
    full: { events: 200_000, streams: 10_000, newStreams: 5000, rounds: 3 },
    quick: { events: 30_000, streams: 10_000, newStreams: 2000, maxBytes: 16_777_216, rounds: 1 },
    sections: (r) => [storeSection(r)],
  },
]

/** How long one case may take before it counts as crashed. */
const CASE_TIMEOUT_MS = { full: 360_000, quick: 60_000 }

const PEERS = [
  'better-sse',
  'eventsource-parser',
  '@microsoft/fetch-event-source',
  'eventsource',
  'zod',
  'ioredis',
  'ai',
  '@ag-ui/encoder',
]

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  if (args.includes('--render')) {
    const file = join(root, 'bench/results.json')
    const saved = JSON.parse(
      await readFile(file, 'utf8').catch(() => {
        throw new Error('--render: no bench/results.json yet; run `npm run bench` first.')
      }),
    ) as SuiteResults
    // The sections are made again from the raw results, so a change to the page's wording shows.
    const sections = CASES.flatMap((spec) =>
      saved.raw[spec.name] === undefined ? [] : spec.sections(saved.raw[spec.name] as never),
    )
    const page = await writeReport({ ...saved, sections }, join(root, 'docs'), 'bench/results.json')
    console.log(`rendered ${relative(root, page)} from bench/results.json`)
    return
  }
  const quick = args.includes('--quick')
  const onlyAt = args.indexOf('--only')
  const only = onlyAt === -1 ? undefined : new Set(args[onlyAt + 1]?.split(','))
  const unknown = [...(only ?? [])].filter((name) => !CASES.some((c) => c.name === name))
  if (unknown.length > 0) {
    throw new TypeError(
      `--only: unknown case(s) ${unknown.join(', ')}; use ${CASES.map((c) => c.name).join(', ')}`,
    )
  }
  const selected = CASES.filter((c) => only === undefined || only.has(c.name))
  const mode = quick ? 'quick' : 'full'
  // Only a full run of every case may stand for the checked-in page.
  const official = !quick && only === undefined

  const started = performance.now()
  const loadBefore = loadavg()[0] ?? 0
  console.log(
    `runstream benchmarks: ${mode} run of ${selected.map((c) => c.name).join(', ')} — Node ${process.version}, ${availableParallelism()} cores, load ${loadBefore.toFixed(2)}`,
  )
  const raw: Record<string, unknown> = {}
  const sections: Section[] = []
  const failures: SuiteResults['failures'] = []
  for (const [index, spec] of selected.entries()) {
    console.log(`\n== ${index + 1}/${selected.length} ${spec.name}`)
    const caseStarted = performance.now()
    try {
      const result = await runCase(spec.name, quick ? spec.quick : spec.full, CASE_TIMEOUT_MS[mode])
      raw[spec.name] = result
      sections.push(...spec.sections(result as never))
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      console.error(`!! ${spec.name} failed: ${message}`)
      failures.push({ case: spec.name, error: message })
    }
    console.log(`   (${((performance.now() - caseStarted) / 1000).toFixed(1)} s)`)
  }

  const environment: Environment = {
    date: new Date().toISOString(),
    mode,
    durationSeconds: (performance.now() - started) / 1000,
    node: process.version,
    platform: `${type()} ${release()} ${process.arch}`,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    load: { before: loadBefore, after: loadavg()[0] ?? 0 },
    versions: await versions(),
    redis: (raw.redis as { redis?: string } | undefined)?.redis ?? null,
  }
  const results: SuiteResults = { environment, sections, raw, failures }
  const out = official ? join(root, 'bench') : join(root, 'artifacts/bench')
  await mkdir(out, { recursive: true })
  const file = join(out, 'results.json')
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
  const page = await writeReport(results, official ? join(root, 'docs') : out, relative(root, file))

  printGoals(results)
  console.log(
    `\nwrote ${relative(root, file)} and ${relative(root, page)} in ${environment.durationSeconds.toFixed(0)} s`,
  )
  if (failures.length > 0) {
    console.error(`${failures.length} case(s) crashed: ${failures.map((f) => f.case).join(', ')}`)
    process.exitCode = 1
  }
}

/** Runs one case in a fresh process and returns its result. */
async function runCase(name: CaseName, options: object, timeoutMs: number): Promise<unknown> {
  const group = processGroup()
  try {
    const child = group.spawn('case.ts')
    const result = next<{ result: unknown }>(child, 'result', timeoutMs)
    child.send({ type: 'run', name, options })
    return (await result).result
  } finally {
    await group.stopAll()
  }
}

/** Writes the page and its chart into `dir`; returns the page's path. */
async function writeReport(results: SuiteResults, dir: string, source: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const page = join(dir, 'benchmarks.md')
  await writeFile(join(dir, 'benchmarks.svg'), renderChart(results))
  await writeFile(page, renderMarkdown(results, 'benchmarks.svg', source))
  return page
}

async function versions(): Promise<Record<string, string>> {
  const read = async (file: string) =>
    (JSON.parse(await readFile(join(root, file), 'utf8')) as { version: string }).version
  const result: Record<string, string> = { runstream: await read('package.json') }
  for (const name of PEERS) {
    result[name] = await read(`node_modules/${name}/package.json`).catch(() => 'not installed')
  }
  return result
}

function printGoals(results: SuiteResults): void {
  const goals = allGoals(results)
  console.log(`\n== goals: ${goals.filter((g) => g.met).length} of ${goals.length} met`)
  for (const goal of goals) {
    console.log(
      `${goal.met ? ' met   ' : ' MISSED'}  ${goal.label.replaceAll('`', '').padEnd(56)} ${goal.measured.padStart(12)}  (goal ${goal.goal})`,
    )
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
