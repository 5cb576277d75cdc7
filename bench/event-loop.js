#!/usr/bin/env node
// npm run bench:event-loop [-- --input big.wasm ...] [-- --no-sync]
//
// Is the event loop ever blocked by our work? While `transform` and then `compress`
// (brotli 11, zstd 19, gzip 9: every format, zstd being opt-in in the plugin) run on a ~30 MB
// module, `perf_hooks.monitorEventLoopDelay` samples how late the loop is; the target
// is p99 < 50 ms. The peer, in the same run: the `*Sync` twins on the same module,
// which block the loop by design, so the monitor is seen to catch a blocked loop.
//
// Inputs: a generated data-heavy module (30 MB of real wasm bytes from node_modules,
// laid out as thousands of active segments with small zero gaps, so pack-data has real
// work), the corpus's largest module when `npm run bench:corpus` has fetched it, and
// any `--input` files. Writes bench/results/event-loop.{md,json}.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { compress, compressSync, transform, transformSync } from '../js/native.js'
import { uleb128 } from '../scripts/build-wat.js'
import { BENCH_DIR, CORPUS_DIR, REPO_DIR } from './lib/corpus.js'
import { formatBytes, formatMs, markdownTable } from './lib/format.js'
import { gitRevision, machineInfo } from './lib/machine.js'

const require = createRequire(import.meta.url)
const TARGET_BYTES = 30 * 1024 * 1024
const LEVELS = { brotli: 11, zstd: 19, gzip: 9 }
const SYNC_LEVELS = { brotli: false, zstd: 3, gzip: false } // the blocking peer only needs to block a while
const CORPUS_BIGGEST = join(CORPUS_DIR, 'wasm', 'duckdb-duckdb-wasm__duckdb-eh.wasm')
const P99_TARGET_MS = 50

const { values } = parseArgs({
  options: { input: { type: 'string', multiple: true }, 'no-sync': { type: 'boolean' } },
})

const section = (id, content) => Buffer.concat([Buffer.from([id, ...uleb128(content.length)]), content])
const vec = (items) => Buffer.concat([Buffer.from(uleb128(items.length)), ...items])

/** ~30 MB of data segments cut from real wasm files, with 0–16 zero bytes between them. */
function dataHeavyModule() {
  const sources = [
    'sql.js/dist/sql-wasm.wasm',
    'sql.js/dist/sql-wasm-debug.wasm',
    'brotli-wasm/pkg.node/brotli_wasm_bg.wasm',
    'vscode-oniguruma/release/onig.wasm',
    '@bokuweb/zstd-wasm/dist/web/zstd.wasm',
  ].flatMap((p) => {
    try {
      return [readFileSync(require.resolve(p))]
    } catch {
      return []
    }
  })
  let seed = 1
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8)
  const segments = []
  let address = 1024
  let total = 0
  for (let s = 0; total < TARGET_BYTES; s = (s + 1) % sources.length) {
    const source = sources[s]
    for (let at = 0; at < source.length && total < TARGET_BYTES; ) {
      const length = Math.min(1 + (next() % 8192), source.length - at)
      const offset = Buffer.from([0x41, ...sleb128(address), 0x0b]) // i32.const address; end
      segments.push(Buffer.concat([Buffer.from([0]), offset, Buffer.from(uleb128(length)), source.subarray(at, at + length)]))
      address += length + (next() % 17)
      at += length
      total += length
    }
  }
  const pages = Math.ceil(address / 65536) + 1
  const body = [0, 0x41, ...sleb128(total), 0x0b] // no locals; i32.const total; end
  return Buffer.concat([
    Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]),
    section(1, vec([Buffer.from([0x60, 0, 1, 0x7f])])), // () -> i32
    section(3, vec([Buffer.from([0])])),
    section(5, vec([Buffer.from([0, ...uleb128(pages)])])),
    section(7, vec([Buffer.concat([Buffer.from([4]), Buffer.from('size'), Buffer.from([0, 0])])])),
    section(10, vec([Buffer.from([...uleb128(body.length), ...body])])),
    section(11, vec(segments)),
  ])
}

function sleb128(value) {
  const bytes = []
  for (;;) {
    const byte = value & 0x7f
    value >>= 7
    if ((value === 0 && !(byte & 0x40)) || (value === -1 && byte & 0x40)) {
      bytes.push(byte)
      return bytes
    }
    bytes.push(byte | 0x80)
  }
}

/** A delay monitor; `stop()` gives p50/p99/max in ms and the sample count. */
function monitor() {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  return async () => {
    // One more turn of the loop, so a delay that ended with the work is recorded.
    await new Promise((resolve) => setTimeout(resolve, 30))
    histogram.disable()
    const toMs = (ns) => ns / 1e6
    return { p50: toMs(histogram.percentile(50)), p99: toMs(histogram.percentile(99)), max: toMs(histogram.max), samples: histogram.count }
  }
}

/** Runs `work` under its own delay monitor; returns its result, wall time and delays. */
async function monitored(work) {
  const stop = monitor()
  const start = performance.now()
  const result = await work()
  const ms = performance.now() - start
  return { result, ms, delay: await stop() }
}

async function measure(name, input, { sync }) {
  console.error(`${name}: ${formatBytes(input.length)}`)
  // One monitor over both steps, one per step.
  const stopTogether = monitor()
  const startTogether = performance.now()
  const optimize = await monitored(() => transform(input, { file: name }))
  const output = optimize.result.wasm
  console.error(`  transform ${formatMs(optimize.ms)}, p99 ${optimize.delay.p99.toFixed(1)} ms`)
  const pack = await monitored(() => compress(output, LEVELS))
  console.error(`  compress ${formatMs(pack.ms)}, p99 ${pack.delay.p99.toFixed(1)} ms`)
  const both = { ms: performance.now() - startTogether, delay: await stopTogether() }
  const row = {
    name,
    inputBytes: input.length,
    outputBytes: output.length,
    brBytes: pack.result.br.length,
    transform: { ms: optimize.ms, delay: optimize.delay },
    compress: { ms: pack.ms, delay: pack.delay },
    together: { ms: both.ms, delay: both.delay },
  }
  if (sync) {
    const blocking = await monitored(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20)) // let the monitor tick first
      compressSync(transformSync(input).wasm, SYNC_LEVELS)
    })
    row.syncPeer = { ms: blocking.ms, delay: blocking.delay }
    console.error(`  sync peer ${formatMs(blocking.ms)}, max delay ${blocking.delay.max.toFixed(0)} ms`)
  }
  return row
}

const inputs = [['generated data-heavy module (real wasm bytes as data)', dataHeavyModule()]]
if (existsSync(CORPUS_BIGGEST)) inputs.push([basename(CORPUS_BIGGEST), readFileSync(CORPUS_BIGGEST)])
for (const file of values.input ?? []) inputs.push([basename(file), readFileSync(file)])

const started = performance.now()
// The floor: the same monitor over an idle loop. On a shared machine the main thread
// also waits for a core, which no amount of off-thread work can avoid.
const IDLE_MS = 10_000
const idle = await monitored(() => new Promise((resolve) => setTimeout(resolve, IDLE_MS)))
console.error(`idle: p99 ${idle.delay.p99.toFixed(1)} ms, max ${idle.delay.max.toFixed(1)} ms`)
const rows = []
for (const [name, input] of inputs) rows.push(await measure(name, input, { sync: !values['no-sync'] }))

const d = (x) => `${x.toFixed(1)} ms`
const table = markdownTable(
  [
    { title: 'module', align: 'left' },
    { title: 'phase', align: 'left' },
    { title: 'wall' },
    { title: 'loop delay p50' },
    { title: 'p99' },
    { title: 'max' },
    { title: 'p99 < 50 ms' },
  ],
  [['(none: idle loop, the machine\'s floor)', `idle ${IDLE_MS / 1000} s`, formatMs(idle.ms), d(idle.delay.p50), d(idle.delay.p99), d(idle.delay.max), '']].concat(rows.flatMap((r) => [
    ...['transform', 'compress', 'together'].map((phase) => [
      `${r.name} (${formatBytes(r.inputBytes)})`,
      phase === 'together' ? 'transform + compress' : phase === 'compress' ? 'compress (br 11, zst 19, gz 9)' : phase,
      formatMs(r[phase].ms),
      d(r[phase].delay.p50),
      d(r[phase].delay.p99),
      d(r[phase].delay.max),
      r[phase].delay.p99 < P99_TARGET_MS ? 'yes' : '**no**',
    ]),
    ...(r.syncPeer
      ? [[`${r.name} (${formatBytes(r.inputBytes)})`, 'peer: transformSync + compressSync (zst 3)', formatMs(r.syncPeer.ms), d(r.syncPeer.delay.p50), d(r.syncPeer.delay.p99), d(r.syncPeer.delay.max), r.syncPeer.delay.p99 < P99_TARGET_MS ? 'yes' : 'no (blocks, by design)']]
      : []),
  ])),
)
const machine = machineInfo()
const revision = gitRevision(REPO_DIR)
const report = `# Event-loop delay during optimize + compress

- date: ${new Date().toISOString()}
- machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.platform}; shared with other jobs, so wall times are noisy
- node ${machine.node}; wasm-squeeze ${revision ? `${revision.sha}${revision.dirty ? ', dirty tree' : ''}` : 'unknown revision'}; UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'default (4)'}
- command: \`npm run bench:event-loop${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`; bench wall time ${formatMs(performance.now() - started)}
- \`monitorEventLoopDelay({ resolution: 10 })\`, one histogram per phase; target p99 < ${P99_TARGET_MS} ms. Delays include the 10 ms sampling interval (the idle loop reads ~10 ms at p50). The peer row runs the \`*Sync\` twins on the main thread: the loop is blocked for the whole call, which the monitor shows as its max delay.

${table}

${rows.map((r) => `- ${r.name}: ${formatBytes(r.inputBytes)} in, ${formatBytes(r.outputBytes)} optimized, ${formatBytes(r.brBytes)} brotli 11`).join('\n')}
`
mkdirSync(join(BENCH_DIR, 'results'), { recursive: true })
writeFileSync(join(BENCH_DIR, 'results', 'event-loop.md'), report)
writeFileSync(join(BENCH_DIR, 'results', 'event-loop.json'), `${JSON.stringify({ machine, revision, idle, rows }, null, 2)}\n`)
console.log(report)
const worst = Math.max(...rows.flatMap((r) => ['transform', 'compress', 'together'].map((p) => r[p].delay.p99)))
if (worst >= P99_TARGET_MS) process.exitCode = 1
