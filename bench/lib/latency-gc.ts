/**
 * Where bench/latency.ts's slow deliveries come from, when it runs with `--gc`: each side's GC
 * pauses over the measured window (from its probe), what each scavenge kept (from V8's
 * `--trace-gc-nvp` lines), the bytes allocated per event, and which of the slowest deliveries
 * overlapped a pause of the server or of the client.
 */
import { readFileSync } from 'node:fs'
import type { Crossings, GcPause, ProbeReport } from './latency-probe.js'
import type { LatencyServer } from './latency-server.js'
import { round } from './stats.js'

/** One side's GC over one round's window. */
export interface SideGc {
  scavenges: number
  scavengeMsMean: number
  scavengeMsMax: number
  majors: number
  /** Every pause's length, summed, in ms. */
  pausedMs: number
  /** Bytes allocated per ms of wall time between the window's first and last scavenge (`--trace-gc-nvp`). */
  bytesPerMs?: number
  /** Bytes a scavenge copied within the young generation or promoted, on average. */
  survivedPerScavenge?: number
  promotedPerScavenge?: number
  /** Bytes allocated over the window per event, from the allocation profile. */
  profiledBytesPerEvent?: number
}

/** The slowest deliveries of a round and the pauses they overlapped. */
export interface SlowCauses {
  /** How many samples count as slow: those at or above the round's p99. */
  slow: number
  /**
   * Into how many stalls the slow samples group (overlapping emit → handler spans): one stall of
   * either process (a pause, or a process the machine did not run) slows every event in flight,
   * so a p99 made of one or two stalls says more about the machine than about the code.
   */
  stalls: number
  server: number
  client: number
  both: number
  neither: number
  /** The share of all samples that overlapped a server pause, a client pause: what chance gives. */
  baseServer: number
  baseClient: number
}

/** One side's figures over a round. */
export function sideGc(report: ProbeReport, trace: string | undefined, events: number): SideGc {
  const minor = report.gcs.filter((gc) => gc.kind === 'minor')
  const result: SideGc = {
    scavenges: minor.length,
    scavengeMsMean: round(mean(minor.map((gc) => gc.ms)), 3),
    scavengeMsMax: round(Math.max(0, ...minor.map((gc) => gc.ms)), 3),
    majors: report.gcs.filter((gc) => gc.kind === 'major').length,
    pausedMs: round(
      report.gcs.reduce((sum, gc) => sum + gc.ms, 0),
      3,
    ),
  }
  if (trace !== undefined) Object.assign(result, traced(trace, report.window))
  if (report.allocatedBytes !== undefined) {
    result.profiledBytesPerEvent = Math.round(report.allocatedBytes / events)
  }
  return result
}

/** Classifies the round's slowest samples by the pauses their emit → handler span overlapped. */
export function slowCauses(
  sent: readonly number[],
  received: readonly number[],
  server: readonly GcPause[],
  client: readonly GcPause[],
): SlowCauses {
  const latencies = sent.map((at, i) => (received[i] as number) - at)
  const sorted = Float64Array.from(latencies).sort()
  const p99 = sorted[Math.ceil(0.99 * sorted.length) - 1] as number
  const causes: SlowCauses = {
    slow: 0,
    stalls: 0,
    server: 0,
    client: 0,
    both: 0,
    neither: 0,
    baseServer: 0,
    baseClient: 0,
  }
  let inServer = 0
  let inClient = 0
  let stallEnd = Number.NEGATIVE_INFINITY
  for (let i = 0; i < sent.length; i++) {
    const from = sent[i] as number
    const to = received[i] as number
    const s = overlaps(server, from, to)
    const c = overlaps(client, from, to)
    if (s) inServer++
    if (c) inClient++
    if ((latencies[i] as number) < p99) continue
    causes.slow++
    // Samples come in id order, so spans that overlap are next to each other.
    if (from > stallEnd) causes.stalls++
    stallEnd = Math.max(stallEnd, to)
    if (s && c) causes.both++
    else if (s) causes.server++
    else if (c) causes.client++
    else causes.neither++
  }
  causes.baseServer = round(inServer / sent.length, 3)
  causes.baseClient = round(inClient / sent.length, 3)
  return causes
}

function overlaps(pauses: readonly GcPause[], from: number, to: number): boolean {
  for (const gc of pauses) if (gc.at < to && gc.at + gc.ms > from) return true
  return false
}

// What `--trace-gc-nvp` printed over the window: its lines start with the ms since the isolate
// started, which performance.now() reads a few tens of ms ahead of (the process started first),
// so allocation is taken as a rate between two scavenges inside the window, which that offset
// does not bias.
function traced(
  file: string,
  window: [number, number],
): Pick<SideGc, 'bytesPerMs' | 'survivedPerScavenge' | 'promotedPerScavenge'> {
  // Every collection's `allocated` counts (bytes allocated since the one before); what survived
  // is a scavenge's figure.
  const lines: {
    t: number
    scavenge: boolean
    allocated: number
    survived: number
    promoted: number
  }[] = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match =
      /\s(\d+) ms: pause=.*\bgc=(\w+)\b.*\ballocated=(\d+) promoted=(\d+) new_space_survived=(\d+)/.exec(
        line,
      )
    if (match === null) continue
    const t = Number(match[1])
    if (t < window[0] || t > window[1]) continue
    lines.push({
      t,
      scavenge: match[2] === 's',
      allocated: Number(match[3]),
      promoted: Number(match[4]),
      survived: Number(match[5]),
    })
  }
  const scavenges = lines.filter((line) => line.scavenge)
  const first = lines[0]
  const last = lines[lines.length - 1]
  return {
    ...(first !== undefined && last !== undefined && last.t > first.t
      ? {
          bytesPerMs: Math.round(
            lines.slice(1).reduce((sum, line) => sum + line.allocated, 0) / (last.t - first.t),
          ),
        }
      : {}),
    ...(scavenges.length > 0
      ? {
          survivedPerScavenge: Math.round(mean(scavenges.map((line) => line.survived))),
          promotedPerScavenge: Math.round(mean(scavenges.map((line) => line.promoted))),
        }
      : {}),
  }
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length
}

/** A delivery's time in parts, in ms. */
export interface SplitPart {
  /** The `emit` call itself, on the server. */
  emit: number
  /** From `emit`'s return to `res.write` of its frame: what the server deferred. */
  deferred: number
  /** From the write to the client's reader getting the bytes. */
  wire: number
  /** From the body read to the handler. */
  client: number
}

/** A delivery's time split at emit's return, the socket write and the client's body read. */
export interface SplitParts {
  p50: SplitPart
  p99: SplitPart
  /** Over the slowest deliveries (≥ the round's p99): the mean of each part. */
  slowMean: SplitPart
}

const PARTS = ['emit', 'deferred', 'wire', 'client'] as const

/** Splits each timed delivery at the crossings each side noted. */
export function splitParts(
  ids: readonly number[],
  sent: readonly number[],
  returned: readonly number[],
  received: readonly number[],
  writes: Crossings,
  reads: Crossings,
): SplitParts | undefined {
  const written = firstTimes(writes)
  const read = firstTimes(reads)
  const parts: Record<keyof SplitPart, number[]> = { emit: [], deferred: [], wire: [], client: [] }
  const totals: number[] = []
  for (let i = 0; i < ids.length; i++) {
    const w = written.get(ids[i] as number)
    const r = read.get(ids[i] as number)
    if (w === undefined || r === undefined) continue
    parts.emit.push((returned[i] as number) - (sent[i] as number))
    parts.deferred.push(w - (returned[i] as number))
    parts.wire.push(r - w)
    parts.client.push((received[i] as number) - r)
    totals.push((received[i] as number) - (sent[i] as number))
  }
  if (totals.length === 0) return undefined
  const p99 = quantile(totals, 0.99)
  const slow = totals.map((t, i) => (t >= p99 ? i : -1)).filter((i) => i >= 0)
  const each = (f: (values: number[]) => number) =>
    Object.fromEntries(
      PARTS.map((part) => [part, round(f(parts[part]), 3)]),
    ) as unknown as SplitPart
  return {
    p50: each((values) => quantile(values, 0.5)),
    p99: each((values) => quantile(values, 0.99)),
    slowMean: each((values) => mean(slow.map((i) => values[i] as number))),
  }
}

function firstTimes(crossings: Crossings): Map<number, number> {
  const map = new Map<number, number>()
  for (let i = 0; i < crossings.ids.length; i++) {
    const id = crossings.ids[i] as number
    if (!map.has(id)) map.set(id, crossings.times[i] as number)
  }
  return map
}

function quantile(values: readonly number[], q: number): number {
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN
}

/** What `gc` adds to a round: each side's GC, and the causes of its slowest deliveries. */
export interface LatencyGcRound {
  variant: LatencyServer
  round: number
  server: SideGc
  client: SideGc
  slow: SlowCauses
  /** Each delivery split at the server's socket write and the client's body read. */
  split?: SplitParts | undefined
  /** With `callgrind`: the server's instructions per measured event. */
  serverInstructionsPerEvent?: number | undefined
}

/** Prints each round's GC figures, stalls and split. */
export function printGcRounds(rounds: readonly LatencyGcRound[]): void {
  console.log(
    '\nGC over the measured window, per side: scavenges (mean / max pause ms), majors, paused ms; bytes allocated per ms (= per event at 1000/s; nvp) and per event (profile); bytes survived / promoted per scavenge',
  )
  const side = (gc: SideGc) =>
    `${gc.scavenges} sc (${gc.scavengeMsMean}/${gc.scavengeMsMax}) ${gc.majors} mc ${gc.pausedMs} ms | ${gc.bytesPerMs ?? '-'} B/ms ${gc.profiledBytesPerEvent ?? '-'} B/ev | ${gc.survivedPerScavenge ?? '-'}/${gc.promotedPerScavenge ?? '-'}`
  for (const r of rounds) {
    console.log(`${r.variant.padEnd(9)} #${r.round} server: ${side(r.server)}`)
    console.log(`${''.padEnd(12)} client: ${side(r.client)}`)
    const s = r.slow
    console.log(
      `${''.padEnd(12)} slowest ${s.slow} (≥ p99), in ${s.stalls} stalls, overlapped a pause of: server ${s.server}, client ${s.client}, both ${s.both}, neither ${s.neither}  (by chance: server ${s.baseServer}, client ${s.baseClient} of all)`,
    )
    if (r.serverInstructionsPerEvent !== undefined) {
      console.log(
        `${''.padEnd(12)} server instructions per event (callgrind, measured window): ${r.serverInstructionsPerEvent}`,
      )
    }
    const p = r.split
    if (p !== undefined) {
      const parts = (x: SplitPart) => `${x.emit} + ${x.deferred} + ${x.wire} + ${x.client}`
      console.log(
        `${''.padEnd(12)} emit call + return→write + wire + read→handler (ms): p50 ${parts(p.p50)}; p99 ${parts(p.p99)}; slowest, mean ${parts(p.slowMean)}`,
      )
    }
  }
}
