// The plugin's `debugFiles` option in real Vite 8 builds of test/fixtures/vite-app,
// whose wasm carry name sections: companions land outside dist/ by default,
// listed in the report with the build_id they share with the shipped wasm; with
// `serve: true` they land beside their wasm, which names them in
// `external_debug_info`.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { build } from 'vite'
import { buildWithPlugin } from './helpers/compress-build.js'
import { compileExampleWasm, expectedResult, loadExample, tempDir } from './helpers/example.js'
import { withPage } from './helpers/browser.js'
import { serve } from './helpers/serve.js'
import { customVector, functionNames } from './helpers/wasm-functions.js'
import wasmSqueeze from '../js/plugin.js'

let work
before(async () => {
  await compileExampleWasm()
  work = await tempDir('debug-files')
})
after(() => work?.remove())

test('by default companions go outside the output, listed in the report', async () => {
  const [outDir, debugDir, reportFile] = ['dist', 'debug', 'report.json'].map((f) => path.join(work.dir, f))
  const { files } = await buildWithPlugin(build, outDir, { debugFiles: { dir: debugDir }, report: reportFile, compress: false })
  const wasm = files.filter((f) => f.name.endsWith('.wasm'))
  assert.ok(wasm.length >= 2)
  assert.equal(wasm.filter((f) => f.name.endsWith('.debug.wasm')).length, 0, 'no companion in the served output')
  const { debugFiles } = JSON.parse(await readFile(reportFile, 'utf8'))
  assert.equal(debugFiles.length, wasm.length, 'every example wasm has names, so every one gets a companion')
  for (const entry of debugFiles) {
    const shipped = wasm.find((f) => f.name === entry.wasm)
    assert.ok(shipped, `${entry.wasm} was emitted`)
    assert.equal(entry.served, false)
    assert.equal(path.dirname(entry.debugFile), debugDir)
    const companion = await readFile(entry.debugFile)
    assert.ok(WebAssembly.validate(companion))
    assert.equal(entry.bytes, companion.length)
    assert.equal(customVector(shipped.bytes, 'build_id').toString('hex'), entry.buildId)
    assert.equal(customVector(companion, 'build_id').toString('hex'), entry.buildId)
    assert.equal(functionNames(shipped.bytes).size, 0)
    assert.ok(functionNames(companion).size > 0)
    assert.equal(customVector(shipped.bytes, 'external_debug_info'), undefined)
  }
  assert.deepEqual((await readdir(debugDir)).sort(), debugFiles.map((e) => path.basename(e.debugFile)).sort())
})

test('serve: true emits companions beside their wasm, named by external_debug_info', async () => {
  const outDir = path.join(work.dir, 'staging')
  const { files } = await buildWithPlugin(build, outDir, { debugFiles: { serve: true }, compress: false })
  const byName = new Map(files.map((f) => [f.name, f]))
  const shipped = files.filter((f) => f.name.endsWith('.wasm') && !f.name.endsWith('.debug.wasm'))
  assert.ok(shipped.length >= 2)
  for (const file of shipped) {
    const url = customVector(file.bytes, 'external_debug_info').toString('utf8')
    const companion = byName.get(path.posix.join(path.posix.dirname(file.name), url))
    assert.ok(companion, `${file.name} points at ${url}, which was emitted beside it`)
    assert.deepEqual(customVector(companion.bytes, 'build_id'), customVector(file.bytes, 'build_id'))
    assert.match(url, new RegExp(`\\.${customVector(file.bytes, 'build_id').toString('hex')}\\.debug\\.wasm$`))
  }
})

test('Chromium reads external_debug_info and the companion it names is served', async () => {
  const outDir = path.join(work.dir, 'browser')
  const { files } = await buildWithPlugin(build, outDir, { debugFiles: { serve: true }, compress: false })
  const byName = new Map(files.map((f) => [f.name, f]))
  const server = await serve(outDir)
  try {
    const { result, scripts } = await withPage(async (page, log) => {
      // What DevTools sees: V8 reports each wasm script's external debug symbols.
      const cdp = await page.context().newCDPSession(page)
      const scripts = []
      cdp.on('Debugger.scriptParsed', (e) => e.scriptLanguage === 'WebAssembly' && scripts.push(e))
      await cdp.send('Debugger.enable')
      const result = await loadExample(page, server.url, log)
      assert.deepEqual(log.errors, [])
      return { result, scripts }
    })
    const { mathUrl, ...computed } = result
    assert.deepEqual(computed, expectedResult(), 'the shipped modules still work')
    assert.ok(scripts.length >= 2, `${scripts.length} wasm scripts parsed`)
    for (const script of scripts) {
      const symbols = [script.debugSymbols ?? []].flat()
      const external = symbols.find((s) => s.type === 'ExternalDWARF')
      assert.ok(external, `${script.url}: ${JSON.stringify(symbols)}`)
      const companionUrl = new URL(external.externalURL, script.url)
      const response = await fetch(companionUrl)
      assert.equal(response.status, 200, companionUrl.href)
      const companion = byName.get(companionUrl.pathname.slice(1))
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), companion.bytes)
    }
  } finally {
    await server.close()
  }
})

test('a bad debugFiles value fails at config time, naming the key', () => {
  assert.throws(() => wasmSqueeze({ debugFiles: 'yes' }), /debugFiles/)
  assert.throws(() => wasmSqueeze({ debugFiles: { folder: 'x' } }), /debugFiles\.folder/)
  assert.throws(() => wasmSqueeze({ debugFiles: { serve: 1 } }), /debugFiles\.serve/)
})
