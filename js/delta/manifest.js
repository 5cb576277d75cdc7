// The deploy manifest: what a build with `delta` on says about its wasm, so that the
// next build can find each asset's predecessor and servers can find the deltas.
//
// It is written to the output directory as `wasm-squeeze-manifest.json` and is
// public on purpose: a later build may read it from the live site (`previous` as an
// http(s) URL). It holds only what the site already serves (emitted names, their
// sha-256, delta names) plus each asset's source identity (`npm:<package>/<path>` or
// a path relative to the project root), which names no directory outside the project.
import { createHash } from 'node:crypto'
import path from 'node:path'

export const MANIFEST_FILE = 'wasm-squeeze-manifest.json'
export const MANIFEST_VERSION = 1
const HEX_SHA256 = /^[0-9a-f]{64}$/
const SAFE_FILE = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^\\\0]+$/

export const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex')

/**
 * What identifies a wasm across versions: `npm:<package>/<path in package>` under
 * node_modules (so a version bump keeps it), else its path relative to the root.
 * The package is the name its package.json declares when `declaredName` knows it,
 * so an npm alias (`"sql.js-next": "npm:sql.js@1.17.0"`) is the package it installs.
 * @param {string} relative the source file relative to the project root
 * @param {(packageDir: string) => string | undefined} [declaredName] the `name` in
 *   `<packageDir>/package.json` (packageDir relative to the root, posix)
 */
export function sourceIdentity(relative, declaredName = () => undefined) {
  const posix = relative.split(path.sep).join('/')
  const at = posix.lastIndexOf('node_modules/')
  if (at === -1) return posix
  const start = at + 'node_modules/'.length
  const parts = posix.slice(start).split('/')
  const nameParts = parts[0].startsWith('@') ? 2 : 1
  const folder = parts.slice(0, nameParts).join('/')
  const name = declaredName(posix.slice(0, start) + folder) ?? folder
  return `npm:${[name, ...parts.slice(nameParts)].join('/')}`
}

/** The delta file of `fileName` against the dictionary with hex sha-256 `dictionary`. */
export function deltaFileName(fileName, dictionary, coding) {
  return `${fileName}.${dictionary}.${coding}`
}

/**
 * @param {{ source: string, file: string, sha256: string, bytes: number, match: string | null,
 *   deltas: { dictionary: string, coding: 'dcb'|'dcz', file: string, bytes: number }[] }[]} assets
 */
export function manifestJson(assets) {
  return `${JSON.stringify({ tool: 'wasm-squeeze', version: MANIFEST_VERSION, assets }, null, 2)}\n`
}

/**
 * Parses and checks a manifest; throws an Error naming the first bad key, so a
 * tampered or foreign manifest is refused as a whole.
 * @param {string} text
 */
export function parseManifest(text) {
  let json
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new Error(`not JSON (${err.message})`)
  }
  if (json?.tool !== 'wasm-squeeze') throw new Error('`tool` is not "wasm-squeeze"')
  if (json.version !== MANIFEST_VERSION) throw new Error(`\`version\` ${JSON.stringify(json.version)} is not ${MANIFEST_VERSION} (a build of an incompatible wasm-squeeze)`)
  if (!Array.isArray(json.assets)) throw new Error('`assets` is not an array')
  json.assets.forEach((asset, i) => {
    const where = `assets[${i}]`
    if (typeof asset?.source !== 'string' || asset.source === '') throw new Error(`${where}.source is not a string`)
    if (typeof asset.file !== 'string' || !SAFE_FILE.test(asset.file)) throw new Error(`${where}.file is not a relative path inside the deploy`)
    if (typeof asset.sha256 !== 'string' || !HEX_SHA256.test(asset.sha256)) throw new Error(`${where}.sha256 is not a hex sha-256`)
    if (!Number.isInteger(asset.bytes) || asset.bytes < 0) throw new Error(`${where}.bytes is not a byte count`)
    if (!Array.isArray(asset.deltas ?? [])) throw new Error(`${where}.deltas is not an array`)
  })
  return json
}
