// Real packages through real builds: brotli-wasm (wasm-bindgen `--target web`,
// `new URL` in node_modules), @jsquash/jpeg (Emscripten `-sEXPORT_ES6`, `new URL`)
// and sql.js (Emscripten, `?url` into `locateFile`), built by Vite 8 and Vite 7
// with and without the plugin and run in Chromium: the same results either way,
// and with the plugin every wasm is the plugin's (one per source, hash-named).
import assert from 'node:assert/strict'
import path from 'node:path'
import { brotliDecompressSync } from 'node:zlib'
import { after, before, describe, test } from 'node:test'
import { build as buildVite8 } from 'vite'
import { build as buildVite7 } from 'vite7'
import wasmSqueeze from 'wasm-squeeze'
import { withPage } from './helpers/browser.js'
import { REPO, assetHash, readTree, tempDir } from './helpers/example.js'
import { FIXTURES } from './helpers/fixtures.js'
import { serve } from './helpers/serve.js'

const ROOT = path.join(FIXTURES, 'real-packages')
/** Each package wasm the page loads, and the file name stem it is emitted under. */
const SOURCES = {
  brotli_wasm_bg: 'node_modules/brotli-wasm/pkg.web/brotli_wasm_bg.wasm',
  mozjpeg_enc: 'node_modules/@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm',
  mozjpeg_dec: 'node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm',
  'sql-wasm-browser': 'node_modules/sql.js/dist/sql-wasm-browser.wasm',
}
const BROTLI_INPUT = 'wasm-squeeze '.repeat(500) + 'and some entropy: 3.14159265358979'

function capturingLogger() {
  const infos = []
  const warnings = []
  const ignore = () => {}
  const keep = (list) => (msg) => {
    list.push(msg)
  }
  return {
    infos,
    warnings,
    logger: { info: keep(infos), warn: keep(warnings), warnOnce: keep(warnings), error: keep(warnings), clearScreen: ignore, hasErrorLogged: () => false, hasWarned: false },
  }
}

async function buildAndRun(build, outDir, plugins) {
  const { logger, infos, warnings } = capturingLogger()
  await build({ root: ROOT, configFile: false, customLogger: logger, plugins, build: { outDir, emptyOutDir: true } })
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
      withPlugin = await buildAndRun(build, path.join(tmp.dir, 'with'), [wasmSqueeze({ compress: false })])
    })
    after(() => tmp?.remove())

    test('the packages work through their own APIs, with the same results as without the plugin', () => {
      assert.deepEqual(withPlugin.errors, [])
      assert.deepEqual(withPlugin.result, without.result)
      const { brotli, jpeg, sqlite } = withPlugin.result
      assert.ok(brotli.roundTripOk)
      assert.equal(brotliDecompressSync(Buffer.from(brotli.compressed)).toString(), BROTLI_INPUT, 'zlib decodes what brotli-wasm encoded')
      assert.deepEqual(jpeg.decoded.slice(0, 2), [32, 24])
      assert.ok(jpeg.encodedLength > 100)
      assert.deepEqual(sqlite[0].slice(0, 2), [6, 'ONE+TWO+THREE'])
    })

    test('one wasm per package module, hash-named, fetched by the page, and every one went through the plugin', async () => {
      const { readFile } = await import('node:fs/promises')
      const wasm = withPlugin.files.filter((f) => f.name.endsWith('.wasm'))
      const stems = wasm.map((f) => /^assets\/(.+)-[\w-]{8}\.wasm$/.exec(f.name)?.[1]).sort()
      assert.deepEqual(stems, Object.keys(SOURCES).sort(), 'one emitted wasm per source module')
      for (const f of wasm) {
        const stem = /^assets\/(.+)-[\w-]{8}\.wasm$/.exec(f.name)[1]
        const raw = await readFile(path.join(REPO, SOURCES[stem]))
        assert.ok(f.name.endsWith(`-${assetHash(f.bytes)}.wasm`), `${f.name} is named by its own hash`)
        assert.ok(WebAssembly.validate(f.bytes) && f.bytes.length <= raw.length, `${f.name} validates and is no bigger`)
        // Release builds come back unchanged; the report proves the plugin handled them.
        assert.ok(withPlugin.infos.includes(SOURCES[stem]), `the plugin's report lists ${SOURCES[stem]}`)
      }
      assert.deepEqual(withPlugin.fetched, wasm.map((f) => f.name).sort(), 'the page fetched each emitted wasm')
      assert.deepEqual(withPlugin.warnings, [], 'no warnings')
    })
  })
}
