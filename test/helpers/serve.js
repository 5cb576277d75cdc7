// A tiny static file server for a built `dist/`, with no dependencies. It does
// what a production server (or CDN) configured for pre-compressed assets does:
// when the request's Accept-Encoding allows it and a `.br` / `.zst` / `.gz`
// sibling exists, that sibling is sent with `Content-Encoding`, the original
// file's Content-Type and `Vary: Accept-Encoding`.
import { createServer } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
}

/** Content-coding token → extension of the pre-compressed sibling. */
const EXTENSIONS = { br: '.br', zstd: '.zst', gzip: '.gz' }

/**
 * Parses an Accept-Encoding header into the set of codings it allows
 * (`q=0` excludes; `*` allows anything not listed). Pure.
 * @param {string | undefined} header
 * @returns {(token: string) => boolean}
 */
export function acceptedEncodings(header = '') {
  const q = new Map()
  for (const part of header.split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';')
    if (!token) continue
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    q.set(token, qParam ? Number(qParam.slice(2)) : 1)
  }
  return (token) => (q.has(token) ? q.get(token) > 0 : (q.get('*') ?? 0) > 0)
}

async function isFile(file) {
  try {
    return (await stat(file)).isFile()
  } catch {
    return false
  }
}

/**
 * Serves `root` on 127.0.0.1 on a free port.
 * @param {string} root the directory to serve (e.g. a Vite `outDir`)
 * @param {{ prefer?: ('br' | 'zstd' | 'gzip')[] }} [options] which pre-compressed
 *   siblings to consider, most preferred first (default: br, zstd, gzip)
 * @returns {Promise<{ url: string, close: () => Promise<void>, requests: {
 *   path: string, status: number, contentEncoding: string | null,
 *   acceptEncoding: string | null, contentType: string | null, bytes: number }[] }>}
 */
export async function serve(root, { prefer = ['br', 'zstd', 'gzip'] } = {}) {
  const base = path.resolve(root)
  const encodings = prefer.map((token) => {
    if (!EXTENSIONS[token]) throw new TypeError(`serve: unknown content-coding ${JSON.stringify(token)}`)
    return { token, extension: EXTENSIONS[token] }
  })
  const requests = []

  const server = createServer(async (req, res) => {
    const record = {
      path: '',
      status: 200,
      contentEncoding: null,
      acceptEncoding: req.headers['accept-encoding'] ?? null,
      contentType: null,
      bytes: 0,
    }
    requests.push(record)
    try {
      const { pathname } = new URL(req.url, 'http://localhost')
      record.path = pathname
      let file = path.join(base, decodeURIComponent(pathname))
      if (file !== base && !file.startsWith(base + path.sep)) return send(res, record, 403, 'Forbidden')
      if (pathname.endsWith('/')) file = path.join(file, 'index.html')
      if (!(await isFile(file))) return send(res, record, 404, 'Not Found')

      const headers = { 'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' }
      const accepts = acceptedEncodings(req.headers['accept-encoding'])
      let body = file
      let hasSiblings = false
      for (const { token, extension } of encodings) {
        if (!(await isFile(file + extension))) continue
        hasSiblings = true
        if (body === file && accepts(token)) {
          body = file + extension
          headers['Content-Encoding'] = token
        }
      }
      if (hasSiblings) headers.Vary = 'Accept-Encoding'

      const bytes = await readFile(body)
      headers['Content-Length'] = bytes.length
      record.contentType = headers['Content-Type']
      record.contentEncoding = headers['Content-Encoding'] ?? null
      record.bytes = bytes.length
      res.writeHead(200, headers)
      res.end(req.method === 'HEAD' ? undefined : bytes)
    } catch (err) {
      send(res, record, 500, String(err?.stack ?? err))
    }
  })

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address()

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}

function send(res, record, status, text) {
  record.status = status
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' })
  res.end(text)
}
