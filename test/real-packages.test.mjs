// Real packages' wasm, optimized and swapped in: each package, loaded from a copy
// whose wasm is our output, gives the same results through its own API.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { brotliCompressSync, constants } from 'node:zlib'
import { transform } from 'wasm-squeeze/native'
import { PACKAGES } from './helpers/packages.js'

const RUNNER = path.resolve('test/helpers/run-package.js')

function runPackage(name, dir) {
  return JSON.parse(execFileSync(process.execPath, [RUNNER, name, dir], { encoding: 'utf8', maxBuffer: 64 << 20 }))
}

/** Two copies of an installed package: one left alone, one to swap the wasm in. */
function twoCopies(t, name) {
  const work = mkdtempSync(path.join(tmpdir(), 'wasm-squeeze-pkg-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  const [original, optimized] = ['original', 'optimized'].map((copy) => path.join(work, copy))
  for (const dir of [original, optimized]) cpSync(path.join('node_modules', name), dir, { recursive: true })
  return { original, optimized }
}

const pruned = []
for (const [name, { wasm }] of Object.entries(PACKAGES)) {
  test(`${name}: the optimized wasm gives the same results`, async (t) => {
    const { original, optimized } = twoCopies(t, name)
    const input = readFileSync(path.join(original, wasm))
    const { wasm: output, report } = await transform(input, { file: `${name}/${wasm}` })
    assert.ok(WebAssembly.validate(output), 'output validates in V8')
    assert.ok(output.length <= input.length, `${output.length} <= ${input.length}`)
    assert.deepEqual((await transform(input)).wasm, output, 'deterministic: the same bytes twice')
    writeFileSync(path.join(optimized, wasm), output)
    const [before, after] = [runPackage(name, original), runPackage(name, optimized)]
    assert.deepEqual(after, before)
    const applied = (pass) => report.steps.some((s) => s.pass === pass && s.status === 'applied')
    if (applied('strip') && applied('remove-unused') && !report.keptOriginal) pruned.push(name)
    t.diagnostic(`${wasm}: ${input.length} → ${output.length} bytes; ${report.steps.map((s) => `${s.pass} ${s.status}`).join(', ')}`)
  })
}

test('by default, debug builds were stripped and pruned before they ran', () => {
  // Release builds come back unchanged; web-tree-sitter's debug build loses its
  // DWARF and 29 unused functions, and then links grammars by its exports.
  assert.deepEqual(pruned, ['web-tree-sitter'])
})

// `start` is the one passiveData mode a package's own loader runs unchanged (the
// others need the plugin's glue: see test/passive-data*.test.mjs).
for (const [name, { wasm }] of Object.entries(PACKAGES)) {
  test(`${name}: with passiveData 'start' the wasm gives the same results`, async (t) => {
    const { original, optimized } = twoCopies(t, name)
    const input = readFileSync(path.join(optimized, wasm))
    const { wasm: output, report } = await transform(input, { file: `${name}/${wasm}`, passiveData: 'start' })
    const step = report.steps.find((s) => s.pass === 'passive-data')
    assert.equal(step.status, 'applied', step.detail)
    assert.ok(WebAssembly.validate(output), 'output validates in V8')
    writeFileSync(path.join(optimized, wasm), output)
    assert.deepEqual(runPackage(name, optimized), runPackage(name, original))
    t.diagnostic(`${wasm}: ${step.detail}`)
  })
}

// With raw growth allowed, pack-data merges these packages' scattered segments:
// the merged memory must be the same to the package's own workload, and the
// module no bigger under brotli 11 (what never-worse's zstd-1 proxy stands for).
const packed = []
for (const [name, { wasm }] of Object.entries(PACKAGES)) {
  test(`${name}: with allowRawGrowth the packed wasm gives the same results and is no bigger in brotli`, async (t) => {
    const { original, optimized } = twoCopies(t, name)
    const input = readFileSync(path.join(original, wasm))
    const { wasm: output, report } = await transform(input, { file: `${name}/${wasm}`, allowRawGrowth: true })
    assert.ok(WebAssembly.validate(output), 'output validates in V8')
    const brotli11 = (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length
    const [before, after] = [brotli11(input), brotli11(output)]
    assert.ok(after <= before, `brotli 11: ${before} → ${after}`)
    writeFileSync(path.join(optimized, wasm), output)
    assert.deepEqual(runPackage(name, optimized), runPackage(name, original))
    const step = report.steps.find((s) => s.pass === 'pack-data')
    if (step.status === 'applied' && !report.keptOriginal) packed.push(name)
    t.diagnostic(`${wasm}: ${step.detail}; raw ${input.length} → ${output.length}, brotli 11 ${before} → ${after}`)
  })
}

test('allowRawGrowth packed the data of the packages with many segments', () => {
  // oniguruma (180 segments), sql.js (397) and brotli-wasm (4,978); zstd-wasm's
  // 17 leave nothing worth merging.
  assert.ok(packed.length >= 3, `packed: ${packed.join(', ')}`)
})
