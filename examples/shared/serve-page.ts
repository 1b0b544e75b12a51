/**
 * The server of the page examples (sse-browser, react-run): the page and its script next to the
 * stream routes, on `node:http`, with the made-up run to watch.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createStreamManager, executionCatalog } from 'runstream'
import { createNodeHandler } from 'runstream/node'
import { playFakeRun } from './fake-run.js'
import type { ExamplePage } from './page.js'

/**
 * Serves `page` (`/` and `/main.js`) and the stream routes on `PORT` (3000 by default), and
 * plays `workflow:exec_1` into them.
 */
export function servePage({ html, script }: ExamplePage): void {
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
}
