#!/usr/bin/env node
// npm run bench:delta [-- --filter <substring>] [-- --report-only]
//
// Real consecutive npm releases, fetched with `npm pack` at pinned versions: for the
// wasm a browser loads from both releases, in one run, what the plugin ships for the
// new release with the old one as its previous deploy (the optimizer with
// `previous`: align-to-previous), brotli 11 of the new file as released and as
// shipped (what a fresh visitor gets), dcb of each against the old one, and dcz of
// the shipped one (what a returning visitor gets), each size against br11 and each
// time against br11's.
// Every delta is verified natively before it is returned (decoded against its
// dictionary and compared by sha-256). Writes bench/results/delta.md and delta.json
// (with --filter: delta-<filter>.*).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { compressSync, deltaSync, transformSync } from '../js/native.js'
import { BENCH_DIR } from './lib/corpus.js'
import { unpacked } from './lib/npm-pack.js'
import { formatBytes, formatMs, formatPercent, markdownTable } from './lib/format.js'
import { gitRevision, machineInfo } from './lib/machine.js'

/** [package, old, new, the wasm a browser loads (release builds, not debug ones)]. */
export const PAIRS = [
  ['@resvg/resvg-wasm', '2.6.1', '2.6.2', 'index_bg.wasm'],
  ['web-tree-sitter', '0.27.1', '0.27.2', 'web-tree-sitter.wasm'],
  ['sql.js', '1.16.0', '1.17.0', 'dist/sql-wasm.wasm'],
  ['@swc/wasm', '1.16.18', '1.16.21', 'wasm_bg.wasm'],
  ['esbuild-wasm', '0.28.1', '0.28.2', 'esbuild.wasm'],
  ['@duckdb/duckdb-wasm', '1.31.0', '1.32.0', 'dist/duckdb-eh.wasm'],
]

// The code measured: taken once, before the first pair (a run can outlast commits).
const startRevision = gitRevision()
const { values: args } = parseArgs({ options: { filter: { type: 'string' }, 'report-only': { type: 'boolean', default: false } } })

function timed(fn) {
  const started = performance.now()
  const value = fn()
  return { value, ms: performance.now() - started }
}

const suffix = args.filter ? `-${args.filter.replace(/[^\w.-]+/g, '_')}` : ''
const resultsDir = join(BENCH_DIR, 'results')
// --report-only: rewrite the markdown from the last run's JSON.
const previousRun = args['report-only'] ? JSON.parse(readFileSync(join(resultsDir, `delta${suffix}.json`), 'utf8')) : null
const rows = previousRun?.rows ?? []
for (const [name, from, to, file] of previousRun ? [] : PAIRS) {
  const label = `${name} ${from} → ${to}`
  if (args.filter && !label.includes(args.filter)) continue
  const [oldDir, newDir] = [await unpacked(name, from), await unpacked(name, to)]
  if (!existsSync(join(oldDir, file)) || !existsSync(join(newDir, file))) throw new Error(`${label}: ${file} is not in both releases`)
  const old = readFileSync(join(oldDir, file))
  const next = readFileSync(join(newDir, file))
  console.error(`[bench:delta] ${label}: ${relative(newDir, join(newDir, file))} (${formatBytes(next.length)})…`)
  const brotli11 = (bytes) => compressSync(bytes, { brotli: 11, zstd: false, gzip: false }).br
  const aligned = timed(() => transformSync(next, { previous: old }))
  const shipped = aligned.value.wasm
  const step = aligned.value.report.steps.find((s) => s.pass === 'align-to-previous')
  const br = timed(() => brotli11(next))
  const dcbUnaligned = timed(() => deltaSync(next, old, { format: 'dcb' }))
  const same = Buffer.compare(shipped, next) === 0 // refused or unchanged: measured once
  const shippedBr = same ? br : timed(() => brotli11(shipped))
  const dcb = same ? dcbUnaligned : timed(() => deltaSync(shipped, old, { format: 'dcb' }))
  const dcz = timed(() => deltaSync(shipped, old, { format: 'dcz' }))
  rows.push({
    pair: label,
    file,
    raw: next.length,
    dictionary: old.length,
    align: `${step.status}: ${step.detail}`,
    alignMs: aligned.ms,
    releasedBr11: br.value.length,
    releasedBrMs: br.ms,
    dcbUnaligned: dcbUnaligned.value.length,
    shippedRaw: shipped.length,
    br11: shippedBr.value.length,
    brMs: shippedBr.ms,
    dcb: dcb.value.length,
    dcbMs: dcb.ms,
    dcz: dcz.value?.length ?? null,
    dczMs: dcz.ms,
  })
  writeResults(rows) // after every pair: a long run that is cut short keeps what it measured
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  if (!sorted.length) return null
  const mid = sorted.length / 2
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[mid - 1] + sorted[mid]) / 2
}

function writeResults(rows) {
  const smallest = (r) => Math.min(r.dcb, r.dcz ?? Infinity)
  const medianShipped = median(rows.map((r) => smallest(r) / r.br11))
  const medianUnaligned = median(rows.map((r) => r.dcbUnaligned / r.releasedBr11))
  const bytes = (n) => n.toLocaleString('en-US')
  const change = (now, was) => `${now >= was ? '+' : '−'}${((Math.abs(now - was) / was) * 100).toFixed(2)}%`
  const times = (ms, base) => `${formatMs(ms)} (${(ms / base).toFixed(2)}×)`
  const titles = ['pair', 'raw', 'br11 as released', 'dcb as released', 'br11 shipped (vs released)', 'dcb shipped', 'dcb / br11', 'dcz shipped', 'dcz / br11', 'br11 time', 'dcb time (× br11)', 'dcz time (× br11)', 'align time']
  const table = markdownTable(
    titles.map((title, i) => ({ title, align: i < 1 ? 'left' : 'right' })),
    rows.map((r) => [
      `${r.pair} (${r.file})`,
      bytes(r.raw),
      bytes(r.releasedBr11),
      `${bytes(r.dcbUnaligned)} (${formatPercent(r.dcbUnaligned, r.releasedBr11)})`,
      `${bytes(r.br11)} (${change(r.br11, r.releasedBr11)})`,
      bytes(r.dcb),
      formatPercent(r.dcb, r.br11),
      r.dcz == null ? '-' : bytes(r.dcz),
      r.dcz == null ? '-' : formatPercent(r.dcz, r.br11),
      formatMs(r.brMs),
      times(r.dcbMs, r.brMs),
      times(r.dczMs, r.brMs),
      formatMs(r.alignMs),
    ]),
  )
  const steps = rows.map((r) => `- ${r.pair}: ${r.align}`).join('\n')
  const percent = (ratio) => (ratio == null ? '-' : `${(ratio * 100).toFixed(1)}%`)
  const machine = previousRun?.machine ?? machineInfo()
  const revision = previousRun?.revision ?? startRevision
  writeFileSync(join(resultsDir, `delta${suffix}.json`), `${JSON.stringify({ revision, machine, rows, medianSmallestRatio: medianShipped, medianUnalignedDcbRatio: medianUnaligned }, null, 2)}\n`)
  const md = `# bench:delta

Revision ${revision?.sha}${revision?.dirty ? ' (dirty)' : ''}, ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGiB} GiB, node ${process.version}.

One run, file after file on one thread. "As released" is the new release's file; "shipped" is what the plugin ships for it with the old release as the previous deploy (the optimizer with \`previous\`, whose align-to-previous numbers the functions as the old file does). br11 is brotli 11 of the file alone (a fresh visit); dcb (brotli 11, lgwin 24) and dcz (zstd 19) use the old file as a raw dictionary (a returning visit), each verified natively. Ratios are against br11 of the same file.

${table}

Median of the smaller delta of what ships against its br11: **${percent(medianShipped)}** (dcb of the files as released: ${percent(medianUnaligned)}).

align-to-previous:
${steps}
`
  writeFileSync(join(resultsDir, `delta${suffix}.md`), md)
  return md
}
console.log(writeResults(rows))
