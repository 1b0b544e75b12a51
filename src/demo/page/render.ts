import type { ReflectionView, RunStatus, RunView, TaskView } from './view.js'

/** The connection as the indicator shows it. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'ended'

/** What the page shows besides the run itself. */
export interface PageState {
  connection: ConnectionState
  /** Reconnects since the page opened, over every run it followed. */
  reconnects: number
  /** The last connection problem, shown under the indicator while reconnecting. */
  problem: string | undefined
  /** The task whose text the live panel shows; `undefined` follows the running task. */
  selectedTaskId: string | undefined
  /** Whether the page moves on to the next run when this one ends. */
  following: boolean
}

const STATUS_LABEL: Record<RunStatus, string> = {
  waiting: 'Waiting',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  canceled: 'Canceled',
}

const CONNECTION_LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  ended: 'Stream ended',
}

/**
 * Draws the view into the page. Called at most once per animation frame; it rebuilds the small
 * lists and sets text elsewhere, so it never needs to diff.
 */
export function render(doc: Document, view: RunView, page: PageState): void {
  const body = doc.body
  body.dataset.runStatus = view.status
  body.dataset.lastEventId = view.lastEventId ?? ''
  const byId = (id: string) => doc.getElementById(id) as HTMLElement

  const pill = byId('status-pill')
  pill.textContent = STATUS_LABEL[view.status]
  pill.dataset.status = view.status

  const conn = byId('conn')
  conn.dataset.state = page.connection
  conn.dataset.reconnects = String(page.reconnects)
  byId('conn-label').textContent = CONNECTION_LABEL[page.connection]
  byId('conn-count').textContent =
    page.reconnects === 0 ? '' : `${page.reconnects} reconnect${page.reconnects === 1 ? '' : 's'}`
  conn.title = page.problem ?? ''

  // Stop cancels the run the page shows, while it runs.
  ;(byId('stop') as HTMLButtonElement).disabled =
    view.executionId === undefined || isOver(view.status)
  byId('exec-id').textContent = view.executionId ?? '—'
  byId('step').textContent = view.step ?? '—'
  byId('event-count').textContent = String(view.eventCount)
  byId('tokens').textContent =
    view.totalTokens === undefined ? '—' : view.totalTokens.toLocaleString('en-US')

  byId('task-list').replaceChildren(...timeline(doc, view, page))
  renderLive(doc, view, page)
  renderResult(doc, view, page)
}

// Tasks in order, each round followed by the reflection that closed it.
function timeline(doc: Document, view: RunView, page: PageState): HTMLElement[] {
  const items: HTMLElement[] = []
  const rounds = Math.max(view.reflections.length, ...view.tasks.map((t) => t.round), 0)
  for (let round = 1; round <= rounds; round++) {
    for (const task of view.tasks) {
      if (task.round === round) items.push(taskItem(doc, task, view, page))
    }
    const reflection = view.reflections[round - 1]
    if (reflection !== undefined) items.push(reflectionItem(doc, reflection))
  }
  if (items.length === 0) {
    items.push(el(doc, 'li', { class: 'empty' }, ['The planner is thinking…']))
  }
  return items
}

function taskItem(doc: Document, task: TaskView, view: RunView, page: PageState): HTMLElement {
  const shown = shownTask(view, page)
  const item = el(doc, 'li', {
    class: `task${shown?.id === task.id ? ' selected' : ''}`,
    'data-state': task.state,
    'data-task': task.id,
    role: 'button',
    tabindex: '0',
  })
  const head = el(doc, 'div', { class: 'task-head' }, [
    el(doc, 'span', { class: 'state-icon', 'aria-label': task.state }),
    el(doc, 'span', { class: 'task-title' }, [task.description]),
  ])
  if (task.added) head.append(el(doc, 'span', { class: 'badge' }, ['from reflection']))
  item.append(head)
  if (task.tools.length > 0) {
    item.append(
      el(
        doc,
        'div',
        { class: 'chips' },
        task.tools.map((tool) =>
          el(doc, 'span', { class: `chip ${tool.state}`, title: tool.summary }, [tool.name]),
        ),
      ),
    )
  }
  if (task.output !== undefined) {
    item.append(el(doc, 'div', { class: 'task-output' }, [task.output]))
  }
  return item
}

function reflectionItem(doc: Document, reflection: ReflectionView): HTMLElement {
  const text = reflection.done
    ? 'Reflection: the findings answer the question.'
    : `Reflection: ${reflection.gaps.join('; ')}. Adding ${reflection.newTasks.length} task${reflection.newTasks.length === 1 ? '' : 's'}.`
  return el(doc, 'li', { class: `reflection${reflection.done ? ' done' : ''}` }, [
    el(doc, 'span', { class: 'reflection-icon' }, [reflection.done ? '✓' : '↻']),
    el(doc, 'span', {}, [text]),
  ])
}

function renderLive(doc: Document, view: RunView, page: PageState): void {
  const task = shownTask(view, page)
  const title = doc.getElementById('live-task') as HTMLElement
  const text = doc.getElementById('live-text') as HTMLElement
  const tools = doc.getElementById('live-tools') as HTMLElement
  const thought = doc.getElementById('thought') as HTMLElement
  title.textContent = task?.description ?? 'Waiting for the first task'
  const streaming = task !== undefined && task.state === 'running'
  text.dataset.streaming = String(streaming)
  const atBottom = text.scrollHeight - text.scrollTop - text.clientHeight < 24
  if (text.textContent !== (task?.text ?? '')) text.textContent = task?.text ?? ''
  if (atBottom) text.scrollTop = text.scrollHeight
  tools.replaceChildren(
    ...(task?.tools ?? []).map((tool) =>
      el(doc, 'div', { class: `tool ${tool.state}` }, [
        el(doc, 'span', { class: 'tool-name' }, [tool.name]),
        el(doc, 'code', {}, [tool.summary]),
      ]),
    ),
  )
  // A finished run's last thought is the planner's, long stale; a failure's explains it.
  const stale = view.status === 'succeeded'
  thought.textContent = view.thought ?? ''
  thought.hidden = view.thought === undefined || stale
}

function renderResult(doc: Document, view: RunView, page: PageState): void {
  const result = doc.getElementById('result') as HTMLElement
  const finished =
    view.status === 'succeeded' || view.status === 'failed' || view.status === 'canceled'
  result.hidden = !finished
  if (!finished) return
  result.dataset.status = view.status
  const seconds = view.durationMs === undefined ? undefined : (view.durationMs / 1000).toFixed(1)
  const headline =
    view.status === 'succeeded'
      ? `Completed${seconds === undefined ? '' : ` in ${seconds} s`}`
      : view.status === 'canceled'
        ? 'Canceled'
        : 'Failed'
  const children: (HTMLElement | string)[] = [
    el(doc, 'div', { class: 'result-head' }, [
      el(doc, 'span', { class: 'result-icon' }, [view.status === 'succeeded' ? '✓' : '✕']),
      headline,
    ]),
  ]
  const body = view.status === 'succeeded' ? view.answer : view.failure
  if (body !== undefined) children.push(el(doc, 'p', {}, [body]))
  if (page.following) {
    children.push(el(doc, 'p', { class: 'next' }, ['Watching for the next run…']))
  }
  result.replaceChildren(...children)
}

function shownTask(view: RunView, page: PageState): TaskView | undefined {
  const pick = page.selectedTaskId ?? view.activeTaskId
  return (
    (pick === undefined ? undefined : view.tasks.find((t) => t.id === pick)) ?? view.tasks.at(-1)
  )
}

function el(
  doc: Document,
  tag: string,
  attributes: Record<string, string> = {},
  children: (HTMLElement | string)[] = [],
): HTMLElement {
  const node = doc.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

function isOver(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled'
}
