// The loader's side of `passiveData: 'deferred'` and `'sidecar'`. The native core
// either exports an initialiser (deferred) or moves large data segments out of the
// module and hands back their bytes and a placement table (sidecar). The glue then
// has to, right after instantiation and before anyone sees the instance: write each
// moved segment exactly where its active segment would have gone (failing on the
// same bounds), then call the initialiser if the module has one.

/** The export the core adds; the glue calls it once and hides it from ESM imports. */
export const INIT_EXPORT = '__wasm_squeeze_init_data'

/**
 * The placement table as the glue embeds it: `[export, importModule, importName,
 * offset, sidecarOffset, length]` per moved segment, in segment order.
 * @param {import('./native').TransformResult['sidecar']} sidecar
 */
export function placementTable(sidecar) {
  return sidecar.placements.map((p) => [
    p.memoryExport ?? null,
    p.memoryImport?.[0] ?? null,
    p.memoryImport?.[1] ?? null,
    p.offset,
    p.sidecarOffset,
    p.length,
  ])
}

/**
 * Runtime source (browser or SSR): `fetchSidecar(url)` starts reading the data
 * while the module compiles; `finishLoading(instance, imports, sidecar)` writes it
 * and calls the initialiser. Bounds failures throw a `WebAssembly.RuntimeError`,
 * as the active segment's trap would have.
 * @param {{ ssr: boolean }} target
 */
export function sidecarRuntimeCode({ ssr }) {
  const fetchSidecar = ssr
    ? `async function fetchSidecar(url) {
  const { readFile } = await import('node:fs/promises')
  const bytes = await readFile(new URL(url, import.meta.url))
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}`
    : `async function fetchSidecar(url) {
  const response = await fetch(url)
  if (!response.ok) throw new Error('wasm-squeeze: fetching ' + url + ' failed with HTTP ' + response.status)
  return new Uint8Array(await response.arrayBuffer())
}`
  return `${fetchSidecar}
function writeSidecar(instance, imports, bytes, placements) {
  for (const placement of placements) {
    const exported = placement[0], module = placement[1], name = placement[2], offset = placement[3], from = placement[4], length = placement[5]
    const memory = exported !== null ? instance.exports[exported] : imports[module] && imports[module][name]
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('wasm-squeeze: the memory of a data sidecar is missing')
    if (offset + length > memory.buffer.byteLength) {
      throw new WebAssembly.RuntimeError('wasm-squeeze: data segment out of bounds memory access (offset ' + offset + ', ' + length + ' bytes)')
    }
    new Uint8Array(memory.buffer, offset, length).set(bytes.subarray(from, from + length))
  }
}
async function finishLoading(instance, imports, sidecar) {
  if (sidecar) writeSidecar(instance, imports, await sidecar.bytes, sidecar.placements)
  const init = instance.exports[${JSON.stringify(INIT_EXPORT)}]
  if (typeof init === 'function') init()
  return instance
}
`
}

/**
 * Plugin side: emits a transform result's sidecar as an asset next to the wasm
 * and starts compressing it like the wasm. Returns what the glue and
 * `generateBundle` need, or `null` when nothing moved out.
 */
export function emitSidecar(ctx, wasmName, sidecar, startCompressing) {
  if (!sidecar) return null
  const name = wasmName.replace(/\.wasm$/, '') + '.data'
  const referenceId = ctx.emitFile({ type: 'asset', name, source: sidecar.data })
  const compressed = startCompressing(sidecar.data)
  compressed.catch(() => {}) // awaited in generateBundle; never an unhandled rejection
  return { referenceId, bytes: sidecar.data.length, table: placementTable(sidecar), compressed }
}

/** JS for the glue's `{ url, placements }` argument. */
export function sidecarExpression(emitted) {
  if (!emitted) return undefined
  return `{ url: import.meta.ROLLUP_FILE_URL_${emitted.referenceId}, placements: ${JSON.stringify(emitted.table)} }`
}
