// The compression pipeline in real Vite 8 and Vite 7 builds of test/fixtures/vite-app:
// every sibling decodes to exactly its source with an independent decoder, the
// bundle's other assets are compressed on request, the persistent cache makes a
// warm build recompress nothing, and a corrupted, truncated or unusable cache never
// breaks a build or its output.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build as buildVite8 } from 'vite'
import { build as buildVite7 } from 'vite7'
import wasmSqueeze from '../js/plugin.js'
import { compileExampleWasm, tempDir } from './helpers/example.js'
import { DECODERS, buildWithPlugin, siblingsOf } from './helpers/compress-build.js'
import { BROWSER_MAX_WINDOW, zstdWindowSize } from './helpers/zstd.js'

const FORMATS = 3 // brotli and gzip by default, zstd opted into below
const EXPECTED_FILES = ['assets/checksum-', 'assets/index-', 'assets/math-', 'index.html']

/** Every compression cache entry file under `dir` (the optimizer's sit in `optimize/`, the sources' hashes in `inputs/`). */
async function cacheEntries(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name))
  return files.filter((f) => !/^(optimize|inputs)$/.test(path.relative(dir, f).split(path.sep)[0])).sort()
}

before(() => compileExampleWasm())

for (const [label, build] of [['Vite 8', buildVite8], ['Vite 7', buildVite7]]) {
  describe(`compression in a ${label} build`, () => {
    let work
    let cold
    let report
    const options = () => ({ compress: { assets: true, zstd: true }, cache: path.join(work.dir, 'cache'), report: path.join(work.dir, 'report.json') })

    before(async () => {
      work = await tempDir(`compress-${label.replace(' ', '')}`)
      cold = await buildWithPlugin(build, path.join(work.dir, 'cold'), options())
      report = JSON.parse(await readFile(path.join(work.dir, 'report.json'), 'utf8'))
    })
    after(() => work?.remove())

    test('every sibling decodes to exactly its source; zstd windows stay within 8 MiB', () => {
      const pairs = siblingsOf(cold.files)
      assert.ok(pairs.length >= 8, `${pairs.length} siblings`)
      for (const { sibling, extension, source } of pairs) {
        assert.ok(source, `${sibling.name} sits beside its source`)
        assert.ok(DECODERS[extension](sibling.bytes).equals(source.bytes), `${sibling.name} decodes to ${source.name}`)
        assert.ok(sibling.bytes.length <= source.bytes.length * 0.95, `${sibling.name} is at most minRatio of its source`)
        if (extension === '.zst') assert.ok(zstdWindowSize(sibling.bytes) <= BROWSER_MAX_WINDOW)
      }
      for (const wasm of cold.files.filter((f) => f.name.endsWith('.wasm'))) {
        for (const ext of ['.br', '.zst']) assert.ok(cold.files.some((f) => f.name === wasm.name + ext), `${wasm.name}${ext}`)
      }
      assert.deepEqual(cold.warnings, [])
    })

    test('compress.assets also compresses the JS chunk and index.html, keeping the originals', () => {
      const compressed = report.files.map((f) => f.emitted).sort()
      assert.equal(compressed.length, EXPECTED_FILES.length, compressed.join(', '))
      EXPECTED_FILES.forEach((prefix, i) => assert.ok(compressed[i].startsWith(prefix), `${compressed[i]} starts with ${prefix}`))
      for (const name of compressed) {
        assert.ok(cold.files.some((f) => f.name === name), `the original ${name} is kept`)
        assert.ok(cold.files.some((f) => f.name === `${name}.br`), `${name}.br`)
      }
      const html = cold.files.find((f) => f.name === 'index.html')
      assert.match(html.bytes.toString(), /<script type="module"[^>]*src="\/assets\/index-/, 'the final index.html was compressed')
    })

    test('the JSON report lists each sibling with its size, and skipped ones with theirs', () => {
      for (const entry of report.files) {
        for (const key of ['br', 'zst', 'gz']) {
          const sibling = cold.files.find((f) => f.name === `${entry.emitted}.${key}`)
          if (entry[key] != null) assert.equal(entry[key], sibling?.bytes.length, `${entry.emitted}.${key}`)
          else {
            assert.equal(sibling, undefined, `${entry.emitted}.${key} not emitted`)
            assert.ok(entry.skipped[key] > entry.optimized * 0.95, `${entry.emitted}.${key} skipped because it did not pay`)
          }
        }
        assert.deepEqual(entry.cache, { hits: 0, misses: FORMATS })
      }
      assert.equal(report.cache.enabled, true)
      assert.equal(report.cache.misses, report.files.length * FORMATS)
    })

    test('a warm build recompresses nothing and writes the same bytes', async () => {
      const warm = await buildWithPlugin(build, path.join(work.dir, 'warm'), options())
      const warmReport = JSON.parse(await readFile(path.join(work.dir, 'report.json'), 'utf8'))
      assert.equal(warmReport.cache.hits, EXPECTED_FILES.length * FORMATS)
      assert.equal(warmReport.cache.misses, 0)
      // The optimizer ran for each wasm cold, and not at all warm: no native work.
      assert.ok(report.optimize.misses >= 1 && report.optimize.hits === 0, JSON.stringify(report.optimize))
      assert.deepEqual(warmReport.optimize, { hits: report.optimize.misses, misses: 0, corrupt: 0 })
      assert.deepEqual(warm.files.map((f) => f.name), cold.files.map((f) => f.name))
      warm.files.forEach((f, i) => assert.ok(f.bytes.equals(cold.files[i].bytes), `${f.name} is byte-identical`))
    })

    test('corrupted and truncated cache entries are detected, rebuilt, and never shipped', async () => {
      const entries = await cacheEntries(path.join(work.dir, 'cache'))
      assert.equal(entries.length, EXPECTED_FILES.length * FORMATS, 'one entry per output')
      const [flipped, truncated] = entries
      const bytes = await readFile(flipped)
      bytes[bytes.length - 1] ^= 0xff
      await writeFile(flipped, bytes)
      await writeFile(truncated, (await readFile(truncated)).subarray(0, 20))

      const rebuilt = await buildWithPlugin(build, path.join(work.dir, 'rebuilt'), options())
      const rebuiltReport = JSON.parse(await readFile(path.join(work.dir, 'report.json'), 'utf8'))
      assert.equal(rebuiltReport.cache.corrupt, 2)
      assert.equal(rebuiltReport.cache.misses, 2)
      assert.equal(rebuiltReport.cache.hits, entries.length - 2)
      rebuilt.files.forEach((f, i) => assert.ok(f.bytes.equals(cold.files[i].bytes), `${f.name} is byte-identical`))

      await buildWithPlugin(build, path.join(work.dir, 'again'), options())
      const againReport = JSON.parse(await readFile(path.join(work.dir, 'report.json'), 'utf8'))
      assert.deepEqual([againReport.cache.hits, againReport.cache.corrupt], [entries.length, 0], 'the bad entries were rewritten')
    })
  })
}

describe('compression options', () => {
  let work
  before(async () => {
    work = await tempDir('compress-options')
  })
  after(() => work?.remove())

  test('formats and levels are options; compress: false emits no sibling', async () => {
    const some = await buildWithPlugin(buildVite8, path.join(work.dir, 'some'), { compress: { brotli: false, zstd: 3, gzip: 1, minRatio: 1 }, cache: false })
    const extensions = new Set(siblingsOf(some.files).map((p) => p.extension))
    assert.deepEqual([...extensions].sort(), ['.gz', '.zst'])
    // The default: br + gz, and no .zst (opt-in: browsers that take zstd take br).
    const defaults = await buildWithPlugin(buildVite8, path.join(work.dir, 'defaults'), { cache: false })
    const math = defaults.files.find((f) => /^assets\/math-.*\.wasm$/.test(f.name)).name
    assert.deepEqual(defaults.files.filter((f) => f.name.startsWith(`${math}.`)).map((f) => f.name.slice(math.length)).sort(), ['.br', '.gz'])
    assert.deepEqual(defaults.files.filter((f) => f.name.endsWith('.zst')), [])
    const none = await buildWithPlugin(buildVite8, path.join(work.dir, 'none'), { compress: false })
    assert.deepEqual(siblingsOf(none.files), [])
  })

  test('bad compress options fail early, naming the option', () => {
    assert.throws(() => wasmSqueeze({ compress: { brotli: 12 } }), /compress\.brotli/)
    assert.throws(() => wasmSqueeze({ compress: { minRatio: 0 } }), /compress\.minRatio/)
    assert.throws(() => wasmSqueeze({ compress: { assets: { threshold: -1 } } }), /compress\.assets\.threshold/)
    assert.throws(() => wasmSqueeze({ compress: { concurrency: 0 } }), /compress\.concurrency/)
  })

  test('a cache directory that cannot be created: one warning, the build succeeds', async () => {
    const blocker = path.join(work.dir, 'a-file')
    await writeFile(blocker, 'not a directory')
    const { warnings, files } = await buildWithPlugin(buildVite8, path.join(work.dir, 'uncreatable'), {
      compress: { assets: true, zstd: true },
      cache: path.join(blocker, 'cache'),
    })
    assert.equal(warnings.filter((w) => /compression cache/.test(w)).length, 1, warnings.join('\n'))
    assert.equal(warnings.length, 1, warnings.join('\n'))
    assert.ok(siblingsOf(files).length >= 8, 'siblings are still emitted')
  })

  test('a read-only cache directory: one warning, the build succeeds', async (t) => {
    // Root writes through permission bits: as root, the build runs as `nobody`,
    // which needs to read this checkout.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
    const canRead = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(fileURLToPath(import.meta.url))})`], asNobody)
    if (canRead.status !== 0) return t.skip('as root, and user nobody cannot read this checkout to run the build')
    const readonly = path.join(work.dir, 'readonly')
    const outDir = path.join(work.dir, 'readonly-out')
    await mkdir(readonly)
    await mkdir(outDir)
    await chmod(readonly, 0o555)
    await chmod(work.dir, 0o777)
    await chmod(outDir, 0o777)
    const child = spawnSync(
      process.execPath,
      [fileURLToPath(new URL('./helpers/build-child.js', import.meta.url)), outDir, JSON.stringify({ compress: { assets: true, zstd: true }, cache: readonly })],
      { encoding: 'utf8', ...asNobody, env: { ...process.env, HOME: work.dir } },
    )
    assert.equal(child.status, 0, child.stderr)
    const { warnings, siblings } = JSON.parse(child.stdout.trim().split('\n').pop())
    assert.equal(warnings.length, 1, warnings.join('\n'))
    assert.match(warnings[0], /compression cache .* is not usable \((EACCES|EROFS|EPERM)\)/)
    assert.ok(siblings.length >= 8, 'siblings are still emitted')
    assert.deepEqual(await readdir(readonly), [], 'nothing was written into the read-only cache')
  })
})
