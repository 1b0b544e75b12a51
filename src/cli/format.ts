import type { StreamEvent } from '../client/events.js'
import type { Paint } from './io.js'

/** Statuses of `complete` (and `workflow_status`) that mean the run did not succeed. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set(['FAILED', 'TIMED_OUT', 'CANCELED'])

/**
 * Whether a terminal event reports a failure: an `error` event, or any event whose payload has a
 * failed `status`.
 */
export function isFailure(event: StreamEvent): boolean {
  if (event.type === 'error') return true
  const status = (event.data as { status?: unknown } | null | undefined)?.status
  return typeof status === 'string' && FAILED_STATUSES.has(status)
}

/**
 * One event as one line: `08:00:00.123  #12  llm_chunk        "Hel"`. The time is the envelope's
 * `ts` (in local time), or when the event arrived for servers that send no envelope. The payload
 * summary is cut to fit `width` columns.
 */
export function formatEvent(event: StreamEvent, p: Paint, width: number, now = new Date()): string {
  const time = clockTime(event.ts === undefined ? now : new Date(event.ts))
  const id = event.id === '' ? '' : `#${event.id}`
  const prefix = `${time}  ${id.padStart(5)}  ${event.type.padEnd(16)} `
  const room = Math.max(20, width - prefix.length)
  const summary = truncate(summarize(event), room)
  return `${p.dim(time)}  ${p.dim(id.padStart(5))}  ${colorType(event, p)(event.type.padEnd(16))} ${summary}`
}

/** `HH:MM:SS.mmm` in local time. */
export function clockTime(date: Date): string {
  const pad = (n: number, size = 2) => String(n).padStart(size, '0')
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
}

/** A short, one-line description of an event's payload. */
export function summarize(event: StreamEvent): string {
  const data = event.data as Record<string, unknown> | null | undefined
  if (typeof data !== 'object' || data === null) return oneLine(data)
  switch (event.type) {
    case 'llm_chunk':
    case 'thought':
      return typeof data.text === 'string' ? JSON.stringify(data.text) : oneLine(data)
    case 'tool_call':
      return `${String(data.tool_name)}(${argsText(data.args)})`
    case 'tool_result': {
      const error = data.error as { message?: unknown } | undefined
      const took = typeof data.duration_ms === 'number' ? ` in ${data.duration_ms} ms` : ''
      return error === undefined
        ? `${String(data.tool_name)} ✓ ${oneLine(data.output)}${took}`
        : `${String(data.tool_name)} ✗ ${String(error.message)}${took}`
    }
    case 'workflow_status':
    case 'agent_status':
    case 'task_status':
      return [data.status, data.step === undefined ? undefined : `step ${String(data.step)}`]
        .filter((part) => part !== undefined)
        .join(' · ')
    case 'task_started':
      return `${String(data.task_id)}  ${String(data.description)}`
    case 'task_completed':
      return `${String(data.task_id)}  ${data.success === true ? '✓' : '✗'} ${oneLine(data.output)}`
    case 'reflection': {
      const gaps = Array.isArray(data.gaps) ? data.gaps.length : 0
      const added = Array.isArray(data.new_tasks) ? data.new_tasks.length : 0
      return data.done === true ? 'done' : `${gaps} gap(s), ${added} new task(s)`
    }
    case 'complete': {
      const parts = [String(data.status)]
      if (typeof data.duration_ms === 'number')
        parts.push(`in ${(data.duration_ms / 1000).toFixed(1)} s`)
      const usage = data.usage as { total_tokens?: unknown } | undefined
      if (typeof usage?.total_tokens === 'number') parts.push(`${usage.total_tokens} tokens`)
      return parts.join(' · ')
    }
    case 'error': {
      const error = data.error as { message?: unknown; code?: unknown } | undefined
      if (error === undefined) return oneLine(data)
      return `${String(data.status ?? 'error')}: ${String(error.message)}${error.code === undefined ? '' : ` (${String(error.code)})`}`
    }
    default:
      return oneLine(data)
  }
}

function colorType(event: StreamEvent, p: Paint): (text: string) => string {
  if (event.type === 'error') return p.red
  if (event.type === 'complete') return isFailure(event) ? p.red : p.green
  if (event.type === 'llm_chunk' || event.type === 'thought') return p.cyan
  if (event.type === 'tool_call' || event.type === 'tool_result') return p.magenta
  if (event.type.endsWith('_status')) return p.blue
  return p.bold
}

function argsText(args: unknown): string {
  if (typeof args !== 'object' || args === null) return ''
  return Object.entries(args)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(', ')
}

function oneLine(value: unknown): string {
  if (value === undefined) return ''
  if (typeof value === 'string') return value.replace(/\s+/g, ' ')
  return JSON.stringify(value) ?? String(value)
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
