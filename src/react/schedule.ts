/**
 * Runs `callback` once before the next frame is painted (`requestAnimationFrame`), or, where
 * there are no frames (Node, a worker), in the next task (`setTimeout(0)`). A burst of events
 * that arrives within one frame then costs one render, not one per event.
 */
export function nextFrame(callback: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(callback)
  else setTimeout(callback, 0)
}
