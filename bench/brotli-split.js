#!/usr/bin/env node
// npm run bench:brotli-split [-- --filter <substring>[,…]] [-- --file <held-out .wasm>]… [-- --parts 2,4,8]
// What splitting one brotli 11 job into pieces compressed at once (src/compress.rs
// `brotli_split`) costs in size and gains in time, per file: the corpus modules
// matching `--filter` (default: the ones over 2 MiB) and each `--file` (a held-out
// module nobody tuned on). The unsplit stream is zlib's window, the same bytes as
// Node's zlib brotli 11 (bench/results/brotli-window.md). Every split stream is
// decoded by Node's zlib and, when the `brotli` CLI is installed, by it too, and
// compared with the input. Times are wall clock on this machine with the load
// average beside them; CPU time is the process's (every thread). Writes
// bench/results/brotli-split.{md,json}.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { basename, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import zlib from 'node:zlib'
import { createRequire } from 'node:module'
import { loadCorpus, BENCH_DIR, REPO_DIR } from './lib/corpus.js'
import { formatBytes, formatChange, formatMs, markdownTable } from './lib/format.js'
import { benchCommand, machineInfo, toolVersion, wasmSqueezeVersion } from './lib/machine.js'

function args() {
  const out = { filter: undefined, files: [], parts: [2, 4, 8] }
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--filter') out.filter = argv[++i].split(',')
    else if (argv[i] === '--file') out.files.push(argv[++i])
    else if (argv[i] === '--parts') out.parts = argv[++i].split(',').map(Number)
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (!out.parts.every((p) => Number.isInteger(p) && p > 1)) throw new Error('--parts takes whole numbers over 1')
  return out
}

// Straight from the addon: the split is measured here, not offered by the Node API.
const { brotliSplit } = createRequire(import.meta.url)('../native/binding.cjs')
const cli = toolVersion('brotli', ['--version'])
const scratch = mkdtempSync(join(os.tmpdir(), 'wasm-squeeze-brotli-split-'))

/** Decodes with the `brotli` CLI (another decoder than Node's), or null without it. */
function cliDecodes(stream, bytes) {
  if (!cli) return null
  const file = join(scratch, 'part.br')
  writeFileSync(file, stream)
  return execFileSync('brotli', ['-d', '-c', file], { maxBuffer: bytes.length + 1024 }).equals(bytes)
}

async function timed(bytes, parts) {
  const cpu = process.cpuUsage()
  const started = performance.now()
  const stream = await brotliSplit(bytes, 11, parts)
  const ms = performance.now() - started
  const { user, system } = process.cpuUsage(cpu)
  return { parts, size: stream.length, ms, cpuMs: (user + system) / 1000, load: os.loadavg()[0], stream }
}

const { filter, files, parts } = args()
const corpus = loadCorpus()
  .files.filter((f) => (filter ? filter.some((w) => f.id.includes(w)) : f.bytes > 2 << 20))
  .map((f) => ({ set: 'corpus', id: f.id, path: f.absolutePath }))
const heldOut = files.map((path) => ({ set: 'held-out', id: basename(path), path }))
const rows = []

function writeReport() {
  const splitColumns = parts.map((p) => ({ title: `${p} parts` }))
  const report = [
    '# Brotli split bench',
    '',
    `\`${benchCommand('brotli-split')}\` on ${new Date().toISOString()}, wasm-squeeze ${wasmSqueezeVersion(REPO_DIR)}.`,
    `Machine: ${JSON.stringify(machineInfo())}. Decoded by Node zlib${cli ? ` and \`${cli}\`` : ' (the `brotli` CLI is not installed)'}: every stream equal to its input.`,
    'Brotli 11 at zlib\'s window; "n parts": the input cut into n pieces compressed at once and stitched into one stream. Size change against the unsplit (zlib\'s) stream; time: wall clock (load average at the start of the run in brackets).',
    '',
    markdownTable(
      [{ title: 'set', align: 'left' }, { title: 'module', align: 'left' }, { title: 'raw' }, { title: 'unsplit' }, ...splitColumns, { title: 'unsplit time' }, ...parts.map((p) => ({ title: `${p} parts time` }))],
      rows.map((r) => [
        r.set,
        r.id,
        formatBytes(r.bytes),
        `${r.runs[0].size} B`,
        ...r.runs.slice(1).map((run) => `${formatChange(run.size / r.runs[0].size, 3)}`),
        ...r.runs.map((run) => `${formatMs(run.ms)} (${run.load.toFixed(1)})`),
      ]),
    ),
    '',
  ].join('\n')
  writeFileSync(join(BENCH_DIR, 'results', 'brotli-split.md'), report)
  writeFileSync(join(BENCH_DIR, 'results', 'brotli-split.json'), `${JSON.stringify(rows, null, 2)}\n`)
  return report
}

try {
  for (const file of [...heldOut, ...corpus.sort((a, b) => statSync(a.path).size - statSync(b.path).size)]) {
    const bytes = readFileSync(file.path)
    const runs = []
    for (const p of [1, ...parts]) {
      const run = await timed(bytes, p)
      if (!zlib.brotliDecompressSync(run.stream).equals(bytes)) throw new Error(`${file.id}: ${p} parts do not decode to the input (Node zlib)`)
      if (cliDecodes(run.stream, bytes) === false) throw new Error(`${file.id}: ${p} parts do not decode to the input (brotli CLI)`)
      delete run.stream
      runs.push(run)
      console.log(`${file.set} ${file.id} ${p} part(s): ${run.size} B, ${formatMs(run.ms)}, CPU ${formatMs(run.cpuMs)}, load ${run.load.toFixed(1)}`)
    }
    rows.push({ ...file, bytes: bytes.length, runs })
    writeReport() // after every file: a long run interrupted keeps what it measured
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
console.log(writeReport())
