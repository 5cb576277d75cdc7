#!/usr/bin/env node
// npm run bench:compress-memory [-- --files a.wasm,b.wasm]
//
// Peak memory of one compression job, each in a fresh process (maxRSS after the job
// minus maxRSS before it), next to the estimate the plugin's pool budgets with
// (js/compress/pool.js estimateJobMemory), and Node zlib's brotli for reference.
// Writes bench/results/compress-memory.md.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { estimateJobMemory } from '../js/compress/pool.js'
import { BENCH_DIR, loadCorpus } from './lib/corpus.js'
import { run } from './lib/exec.js'
import { formatBytes, formatMs, markdownTable } from './lib/format.js'
import { machineInfo } from './lib/machine.js'

const DEFAULT_FILES = ['brotli-wasm__brotli_wasm_bg.wasm', 'resvg-resvg-wasm__index_bg.wasm', 'dqbd-tiktoken__tiktoken_bg.wasm']
const JOBS = [
  ['brotli', 11],
  ['zlib-brotli', 11],
  ['zstd', 19],
  ['gzip', 9],
]
const { values: args } = parseArgs({ options: { files: { type: 'string' } } })
const wanted = args.files?.split(',') ?? DEFAULT_FILES
const files = loadCorpus().files.filter((f) => wanted.includes(f.id))
const rows = []
for (const file of files) {
  for (const [format, level] of JOBS) {
    console.error(`[bench:compress-memory] ${file.id} ${format} ${level}`)
    const res = await run(process.execPath, [join(BENCH_DIR, 'lib', 'compress-memory-probe.js'), file.absolutePath, format, String(level)], { timeoutMs: 30 * 60_000 })
    if (!res.ok) throw new Error(res.stderr || res.error)
    const probe = JSON.parse(res.stdout.trim())
    const estimate = format === 'zlib-brotli' ? null : estimateJobMemory(format, level, probe.bytes)
    rows.push([file.id, formatBytes(probe.bytes), `${format} ${level}`, formatMs(probe.ms), formatBytes(probe.maxRss - probe.baseRss), estimate == null ? '—' : formatBytes(estimate)])
  }
}
const md = [
  '# Peak memory of one compression job',
  '',
  `\`npm run bench:compress-memory\` on ${new Date().toISOString()}; ${machineInfo().cpu}, Node ${process.version}.`,
  'Each job runs alone in a fresh process; "peak" is maxRSS after the job minus maxRSS before it (input already read).',
  '"pool estimate" is what `estimateJobMemory` in js/compress/pool.js charges the memory budget for the job.',
  '',
  markdownTable(
    [{ title: 'module', align: 'left' }, { title: 'raw' }, { title: 'job', align: 'left' }, { title: 'time' }, { title: 'peak' }, { title: 'pool estimate' }],
    rows,
  ),
  '',
].join('\n')
mkdirSync(join(BENCH_DIR, 'results'), { recursive: true })
writeFileSync(join(BENCH_DIR, 'results', 'compress-memory.md'), md)
console.log(md)
