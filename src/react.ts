/**
 * runstream/react: React hooks over runstream/client. `useStream` follows any event stream,
 * `useRun` folds a workflow, agent or task run into what a run view shows, `useStreams` follows
 * several streams over one connection. React 19 is an
 * optional peer dependency: only this entry imports it.
 *
 * The hooks are correct under React's rules: a connection opens after commit (never during a
 * render, never on the server), StrictMode's double mount reuses it, the last unmount closes it,
 * and a burst of events costs one render per frame.
 * @packageDocumentation
 */

export type { ConnectionState } from './react/connection.js'
export {
  type RunstreamConfig,
  RunstreamProvider,
  type RunstreamProviderProps,
} from './react/provider.js'
export { type RunView, type UseRunOptions, useRun } from './react/use-run.js'
export {
  type StreamState,
  type UseStreamOptions,
  type UseStreamsOptions,
  useStream,
  useStreams,
} from './react/use-stream.js'
