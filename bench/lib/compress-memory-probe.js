#!/usr/bin/env node
// One compression job in a fresh process: prints `{ bytes, out, ms, baseRss, maxRss }`
// as JSON, so bench/compress-memory.js can read one job's peak memory.
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import zlib from 'node:zlib'
import { compress } from '../../js/native.js'

const [file, format, level] = process.argv.slice(2)
const bytes = readFileSync(file)
compress(Buffer.from('warm up the addon'), { brotli: 1, zstd: 1, gzip: 1 })
  .then(() => {
    const baseRss = process.resourceUsage().maxRSS * 1024
    const started = performance.now()
    const only = { brotli: false, zstd: false, gzip: false, [format]: Number(level) }
    const done = format === 'zlib-brotli'
      ? Promise.resolve(zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: Number(level), [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }))
      : compress(bytes, only).then((o) => o.br ?? o.zst ?? o.gz)
    return done.then((out) => {
      const ms = performance.now() - started
      process.stdout.write(`${JSON.stringify({ bytes: bytes.length, out: out.length, ms, baseRss, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`)
    })
  })
