// One Node measurement for bench/memory.js, in a fresh process:
//   node --expose-gc bench/lib/memory-node.js <case.json>
// Loads the module with the plugin's own SSR loader (js/glue.js runtimeCode:
// readFile + WebAssembly.instantiate, sidecar read in parallel and written, then
// the initialiser), drops every reference to the fetched bytes, collects, and
// prints JSON: RSS growth after GC, peak RSS growth (VmHWM), instantiate time, and a
// probe of the data so every mode is checked to compute the same.
import { readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { runtimeCode } from '../../js/glue.js'

const spec = JSON.parse(await readFile(process.argv[2], 'utf8'))
const runtimeFile = spec.wasm + '.runtime.mjs'
await writeFile(runtimeFile, runtimeCode({ ssr: true }))
const { instantiate } = await import(pathToFileURL(runtimeFile))

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc()
    await new Promise((r) => setTimeout(r, 50))
  }
}
const stub = () => {
  throw new Error('stub import called')
}
const imports = {}
for (const { module, name } of spec.imports) (imports[module] ??= {})[name] = stub

await settle()
const base = process.memoryUsage.rss()
const started = performance.now()
const sidecar = spec.sidecar && { url: pathToFileURL(spec.sidecar).href, placements: spec.placements }
const instance = await instantiate(pathToFileURL(spec.wasm).href, imports, sidecar)
const instantiateMs = performance.now() - started
globalThis.keep = instance
await settle()
const steady = process.memoryUsage.rss() - base
// VmHWM, not getrusage's maxRSS: Linux carries maxRSS over from the forking parent.
const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024
const peak = hwm - base
const memory = Object.values(instance.exports).find((e) => e instanceof WebAssembly.Memory)
const view = new Uint8Array(memory.buffer)
let probe = 0
for (const at of spec.probeAt) probe = (probe * 31 + view[at]) >>> 0
process.stdout.write(JSON.stringify({ steady, peak, instantiateMs, probe }))
