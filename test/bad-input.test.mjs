// The bad-input table, run as users run the tool: hostile and damaged wasm through the
// CLI (exit 1, the message names the file and the byte offset, nothing written) and
// through a real Vite build (a warning naming the file, the original bytes shipped;
// `strict: true` fails the build). The damaged inputs come from a real module
// (vscode-oniguruma's onig.wasm, 470 KB): cut at every section boundary and inside
// code bodies, and bytes flipped with a fixed seed.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { build } from 'vite'
import wasmSqueeze from 'wasm-squeeze'
import { inspectSync } from 'wasm-squeeze/native'
import { uleb128 } from '../scripts/build-wat.js'
import { readTree, tempDir } from './helpers/example.js'
import { capturingLogger } from './helpers/logger.js'
import { readLeb } from './helpers/wasm-functions.js'

const require = createRequire(import.meta.url)
const REAL = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'))
const CLI = path.resolve('js/cli.js')
const dir = mkdtempSync(path.join(tmpdir(), 'wasm-squeeze-bad-input-'))

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
const HUGE = [0xff, 0xff, 0xff, 0xff, 0x0f] // a u32 LEB128 of about 4 GiB
const bytes = (...parts) => Buffer.from(parts.flat())
const section = (id, content) => [id, ...uleb128(content.length), ...content]
const name = (raw) => [...uleb128(raw.length), ...raw]
const FUNC_TYPE = section(1, [1, 0x60, 0, 0])
const ONE_FUNC = section(3, [1, 0])
const EMPTY_BODY = section(10, [1, 2, 0, 0x0b])

/** Hand-made hostile inputs: each is invalid, for the reason in its name. */
const CRAFTED = {
  'not wasm (text)': Buffer.from('hello, this is not wasm\n'),
  'an HTML page': Buffer.from('<!doctype html><title>404 Not Found</title>'),
  'empty file': Buffer.alloc(0),
  'magic only': bytes(HEADER.slice(0, 4)),
  'version 2': bytes(HEADER.slice(0, 4), [2, 0, 0, 0]),
  'a component': bytes(HEADER.slice(0, 4), [0x0d, 0x00, 0x01, 0x00]),
  'section length past the end': bytes(HEADER, [1, 0x40, 0x60]),
  'section length of 4 GiB': bytes(HEADER, [1], HUGE),
  'type count of 4 billion': bytes(HEADER, section(1, HUGE)),
  'function count of 4 billion': bytes(HEADER, FUNC_TYPE, section(3, HUGE)),
  '4 billion locals': bytes(HEADER, FUNC_TYPE, ONE_FUNC, section(10, [1, 7, 1, ...HUGE, 0x7f, 0x0b])),
  'data segment of 4 GiB': bytes(HEADER, section(5, [1, 0, 1]), section(11, [1, 0, 0x41, 0, 0x0b, ...HUGE])),
  'invalid UTF-8 export name': bytes(HEADER, FUNC_TYPE, ONE_FUNC, section(7, [1, ...name([0xff, 0xfe]), 0, 0]), EMPTY_BODY),
  'invalid UTF-8 import name': bytes(HEADER, FUNC_TYPE, section(2, [1, ...name([0x65, 0x6e, 0x76]), ...name([0xc3, 0x28]), 0, 0])),
  'invalid UTF-8 custom section name': bytes(HEADER, section(0, name([0xe2, 0x82]))),
}

/** Where each section of the real module ends, and the header's own boundaries. */
function sectionBoundaries(module) {
  return [0, 4, 8, ...inspectSync(module).sections.map((s) => s.offset + s.bytes)]
}

/** Cut points inside code bodies: 1 byte in, halfway, 1 byte short, for a spread of bodies. */
function codeBodyCuts(module) {
  const code = inspectSync(module).sections.find((s) => s.name === 'code')
  let [, at] = readLeb(module, code.offset + 1) // section size
  let count
  ;[count, at] = readLeb(module, at)
  const bodies = []
  for (let i = 0; i < count; i++) {
    const [size, start] = readLeb(module, at)
    bodies.push({ start, end: start + size })
    at = start + size
  }
  const picked = [0, 1, Math.floor(count / 2), count - 1].map((i) => bodies[i])
  return picked.flatMap(({ start, end }) => [start + 1, Math.floor((start + end) / 2), end - 1])
}

/** Mulberry32: a tiny seeded PRNG, so the flips are the same on every run. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Copies of the module with 1 to 4 random bytes flipped, all outside the data. */
function flipped(module, count, seed) {
  const next = random(seed)
  const dataStart = inspectSync(module).sections.find((s) => s.name === 'data').offset
  return Array.from({ length: count }, () => {
    const copy = Buffer.from(module)
    const flips = 1 + Math.floor(next() * 4)
    for (let i = 0; i < flips; i++) copy[Math.floor(next() * dataStart)] ^= 1 << Math.floor(next() * 8)
    return copy
  })
}

/** Valid, but odd: 100,000 debug sections after a one-function module; all are dropped. */
function manyCustomSections() {
  const one = section(0, [...name([...Buffer.from('.debug_x')]), 0x2a])
  return bytes(HEADER, FUNC_TYPE, ONE_FUNC, EMPTY_BODY, Array.from({ length: 100_000 }, () => one).flat())
}

const cases = [
  { why: '100,000 custom sections', input: manyCustomSections(), mustPass: true },
  ...Object.entries(CRAFTED).map(([why, input]) => ({ why, input, mustFail: true })),
  ...sectionBoundaries(REAL).map((at) => ({ why: `onig.wasm cut at section boundary ${at}`, input: REAL.subarray(0, at) })),
  ...codeBodyCuts(REAL).map((at) => ({ why: `onig.wasm cut inside a code body at ${at}`, input: REAL.subarray(0, at), mustFail: true })),
  ...flipped(REAL, 24, 7).map((input, i) => ({ why: `onig.wasm with flipped bytes #${i}`, input })),
]

const run = promisify(execFile)
async function cli(file, output) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, file, '-o', output], { encoding: 'utf8' })
    return { status: 0, stdout, stderr }
  } catch (err) {
    return { status: err.code, signal: err.signal, stdout: err.stdout, stderr: err.stderr }
  }
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool(items, limit, work) {
  const results = []
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return results
}

test(`the CLI: ${cases.length} bad or odd inputs exit 1 naming the file and offset, or give a valid module`, async () => {
  let failed = 0
  await pool(cases, 4, async ({ why, input, mustFail, mustPass }, i) => {
    const file = path.join(dir, `case-${i}.wasm`)
    const output = path.join(dir, `out-${i}.wasm`)
    writeFileSync(file, input)
    const { status, signal, stderr } = await cli(file, output)
    assert.equal(signal ?? null, null, `${why}: killed by ${signal}`)
    if (mustPass) assert.equal(status, 0, `${why}: ${stderr}`)
    if (status === 0) {
      // A cut at a boundary or a flipped byte can leave a valid module; then the
      // output must be valid and no bigger.
      assert.ok(!mustFail, `${why}: accepted`)
      const out = readFileSync(output)
      assert.ok(WebAssembly.validate(out), `${why}: accepted, but the output does not validate`)
      assert.ok(out.length <= input.length, `${why}: output grew`)
      if (mustPass) assert.ok(out.length < 100, `${why}: the debug sections should all be gone`)
      return
    }
    failed++
    assert.equal(status, 1, `${why}: exit ${status}, stderr: ${stderr}`)
    const match = new RegExp(`^wasm-squeeze: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (.+) \\(at offset 0x([0-9a-f]+)\\)\\n$`).exec(stderr)
    assert.ok(match, `${why}: stderr should be one line naming the file and offset, got: ${stderr}`)
    assert.ok(parseInt(match[2], 16) <= input.length, `${why}: offset past the end of the input`)
    assert.equal(existsSync(output), false, `${why}: wrote an output`)
  })
  // Most of the table must actually be rejected (a flip in a function body usually is).
  assert.ok(failed >= cases.filter((c) => c.mustFail).length + 20, `only ${failed} rejected`)
})

/** The inputs a Vite build gets: every crafted case, plus damaged real modules. */
function buildInputs() {
  const inputs = Object.entries(CRAFTED).map(([why, input], i) => ({ why, input, name: `crafted-${i}.wasm` }))
  const cut = codeBodyCuts(REAL)[4]
  inputs.push({ why: 'onig.wasm cut inside a code body', input: REAL.subarray(0, cut), name: 'cut.wasm' })
  const flip = flipped(REAL, 24, 7).find((b) => !WebAssembly.validate(b))
  inputs.push({ why: 'onig.wasm with flipped bytes', input: flip, name: 'flipped.wasm' })
  return inputs
}

async function project(inputs) {
  const { dir, remove } = await tempDir('bad-input')
  await mkdir(path.join(dir, 'src'))
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/src/main.js"></script>')
  // Half by URL, half through the `?init` glue: both paths must ship the bytes as they are.
  const main = inputs
    .map(({ name }, i) => `import w${i} from './${name}?${i % 2 ? 'init' : 'url'}'\nconsole.log(w${i})`)
    .join('\n')
  await writeFile(path.join(dir, 'src/main.js'), main)
  for (const { name, input } of inputs) await writeFile(path.join(dir, 'src', name), input)
  return { dir, remove }
}


test('a Vite build warns once per bad wasm, naming it and the offset, and ships each byte for byte', async (t) => {
  const inputs = buildInputs()
  const { dir, remove } = await project(inputs)
  t.after(remove)
  const { logger, warnings } = capturingLogger()
  await build({ root: dir, configFile: false, customLogger: logger, plugins: [wasmSqueeze()], build: { outDir: path.join(dir, 'dist') } })
  const shipped = (await readTree(path.join(dir, 'dist'))).filter((f) => f.name.endsWith('.wasm'))
  for (const { why, name, input } of inputs) {
    const warning = warnings.filter((w) => w.includes(`src/${name}: `))
    assert.equal(warning.length, 1, `${why}: expected one warning naming src/${name}, got:\n${warnings.join('\n')}`)
    assert.match(warning[0], /\(at offset 0x[0-9a-f]+\); shipping the original bytes/, why)
    const base = name.replace(/\.wasm$/, '')
    const file = shipped.find((f) => path.basename(f.name).startsWith(`${base}-`))
    assert.ok(file, `${why}: ${name} was not emitted`)
    assert.deepEqual(file.bytes, input, `${why}: the shipped bytes differ from the original`)
  }
})

test('with strict: true the same build fails, naming a bad file and its offset', async (t) => {
  const { dir, remove } = await project(buildInputs())
  t.after(remove)
  await assert.rejects(
    build({ root: dir, configFile: false, customLogger: capturingLogger().logger, plugins: [wasmSqueeze({ strict: true })], build: { outDir: path.join(dir, 'dist') } }),
    (err) => {
      assert.match(err.message, /src\/(crafted-\d+|cut|flipped)\.wasm: .*\(at offset 0x[0-9a-f]+\)/)
      return true
    },
  )
})
