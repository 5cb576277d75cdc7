// The bundler matrix: real builds of test/fixtures/forms with Vite 8 (Rolldown),
// Vite 7 (Rollup) and Rollup 4 on its own, covering every import form (`?init`,
// `?url`, ESM, `new URL` in JS, TS and a dependency), a module worker, SSR, a
// sub-path and a full-URL `base`, and library mode. Each output is checked for one
// optimized wasm per source, named by its own hash, referenced by the glue, no raw
// copy anywhere; pages run in Chromium, the SSR bundle in Node.
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

const ROOT = path.join(FIXTURES, 'forms')
const ALL_SOURCES = ['node_modules/wasm-lib/square.wasm', 'src/wasm/add.wasm', 'src/wasm/counter.wasm', 'src/wasm/mul.wasm']

/** What the page's forms compute, derived without wasm (see src/forms.js). */
const FORMS_RESULT = { init: 5, url: 42, esm: [101, 102], newUrl: 56, dependency: 81 }
const WORKER_RESULT = { init: 42, esm: 101, newUrl: 12 }

/** A Vite logger that keeps warnings and errors, so a test can insist on none. */
function capturingLogger() {
  const warnings = []
  const ignore = () => {}
  const keep = (msg) => warnings.push(msg)
  return {
    warnings,
    logger: { info: ignore, warn: keep, warnOnce: keep, error: keep, clearScreen: ignore, hasErrorLogged: () => false, hasWarned: false },
  }
}

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
      const { logger, warnings } = capturingLogger()
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
        `<!doctype html><pre id="result"></pre><script type="module">
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
