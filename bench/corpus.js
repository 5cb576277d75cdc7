#!/usr/bin/env node
// npm run bench:corpus — builds the real-wasm corpus in bench/corpus/ (gitignored):
//   bench/corpus/tgz/             the packed packages (`npm pack name@version`)
//   bench/corpus/wasm/            <package>__<file>.wasm, the modules benches read
//   bench/corpus/manifest.json    package, version, license, file, bytes, sha256
// The list is pinned in bench/corpus-packages.js. Idempotent: tarballs and
// modules already there are not fetched or extracted again.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { MAX_FILE_BYTES, PACKAGES } from './corpus-packages.js'
import { CORPUS_DIR, MANIFEST_PATH } from './lib/corpus.js'
import { runOrThrow } from './lib/exec.js'
import { formatBytes } from './lib/format.js'
import { sha256 } from './lib/sizes.js'

const TGZ_DIR = join(CORPUS_DIR, 'tgz')
const WASM_DIR = join(CORPUS_DIR, 'wasm')

/** Licenses we do not put in the corpus: the GPL family, whatever the version. */
const COPYLEFT = /\b(A|L)?GPL\b|\bGNU\b/i

/** `@scope/name` → `scope-name`, the stem npm pack and our file names use. */
export function packageStem(name) {
  return name.replace(/^@/, '').replaceAll('/', '-')
}

/** The license of a package.json, whatever shape it takes (string, object, `licenses` array). */
export function licenseOf(pkg) {
  const asText = (l) => (typeof l === 'string' ? l : l?.type)
  if (pkg.license) return asText(pkg.license) ?? 'UNKNOWN'
  if (Array.isArray(pkg.licenses)) return pkg.licenses.map(asText).join(' OR ')
  return 'UNKNOWN'
}

export function isCopyleft(license) {
  return COPYLEFT.test(license)
}

/**
 * Corpus file name of `file` inside `pkg`: its base name when that is unique
 * among the package's chosen files, else its whole path with `/` → `-`.
 */
export function corpusFileName(pkgName, file, allFiles) {
  const base = basename(file)
  const unique = allFiles.filter((f) => basename(f) === base).length === 1
  const stem = (unique ? base : file.replaceAll('/', '-')).replace(/\.wasm$/, '')
  return `${packageStem(pkgName)}__${stem}.wasm`
}

function tar(args, maxBuffer = 512 * 1024 * 1024) {
  return execFileSync('tar', args, { maxBuffer })
}

/** Packs `name@version` into TGZ_DIR unless it is there; returns the tarball path. */
async function fetchTarball({ name, version }) {
  const expected = join(TGZ_DIR, `${packageStem(name)}-${version}.tgz`)
  if (existsSync(expected)) return { path: expected, fetched: false }
  const { stdout } = await runOrThrow('npm', ['pack', `${name}@${version}`, '--pack-destination', TGZ_DIR, '--json'], {
    timeoutMs: 5 * 60_000,
  })
  const [info] = JSON.parse(stdout)
  return { path: join(TGZ_DIR, info.filename), fetched: true }
}

/** Every `.wasm` path in a tarball, relative to the package root. */
function wasmFilesIn(tgz) {
  return tar(['tzf', tgz])
    .toString('utf8')
    .split('\n')
    .filter((p) => p.endsWith('.wasm'))
    .map((p) => p.replace(/^package\//, ''))
}

async function collectPackage(entry, log) {
  const spec = `${entry.name}@${entry.version}`
  if (entry.exclude) return { status: 'skipped', reason: entry.exclude }

  const tarball = await fetchTarball(entry)
  const pkg = JSON.parse(tar(['xzf', tarball.path, '-O', 'package/package.json']).toString('utf8'))
  const license = licenseOf(pkg)
  if (isCopyleft(license)) return { status: 'skipped', reason: `license ${license} (GPL family)`, license }

  const files = entry.files ?? wasmFilesIn(tarball.path)
  const collected = []
  const tooBig = []
  for (const file of files) {
    const id = corpusFileName(entry.name, file, files)
    const dest = join(WASM_DIR, id)
    let bytes
    if (existsSync(dest)) {
      bytes = readFileSync(dest)
    } else {
      bytes = tar(['xzf', tarball.path, '-O', `package/${file}`])
      if (bytes.length > MAX_FILE_BYTES) {
        tooBig.push(`${file} (${formatBytes(bytes.length)})`)
        continue
      }
      writeFileSync(dest, bytes)
    }
    collected.push({
      id,
      package: entry.name,
      version: entry.version,
      license,
      file,
      path: `wasm/${id}`,
      bytes: bytes.length,
      sha256: sha256(bytes),
    })
  }
  log(`${tarball.fetched ? 'fetched' : 'cached '} ${spec} (${license}): ${collected.map((f) => f.id).join(', ')}`)
  return {
    status: 'ok',
    license,
    tarball: basename(tarball.path),
    tarballBytes: readFileSync(tarball.path).length,
    files: collected,
    reason: tooBig.length ? `left out, over ${formatBytes(MAX_FILE_BYTES)}: ${tooBig.join(', ')}` : undefined,
  }
}

async function main() {
  mkdirSync(TGZ_DIR, { recursive: true })
  mkdirSync(WASM_DIR, { recursive: true })
  const log = (line) => console.log(line)

  const packages = []
  const files = []
  for (const entry of PACKAGES) {
    let result
    try {
      result = await collectPackage(entry, log)
    } catch (err) {
      result = { status: 'failed', reason: err.message.split('\n')[0] }
    }
    if (result.status !== 'ok') log(`${result.status} ${entry.name}@${entry.version}: ${result.reason}`)
    else if (result.reason) log(`  note: ${result.reason}`)
    packages.push({
      name: entry.name,
      version: entry.version,
      license: result.license,
      status: result.status,
      reason: result.reason,
      why: entry.why,
      tarball: result.tarball,
      tarballBytes: result.tarballBytes,
      files: result.files?.map((f) => f.id) ?? [],
    })
    files.push(...(result.files ?? []))
  }

  const manifest = { createdBy: 'bench/corpus.js', packages, files }
  writeFileSync(MANIFEST_PATH, JSON.stringify(manifest, null, 2) + '\n')

  const download = packages.reduce((sum, p) => sum + (p.tarballBytes ?? 0), 0)
  const total = files.reduce((sum, f) => sum + f.bytes, 0)
  const skipped = packages.filter((p) => p.status !== 'ok')
  log(
    `\n${files.length} modules (${formatBytes(total)}) from ${packages.length - skipped.length} packages ` +
      `(${formatBytes(download)} of tarballs); ${skipped.length} skipped or failed. Manifest: ${MANIFEST_PATH}`,
  )
  if (packages.some((p) => p.status === 'failed')) process.exitCode = 1
}

await main()
