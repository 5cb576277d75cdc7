#!/usr/bin/env node
// npm run bench:memory [-- --sizes 16,64,256] [-- --runs 1] [-- --no-chromium]
//
// What each passiveData mode does to memory, measured. Modules: a generated one
// with one N MiB data segment (pseudo-random bytes, so nothing compresses or
// packs away; N = 16, 64, 256) and a real data-heavy one (brotli-wasm's web build:
// ~630 KiB of static dictionary in ~5k segments). Each is transformed with every
// mode (`off`, `start`, `deferred`, `sidecar`) and loaded with the plugin's own
// loader glue:
//   - Node: a fresh `node --expose-gc` per load (bench/lib/memory-node.js): RSS
//     growth after GC, peak RSS growth (VmHWM), instantiate time;
//   - Chromium (headless, a fresh browser per load; bench/lib/memory-chromium.js):
//     renderer RSS growth from /proc after gc(), peak from VmHWM and a poller.
// Every load probes the data it placed; all modes must agree with `off`.
// Writes bench/results/memory.md and bench/results/memory.json.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { inspect, transform } from '../js/native.js'
import { runtimeCode } from '../js/glue.js'
import { placementTable } from '../js/sidecar.js'
import { serve } from '../test/helpers/serve.js'
import { measureChromium } from './lib/memory-chromium.js'
import { formatBytes, formatMs, markdownTable } from './lib/format.js'
import { gitRevision, machineInfo } from './lib/machine.js'
import { BENCH_DIR, REPO_DIR } from './lib/corpus.js'

const MODES = ['off', 'start', 'deferred', 'sidecar']
const MIB = 1024 * 1024
const PAGE = 65536
const REAL = { name: 'brotli-wasm (real)', file: join(REPO_DIR, 'node_modules/brotli-wasm/pkg.web/brotli_wasm_bg.wasm') }

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '16,64,256' },
    runs: { type: 'string', default: '1' },
    'no-chromium': { type: 'boolean' },
  },
})
const sizes = values.sizes.split(',').map(Number)
const runs = Number(values.runs)

const uleb = (n) => {
  const out = []
  do {
    let byte = n & 0x7f
    n = Math.floor(n / 128)
    if (n) byte |= 0x80
    out.push(byte)
  } while (n)
  return out
}
const section = (id, content) => Buffer.concat([Buffer.from([id, ...uleb(content.length)]), content])

/** `(memory (export "memory") P) (data (i32.const 65536) <n pseudo-random bytes>)`. */
function generatedModule(n) {
  const data = Buffer.allocUnsafe(n)
  let state = 0x9e3779b9
  for (let i = 0; i < n; i += 4) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    data.writeUInt32LE(state >>> 0, i)
  }
  const pages = Math.ceil((PAGE + n) / PAGE) + 1
  const memory = section(5, Buffer.from([1, 0, ...uleb(pages)]))
  const exports = section(7, Buffer.from([1, 6, ...Buffer.from('memory'), 2, 0]))
  const segment = Buffer.concat([Buffer.from([0, 0x41, ...uleb(PAGE), 0x0b]), Buffer.from(uleb(n)), data])
  // i32.const takes a signed LEB: 65536 = 0x80 0x80 0x04 happens to be valid signed too.
  const dataSection = section(11, Buffer.concat([Buffer.from([1]), segment]))
  return Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), memory, exports, dataSection])
}

/** Addresses the loads probe: spread over the data. */
function probeAddresses(info) {
  const at = []
  for (const d of info.dataSegments) {
    if (d.offset == null || d.size === 0) continue
    for (let k = 0; k < 16; k++) at.push(d.offset + Math.floor((d.size - 1) * (k / 15)))
    if (at.length > 4096) break
  }
  return at
}

const work = mkdtempSync(join(tmpdir(), 'wasm-squeeze-memory-'))
const modules = [...sizes.map((n) => ({ name: `generated ${n} MiB`, n: n * MIB, bytes: () => generatedModule(n * MIB) })), { ...REAL, bytes: () => readFileSync(REAL.file) }]

const server = await serve(work)
const results = []
try {
  for (const mod of modules) {
    const input = mod.bytes()
    const info = await inspect(input)
    const dataBytes = info.dataSegments.reduce((a, d) => a + d.size, 0)
    const probeAt = probeAddresses(info)
    for (const mode of MODES) {
      const result = await transform(input, { passiveData: mode })
      const id = `${mod.name.replace(/\W+/g, '-')}-${mode}`
      const wasm = join(work, `${id}.wasm`)
      writeFileSync(wasm, result.wasm)
      const spec = { wasm, imports: info.imports, probeAt }
      if (result.sidecar) {
        spec.sidecar = join(work, `${id}.data`)
        spec.placements = placementTable(result.sidecar)
        writeFileSync(spec.sidecar, result.sidecar.data)
      }
      const specFile = join(work, `${id}.json`)
      writeFileSync(specFile, JSON.stringify(spec))
      const row = { module: mod.name, mode, dataBytes, wasmBytes: result.wasm.length, sidecarBytes: result.sidecar?.data.length ?? 0, node: [], chromium: [] }
      for (let r = 0; r < runs; r++) {
        const out = execFileSync(process.execPath, ['--expose-gc', join(BENCH_DIR, 'lib/memory-node.js'), specFile], { maxBuffer: 1 << 20 })
        row.node.push(JSON.parse(out))
        if (!values['no-chromium']) {
          writeFileSync(join(work, `${id}.html`), pageHtml(id, spec, info.imports))
          row.chromium.push(await measureChromium(new URL(`${id}.html`, server.url).href))
        }
      }
      results.push(row)
      console.error(`${mod.name} ${mode}: node ${formatBytes(best(row.node, 'steady'))} steady, chromium ${formatBytes(best(row.chromium, 'steady'))}`)
      rmSync(wasm)
      if (spec.sidecar) rmSync(spec.sidecar)
    }
  }
} finally {
  await server.close()
}
rmSync(work, { recursive: true, force: true })

function pageHtml(id, spec, imports) {
  const runtime = runtimeCode({ ssr: false })
  const sidecar = spec.sidecar ? `{ url: './${id}.data', placements: ${JSON.stringify(spec.placements)} }` : 'undefined'
  return `<!doctype html><meta charset="utf-8"><script type="module">
${runtime.replace(/^export /gm, '')}
const stub = () => { throw new Error('stub import called') }
const imports = {}
for (const { module, name } of ${JSON.stringify(imports)}) (imports[module] ??= {})[name] = stub
window.load = async () => {
  const started = performance.now()
  const instance = await instantiate('./${id}.wasm', imports, ${sidecar})
  const ms = performance.now() - started
  window.keep = instance
  const memory = Object.values(instance.exports).find((e) => e instanceof WebAssembly.Memory)
  const view = new Uint8Array(memory.buffer)
  let probe = 0
  for (const at of ${JSON.stringify(spec.probeAt)}) probe = (probe * 31 + view[at]) >>> 0
  return { probe, ms }
}
</script>`
}

function best(list, key) {
  const values = list.map((m) => m[key]).filter((v) => v != null)
  return values.length ? Math.min(...values) : null
}

// ---- report ------------------------------------------------------------------
for (const row of results) {
  const off = results.find((r) => r.module === row.module && r.mode === 'off')
  for (const env of ['node', 'chromium']) {
    for (const m of row[env]) {
      const want = off[env][0]?.probe
      if (want !== undefined && m.probe !== want) throw new Error(`${row.module} ${row.mode} in ${env}: probe ${m.probe} ≠ off's ${want}`)
    }
  }
}
const inN = (bytes, n) => (bytes == null ? '—' : `${(bytes / n).toFixed(2)} N`)
const columns = [
  { title: 'module', align: 'left' },
  { title: 'mode', align: 'left' },
  { title: 'wasm' },
  { title: 'sidecar' },
  { title: 'Node steady' },
  { title: 'Node peak' },
  { title: 'Node load' },
  { title: 'Chromium steady' },
  { title: 'Chromium peak' },
  { title: 'Chromium load' },
]
const rows = results.map((r) => {
  const n = r.dataBytes
  return [
    r.module,
    r.mode,
    formatBytes(r.wasmBytes),
    r.sidecarBytes ? formatBytes(r.sidecarBytes) : '—',
    `${formatBytes(best(r.node, 'steady'))} (${inN(best(r.node, 'steady'), n)})`,
    `${formatBytes(best(r.node, 'peak'))} (${inN(best(r.node, 'peak'), n)})`,
    formatMs(best(r.node, 'instantiateMs')),
    `${formatBytes(best(r.chromium, 'steady'))} (${inN(best(r.chromium, 'steady'), n)})`,
    `${formatBytes(best(r.chromium, 'peak'))} (${inN(best(r.chromium, 'peak'), n)})`,
    formatMs(best(r.chromium, 'instantiateMs')),
  ]
})
const machine = machineInfo()
const git = gitRevision(REPO_DIR)
const revision = git ? `${git.sha}${git.dirty ? ' (with uncommitted changes)' : ''}` : 'an unknown revision'
const chromiumVersion = (() => {
  try {
    return execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return 'Chromium (npm @sparticuz/chromium)'
  }
})()
const md = `# Memory by passiveData mode

Produced by \`npm run bench:memory${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}\` at ${revision}
on ${machine.cpu} (${machine.nproc} cores, shared), ${machine.memoryGiB} GiB, Node ${process.versions.node} (V8 ${process.versions.v8}), ${chromiumVersion}.
Best of ${runs} run(s) per cell; each load in a fresh process (Node) or a fresh browser (Chromium).

N is the module's data: the bytes of its data segments (${sizes.map((s) => s + ' MiB').join(', ')} for the generated
modules). "steady" is the RSS growth after loading and a full GC, "peak" the highest
RSS growth while loading (Node: the process's VmHWM; Chromium: the renderer's VmHWM and a
/proc poller), both over the process's RSS just before the load. "load" is the time from
the loader's first call to the instance being ready (fetch, compile, instantiate, data
written and initialiser run). Every load probes the placed data; all modes agree with \`off\`.

${markdownTable(columns, rows)}
`
writeFileSync(join(BENCH_DIR, 'results/memory.md'), md)
writeFileSync(join(BENCH_DIR, 'results/memory.json'), JSON.stringify({ machine, node: process.versions.node, chromium: chromiumVersion, results }, null, 2) + '\n')
console.log(md)
