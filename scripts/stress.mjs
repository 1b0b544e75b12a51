// The proof that the test suite does not depend on timing: lint, typecheck and build once, then
// the whole vitest suite several times in a row (5 by default) while another process keeps one
// core busy (`node -e 'for(;;){}'`). It stops at the first failing run. The busy process is
// always killed, by its pid: after the last run, on a failure, on Ctrl-C.
//
//   npm run test:stress                      5 runs of the whole suite
//   npm run test:stress -- --runs 2          2 runs
//   npm run test:stress -- test/redis        5 runs of some test files (vitest's arguments)
//
// Each run's vitest output goes to artifacts/stress/run-<n>.log; a failing run's tail is
// printed. Exit code: 0 when every run passed, 1 at the first failure, 130 when interrupted.
import { spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const logDir = join(root, 'artifacts', 'stress')
const report = join(root, 'artifacts', 'vitest-report.json')
// vitest itself, not through npx: a signal sent to its pid then reaches vitest.
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')

const { runs, vitestArgs } = parseArguments(process.argv.slice(2))

/** Child processes that must not outlive this script, by pid. */
const children = new Set()
let busy

process.on('exit', stopAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.log(`\nstress: ${signal}, stopping`)
    stopAll()
    process.exit(130)
  })
}

await main()

async function main() {
  busy = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' })
  children.add(busy)
  busy.once('exit', () => children.delete(busy))
  console.log(`stress: a busy process (pid ${busy.pid}) keeps one core at 100% throughout`)

  const checksStarted = performance.now()
  for (const script of ['lint', 'typecheck', 'build']) {
    const { code, output } = await run('npm', ['run', '--silent', script])
    if (code !== 0) {
      process.stdout.write(output)
      console.log(`stress: npm run ${script} failed (exit ${code}); no test run`)
      return finish(1)
    }
  }
  console.log(`stress: lint, typecheck and build passed in ${seconds(checksStarted)}`)

  mkdirSync(logDir, { recursive: true })
  const times = []
  for (let n = 1; n <= runs; n++) {
    const log = join(logDir, `run-${n}.log`)
    rmSync(report, { force: true })
    const started = performance.now()
    const { code, output } = await run(process.execPath, [vitest, 'run', ...vitestArgs], log)
    const took = seconds(started)
    times.push(took)
    const counts = countsOf()
    if (code !== 0) {
      console.log(`run ${n}/${runs}: FAILED in ${took}${counts} (${relative(root, log)})`)
      process.stdout.write(tailOf(output))
      const before = times.slice(0, -1).join(', ') || 'none'
      console.log(`stress: FAILED at run ${n} of ${runs} (runs that passed before it: ${before})`)
      return finish(1)
    }
    console.log(`run ${n}/${runs}: passed in ${took}${counts} (${relative(root, log)})`)
  }
  console.log(`stress: ${runs} of ${runs} runs passed with one core busy (${times.join(', ')})`)
  return finish(0)
}

/** Runs a command in the repository, its output kept (and written to `log` when given). */
function run(command, args, log) {
  return new Promise((resolve) => {
    // A process group of its own, so that stopping it stops what it started (npm's shell,
    // biome, vitest's workers) too.
    const child = spawn(command, args, {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: plainEnv(),
    })
    children.add(child)
    const file = log === undefined ? undefined : createWriteStream(log)
    let output = ''
    const take = (chunk) => {
      output += chunk
      file?.write(chunk)
    }
    child.stdout.setEncoding('utf8').on('data', take)
    child.stderr.setEncoding('utf8').on('data', take)
    child.once('error', (error) => take(`${error.message}\n`))
    child.once('close', (code, signal) => {
      children.delete(child)
      file?.end()
      resolve({ code: code ?? (signal ? 128 : 1), output })
    })
  })
}

/** ", N passed, N failed" from vitest's JSON report, when this run wrote one. */
function countsOf() {
  try {
    const result = JSON.parse(readFileSync(report, 'utf8'))
    return `, ${result.numPassedTests} passed, ${result.numFailedTests} failed`
  } catch {
    return ''
  }
}

/** The end of a failing run's output: vitest's summary of the failures is there. */
function tailOf(output) {
  const lines = output.trimEnd().split('\n')
  const from = lines.findIndex((line) => /Failed Tests|FAIL /.test(line))
  const shown = from === -1 ? lines.slice(-60) : lines.slice(from, from + 200)
  return `${shown.join('\n')}\n`
}

function finish(code) {
  stopAll()
  process.exit(code)
}

/**
 * Kills the busy process by its pid, and every command still running by its process group (its
 * pid, negated). Safe to call again.
 */
function stopAll() {
  if (busy !== undefined && busy.exitCode === null && busy.signalCode === null) {
    try {
      process.kill(busy.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  for (const child of children) {
    if (child === busy || child.exitCode !== null || child.signalCode !== null) continue
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {
      // Already gone.
    }
  }
}

/** The environment, asking for output without colours (the logs are files). */
function plainEnv() {
  const env = { ...process.env, NO_COLOR: '1' }
  delete env.FORCE_COLOR
  return env
}

function seconds(since) {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`
}

function parseArguments(args) {
  let runs = 5
  const rest = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--runs' || arg.startsWith('--runs=')) {
      const value = arg === '--runs' ? args[++i] : arg.slice('--runs='.length)
      runs = Number(value)
      if (!Number.isInteger(runs) || runs < 1) {
        console.error(`stress: --runs wants a whole number of at least 1, got "${value}"`)
        process.exit(2)
      }
    } else {
      rest.push(arg)
    }
  }
  return { runs, vitestArgs: rest }
}
