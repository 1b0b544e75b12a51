/** The help texts: what `--help` prints, and the manual of the `runstream` command. */

const EXIT_CODES = `Exit codes:
  0    the stream ended without failure (or the server was stopped)
  1    the stream ended with a failure: an "error" event, or "complete" with a
       FAILED, TIMED_OUT or CANCELED status
  2    bad arguments, or an input file that cannot be used
  3    the URL could not be reached or answered an HTTP error; the port could
       not be opened; or reconnecting gave up
  130  stopped with Ctrl-C before the stream ended`

/** `runstream --help`. */
export const MAIN_HELP = `runstream: watch, replay and demo live event streams of workflow, agent and
task executions.

Usage:
  runstream <command> [options]

Commands:
  tail <url>          watch an SSE stream and print its events
  serve <file.jsonl>  serve a recorded JSON-lines log as SSE stream endpoints
  demo                run the live demo: a simulated agent run and a page

Options:
  -h, --help          show help (also: runstream <command> --help)
  -v, --version       print the version

${EXIT_CODES}
`

/** `runstream tail --help`. */
export const TAIL_HELP = `runstream tail: watch a server-sent events stream and print its events.

Usage:
  runstream tail <url> [options]

Works with runstream's endpoints and with any other SSE server. Each event is
printed on one line: time, id, type and a short payload. Reconnects (with
Last-Event-ID, so nothing is lost or repeated) are shown on stderr. The command
exits on the stream's terminal event, with a code that tells success from
failure.

Options:
  --events <a,b>          only these event types (sent as ?events=a,b, and
                          filtered locally for servers that ignore it)
  --json                  print each event as one JSON line, shaped like an
                          envelope: {id, type, stream, ts, data}. From a server
                          in payload framing (runstream's default) ts is left
                          out and stream is read from a runstream route's URL;
                          a server in envelope framing gives both. Status lines
                          still go to stderr
  --last-event-id <id>    resume after this event id
  --terminal <a,b>        the event types that end the stream
                          (default: complete,error)
  -H, --header <h: v>     send a request header, e.g. "Authorization: Bearer x"
                          (repeatable)
  --max-retries <n>       give up after n failed reconnects in a row
                          (default: 20; "Infinity" never gives up)
  -h, --help              show this help

If the first connection fails (refused, DNS, HTTP error), tail exits with 3 at
once instead of retrying: a typo should not look like an outage.

${EXIT_CODES}

Examples:
  runstream tail http://localhost:4400/api/v0/executions/workflows/exec_1/stream
  runstream tail http://localhost:3000/api/v0/executions/agents/a1/stream --events llm_chunk,complete,error
  runstream tail https://api.example.com/stream --json -H "Authorization: Bearer $TOKEN" | jq .
`

/** `runstream serve --help`. */
export const SERVE_HELP = `runstream serve: serve a recorded JSON-lines log as SSE stream endpoints.

Usage:
  runstream serve <file.jsonl> [options]

Reads the envelopes that the stdout transport wrote (one JSON object per line;
other lines are skipped with a warning) and serves each stream on runstream's
routes, with its recorded ids, so any client can replay a run and resume:

  GET /api/v0/executions/workflows/<id>/stream   stream "workflow:<id>"
  GET /api/v0/executions/agents/<id>/stream      stream "agent:<id>"
  GET /api/v0/executions/tasks/<id>/stream       stream "task:<id>"

Options:
  --port <n>        the port (default: $PORT, else 4401; 0 picks a free one)
  --host <addr>     the interface (default: 127.0.0.1, this machine only)
  --realtime        replay with the recorded timing instead of all at once
  --speed <x>       replay with the recorded timing, x times faster
                    (implies --realtime; e.g. --speed 10)
  --framing <f>     what data: holds: "payload" (the payload alone, what
                    EventSource users expect; default) or "envelope" (the
                    recorded envelope, ts and stream included)
  -h, --help        show this help

The ids of a stream in the log must be 1, 2, 3… in order, as the stdout
transport writes them; a log that does not is refused (exit 2) with the line
at fault. Runs until stopped with Ctrl-C.

${EXIT_CODES}

Example:
  npx tsx examples/orchestrator.ts > run.jsonl
  runstream serve run.jsonl --speed 2
`

/** `runstream demo --help`. */
export const DEMO_HELP = `runstream demo: the live demo.

Usage:
  runstream demo [options]

Starts a server that plays a simulated agent orchestration again and again: a
workflow plans tasks, agents stream LLM text and call tools, a reflection step
adds a task, and the run ends with "complete" (about one run in four fails with
"error"). Open the printed URL to watch it live; the page shows the run, each
task, the streaming text and the connection, and can drop the connection to
show the client resuming.

Options:
  --port <n>        the port (default: $PORT, else 4400; a free one if taken)
  --host <addr>     the interface (default: 127.0.0.1, this machine only)
  --pace <x>        multiply every pause: 0.5 plays twice as fast
                    (default: $RUNSTREAM_DEMO_PACE, else 1)
  --fail-rate <r>   the share of runs that fail, 0 to 1 (default: 0.25)
  -h, --help        show this help

Events are kept in memory; set REDIS_URL (e.g. redis://127.0.0.1:6379) to keep
them in Redis instead. Runs until stopped with Ctrl-C.
`
