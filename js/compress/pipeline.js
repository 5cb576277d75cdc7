// The plugin's compression: one function that turns bytes into every configured
// format through the cache and the pool (the `compress` option is checked in
// js/options.js).
import { sha256, cacheKey } from './cache.js'
import { formatOf } from './formats.js'

/**
 * Compresses bytes into every format of `levels`, each output from the cache when
 * it holds it, else from the pool (and then stored).
 * @returns {(bytes: Uint8Array) => Promise<{ outputs: Record<'br'|'zst'|'gz', Buffer>, hits: number, misses: number }>}
 */
export function createCompressor({ levels, pool, cache }) {
  return async function compressAll(bytes, inputHash = sha256(bytes)) {
    const result = { outputs: {}, hits: 0, misses: 0 }
    await Promise.all(
      Object.entries(levels).map(async ([format, level]) => {
        const key = cacheKey(inputHash, format, level)
        let output = await cache.get(key)
        if (output) result.hits++
        else {
          result.misses++
          output = await pool.run(bytes, format, level)
          await cache.set(key, output)
        }
        result.outputs[formatOf(format).id] = output
      }),
    )
    return result
  }
}

/** Keep a compressed sibling only when it is at most `minRatio` of its source. */
export function worthShipping(compressed, sourceLength, minRatio) {
  return compressed.length <= sourceLength * minRatio
}
