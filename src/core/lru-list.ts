/**
 * A doubly linked list of nodes, oldest first, where moving a node to the end, removing it and
 * finding the oldest cost O(1). The memory store keeps its streams in such lists, ordered by their
 * last write, so that making room never scans or sorts the streams it holds.
 */
export interface LruList<T> {
  /** The oldest node, or `undefined` when the list is empty. */
  readonly head: LruNode<T> | undefined
  /** How many nodes the list holds. */
  readonly size: number
  /** Adds `node` at the end (removing it first from the list it is in, if any). */
  moveToEnd(node: LruNode<T>): void
  /** Removes `node` if it is in this list. */
  remove(node: LruNode<T>): void
  /** Empties the list. */
  clear(): void
}

/** A node of an {@link LruList}: one per value and list. */
export interface LruNode<T> {
  readonly value: T
  /** @internal */ list: LruList<T> | undefined
  /** @internal */ prev: LruNode<T> | undefined
  /** @internal */ next: LruNode<T> | undefined
}

/** Creates a node for `value`, in no list yet. */
export function lruNode<T>(value: T): LruNode<T> {
  return { value, list: undefined, prev: undefined, next: undefined }
}

/** Creates an empty list. */
export function createLruList<T>(): LruList<T> {
  let head: LruNode<T> | undefined
  let tail: LruNode<T> | undefined
  let size = 0

  const list: LruList<T> = {
    get head() {
      return head
    },
    get size() {
      return size
    },
    moveToEnd(node) {
      if (node.list === list && tail === node) return
      node.list?.remove(node)
      node.list = list
      node.prev = tail
      node.next = undefined
      if (tail === undefined) head = node
      else tail.next = node
      tail = node
      size++
    },
    remove(node) {
      if (node.list !== list) return
      if (node.prev === undefined) head = node.next
      else node.prev.next = node.next
      if (node.next === undefined) tail = node.prev
      else node.next.prev = node.prev
      node.list = undefined
      node.prev = undefined
      node.next = undefined
      size--
    },
    clear() {
      let node = head
      while (node !== undefined) {
        const next = node.next
        node.list = undefined
        node.prev = undefined
        node.next = undefined
        node = next
      }
      head = undefined
      tail = undefined
      size = 0
    },
  }
  return list
}
