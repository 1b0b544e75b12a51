import * as z from 'zod/mini'
import { safeParse } from 'zod/v4/core'

/**
 * A chat id, as a route and a request body carry it: 1 to 256 characters, no control character
 * (a stream name's prefix and length must still fit).
 */
export const chatIdSchema = /* @__PURE__ */ z
  .string()
  .check(z.minLength(1), z.maxLength(256), z.regex(/^[^\u0000-\u001f\u007f]*$/))

/**
 * What a chat handler checks of the body `useChat` posts: a chat id and an array of messages.
 * Every other member (`trigger`, `messageId`, the app's own) is kept and given to `run` as it is.
 * The OpenAPI document's request body is generated from it.
 */
export const chatRequestSchema = /* @__PURE__ */ z.looseObject({
  id: chatIdSchema,
  messages: z.array(z.unknown()),
})

/** Whether `id` can be a chat id (see {@link chatIdSchema}). */
export function isChatId(id: unknown): id is string {
  return safeParse(chatIdSchema, id).success
}

/**
 * A request to a chat handler, by its path, under the chat route `api`:
 *
 * | path | route |
 * | --- | --- |
 * | `{api}` | `POST`: start a reply |
 * | `{api}/{chatId}/stream` | `GET`: the chat's reply (the AI SDK's resume route) |
 * | `{api}/{chatId}/cancel` | `POST`: cancel the chat's reply |
 */
export type ChatRoute =
  | { readonly kind: 'start' }
  | { readonly kind: 'stream' | 'cancel'; readonly chatId: string }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'none' }

const CHAT_ROUTE = /^([^/]+)\/(stream|cancel)$/

/** Matches a path (as the URL gives it, still percent-encoded) to a chat route under `api`. */
export function matchChatRoute(pathname: string, api: string): ChatRoute {
  if (pathname === api || pathname === `${api}/`) return { kind: 'start' }
  if (!pathname.startsWith(`${api}/`)) return { kind: 'none' }
  const match = CHAT_ROUTE.exec(pathname.slice(api.length + 1))
  if (match === null) return { kind: 'none' }
  let chatId: string
  try {
    // Decoded once: the AI SDK encodes it with encodeURIComponent.
    chatId = decodeURIComponent(match[1] ?? '')
  } catch {
    return { kind: 'invalid' }
  }
  if (!isChatId(chatId)) return { kind: 'invalid' }
  return { kind: match[2] === 'stream' ? 'stream' : 'cancel', chatId }
}
