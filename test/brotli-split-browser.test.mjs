// A brotli stream stitched from pieces compressed apart (src/compress.rs
// `brotli_split`, measured by bench:brotli-split) is one standard stream: Node's
// zlib decodes it, and headless Chromium fetching it with `Content-Encoding: br`
// from a real server gets the module back byte for byte and compiles it.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { test } from 'node:test'
import zlib from 'node:zlib'
import { withPage } from './helpers/browser.js'
import { tempDir } from './helpers/example.js'
import { serve } from './helpers/serve.js'

const require = createRequire(import.meta.url)
const { brotliSplit } = require('../native/binding.cjs')

test('a split brotli stream decodes in Node zlib and in Chromium, byte for byte', async () => {
  const wasm = readFileSync(require.resolve('web-tree-sitter/web-tree-sitter.wasm'))
  const split = await brotliSplit(wasm, 11, 3)
  const whole = zlib.brotliCompressSync(wasm, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } })
  assert.ok(!split.equals(whole), 'premise: three pieces, not the unsplit stream')
  assert.ok(zlib.brotliDecompressSync(split).equals(wasm), 'Node zlib decodes it')

  const work = await tempDir('brotli-split')
  const server = await serve(work.dir, { prefer: ['br'] })
  try {
    await writeFile(path.join(work.dir, 'module.wasm'), Buffer.from('not served: the .br sibling is'))
    await writeFile(path.join(work.dir, 'module.wasm.br'), split)
    await writeFile(path.join(work.dir, 'index.html'), '<!doctype html><title>split</title><link rel="icon" href="data:,">\n')
    const seen = await withPage(async (page, log) => {
      await page.goto(`${server.url}/index.html`)
      const result = await page.evaluate(async () => {
        const bytes = new Uint8Array(await (await fetch('/module.wasm')).arrayBuffer())
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
        await WebAssembly.compile(bytes)
        return { length: bytes.length, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') }
      })
      assert.deepEqual(log.errors, [])
      return result
    })
    assert.deepEqual(seen, { length: wasm.length, sha256: createHash('sha256').update(wasm).digest('hex') })
    const request = server.requests.find((r) => r.path === '/module.wasm')
    assert.equal(request.contentEncoding, 'br', 'sent as Content-Encoding: br')
    assert.equal(request.bytes, split.length)
  } finally {
    await server.close()
    await work.remove()
  }
})
