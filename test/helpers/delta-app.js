// A small app for the delta tests: one wasm with 40 kB of data that brotli can
// barely shrink (so a full download is big) and a version constant; each "release" flips a
// few bytes, the way a real release changes a little of a large module.
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { wat } from './wat.js'

export const DATA_BYTES = 40_000

/** The data of `version`: seeded noise, with a few bytes that depend on the version. */
export function appData(version) {
  let state = 0x1234_5678
  const data = Buffer.alloc(DATA_BYTES)
  for (let i = 0; i < DATA_BYTES; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    data[i] = state & 0x3f // six bits of noise: brotli gets to 3/4, no further
  }
  for (let i = 0; i < version * 3; i++) data[(i * 7919) % DATA_BYTES] = version
  return data
}

/** What the page shows for `version`: its number and a checksum over its data, computed here independently. */
export function expectedOutput(version) {
  let sum = 0
  for (const byte of appData(version)) sum = (Math.imul(sum, 31) + byte) | 0
  return `${version}:${sum}`
}

function appWat(version) {
  const escaped = [...appData(version)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('')
  return `(module
  (memory (export "memory") 1)
  (data (i32.const 0) "${escaped}")
  (func (export "version") (result i32) i32.const ${version})
  (func (export "sum") (result i32) (local $i i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${DATA_BYTES})))
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31)) (i32.load8_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $s)))`
}

/** Writes the app's sources for `version` into `dir` (index.html, main.js, app.wasm). */
export async function writeApp(dir, version) {
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'app.wasm'), wat(appWat(version)))
  await writeFile(
    path.join(dir, 'main.js'),
    `import { version, sum } from './app.wasm'\ndocument.querySelector('#out').textContent = version() + ':' + sum()\n`,
  )
  await writeFile(path.join(dir, 'index.html'), `<!doctype html><html><head><link rel="icon" href="data:,"></head><body><p id="out">loading</p><script type="module" src="./main.js"></script></body></html>\n`)
}

/** A TCP port that was free a moment ago (both deploys must share one origin). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, 'localhost', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** A real Vite build of the app at `version` into `<root>/dist`, with the plugin's `delta` option; collects warnings. */
export async function buildApp(root, version, delta) {
  const { build, createLogger } = await import('vite')
  const { default: wasmSqueeze } = await import('../../js/plugin.js')
  const { readdir, readFile } = await import('node:fs/promises')
  await writeApp(root, version)
  const warnings = []
  const customLogger = createLogger('warn')
  customLogger.warn = (message) => warnings.push(String(message))
  await build({ root, configFile: false, logLevel: 'warn', customLogger, plugins: [wasmSqueeze({ report: false, delta })], build: { outDir: 'dist', emptyOutDir: true } })
  const wasm = (await readdir(path.join(root, 'dist/assets'))).find((f) => /^app-.*\.wasm$/.test(f))
  return { warnings, wasm, bytes: await readFile(path.join(root, 'dist/assets', wasm)) }
}
