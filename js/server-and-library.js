// Server (SSR) and library builds, where `base` + file name (Vite's URL for the
// app's browsers) is the wrong URL for our wasm. A server loads it from disk beside
// the chunk, and the file must survive Vite's removal of assets from server builds
// (`build.ssrEmitAssets` is off by default; the server's wasm is code it runs). A
// library finds it beside its own chunk, wherever an app serves that from. (And a
// classic worker, which has neither `document` nor `import.meta`, beside itself.)

/**
 * Whether the current build targets a server: Vite's environment says so when
 * there is one, else `build.ssr` as read in `configResolved`.
 * @param {{ environment?: { config?: { consumer?: string } } }} ctx a plugin context
 * @param {boolean} ssrFlag
 */
export function isServerBuild(ctx, ssrFlag) {
  const consumer = ctx?.environment?.config?.consumer
  return consumer ? consumer === 'server' : ssrFlag
}

/**
 * The `resolveFileUrl` code for a server chunk: a `file:` URL of the emitted file,
 * relative to the chunk. Pure.
 * @param {{ relativePath: string, format: string }} file
 */
export function serverFileUrl({ relativePath, format }) {
  const relative = JSON.stringify(relativePath)
  if (format === 'es') return `new URL(${relative}, import.meta.url).href`
  return `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${relative})).href`
}

/**
 * The `resolveFileUrl` code for a classic (IIFE) worker chunk: relative to the
 * worker script, `self.location` (Rollup's own IIFE code reads `document`, which
 * workers do not have). Null for module workers, which have `import.meta.url`. Pure.
 * @param {{ relativePath: string, format: string }} file
 */
export function classicWorkerFileUrl({ relativePath, format }) {
  return format === 'es' ? null : `new URL(${JSON.stringify(relativePath)}, self.location.href).href`
}

/** Set by `libraryIntro` while a script-format library first runs. */
const SCRIPT_URL = '__wasm_squeeze_script_url'

/**
 * Code for the top of a script-format (UMD/IIFE) library chunk: the script's own
 * URL, read while it runs synchronously (`document.currentScript` is null later,
 * after an await). Pure.
 * @param {string} format
 */
export function libraryIntro(format) {
  if (format !== 'umd' && format !== 'iife') return ''
  return `var ${SCRIPT_URL} = typeof document === 'undefined' ? typeof self === 'undefined' ? undefined : self.location.href : document.currentScript && document.currentScript.src || document.baseURI;`
}

/**
 * The `resolveFileUrl` code for a library chunk: the emitted file's URL relative
 * to the chunk, wherever an app serves the library from (Vite 8 would render
 * `base` + file name, a path on the *app's* origin). Always an absolute URL.
 * Pure.
 * @param {{ relativePath: string, format: string }} file
 */
export function libraryFileUrl({ relativePath, format }) {
  const relative = JSON.stringify(relativePath)
  if (format === 'es') return `new URL(${relative}, import.meta.url).href`
  if (format === 'umd' || format === 'iife') return `new URL(${relative}, ${SCRIPT_URL}).href`
  return `(typeof document === 'undefined' ? require('node:url').pathToFileURL(require('node:path').join(__dirname, ${relative})).href : new URL(${relative}, document.currentScript && document.currentScript.src || document.baseURI).href)`
}

/**
 * Emits again, under its name, each wasm that a later `generateBundle` removed
 * from the bundle (assigning to the bundle is not supported by Rolldown).
 * @param {import('rollup').PluginContext} ctx
 * @param {import('rollup').OutputBundle} bundle
 * @param {Iterable<Promise<{ referenceId: string, wasm: Uint8Array }>>} emitted
 * @returns {Promise<Set<string>>} the file names emitted again
 */
export async function restoreRemovedWasm(ctx, bundle, emitted) {
  const emittedAgain = new Set()
  for (const entry of emitted) {
    const { referenceId, wasm } = await entry
    const fileName = ctx.getFileName(referenceId)
    if (fileName in bundle) continue
    emittedAgain.add(fileName)
    ctx.emitFile({ type: 'asset', fileName, source: wasm })
  }
  return emittedAgain
}

/** The bundler's warning that a restored asset overwrote its own, now removed, first emission. */
export function isRestoreConflict(log, emittedAgain) {
  return log?.code === 'FILE_NAME_CONFLICT' && [...emittedAgain].some((name) => log.message?.includes(name))
}

/**
 * The plugin for server and library builds: where their chunks find our wasm, and
 * keeping a server build's wasm. `enforce: 'pre'` so that its `resolveFileUrl`
 * answers before Vite's.
 * @param {{
 *   isServer: (ctx: object) => boolean,
 *   isLibrary: () => boolean,
 *   isWorker: () => boolean,
 *   isOwn: (referenceId: string) => boolean,
 *   emitted: () => Iterable<Promise<{ referenceId: string, wasm: Uint8Array }>>,
 * }} build
 * @returns {import('vite').Plugin}
 */
export function serverAndLibraryPlugin({ isServer, isLibrary, isWorker, isOwn, emitted }) {
  let format = 'es'
  let emittedAgain = new Set()
  return {
    name: 'wasm-squeeze:server-and-library',
    enforce: 'pre',
    renderStart(outputOptions) {
      format = outputOptions.format
    },
    resolveFileUrl(file) {
      if (!isOwn(file.referenceId)) return null
      if (isServer(this)) return serverFileUrl(file)
      if (isWorker()) return classicWorkerFileUrl(file)
      return isLibrary() ? libraryFileUrl(file) : null
    },
    intro(chunk) {
      return isLibrary() && chunk.isEntry && !isServer(this) ? libraryIntro(format) : ''
    },
    // Vite deletes every asset of a server build unless `build.ssrEmitAssets`; the
    // server's own wasm is not an asset for browsers, it is code the server loads.
    generateBundle: {
      order: 'post',
      async handler(_, bundle) {
        emittedAgain = isServer(this) ? await restoreRemovedWasm(this, bundle, emitted()) : new Set()
      },
    },
    onLog(_, log) {
      if (isRestoreConflict(log, emittedAgain)) return false
    },
  }
}
