#!/usr/bin/env node
// npm run bench:build [-- --count 3] [-- --max-mib 16] [-- --runs 2]
// One Vite 8 app importing the corpus's largest modules (`?url`; the `--count`
// largest at most `--max-mib` each), built side by side in each round, each build
// in a fresh process: (a) Vite alone, (b) vite-plugin-compression2 compressing the
// same wasm (brotli 11 + gzip 9), (c) ours cold (an empty cache, brotli 11 + gzip 9),
// (d) ours warm (the cache (c) filled), and (e) ours cold with one compression job at
// a time (the pool's size, for the scaling). Medians of `--runs` rounds, the ratios
// against their targets (c/b ≤ 0.5, d/a ≤ 1.05), CPU utilisation (the build
// process's CPU time, every thread, over its wall time × cores; low when other work
// shares the cores), pool occupancy (the fraction of the pool's slots its jobs
// filled while any ran: what we offered, whatever the OS gave), and the cold build's
// compression time on 4 and 8 cores estimated from (e)'s job times (longest first,
// as the pool schedules). Writes bench/results/build.{md,json}.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { basename, join } from 'node:path'
import { loadCorpus, BENCH_DIR, REPO_DIR } from './lib/corpus.js'
import { runOrThrow } from './lib/exec.js'
import { formatBytes, formatMs, formatRatio, markdownTable } from './lib/format.js'
import { benchCommand, machineInfo, wasmSqueezeVersion } from './lib/machine.js'

function args() {
  const out = { count: 3, maxMib: 16, runs: 2 }
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i += 2) {
    const key = { '--count': 'count', '--max-mib': 'maxMib', '--runs': 'runs' }[argv[i]]
    if (!key || !(Number(argv[i + 1]) > 0)) throw new Error(`usage: --count N --max-mib N --runs N (got ${argv[i]} ${argv[i + 1]})`)
    out[key] = Number(argv[i + 1])
  }
  return out
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const { count, maxMib, runs } = args()
const modules = loadCorpus()
  .files.filter((f) => f.bytes <= maxMib * 2 ** 20)
  .sort((a, b) => b.bytes - a.bytes)
  .slice(0, count)
const work = mkdtempSync(join(os.tmpdir(), 'wasm-squeeze-bench-build-'))
const app = join(work, 'app')
mkdirSync(app)
modules.forEach((m, i) => copyFileSync(m.absolutePath, join(app, `m${i}.wasm`)))
writeFileSync(join(app, 'main.js'), modules.map((_, i) => `import u${i} from './m${i}.wasm?url'\nconsole.log(u${i})\n`).join(''))
writeFileSync(join(app, 'index.html'), '<script type="module" src="./main.js"></script>\n')
const cores = os.availableParallelism?.() ?? os.cpus().length

async function buildOnce(variant, round, cacheDir = '') {
  const outDir = join(work, `${variant}-${round}`)
  const load = os.loadavg()[0]
  const args = [join(BENCH_DIR, 'lib', 'build-variant.js'), ['warm', 'cold', 'cold1'].includes(variant) ? 'ours' : variant, app, outDir, cacheDir, variant === 'cold1' ? '1' : '']
  const { stdout } = await runOrThrow(process.execPath, args, { timeoutMs: 60 * 60_000 })
  const result = { ...JSON.parse(stdout.trim().split('\n').at(-1)), load }
  const occupancy = result.pool?.occupancy == null ? '' : `, pool occupancy ${(result.pool.occupancy * 100).toFixed(0)}%`
  console.log(`round ${round + 1} ${variant}: ${formatMs(result.ms)}, CPU ${formatMs(result.cpuMs)} (${((result.cpuMs / result.ms / cores) * 100).toFixed(0)}% of ${cores} cores)${occupancy}, ${result.siblings} siblings, load ${load.toFixed(1)}`)
  return result
}

const VARIANTS = ['vite', 'compression2', 'cold', 'warm', 'cold1']
const samples = Object.fromEntries(VARIANTS.map((v) => [v, []]))
try {
  for (let round = 0; round < runs; round++) {
    const cache = join(work, `cache-${round}`) // empty: a cold build
    samples.vite.push(await buildOnce('vite', round))
    samples.compression2.push(await buildOnce('compression2', round))
    samples.cold.push(await buildOnce('cold', round, cache))
    samples.warm.push(await buildOnce('warm', round, cache))
    samples.cold1.push(await buildOnce('cold1', round, join(work, `cache-one-${round}`)))
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

/** Longest job first onto the first free of `slots` workers (the pool's rule): the makespan. */
function longestFirst(jobMs, slots) {
  const free = Array(slots).fill(0)
  for (const ms of [...jobMs].sort((a, b) => b - a)) free[free.indexOf(Math.min(...free))] += ms
  return Math.max(...free)
}
// Each job's run time when it ran alone (e), median over the rounds by position.
const jobsAlone = samples.cold1[0].pool.finished.map((_, i) => median(samples.cold1.map((s) => [...s.pool.finished].sort((a, b) => b.ms - a.ms)[i]?.ms ?? 0)))
const estimate = Object.fromEntries([1, 2, 4, 8].map((k) => [k, longestFirst(jobsAlone, k)]))
const largestJob = Math.max(...jobsAlone)

const med = Object.fromEntries(VARIANTS.map((v) => [v, { ms: median(samples[v].map((s) => s.ms)), cpuMs: median(samples[v].map((s) => s.cpuMs)) }]))
const util = (v) => `${((med[v].cpuMs / med[v].ms / cores) * 100).toFixed(0)}%`
const occupancy = (v) => (samples[v][0].pool?.occupancy == null ? '–' : `${(median(samples[v].map((s) => s.pool.occupancy)) * 100).toFixed(0)}%`)
const compressionSpan = (v) => median(samples[v].map((s) => s.pool?.spanMs ?? 0))
const LABELS = {
  vite: '(a) Vite alone',
  compression2: '(b) vite-plugin-compression2 (brotli 11 + gzip 9)',
  cold: '(c) wasm-squeeze, cold (empty cache)',
  warm: '(d) wasm-squeeze, warm',
  cold1: '(e) wasm-squeeze, cold, one job at a time',
}
const coldRatio = med.cold.ms / med.compression2.ms
const warmRatio = med.warm.ms / med.vite.ms
const report = [
  '# Build bench',
  '',
  `\`${benchCommand('build')}\` on ${new Date().toISOString()}, wasm-squeeze ${wasmSqueezeVersion(REPO_DIR)}.`,
  `Machine: ${JSON.stringify(machineInfo())}; load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (other work shares these cores: read the ratios).`,
  `App: Vite 8, ${modules.length} modules imported with \`?url\`: ${modules.map((m) => `${m.id} (${formatBytes(m.bytes)})`).join(', ')}. Each build in a fresh process; ${runs} rounds, medians.`,
  'Ours is configured to the peer\'s formats (brotli 11 + gzip 9, zstd off).',
  '',
  markdownTable(
    [{ title: 'build', align: 'left' }, { title: 'wall (median)' }, { title: 'runs (load average at start)' }, { title: 'CPU time' }, { title: 'CPU use of all cores' }, { title: 'pool occupancy' }],
    VARIANTS.map((v) => [LABELS[v], formatMs(med[v].ms), samples[v].map((s) => `${formatMs(s.ms)} (${s.load.toFixed(1)})`).join(', '), formatMs(med[v].cpuMs), util(v), occupancy(v)]),
  ),
  '',
  `Scaling of the cold build's compression (first job's start to last job's end, medians): one job at a time ${formatMs(compressionSpan('cold1'))}, ${cores} at a time ${formatMs(compressionSpan('cold'))} (${formatRatio(compressionSpan('cold1') / compressionSpan('cold'), 2)}× faster).`,
  `Estimated from (e)'s ${jobsAlone.length} job times, longest first: ${[1, 2, 4, 8].map((k) => `${k} core${k > 1 ? 's' : ''} ${formatMs(estimate[k])}`).join(', ')}; the largest job alone takes ${formatMs(largestJob)}, so from ${Object.entries(estimate).find(([, ms]) => ms === largestJob)?.[0] ?? 'more than 8'} cores on it bounds the build (an estimate: no memory-bandwidth or turbo effects).`,
  '',
  `(c) / (b), cold vs the peer: **${formatRatio(coldRatio)}** (target ≤ 0.5: ${coldRatio <= 0.5 ? 'met' : 'missed'}).`,
  `(d) / (a), warm vs Vite alone: **${formatRatio(warmRatio)}** (target ≤ 1.05: ${warmRatio <= 1.05 ? 'met' : 'missed'}).`,
  '',
].join('\n')
writeFileSync(join(BENCH_DIR, 'results', 'build.md'), report)
writeFileSync(join(BENCH_DIR, 'results', 'build.json'), `${JSON.stringify({ modules: modules.map((m) => ({ id: m.id, bytes: m.bytes })), cores, samples, medians: med, jobsAlone, estimate }, null, 2)}\n`)
console.log(report)
