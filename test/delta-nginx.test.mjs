// Delta delivery on Debian's stock nginx with the configuration `wasm-squeeze nginx`
// generates: two real deploys on one origin; raw requests get the right file and
// headers, and a returning Chromium gets the dcb and runs the new wasm.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { availableDictionaryHeader } from '../js/delta/negotiate.js'
import { CHROMIUM_ARGS, chromiumPath } from './helpers/browser.js'
import { buildApp, expectedOutput, freePort } from './helpers/delta-app.js'
import { fetchRaw } from './helpers/fetch-raw.js'

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')
const NGINX = '/usr/sbin/nginx'
// CI installs nginx (.ci/run), so there a missing server fails the test instead of skipping it.
const skip = !existsSync(NGINX) && !process.env.CI && 'nginx not found (apt-get install nginx)'
const CLI = fileURLToPath(new URL('../js/cli.js', import.meta.url))

/** Starts nginx in the foreground on `dir`'s generated config; resolves once it answers. */
async function startNginx(prefix, dir, port) {
  await mkdir(prefix, { recursive: true })
  // Through the CLI, as a user would.
  const cli = spawnSync(process.execPath, [CLI, 'nginx', dir, '--listen', `127.0.0.1:${port}`, '-o', path.join(prefix, 'site.conf')], { encoding: 'utf8' })
  assert.equal(cli.status, 0, cli.stderr)
  const temp = (name) => `${name}_temp_path ${path.join(prefix, name)};`
  await writeFile(
    path.join(prefix, 'nginx.conf'),
    [
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'worker_processes 1;',
      `error_log ${path.join(prefix, 'error.log')};`,
      `pid ${path.join(prefix, 'nginx.pid')};`,
      'events {}',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((n) => `  ${temp(n)}`),
      '  include /etc/nginx/mime.types;',
      `  include ${path.join(prefix, 'site.conf')};`,
      '}',
    ].join('\n'),
  )
  const check = spawnSync(NGINX, ['-t', '-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { encoding: 'utf8' })
  assert.equal(check.status, 0, check.stderr)
  const child = spawn(NGINX, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    if (await fetchRaw(`http://127.0.0.1:${port}/`).then(() => true, () => false)) return child
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill()
  throw new Error('nginx did not start')
}

function stop(child) {
  return new Promise((resolve) => {
    if (!child || child.exitCode != null) return resolve()
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
}

test('stock nginx with the generated configuration serves deltas, siblings and headers; Chromium decodes the delta', { timeout: 240_000, skip }, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'wasm-squeeze-nginx-'))
  let nginx
  let context
  try {
    const root = path.join(work, 'app')
    const port = await freePort()
    const first = await buildApp(root, 1, true)
    await cp(path.join(root, 'dist'), path.join(work, 'deploy-1'), { recursive: true })
    nginx = await startNginx(path.join(work, 'nginx-1'), path.join(work, 'deploy-1'), port)
    context = await chromium.launchPersistentContext(path.join(work, 'profile'), { executablePath: await chromiumPath(), headless: true, args: CHROMIUM_ARGS })
    const visit = async () => {
      const page = await context.newPage()
      const wasm = page.waitForResponse((r) => /\/assets\/app-.*\.wasm$/.test(r.url()))
      await page.goto(`http://localhost:${port}/`)
      const response = await wasm
      await page.waitForFunction(() => document.querySelector('#out').textContent !== 'loading', null, { timeout: 20_000 })
      const out = { shown: await page.textContent('#out'), headers: await response.allHeaders() }
      await page.close()
      return out
    }
    const firstVisit = await visit()
    assert.equal(firstVisit.shown, expectedOutput(1))
    assert.equal(firstVisit.headers['content-encoding'], 'br')
    assert.equal(firstVisit.headers['content-type'], 'application/wasm')
    assert.equal(firstVisit.headers['use-as-dictionary'], 'match="/assets/app-*.wasm"')
    await new Promise((r) => setTimeout(r, 1000))
    await stop(nginx)

    const second = await buildApp(root, 2, { previous: path.join(work, 'deploy-1') })
    assert.deepEqual(second.warnings, [])
    const dist = path.join(root, 'dist')
    nginx = await startNginx(path.join(work, 'nginx-2'), dist, port)
    const wasmUrl = `http://127.0.0.1:${port}/assets/${second.wasm}`
    const dictionary = availableDictionaryHeader(sha256(first.bytes))
    const dcbFile = await readFile(path.join(dist, 'assets', `${second.wasm}.${sha256(first.bytes)}.dcb`))
    const brFile = await readFile(path.join(dist, 'assets', `${second.wasm}.br`))

    const delta = await fetchRaw(wasmUrl, { headers: { 'accept-encoding': 'gzip, br, zstd, dcb, dcz', 'available-dictionary': dictionary } })
    assert.equal(delta.headers['content-encoding'], 'dcb')
    assert.equal(delta.headers['content-type'], 'application/wasm')
    assert.equal(delta.headers.vary, 'Accept-Encoding, Available-Dictionary')
    assert.equal(delta.headers['use-as-dictionary'], 'match="/assets/app-*.wasm"')
    assert.match(delta.headers['cache-control'], /immutable/)
    assert.deepEqual(delta.body, dcbFile)
    for (const headers of [
      { 'accept-encoding': 'br, dcb' },
      { 'accept-encoding': 'br, dcb', 'available-dictionary': ':garbage:' },
      { 'accept-encoding': 'br, dcb', 'available-dictionary': availableDictionaryHeader(sha256('other')) },
      { 'accept-encoding': 'br, dcb;q=0', 'available-dictionary': dictionary },
    ]) {
      const res = await fetchRaw(wasmUrl, { headers })
      assert.equal(res.headers['content-encoding'], 'br', JSON.stringify(headers))
      assert.deepEqual(res.body, brFile)
    }
    const identity = await fetchRaw(wasmUrl, { headers: { 'accept-encoding': 'identity' } })
    assert.equal(identity.headers['content-encoding'], undefined)
    assert.deepEqual(identity.body, second.bytes)
    const range = await fetchRaw(wasmUrl, { headers: { range: 'bytes=0-7', 'accept-encoding': 'br, dcb', 'available-dictionary': dictionary } })
    assert.equal(range.status, 206)
    assert.equal(range.headers['content-encoding'], undefined)
    assert.deepEqual(range.body, second.bytes.subarray(0, 8))
    const head = await fetchRaw(wasmUrl, { method: 'HEAD', headers: { 'accept-encoding': 'dcb', 'available-dictionary': dictionary } })
    assert.equal(head.headers['content-encoding'], 'dcb')
    assert.equal(Number(head.headers['content-length']), dcbFile.length)
    assert.equal((await fetchRaw(`http://127.0.0.1:${port}/.wasm-squeeze-refused`)).status, 404)

    const secondVisit = await visit()
    assert.equal(secondVisit.headers['content-encoding'], 'dcb')
    assert.equal(secondVisit.shown, expectedOutput(2), 'Chromium decoded the dcb from nginx and ran the new wasm')
    console.log(`nginx: returning visit dcb ${dcbFile.length} B; br ${brFile.length} B`)
  } finally {
    await context?.close().catch(() => {})
    await stop(nginx)
    await rm(work, { recursive: true, force: true, maxRetries: 3 })
  }
})
