// What the plugin says it did: the size table's "what happened" column (from
// transform's steps) and its total row, and the JSON report's steps with their
// reasons and bytes. A real Vite 8 build of four modules, one per outcome.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { build } from 'vite'
import wasmSqueeze from 'wasm-squeeze'
import { readTree, tempDir } from './helpers/example.js'
import { capturingLogger } from './helpers/logger.js'
import { formatBytes } from '../js/report.js'
import { wat } from './helpers/wat.js'

const MODULES = {
  // names and producers to strip
  debug: wat(`(module (func (export "f") (result i32) i32.const 1))`, { names: true, custom: { producers: '\x00\x00\x00\x00\x00\x00\x00\x00' } }),
  // two functions nothing reaches
  unused: wat(`(module (func $a (result i32) i32.const 1 i32.const 2 i32.add) (func $b (result i32) call $a)
    (func (export "g") (result i32) i32.const 3))`),
  // nothing to do
  minimal: wat(`(module (func (export "h") (result i32) i32.const 4))`),
  // data in an imported memory: pack-data cannot know it starts zeroed
  imported: wat(`(module (import "env" "memory" (memory 1)) (data (i32.const 0) "\\00\\00\\00\\00\\00\\00\\01") (func (export "k")))`),
}

let project
let infos
let report
before(async () => {
  project = await tempDir('report')
  await mkdir(path.join(project.dir, 'src'))
  for (const [name, bytes] of Object.entries(MODULES)) await writeFile(path.join(project.dir, `src/${name}.wasm`), bytes)
  const main = Object.keys(MODULES).map((name) => `import ${name} from './${name}.wasm?url'\nconsole.log(${name})`).join('\n')
  await writeFile(path.join(project.dir, 'src/main.js'), main)
  await writeFile(path.join(project.dir, 'index.html'), '<!doctype html><script type="module" src="/src/main.js"></script>')
  const captured = capturingLogger()
  await build({
    root: project.dir,
    configFile: false,
    customLogger: captured.logger,
    plugins: [wasmSqueeze({ cache: false, report: 'json' })],
    build: { outDir: 'dist' },
  })
  infos = captured.infos.join('\n')
  report = JSON.parse(await readFile(path.join(project.dir, 'wasm-squeeze-report.json'), 'utf8'))
})
after(() => project?.remove())

/** The table line of `src/<name>.wasm`. */
const lineOf = (name) => infos.split('\n').find((l) => l.startsWith(`src/${name}.wasm`))

test('the size table says what happened to each file, and why not', () => {
  assert.match(infos, /^file +raw +optimized +.*cache +saved +what happened$/m)
  assert.match(lineOf('debug'), /stripped \d+ B of (names|producers), \d+ B of (names|producers)$/)
  assert.match(lineOf('unused'), /removed 2 unused functions$/)
  assert.match(lineOf('minimal'), /already minimal$/)
  assert.match(lineOf('imported'), /unchanged: pack-data skipped, memory 0 is imported and not known to start zeroed/)
})

test('a total row sums every file', async () => {
  const total = infos.split('\n').find((l) => l.startsWith('total (4 files)'))
  assert.ok(total, infos)
  const raw = Object.values(MODULES).reduce((n, b) => n + b.length, 0)
  const files = await readTree(path.join(project.dir, 'dist'))
  const optimized = files.filter((f) => f.name.endsWith('.wasm')).reduce((n, f) => n + f.bytes.length, 0)
  assert.ok(total.includes(` ${formatBytes(raw)} `), `raw ${formatBytes(raw)} in ${total}`)
  assert.ok(total.includes(` ${formatBytes(optimized)} `), `optimized ${formatBytes(optimized)} in ${total}`)
})

test("report: 'json' carries every step with its status, reason and bytes", () => {
  const rows = report.files.filter((f) => f.kind === 'wasm')
  assert.equal(rows.length, 4)
  for (const row of rows) {
    assert.ok(row.steps.length >= 3, `${row.source}: ${row.steps.length} steps`)
    for (const step of row.steps) {
      assert.ok(['applied', 'unchanged', 'skipped'].includes(step.status))
      assert.equal(typeof step.detail, 'string')
      assert.ok(step.detail.length > 0)
      assert.equal(typeof step.bytesSaved, 'number')
    }
    assert.equal(typeof row.what, 'string')
  }
  const debug = rows.find((r) => r.source === 'src/debug.wasm')
  const strip = debug.steps.find((s) => s.pass === 'strip')
  assert.equal(strip.status, 'applied')
  assert.equal(strip.bytesSaved, MODULES.debug.length - debug.optimized)
  const imported = rows.find((r) => r.source === 'src/imported.wasm')
  assert.deepEqual(imported.steps.find((s) => s.pass === 'pack-data').status, 'skipped')
  assert.equal(report.totals.sources, 4)
})
