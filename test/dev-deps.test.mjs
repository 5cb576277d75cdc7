// Which dependencies `vite serve` leaves out of pre-bundling (js/dev-deps.js), on a
// made-up node_modules tree: the kinds that must be excluded, the ones that must
// not, CommonJS dependencies through `pkg > dep`, the user's own optimizeDeps
// winning, the dev-log line, and the scan cache following reinstalls.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { describeChange, wasmDependencies } from '../js/dev-deps.js'
import { tempDir } from './helpers/example.js'

const WASM = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
let tmp
let app

async function write(file, content) {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content))
}

/** A package in `<dir>/node_modules/<name>` with its files. */
async function pkg(dir, name, json, files = {}) {
  const root = path.join(dir, 'node_modules', name)
  await write(path.join(root, 'package.json'), { name, version: '1.0.0', ...json })
  for (const [file, content] of Object.entries(files)) await write(path.join(root, file), content)
  return root
}

before(async () => {
  tmp = await tempDir('dev-deps')
  app = tmp.dir
  await write(path.join(app, 'package.json'), {
    name: 'app',
    dependencies: { 'bundler-pkg': '1', 'url-pkg': '1', 'cjs-wasm': '1', 'plain-esm': '1' },
    devDependencies: { 'mjs-entry': '1' },
  })
  // wasm-bindgen bundler target: imports its wasm; CommonJS, ES-module, types-only and unused dependencies.
  await pkg(app, 'bundler-pkg', { module: 'index.js', dependencies: { 'cjs-dep': '1', 'esm-dep': '1', 'types-only': '1', 'unused-cjs': '1' } }, {
    'index.js': "import * as wasm from './x_bg.wasm'\nimport cjs from 'cjs-dep'\nimport esm from 'esm-dep/sub.js'\nexport const f = () => wasm.f(cjs, esm)\n",
    'x_bg.wasm': WASM,
  })
  await pkg(app, 'cjs-dep', { main: 'lib.js' }, { 'lib.js': 'module.exports = 1\n' })
  await pkg(app, 'unused-cjs', { main: 'lib.js' }, { 'lib.js': 'module.exports = 1\n' })
  await pkg(app, 'esm-dep', { type: 'module', main: 'index.js' }, { 'index.js': 'export default 1\n' })
  await pkg(app, 'types-only', { types: 'index.d.ts' }, { 'index.d.ts': 'export {}\n' })
  // Emscripten ES6: the wasm and a .data file by new URL.
  await pkg(app, 'url-pkg', { type: 'module', exports: { '.': './dist/index.js' } }, {
    'dist/index.js': "const data = new URL('./x.data', import.meta.url)\nconst wasm = new URL(\"x.wasm\", import.meta.url)\n",
    'dist/x.wasm': WASM,
    'dist/x.data': 'data',
  })
  // CommonJS with a wasm: no import.meta, pre-bundles fine (sql.js-style locateFile).
  await pkg(app, 'cjs-wasm', { main: 'index.js' }, { 'index.js': "// new URL('x.wasm', import.meta.url) in a comment of CommonJS\nmodule.exports = 1\n", 'x.wasm': WASM })
  // ESM without wasm of its own, depending on one that imports wasm (found transitively).
  await pkg(app, 'plain-esm', { type: 'module', dependencies: { 'nested-wasm': '1' } }, { 'index.js': "export * from 'nested-wasm'\n" })
  await pkg(path.join(app, 'node_modules/plain-esm'), 'nested-wasm', { type: 'module' }, {
    'index.js': "export { f } from './f.wasm'\n",
    'f.wasm': WASM,
  })
  // `import` → .mjs: its .js files are CommonJS and never read.
  await pkg(app, 'mjs-entry', { exports: { import: './index.mjs', require: './lib/index.js' } }, {
    'index.mjs': 'export default 1\n',
    'lib/index.js': "new URL('../x.wasm', import.meta.url)\n",
    'x.wasm': WASM,
  })
})
after(() => tmp?.remove())

test('packages that import a wasm or reference a file beside them are excluded; their CommonJS dependencies included', () => {
  const { exclude, include } = wasmDependencies(path.join(app, 'src'))
  assert.deepEqual([...exclude].sort(), ['bundler-pkg', 'nested-wasm', 'url-pkg'])
  assert.deepEqual(include, ['bundler-pkg > cjs-dep'], 'not the ES-module, types-only or never-imported dependency')
})

test("the user's include and exclude win: a package they name is left as they said", () => {
  const { exclude, include } = wasmDependencies(app, { include: ['plain-esm > nested-wasm', 'url-pkg'], exclude: ['bundler-pkg'] })
  assert.deepEqual(exclude, [])
  assert.deepEqual(include, [])
})

test('the dev log names every changed package in one line, and says nothing when nothing changed', () => {
  const line = describeChange({ exclude: ['a', 'b'], include: ['a > c'] })
  assert.equal(line.split('\n').length, 1)
  assert.match(line, /^\[wasm-squeeze\] not pre-bundling a, b: .*a > c\. .*optimizeDeps\.include or exclude/)
  assert.equal(describeChange({ exclude: [], include: [] }), null)
})

test('the scan cache follows a reinstall (package.json mtime), not a stale answer', async () => {
  assert.ok(wasmDependencies(app).exclude.includes('url-pkg'))
  const root = path.join(app, 'node_modules/url-pkg')
  await write(path.join(root, 'dist/index.js'), 'export default 1\n')
  assert.ok(wasmDependencies(app).exclude.includes('url-pkg'), 'same install: the cached answer')
  const later = new Date(Date.now() + 5000)
  await utimes(path.join(root, 'package.json'), later, later)
  assert.ok(!wasmDependencies(app).exclude.includes('url-pkg'), 'reinstalled: scanned again')
})

test('no package.json above the root: nothing to change', () => {
  assert.deepEqual(wasmDependencies('/'), { exclude: [], include: [] })
})

test('the whole answer is kept until the next install (the package manager’s record in node_modules changes)', async () => {
  const record = path.join(app, 'node_modules/.package-lock.json')
  await write(record, '{}')
  await pkg(app, 'late-wasm', { type: 'module' }, { 'index.js': "import './x.wasm'\n", 'x.wasm': WASM })
  assert.ok(!wasmDependencies(app).exclude.includes('late-wasm'), 'not a dependency of the app yet')
  const manifest = path.join(app, 'package.json')
  const json = JSON.parse(await readFile(manifest, 'utf8'))
  json.dependencies['late-wasm'] = '1'
  await write(manifest, json)
  // An install rewrites the package.json and the package manager's record.
  const later = new Date(Date.now() + 10_000)
  await utimes(record, later, later)
  assert.ok(wasmDependencies(app).exclude.includes('late-wasm'), 'found after the install')
})
