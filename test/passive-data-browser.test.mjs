// test/fixtures/vite-app built with each passiveData mode and opened in Chromium: the
// page computes the same values as with the default build (its greeting comes out
// of a data segment that start/deferred turn passive and sidecar moves out of the
// module into an emitted `.data` asset the glue fetches and writes).
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { build } from 'vite'
import wasmSqueeze from 'wasm-squeeze'
import { INIT_EXPORT } from '../js/sidecar.js'
import { withPage } from './helpers/browser.js'
import { EXAMPLE_ROOT, GREETING, compileExampleWasm, expectedResult, loadExample, readTree, tempDir } from './helpers/example.js'
import { serve } from './helpers/serve.js'

const MODES = ['start', 'deferred', 'sidecar']

describe('test/fixtures/vite-app with passiveData in Chromium', () => {
  const outs = new Map()

  before(async () => {
    await compileExampleWasm()
    for (const mode of MODES) {
      const out = await tempDir(`passive-${mode}`)
      outs.set(mode, out)
      await build({
        root: EXAMPLE_ROOT,
        configFile: false,
        logLevel: 'warn',
        plugins: [wasmSqueeze({ optimize: { passiveData: mode, sidecarMinBytes: 16 }, report: false })],
        build: { outDir: out.dir, emptyOutDir: true },
      })
    }
  })
  after(async () => {
    for (const out of outs.values()) await out.remove()
  })

  for (const mode of MODES) {
    test(`passiveData: '${mode}' computes what the default build does`, async () => {
      const { dir } = outs.get(mode)
      const files = await readTree(dir)
      const maths = files.filter((f) => /^assets\/math-.*\.wasm$/.test(f.name))
      const sidecars = files.filter((f) => f.name.endsWith('.data'))
      const needsGlue = mode !== 'start'
      // `?url` hands the file to a loader that is not ours: it gets its own copy,
      // built with passiveData 'off', in the modes that need our glue.
      assert.equal(maths.length, needsGlue ? 2 : 1, maths.map((f) => f.name).join(', '))
      const gluesCopy = { start: () => true, deferred: (f) => f.bytes.includes(Buffer.from(INIT_EXPORT)), sidecar: (f) => !f.bytes.includes(Buffer.from(GREETING)) }
      const math = maths.find(gluesCopy[mode])
      assert.ok(math, 'the copy our glue loads')
      const hasGreeting = math.bytes.includes(Buffer.from(GREETING))
      if (mode === 'sidecar') {
        assert.equal(sidecars.length, 1, 'one data sidecar emitted')
        assert.equal(sidecars[0].bytes.toString(), GREETING)
        assert.ok(!hasGreeting, 'the module no longer carries the greeting')
        assert.ok(files.some((f) => f.name === sidecars[0].name + '.br'), 'the sidecar is compressed like the wasm')
      } else {
        assert.equal(sidecars.length, 0)
        assert.ok(hasGreeting)
      }
      const server = await serve(dir)
      try {
        const { result, errors, plainGreeting } = await withPage(async (page, log) => {
          const result = await loadExample(page, server.url, log)
          // What a loader that knows nothing of ours gets from the `?url` file.
          const plainGreeting = await page.evaluate(async (url) => {
            const { instance } = await WebAssembly.instantiate(await (await fetch(url)).arrayBuffer(), {})
            const m = instance.exports
            return new TextDecoder().decode(new Uint8Array(m.memory.buffer, m.greeting(), m.greeting_len()))
          }, result.mathUrl)
          return { result, errors: log.errors, plainGreeting }
        })
        const { mathUrl, ...computed } = result
        assert.deepEqual(computed, expectedResult())
        assert.equal(plainGreeting, GREETING, 'the ?url file works without our loader')
        if (needsGlue) assert.notEqual(path.basename(mathUrl), path.basename(math.name), '?url points at the plain copy')
        assert.deepEqual(errors, [])
        const fetched = server.requests.map((r) => path.basename(r.path))
        if (mode === 'sidecar') assert.ok(fetched.includes(path.basename(sidecars[0].name)), `the page fetched the sidecar (${fetched})`)
      } finally {
        await server.close()
      }
    })
  }
})
