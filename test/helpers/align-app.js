// A module for the align-to-previous tests: many small functions that call each
// other, so call instructions (which name functions by index) are much of the code.
// Each release inserts new functions ahead of the old ones and moves a few, the way a
// real release renumbers most of a module: without alignment nearly every call
// changes bytes, with it they stay as they were.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { wat } from './wat.js'

export const LEAVES = 160
const MIDS = 160

/** Seeded constants, so every build of a version is the same module. */
function constants(seed, count) {
  let state = seed
  return Array.from({ length: count }, () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return state | 0
  })
}

const leaf = (name, [a, b, c]) =>
  `  (func ${name} (param i32) (result i32)
    (i32.rotl (i32.xor (i32.mul (local.get 0) (i32.const ${a})) (i32.const ${b})) (i32.const ${c & 31})))`

/**
 * The module of `version` (1, 2, …) in the text format. Version n has n - 1 times
 * four leaves more than version 1, defined first, and its mids in another order.
 * `reversed`: the same functions with the mids defined in reverse, as another build
 * of the same source might lay them out.
 * @param {number} version
 */
export function alignWat(version, { reversed = false } = {}) {
  const k = constants(0x9e37_79b9, LEAVES * 3 + MIDS * 4)
  const leaves = Array.from({ length: LEAVES }, (_, i) => leaf(`$leaf${i}`, k.slice(i * 3, i * 3 + 3)))
  const added = Array.from({ length: (version - 1) * 4 }, (_, i) => leaf(`$new${i}`, constants(version * 1000 + i + 1, 3)))
  const mids = Array.from({ length: MIDS }, (_, i) => {
    // Mid i calls leaf i among others: every leaf is used, so none is removed as unused.
    const [q, r, s] = k.slice(LEAVES * 3 + i * 4, LEAVES * 3 + i * 4 + 3).map((n) => (n >>> 0) % LEAVES)
    const p = i % LEAVES
    // From version 2 on, a few mids also call a new leaf: changed code, as in a real release.
    const extra = version > 1 && i % 40 === 0 ? `(call $new${(i / 40) % added.length} (local.get 0))` : '(i32.const 0)'
    return `  (func $mid${i} (param i32) (result i32)
    (i32.add (i32.add (call $leaf${p} (local.get 0)) (call $leaf${q} (i32.add (local.get 0) (i32.const ${i}))))
      (i32.add (i32.xor (call $leaf${r} (local.get 0)) (call $leaf${s} (i32.const ${i * 7}))) ${extra})))`
  })
  // Each release moves some mids: the optimizer keeps the source's order, so
  // without alignment they change places in the code section too.
  const order = mids.map((_, i) => i)
  for (let i = 0; i + 1 < order.length && version > 1; i += 17) [order[i], order[i + 1]] = [order[i + 1], order[i]]
  if (reversed) order.reverse()
  const calls = order.map((i) => `(call $mid${i} (local.get 0))`)
  let sum = '(i32.const 0)'
  for (const call of calls) sum = `(i32.add ${sum} ${call})`
  return `(module
${added.join('\n')}
${leaves.join('\n')}
${order.map((i) => mids[i]).join('\n')}
  (func (export "run") (param i32) (result i32) ${sum})
  (func (export "version") (result i32) i32.const ${version}))`
}

/** The module of `version` in binary. */
export const alignWasm = (version, options) => wat(alignWat(version, options))

/** Arguments the tests call `run` with: the same results, original against shipped. */
export const RUN_ARGUMENTS = [0, 1, 7, 0x1234_5678, -1, 2 ** 31 - 1]

/** Writes an app importing the module of `version` into `dir` (index.html, main.js, app.wasm). */
export async function writeAlignApp(dir, version, options) {
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'app.wasm'), alignWasm(version, options))
  await writeFile(path.join(dir, 'main.js'), `import { run, version } from './app.wasm'\ndocument.body.textContent = version() + ':' + run(7)\n`)
  await writeFile(path.join(dir, 'index.html'), `<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n`)
}
