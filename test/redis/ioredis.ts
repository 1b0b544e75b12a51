// The ioredis under test: `ioredis` (6) by default; `ioredis5` (ioredis@5) when RUNSTREAM_IOREDIS=5,
// for which vitest.config.ts maps every `ioredis` import, this one included, to it.
import ioredisPackage from 'ioredis/package.json'

/** The major of the ioredis this run loaded. */
export const IOREDIS_MAJOR = Number(ioredisPackage.version.split('.')[0])

/** The major this run is meant for (scripts/test-ioredis5.mjs asks for 5). */
export const EXPECTED_IOREDIS_MAJOR = process.env.RUNSTREAM_IOREDIS === '5' ? 5 : 6
