// The compression cache and pool on their own: entries are framed and checked,
// concurrent writers and readers never see a partial entry, two Vite builds sharing
// one cache at once both come out right, and the pool keeps to its limits.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { brotliDecompressSync } from 'node:zlib'
import { after, before, test } from 'node:test'
import { build } from 'vite'
import { jsonReport } from '../js/compress/json-report.js'
import { cacheKey, decodeEntry, encodeEntry, openCompressCache, sha256, toolId } from '../js/compress/cache.js'
import { createCompressPool, estimateJobMemory } from '../js/compress/pool.js'
import { compileExampleWasm, tempDir } from './helpers/example.js'
import { buildWithPlugin } from './helpers/compress-build.js'

let work
before(async () => {
  work = await tempDir('cache')
})
after(() => work?.remove())

test('entries are framed with the hash of their payload; any damage reads as a miss', () => {
  const payload = Buffer.from('compressed bytes '.repeat(100))
  const entry = encodeEntry(payload)
  assert.ok(decodeEntry(entry).equals(payload))
  for (let cut = 0; cut < entry.length; cut += 97) assert.equal(decodeEntry(entry.subarray(0, cut)), null, `cut at ${cut}`)
  for (const at of [0, 10, 40, entry.length - 1]) {
    const damaged = Buffer.from(entry)
    damaged[at] ^= 1
    assert.equal(decodeEntry(damaged), null, `a flipped bit at ${at}`)
  }
})

test('the key changes with the input, the format, the level and the tool', () => {
  const input = sha256(Buffer.from('wasm'))
  const key = cacheKey(input, 'brotli', 11)
  assert.match(toolId(), /^wasm-squeeze@\d+\.\d+\.\d+.*\+[0-9a-f]{16}$/, 'the tool id names the native addon by hash')
  assert.notEqual(cacheKey(sha256(Buffer.from('wasm2')), 'brotli', 11), key)
  assert.notEqual(cacheKey(input, 'zstd', 11), key)
  assert.notEqual(cacheKey(input, 'brotli', 10), key)
  assert.notEqual(cacheKey(input, 'brotli', 11, 'wasm-squeeze@9.9.9+0000'), key)
  assert.equal(cacheKey(input, 'brotli', 11), key)
})

test('concurrent writers and readers of one key never see a partial entry', async () => {
  const dir = path.join(work.dir, 'race')
  const caches = Array.from({ length: 4 }, () => openCompressCache(dir))
  const payload = Buffer.alloc(4 << 20, 7)
  const key = 'ab'.repeat(32)
  const seen = { whole: 0, none: 0 }
  const readers = caches.map(async (cache) => {
    for (let i = 0; i < 40; i++) {
      const got = await cache.get(key)
      if (got) {
        assert.ok(got.equals(payload), 'a read gives the whole payload or nothing')
        seen.whole++
      } else seen.none++
    }
  })
  const writers = caches.flatMap((cache) => [cache.set(key, payload), cache.set(key, payload)])
  await Promise.all([...readers, ...writers])
  assert.ok(caches.every((c) => c.stats.corrupt === 0 && !c.stats.disabled))
  const files = await readdir(path.join(dir, 'ab'))
  assert.deepEqual(files, [key], 'no temp file left behind')
  assert.ok((await caches[0].get(key)).equals(payload))
})

test('two builds sharing one cache at once both succeed with the same bytes', async () => {
  await compileExampleWasm()
  const options = { compress: { assets: true }, cache: path.join(work.dir, 'shared') }
  const [a, b] = await Promise.all([
    buildWithPlugin(build, path.join(work.dir, 'a'), options),
    buildWithPlugin(build, path.join(work.dir, 'b'), options),
  ])
  assert.deepEqual(a.files.map((f) => f.name), b.files.map((f) => f.name))
  a.files.forEach((f, i) => assert.ok(f.bytes.equals(b.files[i].bytes), `${f.name} is the same in both`))
  // Every file but the sources' hash records (inputs/, plain JSON) is a framed entry.
  const entries = (await readdir(options.cache, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && path.basename(e.parentPath ?? e.path) !== 'inputs')
  assert.ok(entries.length >= 8, `${entries.length} entries`) // 4 files × br, gz
  for (const entry of entries) {
    assert.doesNotMatch(entry.name, /\.tmp$/, 'no temp file left behind')
    assert.ok(decodeEntry(await readFile(path.join(entry.parentPath ?? entry.path, entry.name))), `${entry.name} is whole`)
  }
})

test('the pool keeps to its concurrency and memory budget, and compresses right', async () => {
  const input = Buffer.from('(module (func (export "f") (result i32) i32.const 42))\n'.repeat(2000))
  const budget = estimateJobMemory('brotli', 11, input.length) * 1.5 // room for one brotli job, not two
  const pool = createCompressPool({ concurrency: 3, memoryBudget: budget })
  const outputs = await Promise.all(Array.from({ length: 4 }, () => pool.run(input, 'brotli', 11)))
  for (const out of outputs) assert.ok(brotliDecompressSync(out).equals(input))
  assert.equal(pool.stats.jobs, 4)
  assert.equal(pool.stats.peakRunning, 1, 'two brotli jobs would exceed the budget')
  assert.ok(pool.stats.peakMemory <= budget)
  // One at a time (the budget), in three slots: a third of them filled while jobs ran.
  const { pool: report } = jsonReport([], { pool: { ...pool.stats, concurrency: 3 } })
  assert.deepEqual(report.finished.map((job) => [job.format, job.level, job.bytes]), Array(4).fill(['brotli', 11, input.length]))
  assert.ok(Math.abs(report.busyMs - report.finished.reduce((sum, job) => sum + job.ms, 0)) < 1, 'busy time is the jobs\' run times')
  assert.ok(report.occupancy > 0.3 && report.occupancy <= 1 / 3 + 1e-9, `occupancy ${report.occupancy}`)

  const wide = createCompressPool({ concurrency: 2, memoryBudget: 2 ** 40 })
  await Promise.all(['brotli', 'zstd', 'gzip', 'gzip', 'zstd'].map((format) => wide.run(input, format, { brotli: 5, zstd: 3, gzip: 6 }[format])))
  assert.equal(wide.stats.peakRunning, 2)
  assert.equal(wide.stats.running, 0)
  assert.equal(wide.stats.memory, 0)
})
