#!/usr/bin/env node
// npm run bench:dev [-- --runs 5]
//
// Does leaving wasm packages out of pre-bundling automatically cost dev-server
// time? Cold `vite` dev starts (empty deps cache, a fresh process each) of
// bench/dev-app, which uses four wasm packages, on Vite 8 and Vite 7: the plugin's
// automatic handling (`plugins: [wasmSqueeze()]` only) against the peer, the
// hand-written `optimizeDeps.exclude` of the same packages with the automatic
// handling off, measured in the same run, runs interleaved. Times: server start
// (createServer + listen, wall and the process's CPU time) and first page load in Chromium (goto until the page has
// computed, which includes the optimizer's run). Target: auto ≤ 1.10 × hand. A
// third cell per Vite deletes the plugin's scan cache first: the one-off cost of
// the first start after an install.
// Writes bench/results/dev.{md,json}.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BENCH_DIR } from './lib/corpus.js'
import { formatMs, formatRatio, markdownTable, ratio } from './lib/format.js'
import { benchCommand, machineInfo, wasmSqueezeVersion } from './lib/machine.js'
import { wasmDependencies } from '../js/dev-deps.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } })
const RUNS = Number(values.runs)
const TARGET = 1.1
// What a user writes by hand today for bench/dev-app's packages.
const HAND_EXCLUDE = ['@jsona/openapi', '@dimforge/rapier3d', '@jsquash/png', 'brotli-wasm']
const APP = join(BENCH_DIR, 'dev-app')

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const SCAN_CACHE = join(BENCH_DIR, '..', 'node_modules', '.cache', 'wasm-squeeze')

function run(vite, mode) {
  // auto-first: the first start after an install, before the plugin's scan cache exists.
  if (mode === 'auto-first') rmSync(SCAN_CACHE, { recursive: true, force: true })
  const cacheDir = mkdtempSync(join(tmpdir(), 'wasm-squeeze-bench-dev-'))
  try {
    const out = execFileSync(process.execPath, [join(BENCH_DIR, 'lib/dev-run.js'), vite, mode === 'auto-first' ? 'auto' : mode, cacheDir, HAND_EXCLUDE.join(',')], { encoding: 'utf8' })
    return JSON.parse(out.trim().split('\n').at(-1))
  } finally {
    rmSync(cacheDir, { recursive: true, force: true })
  }
}

const auto = wasmDependencies(APP)
for (const name of HAND_EXCLUDE) {
  if (!auto.exclude.includes(name)) throw new Error(`the automatic handling misses ${name}: the comparison would be unfair`)
}

const wallStarted = Date.now()
const cells = {}
for (const vite of ['vite8', 'vite7']) {
  run(vite, 'auto') // warm the disk cache; not counted
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, and the order flips each round, so drift hits both alike.
    for (const mode of i % 2 ? ['hand', 'auto', 'auto-first'] : ['auto-first', 'auto', 'hand']) {
      const sample = run(vite, mode)
      const cell = (cells[`${vite} ${mode}`] ??= { listen: [], startCpu: [], firstLoad: [], result: sample.result })
      if (sample.result !== cell.result) throw new Error(`${vite} ${mode}: the page computed ${sample.result}, before ${cell.result}`)
      cell.listen.push(sample.listenMs)
      cell.startCpu.push(sample.startCpuMs)
      cell.firstLoad.push(sample.firstLoadMs)
    }
  }
  if (new Set(['auto', 'hand', 'auto-first'].map((m) => cells[`${vite} ${m}`].result)).size !== 1) throw new Error(`${vite}: auto and hand computed different results`)
}

const rows = []
const summary = {}
for (const vite of ['vite8', 'vite7']) {
  const a = cells[`${vite} auto`]
  const h = cells[`${vite} hand`]
  const line = (label, key) => {
    const ra = ratio(median(a[key]), median(h[key]))
    summary[`${vite} ${key}`] = { auto: a[key], hand: h[key], ratio: ra }
    rows.push([vite === 'vite8' ? 'Vite 8' : 'Vite 7', label, formatMs(median(h[key])), formatMs(median(a[key])), formatRatio(ra), ra <= TARGET ? 'yes' : 'no'])
  }
  line('server start', 'listen')
  line('server start, CPU time of the process', 'startCpu')
  line('first page load', 'firstLoad')
  const total = (c) => c.listen.map((l, i) => l + c.firstLoad[i])
  const rt = ratio(median(total(a)), median(total(h)))
  summary[`${vite} total`] = { ratio: rt }
  rows.push([vite === 'vite8' ? 'Vite 8' : 'Vite 7', 'start + first load', formatMs(median(total(h))), formatMs(median(total(a))), formatRatio(rt), rt <= TARGET ? 'yes' : 'no'])
  const f = cells[`${vite} auto-first`]
  for (const [label, key] of [['server start', 'listen'], ['server start, CPU time', 'startCpu']]) {
    const rf = ratio(median(f[key]), median(h[key]))
    summary[`${vite} ${key}, first start after install`] = { auto: f[key], hand: h[key], ratio: rf }
    rows.push([vite === 'vite8' ? 'Vite 8' : 'Vite 7', `${label}, first after install (no scan cache)`, formatMs(median(h[key])), formatMs(median(f[key])), formatRatio(rf), '(once per install)'])
  }
}

const machine = machineInfo()
const md = `# vite dev: automatic optimizeDeps handling vs the hand-written exclude

- date: ${new Date().toISOString()}
- machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.platform}; shared with other jobs, so wall times are noisy
- node ${machine.node}; wasm-squeeze ${wasmSqueezeVersion(join(BENCH_DIR, '..'))}
- command: \`${benchCommand('dev')}\`; bench wall time ${((Date.now() - wallStarted) / 1000).toFixed(1)} s
- app: bench/dev-app (${HAND_EXCLUDE.join(', ')}); hand-written: \`optimizeDeps.exclude\` of those four. The automatic handling excludes ${auto.exclude.length} packages of this repository's dependency tree (${auto.exclude.join(', ')}) and includes ${auto.include.join(', ') || 'nothing'}.
- median of ${RUNS} cold starts per cell (fresh process, empty deps cache), interleaved; target auto ≤ ${TARGET} × hand. The plugin keeps its answer in node_modules/.cache/wasm-squeeze/ until the next install (and each package's by version and package.json mtime); the last row per Vite starts without that cache, as the first start after an install of new packages does.

${markdownTable([{ title: 'Vite', align: 'left' }, { title: 'phase', align: 'left' }, { title: 'hand-written exclude' }, { title: 'automatic' }, { title: 'auto / hand' }, { title: `≤ ${TARGET}` }], rows)}
`
mkdirSync(join(BENCH_DIR, 'results'), { recursive: true })
writeFileSync(join(BENCH_DIR, 'results/dev.md'), md)
writeFileSync(join(BENCH_DIR, 'results/dev.json'), `${JSON.stringify({ machine, runs: RUNS, cells, summary }, null, 2)}\n`)
process.stdout.write(md)
