// The CLI's fixed contract, run as users run it: a real subprocess.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { customSectionNames, wat } from './helpers/wat.js'
import { unzstd } from './helpers/zstd.js'
import { LEAVES, alignWasm } from './helpers/align-app.js'
import { functions } from './helpers/wasm-functions.js'

const CLI = path.resolve('js/cli.js')
const dir = mkdtempSync(path.join(tmpdir(), 'wasm-squeeze-cli-'))
const input = path.join(dir, 'in.wasm')
writeFileSync(input, wat(`(module (func $f (export "f") (result i32) i32.const 42))`, { names: true, custom: { producers: '\x00' } }))

const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' })

test('writes a smaller, valid module that behaves the same', async () => {
  const output = path.join(dir, 'out.wasm')
  const { status, stdout, stderr } = run(input, '-o', output)
  assert.equal(status, 0, stderr)
  const bytes = readFileSync(output)
  assert.ok(WebAssembly.validate(bytes))
  assert.ok(bytes.length < readFileSync(input).length)
  assert.deepEqual(customSectionNames(bytes), [])
  assert.equal((await WebAssembly.instantiate(bytes)).instance.exports.f(), 42)
  assert.match(stdout, /in\.wasm/)
  assert.match(stdout, /strip: applied/)
})

test('--compress writes siblings that decode to the output', () => {
  const output = path.join(dir, 'c.wasm')
  const { status, stderr } = run(input, '-o', output, '--compress', 'br,zst,gz')
  assert.equal(status, 0, stderr)
  const bytes = readFileSync(output)
  assert.deepEqual(brotliDecompressSync(readFileSync(`${output}.br`)), bytes)
  assert.deepEqual(unzstd(readFileSync(`${output}.zst`)), bytes)
  assert.deepEqual(gunzipSync(readFileSync(`${output}.gz`)), bytes)
})

test('--json prints the report; --keep-names keeps the name section', () => {
  const output = path.join(dir, 'j.wasm')
  const { status, stdout } = run(input, '-o', output, '--json', '--keep-names', '--compress', 'br')
  assert.equal(status, 0)
  const report = JSON.parse(stdout)
  assert.equal(report.outputBytes, readFileSync(output).length)
  assert.equal(report.compressed.br, readFileSync(`${output}.br`).length)
  assert.ok(report.sectionsAfter.some((s) => s.name === 'custom:name'))
  assert.deepEqual(customSectionNames(readFileSync(output)), ['name'])
})

test('flags of passes still to come are accepted', () => {
  const output = path.join(dir, 'p.wasm')
  const { status, stderr } = run(input, '-o', output, '--no-dce', '--no-pack-data', '--passive-data', 'start')
  assert.equal(status, 0, stderr)
  assert.ok(WebAssembly.validate(readFileSync(output)))
})

test('malformed input exits 1, names the file and byte offset, writes nothing', () => {
  const bad = path.join(dir, 'bad.wasm')
  writeFileSync(bad, readFileSync(input).subarray(0, 13))
  const output = path.join(dir, 'never.wasm')
  const { status, stderr } = run(bad, '-o', output)
  assert.equal(status, 1)
  assert.match(stderr, /bad\.wasm: .*\(at offset 0x[0-9a-f]+\)/)
  assert.equal(existsSync(output), false)
})

test('a missing input file exits 1', () => {
  const { status, stderr } = run(path.join(dir, 'nope.wasm'), '-o', path.join(dir, 'x.wasm'))
  assert.equal(status, 1)
  assert.match(stderr, /cannot read/)
})

test('usage errors exit 2 with the usage text', () => {
  for (const args of [[], [input], [input, '-o'], [input, '-o', 'x', '--bogus'], [input, '-o', 'x', '--passive-data', 'later'], [input, '-o', 'x', '--compress', 'xz']]) {
    const { status, stderr } = run(...args)
    assert.equal(status, 2, `args ${args.join(' ')}`)
    assert.match(stderr, /Usage: wasm-squeeze/)
  }
})

test('--help and --version', () => {
  const help = run('--help')
  assert.equal(help.status, 0)
  assert.match(help.stdout, /--passive-data <mode>/)
  assert.match(help.stdout, /sidecar: segments >= --sidecar-min-bytes/)
  assert.match(help.stdout, /--sidecar-min-bytes <n>/)
  const version = run('--version')
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version)
})

test('--debug-file writes the companion, --debug-url names it in the output', () => {
  const output = path.join(dir, 'dbg.wasm')
  const debugFile = path.join(dir, 'dbg.debug.wasm')
  const url = 'https://symbols.example/dbg.debug.wasm'
  const { status, stdout, stderr } = run(input, '-o', output, '--debug-file', debugFile, '--debug-url', url)
  assert.equal(status, 0, stderr)
  const [bytes, companion] = [readFileSync(output), readFileSync(debugFile)]
  assert.ok(WebAssembly.validate(companion))
  assert.deepEqual(customSectionNames(bytes), ['build_id', 'external_debug_info'])
  assert.ok(bytes.includes(Buffer.from(url)))
  assert.deepEqual(customSectionNames(companion).sort(), ['build_id', 'name', 'producers'])
  assert.match(stdout, /debug-companion: applied/)
})

test('--debug-file on a module without names or DWARF says so and writes nothing', () => {
  const bare = path.join(dir, 'bare.wasm')
  writeFileSync(bare, wat(`(module (func (export "f") (result i32) i32.const 1))`))
  const debugFile = path.join(dir, 'bare.debug.wasm')
  const { status, stderr } = run(bare, '-o', path.join(dir, 'bare.out.wasm'), '--debug-file', debugFile)
  assert.equal(status, 0, stderr)
  assert.match(stderr, /no DWARF or name section; no debug file written/)
  assert.equal(existsSync(debugFile), false)
})

test('--debug-url without --debug-file is a usage error', () => {
  const { status, stderr } = run(input, '-o', path.join(dir, 'x.wasm'), '--debug-url', 'u')
  assert.equal(status, 2)
  assert.match(stderr, /--debug-url needs --debug-file/)
})

test('--previous aligns the output to the previous module; one that cannot be read exits 1 naming it', () => {
  const old = path.join(dir, 'v1.wasm')
  assert.equal(run(writeInput('v1.src.wasm', alignWasm(1)), '-o', old).status, 0)
  const output = path.join(dir, 'v2.wasm')
  const { status, stdout, stderr } = run(writeInput('v2.src.wasm', alignWasm(2)), '-o', output, '--previous', old, '--json')
  assert.equal(status, 0, stderr)
  const step = JSON.parse(stdout).steps.find((s) => s.pass === 'align-to-previous')
  assert.equal(step?.status, 'applied', stdout)
  const [before, after] = [functions(readFileSync(old)), functions(readFileSync(output))]
  assert.ok(before.slice(0, LEAVES).every((f, i) => after[i].bytes.equals(f.bytes)), 'the leaves kept their indices')
  const missing = path.join(dir, 'no-such-v0.wasm')
  const failed = run(input, '-o', path.join(dir, 'never-aligned.wasm'), '--previous', missing)
  assert.equal(failed.status, 1)
  assert.match(failed.stderr, /cannot read the previous module .*no-such-v0\.wasm/)
  assert.equal(existsSync(path.join(dir, 'never-aligned.wasm')), false)
  assert.match(run('--help').stdout, /--previous <file>/)
})

function writeInput(name, bytes) {
  const file = path.join(dir, name)
  writeFileSync(file, bytes)
  return file
}
