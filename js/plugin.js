// The Vite 8 / Vite 7 / Rollup 4 plugin. Every `.wasm` the app imports is optimized
// by the native core in `load`, emitted under the hash of its optimized bytes, and
// compressed in the background (through the cache and a bounded pool) while the
// bundler carries on; `generateBundle` collects the compressed siblings, compresses
// the bundle's other assets when asked, and logs one size table. `vite preview`
// serves the siblings by Accept-Encoding.
import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createFilter } from '@rollup/pluginutils'
import { inspect } from './native.js'
import { RESOLVED_RUNTIME_ID, RUNTIME_ID, devEsmGlue, esmGlue, initGlue, runtimeCode, urlGlue } from './glue.js'
import { formatTable } from './report.js'
import { devServerSupport } from './dev-server.js'
import { wasmUrlReferencesPlugin } from './url-references.js'
import { addToWorkerBundles, isDuplicateInstance } from './workers.js'
import { isServerBuild, serverAndLibraryPlugin } from './server-and-library.js'
import { emitSidecar, sidecarExpression } from './sidecar.js'
import { compressBundle } from './compress-bundle.js'
import { defaultCacheDir, openCompressCache } from './compress-cache.js'
import { evictToFit, normalizeCacheOption, optimizeStoreDir } from './cache-dir.js'
import { createOptimizeCache } from './optimize-cache.js'
import { startProgress } from './progress.js'
import { createCompressor, normalizePluginCompress } from './compress-pipeline.js'
import { createCompressPool } from './compress-pool.js'
import { precompressedMiddleware } from './serve-precompressed.js'
import { jsonReport, reportPath } from './compress-report.js'

/** A terminal gets one updating line; anything else (CI logs, pipes) plain lines. */
function progressOptions(intervalMs) {
  const tty = process.stdout.isTTY && !process.env.CI ? process.stdout : null
  return { tty, intervalMs, delayMs: Math.min(3000, intervalMs) }
}

const WASM_ID = /\.wasm(?:\?|$)/
// passiveData modes whose module only works when our glue instantiates it.
const LOADER_MODES = new Set(['deferred', 'sidecar'])

/**
 * @param {import('./plugin').WasmSqueezeOptions} [options]
 * @returns {import('vite').Plugin[]}
 */
export default function wasmSqueeze(options = {}) {
  const {
    include = /\.wasm$/,
    exclude,
    optimize = {},
    compress: compressOption = {},
    cache: cacheOption,
    strict = false,
    report = true,
    progressIntervalMs = 5000, // undocumented: lets the tests see progress lines in a short build
  } = options
  const filter = createFilter(include, exclude)
  const compression = normalizePluginCompress(compressOption)
  const cacheConfig = normalizeCacheOption(cacheOption)
  /** One pool for the plugin's lifetime: its limits hold across builds (SSR + client, watch). */
  let pool
  let cache
  /** The optimizer's outputs by content, in the same store as the compressed ones. */
  let optimizeCache
  let compressAll
  let cacheWarnings = []
  let finishedReport
  let isServe = false
  let isSsr = false
  let isLibrary = false
  let isWorker = false
  let root = process.cwd()
  let logger
  /** @type {Map<string, Promise<Emitted>>} source file → its emitted asset */
  let emitted = new Map()
  const devServer = devServerSupport()
  /** @type {Set<string>} reference ids of the assets this plugin emitted */
  const ownReferences = new Set()

  /**
   * Reads, optimizes, emits and starts compressing one source wasm, once per build.
   * `foreignLoader`: the reference (`?url`, `new URL`) is instantiated by code that is
   * not our glue, so it must get a module that needs no help from the loader.
   */
  function emitWasm(ctx, file, { foreignLoader = false } = {}) {
    const needsGlue = optimize !== false && LOADER_MODES.has(optimize.passiveData)
    const key = foreignLoader && needsGlue ? `${file}\0foreign` : file
    let entry = emitted.get(key)
    if (!entry) {
      const options = key === file ? optimize : { ...optimize, passiveData: 'off' }
      entry = optimizeAndEmit(ctx, file, options)
      emitted.set(key, entry)
    }
    return entry
  }

  async function optimizeAndEmit(ctx, file, optimize) {
    const raw = await readFile(file)
    const relative = path.relative(root, file) || file
    let wasm = raw
    let note
    let result
    let info
    let wasmHash
    if (optimize !== false) {
      try {
        ;({ result, info, wasmHash } = await optimizeCache.optimize(raw, optimize, relative))
        wasm = result.wasm
      } catch (err) {
        if (strict) ctx.error(err)
        note = `kept original: ${err.code ?? 'error'}`
        ctx.warn(`${err.message}; shipping the original bytes (set strict: true to fail the build instead)`)
      }
    }
    const referenceId = ctx.emitFile({ type: 'asset', name: path.basename(file), source: wasm })
    ownReferences.add(referenceId)
    const startCompressing = (bytes, hash) => (compression ? compressAll(bytes, hash) : Promise.resolve(null))
    const compressed = startCompressing(wasm, wasmHash)
    compressed.catch(() => {}) // awaited in generateBundle; never an unhandled rejection
    const sidecar = emitSidecar(ctx, path.basename(file), result?.sidecar, startCompressing)
    return { file: relative, referenceId, raw: raw.length, wasm, info, compressed, note, sidecar, result }
  }

  let inert = false // a second instance (e.g. the user's and ours in worker.plugins) leaves the work to the first

  const main = {
    name: 'wasm-squeeze',
    enforce: 'pre',

    config(config, env) {
      addToWorkerBundles(config, () => wasmSqueeze(options))
      return devServer.config(env, this?.meta)
    },

    configResolved(config) {
      inert = isDuplicateInstance(config.plugins, main)
      isServe = config.command === 'serve'
      isSsr = Boolean(config.build?.ssr)
      isLibrary = Boolean(config.build?.lib)
      isWorker = Boolean(config.isWorker)
      root = config.root
      logger = config.logger
    },

    configureServer(server) {
      devServer.configureServer(server)
    },

    buildStart() {
      emitted = new Map()
      ownReferences.clear()
      const dir = cacheConfig === false ? false : path.resolve(root, cacheConfig.dir ?? defaultCacheDir())
      cacheWarnings = []
      const warn = (message) => cacheWarnings.length === 0 && cacheWarnings.push(message) // one directory, one warning
      cache = openCompressCache(dir, { warn })
      optimizeCache = createOptimizeCache(openCompressCache(optimizeStoreDir(dir), { warn }))
      if (compression) {
        pool ??= createCompressPool(compression.limits)
        compressAll = createCompressor({ levels: compression.levels, pool, cache })
      }
    },

    configurePreviewServer(server) {
      if (!compression) return
      const dir = path.resolve(server.config.root, server.config.build.outDir)
      server.middlewares.use(precompressedMiddleware(dir, { base: server.config.base }))
    },

    resolveId: {
      filter: { id: /^virtual:wasm-squeeze\/runtime$|\.wasm\?/ },
      async handler(source, importer, resolveOptions) {
        if (source === RUNTIME_ID) return RESOLVED_RUNTIME_ID
        // Rollup on its own does not resolve `x.wasm?init`; resolve the path part.
        const [bare, query] = source.split('?')
        const resolved = await this.resolve(bare, importer, { ...resolveOptions, skipSelf: true })
        return resolved && !resolved.external ? `${resolved.id}?${query}` : null
      },
    },

    load: {
      filter: { id: /^\0virtual:wasm-squeeze\/runtime$|\.wasm(?:\?|$)/ },
      async handler(id) {
        if (id === RESOLVED_RUNTIME_ID) return runtimeCode({ ssr: isServerBuild(this, isSsr) })
        if (inert || !WASM_ID.test(id)) return null
        const [file, query = ''] = id.split('?')
        const kind = query === '' ? 'esm' : query === 'init' ? 'init' : query === 'url' ? 'url' : null
        if (!kind || !filter(file)) return null
        if (isServe) {
          // No heavy work while serving: Vite serves `?init`/`?url` itself; plain
          // imports get the ESM glue over Vite's own `?url`.
          if (kind !== 'esm') return null
          this.addWatchFile(file)
          return devEsmGlue(file, await inspect(await readFile(file), { file }))
        }
        this.addWatchFile(file)
        const { referenceId, wasm, info, sidecar } = await emitWasm(this, file, { foreignLoader: kind === 'url' })
        const url = `import.meta.ROLLUP_FILE_URL_${referenceId}`
        if (kind === 'url') return urlGlue(url)
        if (kind === 'init') return initGlue(url, sidecarExpression(sidecar))
        // Only the ESM glue needs the module's imports and exports (unoptimized: cached too).
        return esmGlue(url, info ?? (await optimizeCache.inspect(wasm, file)).info, sidecarExpression(sidecar))
      },
    },

    generateBundle: {
      // After Vite's own hooks, so that index.html and the final chunks are there.
      order: 'post',
      async handler(_, bundle) {
        const wasm = []
        for (const entry of emitted.values()) {
          const { file, referenceId, raw, wasm: bytes, compressed, note, sidecar, result } = await entry
          wasm.push({ file, fileName: this.getFileName(referenceId), raw, wasm: bytes, compressed, note })
          if (sidecar) {
            const data = result.sidecar.data
            const fileName = this.getFileName(sidecar.referenceId)
            wasm.push({ file: `${file} (data sidecar)`, fileName, raw: data.length, wasm: data, compressed: sidecar.compressed })
          }
        }
        const progress = pool && startProgress(pool, logger ?? { info: (m) => this.info(m) }, progressOptions(progressIntervalMs))
        const rows = await compressBundle({
          wasm,
          bundle,
          compression,
          compressAll,
          emit: (fileName, source) => this.emitFile({ type: 'asset', fileName, source }),
        }).finally(() => progress?.stop())
        for (const message of cacheWarnings) this.warn(message)
        cacheWarnings = []
        if (report && rows.length > 0) {
          const table = formatTable(rows)
          if (logger) logger.info(`\n${table}`)
          else this.info(`\n${table}`)
        }
        finishedReport = reportPath(report, root) ? jsonReport(rows, { cache: cache?.stats, optimize: optimizeCache?.stats, pool: pool?.stats }) : null
      },
    },

    async closeBundle() {
      // Only a build that wrote can have pushed the cache over its cap.
      const writes = (cache?.stats.writes ?? 0) + (optimizeCache?.stats.writes ?? 0)
      if (cacheConfig && !cache.stats.disabled && writes > 0) await evictToFit(cache.stats.dir, cacheConfig.maxBytes)
    },

    async writeBundle() {
      const file = reportPath(report, root)
      if (!file || !finishedReport) return
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, `${JSON.stringify(finishedReport, null, 2)}\n`)
    },
  }

  const urlReferences = wasmUrlReferencesPlugin({
    filter,
    active: () => !inert && !isServe,
    emit: (ctx, file) => emitWasm(ctx, file, { foreignLoader: true }),
    exists: (file) => access(file).then(() => true, () => false),
    absoluteUrls: () => isLibrary,
  })

  const serverAndLibrary = serverAndLibraryPlugin({
    isServer: (ctx) => !inert && isServerBuild(ctx, isSsr),
    isLibrary: () => !inert && isLibrary,
    isWorker: () => !inert && isWorker,
    isOwn: (referenceId) => ownReferences.has(referenceId),
    emitted: () => emitted.values(),
  })

  return [main, urlReferences, serverAndLibrary]
}
