/**
 * What one side of bench/latency.ts watches over its measured window, when asked: its GC pauses
 * (on the monotonic clock the samples use, so a slow delivery can be matched to a pause of the
 * server or of the client) and, optionally, a sampling profile of every allocation, collected
 * objects included, so that bytes per event can be read off it.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import { Session } from 'node:inspector/promises'
import { type PerformanceEntry, PerformanceObserver, performance } from 'node:perf_hooks'

/** What the bench asks a side to watch. */
export interface ProbeRequest {
  /** Record GC pauses. */
  gc?: boolean
  /** Write a sampling allocation profile of the window (`.heapprofile`, for DevTools) here. */
  heapProfile?: string
  /**
   * Profile only what is still alive at the end of the window, not every allocation: what the
   * side keeps per event, which each scavenge copies.
   */
  heapLive?: boolean
  /**
   * The process runs under `valgrind --tool=callgrind --instr-atstart=no`: count instructions
   * over the window only (`callgrind_control -i on`, then off).
   */
  callgrind?: boolean
  /**
   * Note when each event's bytes were handed to the socket (server) or read from the body
   * (client), so that a delivery's time splits into server, wire and client parts.
   */
  split?: boolean
}

/** When each event's frame crossed one point: ids with the time, in ms of {@link monotonicNow}. */
export interface Crossings {
  ids: number[]
  times: number[]
}

/** One GC pause. */
export interface GcPause {
  /** Its start, in ms on the monotonic clock of {@link monotonicNow}. */
  at: number
  /** How long the thread stopped, in ms. */
  ms: number
  /** Scavenge (`minor`), mark-compact (`major`), an incremental marking step, or weak callbacks. */
  kind: 'minor' | 'major' | 'incremental' | 'weak' | 'other'
}

/** What a side reports at the end of its window. */
export interface ProbeReport {
  gcs: GcPause[]
  /**
   * The window as `performance.now()` read it: about the times `--trace-gc` prints (ms since the
   * isolate started, a few ms later than the process), to pick its lines of the window.
   */
  window: [number, number]
  /** Bytes allocated over the window, read off the allocation profile (when one was taken). */
  allocatedBytes?: number
  /** With `split`: when frames were written (server) or read (client). */
  crossings?: Crossings
}

/** The monotonic clock in ms, comparable across processes on one machine. */
export function monotonicNow(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

const KINDS: Record<number, GcPause['kind']> = {
  1: 'minor',
  4: 'major',
  8: 'incremental',
  16: 'weak',
}

const crossings: Crossings = { ids: [], times: [] }
// An `id:` line, its epoch left out when the id is qualified with one.
const ID_LINE = /^id: (?:[^\n.]*\.)?(\d+)$/gm

function cross(chunk: unknown, at: number): void {
  const text =
    typeof chunk === 'string'
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1')
        : ''
  for (const match of text.matchAll(ID_LINE)) {
    crossings.ids.push(Number(match[1]))
    crossings.times.push(at)
  }
}

/**
 * Server side of `split`: notes each frame as it is written to any response. Set up before the
 * server answers, the same for every server compared (both write through `res.write`).
 */
export function noteWrites(): void {
  const write = http.ServerResponse.prototype.write
  http.ServerResponse.prototype.write = function (
    this: http.ServerResponse,
    chunk: unknown,
    ...rest: unknown[]
  ) {
    cross(chunk, monotonicNow())
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof write
}

/**
 * Client side of `split`: a `fetch` whose body notes each chunk as a reader gets it, for every
 * client compared (both read the body with `getReader()`).
 */
export const notingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init)
  const body = response.body
  if (body !== null) {
    const getReader = body.getReader.bind(body)
    Object.defineProperty(body, 'getReader', {
      value: () => {
        const reader = getReader()
        const read = reader.read.bind(reader)
        Object.defineProperty(reader, 'read', {
          value: () =>
            read().then((result) => {
              if (!result.done) cross(result.value, monotonicNow())
              return result
            }),
        })
        return reader
      },
    })
  }
  return response
}

/** Starts watching what `request` asks for; the function returned stops and reports. */
export async function startProbe(request: ProbeRequest): Promise<() => Promise<ProbeReport>> {
  const started = performance.now()
  // performance.now() and hrtime read the same clock, from different origins.
  const offset = monotonicNow() - performance.now()
  const gcs: GcPause[] = []
  const take = (entries: readonly PerformanceEntry[]) => {
    for (const entry of entries) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0
      gcs.push({ at: entry.startTime + offset, ms: entry.duration, kind: KINDS[kind] ?? 'other' })
    }
  }
  let observer: PerformanceObserver | undefined
  if (request.gc === true) {
    observer = new PerformanceObserver((list) => take(list.getEntries()))
    observer.observe({ entryTypes: ['gc'] })
  }
  if (request.callgrind === true) instrument('on')
  let session: Session | undefined
  if (request.heapProfile !== undefined) {
    session = new Session()
    session.connect()
    await session.post('HeapProfiler.enable')
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 256,
      includeObjectsCollectedByMinorGC: request.heapLive !== true,
      includeObjectsCollectedByMajorGC: request.heapLive !== true,
    })
  }
  return async () => {
    if (request.callgrind === true) instrument('off')
    const ended = performance.now()
    const report: ProbeReport = { gcs, window: [started, ended] }
    if (request.split === true) report.crossings = crossings
    if (observer !== undefined) {
      take(observer.takeRecords())
      observer.disconnect()
    }
    if (session !== undefined && request.heapProfile !== undefined) {
      const { profile } = await session.post('HeapProfiler.stopSampling')
      writeFileSync(request.heapProfile, JSON.stringify(profile))
      report.allocatedBytes = selfSizes(profile.head)
      session.disconnect()
    }
    return report
  }
}

function instrument(state: 'on' | 'off'): void {
  execFileSync('callgrind_control', ['-i', state, String(process.pid)], { stdio: 'ignore' })
}

// The sampled bytes of a profile's tree: each node's selfSize is already scaled to an estimate
// of all the bytes allocated there.
function selfSizes(node: { selfSize: number; children: unknown[] }): number {
  let total = node.selfSize
  for (const child of node.children) total += selfSizes(child as typeof node)
  return total
}
