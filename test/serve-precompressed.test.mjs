// `vite preview` with the plugin serves the precompressed siblings the build
// emitted: the right one for each Accept-Encoding, with the original Content-Type
// and Vary; HEAD and Range requests behave; Chromium receives br and zstd and
// instantiates the wasm from them.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { build, preview } from 'vite'
import wasmSqueeze from '../js/plugin.js'
import { chooseCoding, parseAcceptEncoding, precompressedMiddleware } from '../js/compress/serve-precompressed.js'
import { withPage } from './helpers/browser.js'
import { fetchRaw } from './helpers/fetch-raw.js'
import { EXAMPLE_ROOT, compileExampleWasm, expectedResult, loadExample, tempDir, wasmTransfers } from './helpers/example.js'
import { buildWithPlugin } from './helpers/compress-build.js'

test('Accept-Encoding parsing: q-values, q=0 refusals and *', () => {
  const q = parseAcceptEncoding('gzip;q=0.8, br;q=0, *;q=0.1')
  assert.deepEqual([q('gzip'), q('br'), q('zstd'), q('identity')], [0.8, 0, 0.1, 0.1])
  const all = ['br', 'zstd', 'gzip']
  assert.equal(chooseCoding('gzip, deflate, br, zstd', all).token, 'br', 'ties go to the smallest coding')
  assert.equal(chooseCoding('br;q=0.5, zstd', all).token, 'zstd')
  assert.equal(chooseCoding('br;q=0', all), null)
  assert.equal(chooseCoding('', all), null)
  assert.equal(chooseCoding('*', ['gzip']).token, 'gzip')
  assert.equal(chooseCoding('BR', all).token, 'br', 'codings are case-insensitive')
})

test('the middleware honours a base path and never serves outside its root', async () => {
  const work = await tempDir('serve-base')
  const served = (await import('node:http')).createServer((req, res) =>
    precompressedMiddleware(path.join(work.dir, 'dist'), { base: '/app/' })(req, res, () => {
      res.statusCode = 404
      res.end('fell through')
    }),
  )
  try {
    await mkdir(path.join(work.dir, 'dist'))
    await writeFile(path.join(work.dir, 'dist', 'x.wasm'), Buffer.alloc(100))
    await writeFile(path.join(work.dir, 'dist', 'x.wasm.br'), Buffer.from('br bytes'))
    await writeFile(path.join(work.dir, 'secret.wasm'), Buffer.alloc(100))
    await writeFile(path.join(work.dir, 'secret.wasm.br'), Buffer.from('secret'))
    await new Promise((resolve) => served.listen(0, '127.0.0.1', resolve))
    const url = (p) => `http://127.0.0.1:${served.address().port}${p}`
    const hit = await fetchRaw(url('/app/x.wasm'), { headers: { 'accept-encoding': 'br' } })
    assert.equal(hit.headers['content-encoding'], 'br')
    assert.equal(hit.body.toString(), 'br bytes')
    const escape = await fetchRaw(url('/app/..%2fsecret.wasm'), { headers: { 'accept-encoding': 'br' } })
    assert.equal(escape.status, 404, 'a path outside the root falls through')
    const malformed = await fetchRaw(url('/app/%E0%A4%A'), { headers: { 'accept-encoding': 'br' } })
    assert.equal(malformed.status, 404, 'a malformed URL falls through')
  } finally {
    served.close()
    await work.remove()
  }
})

describe('vite preview serves precompressed siblings', () => {
  let work
  let files
  let server
  let base
  let wasm
  const file = (name) => files.find((f) => f.name === name)

  before(async () => {
    await compileExampleWasm()
    work = await tempDir('preview')
    const outDir = path.join(work.dir, 'dist')
    ;({ files } = await buildWithPlugin(build, outDir, { compress: { assets: true, zstd: true }, cache: false }))
    wasm = files.find((f) => /^assets\/math-.*\.wasm$/.test(f.name))
    assert.ok(file(`${wasm.name}.gz`), 'math.wasm has a .gz sibling')
    server = await preview({
      root: EXAMPLE_ROOT,
      configFile: false,
      logLevel: 'warn',
      plugins: [wasmSqueeze({ report: false })],
      build: { outDir },
      preview: { host: '127.0.0.1', port: 0, strictPort: false },
    })
    base = server.resolvedUrls.local[0]
  })
  after(async () => {
    await server?.close()
    await work?.remove()
  })

  const get = (name, headers, method) => fetchRaw(new URL(name, base), { headers, method })

  for (const [acceptEncoding, coding, extension] of [
    ['br', 'br', '.br'],
    ['zstd', 'zstd', '.zst'],
    ['gzip', 'gzip', '.gz'],
    ['gzip, deflate, br, zstd', 'br', '.br'],
    ['br;q=0, zstd', 'zstd', '.zst'],
    ['br;q=0.5, gzip;q=1', 'gzip', '.gz'],
  ]) {
    test(`Accept-Encoding: ${acceptEncoding} → ${coding}`, async () => {
      const res = await get(wasm.name, { 'accept-encoding': acceptEncoding })
      assert.equal(res.status, 200)
      assert.equal(res.headers['content-encoding'], coding)
      assert.equal(res.headers['content-type'], 'application/wasm')
      assert.equal(res.headers.vary, 'Accept-Encoding')
      assert.equal(Number(res.headers['content-length']), file(wasm.name + extension).bytes.length)
      assert.ok(res.body.equals(file(wasm.name + extension).bytes), `the ${extension} file's bytes`)
    })
  }

  for (const acceptEncoding of ['identity', 'br;q=0', undefined]) {
    test(`Accept-Encoding: ${acceptEncoding ?? '(none)'} → the original`, async () => {
      const headers = acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}
      const res = await get(wasm.name, headers)
      assert.equal(res.status, 200)
      assert.equal(res.headers['content-encoding'], undefined)
      assert.match(res.headers['content-type'], /^application\/wasm/)
      assert.match(res.headers.vary ?? '', /Accept-Encoding/)
      assert.ok(res.body.equals(wasm.bytes), 'the original bytes')
    })
  }

  test('HEAD: the headers of the GET, no body', async () => {
    const res = await get(wasm.name, { 'accept-encoding': 'br' }, 'HEAD')
    assert.equal(res.status, 200)
    assert.equal(res.headers['content-encoding'], 'br')
    assert.equal(res.headers['content-type'], 'application/wasm')
    assert.equal(Number(res.headers['content-length']), file(`${wasm.name}.br`).bytes.length)
    assert.equal(res.body.length, 0)
  })

  test('Range: answered from the original, identity-encoded', async () => {
    const res = await get(wasm.name, { 'accept-encoding': 'br, zstd', range: 'bytes=0-7' })
    assert.equal(res.status, 206)
    assert.equal(res.headers['content-encoding'], undefined)
    assert.match(res.headers.vary ?? '', /Accept-Encoding/)
    assert.ok(res.body.equals(wasm.bytes.subarray(0, 8)), 'the first 8 bytes of the wasm')
  })

  test('other assets keep their own Content-Type', async () => {
    const js = files.find((f) => /^assets\/index-.*\.js$/.test(f.name))
    const res = await get(js.name, { 'accept-encoding': 'br' })
    assert.equal(res.headers['content-encoding'], 'br')
    assert.match(res.headers['content-type'], /^text\/javascript/)
    const html = await get('/', { 'accept-encoding': 'zstd' })
    assert.equal(html.headers['content-encoding'], 'zstd')
    assert.match(html.headers['content-type'], /^text\/html/)
    assert.ok(html.body.equals(file('index.html.zst').bytes))
  })

  test('a file without siblings falls through to Vite untouched', async () => {
    const res = await get('/no-such-file.wasm', { 'accept-encoding': 'br' })
    assert.equal(res.headers['content-encoding'], undefined)
  })

  for (const coding of ['br', 'zstd']) {
    test(`Chromium fetches the wasm with ${coding} from vite preview and instantiates it`, async () => {
      const wasmNames = files.filter((f) => f.name.endsWith('.wasm')).map((f) => f.name)
      await withPage(async (page, log) => {
        const seen = []
        page.on('response', async (response) => {
          if (new URL(response.url()).pathname.endsWith('.wasm')) seen.push({ url: response.url(), headers: await response.allHeaders() })
        })
        // Chromium offers "gzip, deflate, br, zstd"; ask for one coding only to pin the sibling.
        await page.setExtraHTTPHeaders({ 'Accept-Encoding': coding })
        const { mathUrl, ...computed } = await loadExample(page, base, log)
        assert.deepEqual(computed, expectedResult())
        assert.deepEqual(log.errors, [])
        const transfers = await wasmTransfers(page, wasmNames.length)
        for (const { file: pathname, encodedBodySize, decodedBodySize } of transfers) {
          const name = pathname.slice(1)
          const extension = coding === 'br' ? '.br' : '.zst'
          assert.equal(decodedBodySize, file(name).bytes.length, `${name} decoded size`)
          assert.equal(encodedBodySize, file(name + extension).bytes.length, `${name}: the ${extension} bytes went on the wire`)
        }
        assert.equal(seen.length, wasmNames.length)
        for (const { url, headers } of seen) assert.equal(headers['content-encoding'], coding, url)
      })
    })
  }
})
