// `vite serve` with the plugin, on Vite 8 and Vite 7: the example runs in Chromium
// exactly as it does built, and the wasm is served as is (nothing optimized or
// compressed while serving; Vite serves ?init and ?url itself).
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import path from 'node:path'
import { before, test } from 'node:test'
import { createServer as createVite8 } from 'vite'
import { createServer as createVite7 } from 'vite7'
import { withPage } from './helpers/browser.js'
import { EXAMPLE_ROOT, compileExampleWasm, expectedResult, loadExample } from './helpers/example.js'

let inputs
before(async () => {
  inputs = await compileExampleWasm()
})

for (const [name, createServer] of [['Vite 8', createVite8], ['Vite 7', createVite7]]) {
  test(`${name} dev server: the example computes the same, with the wasm served untouched`, async () => {
    const server = await createServer({
      root: EXAMPLE_ROOT,
      configFile: path.join(EXAMPLE_ROOT, 'vite.config.js'),
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: 0, strictPort: false },
    })
    await server.listen()
    try {
      const url = server.resolvedUrls.local[0]
      await withPage(async (page, log) => {
        const served = []
        page.on('response', async (response) => {
          // `x.wasm?import&url` and friends are JS modules; the wasm itself is application/wasm.
          if (response.headers()['content-type'] === 'application/wasm') served.push(await response.body())
        })
        const { mathUrl, ...computed } = await loadExample(page, url, log)
        assert.deepEqual(computed, expectedResult())
        assert.equal(mathUrl, '/src/wasm/math.wasm', '?url points at the source file while serving')
        const originals = [...inputs.values()]
        assert.equal(served.length, originals.length, 'each wasm fetched once')
        for (const bytes of served) {
          assert.ok(originals.some((o) => o.equals(bytes)), 'dev serves the source wasm byte for byte')
        }
        assert.ok(originals.every((o) => served.some((bytes) => o.equals(bytes))), 'every module was served')
      })
    } finally {
      await server.close()
    }
  })
}
