// The plugin's `debugFiles` option: a debug companion (DWARF, names, the code they
// describe, the same build_id) for every wasm that has debug info or names.
// By default companions go to a folder outside the served output, since DWARF
// reveals source paths and code, ready for an upload step (`sentry-cli
// debug-files upload <dir>`); with `serve: true` they are emitted beside their
// wasm and the wasm's `external_debug_info` names them (staging builds).
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

/** The companion's name beside its wasm; `[build-id]` is filled in by the core. */
const SERVED_NAME = (stem) => `${stem}.[build-id].debug.wasm`

/** The transform options that ask for a companion of `file`. */
export function companionOptions(debug, file) {
  if (!debug) return {}
  const stem = path.basename(file, '.wasm')
  // A relative URL resolves against the wasm's own URL, and the companion sits beside it.
  return { debugCompanion: true, ...(debug.serve && { debugUrl: SERVED_NAME(stem) }) }
}

/**
 * Places one companion: emitted beside the wasm (`serve`), or queued for
 * `writeQueued` into `dir`. Returns its report entry.
 * @param {{ fileName: string, file: string, companion: Buffer, buildId: string }} entry
 */
export function placeCompanion(debug, { fileName, file, companion, buildId }, emit) {
  const stem = path.basename(file, '.wasm')
  if (debug.serve) {
    const name = path.posix.join(path.posix.dirname(fileName), SERVED_NAME(stem).replace('[build-id]', buildId))
    emit(name, companion)
    return { source: file, wasm: fileName, debugFile: name, served: true, buildId, bytes: companion.length }
  }
  const name = `${path.posix.basename(fileName, '.wasm')}.debug.wasm`
  return { source: file, wasm: fileName, debugFile: path.join(debug.dir, name), served: false, buildId, bytes: companion.length, companion }
}

/** Writes the companions that go outside the output, under `root`. */
export async function writeQueued(entries, root) {
  for (const entry of entries) {
    if (entry.served) continue
    const target = path.resolve(root, entry.debugFile)
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, entry.companion)
  }
}

/** The report's lines and JSON for the companions (without their bytes). */
export function describeCompanions(entries) {
  const lines = entries.map((e) => `  debug file ${e.debugFile} (${e.bytes} B, build_id ${e.buildId}) for ${e.wasm}${e.served ? ', served' : ''}`)
  const json = entries.map(({ companion, ...rest }) => rest)
  return { lines, json }
}
