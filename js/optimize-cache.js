// The optimizer's output cached by content, so a warm build does no native work for
// wasm it has seen: the transform result (wasm, report, sidecar, whatever else it
// carries) and the `inspect` of the module the glue is written for, in one entry.
//
// Key: sha256 of (tool id, "optimize", the options as canonical JSON, sha256 of the
// input); a module aligned to a previous deploy's has that module's sha-256 among
// the options (never its bytes), so another previous deploy is another entry.
// Entries go through the compression cache's store, so they have its integrity
// rules: MAGIC | sha256(payload) | payload, checked on every read, written to a temp
// file renamed into place. Payload: u32 JSON length | JSON | blobs, each
// Buffer of the object replaced in the JSON by its blob's offset and length.
import { createHash } from 'node:crypto'
import { inspect, transform } from './native.js'
import { sha256, toolId } from './compress/cache.js'

/** JSON with object keys sorted, so equal options give equal keys whatever their order. */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

export function optimizeKey(inputHash, kind, options, tool = toolId()) {
  return createHash('sha256').update(`${tool}\0${kind}\0${canonicalJson(options)}\0`).update(inputHash).digest('hex')
}

/** The key of a transform result: what `optimize` stores and `lookup` finds, one rule for both. */
function transformKey(inputHash, options, previous) {
  return optimizeKey(inputHash, 'optimize', previous ? { ...options, previous: previous.sha256 } : options)
}

/** A plain object holding Buffers → one payload. */
export function encodeValue(value) {
  const blobs = []
  let offset = 0
  const json = JSON.stringify(value, function (key, v) {
    const raw = this[key]
    if (raw instanceof Uint8Array) {
      blobs.push(raw)
      const blob = { $blob: [offset, raw.length] }
      offset += raw.length
      return blob
    }
    return v
  })
  const head = Buffer.from(json)
  const length = Buffer.alloc(4)
  length.writeUInt32LE(head.length)
  return Buffer.concat([length, head, ...blobs])
}

/** The inverse of `encodeValue`; blobs come back as Buffers viewing the payload. */
export function decodeValue(payload) {
  const length = payload.readUInt32LE(0)
  const blobs = payload.subarray(4 + length)
  return JSON.parse(payload.subarray(4, 4 + length).toString(), (_, v) =>
    v && typeof v === 'object' && Array.isArray(v.$blob) ? blobs.subarray(v.$blob[0], v.$blob[0] + v.$blob[1]) : v,
  )
}

/**
 * @typedef {{ bytes: Uint8Array, sha256: string }} Previous the previous deploy's
 *   module the output is aligned to (`transform`'s `previous`), with its hex sha-256
 */

/**
 * @param {ReturnType<import('./compress/cache.js').openCompressCache>} store
 * @returns {{ stats: { hits: number, misses: number },
 *   optimize(raw: Buffer, options: object, file: string, context?: { inputHash?: Buffer, previous?: Previous | null }): Promise<{ result: any, info: any, wasmHash: Buffer }>,
 *   lookup(inputHash: Buffer, options: object, source: () => Promise<Buffer | null>, context?: { previous?: Previous | null }): Promise<{ result: any, info: any, wasmHash: Buffer } | null>,
 *   inspect(bytes: Buffer, file: string): Promise<{ info: any, hash: Buffer }> }}
 */
/** A cached value with its output wasm in place (the source's bytes when it was left unchanged). */
function withWasm(value, raw) {
  const result = value.unchanged ? { ...value.result, wasm: raw } : value.result
  return { result, wasmHash: value.wasmHash, info: result }
}

export function createOptimizeCache(store) {
  const stats = { hits: 0, misses: 0, get writes() { return store.stats.writes }, get corrupt() { return store.stats.corrupt } }

  /** The decoded entry, or null; a payload whose hash checks but does not decode (written by a bug) is a miss. */
  async function read(key) {
    const payload = await store.get(key)
    if (!payload) return null
    try {
      const value = decodeValue(payload)
      stats.hits++
      return value
    } catch {
      return null
    }
  }

  async function cached(key, compute) {
    const hit = await read(key)
    if (hit) return hit
    stats.misses++
    const value = await compute()
    await store.set(key, encodeValue(value))
    return value
  }

  return {
    stats,
    /**
     * The transform result for `raw` under `options` and the inspect of its wasm;
     * throws what transform throws. `inputHash`: sha256 of `raw`, when known;
     * `previous`: the module to align the output to.
     */
    async optimize(raw, options, file, { inputHash = sha256(raw), previous = null } = {}) {
      const key = transformKey(inputHash, options, previous)
      const value = await cached(key, async () => {
        const result = await transform(raw, { ...options, file, ...(previous && { previous: previous.bytes }) })
        // A module the optimizer leaves as it is (most release builds) is not stored
        // a second time: the entry says so, and the source's bytes are the output.
        const unchanged = result.wasm.equals(raw)
        // transform returns the imports and exports of what it made: the glue needs no inspect.
        return { result: unchanged ? { ...result, wasm: null } : result, wasmHash: unchanged ? inputHash : sha256(result.wasm), unchanged }
      })
      return withWasm(value, raw)
    },
    /**
     * What `optimize` would return for input with this hash, from the cache only; null
     * when it is not there. `source()` gives the input's bytes when the entry needs
     * them (an unchanged module), or null when they are no longer that input.
     */
    async lookup(inputHash, options, source, { previous = null } = {}) {
      const value = await read(transformKey(inputHash, options, previous))
      if (!value) return null
      const raw = value.unchanged ? await source() : null
      return value.unchanged && !raw ? null : withWasm(value, raw)
    },
    /** `inspect` of bytes the optimizer did not touch (`optimize: false`), and their hash. */
    async inspect(bytes, file) {
      const hash = sha256(bytes)
      const value = await cached(optimizeKey(hash, 'inspect', {}), async () => ({ info: await inspect(bytes, { file }) }))
      return { info: value.info, hash }
    },
  }
}
