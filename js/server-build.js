// Server (SSR) and library builds. Server: Node loads the wasm from disk, so the URL must point at the
// file beside the chunk (Vite would render `base` + file name, a URL for browsers),
// and the file must survive Vite's removal of assets from server builds
// (`build.ssrEmitAssets` is off by default; the server's wasm is code it runs).

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
 * The output assets of our wasm, taken from the bundle before anything removes them.
 * @param {import('rollup').OutputBundle} bundle
 * @param {Iterable<string>} fileNames
 */
export function takeAssets(bundle, fileNames) {
  return [...fileNames].filter((name) => bundle[name]?.type === 'asset').map((name) => bundle[name])
}

/**
 * Emits again, under its name, each asset that a later `generateBundle` removed
 * from the bundle (assigning to the bundle is not supported by Rolldown).
 * @param {import('rollup').PluginContext} ctx
 * @param {import('rollup').OutputBundle} bundle
 * @param {import('rollup').OutputAsset[]} assets
 * @returns {Set<string>} the file names emitted again
 */
export function restoreAssets(ctx, bundle, assets) {
  const emittedAgain = new Set()
  for (const asset of assets) {
    if (asset.fileName in bundle) continue
    emittedAgain.add(asset.fileName)
    ctx.emitFile({ type: 'asset', fileName: asset.fileName, source: asset.source })
  }
  return emittedAgain
}

/** The bundler's warning that a restored asset overwrote its own, now removed, first emission. */
export function isRestoreConflict(log, emittedAgain) {
  return log?.code === 'FILE_NAME_CONFLICT' && [...emittedAgain].some((name) => log.message?.includes(name))
}
