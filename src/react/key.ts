// A connection is shared by the hooks that render with the same key: the URL and every option
// that changes what is requested. Callbacks and `fetch` are left out (they are read from the
// latest render instead), so an inline arrow function does not reconnect on every render.
// Objects that are not plain data (a catalog, a `Headers`, a `FormData` body) count by identity.

const ids = new WeakMap<object, number>()
let nextId = 0

/** The key of a connection: `parts` as JSON, functions left out, class instances and catalogs by identity. */
export function keyOf(...parts: unknown[]): string {
  return JSON.stringify(parts, (name, value: unknown) => {
    if (typeof value === 'function') return undefined
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
    const proto: unknown = Object.getPrototypeOf(value)
    if (name !== 'catalog' && (proto === Object.prototype || proto === null)) return value
    let id = ids.get(value)
    if (id === undefined) {
      id = ++nextId
      ids.set(value, id)
    }
    return `#${id}`
  })
}
