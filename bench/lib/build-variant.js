// One timed Vite build of the bench:build app in its own process (as `vite build`
// runs for a user), printing `{ ms, cpuMs, siblings, report? }` as JSON. Variants:
// vite (no plugin), compression2 (vite-plugin-compression2 on the wasm: brotli 11 +
// gzip 9), ours (wasmSqueeze with brotli 11 + gzip 9, no zstd, cache in `cacheDir`,
// `workers` compression jobs at once when given; it also prints the pool's part of
// the plugin's JSON report: occupancy and each job's run time).
import { readFileSync, readdirSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import zlib from 'node:zlib'
import { build } from 'vite'

const [variant, root, outDir, cacheDir, workers] = process.argv.slice(2)

async function plugins() {
  if (variant === 'vite') return []
  if (variant === 'compression2') {
    const { compression, defineAlgorithm } = await import('vite-plugin-compression2')
    return [
      compression({
        include: /\.wasm$/,
        algorithms: [
          defineAlgorithm('brotliCompress', { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }),
          defineAlgorithm('gzip', { level: 9 }),
        ],
      }),
    ]
  }
  if (variant === 'ours') {
    const { default: wasmSqueeze } = await import('../../js/plugin.js')
    const limits = workers ? { concurrency: Number(workers) } : {}
    return [wasmSqueeze({ cache: cacheDir, compress: { brotli: 11, gzip: 9, zstd: false, ...limits }, report: `${outDir}.report.json` })]
  }
  throw new Error(`unknown variant ${variant}`)
}

const list = await plugins()
const cpu = process.cpuUsage()
const started = performance.now()
await build({ root, configFile: false, logLevel: 'silent', plugins: list, build: { outDir, emptyOutDir: true } })
const ms = performance.now() - started
const { user, system } = process.cpuUsage(cpu)
const siblings = readdirSync(outDir, { recursive: true }).filter((f) => /\.(br|gz|zst)$/.test(f)).length
// process.cpuUsage is getrusage(RUSAGE_SELF): every thread of this process, the
// encoders' included (checked against /proc/self/stat while writing the bench).
const pool = variant === 'ours' ? JSON.parse(readFileSync(`${outDir}.report.json`, 'utf8')).pool ?? null : null
process.stdout.write(`${JSON.stringify({ ms, cpuMs: (user + system) / 1000, siblings, pool })}\n`)
