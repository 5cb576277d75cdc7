// `vite serve` behaviours on Vite 8 and Vite 7, with a real dev server and Chromium:
// brotli-wasm (which finds its wasm with `new URL(..., import.meta.url)`) is left out
// of pre-bundling with no config, named once in the log, and loads its own wasm; the
// user's own include (pre-bundled: the URL is repointed) and exclude are kept; a wasm
// missing from the deps folder gets a 404 with advice instead of HTML; and HMR is
// unaffected (a JS module next to a wasm import hot-updates, editing the .wasm
// reloads the page).
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, test } from 'node:test'
import { createLogger, createServer as createVite8 } from 'vite'
import { createServer as createVite7 } from 'vite7'
import wasmSqueeze from '../js/plugin.js'
import { devBase, fsUrl, missingDepWasmMiddleware, rewriteDepFileUrls } from '../js/dev-server.js'
import { withPage } from './helpers/browser.js'
import { withDevServer } from './helpers/dev-server.js'
import { REPO, tempDir } from './helpers/example.js'
import { wat } from './helpers/wat.js'

const require = createRequire(import.meta.url)
const DEP_APP = path.join(REPO, 'test/fixtures/dev-wasm-dep')
// The package's exports hide package.json; its Node entry sits at the package root.
const BROTLI_WASM = path.join(path.dirname(require.resolve('brotli-wasm')), 'pkg.web/brotli_wasm_bg.wasm')
const VITES = [
  ['Vite 8', createVite8],
  ['Vite 7', createVite7],
]

/** A logger that keeps warnings and infos, so tests can read what the user would see. */
function recordingLogger() {
  const logger = createLogger('error', { allowClearScreen: false })
  const warnings = []
  const infos = []
  const warn = logger.warn.bind(logger)
  logger.warn = (message, options) => {
    warnings.push(message)
    warn(message, options)
  }
  logger.info = (message) => infos.push(message)
  return { logger, warnings, infos }
}

/** Loads the dependency fixture; returns what the page computed and every .wasm response. */
async function loadDepApp(url) {
  return withPage(async (page) => {
    const wasm = []
    page.on('response', async (response) => {
      if (new URL(response.url()).pathname.endsWith('.wasm')) {
        wasm.push({ url: response.url(), status: response.status(), type: response.headers()['content-type'], body: await response.body() })
      }
    })
    await page.goto(url)
    await page.waitForFunction(() => window.__result, null, { timeout: 20_000 })
    return { result: await page.evaluate(() => window.__result), wasm }
  })
}

describe('dev-server helpers (no server)', () => {
  const exists = (file) => file === '/dep/pkg/x_bg.wasm'
  test('a relative new URL to an existing wasm points at its /@fs/ URL', () => {
    for (const quote of [`'`, '"', '`']) {
      const code = `input = new URL(${quote}x_bg.wasm${quote}, import.meta.url);`
      assert.equal(rewriteDepFileUrls(code, '/dep/pkg/x.js', exists), 'input = new URL("/@fs/dep/pkg/x_bg.wasm", import.meta.url);')
    }
    assert.equal(rewriteDepFileUrls(`new URL( './pkg/x_bg.wasm' , import.meta.url )`, '/dep/x.js', exists), 'new URL("/@fs/dep/pkg/x_bg.wasm", import.meta.url)')
  })
  test('any existing file beside the module is repointed too (an Emscripten .data, a worker)', () => {
    const beside = (file) => ['/dep/pkg/x.data', '/dep/pkg/w.js'].includes(file)
    assert.equal(rewriteDepFileUrls(`new URL('x.data', import.meta.url)`, '/dep/pkg/x.js', beside), 'new URL("/@fs/dep/pkg/x.data", import.meta.url)')
    assert.equal(rewriteDepFileUrls(`new URL("./w.js", import.meta.url)`, '/dep/pkg/x.js', beside), 'new URL("/@fs/dep/pkg/w.js", import.meta.url)')
  })
  test('absolute, templated, missing and non-wasm URLs are left alone', () => {
    for (const code of [
      `new URL('/x_bg.wasm', import.meta.url)`,
      `new URL('https://cdn.example/x_bg.wasm', import.meta.url)`,
      'new URL(`${dir}/x_bg.wasm`, import.meta.url)',
      `new URL('other.wasm', import.meta.url)`,
      `new URL('x_bg.js', import.meta.url)`,
    ]) {
      assert.equal(rewriteDepFileUrls(code, '/dep/pkg/x.js', exists), code)
    }
  })
  test('the 404 middleware answers only for files under the deps folder that are not there, never for its JS', () => {
    const warnings = []
    const middleware = missingDepWasmMiddleware({ root: '/app', base: '/sub/', cacheDir: '/app/node_modules/.vite', logger: { warn: (m) => warnings.push(m) } })
    const call = (url) => {
      const res = { statusCode: 200, headers: {}, setHeader(k, v) { this.headers[k] = v }, end(body) { this.body = body } }
      let passed = false
      middleware({ url }, res, () => (passed = true))
      return passed ? 'next' : `${res.statusCode} ${res.body}`
    }
    assert.match(call('/sub/node_modules/.vite/deps/x_bg.wasm?v=1'), /^404 wasm-squeeze: x_bg\.wasm .*optimizeDeps\.exclude/)
    assert.match(call('/sub/@fs/app/node_modules/.vite/deps/y_bg.wasm'), /^404 /)
    assert.match(call('/sub/node_modules/.vite/deps/pglite.data'), /^404 wasm-squeeze: pglite\.data /, 'a .data file, not index.html')
    assert.equal(call('/sub/src/x_bg.wasm'), 'next', 'not in the deps folder')
    assert.equal(call('/sub/node_modules/.vite/deps/chunk.js'), 'next', 'the optimizer’s own output')
    assert.equal(call('/node_modules/.vite/deps/x_bg.wasm'), 'next', 'outside the base')
    call('/sub/node_modules/.vite/deps/x_bg.wasm')
    assert.equal(warnings.length, 3, 'one warning per missing file')
  })

  test('the dev base: full URLs by their path, relative bases at /', () => {
    assert.equal(devBase('/'), '/')
    assert.equal(devBase('/sub'), '/sub/')
    assert.equal(devBase('./'), '/')
    assert.equal(devBase(''), '/')
    assert.equal(devBase('https://cdn.example/app/'), '/app/')
  })
})

describe('vite serve: wasm inside a pre-bundled dependency', () => {
  const cases = [
    ['Vite 8', createVite8, '/'],
    ['Vite 8', createVite8, '/sub/'],
    ['Vite 7', createVite7, '/'],
    ['Vite 7', createVite7, '/sub/'],
  ]
  for (const [label, createServer, base] of cases) {
    test(`${label}, base ${base}: brotli-wasm pre-bundled by the user's include loads its own wasm, served as application/wasm`, async () => {
      const cache = await tempDir('deps-cache')
      try {
        const { logger, warnings, infos } = recordingLogger()
        // The user's include wins over the plugin's exclude: brotli-wasm is pre-bundled.
        const optimizeDeps = { include: ['brotli-wasm'] }
        const config = { root: DEP_APP, base, cacheDir: cache.dir, customLogger: logger, optimizeDeps, plugins: [wasmSqueeze()] }
        await withDevServer(createServer, config, async (url, server) => {
          assert.ok(!server.config.optimizeDeps.exclude?.includes('brotli-wasm'), 'not excluded')
          assert.ok(!infos.some((line) => /not pre-bundling.*brotli-wasm/.test(line)), infos.join('\n'))
          assert.ok(new URL(url).pathname === base, `served at ${url}`)
          const { result, wasm } = await loadDepApp(url)
          assert.deepEqual(result, { ok: true, packed: result.packed, length: 1900 }, JSON.stringify(result))
          assert.equal(wasm.length, 1, 'one wasm request')
          assert.equal(wasm[0].type, 'application/wasm')
          assert.ok(wasm[0].body.equals(await readFile(BROTLI_WASM)), 'the package’s own wasm, byte for byte')

          // A wasm the deps folder does not have: a 404 with advice, not index.html.
          const missing = new URL(devBase(base) + fsUrl(path.join(cache.dir, 'deps', 'brotli_wasm_bg.wasm')).slice(1), url)
          const response = await fetch(missing)
          assert.equal(response.status, 404)
          const body = await response.text()
          assert.match(body, /optimizeDeps\.exclude/)
          assert.match(body, /"brotli-wasm"/, 'names the package, from the optimizer metadata')
          assert.equal(warnings.filter((w) => w.includes('optimizeDeps.exclude')).length, 1, 'warned once in the terminal')
        })
      } finally {
        await cache.remove()
      }
    })
  }

  for (const [label, createServer] of VITES) {
    test(`${label}, no optimizeDeps config: brotli-wasm is left out of pre-bundling, named once in the log, and works`, async () => {
      const cache = await tempDir('deps-cache')
      try {
        const { logger, infos } = recordingLogger()
        const config = { root: DEP_APP, cacheDir: cache.dir, customLogger: logger, plugins: [wasmSqueeze()] }
        await withDevServer(createServer, config, async (url, server) => {
          assert.ok(server.config.optimizeDeps.exclude.includes('brotli-wasm'))
          const { result, wasm } = await loadDepApp(url)
          assert.deepEqual(result, { ok: true, packed: result.packed, length: 1900 }, JSON.stringify(result))
          assert.equal(wasm.length, 1, 'one wasm request')
          assert.match(new URL(wasm[0].url).pathname, /\/node_modules\/brotli-wasm\/pkg\.web\/brotli_wasm_bg\.wasm$/, 'from the package itself')
          assert.ok(wasm[0].body.equals(await readFile(BROTLI_WASM)))
          const lines = infos.filter((line) => line.includes('brotli-wasm'))
          assert.equal(lines.length, 1, `named once: ${infos.join('\n')}`)
          assert.match(lines[0], /not pre-bundling .*brotli-wasm/)
        })
      } finally {
        await cache.remove()
      }
    })

    test(`${label}: the user's own optimizeDeps.exclude is kept as written, and the plugin adds nothing for that package`, async () => {
      const cache = await tempDir('deps-cache')
      try {
        const { logger, infos } = recordingLogger()
        const optimizeDeps = { exclude: ['brotli-wasm'] }
        const config = { root: DEP_APP, cacheDir: cache.dir, customLogger: logger, optimizeDeps, plugins: [wasmSqueeze()] }
        await withDevServer(createServer, config, async (url, server) => {
          assert.equal(server.config.optimizeDeps.exclude.filter((name) => name === 'brotli-wasm').length, 1)
          assert.ok(!infos.some((line) => /not pre-bundling.*brotli-wasm/.test(line)), 'the user decided; nothing to report')
          assert.equal((await loadDepApp(url)).result.ok, true)
        })
      } finally {
        await cache.remove()
      }
    })
  }

  test('Vite 7 without the plugin: the pain point this fixes (HTML served for the wasm)', async () => {
    const cache = await tempDir('deps-cache')
    try {
      await withDevServer(createVite7, { root: DEP_APP, cacheDir: cache.dir, plugins: [] }, async (url) => {
        const { result, wasm } = await loadDepApp(url)
        assert.equal(result.ok, false)
        assert.match(result.error, /magic word/)
        assert.ok(wasm.some((r) => r.type?.startsWith('text/html')), 'index.html came back for the wasm')
      })
    } finally {
      await cache.remove()
    }
  })
})

const answerWasm = (n) => wat(`(module (func (export "answer") (result i32) i32.const ${n}))`)
const labelJs = (text) => `document.querySelector('#label').textContent = ${JSON.stringify(text)}\nimport.meta.hot?.accept()\n`

describe('vite serve: HMR with wasm imports', () => {
  for (const [label, createServer] of VITES) {
    test(`${label}: a JS edit hot-updates without a reload; a .wasm edit reloads with the new module`, async () => {
      const app = await tempDir('hmr')
      try {
        await writeFile(path.join(app.dir, 'index.html'), '<!doctype html><link rel="icon" href="data:,"><p id="label"></p><p id="wasm"></p><script type="module" src="/main.js"></script>\n')
        await writeFile(
          path.join(app.dir, 'main.js'),
          [
            "import init from './answer.wasm?init'",
            "import { answer } from './answer.wasm'",
            "import './label.js'",
            'const { exports } = await init()',
            "document.querySelector('#wasm').textContent = `${answer()} ${exports.answer()}`",
          ].join('\n'),
        )
        await writeFile(path.join(app.dir, 'label.js'), labelJs('label one'))
        await writeFile(path.join(app.dir, 'answer.wasm'), answerWasm(1))
        const config = { root: app.dir, cacheDir: path.join(app.dir, '.vite'), plugins: [wasmSqueeze()] }
        await withDevServer(createServer, config, (url) =>
          withPage(async (page, log) => {
            const wasmTypes = []
            page.on('response', (r) => {
              // The wasm itself is fetched; `x.wasm?init` and friends are JS modules.
              if (r.request().resourceType() === 'fetch') wasmTypes.push(`${new URL(r.url()).pathname} ${r.headers()['content-type']}`)
            })
            const text = (selector, expected) =>
              page.waitForFunction(([s, e]) => document.querySelector(s)?.textContent === e, [selector, expected], { timeout: 15_000 })

            await page.goto(url)
            await text('#wasm', '1 1')
            await text('#label', 'label one')
            await page.evaluate(() => (window.__sameDocument = true))

            await writeFile(path.join(app.dir, 'label.js'), labelJs('label two'))
            await text('#label', 'label two')
            assert.equal(await page.evaluate(() => window.__sameDocument), true, 'hot update, no reload')
            assert.equal(await page.textContent('#wasm'), '1 1')

            await writeFile(path.join(app.dir, 'answer.wasm'), answerWasm(2))
            await text('#wasm', '2 2')
            assert.equal(await page.evaluate(() => window.__sameDocument), undefined, 'the page reloaded')
            assert.ok(wasmTypes.length >= 2, `fetched before and after the reload: ${wasmTypes}`)
            assert.ok(wasmTypes.every((t) => t === '/answer.wasm application/wasm'), `wasm content types: ${wasmTypes}`)
            assert.deepEqual(log.errors, [])
          }),
        )
      } finally {
        await app.remove()
      }
    })
  }
})
