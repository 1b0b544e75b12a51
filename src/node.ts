/**
 * runstream/node: the Node.js edge. The only entry that touches `node:*` or `process`.
 * @packageDocumentation
 */
export { type StdoutTransportOptions, stdoutTransport } from './node/stdout.js'
