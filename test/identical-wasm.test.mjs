// Byte-identical wasm reached by several paths (as @automerge/automerge ships
// bundler/ and web/ copies of one module) is one asset: one emitted .wasm, one set
// of siblings, one compression job per format, one report row naming every source,
// and no "overwrites a previously emitted file" warning. Real builds with Vite 8,
// Vite 7 and Rollup 4, the four copies reached by the four import forms; the Vite 8
// page runs in Chromium.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { rollup } from 'rollup'
import { build as buildVite8 } from 'vite'
import { build as buildVite7 } from 'vite7'
import wasmSqueeze from 'wasm-squeeze'
import { withPage } from './helpers/browser.js'
import { REPO, readTree, tempDir } from './helpers/example.js'
import { capturingLogger } from './helpers/logger.js'
import { serve } from './helpers/serve.js'
import { wat } from './helpers/wat.js'

// A data segment of text, so that its siblings pay (≤ minRatio) and are emitted.
const TEXT = Array.from({ length: 200 }, (_, i) => `line ${i}: the same module, shipped twice by one package. `).join('')
const TWIN = wat(`(module (memory (export "memory") 1) (data (i32.const 16) "${TEXT}")
  (func $twice (export "twice") (param $x i32) (result i32) local.get $x i32.const 2 i32.mul))`, {
  names: true,
  custom: { producers: '\x00' },
})
const COPIES = ['bundler', 'init', 'url', 'web'].map((dir) => `src/${dir}/twin_bg.wasm`)

const MAIN = `import { twice } from './bundler/twin_bg.wasm'
import initTwin from './init/twin_bg.wasm?init'
import twinUrl from './url/twin_bg.wasm?url'

async function instantiate(url) {
  return (await WebAssembly.instantiate(await (await fetch(url)).arrayBuffer(), {})).instance.exports
}

export async function run() {
  const viaInit = (await initTwin()).exports
  const viaUrl = await instantiate(twinUrl)
  const viaNewUrl = await instantiate(new URL('./web/twin_bg.wasm', import.meta.url))
  return { values: [twice(1), viaInit.twice(2), viaUrl.twice(3), viaNewUrl.twice(4)], urls: [twinUrl, new URL('./web/twin_bg.wasm', import.meta.url).href] }
}
`
const PAGE = `<!doctype html><pre id="result"></pre><script type="module">
import { run } from './src/main.js'
run().then((r) => { document.querySelector('#result').textContent = JSON.stringify(r); document.body.dataset.ready = '1' },
  (e) => { document.body.dataset.error = String(e) })
</script>
`

/** Loads `url` in Chromium and returns the JSON in #result once the page sets `data-ready`. */
function pageResult(url) {
  return withPage(async (page, log) => {
    await page.goto(url)
    await page.waitForFunction(() => document.body.dataset.ready === '1' || document.body.dataset.error, null, { timeout: 30_000 }).catch((err) => {
      throw new Error(`${err.message}\n${log.errors.join('\n')}`)
    })
    const error = await page.evaluate(() => document.body.dataset.error)
    if (error) throw new Error(error)
    return JSON.parse(await page.textContent('#result'))
  })
}

let project
before(async () => {
  project = await tempDir('identical-wasm')
  for (const copy of COPIES) {
    await mkdir(path.dirname(path.join(project.dir, copy)), { recursive: true })
    await writeFile(path.join(project.dir, copy), TWIN)
  }
  await writeFile(path.join(project.dir, 'src/main.js'), MAIN)
  await writeFile(path.join(project.dir, 'index.html'), PAGE)
})
after(() => project?.remove())

async function buildWith(label, outDir, report) {
  const warnings = []
  const infos = []
  const plugins = [wasmSqueeze({ cache: false, report })]
  if (label === 'Rollup 4') {
    const bundle = await rollup({
      input: path.join(project.dir, 'src/main.js'),
      plugins,
      onLog: (level, log) => (level === 'warn' ? warnings : infos).push(log.message),
    })
    await bundle.write({ dir: outDir, format: 'es' })
    await bundle.close()
  } else {
    const { logger, warnings: viteWarnings, infos: viteInfos } = capturingLogger({ keepErrors: true })
    const build = label === 'Vite 8' ? buildVite8 : buildVite7
    await build({ root: project.dir, configFile: false, customLogger: logger, plugins, build: { outDir, emptyOutDir: true } })
    warnings.push(...viteWarnings)
    infos.push(...viteInfos)
  }
  return { warnings, infos, files: await readTree(outDir) }
}

for (const label of ['Vite 8', 'Vite 7', 'Rollup 4']) {
  describe(`${label}: four identical wasm files, four import forms`, () => {
    let out
    let report
    const outDir = () => path.join(project.dir, `dist-${label.replace(' ', '')}`)
    before(async () => {
      const reportFile = path.join(project.dir, `report-${label.replace(' ', '')}.json`)
      out = await buildWith(label, outDir(), reportFile)
      report = JSON.parse(await readFile(reportFile, 'utf8'))
    })

    test('one emitted wasm, one set of siblings, and no warning', () => {
      assert.deepEqual(out.warnings, [])
      const wasm = out.files.filter((f) => f.name.endsWith('.wasm'))
      assert.equal(wasm.length, 1, `one asset, got ${wasm.map((f) => f.name).join(', ')}`)
      assert.ok(wasm[0].bytes.length < TWIN.length, 'it is the optimized module')
      const siblings = out.files.filter((f) => f.name.startsWith(`${wasm[0].name}.`)).map((f) => f.name.slice(wasm[0].name.length))
      assert.deepEqual(siblings.sort(), ['.br', '.gz'])
      const code = out.files.filter((f) => f.name.endsWith('.js')).map((f) => f.bytes.toString()).join('\n')
      assert.ok(code.includes(path.posix.basename(wasm[0].name)), 'the code references the one asset')
    })

    test('one compression job per format and one report row naming every source', () => {
      const rows = report.files.filter((f) => f.kind === 'wasm')
      assert.equal(rows.length, 1)
      const base = label === 'Rollup 4' ? process.cwd() : project.dir // the root sources are named against
      assert.deepEqual(rows[0].sources.map((s) => path.relative(project.dir, path.resolve(base, s))).sort(), COPIES)
      assert.equal(report.pool.jobs, 2, 'br + gz, once')
      assert.deepEqual(rows[0].cache, { hits: 0, misses: 2 })
      const table = out.infos.join('\n')
      assert.equal((table.match(/twin_bg\.wasm/g) ?? []).length, 1, `the table has one row:\n${table}`)
      assert.match(table, /\(\+3 identical\)/)
    })
  })
}

test('Vite 8: the page gets the same answers from each form, all from the one asset', async () => {
  const dir = path.join(project.dir, 'dist-Vite8')
  const server = await serve(dir)
  try {
    const result = await pageResult(server.url)
    assert.deepEqual(result.values, [2, 4, 6, 8])
    const [viaUrl, viaNewUrl] = result.urls.map((u) => new URL(u, server.url).pathname)
    assert.equal(viaUrl, viaNewUrl)
    assert.deepEqual([...new Set(server.requests.filter((r) => r.path.endsWith('.wasm')).map((r) => r.path))], [viaUrl])
  } finally {
    await server.close()
  }
})

// The real case: @automerge/automerge (MIT, a pinned dev dependency). Vite 7 first
// with an empty cache (one job per format), then Vite 8 on the same cache.
describe('@automerge/automerge: bundler/ and web/ copies of one wasm', () => {
  const root = path.join(REPO, 'test/fixtures/automerge')
  let work
  before(async () => {
    work = await tempDir('automerge')
  })
  after(() => work?.remove())

  for (const [label, build] of [['Vite 7', buildVite7], ['Vite 8', buildVite8]]) {
    test(`${label}: one asset, one row naming both copies, no warning, runs in Chromium`, async () => {
      const outDir = path.join(work.dir, label.replace(' ', ''))
      const reportFile = path.join(work.dir, `${label.replace(' ', '')}.json`)
      const { logger, warnings } = capturingLogger({ keepErrors: true })
      await build({ root, configFile: false, logLevel: 'warn', customLogger: logger, plugins: [wasmSqueeze({ cache: path.join(work.dir, 'cache'), report: reportFile })], build: { outDir, emptyOutDir: true } })
      assert.deepEqual(warnings, [])
      const files = await readTree(outDir)
      const wasm = files.filter((f) => f.name.endsWith('.wasm'))
      assert.equal(wasm.length, 1, wasm.map((f) => f.name).join(', '))
      assert.deepEqual(files.filter((f) => f.name.startsWith(`${wasm[0].name}.`)).map((f) => f.name.slice(wasm[0].name.length)).sort(), ['.br', '.gz'])
      const report = JSON.parse(await readFile(reportFile, 'utf8'))
      const rows = report.files.filter((f) => f.kind === 'wasm')
      assert.equal(rows.length, 1)
      const copies = rows[0].sources.map((s) => s.replace(/^.*wasm_bindgen_output\//, '')).sort()
      assert.deepEqual(copies, ['bundler/automerge_wasm_bg.wasm', 'web/automerge_wasm_bg.wasm'])
      if (label === 'Vite 7') assert.deepEqual([report.pool.jobs, rows[0].cache.misses], [2, 2], 'compressed once per format')
      else assert.deepEqual([report.pool.jobs, rows[0].cache.hits], [0, 2], 'from the cache')

      const server = await serve(outDir)
      try {
        assert.deepEqual(await pageResult(server.url), { items: ['a', 'b'] })
      } finally {
        await server.close()
      }
    })
  }
})
