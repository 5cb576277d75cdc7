// passiveData modes end to end in V8 (Node): the Node API's results loaded by the
// plugin's own runtime glue (fetch of a data: URL, so the browser path runs),
// compared with the original module; shared memory with two instances; sidecar
// bounds failures; the CLI writing a sidecar.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as native from 'wasm-squeeze/native'
import { esmGlue, initGlue, runtimeCode } from '../js/glue.js'
import { placementTable } from '../js/sidecar.js'
import { pathToFileURL } from 'node:url'
import { main } from '../js/cli.js'
import wabtFactory from 'wabt'

const wabt = await wabtFactory()
const wat = (text) => {
  const module = wabt.parseWat('t.wat', text, { multi_memory: true, bulk_memory: true, threads: true })
  try {
    return Buffer.from(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}

const runtime = await import('data:text/javascript,' + encodeURIComponent(runtimeCode({ ssr: false })))
const dataUrl = (bytes, type) => `data:${type};base64,${Buffer.from(bytes).toString('base64')}`

/** Loads like the glue does: instantiate + sidecar + initialiser. */
async function load(result, imports) {
  const sidecar = result.sidecar && {
    url: dataUrl(result.sidecar.data, 'application/octet-stream'),
    placements: placementTable(result.sidecar),
  }
  return runtime.instantiate(dataUrl(result.wasm, 'application/wasm'), imports, sidecar)
}

// Node 20's V8 has no multi-memory (the Rust tests cover it): one memory, imported,
// and re-exported or not, so the loader reaches it by export or by import.
const app = ({ exported }) => `(module
  (import "env" "memory" (memory 1))
  ${exported ? '(export "heap" (memory 0))' : ''}
  (global $seen (mut i32) (i32.const 0))
  (func $start (global.set $seen (i32.load8_u (i32.const 4100))))
  (start $start)
  (func (export "sum") (param $from i32) (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (local.get $acc) (i32.load8_u (local.get $from))))
      (local.set $from (i32.add (local.get $from) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $acc))
  (func (export "seen") (result i32) (global.get $seen))
  (data (i32.const 4096) "${'\\07'.repeat(5000)}")
  (data (i32.const 9500) "${'\\03'.repeat(5000)}")
  (data (i32.const 8) "small"))`
const APP = app({ exported: true })

for (const [mode, exported] of [['start', true], ['deferred', true], ['sidecar', true], ['sidecar', false]]) {
  test(`passiveData: '${mode}' loads through the glue and computes what the original does (memory ${exported ? 'exported' : 'imported only'})`, async () => {
    const input = wat(app({ exported }))
    const result = await native.transform(input, { passiveData: mode })
    const step = result.report.steps.find((s) => s.pass === 'passive-data')
    assert.equal(step.status, 'applied', step.detail)
    assert.equal(Boolean(result.sidecar), mode === 'sidecar')
    if (mode === 'sidecar') {
      assert.equal(result.sidecar.data.length, 10000, 'both big segments moved, the small one stayed')
      const placed = result.sidecar.placements[0]
      assert.deepEqual([placed.memoryExport, placed.memoryImport], exported ? ['heap', undefined] : [undefined, ['env', 'memory']])
      assert.equal(result.sidecar.initExport, '__wasm_squeeze_init_data', 'the start function reads the data: deferred')
      assert.ok(result.wasm.length < input.length - 9000, 'the module keeps nothing of the moved bytes')
    }
    const env = () => ({ env: { memory: new WebAssembly.Memory({ initial: 1 }) } })
    const [a, b] = [env(), env()]
    const before = (await WebAssembly.instantiate(input, a)).instance.exports
    const after = (await load(result, b)).exports
    assert.equal(after.seen(), before.seen(), 'the start function saw the data')
    assert.equal(after.seen(), 7)
    assert.equal(after.sum(4090, 5100), before.sum(4090, 5100))
    assert.deepEqual(new Uint8Array(b.env.memory.buffer), new Uint8Array(a.env.memory.buffer))
  })
}

test('sidecar: a segment out of bounds of the memory still fails loading', async () => {
  const input = wat(`(module (import "env" "memory" (memory 1)) (data (i32.const 65000) "${'\\01'.repeat(5000)}"))`)
  await assert.rejects(WebAssembly.instantiate(input, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }), WebAssembly.RuntimeError)
  const result = await native.transform(input, { passiveData: 'sidecar' })
  assert.ok(result.sidecar)
  await assert.rejects(load(result, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }), WebAssembly.RuntimeError)
  // A larger memory is fine, as it is for the original.
  const big = { env: { memory: new WebAssembly.Memory({ initial: 2 }) } }
  await load(result, big)
  assert.equal(new Uint8Array(big.env.memory.buffer)[69999], 1)
})

test('shared memory the module defines: each instance initialises its own, in start and deferred', async () => {
  const input = wat(`(module (memory (export "mem") 1 1 shared) (data (i32.const 0) "shared")
    (func (export "poke") (i32.store8 (i32.const 0) (i32.const 83))))`)
  for (const mode of ['start', 'deferred']) {
    const result = await native.transform(input, { passiveData: mode })
    const first = await load(result, {})
    first.exports.poke()
    const second = await load(result, {})
    assert.equal(Buffer.from(new Uint8Array(second.exports.mem.buffer, 0, 6)).toString(), 'shared')
    assert.equal(Buffer.from(new Uint8Array(first.exports.mem.buffer, 0, 6)).toString(), 'Shared', mode)
  }
})

test('imported shared memory: two instances on one memory behave as the original (the pass skips, saying why)', async () => {
  const input = wat(`(module (import "env" "mem" (memory 1 1 shared)) (data (i32.const 0) "init")
    (func (export "poke") (i32.store8 (i32.const 0) (i32.const 73))))`)
  const run = async (bytes) => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true })
    const first = await WebAssembly.instantiate(bytes, { env: { mem: memory } })
    first.instance.exports.poke()
    await WebAssembly.instantiate(bytes, { env: { mem: memory } })
    return Buffer.from(new Uint8Array(memory.buffer, 0, 4)).toString()
  }
  for (const mode of ['start', 'deferred', 'sidecar']) {
    const result = await native.transform(input, { passiveData: mode, sidecarMinBytes: 1 })
    const step = result.report.steps.find((s) => s.pass === 'passive-data')
    assert.notEqual(step.status, 'applied')
    assert.match(step.detail, /shared/)
    assert.equal(await run(result.wasm), await run(input))
  }
})

test('passiveData and sidecarMinBytes are validated, naming the option', async () => {
  await assert.rejects(native.transform(wat('(module)'), { passiveData: 'later' }), (err) => {
    assert.equal(err.code, 'ERR_INVALID_OPTION')
    assert.match(err.message, /passiveData.*sidecar/)
    return true
  })
  await assert.rejects(native.transform(wat('(module)'), { sidecarMinBytes: -1 }), /sidecarMinBytes/)
})

test('CLI --passive-data sidecar writes the module, the data and the placements', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wasm-squeeze-sidecar-'))
  try {
    const input = path.join(dir, 'in.wasm')
    const output = path.join(dir, 'out.wasm')
    await writeFile(input, wat(APP))
    const out = { text: '', write(s) { this.text += s } }
    const code = await main([input, '-o', output, '--passive-data', 'sidecar', '--sidecar-min-bytes', '4000'], { stdout: out, stderr: out })
    assert.equal(code, 0, out.text)
    assert.equal((await readFile(`${output}.data`)).length, 10000)
    const placements = JSON.parse(await readFile(`${output}.data.json`, 'utf8'))
    assert.equal(placements.placements.length, 2)
    assert.match(out.text, /passive-data: applied, moved 2 segment/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('the ESM glue passes the sidecar and never re-exports the initialiser', () => {
  const shape = { imports: [], exports: [{ name: '__wasm_squeeze_init_data', kind: 'func' }, { name: 'f', kind: 'func' }] }
  const code = esmGlue('URL', shape, '{ url: DATA, placements: [] }')
  assert.match(code, /instantiate\(URL, \{ {2}\}, \{ url: DATA, placements: \[\] \}\)/)
  assert.doesNotMatch(code, /as __wasm_squeeze_init_data/)
  assert.match(code, /export \{ __wasm_export_0 as f \}/)
  assert.match(initGlue('URL', 'SIDE'), /instantiate\(url, imports, SIDE\)/)
  assert.match(initGlue('URL'), /instantiate\(url, imports\)\n/)
})

test('SSR: the server-side loader reads the sidecar file and places it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wasm-squeeze-ssr-'))
  try {
    const ssr = path.join(dir, 'runtime.mjs')
    await writeFile(ssr, runtimeCode({ ssr: true }))
    const { instantiate } = await import(pathToFileURL(ssr).href)
    const input = wat(APP)
    const result = await native.transform(input, { passiveData: 'sidecar' })
    await writeFile(path.join(dir, 'app.wasm'), result.wasm)
    await writeFile(path.join(dir, 'app.data'), result.sidecar.data)
    const memory = new WebAssembly.Memory({ initial: 1 })
    const instance = await instantiate('./app.wasm', { env: { memory } }, { url: './app.data', placements: placementTable(result.sidecar) })
    const before = (await WebAssembly.instantiate(input, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } })).instance.exports
    assert.equal(instance.exports.seen(), 7)
    assert.equal(instance.exports.sum(0, 65536), before.sum(0, 65536))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
