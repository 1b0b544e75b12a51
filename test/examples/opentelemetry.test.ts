import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { afterEach, expect, it } from 'vitest'
import { exportRunstreamMetrics } from '../../examples/opentelemetry/metrics.js'
import { connect } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { stopAll } from '../cli/spawn.js'
import { waitFor } from '../helpers/wait.js'
import { collect, type Runstream, startRunstream } from '../reliability/harness.js'
import { startExample, watchRun } from './servers.js'

// The OpenTelemetry example against a real MeterProvider and in-memory exporter, with events
// through a real server to real clients; then the example server itself, on the console exporter.

let runstream: Runstream | undefined
let provider: MeterProvider | undefined
afterEach(async () => {
  await provider?.shutdown()
  provider = undefined
  await runstream?.close()
  runstream = undefined
  await stopAll()
})

function metricsByName(exporter: InMemoryMetricExporter): Map<string, MetricData> {
  const byName = new Map<string, MetricData>()
  for (const resource of exporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric)
    }
  }
  return byName
}

function pointValue(metric: MetricData | undefined): unknown {
  return metric?.dataPoints[0]?.value
}

it("exports the manager's counters, gauges and lag histogram to OpenTelemetry", async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // Exported on demand (forceFlush), not on a timer.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  provider = new MeterProvider({ readers: [reader] })
  runstream = await startRunstream()
  const { manager } = runstream
  const stop = exportRunstreamMetrics(manager, provider.getMeter('test'))

  const url = runstream.streamUrl('workflow', 'w1')
  const clients = [1, 2].map(() =>
    collect(connect(url, { catalog: executionCatalog, reconnect: false })),
  )
  await waitFor(() => manager.metrics().openConnections === 2, { what: 'both clients' })
  await reader.forceFlush()
  expect(pointValue(metricsByName(exporter).get('runstream.connections.open'))).toBe(2)
  exporter.reset()

  const stream = manager.stream('workflow:w1')
  for (let n = 0; n < 10; n++) stream.emit('llm_chunk', { text: `chunk ${n}` })
  stream.emit('llm_chunk', { text: 42 } as never)
  stream.emit('complete', { status: 'SUCCESS' })
  await Promise.all(clients)
  await waitFor(() => manager.metrics().openConnections === 0, { what: 'the clients to leave' })
  await reader.forceFlush()

  const exported = metricsByName(exporter)
  expect(pointValue(exported.get('runstream.events.emitted'))).toBe(11)
  expect(pointValue(exported.get('runstream.events.rejected'))).toBe(1)
  expect(pointValue(exported.get('runstream.events.delivered'))).toBe(22)
  expect(pointValue(exported.get('runstream.connections.opened'))).toBe(2)
  expect(pointValue(exported.get('runstream.connections.open'))).toBe(0)
  expect(pointValue(exported.get('runstream.store.failures'))).toBe(0)
  expect(exported.get('runstream.events.delivered')?.descriptor.unit).toBe('{event}')

  const lag = exported.get('runstream.delivery.lag')
  expect(lag?.dataPointType).toBe(DataPointType.HISTOGRAM)
  const histogram = lag?.dataPoints[0]?.value as Histogram
  expect(histogram.count).toBe(manager.metrics().lag.count)
  expect(histogram.count).toBeGreaterThanOrEqual(2)
  expect(histogram.buckets.boundaries).toEqual(
    manager.metrics().lag.boundsMs.map((ms) => ms / 1000),
  )

  // Once stopped, the manager is no longer read: the figures exported stay as they were.
  stop()
  manager.stream('workflow:w2').emit('llm_chunk', { text: 'after' })
  exporter.reset()
  await reader.forceFlush()
  expect(manager.metrics().eventsEmitted).toBe(12)
  expect(pointValue(metricsByName(exporter).get('runstream.events.emitted'))).not.toBe(12)
})

it('examples/opentelemetry serves the run and prints its metrics on the console exporter', async () => {
  const { example, url } = await startExample('examples/opentelemetry/server.ts', {
    METRICS_INTERVAL_MS: '100',
  })
  expect((await watchRun(url)).at(-1)?.type).toBe('complete')
  await example.waitFor(/runstream\.events\.delivered/)
})
