#!/usr/bin/env node
// npm run bench:indices [-- --filter <substring>]
//
// Would merging duplicate function types, or numbering functions, globals and
// types most-used first (so that more indices fit in one LEB128 byte), pay on the
// corpus (bench/corpus.js)? Two sides, in one run:
//   - raw: bench/index_stats.rs counts every index that names a function, global
//     or type and its bytes now and if renumbered by use (an upper bound on the raw
//     saving), and the duplicate types;
//   - wire: renumbering functions reorders the code section, which is what the
//     compressor sees. wasm-opt's `--reorder-functions` (by use) is measured
//     against wasm-opt's round trip with the same flags, so that both are
//     binaryen's encoding and only the order differs; raw and brotli-11 sizes.
// Writes bench/results/indices.md and bench/results/indices.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BENCH_DIR, CORPUS_DIR, REPO_DIR, loadCorpus } from './lib/corpus.js'
import { failureReason, run, runOrThrow } from './lib/exec.js'
import { formatBytes, formatChange, formatPercent, markdownTable, ratio } from './lib/format.js'
import { benchCommand, machineInfo, toolVersion, wasmSqueezeVersion } from './lib/machine.js'
import { mapLimit } from './lib/pool.js'
import { BrotliCache } from './lib/sizes.js'
import { WASM_OPT_FEATURES, WASM_OPT_STRIP } from './lib/wasm-opt.js'

const OUT_DIR = join(CORPUS_DIR, 'out', 'indices')
const RESULTS_DIR = join(BENCH_DIR, 'results')
const VARIANTS = { roundTrip: [], reordered: ['--reorder-functions'] }
/** Reordering moves brotli sizes by tenths of a percent: two decimals. */
const change = (r) => formatChange(r, 2)

/** bench/index_stats.rs over the files: one parsed JSON object per file, by path. */
async function indexStats(paths) {
  const args = ['run', '--quiet', '--release', '--no-default-features', '--example', 'index_stats', '--', ...paths]
  const { stdout } = await runOrThrow('cargo', args, { cwd: REPO_DIR, timeoutMs: 30 * 60_000, maxOutput: 16 << 20 })
  return new Map(stdout.trim().split('\n').map((line) => JSON.parse(line)).map((s) => [s.path, s]))
}

/** Raw and brotli-11 sizes of wasm-opt's output for each variant, V8-validated. */
async function wireSides(file, brotli) {
  const sides = {}
  for (const [variant, flags] of Object.entries(VARIANTS)) {
    const out = join(OUT_DIR, `${file.id}.${variant}.wasm`)
    const result = await run('wasm-opt', [file.absolutePath, '-o', out, ...WASM_OPT_STRIP, ...flags, ...WASM_OPT_FEATURES], { timeoutMs: 10 * 60_000 })
    if (!result.ok) return { ok: false, reason: `wasm-opt ${variant}: ${failureReason(result)}` }
    const bytes = readFileSync(out)
    if (!WebAssembly.validate(bytes)) return { ok: false, reason: `wasm-opt ${variant}: V8 rejects the output` }
    sides[variant] = { raw: bytes.length, brotli: await brotli.size(bytes) }
  }
  return { ok: true, ...sides }
}

function saving(space) {
  return space.bytesNow - space.bytesByUse
}

function row(entry) {
  const { stats: s, wire } = entry
  const bytesOf = (space) => `${formatBytes(space.bytesNow)} → ${formatBytes(space.bytesByUse)}`
  const reordered = (key) => (wire.ok ? change(ratio(wire.reordered[key], wire.roundTrip[key])) : '—')
  return [
    entry.id,
    formatBytes(s.bytes),
    String(s.functions.count),
    bytesOf(s.functions),
    formatPercent(saving(s.functions), s.bytes),
    reordered('raw'),
    reordered('brotli'),
    `${s.types.count} / ${s.duplicateTypes}`,
    bytesOf(s.types),
    bytesOf(s.globals),
  ]
}

function totalsOf(entries) {
  const sumOf = (list, f) => list.reduce((n, e) => n + f(e), 0)
  const sum = (f) => sumOf(entries, f)
  const measured = entries.filter((e) => e.wire.ok)
  return {
    bytes: sum((e) => e.stats.bytes),
    functionBytesNow: sum((e) => e.stats.functions.bytesNow),
    functionBytesByUse: sum((e) => e.stats.functions.bytesByUse),
    typeBytesNow: sum((e) => e.stats.types.bytesNow),
    typeBytesByUse: sum((e) => e.stats.types.bytesByUse),
    globalBytesNow: sum((e) => e.stats.globals.bytesNow),
    globalBytesByUse: sum((e) => e.stats.globals.bytesByUse),
    duplicateTypes: sum((e) => e.stats.duplicateTypes),
    modulesOver128Types: entries.filter((e) => e.stats.types.count > 128).length,
    wire: {
      modules: measured.length,
      roundTripRaw: sumOf(measured, (e) => e.wire.roundTrip.raw),
      reorderedRaw: sumOf(measured, (e) => e.wire.reordered.raw),
      roundTripBrotli: sumOf(measured, (e) => e.wire.roundTrip.brotli),
      reorderedBrotli: sumOf(measured, (e) => e.wire.reordered.brotli),
      brotliGrew: measured.filter((e) => e.wire.reordered.brotli > e.wire.roundTrip.brotli).length,
      brotliShrank: measured.filter((e) => e.wire.reordered.brotli < e.wire.roundTrip.brotli).length,
    },
  }
}

function renderMarkdown(meta, entries, t) {
  const columns = [
    { title: 'module', align: 'left' },
    { title: 'input' },
    { title: 'functions' },
    { title: 'function index bytes: now → by use' },
    { title: 'saving / input' },
    { title: 'reordered raw' },
    { title: 'reordered br' },
    { title: 'types / duplicates' },
    { title: 'type index bytes' },
    { title: 'global index bytes' },
  ]
  const w = t.wire
  const totalRow = [
    `**total** (${entries.length} files)`,
    formatBytes(t.bytes),
    '',
    `${formatBytes(t.functionBytesNow)} → ${formatBytes(t.functionBytesByUse)}`,
    formatPercent(t.functionBytesNow - t.functionBytesByUse, t.bytes),
    change(ratio(w.reorderedRaw, w.roundTripRaw)),
    change(ratio(w.reorderedBrotli, w.roundTripBrotli)),
    `— / ${t.duplicateTypes}`,
    `${formatBytes(t.typeBytesNow)} → ${formatBytes(t.typeBytesByUse)}`,
    `${formatBytes(t.globalBytesNow)} → ${formatBytes(t.globalBytesByUse)}`,
  ]
  const failed = entries.filter((e) => !e.wire.ok).map((e) => `- ${e.id}: ${e.wire.reason}`)
  return [
    '# Index reordering and duplicate types',
    '',
    `- date: ${meta.date}`,
    `- command: \`${meta.command}\`; corpus: ${entries.length} modules (bench/corpus-packages.js, built by \`npm run bench:corpus\`)`,
    `- ${meta.versions.wasmOpt}; node ${meta.machine.node} (brotli ${meta.machine.brotli}); wasm-squeeze ${meta.versions.wasmSqueeze}`,
    '- index bytes (bench/index_stats.rs): every LEB128 that names a function (`call`, `return_call`, `ref.func`, exports, element segments, start), a global (`global.get`/`set`, exports) or a type (function and import entries, `call_indirect`), as encoded, and if the defined ones were numbered most-mentioned first (imports stay first): the most reordering could save raw',
    `- reordered raw / br: \`wasm-opt ${WASM_OPT_STRIP.join(' ')} --reorder-functions\` against \`wasm-opt ${WASM_OPT_STRIP.join(' ')}\` (both with the browser feature flags of bench:optimize), so only the order of functions differs; brotli quality 11`,
    '- types / duplicates: types, and function types outside explicit recursion groups identical to an earlier one',
    '',
    markdownTable(columns, [...entries.map(row), totalRow]),
    '',
    '## Summary',
    '',
    `- Duplicate types: ${t.duplicateTypes} in ${entries.length} modules; ${t.modulesOver128Types} modules have more than 128 types.`,
    `- Numbering functions by use could save at most ${formatBytes(t.functionBytesNow - t.functionBytesByUse)} raw (${formatPercent(t.functionBytesNow - t.functionBytesByUse, t.bytes)} of the inputs); types ${formatBytes(t.typeBytesNow - t.typeBytesByUse)}, globals ${formatBytes(t.globalBytesNow - t.globalBytesByUse)}.`,
    `- On the wire, reordering functions by use (wasm-opt, ${w.modules} modules): raw ${change(ratio(w.reorderedRaw, w.roundTripRaw))}, brotli-11 ${change(ratio(w.reorderedBrotli, w.roundTripBrotli))} in total; brotli grew for ${w.brotliGrew} modules and shrank for ${w.brotliShrank}.`,
    ...(failed.length ? ['', '## Not measured', '', ...failed] : []),
    '',
  ].join('\n')
}

async function main() {
  const { values } = parseArgs({ options: { filter: { type: 'string' } } })
  const { files } = loadCorpus({ filter: values.filter })
  if (files.length === 0) throw new Error(`no corpus module matches --filter ${values.filter}`)
  mkdirSync(OUT_DIR, { recursive: true })
  mkdirSync(join(CORPUS_DIR, '.cache'), { recursive: true })
  mkdirSync(RESULTS_DIR, { recursive: true })

  console.error(`index statistics of ${files.length} modules (cargo example index_stats)`)
  const stats = await indexStats(files.map((f) => f.absolutePath))
  console.error('wasm-opt round trip and --reorder-functions, brotli-11 sizes (cached by content)')
  const brotli = new BrotliCache(join(CORPUS_DIR, '.cache', 'brotli.json'))
  const entries = await mapLimit(files, machineInfo().nproc, async (file) => {
    const wire = await wireSides(file, brotli)
    console.error(`  ${file.id}: ${wire.ok ? `brotli ${wire.roundTrip.brotli} → ${wire.reordered.brotli}` : wire.reason}`)
    return { id: file.id, stats: stats.get(file.absolutePath), wire }
  })
  brotli.save()

  const meta = {
    date: new Date().toISOString(),
    command: benchCommand('indices'),
    machine: machineInfo(),
    versions: {
      wasmOpt: toolVersion('wasm-opt') ?? 'wasm-opt missing',
      wasmSqueeze: wasmSqueezeVersion(REPO_DIR),
    },
  }
  const totals = totalsOf(entries)
  const markdown = renderMarkdown(meta, entries, totals)
  writeFileSync(join(RESULTS_DIR, 'indices.md'), markdown)
  writeFileSync(join(RESULTS_DIR, 'indices.json'), JSON.stringify({ meta, totals, files: entries }, null, 2) + '\n')
  console.log(markdown)
  console.error('wrote bench/results/indices.md and bench/results/indices.json')
  if (entries.some((e) => !e.wire.ok)) process.exitCode = 1
}

await main()
