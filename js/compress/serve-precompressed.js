// A connect middleware for `vite preview`: serves the precompressed sibling
// (`.br`, `.zst`, `.gz`) of a built file when the request's Accept-Encoding allows
// it, with `Content-Encoding`, the original file's `Content-Type` and
// `Vary: Accept-Encoding`. Anything else (no sibling, nothing acceptable, a Range
// request) falls through to Vite's static server, which sends the original.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { FORMATS } from './formats.js'
import { deltaResponder } from '../delta/serve.js'
import { DELTA_VARY } from '../delta/negotiate.js'

/** Content-coding token → sibling extension, in our order of preference on ties. */
export const CODINGS = FORMATS.map((f) => ({ token: f.encoding, extension: f.extension }))

const CONTENT_TYPES = {
  '.wasm': 'application/wasm',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.cjs': 'text/javascript',
  '.css': 'text/css',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.xml': 'application/xml',
  '.txt': 'text/plain',
}
const TEXT = /^(?:text\/|application\/(?:json|manifest\+json|xml)|image\/svg\+xml)/

/** The Content-Type of the original file, by extension. */
export function contentTypeOf(file) {
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
  return TEXT.test(type) ? `${type}; charset=utf-8` : type
}

/**
 * Parses Accept-Encoding (RFC 9110 §12.5.3) into a function giving each coding's
 * q-value: listed codings get theirs (q=0 refuses), `*` covers the unlisted ones,
 * and anything else is 0. Pure.
 * @param {string | undefined} header
 * @returns {(token: string) => number}
 */
export function parseAcceptEncoding(header = '') {
  const q = new Map()
  for (const part of String(header).split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';')
    if (!token) continue
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const value = qParam ? Number(qParam.slice(2)) : 1
    q.set(token, Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0)
  }
  return (token) => (q.has(token) ? q.get(token) : (q.get('*') ?? 0))
}

/**
 * The coding to send among those with a sibling: highest q wins, ties go to the
 * earlier one in CODINGS (the smaller on the wire). Null when none is acceptable.
 */
export function chooseCoding(header, available) {
  const quality = parseAcceptEncoding(header)
  let best = null
  for (const coding of CODINGS) {
    if (!available.includes(coding.token)) continue
    const q = quality(coding.token)
    if (q > 0 && (!best || q > best.q)) best = { ...coding, q }
  }
  return best
}

/** The size of a regular file, or null. */
export async function fileSize(file) {
  try {
    const info = await stat(file)
    return info.isFile() ? info.size : null
  } catch {
    return null
  }
}

/** A request URL's path, percent-decoded; `null` for a URL that does not decode. */
export function decodedPathname(url) {
  try {
    return decodeURIComponent(new URL(url, 'http://localhost').pathname)
  } catch {
    return null
  }
}

/**
 * @param {string} root the directory to serve (the build's outDir)
 * @param {{ base?: string }} [options] the public base path (`config.base`)
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: () => void) => void}
 */
export function precompressedMiddleware(root, { base = '/' } = {}) {
  const dir = path.resolve(root)
  const prefix = base.endsWith('/') ? base : `${base}/`
  const respondDelta = deltaResponder(dir)
  return async function servePrecompressed(req, res, next) {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next()
      let pathname = decodedPathname(req.url)
      if (pathname === null) return next() // a malformed URL is Vite's to answer
      if (pathname.endsWith('/')) pathname += 'index.html'
      if (prefix !== '/' && pathname.startsWith(prefix)) pathname = `/${pathname.slice(prefix.length)}`
      const file = path.join(dir, pathname)
      if (!file.startsWith(dir + path.sep) || (await fileSize(file)) == null) return next()
      // Wasm of a delta manifest: dictionary headers always, a delta when one applies.
      if (await respondDelta(req, res, path.relative(dir, file).split(path.sep).join('/'))) return

      const available = []
      for (const { token, extension } of CODINGS) {
        if ((await fileSize(file + extension)) != null) available.push(token)
      }
      if (available.length === 0) return next()
      // The response depends on Accept-Encoding from here on, whoever sends it.
      if (res.getHeader('Vary') !== DELTA_VARY) res.setHeader('Vary', 'Accept-Encoding')
      // Ranges are byte ranges of the identity encoding: let the static server
      // answer them from the original file.
      if (req.headers.range) return next()
      const coding = chooseCoding(req.headers['accept-encoding'], available)
      if (!coding) return next()

      const sibling = file + coding.extension
      const size = await fileSize(sibling)
      if (size == null) return next()
      res.statusCode = 200
      res.setHeader('Content-Type', contentTypeOf(file))
      res.setHeader('Content-Encoding', coding.token)
      res.setHeader('Content-Length', size)
      if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-cache')
      if (req.method === 'HEAD') return res.end()
      createReadStream(sibling)
        .on('error', (err) => res.destroy(err))
        .pipe(res)
    } catch (err) {
      next(err)
    }
  }
}
