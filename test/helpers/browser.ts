import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'

/**
 * Debian's chromium, found once for every browser test. Without it the browser tests are
 * skipped with a warning on a developer's machine, and fail in CI (`CI=true`), which installs it:
 * a browser test that silently never runs proves nothing.
 */
export const chromiumPath: string | undefined = findChromium()

function findChromium(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined
    )
  } catch {
    return undefined
  }
}

/** Call at the top of a browser test file: warns (or, in CI, throws) when chromium is missing. */
export function requireChromium(what: string): void {
  if (chromiumPath !== undefined) return
  const message = `${what}: \`chromium\` is not installed (apt-get install chromium)`
  if (process.env.CI) throw new Error(`${message}; CI must run the browser tests.`)
  console.warn(`${message}; skipped.`)
}

/** Launches headless Chromium with the flags this machine needs (no sandbox as root, no network). */
export function launchChromium(): Promise<Browser> {
  if (chromiumPath === undefined) throw new Error('launchChromium: chromium is not installed.')
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}

/**
 * Bundles a test page's script (`.ts` or `.tsx`, React's automatic JSX) into one ES module for
 * Chromium, in memory. `nodeEnv` sets `process.env.NODE_ENV` for libraries that read it (React).
 */
export async function bundlePage(
  entry: URL,
  nodeEnv?: 'development' | 'production',
): Promise<string> {
  const built = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    ...(nodeEnv === undefined
      ? {}
      : { define: { 'process.env.NODE_ENV': JSON.stringify(nodeEnv) } }),
    logLevel: 'warning',
  })
  return built.outputFiles[0]?.text ?? ''
}
