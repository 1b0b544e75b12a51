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
  if (chatId.length === 0 || chatId.length > 256 || /[\u0000-\u001f\u007f]/.test(chatId)) {
    return { kind: 'invalid' }
  }
  return { kind: match[2] === 'stream' ? 'stream' : 'cancel', chatId }
}
