/**
 * The demo page's script: follows the demo server's runs with `connect` from runstream/client
 * and draws them. Bundled for the browser by the demo server (see `../assets.ts`).
 */
import { connect, type StreamSubscription } from '../../client/connect.js'
import { isRunstreamError } from '../../core/errors.js'
import { type DemoCatalog, demoCatalog } from '../catalog.js'
import { QUESTION } from '../scenario.js'
import { type PageState, render } from './render.js'
import { applyEvent, emptyView, isFinished, type RunView } from './view.js'

const params = new URLSearchParams(location.search)
// `?run=<id>` pins the page to one run; otherwise it follows the newest.
const pinned = params.get('run')
const page: PageState = {
  connection: 'connecting',
  reconnects: 0,
  problem: undefined,
  selectedTaskId: undefined,
  following: pinned === null,
}
let view: RunView = emptyView()
let subscription: StreamSubscription<DemoCatalog> | undefined
let frame = 0

;(document.getElementById('question') as HTMLElement).textContent = QUESTION
wireControls()
void start()

async function start(): Promise<void> {
  const id = pinned ?? (await currentRun(undefined))
  watch(id)
}

/**
 * Follows a run: the one `id` names (a GET of its stream), or, with `start`, a new one the POST
 * starts and streams at once; after a drop the client resumes with a GET at its Location.
 */
function watch(id: string | undefined, start?: { fail?: boolean }): void {
  subscription?.close()
  view = emptyView()
  page.selectedTaskId = undefined
  page.connection = 'connecting'
  const url =
    id === undefined
      ? '/api/v0/executions/workflows'
      : `/api/v0/executions/workflows/${encodeURIComponent(id)}/stream`
  const sub = connect(url, {
    ...(start === undefined
      ? {}
      : {
          method: 'POST',
          body: JSON.stringify(start),
          headers: { 'content-type': 'application/json' },
        }),
    catalog: demoCatalog,
    // A demo should come back quickly after "Drop connection"; the defaults suit production.
    reconnect: { initialDelayMs: 300, maxDelayMs: 3000, maxRetries: Number.POSITIVE_INFINITY },
    onOpen() {
      page.connection = 'open'
      page.problem = undefined
      schedule()
    },
    onReconnect(info) {
      page.connection = 'reconnecting'
      page.reconnects++
      page.problem = info.error.message
      schedule()
    },
    onError(error, info) {
      if (isRunstreamError(error, 'cursor_expired')) {
        // The server no longer holds what we missed: start over from what it has.
        view = emptyView()
      }
      if (info.fatal) page.problem = error.message
      schedule()
    },
  })
  subscription = sub
  sub.on('*', (event) => {
    applyEvent(view, event)
    schedule()
  })
  void ended(sub)
}

// Waits for the subscription to end, then moves on to the next run when following.
async function ended(sub: StreamSubscription<DemoCatalog>): Promise<void> {
  try {
    for await (const _ of sub) {
      // Events are applied by the `on('*')` handler; iterating only tells when the stream ends.
    }
  } catch {
    // A fatal error: its message is already shown through onError.
  }
  if (sub !== subscription) return
  page.connection = 'ended'
  schedule()
  if (!page.following || !isFinished(view)) return
  const next = await currentRun(view.executionId)
  if (sub === subscription) watch(next)
}

// Asks the demo server for its newest run, waiting until it differs from `previous`.
async function currentRun(previous: string | undefined): Promise<string> {
  for (;;) {
    try {
      const response = await fetch('/demo/runs/current')
      if (response.ok) {
        const body = (await response.json()) as { id: string | null }
        if (body.id !== null && body.id !== previous) return body.id
      }
    } catch {
      // The server is restarting: keep asking.
    }
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

function wireControls(): void {
  const drop = document.getElementById('drop') as HTMLButtonElement
  drop.addEventListener('click', () => {
    void fetch('/demo/drop', { method: 'POST' })
  })
  const newRun = document.getElementById('new-run') as HTMLButtonElement
  newRun.addEventListener('click', () => {
    // `?fail=true` on the page makes the runs it starts fail, to see how a failure looks.
    const fail = params.get('fail')
    watch(undefined, fail === null ? {} : { fail: fail === 'true' })
  })
  const stop = document.getElementById('stop') as HTMLButtonElement
  stop.addEventListener('click', () => {
    const id = view.executionId
    if (id === undefined) return
    stop.disabled = true
    void fetch(`/api/v0/executions/workflows/${encodeURIComponent(id)}/cancel`, { method: 'POST' })
  })
  const list = document.getElementById('task-list') as HTMLElement
  const select = (target: EventTarget | null) => {
    const item = (target as HTMLElement | null)?.closest<HTMLElement>('[data-task]')
    if (item === null || item === undefined) return
    const id = item.dataset.task
    page.selectedTaskId = id === page.selectedTaskId ? undefined : id
    schedule()
  }
  list.addEventListener('click', (event) => select(event.target))
  list.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') select(event.target)
  })
}

function schedule(): void {
  if (frame !== 0) return
  frame = requestAnimationFrame(() => {
    frame = 0
    render(document, view, page)
  })
}
