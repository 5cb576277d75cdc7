// A wasm module and a JS module that import each other (older wasm-bindgen
// `--target bundler` output: `index_bg.js` imports `index_bg.wasm`, whose imports
// name `./index_bg.js`), plus a global the wasm imports from JS. Built by Vite 8
// (Rolldown), Vite 7 and Rollup 4 and served by `vite` dev on both Vites with no
// optimizeDeps config, run in one Chromium: the same result every way.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { copyFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, test } from 'node:test'
import nodeResolve from '@rollup/plugin-node-resolve'
import { rollup } from 'rollup'
import { build as buildVite8, createServer as createVite8 } from 'vite'
import { build as buildVite7, createServer as createVite7 } from 'vite7'
import wasmSqueeze from 'wasm-squeeze'
import { FIXTURES, compileFixtureWasm } from './helpers/fixtures.js'
import { serve } from './helpers/serve.js'
import { readyResult, sharedBrowserAndTempDir } from './helpers/pages.js'
import { withDevServer } from './helpers/dev-server.js'

const ROOT = path.join(FIXTURES, 'circular')
// squares(5): the wasm pushed 0, 1, 4, 9, 16 through the JS half; 1000 is the JS global.
const EXPECTED = { sum: 1030, pushed: [0, 1, 4, 9, 16] }

const shared = sharedBrowserAndTempDir('circular', () => compileFixtureWasm(ROOT))

const runPage = (url) => readyResult(shared.browser, url)

async function runBuilt(outDir) {
  const server = await serve(outDir)
  try {
    return await runPage(server.url)
  } finally {
    await server.close()
  }
}

describe('circular wasm ⇄ JS glue', () => {
  for (const [label, build] of [['Vite 8', buildVite8], ['Vite 7', buildVite7]]) {
    test(`${label} build`, async () => {
      const outDir = path.join(shared.tmp.dir, label.replace(' ', ''))
      await build({ root: ROOT, configFile: false, logLevel: 'warn', plugins: [wasmSqueeze({ compress: false })], build: { outDir, emptyOutDir: true } })
      assert.deepEqual(await runBuilt(outDir), EXPECTED)
    })
  }

  test('Rollup 4 build', async () => {
    const outDir = path.join(shared.tmp.dir, 'rollup')
    const bundle = await rollup({ input: path.join(ROOT, 'src/main.js'), plugins: [nodeResolve(), wasmSqueeze({ compress: false })] })
    await bundle.write({ dir: outDir, format: 'es' })
    await bundle.close()
    await copyFile(path.join(ROOT, 'rollup.html'), path.join(outDir, 'index.html'))
    assert.deepEqual(await runBuilt(outDir), EXPECTED)
  })

  for (const [label, createServer] of [['Vite 8', createVite8], ['Vite 7', createVite7]]) {
    test(`${label} dev server, no optimizeDeps config`, async () => {
      const cacheDir = path.join(shared.tmp.dir, `${label.replace(' ', '')}-cache`)
      await withDevServer(createServer, { root: ROOT, cacheDir, plugins: [wasmSqueeze()] }, async (url) => {
        assert.deepEqual(await runPage(url), EXPECTED)
      })
    })
  }
})
