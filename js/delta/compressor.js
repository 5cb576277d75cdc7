// Delta jobs through the plugin's compression pool (its concurrency and memory
// budget) and its cache, keyed by the new bytes, the dictionary's hash and the format.
import { delta } from '../native.js'
import { cacheKey } from '../compress/cache.js'

const MiB = 1 << 20
const LEVELS = { dcb: 11, dcz: 19 }

/**
 * Peak memory of one delta job, an upper bound: the encoder holds the dictionary and
 * its hash tables (brotli prepares about 4 bytes of index per dictionary byte at
 * quality 11; zstd's window covers dictionary and input), the verification holds
 * both again.
 */
export function estimateDeltaMemory(coding, inputLen, dictLen) {
  const both = inputLen + dictLen
  return coding === 'dcb' ? 8 * both + 32 * MiB : 12 * both + 16 * MiB
}

/**
 * @param {{ pool: { runTask: Function }, cache: { get: Function, set: Function } }} deps
 * @returns {(target: { bytes: Uint8Array, sha256: Buffer }, dictionary: { bytes: Uint8Array, sha256: string }, coding: 'dcb'|'dcz') => Promise<Buffer|null>}
 */
export function createDeltaCompressor({ pool, cache }) {
  return async function runDelta({ bytes, sha256: hash }, dictionary, coding) {
    const level = LEVELS[coding]
    const work = () => delta(bytes, dictionary.bytes, { format: coding, level })
    // With compression off there is no pool or cache: run it directly.
    if (!pool || !cache) return work()
    const key = cacheKey(Buffer.concat([hash, Buffer.from(dictionary.sha256, 'hex')]), coding, level)
    const cached = await cache.get(key)
    // An empty entry records "no dcz fits the window" for this pair.
    if (cached) return cached.length === 0 ? null : cached
    const job = { format: coding, level, bytes: bytes.length, memory: estimateDeltaMemory(coding, bytes.length, dictionary.bytes.length), cost: (bytes.length + dictionary.bytes.length) * (coding === 'dcb' ? 1 : 0.3) }
    const body = await pool.runTask(job, work)
    await cache.set(key, body ?? Buffer.alloc(0))
    return body
  }
}
