// `npm run pack` makes the installable pair of tarballs; a plain `npm pack` makes a
// main package that cannot load the addon, and its error says so (not a hint about
// npm's optional-dependency bug). The diagnosis itself is checked case by case.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { hostPlatformArchABI, missingAddonMessage } from '../js/platform.js'
import { REPO, tempDir } from './helpers/example.js'
import { npm } from '../scripts/pack-release.js'

const run = promisify(execFile)
const manifest = { name: 'wasm-squeeze', optionalDependencies: { 'wasm-squeeze-linux-x64-gnu': '0.1.0', 'wasm-squeeze-darwin-arm64': '0.1.0' } }

test('the missing-addon error says what is missing', () => {
  assert.match(missingAddonMessage({ manifest, abi: 'linux-x64-gnu', fromClone: true }), /a clone that has not been built; run `npm run build`/)
  assert.match(
    missingAddonMessage({ manifest: { name: 'wasm-squeeze' }, abi: 'linux-x64-gnu', fromClone: false }),
    /packed without its platform packages \(no optionalDependencies\), as a plain `npm pack` of a clone makes it\. In the clone, `npm run pack`/,
  )
  assert.match(
    missingAddonMessage({ manifest, abi: 'freebsd-x64', fromClone: false }),
    /no platform package for this os\/cpu\/libc \(freebsd-x64\); the prebuilt ones are linux-x64-gnu, darwin-arm64/,
  )
  const notInstalled = missingAddonMessage({ manifest, abi: 'linux-x64-gnu', fromClone: false, cause: 'Cannot find module' })
  assert.match(notInstalled, /wasm-squeeze-linux-x64-gnu is listed in optionalDependencies but was not installed/)
  assert.match(notInstalled, /\(Cannot find module\)$/)
})

let tmp
before(async () => {
  tmp = await tempDir('pack')
})
after(() => tmp?.remove())

test('npm run pack makes the main tarball and this machine\'s platform tarball, and nothing else', async () => {
  const out = path.join(tmp.dir, 'pair')
  const { stdout } = await npm(['run', '--silent', 'pack', '--', out], { cwd: REPO })
  const tarballs = stdout.trim().split('\n')
  const { version } = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8'))
  assert.deepEqual(tarballs.map((t) => path.basename(t)), [`wasm-squeeze-${version}.tgz`, `wasm-squeeze-${hostPlatformArchABI()}-${version}.tgz`])
  assert.deepEqual((await readdir(out)).sort(), tarballs.map((t) => path.basename(t)).sort(), 'no staging left behind')
})

test('a plain npm pack, installed, fails with ERR_ADDON_MISSING naming the real cause', async () => {
  const { stdout } = await npm(['pack', '--json', '--pack-destination', tmp.dir], { cwd: REPO })
  const [{ filename }] = JSON.parse(stdout)
  const app = path.join(tmp.dir, 'app')
  await mkdir(app)
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'plain-pack-app', private: true, type: 'module' }))
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(tmp.dir, filename)], { cwd: app })
  const probe = `import('wasm-squeeze/native').then((n) => n.transform(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])))
    .then(() => console.log('loaded'), (err) => console.log(JSON.stringify({ code: err.code, message: err.message })))`
  const { stdout: out } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app, env: { ...process.env, NODE_TEST_CONTEXT: '' } })
  const { code, message } = JSON.parse(out)
  assert.equal(code, 'ERR_ADDON_MISSING')
  assert.match(message, /packed without its platform packages/)
  assert.match(message, /`npm run pack`/)
  assert.doesNotMatch(message, /From a clone, run `npm run build`/)
})
