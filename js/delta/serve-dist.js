// A production middleware for a built `dist` (node:http, connect, express): the
// original files, their precompressed siblings by Accept-Encoding, the deltas by
// Available-Dictionary, HEAD and single byte ranges, and every header delta
// delivery needs. It serves only regular files inside the directory: no `..`, no
// symlink leading out, no dot-files; anything it does not serve goes to `next()`
// (or a 404 without one). Hostile headers get the ordinary response.
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { CODINGS, chooseCoding, contentTypeOf, decodedPathname } from '../compress/serve-precompressed.js'
import { deltaResponder } from './serve.js'

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` for a file of `size`: `{ start, end }`, 'unsatisfiable', or null to ignore it. */
export function parseRange(header, size) {
  const match = /^bytes=(\d*)-(\d*)$/.exec(String(header).trim())
  if (!match || (match[1] === '' && match[2] === '')) return null
  let start
  let end
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0) return 'unsatisfiable'
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(match[1])
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
    if (match[2] !== '' && Number(match[2]) < start) return null
  }
  if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable'
  return { start, end }
}

/**
 * @param {string} dir the built directory
 * @param {{ base?: string }} [options] the public base path the site is served under
 */
export function serveDist(dir, { base = '/' } = {}) {
  const root = path.resolve(dir)
  const prefix = base.endsWith('/') ? base : `${base}/`
  const respondDelta = deltaResponder(root)
  let realRoot

  /** The real path of a public regular file inside the directory, or null. */
  async function resolveInside(pathname) {
    if (pathname.split('/').some((segment) => segment.startsWith('.') && segment !== '.')) return null
    const file = path.join(root, pathname)
    if (!file.startsWith(root + path.sep)) return null
    try {
      realRoot ??= await realpath(root)
      const real = await realpath(file)
      if (!real.startsWith(realRoot + path.sep)) return null
      const info = await stat(real)
      return info.isFile() ? { file: real, size: info.size, relative: path.relative(root, file).split(path.sep).join('/') } : null
    } catch {
      return null
    }
  }

  function send(req, res, file, { start = 0, end } = {}) {
    if (req.method === 'HEAD') return res.end()
    createReadStream(file, { start, end })
      .on('error', (err) => res.destroy(err))
      .pipe(res)
  }

  return async function wasmSqueezeDist(req, res, next) {
    const pass = () => {
      if (next) return next()
      res.statusCode = 404
      res.setHeader('Content-Type', 'text/plain; charset=utf-8')
      res.end('Not found\n')
    }
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return pass()
      let pathname = decodedPathname(req.url)
      if (pathname === null) return pass()
      if (pathname.includes('\0')) return pass()
      if (!pathname.startsWith(prefix) && `${pathname}/` !== prefix) return pass()
      pathname = `/${pathname.slice(prefix.length)}`
      if (pathname.endsWith('/')) pathname += 'index.html'
      const found = await resolveInside(pathname)
      if (!found) return pass()
      if (await respondDelta(req, res, found.relative)) return

      res.setHeader('Content-Type', contentTypeOf(found.file))
      res.setHeader('Accept-Ranges', 'bytes')
      if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-cache')
      const available = []
      for (const { token, extension } of CODINGS) {
        const sibling = await resolveInside(pathname + extension)
        if (sibling) available.push({ token, sibling })
      }
      if (available.length > 0 && !res.hasHeader('Vary')) res.setHeader('Vary', 'Accept-Encoding')
      const coding = req.headers.range ? null : chooseCoding(req.headers['accept-encoding'], available.map((a) => a.token))
      if (coding) {
        const { sibling } = available.find((a) => a.token === coding.token)
        res.statusCode = 200
        res.setHeader('Content-Encoding', coding.token)
        res.setHeader('Content-Length', sibling.size)
        return send(req, res, sibling.file)
      }
      const range = req.headers.range ? parseRange(req.headers.range, found.size) : null
      if (range === 'unsatisfiable') {
        res.statusCode = 416
        res.setHeader('Content-Range', `bytes */${found.size}`)
        return res.end()
      }
      if (range) {
        res.statusCode = 206
        res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${found.size}`)
        res.setHeader('Content-Length', range.end - range.start + 1)
        return send(req, res, found.file, range)
      }
      res.statusCode = 200
      res.setHeader('Content-Length', found.size)
      return send(req, res, found.file)
    } catch (err) {
      if (next) return next(err)
      res.statusCode = 500
      res.end()
    }
  }
}
