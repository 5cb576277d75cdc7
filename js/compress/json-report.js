// The JSON report the plugin writes on request (`report: 'json'` or a path).
import path from 'node:path'
import { packageVersion } from './cache.js'

export const DEFAULT_REPORT_FILE = 'wasm-squeeze-report.json'

/** Where to write the JSON report, or null: `'json'` → `<root>/wasm-squeeze-report.json`, a string → that path. */
export function reportPath(report, root) {
  if (typeof report !== 'string') return null
  return path.resolve(root, report === 'json' ? DEFAULT_REPORT_FILE : report)
}

/**
 * The pool's share in the report. occupancy: the fraction of its slots (concurrency
 * × the time from the first job's start to the last one's end) that jobs filled.
 */
function poolReport(pool) {
  const spanMs = pool.lastEnd === null ? 0 : pool.lastEnd - pool.firstStart
  const occupancy = spanMs > 0 ? pool.busyMs / (spanMs * pool.concurrency) : null
  return { jobs: pool.jobs, concurrency: pool.concurrency, peakRunning: pool.peakRunning, peakEstimatedMemory: pool.peakMemory, spanMs, busyMs: pool.busyMs, occupancy, finished: pool.finished }
}

const sum = (rows, key) => rows.reduce((total, row) => total + (row[key] ?? 0), 0)

/**
 * @param {import('../report.js').Row[]} rows as `compressBundle` shapes them: the report lists them as they are
 * @param {{ cache?: object, pool?: object }} stats
 */
export function jsonReport(rows, { cache, optimize, pool } = {}) {
  const hits = rows.reduce((n, r) => n + (r.cache?.hits ?? 0), 0)
  const misses = rows.reduce((n, r) => n + (r.cache?.misses ?? 0), 0)
  return {
    tool: `wasm-squeeze@${packageVersion()}`,
    files: rows,
    totals: { files: rows.length, sources: rows.reduce((n, r) => n + r.sources.length, 0), raw: sum(rows, 'raw'), optimized: sum(rows, 'optimized'), br: sum(rows, 'br'), zst: sum(rows, 'zst'), gz: sum(rows, 'gz') },
    cache: {
      dir: cache?.dir ?? null,
      enabled: cache ? !cache.disabled : false,
      hits,
      misses,
      corrupt: cache?.corrupt ?? 0,
      ...(cache?.disabledReason && { disabledReason: cache.disabledReason }),
    },
    ...(optimize && { optimize: { hits: optimize.hits, misses: optimize.misses, corrupt: optimize.corrupt } }),
    ...(pool && { pool: poolReport(pool) }),
  }
}
