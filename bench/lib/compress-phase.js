#!/usr/bin/env node
// One phase of bench/compress.js, in its own process so that its peak memory
// (maxRSS) is its own. Prints one JSON line on stdout.
//   zlib <outDir> <file>...   Node's zlib brotli at quality 11, one file after the
//                             other (what compression plugins do)
//   ours <outDir> <file>...   wasm-squeeze: every file × brotli 11 / zstd 19 / gzip 9
//                             submitted at once to the plugin's pool (default limits)
import { readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { DEFAULT_LEVELS, formatOf } from '../../js/compress/formats.js'
import { createCompressPool } from '../../js/compress/pool.js'

const brotliCompress = promisify(zlib.brotliCompress)
const [phase, outDir, ...files] = process.argv.slice(2)
const inputs = files.map((file) => ({ id: basename(file), bytes: readFileSync(file) }))
const result = { phase, files: {} }
const baseRss = process.resourceUsage().maxRSS * 1024
const started = performance.now()

if (phase === 'zlib') {
  for (const { id, bytes } of inputs) {
    const t = performance.now()
    const out = await brotliCompress(bytes, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    })
    result.files[id] = { br: out.length, brMs: performance.now() - t }
    writeFileSync(join(outDir, `${id}.br`), out)
  }
} else if (phase === 'ours') {
  const jobs = []
  const pool = createCompressPool({}, { onJob: (job) => jobs.push(job) })
  result.limits = pool.limits
  await Promise.all(
    inputs.flatMap(({ id, bytes }) =>
      Object.entries(DEFAULT_LEVELS).map(async ([format, level]) => {
        const t0 = performance.now()
        const out = await pool.run(bytes, format, level)
        const key = formatOf(format).id
        const entry = (result.files[id] ??= {})
        entry[key] = out.length
        entry[`${key}DoneMs`] = performance.now() - t0
        writeFileSync(join(outDir, `${id}.${key}`), out)
      }),
    ),
  )
  for (const job of jobs) {
    const id = inputs.find((i) => i.bytes.length === job.bytes)?.id
    if (id) result.files[id][`${formatOf(job.format).id}Ms`] = job.ms
  }
  result.pool = { ...pool.stats }
} else {
  throw new Error(`unknown phase ${phase}`)
}

result.wallMs = performance.now() - started
const cpu = process.cpuUsage()
result.cpuMs = (cpu.user + cpu.system) / 1000
result.baseRss = baseRss
result.maxRss = process.resourceUsage().maxRSS * 1024
process.stdout.write(`${JSON.stringify(result)}\n`)
