/**
 * The clients of bench/slow.ts, in a process of their own: `stalled` connections that stop
 * reading as soon as the response starts, and one healthy client that counts every event.
 *
 * IPC in: { type: 'start', port, path, stalled }, { type: 'report' }. Out: 'ready', then
 * { type: 'healthy', received, lastAt } on request.
 */
import http from 'node:http'

const MARK = Buffer.from('\ndata:')
let received = 0
let lastAt = 0

process.on(
  'message',
  (
    message:
      | { type: 'start'; port: number; path: string; stalled: number }
      | { type: 'report' }
      | { type: 'exit' },
  ) => {
    if (message.type === 'exit') process.exit(0)
    else if (message.type === 'report') process.send?.({ type: 'healthy', received, lastAt })
    else void start(message.port, message.path, message.stalled)
  },
)

async function start(port: number, path: string, stalled: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY })
  const open = (onResponse: (res: http.IncomingMessage) => void) =>
    new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
        onResponse(res)
        resolve()
      })
      req.on('error', reject)
    })
  // The healthy one counts "\ndata:" marks (every frame has one after its id and event lines);
  // a mark split across chunks is rare enough at 16 KB chunks to be caught by the tail check.
  await open((res) => {
    let tail: Buffer = Buffer.alloc(0)
    res.on('data', (chunk: Buffer) => {
      const joined = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk
      let from = 0
      for (;;) {
        const at = joined.indexOf(MARK, from)
        if (at === -1) break
        received++
        from = at + MARK.length
      }
      tail = joined.subarray(Math.max(from, joined.length - (MARK.length - 1)))
      lastAt = performance.now()
    })
    res.on('error', () => undefined)
  })
  const paused: Promise<void>[] = []
  for (let i = 0; i < stalled; i++) {
    paused.push(
      open((res) => {
        // Stops reading: the socket fills, then the server's buffers do.
        res.pause()
        res.on('error', () => undefined)
      }),
    )
  }
  await Promise.all(paused)
  process.send?.({ type: 'ready' })
}
