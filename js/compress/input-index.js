// What a source wasm hashed to, remembered by its file's identity, so a warm build
// finds the optimizer's entry without reading or hashing the source again (the
// entry itself is still checked by its own hash when read).
//
// Identity: device, inode, size, mtime and ctime. Every write to a file moves its
// ctime, which no tool can set back, so a changed file never matches. A file
// modified within the last two seconds is not recorded: a write landing in the
// same timestamp tick as our stat would otherwise go unseen (git's "racy" rule).
// Records live beside the cache entries, one small JSON file per source path,
// written by atomic rename; an unreadable or mismatched record is a miss.
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'

const RACY_MS = 2000

const identity = (info) => `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`

/** @param {string | false | null} dir where the records live, or no index at all */
export function openInputIndex(dir) {
  const recordPath = (file) => path.join(dir, createHash('sha256').update(path.resolve(file)).digest('hex'))
  return {
    /** `{ hash, size }` of `file` when a record matches its identity now, else null. */
    async lookup(file) {
      if (!dir) return null
      try {
        const [info, record] = await Promise.all([stat(file, { bigint: false }), readFile(recordPath(file), 'utf8')])
        const { id, hash } = JSON.parse(record)
        return id === identity(info) && typeof hash === 'string' ? { hash: Buffer.from(hash, 'hex'), size: info.size } : null
      } catch {
        return null
      }
    },
    /** Remembers that `file`, as it is now, hashed to `hash` (read before `bytes` were). */
    async record(file, hash, info) {
      if (!dir || Date.now() - info.mtimeMs < RACY_MS) return
      const target = recordPath(file)
      const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
      try {
        await mkdir(dir, { recursive: true })
        await writeFile(temp, JSON.stringify({ id: identity(info), hash: hash.toString('hex') }))
        await rename(temp, target)
      } catch {
        await rm(temp, { force: true }).catch(() => {})
      }
    },
  }
}
