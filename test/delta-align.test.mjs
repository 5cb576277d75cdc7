// align-to-previous: with `delta`, each wasm is optimized against its predecessor in
// the previous deploy, so functions both have keep their old indices, calls stay
// byte-identical and the delta shrinks. Real Vite builds of a module whose release
// inserts functions ahead of the old ones and moves others; the Node API beside them.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile, rm, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { build, createLogger } from 'vite'
import wasmSqueeze from '../js/plugin.js'
import { deltaSync, transform, transformSync } from '../js/native.js'
import { MANIFEST_FILE, parseManifest, sha256Hex } from '../js/delta/manifest.js'
import { LEAVES, RUN_ARGUMENTS, alignWasm, writeAlignApp } from './helpers/align-app.js'
import { functions, importedFunctionCount } from './helpers/wasm-functions.js'

const LONG_AGO = new Date('2020-01-01T00:00:00Z')
const step = (steps) => steps.find((s) => s.pass === 'align-to-previous')

/** How many of `old`'s first `count` defined functions sit, byte for byte, at the same index in `next`. */
function keptInPlace(old, next, count = Infinity) {
  assert.equal(importedFunctionCount(old), importedFunctionCount(next))
  const before = functions(old).slice(0, count)
  const after = functions(next)
  return before.filter((f, i) => after[i]?.bytes.equals(f.bytes)).length
}

/** `run` and `version` of two modules give the same results. */
async function assertSameResults(original, shipped) {
  const a = (await WebAssembly.instantiate(original)).instance.exports
  const b = (await WebAssembly.instantiate(shipped)).instance.exports
  assert.equal(b.version(), a.version())
  for (const x of RUN_ARGUMENTS) assert.equal(b.run(x), a.run(x), `run(${x})`)
}

test('transform: `previous` keeps the functions both modules have at their old indices', async () => {
  const old = transformSync(alignWasm(1)).wasm
  const plain = await transform(alignWasm(2))
  assert.equal(step(plain.report.steps), undefined, 'no previous module, no step')
  const aligned = await transform(alignWasm(2), { previous: old })
  assert.equal(step(aligned.report.steps)?.status, 'applied', JSON.stringify(aligned.report.steps))
  assert.ok(WebAssembly.validate(aligned.wasm))
  // The leaves call nothing, so their bodies are equal exactly when their index is.
  assert.equal(keptInPlace(old, aligned.wasm, LEAVES), LEAVES)
  assert.equal(keptInPlace(old, plain.wasm, LEAVES), 0, 'without previous, the inserted functions push every leaf along')
  await assertSameResults(alignWasm(2), aligned.wasm)
  // The same module as its own previous: nothing to move.
  const again = transformSync(alignWasm(1), { previous: old })
  assert.ok(again.wasm.equals(old), 'aligning a module to its own output changes nothing')
})

/**
 * A real Vite build of the app at `version` into `<root>/<outDir>`; its manifest
 * entry, shipped wasm, dcb and JSON report. `version` null builds the sources as
 * they are (untouched, so the plugin knows the wasm by its recorded hash).
 */
async function buildDeploy(root, version, delta, { outDir = 'dist', reversed = false } = {}) {
  if (version != null) {
    await writeAlignApp(root, version, { reversed })
    await utimes(path.join(root, 'app.wasm'), LONG_AGO, LONG_AGO) // not written just now: the plugin may record its hash
  }
  const warnings = []
  const customLogger = createLogger('warn')
  customLogger.warn = (message) => warnings.push(String(message))
  await build({ root, configFile: false, logLevel: 'warn', customLogger, plugins: [wasmSqueeze({ report: 'json', delta })], build: { outDir, emptyOutDir: true } })
  const dir = path.join(root, outDir)
  const [asset] = parseManifest(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')).assets
  const report = JSON.parse(await readFile(path.join(root, 'wasm-squeeze-report.json'), 'utf8'))
  const bytes = await readFile(path.join(dir, asset.file))
  const dcb = asset.deltas.find((d) => d.coding === 'dcb')
  return { dir, warnings, asset, bytes, report, steps: report.files[0].steps, dcb: dcb && (await readFile(path.join(dir, dcb.file))) }
}

describe('two real deploys with delta: the second is aligned to the first', () => {
  let work
  let app
  let first
  let second
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'wasm-squeeze-align-'))
    app = path.join(work, 'app')
    first = await buildDeploy(app, 1, true)
    await cp(first.dir, path.join(work, 'deploy-1'), { recursive: true })
    second = await buildDeploy(app, 2, { previous: '../deploy-1' })
  })
  after(() => rm(work, { recursive: true, force: true }))

  test('the first deploy has nothing to align to; the second has the step applied and says so', () => {
    assert.deepEqual([first.warnings, second.warnings], [[], []])
    assert.equal(step(first.steps), undefined, JSON.stringify(first.steps))
    assert.equal(step(second.steps)?.status, 'applied', JSON.stringify(second.steps))
    assert.match(second.report.files[0].what, /aligned to the previous deploy/)
    assert.equal(keptInPlace(first.bytes, second.bytes, LEAVES), LEAVES)
  })

  test('its dcb is smaller than the unaligned module’s, and is against the shipped first deploy', () => {
    const unaligned = transformSync(alignWasm(2), { file: 'app.wasm' }).wasm
    assert.ok(!unaligned.equals(second.bytes), 'alignment changed the module')
    const unalignedDcb = deltaSync(unaligned, first.bytes, { format: 'dcb', level: 11 })
    assert.ok(second.dcb.length * 2 < unalignedDcb.length, `aligned dcb ${second.dcb.length} B, unaligned ${unalignedDcb.length} B`)
    // The body names the dictionary it needs; the build decoded it against that
    // dictionary and compared its sha-256 with the shipped file before writing it.
    assert.equal(second.dcb.subarray(4, 36).toString('hex'), sha256Hex(first.bytes))
    assert.equal(second.asset.sha256, sha256Hex(second.bytes))
    assert.equal(second.report.deltas[0].dcb, second.dcb.length)
  })

  test('the shipped module instantiates and returns what the source returns', async () => {
    assert.ok(WebAssembly.validate(second.bytes))
    await assertSameResults(alignWasm(2), second.bytes)
  })

  test('another previous deploy is another optimizer entry, on the warm path too', async () => {
    // The same functions laid out another way: the same source of version 2 must
    // come out in that order, not in the order of the output aligned to deploy-1.
    const other = await buildDeploy(path.join(work, 'other'), 1, true, { reversed: true })
    await cp(other.dir, path.join(work, 'deploy-other'), { recursive: true })
    const againstOther = await buildDeploy(app, null, { previous: '../deploy-other' }, { outDir: 'dist-other' })
    assert.equal(step(againstOther.steps)?.status, 'applied')
    assert.deepEqual([againstOther.report.optimize.hits, againstOther.report.optimize.misses], [0, 1], 'the source is known by its hash, but its output against deploy-1 is not reused')
    assert.ok(!againstOther.bytes.equals(second.bytes))
    assert.equal(keptInPlace(other.bytes, againstOther.bytes, LEAVES), LEAVES)
    await assertSameResults(alignWasm(2), againstOther.bytes)
    // Against deploy-1 again: the recorded input hash and deploy-1's sha-256 find the first output.
    const warm = await buildDeploy(app, null, { previous: '../deploy-1' }, { outDir: 'dist-warm' })
    assert.deepEqual([warm.report.optimize.hits, warm.report.optimize.misses], [1, 0])
    assert.ok(warm.bytes.equals(second.bytes))
  })
})
