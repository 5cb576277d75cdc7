// `npm run demo -- --serve` as a newcomer runs it (a cold compression cache): it
// exits 0, its tables are the plugin's and agree with what landed in dist/, and the
// two deploys it serves in turn reach real Chromium as br, then as a delta that
// decodes to exactly the new release as shipped (its functions numbered as v1's).
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import zlib from 'node:zlib'
import { chromium } from 'playwright-core'
import { inspectSync } from '../js/native.js'
import { MANIFEST_FILE } from '../js/delta/manifest.js'
import { formatBytes } from '../js/report.js'
import { CHROMIUM_ARGS, chromiumPath } from './helpers/browser.js'
import { freePort } from './helpers/delta-app.js'
import { REPO } from './helpers/example.js'

const APP = path.join(REPO, 'examples/vite-app')
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const exactBytes = (n) => `${n.toLocaleString('en-US')} B`

/** The demo as a child process whose output can be waited on. */
function runDemo(args) {
  const child = spawn(process.execPath, [path.join(REPO, 'scripts/demo.js'), ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk))
  return {
    child,
    exited,
    output: () => output,
    async waitFor(text, ms = 300_000) {
      const deadline = Date.now() + ms
      while (!output.includes(text)) {
        const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 100))])
        if (done) throw new Error(`the demo exited (${JSON.stringify(done)}) before printing ${JSON.stringify(text)}:\n${output}`)
        if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} after ${ms} ms:\n${output}`)
      }
    },
  }
}

/** The plugin's table row for `source` in one build's log (formatTable: two spaces between cells). */
function tableRow(log, source) {
  const line = log.split('\n').find((l) => l.startsWith(`${source} `))
  assert.ok(line, `a table row for ${source}:\n${log}`)
  return line.split(/\s{2,}/)
}

async function visit(context, url) {
  const page = await context.newPage()
  try {
    const responses = []
    page.on('response', (r) => /\/assets\/.*\.wasm$/.test(r.url()) && responses.push(r))
    await page.goto(url)
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 30_000 })
    const result = JSON.parse(await page.textContent('#result'))
    // The page's own account (Resource Timing), one line per wasm.
    await page.waitForFunction(() => document.querySelector('#wire').textContent.trim().split('\n').length === 2, null, { timeout: 5_000 })
    const wire = await page.textContent('#wire')
    const wasm = {}
    for (const r of responses) {
      const name = new URL(r.url()).pathname.split('/').pop()
      const body = await r.body()
      wasm[name.replace(/-[\w-]{8}\.wasm$/, '')] = { name, headers: await r.allHeaders(), sha256: sha256(body) }
    }
    return { result, wasm, wire }
  } finally {
    await page.close()
  }
}

test('npm run demo -- --serve: real modules, the plugin\'s tables, the peer, and a delta Chromium decodes', { timeout: 600_000 }, async () => {
  const port = await freePort()
  const url = `http://localhost:${port}/`
  const demo = runDemo(['--serve', '--port', String(port)])
  const profile = await mkdtemp(path.join(tmpdir(), 'wasm-squeeze-demo-profile-'))
  let context
  try {
    await demo.waitFor('Press Enter to deploy v2')
    const log = demo.output()
    const [firstBuild, secondBuild] = log.split('sql.js moves to 1.17.0')
    assert.ok(secondBuild, `the demo says which package it bumped:\n${log}`)
    const v1 = path.join(APP, 'dist/v1')
    const v2 = path.join(APP, 'dist/v2')
    const manifest = async (dir) => JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')).assets
    const emitted = async (dir, source) => (await manifest(dir)).find((a) => a.source === source)

    // The release build comes back byte for byte, and the plugin says why.
    const sqlInput = await readFile(path.join(REPO, 'node_modules/sql.js/dist/sql-wasm.wasm'))
    const sqlV1 = await emitted(v1, 'npm:sql.js/dist/sql-wasm.wasm')
    const sqlV1Bytes = await readFile(path.join(v1, sqlV1.file))
    assert.ok(sqlV1Bytes.equals(sqlInput), 'sql.js 1.16.0 emitted unchanged')
    const sqlRow = tableRow(firstBuild, 'node_modules/sql.js/dist/sql-wasm.wasm')
    assert.equal(sqlRow[1], formatBytes(sqlInput.length), 'raw')
    assert.equal(sqlRow[2], formatBytes(sqlInput.length), 'optimized')
    assert.equal(sqlRow.at(-1), 'already minimal')
    const sqlBr = await readFile(path.join(v1, `${sqlV1.file}.br`))
    assert.equal(sqlRow[3], formatBytes(sqlBr.length), '.br as in dist/v1')
    assert.ok(zlib.brotliDecompressSync(sqlBr).equals(sqlInput), 'the .br decodes to the wasm')

    // The debug build loses its DWARF and names.
    const tsInput = await readFile(path.join(REPO, 'node_modules/web-tree-sitter/debug/web-tree-sitter.wasm'))
    const tsV1 = await emitted(v1, 'npm:web-tree-sitter/debug/web-tree-sitter.wasm')
    const tsV1Bytes = await readFile(path.join(v1, tsV1.file))
    const customs = (bytes) => inspectSync(bytes).sections.map((s) => s.name).filter((n) => /^custom:(name|\.debug_)/.test(n))
    assert.ok(customs(tsInput).includes('custom:name') && customs(tsInput).some((n) => n.startsWith('custom:.debug_')), 'the input has DWARF and names')
    assert.deepEqual(customs(tsV1Bytes), [], 'none left in the emitted wasm')
    const tsRow = tableRow(firstBuild, 'node_modules/web-tree-sitter/debug/web-tree-sitter.wasm')
    assert.deepEqual(tsRow.slice(1, 3), [formatBytes(tsInput.length), formatBytes(tsV1Bytes.length)])
    assert.match(tsRow.at(-1), /^stripped [\d.]+ kB of DWARF, [\d.]+ kB of names/)

    // The peer line: node:zlib brotli 11 of the same bytes, recomputed here.
    for (const [asset, bytes] of [[sqlV1, sqlV1Bytes], [tsV1, tsV1Bytes]]) {
      const peer = zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } })
      const br = (await readFile(path.join(v1, `${asset.file}.br`))).length
      assert.match(log, new RegExp(`${escape(asset.file)}\\s+\\.br ${escape(exactBytes(br))}, zlib ${escape(exactBytes(peer.length))}`))
    }

    // The second deploy: the plugin's delta table, and the demo's line for the returning visitor.
    const sqlV2 = await emitted(v2, 'npm:sql.js/dist/sql-wasm.wasm')
    const sqlV2Bytes = await readFile(path.join(v2, sqlV2.file))
    // v2 ships sql.js 1.17.0 with its functions numbered as v1's (align-to-previous):
    // the same imports, exports (by name) and functions, in another order.
    const [shipped, release] = [sqlV2Bytes, await readFile(path.join(REPO, 'node_modules/sql.js-next/dist/sql-wasm.wasm'))].map((b) => inspectSync(b))
    const outline = (info) => [info.imports, info.exports.map((e) => `${e.kind} ${e.name}`), info.functionCount]
    assert.deepEqual(outline(shipped), outline(release), 'v2 ships sql.js 1.17.0')
    assert.match(tableRow(secondBuild, 'node_modules/sql.js-next/dist/sql-wasm.wasm').at(-1), /aligned to the previous deploy/)
    assert.match(secondBuild, /^delta\s+against\s+br\s+dcb\s+dcz\s+smallest \/ br$/m, "the plugin's delta table")
    const [delta] = sqlV2.deltas.toSorted((a, b) => a.bytes - b.bytes)
    assert.equal(delta.dictionary, sha256(sqlV1Bytes), 'against the v1 wasm')
    const brV2 = (await readFile(path.join(v2, `${sqlV2.file}.br`))).length
    assert.equal((await readFile(path.join(v2, delta.file))).length, delta.bytes)
    assert.ok(delta.bytes < brV2 / 10, `delta ${delta.bytes} B against .br ${brV2} B`)
    assert.match(log, new RegExp(`${escape(sqlV2.file)}\\s+${delta.coding} ${escape(formatBytes(delta.bytes))} instead of \\.br ${escape(formatBytes(brV2))} \\(`))
    assert.match(log, new RegExp(`${escape(tsV1.file)}\\s+nothing: unchanged since v1`))
    assert.equal((await emitted(v2, tsV1.source)).file, tsV1.file, 'web-tree-sitter keeps its name')

    // v1 in Chromium: the modules run, each arrives as br and offers itself as a dictionary.
    context = await chromium.launchPersistentContext(profile, { executablePath: await chromiumPath(), headless: true, args: CHROMIUM_ARGS })
    const first = await visit(context, url)
    assert.equal(first.result.sqlite.sum, 3)
    assert.equal(first.result.sqlite.words, 'WASM+SQUEEZE')
    assert.equal(first.result.treeSitter.ready, true)
    assert.equal(typeof first.result.treeSitter.languageVersion, 'number')
    assert.equal(first.wasm['sql-wasm'].headers['content-encoding'], 'br')
    assert.equal(first.wasm['sql-wasm'].sha256, sha256(sqlV1Bytes))
    assert.equal(first.wasm['sql-wasm'].headers['use-as-dictionary'], 'match="/assets/sql-wasm-*.wasm"')
    await new Promise((r) => setTimeout(r, 1000)) // Chromium stores the dictionary asynchronously

    demo.child.stdin.write('\n')
    await demo.waitFor('Press Enter to stop')
    // v2, same origin, same profile: sql.js comes as the delta and decodes to 1.17.0.
    const second = await visit(context, url)
    assert.match(second.wasm['sql-wasm'].headers['content-encoding'], /^dc[bz]$/)
    assert.equal(Number(second.wasm['sql-wasm'].headers['content-length']), sqlV2.deltas.find((d) => d.coding === second.wasm['sql-wasm'].headers['content-encoding']).bytes)
    assert.equal(second.wasm['sql-wasm'].sha256, sha256(sqlV2Bytes), 'Chromium decoded exactly the new release')
    assert.deepEqual(second.result.sqlite, first.result.sqlite, 'the new release runs the same query')
    assert.equal(second.result.treeSitter.ready, true)
    assert.match(second.wire, new RegExp(`${escape(path.basename(tsV1.file))}: from the browser cache`), 'unchanged since v1, as the demo says')
    assert.match(second.wire, new RegExp(`${escape(path.basename(sqlV2.file))}: ${second.wasm['sql-wasm'].headers['content-length']} B for ${sqlV2Bytes.length} B`))

    demo.child.stdin.write('\n')
    assert.deepEqual(await demo.exited, { code: 0, signal: null }, demo.output())
  } finally {
    await context?.close().catch(() => {})
    if (demo.child.exitCode === null) demo.child.kill()
    await rm(profile, { recursive: true, force: true, maxRetries: 3 })
  }
})
