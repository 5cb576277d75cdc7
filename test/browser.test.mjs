// The example app, built with the plugin and opened in a real Chromium: the
// wasm computes what an independent JS implementation says it should, and the
// browser receives the pre-compressed siblings the plugin emitted.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { build } from 'vite'
import { withPage } from './helpers/browser.js'
import {
  buildExample,
  compileExampleWasm,
  expectedResult,
  loadExample,
  readTree,
  tempDir,
  wasmTransfers,
} from './helpers/example.js'
import { serve } from './helpers/serve.js'

describe('test/fixtures/vite-app in Chromium', () => {
  let out
  let wasmFiles

  before(async () => {
    await compileExampleWasm()
    out = await tempDir('browser')
    await buildExample(build, out.dir)
    wasmFiles = (await readTree(out.dir)).filter((f) => f.name.endsWith('.wasm'))
    assert.equal(wasmFiles.length, 2, 'the example emits two wasm modules')
  })
  after(() => out?.remove())

  /** Serves the build, loads the page, and returns what it computed and what was served. */
  async function visit(serveOptions) {
    const server = await serve(out.dir, serveOptions)
    try {
      return await withPage(async (page, log) => {
        const result = await loadExample(page, server.url, log)
        const transfers = await wasmTransfers(page, wasmFiles.length)
        return { result, transfers, errors: log.errors, requests: server.requests }
      })
    } finally {
      await server.close()
    }
  }

  test('the wasm computes the expected values, with no console errors', async () => {
    const { result, errors } = await visit()
    const { mathUrl, ...computed } = result
    assert.deepEqual(computed, expectedResult())
    assert.match(mathUrl, /^\/assets\/math-[\w-]{8}\.wasm$/, '?url gives the emitted file')
    assert.ok(wasmFiles.some((f) => `/${f.name}` === mathUrl), `${mathUrl} is a file in dist/`)
    assert.deepEqual(errors, [])
  })

  test('Chromium advertises br over http://127.0.0.1 and receives the .br siblings', async () => {
    const { transfers, requests } = await visit()
    const wasmRequests = requests.filter((r) => r.path.endsWith('.wasm'))
    assert.equal(wasmRequests.length, wasmFiles.length, 'each wasm is fetched once')
    for (const request of wasmRequests) {
      assert.match(request.acceptEncoding ?? '', /\bbr\b/, `Accept-Encoding for ${request.path}`)
      assert.equal(request.contentEncoding, 'br', `Content-Encoding for ${request.path}`)
      assert.equal(request.contentType, 'application/wasm')
      const br = await readFile(path.join(out.dir, request.path + '.br'))
      assert.equal(request.bytes, br.length, `${request.path}: the .br file's bytes went on the wire`)
    }
    // The browser's own view (Resource Timing): compressed on the wire, full size decoded.
    assert.equal(transfers.length, wasmFiles.length, 'one fetch per wasm')
    for (const { file, encodedBodySize, decodedBodySize } of transfers) {
      const wasm = wasmFiles.find((f) => `/${f.name}` === file)
      assert.ok(wasm, `${file} is a file in dist/`)
      assert.equal(decodedBodySize, wasm.bytes.length, `${file} decoded size`)
      assert.equal(encodedBodySize, (await readFile(path.join(out.dir, file + '.br'))).length, `${file} encoded size`)
    }
  })

  test('the .zst siblings decode in Chromium too', async () => {
    const { result, errors, requests } = await visit({ prefer: ['zstd'] })
    const { mathUrl, ...computed } = result
    assert.deepEqual(computed, expectedResult())
    assert.deepEqual(errors, [])
    const wasmRequests = requests.filter((r) => r.path.endsWith('.wasm'))
    assert.equal(wasmRequests.length, wasmFiles.length)
    for (const request of wasmRequests) {
      assert.match(request.acceptEncoding ?? '', /\bzstd\b/, `Accept-Encoding for ${request.path}`)
      assert.equal(request.contentEncoding, 'zstd', `Content-Encoding for ${request.path}`)
    }
  })
})
