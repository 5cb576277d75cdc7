// The build side of delta delivery: the `delta` option, the manifest every build
// with it writes, the predecessor each wasm is optimized against (so that its
// functions keep their old indices), and one dcb (and where it pays, dcz) sibling
// per changed wasm and previous deploy, each verified natively and produced through
// the compression pool and cache.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { loadDeploys } from './previous.js'
import { MANIFEST_FILE, deltaFileName, manifestJson, sourceIdentity } from './manifest.js'
import { dictionaryMatch } from './negotiate.js'
import { displaySource, formatBytes } from '../report.js'
import { OptionError } from '../options.js'

export const DEFAULT_KEEP = 2
export const MAX_KEEP = 8
/**
 * dcz is only tried on files over brotli's 16 MiB window: below it dcb came out
 * smaller on every pair of bench:delta (bench/results/delta.md), and every browser
 * with dcz has dcb, so the zstd run would be build time for a file never served.
 */
export const DCZ_MIN_BYTES = 1 << 24

function invalid(key, expected, value) {
  return new OptionError(key, `option \`${key}\` must be ${expected}, got ${JSON.stringify(value)}`)
}

/**
 * `delta` → false | `{ previous: string[], keep }`. `true` writes the manifest only
 * (a first deploy); `previous` lists earlier deploys newest first, and deltas are
 * made against the first `keep` of them.
 * @param {boolean | { previous?: string | string[], keep?: number } | undefined} option
 */
export function normalizeDelta(option) {
  if (option == null || option === false) return false
  if (option === true) return { previous: [], keep: DEFAULT_KEEP }
  if (typeof option !== 'object' || Array.isArray(option)) throw invalid('delta', 'true, false or { previous, keep }', option)
  for (const key of Object.keys(option)) {
    if (key !== 'previous' && key !== 'keep') throw invalid(`delta.${key}`, 'absent (unknown key; expected previous or keep)', option[key])
  }
  const { previous = [], keep = DEFAULT_KEEP } = option
  const list = typeof previous === 'string' ? [previous] : previous
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p !== '')) {
    throw invalid('delta.previous', 'a directory or http(s) URL, or an array of them', previous)
  }
  if (!(Number.isInteger(keep) && keep >= 1 && keep <= MAX_KEEP)) throw invalid('delta.keep', `an integer in 1..${MAX_KEEP}`, keep)
  return { previous: list.slice(0, keep), keep }
}

/**
 * @param {{ previous: string[] }} option the normalised option
 * @param {{ root: string, warn: (message: string) => void,
 *   runDelta: (target: { bytes: Uint8Array, sha256: Buffer }, dictionary: { bytes: Uint8Array, sha256: string }, coding: 'dcb'|'dcz') => Promise<Buffer|null> }} context
 */
export function createDeltaBuild(option, { root, warn, runDelta }) {
  // Read before the bundler empties the output directory, which may be where CI
  // restored the previous deploy.
  const deploys = loadDeploys(option.previous, { root, warn })
  /** source identity and sha-256 → the delta bodies against each previous deploy */
  const started = new Map()
  /** What identifies `file` (relative to the root) across deploys: the one rule the manifest and both lookups use. */
  const sourceOf = (file) => sourceIdentity(file, (dir) => declaredPackageName(path.join(root, dir)))

  /**
   * The module this wasm should be aligned to: its predecessor in the newest
   * previous deploy that has one, whatever its bytes; null when no deploy loaded
   * has it. The optimizer keeps the functions it shares with it at their old
   * indices, so the delta against it stays small.
   * @param {string} file the source file relative to the root
   * @returns {Promise<{ bytes: Buffer, sha256: string } | null>}
   */
  async function predecessorOf(file) {
    const source = sourceOf(file)
    const old = (await deploys).map((deploy) => deploy.assets.get(source)).find(Boolean)
    return old ? { bytes: old.bytes, sha256: old.sha256 } : null
  }

  /**
   * Starts the delta jobs of one emitted wasm (once), as soon as its bytes are known:
   * they then share the pool with its siblings' jobs instead of following them.
   * @param {string} file the source file relative to the root
   * @param {Uint8Array} wasm the emitted bytes
   * @param {Buffer} wasmHash their sha-256 (hashed once, by the plugin)
   */
  function startDeltas(file, wasm, wasmHash) {
    const source = sourceOf(file)
    const sha256 = wasmHash.toString('hex')
    const key = `${source}\0${sha256}`
    if (!started.has(key)) {
      const jobs = deploys.then((previous) => {
        const seen = new Set()
        const against = previous.filter((deploy) => {
          const old = deploy.assets.get(source)
          if (!old || old.sha256 === sha256 || seen.has(old.sha256)) return false
          seen.add(old.sha256)
          return true
        })
        return Promise.all(
          against.map(async (deploy) => {
            const old = deploy.assets.get(source)
            const dictionary = { bytes: old.bytes, sha256: old.sha256 }
            const tryDcz = wasm.length > DCZ_MIN_BYTES
            const target = { bytes: wasm, sha256: wasmHash }
            const [dcb, dcz] = await Promise.all([runDelta(target, dictionary, 'dcb'), tryDcz ? runDelta(target, dictionary, 'dcz') : null])
            return { deploy, old, dcb, dcz }
          }),
        )
      })
      jobs.catch(() => {}) // awaited in emitDeltas; never an unhandled rejection
      started.set(key, { source, sha256, jobs })
    }
    return started.get(key)
  }

  /**
   * @param {object} args
   * @param {{ file: string, fileName: string, wasm: Uint8Array, wasmHash: Buffer }[]} args.wasm our emitted wasm
   * @param {(fileName: string) => Promise<number | undefined>} args.brSize the size of a wasm's .br, once known
   * @param {string} args.base the public base path
   * @param {(fileName: string, source: Buffer | string) => void} args.emit
   * @returns {Promise<{ file: string, fileName: string, against: string, dictionary: string, br?: number, dcb?: number, dcz?: number }[]>}
   */
  async function emitDeltas({ wasm, brSize, base, emit }) {
    const perAsset = await Promise.all(
      wasm.map(async (w) => {
        const { source, sha256, jobs } = startDeltas(w.file, w.wasm, w.wasmHash)
        const entry = { source, file: w.fileName, sha256, bytes: w.wasm.length, match: dictionaryMatch(w.fileName, path.basename(w.file), base), deltas: [] }
        const rows = []
        const [results, br] = await Promise.all([jobs, brSize(w.fileName)])
        for (const { deploy, old, dcb, dcz } of results) {
          const row = { file: w.file, fileName: w.fileName, against: deploy.where, dictionary: old.sha256, ...(br != null && { br }) }
          const full = br ?? w.wasm.length
          // dcb pays when it beats the .br a client would get instead; dcz when it
          // also beats dcb (every browser with dcz has dcb).
          for (const [coding, body] of [['dcb', dcb], ['dcz', dcz]]) {
            if (!body) continue
            row[coding] = body.length
            const beats = coding === 'dcb' ? body.length < full : body.length < Math.min(full, dcb?.length ?? Infinity)
            if (!beats) continue
            const file = deltaFileName(w.fileName, old.sha256, coding)
            emit(file, body)
            entry.deltas.push({ dictionary: old.sha256, coding, file, bytes: body.length })
          }
          rows.push(row)
        }
        return { entry, rows }
      }),
    )
    emit(MANIFEST_FILE, manifestJson(perAsset.map((a) => a.entry)))
    return perAsset.flatMap((a) => a.rows)
  }

  return { predecessorOf, startDeltas, emitDeltas }
}

/** The size table of the deltas, logged after the main one. */
export function formatDeltaTable(rows) {
  const header = ['delta', 'against', 'br', 'dcb', 'dcz', 'smallest / br']
  const body = rows.map((r) => {
    const smallest = Math.min(r.dcb ?? Infinity, r.dcz ?? Infinity)
    const ratio = r.br && Number.isFinite(smallest) ? `${((smallest / r.br) * 100).toFixed(1)}%` : '-'
    return [displaySource(r.file), `${r.against} (${r.dictionary.slice(0, 8)})`, formatBytes(r.br), formatBytes(r.dcb), formatBytes(r.dcz), ratio]
  })
  const table = [header, ...body]
  const widths = header.map((_, col) => Math.max(...table.map((row) => row[col].length)))
  return table.map((row) => row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  ').trimEnd()).join('\n')
}

/** The `name` a package's package.json declares, or undefined when it cannot be read. */
function declaredPackageName(dir) {
  try {
    const { name } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
    return typeof name === 'string' && name !== '' ? name : undefined
  } catch {
    return undefined
  }
}
