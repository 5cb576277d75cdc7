// What the plugin does in `generateBundle`: collect the wasm compressions started in
// `load`, compress the bundle's other assets when asked, emit each sibling that pays
// (≤ minRatio of its source), and return one report row per compressed file.
import { worthShipping } from './pipeline.js'
import { SIBLING, formatOf } from './formats.js'
import { whatHappened } from '../report.js'

/** The bytes of a bundle item (chunk code or asset source). */
function bytesOf(item) {
  if (item.type === 'chunk') return Buffer.from(item.code)
  return typeof item.source === 'string' ? Buffer.from(item.source) : Buffer.from(item.source.buffer, item.source.byteOffset, item.source.byteLength)
}

/**
 * @param {object} args
 * @param {{ sources: string[], fileName: string, raw: number, wasm: Uint8Array, compressed: Promise<any>, note?: string,
 *   steps?: object[], sections?: object }[]} args.wasm
 *   our wasm assets (one per distinct content, naming every source file), each
 *   with the compression started in `load` (null when compression is off)
 * @param {Record<string, any>} args.bundle Rollup's output bundle
 * @param {false | { minRatio: number, assets: false | { filter: (id: string) => boolean, threshold: number } }} args.compression
 * @param {(bytes: Uint8Array) => Promise<{ outputs: Record<string, Buffer>, hits: number, misses: number }>} args.compressAll
 * @param {(fileName: string, source: Buffer) => void} args.emit emits one sibling
 * @returns {Promise<import('../report.js').Row[]>} the rows, in the shape the table and the JSON report read
 */
export async function compressBundle({ wasm, bundle, compression, compressAll, emit }) {
  const assetRows = []
  if (compression && compression.assets) {
    const ours = new Set(wasm.map((w) => w.fileName))
    const { filter, threshold } = compression.assets
    for (const [fileName, item] of Object.entries(bundle)) {
      if (ours.has(fileName) || SIBLING.test(fileName) || !filter(fileName)) continue
      const bytes = bytesOf(item)
      if (bytes.length < threshold) continue
      assetRows.push({ kind: 'asset', sources: [fileName], fileName, raw: bytes.length, bytes, compressed: compressAll(bytes) })
    }
  }
  // Sorted by source: load order varies between runs, the table and the JSON report must not.
  const wasmRows = wasm.map((w) => ({ kind: 'wasm', ...w, bytes: w.wasm })).sort((a, b) => compareText(a.sources[0], b.sources[0]))

  const rows = []
  for (const entry of [...wasmRows, ...assetRows]) {
    const { kind, sources, fileName, raw, bytes, note, steps } = entry
    const row = { kind, source: sources[0], sources, emitted: fileName, raw, optimized: bytes.length, what: whatHappened(entry) }
    if (note) row.note = note
    if (steps) row.steps = steps
    const result = await entry.compressed
    if (result) {
      row.cache = { hits: result.hits, misses: result.misses }
      for (const [key, output] of Object.entries(result.outputs)) {
        if (worthShipping(output, bytes.length, compression.minRatio)) {
          emit(fileName + formatOf(key).extension, output)
          row[key] = output.length
        } else {
          ;(row.skipped ??= {})[key] = output.length
        }
      }
    }
    rows.push(row)
  }
  return rows
}

const compareText = (a, b) => (a < b ? -1 : a > b ? 1 : 0)
