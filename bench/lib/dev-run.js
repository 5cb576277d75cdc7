#!/usr/bin/env node
// One cold `vite` dev start for bench/dev.js, in its own process (fresh module
// caches, an empty deps cache): prints `{ listenMs, startCpuMs, firstLoadMs, result }` as JSON.
//   node bench/lib/dev-run.js <vite8|vite7> <auto|hand> <cacheDir> <excluded,…>
// auto: `plugins: [wasmSqueeze()]` and nothing else. hand: the plugin with its
// automatic optimizeDeps handling switched off (its `config` hook is told it is a
// build, and Vite 7's optimizer plugin it adds is put back by hand) and the
// hand-written `optimizeDeps.exclude` users write today.
import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import wasmSqueeze from '../../js/plugin.js'
import { esbuildDepWasmPlugin } from '../../js/dev-server.js'
import { CHROMIUM_ARGS, chromiumPath } from '../../test/helpers/browser.js'
import { BENCH_DIR } from './corpus.js'

const [vite, mode, cacheDir, excluded] = process.argv.slice(2)
const { createServer } = await import(vite === 'vite7' ? 'vite7' : 'vite')
const browser = await chromium.launch({ executablePath: await chromiumPath(), headless: true, args: CHROMIUM_ARGS })

const plugins = wasmSqueeze()
const config = { root: join(BENCH_DIR, 'dev-app'), configFile: false, cacheDir, logLevel: 'error', plugins }
if (mode === 'hand') {
  const hook = plugins[0].config
  plugins[0].config = function (user, env) {
    return hook.call(this, user, { ...env, command: 'build' })
  }
  config.optimizeDeps = { exclude: excluded.split(',') }
  // What the plugin did before this handling: Vite 7's optimizer plugin stays.
  if (vite === 'vite7') config.optimizeDeps.esbuildOptions = { plugins: [esbuildDepWasmPlugin()] }
}

const started = performance.now()
const server = await createServer({ ...config, server: { host: '127.0.0.1', port: 0, strictPort: false, ws: { host: '127.0.0.1' } } })
await server.listen()
const listenMs = performance.now() - started
// CPU time of this process so far (imports included, the browser is another
// process): steadier than wall time on a shared machine.
const cpu = process.cpuUsage()
const startCpuMs = (cpu.user + cpu.system) / 1000
const page = await (await browser.newContext()).newPage()
const loadStarted = performance.now()
await page.goto(server.resolvedUrls.local[0])
await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60_000 })
const firstLoadMs = performance.now() - loadStarted
const result = await page.textContent('#result')
await browser.close()
await server.close()
process.stdout.write(`${JSON.stringify({ listenMs, startCpuMs, firstLoadMs, result })}\n`)
