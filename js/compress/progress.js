// Never silent: while compression runs longer than a few seconds, say how far it is.
// A TTY gets one line updated in place; a CI log (no TTY) gets a plain line at most
// every `intervalMs`, and only when something moved, so a long build does not flood it.
const MB = 1e6

/** `12.3 s`, `4 min 05 s`. */
export function formatDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
}

/**
 * One progress line. Pure. The estimate scales the elapsed time by the share of the
 * estimated work (the pool's job costs) still to do; none until some work is done.
 * @param {{ done: number, total: number, bytesDone: number, bytesTotal: number, costDone: number, costTotal: number, elapsedMs: number }} p
 */
export function formatProgress({ done, total, bytesDone, bytesTotal, costDone, costTotal, elapsedMs }) {
  const left = costDone > 0 ? (elapsedMs * (costTotal - costDone)) / costDone : null
  return (
    `wasm-squeeze: compressing ${done}/${total} jobs, ${(bytesDone / MB).toFixed(1)}/${(bytesTotal / MB).toFixed(1)} MB, ` +
    `${formatDuration(elapsedMs)} elapsed${left == null ? '' : `, about ${formatDuration(left)} left`}`
  )
}

/**
 * Reports the pool's progress until `stop()`; silent when it stops within `delayMs`.
 * @param {{ stats: object }} pool its `stats` carry done/jobs/bytes/cost counters
 * @param {{ info: (msg: string) => void }} logger Vite's logger (plain lines)
 * @param {{ tty?: { write: (s: string) => void } | null, intervalMs?: number, delayMs?: number,
 *   now?: () => number, setInterval?: typeof setInterval, clearInterval?: typeof clearInterval }} [options]
 *   `tty`: a terminal stream to update one line on; null for plain lines
 */
export function startProgress(pool, logger, { tty = null, intervalMs = 5000, delayMs = 3000, now = Date.now, setInterval: every = setInterval, clearInterval: cancel = clearInterval } = {}) {
  const started = now()
  const first = { ...pool.stats }
  let lastLogged = -Infinity
  let lastDone = -1
  let wroteTty = false
  const snapshot = () => {
    const s = pool.stats
    return {
      done: s.done - first.done,
      total: s.jobs - first.jobs + (first.jobs - first.done), // jobs queued before we started count too
      bytesDone: s.bytesDone - first.bytesDone,
      bytesTotal: s.bytesQueued - first.bytesDone,
      costDone: s.costDone - first.costDone,
      costTotal: s.costQueued - first.costDone,
      elapsedMs: now() - started,
    }
  }
  const tick = () => {
    const p = snapshot()
    if (p.elapsedMs < delayMs || p.done >= p.total) return
    if (tty) {
      tty.write(`\r\x1b[2K${formatProgress(p)}`)
      wroteTty = true
      return
    }
    // Plain lines: only when a job finished since the last one, or every 6 intervals.
    if (now() - lastLogged < intervalMs || (p.done === lastDone && now() - lastLogged < 6 * intervalMs)) return
    lastLogged = now()
    lastDone = p.done
    logger.info(formatProgress(p))
  }
  const timer = every(tick, Math.min(intervalMs, delayMs))
  timer.unref?.()
  return {
    tick,
    stop() {
      cancel(timer)
      if (wroteTty) tty.write('\r\x1b[2K')
    },
  }
}
