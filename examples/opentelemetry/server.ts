/**
 * runstream's SSE routes on `node:http`, with its metrics exported through OpenTelemetry to the
 * console every `METRICS_INTERVAL_MS` (10 s by default). Swap the exporter for OTLP or Prometheus.
 * Run it: `npx tsx examples/opentelemetry/server.ts`, then watch the run it plays:
 * `curl -N http://localhost:3000/api/v0/executions/workflows/exec_1/stream`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { createStreamManager, executionCatalog } from 'runstream'
import { createNodeHandler } from 'runstream/node'
import { playFakeRun } from '../shared/fake-run.js'
import { exportRunstreamMetrics } from './metrics.js'

const provider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new ConsoleMetricExporter(),
      exportIntervalMillis: Number(process.env.METRICS_INTERVAL_MS ?? 10_000),
    }),
  ],
})
const manager = createStreamManager({ catalog: executionCatalog })
const stopExporting = exportRunstreamMetrics(manager, provider.getMeter('runstream-example'))
const handler = createNodeHandler(manager)
const server = createServer((req, res) => void handler(req, res))

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`Listening on http://localhost:${port}`)
  console.log(`Watch: http://localhost:${port}/api/v0/executions/workflows/exec_1/stream`)
})
void playFakeRun(manager.stream('workflow:exec_1'))

process.once('SIGINT', () => {
  handler.close()
  server.close()
  stopExporting()
  void manager.close().then(() => provider.shutdown())
})
