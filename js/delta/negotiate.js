// Compression Dictionary Transport (RFC 9842) on the server side, as pure functions:
// which dictionary the browser says it has, which delta to send, and the headers
// every response of a wasm that takes part carries.
import { parseAcceptEncoding } from '../compress/serve-precompressed.js'

/** Delta content codings, preferred in this order on equal q and size. */
export const DELTA_CODINGS = /** @type {const} */ (['dcb', 'dcz'])
/** The response varies with both; caches must key on both. */
export const DELTA_VARY = 'Accept-Encoding, Available-Dictionary'
/** Hashed file names never change content: the browser may keep them as dictionaries for a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable'

// An sf-binary item holding exactly 32 bytes (a sha-256): 43 base64 characters and
// one padding `=`. Anything else is garbage and gets the ordinary response.
const AVAILABLE_DICTIONARY = /^:([A-Za-z0-9+/]{43}=):$/

/**
 * `Available-Dictionary: :<base64 sha-256>:` → the hash in lower-case hex, or null
 * for an absent, repeated or malformed header. Pure.
 * @param {string | string[] | undefined} header
 */
export function parseAvailableDictionary(header) {
  if (typeof header !== 'string') return null
  const match = AVAILABLE_DICTIONARY.exec(header.trim())
  if (!match) return null
  const bytes = Buffer.from(match[1], 'base64')
  return bytes.length === 32 ? bytes.toString('hex') : null
}

/** Hex sha-256 → the `Available-Dictionary` value a browser sends for it. */
export function availableDictionaryHeader(hex) {
  return `:${Buffer.from(hex, 'hex').toString('base64')}:`
}

/**
 * The delta to send, among `deltas` (`{ coding, size }` for one dictionary):
 * highest q wins, then the smaller body. Null when none is acceptable.
 * @param {string | undefined} acceptEncoding
 * @param {{ coding: 'dcb'|'dcz', size: number }[]} deltas
 */
export function chooseDelta(acceptEncoding, deltas) {
  const quality = parseAcceptEncoding(acceptEncoding)
  let best = null
  for (const candidate of deltas) {
    const q = quality(candidate.coding)
    if (q <= 0) continue
    if (!best || q > best.q || (q === best.q && candidate.size < best.size)) best = { ...candidate, q }
  }
  return best
}

// URLPattern's special characters, escaped in the literal parts of a match.
const URL_PATTERN_SPECIAL = /[\\:*(){}?+]/g

/**
 * The `match` of `Use-As-Dictionary` for an emitted file, covering its future
 * versions: `assets/app-B8xk3.wasm` → `/assets/app-*.wasm` under base `/`. Null when
 * the name carries no hash next to the source's name (then no version would match).
 * @param {string} fileName emitted file name, relative to the output directory
 * @param {string} sourceName the source file's basename (`app.wasm`)
 * @param {string} [base] the public base path
 */
export function dictionaryMatch(fileName, sourceName, base = '/') {
  const slash = fileName.lastIndexOf('/')
  const dir = fileName.slice(0, slash + 1)
  const name = fileName.slice(slash + 1)
  const dot = sourceName.lastIndexOf('.')
  const stem = dot > 0 ? sourceName.slice(0, dot) : sourceName
  const ext = dot > 0 ? sourceName.slice(dot) : ''
  const rest = name.startsWith(stem) ? name.slice(stem.length) : null
  if (rest === null || !rest.endsWith(ext)) return null
  const hashPart = rest.slice(0, rest.length - ext.length)
  const separator = /^[-.]/.test(hashPart) ? hashPart[0] : null
  if (!separator || hashPart.length < 2) return null
  const prefix = base.startsWith('/') ? (base.endsWith('/') ? base : `${base}/`) : '/'
  const escape = (s) => s.replace(URL_PATTERN_SPECIAL, (c) => `\\${c}`)
  return `${escape(prefix + dir + stem + separator)}*${escape(ext)}`
}

/** The `Use-As-Dictionary` header value for a match pattern. */
export function useAsDictionary(match) {
  return `match="${match.replace(/["\\]/g, (c) => `\\${c}`)}"`
}
