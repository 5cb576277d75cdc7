// Code generation for what a `.wasm` import becomes in the bundle. Pure functions
// from (url expression, module shape) to JS source; semantics follow Vite 8's own
// wasm support so switching the plugin on changes bytes, not behaviour.
import { INIT_EXPORT, sidecarRuntimeCode } from './sidecar.js'

/** The id the glue imports the runtime helper from. */
export const RUNTIME_ID = 'virtual:wasm-squeeze/runtime'
export const RESOLVED_RUNTIME_ID = '\0' + RUNTIME_ID

// Same compile options Vite passes: JS string builtins where the engine has them.
const COMPILE_OPTIONS = { builtins: ['js-string'], importedStringConstants: 'wasm:js/string-constants' }
const RESERVED_IMPORT_MODULES = new Set(['wasm:js-string', COMPILE_OPTIONS.importedStringConstants])

/**
 * The runtime helper: fetch + instantiateStreaming in browsers (arrayBuffer when the
 * server sends the wrong Content-Type), a file read under SSR.
 * @param {{ ssr: boolean }} target
 */
export function runtimeCode({ ssr }) {
  const load = ssr
    ? `async function load(url, imports) {
  const { readFile } = await import('node:fs/promises')
  const bytes = await readFile(new URL(url, import.meta.url))
  return WebAssembly.instantiate(bytes, imports, compileOptions)
}`
    : `async function load(url, imports) {
  const response = await fetch(url)
  if (!response.ok) throw new Error('wasm-squeeze: fetching ' + url + ' failed with HTTP ' + response.status)
  const type = response.headers.get('Content-Type') || ''
  if ('instantiateStreaming' in WebAssembly && type.startsWith('application/wasm')) {
    return WebAssembly.instantiateStreaming(response, imports, compileOptions)
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports, compileOptions)
}`
  return `const compileOptions = ${JSON.stringify(COMPILE_OPTIONS)}
${load}
${sidecarRuntimeCode({ ssr })}
/**
 * Instantiates the wasm at \`url\` and resolves to its WebAssembly.Instance, with
 * its data in place: a sidecar (\`{ url, placements }\`) is fetched in parallel and
 * written, and the passive-data initialiser called, before anyone gets the instance.
 */
export async function instantiate(url, imports = {}, data) {
  const sidecar = data ? { bytes: fetchSidecar(data.url), placements: data.placements } : null
  if (sidecar) sidecar.bytes.catch(() => {}) // awaited below, unless instantiation fails first
  const { instance } = await load(url, imports)
  return finishLoading(instance, imports, sidecar)
}
`
}

/**
 * `import init from './x.wasm?init'`: `init(imports)` resolves to an Instance.
 * `sidecarExpression` is JS for `{ url, placements }` when data moved out.
 */
export function initGlue(urlExpression, sidecarExpression) {
  return `import { instantiate } from ${JSON.stringify(RUNTIME_ID)}
const url = ${urlExpression}
export default function init(imports) {
  return instantiate(url, imports${sidecarExpression ? `, ${sidecarExpression}` : ''})
}
`
}

/** `import url from './x.wasm?url'`. */
export function urlGlue(urlExpression) {
  return `export default ${urlExpression}\n`
}

const IDENTIFIER = /^[$_\p{ID_Start}][$\p{ID_Continue}]*$/u
const exportName = (name) => (IDENTIFIER.test(name) && name !== 'default' ? name : JSON.stringify(name))

/**
 * `import { f } from './x.wasm'`: each import module becomes a JS import, the
 * instance's exports become named exports (globals as their value, as Vite does).
 * @param {string} urlExpression
 * @param {{ imports: {module: string, name: string}[], exports: {name: string, kind: string}[] }} shape
 */
export function esmGlue(urlExpression, shape, sidecarExpression) {
  const modules = [...new Set(shape.imports.map((i) => i.module))].filter((m) => !RESERVED_IMPORT_MODULES.has(m))
  const lines = [`import { instantiate } from ${JSON.stringify(RUNTIME_ID)}`]
  modules.forEach((module, i) => lines.push(`import * as __wasm_import_${i} from ${JSON.stringify(module)}`))
  const importObject = modules.map((module, i) => `${JSON.stringify(module)}: __wasm_import_${i}`).join(', ')
  const sidecar = sidecarExpression ? `, ${sidecarExpression}` : ''
  lines.push(`const __wasm_exports = (await instantiate(${urlExpression}, { ${importObject} }${sidecar})).exports`)
  shape.exports.filter(({ name }) => name !== INIT_EXPORT).forEach(({ name, kind }, i) => {
    const value = `__wasm_exports[${JSON.stringify(name)}]`
    lines.push(`const __wasm_export_${i} = ${kind === 'global' ? `${value}.value` : value}`)
    lines.push(`export { __wasm_export_${i} as ${exportName(name)} }`)
  })
  return lines.join('\n') + '\n'
}

/** The ESM glue under `vite serve`: the URL comes from Vite's own `?url` handling. */
export function devEsmGlue(file, shape) {
  return `import __wasm_url from ${JSON.stringify(`${file}?url`)}\n` + esmGlue('__wasm_url', shape)
}
