/**
 * Turns each case's raw result into what the report shows: tables of runstream's figure and
 * each peer's, the ratios, and every goal with its verdict. Pure functions of the results, so
 * docs/benchmarks.md can be rendered again from bench/results.json alone.
 */
import type { AdaptersResult } from '../adapters.js'
import type { ConsumeResult, Contender } from '../consume.js'
import type { EmitResult } from '../emit.js'
import type { FanoutResult } from '../fanout.js'
import { FRAMINGS, type Framing, type FramingResult } from '../framing.js'
import type { LatencyResult } from '../latency.js'
import type { RedisBenchResult } from '../redis.js'
import { live, liveLast, type SlowResult } from '../slow.js'
import type { StoreResult } from '../store.js'
import type { Variant } from './fanout-server.js'

/** The cases of the suite, in the order they run. */
export type CaseName =
  | 'emit'
  | 'fanout'
  | 'consume'
  | 'latency'
  | 'slow'
  | 'redis'
  | 'framing'
  | 'store'
  | 'adapters'

/** One goal of the issue and its verdict. */
export interface Goal {
  /** What is compared. */
  label: string
  /** The figure measured, as shown (`0.76×`, `15.1 KB`, `yes`). */
  measured: string
  /** The goal, as shown (`≥ 0.85×`). */
  goal: string
  met: boolean
  /**
   * The figure as a share of the goal, for the chart: 1 is the goal exactly, above 1 is better
   * (for a "≤" goal, goal ÷ figure). Absent for goals that are not ratios.
   */
  score?: number
}

/** A table of the report. */
export interface Table {
  caption?: string
  head: string[]
  rows: string[][]
}

/** One section of the report. */
export interface Section {
  case: CaseName
  title: string
  /** What is measured and how, in a sentence or two (Markdown). */
  what: string
  tables: Table[]
  goals: Goal[]
  notes: string[]
}

const x = (value: number, digits = 2) => `${value.toFixed(digits)}×`

/** ` (rounds 0.71–0.80×)`: the spread of a ratio's rounds, or nothing when there are none. */
function spread(rounds: readonly number[] | undefined, digits = 2): string {
  if (rounds === undefined || rounds.length < 2) return ''
  const finite = rounds.filter((v) => Number.isFinite(v))
  if (finite.length < 2) return ''
  return ` (rounds ${Math.min(...finite).toFixed(digits)}–${x(Math.max(...finite), digits)})`
}
const millions = (value: number) => `${(value / 1e6).toFixed(2)} M`
const thousands = (value: number) => `${Math.round(value).toLocaleString('en-US')}`
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`
const ms = (value: number, digits = 2) => `${value.toFixed(digits)} ms`

/** A goal that the figure be at least `target`. */
function atLeast(label: string, value: number, target: number, format = x): Goal {
  return {
    label,
    measured: format(value),
    goal: `≥ ${format(target)}`,
    met: value >= target,
    score: value / target,
  }
}

/** A goal that the figure be at most `target`. */
function atMost(label: string, value: number, target: number, format = x): Goal {
  return {
    label,
    measured: format(value),
    goal: `≤ ${format(target)}`,
    met: value <= target,
    score: target / value,
  }
}

/** A yes/no goal. */
function check(label: string, met: boolean, measured: string): Goal {
  return { label, measured, goal: 'yes', met }
}

export function emitSection(r: EmitResult): Section {
  return {
    case: 'emit',
    title: '1. Emit',
    what: `\`stream.emit('llm_chunk', data)\` with catalog validation (zod/mini), an id, a timestamp, the envelope JSON, the in-memory store and one memory transport, against \`JSON.stringify\` of the same envelope: ${thousands(r.events)} events, best of ${r.rounds ?? 5} interleaved rounds after a warm-up.`,
    tables: [
      {
        head: ['', 'events/s', 'time per event'],
        rows: [
          [
            '**runstream `emit`**',
            thousands(r.emitPerSecond),
            `${(1e9 / r.emitPerSecond).toFixed(0)} ns`,
          ],
          [
            '`JSON.stringify` of the envelope',
            thousands(r.stringifyPerSecond),
            `${(1e9 / r.stringifyPerSecond).toFixed(0)} ns`,
          ],
        ],
      },
    ],
    goals: [atMost('emit ÷ `JSON.stringify`, time per event', r.ratio, 1.5)],
    notes: [],
  }
}

const FANOUT_NAMES: Record<Variant, string> = {
  'runstream-node': '**runstream `createNodeHandler`**',
  'runstream-fetch': 'runstream `createFetchHandler` (Web stream, minimal Node adapter)',
  'better-sse': 'better-sse, channel broadcast',
  'raw-per-event': 'raw `res.write`, one write per event',
  'raw-batched': 'raw `res.write`, one write per burst of pre-encoded frames',
}

export function fanoutSections(r: FanoutResult): Section[] {
  const base = r.results.find((v) => v.variant === 'raw-batched')?.deliveriesPerSecond ?? Number.NaN
  const ours = r.results.find((v) => v.variant === 'runstream-node')
  const sse = r.results.find((v) => v.variant === 'better-sse')
  const raw = r.results.find((v) => v.variant === 'raw-per-event')
  // The "one more" RSS of the bare servers: what Node's own socket and HTTP state cost.
  const bareRss = r.results
    .filter((v) => v.variant.startsWith('raw-'))
    .map((v) => v.marginalRssPerConnection)
  const clientBound = r.results.filter((v) => v.clientCpuShare >= 0.85).map((v) => v.variant)
  const throughput: Section = {
    case: 'fanout',
    title: '2. Fan-out',
    what: `${thousands(r.clients)} clients on loopback watch one stream while ${thousands(r.events)} events of ~${r.eventBytes} bytes are emitted in bursts of ${r.burst} per turn of the event loop. Server and clients run in two processes (a core each); the clients count frames without parsing. Best of ${r.rounds} interleaved rounds, each server in fresh processes.`,
    tables: [
      {
        head: [
          'server',
          'deliveries/s',
          'vs raw batched',
          'time to last delivery',
          'server CPU per 1000 deliveries',
          'client process CPU',
        ],
        rows: r.results.map((v) => [
          FANOUT_NAMES[v.variant],
          millions(v.deliveriesPerSecond),
          x(v.deliveriesPerSecond / base),
          `${thousands(v.timeToLastDeliveryMs)} ms`,
          ms(v.serverCpuMsPer1000, 3),
          `${Math.round(v.clientCpuShare * 100)}%`,
        ]),
      },
    ],
    goals: [
      atLeast(
        `fan-out ÷ better-sse, median of rounds${spread(r.roundRatios?.vsBetterSse, 1)}`,
        r.medianRatios?.vsBetterSse ?? r.ratios.vsBetterSse,
        10,
      ),
      atLeast(
        `fan-out ÷ raw batched, median of rounds${spread(r.roundRatios?.vsRawBatched)}`,
        r.medianRatios?.vsRawBatched ?? r.ratios.vsRawBatched,
        0.75,
      ),
      atMost(
        `fan-out server CPU per delivery ÷ raw batched, median of rounds${spread(r.roundRatios?.cpuOverRawBatched)}`,
        r.medianRatios?.cpuOverRawBatched ?? 1 / r.ratios.cpuVsRawBatched,
        2,
      ),
    ],
    notes: [
      `"client process CPU" is the client process's CPU time over the elapsed time: near 100%, the one client core, not the server, set the pace, and that server's figure is a floor${clientBound.length > 0 ? ` (here: ${clientBound.join(', ')})` : ''}. "server CPU" counts the server process's user and system time from the first emit to the last delivery, sends included: a cost that does not depend on the clients keeping up.`,
      `By server CPU per delivery, runstream costs ${x(1 / r.ratios.cpuVsRawBatched)} the batched raw loop (it has ${x(r.ratios.cpuVsRawBatched)} of its efficiency, where the goal asks 0.40× of its deliveries/s) and ${x(r.ratios.cpuVsBetterSse, 1)} less than better-sse.${clientBound.includes('raw-batched') ? ' The batched raw loop is held back by the client process here, so the deliveries/s ratio to it flatters runstream; the CPU ratio does not.' : ''}`,
    ],
  }
  const memory: Section = {
    case: 'fanout',
    title: '3. Memory per idle connection',
    what: `Idle clients, connected and measured in the server process after a forced GC: growth over the listening server. Heap counts the JS heap and external memory (Node's own HTTP objects included); RSS also counts native memory and the heap pages V8 holds. "First ${thousands(r.clients)}" divides the growth from 0 to ${thousands(r.clients)} connections by ${thousands(r.clients)} (median of ${r.rounds} rounds); "young" is the part of that RSS which is V8's young generation. "One more" is what a further connection costs: in fresh processes, ${thousands(r.clients + r.settleClients)} idle connections, a measure, ${thousands(r.moreClients)} more, a measure again, and the growth between the two divided by ${thousands(r.moreClients)} (median of ${Math.min(2, r.rounds)} rounds).`,
    tables: [
      {
        head: [
          'server',
          'first: heap + external',
          'first: RSS',
          'first: young',
          'one more: heap + external',
          'one more: RSS',
          'one more: young',
        ],
        rows: r.results.map((v) => [
          FANOUT_NAMES[v.variant],
          kb(v.heapPerConnection),
          kb(v.rssPerConnection),
          kb(v.youngPerConnection),
          kb(v.marginalHeapPerConnection),
          kb(v.marginalRssPerConnection),
          kb(v.marginalYoungPerConnection),
        ]),
      },
    ],
    goals:
      ours === undefined
        ? []
        : [
            atMost(
              'idle connection, heap + external',
              ours.heapPerConnection / 1024,
              20,
              (v) => `${v.toFixed(1)} KB`,
            ),
            // Judged without the young generation's growth, on both sides: it is paid once per
            // process, and a server that holds less per connection reaches its size later (the
            // raw server's was still growing in the measured step), which would flatter us.
            atMost(
              'one more idle connection, RSS less young-generation growth, ÷ raw batched',
              settledRss(ours) / settledRss(r.results.find((v) => v.variant === 'raw-batched')),
              1.3,
            ),
            atMost(
              'one more idle connection, RSS',
              ours.marginalRssPerConnection / 1024,
              20,
              (v) => `${v.toFixed(1)} KB`,
            ),
          ],
    notes:
      ours === undefined || sse === undefined || raw === undefined
        ? []
        : [
            `An idle runstream connection needs ${x(ours.heapPerConnection / sse.heapPerConnection)} the heap of a better-sse one and ${x(ours.heapPerConnection / raw.heapPerConnection)} that of a bare \`res.write\` one (it holds a subscription, its place on the heartbeat timer and a write queue).`,
            `The RSS of the first ${thousands(r.clients)} is not a cost per connection. About half of it is V8's young generation (${kb(ours.youngPerConnection)} of runstream's ${kb(ours.rssPerConnection)}, ${kb(sse.youngPerConnection)} of better-sse's ${kb(sse.rssPerConnection)}), which grows while connections arrive, because their objects survive its collections, and stops at a size it keeps however many more connect; the rest includes code compiled on the first requests. Divided by the first clients, that one-time growth reads as a cost of each. The "one more" figures are measured once it is over ("one more: young" shows how much of the step is still young-generation growth), so they are what each further client costs.`,
            `Every server pays Node's own socket and HTTP state: the "one more" RSS of the bare \`res.write\` servers (${kb(Math.min(...bareRss))} to ${kb(Math.max(...bareRss))}) is that floor; runstream adds ${kb(ours.marginalRssPerConnection - Math.min(...bareRss))} to it.`,
          ],
  }
  return [throughput, memory]
}

const CONSUME_NAMES: Record<Contender, string> = {
  bare: 'eventsource-parser + `JSON.parse`, nothing else',
  'bare-for-await': 'eventsource-parser + `JSON.parse`, read by `for await`',
  runstream: '**runstream `connect()`, catalog, `for await`**',
  'runstream-on': 'runstream `connect()`, catalog, `on()` handler',
  'runstream-raw': 'runstream `connect()`, no catalog, `for await`',
  'fetch-event-source': '@microsoft/fetch-event-source + `JSON.parse`',
  eventsource: '`eventsource` (EventSource) + `JSON.parse`',
}

export function consumeSection(r: ConsumeResult): Section {
  const goals: Goal[] = []
  for (const shape of r.shapes) {
    // The second round's goal: 0.95× the bare parser in payload framing (250 B and token deltas).
    const payload = shape.shape.startsWith('payload')
    if (payload) {
      // Consumer style for consumer style: see bench/consume.ts, GOAL_VS_BARE.
      goals.push(
        atLeast(`consume ${shape.shape}, \`on()\` ÷ bare parser`, shape.onVsBare, 0.95),
        atLeast(
          `consume ${shape.shape}, \`for await\` ÷ bare parser read by \`for await\``,
          shape.vsBareForAwait,
          0.95,
        ),
      )
    } else {
      goals.push(atLeast(`consume ${shape.shape} ÷ bare parser`, shape.vsBare, 0.85))
      goals.push(
        atLeast(`consume ${shape.shape} ÷ fetch-event-source`, shape.vsFetchEventSource, 1.5),
      )
    }
  }
  const main = r.shapes[0]
  return {
    case: 'consume',
    title: '4. Consume',
    what: `A client turning SSE bytes into usable events: the same bytes, in ${thousands(r.chunkBytes)}-byte chunks of a \`Response\` body, through each client in the same process (no network: it measures the client). runstream parses, \`JSON.parse\`s, validates with the execution catalog, drops replayed ids and dispatches. ${r.rounds} interleaved rounds after a warm-up: events/s is each client's best round, ratios the median of the rounds' side-by-side ratios.`,
    tables: r.shapes.map((shape) => ({
      caption: `${shape.shape}: ${thousands(shape.events)} events of ${shape.bytesPerEvent} bytes on the wire; runstream ÷ bare parser ${x(shape.vsBare)} (median of rounds, ${x(shape.vsBareSpread[0])} – ${x(shape.vsBareSpread[1])})`,
      head: ['client', 'events/s', 'vs bare parser'],
      rows: (Object.keys(CONSUME_NAMES) as Contender[])
        .filter((c) => shape.eventsPerSecond[c] !== undefined)
        .map((c) => [
          CONSUME_NAMES[c],
          millions(shape.eventsPerSecond[c]),
          x(shape.eventsPerSecond[c] / shape.eventsPerSecond.bare),
        ]),
    })),
    goals,
    notes:
      main === undefined
        ? []
        : [
            `The envelope goals are judged on the \`for await\` pipeline, the one the docs lead with; with an \`on()\` handler instead, runstream reaches ${x(main.onVsBare)} the bare parser on ~250-byte envelopes. The payload goals are judged consumer style for consumer style: runstream's \`on()\` against the bare parser's callback, and runstream's \`for await\` against the bare parser's events read by a \`for await\` loop. A \`for await\` loop costs the engine a promise and a microtask per event (about 75 ns and 300 B of garbage on Node 20 and 24, whatever the iterator), a sixth of all the bare parser spends on a token delta; the row \`runstream ÷ bare parser\` in each table's caption mixes the two styles and is kept for comparison with earlier runs.`,
            `The bare parser decodes each chunk with \`TextDecoder.decode(chunk, { stream: true })\`, as eventsource-parser's documentation shows. On Node that takes a slower path than a one-shot decode (about 7× the time); runstream decodes a chunk in one shot whenever it starts and ends on a character boundary, which is why it overtakes the bare parser on large events, where decoding is most of the work.`,
          ],
  }
}

export function latencySection(r: LatencyResult): Section {
  const row = (name: string, l: LatencyResult['latency']['raw']) => [
    name,
    ms(l.p50, 3),
    ms(l.p90, 3),
    ms(l.p99, 3),
    ms(l.max, 2),
  ]
  return {
    case: 'latency',
    title: '5. Latency',
    what: `One event per millisecond for ${r.seconds} s on one stream, timed from \`emit\` (or the raw write) to the client's handler. Server and client run in two processes and stamp events with the monotonic clock both share; a warm-up at the same rate is not counted. ${r.rounds} rounds per side, alternating; each row is over the samples of all its rounds (each round's p99: runstream ${r.roundP99s.runstream.map((v) => v.toFixed(2)).join(', ')} ms; raw ${r.roundP99s.raw.map((v) => v.toFixed(2)).join(', ')} ms).`,
    tables: [
      {
        head: ['server → client', 'p50', 'p90', 'p99', 'max'],
        rows: [
          row(
            '**runstream `createNodeHandler` → `connect()` (catalog, `for await`)**',
            r.latency.runstream,
          ),
          row(
            'raw `node:http` write per event → `fetch` + eventsource-parser + `JSON.parse`',
            r.latency.raw,
          ),
        ],
      },
    ],
    goals: [
      atMost(
        `latency p99 ÷ raw, median of rounds${spread(r.roundP99Ratios)}`,
        r.p99RatioMedian ?? r.p99Ratio,
        1.3,
      ),
    ],
    notes: [
      `At p50 runstream is ${x(r.p50Ratio)} raw (${ms(r.latency.runstream.p50 - r.latency.raw.p50, 3)} more): the Node handler writes the frames of one turn of the event loop together at the end of the turn, and the client validates each event and hands it over through \`for await\`.`,
    ],
  }
}

const SLOW_NAMES = {
  runstream: '**runstream `createNodeHandler`** (defaults)',
  'better-sse': 'better-sse, channel broadcast',
  raw: 'raw `res.write` loop, no backpressure',
} as const

export function slowSection(r: SlowResult): Section {
  const ours = r.results.find((v) => v.variant === 'runstream')
  return {
    case: 'slow',
    title: '6. Slow consumers',
    what: `${r.stalled} clients stop reading as soon as their response starts; one healthy client reads everything; ${thousands(r.events)} events of ~250 bytes are emitted as fast as the producer can (bursts of ${r.burst} per turn). Memory is the server process's growth over its idle baseline: the peak, and what stays alive after a full GC (forced at each tenth of the events, for every server alike). Servers that do not bound what waits for a client are stopped at ${mb(r.memoryCapBytes)} of growth.`,
    tables: [
      {
        head: [
          'server',
          'events emitted',
          'peak RSS',
          'peak heap + external',
          'alive after GC: halfway / at the last tenth reached',
          'longest emit',
          'event-loop delay p99 / max',
          'healthy client got',
        ],
        rows: r.results.map((v) => [
          SLOW_NAMES[v.variant],
          `${thousands(v.emitted)}${v.stoppedBy === 'memory' ? ` (stopped at the ${mb(r.memoryCapBytes)} cap)` : v.stoppedBy === 'time' ? ' (stopped: time limit)' : ''}`,
          mb(v.peakRssBytes),
          mb(v.peakHeapBytes),
          `${live(v, 0.5)} / ${liveLast(v)}`,
          ms(v.longestEmitMs, 1),
          `${ms(v.loopDelay.p99, 0)} / ${ms(v.loopDelay.max, 0)}`,
          `${thousands(v.healthyReceived)}${v.healthyGotAll ? ' (all)' : ''}`,
        ]),
      },
    ],
    goals: [
      check(
        'slow consumers: what stays alive is within the bound (1 MiB per stalled client + 16 MiB)',
        r.goals.boundedMemory,
        ours ? `${live(ours, 1)} of ${mb((r.stalled + 16) * 1_048_576)}` : '-',
      ),
      check(
        'slow consumers: the producer is never blocked',
        r.goals.producerNeverBlocked,
        ours ? `longest emit ${ms(ours.longestEmitMs, 1)}` : '-',
      ),
      check(
        'slow consumers: a healthy client gets every event',
        r.goals.healthyClientServed,
        ours ? thousands(ours.healthyReceived) : '-',
      ),
    ],
    notes: [
      "runstream's bound is its documented one: up to `maxQueuedBytes` (1 MiB) waits per client, a stalled client is ended with `runstream.error` (`subscriber_overflow`) and resumes from the store, and the store keeps 10 000 events per stream. `emit` never waits for a client; the event-loop delay is the time one burst of emits and its deliveries take.",
    ],
  }
}

export function redisSection(r: RedisBenchResult): Section {
  const row = (name: string, l: RedisBenchResult['latency']['redis']) => [
    name,
    ms(l.p50),
    ms(l.p90),
    ms(l.p99),
    ms(l.max),
  ]
  const rate = (v: { median: number; min: number; max: number }) =>
    `${thousands(v.median)} events/s (${thousands(v.min)} – ${thousands(v.max)})`
  const ratio = (v: { median: number; min: number; max: number }) =>
    `${x(v.median)} (${x(v.min)} – ${x(v.max)})`
  const emitRows = [
    ['**runstream `redisStore`, `emit`**', rate(r.emit.ours), ratio(r.emit.ratio)],
    ['raw ioredis loop, `XADD` pipelined ×100', rate(r.emit.base), '1.00×'],
  ]
  const cluster = r.cluster
  return {
    case: 'redis',
    title: '7. Redis',
    what: `Through \`runstream/redis\` on Redis ${r.redis} at 127.0.0.1, envelopes of ~${r.eventBytes} bytes. **Emit**: events per second one producer stores (every append acknowledged), against a raw ioredis loop that builds the same envelopes and pipelines their \`XADD\`s 100 at a time; median of ${r.emit.rounds} interleaved rounds of ${thousands(r.emit.events)} events, the range in brackets, the ratio taken round by round. **Throughput**: events per second from \`emit\` on one manager to a subscriber of another manager with its own store and connections (as a producer and a web process would). **Latency**: from \`emit\` to delivery at ${thousands(r.latency.rate)} events/s for ${r.latency.seconds} s, through Redis and through the in-memory store.${cluster === null ? '' : ` **Cluster**: the same producer over ${cluster.streams} streams into a Redis Cluster of ${cluster.nodes} \`redis-server\` nodes on this machine, against one Redis (median of ${cluster.rounds} interleaved rounds), and emit → delivery through sharded pub/sub.`}`,
    tables: [
      { head: ['emit, one producer', 'events/s (range)', 'ratio to raw'], rows: emitRows },
      {
        head: ['figure', 'value'],
        rows: [
          [
            'throughput, emit → subscriber of another store',
            `${thousands(r.throughput.eventsPerSecond)} events/s`,
          ],
          [
            'latency added by Redis, p50 / p99',
            `+${ms(r.latency.addedP50)} / +${ms(r.latency.addedP99)}`,
          ],
          ['Redis memory per held event', `${r.memory.bytesPerEvent} B`],
          ...(cluster === null
            ? []
            : [
                [
                  `cluster of ${cluster.nodes}, emit over ${cluster.streams} streams`,
                  `${rate(cluster.ours)}; ${x(cluster.ratio.median)} one Redis (${rate(cluster.base)})`,
                ],
                [
                  'cluster, emit → delivery p50 / p99 (sharded pub/sub)',
                  `${ms(cluster.latency.p50)} / ${ms(cluster.latency.p99)}`,
                ],
              ]),
        ],
      },
      {
        head: ['store', 'p50', 'p90', 'p99', 'max'],
        rows: [row('in-memory', r.latency.memory), row('**Redis**', r.latency.redis)],
      },
    ],
    goals: [
      atLeast('Redis emit vs raw pipelined XADD loop', r.emit.ratio.median, 0.9),
      atMost('Redis p99, emit → delivery', r.latency.redis.p99, 5, (v) => ms(v)),
    ],
    notes: [
      'Every node of the cluster runs on the same two cores as the producer: the cluster figure shows what spreading the streams over three processes costs (the same work plus the cluster’s own overheads, on the same cores), not how far more machines go (docs/scaling.md has the arithmetic).',
    ],
  }
}

const FRAMING_NAMES: Record<Framing, string> = {
  runstreamPayload: '**runstream, payload framing**',
  runstreamPayloadText: '**runstream, payload framing, raw-text token**',
  runstreamEnvelope: 'runstream, envelope framing',
  compozy: 'compozy',
  aiSdk: 'AI SDK UI message stream',
  agUi: 'AG-UI (SSE)',
}

export function framingSection(r: FramingResult): Section {
  const token = r.events[0]
  return {
    case: 'framing',
    title: '8. Bytes on the wire',
    what: `UTF-8 bytes of the frames that carry one event, for the same events in each framing: the \`ai\` package's \`JsonToSseTransformStream\`, \`@ag-ui/encoder\`'s \`EventEncoder\` (events checked by \`@ag-ui/core\`'s schemas), compozy's \`WriteEvent\`, runstream's own frame writer in envelope framing and in payload framing (\`id:\`, \`event:\`, the payload alone in \`data:\`). The SSE id is \`1042\`; runstream's payload is \`{ "text": "Hel" }\` (execution catalog) or the raw text (compozy catalog).`,
    tables: [
      {
        head: ['framing', ...r.events.map((e) => e.name)],
        rows: FRAMINGS.map((f) => [FRAMING_NAMES[f], ...r.events.map((e) => `${e.bytes[f]} B`)]),
      },
    ],
    goals:
      token === undefined
        ? []
        : [
            atMost(
              'payload framing, 3-character token delta',
              token.bytes.runstreamPayload,
              48,
              (v) => `${v} B`,
            ),
          ],
    notes: [
      `The AI SDK adds per response \`${r.aiSdkPerStream.header}\` and ends each stream with ${r.aiSdkPerStream.done} B of \`data: [DONE]\`; AG-UI's tool call is its three events (start, arguments, end). The envelope framing grows with the stream name (here \`agent:exec_42\`) and carries the 24-character \`ts\`.`,
    ],
  }
}

export function storeSection(r: StoreResult): Section {
  return {
    case: 'store',
    title: '9. Memory store at its bounds',
    what: `The in-memory store (the default) with envelopes of ${r.eventBytes} bytes: \`emit\` into a store far from its bounds and into one at its byte budget, which drops its oldest event at every emit (${thousands(r.events)} emits, best of ${r.rounds} rounds); one \`emit\` that opens a new stream while ${thousands(r.newStream.streams)} streams are held (${thousands(r.newStream.count)} of them, each timed); and what the store holds at a ${mb(r.held.maxBytes)} budget, as it counts it and in the V8 heap after a full collection.`,
    tables: [
      {
        head: ['figure', 'value'],
        rows: [
          ['emit, store not full', `${thousands(r.emitPerSecond)} events/s`],
          ['emit, store at its byte budget', `${thousands(r.emitAtBudgetPerSecond)} events/s`],
          [
            `emit opening a new stream, ${thousands(r.newStream.streams)} held: p50 / p99 / max`,
            `${r.newStream.p50Us} / ${r.newStream.p99Us} / ${r.newStream.maxUs} µs`,
          ],
          [
            `held at a ${mb(r.held.maxBytes)} budget`,
            `${mb(r.held.storeBytes)} of JSON in ${thousands(r.held.events)} events; ${mb(r.held.heapBytes)} of heap (${r.held.heapPerJsonByte}× the JSON)`,
          ],
        ],
      },
    ],
    goals: [
      atMost(
        'memory store: emit at its byte budget ÷ not full, time per event',
        r.emitPerSecond / r.emitAtBudgetPerSecond,
        1.5,
      ),
      atMost(
        'memory store: emit opening a new stream with 10,000 held, p99',
        r.newStream.p99Us / 1000,
        0.4,
        (v) => ms(v, 3),
      ),
    ],
    notes: [
      'Before the store kept its streams in lists ordered by last write, an emit that opened a new stream with 10,000 held took 4 to 7 ms (it sorted every stream); 0.4 ms, the figure before that sort existed, is the goal.',
    ],
  }
}

export function adaptersSection(r: AdaptersResult): Section {
  const ns = (value: number) => `${Math.round(value).toLocaleString('en-US')} ns`
  return {
    case: 'adapters',
    title: '10. Protocol adapters per event',
    what: `What \`runstream/ag-ui\` and \`runstream/ai-sdk\` cost per event against the protocol's own encoder on the same text deltas (${thousands(r.events)} events, best of ${r.rounds} rounds): AG-UI's \`EventEncoder\` and the AI SDK's \`JsonToSseTransformStream\` (its per-chunk work alone as the floor), each to the frame's UTF-8 bytes. runstream's adapter does more: it checks the event against the catalog (\`@ag-ui/core\`'s schema, runstream's chunk schemas), gives it its envelope and id, stores it (memory store), and writes its frame once for every client (\`id:\`, \`event:\`, the event in \`data:\`).`,
    tables: [
      {
        head: [
          'protocol',
          "protocol's encoder",
          'its per-event floor',
          'runstream: emit + frame',
          'emit (checked)',
          'emit (unchecked)',
          'frame',
          'bytes: protocol / runstream',
        ],
        rows: r.protocols.map((p) => [
          p.protocol,
          ns(p.encoderNs),
          ns(p.encoderFloorNs),
          ns(p.runstreamNs),
          ns(p.emitNs),
          ns(p.emitUncheckedNs),
          ns(p.frameNs),
          `${p.encoderBytes} B / ${p.runstreamBytes} B`,
        ]),
      },
    ],
    goals: [],
    notes: [
      'The store and the catalog check are what make a run resumable and its events valid for every client; the frame is made once per event whatever the number of clients. runstream adds its `id:` and `event:` lines to each frame (the cursor a client resumes after).',
    ],
  }
}

/** RSS of one more idle connection, without what V8's young generation grew meanwhile. */
function settledRss(
  variant: { marginalRssPerConnection: number; marginalYoungPerConnection: number } | undefined,
): number {
  return variant === undefined
    ? Number.NaN
    : variant.marginalRssPerConnection - variant.marginalYoungPerConnection
}
