// Builds test/fixtures/vite-app with the plugin configured inline (not its vite.config.js),
// collecting the warnings Vite logs, and reads back what the compression left in dist/.
import path from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { createLogger } from 'vite'
import wasmSqueeze from '../../js/plugin.js'
import { EXAMPLE_ROOT, readTree } from './example.js'
import { unzstd } from './zstd.js'

/** Sibling extension → a decoder independent of ours (zlib; fzstd refusing windows over 8 MiB). */
export const DECODERS = { '.br': brotliDecompressSync, '.gz': gunzipSync, '.zst': unzstd }
const SIBLING = /\.(br|zst|gz)$/

/**
 * @param {typeof import('vite').build} build
 * @param {string} outDir
 * @param {import('../../js/plugin').WasmSqueezeOptions} pluginOptions
 * @returns {Promise<{ warnings: string[], files: { name: string, bytes: Buffer }[] }>}
 */
export async function buildWithPlugin(build, outDir, pluginOptions) {
  const warnings = []
  const logger = createLogger('warn')
  const warn = logger.warn
  logger.warn = (message, options) => {
    warnings.push(String(message))
    warn(message, options)
  }
  await build({
    root: EXAMPLE_ROOT,
    configFile: false,
    logLevel: 'warn',
    customLogger: logger,
    plugins: [wasmSqueeze({ report: false, ...pluginOptions })],
    build: { outDir, emptyOutDir: true },
  })
  return { warnings, files: await readTree(outDir) }
}

/** Pairs every `.br`/`.zst`/`.gz` in `files` with the file it was made from. */
export function siblingsOf(files) {
  const byName = new Map(files.map((f) => [f.name, f]))
  return files
    .filter((f) => SIBLING.test(f.name))
    .map((f) => {
      const extension = path.extname(f.name)
      return { sibling: f, extension, source: byName.get(f.name.slice(0, -extension.length)) }
    })
}
