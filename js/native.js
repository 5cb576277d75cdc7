// The Node API: the native addon with options normalised on this side of the
// boundary and errors turned into proper `Error`s with `code` and `offset`.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { hostPlatformArchABI, missingAddonMessage } from './platform.js'
import { DEFAULT_LEVELS } from './compress/formats.js'
import { normalizeLevels, normalizeNodeTransformOptions } from './options.js'

export { DEFAULT_LEVELS }

const require = createRequire(import.meta.url)

let binding
function native() {
  if (!binding) {
    try {
      binding = require('../native/binding.cjs')
    } catch (cause) {
      const manifest = require('../package.json')
      const fromClone = existsSync(new URL('../Cargo.toml', import.meta.url))
      const err = new Error(missingAddonMessage({ manifest, abi: hostPlatformArchABI(), fromClone, cause: cause.message }), { cause })
      err.code = 'ERR_ADDON_MISSING'
      throw err
    }
  }
  return binding
}

const ERROR_PATTERN = /^(ERR_[A-Z_]+): ([\s\S]*)$/
const OFFSET_PATTERN = /\(at offset 0x([0-9a-f]+)\)/

/** Gives a native error its `code` and `offset`, and names the file when known. */
export function decorateError(err, file) {
  const match = ERROR_PATTERN.exec(err?.message ?? '')
  if (!match) return err
  const [, code, message] = match
  const decorated = new Error(file ? `${file}: ${message}` : message)
  decorated.code = code
  const offset = OFFSET_PATTERN.exec(message)
  if (offset) decorated.offset = parseInt(offset[1], 16)
  if (file) decorated.file = file
  return decorated
}

function toBytes(input, name = 'input') {
  if (input instanceof Uint8Array) return input
  if (input instanceof ArrayBuffer) return new Uint8Array(input)
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  throw new TypeError(`wasm-squeeze: ${name} must be a Buffer, Uint8Array or ArrayBuffer`)
}

/**
 * `{ brotli?, zstd?, gzip? }` → the level of each format to produce. The binding
 * produces exactly the formats it is given; the defaults (br and gz on, zst off)
 * are applied here, by the same rule as the plugin's (js/options.js).
 */
function compressLevels(options) {
  const levels = normalizeLevels(options)
  return { brotli: levels.brotli, zstd: levels.zstd, gzip: levels.gzip }
}

/**
 * Validates, optimizes and re-validates a module off the main thread.
 * @param {Uint8Array | ArrayBuffer} input
 * @param {import('./native').TransformOptions} [options]
 */
export async function transform(input, options) {
  const { file, options: checked } = normalizeNodeTransformOptions(options)
  try {
    return await native().transform(toBytes(input), checked)
  } catch (err) {
    throw decorateError(err, file)
  }
}

export function transformSync(input, options) {
  const { file, options: checked } = normalizeNodeTransformOptions(options)
  try {
    return native().transformSync(toBytes(input), checked)
  } catch (err) {
    throw decorateError(err, file)
  }
}

/** Compresses into each requested format in parallel, off the main thread. */
export async function compress(input, options) {
  try {
    return await native().compress(toBytes(input), compressLevels(options))
  } catch (err) {
    throw decorateError(err)
  }
}

export function compressSync(input, options) {
  try {
    return native().compressSync(toBytes(input), compressLevels(options))
  } catch (err) {
    throw decorateError(err)
  }
}

/** Lists sections, imports, exports, memories and data segments. */
export async function inspect(input, options) {
  try {
    return await native().inspect(toBytes(input))
  } catch (err) {
    throw decorateError(err, options?.file)
  }
}

export function inspectSync(input, options) {
  try {
    return native().inspectSync(toBytes(input))
  } catch (err) {
    throw decorateError(err, options?.file)
  }
}

/**
 * The RFC 9842 body (`dcb` or `dcz`) of `input` against `dictionary`, decoded and
 * checked natively before it is returned; `null` when dcz cannot reach the
 * dictionary within the windows browsers accept.
 */
export async function delta(input, dictionary, { format, level } = {}) {
  try {
    return await native().delta(toBytes(input), toBytes(dictionary, 'dictionary'), { format, level })
  } catch (err) {
    throw decorateError(err)
  }
}

export function deltaSync(input, dictionary, { format, level } = {}) {
  try {
    return native().deltaSync(toBytes(input), toBytes(dictionary, 'dictionary'), { format, level })
  } catch (err) {
    throw decorateError(err)
  }
}
