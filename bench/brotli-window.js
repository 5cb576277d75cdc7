#!/usr/bin/env node
// npm run bench:brotli-window [-- --filter <substring>[,<substring>…]] [-- --dir <folder of .wasm>]...
// Our brotli 11 against Node zlib's brotli 11 (default window, lgwin 22) on the same
// bytes, per file: the corpus modules over 4 MiB (at or under 4 MiB ours runs zlib's
// window only) and every .wasm over 4 MiB under each `--dir` (a held-out set nobody
// tuned the window rule on). Target: ours never bigger. Writes
// bench/results/brotli-window.{md,json}.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { compress } from '../js/native.js'
import { loadCorpus, BENCH_DIR, REPO_DIR } from './lib/corpus.js'
import { formatBytes, formatChange, formatMs, markdownTable } from './lib/format.js'
import { benchCommand, machineInfo, wasmSqueezeVersion } from './lib/machine.js'

const FOUR_MIB = 4 << 20
const brotliCompress = promisify(zlib.brotliCompress)

function args() {
  const out = { filter: undefined, dirs: [] }
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--filter') out.filter = argv[++i]
    else if (argv[i] === '--dir') out.dirs.push(argv[++i])
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  return out
}

function wasmUnder(dir) {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => f.endsWith('.wasm') && statSync(f).size > FOUR_MIB)
}

function writeReport() {
  const bigger = rows.filter((r) => r.ours > r.zlib)
  const report = [
    '# Brotli window bench',
    '',
    `\`${benchCommand('brotli-window')}\` on ${new Date().toISOString()}, wasm-squeeze ${wasmSqueezeVersion(REPO_DIR)}.`,
    `Machine: ${JSON.stringify(machineInfo())}. One run; sizes are exact, times wall clock on a shared machine.`,
    'Ours = brotli 11 at zlib\'s window, plus a run at a window holding the input when the zstd proxy predicts a gain, keeping the smaller.',
    '',
    markdownTable(
      [{ title: 'set', align: 'left' }, { title: 'module', align: 'left' }, { title: 'raw' }, { title: 'zlib br 11' }, { title: 'ours' }, { title: 'ours vs zlib' }, { title: 'zlib time' }, { title: 'our time' }],
      rows.map((r) => [r.set, r.id, formatBytes(r.bytes), `${r.zlib} B`, `${r.ours} B`, r.identical ? 'identical' : formatChange(r.ours / r.zlib, 2), formatMs(r.zlibMs), formatMs(r.oursMs)]),
    ),
    '',
    `Target: ours never bigger than zlib's → **${bigger.length === 0 ? 'met' : `missed on ${bigger.map((r) => r.id).join(', ')}`}** (${rows.length} files).`,
    '',
  ].join('\n')
  writeFileSync(join(BENCH_DIR, 'results', 'brotli-window.md'), report)
  writeFileSync(join(BENCH_DIR, 'results', 'brotli-window.json'), `${JSON.stringify(rows, null, 2)}\n`)
  return report
}

const { filter, dirs } = args()
const wanted = filter?.split(',')
const corpus = loadCorpus().files.filter((f) => f.bytes > FOUR_MIB && (!wanted || wanted.some((w) => f.id.includes(w)))).map((f) => ({ set: 'corpus', id: f.id, path: f.absolutePath }))
const heldOut = dirs.flatMap(wasmUnder).map((path) => ({ set: 'held-out', id: basename(path), path }))
const rows = []
for (const file of [...heldOut, ...corpus.sort((a, b) => statSync(a.path).size - statSync(b.path).size)]) {
  const bytes = readFileSync(file.path)
  let started = performance.now()
  const peer = await brotliCompress(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } })
  const peerMs = performance.now() - started
  started = performance.now()
  const { br } = await compress(bytes, { brotli: 11, zstd: false, gzip: false })
  const oursMs = performance.now() - started
  const row = { ...file, bytes: bytes.length, zlib: peer.length, ours: br.length, identical: peer.equals(br), zlibMs: peerMs, oursMs }
  rows.push(row)
  writeReport() // after every file: a long run interrupted keeps what it measured
  console.log(`${row.set} ${row.id}: zlib ${row.zlib} B, ours ${row.ours} B (${formatChange(row.ours / row.zlib, 2)}${row.identical ? ', identical bytes' : ''}), ${formatMs(peerMs)} vs ${formatMs(oursMs)}`)
}
console.log(writeReport())
