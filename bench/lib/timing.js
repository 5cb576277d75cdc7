// Wall-clock timing: best of N runs.
import { performance } from 'node:perf_hooks'

/**
 * How many timed runs a module of this size gets (fewer for big ones). Modules up
 * to 1 MiB take milliseconds, where the first runs still pay for cold caches and
 * fresh pages: best of 3 read debug web-tree-sitter at 29 ms, best of 20 at 18.
 * Big ones get at least two: on this shared machine best of 2 read esbuild.wasm
 * at 151 ms, best of 5 at 104 ms, in runs minutes apart.
 */
export function runsFor(bytes, { tiny = 10, small = 5, medium = 3, large = 2 } = {}) {
  if (bytes <= 1024 * 1024) return tiny
  if (bytes <= 8 * 1024 * 1024) return small
  if (bytes <= 16 * 1024 * 1024) return medium
  return large
}

/**
 * Calls `fn` (sync or async) `runs` times and resolves with
 * `{ ms: best, samples, value }`, `value` being the last run's result.
 */
export async function bestOf(runs, fn) {
  const samples = []
  let value
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    value = await fn(i)
    samples.push(performance.now() - started)
  }
  return { ms: Math.min(...samples), samples, value }
}

/**
 * Like `bestOf` for functions that time themselves and resolve with
 * `{ ms, ...rest }` (e.g. a child process whose wall time is `ms`). Stops at
 * the first run that resolves with `ok === false`, and returns that one.
 */
export async function bestOfTimed(runs, fn) {
  const samples = []
  let value
  for (let i = 0; i < runs; i++) {
    value = await fn(i)
    if (value.ok === false) return { ...value, samples }
    samples.push(value.ms)
  }
  return { ...value, ms: Math.min(...samples), samples }
}
