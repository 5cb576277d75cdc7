#!/usr/bin/env node
// npm run bench:compress [-- --filter <substring>] [-- --skip-build] [-- --build-files a,b]
//
// Over the real-wasm corpus (bench/corpus.js), one run, one tool after the other:
//   - Node's zlib brotli at quality 11, file after file (what compression plugins
//     do), in a child process of its own (time, sizes, peak RSS);
//   - the zstd CLI at -19 and the gzip CLI at -9, file after file;
//   - ours: every file × brotli 11 / zstd 19 / gzip 9 submitted at once to the
//     plugin's pool (default limits: one job per core, memory budget), in a child
//     process of its own (wall time, per-job times, sizes, peak RSS);
//   - a Vite 8 build of an app importing some corpus wasm: no-op baseline (plugin
//     with optimize and compress off), cold (empty cache) and warm.
// Writes bench/results/compress.md and bench/results/compress.json (with
// --filter: compress-<filter>.md/.json, so a subset never overwrites the full run).
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { BENCH_DIR, CORPUS_DIR, loadCorpus } from './lib/corpus.js'
import { run } from './lib/exec.js'
import { formatBytes, formatMs, formatRatio, markdownTable, ratio } from './lib/format.js'
import { gitRevision, machineInfo, toolVersion } from './lib/machine.js'

const OUT_DIR = join(CORPUS_DIR, 'out', 'compress')
const RESULTS_DIR = join(BENCH_DIR, 'results')
const PHASE = join(BENCH_DIR, 'lib', 'compress-phase.js')
const APP_DIR = join(CORPUS_DIR, 'app')
const TIMEOUT_MS = 60 * 60_000
const DEFAULT_BUILD_FILES = ['resvg-resvg-wasm__index_bg.wasm', 'sqlite.org-sqlite-wasm__sqlite3.wasm', 'brotli-wasm__brotli_wasm_bg.wasm']

const { values: args } = parseArgs({
  options: {
    filter: { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    'build-files': { type: 'string' },
    'report-only': { type: 'boolean', default: false },
  },
})

async function phase(name, files) {
  const dir = join(OUT_DIR, name)
  mkdirSync(dir, { recursive: true })
  console.error(`[bench:compress] ${name}: ${files.length} files…`)
  const res = await run(process.execPath, [PHASE, name, dir, ...files.map((f) => f.absolutePath)], { timeoutMs: TIMEOUT_MS })
  if (!res.ok) throw new Error(`${name} phase failed: ${res.stderr || res.error}`)
  return JSON.parse(res.stdout.trim().split('\n').pop())
}

/** Runs a CLI compressor file after file: `{ total, files: { id: { bytes, ms } } }`. */
async function cli(name, files, argsFor) {
  const dir = join(OUT_DIR, name)
  mkdirSync(dir, { recursive: true })
  console.error(`[bench:compress] ${name} CLI…`)
  const out = { totalMs: 0, files: {} }
  for (const file of files) {
    const target = join(dir, file.id)
    const res = await run('sh', ['-c', argsFor(file.absolutePath, target)], { timeoutMs: TIMEOUT_MS })
    if (!res.ok) throw new Error(`${name} failed on ${file.id}: ${res.stderr || res.error}`)
    out.files[file.id] = { bytes: statSync(target).size, ms: res.ms }
    out.totalMs += res.ms
  }
  return out
}

/** A Vite app importing `wasmFiles` with `?url`, in bench/corpus/app. */
function writeApp(wasmFiles) {
  rmSync(APP_DIR, { recursive: true, force: true })
  mkdirSync(join(APP_DIR, 'wasm'), { recursive: true })
  const imports = wasmFiles.map((f, i) => {
    writeFileSync(join(APP_DIR, 'wasm', f.id), readFileSync(f.absolutePath))
    return `import url${i} from './wasm/${f.id}?url'`
  })
  writeFileSync(join(APP_DIR, 'main.js'), `${imports.join('\n')}\nconsole.log(${wasmFiles.map((_, i) => `url${i}`).join(', ')})\n`)
  writeFileSync(join(APP_DIR, 'index.html'), '<!doctype html><script type="module" src="/main.js"></script>\n')
}

async function timeBuild(pluginOptions) {
  const { build } = await import('vite')
  const { default: wasmSqueeze } = await import('../js/plugin.js')
  const started = performance.now()
  await build({
    root: APP_DIR,
    configFile: false,
    logLevel: 'silent',
    plugins: [wasmSqueeze({ report: false, ...pluginOptions })],
    build: { outDir: join(APP_DIR, 'dist'), emptyOutDir: true },
  })
  return performance.now() - started
}

async function buildBench(wasmFiles) {
  writeApp(wasmFiles)
  const cache = join(APP_DIR, 'cache')
  console.error(`[bench:compress] Vite builds of ${wasmFiles.map((f) => f.id).join(', ')}…`)
  const baseline = await timeBuild({ optimize: false, compress: false })
  const optimizeOnly = await timeBuild({ compress: false })
  const cold = await timeBuild({ cache })
  const warm = await timeBuild({ cache })
  return {
    files: wasmFiles.map((f) => ({ id: f.id, bytes: f.bytes })),
    baselineMs: baseline,
    optimizeOnlyMs: optimizeOnly,
    coldMs: cold,
    warmMs: warm,
    warmOverCold: warm / cold,
    warmCompressionOverCold: Math.max(0, warm - optimizeOnly) / cold,
  }
}

function markdown(report) {
  const { files, zlib, ours, zstdCli, gzipCli, build, machine, versions } = report
  const rows = files.map((f) => {
    const o = ours.files[f.id]
    const z = zlib.files[f.id]
    return [
      f.id,
      formatBytes(f.bytes),
      formatBytes(z.br),
      formatBytes(o.br),
      formatRatio(ratio(o.br, z.br), 4),
      formatBytes(zstdCli.files[f.id].bytes),
      formatBytes(o.zst),
      formatRatio(ratio(o.zst, zstdCli.files[f.id].bytes), 4),
      formatBytes(gzipCli.files[f.id].bytes),
      formatBytes(o.gz),
      formatRatio(ratio(o.gz, gzipCli.files[f.id].bytes), 4),
      formatMs(z.brMs),
      formatMs(o.brMs),
      formatMs(zstdCli.files[f.id].ms),
      formatMs(o.zstMs),
      formatMs(gzipCli.files[f.id].ms),
      formatMs(o.gzMs),
    ]
  })
  const columns = [
    { title: 'module', align: 'left' },
    { title: 'raw' },
    { title: 'zlib br' },
    { title: 'our br' },
    { title: 'br ratio' },
    { title: 'zstd -19' },
    { title: 'our zst' },
    { title: 'zst ratio' },
    { title: 'gzip -9' },
    { title: 'our gz' },
    { title: 'gz ratio' },
    { title: 'zlib br time' },
    { title: 'our br time' },
    { title: 'zstd time' },
    { title: 'our zst time' },
    { title: 'gzip time' },
    { title: 'our gz time' },
  ]
  const sum = (pick) => files.reduce((t, f) => t + pick(f), 0)
  const totals = {
    raw: sum((f) => f.bytes),
    zlibBr: sum((f) => zlib.files[f.id].br),
    ourBr: sum((f) => ours.files[f.id].br),
    zstd: sum((f) => zstdCli.files[f.id].bytes),
    ourZst: sum((f) => ours.files[f.id].zst),
    gzip: sum((f) => gzipCli.files[f.id].bytes),
    ourGz: sum((f) => ours.files[f.id].gz),
  }
  const worseBr = files.filter((f) => ours.files[f.id].br > zlib.files[f.id].br).map((f) => f.id)
  const lines = [
    `# Compression bench${report.filter ? ` (subset: --filter ${report.filter})` : ''}`,
    '',
    `\`npm run bench:compress${report.filter ? ` -- --filter ${report.filter}` : ''}\` on ${report.date}, git ${report.git?.sha ?? '?'}${report.git?.dirty ? ' (dirty)' : ''}.`,
    `Machine: ${machine.cpu}, ${machine.nproc} cores (shared with other work while this ran), ${machine.memoryGiB} GiB, Node ${machine.node} (zlib brotli ${machine.brotli}); ${versions.zstd}; ${versions.gzip}.`,
    'One run of each tool; sizes are exact, times are wall clock on a shared machine: read the ratios, measured in the same run.',
    '',
    '## Wall time for the corpus',
    '',
    markdownTable(
      [{ title: 'what', align: 'left' }, { title: 'wall time' }, { title: 'vs zlib brotli alone' }, { title: 'CPU time' }, { title: 'peak RSS' }],
      [
        ['Node zlib brotli 11, file after file', formatMs(zlib.wallMs), '1.000', formatMs(zlib.cpuMs), formatBytes(zlib.maxRss)],
        [`ours: brotli 11 + zstd 19 + gzip 9, pool of ${ours.limits.concurrency} (budget ${formatBytes(ours.limits.memoryBudget)})`, formatMs(ours.wallMs), formatRatio(ours.wallMs / zlib.wallMs), formatMs(ours.cpuMs), formatBytes(ours.maxRss)],
        ['zstd CLI -19, file after file', formatMs(zstdCli.totalMs), formatRatio(zstdCli.totalMs / zlib.wallMs), '—', '—'],
        ['gzip CLI -9, file after file', formatMs(gzipCli.totalMs), formatRatio(gzipCli.totalMs / zlib.wallMs), '—', '—'],
      ],
    ),
    '',
    `Target: ours ≤ 0.75× zlib brotli alone → **${formatRatio(ours.wallMs / zlib.wallMs)}×** (${ours.wallMs / zlib.wallMs <= 0.75 ? 'met' : 'NOT met'}).`,
    ...(ours.cpuMs && zlib.cpuMs
      ? [
          `CPU time, which the machine's other load does not inflate the way it does wall time: ours ${formatMs(ours.cpuMs)} for three formats vs zlib's ${formatMs(zlib.cpuMs)} for brotli alone (${formatRatio(ours.cpuMs / zlib.cpuMs)}×); spread over ${ours.limits.concurrency} idle cores that is ${formatRatio(ours.cpuMs / ours.limits.concurrency / zlib.cpuMs)}× zlib's time, at best.`,
        ]
      : []),
    `Pool: ${ours.pool.jobs} jobs, at most ${ours.pool.peakRunning} at once, peak estimated memory of running jobs ${formatBytes(ours.pool.peakMemory)}; peak RSS of the whole process ${formatBytes(ours.maxRss)} (zlib, one file at a time: ${formatBytes(zlib.maxRss)}).`,
    '',
    '## Sizes',
    '',
    markdownTable(
      [{ title: 'format', align: 'left' }, { title: 'peer' }, { title: 'ours' }, { title: 'ours / peer' }],
      [
        ['brotli 11 (peer: Node zlib)', formatBytes(totals.zlibBr), formatBytes(totals.ourBr), formatRatio(totals.ourBr / totals.zlibBr, 4)],
        ['zstd 19 (peer: zstd CLI)', formatBytes(totals.zstd), formatBytes(totals.ourZst), formatRatio(totals.ourZst / totals.zstd, 4)],
        ['gzip 9 (peer: gzip CLI)', formatBytes(totals.gzip), formatBytes(totals.ourGz), formatRatio(totals.ourGz / totals.gzip, 4)],
      ],
    ),
    '',
    `Target: our brotli ≤ zlib's on every file → ${worseBr.length === 0 ? '**met** (no file bigger)' : `**NOT met** on ${worseBr.join(', ')}`}.`,
    '',
    '## Per module',
    '',
    'Our times are per job inside the pool (jobs run side by side, so they overlap); the peers run alone.',
    '',
    markdownTable(columns, rows),
    '',
  ]
  if (build) {
    lines.push(
      '## Cold vs warm Vite build',
      '',
      `Vite 8 build of an app importing ${build.files.map((f) => `${f.id} (${formatBytes(f.bytes)})`).join(', ')} with \`?url\`.`,
      '',
      markdownTable(
        [{ title: 'build', align: 'left' }, { title: 'wall time' }, { title: 'vs cold' }],
        [
          ['plugin with optimize and compress off (Vite itself)', formatMs(build.baselineMs), formatRatio(build.baselineMs / build.coldMs)],
          ['optimize only (compress off)', formatMs(build.optimizeOnlyMs), formatRatio(build.optimizeOnlyMs / build.coldMs)],
          ['cold: empty compression cache', formatMs(build.coldMs), '1.000'],
          ['warm: same cache', formatMs(build.warmMs), formatRatio(build.warmOverCold)],
        ],
      ),
      '',
      `Target: warm ≤ 2% of cold → whole warm build **${(build.warmOverCold * 100).toFixed(1)}%** of cold; what the warm build spends beyond an optimize-only build (cache lookups, emitting siblings): ${(build.warmCompressionOverCold * 100).toFixed(1)}% of cold.`,
      '',
    )
  }
  return lines.join('\n')
}

async function main() {
  const name = args.filter ? `compress-${args.filter.replace(/[^\w.-]+/g, '_')}` : 'compress'
  if (args['report-only']) {
    // Re-renders the markdown from the last run's JSON.
    const md = markdown(JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')))
    writeFileSync(join(RESULTS_DIR, `${name}.md`), md)
    console.log(md)
    return
  }
  const { files } = loadCorpus({ filter: args.filter })
  if (files.length === 0) throw new Error(`no corpus module matches --filter ${args.filter}`)
  const started = new Date()
  const zlib = await phase('zlib', files)
  const ours = await phase('ours', files)
  const zstdCli = await cli('zstd', files, (input, output) => `zstd -19 -q -f "${input}" -o "${output}"`)
  const gzipCli = await cli('gzip', files, (input, output) => `gzip -9 -n -c "${input}" > "${output}"`)
  let build = null
  if (!args['skip-build']) {
    const { files: all } = loadCorpus()
    const wanted = args['build-files']?.split(',') ?? DEFAULT_BUILD_FILES
    const buildFiles = all.filter((f) => wanted.includes(f.id))
    if (buildFiles.length > 0) build = await buildBench(buildFiles)
  }
  const report = {
    date: started.toISOString(),
    filter: args.filter ?? null,
    git: gitRevision(BENCH_DIR),
    machine: machineInfo(),
    versions: { zstd: toolVersion('zstd', ['--version']), gzip: toolVersion('gzip', ['--version'])?.split('\n')[0] },
    files: files.map((f) => ({ id: f.id, bytes: f.bytes })),
    zlib,
    ours,
    zstdCli,
    gzipCli,
    build,
  }
  mkdirSync(RESULTS_DIR, { recursive: true })
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`)
  const md = markdown(report)
  writeFileSync(join(RESULTS_DIR, `${name}.md`), md)
  console.log(md)
}

if (!existsSync(CORPUS_DIR)) {
  console.error('no corpus: run `npm run bench:corpus` first')
  process.exit(1)
}
await main()
