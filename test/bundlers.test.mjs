// The bundler matrix: real builds of test/fixtures/forms with Vite 8 (Rolldown),
// Vite 7 (Rollup) and Rollup 4 on its own, covering every import form (`?init`,
// `?url`, ESM, `new URL` in JS, TS and a dependency), a module worker, SSR, a
// sub-path and a full-URL `base`, and library mode. Each output is checked for one
// optimized wasm per source, named by its own hash, referenced by the glue, no raw
// copy anywhere; pages run in Chromium, the SSR bundle in Node.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, describe, test } from 'node:test'
import nodeResolve from '@rollup/plugin-node-resolve'
import { rollup } from 'rollup'
import { build as buildVite8 } from 'vite'
import { build as buildVite7 } from 'vite7'
import wasmSqueeze from 'wasm-squeeze'
import { withPage } from './helpers/browser.js'
import { readTree, tempDir } from './helpers/example.js'
import { FIXTURES, compileFixtureWasm, emittedWasm } from './helpers/fixtures.js'
import { serve } from './helpers/serve.js'
import { capturingLogger } from './helpers/logger.js'

const ROOT = path.join(FIXTURES, 'forms')
const ALL_SOURCES = ['node_modules/wasm-lib/square.wasm', 'src/wasm/add.wasm', 'src/wasm/counter.wasm', 'src/wasm/mul.wasm']

/** What the page's forms compute, derived without wasm (see src/forms.js). */
const FORMS_RESULT = { init: 5, url: 42, esm: [101, 102], newUrl: 56, dependency: 81 }
const WORKER_RESULT = { init: 42, esm: 101, newUrl: 12 }

const customSections = (bytes, name) => WebAssembly.Module.customSections(new WebAssembly.Module(bytes), name)

/**
 * The checks every build must pass.
 * @param {{ name: string, bytes: Buffer }[]} files the whole output
 * @param {Map<string, Buffer>} inputs
 * @param {{ sources?: string[], hashed?: boolean }} [expect]
 */
function checkOutput(files, inputs, { sources = ALL_SOURCES, hashed = true } = {}) {
  const wasm = emittedWasm(files, inputs)
  const relative = (file) => path.relative(ROOT, file).split(path.sep).join('/')
  assert.deepEqual(wasm.map((w) => w.source && relative(w.source)).sort(), [...sources].sort(), 'one emitted wasm per source module')
  const code = files.filter((f) => /\.[cm]?js$/.test(f.name)).map((f) => f.bytes.toString()).join('\n')
  for (const w of wasm) {
    const raw = inputs.get(w.source)
    assert.ok(WebAssembly.validate(w.bytes), `${w.name} validates`)
    assert.ok(w.bytes.length < raw.length, `${w.name} is optimized: ${w.bytes.length} B < ${raw.length} B`)
    assert.equal(customSections(w.bytes, 'name').length + customSections(w.bytes, 'producers').length, 0, `${w.name} is stripped`)
    if (hashed) assert.ok(w.named, `${w.name} is named by the hash of its own bytes (${w.hash})`)
    assert.ok(code.includes(path.posix.basename(w.name)), `the JS references ${w.name}`)
  }
  for (const [source, raw] of inputs) {
    if (!sources.includes(relative(source))) continue
    for (const file of files) {
      assert.ok(!file.bytes.includes(raw), `${file.name} holds a raw copy of ${relative(source)}`)
      assert.ok(!file.bytes.includes(raw.toString('base64')), `${file.name} inlines ${relative(source)} as base64`)
    }
  }
  return wasm
}

/** The emitted file of the source `<name>.wasm`. */
const emittedFor = (wasm, name) => wasm.find((w) => path.basename(w.source) === `${name}.wasm`)

/** Loads `pageUrl`, waits for `data-ready`, returns the page's JSON and what it fetched. */
async function runPage(server, pageUrl) {
  const { result, errors } = await withPage(async (page, log) => {
    await page.goto(pageUrl)
    await page.waitForFunction(() => document.body.dataset.ready === '1' || document.body.dataset.error, null, { timeout: 15_000 })
    const error = await page.evaluate(() => document.body.dataset.error)
    if (error) throw new Error(`the page failed: ${error}\n${log.errors.join('\n')}`)
    return { result: JSON.parse(await page.textContent('#result')), errors: log.errors }
  })
  assert.deepEqual(errors, [], 'no console errors or failed requests')
  const wasmRequests = server.requests.filter((r) => r.path.endsWith('.wasm'))
  for (const r of wasmRequests) assert.equal(r.status, 200, `${r.path} was served`)
  return { result, wasmPaths: [...new Set(wasmRequests.map((r) => r.path))].sort() }
}

/** `{ urls, ts, worker, ...computed }` of the page, checked against the expected values and emitted files. */
function checkPageResult(result, wasm, assetsPrefix, { worker = true } = {}) {
  const { urls, ts, worker: fromWorker, ...computed } = result
  assert.deepEqual(computed, FORMS_RESULT)
  const fileOf = (name) => emittedFor(wasm, name).name
  const [viaQuery, viaNewUrl, viaDependency] = urls
  assert.equal(new URL(viaQuery, 'http://x/').pathname, `${assetsPrefix}${fileOf('mul')}`, '?url')
  assert.equal(new URL(viaNewUrl).pathname, `${assetsPrefix}${fileOf('mul')}`, 'new URL in JS')
  assert.equal(new URL(viaDependency).pathname, `${assetsPrefix}${fileOf('square')}`, 'new URL in a dependency')
  if (worker) {
    assert.equal(new URL(ts).pathname, `${assetsPrefix}${fileOf('mul')}`, 'new URL in TypeScript')
    assert.deepEqual(fromWorker, WORKER_RESULT)
  }
}

let inputs
before(async () => {
  inputs = await compileFixtureWasm(ROOT)
})

for (const [label, build] of [
  ['Vite 8', buildVite8],
  ['Vite 7', buildVite7],
]) {
  describe(`${label}: every import form`, () => {
    /** A Vite build of the fixture; `outDir` is created by Vite. */
    async function viteBuild(outDir, config = {}) {
      const { logger, warnings } = capturingLogger({ keepErrors: true })
      await build({
        root: ROOT,
        configFile: false,
        customLogger: logger,
        plugins: [wasmSqueeze()],
        worker: { format: 'es' },
        ...config,
        build: { outDir, emptyOutDir: true, ...config.build },
      })
      assert.deepEqual(warnings, [], 'the build warns about nothing')
      return readTree(outDir)
    }

    let tmp
    before(async () => {
      tmp = await tempDir(label.replace(' ', '').toLowerCase() + '-forms')
    })
    after(() => tmp?.remove())

    test('app (with a module worker and source maps): one optimized wasm per source, runs in Chromium', async () => {
      const out = path.join(tmp.dir, 'app')
      const files = await viteBuild(out, { build: { sourcemap: true } })
      const wasm = checkOutput(files, inputs)
      const server = await serve(out)
      try {
        const { result, wasmPaths } = await runPage(server, server.url)
        checkPageResult(result, wasm, '/')
        assert.deepEqual(wasmPaths, wasm.map((w) => `/${w.name}`).sort(), 'the page and worker fetched each emitted wasm')
      } finally {
        await server.close()
      }
      const maps = files.filter((f) => f.name.endsWith('.js.map')).map((f) => JSON.parse(f.bytes))
      const sources = maps.flatMap((m) => m.sources.map((s) => path.posix.basename(s)))
      for (const file of ['forms.js', 'index.js', 'worker.js']) assert.ok(sources.includes(file), `source maps reach ${file}`)
    })

    test('a classic worker (Vite\'s default IIFE worker format)', async () => {
      const out = path.join(tmp.dir, 'classic-worker')
      const files = await viteBuild(out, { worker: {}, build: { rollupOptions: { input: path.join(ROOT, 'classic-worker.html') } } })
      const wasm = checkOutput(files, inputs, { sources: ['src/wasm/add.wasm', 'src/wasm/mul.wasm'] })
      assert.ok(files.some((f) => /classic-worker-[\w-]{8}\.js$/.test(f.name) && !f.bytes.includes('import.meta')), 'the worker is a classic script')
      const server = await serve(out)
      try {
        const { result, wasmPaths } = await runPage(server, `${server.url}classic-worker.html`)
        assert.deepEqual(result, { init: 42, newUrl: 12 })
        assert.deepEqual(wasmPaths, wasm.map((w) => `/${w.name}`).sort())
      } finally {
        await server.close()
      }
    })

    test('base set to a sub-path', async () => {
      const site = await tempDir('sub-path')
      const server = await serve(site.dir)
      try {
        const files = await viteBuild(path.join(site.dir, 'sub'), { base: '/sub/' })
        const wasm = checkOutput(files, inputs)
        const { result, wasmPaths } = await runPage(server, `${server.url}sub/`)
        checkPageResult(result, wasm, '/sub/')
        assert.deepEqual(wasmPaths, wasm.map((w) => `/sub/${w.name}`).sort())
      } finally {
        await server.close()
        await site.remove()
      }
    })

    test('base set to a full URL (assets on another path than the page)', async () => {
      const site = await tempDir('full-url')
      const server = await serve(site.dir)
      try {
        const base = `${server.url}cdn/`
        const files = await viteBuild(path.join(site.dir, 'cdn'), { base })
        const wasm = checkOutput(files, inputs)
        // The page lives elsewhere: anything resolved against the page would 404.
        await mkdir(path.join(site.dir, 'page'))
        await rename(path.join(site.dir, 'cdn/index.html'), path.join(site.dir, 'page/index.html'))
        const { result, wasmPaths } = await runPage(server, `${server.url}page/`)
        checkPageResult(result, wasm, '/cdn/')
        assert.deepEqual(wasmPaths, wasm.map((w) => `/cdn/${w.name}`).sort())
      } finally {
        await server.close()
        await site.remove()
      }
    })

    test('SSR build: Node loads each optimized wasm from disk beside the bundle', async () => {
      const out = path.join(tmp.dir, 'ssr')
      const files = await viteBuild(out, { build: { ssr: 'src/entry-server.js' }, ssr: { noExternal: ['wasm-lib'] } })
      const wasm = checkOutput(files, inputs)
      const { render } = await import(pathToFileURL(path.join(out, 'entry-server.js')).href)
      const { urls, ...computed } = await render()
      const { url: _, ...expected } = FORMS_RESULT
      assert.deepEqual(computed, expected)
      const onDisk = (name) => pathToFileURL(path.join(out, emittedFor(wasm, name).name)).href
      assert.deepEqual(urls, [onDisk('mul'), onDisk('square')], '?url and new URL are the files beside the bundle')
    })

    test('library mode: files, not base64, resolved beside the library', async () => {
      const out = path.join(tmp.dir, 'lib')
      const files = await viteBuild(out, { build: { lib: { entry: 'src/forms.js', formats: ['es'], fileName: 'forms' } } })
      const wasm = checkOutput(files, inputs, { hashed: false })
      // A page elsewhere imports the library: its wasm must resolve beside it.
      await mkdir(path.join(out, 'page'))
      await writeFile(
        path.join(out, 'page/index.html'),
        `<!doctype html><link rel="icon" href="data:,"><pre id="result"></pre><script type="module">
import { runForms } from '../forms.js'
runForms().then((r) => { document.querySelector('#result').textContent = JSON.stringify(r); document.body.dataset.ready = '1' },
  (e) => { document.body.dataset.error = String(e && e.stack || e) })
</script>`,
      )
      const server = await serve(out)
      try {
        const { result, wasmPaths } = await runPage(server, `${server.url}page/`)
        checkPageResult(result, wasm, '/', { worker: false })
        assert.deepEqual(wasmPaths, wasm.map((w) => `/${w.name}`).sort())
      } finally {
        await server.close()
      }
    })

    test('library mode, UMD: files beside the script, found after an await too', async () => {
      const out = path.join(tmp.dir, 'lib-umd')
      const lib = { entry: 'src/lib-script.js', formats: ['umd'], name: 'WasmLib', fileName: (format) => `lib.${format}.js` }
      const files = await viteBuild(out, { build: { lib } })
      const sources = ['src/wasm/add.wasm', 'src/wasm/mul.wasm']
      const wasm = checkOutput(files, inputs, { sources, hashed: false })
      await mkdir(path.join(out, 'page'))
      await writeFile(
        path.join(out, 'page/index.html'),
        `<!doctype html><link rel="icon" href="data:,"><pre id="result"></pre><script src="../lib.umd.js"></script><script>
WasmLib.run().then((r) => { document.querySelector('#result').textContent = JSON.stringify(r); document.body.dataset.ready = '1' },
  (e) => { document.body.dataset.error = String(e && e.stack || e) })
</script>`,
      )
      const server = await serve(out)
      try {
        const { result, wasmPaths } = await runPage(server, `${server.url}page/`)
        assert.deepEqual(result, { init: 5, newUrl: 56, url: `${server.url}${emittedFor(wasm, 'mul').name}` })
        assert.deepEqual(wasmPaths, wasm.map((w) => `/${w.name}`).sort())
      } finally {
        await server.close()
      }
    })
  })
}

describe('Rollup 4 on its own: every import form it can bundle', () => {
  let out
  before(async () => {
    out = await tempDir('rollup-forms')
  })
  after(() => out?.remove())

  test('app: one optimized wasm per source, runs in Chromium', async () => {
    const warnings = []
    const bundle = await rollup({
      input: path.join(ROOT, 'src/rollup-main.js'),
      plugins: [nodeResolve(), wasmSqueeze({ report: false })],
      onLog: (level, log) => level === 'warn' && warnings.push(log.message),
    })
    await bundle.write({ dir: out.dir, format: 'es', sourcemap: true })
    await bundle.close()
    assert.deepEqual(warnings, [], 'the build warns about nothing')
    await copyFile(path.join(ROOT, 'rollup.html'), path.join(out.dir, 'index.html'))
    const files = await readTree(out.dir)
    const wasm = checkOutput(files, inputs)
    const server = await serve(out.dir)
    try {
      const { result, wasmPaths } = await runPage(server, server.url)
      checkPageResult(result, wasm, '/', { worker: false })
      assert.deepEqual(wasmPaths, wasm.map((w) => `/${w.name}`).sort())
    } finally {
      await server.close()
    }
  })
})

/** Builds the forms fixture (Vite: the page with its worker; Rollup: the page without). */
async function buildForms(label, outDir, pluginOptions, config = {}) {
  const plugins = [wasmSqueeze({ report: false, ...pluginOptions })]
  if (label === 'Rollup 4') {
    const bundle = await rollup({ input: path.join(ROOT, 'src/rollup-main.js'), plugins: [nodeResolve(), ...plugins], onLog: () => {} })
    await bundle.write({ dir: outDir, format: 'es' })
    await bundle.close()
  } else {
    const build = label === 'Vite 8' ? buildVite8 : buildVite7
    await build({ root: ROOT, configFile: false, logLevel: 'silent', plugins, worker: { format: 'es' }, ...config, build: { outDir, emptyOutDir: true, ...config.build } })
  }
  return readTree(outDir)
}

/** A project whose wasm is invalid (one instruction broken) and found with `new URL`. */
async function brokenProject() {
  const { wat } = await import('./helpers/wat.js')
  const project = await tempDir('broken-new-url')
  const bytes = wat(`(module (func (export "f") (result i32) i32.const 1 i32.const 2 i32.add))`)
  const at = bytes.indexOf(Buffer.from([0x41, 0x01]))
  bytes[at] = 0x01 // i32.const 1 → nop nop: parses, fails validation
  bytes[at + 1] = 0x01
  await mkdir(path.join(project.dir, 'src'))
  await writeFile(path.join(project.dir, 'src/broken.wasm'), bytes)
  await writeFile(path.join(project.dir, 'src/main.js'), `export const url = new URL('./broken.wasm', import.meta.url).href\n`)
  await writeFile(path.join(project.dir, 'index.html'), '<!doctype html><script type="module" src="/src/main.js"></script>\n')
  return { ...project, bytes }
}

/** Builds `project` (see brokenProject) and returns the warnings, or throws the build error. */
async function buildBroken(label, project, pluginOptions) {
  const warnings = []
  const plugins = [wasmSqueeze({ report: false, ...pluginOptions })]
  const outDir = path.join(project.dir, 'dist')
  if (label === 'Rollup 4') {
    const bundle = await rollup({ input: path.join(project.dir, 'src/main.js'), plugins, onLog: (level, log) => level === 'warn' && warnings.push(log.message) })
    await bundle.write({ dir: outDir, format: 'es' })
    await bundle.close()
  } else {
    const { logger, warnings: viteWarnings } = capturingLogger({ keepErrors: true })
    const build = label === 'Vite 8' ? buildVite8 : buildVite7
    await build({ root: project.dir, configFile: false, customLogger: logger, plugins, build: { outDir, emptyOutDir: true } })
    warnings.push(...viteWarnings)
  }
  return { warnings, files: await readTree(outDir) }
}

for (const label of ['Vite 8', 'Vite 7', 'Rollup 4']) {
  describe(`${label}: plugin options on every form`, () => {
    let tmp
    before(async () => {
      tmp = await tempDir(label.replace(/ /g, '').toLowerCase() + '-options')
    })
    after(() => tmp?.remove())

    test('optimize: false ships each wasm byte for byte, still once and under its own hash', async () => {
      const files = await buildForms(label, path.join(tmp.dir, 'no-optimize'), { optimize: false })
      const wasm = emittedWasm(files, inputs)
      for (const w of wasm) {
        assert.ok(w.bytes.equals(inputs.get(w.source)), `${w.name} is the source's bytes`)
        assert.ok(w.named, `${w.name} is named by its own hash`)
      }
      assert.deepEqual(wasm.map((w) => path.basename(w.source)).sort(), ['add.wasm', 'counter.wasm', 'mul.wasm', 'square.wasm'])
    })

    test('a wasm that does not validate, found with new URL: warns and ships it; strict fails the build', async (t) => {
      const project = await brokenProject()
      t.after(project.remove)
      const { warnings, files } = await buildBroken(label, project, {})
      assert.ok(warnings.some((w) => /broken\.wasm.*at offset 0x[0-9a-f]+.*shipping the original bytes/s.test(w)), `a warning names the file: ${warnings.join('\n')}`)
      const shipped = files.filter((f) => f.name.endsWith('.wasm'))
      assert.equal(shipped.length, 1)
      assert.ok(shipped[0].bytes.equals(project.bytes), 'the original bytes ship')
      await assert.rejects(buildBroken(label, project, { strict: true }), /broken\.wasm.*at offset 0x/s)
    })

    if (label === 'Rollup 4') return

    test('exclude: the excluded wasm is left to the bundler, the others are still ours', async () => {
      // (Vite would inline a file this small as base64; keep it a file to find it.)
      const files = await buildForms(label, path.join(tmp.dir, 'exclude'), { exclude: /mul\.wasm$/ }, { build: { assetsInlineLimit: 0 } })
      const mulRaw = [...inputs].find(([p]) => p.endsWith('mul.wasm'))[1]
      const copies = files.filter((f) => f.bytes.equals(mulRaw))
      assert.equal(copies.length, 1, 'the bundler ships mul.wasm as it is, once')
      const ours = emittedWasm(files, inputs).filter((w) => !w.bytes.equals(mulRaw))
      assert.deepEqual(ours.map((w) => path.basename(w.source)).sort(), ['add.wasm', 'counter.wasm', 'square.wasm'])
      for (const w of ours) assert.ok(w.bytes.length < inputs.get(w.source).length, `${w.name} is optimized`)
    })

    test('include as a glob: a dependency outside it is left to the bundler', async () => {
      const files = await buildForms(label, path.join(tmp.dir, 'include'), { include: ['**/src/wasm/*.wasm'] }, { build: { assetsInlineLimit: 0 } })
      const squareRaw = [...inputs].find(([p]) => p.endsWith('square.wasm'))[1]
      assert.equal(files.filter((f) => f.bytes.equals(squareRaw)).length, 1, 'the bundler ships square.wasm as it is, once')
      const ours = emittedWasm(files, inputs).filter((w) => !w.bytes.equals(squareRaw))
      assert.deepEqual(ours.map((w) => path.basename(w.source)).sort(), ['add.wasm', 'counter.wasm', 'mul.wasm'])
    })

    test('listed in worker.plugins by the user too: still one optimized wasm per source', async () => {
      const files = await buildForms(label, path.join(tmp.dir, 'worker-plugins'), {}, { worker: { format: 'es', plugins: () => [wasmSqueeze({ report: false })] } })
      checkOutput(files, inputs)
    })
  })
}
