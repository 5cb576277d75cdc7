// Real wasm packages of every kind in `vite` dev with no optimizeDeps config, on
// Vite 8 and Vite 7, against the production build of the same app (see
// test/fixtures/dev-packages/src/main.js for the packages and workloads): the same
// results, checked on their own terms too. One Chromium for every page.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, test } from 'node:test'
import { build as buildVite8, createServer as createVite8 } from 'vite'
import { build as buildVite7, createServer as createVite7 } from 'vite7'
import wasmSqueeze from 'wasm-squeeze'
import { FIXTURES } from './helpers/fixtures.js'
import { serve } from './helpers/serve.js'
import { sharedBrowserAndTempDir } from './helpers/pages.js'
import { withDevServer } from './helpers/dev-server.js'

const ROOT = path.join(FIXTURES, 'dev-packages')
const VITES = [
  ['Vite 8', buildVite8, createVite8],
  ['Vite 7', buildVite7, createVite7],
]

const shared = sharedBrowserAndTempDir('dev-packages')

/** What the page computed at `url`: `{ [workload]: { value } | { error } }`, and the console errors. */
function runPage(url) {
  return shared.browser.withPage(async (page, log) => {
    await page.goto(url)
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 90_000 })
    return { result: JSON.parse(await page.textContent('#result')), errors: log.errors }
  })
}

/** Each workload succeeded and computed what its package promises. */
function checkWorkloads({ result, errors }) {
  for (const [name, outcome] of Object.entries(result)) assert.equal(outcome.error, undefined, `${name}: ${outcome.error}`)
  assert.deepEqual(errors, [])
  const { openapi, rapier, pngInWorker, pglite } = result
  assert.ok(openapi.value.empty && typeof openapi.value.empty === 'object', `parse("{}") returned ${JSON.stringify(openapi.value.empty)}`)
  // The package's own validation messages: computed by the wasm, read back through the JS half.
  assert.deepEqual(openapi.value.spec.errors.map((e) => e.message), ['must be object', 'miss route', 'miss route'])
  const { heights } = rapier.value
  assert.equal(heights[0] < 4 && heights.at(-1) < heights[0] && heights.at(-1) > 0.5, true, `the ball falls onto the ground: ${heights}`)
  assert.deepEqual(pngInWorker.value.pixels, [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 9, 8, 7, 128])
  assert.deepEqual(pglite.value, [{ sum: 5050, count: 100, pg: true }])
}

const built = new Map()

for (const [label, build] of VITES) {
  describe(`${label} build`, () => {
    test('every package works in the built app', async () => {
      const outDir = path.join(shared.tmp.dir, label.replace(' ', ''))
      await build({ root: ROOT, configFile: false, logLevel: 'error', plugins: [wasmSqueeze({ compress: false })], build: { outDir, emptyOutDir: true } })
      const server = await serve(outDir)
      try {
        const run = await runPage(server.url)
        checkWorkloads(run)
        built.set(label, run.result)
      } finally {
        await server.close()
      }
    })
  })
}

for (const [label, , createServer] of VITES) {
  describe(`${label} dev server, no optimizeDeps config`, () => {
    test('every package works and computes what the build computes', async () => {
      const cacheDir = path.join(shared.tmp.dir, `${label.replace(' ', '')}-cache`)
      await withDevServer(createServer, { root: ROOT, cacheDir, plugins: [wasmSqueeze()] }, async (url) => {
        const run = await runPage(url)
        checkWorkloads(run)
        assert.ok(built.has(label), 'the build ran first')
        assert.deepEqual(run.result, built.get(label))
      })
    })
  })
}
