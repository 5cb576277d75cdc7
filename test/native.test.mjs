// The Node API (`wasm-squeeze/native`): results, errors with code/offset/file,
// the Sync twins, compression round-trips, and the panic guard.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import * as native from 'wasm-squeeze/native'
import { customSectionNames, wat } from './helpers/wat.js'
import { BROWSER_MAX_WINDOW, unzstd, zstdWindowSize } from './helpers/zstd.js'

const ADD = `(module
  (memory (export "memory") 1)
  (data (i32.const 8) "hello")
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    local.get $a local.get $b i32.add))`

const debugBuild = () => wat(ADD, { names: true, custom: { producers: '\x00', 'dylink.0': '\x00', 'app-data': 'keep me' } })

test('transform strips debug sections, keeps the rest, and the result runs the same', async () => {
  const input = debugBuild()
  const { wasm, report } = await native.transform(input)
  assert.ok(WebAssembly.validate(wasm))
  assert.ok(wasm.length < input.length)
  assert.deepEqual(customSectionNames(wasm), ['dylink.0', 'app-data'])
  assert.equal(report.inputBytes, input.length)
  assert.equal(report.outputBytes, wasm.length)
  assert.equal(report.steps[0].pass, 'strip')
  assert.equal(report.steps[0].status, 'applied')
  assert.match(report.steps[0].detail, /custom:name/)
  const run = async (bytes) => (await WebAssembly.instantiate(bytes)).instance.exports
  const [before, after] = [await run(input), await run(wasm)]
  assert.equal(after.add(40, 2), before.add(40, 2))
  assert.deepEqual(new Uint8Array(after.memory.buffer, 8, 5), new Uint8Array(before.memory.buffer, 8, 5))
})

test('transform returns the interface of the module it returns, as inspect reads it', async () => {
  const input = wat(`(module (import "env" "log" (func $log (param i32))) (memory (export "memory") 1)
    (func (export "run") (param i32) local.get 0 call $log) (global (export "g") i32 (i32.const 7)))`, { names: true })
  const result = await native.transform(input)
  const info = await native.inspect(result.wasm)
  assert.deepEqual(result.imports, info.imports)
  assert.deepEqual(result.exports, info.exports)
  assert.deepEqual(result.imports, [{ module: 'env', name: 'log', kind: 'func' }])
  assert.deepEqual(result.exports.map((e) => e.name), ['memory', 'run', 'g'])
  assert.deepEqual(native.transformSync(input).exports, result.exports)
})

test('transformSync gives the same bytes as transform', async () => {
  const input = debugBuild()
  assert.deepEqual(native.transformSync(input).wasm, (await native.transform(input)).wasm)
})

test('options reach the core: keepNames and keepSections', async () => {
  const { wasm } = await native.transform(debugBuild(), { keepNames: true, keepSections: ['producers'] })
  assert.deepEqual(customSectionNames(wasm), ['name', 'producers', 'dylink.0', 'app-data'])
})

test('accepts ArrayBuffer and typed-array views', async () => {
  const input = debugBuild()
  const view = new Uint8Array(new ArrayBuffer(input.length + 16), 16)
  view.set(input)
  assert.deepEqual((await native.transform(view)).wasm, (await native.transform(input)).wasm)
  assert.deepEqual((await native.transform(input.buffer.slice(input.byteOffset, input.byteOffset + input.length))).wasm, (await native.transform(input)).wasm)
})

test('malformed input rejects with code, byte offset and file name', async () => {
  const truncated = debugBuild().subarray(0, 20)
  await assert.rejects(native.transform(truncated, { file: 'src/app.wasm' }), (err) => {
    assert.equal(err.code, 'ERR_WASM_MALFORMED')
    assert.equal(typeof err.offset, 'number')
    assert.ok(err.offset <= 20)
    assert.equal(err.file, 'src/app.wasm')
    assert.match(err.message, /^src\/app\.wasm: .*\(at offset 0x[0-9a-f]+\)$/)
    return true
  })
  assert.throws(() => native.transformSync(Buffer.from('not wasm')), { code: 'ERR_WASM_MALFORMED', offset: 0 })
  assert.throws(() => native.inspectSync(Buffer.from('not wasm')), { code: 'ERR_WASM_MALFORMED' })
})

test('a bad option value names the option', async () => {
  await assert.rejects(native.transform(debugBuild(), { passiveData: 'later' }), {
    code: 'ERR_INVALID_OPTION',
    message: /passiveData/,
  })
  await assert.rejects(native.compress(Buffer.from('x'), { brotli: 12 }), { code: 'ERR_INVALID_OPTION', message: /brotli/ })
  assert.throws(() => native.compressSync(Buffer.from('x'), { zstd: 'high' }), TypeError)
  await assert.rejects(native.transform('a string'), TypeError)
})

test('compress: defaults to br + gz (zst opt-in), each decodes to exactly the input', async () => {
  const { wasm } = await native.transform(debugBuild())
  const big = Buffer.concat(Array.from({ length: 200 }, () => wasm))
  const out = await native.compress(big)
  assert.deepEqual(Object.keys(out).filter((k) => out[k]).sort(), ['br', 'gz'])
  assert.deepEqual(brotliDecompressSync(out.br), big)
  assert.deepEqual(gunzipSync(out.gz), big)
  const withZstd = await native.compress(big, { zstd: true })
  assert.deepEqual(Object.keys(withZstd).filter((k) => withZstd[k]).sort(), ['br', 'gz', 'zst'])
  assert.deepEqual(unzstd(withZstd.zst), big)
  const all = native.compressSync(big, { gzip: true, brotli: 5, zstd: 3 })
  assert.deepEqual(gunzipSync(all.gz), big)
  assert.deepEqual(brotliDecompressSync(all.br), big)
  const gzOnly = await native.compress(big, { brotli: false, zstd: false, gzip: 9 })
  assert.deepEqual(Object.keys(gzOnly).filter((k) => gzOnly[k]), ['gz'])
})

test('zstd frames never ask for more than the 8 MiB window browsers accept', async () => {
  const big = Buffer.alloc(9 << 20)
  for (let i = 0; i < big.length; i++) big[i] = ((i * 2654435761) >>> 26) ^ (i >> 16)
  for (const zstd of [19, 22]) {
    const { zst } = await native.compress(big, { brotli: false, zstd })
    assert.ok(zstdWindowSize(zst) <= BROWSER_MAX_WINDOW, `level ${zstd}: window ${zstdWindowSize(zst)}`)
    assert.deepEqual(unzstd(zst), big)
  }
})

test('inspect describes imports, exports, memories and data', async () => {
  const info = await native.inspect(
    wat(`(module (import "env" "f" (func)) (memory (export "m") 2 3) (data (i32.const 4) "abc") (func (export "g")))`),
  )
  assert.deepEqual(info.imports, [{ module: 'env', name: 'f', kind: 'func' }])
  assert.deepEqual(info.exports.map((e) => [e.name, e.kind]), [['m', 'memory'], ['g', 'func']])
  assert.deepEqual(info.memories, [{ imported: false, initialPages: 2, maximumPages: 3, memory64: false, shared: false }])
  assert.deepEqual(info.dataSegments, [{ mode: 'active', memory: 0, offset: 4, size: 3 }])
  assert.equal(info.functionCount, 2)
  assert.deepEqual(native.inspectSync(wat('(module)')).sections, [])
})

test('a panic in native code becomes an ERR_INTERNAL error in every call, async and Sync; Node survives', () => {
  const script = `
    const native = await import('wasm-squeeze/native')
    const bytes = Buffer.from('0061736d01000000', 'hex')
    const results = []
    for (const call of [() => native.transform(bytes), () => native.compress(bytes), () => native.inspect(bytes)]) {
      try { await call(); results.push('resolved') } catch (err) { results.push(err.code) }
    }
    for (const call of [() => native.transformSync(bytes), () => native.compressSync(bytes), () => native.inspectSync(bytes)]) {
      try { call(); results.push('returned') } catch (err) { results.push(err.code) }
    }
    console.log(JSON.stringify(results))`
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, WASM_SQUEEZE_TEST_PANIC: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  assert.deepEqual(JSON.parse(stdout), Array(6).fill('ERR_INTERNAL'))
})

test('work runs off the main thread: the event loop keeps ticking during a large compress', async () => {
  const big = Buffer.alloc(4 << 20)
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 27
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  await native.compress(big, { brotli: 11, zstd: false })
  clearInterval(timer)
  assert.ok(ticks > 3, `the event loop ticked ${ticks} times`)
})
