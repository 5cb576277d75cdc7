#!/usr/bin/env node
// `npm run demo`: builds the native addon if needed, then deploys examples/vite-app
// twice with real `vite build`s, the way a site is deployed:
//   1. as it is (sql.js 1.16.0, web-tree-sitter 0.27.1's debug build) into dist/v1;
//   2. with sql.js moved up a release (1.17.0, the `sql.js-next` devDependency) into
//      dist/v2, against dist/v1 as the previous deploy.
// The size tables are the plugin's own, in Vite's log. This script adds only what a
// build cannot know: the peer's brotli of the same bytes, and what a returning
// visitor downloads. `npm run demo -- --serve` then serves both deploys in turn.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createInterface } from 'node:readline/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import zlib from 'node:zlib'
import { MANIFEST_FILE, parseManifest } from '../js/delta/manifest.js'
import { formatBytes } from '../js/report.js'
import { OUT_DIRS } from '../examples/vite-app/vite.config.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const EXAMPLE = path.join(ROOT, 'examples/vite-app')
const CONFIG = path.join(EXAMPLE, 'vite.config.js')
const DEFAULT_PORT = 4173

const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)
const step = (text) => console.log(`\n${bold(`▸ ${text}`)}`)
const relative = (file) => path.relative(ROOT, file).split(path.sep).join('/')
const share = (part, whole) => `${((part / whole) * 100).toFixed(1)}%`
const exactBytes = (n) => `${n.toLocaleString('en-US')} B`
const brotliCompress = promisify(zlib.brotliCompress)

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

/** A real `vite build` of the example with its own vite.config.js; `mode` picks the deploy. */
async function deploy(mode) {
  const { build } = await import('vite')
  await build({ root: EXAMPLE, configFile: CONFIG, mode })
  const outDir = path.join(EXAMPLE, OUT_DIRS[mode])
  const { assets } = parseManifest(await readFile(path.join(outDir, MANIFEST_FILE), 'utf8'))
  if (assets.length === 0) throw new Error(`${relative(outDir)} has no wasm in its manifest`)
  return { outDir, assets }
}

const sizeOf = (file) => stat(file).then((s) => s.size, () => null)

/** Node's zlib brotli at quality 11, the peer a .br is judged against, of each emitted wasm. */
function peerBrotli({ outDir, assets }) {
  return Promise.all(
    assets.map(async (asset) => {
      const bytes = await readFile(path.join(outDir, asset.file))
      const params = { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length }
      const [peer, br] = await Promise.all([brotliCompress(bytes, { params }), sizeOf(path.join(outDir, `${asset.file}.br`))])
      return { file: asset.file, br, peer: peer.length }
    }),
  )
}

function printPeer(rows) {
  console.log('\nThe .br against the peer, node:zlib brotli 11 of the same bytes:')
  const width = Math.max(...rows.map((r) => r.file.length))
  for (const { file, br, peer } of rows) {
    const ours = br == null ? 'no .br (it did not pay)' : `.br ${exactBytes(br)}`
    const difference = br == null || br === peer ? '' : ` (${br < peer ? '' : '+'}${exactBytes(br - peer)})`
    console.log(`  ${file.padEnd(width)}  ${ours}, zlib ${exactBytes(peer)}${difference}`)
  }
}

/** What a returning visitor, holding dist/v1's wasm, downloads from dist/v2 instead of the .br. */
async function printReturning({ outDir, assets }) {
  const changed = assets.filter((a) => a.deltas.length > 0)
  console.log('\nA returning visitor (Chromium, which holds the v1 wasm) downloads:')
  const width = Math.max(...assets.map((a) => a.file.length))
  for (const asset of assets) {
    const br = await sizeOf(path.join(outDir, `${asset.file}.br`))
    const smallest = asset.deltas.toSorted((a, b) => a.bytes - b.bytes)[0]
    if (!smallest) {
      console.log(`  ${asset.file.padEnd(width)}  nothing: unchanged since v1, in the browser's cache`)
      continue
    }
    const wire = br ?? asset.bytes
    console.log(`  ${asset.file.padEnd(width)}  ${smallest.coding} ${formatBytes(smallest.bytes)} instead of .br ${formatBytes(wire)} (${share(smallest.bytes, wire)}), a first visit gets the .br`)
  }
  if (changed.length === 0) throw new Error('the second deploy made no delta: was sql.js bumped?')
}

/** `--serve`: v1 on http://localhost:port/ until Enter, then v2 on the same origin. */
async function serveBoth(port) {
  const { preview } = await import('vite')
  const url = `http://localhost:${port}/`
  const options = (mode) => ({ root: EXAMPLE, configFile: CONFIG, mode, logLevel: 'warn', preview: { port, strictPort: true, host: 'localhost' } })
  const prompt = createInterface({ input: process.stdin, output: process.stdout })
  let server = await preview(options('production'))
  try {
    step(`Serving dist/v1 at ${url}`)
    console.log('Open it in Chromium with DevTools → Network: each .wasm arrives as br (Content-Encoding: br).')
    await prompt.question('Press Enter to deploy v2 on the same origin. ')
    await server.close()
    server = await preview(options('next'))
    step(`Serving dist/v2 at ${url}`)
    console.log('Reload: sql-wasm-*.wasm now arrives as a delta (Content-Encoding: dcb or dcz), web-tree-sitter from the cache.')
    await prompt.question('Press Enter to stop. ')
  } finally {
    prompt.close()
    await server.close()
  }
}

/** `[--serve] [--port N]`; anything else is a usage error. */
function parseArguments(args) {
  const { values } = parseArgs({ args, options: { serve: { type: 'boolean', default: false }, port: { type: 'string', default: String(DEFAULT_PORT) } } })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be a TCP port (1–65535), got ${JSON.stringify(values.port)}`)
  return { serve: values.serve, port }
}

async function main() {
  const { serve, port } = parseArguments(process.argv.slice(2))
  ensureAddon()

  step('vite build examples/vite-app → dist/v1 (sql.js 1.16.0 release build, web-tree-sitter 0.27.1 debug build)')
  const first = await deploy('production')
  // The peer runs on libuv's threads while the second build goes on.
  const peer = peerBrotli(first)
  peer.catch(() => {}) // awaited below; not an unhandled rejection meanwhile

  step('sql.js moves to 1.17.0 (the sql.js-next devDependency): vite build --mode next → dist/v2, dist/v1 as the previous deploy')
  const second = await deploy('next')

  printPeer(await peer)
  await printReturning(second)

  if (serve) await serveBoth(port)
  else console.log(`\nSee both deploys in Chromium: npm run demo -- --serve [--port ${port}]  (vite preview at http://localhost:${port}/, v1 then v2)`)
}

main().catch((err) => {
  console.error(`\ndemo failed: ${err.stack ?? err}`)
  process.exitCode = 1
})
