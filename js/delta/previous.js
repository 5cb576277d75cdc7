// Earlier deploys, each an output directory (restored by CI) or the http(s) base URL
// of the live site: its manifest and the bytes of its wasm, every file checked
// against the manifest's sha-256. Anything wrong (missing, unreachable, too big,
// tampered, incompatible) makes the deploy unusable as a whole: one warning, no
// deltas from it, and the build goes on.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { MANIFEST_FILE, parseManifest, sha256Hex } from './manifest.js'

export const FETCH_TIMEOUT_MS = 30_000
/** All wasm of one previous deploy together; more is not a dictionary worth holding. */
export const MAX_DEPLOY_BYTES = 256 << 20

const isUrl = (where) => /^https?:\/\//i.test(where)

async function fetchBytes(url, { signal, limit }) {
  const response = await fetch(url, { signal, redirect: 'follow' })
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
  const declared = Number(response.headers.get('content-length'))
  if (declared > limit) throw new Error(`${url}: ${declared} bytes is over the limit of ${limit}`)
  const chunks = []
  let total = 0
  for await (const chunk of response.body) {
    total += chunk.length
    if (total > limit) throw new Error(`${url}: more than the limit of ${limit} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** A reader of one deploy's files by their path relative to it. */
function readerOf(where, root, signal) {
  if (isUrl(where)) {
    const base = where.endsWith('/') ? where : `${where}/`
    return (file, limit) => fetchBytes(new URL(file, base), { signal, limit })
  }
  const dir = path.resolve(root, where)
  return async (file, limit) => {
    const bytes = await readFile(path.join(dir, ...file.split('/')))
    if (bytes.length > limit) throw new Error(`${file}: ${bytes.length} bytes is over the limit of ${limit}`)
    return bytes
  }
}

/**
 * @param {string} where a directory (relative to `root`) or an http(s) base URL
 * @returns {Promise<{ where: string, assets: Map<string, { file: string, sha256: string, bytes: Buffer }> }>}
 *   the deploy's wasm by source identity; rejects with a message naming what is wrong
 */
export async function loadDeploy(where, { root = process.cwd(), timeoutMs = FETCH_TIMEOUT_MS, maxBytes = MAX_DEPLOY_BYTES } = {}) {
  const signal = AbortSignal.timeout(timeoutMs)
  const read = readerOf(where, root, signal)
  let manifest
  try {
    manifest = parseManifest((await read(MANIFEST_FILE, 1 << 20)).toString('utf8'))
  } catch (err) {
    throw new Error(`its ${MANIFEST_FILE}: ${err.code === 'ENOENT' ? 'missing' : err.message}`)
  }
  const assets = new Map()
  let total = 0
  for (const asset of manifest.assets) {
    total += asset.bytes
    if (total > maxBytes) throw new Error(`its wasm add up to more than ${maxBytes} bytes`)
    let bytes
    try {
      bytes = await read(asset.file, asset.bytes)
    } catch (err) {
      throw new Error(`${asset.file}: ${err.code === 'ENOENT' ? 'missing' : err.message}`)
    }
    if (bytes.length !== asset.bytes || sha256Hex(bytes) !== asset.sha256) {
      throw new Error(`${asset.file} does not match the sha-256 in its manifest (tampered or from another build)`)
    }
    assets.set(asset.source, { file: asset.file, sha256: asset.sha256, bytes })
  }
  return { where, assets }
}

/**
 * Loads every deploy of `previous` (newest first) at once; a failed one gives one
 * warning and is left out.
 * @param {string[]} previous
 * @param {(message: string) => void} warn
 */
export async function loadDeploys(previous, { warn, ...options }) {
  const loaded = await Promise.all(
    previous.map((where) =>
      loadDeploy(where, options).catch((err) => {
        warn(`wasm-squeeze: previous deploy ${where}: ${err.message}; no deltas from it (the build goes on)`)
        return null
      }),
    ),
  )
  return loaded.filter(Boolean)
}
