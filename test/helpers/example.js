// Shared pieces of the example-app tests: building test/fixtures/vite-app with a
// given Vite, reading what landed in dist/, and what the page should compute.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildWat, findWatFiles } from '../../scripts/build-wat.js'

const require = createRequire(import.meta.url)

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const EXAMPLE_ROOT = path.join(REPO, 'test/fixtures/vite-app')

/**
 * Compiles the example's `.wat` sources and returns the raw (unoptimized)
 * inputs by file name, e.g. `{ 'math.wasm': <Buffer> }`.
 */
export async function compileExampleWasm() {
  const built = await buildWat(await findWatFiles(EXAMPLE_ROOT))
  const inputs = new Map()
  for (const { wasm } of built) {
    if (!wasm.startsWith(EXAMPLE_ROOT + path.sep)) continue
    inputs.set(path.basename(wasm), await readFile(wasm))
  }
  if (inputs.size === 0) throw new Error(`no .wat sources found under ${EXAMPLE_ROOT}`)
  return inputs
}

/** A fresh temporary directory, and a function that removes it. */
export async function tempDir(prefix) {
  const dir = await mkdtemp(path.join(tmpdir(), `wasm-squeeze-${prefix}-`))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/**
 * Runs a real production build of test/fixtures/vite-app with its own vite.config.js.
 * @param {typeof import('vite').build} build `build` from 'vite' or 'vite7'
 * @param {string} outDir
 */
export function buildExample(build, outDir) {
  return build({
    root: EXAMPLE_ROOT,
    configFile: path.join(EXAMPLE_ROOT, 'vite.config.js'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  })
}

/** Every file under `dir` as `{ name, bytes }`, name relative with `/`. */
export async function readTree(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const files = []
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath ?? entry.path, entry.name)
    files.push({ name: path.relative(dir, file).split(path.sep).join('/'), bytes: await readFile(file) })
  }
  return files.sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * The `[hash]` Rollup (Vite 7) and Rolldown (Vite 8) put in an asset's file
 * name: the first 8 characters of the base64url xxhash3-128 of its bytes.
 */
export function assetHash(bytes) {
  const { xxhashBase64Url } = require('rollup/dist/native.js')
  return xxhashBase64Url(bytes).slice(0, 8)
}


/** Adler-32 (RFC 1950), written independently of the example's wasm. */
export function adler32(bytes) {
  let a = 1
  let b = 0
  for (const byte of bytes) {
    a = (a + byte) % 65521
    b = (b + a) % 65521
  }
  return ((b << 16) | a) >>> 0
}

function fib(n) {
  let [previous, current] = [0, 1]
  for (let i = 0; i < n; i++) [previous, current] = [current, previous + current]
  return previous
}

export const GREETING = 'Hello from WebAssembly, squeezed by wasm-squeeze!'

/** What the example page must compute, derived without any wasm. */
export function expectedResult() {
  const checksum = adler32(new TextEncoder().encode(GREETING))
  return {
    greeting: GREETING,
    add: 42,
    fib: Array.from({ length: 16 }, (_, n) => fib(n)),
    fib46: fib(46),
    checksum,
    traced: [checksum],
  }
}

/**
 * Opens the built example, waits for its ready marker, and returns the JSON
 * the page wrote into `#result`. Fails early with the page's errors, if any.
 * @param {import('playwright-core').Page} page
 * @param {string} url
 * @param {{ errors: string[] }} log
 */
export async function loadExample(page, url, log) {
  await page.goto(url)
  const ready = page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 15_000 })
  const failed = new Promise((_, reject) => {
    const check = setInterval(() => {
      if (log.errors.length > 0) reject(new Error(`the page reported errors:\n${log.errors.join('\n')}`))
    }, 50)
    ready.finally(() => clearInterval(check)).catch(() => {})
  })
  await Promise.race([ready, failed])
  return JSON.parse(await page.textContent('#result'))
}

/**
 * The browser's own account (Resource Timing) of every fetched `.wasm`: bytes
 * on the wire (`encodedBodySize`) and decoded. Waits for `count` entries.
 * @param {import('playwright-core').Page} page
 * @param {number} count
 */
export async function wasmTransfers(page, count) {
  const entries = await page.waitForFunction(
    (count) => {
      const wasm = performance
        .getEntriesByType('resource')
        .filter((e) => e.initiatorType === 'fetch' && new URL(e.name).pathname.endsWith('.wasm'))
      return wasm.length >= count && wasm.map((e) => ({ file: new URL(e.name).pathname, encodedBodySize: e.encodedBodySize, decodedBodySize: e.decodedBodySize }))
    },
    count,
    { timeout: 5_000 },
  )
  return entries.jsonValue()
}
