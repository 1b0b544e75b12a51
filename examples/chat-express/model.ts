/**
 * A made-up model for the chat example: it answers word by word, one every `EXAMPLE_DELAY_MS`
 * (150 ms by default), and stops when `signal` aborts.
 */
export async function* replyTo(message: string, signal: AbortSignal): AsyncGenerator<string> {
  const delayMs = Number(process.env.EXAMPLE_DELAY_MS ?? 150)
  const answer = `You asked: "${message.slice(0, 200)}". Server-sent events carry each word to the page as it is written, a page that drops or reloads resumes after the last event it received, and the stop button ends the reply wherever it runs.`
  for (const word of answer.split(' ')) {
    if (signal.aborted) return
    yield `${word} `
    await new Promise((resolve) => setTimeout(resolve, delayMs))
  }
}
