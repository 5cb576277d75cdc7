// The rows behind the size table and the JSON report come in one order whatever
// order the modules finished loading in (load order varies between builds).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compressBundle } from '../js/compress/bundle.js'
import { formatTable } from '../js/report.js'

const wasmEntry = (source) => ({ sources: [source], fileName: `assets/${source.split('/').pop()}`, raw: 8, wasm: new Uint8Array(8), steps: [] })

test('wasm rows are sorted by source, not by load order', async () => {
  const sources = ['src/zeta.wasm', 'node_modules/b/x.wasm', 'node_modules/a/y.wasm', 'src/alpha.wasm']
  for (const order of [sources, [...sources].reverse()]) {
    const rows = await compressBundle({ wasm: order.map(wasmEntry), bundle: {}, compression: false, compressAll: () => undefined, emit: () => {} })
    assert.deepEqual(rows.map((r) => r.source), ['node_modules/a/y.wasm', 'node_modules/b/x.wasm', 'src/alpha.wasm', 'src/zeta.wasm'])
    const lines = formatTable(rows).split('\n')
    assert.ok(lines.findIndex((l) => l.includes('node_modules/a/y.wasm')) < lines.findIndex((l) => l.includes('src/zeta.wasm')))
  }
})
