// Reading the corpus that bench/corpus.js builds.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)))
export const REPO_DIR = dirname(BENCH_DIR)
export const CORPUS_DIR = join(BENCH_DIR, 'corpus')
export const MANIFEST_PATH = join(CORPUS_DIR, 'manifest.json')

/**
 * The manifest's file entries (`{ id, package, version, license, file, path,
 * bytes, sha256 }`, `path` relative to the corpus dir), optionally filtered by
 * a substring of the id. Throws a helpful error when the corpus is missing.
 */
export function loadCorpus({ filter } = {}) {
  if (!existsSync(MANIFEST_PATH)) {
    throw new Error(`no corpus at ${MANIFEST_PATH}: run \`npm run bench:corpus\` first`)
  }
  const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8'))
  const files = manifest.files.filter((f) => !filter || f.id.includes(filter))
  return { manifest, files: files.map((f) => ({ ...f, absolutePath: join(CORPUS_DIR, f.path) })) }
}
