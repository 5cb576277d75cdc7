#!/usr/bin/env node
// `npm run pack [-- <dir>]`: makes the installable pair of tarballs, the main package
// and this machine's platform package, into <dir> (default: ./pack). A plain
// `npm pack` makes a main package without optionalDependencies and without the
// addon, which cannot load once installed. test/install.test.mjs packs with this too.
//
// Stages a release the way .github/workflows/release.yml makes one, with napi-rs's own
// commands, so what is packed is what npm would publish:
//   napi artifacts    copies each target's `.node` into npm/<platform>/
//   napi pre-publish  writes the root package's optionalDependencies (one per target)
// Only this machine's addon is real; the other targets get placeholder artifacts so
// napi sees the full matrix and writes the same optionalDependencies a release does.
// Those placeholder packages are never packed.
import { execFile } from 'node:child_process'
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { hostPlatformArchABI } from '../js/platform.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const run = promisify(execFile)
const require = createRequire(import.meta.url)
const NAPI_CLI = path.join(path.dirname(require.resolve('@napi-rs/cli/package.json')), 'dist/cli.js')

/** The npm client: the one running us under `npm test`, else `npm` on the PATH. */
export function npm(args, options) {
  const cli = process.env.npm_execpath
  return cli && /npm-cli\.js$/.test(cli)
    ? run(process.execPath, [cli, ...args], { maxBuffer: 64 << 20, ...options })
    : run('npm', args, { shell: process.platform === 'win32', maxBuffer: 64 << 20, ...options })
}

/**
 * Copies the publishable parts of the repo to `dir`, runs `napi artifacts` and
 * `napi pre-publish` there, and packs the main package and this machine's platform
 * package into `dir`.
 * @returns {Promise<{ main: Packed, platform: Packed, abi: string }>}
 * @typedef {{ tarball: string, files: string[], manifest: Record<string, any> }} Packed
 */
export async function packRelease(dir) {
  const abi = hostPlatformArchABI()
  const binaryName = require(path.join(REPO, 'package.json')).napi.binaryName
  const stage = path.join(dir, 'stage')
  const artifacts = path.join(dir, 'artifacts')
  await mkdir(artifacts, { recursive: true })
  for (const entry of ['package.json', 'README.md', 'LICENSE', 'js', 'npm', 'native/binding.cjs', 'native/binding.d.cts']) {
    await cp(path.join(REPO, entry), path.join(stage, entry), { recursive: true })
  }
  // The release downloads one artifact per target; here only the host's is real.
  const host = `${binaryName}.${abi}.node`
  await cp(path.join(REPO, 'native', host), path.join(artifacts, host))
  for (const other of await readdir(path.join(REPO, 'npm'))) {
    if (other !== abi) await writeFile(path.join(artifacts, `${binaryName}.${other}.node`), 'placeholder: never packed\n')
  }
  const napi = (...args) => run(process.execPath, [NAPI_CLI, ...args], { cwd: stage })
  await napi('artifacts', '--output-dir', artifacts, '--npm-dir', 'npm')
  await napi('pre-publish', '--npm-dir', 'npm', '--skip-optional-publish', '--no-gh-release')
  return {
    abi,
    main: await pack(stage, dir),
    platform: await pack(path.join(stage, 'npm', abi), dir),
  }
}

async function pack(packageDir, destination) {
  const { stdout } = await npm(['pack', '--json', '--pack-destination', destination], { cwd: packageDir })
  const [info] = JSON.parse(stdout)
  return {
    tarball: path.join(destination, info.filename),
    files: info.files.map((f) => f.path).sort(),
    manifest: require(path.join(packageDir, 'package.json')),
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = path.resolve(process.argv[2] ?? 'pack')
  await mkdir(dir, { recursive: true })
  const { main, platform } = await packRelease(dir)
  await rm(path.join(dir, 'stage'), { recursive: true, force: true })
  await rm(path.join(dir, 'artifacts'), { recursive: true, force: true })
  console.log(`${main.tarball}\n${platform.tarball}`)
  console.error(`\nInstall both (the platform package stands in for the registry's):\n  npm install -D ${main.tarball} ${platform.tarball}`)
}
