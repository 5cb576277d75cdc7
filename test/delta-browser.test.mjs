// Delta delivery end to end: two real Vite builds of one app deployed in turn on one
// origin (`vite preview` with the plugin), visited by real Chromium. A returning
// profile gets the second deploy's wasm as dcb or dcz against the first one's and
// runs it (and decodes a dcz as well); a fresh profile gets br.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { cp, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { build, createLogger, preview } from 'vite'
import wasmSqueeze from '../js/plugin.js'
import { deltaSync } from '../js/native.js'
import { MANIFEST_FILE } from '../js/delta/manifest.js'
import { CHROMIUM_ARGS, chromiumPath } from './helpers/browser.js'
import { expectedOutput, freePort, writeApp } from './helpers/delta-app.js'

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')

async function buildDeploy(root, version, delta) {
  await writeApp(root, version)
  const warnings = []
  const customLogger = createLogger('warn')
  customLogger.warn = (message) => warnings.push(String(message))
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    plugins: [wasmSqueeze({ report: false, delta })],
    build: { outDir: 'dist', emptyOutDir: true },
    customLogger,
  })
  const assets = await readdir(path.join(root, 'dist/assets'))
  const wasm = assets.find((f) => /^app-.*\.wasm$/.test(f))
  return { warnings, assets, wasm, bytes: await readFile(path.join(root, 'dist/assets', wasm)) }
}

async function serve(root, port) {
  return preview({ root, configFile: false, logLevel: 'silent', plugins: [wasmSqueeze({ delta: true })], preview: { port, strictPort: true, host: 'localhost' } })
}

/** Visits the page with a profile; returns what the page showed and the wasm response. */
async function visit(context, url) {
  const page = await context.newPage()
  try {
    const wasmResponse = page.waitForResponse((r) => /\/assets\/app-.*\.wasm$/.test(r.url()))
    await page.goto(url)
    const response = await wasmResponse
    await page.waitForFunction(() => document.querySelector('#out').textContent !== 'loading', null, { timeout: 20_000 })
    const shown = await page.textContent('#out')
    const bodyHash = await page.evaluate(async (u) => {
      const bytes = await (await fetch(u)).arrayBuffer()
      return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('')
    }, response.url())
    return { shown, headers: await response.allHeaders(), requestHeaders: await response.request().allHeaders(), bodyHash }
  } finally {
    await page.close()
  }
}

test('a returning Chromium gets the new wasm as a delta against the one it has; a fresh one gets br', { timeout: 240_000 }, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'wasm-squeeze-delta-'))
  const profiles = []
  const launch = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wasm-squeeze-profile-'))
    profiles.push(dir)
    return chromium.launchPersistentContext(dir, { executablePath: await chromiumPath(), headless: true, args: CHROMIUM_ARGS })
  }
  let server
  const contexts = []
  try {
    const root = path.join(work, 'app')
    const port = await freePort()
    const url = `http://localhost:${port}/`

    const first = await buildDeploy(root, 1, true)
    await cp(path.join(root, 'dist'), path.join(work, 'deploy-1'), { recursive: true }) // what CI keeps
    server = await serve(root, port)
    const returning = await launch()
    contexts.push(returning)
    const firstVisit = await visit(returning, url)
    const returningToDcz = await launch()
    contexts.push(returningToDcz)
    assert.equal((await visit(returningToDcz, url)).shown, expectedOutput(1))
    assert.equal(firstVisit.shown, expectedOutput(1))
    assert.equal(firstVisit.headers['content-encoding'], 'br')
    assert.equal(firstVisit.headers['use-as-dictionary'], 'match="/assets/app-*.wasm"')
    assert.equal(firstVisit.headers.vary, 'Accept-Encoding, Available-Dictionary')
    // Chromium offers dcb/dcz only with a dictionary to name.
    assert.doesNotMatch(firstVisit.requestHeaders['accept-encoding'], /\bdc[bz]\b/)
    await new Promise((r) => setTimeout(r, 1000)) // the dictionary is stored asynchronously
    await server.close()

    const second = await buildDeploy(root, 2, { previous: path.join(work, 'deploy-1') })
    assert.deepEqual(second.warnings, [])
    assert.notEqual(second.wasm, first.wasm, 'the new release has a new file name')
    const deltas = second.assets.filter((f) => f.startsWith(`${second.wasm}.${sha256(first.bytes)}.`))
    assert.ok(deltas.some((f) => f.endsWith('.dcb')), `a dcb against deploy 1 was emitted: ${second.assets.join(', ')}`)
    server = await serve(root, port)

    const secondVisit = await visit(returning, url)
    assert.equal(secondVisit.shown, expectedOutput(2), 'the page runs the new wasm')
    assert.equal(secondVisit.requestHeaders['available-dictionary'], `:${Buffer.from(sha256(first.bytes), 'hex').toString('base64')}:`)
    assert.match(secondVisit.requestHeaders['accept-encoding'], /\bdcb\b/)
    assert.match(secondVisit.headers['content-encoding'], /^dc[bz]$/)
    assert.equal(secondVisit.headers['use-as-dictionary'], 'match="/assets/app-*.wasm"', 'the chain continues')
    assert.equal(secondVisit.bodyHash, sha256(second.bytes), 'Chromium decoded exactly the new bytes')
    const deltaFile = `${second.wasm}.${sha256(first.bytes)}.${secondVisit.headers['content-encoding']}`
    const deltaSize = (await readFile(path.join(root, 'dist/assets', deltaFile))).length
    const brSize = (await readFile(path.join(root, 'dist/assets', `${second.wasm}.br`))).length
    assert.equal(Number(secondVisit.headers['content-length']), deltaSize)
    assert.ok(deltaSize < brSize * 0.05, `delta ${deltaSize} B vs br ${brSize} B`)
    console.log(`returning visit: ${secondVisit.headers['content-encoding']} ${deltaSize} B; fresh visit: br ${brSize} B`)

    // The same deploy with only a dcz for that dictionary: Chromium decodes our zstd
    // frames too.
    const assets = path.join(root, 'dist/assets')
    const dcz = deltaSync(second.bytes, first.bytes, { format: 'dcz' })
    const dczFile = `${second.wasm}.${sha256(first.bytes)}.dcz`
    await writeFile(path.join(assets, dczFile), dcz)
    await unlink(path.join(assets, `${second.wasm}.${sha256(first.bytes)}.dcb`))
    const manifestPath = path.join(root, 'dist', MANIFEST_FILE)
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'))
    manifest.assets[0].deltas = [{ dictionary: sha256(first.bytes), coding: 'dcz', file: `assets/${dczFile}`, bytes: dcz.length }]
    await writeFile(manifestPath, JSON.stringify(manifest))
    const dczVisit = await visit(returningToDcz, url)
    assert.equal(dczVisit.headers['content-encoding'], 'dcz')
    assert.equal(Number(dczVisit.headers['content-length']), dcz.length)
    assert.equal(dczVisit.shown, expectedOutput(2))
    assert.equal(dczVisit.bodyHash, sha256(second.bytes), 'Chromium decoded our dcz to exactly the new bytes')
    console.log(`returning visit with only dcz: ${dcz.length} B`)

    const fresh = await launch()
    contexts.push(fresh)
    const freshVisit = await visit(fresh, url)
    assert.equal(freshVisit.shown, expectedOutput(2))
    assert.equal(freshVisit.headers['content-encoding'], 'br')
    assert.equal(freshVisit.requestHeaders['available-dictionary'], undefined)
    assert.equal(freshVisit.bodyHash, sha256(second.bytes))
  } finally {
    for (const context of contexts) await context.close().catch(() => {})
    await server?.close()
    for (const dir of [work, ...profiles]) await rm(dir, { recursive: true, force: true, maxRetries: 3 })
  }
})
