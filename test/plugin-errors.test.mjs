// Bad wasm in a real Vite build: by default a warning naming the file and offset,
// and the original bytes ship untouched; with `strict`, the build fails.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { build } from 'vite'
import wasmSqueeze from 'wasm-squeeze'
import { pathToFileURL } from 'node:url'
import { REPO, readTree, tempDir } from './helpers/example.js'
import { wat } from './helpers/wat.js'
import { capturingLogger } from './helpers/logger.js'

/** A valid module with one invalid function body: it parses, but fails validation. */
function invalidModule() {
  const bytes = wat(`(module (func (export "f") (result i32) i32.const 1 i32.const 2 i32.add))`)
  const at = bytes.indexOf(Buffer.from([0x41, 0x01])) // i32.const 1 → nop nop
  bytes[at] = 0x01
  bytes[at + 1] = 0x01
  return { bytes, at }
}

async function project(wasmBytes) {
  const { dir, remove } = await tempDir('bad-wasm')
  await mkdir(path.join(dir, 'src'))
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/src/main.js"></script>')
  await writeFile(path.join(dir, 'src/main.js'), `import init from './broken.wasm?init'\ninit().then((i) => console.log(i))\n`)
  await writeFile(path.join(dir, 'src/broken.wasm'), wasmBytes)
  return { dir, remove }
}


test('by default an invalid wasm warns with file and offset, and ships byte for byte', async (t) => {
  const { bytes, at } = invalidModule()
  const { dir, remove } = await project(bytes)
  t.after(remove)
  const { logger, warnings } = capturingLogger()
  await build({
    root: dir,
    configFile: false,
    customLogger: logger,
    plugins: [wasmSqueeze()],
    build: { outDir: path.join(dir, 'dist') },
  })
  const warning = warnings.find((w) => w.includes('broken.wasm'))
  assert.ok(warning, `expected a warning naming the file, got: ${warnings.join('\n')}`)
  assert.match(warning, /at offset 0x[0-9a-f]+/)
  assert.match(warning, /shipping the original bytes/)
  const offset = parseInt(/at offset 0x([0-9a-f]+)/.exec(warning)[1], 16)
  assert.ok(offset >= at, `offset ${offset} points at or after the broken instruction at ${at}`)
  const shipped = (await readTree(path.join(dir, 'dist'))).filter((f) => f.name.endsWith('.wasm'))
  assert.equal(shipped.length, 1)
  assert.deepEqual(shipped[0].bytes, bytes)
})

test('with strict: true the build fails and names the file', async (t) => {
  const { bytes } = invalidModule()
  const { dir, remove } = await project(bytes)
  t.after(remove)
  const { logger } = capturingLogger()
  await assert.rejects(
    build({
      root: dir,
      configFile: false,
      customLogger: logger,
      plugins: [wasmSqueeze({ strict: true })],
      build: { outDir: path.join(dir, 'dist') },
    }),
    (err) => {
      assert.match(err.message, /broken\.wasm/)
      assert.match(err.message, /at offset 0x[0-9a-f]+/)
      return true
    },
  )
})

test('not wasm at all (an HTML page saved as .wasm) is caught the same way', async (t) => {
  const html = Buffer.from('<!doctype html><title>404</title>')
  const { dir, remove } = await project(html)
  t.after(remove)
  const { logger, warnings } = capturingLogger()
  await build({ root: dir, configFile: false, customLogger: logger, plugins: [wasmSqueeze()], build: { outDir: path.join(dir, 'dist') } })
  assert.ok(warnings.some((w) => /broken\.wasm: .*at offset 0x0/.test(w)), warnings.join('\n'))
  const shipped = (await readTree(path.join(dir, 'dist'))).filter((f) => f.name.endsWith('.wasm'))
  assert.deepEqual(shipped[0].bytes, html)
})

test('a misspelt option value fails the build at config time, before any wasm is read', async (t) => {
  const { bytes } = invalidModule() // were it read, it would warn: the build must stop first
  const { dir, remove } = await project(bytes)
  t.after(remove)
  await writeFile(
    path.join(dir, 'vite.config.js'),
    `import wasmSqueeze from ${JSON.stringify(pathToFileURL(path.join(REPO, 'js/plugin.js')).href)}\nexport default { plugins: [wasmSqueeze({ optimize: { passiveData: 'sidcar' } })], build: { outDir: 'dist' } }\n`,
  )
  const { logger, warnings } = capturingLogger()
  await assert.rejects(build({ root: dir, configLoader: 'native', customLogger: logger }), (err) => {
    assert.match(err.message, /`optimize\.passiveData` must be one of 'off', 'start', 'deferred', 'sidecar', got 'sidcar'/)
    return true
  })
  assert.deepEqual(warnings.filter((w) => w.includes('broken.wasm')), [], 'no file was optimized')
  assert.deepEqual((await readTree(dir)).filter((f) => f.name.startsWith('dist/')), [])
})
