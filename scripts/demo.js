#!/usr/bin/env node
// `npm run demo`: builds the native addon if needed, compiles the example's
// .wat sources, runs a real `vite build` of examples/vite-app with the plugin,
// and sums up what landed in its dist/.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildWat } from './build-wat.js'
import { FORMATS } from '../js/compress/formats.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const EXAMPLE = path.join(ROOT, 'examples/vite-app')
const OUT_DIR = path.join(EXAMPLE, 'dist')
const COMPRESSED = FORMATS.map((f) => [f.id, f.extension])

const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)
const step = (text) => console.log(`\n${bold(`▸ ${text}`)}`)
const relative = (file) => path.relative(ROOT, file).split(path.sep).join('/')

function ensureAddon() {
  const nativeDir = path.join(ROOT, 'native')
  const hasAddon = existsSync(nativeDir) && readdirSync(nativeDir).some((f) => f.endsWith('.node'))
  if (hasAddon) return
  step('Building the native addon (npm run build; first time only, takes a minute)')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const { status, error } = spawnSync(npm, ['run', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' })
  if (error || status !== 0) {
    throw new Error(`\`npm run build\` failed (${error?.message ?? `exit code ${status}`}); a Rust toolchain (https://rustup.rs) is required`)
  }
}

/** The summary rows: one per emitted .wasm, with its input and its siblings. */
async function summarize(inputs, output) {
  const emitted = output.filter((item) => item.type === 'asset' && item.fileName.endsWith('.wasm'))
  const rows = []
  for (const asset of emitted) {
    const name = asset.names?.[0] ?? asset.name ?? path.basename(asset.fileName).replace(/-[\w-]{8}\.wasm$/, '.wasm')
    const input = inputs.find((file) => path.basename(file) === name)
    const file = path.join(OUT_DIR, asset.fileName)
    const row = {
      input: input ? relative(input) : `(unknown: ${name})`,
      emitted: asset.fileName,
      raw: input ? (await readFile(input)).length : undefined,
      optimized: (await readFile(file)).length,
    }
    for (const [format, extension] of COMPRESSED) {
      if (existsSync(file + extension)) row[format] = (await readFile(file + extension)).length
    }
    rows.push(row)
  }
  return rows.sort((a, b) => a.input.localeCompare(b.input))
}

const percent = (before, after) => (before && after != null ? `${(((after - before) / before) * 100).toFixed(1)}%` : '-')
const bytes = (n) => (n == null ? '-' : `${n} B`)

function printTable(rows) {
  const formats = COMPRESSED.map(([format]) => format).filter((format) => rows.some((r) => r[format] != null))
  const wire = (r) => Math.min(r.optimized, ...formats.map((f) => r[f] ?? Infinity))
  const total = (key) => rows.reduce((sum, r) => sum + (typeof key === 'function' ? key(r) : (r[key] ?? 0)), 0)
  const header = ['input', 'emitted', 'raw', 'optimized', ...formats.map((f) => `.${f}`), 'optimized vs raw', 'wire vs raw']
  const body = rows.map((r) => [
    r.input,
    r.emitted,
    bytes(r.raw),
    bytes(r.optimized),
    ...formats.map((f) => bytes(r[f])),
    percent(r.raw, r.optimized),
    percent(r.raw, wire(r)),
  ])
  const totals = ['total', '', bytes(total('raw')), bytes(total('optimized')), ...formats.map((f) => bytes(total(f))), percent(total('raw'), total('optimized')), percent(total('raw'), total(wire))]
  const table = [header, ...body, ...(rows.length > 1 ? [totals] : [])]
  const widths = header.map((_, col) => Math.max(...table.map((row) => row[col].length)))
  const line = (row) => row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('   ').trimEnd()
  console.log(line(header))
  console.log(widths.map((w) => '─'.repeat(w)).join('   '))
  body.forEach((row) => console.log(line(row)))
  if (rows.length > 1) {
    console.log(widths.map((w) => '─'.repeat(w)).join('   '))
    console.log(line(totals))
  }
  console.log(`\n"wire" is the smallest encoding a browser can be sent (${formats.map((f) => `.${f}`).join(', ')} or the .wasm itself).`)
}

async function main() {
  ensureAddon()

  step('Compiling examples/**/*.wat (wabt, with name + producers sections)')
  const compiled = await buildWat()
  for (const { wasm, bytes: size } of compiled) console.log(`  ${relative(wasm)}  ${size} B`)
  const inputs = compiled.map((c) => c.wasm).filter((file) => file.startsWith(EXAMPLE + path.sep))

  step('vite build examples/vite-app')
  const { build } = await import('vite')
  const result = await build({
    root: EXAMPLE,
    configFile: path.join(EXAMPLE, 'vite.config.js'),
    build: { outDir: OUT_DIR, emptyOutDir: true },
  })
  const output = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output ?? [])

  step(`What's in ${relative(OUT_DIR)}/`)
  const rows = await summarize(inputs, output)
  if (rows.length === 0) throw new Error('the build emitted no .wasm files')
  printTable(rows)

  const leftovers = (await readdir(OUT_DIR, { recursive: true })).filter((f) => f.endsWith('.wasm'))
  if (leftovers.length !== rows.length) console.warn(`\nnote: ${leftovers.length} .wasm files in dist/, ${rows.length} emitted by the build`)
  console.log(`\nPreview it: npx vite preview ${relative(EXAMPLE)}  (the plugin makes vite preview send the .br/.zst/.gz sibling your browser accepts)`)
}

main().catch((err) => {
  console.error(`\ndemo failed: ${err.stack ?? err}`)
  process.exitCode = 1
})
