/**
 * Writes fixtures/<name>.sse from ./recordings.ts: `npx tsx test/compozy/record.ts`.
 * Run it after changing a recording; test/compozy/catalog.test.ts fails while they differ.
 */
import { writeFile } from 'node:fs/promises'
import { RECORDINGS, render } from './recordings.js'

for (const recording of RECORDINGS) {
  const file = new URL(`./fixtures/${recording.name}.sse`, import.meta.url)
  await writeFile(file, render(recording))
  console.log(`wrote ${file.pathname}`)
}
