/**
 * Serves a React page that shows a run with `useRun` (App.tsx, bundled with esbuild) next to the
 * stream routes, with a run to watch.
 * Run it: `npx tsx examples/react-run/serve.ts`, then open http://localhost:3000.
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import { createStreamManager, executionCatalog } from 'runstream'
import { createNodeHandler } from 'runstream/node'
import { playFakeRun } from '../shared/fake-run.js'

const here = (file: string) => new URL(file, import.meta.url)
const html = await readFile(here('index.html'), 'utf8')
const bundle = await build({
  entryPoints: [here('main.tsx').pathname],
  bundle: true,
  write: false,
  format: 'esm',
  jsx: 'automatic',
  minify: true,
  define: { 'process.env.NODE_ENV': '"production"' },
})
const script = bundle.outputFiles[0]?.text ?? ''

const manager = createStreamManager({ catalog: executionCatalog })
const streams = createNodeHandler(manager)
const server = createServer((req, res) => {
  if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html)
  else if (req.url === '/main.js')
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
  else void streams(req, res)
})
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`Open http://localhost:${(server.address() as AddressInfo).port}`)
})
void playFakeRun(manager.stream('workflow:exec_1'))
