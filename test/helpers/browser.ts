import { execFileSync } from 'node:child_process'
import type { RequestListener } from 'node:http'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium, type Page } from 'playwright-core'
import { startServer, type TestServer } from './http.js'

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
 * Opens `url` in a new page of `browser`, collecting what the page throws into `pageErrors` (a
 * live array: a test expects it empty at the end).
 */
export async function openPage(
  browser: Browser,
  url: string,
): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await browser.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(String(error)))
  await page.goto(url)
  return { page, pageErrors }
}

/**
 * Opens `url` in a Chromium of its own and runs `use` on the page, with the errors the page has
 * thrown so far (see {@link openPage}); the browser is closed whatever `use` does.
 */
export async function withPage(
  url: string,
  use: (page: Page, pageErrors: string[]) => Promise<void>,
): Promise<void> {
  const browser = await launchChromium()
  try {
    const { page, pageErrors } = await openPage(browser, url)
    await use(page, pageErrors)
  } finally {
    await browser.close()
  }
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

/** The server of a browser test: its page, the page's script, and the API the page calls. */
export interface PageServer extends TestServer {
  /** Destroys the sockets that carried API requests: a server-side drop of the page's streams. */
  dropApi(): void
}

/**
 * Starts the server of a browser test on 127.0.0.1, port 0: `/` answers `html`, `/page.js`
 * answers `script`, a path under `/api/` goes to `api`, and anything else is a 404.
 */
export async function startPageServer(
  html: string,
  script: string,
  api: RequestListener,
): Promise<PageServer> {
  const apiSockets = new Set<Socket>()
  const server = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string
    if (path.startsWith('/api/')) {
      apiSockets.add(req.socket)
      req.socket.once('close', () => apiSockets.delete(req.socket))
      api(req, res)
    } else if (path === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html)
    else if (path === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    } else res.writeHead(404).end()
  })
  return Object.assign(server, {
    dropApi() {
      for (const socket of apiSockets) socket.destroy()
    },
  })
}
