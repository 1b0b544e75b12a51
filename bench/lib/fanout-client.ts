/**
 * The client side of bench/fanout.ts, run in its own process so the clients do not share the
 * server's core: opens N raw HTTP connections, counts `data:` lines per connection without
 * parsing, and reports when every connection has seen every event.
 *
 * IPC in: { type: 'start', port, path, clients, events }. Out: 'ready', then 'done' with times.
 */
import http from 'node:http'

interface Start {
  type: 'start'
  port: number
  path: string
  clients: number
  events: number
}

const MARK = Buffer.from('data:')

process.on('message', (message: Start | { type: 'exit' }) => {
  if (message.type === 'exit') process.exit(0)
  if (message.type === 'start') void start(message)
})

async function start({ port, path, clients, events }: Start): Promise<void> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY })
  let ready = 0
  let complete = 0
  let lastAt = 0n
  let failures = 0
  const report = () => process.send?.({ type: 'done', lastAt: String(lastAt), failures })

  const open = () =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let count = 0
        let carry = 0
        let started = false
        res.on('data', (chunk: Buffer) => {
          if (!started) {
            started = true
            ready++
            resolve()
            if (ready === clients) process.send?.({ type: 'ready' })
          }
          // Count "data:" marks; a mark split across chunks is found through the carried tail.
          let from = 0
          if (carry > 0) {
            const head = Buffer.concat([MARK.subarray(0, carry), chunk.subarray(0, 5 - carry)])
            if (head.equals(MARK)) count++
          }
          for (;;) {
            const at = chunk.indexOf(MARK, from)
            if (at === -1) break
            count++
            from = at + 5
          }
          carry = 0
          for (let k = 4; k > 0; k--) {
            if (chunk.length >= k && chunk.subarray(chunk.length - k).equals(MARK.subarray(0, k))) {
              carry = k
              break
            }
          }
          if (count === events) {
            complete++
            if (complete === clients) {
              lastAt = process.hrtime.bigint()
              report()
            }
          }
        })
        res.on('error', () => undefined)
      })
      req.on('error', () => {
        failures++
        resolve()
      })
    })

  // Connect in waves so the accept queue never overflows.
  const wave = 100
  for (let i = 0; i < clients; i += wave) {
    await Promise.all(Array.from({ length: Math.min(wave, clients - i) }, () => open()))
  }
  if (failures > 0) process.send?.({ type: 'ready', failures })
}
