#!/usr/bin/env node
// Compiles every `test/fixtures/**/*.wat` outside node_modules (or the paths
// given as arguments) to a `.wasm` beside it, with the wabt npm package. The
// tests build their fixture apps' wasm with it.
//
// The output deliberately carries what a real toolchain leaves behind: a `name`
// section (wabt's `write_debug_names`) and a `producers` section saying which
// tools made it. wasm-squeeze strips both, which the tests check.
//
//   node scripts/build-wat.js                 # every test/fixtures/**/*.wat
//   node scripts/build-wat.js path/to/x.wat   # just these
import { readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const FIXTURES = path.join(ROOT, 'test/fixtures')

/** Post-MVP features the fixtures may use (all shipped in every current engine). */
const FEATURES = {
  mutable_globals: true,
  sat_float_to_int: true,
  sign_extension: true,
  multi_value: true,
  bulk_memory: true,
  reference_types: true,
}

// ---------------------------------------------------------------------------
// The producers section, per the tool-conventions spec:
// https://github.com/WebAssembly/tool-conventions/blob/main/ProducersSection.md
//
//   custom section (id 0) named "producers", whose payload is
//     field_count: varuint32
//     field*:      field_name: string, value_count: varuint32,
//                  (name: string, version: string)*
//   where string = varuint32 byte length + UTF-8 bytes.
// ---------------------------------------------------------------------------

/** Unsigned LEB128. */
export function uleb128(value) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`not a u32: ${value}`)
  const bytes = []
  do {
    let byte = value & 0x7f
    value >>>= 7
    if (value !== 0) byte |= 0x80
    bytes.push(byte)
  } while (value !== 0)
  return bytes
}

/** A wasm `name`: its byte length as varuint32, then its UTF-8 bytes. */
function wasmString(text) {
  const utf8 = new TextEncoder().encode(text)
  return [...uleb128(utf8.length), ...utf8]
}

/**
 * Encodes a complete `producers` custom section (id, size and all), ready to be
 * appended to a module. Pure.
 * @param {Record<string, [name: string, version: string][]>} fields
 *   e.g. `{ language: [['wat', '']], 'processed-by': [['wabt', '1.0.39']] }`
 * @returns {Uint8Array}
 */
export function producersSection(fields) {
  const entries = Object.entries(fields)
  const payload = [...wasmString('producers'), ...uleb128(entries.length)]
  for (const [field, values] of entries) {
    payload.push(...wasmString(field), ...uleb128(values.length))
    for (const [name, version] of values) payload.push(...wasmString(name), ...wasmString(version))
  }
  return Uint8Array.from([0x00, ...uleb128(payload.length), ...payload])
}

// ---------------------------------------------------------------------------

let wabtPromise
const wabt = () => (wabtPromise ??= require('wabt')())
const versionOf = (pkg) => require(`${pkg}/package.json`).version
const ownVersion = () => require('../package.json').version

/** The producers fields written into every example module. */
export function defaultProducers() {
  return {
    language: [['wat', '']],
    'processed-by': [
      ['wabt', versionOf('wabt')],
      ['wasm-squeeze build-wat', ownVersion()],
    ],
  }
}

/**
 * Compiles WebAssembly text to binary, with names and a producers section.
 * @param {string} text the `.wat` source
 * @param {string} [filename] used in error messages
 * @returns {Promise<Uint8Array>}
 */
export async function compileWat(text, filename = 'input.wat') {
  const module = (await wabt()).parseWat(filename, text, FEATURES)
  try {
    module.resolveNames()
    module.validate()
    const { buffer } = module.toBinary({ write_debug_names: true })
    const producers = producersSection(defaultProducers())
    const out = new Uint8Array(buffer.length + producers.length)
    out.set(buffer, 0)
    out.set(producers, buffer.length)
    return out
  } finally {
    module.destroy()
  }
}

/** Every `.wat` under `dir`, skipping node_modules and build output. */
export async function findWatFiles(dir = FIXTURES) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.wat'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .filter((file) => !file.split(path.sep).some((part) => part === 'node_modules' || part === 'dist'))
    .sort()
}

/**
 * Compiles each `.wat` to a `.wasm` beside it (every `test/fixtures/**\/*.wat` when
 * no paths are given). Files whose bytes would not change are left untouched.
 * @param {string[]} [paths]
 * @returns {Promise<{ wat: string, wasm: string, bytes: number }[]>}
 */
export async function buildWat(paths = []) {
  const files = paths.length > 0 ? paths.map((p) => path.resolve(p)) : await findWatFiles()
  const results = []
  for (const wat of files) {
    const wasm = wat.replace(/\.wat$/, '') + '.wasm'
    const binary = await compileWat(await readFile(wat, 'utf8'), path.relative(ROOT, wat))
    const previous = await readFile(wasm).catch(() => null)
    if (!previous || !Buffer.from(binary).equals(previous)) {
      // Write-then-rename, so a concurrent reader never sees a half-written file.
      const temporary = `${wasm}.${process.pid}.tmp`
      await writeFile(temporary, binary)
      await rename(temporary, wasm)
    }
    results.push({ wat, wasm, bytes: binary.length })
  }
  return results
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const built = await buildWat(process.argv.slice(2))
    for (const { wasm, bytes } of built) console.log(`${path.relative(process.cwd(), wasm)}  ${bytes} B`)
    if (built.length === 0) console.log('build-wat: no .wat files found')
  } catch (err) {
    console.error(`build-wat: ${err.message}`)
    process.exitCode = 1
  }
}
