// Byte-identical output, whatever the thread pool: the same inputs are transformed and
// compressed, all at once, in child processes with UV_THREADPOOL_SIZE 1 and 8 (and the
// 8 twice), and every output's hash must match across them and with the Sync calls.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { wat } from './helpers/wat.js'

const require = createRequire(import.meta.url)

/** A module every pass changes: unused functions, a name section, scattered data. */
function synthetic() {
  const funcs = Array.from({ length: 300 }, (_, i) =>
    `(func $f${i} ${i % 3 ? '' : `(export "f${i}")`} (param i32) (result i32) local.get 0 i32.const ${i * 7919} i32.add)`)
  const data = Array.from({ length: 3000 }, (_, i) => `(data (i32.const ${i * 9}) "seg${String(i % 1000).padStart(3, '0')}")`)
  return wat(`(module (memory 1) ${funcs.join(' ')} ${data.join(' ')})`, { names: true })
}

const dir = mkdtempSync(path.join(tmpdir(), 'wasm-squeeze-determinism-'))
writeFileSync(path.join(dir, 'synthetic.wasm'), synthetic())
writeFileSync(path.join(dir, 'onig.wasm'), readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')))

const CHILD = `
  import { createHash } from 'node:crypto'
  import { readFileSync } from 'node:fs'
  import * as native from 'wasm-squeeze/native'
  const dir = ${JSON.stringify(dir)}
  const inputs = { synthetic: readFileSync(dir + '/synthetic.wasm'), onig: readFileSync(dir + '/onig.wasm') }
  const variants = {
    default: {},
    keepNamesNoDce: { dce: false, keepNames: true },
    noPackData: { packData: false, allowRawGrowth: true },
  }
  const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16)
  const jobs = []
  for (const [name, input] of Object.entries(inputs)) {
    for (const [variant, options] of Object.entries(variants)) {
      jobs.push(native.transform(input, options).then(async ({ wasm, report }) => {
        const sync = native.transformSync(input, options).wasm
        // Full levels where it is cheap, fast ones on the 470 KB module.
        const levels = name === 'synthetic' ? { brotli: 11, zstd: 19, gzip: 9 } : { brotli: 5, zstd: 9, gzip: 6 }
        const packed = await native.compress(wasm, levels)
        return [name + '/' + variant, {
          wasm: hash(wasm), sync: hash(sync), report: hash(JSON.stringify(report)),
          br: hash(packed.br), zst: hash(packed.zst), gz: hash(packed.gz),
        }]
      }))
    }
  }
  console.log(JSON.stringify(Object.fromEntries(await Promise.all(jobs))))
`

const run = promisify(execFile)
async function outputs(threads) {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, UV_THREADPOOL_SIZE: String(threads) },
    maxBuffer: 1 << 20,
  })
  return JSON.parse(stdout)
}

test('transform and compress give the same bytes with 1 and 8 pool threads, run after run', async () => {
  const one = await outputs(1)
  const eight = await outputs(8)
  const again = await outputs(8)
  assert.equal(Object.keys(one).length, 6)
  assert.deepEqual(eight, one, 'UV_THREADPOOL_SIZE 8 differs from 1')
  assert.deepEqual(again, eight, 'a second run differs from the first')
  for (const [job, hashes] of Object.entries(one)) assert.equal(hashes.sync, hashes.wasm, `${job}: transformSync differs`)
  // Every variant gives its own synthetic output, so equal hashes are not one output
  // compared with itself.
  const synthetic = ['default', 'keepNamesNoDce', 'noPackData'].map((v) => one[`synthetic/${v}`].wasm)
  assert.equal(new Set(synthetic).size, 3, `variants should differ: ${synthetic}`)
})
