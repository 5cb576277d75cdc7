// @vitejs/plugin-legacy on Vite 7: the plugin's ESM glue uses top-level await,
// which plugin-legacy's targets lack, so it needs vite-plugin-top-level-await, as
// every ESM-integration wasm plugin does. With it, the build passes; the modern
// chunk runs in Chromium, and so does the legacy (SystemJS) chunk, forced by a page
// with only the nomodule scripts.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, test } from 'node:test'
import legacy from '@vitejs/plugin-legacy'
import topLevelAwait from 'vite-plugin-top-level-await'
import { build } from 'vite7'
import wasmSqueeze from 'wasm-squeeze'
import { FIXTURES, compileFixtureWasm } from './helpers/fixtures.js'
import { serve } from './helpers/serve.js'
import { readyResult, sharedBrowserAndTempDir } from './helpers/pages.js'

const ROOT = path.join(FIXTURES, 'legacy')
const EXPECTED = { esm: 5, init: 42 }

const shared = sharedBrowserAndTempDir('legacy', () => compileFixtureWasm(ROOT))

const buildWith = (outDir, plugins) =>
  build({ root: ROOT, configFile: false, logLevel: 'error', plugins, build: { outDir, emptyOutDir: true } })

const runPage = (url) => readyResult(shared.browser, url)

describe('Vite 7 + @vitejs/plugin-legacy', () => {
  test('without vite-plugin-top-level-await the build stops at the glue’s top-level await', async () => {
    await assert.rejects(buildWith(path.join(shared.tmp.dir, 'plain'), [wasmSqueeze({ compress: false }), legacy()]), /Top-level await is not available/)
  })

  test('with vite-plugin-top-level-await: the modern and the legacy chunk both run', async () => {
    const outDir = path.join(shared.tmp.dir, 'tla')
    await buildWith(outDir, [wasmSqueeze({ compress: false }), topLevelAwait(), legacy()])
    const html = await readFile(path.join(outDir, 'index.html'), 'utf8')
    assert.match(html, /id="vite-legacy-entry"/, 'plugin-legacy wrote its legacy entry')
    // Only the nomodule scripts, made to run: what a browser without ES modules executes.
    const legacyOnly = html.replace(/<script type="module"[^>]*>[\s\S]*?<\/script>/g, '').replaceAll(' nomodule', '')
    assert.doesNotMatch(legacyOnly, /<script type="module"/)
    await writeFile(path.join(outDir, 'legacy.html'), legacyOnly)
    const server = await serve(outDir)
    try {
      const legacyChunks = () => server.requests.filter((r) => /-legacy-[\w-]+\.js$/.test(r.path)).length
      assert.deepEqual(await runPage(server.url), EXPECTED, 'modern chunk')
      assert.equal(legacyChunks(), 0, 'Chromium ran the modern chunk')
      assert.deepEqual(await runPage(`${server.url}legacy.html`), EXPECTED, 'legacy chunk')
      assert.ok(legacyChunks() >= 2, 'the legacy entry and polyfills were loaded')
      const wasm = server.requests.filter((r) => r.path.endsWith('.wasm'))
      assert.ok(wasm.length >= 2 && wasm.every((r) => r.status === 200 && /^\/assets\/add-[\w-]{8}\.wasm$/.test(r.path)), JSON.stringify(wasm))
    } finally {
      await server.close()
    }
  })
})
