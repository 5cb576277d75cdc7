#!/usr/bin/env node
// npm run bench:delta-visit [-- --runs 2]
//
// A returning visit in real Chromium, and what the deltas cost the build. A Vite 8
// app loads the wasm of two real packages (sql.js, web-tree-sitter), fetched with
// `npm pack` at pinned versions and copied into its node_modules:
// 1. deploy 1 (the old releases, `delta: true`) is served on http://localhost by the
//    package's own `wasm-squeeze/server` middleware and visited with a persistent
//    Chromium profile;
// 2. both packages are bumped one release; the app is built cold (an empty cache,
//    each build in a fresh process) without deltas and with `delta: { previous:
//    deploy 1 }`, in turn, `--runs` times: the build-time ratio;
// 3. deploy 2 replaces deploy 1 on the same origin; the returning profile revisits,
//    then a fresh profile visits.
// The page fetches each wasm, compiles it and shows its sha-256, which must be the
// deployed file's. Bytes are counted twice: the response bodies the server wrote
// and Chromium's encodedDataLength (CDP Network.loadingFinished, headers included).
// Writes bench/results/delta-visit.{md,json}.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { serveDist } from '../js/delta/serve-dist.js'
import { CHROMIUM_ARGS, chromiumPath } from '../test/helpers/browser.js'
import { BENCH_DIR, REPO_DIR } from './lib/corpus.js'
import { runOrThrow } from './lib/exec.js'
import { formatMs, formatPercent, markdownTable } from './lib/format.js'
import { gitRevision, machineInfo } from './lib/machine.js'
import { unpacked } from './lib/npm-pack.js'

/** [package, old, new, the wasm the app imports]. */
const PACKAGES = [
  ['sql.js', '1.16.0', '1.17.0', 'dist/sql-wasm.wasm'],
  ['web-tree-sitter', '0.27.1', '0.27.2', 'web-tree-sitter.wasm'],
]
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '2' } } })
const runs = Number(args.runs)
if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`--runs must be a positive integer, got ${args.runs}`)
const startRevision = gitRevision(REPO_DIR)
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const work = mkdtempSync(join(os.tmpdir(), 'wasm-squeeze-bench-delta-visit-'))
const app = join(work, 'app')

/** The app's sources with the packages at `which` ('old' or 'new') in its node_modules. */
async function writeApp(which) {
  rmSync(join(app, 'node_modules'), { recursive: true, force: true })
  for (const [name, from, to] of PACKAGES) {
    // A copy, not a link: Vite resolves links to their target, outside node_modules.
    cpSync(await unpacked(name, which === 'old' ? from : to), join(app, 'node_modules', name), { recursive: true })
  }
  const imports = PACKAGES.map(([name, , , file], i) => `import u${i} from '${name}/${file}?url'`).join('\n')
  writeFileSync(
    join(app, 'main.js'),
    `${imports}
const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('')
const shown = {}
for (const url of [${PACKAGES.map((_, i) => `u${i}`).join(', ')}]) {
  const bytes = await (await fetch(url)).arrayBuffer()
  await WebAssembly.compile(bytes)
  shown[new URL(url, location.href).pathname] = hex(await crypto.subtle.digest('SHA-256', bytes))
}
document.querySelector('#out').textContent = JSON.stringify(shown)
`,
  )
  writeFileSync(join(app, 'index.html'), '<!doctype html><html><head><link rel="icon" href="data:,"></head><body><p id="out">loading</p><script type="module" src="./main.js"></script></body></html>\n')
}

let buildCount = 0
/** A cold build (its own empty cache) in a fresh process. */
async function buildApp(outDir, delta) {
  const cache = join(work, `cache-${buildCount++}`)
  const { stdout } = await runOrThrow(process.execPath, [join(BENCH_DIR, 'lib', 'delta-visit-build.js'), app, outDir, cache, delta], { timeoutMs: 60 * 60_000 })
  const result = JSON.parse(stdout.trim().split('\n').at(-1))
  console.error(`[bench:delta-visit] build ${delta === 'off' || delta === 'first' ? delta : 'with a previous deploy'}: ${formatMs(result.ms)}, CPU ${formatMs(result.cpuMs)}`)
  return result
}

/** The deploy's wasm: public path → { sha256, br (bytes of its .br) }. */
function deployedWasm(dir) {
  const out = {}
  for (const f of readdirSync(join(dir, 'assets')).filter((f) => f.endsWith('.wasm'))) {
    out[`/assets/${f}`] = { sha256: sha256(readFileSync(join(dir, 'assets', f))), br: statSync(join(dir, 'assets', `${f}.br`)).size }
  }
  return out
}

/** One server on one origin; `deploy(dir)` switches what it serves. It counts the wasm body bytes it writes. */
async function startServer() {
  let handler
  const written = []
  const server = createServer((req, res) => {
    const record = { path: new URL(req.url, 'http://localhost').pathname, bytes: 0 }
    if (record.path.endsWith('.wasm')) {
      written.push(record)
      const { write, end } = res
      res.write = function (chunk, ...rest) {
        if (chunk) record.bytes += Buffer.byteLength(chunk)
        return write.call(this, chunk, ...rest)
      }
      res.end = function (chunk, ...rest) {
        if (chunk && typeof chunk !== 'function') record.bytes += Buffer.byteLength(chunk)
        record.coding = res.getHeader('content-encoding') ?? 'identity'
        return end.call(this, chunk, ...rest)
      }
    }
    handler(req, res)
  })
  await new Promise((resolve) => server.listen(0, 'localhost', resolve))
  return {
    url: `http://localhost:${server.address().port}/`,
    deploy(dir) {
      handler = serveDist(dir)
    },
    take: () => written.splice(0),
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

/** Visits with `context`; checks the page ran exactly `expected`'s wasm; returns per-wasm bytes. */
async function visit(context, server, expected) {
  const page = await context.newPage()
  try {
    const cdp = await context.newCDPSession(page)
    const urls = new Map()
    const encoded = {}
    cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, new URL(e.response.url).pathname))
    cdp.on('Network.loadingFinished', (e) => {
      const path = urls.get(e.requestId)
      if (path?.endsWith('.wasm')) encoded[path] = (encoded[path] ?? 0) + e.encodedDataLength
    })
    await cdp.send('Network.enable')
    await page.goto(server.url)
    await page.waitForFunction(() => document.querySelector('#out').textContent !== 'loading', null, { timeout: 120_000 })
    const shown = JSON.parse(await page.textContent('#out'))
    const wanted = Object.fromEntries(Object.entries(expected).map(([path, w]) => [path, w.sha256]))
    if (JSON.stringify(shown, Object.keys(wanted).sort()) !== JSON.stringify(wanted, Object.keys(wanted).sort())) {
      throw new Error(`the page ran other wasm than deployed: ${JSON.stringify(shown)} vs ${JSON.stringify(wanted)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 1000)) // the dictionary is stored asynchronously; CDP events settle
    const bodies = server.take()
    return Object.keys(expected).map((path) => {
      const served = bodies.filter((b) => b.path === path)
      if (served.length !== 1) throw new Error(`${path} was served ${served.length} times in one visit`)
      return { path, coding: served[0].coding, bytes: served[0].bytes, encodedDataLength: encoded[path] ?? null, br: expected[path].br }
    })
  } finally {
    await page.close()
  }
}

const profiles = []
async function launch() {
  const dir = mkdtempSync(join(os.tmpdir(), 'wasm-squeeze-bench-profile-'))
  profiles.push(dir)
  return chromium.launchPersistentContext(dir, { executablePath: await chromiumPath(), headless: true, args: CHROMIUM_ARGS })
}

const contexts = []
let server
let result
try {
  mkdirSync(app)
  await writeApp('old')
  const deploy1 = join(work, 'deploy-1')
  await buildApp(deploy1, 'first')

  await writeApp('new')
  const builds = { off: [], delta: [] }
  for (let round = 0; round < runs; round++) {
    // Alternate the order, so a drift in the machine's load favours neither.
    const order = round % 2 ? ['delta', 'off'] : ['off', 'delta']
    for (const variant of order) builds[variant].push(await buildApp(join(work, `${variant}-${round}`), variant === 'off' ? 'off' : deploy1))
  }
  const deploy2 = join(work, 'delta-0')

  server = await startServer()
  server.deploy(deploy1)
  const returning = await launch()
  contexts.push(returning)
  const firstVisit = await visit(returning, server, deployedWasm(deploy1))
  server.deploy(deploy2)
  const secondVisit = await visit(returning, server, deployedWasm(deploy2))
  const fresh = await launch()
  contexts.push(fresh)
  const freshVisit = await visit(fresh, server, deployedWasm(deploy2))
  result = { firstVisit, secondVisit, freshVisit, builds }
} finally {
  for (const context of contexts) await context.close().catch(() => {})
  await server?.close()
  for (const dir of [work, ...profiles]) rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
}

const { firstVisit, secondVisit, freshVisit, builds } = result
const sum = (rows, key) => rows.reduce((total, r) => total + r[key], 0)
const versions = PACKAGES.map(([name, from, to]) => `${name} ${from} → ${to}`).join(', ')
const visitRows = [
  ['first visit, deploy 1', firstVisit],
  ['returning visit, deploy 2', secondVisit],
  ['fresh visit, deploy 2', freshVisit],
].flatMap(([label, rows]) => rows.map((r) => [label, r.path, r.coding, r.bytes.toLocaleString('en-US'), r.encodedDataLength?.toLocaleString('en-US') ?? '-', r.br.toLocaleString('en-US'), formatPercent(r.bytes, r.br)]))
const returningRatio = sum(secondVisit, 'bytes') / sum(secondVisit, 'br')
const freshRatio = sum(secondVisit, 'bytes') / sum(freshVisit, 'bytes')
const encodedRatio = sum(secondVisit, 'encodedDataLength') / sum(freshVisit, 'encodedDataLength')
const off = median(builds.off.map((b) => b.ms))
const withDelta = median(builds.delta.map((b) => b.ms))
const buildRatio = withDelta / off
const cpuRatio = median(builds.delta.map((b) => b.cpuMs)) / median(builds.off.map((b) => b.cpuMs))
const machine = machineInfo()
const load = os.loadavg().map((l) => l.toFixed(1)).join(' ')
const md = `# bench:delta-visit

Revision ${startRevision?.sha}${startRevision?.dirty ? ' (dirty)' : ''}, ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGiB} GiB, node ${process.version}; load average at the end ${load}.

A Vite 8 app loading ${versions} (npm pack, pinned), built with the plugin's defaults, served on http://localhost by \`wasm-squeeze/server\`, visited by Chromium (${await chromiumPath()}). Body bytes as the server wrote them; encodedDataLength as Chromium counted them (CDP, headers included). Every visit's page checked the sha-256 of each wasm it ran against the deployed file.

${markdownTable(
  ['visit', 'wasm', 'coding', 'body bytes', 'encodedDataLength', '.br bytes', 'body / .br'].map((title, i) => ({ title, align: i < 3 ? 'left' : 'right' })),
  visitRows,
)}

Returning visit: **${(returningRatio * 100).toFixed(2)}%** of the wasm's .br bytes (target ≤ 5%: ${returningRatio <= 0.05 ? 'met' : 'missed'}); ${(freshRatio * 100).toFixed(2)}% of the fresh visit's wasm body bytes, ${(encodedRatio * 100).toFixed(2)}% of its encodedDataLength.

Build time, cold (an empty cache, a fresh process each), ${runs} round${runs > 1 ? 's' : ''}, medians: without deltas ${formatMs(off)} (${builds.off.map((b) => formatMs(b.ms)).join(', ')}), with one previous deploy ${formatMs(withDelta)} (${builds.delta.map((b) => formatMs(b.ms)).join(', ')}): **${buildRatio.toFixed(3)}×** (target ≤ 1.3×: ${buildRatio <= 1.3 ? 'met' : 'missed'}); CPU time ${cpuRatio.toFixed(3)}×.
`
writeFileSync(join(BENCH_DIR, 'results', 'delta-visit.json'), `${JSON.stringify({ revision: startRevision, machine, loadavg: os.loadavg(), ...result, returningRatio, freshRatio, encodedRatio, buildRatio, cpuRatio }, null, 2)}\n`)
writeFileSync(join(BENCH_DIR, 'results', 'delta-visit.md'), md)
console.log(md)
