#!/usr/bin/env node
// npm run bench:optimize [-- --filter <substring>] [-- --runs <n>] [-- --allow-raw-growth]
//
// For every module of the corpus (bench/corpus.js), in one run so that ratios
// are comparable on a noisy machine:
//   - ours in-process (`transform` from js/native.js, default options) and
//     through the CLI (`node js/cli.js in -o out`, whole-process wall time);
//   - wasm-opt with the passes closest to ours;
//   - a walrus parse+emit round trip (@napi-rs/wasm-tools), as a speed peer.
// Phase 1 times the tools one after the other and writes their outputs to
// bench/corpus/out/<tool>/; phase 2 validates them with V8 and measures raw
// and brotli-11 sizes (brotli in parallel, cached by content hash, because
// quality 11 runs at well under 1 MB/s).
// Writes bench/results/optimize.md and bench/results/optimize.json.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { transform } from '../js/native.js'
import { BENCH_DIR, CORPUS_DIR, REPO_DIR, loadCorpus } from './lib/corpus.js'
import { failureReason, run } from './lib/exec.js'
import { formatBytes, formatMs, formatRatio, markdownTable, ratio } from './lib/format.js'
import { benchCommand, machineInfo, toolVersion, wasmSqueezeVersion } from './lib/machine.js'
import { mapLimit } from './lib/pool.js'
import { BrotliCache, sha256 } from './lib/sizes.js'
import { bestOf, bestOfTimed, runsFor } from './lib/timing.js'
import { droppedRequiredSections } from './lib/wasm.js'
import { WASM_OPT_FEATURES, WASM_OPT_PASSES } from './lib/wasm-opt.js'

const OUT_DIR = join(CORPUS_DIR, 'out')
const RESULTS_DIR = join(BENCH_DIR, 'results')
const CLI_PATH = join(REPO_DIR, 'js', 'cli.js')
const WALRUS_SCRIPT = join(BENCH_DIR, 'lib', 'walrus-roundtrip.js')
const PEER_TIMEOUT_MS = 10 * 60_000

const TOOLS = ['ours', 'cli', 'wasm-opt', 'walrus']

function outputPath(tool, id) {
  return join(OUT_DIR, tool, id)
}

/** V8's verdict on a module: `{ valid, reason? }`. */
export function v8Check(bytes) {
  if (WebAssembly.validate(bytes)) return { valid: true }
  try {
    new WebAssembly.Module(bytes)
    return { valid: false, reason: 'WebAssembly.validate returned false' }
  } catch (err) {
    return { valid: false, reason: err.message }
  }
}

// ---------------------------------------------------------------- phase 1: time

/** Our options and CLI flags for this run (`--allow-raw-growth` opts into the trade). */
const ours = { options: {}, flags: [], suffix: '' }

async function timeOurs(file, input, runs) {
  try {
    const timed = await bestOf(runs, () => transform(input, ours.options))
    const { wasm, report } = timed.value
    writeFileSync(outputPath('ours', file.id), wasm)
    const steps = report.steps.map(({ pass, status, bytesSaved }) => ({ pass, status, bytesSaved }))
    return { ok: true, ms: timed.ms, samples: timed.samples, keptOriginal: report.keptOriginal, steps }
  } catch (err) {
    return { ok: false, reason: `${err.code ?? 'error'}: ${err.message}` }
  }
}

async function timeCli(file, runs) {
  const out = outputPath('cli', file.id)
  const result = await bestOfTimed(runs, () =>
    run(process.execPath, [CLI_PATH, file.absolutePath, '-o', out, ...ours.flags], { timeoutMs: PEER_TIMEOUT_MS }),
  )
  if (!result.ok) return { ok: false, reason: failureReason(result) }
  return { ok: true, ms: result.ms, samples: result.samples }
}

async function timeWasmOpt(file, runs) {
  const args = [file.absolutePath, '-o', outputPath('wasm-opt', file.id), ...WASM_OPT_PASSES, ...WASM_OPT_FEATURES]
  const result = await bestOfTimed(runs, () => run('wasm-opt', args, { timeoutMs: PEER_TIMEOUT_MS }))
  if (!result.ok) return { ok: false, reason: failureReason(result) }
  return { ok: true, ms: result.ms, samples: result.samples }
}

async function timeWalrus(file, runs) {
  const args = [WALRUS_SCRIPT, file.absolutePath, String(runs), outputPath('walrus', file.id)]
  const result = await run(process.execPath, args, { timeoutMs: PEER_TIMEOUT_MS, cwd: REPO_DIR })
  if (!result.ok) return { ok: false, reason: failureReason(result) }
  const { ms, samples } = JSON.parse(result.stdout)
  return { ok: true, ms, samples }
}

async function timeAll(file, runs) {
  const input = readFileSync(file.absolutePath)
  return {
    ours: await timeOurs(file, input, runs),
    cli: await timeCli(file, runs),
    'wasm-opt': await timeWasmOpt(file, runs),
    walrus: await timeWalrus(file, runs),
  }
}

// ---------------------------------------------------------------- phase 2: size

/** Size, V8 validity and lost required sections of one tool's output. */
function checkOutput(input, output) {
  const check = v8Check(output)
  return {
    bytes: output.length,
    valid: check.valid,
    invalidReason: check.reason,
    larger: output.length > input.length,
    droppedSections: droppedRequiredSections(input, output),
  }
}

/**
 * Validates the input and each output of one module and fills in raw sizes;
 * returns the brotli jobs (`{ target, bytes }`: set `target.brotli`) still to run.
 */
function checkAll(entry) {
  const input = readFileSync(entry.absolutePath)
  const inputCheck = v8Check(input)
  entry.input = { bytes: input.length, valid: inputCheck.valid, invalidReason: inputCheck.reason }
  const jobs = [{ target: entry.input, bytes: input }]
  let oursBytes
  for (const tool of TOOLS) {
    const result = entry[tool]
    if (!result.ok || tool === 'cli') continue
    const output = readFileSync(outputPath(tool, entry.id))
    Object.assign(result, checkOutput(input, output))
    if (tool === 'ours') oursBytes = output
    if (tool !== 'walrus') jobs.push({ target: result, bytes: output })
  }
  if (entry.cli.ok && oursBytes) {
    entry.cli.sameAsInProcess = readFileSync(outputPath('cli', entry.id)).equals(oursBytes)
  }
  return jobs
}

/** Runs brotli jobs biggest first, `threads` at a time, saving the cache as it goes. */
async function brotliAll(jobs, brotli, threads) {
  const ordered = [...jobs].sort((a, b) => b.bytes.length - a.bytes.length)
  let done = 0
  const total = formatBytes(sum(ordered.map((j) => j.bytes.length)))
  await mapLimit(ordered, threads, async (job) => {
    job.target.brotli = await brotli.size(job.bytes)
    brotli.save()
    if (++done % 10 === 0 || done === ordered.length) console.error(`  brotli ${done}/${ordered.length} (of ${total})`)
  })
}

// ---------------------------------------------------------------- report

function sum(values) {
  return values.reduce((a, b) => a + b, 0)
}

function geomean(values) {
  return values.length ? Math.exp(sum(values.map(Math.log)) / values.length) : null
}

/** Totals over the files where each tool succeeded (and, for sizes, V8 accepted its output). */
export function totals(files) {
  const usable = (tool) => files.filter((f) => f[tool].ok && (tool === 'cli' || f[tool].valid))
  const sumOf = (items, get) => (items.every((x) => get(x) != null) ? sum(items.map(get)) : null)
  const sizeTotals = (tool) => {
    const subset = usable(tool)
    return {
      files: subset.length,
      input: sumOf(subset, (f) => f.input.bytes),
      inputBrotli: sumOf(subset, (f) => f.input.brotli),
      bytes: sumOf(subset, (f) => f[tool].bytes),
      brotli: sumOf(subset, (f) => f[tool].brotli),
    }
  }
  const timeTotals = (tool) => {
    const subset = files.filter((f) => f[tool].ok && f.ours.ok && f.cli.ok)
    return {
      files: subset.length,
      ms: sum(subset.map((f) => f[tool].ms)),
      oursMs: sum(subset.map((f) => f.ours.ms)),
      cliMs: sum(subset.map((f) => f.cli.ms)),
      geomeanVsOurs: geomean(subset.map((f) => f[tool].ms / f.ours.ms)),
      geomeanVsCli: geomean(subset.map((f) => f[tool].ms / f.cli.ms)),
    }
  }
  return {
    files: files.length,
    input: sumOf(files, (f) => f.input.bytes),
    inputBrotli: sumOf(files, (f) => f.input.brotli),
    sizes: { ours: sizeTotals('ours'), 'wasm-opt': sizeTotals('wasm-opt'), walrus: sizeTotals('walrus') },
    times: Object.fromEntries(TOOLS.map((tool) => [tool, timeTotals(tool)])),
  }
}

/** Cell for a tool's output size: the size, or why there is none. */
function sizeCell(result, key) {
  if (!result.ok) return 'failed'
  if (!result.valid) return 'V8 rejects'
  return formatBytes(result[key])
}

function ratioCell(result, key, input) {
  if (!result.ok || !result.valid) return '—'
  return formatRatio(ratio(result[key], input[key]))
}

function sizesTable(files, total) {
  const columns = [
    { title: 'module', align: 'left' },
    { title: 'input' },
    { title: 'input br' },
    { title: 'ours' },
    { title: 'ours br' },
    { title: 'ours/in' },
    { title: 'ours br/in br' },
    { title: 'wasm-opt' },
    { title: 'wasm-opt br' },
    { title: 'wo/in' },
    { title: 'wo br/in br' },
  ]
  const rows = files.map((f) => [
    f.id,
    formatBytes(f.input.bytes),
    formatBytes(f.input.brotli),
    sizeCell(f.ours, 'bytes'),
    sizeCell(f.ours, 'brotli'),
    ratioCell(f.ours, 'bytes', f.input),
    ratioCell(f.ours, 'brotli', f.input),
    sizeCell(f['wasm-opt'], 'bytes'),
    sizeCell(f['wasm-opt'], 'brotli'),
    ratioCell(f['wasm-opt'], 'bytes', f.input),
    ratioCell(f['wasm-opt'], 'brotli', f.input),
  ])
  const o = total.sizes.ours
  const w = total.sizes['wasm-opt']
  const star = (t) => (t.files < total.files ? ` (${t.files}/${total.files} files)` : '')
  rows.push([
    `**total** (${total.files} files)`,
    formatBytes(total.input),
    formatBytes(total.inputBrotli),
    formatBytes(o.bytes) + star(o),
    formatBytes(o.brotli),
    formatRatio(ratio(o.bytes, o.input)),
    formatRatio(ratio(o.brotli, o.inputBrotli)),
    formatBytes(w.bytes) + star(w),
    formatBytes(w.brotli),
    formatRatio(ratio(w.bytes, w.input)),
    formatRatio(ratio(w.brotli, w.inputBrotli)),
  ])
  return markdownTable(columns, rows)
}

function timesTable(files, total) {
  const columns = [
    { title: 'module', align: 'left' },
    { title: 'input' },
    { title: 'runs' },
    { title: 'ours' },
    { title: 'ours CLI' },
    { title: 'wasm-opt' },
    { title: 'walrus' },
    { title: 'wasm-opt/ours' },
    { title: 'wasm-opt/ours CLI' },
    { title: 'walrus/ours' },
  ]
  const timeCell = (r) => (r.ok ? formatMs(r.ms) : 'failed')
  const vs = (f, tool, base) => (f[tool].ok && f[base].ok ? formatRatio(f[tool].ms / f[base].ms, 1) : '—')
  const rows = files.map((f) => [
    f.id,
    formatBytes(f.input.bytes),
    String(f.runs),
    timeCell(f.ours),
    timeCell(f.cli),
    timeCell(f['wasm-opt']),
    timeCell(f.walrus),
    vs(f, 'wasm-opt', 'ours'),
    vs(f, 'wasm-opt', 'cli'),
    vs(f, 'walrus', 'ours'),
  ])
  const t = total.times
  rows.push([
    `**total** (${total.files} files)`,
    formatBytes(total.input),
    '',
    formatMs(t.ours.ms),
    formatMs(t.cli.ms),
    formatMs(t['wasm-opt'].ms),
    formatMs(t.walrus.ms),
    formatRatio(ratio(t['wasm-opt'].ms, t['wasm-opt'].oursMs), 1),
    formatRatio(ratio(t['wasm-opt'].ms, t['wasm-opt'].cliMs), 1),
    formatRatio(ratio(t.walrus.ms, t.walrus.oursMs), 1),
  ])
  rows.push([
    '**geomean** of per-file ratios',
    ...Array(6).fill(''),
    formatRatio(t['wasm-opt'].geomeanVsOurs, 1),
    formatRatio(t['wasm-opt'].geomeanVsCli, 1),
    formatRatio(t.walrus.geomeanVsOurs, 1),
  ])
  return markdownTable(columns, rows)
}

/** Everything a reader should not miss: failures, rejected or larger outputs, lost sections. */
export function notes(files) {
  const lines = []
  for (const f of files) {
    if (!f.input.valid) lines.push(`${f.id}: V8 rejects the input itself (${f.input.invalidReason})`)
    for (const tool of TOOLS) {
      const r = f[tool]
      if (!r.ok) {
        lines.push(`${f.id}: ${tool} failed: ${r.reason}`)
        continue
      }
      if (r.valid === false) lines.push(`${f.id}: V8 rejects the ${tool} output: ${r.invalidReason}`)
      if (r.larger && tool === 'ours' && !ours.options.allowRawGrowth) lines.push(`${f.id}: **our output is larger than the input** (${r.bytes} > ${f.input.bytes})`)
      if (tool === 'ours' && r.brotli > f.input.brotli) lines.push(`${f.id}: **our output is larger brotli-11** (${r.brotli} > ${f.input.brotli})`)
      if (r.droppedSections?.length) lines.push(`${f.id}: ${tool} dropped required section(s) ${r.droppedSections.join(', ')}`)
    }
    if (f.cli.ok && f.cli.sameAsInProcess === false) lines.push(`${f.id}: the CLI wrote different bytes than transform()`)
  }
  const larger = files
    .filter((f) => f['wasm-opt'].ok && f['wasm-opt'].larger)
    .map((f) => `${f.id} (+${f['wasm-opt'].bytes - f.input.bytes} B)`)
  if (larger.length) lines.push(`wasm-opt output is larger than its input for: ${larger.join(', ')}`)
  const walrusLarger = files.filter((f) => f.walrus.ok && f.walrus.larger).length
  lines.push(`walrus round trip (timing peer only): output larger than input for ${walrusLarger} of ${files.length} modules`)
  return lines
}

function header(meta) {
  const m = meta.machine
  return [
    '# wasm-squeeze optimize bench',
    '',
    `- date: ${meta.date}`,
    `- machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB, ${m.platform}, Linux ${m.kernel}; shared and noisy, so read times as ratios within this run`,
    `- node ${m.node} (V8 ${m.v8}, brotli ${m.brotli}); ${meta.versions.wasmOpt}; @napi-rs/wasm-tools ${meta.versions.walrus}; wasm-squeeze ${meta.versions.wasmSqueeze}, addon sha256 ${meta.addon.atStart}…`,
    `- command: \`${meta.command}\`; corpus: ${meta.corpus} (bench/corpus-packages.js, built by \`npm run bench:corpus\`)`,
    `- ours: \`transform(bytes, ${JSON.stringify(ours.options)})\` from js/native.js; CLI: \`node js/cli.js in.wasm -o out.wasm${ours.flags.map((f) => ' ' + f).join('')}\` (whole process)`,
    `- wasm-opt: \`wasm-opt in.wasm -o out.wasm ${WASM_OPT_PASSES.join(' ')} ${WASM_OPT_FEATURES.join(' ')}\``,
    `- walrus: \`new ModuleConfig().parse(bytes).emitWasm(false)\`, parse+emit time only, in a child process`,
    `- times: best of N wall-clock runs (N = ${meta.runsPolicy}); sizes: raw, and brotli quality 11 with a size hint (Node zlib); \`br\` = brotli; ratios < 1 are smaller`,
    `- bench wall time: ${formatMs(meta.wallMs)} (timing ${formatMs(meta.phaseMs.timing)}, sizes ${formatMs(meta.phaseMs.sizes)})`,
  ].join('\n')
}

export function renderMarkdown(meta, files, total) {
  const noteLines = notes(files)
  if (meta.addon.atStart !== meta.addon.atEnd) {
    noteLines.unshift('**the native addon was rebuilt during this run**: in-process and CLI numbers may come from different builds; run again')
  }
  return [
    header(meta),
    '',
    '## Sizes',
    '',
    sizesTable(files, total),
    '',
    '## Times',
    '',
    timesTable(files, total),
    '',
    '## Notes',
    '',
    ...(noteLines.length ? noteLines.map((l) => `- ${l}`) : ['- none']),
    '',
  ].join('\n')
}

// ---------------------------------------------------------------- main

/**
 * A fingerprint of the native addon(s) in native/: other work may rebuild the
 * addon during a run, and then the in-process numbers (loaded at start) and the
 * CLI's (loaded per process) would come from different builds.
 */
function addonFingerprint() {
  const dir = join(REPO_DIR, 'native')
  const addons = readdirSync(dir).filter((f) => f.endsWith('.node')).sort()
  return sha256(Buffer.concat(addons.map((f) => readFileSync(join(dir, f))))).slice(0, 16)
}

function options() {
  const { values } = parseArgs({
    options: {
      filter: { type: 'string' },
      runs: { type: 'string' },
      'no-brotli': { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      'allow-raw-growth': { type: 'boolean' },
    },
  })
  return {
    filter: values.filter,
    runs: values.runs ? Number(values.runs) : undefined,
    withBrotli: !values['no-brotli'],
    cache: !values['no-cache'],
    allowRawGrowth: Boolean(values['allow-raw-growth']),
  }
}

function versions() {
  const require = createRequire(import.meta.url)
  return {
    wasmOpt: toolVersion('wasm-opt') ?? 'wasm-opt missing',
    walrus: require('@napi-rs/wasm-tools/package.json').version,
    wasmSqueeze: wasmSqueezeVersion(REPO_DIR),
  }
}

async function main() {
  const opts = options()
  if (opts.allowRawGrowth) Object.assign(ours, { options: { allowRawGrowth: true }, flags: ['--allow-raw-growth'], suffix: '-allow-raw-growth' })
  const started = performance.now()
  const addonAtStart = addonFingerprint()
  const { manifest, files } = loadCorpus({ filter: opts.filter })
  if (files.length === 0) throw new Error(`no corpus module matches --filter ${opts.filter}`)
  for (const tool of TOOLS) mkdirSync(join(OUT_DIR, tool), { recursive: true })
  mkdirSync(RESULTS_DIR, { recursive: true })

  // Load the addon (and warm up) before anything is timed.
  await transform(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))

  console.error(`phase 1: timing ${files.length} modules (ours, CLI, wasm-opt, walrus)`)
  const entries = []
  for (const [i, file] of files.entries()) {
    const runs = opts.runs ?? runsFor(file.bytes)
    const t0 = performance.now()
    const timed = await timeAll(file, runs)
    const status = TOOLS.map((tool) => `${tool} ${timed[tool].ok ? formatMs(timed[tool].ms) : 'FAILED'}`).join(', ')
    console.error(`  [${i + 1}/${files.length}] ${file.id} (${formatBytes(file.bytes)}, ${runs}×): ${status} — ${formatMs(performance.now() - t0)}`)
    const { absolutePath, ...described } = file
    entries.push({ ...described, absolutePath, runs, ...timed })
  }
  const timingMs = performance.now() - started

  console.error(`phase 2: validating and measuring sizes${opts.withBrotli ? ' (brotli-11, cached by content)' : ''}`)
  const t1 = performance.now()
  const brotli = new BrotliCache(opts.cache ? join(CORPUS_DIR, '.cache', 'brotli.json') : null)
  mkdirSync(join(CORPUS_DIR, '.cache'), { recursive: true })
  const jobs = entries.flatMap((entry) => checkAll(entry))
  if (opts.withBrotli) await brotliAll(jobs, brotli, machineInfo().nproc)
  const sizesMs = performance.now() - t1

  const results = entries.map(({ absolutePath, ...rest }) => rest)
  const total = totals(results)
  const meta = {
    date: new Date().toISOString(),
    command: benchCommand('optimize'),
    corpus: `${files.length} modules from ${new Set(files.map((f) => f.package)).size} of ${manifest.packages.length} listed packages`,
    machine: machineInfo(),
    versions: versions(),
    wasmOptArgs: [...WASM_OPT_PASSES, ...WASM_OPT_FEATURES],
    addon: { atStart: addonAtStart, atEnd: addonFingerprint() },
    runsPolicy: opts.runs ? `${opts.runs}` : '10 up to 1 MiB, 5 up to 8 MiB, 3 up to 16 MiB, 2 above',
    wallMs: performance.now() - started,
    phaseMs: { timing: timingMs, sizes: sizesMs },
  }
  const markdown = renderMarkdown(meta, results, total)
  writeFileSync(join(RESULTS_DIR, `optimize${ours.suffix}.md`), markdown)
  writeFileSync(join(RESULTS_DIR, `optimize${ours.suffix}.json`), JSON.stringify({ meta, totals: total, files: results }, null, 2) + '\n')
  console.log(markdown)
  console.error(`wrote bench/results/optimize${ours.suffix}.md and bench/results/optimize${ours.suffix}.json`)
  if (meta.addon.atStart !== meta.addon.atEnd) console.error('warning: the native addon was rebuilt during this run; run again')
  // Raw growth is the trade --allow-raw-growth asks for; a bigger brotli never is, but
  // only the default mode promises it (the opt-in mode's proxy can misjudge).
  const worse = (f) => (f.ours.larger && !ours.options.allowRawGrowth) || (!ours.options.allowRawGrowth && f.ours.brotli > f.input.brotli)
  if (results.some((f) => !f.ours.ok || !f.ours.valid || worse(f))) process.exitCode = 1
}

await main()
