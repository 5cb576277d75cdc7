// The Vite 8 / Vite 7 / Rollup 4 plugin. Every `.wasm` the app imports is optimized
// by the native core in `load`, emitted under the hash of its optimized bytes, and
// compressed in the background (through the cache and a bounded pool) while the
// bundler carries on; `generateBundle` collects the compressed siblings, compresses
// the bundle's other assets when asked, and logs one size table. `vite preview`
// serves the siblings by Accept-Encoding.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createFilter } from '@rollup/pluginutils'
import { transform, inspect } from './native.js'
import { RESOLVED_RUNTIME_ID, RUNTIME_ID, devEsmGlue, esmGlue, initGlue, runtimeCode, urlGlue } from './glue.js'
import { formatTable } from './report.js'
import { compressBundle } from './compress-bundle.js'
import { defaultCacheDir, openCompressCache } from './compress-cache.js'
import { createCompressor, normalizePluginCompress } from './compress-pipeline.js'
import { createCompressPool } from './compress-pool.js'
import { precompressedMiddleware } from './serve-precompressed.js'
import { jsonReport, reportPath } from './compress-report.js'

const WASM_ID = /\.wasm(?:\?|$)/

/**
 * @param {import('./plugin').WasmSqueezeOptions} [options]
 * @returns {import('vite').Plugin}
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
  } = options
  const filter = createFilter(include, exclude)
  const compression = normalizePluginCompress(compressOption)
  /** One pool for the plugin's lifetime: its limits hold across builds (SSR + client, watch). */
  let pool
  let cache
  let compressAll
  let cacheWarnings = []
  let finishedReport
  let isServe = false
  let isSsr = false
  let root = process.cwd()
  let logger
  /** @type {Map<string, Promise<Emitted>>} source file → its emitted asset */
  let emitted = new Map()

  /** Reads, optimizes, emits and starts compressing one source wasm, once per build. */
  function emitWasm(ctx, file) {
    let entry = emitted.get(file)
    if (!entry) {
      entry = optimizeAndEmit(ctx, file)
      emitted.set(file, entry)
    }
    return entry
  }

  async function optimizeAndEmit(ctx, file) {
    const raw = await readFile(file)
    const relative = path.relative(root, file) || file
    let wasm = raw
    let note
    if (optimize !== false) {
      try {
        wasm = (await transform(raw, { ...optimize, file: relative })).wasm
      } catch (err) {
        if (strict) ctx.error(err)
        note = `kept original: ${err.code ?? 'error'}`
        ctx.warn(`${err.message}; shipping the original bytes (set strict: true to fail the build instead)`)
      }
    }
    const referenceId = ctx.emitFile({ type: 'asset', name: path.basename(file), source: wasm })
    const compressed = compression ? compressAll(wasm) : Promise.resolve(null)
    compressed.catch(() => {}) // awaited in generateBundle; never an unhandled rejection
    return { file: relative, referenceId, raw: raw.length, wasm, compressed, note }
  }

  return {
    name: 'wasm-squeeze',
    enforce: 'pre',

    configResolved(config) {
      isServe = config.command === 'serve'
      isSsr = Boolean(config.build?.ssr)
      root = config.root
      logger = config.logger
    },

    buildStart() {
      emitted = new Map()
      if (compression) {
        pool ??= createCompressPool(compression.limits)
        const dir = cacheOption === false ? false : path.resolve(root, cacheOption ?? defaultCacheDir(root))
        cacheWarnings = []
        cache = openCompressCache(dir, { warn: (message) => cacheWarnings.push(message) })
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
        if (id === RESOLVED_RUNTIME_ID) return runtimeCode({ ssr: isSsr })
        if (!WASM_ID.test(id)) return null
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
        const { referenceId, wasm } = await emitWasm(this, file)
        const url = `import.meta.ROLLUP_FILE_URL_${referenceId}`
        if (kind === 'url') return urlGlue(url)
        if (kind === 'init') return initGlue(url)
        return esmGlue(url, await inspect(wasm, { file }))
      },
    },

    generateBundle: {
      // After Vite's own hooks, so that index.html and the final chunks are there.
      order: 'post',
      async handler(_, bundle) {
        const wasm = []
        for (const entry of emitted.values()) {
          const { file, referenceId, raw, wasm: bytes, compressed, note } = await entry
          wasm.push({ file, fileName: this.getFileName(referenceId), raw, wasm: bytes, compressed, note })
        }
        const rows = await compressBundle({
          wasm,
          bundle,
          compression,
          compressAll,
          emit: (fileName, source) => this.emitFile({ type: 'asset', fileName, source }),
        })
        for (const message of cacheWarnings) this.warn(message)
        cacheWarnings = []
        if (report && rows.length > 0) {
          const table = formatTable(rows)
          if (logger) logger.info(`\n${table}`)
          else this.info(`\n${table}`)
        }
        finishedReport = reportPath(report, root) ? jsonReport(rows, { cache: cache?.stats, pool: pool?.stats }) : null
      },
    },

    async writeBundle() {
      const file = reportPath(report, root)
      if (!file || !finishedReport) return
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, `${JSON.stringify(finishedReport, null, 2)}\n`)
    },
  }
}
