// The Vite 8 / Vite 7 / Rollup 4 plugin. Every `.wasm` the app imports is optimized
// by the native core in `load`, emitted under the hash of its optimized bytes, and
// compressed in the background (through the cache and a bounded pool) while the
// bundler carries on; `generateBundle` collects the compressed siblings, compresses
// the bundle's other assets when asked, and logs one size table; `writeBundle`
// writes the siblings beside the bundle. `vite preview` serves them by Accept-Encoding.
import { createHash } from 'node:crypto'
import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
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
import { compressBundle } from './compress/bundle.js'
import { defaultCacheDir, openCompressCache, sha256, toolId } from './compress/cache.js'
import { createCompressor } from './compress/pipeline.js'
import { normalizePluginOptions } from './options.js'
import { createCompressPool } from './compress/pool.js'
import { precompressedMiddleware } from './compress/serve-precompressed.js'
import { jsonReport, reportPath } from './compress/json-report.js'
import { companionOptions, describeCompanions, placeCompanion, writeQueued } from './debug-files.js'
import { createDeltaBuild, formatDeltaTable } from './delta/build.js'
import { createDeltaCompressor } from './delta/compressor.js'
import { evictToFit, inputIndexDir, optimizeStoreDir } from './compress/cache-dir.js'
import { openInputIndex } from './compress/input-index.js'
import { createOptimizeCache } from './optimize-cache.js'
import { startProgress } from './compress/progress.js'

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
  // Every option is checked here, once: a bad one fails before any file is read.
  const { include, exclude, optimize, compress: compression, cache: cacheConfig, strict, report, debugFiles, delta: deltaConfig, progressIntervalMs } = normalizePluginOptions(options)
  let companions = []
  const filter = createFilter(include, exclude)
  /** One pool for the plugin's lifetime: its limits hold across builds (SSR + client, watch). */
  let pool
  let cache
  /** The optimizer's outputs by content, in the same store as the compressed ones. */
  let optimizeCache
  /** Each source's hash by its file's identity: an unchanged source is not read again. */
  let inputIndex
  let compressAll
  let cacheWarnings = []
  /** This build's deltas (client builds with `delta` on), and the warnings they gave. */
  let deltaBuild = null
  let deltaWarnings = []
  let base = '/'
  let finishedReport
  let isServe = false
  let isSsr = false
  let isLibrary = false
  let isWorker = false
  let root = process.cwd()
  let logger
  /** @type {Map<string, Promise<Emitted>>} source file → its emitted asset */
  let emitted = new Map()
  /**
   * @type {Map<string, Emitted>} hash of the optimized bytes (and sidecar) → the
   * asset: byte-identical wasm from several files (a package's bundler/ and web/
   * copies) is emitted, compressed and reported once, naming every source.
   */
  let assets = new Map()
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

  /**
   * The optimizer's output for `file`: from the cache by the file's recorded hash
   * when it is unchanged (the source is then neither hashed nor, unless the
   * optimizer left it as it was, read), else optimized. With `delta`, aligned to
   * the file's predecessor in the previous deploys, so that its delta stays small.
   */
  async function optimizeFile(ctx, file, relative, optimize) {
    const options = optimize && { ...optimize, ...companionOptions(debugFiles, file) }
    const previous = options && deltaBuild ? await deltaBuild.predecessorOf(relative) : null
    const known = options && inputIndex.lookup(file)
    const hit = known && (await optimizeCache.lookup(known.hash, options, () => inputIndex.read(file, known.id), { previous }))
    if (hit) return { rawLength: known.size, wasm: hit.result.wasm, ...hit }
    if (!options) {
      const raw = await readFile(file)
      return { rawLength: raw.length, wasm: raw }
    }
    const identity = await stat(file) // before the read: a write after it moves ctime, so the record cannot match
    const raw = await readFile(file)
    try {
      const inputHash = sha256(raw)
      const optimized = await optimizeCache.optimize(raw, options, relative, { inputHash, previous })
      inputIndex.record(file, inputHash, identity)
      return { rawLength: raw.length, wasm: optimized.result.wasm, ...optimized }
    } catch (err) {
      if (strict) ctx.error(err)
      ctx.warn(`${err.message}; shipping the original bytes (set strict: true to fail the build instead)`)
      return { rawLength: raw.length, wasm: raw, note: `kept original: ${err.code ?? 'error'}` }
    }
  }

  async function optimizeAndEmit(ctx, file, optimize) {
    const relative = path.relative(root, file) || file
    const { rawLength, wasm, result, info, note, wasmHash: cachedHash } = await optimizeFile(ctx, file, relative, optimize)
    const wasmHash = cachedHash ?? sha256(wasm) // hashed once: the asset key and the compression cache both use it
    const key = contentKey(wasmHash, result?.sidecar)
    const twin = assets.get(key)
    if (twin) {
      if (!twin.sources.includes(relative)) twin.sources.push(relative)
      return twin
    }
    const referenceId = ctx.emitFile({ type: 'asset', name: path.basename(file), source: wasm })
    ownReferences.add(referenceId)
    const startCompressing = (bytes, hash) => (compression ? compressAll(bytes, hash) : Promise.resolve(null))
    const compressed = startCompressing(wasm, wasmHash)
    compressed.catch(() => {}) // awaited in generateBundle; never an unhandled rejection
    deltaBuild?.startDeltas(relative, wasm, wasmHash)
    const sidecar = emitSidecar(ctx, path.basename(file), result?.sidecar, startCompressing)
    const asset = { sources: [relative], referenceId, raw: rawLength, wasm, wasmHash, info, compressed, note, sidecar, result }
    assets.set(key, asset)
    return asset
  }

  /** @type {Map<string, { fileName: string, source: Buffer }[]>} output directory → siblings to write there */
  const siblingsToWrite = new Map()
  const outputDir = (outputOptions) => path.resolve(root, outputOptions.dir ?? path.dirname(outputOptions.file ?? '.'))
  function queueSibling(outputOptions, fileName, source) {
    const dir = outputDir(outputOptions)
    if (!siblingsToWrite.has(dir)) siblingsToWrite.set(dir, [])
    siblingsToWrite.get(dir).push({ fileName, source })
  }
  async function writeSiblings(outputOptions) {
    const dir = outputDir(outputOptions)
    const queued = siblingsToWrite.get(dir) ?? []
    siblingsToWrite.delete(dir)
    await Promise.all(
      queued.map(async ({ fileName, source }) => {
        const file = path.join(dir, fileName)
        await mkdir(path.dirname(file), { recursive: true })
        await writeFile(file, source)
      }),
    )
  }

  let inert = false // a second instance (e.g. the user's and ours in worker.plugins) leaves the work to the first

  const main = {
    name: 'wasm-squeeze',
    enforce: 'pre',

    config(config, env) {
      addToWorkerBundles(config, () => wasmSqueeze(options))
      return devServer.config(env, this?.meta, config)
    },

    configResolved(config) {
      inert = isDuplicateInstance(config.plugins, main)
      isServe = config.command === 'serve'
      isSsr = Boolean(config.build?.ssr)
      isLibrary = Boolean(config.build?.lib)
      isWorker = Boolean(config.isWorker)
      root = config.root
      base = config.base ?? '/'
      logger = config.logger
    },

    configureServer(server) {
      devServer.configureServer(server)
    },

    buildStart() {
      emitted = new Map()
      assets = new Map()
      siblingsToWrite.clear()
      ownReferences.clear()
      const dir = cacheConfig === false ? false : path.resolve(root, cacheConfig.dir ?? defaultCacheDir())
      cacheWarnings = []
      const warn = (message) => cacheWarnings.length === 0 && cacheWarnings.push(message) // one directory, one warning
      cache = openCompressCache(dir, { warn })
      optimizeCache = createOptimizeCache(openCompressCache(optimizeStoreDir(dir), { warn }))
      inputIndex = openInputIndex(inputIndexDir(dir))
      toolId(inputIndex) // the addon's hash from its record when the file is unchanged
      if (compression) {
        pool ??= createCompressPool(compression.limits)
        compressAll = createCompressor({ levels: compression.levels, pool, cache })
      }
      deltaWarnings = []
      // Client builds only: a worker bundle writing its own manifest would replace the app's.
      deltaBuild =
        deltaConfig && !inert && !isServe && !isSsr && !isWorker
          ? createDeltaBuild(deltaConfig, { root, warn: (m) => deltaWarnings.push(m), runDelta: createDeltaCompressor({ pool, cache }) })
          : null
    },

    configurePreviewServer(server) {
      if (!compression && !deltaConfig) return
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
        // transform returns the interface of what it made (cached with it); only bytes it did not make are inspected.
        return esmGlue(url, info ?? (await optimizeCache.inspect(wasm, file)).info, sidecarExpression(sidecar))
      },
    },

    generateBundle: {
      // After Vite's own hooks, so that index.html and the final chunks are there.
      order: 'post',
      async handler(outputOptions, bundle) {
        await Promise.all(emitted.values()) // every load has settled by now; this surfaces a failed one
        const wasm = []
        companions = []
        for (const { sources, referenceId, raw, wasm: bytes, wasmHash, compressed, note, sidecar, result } of assets.values()) {
          const steps = result?.report.steps
          const sections = result && { before: result.report.sectionsBefore, after: result.report.sectionsAfter }
          const fileName = this.getFileName(referenceId)
          wasm.push({ sources, fileName, raw, wasm: bytes, wasmHash, compressed, note, steps, sections })
          if (result?.debugCompanion) {
            const placed = { fileName, file: sources[0], companion: result.debugCompanion, buildId: result.buildId }
            companions.push(placeCompanion(debugFiles, placed, (name, source) => this.emitFile({ type: 'asset', fileName: name, source })))
          }
          if (sidecar) {
            const data = result.sidecar.data
            const fileName = this.getFileName(sidecar.referenceId)
            const note = 'data moved out of the module'
            wasm.push({ sources: sources.map((s) => `${s} (data sidecar)`), fileName, raw: data.length, wasm: data, compressed: sidecar.compressed, note, sidecarOf: referenceId })
          }
        }
        const progress = pool && startProgress(pool, logger ?? { info: (m) => this.info(m) }, progressOptions(progressIntervalMs))
        // Siblings and deltas are written beside the bundle in writeBundle: handing
        // megabytes to the bundler's emitFile costs a warm build more than all else it
        // does (bench:build). A worker bundle is never written by itself (Vite inlines
        // it into the app's), so its siblings are bundle assets.
        const emit = isWorker
          ? (fileName, source) => this.emitFile({ type: 'asset', fileName, source })
          : (fileName, source) => queueSibling(outputOptions, fileName, source)
        const compressing = compressBundle({ wasm, bundle, compression, compressAll, emit })
        // The delta jobs started with the siblings' (in optimizeAndEmit); this emits them.
        const deltas = deltaBuild
          ? deltaBuild.emitDeltas({
              wasm: wasm.filter((w) => !w.sidecarOf).map((w) => ({ file: w.sources[0], fileName: w.fileName, wasm: w.wasm, wasmHash: w.wasmHash })),
              brSize: async (fileName) => (await compressing).find((r) => r.emitted === fileName)?.br,
              base,
              emit,
            })
          : []
        const [rows, deltaRows] = await Promise.all([compressing, deltas]).finally(() => progress?.stop())
        for (const message of [...cacheWarnings, ...deltaWarnings]) this.warn(message)
        cacheWarnings = []
        deltaWarnings = []
        const debugReport = describeCompanions(companions)
        if (report && rows.length > 0) {
          const table = [formatTable(rows), ...debugReport.lines].join('\n')
          if (logger) logger.info(`\n${table}`)
          else this.info(`\n${table}`)
        }
        if (report && deltaRows.length > 0) {
          const table = formatDeltaTable(deltaRows)
          if (logger) logger.info(`\n${table}`)
          else this.info(`\n${table}`)
        }
        finishedReport = reportPath(report, root) ? jsonReport(rows, { cache: cache?.stats, optimize: optimizeCache?.stats, pool: pool && { ...pool.stats, concurrency: pool.limits.concurrency } }) : null
        if (finishedReport && debugFiles) finishedReport.debugFiles = debugReport.json
        if (finishedReport && deltaBuild) finishedReport.deltas = deltaRows
      },
    },

    async closeBundle() {
      // Only a build that wrote can have pushed the cache over its cap.
      const writes = (cache?.stats.writes ?? 0) + (optimizeCache?.stats.writes ?? 0)
      if (cacheConfig && !cache.stats.disabled && writes > 0) await evictToFit(cache.stats.dir, cacheConfig.maxBytes)
    },

    async writeBundle(outputOptions) {
      await writeSiblings(outputOptions)
      await writeQueued(companions, root)
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
    emitted: () => assets.values(),
  })

  return [main, urlReferences, serverAndLibrary]
}

/** What makes two emitted wasm the same asset: their bytes (by hash), and the sidecar the glue loads with them. */
function contentKey(wasmHash, sidecar) {
  const hash = createHash('sha256').update(wasmHash)
  if (sidecar) hash.update(sidecar.data).update(JSON.stringify(sidecar.placements ?? null)).update(String(sidecar.initExport))
  return hash.digest('hex')
}
