#!/usr/bin/env node
// npm run bench:delta [-- --filter <substring>] [-- --report-only]
//
// Real consecutive npm releases, fetched with `npm pack` at pinned versions: for the
// wasm a browser loads from both releases, in one run, brotli 11 of the new file alone
// (what a fresh visitor gets), dcb and dcz of it against the old one (what a
// returning visitor gets), each size against br11 and each time against br11's.
// Every delta is verified natively before it is returned (decoded against its
// dictionary and compared by sha-256). Writes bench/results/delta.md and delta.json
// (with --filter: delta-<filter>.*).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { compressSync, deltaSync } from '../js/native.js'
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
  const br = timed(() => compressSync(next, { brotli: 11, zstd: false, gzip: false }).br)
  const dcb = timed(() => deltaSync(next, old, { format: 'dcb' }))
  const dcz = timed(() => deltaSync(next, old, { format: 'dcz' }))
  rows.push({ pair: label, file, raw: next.length, dictionary: old.length, br11: br.value.length, brMs: br.ms, dcb: dcb.value.length, dcbMs: dcb.ms, dcz: dcz.value?.length ?? null, dczMs: dcz.ms })
  writeResults(rows) // after every pair: a long run that is cut short keeps what it measured
}

function writeResults(rows) {
  const smallest = (r) => Math.min(r.dcb, r.dcz ?? Infinity)
  const ratios = rows.map((r) => smallest(r) / r.br11).sort((a, b) => a - b)
  const median = ratios.length ? (ratios.length % 2 ? ratios[(ratios.length - 1) / 2] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2) : null
  const bytes = (n) => n.toLocaleString('en-US')
  const titles = ['pair', 'file', 'raw', 'br11', 'dcb', 'dcb / br11', 'dcz', 'dcz / br11', 'br11 time', 'dcb time (× br11)', 'dcz time (× br11)']
  const table = markdownTable(
    titles.map((title, i) => ({ title, align: i < 2 ? 'left' : 'right' })),
    rows.map((r) => [
      r.pair,
      r.file,
      bytes(r.raw),
      bytes(r.br11),
      bytes(r.dcb),
      formatPercent(r.dcb, r.br11),
      r.dcz == null ? '-' : bytes(r.dcz),
      r.dcz == null ? '-' : formatPercent(r.dcz, r.br11),
      formatMs(r.brMs),
      `${formatMs(r.dcbMs)} (${(r.dcbMs / r.brMs).toFixed(2)}×)`,
      `${formatMs(r.dczMs)} (${(r.dczMs / r.brMs).toFixed(2)}×)`,
    ]),
  )
  const machine = previousRun?.machine ?? machineInfo()
  const revision = previousRun?.revision ?? startRevision
  writeFileSync(join(resultsDir, `delta${suffix}.json`), `${JSON.stringify({ revision, machine, rows, medianSmallestRatio: median }, null, 2)}\n`)
  const md = `# bench:delta\n\nRevision ${revision?.sha}${revision?.dirty ? ' (dirty)' : ''}, ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGiB} GiB, node ${process.version}.\n\nOne run, file after file on one thread: brotli 11 of the new file alone, then dcb (brotli 11, lgwin 24) and dcz (zstd 19) with the old file as a raw dictionary, each verified natively.\n\n${table}\n\nMedian of the smaller delta against br11: ${median == null ? '-' : `${(median * 100).toFixed(1)}%`}.\n`
  writeFileSync(join(resultsDir, `delta${suffix}.md`), md)
  return md
}
console.log(writeResults(rows))
