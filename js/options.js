// Every option rule in one place: the plugin (`wasmSqueeze()`), the Node API
// (`js/native.js`) and the CLI normalise and validate through these functions, so a
// bad value fails once, up front, with the option's path, what was given and what
// is allowed, and an unknown key names the nearest known one. The native core
// checks again (it is its own API), but never sees a value these let through.
import { createFilter } from '@rollup/pluginutils'
import os from 'node:os'
import { FORMATS } from './compress/formats.js'
import { DEFAULT_CACHE_MAX_BYTES } from './compress/cache-dir.js'
import { normalizeDelta } from './delta/build.js'

export const PASSIVE_DATA_MODES = Object.freeze(['off', 'start', 'deferred', 'sidecar'])

/** Bundle files worth compressing besides wasm: text formats and wasm emitted by others. */
export const DEFAULT_ASSET_INCLUDE = /\.(?:m?js|cjs|css|html?|svg|json|webmanifest|xml|txt|map|wasm)$/
export const DEFAULT_ASSET_THRESHOLD = 1024
export const DEFAULT_MIN_RATIO = 0.95
const MiB = 1 << 20

/** A bad option: `code` as the core's, `option` the path the user wrote (`optimize.passiveData`). */
export class OptionError extends TypeError {
  constructor(option, message) {
    super(`wasm-squeeze: ${message}`)
    this.name = 'TypeError'
    this.code = 'ERR_INVALID_OPTION'
    this.option = option
  }
}

/** How a given value reads in an error message. */
export function describe(value) {
  if (typeof value === 'string') return `'${value}'`
  if (value instanceof RegExp) return String(value)
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer'
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`
  if (value && typeof value === 'object') return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`
  return String(value)
}

const join = (path, key) => (path ? `${path}.${key}` : key)
const fail = (path, allowed, value) => new OptionError(path, `option \`${path}\` must be ${allowed}, got ${describe(value)}`)

/** Edit distance (Levenshtein), for "did you mean". */
export function editDistance(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]
}

/** The known key nearest to `key`, when it is near enough to be a typo. */
export function nearest(key, known) {
  let best
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  return bestDistance <= Math.max(2, Math.floor(best?.length / 3)) ? best : undefined
}

/** Throws on the first key of `value` that `rules` does not know. */
function checkKeys(value, rules, path) {
  const known = Object.keys(rules)
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(rules, key)) continue
    const guess = nearest(key, known)
    const hint = guess ? `did you mean \`${join(path, guess)}\`?` : `known options: ${known.join(', ')}`
    throw new OptionError(join(path, key), `unknown option \`${join(path, key)}\`; ${hint}`)
  }
}

/** Applies `rules` (key → (value, path) => normalised) to an options object; drops undefined results. */
function object(value, rules, path, what = 'an object') {
  if (value === undefined || value === null) value = {}
  if (typeof value !== 'object' || Array.isArray(value)) throw fail(path || 'options', what, value)
  checkKeys(value, rules, path)
  const out = {}
  for (const [key, rule] of Object.entries(rules)) {
    const normalised = rule(value[key], join(path, key))
    if (normalised !== undefined) out[key] = normalised
  }
  return out
}

// ---- value rules: (value, path) => normalised, or throw ------------------------

const optional = (rule) => (value, path) => (value === undefined ? undefined : rule(value, path))
const boolean = optional((value, path) => {
  if (typeof value !== 'boolean') throw fail(path, 'true or false', value)
  return value
})
const string = (value, path) => {
  if (typeof value !== 'string' || value === '') throw fail(path, 'a non-empty string', value)
  return value
}
const integer = (min, max = Infinity, unit = '') => (value, path) => {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    const range = max === Infinity ? `≥ ${min}` : `in ${min}..${max}`
    throw fail(path, `an integer ${range}${unit}`, value)
  }
  return value
}
const oneOf = (allowed) => optional((value, path) => {
  if (!allowed.includes(value)) throw fail(path, `one of ${allowed.map(describe).join(', ')}`, value)
  return value
})
const stringList = optional((value, path) => {
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) throw fail(path, 'an array of strings', value)
  return value
})
const isPattern = (p) => typeof p === 'string' || p instanceof RegExp
/** include/exclude: what `createFilter` takes. */
const pattern = optional((value, path) => {
  if (value === null) return undefined
  if (isPattern(value) || (Array.isArray(value) && value.every(isPattern))) return value
  throw fail(path, 'a string, a RegExp or an array of them (picomatch patterns)', value)
})

// ---- the optimizer core ----------------------------------------------------------

/** The core's options: one rule per key, shared by the plugin's `optimize`, the Node API and the CLI. */
const TRANSFORM_RULES = {
  keepNames: boolean,
  keepSections: stringList,
  dce: boolean,
  packData: boolean,
  passiveData: oneOf(PASSIVE_DATA_MODES),
  sidecarMinBytes: optional(integer(0, Infinity, ' (bytes)')),
  zeroFilledMemory: boolean,
  allowRawGrowth: boolean,
  debugCompanion: boolean,
  debugUrl: optional(string),
}

/** `transform`'s options, checked; `path` prefixes the names in errors (`optimize`). */
export function normalizeTransformOptions(options, path = '') {
  return object(options, TRANSFORM_RULES, path)
}

/** A module's bytes given as an option: a Uint8Array (a Buffer is one), handed to the addon as it is. */
const moduleBytes = optional((value, path) => {
  if (!(value instanceof Uint8Array)) throw fail(path, 'a Uint8Array or Buffer holding a module', value)
  return value
})

/**
 * The Node API's `transform`: the core's settings, plus `file` (named in errors) and
 * `previous` (the previous deploy's module, whose function order the output keeps).
 * Those two are about one input, not settings, so the plugin's `optimize` does not
 * take them: it finds each file's previous module itself (js/delta/build.js).
 */
const NODE_TRANSFORM_RULES = {
  ...TRANSFORM_RULES,
  file: optional((value, path) => {
    if (typeof value !== 'string') throw fail(path, 'a string', value)
    return value
  }),
  previous: moduleBytes,
}

/** The Node API's `transform` options → `{ file, options }`, `options` being what the addon gets. */
export function normalizeNodeTransformOptions(options) {
  const { file, ...checked } = object(options, NODE_TRANSFORM_RULES, '')
  return { file, options: checked }
}

// ---- compression -----------------------------------------------------------------

/** `true` → the format's default level, `false` → off, absent → the format's default (on or off). */
function levelRule(format) {
  const [min, max] = format.range
  return (value, path) => {
    const given = value ?? format.on
    if (given === false) return undefined
    if (given === true) return format.level
    if (Number.isInteger(given) && given >= min && given <= max) return given
    throw fail(path, `true, false or an integer level in ${min}..${max}`, value)
  }
}
const LEVEL_RULES = Object.fromEntries(FORMATS.map((f) => [f.option, levelRule(f)]))

/**
 * `{ brotli?, zstd?, gzip? }` → the levels of the formats to produce, e.g.
 * `{ brotli: 11, gzip: 9 }`. The Node API's `compress()` and the plugin's `compress`
 * share this, so an absent format means the same everywhere: br and gz on, zst off.
 */
export function normalizeLevels(options, path = '') {
  return object(options, LEVEL_RULES, path)
}

/** The pool's limits, with the machine's defaults for what is not given. */
export function normalizeLimits({ concurrency, memoryBudget } = {}, path = 'compress') {
  const defaults = defaultLimits()
  return {
    concurrency: concurrency === undefined ? defaults.concurrency : integer(1)(concurrency, join(path, 'concurrency')),
    memoryBudget: memoryBudget === undefined ? defaults.memoryBudget : positiveBytes(memoryBudget, join(path, 'memoryBudget')),
  }
}

function positiveBytes(value, path) {
  if (!(Number.isFinite(value) && value > 0)) throw fail(path, 'a positive number of bytes', value)
  return value
}

/**
 * The defaults: one job per core, and a quarter of the machine's memory (at most
 * 2 GiB). Each job holds a libuv pool thread while it runs, so at most all but one
 * of them (3 of the default 4; raise UV_THREADPOOL_SIZE to use more cores): the
 * bundler's file reads must never wait behind compression.
 */
export function defaultLimits() {
  const threadpool = Number(process.env.UV_THREADPOOL_SIZE) || 4
  const cores = os.availableParallelism?.() ?? os.cpus().length
  return {
    concurrency: Math.max(1, Math.min(cores, threadpool - 1)),
    memoryBudget: Math.min(2 * 1024 * MiB, Math.floor(os.totalmem() / 4)),
  }
}

const ASSET_RULES = {
  include: pattern,
  exclude: pattern,
  threshold: optional(integer(0, Infinity, ' (bytes)')),
}

function assetsRule(value, path) {
  if (value === undefined || value === null || value === false) return false
  const { include = DEFAULT_ASSET_INCLUDE, exclude, threshold = DEFAULT_ASSET_THRESHOLD } = object(value === true ? {} : value, ASSET_RULES, path, 'true, false or an object')
  return { filter: createFilter(include, exclude, { resolve: false }), threshold }
}

const PLUGIN_COMPRESS_RULES = {
  ...LEVEL_RULES,
  minRatio: optional((value, path) => {
    if (!(typeof value === 'number' && value > 0 && value <= 1)) throw fail(path, 'a number in (0, 1]', value)
    return value
  }),
  assets: assetsRule,
  concurrency: optional(integer(1)),
  memoryBudget: optional(positiveBytes),
}

/**
 * The plugin's `compress` option → `false` or
 * `{ levels, minRatio, assets: false | { filter, threshold }, limits }`.
 */
export function normalizePluginCompress(option, path = 'compress') {
  if (option === false) return false
  if (option === true) option = {}
  const checked = object(option, PLUGIN_COMPRESS_RULES, path, 'an object, true or false')
  const levels = Object.fromEntries(FORMATS.filter((f) => checked[f.option] !== undefined).map((f) => [f.option, checked[f.option]]))
  const { minRatio = DEFAULT_MIN_RATIO, assets, concurrency, memoryBudget } = checked
  const limits = {}
  if (concurrency !== undefined) limits.concurrency = concurrency
  if (memoryBudget !== undefined) limits.memoryBudget = memoryBudget
  return { levels, minRatio, assets, limits }
}

// ---- debug companions --------------------------------------------------------------

/** Where the plugin writes companions by default: outside the served output (DWARF shows sources). */
export const DEFAULT_DEBUG_DIR = 'wasm-debug'
const DEBUG_FILES_RULES = { dir: optional(string), serve: boolean }

/** `debugFiles`: `false | true | { dir?, serve? }` → `null` or `{ dir, serve }`. */
export function normalizeDebugFiles(value, path = 'debugFiles') {
  if (value === undefined || value === false) return null
  const { dir = DEFAULT_DEBUG_DIR, serve = false } = object(value === true ? {} : value, DEBUG_FILES_RULES, path, 'true, false or { dir?, serve? }')
  return { dir, serve }
}

// ---- the cache ---------------------------------------------------------------------

const CACHE_RULES = {
  dir: optional(string),
  maxBytes: optional((value, path) => {
    if (!(Number.isFinite(value) && value >= 0)) throw fail(path, 'a non-negative number of bytes', value)
    return value
  }),
}

/**
 * `cache`: a directory, `{ dir?, maxBytes? }` or `false` → `false` or `{ dir, maxBytes }`
 * (`dir` undefined: the user's cache directory).
 */
export function normalizeCacheOption(value, path = 'cache') {
  if (value === false) return false
  if (value === undefined || value === null) value = {}
  else if (typeof value === 'string') value = { dir: value }
  const { dir, maxBytes = DEFAULT_CACHE_MAX_BYTES } = object(value, CACHE_RULES, path, 'a directory, an object or false')
  return { dir, maxBytes }
}

// ---- the plugin ------------------------------------------------------------------

const PLUGIN_RULES = {
  include: pattern,
  exclude: pattern,
  optimize: (value, path) => (value === false ? false : normalizeTransformOptions(value, path)),
  compress: (value, path) => normalizePluginCompress(value, path),
  cache: (value, path) => normalizeCacheOption(value, path),
  strict: boolean,
  report: optional((value, path) => {
    if (typeof value === 'boolean' || (typeof value === 'string' && value !== '')) return value
    throw fail(path, "true, false, 'json' or a file path", value)
  }),
  debugFiles: (value, path) => normalizeDebugFiles(value, path),
  // Not documented: how often compression progress is logged (tests use a short one).
  progressIntervalMs: optional(integer(1)),
  // Delta delivery's rules live beside it (js/delta/build.js).
  delta: (value) => normalizeDelta(value),
}

/**
 * `wasmSqueeze(options)` → every option normalised, or an OptionError. Called once,
 * when the plugin is created, so a bad value fails before any file is read.
 */
export function normalizePluginOptions(options) {
  const { include = /\.wasm$/, exclude, optimize = {}, compress, cache, strict = false, report = true, debugFiles = null, delta = false, progressIntervalMs = 5000 } = object(options, PLUGIN_RULES, '', 'an object')
  return { include, exclude, optimize, compress, cache, strict, report, debugFiles, delta, progressIntervalMs }
}
