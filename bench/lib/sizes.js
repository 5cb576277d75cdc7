// Sizes that matter for shipping: raw bytes, brotli-11 bytes, content hashes.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import zlib from 'node:zlib'

const brotliCompress = promisify(zlib.brotliCompress)

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex')
}

function brotliOptions(bytes, quality) {
  return {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }
}

/** Size of `bytes` compressed with brotli quality 11 (Node's zlib, default window). */
export function brotliSize(bytes, quality = 11) {
  return zlib.brotliCompressSync(bytes, brotliOptions(bytes, quality)).length
}

/**
 * Same as `brotliSize` (byte-identical output), but on libuv's thread pool, so
 * that several run in parallel.
 */
export async function brotliSizeAsync(bytes, quality = 11) {
  return (await brotliCompress(bytes, brotliOptions(bytes, quality))).length
}

/**
 * Brotli sizes are slow to get (~1 MB/s at quality 11) and depend only on the
 * bytes and the brotli build, so they are cached by sha256 in a JSON file.
 */
export class BrotliCache {
  constructor(file) {
    this.file = file
    this.key = `brotli-${process.versions.brotli}-q11-sizehint`
    this.entries = {}
    this.inflight = {}
    if (file && existsSync(file)) {
      try {
        const stored = JSON.parse(readFileSync(file, 'utf8'))
        if (stored.key === this.key) this.entries = stored.entries
      } catch {
        // A broken cache is just rebuilt.
      }
    }
  }

  /** Brotli-11 size of `bytes`, from the cache or computed (once per content). */
  async size(bytes) {
    const hash = sha256(bytes)
    if (hash in this.entries) return this.entries[hash]
    this.inflight[hash] ??= brotliSizeAsync(bytes)
    this.entries[hash] = await this.inflight[hash]
    delete this.inflight[hash]
    return this.entries[hash]
  }

  save() {
    if (this.file) writeFileSync(this.file, JSON.stringify({ key: this.key, entries: this.entries }))
  }
}
