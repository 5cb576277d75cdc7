// `vite serve`: which dependencies must not be pre-bundled.
//
// Vite's dependency optimizer copies a package's JS into `<cacheDir>/deps/`. For a
// package that imports its wasm (wasm-bindgen `--target bundler`) that makes two
// instances of the package's glue: the pre-bundled copy the app calls, and the
// original the wasm's imports bind to, whose state the wasm then fills (wrong
// results, "reading '__wbindgen_export'"). For a package that finds files beside it
// with `new URL('x', import.meta.url)` (Emscripten's `.data`, workers, the wasm),
// the URL then points into the deps folder. So at config time the plugin reads the
// app's dependency tree (package.json files, not the app's source), and a package
// that ships a `.wasm` and whose ES modules import a `.wasm` or reference a file
// beside them by `new URL` is left out of pre-bundling, exactly as a hand-written
// `optimizeDeps.exclude` would; its CommonJS dependencies are pre-bundled through
// it (`pkg > dep`), as Vite asks for excluded packages. The user's own
// `optimizeDeps.include`/`exclude` always win. The answers are cached in
// node_modules/.cache/wasm-squeeze/ until the next install (see openScanCache).
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** An ES module that imports a wasm: `from './x.wasm'`, `import './x.wasm'`, `import('./x.wasm')`. */
const IMPORTS_WASM = /(?:\bfrom|\bimport)\s*\(?\s*(['"])[^'"\n]+\.wasm\1/
/** `new URL('<relative>', import.meta.url)` with a plain string. */
const NEW_URL = /new\s+URL\(\s*(['"`])([^'"`$\\\n]+)\1\s*,\s*import\.meta\.url\s*\)/g
/** Bumped when what a scan records changes. */
const CACHE_VERSION = 3
/** Bare specifiers in `import`/`export … from`/`import()`: `pkg`, `@scope/pkg`, then an optional subpath. */
const BARE_IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"]((?:@[\w.-]+\/)?[\w][\w.-]*)(?:\/[^'"]*)?['"]/g
const NOT_RELATIVE = /^(?:[a-z][a-z\d+.-]*:|\/)/i
/** Bounds on the work per package, so a huge package cannot stall the dev server's start. */
const LIMITS = { entries: 20_000, otherModuleBytes: 2 * 1024 * 1024, moduleSize: 4 * 1024 * 1024 }

/**
 * The packages to leave out of pre-bundling and the `pkg > dep` entries to add.
 * @param {string} root the Vite root
 * @param {{ include?: string[], exclude?: string[] }} [user] the user's optimizeDeps
 * @returns {{ exclude: string[], include: string[] }}
 */
export function wasmDependencies(root, user = {}) {
  const manifest = nearestManifest(root)
  if (!manifest) return { exclude: [], include: [] }
  const cache = openScanCache(path.join(manifest.dir, 'node_modules', '.cache', 'wasm-squeeze', 'dev-deps.json'))
  const found = cache.tree(installStamp(manifest.dir), () => findWasmPackages(manifest, cache))
  cache.save()
  const userInclude = new Set((user.include ?? []).map((entry) => entry.split('>').pop().trim()))
  const userExclude = new Set(user.exclude ?? [])
  const exclude = []
  const include = []
  for (const { name, commonJsImports } of found) {
    if (userInclude.has(name) || userExclude.has(name)) continue
    exclude.push(name)
    for (const dep of commonJsImports) if (!userExclude.has(dep)) include.push(`${name} > ${dep}`)
  }
  return { exclude, include }
}

/**
 * Every package in the tree to leave out of pre-bundling, with the CommonJS
 * dependencies its modules import (a dependency used for types alone is never
 * requested, so it is not pre-bundled either).
 */
function findWasmPackages(manifest, cache) {
  const found = []
  for (const pkg of dependencyTree(manifest)) {
    const scan = cache.get(pkg, scanPackage)
    if (!scan) continue
    const commonJsImports = pkg.dependencies.filter((dep) => scan.imports.includes(dep.name) && isCommonJs(dep)).map((dep) => dep.name)
    found.push({ name: pkg.name, commonJsImports, linked: !insideNodeModules(pkg.dir) })
  }
  return found
}

const insideNodeModules = (dir) => dir.includes(`${path.sep}node_modules${path.sep}`)

/**
 * What changes on every install, by any package manager: the app's package.json,
 * the lockfiles and the package managers' own records in node_modules. Null when
 * node_modules holds no such record (then each start reads the tree again).
 */
function installStamp(dir) {
  const records = ['.package-lock.json', '.modules.yaml', '.yarn-state.yml', '.yarn-integrity'].map((f) => path.join('node_modules', f))
  const stat = (file) => {
    try {
      const { mtimeMs, size } = statSync(path.join(dir, file))
      return `${file}:${mtimeMs}:${size}`
    } catch {
      return null
    }
  }
  const seen = records.map(stat).filter(Boolean)
  if (seen.length === 0) return null
  return [...seen, ...['package.json', 'package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock'].map(stat).filter(Boolean)].join('|')
}

/**
 * What the scans found, on disk (node_modules/.cache/wasm-squeeze/): the whole
 * answer by the install stamp, so a start after no install reads a few stats and
 * one file; and each package's answer by its version and package.json mtime (a
 * package's files change only when it is installed again), so after an install
 * only new packages are walked. Workspace links (outside node_modules) change
 * without an install: a tree with one is never kept whole, and they are always walked.
 */
function openScanCache(file) {
  const stored = readJson(file)
  const current = stored?.version === CACHE_VERSION
  const entries = current ? stored.packages : {}
  let tree = current ? stored.tree : null
  let changed = false
  return {
    tree(stamp, find) {
      if (stamp && tree?.stamp === stamp) return tree.found
      const found = find()
      tree = stamp && !found.some((f) => f.linked) ? { stamp, found } : null
      changed = true
      return found
    },
    get(pkg, scan) {
      if (!insideNodeModules(pkg.dir)) return scan(pkg)
      let stamp
      try {
        stamp = `${pkg.json.version}:${statSync(path.join(pkg.dir, 'package.json')).mtimeMs}`
      } catch {
        return scan(pkg)
      }
      const known = entries[pkg.dir]
      if (known?.stamp === stamp) return known.result
      const result = scan(pkg)
      entries[pkg.dir] = { stamp, result }
      changed = true
      return result
    },
    save() {
      if (!changed || !existsSync(path.dirname(path.dirname(path.dirname(file))))) return
      try {
        mkdirSync(path.dirname(file), { recursive: true })
        writeFileSync(file, `${JSON.stringify({ version: CACHE_VERSION, tree, packages: entries })}\n`)
      } catch {
        // A read-only node_modules: scan again next time.
      }
    },
  }
}

/** The optimizeDeps change as one line for the dev log, or null when there is none. Pure. */
export function describeChange({ exclude, include }) {
  if (exclude.length === 0) return null
  const deps = include.length > 0 ? `; pre-bundling their CommonJS dependencies ${include.join(', ')}` : ''
  return (
    `[wasm-squeeze] not pre-bundling ${exclude.join(', ')}: they load wasm or files beside them ` +
    `(import or new URL), which only works from their own files${deps}. ` +
    'Name a package in optimizeDeps.include or exclude to decide yourself.'
  )
}

/** The app's package.json: the nearest from the root up. */
function nearestManifest(root) {
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json')
    const json = readJson(file)
    if (json) return { name: json.name, dir, json }
    if (dir === path.dirname(dir)) return null
  }
}

/**
 * Every installed package the app depends on, directly (any dependency field of
 * the app) or through `dependencies`, each once, in breadth-first order.
 */
function dependencyTree(app) {
  const seen = new Map()
  const manifests = new Map() // package.json path → its JSON (or null): each read once
  const resolveAll = (from, json, fields) => {
    const names = new Set(fields.flatMap((field) => Object.keys(json[field] ?? {})))
    return [...names].map((name) => resolvePackage(from, name, manifests)).filter(Boolean)
  }
  const fields = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']
  let queue = resolveAll(app.dir, app.json, fields)
  while (queue.length > 0) {
    const next = []
    for (const pkg of queue) {
      if (seen.has(pkg.dir)) continue
      pkg.dependencies = resolveAll(pkg.dir, pkg.json, ['dependencies', 'optionalDependencies'])
      seen.set(pkg.dir, pkg)
      next.push(...pkg.dependencies)
    }
    queue = next
  }
  return [...seen.values()]
}

/** A package by name as Node would find it from `from` (pnpm's symlinks followed). */
function resolvePackage(from, name, manifests) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    const file = path.join(candidate, 'package.json')
    if (!manifests.has(file)) manifests.set(file, existsSync(file) ? readJson(file) : null)
    const json = manifests.get(file)
    if (json) return { name, dir: realpath(candidate), json }
    if (dir === path.dirname(dir)) return null
  }
}

/**
 * Whether the package must be left out of pre-bundling: it ships a `.wasm` and one
 * of its ES modules imports a `.wasm` or names an existing file beside it with
 * `new URL(…, import.meta.url)`. Then `{ imports }`: the packages its modules
 * import (bare specifiers), else null. A package
 * without ES modules is never read: CommonJS has no `import.meta` (sql.js finds its
 * wasm through `locateFile` and pre-bundles fine), and the package.json says which
 * it has, so most of a tree costs no directory walk. Nested node_modules are other
 * packages, and skipped.
 * @param {{ dir: string, json: object }} pkg
 */
export function scanPackage({ dir, json }) {
  if (!isModulePackage(json) && !/\.mjs$/.test(json.main ?? '')) return null
  let entriesLeft = LIMITS.entries
  const modules = []
  const wasmDirs = new Set()
  // `.js` is an ES module under `type: module` (a nested package.json may say so for
  // its folder) and, by the bundlers' convention, in a package with a `module` field
  // or an `import` condition naming a `.js` (one naming `.mjs` leaves `.js` CommonJS).
  const walk = (at, jsIsModule) => {
    let entries
    try {
      entries = readdirSync(at, { withFileTypes: true })
    } catch {
      return
    }
    if (at !== dir && entries.some((e) => e.name === 'package.json')) {
      const type = readJson(path.join(at, 'package.json'))?.type
      if (type) jsIsModule = type === 'module'
    }
    for (const entry of entries) {
      if (--entriesLeft < 0) return
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(path.join(at, entry.name), jsIsModule)
      } else if (entry.name.endsWith('.wasm')) wasmDirs.add(at)
      else if (entry.name.endsWith('.mjs') || (jsIsModule && entry.name.endsWith('.js'))) modules.push(path.join(at, entry.name))
    }
  }
  walk(dir, json.type === 'module' || Boolean(json.module) || importTargets(json.exports).some((t) => t.endsWith('.js')))
  if (wasmDirs.size === 0) return null
  // The glue sits beside its wasm (wasm-bindgen, Emscripten): read those modules
  // first and in full, the rest of the package within a byte budget.
  const beside = (file) => wasmDirs.has(path.dirname(file))
  let bytesLeft = LIMITS.otherModuleBytes
  const read = (file) => {
    try {
      const { size } = statSync(file)
      if (size > LIMITS.moduleSize || (!beside(file) && (bytesLeft -= size) < 0)) return null
      return readFileSync(file)
    } catch {
      return null
    }
  }
  const ordered = [...modules.filter(beside), ...modules.filter((file) => !beside(file))]
  const loads = ordered.some((file) => {
    const bytes = read(file)
    if (!bytes) return false
    // Searching bytes first: most modules hold neither, and are never decoded.
    const wasm = bytes.includes('.wasm')
    const meta = bytes.includes('import.meta.url')
    if (!wasm && !meta) return false
    const code = bytes.toString('utf8')
    return (wasm && IMPORTS_WASM.test(code)) || (meta && referencesFileBeside(code, file))
  })
  if (!loads) return null
  bytesLeft = LIMITS.otherModuleBytes
  const imports = new Set()
  for (const file of ordered) {
    const code = read(file)?.toString('utf8') ?? ''
    for (const [, name] of code.matchAll(BARE_IMPORT)) imports.add(name)
  }
  return { imports: [...imports].sort() }
}

function referencesFileBeside(code, file) {
  for (const [, , specifier] of code.matchAll(NEW_URL)) {
    if (NOT_RELATIVE.test(specifier)) continue
    const target = path.resolve(path.dirname(file), specifier)
    if (path.extname(target) && existsSync(target)) return true
  }
  return false
}

/** A package whose entry for `import` is CommonJS: no `type: module`, `module` field or `import` condition. */
function isCommonJs({ dir, json }) {
  if (isModulePackage(json) || /\.mjs$/.test(json.main ?? '')) return false
  // A types-only package has no entry, and Vite could not pre-bundle it.
  const main = path.join(dir, json.main || 'index.js')
  return [main, `${main}.js`, path.join(main, 'index.js')].some((file) => existsSync(file) && statSync(file).isFile())
}

/** ES modules by its package.json: `type: module`, a `module` field or an `import` condition. */
const isModulePackage = (json) => json.type === 'module' || Boolean(json.module) || hasImportCondition(json)
/** The files `import` conditions point at, anywhere in an `exports` map. Pure. */
function importTargets(exports, underImport = false) {
  if (typeof exports === 'string') return underImport ? [exports] : []
  if (!exports || typeof exports !== 'object') return []
  return Object.entries(exports).flatMap(([key, value]) => importTargets(value, underImport || key === 'import'))
}
const hasImportCondition = (json) => json.exports != null && JSON.stringify(json.exports).includes('"import"')

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return null
  }
}

function realpath(dir) {
  try {
    return realpathSync(dir)
  } catch {
    return dir
  }
}
