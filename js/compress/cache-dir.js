// Where the cache lives and how big it may grow. By default it is the user's cache
// directory, not node_modules, so a clean install or another project with the same
// wasm reuses it. Builds of different projects share it safely: entries are named
// by content and written by atomic rename, and eviction only unlinks whole entries
// (a reader that loses the race sees a miss).
import { readdir, stat, unlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export const DEFAULT_CACHE_MAX_BYTES = 1024 ** 3

/**
 * The per-user cache directory of wasm-squeeze: `$XDG_CACHE_HOME/wasm-squeeze` or
 * `~/.cache/wasm-squeeze` (Linux and others), `~/Library/Caches/wasm-squeeze` (macOS),
 * `%LOCALAPPDATA%\wasm-squeeze` (Windows).
 */
export function userCacheDir({ env = process.env, platform = process.platform, home = os.homedir() } = {}) {
  if (platform === 'win32') return path.win32.join(env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local'), 'wasm-squeeze')
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Caches', 'wasm-squeeze')
  const xdg = env.XDG_CACHE_HOME
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), 'wasm-squeeze')
}

/** Where the source files' hashes are recorded (js/compress/input-index.js): tiny files, never evicted. */
export function inputIndexDir(dir) {
  return dir && path.join(dir, 'inputs')
}

/** Where the optimizer's entries live inside a cache directory (the compressed outputs sit at its top). */
export function optimizeStoreDir(dir) {
  return dir && path.join(dir, 'optimize')
}

/**
 * The whole of an open file in one read (one trip to the thread pool; FileHandle's
 * readFile makes one per 512 KiB, which on a busy pool costs a warm build more than
 * the bytes do). Null when the file is not `size` bytes long after all.
 * @param {import('node:fs/promises').FileHandle} handle
 */
export async function readWhole(handle, size) {
  const bytes = Buffer.allocUnsafe(size)
  let filled = 0
  while (filled < size) {
    const { bytesRead } = await handle.read(bytes, filled, size - filled, filled)
    if (bytesRead === 0) return null
    filled += bytesRead
  }
  return bytes
}

/**
 * Deletes the least recently used entries (oldest mtime first) until the cache is
 * at most `maxBytes`. Temp files of writes under way are left alone.
 * @returns {Promise<{ entries: number, bytes: number, evicted: number, evictedBytes: number }>}
 */
export async function evictToFit(dir, maxBytes) {
  const entries = []
  for (const store of [dir, optimizeStoreDir(dir)]) {
    for (const shard of await readdir(store).catch(() => [])) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue
      for (const name of await readdir(path.join(store, shard)).catch(() => [])) {
        if (name.endsWith('.tmp')) continue
        const file = path.join(store, shard, name)
        const info = await stat(file).catch(() => null)
        if (info?.isFile()) entries.push({ file, size: info.size, used: info.mtimeMs })
      }
    }
  }
  let bytes = entries.reduce((sum, e) => sum + e.size, 0)
  const result = { entries: entries.length, bytes, evicted: 0, evictedBytes: 0 }
  entries.sort((a, b) => a.used - b.used)
  for (const entry of entries) {
    if (bytes <= maxBytes) break
    await unlink(entry.file).catch(() => {})
    bytes -= entry.size
    result.evicted++
    result.evictedBytes += entry.size
  }
  result.bytes = bytes
  return result
}
