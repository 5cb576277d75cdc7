// What a source wasm hashed to, remembered by its file's identity, so a warm build
// finds the optimizer's entry without reading or hashing the source again (the
// entry itself is still checked by its own hash when read).
//
// Identity: device, inode, size, mtime and ctime. Every write to a file moves its
// ctime, which no tool can set back, so a changed file never matches. A file
// modified within the last two seconds is not recorded: a write landing in the
// same timestamp tick as our stat would otherwise go unseen (git's "racy" rule).
// Records live beside the cache entries, one small JSON file per path, written by
// atomic rename; an unreadable or mismatched record is a miss. The tool id records
// the native addon's hash here too, by the same rule.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import path from 'node:path'
import { readWhole } from './cache-dir.js'

const RACY_MS = 2000

const identity = (info) => `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`

/** @param {string | false | null} dir where the records live, or no index at all */
export function openInputIndex(dir) {
  const recordPath = (file) => path.join(dir, createHash('sha256').update(path.resolve(file)).digest('hex'))
  return {
    /**
     * `{ hash, size, id }` of `file` when a record matches its identity now, else
     * null. Synchronous: a stat and a read of a hundred bytes (the tool id needs it
     * in a synchronous path, js/compress/cache.js).
     */
    lookup(file) {
      if (!dir) return null
      try {
        const info = statSync(file)
        const { id, hash } = JSON.parse(readFileSync(recordPath(file), 'utf8'))
        return id === identity(info) && typeof hash === 'string' ? { hash: Buffer.from(hash, 'hex'), size: info.size, id } : null
      } catch {
        return null
      }
    },
    /** The bytes of `file` if it still has identity `id` once read (so they are the recorded ones), else null. */
    async read(file, id) {
      let handle
      try {
        handle = await open(file)
        const bytes = await readWhole(handle, (await handle.stat()).size)
        return bytes && identity(await handle.stat()) === id ? bytes : null
      } catch {
        return null
      } finally {
        await handle?.close()
      }
    },
    /** Remembers that `file`, as `info` (a stat taken before the bytes were read) says it was, hashed to `hash`. */
    record(file, hash, info) {
      if (!dir || Date.now() - info.mtimeMs < RACY_MS) return
      const target = recordPath(file)
      const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
      try {
        mkdirSync(dir, { recursive: true })
        writeFileSync(temp, JSON.stringify({ id: identity(info), hash: hash.toString('hex') }))
        renameSync(temp, target)
      } catch {
        // An unusable directory: no record, and nothing else goes wrong (the cache warns of it).
        try {
          rmSync(temp, { force: true })
        } catch {}
      }
    },
  }
}
