// Runs compression jobs (one input, one format) on the native thread pool, bounded
// by cores and by a memory budget: brotli 11 with a 16 MiB window takes hundreds of
// MB per job, and running one per file at once is how builds run out of memory.
import { performance } from 'node:perf_hooks'
import { compress } from '../native.js'
import { normalizeLimits } from '../options.js'
import { FORMATS, formatOf } from './formats.js'

const MiB = 1 << 20

/** Smallest power-of-two exponent whose window holds `len` bytes. */
const windowLog = (len) => Math.ceil(Math.log2(Math.max(len, 2)))

/** Peak memory of one brotli run at window 2^lgwin, fitted to the measured peaks. */
function brotliRunMemory(level, len, lgwin) {
  const window = 2 ** lgwin
  // Quality 10–11 grows with the input (the encoder allocates as it goes) up to a
  // bound set by the window.
  return level >= 10 ? Math.min(6 * MiB + 26 * len, 10 * window + 6 * len + 8 * MiB) : Math.min(4 * MiB + 8 * len, 4 * window + 2 * len + 8 * MiB)
}

/**
 * Peak memory one job takes, in bytes: an upper bound fitted to the native encoders'
 * measured peaks (bench/results/compress-memory.md). Brotli runs zlib's 4 MiB window
 * and, on inputs over 4 MiB, maybe a second run at up to 16 MiB at the same time
 * (src/compress.rs keeps the smaller): both are charged. Zstd's window is at most 8 MiB.
 */
export function estimateJobMemory(format, level, len) {
  if (format === 'brotli') {
    const wide = Math.min(24, windowLog(len))
    return brotliRunMemory(level, len, 22) + (wide > 22 ? brotliRunMemory(level, len, wide) : 0)
  }
  if (format === 'zstd') {
    const window = 2 ** Math.min(23, Math.max(10, windowLog(len)))
    return (level >= 16 ? 14 * window : 4 * window) + 2 * len + 4 * MiB
  }
  return 2 * len + 2 * MiB
}

/**
 * Relative run time of a job, to start the longest first: brotli 11 runs at about
 * a fifth of zstd 19's speed and a fiftieth of gzip 9's (bench/results/compress.md).
 */
export function estimateJobCost(format, level, len) {
  if (format === 'brotli') return len * (level >= 10 ? 1 : 0.1)
  if (format === 'zstd') return len * (level >= 16 ? 0.25 : 0.05)
  return len * 0.03
}

/**
 * @param {{ concurrency?: number, memoryBudget?: number }} [limits]
 * @param {{ onJob?: (job: { format: string, level: number, bytes: number, ms: number }) => void }} [hooks]
 *   `onJob` hears of each finished job and its run time (the bench uses it)
 */
export function createCompressPool(limits = {}, { onJob } = {}) {
  const { concurrency, memoryBudget } = normalizeLimits(limits)
  const queue = []
  // done/bytes/cost counters: what the progress line (js/progress.js) reports.
  // busyMs/firstStart/lastEnd: how well the jobs kept the pool's slots filled
  // (occupancy, in the JSON report), whatever share of the machine the OS gave us.
  const stats = { jobs: 0, done: 0, running: 0, memory: 0, peakRunning: 0, peakMemory: 0, bytesQueued: 0, bytesDone: 0, costQueued: 0, costDone: 0, busyMs: 0, firstStart: null, lastEnd: null, finished: [] }

  function pump() {
    while (queue.length > 0 && stats.running < concurrency) {
      // Longest job first: the biggest brotli job is the critical path of a build.
      const job = queue[0]
      // A job bigger than the whole budget still runs, alone.
      if (stats.running > 0 && stats.memory + job.memory > memoryBudget) return
      queue.shift()
      start(job)
    }
  }

  function enqueue(job) {
    stats.bytesQueued += job.length ?? job.bytes.length
    stats.costQueued += job.cost
    const at = queue.findIndex((queued) => queued.cost < job.cost)
    queue.splice(at === -1 ? queue.length : at, 0, job)
    pump()
  }

  function start(job) {
    stats.running++
    stats.memory += job.memory
    stats.peakRunning = Math.max(stats.peakRunning, stats.running)
    stats.peakMemory = Math.max(stats.peakMemory, stats.memory)
    const only = { ...Object.fromEntries(FORMATS.map((f) => [f.option, false])), [job.format]: job.level }
    const started = performance.now()
    stats.firstStart ??= started
    const work = job.work ? job.work() : compress(job.bytes, only).then((out) => out[formatOf(job.format).id])
    work
      .then((output) => {
        const finished = { format: job.format, level: job.level, bytes: job.length ?? job.bytes.length, ms: performance.now() - started }
        stats.finished.push(finished)
        onJob?.(finished)
        job.resolve(output)
      }, job.reject)
      .finally(() => {
        stats.lastEnd = performance.now()
        stats.busyMs += stats.lastEnd - started
        stats.done++
        stats.bytesDone += job.length ?? job.bytes.length
        stats.costDone += job.cost
        stats.running--
        stats.memory -= job.memory
        pump()
      })
  }

  return {
    stats,
    limits: { concurrency, memoryBudget },
    /** Compresses `bytes` into one format; resolves to the compressed bytes. */
    run(bytes, format, level) {
      if (formatOf(format)?.option !== format) throw new TypeError(`wasm-squeeze: unknown compression format ${JSON.stringify(format)}`)
      stats.jobs++
      return new Promise((resolve, reject) => {
        const job = { bytes, format, level, cost: estimateJobCost(format, level, bytes.length), memory: estimateJobMemory(format, level, bytes.length), resolve, reject }
        enqueue(job)
      })
    },
    /**
     * Runs other native work (a delta job) under the same limits.
     * @param {{ format: string, level: number, bytes: number, memory: number, cost: number }} estimate
     * @param {() => Promise<any>} work
     */
    runTask({ format, level, bytes, memory, cost }, work) {
      stats.jobs++
      return new Promise((resolve, reject) => enqueue({ format, level, length: bytes, memory, cost, work, resolve, reject }))
    },
  }
}
