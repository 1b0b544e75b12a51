import * as z from 'zod/mini'
import { defineCatalog } from '../core/catalog.js'

/**
 * The built-in catalog of an agent loop that plans tasks, runs them and reflects on the
 * results. It has no terminal event of its own: combine it with {@link executionCatalog}'s
 * `complete` and `error` when a stream must end (see docs/catalog.md).
 *
 * | event | payload |
 * | --- | --- |
 * | `task_started` | `{ task_id, description }` |
 * | `task_completed` | `{ task_id, success, output }` |
 * | `reflection` | `{ done, gaps: string[], new_tasks: string[] }` |
 * | `thought` | `{ text }` |
 */
export const orchestrationCatalog = /* @__PURE__ */ defineCatalog({
  task_started: z.object({ task_id: z.string(), description: z.string() }),
  task_completed: z.object({ task_id: z.string(), success: z.boolean(), output: z.unknown() }),
  reflection: z.object({
    done: z.boolean(),
    gaps: z.array(z.string()),
    new_tasks: z.array(z.string()),
  }),
  thought: z.object({ text: z.string() }),
})
