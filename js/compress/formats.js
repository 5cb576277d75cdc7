// The one table of compression formats: everything the plugin, the CLI, the Node
// API, the reports and the preview server know about a format comes from here.
//
// Defaults: brotli and gzip on, zstd opt-in. Every browser that accepts zstd also
// accepts br, and .br is smaller on nearly every file, so a server choosing by
// Accept-Encoding never sends a browser the .zst, while zstd 19 costs about a fifth
// of the build's compression CPU.

/**
 * @typedef {object} Format
 * @property {'brotli'|'zstd'|'gzip'} option the option key (`compress.brotli`, `compress({ zstd })`)
 * @property {'br'|'zst'|'gz'} id the report column, the CLI's `--compress` token and the key `compress()` returns
 * @property {string} extension the sibling's extension
 * @property {string} encoding the `Content-Encoding` (and `Accept-Encoding`) token
 * @property {[number, number]} range the accepted levels, inclusive
 * @property {number} level the level `true` stands for
 * @property {boolean} on produced when the option is absent
 */

/** @type {readonly Format[]} in order of preference on equal q-values (smallest on the wire first) */
export const FORMATS = Object.freeze([
  { option: 'brotli', id: 'br', extension: '.br', encoding: 'br', range: [0, 11], level: 11, on: true },
  { option: 'zstd', id: 'zst', extension: '.zst', encoding: 'zstd', range: [1, 22], level: 19, on: false },
  { option: 'gzip', id: 'gz', extension: '.gz', encoding: 'gzip', range: [0, 9], level: 9, on: true },
].map((format) => Object.freeze(format)))

const byOption = new Map(FORMATS.map((f) => [f.option, f]))
const byId = new Map(FORMATS.map((f) => [f.id, f]))

/** The format of an option key (`'brotli'`) or of an id (`'br'`), or undefined. */
export function formatOf(key) {
  return byOption.get(key) ?? byId.get(key)
}

/** Compression levels used when a format is switched on with `true`. */
export const DEFAULT_LEVELS = Object.freeze(Object.fromEntries(FORMATS.map((f) => [f.option, f.level])))

/** Matches a file name that is itself a compressed sibling. */
export const SIBLING = new RegExp(`(?:${FORMATS.map((f) => f.extension.replace('.', '\\.')).join('|')})$`)
