// Option rules (js/options.js), as each entry point applies them: the plugin when
// it is created, the Node API per call, the CLI per run. A bad value names the
// option path, what was given and what is allowed; an unknown key names the nearest
// known one.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import wasmSqueeze from 'wasm-squeeze'
import * as native from 'wasm-squeeze/native'
import { FORMATS } from '../js/compress/formats.js'
import { PASSIVE_DATA_MODES, editDistance, nearest, normalizeLevels, normalizePluginOptions } from '../js/options.js'
import { wat } from './helpers/wat.js'

const rejectsWith = (fn, { option, message }) =>
  assert.throws(fn, (err) => {
    assert.equal(err.code, 'ERR_INVALID_OPTION')
    assert.ok(err instanceof TypeError)
    assert.equal(err.option, option)
    assert.match(err.message, message)
    return true
  })

test('the plugin rejects a bad value when it is created, naming path, value and what is allowed', () => {
  rejectsWith(() => wasmSqueeze({ optimize: { passiveData: 'sidcar' } }), {
    option: 'optimize.passiveData',
    message: /`optimize\.passiveData` must be one of 'off', 'start', 'deferred', 'sidecar', got 'sidcar'/,
  })
  const cases = [
    [{ optimize: { dce: 'yes' } }, 'optimize.dce', /true or false, got 'yes'/],
    [{ optimize: { keepSections: 'producers' } }, 'optimize.keepSections', /an array of strings/],
    [{ optimize: { sidecarMinBytes: -1 } }, 'optimize.sidecarMinBytes', /an integer ≥ 0 \(bytes\), got -1/],
    [{ optimize: 'fast' }, 'optimize', /must be an object, got 'fast'/],
    [{ compress: { brotli: 12 } }, 'compress.brotli', /true, false or an integer level in 0\.\.11, got 12/],
    [{ compress: { zstd: 0 } }, 'compress.zstd', /in 1\.\.22, got 0/],
    [{ compress: { minRatio: 2 } }, 'compress.minRatio', /in \(0, 1\], got 2/],
    [{ compress: { concurrency: 0 } }, 'compress.concurrency', /an integer ≥ 1, got 0/],
    [{ compress: { memoryBudget: '1G' } }, 'compress.memoryBudget', /positive number of bytes, got '1G'/],
    [{ compress: { assets: { threshold: 1.5 } } }, 'compress.assets.threshold', /integer ≥ 0 \(bytes\), got 1\.5/],
    [{ compress: 'br' }, 'compress', /an object, true or false, got 'br'/],
    [{ debugFiles: 'yes' }, 'debugFiles', /true, false or \{ dir\?, serve\? \}, got 'yes'/],
    [{ debugFiles: { serve: 1 } }, 'debugFiles.serve', /true or false, got 1/],
    [{ debugFiles: { dri: 'out' } }, 'debugFiles.dri', /did you mean `debugFiles\.dir`\?/],
    [{ optimize: { debugUrl: '' } }, 'optimize.debugUrl', /a non-empty string, got ''/],
    [{ cache: 42 }, 'cache', /a directory, an object or false, got 42/],
    [{ cache: { maxBytes: -1 } }, 'cache.maxBytes', /a non-negative number of bytes, got -1/],
    [{ report: 'yes please'.length }, 'report', /true, false, 'json' or a file path, got 10/],
    [{ strict: 1 }, 'strict', /true or false, got 1/],
    [{ include: 42 }, 'include', /a string, a RegExp or an array of them/],
    [{ exclude: [/x/, 3] }, 'exclude', /got \[\/x\/, 3\]/],
  ]
  for (const [options, option, message] of cases) rejectsWith(() => wasmSqueeze(options), { option, message })
})

test('an unknown key is an error that suggests the nearest known key', () => {
  rejectsWith(() => wasmSqueeze({ optimise: {} }), { option: 'optimise', message: /unknown option `optimise`; did you mean `optimize`\?/ })
  rejectsWith(() => wasmSqueeze({ optimize: { passivedata: 'start' } }), { option: 'optimize.passivedata', message: /did you mean `optimize\.passiveData`\?/ })
  rejectsWith(() => wasmSqueeze({ compress: { brotly: 5 } }), { option: 'compress.brotly', message: /did you mean `compress\.brotli`\?/ })
  rejectsWith(() => wasmSqueeze({ compress: { assets: { treshold: 5 } } }), { option: 'compress.assets.treshold', message: /did you mean `compress\.assets\.threshold`/ })
  // Nothing near: the known keys are listed instead.
  rejectsWith(() => wasmSqueeze({ zzzzzzzz: 1 }), { option: 'zzzzzzzz', message: /known options: include, exclude, optimize, compress, cache, strict, report/ })
  assert.equal(editDistance('sidcar', 'sidecar'), 1)
  assert.equal(nearest('minratio', ['minRatio', 'assets']), 'minRatio')
})

test('good options normalise: defaults filled, formats by the one table', () => {
  const normalised = normalizePluginOptions({})
  assert.deepEqual(normalised.optimize, {})
  assert.equal(normalised.strict, false)
  assert.equal(normalised.report, true)
  assert.deepEqual(normalised.compress.levels, { brotli: 11, gzip: 9 }, 'br + gz by default, zst opt-in')
  assert.deepEqual(normalizePluginOptions({ compress: { zstd: true } }).compress.levels, { brotli: 11, zstd: 19, gzip: 9 })
  assert.equal(normalizePluginOptions({ compress: false }).compress, false)
  assert.equal(normalizePluginOptions({ optimize: false }).optimize, false)
  assert.deepEqual(normalizePluginOptions({ optimize: { passiveData: 'start' } }).optimize, { passiveData: 'start' })
  // One rule for an absent format, on both sides of the Node API.
  assert.deepEqual(normalizeLevels(undefined), Object.fromEntries(FORMATS.filter((f) => f.on).map((f) => [f.option, f.level])))
  assert.deepEqual(PASSIVE_DATA_MODES, ['off', 'start', 'deferred', 'sidecar'])
})

test('the Node API applies the same rules before the addon sees the options', async () => {
  const input = wat('(module)')
  await assert.rejects(native.transform(input, { passiveData: 'sidcar' }), { code: 'ERR_INVALID_OPTION', option: 'passiveData', message: /one of 'off', 'start', 'deferred', 'sidecar', got 'sidcar'/ })
  await assert.rejects(native.transform(input, { keepname: true }), { code: 'ERR_INVALID_OPTION', message: /did you mean `keepNames`/ })
  assert.throws(() => native.transformSync(input, { dce: 1 }), { code: 'ERR_INVALID_OPTION', option: 'dce' })
  await assert.rejects(native.compress(input, { gzip: 10 }), { code: 'ERR_INVALID_OPTION', option: 'gzip', message: /in 0\.\.9, got 10/ })
  await assert.rejects(native.compress(input, { bortli: 5 }), { code: 'ERR_INVALID_OPTION', message: /did you mean `brotli`/ })
  // `previous` is a module's bytes: a path, an ArrayBuffer or null is named as the option it is.
  for (const [previous, given] of [['old.wasm', /got 'old\.wasm'/], [new ArrayBuffer(8), /got an ArrayBuffer/], [null, /got null/], [[0, 97], /got \[0, 97\]/]]) {
    await assert.rejects(native.transform(input, { previous }), { code: 'ERR_INVALID_OPTION', option: 'previous', message: new RegExp(`\`previous\` must be a Uint8Array or Buffer holding a module, ${given.source}`) })
    assert.throws(() => native.transformSync(input, { previous }), { code: 'ERR_INVALID_OPTION', option: 'previous' })
  }
  await assert.rejects(native.transform(input, { previus: input }), { code: 'ERR_INVALID_OPTION', message: /did you mean `previous`/ })
  // The plugin finds each file's previous module itself (delta.previous): its optimize has no such key.
  rejectsWith(() => wasmSqueeze({ optimize: { previous: input } }), { option: 'optimize.previous', message: /unknown option `optimize\.previous`/ })
  // An absent format means the same as in the plugin: br and gz, no zst.
  const out = await native.compress(input)
  assert.deepEqual(['br', 'zst', 'gz'].filter((k) => out[k]), ['br', 'gz'])
})

test('the CLI reports a bad flag value by the same rule, under its flag name', () => {
  const cli = path.resolve('js/cli.js')
  const { status, stderr } = spawnSync(process.execPath, [cli, 'in.wasm', '-o', 'out.wasm', '--passive-data', 'sidcar'], { encoding: 'utf8' })
  assert.equal(status, 2)
  assert.match(stderr, /--passive-data must be one of 'off', 'start', 'deferred', 'sidecar', got 'sidcar'/)
})
