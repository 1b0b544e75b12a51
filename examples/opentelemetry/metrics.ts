/**
 * Exports a runstream manager's metrics through OpenTelemetry: counters and gauges read from
 * `manager.metrics()` when the SDK collects, and the delivery lag as a histogram fed by
 * `manager.observe()`. Works with any MeterProvider (OTLP, Prometheus, console).
 *
 * @example
 * ```ts
 * const stop = exportRunstreamMetrics(manager, metrics.getMeter('my-app'))
 * ```
 */
import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api'
import type { StreamManager, StreamMetrics } from 'runstream'

type Counted = Exclude<keyof StreamMetrics, 'lag'>

/** Each figure of `manager.metrics()`, as an instrument: its name, unit and meaning. */
const INSTRUMENTS: readonly {
  key: Counted
  name: string
  unit: string
  description: string
  /** Open figures go up and down; the others only grow. */
  kind: 'gauge' | 'counter'
}[] = [
  {
    key: 'openStreams',
    name: 'runstream.streams.open',
    unit: '{stream}',
    kind: 'gauge',
    description: 'Streams with at least one open subscriber.',
  },
  {
    key: 'openSubscriptions',
    name: 'runstream.subscriptions.open',
    unit: '{subscription}',
    kind: 'gauge',
    description: 'Open subscriptions (connections and subscribe() loops).',
  },
  {
    key: 'openConnections',
    name: 'runstream.connections.open',
    unit: '{connection}',
    kind: 'gauge',
    description: 'Open client connections.',
  },
  {
    key: 'connectionsOpened',
    name: 'runstream.connections.opened',
    unit: '{connection}',
    kind: 'counter',
    description: 'Client connections opened.',
  },
  {
    key: 'reconnects',
    name: 'runstream.connections.resumed',
    unit: '{connection}',
    kind: 'counter',
    description: 'Connections that came with a Last-Event-ID.',
  },
  {
    key: 'eventsEmitted',
    name: 'runstream.events.emitted',
    unit: '{event}',
    kind: 'counter',
    description: 'Events stored and handed to the transports.',
  },
  {
    key: 'eventsRejected',
    name: 'runstream.events.rejected',
    unit: '{event}',
    kind: 'counter',
    description: 'Emits that sent nothing (invalid, too large, after the end).',
  },
  {
    key: 'eventsDelivered',
    name: 'runstream.events.delivered',
    unit: '{event}',
    kind: 'counter',
    description: 'Events written to client connections.',
  },
  {
    key: 'eventsFiltered',
    name: 'runstream.events.filtered',
    unit: '{event}',
    kind: 'counter',
    description: "Events a connection's filter left out.",
  },
  {
    key: 'eventsReplayed',
    name: 'runstream.events.replayed',
    unit: '{event}',
    kind: 'counter',
    description: 'Events read back from the store for subscribers catching up.',
  },
  {
    key: 'eventsDropped',
    name: 'runstream.events.dropped',
    unit: '{event}',
    kind: 'counter',
    description: 'Events subscribers will never get.',
  },
  {
    key: 'gaps',
    name: 'runstream.cursor.gaps',
    unit: '{gap}',
    kind: 'counter',
    description: 'Cursors that could not be resumed as they were.',
  },
  {
    key: 'slowClientCutoffs',
    name: 'runstream.subscribers.cut_off',
    unit: '{subscriber}',
    kind: 'counter',
    description: 'Subscribers ended for being too slow.',
  },
  {
    key: 'storeFailures',
    name: 'runstream.store.failures',
    unit: '{failure}',
    kind: 'counter',
    description: 'Failed store appends, reads and live registrations.',
  },
]

/**
 * Registers runstream's instruments on `meter` for `manager`. Returns the function that removes
 * them (call it when the manager closes).
 */
export function exportRunstreamMetrics(manager: StreamManager, meter: Meter): () => void {
  const observables = INSTRUMENTS.map((instrument) => {
    const options = { unit: instrument.unit, description: instrument.description }
    return instrument.kind === 'gauge'
      ? meter.createObservableUpDownCounter(instrument.name, options)
      : meter.createObservableCounter(instrument.name, options)
  })
  // One snapshot per collection, for every instrument.
  const collect = (result: BatchObservableResult) => {
    const figures = manager.metrics()
    INSTRUMENTS.forEach((instrument, index) => {
      result.observe(observables[index] as Observable, figures[instrument.key])
    })
  }
  meter.addBatchObservableCallback(collect, observables)

  // Durations in seconds, as OpenTelemetry's conventions have them, in runstream's own buckets.
  const lag = meter.createHistogram('runstream.delivery.lag', {
    unit: 's',
    description: "Time from an event's emit to its write to a client, sampled once per burst.",
    advice: { explicitBucketBoundaries: manager.metrics().lag.boundsMs.map((ms) => ms / 1000) },
  })
  const stopObserving = manager.observe({ onLag: (ms) => lag.record(ms / 1000) })

  return () => {
    meter.removeBatchObservableCallback(collect, observables)
    stopObserving()
  }
}
