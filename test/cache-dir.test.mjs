// The cache's home and size: the user's cache directory per platform, the `cache`
// option checked at config time, least-recently-used eviction under a cap, and the
// optimizer's entries (same integrity rules as the compressed ones).
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { DEFAULT_CACHE_MAX_BYTES, evictToFit, optimizeStoreDir, userCacheDir } from '../js/compress/cache-dir.js'
import { normalizeCacheOption } from '../js/options.js'
import { openCompressCache } from '../js/compress/cache.js'
import { createOptimizeCache, decodeValue, encodeValue } from '../js/optimize-cache.js'
import { tempDir } from './helpers/example.js'
import { TEMP_CACHE_HOME } from './helpers/temp-cache.js'
import wasmSqueeze from '../js/plugin.js'

test('the default cache directory is the user\'s, per platform', () => {
  assert.equal(userCacheDir({ env: { XDG_CACHE_HOME: '/x/cache' }, platform: 'linux', home: '/home/u' }), '/x/cache/wasm-squeeze')
  assert.equal(userCacheDir({ env: {}, platform: 'linux', home: '/home/u' }), '/home/u/.cache/wasm-squeeze')
  assert.equal(userCacheDir({ env: { XDG_CACHE_HOME: 'relative' }, platform: 'linux', home: '/home/u' }), '/home/u/.cache/wasm-squeeze', 'a relative XDG_CACHE_HOME is ignored, as the spec says')
  assert.equal(userCacheDir({ env: {}, platform: 'darwin', home: '/Users/u' }), '/Users/u/Library/Caches/wasm-squeeze')
  assert.equal(userCacheDir({ env: { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, platform: 'win32', home: 'C:\\Users\\u' }), 'C:\\Users\\u\\AppData\\Local\\wasm-squeeze')
  assert.equal(userCacheDir(), path.join(TEMP_CACHE_HOME, 'wasm-squeeze'), 'tests never touch the real home cache')
})

test('the cache option: false, a directory, or { dir, maxBytes }; bad values fail at config time', () => {
  assert.equal(normalizeCacheOption(false), false)
  assert.deepEqual(normalizeCacheOption(undefined), { dir: undefined, maxBytes: DEFAULT_CACHE_MAX_BYTES })
  assert.deepEqual(normalizeCacheOption('.cache/x'), { dir: '.cache/x', maxBytes: DEFAULT_CACHE_MAX_BYTES })
  assert.deepEqual(normalizeCacheOption({ maxBytes: 5e8 }), { dir: undefined, maxBytes: 5e8 })
  assert.throws(() => wasmSqueeze({ cache: { maxBytes: -1 } }), /`cache\.maxBytes` must be a non-negative number/)
  assert.throws(() => wasmSqueeze({ cache: { max: 1 } }), /unknown option `cache\.max`; known options: dir, maxBytes/)
  assert.throws(() => wasmSqueeze({ cache: 3 }), /`cache` must be a directory, an object or false/)
})

test('eviction drops the least recently used entries until the cache fits, in both stores', async () => {
  const work = await tempDir('evict')
  try {
    const put = async (store, key, bytes, mtime) => {
      const file = path.join(store, key.slice(0, 2), key)
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, Buffer.alloc(bytes))
      await utimes(file, mtime, mtime)
      return file
    }
    const dir = work.dir
    await put(dir, 'aa01', 100, 1000) // oldest
    await put(optimizeStoreDir(dir), 'bb02', 100, 2000)
    await put(dir, 'cc03', 100, 3000)
    await writeFile(path.join(dir, 'aa', 'aa04.123.tmp'), Buffer.alloc(500)) // a write under way
    const result = await evictToFit(dir, 250)
    assert.deepEqual({ ...result }, { entries: 3, bytes: 200, evicted: 1, evictedBytes: 100 })
    assert.deepEqual((await readdir(path.join(dir, 'aa'))).sort(), ['aa04.123.tmp'])
    // A hit marks an entry used: read the optimize one through the store, then evict again.
    const store = openCompressCache(dir)
    await store.set('dd05', Buffer.from('x'))
    await utimes(path.join(dir, 'dd', 'dd05'), 500, 500) // written long ago...
    assert.ok(await store.get('dd05')) // ...and used just now
    const again = await evictToFit(dir, 60)
    assert.equal(again.evicted, 2, 'the two older entries went, the one just used stayed')
    assert.ok(await store.get('dd05'))
  } finally {
    await work.remove()
  }
})

test('optimizer entries: values with Buffers round-trip; a corrupted entry is recomputed, never used', async () => {
  const value = { result: { wasm: Buffer.from([0, 97, 115, 109]), report: { steps: [] }, sidecar: { data: Buffer.from('abc'), placements: [{ offset: 1 }] } }, n: 1 }
  const back = decodeValue(encodeValue(value))
  assert.ok(back.result.wasm.equals(value.result.wasm) && back.result.sidecar.data.equals(value.result.sidecar.data))
  assert.deepEqual(back.result.sidecar.placements, [{ offset: 1 }])

  const work = await tempDir('optimize-cache')
  try {
    const wasm = Buffer.from('0061736d01000000010401600000030201000a040102000b', 'hex') // one empty function
    const first = createOptimizeCache(openCompressCache(work.dir))
    const cold = await first.optimize(wasm, { dce: true }, 'm.wasm')
    assert.deepEqual([first.stats.hits, first.stats.misses], [0, 1])
    const warmCache = createOptimizeCache(openCompressCache(work.dir))
    const warm = await warmCache.optimize(wasm, { dce: true }, 'm.wasm')
    assert.deepEqual([warmCache.stats.hits, warmCache.stats.misses], [1, 0])
    assert.ok(warm.result.wasm.equals(cold.result.wasm))
    assert.deepEqual(warm.info, cold.info)
    const other = await warmCache.optimize(wasm, { dce: false }, 'm.wasm')
    assert.equal(warmCache.stats.misses, 1, 'other options, other entry')
    assert.ok(other.result.wasm)

    for (const shard of (await readdir(work.dir)).filter((d) => /^[0-9a-f]{2}$/.test(d))) {
      for (const name of await readdir(path.join(work.dir, shard))) {
        const file = path.join(work.dir, shard, name)
        const bytes = await readFile(file)
        bytes[bytes.length - 1] ^= 0xff
        await writeFile(file, bytes)
      }
    }
    const third = createOptimizeCache(openCompressCache(work.dir))
    const recomputed = await third.optimize(wasm, { dce: true }, 'm.wasm')
    assert.deepEqual([third.stats.corrupt, third.stats.hits, third.stats.misses], [1, 0, 1])
    assert.ok(recomputed.result.wasm.equals(cold.result.wasm))
  } finally {
    await work.remove()
  }
})
