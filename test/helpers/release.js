// Stages a release the way .github/workflows/release.yml makes one, with napi-rs's own
// commands, so the install test packs what npm would publish:
//   napi artifacts    copies each target's `.node` into npm/<platform>/
//   napi pre-publish  writes the root package's optionalDependencies (one per target)
// Only this machine's addon is real; the other targets get placeholder artifacts so
// napi sees the full matrix and writes the same optionalDependencies a release does.
// Those placeholder packages are never packed.
import { execFile } from 'node:child_process'
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { promisify } from 'node:util'
import { REPO } from './example.js'

const run = promisify(execFile)
const require = createRequire(import.meta.url)
const NAPI_CLI = path.join(path.dirname(require.resolve('@napi-rs/cli/package.json')), 'dist/cli.js')

/** napi-rs's name for this machine's target (`linux-x64-gnu`, `darwin-arm64`, …). */
export function hostPlatformArchABI() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report?.getReport()?.header?.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

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
