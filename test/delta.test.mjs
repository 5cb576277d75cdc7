// Delta delivery without a browser: the negotiation rules, the option, the manifest,
// real builds against good and bad previous deploys, and the Node middleware's
// headers and refusals over real HTTP.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { cp, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { build, createLogger } from 'vite'
import wasmSqueeze from '../js/plugin.js'
import { deltaSync } from '../js/native.js'
import { normalizeDelta } from '../js/delta/build.js'
import { MANIFEST_FILE, parseManifest, sourceIdentity } from '../js/delta/manifest.js'
import { availableDictionaryHeader, chooseDelta, dictionaryMatch, parseAvailableDictionary } from '../js/delta/negotiate.js'
import { serveDist } from '../js/delta/serve-dist.js'
import { loadDeploy } from '../js/delta/previous.js'
import { appData, writeApp } from './helpers/delta-app.js'
import { fetchRaw } from './helpers/fetch-raw.js'

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')

test('Available-Dictionary: only an sf-binary of exactly 32 bytes names a dictionary', () => {
  const hex = sha256('x')
  assert.equal(parseAvailableDictionary(availableDictionaryHeader(hex)), hex)
  for (const garbage of [undefined, '', ':', '::', `:${Buffer.alloc(31).toString('base64')}:`, `:${Buffer.alloc(33).toString('base64')}:`, Buffer.from(hex, 'hex').toString('base64'), `:${'!'.repeat(43)}=:`, ['a', 'b'], `:${Buffer.from(hex, 'hex').toString('base64')}:, :x:`]) {
    assert.equal(parseAvailableDictionary(garbage), null, JSON.stringify(garbage))
  }
})

test('the delta sent: an accepted coding, the higher q, then the smaller body', () => {
  const both = [{ coding: 'dcb', size: 100 }, { coding: 'dcz', size: 90 }]
  assert.equal(chooseDelta('gzip, br, zstd, dcb, dcz', both).coding, 'dcz')
  assert.equal(chooseDelta('gzip, br, dcb', both).coding, 'dcb')
  assert.equal(chooseDelta('dcb;q=1, dcz;q=0.5', both).coding, 'dcb')
  assert.equal(chooseDelta('gzip, br', both), null)
  assert.equal(chooseDelta('dcb;q=0, dcz;q=0', both), null)
  assert.equal(chooseDelta(undefined, both), null)
})

test('Use-As-Dictionary match: every later hash of the same asset, under base', () => {
  assert.equal(dictionaryMatch('assets/app-B8xk3_9a.wasm', 'app.wasm'), '/assets/app-*.wasm')
  assert.equal(dictionaryMatch('assets/app-B8xk3_9a.wasm', 'app.wasm', '/shop/'), '/shop/assets/app-*.wasm')
  assert.equal(dictionaryMatch('assets/app-B8xk3_9a.wasm', 'app.wasm', '/shop'), '/shop/assets/app-*.wasm')
  assert.equal(dictionaryMatch('wasm/tree-sitter.abc.wasm', 'tree-sitter.wasm'), '/wasm/tree-sitter.*.wasm')
  assert.equal(dictionaryMatch('assets/a+b(1)-x1.wasm', 'a+b(1).wasm'), '/assets/a\\+b\\(1\\)-*.wasm', 'URLPattern specials escaped')
  assert.equal(dictionaryMatch('assets/app.wasm', 'app.wasm'), null, 'no hash: no later version can match')
  assert.equal(dictionaryMatch('assets/other-x1.wasm', 'app.wasm'), null)
})

test('source identity: npm package and path, else the path under the root', () => {
  assert.equal(sourceIdentity('node_modules/web-tree-sitter/tree-sitter.wasm'), 'npm:web-tree-sitter/tree-sitter.wasm')
  assert.equal(sourceIdentity('node_modules/.pnpm/@a+b@1.0.0/node_modules/@a/b/x.wasm'), 'npm:@a/b/x.wasm', 'pnpm layout, version-free')
  assert.equal(sourceIdentity(path.join('src', 'app.wasm')), 'src/app.wasm')
})

test('source identity: an npm alias is the package its package.json declares', () => {
  const declared = { 'node_modules/sql.js-next': 'sql.js', 'node_modules/@x/y-next': '@x/y' }
  const asked = []
  const declaredName = (dir) => (asked.push(dir), declared[dir])
  assert.equal(sourceIdentity('node_modules/sql.js-next/dist/sql-wasm.wasm', declaredName), 'npm:sql.js/dist/sql-wasm.wasm')
  assert.equal(sourceIdentity('node_modules/@x/y-next/z.wasm', declaredName), 'npm:@x/y/z.wasm', 'scoped alias')
  assert.equal(sourceIdentity('node_modules/plain/a.wasm', declaredName), 'npm:plain/a.wasm', 'no declared name: the folder')
  assert.deepEqual(asked, ['node_modules/sql.js-next', 'node_modules/@x/y-next', 'node_modules/plain'])
})

test('the delta option fails at config time, naming the key', () => {
  assert.deepEqual(normalizeDelta(true), { previous: [], keep: 2 })
  assert.deepEqual(normalizeDelta({ previous: 'a', keep: 1 }), { previous: ['a'], keep: 1 })
  assert.deepEqual(normalizeDelta({ previous: ['a', 'b', 'c'] }), { previous: ['a', 'b'], keep: 2 })
  assert.equal(normalizeDelta(undefined), false)
  assert.throws(() => wasmSqueeze({ delta: 'yes' }), /`delta`/)
  assert.throws(() => wasmSqueeze({ delta: { previous: 3 } }), /`delta\.previous`/)
  assert.throws(() => wasmSqueeze({ delta: { keep: 0 } }), /`delta\.keep`/)
  assert.throws(() => wasmSqueeze({ delta: { prev: 'dist' } }), /`delta\.prev`/)
})

test('deltaSync: the RFC 9842 framing with the dictionary hash; bad options are option errors', () => {
  const old = appData(1)
  const next = appData(2)
  const dcb = deltaSync(next, old, { format: 'dcb' })
  assert.deepEqual([...dcb.subarray(0, 4)], [0xff, 0x44, 0x43, 0x42])
  assert.equal(dcb.subarray(4, 36).toString('hex'), sha256(old))
  const dcz = deltaSync(next, old, { format: 'dcz' })
  assert.deepEqual([...dcz.subarray(0, 8)], [0x5e, 0x2a, 0x4d, 0x18, 0x20, 0, 0, 0])
  assert.equal(dcz.subarray(8, 40).toString('hex'), sha256(old))
  assert.ok(dcb.length < 500 && dcz.length < 500, `${dcb.length} / ${dcz.length} bytes for a few changed bytes of 40 kB of noise`)
  assert.throws(() => deltaSync(next, old, { format: 'dcx' }), (err) => err.code === 'ERR_INVALID_OPTION' && /format/.test(err.message))
  assert.throws(() => deltaSync(next, old, { format: 'dcb', level: 12 }), (err) => err.code === 'ERR_INVALID_OPTION')
})

async function buildDeploy(root, version, delta, outDir = 'dist') {
  await writeApp(root, version)
  const warnings = []
  const customLogger = createLogger('warn')
  customLogger.warn = (message) => warnings.push(String(message))
  await build({ root, configFile: false, logLevel: 'warn', customLogger, plugins: [wasmSqueeze({ report: 'json', delta })], build: { outDir, emptyOutDir: true } })
  const dir = path.join(root, outDir)
  const manifest = parseManifest(await readFile(path.join(dir, MANIFEST_FILE), 'utf8'))
  const asset = manifest.assets[0]
  return { dir, warnings, manifest, asset, bytes: await readFile(path.join(dir, asset.file)), files: await readdir(path.join(dir, 'assets')) }
}

describe('two real builds, then bad previous deploys and the Node middleware', () => {
  let work
  let first
  let second
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'wasm-squeeze-delta-unit-'))
    first = await buildDeploy(path.join(work, 'app'), 1, true)
    await cp(first.dir, path.join(work, 'deploy-1'), { recursive: true })
    second = await buildDeploy(path.join(work, 'app'), 2, { previous: '../deploy-1' })
  })
  after(() => rm(work, { recursive: true, force: true }))

  test('the manifest names each wasm by source, emitted name and sha-256, and lists its deltas', async () => {
    assert.equal(first.asset.source, 'app.wasm')
    assert.equal(first.asset.sha256, sha256(first.bytes))
    assert.equal(first.asset.match, '/assets/app-*.wasm')
    assert.deepEqual(first.asset.deltas, [])
    assert.deepEqual(second.warnings, [])
    const dcb = second.asset.deltas.find((d) => d.coding === 'dcb')
    assert.equal(dcb.dictionary, sha256(first.bytes))
    assert.equal(dcb.file, `${second.asset.file}.${sha256(first.bytes)}.dcb`)
    const body = await readFile(path.join(second.dir, dcb.file))
    assert.equal(body.length, dcb.bytes)
    assert.equal(body.subarray(4, 36).toString('hex'), sha256(first.bytes))
    const report = JSON.parse(await readFile(path.join(work, 'app/wasm-squeeze-report.json'), 'utf8'))
    assert.equal(report.deltas.length, 1)
    assert.equal(report.deltas[0].dcb, dcb.bytes)
    assert.ok(report.deltas[0].dcb < report.deltas[0].br / 20, JSON.stringify(report.deltas[0]))
    // A 40 kB file is far below DCZ_MIN_BYTES: no zstd run, no dcz.
    assert.equal(report.deltas[0].dcz, undefined)
    assert.ok(!second.files.some((f) => f.endsWith('.dcz')), second.files.join(', '))
  })

  test('deltas against each of the last `keep` deploys, newest first', async () => {
    await cp(second.dir, path.join(work, 'deploy-2'), { recursive: true })
    const both = await buildDeploy(path.join(work, 'app'), 3, { previous: ['../deploy-2', '../deploy-1'] }, 'dist-3')
    assert.deepEqual(both.warnings, [])
    const against = [...new Set(both.asset.deltas.map((d) => d.dictionary))]
    assert.deepEqual(against, [second.asset.sha256, first.asset.sha256])
    for (const d of both.asset.deltas) {
      const body = await readFile(path.join(both.dir, d.file))
      assert.equal(body.subarray(body[0] === 0xff ? 4 : 8, body[0] === 0xff ? 36 : 40).toString('hex'), d.dictionary)
    }
    const one = await buildDeploy(path.join(work, 'app'), 3, { previous: ['../deploy-2', '../deploy-1'], keep: 1 }, 'dist-3-keep-1')
    assert.deepEqual([...new Set(one.asset.deltas.map((d) => d.dictionary))], [second.asset.sha256])
  })

  test('an unchanged wasm gets no delta', async () => {
    const again = await buildDeploy(path.join(work, 'app'), 2, { previous: 'dist' }, 'dist-again')
    assert.deepEqual(again.warnings, [])
    assert.deepEqual(again.asset.deltas, [])
  })

  for (const [name, damage, message] of [
    ['a tampered manifest', async (dir) => {
      const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8'))
      manifest.assets[0].sha256 = sha256('something else')
      await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest))
    }, /does not match the sha-256 in its manifest/],
    ['a tampered wasm', async (dir, asset) => {
      const file = path.join(dir, asset.file)
      const bytes = await readFile(file)
      bytes[bytes.length - 1] ^= 1
      await writeFile(file, bytes)
    }, /does not match the sha-256/],
    ['a missing wasm', (dir, asset) => unlink(path.join(dir, asset.file)), /: missing/],
    ['a manifest that is not JSON', (dir) => writeFile(path.join(dir, MANIFEST_FILE), '{ nope'), /not JSON/],
    ['an incompatible manifest version', (dir) => writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify({ tool: 'wasm-squeeze', version: 99, assets: [] })), /incompatible/],
    ['a manifest pointing outside the deploy', async (dir) => {
      const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8'))
      manifest.assets[0].file = '../../etc/passwd'
      await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest))
    }, /inside the deploy/],
    ['no deploy at all', (dir) => rm(dir, { recursive: true }), /missing/],
  ]) {
    test(`${name}: one warning, no deltas, the build goes on`, async () => {
      const broken = path.join(work, `broken-${name.replaceAll(' ', '-')}`)
      await cp(path.join(work, 'deploy-1'), broken, { recursive: true })
      await damage(broken, first.asset)
      const out = await buildDeploy(path.join(work, 'app'), 2, { previous: broken }, `dist-${path.basename(broken)}`)
      assert.equal(out.warnings.length, 1, out.warnings.join('\n'))
      assert.match(out.warnings[0], message)
      assert.match(out.warnings[0], new RegExp(`previous deploy ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
      assert.deepEqual(out.asset.deltas, [])
      assert.ok(!out.files.some((f) => /\.dc[bz]$/.test(f)))
      assert.equal(out.asset.sha256, second.asset.sha256, 'the wasm itself is unaffected')
    })
  }

  test('a previous deploy over http: redirects followed, files checked, bounded in time and size', async () => {
    const handler = serveDist(path.join(work, 'deploy-1'))
    let hang = false
    const server = createServer((req, res) => {
      if (hang) return // never answers
      if (req.url.startsWith('/old/')) {
        res.writeHead(301, { location: req.url.slice(4) })
        return res.end()
      }
      handler(req, res)
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const base = `http://127.0.0.1:${server.address().port}`
      const out = await buildDeploy(path.join(work, 'app'), 2, { previous: `${base}/old/` }, 'dist-from-url')
      assert.deepEqual(out.warnings, [])
      assert.ok(out.asset.deltas.length >= 1 && out.asset.deltas.every((d) => d.dictionary === sha256(first.bytes)), JSON.stringify(out.asset.deltas))
      const loaded = await loadDeploy(`${base}/`)
      assert.equal(loaded.assets.get('app.wasm').sha256, sha256(first.bytes))
      await assert.rejects(loadDeploy(`${base}/`, { maxBytes: 1000 }), /more than 1000 bytes/)
      await assert.rejects(loadDeploy(`${base}/nothing-here/`), /HTTP 404/)
      hang = true
      await assert.rejects(loadDeploy(`${base}/`, { timeoutMs: 300 }), /abort|timeout/i)
      const warned = await buildDeploy(path.join(work, 'app'), 2, { previous: 'http://127.0.0.1:9/' }, 'dist-unreachable')
      assert.equal(warned.warnings.length, 1)
      assert.match(warned.warnings[0], /previous deploy http:\/\/127\.0\.0\.1:9\/.*no deltas from it/)
    } finally {
      server.closeAllConnections?.()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  describe('serveDist over node:http', () => {
    let server
    let url
    const dictionary = () => availableDictionaryHeader(sha256(first.bytes))
    before(async () => {
      await writeFile(path.join(work, 'secret.txt'), 'secret')
      await symlink(path.join(work, 'secret.txt'), path.join(second.dir, 'escape.txt'))
      await writeFile(path.join(second.dir, '.env'), 'TOKEN=1')
      const handler = serveDist(second.dir)
      server = createServer((req, res) => handler(req, res))
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
      url = (p) => `http://127.0.0.1:${server.address().port}${p}`
    })
    after(() => new Promise((resolve) => server.close(resolve)))

    test('a returning browser gets the delta, with the headers that keep the chain going', async () => {
      const wasmUrl = url(`/${second.asset.file}`)
      const res = await fetchRaw(wasmUrl, { headers: { 'accept-encoding': 'gzip, br, zstd, dcb', 'available-dictionary': dictionary() } })
      assert.equal(res.status, 200)
      assert.equal(res.headers['content-encoding'], 'dcb')
      assert.equal(res.headers['content-type'], 'application/wasm')
      assert.equal(res.headers['use-as-dictionary'], 'match="/assets/app-*.wasm"')
      assert.equal(res.headers.vary, 'Accept-Encoding, Available-Dictionary')
      assert.match(res.headers['cache-control'], /max-age=31536000/)
      assert.deepEqual(res.body, await readFile(path.join(second.dir, `${second.asset.file}.${sha256(first.bytes)}.dcb`)))
      const head = await fetchRaw(wasmUrl, { method: 'HEAD', headers: { 'accept-encoding': 'dcb', 'available-dictionary': dictionary() } })
      assert.equal(head.headers['content-encoding'], 'dcb')
      assert.equal(head.headers['content-length'], res.headers['content-length'])
      assert.equal(head.body.length, 0)
    })

    test('no dictionary, a garbage or unknown one, or no dc* in Accept-Encoding: br as before, same dictionary headers', async () => {
      const wasmUrl = url(`/${second.asset.file}`)
      const br = await readFile(path.join(second.dir, `${second.asset.file}.br`))
      for (const headers of [
        { 'accept-encoding': 'br, dcb, dcz' },
        { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': ':garbage:' },
        { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': 'x'.repeat(10_000) },
        { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': availableDictionaryHeader(sha256('another build')) },
        { 'accept-encoding': 'br', 'available-dictionary': dictionary() },
        { 'accept-encoding': 'br;q=1, dcb;q=0', 'available-dictionary': dictionary() },
      ]) {
        const res = await fetchRaw(wasmUrl, { headers })
        assert.equal(res.status, 200, JSON.stringify(headers))
        assert.equal(res.headers['content-encoding'], 'br', JSON.stringify(headers))
        assert.deepEqual(res.body, br)
        assert.equal(res.headers['use-as-dictionary'], 'match="/assets/app-*.wasm"')
        assert.equal(res.headers.vary, 'Accept-Encoding, Available-Dictionary')
      }
      const identity = await fetchRaw(wasmUrl, { headers: { 'accept-encoding': 'br;q=nope, dcb;q=-1, ;;, identity', 'available-dictionary': ':' } })
      assert.equal(identity.headers['content-encoding'], undefined)
      assert.deepEqual(identity.body, second.bytes)
    })

    test('Range: the identity bytes, even with a dictionary; a bad range gets the whole file or 416', async () => {
      const wasmUrl = url(`/${second.asset.file}`)
      const part = await fetchRaw(wasmUrl, { headers: { range: 'bytes=8-15', 'accept-encoding': 'br, dcb', 'available-dictionary': dictionary() } })
      assert.equal(part.status, 206)
      assert.equal(part.headers['content-encoding'], undefined)
      assert.equal(part.headers['content-range'], `bytes 8-15/${second.bytes.length}`)
      assert.deepEqual(part.body, second.bytes.subarray(8, 16))
      const garbage = await fetchRaw(wasmUrl, { headers: { range: 'bytes=zz' } })
      assert.equal(garbage.status, 200)
      assert.deepEqual(garbage.body, second.bytes)
      const past = await fetchRaw(wasmUrl, { headers: { range: `bytes=${second.bytes.length}-` } })
      assert.equal(past.status, 416)
    })

    test('a delta whose file is gone: br, not an error', async () => {
      const dz = path.join(second.dir, `${second.asset.file}.${sha256(first.bytes)}.dcb`)
      const saved = await readFile(dz)
      await unlink(dz)
      try {
        const res = await fetchRaw(url(`/${second.asset.file}`), { headers: { 'accept-encoding': 'br, dcb', 'available-dictionary': dictionary() } })
        assert.equal(res.status, 200)
        assert.equal(res.headers['content-encoding'], 'br')
      } finally {
        await writeFile(dz, saved)
      }
    })

    test('load: 1,000 concurrent requests mixing encodings and dictionaries, no error, no wrong byte', async () => {
      const file = `/${second.asset.file}`
      const dcbBody = await readFile(path.join(second.dir, `${second.asset.file}.${sha256(first.bytes)}.dcb`))
      const brBody = await readFile(path.join(second.dir, `${second.asset.file}.br`))
      const kinds = [
        { headers: { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': dictionary() }, encoding: 'dcb', body: dcbBody },
        { headers: { 'accept-encoding': 'gzip, br, zstd' }, encoding: 'br', body: brBody },
        { headers: { 'accept-encoding': 'br, dcb', 'available-dictionary': ':bm9wZQ==:' }, encoding: 'br', body: brBody },
        { headers: {}, encoding: undefined, body: second.bytes },
        { headers: { range: 'bytes=100-199', 'available-dictionary': dictionary(), 'accept-encoding': 'dcb' }, encoding: undefined, body: second.bytes.subarray(100, 200), status: 206 },
      ]
      const results = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const kind = kinds[i % kinds.length]
          const res = await fetchRaw(url(file), { headers: kind.headers })
          return res.status === (kind.status ?? 200) && res.headers['content-encoding'] === kind.encoding && res.body.equals(kind.body)
        }),
      )
      assert.equal(results.filter((ok) => !ok).length, 0)
    })

    test('only public files inside the directory: no traversal, no symlink out, no dot-files', async () => {
      for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/escape.txt', '/.env', '/%2eenv', '/assets%00.wasm', '/%E0%A4%A']) {
        const res = await fetchRaw(url(p))
        assert.equal(res.status, 404, p)
        assert.ok(!res.body.includes('secret') && !res.body.includes('TOKEN'), p)
      }
      const manifest = await fetchRaw(url(`/${MANIFEST_FILE}`))
      assert.equal(manifest.status, 200, 'the manifest is public: a later build may read it from the site')
      const index = await fetchRaw(url('/'))
      assert.equal(index.status, 200)
      assert.match(index.body.toString(), /<p id="out">/)
    })
  })
})
