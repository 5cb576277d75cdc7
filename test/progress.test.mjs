// Never silent: the progress line's text and pacing (a fake clock), and the real
// plugin logging progress before its table in a real Vite build.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { copyFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { createRequire } from 'node:module'
import { build } from 'vite'
import wasmSqueeze from '../js/plugin.js'
import { formatDuration, formatProgress, startProgress } from '../js/compress/progress.js'
import { capturingLogger } from './helpers/logger.js'
import { tempDir } from './helpers/example.js'

const require = createRequire(import.meta.url)

test('formatDuration and formatProgress', () => {
  assert.equal(formatDuration(12_400), '12 s')
  assert.equal(formatDuration(245_000), '4 min 05 s')
  const p = { done: 3, total: 12, bytesDone: 12_300_000, bytesTotal: 45_600_000, costDone: 25, costTotal: 100, elapsedMs: 10_000 }
  assert.equal(formatProgress(p), 'wasm-squeeze: compressing 3/12 jobs, 12.3/45.6 MB, 10 s elapsed, about 30 s left')
  assert.equal(formatProgress({ ...p, done: 0, bytesDone: 0, costDone: 0 }), 'wasm-squeeze: compressing 0/12 jobs, 0.0/45.6 MB, 10 s elapsed')
})

/** A pool-shaped stats object, a fake clock and a fake timer the test drives. */
function fakes() {
  const stats = { jobs: 4, done: 0, bytesQueued: 4e6, bytesDone: 0, costQueued: 4, costDone: 0 }
  const clock = { t: 0 }
  const lines = []
  const finish = () => {
    stats.done++
    stats.bytesDone += 1e6
    stats.costDone += 1
  }
  const options = { now: () => clock.t, setInterval: () => 1, clearInterval: () => {}, intervalMs: 5000, delayMs: 3000 }
  return { pool: { stats }, clock, lines, finish, options, logger: { info: (m) => lines.push(m) } }
}

test('plain lines: none in the first seconds, then at most one per interval and only when a job finished', () => {
  const { pool, clock, lines, finish, options, logger } = fakes()
  const progress = startProgress(pool, logger, options)
  clock.t = 2000
  progress.tick()
  assert.deepEqual(lines, [], 'silent before the delay')
  clock.t = 3000
  progress.tick()
  assert.equal(lines.length, 1)
  assert.match(lines[0], /0\/4 jobs, 0\.0\/4\.0 MB, 3 s elapsed$/)
  clock.t = 5000
  finish()
  progress.tick()
  assert.equal(lines.length, 1, 'not twice within one interval')
  clock.t = 8000
  progress.tick()
  assert.equal(lines.length, 2)
  assert.match(lines[1], /1\/4 jobs, 1\.0\/4\.0 MB, 8 s elapsed, about 24 s left$/)
  clock.t = 14000
  progress.tick()
  assert.equal(lines.length, 2, 'nothing moved: no line')
  clock.t = 38000
  progress.tick()
  assert.equal(lines.length, 3, 'but a sign of life every 6 intervals')
  finish(), finish(), finish()
  clock.t = 60000
  progress.tick()
  assert.equal(lines.length, 3, 'all done: no line')
  progress.stop()
})

test('a TTY gets one line rewritten in place and cleared at the end', () => {
  const { pool, clock, lines, finish, options, logger } = fakes()
  const writes = []
  const progress = startProgress(pool, logger, { ...options, tty: { write: (s) => writes.push(s) } })
  for (const t of [3000, 4000, 5000]) {
    clock.t = t
    finish()
    progress.tick()
  }
  progress.stop()
  assert.deepEqual(lines, [])
  assert.equal(writes.length, 4)
  for (const w of writes.slice(0, 3)) assert.match(w, /^\r\x1b\[2Kwasm-squeeze: compressing \d\/4 jobs/)
  assert.equal(writes[3], '\r\x1b[2K')
})

test('a real build logs progress lines through Vite\'s logger, then the table', async () => {
  const work = await tempDir('progress')
  try {
    // sql.js's 0.7 MB module: brotli 11 takes a second or more, past a 100 ms interval.
    await copyFile(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(work.dir, 'sql.wasm'))
    await writeFile(path.join(work.dir, 'main.js'), "import url from './sql.wasm?url'\nconsole.log(url)\n")
    await writeFile(path.join(work.dir, 'index.html'), '<script type="module" src="./main.js"></script>\n')
    const { infos, logger } = capturingLogger()
    await build({
      root: work.dir,
      configFile: false,
      logLevel: 'info',
      customLogger: logger,
      plugins: [wasmSqueeze({ cache: false, optimize: false, compress: { zstd: false }, progressIntervalMs: 100 })],
      build: { outDir: path.join(work.dir, 'dist') },
    })
    const progress = infos.map((m, i) => [String(m), i]).filter(([m]) => /^wasm-squeeze: compressing \d+\/2 jobs, [\d.]+\/[\d.]+ MB, \d+ s elapsed/.test(m))
    // The plugin's table: its header, then the module's row (siblings are written
    // beside the bundle, so Vite's own file list does not name them).
    const table = infos.findIndex((m) => /^\s*file\s+raw\s+optimized\s+br\b/m.test(String(m)) && /^sql\.wasm\s/m.test(String(m)))
    assert.ok(progress.length >= 1, infos.join('\n'))
    assert.ok(table > progress.at(-1)[1], 'the table comes after the progress lines:\n' + infos.join('\n'))
  } finally {
    await work.remove()
  }
})
