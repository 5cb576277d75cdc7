// `vite serve` and wasm that lives inside dependencies.
//
// wasm-bindgen `--target web` and Emscripten `-sEXPORT_ES6` output find their wasm
// with `new URL('x.wasm', import.meta.url)`. Vite 7 pre-bundles dependencies with
// esbuild into `<cacheDir>/deps/`, which moves the JS away from its wasm: the URL
// then points into the deps folder, where nothing is, and the SPA fallback answers
// with index.html ("expected magic word 00 61 73 6d"). Vite 8's Rolldown optimizer
// rewrites such URLs to the file's `/@fs/` URL itself; this module does the same for
// Vite 7 through `optimizeDeps.esbuildOptions.plugins` (a documented option). On
// any Vite, a wasm still requested from the deps folder, where it is not, gets a 404
// and a warning that says what to do, instead of HTML.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describeChange, wasmDependencies } from './dev-deps.js'

/** `new URL('<relative>.<ext>', import.meta.url)`, the specifier a plain string literal. */
const FILE_URL = /new\s+URL\(\s*(['"`])([^'"`$\\\n]+?\.\w+)\1\s*,\s*import\.meta\.url\s*\)/g
/** What the optimizer itself writes to the deps folder; anything else asked for there is a file left behind. */
const OPTIMIZER_OUTPUT = /\.(?:[cm]?js|map|json|css)$/
const ABSOLUTE = /^(?:[a-z][a-z\d+.-]*:|\/)/i

/**
 * The base the dev server serves under: a full-URL `base` is served at its path,
 * a relative one (`./`, ``) at `/`. Pure.
 * @param {string} base Vite's resolved `config.base`
 */
export function devBase(base = '/') {
  let pathname = /^[a-z][a-z\d+.-]*:\/\//i.test(base) ? new URL(base).pathname : base
  if (!pathname.startsWith('/')) pathname = '/'
  return pathname.endsWith('/') ? pathname : pathname + '/'
}

/**
 * The dev-server URL of a file by its absolute path (Vite's `/@fs/` prefix), without
 * the base: Vite's own `new URL(…, import.meta.url)` transform resolves it to the
 * file and adds the base (a base written here would be added twice). Pure.
 */
export function fsUrl(file) {
  const posix = file.split(path.sep).join('/')
  return `/@fs/${posix.replace(/^\/+/, '')}`
}

/**
 * Points every `new URL('x.wasm', import.meta.url)` (or `x.data`, any file beside
 * the module) in a dependency's code at the file's own `/@fs/` URL, so the reference
 * survives the JS moving into the deps folder. URLs whose file does not exist, and
 * absolute ones, are left alone.
 * @param {string} code
 * @param {string} file absolute path of the module the code comes from
 * @param {(file: string) => boolean} [exists]
 * @returns {string} the code, the same string when nothing changed
 */
export function rewriteDepFileUrls(code, file, exists = existsSync) {
  if (!code.includes('import.meta.url')) return code
  return code.replace(FILE_URL, (match, _quote, specifier) => {
    if (ABSOLUTE.test(specifier)) return match
    const target = path.resolve(path.dirname(file), specifier)
    return exists(target) ? `new URL(${JSON.stringify(fsUrl(target))}, import.meta.url)` : match
  })
}

/**
 * The esbuild plugin Vite 7's dependency optimizer runs: dependency modules that
 * reference files by `new URL` are loaded with the reference rewritten.
 */
export function esbuildDepWasmPlugin() {
  return {
    name: 'wasm-squeeze:dep-wasm-url',
    setup(build) {
      build.onLoad({ filter: /\.m?js$/, namespace: 'file' }, async ({ path: file }) => {
        const code = await readFile(file, 'utf8')
        const rewritten = rewriteDepFileUrls(code, file)
        // undefined: esbuild (and Vite's own plugin) load the file as usual.
        if (rewritten === code) return undefined
        const loader = build.initialOptions.loader?.[path.extname(file)] ?? 'js'
        return { contents: rewritten, loader }
      })
    },
  }
}

/**
 * Connect middleware: a `.wasm` (or `.data`, any file but the optimizer's own JS)
 * requested from the deps folder that is not there
 * gets a 404 with a message (and one warning per file in the terminal) instead of
 * Vite's HTML fallback.
 * @param {{ root: string, base: string, cacheDir: string, logger: { warn(msg: string): void } }} config
 */
export function missingDepWasmMiddleware({ root, base, cacheDir, logger }) {
  const prefix = devBase(base)
  const warned = new Set()
  return function wasmSqueezeMissingDepWasm(req, res, next) {
    const file = requestedFile(req.url, prefix, root)
    if (!file || OPTIMIZER_OUTPUT.test(file) || !inside(cacheDir, file) || existsSync(file)) return next()
    const message = missingDepWasmMessage(path.basename(file), dependencyHolding(cacheDir, path.basename(file)))
    if (!warned.has(file)) {
      warned.add(file)
      logger.warn(`[wasm-squeeze] ${req.url}: ${message}`)
    }
    res.statusCode = 404
    res.setHeader('Content-Type', 'text/plain; charset=utf-8')
    res.end(`wasm-squeeze: ${message}\n`)
  }
}

/** What the user reads when a dependency's wasm (or other file) is missing from the deps folder. Pure. */
export function missingDepWasmMessage(wasm, dependency) {
  const name = dependency ? JSON.stringify(dependency) : 'the dependency that loads it'
  return (
    `${wasm} was requested from Vite's pre-bundled dependencies, where it does not exist: ` +
    `pre-bundling moved the JS that loads it with new URL(..., import.meta.url) away from it. ` +
    `Add ${name} to optimizeDeps.exclude in vite.config.js, ` +
    `or, for a wasm, import it with "?url" and pass that URL to the package's init function.`
  )
}

/** Absolute file a dev-server request maps to, or null. */
function requestedFile(url = '', prefix, root) {
  let pathname
  try {
    pathname = decodeURIComponent(new URL(url, 'http://localhost').pathname)
  } catch {
    return null
  }
  if (!pathname.startsWith(prefix)) return null
  const rest = pathname.slice(prefix.length)
  if (rest.startsWith('@fs/')) {
    const fsPath = rest.slice('@fs/'.length)
    return path.resolve(/^[a-zA-Z]:/.test(fsPath) ? fsPath : '/' + fsPath)
  }
  return path.resolve(root, rest)
}

function inside(dir, file) {
  const relative = path.relative(dir, file)
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)
}

/**
 * Which pre-bundled dependency ships a file of this name (from the optimizer's
 * `_metadata.json`), so the message can name it; null when that cannot be told.
 */
function dependencyHolding(cacheDir, wasmName) {
  let optimized
  try {
    optimized = JSON.parse(readFileSync(path.join(cacheDir, 'deps', '_metadata.json'), 'utf8')).optimized ?? {}
  } catch {
    return null
  }
  for (const [name, { src }] of Object.entries(optimized)) {
    if (!src) continue
    const packageRoot = packageRootOf(path.resolve(cacheDir, 'deps', src))
    if (packageRoot && containsFile(packageRoot, wasmName)) return name
  }
  return null
}

function packageRootOf(file) {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
  }
  return null
}

function containsFile(dir, name, budget = { entries: 5000 }) {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return false
  }
  for (const entry of entries) {
    if (--budget.entries < 0) return false
    if (entry.isFile() && entry.name === name) return true
    if (entry.isDirectory() && entry.name !== 'node_modules' && containsFile(path.join(dir, entry.name), name, budget)) return true
  }
  return false
}

/**
 * The plugin's dev-server wiring, one object per plugin instance.
 * `config` leaves dependencies that load wasm or files beside them out of
 * pre-bundling (see dev-deps.js) and, on Vite 7, adds the optimizer plugin for the
 * ones still pre-bundled (Vite 8 rewrites these URLs itself); `configureServer`
 * names the changed packages once and installs the 404-with-advice middleware.
 */
export function devServerSupport() {
  let change = null
  return {
    /**
     * @param {{ command: string, isPreview?: boolean }} env
     * @param {{ rolldownVersion?: string } | undefined} meta
     * @param {import('vite').UserConfig} [user]
     */
    config(env, meta, user = {}) {
      // `vite preview` is a serve command too, with no optimizer.
      if (env.command !== 'serve' || env.isPreview) return null
      change = wasmDependencies(path.resolve(user.root ?? process.cwd()), user.optimizeDeps)
      const optimizeDeps = change.exclude.length > 0 ? { exclude: change.exclude, include: change.include } : {}
      if (!meta?.rolldownVersion) optimizeDeps.esbuildOptions = { plugins: [esbuildDepWasmPlugin()] }
      return { optimizeDeps }
    },
    configureServer(server) {
      const line = change && describeChange(change)
      if (line) server.config.logger.info(line, { timestamp: true })
      server.middlewares.use(missingDepWasmMiddleware(server.config))
    },
  }
}
