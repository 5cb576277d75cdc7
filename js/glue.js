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
 * server sends the wrong Content-Type), a file read under SSR. The browser code has
 * no destructuring: vite-plugin-top-level-await re-runs esbuild on each chunk for
 * @vitejs/plugin-legacy's modern targets, and esbuild cannot lower destructuring
 * for Safari 12, one of them.
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
  const instance = (await load(url, imports)).instance
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
// An import may name `default` as it is; other non-identifiers as strings (ES2022).
const importName = (name) => (IDENTIFIER.test(name) ? name : JSON.stringify(name))

/**
 * `import { f } from './x.wasm'`: each imported name becomes a named JS import, read
 * once when the module instantiates (as the ESM-integration proposal reads each
 * binding), and the instance's exports become named exports (globals as their value,
 * as Vite does). Named imports, not the namespace object, because a wasm and a JS
 * module may import each other (older wasm-bindgen `*_bg.js`): Rolldown then defines
 * the namespace object after this module's top-level await, while an imported
 * function declaration is hoisted and already there. A non-function import (a
 * global, memory or table made in JS) has to be evaluated by then, as in the browser.
 * @param {string} urlExpression
 * @param {{ imports: {module: string, name: string}[], exports: {name: string, kind: string}[] }} shape
 */
export function esmGlue(urlExpression, shape, sidecarExpression) {
  const byModule = new Map()
  for (const { module, name } of shape.imports) {
    if (RESERVED_IMPORT_MODULES.has(module)) continue
    if (!byModule.has(module)) byModule.set(module, new Set())
    byModule.get(module).add(name)
  }
  const lines = [`import { instantiate } from ${JSON.stringify(RUNTIME_ID)}`]
  const importObject = [...byModule].map(([module, names], i) => {
    const bindings = [...names].map((name, j) => [name, `__wasm_import_${i}_${j}`])
    const specifiers = bindings.map(([name, local]) => `${importName(name)} as ${local}`).join(', ')
    lines.push(`import { ${specifiers} } from ${JSON.stringify(module)}`)
    return `${JSON.stringify(module)}: { ${bindings.map(([name, local]) => `${JSON.stringify(name)}: ${local}`).join(', ')} }`
  })
  const sidecar = sidecarExpression ? `, ${sidecarExpression}` : ''
  lines.push(`const __wasm_exports = (await instantiate(${urlExpression}, { ${importObject.join(', ')} }${sidecar})).exports`)
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
