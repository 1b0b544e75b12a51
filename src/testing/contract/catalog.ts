import * as z from 'zod/mini'
import { defineCatalog } from '../../core/catalog.js'

/**
 * The catalog the contract suites emit: `note` (text and a number), `ping` (an optional payload)
 * and the terminal `done`, which also ends a cancelled run (`{ ok: false }`).
 */
export const contractCatalog = defineCatalog(
  {
    note: z.object({ text: z.string(), n: z.number() }),
    ping: z.optional(z.object({ at: z.number() })),
    done: z.object({ ok: z.boolean() }),
  },
  { terminal: ['done'], cancel: () => ({ type: 'done', data: { ok: false } }) },
)
