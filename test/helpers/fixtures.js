// Builds of the fixture apps under test/fixtures/ with Vite 8, Vite 7 and Rollup 4,
// and what the bundlers' output says about each source wasm.
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { buildWat } from '../../scripts/build-wat.js'
import { REPO, assetHash } from './example.js'

export const FIXTURES = path.join(REPO, 'test/fixtures')

/**
 * Compiles every `.wat` under a fixture (its `node_modules` too) to a `.wasm`
 * beside it, with a name and a producers section to strip.
 * @returns {Promise<Map<string, Buffer>>} absolute path of each `.wasm` → its raw bytes
 */
export async function compileFixtureWasm(root) {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const wats = entries.filter((e) => e.isFile() && e.name.endsWith('.wat')).map((e) => path.join(e.parentPath ?? e.path, e.name))
  const built = await buildWat(wats.sort())
  const inputs = new Map()
  for (const { wasm } of built) inputs.set(wasm, await readFile(wasm))
  return inputs
}

/**
 * Matches each emitted `.wasm` to the source it came from and checks its name
 * against its own bytes' hash. Pure.
 * @param {{ name: string, bytes: Buffer }[]} files every output file
 * @param {Map<string, Buffer>} inputs source path → raw bytes
 * @returns {{ name: string, bytes: Buffer, source: string | undefined, hash: string, named: boolean }[]}
 */
export function emittedWasm(files, inputs) {
  return files
    .filter((f) => f.name.endsWith('.wasm'))
    .map((f) => {
      const match = /(?:^|\/)([^/]+?)(?:-([\w-]{8}))?\.wasm$/.exec(f.name)
      const base = match?.[1]
      const source = [...inputs.keys()].find((p) => path.basename(p, '.wasm') === base)
      const hash = assetHash(f.bytes)
      return { ...f, source, hash, named: match?.[2] === hash }
    })
}
