// `npm install -D wasm-squeeze` as a frontend project does it: the main package and
// this machine's platform package are packed (staged with napi's own release
// commands, scripts/pack-release.js: `npm run pack`), installed from the tarballs into a fresh copy
// of test/fixtures/vite-app in the OS temp folder, with a PATH that has no Rust and no
// directory of this repo, then built with the project's own `vite build` and run in
// Node and in Chromium. Vite itself comes from npm's cache (`--prefer-offline`).
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, lstat, readFile, readdir, realpath, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { withPage } from './helpers/browser.js'
import { EXAMPLE_ROOT, REPO, compileExampleWasm, expectedResult, loadExample, readTree, tempDir } from './helpers/example.js'
import { npm, packRelease } from '../scripts/pack-release.js'
import { serve } from './helpers/serve.js'

const run = promisify(execFile)
const require = createRequire(import.meta.url)
const EXE = process.platform === 'win32' ? '.exe' : ''

const inside = (parent, child) => child === parent || child.startsWith(parent + path.sep)

/** PATH without Rust and without anything in this repo (node_modules/.bin under `npm test`). */
function isolatedPath() {
  return process.env.PATH.split(path.delimiter)
    .filter((dir) => dir && !inside(REPO, path.resolve(dir)))
    .filter((dir) => !['cargo', 'rustc'].some((tool) => existsSync(path.join(dir, tool + EXE))))
    .join(path.delimiter)
}

/** The user's environment: no npm-run variables, no test-runner context, no addon override. */
function userEnv() {
  const env = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|INIT_CWD$|NODE_TEST_CONTEXT$|NAPI_RS_)/i.test(key)) continue
    env[key] = value
  }
  env.PATH = isolatedPath()
  // napi's loader then checks the platform package's version against its own.
  env.NAPI_RS_ENFORCE_VERSION_CHECK = '1'
  return env
}

/** Allowed in the main tarball: the plugin, CLI and Node API, the napi loader, docs. */
const MAIN_FILE = /^(package\.json|README\.md|LICENSE|js\/((compress|delta)\/)?[\w-]+\.(js|d\.ts)|native\/binding\.(cjs|d\.cts))$/

describe('installed from npm tarballs into a fresh Vite project', () => {
  let tmp
  let release
  let app
  let env
  let buildLog

  before(async () => {
    const inputs = await compileExampleWasm()
    tmp = await tempDir('install')
    assert.ok(!inside(REPO, await realpath(tmp.dir)), 'the project lives outside the repo')
    release = await packRelease(tmp.dir)

    // A copy of the example app (no dist, no .wat sources), depending on the tarball.
    app = path.join(tmp.dir, 'app')
    await cp(EXAMPLE_ROOT, app, {
      recursive: true,
      filter: (src) => !/[\\/](dist|node_modules)$/.test(src) && !src.endsWith('.wat'),
    })
    assert.equal((await readdir(path.join(app, 'src/wasm'))).filter((f) => f.endsWith('.wasm')).length, inputs.size)
    const vite = require('vite/package.json').version
    await writeFile(
      path.join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'fresh-vite-app',
          private: true,
          type: 'module',
          devDependencies: { vite, 'wasm-squeeze': `file:${path.relative(app, release.main.tarball)}` },
          // Stands in for the registry: the optional dependency resolves to our tarball.
          overrides: { [release.platform.manifest.name]: `file:${path.relative(app, release.platform.tarball)}` },
        },
        null,
        2,
      ),
    )
    env = userEnv()
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env })
    const { stdout, stderr } = await run(process.execPath, ['node_modules/vite/bin/vite.js', 'build'], { cwd: app, env })
    buildLog = stdout + stderr
  })
  after(() => tmp?.remove())

  test('the PATH the project uses has no Rust toolchain and nothing of the repo', () => {
    for (const dir of env.PATH.split(path.delimiter)) {
      assert.ok(!inside(REPO, path.resolve(dir)), `${dir} is in the repo`)
      for (const tool of ['cargo', 'rustc']) assert.ok(!existsSync(path.join(dir, tool + EXE)), `${tool} in ${dir}`)
    }
  })

  test('the main tarball ships the plugin, CLI, Node API and loader, and nothing else', () => {
    const { files } = release.main
    const extra = files.filter((f) => !MAIN_FILE.test(f))
    assert.deepEqual(extra, [], 'files the user does not need')
    for (const needed of ['package.json', 'js/plugin.js', 'js/plugin.d.ts', 'js/native.js', 'js/cli.js', 'js/client.d.ts', 'native/binding.cjs', 'native/binding.d.cts']) {
      assert.ok(files.includes(needed), `${needed} is shipped`)
    }
    assert.ok(!files.some((f) => f.endsWith('.node')), 'no addon in the main package: it comes from the platform package')
  })

  test('nothing runs at install time: no install scripts in either package', () => {
    for (const { manifest } of [release.main, release.platform]) {
      for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
        assert.equal(manifest.scripts?.[hook], undefined, `${manifest.name} has a ${hook} script`)
      }
    }
  })

  test('the platform tarball holds the addon and its manifest only', () => {
    const { files, manifest } = release.platform
    assert.deepEqual(files, ['README.md', `wasm-squeeze.${release.abi}.node`, 'package.json'].sort())
    assert.equal(manifest.main, `wasm-squeeze.${release.abi}.node`)
  })

  test('optionalDependencies name every platform package at the same version', async () => {
    const { manifest } = release.main
    const platformDirs = await readdir(path.join(REPO, 'npm'))
    const expected = {}
    for (const dir of platformDirs) {
      const platform = JSON.parse(await readFile(path.join(REPO, 'npm', dir, 'package.json'), 'utf8'))
      assert.equal(platform.version, manifest.version, `npm/${dir} is at the main package's version`)
      expected[platform.name] = manifest.version
    }
    assert.deepEqual(manifest.optionalDependencies, expected)
    assert.equal(release.platform.manifest.version, manifest.version)
    assert.equal(manifest.optionalDependencies[release.platform.manifest.name], release.platform.manifest.version)
  })

  test('npm installed real copies, and the addon only in the platform package', async () => {
    for (const name of ['wasm-squeeze', release.platform.manifest.name]) {
      const dir = path.join(app, 'node_modules', name)
      assert.ok(!(await lstat(dir)).isSymbolicLink(), `${name} is not a link`)
      assert.ok(!inside(REPO, await realpath(dir)), `${name} is not in the repo`)
    }
    const installedNative = await readdir(path.join(app, 'node_modules/wasm-squeeze/native'))
    assert.deepEqual(installedNative.sort(), ['binding.cjs', 'binding.d.cts'])
    assert.ok(existsSync(path.join(app, 'node_modules', release.platform.manifest.name, `wasm-squeeze.${release.abi}.node`)))
  })

  test('vite build optimized every wasm and wrote .br and .zst siblings', async () => {
    assert.match(buildLog, /math\.wasm/, 'the size table names the inputs')
    const files = await readTree(path.join(app, 'dist'))
    const wasm = files.filter((f) => f.name.endsWith('.wasm'))
    assert.equal(wasm.length, 2)
    for (const { name, bytes } of wasm) {
      assert.ok(WebAssembly.validate(bytes), `${name} validates`)
      const source = await readFile(path.join(app, 'src/wasm', path.basename(name).replace(/-[\w-]{8}\.wasm$/, '.wasm')))
      assert.ok(bytes.length < source.length, `${name}: ${bytes.length} B < ${source.length} B`)
      for (const ext of ['.br', '.zst']) assert.ok(files.some((f) => f.name === name + ext), `${name}${ext}`)
    }
    const math = wasm.find((f) => /assets\/math-/.test(f.name))
    const { instance } = await WebAssembly.instantiate(math.bytes)
    assert.equal(instance.exports.add(40, 2), 42)
  })

  test('the installed CLI runs', async () => {
    const out = path.join(app, 'cli-out.wasm')
    // The `bin` link npm made (Windows gets a .cmd shim instead).
    const [bin, args] = process.platform === 'win32' ? [process.execPath, ['node_modules/wasm-squeeze/js/cli.js']] : [path.join(app, 'node_modules/.bin/wasm-squeeze'), []]
    await run(bin, [...args, 'src/wasm/math.wasm', '-o', out], { cwd: app, env })
    assert.ok(WebAssembly.validate(await readFile(out)))
    await rm(out)
  })

  test('the built app computes the expected result in Chromium', async () => {
    const server = await serve(path.join(app, 'dist'))
    try {
      await withPage(async (page, log) => {
        const { mathUrl, ...computed } = await loadExample(page, server.url, log)
        assert.deepEqual(computed, expectedResult())
        assert.match(mathUrl, /^\/assets\/math-[\w-]{8}\.wasm$/)
      })
    } finally {
      await server.close()
    }
  })
})
