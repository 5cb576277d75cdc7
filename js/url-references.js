// `new URL('./x.wasm', import.meta.url)` in any JS module: how wasm-bindgen
// `--target web` and Emscripten `-sEXPORT_ES6` output find their wasm. The
// bundler's parser finds each reference (no regex on code), and magic-string
// swaps its string argument for the URL of our emitted, optimized asset, so
// Vite's own `new URL` handling never sees a literal and never emits a raw copy.
import path from 'node:path'
import { walk } from 'estree-walker'
import MagicString from 'magic-string'

/** Cheap pre-check (also the hook filter): code that cannot hold a reference is never parsed. */
export const MAY_REFERENCE_WASM = /\.wasm\b/

/** Ids the transform may parse: JS after any TS/JSX/SFC compilation ran before us. */
export const SCRIPT_ID = /\.(?:[cm]?[jt]sx?|vue|svelte|astro)(?:\?|$)/

/** `http:`, `data:`, `file:`… and root-absolute paths are not files beside the module. */
const NOT_RELATIVE = /^(?:[a-z][a-z\d+.-]*:|\/)/i

/** `import.meta.url`, exactly. */
function isImportMetaUrl(node) {
  return (
    node?.type === 'MemberExpression' &&
    !node.computed &&
    node.property.type === 'Identifier' &&
    node.property.name === 'url' &&
    node.object.type === 'MetaProperty' &&
    node.object.meta.name === 'import' &&
    node.object.property.name === 'meta'
  )
}

/** The value of a string literal or of a template literal without `${}`; else null. */
function staticString(node) {
  if (node?.type === 'Literal' && typeof node.value === 'string') return node.value
  if (node?.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked ?? null
  return null
}

/**
 * Every `new URL('<relative path>.wasm', import.meta.url)` in an ESTree program.
 * Pure.
 * @param {import('estree').Node} ast
 * @returns {{ start: number, end: number, specifier: string, call: { start: number, end: number } }[]}
 *   the string argument's range in the code, its value, and the whole `new URL(…)`'s range
 */
export function findWasmUrlReferences(ast) {
  const found = []
  walk(ast, {
    enter(node) {
      if (node.type !== 'NewExpression' || node.callee.type !== 'Identifier' || node.callee.name !== 'URL') return
      const [target, base] = node.arguments
      if (!isImportMetaUrl(base)) return
      const specifier = staticString(target)
      if (specifier == null || !specifier.endsWith('.wasm') || NOT_RELATIVE.test(specifier)) return
      found.push({ start: target.start, end: target.end, specifier, call: { start: node.start, end: node.end } })
    },
  })
  return found
}

/** The file a reference points at, from the importing module's id. Pure. */
export function resolveReference(importer, specifier) {
  const [file] = importer.split('?')
  return path.resolve(path.dirname(file), safeDecodeURI(specifier))
}

function safeDecodeURI(text) {
  try {
    return decodeURI(text)
  } catch {
    return text // a stray '%': take the name as written
  }
}

/**
 * Replaces each reference's string argument with a URL expression.
 * @param {string} code
 * @param {string} id the module's id (the source map's source)
 * @param {{ start: number, end: number, expression: string }[]} replacements
 * @returns {{ code: string, map: import('magic-string').SourceMap }}
 */
export function rewriteReferences(code, id, replacements) {
  const s = new MagicString(code)
  for (const { start, end, expression } of replacements) s.overwrite(start, end, expression)
  return { code: s.toString(), map: s.generateMap({ hires: 'boundary', source: id, includeContent: true }) }
}

/**
 * The plugin that rewrites `new URL` references. It runs in the normal order,
 * after Vite has compiled TS/JSX (and after framework plugins listed before it)
 * but before Vite's own `new URL` handling.
 * @param {{
 *   filter: (file: string) => boolean,
 *   active: () => boolean,
 *   emit: (ctx: import('rollup').PluginContext, file: string) => Promise<{ referenceId: string }>,
 *   exists: (file: string) => Promise<boolean>,
 *   absoluteUrls: () => boolean,
 * }} hooks `absoluteUrls`: the file URLs render absolute (library builds), so the
 *   whole `new URL(…)` becomes `new URL(<file url>)` and no `import.meta` is left
 *   behind for formats that have none (UMD, IIFE)
 * @returns {import('vite').Plugin}
 */
export function wasmUrlReferencesPlugin({ filter, active, emit, exists, absoluteUrls }) {
  return {
    name: 'wasm-squeeze:url-references',
    transform: {
      filter: { id: SCRIPT_ID, code: MAY_REFERENCE_WASM },
      async handler(code, id) {
        if (!active() || id.startsWith('\0') || !SCRIPT_ID.test(id) || !MAY_REFERENCE_WASM.test(code)) return null
        let ast
        try {
          ast = this.parse(code)
        } catch {
          return null // not plain JS (yet): nothing we can rewrite safely
        }
        const replacements = []
        for (const { start, end, specifier, call } of findWasmUrlReferences(ast)) {
          const file = resolveReference(id, specifier)
          if (!filter(file) || !(await exists(file))) continue
          this.addWatchFile(file)
          const { referenceId } = await emit(this, file)
          const url = `import.meta.ROLLUP_FILE_URL_${referenceId}`
          replacements.push(absoluteUrls() ? { ...call, expression: `new URL(${url})` } : { start, end, expression: url })
        }
        return replacements.length > 0 ? rewriteReferences(code, id, replacements) : null
      },
    },
  }
}
