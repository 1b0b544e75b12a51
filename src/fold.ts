/**
 * runstream/fold: what a run view shows (status, step, the text streamed so far, tool calls,
 * usage, the result or error), folded from the events of an execution stream by a pure
 * function. No React and no connection here: use it with `runstream/client`, `runstream/react`,
 * Vue, Svelte or a plain page.
 * @packageDocumentation
 */

export {
  type ExecutionStatus,
  type FoldableEvent,
  foldRun,
  initialRunState,
  type RunError,
  type RunEvent,
  type RunState,
  type RunUsage,
  type ToolCall,
  type ToolResult,
} from './fold/run.js'
