// A persistent, content-addressed cache of compressed outputs, shared by every build
// on the machine that points at the same directory.
//
// Key: sha256 of (tool id, format, level, sha256 of the input). The tool id is the
// package version plus a hash of the loaded native addon, so a rebuilt or upgraded
// encoder never serves stale bytes.
// Entry: MAGIC | sha256(payload) | payload. A reader checks the magic and the hash,
// so a truncated or corrupted entry is a miss (and gets rewritten), never output.
// Writes go to a unique temp file renamed into place: rename is atomic, so builds
// sharing the cache at once see either no entry or a whole one.
// A directory that cannot be created or written turns the cache off, with one warning.
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { readWhole, userCacheDir } from './cache-dir.js'
import { addonFileWithoutLoading } from '../platform.js'

const require = createRequire(import.meta.url)
const MAGIC = Buffer.from('WSQZC1\n\0')
const HASH_BYTES = 32
const HEADER_BYTES = MAGIC.length + HASH_BYTES
const TOUCH_AFTER_MS = 24 * 3600_000

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest()

function loadedAddonFile() {
  require('../../native/binding.cjs') // loads the addon, so require.cache names its file
  return Object.keys(require.cache).find((file) => file.endsWith('.node') && /wasm-squeeze/.test(path.basename(file)))
}

/** package.json, read without `require` (whose first use in an ESM build costs a CJS loader start-up). */
const manifest = () => JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))

/** This package's version. */
export const packageVersion = () => manifest().version

/** sha256 of the addon file, from `index` (js/compress/input-index.js) when the file is unchanged since it was recorded. */
function addonHash(addon, index) {
  const known = index?.lookup(addon)
  if (known) return known.hash
  const identity = statSync(addon)
  const hash = sha256(readFileSync(addon))
  index?.record(addon, hash, identity)
  return hash
}

let toolIdMemo
/**
 * `wasm-squeeze@<version>+<hash of the native addon file>`: changes whenever the
 * encoders can. The first call computes it (with `index`, hashing the addon only
 * when its file changed), later ones return it.
 */
export function toolId(index = null) {
  if (toolIdMemo) return toolIdMemo
  const { version } = manifest()
  const addon = addonFileWithoutLoading(manifest()) ?? loadedAddonFile()
  toolIdMemo = `wasm-squeeze@${version}+${addon ? addonHash(addon, index).toString('hex').slice(0, 16) : 'unknown'}`
  return toolIdMemo
}

/** The cache key of one output: hex sha256 over everything that determines its bytes. */
export function cacheKey(inputHash, format, level, tool = toolId()) {
  return createHash('sha256').update(`${tool}\0${format}\0${level}\0`).update(inputHash).digest('hex')
}

/** Frames a payload as an entry: MAGIC | sha256(payload) | payload. */
export function encodeEntry(payload) {
  return Buffer.concat([MAGIC, sha256(payload), payload])
}

/** The payload of a well-formed entry, or null when it is truncated or corrupted. */
export function decodeEntry(entry) {
  if (entry.length < HEADER_BYTES || !entry.subarray(0, MAGIC.length).equals(MAGIC)) return null
  const payload = entry.subarray(HEADER_BYTES)
  return sha256(payload).equals(entry.subarray(MAGIC.length, HEADER_BYTES)) ? payload : null
}

/**
 * @param {string | false} dir the cache directory, or false for no cache
 * @param {{ warn?: (message: string) => void }} [options] called at most once, when
 *   the directory turns out unusable
 */
export function openCompressCache(dir, { warn = () => {} } = {}) {
  const stats = { dir: dir || null, hits: 0, misses: 0, corrupt: 0, writes: 0, disabled: !dir, disabledReason: null }
  const entryPath = (key) => path.join(dir, key.slice(0, 2), key)

  function disable(err) {
    if (stats.disabled) return
    stats.disabled = true
    stats.disabledReason = `${err.code ?? 'error'}: ${err.message}`
    warn(`compression cache at ${dir} is not usable (${err.code ?? err.message}); compressing without a cache`)
  }

  return {
    stats,

    /** The cached payload for `key`, or null (a miss, counted). One open, one read, one hash. */
    async get(key) {
      if (stats.disabled) return null
      let entry
      let handle
      try {
        handle = await open(entryPath(key))
        const { size, mtimeMs } = await handle.stat()
        entry = (size >= HEADER_BYTES && (await readWhole(handle, size))) || Buffer.alloc(0)
        // Least recently used goes first when the cache is over its cap; a day's
        // precision is plenty, and spares a warm build one write per entry.
        if (Date.now() - mtimeMs > TOUCH_AFTER_MS) await handle.utimes(new Date(), new Date()).catch(() => {})
      } catch (err) {
        if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') disable(err)
        stats.misses++
        return null
      } finally {
        await handle?.close()
      }
      const payload = decodeEntry(entry)
      if (!payload) {
        stats.corrupt++
        stats.misses++
        return null
      }
      stats.hits++
      return payload
    },

    /** Stores `payload` under `key` atomically; turns the cache off on the first failure. */
    async set(key, payload) {
      if (stats.disabled) return
      const file = entryPath(key)
      const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
      try {
        await mkdir(path.dirname(file), { recursive: true })
        await writeFile(temp, encodeEntry(payload))
        await rename(temp, file)
        stats.writes++
      } catch (err) {
        await rm(temp, { force: true }).catch(() => {})
        disable(err)
      }
    },
  }
}

/** The default cache directory: the user's (js/cache-dir.js), shared by every project. */
export function defaultCacheDir() {
  return userCacheDir()
}
