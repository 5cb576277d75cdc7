// Serving deltas from a built directory: its manifest says which wasm take part
// (their `Use-As-Dictionary` match) and which deltas exist; a request gets a delta
// only when `Available-Dictionary` names one of them, `Accept-Encoding` allows its
// coding and the file is really there. Shared by `vite preview` and `serveDist`.
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { fileSize } from '../compress/serve-precompressed.js'
import path from 'node:path'
import { MANIFEST_FILE, parseManifest } from './manifest.js'
import { DELTA_VARY, IMMUTABLE, chooseDelta, parseAvailableDictionary, useAsDictionary } from './negotiate.js'

/**
 * The manifest of `dir` as emitted name → asset, re-read when it changes (preview
 * may serve a rebuilt directory); an empty index when there is none or it is bad.
 */
function manifestIndex(dir) {
  const file = path.join(dir, MANIFEST_FILE)
  let memo = { mtime: null, index: new Map() }
  return async function index() {
    const info = await stat(file).catch(() => null)
    const mtime = info?.mtimeMs ?? null
    if (mtime === memo.mtime) return memo.index
    let assets = []
    try {
      if (info) assets = parseManifest(await readFile(file, 'utf8')).assets
    } catch {
      assets = [] // a broken manifest turns deltas off; the files are served as before
    }
    memo = { mtime, index: new Map(assets.map((a) => [a.file, a])) }
    return memo.index
  }
}

/**
 * @param {string} dir the built directory
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, relative: string) => Promise<boolean>}
 *   sets the dictionary headers for a wasm of the manifest (on every response, delta
 *   or not), and sends a delta when one applies: true when it answered
 */
export function deltaResponder(dir) {
  const index = manifestIndex(path.resolve(dir))
  return async function respond(req, res, relative) {
    const asset = (await index()).get(relative)
    if (!asset) return false
    res.setHeader('Vary', DELTA_VARY)
    if (asset.match) {
      res.setHeader('Use-As-Dictionary', useAsDictionary(asset.match))
      res.setHeader('Cache-Control', IMMUTABLE)
    }
    const dictionary = parseAvailableDictionary(req.headers['available-dictionary'])
    // Ranges are of the identity encoding: answered by the caller from the original.
    if (!dictionary || req.headers.range) return false
    const candidates = []
    for (const d of asset.deltas ?? []) {
      if (d.dictionary !== dictionary || typeof d.file !== 'string') continue
      const file = path.join(dir, ...d.file.split('/'))
      if (!file.startsWith(path.resolve(dir) + path.sep)) continue
      const size = await fileSize(file)
      if (size != null) candidates.push({ coding: d.coding, size, file })
    }
    const chosen = chooseDelta(req.headers['accept-encoding'], candidates)
    if (!chosen) return false
    res.statusCode = 200
    res.setHeader('Content-Type', 'application/wasm')
    res.setHeader('Content-Encoding', chosen.coding)
    res.setHeader('Content-Length', chosen.size)
    if (req.method === 'HEAD') {
      res.end()
      return true
    }
    createReadStream(chosen.file)
      .on('error', (err) => res.destroy(err))
      .pipe(res)
    return true
  }
}
