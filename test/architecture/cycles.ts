/** A cycle: nodes in import order, the first repeated at the end (`a → b → a`). */
export type Cycle = readonly string[]

/**
 * The cycles of a directed graph, given its nodes and the nodes each one leads to. Every node on
 * a cycle is on one of those returned, and every cycle returned has a node that no shorter one
 * has: within each set of nodes that reach one another (a strongly connected component), the
 * shortest cycle through each node is taken, shortest first, while it adds a node. Not every
 * elementary cycle is listed (a tangle of n files can have exponentially many): break those
 * returned, and a run after the fix shows what is left.
 */
export function findCycles(
  nodes: readonly string[],
  targetsOf: (node: string) => readonly string[],
): Cycle[] {
  const edges = new Map(nodes.map((node) => [node, [...new Set(targetsOf(node))].sort()]))
  const cycles: Cycle[] = []
  for (const component of components(nodes, edges)) {
    const inside = new Set(component)
    const candidates = component
      .flatMap((start) => {
        const cycle = shortestCycle(start, edges, inside)
        return cycle === undefined ? [] : [rotated(cycle)]
      })
      .sort(byLength)
    const covered = new Set<string>()
    for (const cycle of candidates) {
      if (cycle.every((node) => covered.has(node))) continue
      for (const node of cycle) covered.add(node)
      cycles.push(cycle)
    }
  }
  return cycles.sort(byLength)
}

/**
 * `a → b → a`; `→(type)` marks a step where the file imports only types from the next one
 * (`typesOnly` tells), which still makes a cycle for the reader and for the declarations.
 */
export function formatCycle(
  cycle: Cycle,
  typesOnly: (from: string, to: string) => boolean = () => false,
): string {
  let text = cycle[0] ?? ''
  for (let i = 1; i < cycle.length; i++) {
    const from = cycle[i - 1] as string
    const to = cycle[i] as string
    text += `${typesOnly(from, to) ? ' →(type)' : ' →'} ${to}`
  }
  return text
}

// Tarjan's algorithm; components of one file count only when the file imports itself.
function components(files: readonly string[], edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (file: string): void => {
    index.set(file, index.size)
    low.set(file, index.get(file) as number)
    stack.push(file)
    onStack.add(file)
    for (const next of edges.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(file, Math.min(low.get(file) as number, low.get(next) as number))
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file) as number, index.get(next) as number))
      }
    }
    if (low.get(file) !== index.get(file)) return
    const component: string[] = []
    let member: string | undefined
    do {
      member = stack.pop() as string
      onStack.delete(member)
      component.push(member)
    } while (member !== file)
    if (component.length > 1 || edges.get(file)?.includes(file)) found.push(component.sort())
  }
  for (const file of files) if (!index.has(file)) visit(file)
  return found
}

// Breadth first from `start`, staying inside its component, back to `start`.
function shortestCycle(
  start: string,
  edges: Map<string, string[]>,
  inside: Set<string>,
): string[] | undefined {
  const previous = new Map<string, string>()
  const queue = [start]
  for (let head = 0; head < queue.length; head++) {
    const file = queue[head] as string
    for (const next of edges.get(file) ?? []) {
      if (!inside.has(next)) continue
      if (next === start) {
        const path = [start]
        for (let at = file; at !== start; at = previous.get(at) as string) path.push(at)
        return [start, ...path.slice(1).reverse(), start]
      }
      if (previous.has(next)) continue
      previous.set(next, file)
      queue.push(next)
    }
  }
  return undefined
}

// The same cycle found from each of its files, written from its smallest file, so it is kept once.
function rotated(cycle: readonly string[]): string[] {
  const ring = cycle.slice(0, -1)
  const first = ring.indexOf([...ring].sort()[0] as string)
  const turned = [...ring.slice(first), ...ring.slice(0, first)]
  return [...turned, turned[0] as string]
}

function byLength(a: Cycle, b: Cycle): number {
  return a.length - b.length || a.join().localeCompare(b.join())
}
