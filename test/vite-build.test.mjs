// Real production builds of test/fixtures/vite-app with Vite 8 (Rolldown) and
// Vite 7 (Rollup), checking what lands in dist/ byte by byte.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import path from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { after, before, describe, test } from 'node:test'
import { build as buildVite8 } from 'vite'
import { build as buildVite7 } from 'vite7'
import { withPage } from './helpers/browser.js'
import {
  assetHash,
  buildExample,
  compileExampleWasm,
  expectedResult,
  loadExample,
  readTree,
  tempDir,
} from './helpers/example.js'
import { unzstd } from './helpers/zstd.js'
import { serve } from './helpers/serve.js'

const VITES = [
  ['Vite 8', buildVite8],
  ['Vite 7', buildVite7],
]

const customSections = (bytes, name) => WebAssembly.Module.customSections(new WebAssembly.Module(bytes), name)

for (const [label, build] of VITES) {
  describe(`vite build with ${label}`, () => {
    /** Raw inputs by file name, e.g. 'math.wasm' → bytes. */
    let inputs
    let out
    let files
    let wasmFiles

    before(async () => {
      inputs = await compileExampleWasm()
      out = await tempDir(label.replace(' ', '').toLowerCase())
      await buildExample(build, out.dir)
      files = await readTree(out.dir)
      wasmFiles = files.filter((f) => f.name.endsWith('.wasm'))
    })
    after(() => out?.remove())

    /** The raw input an emitted `assets/<name>-<hash>.wasm` was made from. */
    function inputOf(wasmFile) {
      const match = /^assets\/(.+)-[\w-]{8}\.wasm$/.exec(wasmFile.name)
      assert.ok(match, `${wasmFile.name} is named assets/<name>-<hash>.wasm`)
      const name = `${match[1]}.wasm`
      assert.ok(inputs.has(name), `${wasmFile.name} comes from one of: ${[...inputs.keys()].join(', ')}`)
      return { name, bytes: inputs.get(name) }
    }

    test('emits exactly one optimized wasm per input', () => {
      const sources = wasmFiles.map((f) => inputOf(f).name)
      assert.deepEqual(sources.sort(), [...inputs.keys()].sort())
    })

    test('every emitted wasm validates and is smaller than its input', () => {
      for (const wasm of wasmFiles) {
        const input = inputOf(wasm).bytes
        assert.ok(WebAssembly.validate(wasm.bytes), `${wasm.name} validates`)
        assert.ok(wasm.bytes.length <= input.length, `${wasm.name} is not larger than its input`)
        // The inputs carry a name and a producers section on purpose; both go.
        assert.ok(wasm.bytes.length < input.length, `${wasm.name}: ${wasm.bytes.length} B < ${input.length} B`)
        assert.equal(customSections(input, 'name').length, 1, 'the input has a name section')
        assert.equal(customSections(input, 'producers').length, 1, 'the input has a producers section')
        assert.equal(customSections(wasm.bytes, 'name').length, 0, `${wasm.name} has no name section`)
        assert.equal(customSections(wasm.bytes, 'producers').length, 0, `${wasm.name} has no producers section`)
      }
    })

    test('each file name carries the hash of its own (optimized) bytes', () => {
      for (const wasm of wasmFiles) {
        const expected = assetHash(wasm.bytes)
        assert.ok(wasm.name.endsWith(`-${expected}.wasm`), `${wasm.name} ends with -${expected}.wasm`)
        assert.notEqual(assetHash(inputOf(wasm).bytes), expected, 'not the hash of the raw input')
      }
      const names = wasmFiles.map((f) => f.name)
      assert.equal(new Set(names).size, names.length, 'different inputs, different names')
    })

    test('file names are stable across builds', async () => {
      const again = await tempDir('again')
      try {
        await buildExample(build, again.dir)
        const second = (await readTree(again.dir)).filter((f) => f.name.endsWith('.wasm'))
        assert.deepEqual(second.map((f) => f.name), wasmFiles.map((f) => f.name))
        second.forEach((f, i) => assert.ok(f.bytes.equals(wasmFiles[i].bytes), `${f.name} has the same bytes`))
      } finally {
        await again.remove()
      }
    })

    test('.br, .zst and .gz siblings decompress to exactly the wasm bytes', () => {
      for (const wasm of wasmFiles) {
        const br = files.find((f) => f.name === `${wasm.name}.br`)
        const zst = files.find((f) => f.name === `${wasm.name}.zst`)
        assert.ok(br, `${wasm.name}.br exists`)
        assert.ok(zst, `${wasm.name}.zst exists`)
        assert.ok(brotliDecompressSync(br.bytes).equals(wasm.bytes), `${br.name} decompresses to ${wasm.name}`)
        assert.ok(unzstd(zst.bytes).equals(wasm.bytes), `${zst.name} decompresses to ${wasm.name}`)
        assert.ok(br.bytes.length < wasm.bytes.length && zst.bytes.length < wasm.bytes.length, 'siblings are smaller')
      }
      const compressed = files.filter((f) => /\.(br|zst|gz)$/.test(f.name))
      for (const gz of compressed.filter((f) => f.name.endsWith('.gz'))) {
        const wasm = wasmFiles.find((f) => `${f.name}.gz` === gz.name)
        assert.ok(wasm && gunzipSync(gz.bytes).equals(wasm.bytes), `${gz.name} decompresses to its wasm`)
      }
      const gzCount = compressed.length - wasmFiles.length * 2
      assert.ok(gzCount >= 1 && gzCount <= wasmFiles.length, 'a .br and a .zst per wasm, a .gz where it pays, nothing else compressed')
    })

    test('no copy of an unoptimized input anywhere in dist/', () => {
      for (const [name, raw] of inputs) {
        const base64 = raw.toString('base64')
        for (const file of files) {
          assert.ok(!file.bytes.equals(raw), `${file.name} is a raw copy of ${name}`)
          assert.ok(!file.bytes.includes(raw), `${file.name} embeds the raw bytes of ${name}`)
          assert.ok(!file.bytes.includes(base64), `${file.name} inlines ${name} as base64`)
        }
      }
    })

    test('the built JS glue instantiates the wasm and calls its exports (Chromium)', async () => {
      const server = await serve(out.dir)
      try {
        const { result, errors } = await withPage(async (page, log) => ({
          result: await loadExample(page, server.url, log),
          errors: log.errors,
        }))
        const { mathUrl, ...computed } = result
        assert.deepEqual(computed, expectedResult())
        assert.deepEqual(errors, [])
        const served = server.requests.filter((r) => r.path.endsWith('.wasm')).map((r) => r.path.slice(1)).sort()
        assert.deepEqual(served, wasmFiles.map((f) => f.name).sort(), 'the page loaded the emitted wasm files')
      } finally {
        await server.close()
      }
    })
  })
}
