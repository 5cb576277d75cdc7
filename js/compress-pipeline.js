// The plugin's compression: its `compress` option normalised once, and one function
// that turns bytes into every configured format through the cache and the pool.
import { createFilter } from '@rollup/pluginutils'
import { DEFAULT_LEVELS } from './native.js'
import { sha256, cacheKey } from './compress-cache.js'
import { FORMATS, FORMAT_KEYS } from './compress-pool.js'

/** Bundle files worth compressing besides wasm: text formats and wasm emitted by others. */
export const DEFAULT_ASSET_INCLUDE = /\.(?:m?js|cjs|css|html?|svg|json|webmanifest|xml|txt|map|wasm)$/
export const DEFAULT_ASSET_THRESHOLD = 1024
export const DEFAULT_MIN_RATIO = 0.95

const LEVEL_RANGES = { brotli: [0, 11], zstd: [1, 22], gzip: [0, 9] }

function invalid(key, expected, value) {
  return new TypeError(`wasm-squeeze: option \`compress.${key}\` must be ${expected}, got ${JSON.stringify(value)}`)
}

function level(options, format) {
  const value = options[format] ?? true
  if (value === false) return undefined
  if (value === true) return DEFAULT_LEVELS[format]
  const [min, max] = LEVEL_RANGES[format]
  if (Number.isInteger(value) && value >= min && value <= max) return value
  throw invalid(format, `a boolean or an integer level in ${min}..${max}`, value)
}

function normalizeAssets(assets) {
  if (assets == null || assets === false) return false
  const { include = DEFAULT_ASSET_INCLUDE, exclude, threshold = DEFAULT_ASSET_THRESHOLD } = assets === true ? {} : assets
  if (!(Number.isInteger(threshold) && threshold >= 0)) throw invalid('assets.threshold', 'a non-negative integer (bytes)', threshold)
  return { filter: createFilter(include, exclude, { resolve: false }), threshold }
}

/**
 * The plugin's `compress` option → `false` or
 * `{ levels, minRatio, assets: false | { filter, threshold }, limits }`.
 * @param {import('./plugin').CompressPluginOptions | false | undefined} option
 */
export function normalizePluginCompress(option = {}) {
  if (option === false) return false
  if (option === true) option = {}
  if (typeof option !== 'object' || option === null) throw new TypeError(`wasm-squeeze: option \`compress\` must be an object or false, got ${JSON.stringify(option)}`)
  const levels = Object.fromEntries(FORMATS.map((format) => [format, level(option, format)]).filter(([, l]) => l !== undefined))
  const { minRatio = DEFAULT_MIN_RATIO, concurrency, memoryBudget } = option
  if (!(typeof minRatio === 'number' && minRatio > 0 && minRatio <= 1)) throw invalid('minRatio', 'a number in (0, 1]', minRatio)
  const limits = {}
  if (concurrency !== undefined) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw invalid('concurrency', 'a positive integer', concurrency)
    limits.concurrency = concurrency
  }
  if (memoryBudget !== undefined) {
    if (!(Number.isFinite(memoryBudget) && memoryBudget > 0)) throw invalid('memoryBudget', 'a positive number of bytes', memoryBudget)
    limits.memoryBudget = memoryBudget
  }
  return { levels, minRatio, assets: normalizeAssets(option.assets), limits }
}

/**
 * Compresses bytes into every format of `levels`, each output from the cache when
 * it holds it, else from the pool (and then stored).
 * `inputHash`: the bytes' sha256 when the caller has it already (hash a file once).
 * @returns {(bytes: Uint8Array, inputHash?: Buffer) => Promise<{ outputs: Record<'br'|'zst'|'gz', Buffer>, hits: number, misses: number }>}
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
        result.outputs[FORMAT_KEYS[format]] = output
      }),
    )
    return result
  }
}

/** Keep a compressed sibling only when it is at most `minRatio` of its source. */
export function worthShipping(compressed, sourceLength, minRatio) {
  return compressed.length <= sourceLength * minRatio
}
