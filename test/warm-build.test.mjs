// A warm build does no native work for unchanged wasm: real Vite builds, each in its
// own process (as `vite build` runs), of an app whose wasm has not changed since the
// cold build; the warm process never loads the addon, and ships the cold bytes. A
// changed source (even with its old mtime put back) is noticed and optimized again.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFile, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { openInputIndex } from '../js/compress/input-index.js'
import { EXAMPLE_ROOT, REPO, compileExampleWasm, readTree, tempDir } from './helpers/example.js'

const LONG_AGO = new Date(Date.now() - 3600_000)

// The child builds `root` into `out` and prints the plugin's JSON report and whether
// this process mapped the native addon (Linux: /proc/self/maps).
const CHILD = `
const [root, out, cache] = process.argv.slice(1)
const { build } = await import(${JSON.stringify(pathToFileURL(path.join(REPO, 'node_modules/vite/dist/node/index.js')).href)})
const { default: wasmSqueeze } = await import(${JSON.stringify(pathToFileURL(path.join(REPO, 'js/plugin.js')).href)})
const { readFileSync } = await import('node:fs')
await build({ root, configFile: false, logLevel: 'silent', plugins: [wasmSqueeze({ cache, report: out + '.json' })], build: { outDir: out, emptyOutDir: true } })
const nativeLoaded = readFileSync('/proc/self/maps', 'utf8').split('\\n').some((l) => /wasm-squeeze[^/]*\\.node$/.test(l))
console.log(JSON.stringify({ nativeLoaded, report: JSON.parse(readFileSync(out + '.json', 'utf8')) }))
`

let work
let app
function buildInChild(name) {
  const out = path.join(work.dir, name)
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, app, out, path.join(work.dir, 'cache')], { encoding: 'utf8', env: process.env })
  return { out, ...JSON.parse(stdout.trim().split('\n').at(-1)) }
}

before(async () => {
  await compileExampleWasm()
  work = await tempDir('warm-build')
  app = path.join(work.dir, 'app')
  await mkdir(app)
  await copyFile(path.join(EXAMPLE_ROOT, 'src/wasm/math.wasm'), path.join(app, 'm.wasm'))
  await utimes(path.join(app, 'm.wasm'), LONG_AGO, LONG_AGO) // not written just now: its identity may be recorded
  await writeFile(path.join(app, 'main.js'), "import url from './m.wasm?url'\nconsole.log(url)\n")
  await writeFile(path.join(app, 'index.html'), '<script type="module" src="./main.js"></script>\n')
})
after(() => work?.remove())

test('a warm build of unchanged wasm loads no native code and ships the cold bytes; a changed source is optimized again', { skip: process.platform !== 'linux' && 'reads /proc/self/maps' }, async () => {
  const cold = buildInChild('cold')
  assert.equal(cold.nativeLoaded, true, 'premise: the cold build ran the optimizer and the encoders')
  assert.deepEqual([cold.report.optimize.misses, cold.report.cache.misses], [1, 2])

  const warm = buildInChild('warm')
  assert.equal(warm.nativeLoaded, false, 'the warm build never loaded the addon')
  assert.deepEqual([warm.report.optimize.hits, warm.report.optimize.misses, warm.report.cache.hits, warm.report.cache.misses], [1, 0, 2, 0])
  const [coldFiles, warmFiles] = [await readTree(cold.out), await readTree(warm.out)]
  assert.deepEqual(warmFiles.map((f) => f.name), coldFiles.map((f) => f.name))
  warmFiles.forEach((f, i) => assert.ok(f.bytes.equals(coldFiles[i].bytes), `${f.name} is byte-identical`))

  // Other bytes under the same name, with the old mtime put back: size and ctime still tell.
  await copyFile(path.join(EXAMPLE_ROOT, 'src/wasm/checksum.wasm'), path.join(app, 'm.wasm'))
  await utimes(path.join(app, 'm.wasm'), LONG_AGO, LONG_AGO)
  const changed = buildInChild('changed')
  assert.equal(changed.report.optimize.misses, 1, 'the changed source was optimized again')
  assert.equal(changed.report.files[0].raw, (await stat(path.join(app, 'm.wasm'))).size)
  assert.notDeepEqual(changed.report.files[0].emitted, cold.report.files[0].emitted, 'other content, another asset')
})

test('the input index: a record matches the file as it was; a rewrite or a file written just now does not match', async () => {
  const index = openInputIndex(path.join(work.dir, 'index'))
  const file = path.join(work.dir, 'input.bin')
  await writeFile(file, 'one')
  index.record(file, Buffer.from('aa', 'hex'), await stat(file))
  assert.equal(index.lookup(file), null, 'written within the racy window: not recorded')

  await utimes(file, LONG_AGO, LONG_AGO)
  index.record(file, Buffer.from('aa', 'hex'), await stat(file))
  const known = index.lookup(file)
  assert.deepEqual([known?.hash, known?.size], [Buffer.from('aa', 'hex'), 3])
  assert.equal((await index.read(file, known.id)).toString(), 'one', 'read back while unchanged')

  await writeFile(file, 'two') // same size
  await utimes(file, LONG_AGO, LONG_AGO) // same mtime
  assert.equal(index.lookup(file), null, 'the ctime moved')
  assert.equal(await index.read(file, known.id), null, 'nor are its bytes taken for the recorded ones')
  assert.equal(openInputIndex(false).lookup(file), null, 'no cache, no index')
  assert.equal(await readFile(file, 'utf8'), 'two')
})
