// Debug companions of real debug builds, checked with LLVM's own tools (Debian's
// `llvm` package; .ci/run installs it): for every function of the shipped module,
// llvm-symbolizer at its first instruction against the companion must say what
// it says at the same function of the original build against the original.
//
// Builds: web-tree-sitter 0.27.1's debug build (MIT; Emscripten C, DWARF + names),
// md4w 0.2.7's fast build (MIT; Zig + C, DWARF + names), and canvaskit-wasm
// 0.42.0's profiling build (BSD-3-Clause; names only) when bench/corpus has it:
// the package is 25 MB unpacked, too much to install for one test, so it comes
// with `npm run bench:corpus`.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { transform } from 'wasm-squeeze/native'
import { customVector, functionNames, functions, importedFunctionCount } from './helpers/wasm-functions.js'

const hasLlvm = spawnSync('llvm-symbolizer', ['--version']).status === 0
// CI installs llvm, so there a missing tool fails the test instead of skipping it.
const skip = !hasLlvm && !process.env.CI && 'llvm-symbolizer not found (apt-get install llvm)'

const DWARF_BUILDS = {
  'web-tree-sitter debug': 'node_modules/web-tree-sitter/debug/web-tree-sitter.wasm',
  'md4w fast (Zig)': 'node_modules/md4w/js/md4w-fast.wasm',
}
const CANVASKIT_PROFILING = 'bench/corpus/wasm/canvaskit-wasm__bin-profiling-canvaskit.wasm'

function scratch(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'wasm-squeeze-debug-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** What llvm-symbolizer says at each address: every frame's function, file, line and column. */
function symbolize(file, addresses) {
  const out = execFileSync('llvm-symbolizer', ['--output-style=JSON', `--obj=${file}`, ...addresses.map((a) => `0x${a.toString(16)}`)], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  })
  return JSON.parse(out).map((r) => r.Symbol.map(({ FunctionName, FileName, Line, Column }) => ({ FunctionName, FileName, Line, Column })))
}

/** llvm-dwarfdump --verify's findings, without the lines that name the file. */
function verify(file) {
  const run = spawnSync('llvm-dwarfdump', ['--verify', file], { encoding: 'utf8', maxBuffer: 256 << 20 })
  return { status: run.status, findings: run.stdout.split('\n').filter((line) => !line.includes(file)).join('\n') }
}

for (const [name, file] of Object.entries(DWARF_BUILDS)) {
  test(`${name}: the companion symbolizes every shipped function as the original does`, { skip }, async (t) => {
    const input = readFileSync(file)
    const result = await transform(input, { debugCompanion: true })
    const { wasm: shipped, debugCompanion: companion, report } = result
    assert.ok(companion, 'a companion for a build with DWARF')
    assert.ok(WebAssembly.validate(shipped) && WebAssembly.validate(companion), 'both validate in V8')
    assert.ok(shipped.length < input.length / 2, `shipped ${shipped.length} of ${input.length} B`)
    const removeUnused = report.steps.find((s) => s.pass === 'remove-unused')
    assert.equal(removeUnused.status, 'skipped')
    assert.match(removeUnused.detail, /DWARF/)

    const dir = scratch(t)
    const [original, debug] = [['original.wasm', input], ['app.debug.wasm', companion]].map(([f, bytes]) => {
      writeFileSync(path.join(dir, f), bytes)
      return path.join(dir, f)
    })
    const shippedFunctions = functions(shipped)
    const originalFunctions = functions(input)
    assert.equal(shippedFunctions.length, originalFunctions.length)
    for (const [i, f] of shippedFunctions.entries()) {
      assert.equal(f.firstInstruction, originalFunctions[i].firstInstruction, `function ${i} did not move`)
      assert.ok(Buffer.from(f.bytes).equals(Buffer.from(originalFunctions[i].bytes)), `function ${i} is the same body`)
    }
    const addresses = shippedFunctions.map((f) => f.firstInstruction)
    const viaCompanion = symbolize(debug, addresses)
    const viaOriginal = symbolize(original, addresses)
    assert.deepEqual(viaCompanion, viaOriginal)
    // Not vacuous: most functions resolve to a named function in a source file.
    const located = viaCompanion.filter((frames) => frames[0].FunctionName !== '??' && frames.some((f) => f.FileName !== '')).length
    assert.ok(located > 0.8 * addresses.length, `${located} of ${addresses.length} functions located`)

    // llvm-dwarfdump reads the companion and finds what it finds in the original.
    const [checked, reference] = [verify(debug), verify(original)]
    assert.equal(checked.status, reference.status)
    assert.equal(checked.findings, reference.findings)

    const id = customVector(shipped, 'build_id')
    assert.equal(id.length, 16, 'a derived build_id')
    assert.deepEqual(customVector(companion, 'build_id'), id, 'the same build_id in both')
  })
}

test('md4w: llvm-dwarfdump --verify finds no errors in the companion', { skip }, async (t) => {
  const { debugCompanion } = await transform(readFileSync(DWARF_BUILDS['md4w fast (Zig)']), { debugCompanion: true })
  const file = path.join(scratch(t), 'md4w.debug.wasm')
  writeFileSync(file, debugCompanion)
  const { status, findings } = verify(file)
  assert.equal(status, 0, findings)
  assert.match(findings, /No errors\./)
})

test('canvaskit profiling (names only): every shipped function keeps its name', { skip: !existsSync(CANVASKIT_PROFILING) && 'run npm run bench:corpus first' }, async () => {
  const input = readFileSync(CANVASKIT_PROFILING)
  const { wasm: shipped, debugCompanion: companion, report } = await transform(input, { debugCompanion: true })
  assert.equal(functionNames(shipped).size, 0, 'names left the shipped module')
  assert.ok(WebAssembly.validate(companion))
  const names = functionNames(companion)
  const originalNames = functionNames(input)
  const imported = importedFunctionCount(shipped)
  const bodies = functions(shipped)
  const originalByName = new Map([...originalNames].map(([index, name]) => [name, index]))
  const originalBodies = functions(input)
  const originalImported = importedFunctionCount(input)
  assert.ok(bodies.length > 1000)
  let unnamed = 0
  for (const [i, body] of bodies.entries()) {
    const name = names.get(imported + i)
    if (name === undefined) {
      unnamed++ // the build names no function twice, and leaves 171 unnamed
      continue
    }
    const was = originalBodies[originalByName.get(name) - originalImported]
    assert.ok(Buffer.from(body.bytes).equals(Buffer.from(was.bytes)), `${name}: the companion names the function it was`)
  }
  assert.equal(unnamed, originalBodies.length - [...originalNames.keys()].filter((i) => i >= originalImported).length)
  assert.ok(report.steps.some((s) => s.pass === 'debug-companion' && s.status === 'applied'))
})
