// One timed Vite build of the bench:delta-visit app in its own process (as `vite
// build` runs for a user), printing `{ ms, cpuMs }` as JSON. The plugin runs with its
// defaults, its cache in `cacheDir`; `delta` is `off` (no delta option), `first` (a
// first deploy: the manifest only) or the directory of the previous deploy.
import { performance } from 'node:perf_hooks'
import { build } from 'vite'
import wasmSqueeze from '../../js/plugin.js'

const [root, outDir, cacheDir, delta] = process.argv.slice(2)
const option = delta === 'off' ? false : delta === 'first' ? true : { previous: [delta] }
const cpu = process.cpuUsage()
const started = performance.now()
await build({ root, configFile: false, logLevel: 'silent', plugins: [wasmSqueeze({ cache: cacheDir, report: false, delta: option })], build: { outDir, emptyOutDir: true } })
const ms = performance.now() - started
const { user, system } = process.cpuUsage(cpu)
process.stdout.write(`${JSON.stringify({ ms, cpuMs: (user + system) / 1000 })}\n`)
