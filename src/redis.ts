/**
 * runstream/redis: an event store on Redis, so that producers and web processes share streams.
 * Ids are given by Redis, so a `Last-Event-ID` from one process resumes on any other, and each
 * process follows the streams its clients watch over one shared subscriber connection. Works on
 * one Redis or a Redis Cluster (`cluster`: a stream's keys share a hash tag, live delivery uses
 * sharded pub/sub).
 *
 * Needs the optional peer dependency `ioredis` (5 or 6), and for its types `@types/node` listed in
 * `compilerOptions.types` (`"types": ["node"]`), as ioredis's types are Node's.
 * @see docs/scaling.md
 * @packageDocumentation
 */
export {
  type RedisClientSource,
  type RedisClusterSource,
  type RedisStore,
  type RedisStoreOptions,
  type RedisStoreSettings,
  type RedisUrlSource,
  redisStore,
} from './redis/store.js'
