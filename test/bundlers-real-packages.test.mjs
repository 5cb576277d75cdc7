// Real packages through real builds: brotli-wasm (wasm-bindgen `--target web`,
// `new URL` in node_modules), @jsquash/jpeg (Emscripten `-sEXPORT_ES6`, `new URL`)
// and sql.js (Emscripten, `?url` into `locateFile`), built by Vite 8 and Vite 7
// with and without the plugin, and the ES-module ones by Rollup 4 with it, run in
// Chromium: the same results every way, and with the plugin every wasm is the
// plugin's (one per source, hash-named).
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import path from 'node:path'
import { brotliDecompressSync } from 'node:zlib'
import { copyFile } from 'node:fs/promises'
import { after, before, describe, test } from 'node:test'
import nodeResolve from '@rollup/plugin-node-resolve'
import { rollup } from 'rollup'
import { build as buildVite8 } from 'vite'
import { build as buildVite7 } from 'vite7'
import wasmSqueeze from 'wasm-squeeze'
import { withPage } from './helpers/browser.js'
import { REPO, assetHash, readTree, tempDir } from './helpers/example.js'
import { FIXTURES } from './helpers/fixtures.js'
import { serve } from './helpers/serve.js'
import { capturingLogger } from './helpers/logger.js'

const ROOT = path.join(FIXTURES, 'real-packages')
/** Each package wasm the page loads, and the file name stem it is emitted under. */
const SOURCES = {
  brotli_wasm_bg: 'node_modules/brotli-wasm/pkg.web/brotli_wasm_bg.wasm',
  mozjpeg_enc: 'node_modules/@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm',
  mozjpeg_dec: 'node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm',
  'sql-wasm-browser': 'node_modules/sql.js/dist/sql-wasm-browser.wasm',
}
/** The Vite 8 build without the plugin: what every other build must compute. */
let reference
const BROTLI_INPUT = 'wasm-squeeze '.repeat(500) + 'and some entropy: 3.14159265358979'

/** Builds with Vite, or with Rollup when `build` is null, then loads the page in Chromium. */
async function buildAndRun(build, outDir, plugins) {
  const { logger, infos, warnings } = capturingLogger({ keepErrors: true })
  if (build) {
    await build({ root: ROOT, configFile: false, customLogger: logger, plugins, build: { outDir, emptyOutDir: true } })
  } else {
    const bundle = await rollup({
      input: path.join(ROOT, 'src/rollup-main.js'),
      plugins: [nodeResolve(), ...plugins],
      onLog: (level, log) => (level === 'info' ? infos : warnings).push(log.message),
    })
    await bundle.write({ dir: outDir, format: 'es' })
    await bundle.close()
    await copyFile(path.join(ROOT, 'rollup.html'), path.join(outDir, 'index.html'))
  }
  const files = await readTree(outDir)
  const server = await serve(outDir)
  try {
    const { result, errors } = await withPage(async (page, log) => {
      await page.goto(server.url)
      await page.waitForFunction(() => document.body.dataset.ready === '1' || document.body.dataset.error, null, { timeout: 30_000 })
      const error = await page.evaluate(() => document.body.dataset.error)
      if (error) throw new Error(`the page failed: ${error}\n${log.errors.join('\n')}`)
      return { result: JSON.parse(await page.textContent('#result')), errors: log.errors }
    })
    const fetched = [...new Set(server.requests.filter((r) => r.path.endsWith('.wasm')).map((r) => r.path.slice(1)))].sort()
    return { files, result, errors, fetched, infos: infos.join('\n'), warnings }
  } finally {
    await server.close()
  }
}

for (const [label, build] of [
  ['Vite 8', buildVite8],
  ['Vite 7', buildVite7],
]) {
  describe(`${label}: real wasm packages`, () => {
    let tmp
    let without
    let withPlugin
    before(async () => {
      tmp = await tempDir(label.replace(' ', '').toLowerCase() + '-real')
      without = await buildAndRun(build, path.join(tmp.dir, 'without'), [])
      reference ??= without.result
      withPlugin = await buildAndRun(build, path.join(tmp.dir, 'with'), [wasmSqueeze({ compress: false })])
    })
    after(() => tmp?.remove())

    test('the packages work through their own APIs, with the same results as without the plugin', () => {
      assert.deepEqual(withPlugin.result, without.result)
      checkResults(withPlugin)
    })

    test('one wasm per package module, hash-named, fetched by the page, and every one went through the plugin', () =>
      checkEmitted(withPlugin, Object.keys(SOURCES)))
  })
}

describe('Rollup 4: real ES-module wasm packages', () => {
  let tmp
  let built
  before(async () => {
    tmp = await tempDir('rollup-real')
    built = await buildAndRun(null, tmp.dir, [wasmSqueeze({ compress: false })])
  })
  after(() => tmp?.remove())

  test('brotli-wasm and @jsquash/jpeg give the same results as the Vite builds without the plugin', () => {
    assert.ok(reference, 'the Vite 8 reference ran first')
    const { sqlite: _, ...expected } = reference
    assert.deepEqual(built.result, expected)
    checkResults(built)
  })

  test('one wasm per package module, hash-named, fetched by the page, and every one went through the plugin', () =>
    checkEmitted(built, ['brotli_wasm_bg', 'mozjpeg_enc', 'mozjpeg_dec']))
})

/** What the page computed, checked on its own terms (zlib decodes brotli-wasm's output). */
function checkResults(run) {
  assert.deepEqual(run.errors, [])
  const { brotli, jpeg, sqlite } = run.result
  assert.ok(brotli.roundTripOk)
  assert.equal(brotliDecompressSync(Buffer.from(brotli.compressed)).toString(), BROTLI_INPUT, 'zlib decodes what brotli-wasm encoded')
  assert.deepEqual(jpeg.decoded.slice(0, 2), [32, 24])
  assert.ok(jpeg.encodedLength > 100)
  if (sqlite) assert.deepEqual(sqlite[0].slice(0, 2), [6, 'ONE+TWO+THREE'])
}

async function checkEmitted(run, stemsExpected) {
  const { readFile } = await import('node:fs/promises')
  const wasm = run.files.filter((f) => f.name.endsWith('.wasm'))
  const stemOf = (f) => /^assets\/(.+)-[\w-]{8}\.wasm$/.exec(f.name)?.[1]
  assert.deepEqual(wasm.map(stemOf).sort(), [...stemsExpected].sort(), 'one emitted wasm per source module')
  for (const f of wasm) {
    const source = SOURCES[stemOf(f)]
    const raw = await readFile(path.join(REPO, source))
    assert.ok(f.name.endsWith(`-${assetHash(f.bytes)}.wasm`), `${f.name} is named by its own hash`)
    assert.ok(WebAssembly.validate(f.bytes) && f.bytes.length <= raw.length, `${f.name} validates and is no bigger`)
    // Release builds come back unchanged; the report proves the plugin handled them.
    assert.ok(run.infos.includes(source), `the plugin's report lists ${source}`)
  }
  assert.deepEqual(run.fetched, wasm.map((f) => f.name).sort(), 'the page fetched each emitted wasm')
  assert.deepEqual(run.warnings, [], 'no warnings')
}
