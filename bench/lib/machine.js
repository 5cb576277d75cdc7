// What the bench ran on, for report headers.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import os from 'node:os'

function tryExec(command, args, options) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], ...options }).trim()
  } catch {
    return null
  }
}

export function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'))
    if (line) return line.split(':').slice(1).join(':').trim()
  } catch {
    // Not Linux: fall back to what Node knows.
  }
  return os.cpus()[0]?.model ?? 'unknown'
}

/** The version line of a tool (`wasm-opt --version`), or null when it is missing. */
export function toolVersion(command, args = ['--version']) {
  return tryExec(command, args)
}

/** `{ sha, dirty }` of the git checkout at `cwd`, or null outside git. */
export function gitRevision(cwd) {
  const sha = tryExec('git', ['rev-parse', '--short', 'HEAD'], { cwd })
  if (!sha) return null
  const status = tryExec('git', ['status', '--porcelain'], { cwd })
  return { sha, dirty: Boolean(status) }
}

export function machineInfo() {
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: cpuModel(),
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
    node: process.version,
    v8: process.versions.v8,
    brotli: process.versions.brotli,
  }
}

/** `0.1.0 (abc1234)` for the checkout at `repoDir`, `, dirty tree` when it has changes. */
export function wasmSqueezeVersion(repoDir) {
  const pkg = JSON.parse(readFileSync(join(repoDir, 'package.json'), 'utf8'))
  const git = gitRevision(repoDir)
  return `${pkg.version}${git ? ` (${git.sha}${git.dirty ? ', dirty tree' : ''})` : ''}`
}

/** How bench `name` was started, arguments included: `npm run bench:<name> -- …` or `node bench/<name>.js …`. */
export function benchCommand(name) {
  const extra = process.argv.slice(2)
  if (process.env.npm_lifecycle_event === `bench:${name}`) {
    return `npm run bench:${name}${extra.length ? ` -- ${extra.join(' ')}` : ''}`
  }
  return `node bench/${name}.js${extra.length ? ` ${extra.join(' ')}` : ''}`
}
