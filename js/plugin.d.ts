// Types of the `wasm-squeeze` plugin for Vite 8, Vite 7 and Rollup 4.
import type { Plugin } from 'vite'
import type { CompressOptions, TransformOptions } from './native.js'

export type { CompressOptions, TransformOptions } from './native.js'

export interface WasmSqueezeOptions {
  /** Which `.wasm` files to handle (picomatch patterns or RegExps). @default /\.wasm$/ */
  include?: string | RegExp | ReadonlyArray<string | RegExp>
  /** Which `.wasm` files to leave alone. @default undefined */
  exclude?: string | RegExp | ReadonlyArray<string | RegExp>
  /** Core optimizer options, or `false` to ship the bytes as they are. @default {} */
  optimize?: Omit<TransformOptions, 'file'> | false
  /**
   * Precompressed `.br` / `.zst` / `.gz` siblings: which formats and levels, which
   * other bundle files, how much in parallel; `false` for none.
   * @default { brotli: 11, zstd: 19, gzip: 9, minRatio: 0.95, assets: false }
   */
  compress?: CompressPluginOptions | false
  /**
   * Directory of the persistent, content-addressed compression cache (relative to
   * the Vite root), or `false` for none. A directory that cannot be created or
   * written turns the cache off with one warning.
   * @default 'node_modules/.cache/wasm-squeeze'
   */
  cache?: string | false
  /** Fail the build when a wasm cannot be optimized, instead of warning and shipping it as is. @default false */
  strict?: boolean
  /**
   * `true` logs the size table at the end of the build; `'json'` also writes
   * `wasm-squeeze-report.json` in the Vite root; any other string also writes the
   * JSON report to that path (relative to the root); `false` stays quiet.
   * @default true
   */
  report?: boolean | 'json' | string
}

export interface CompressPluginOptions extends CompressOptions {
  /** Keep a sibling only when it is at most this fraction of its source's size. @default 0.95 */
  minRatio?: number
  /**
   * Also compress the bundle's other files (chunks and assets), so a project can drop
   * its separate compression plugin. `true` uses the defaults below. Originals are kept.
   * @default false
   */
  assets?: boolean | CompressAssetsOptions
  /** Compression jobs (one file, one format) running at once. @default os.availableParallelism() */
  concurrency?: number
  /**
   * Bytes the running jobs may take together, by the measured estimate of each job
   * (brotli 11 with a 16 MiB window takes ~400 MB); a job bigger than the budget runs alone.
   * @default Math.min(2 GiB, os.totalmem() / 4)
   */
  memoryBudget?: number
}

export interface CompressAssetsOptions {
  /** Output file names to compress (picomatch patterns or RegExps, matched against e.g. `assets/index-abc.js`). @default /\.(?:m?js|cjs|css|html?|svg|json|webmanifest|xml|txt|map|wasm)$/ */
  include?: string | RegExp | ReadonlyArray<string | RegExp>
  /** Output file names to leave alone. @default undefined */
  exclude?: string | RegExp | ReadonlyArray<string | RegExp>
  /** Files smaller than this many bytes are not compressed. @default 1024 */
  threshold?: number
}

/** Optimizes and precompresses every `.wasm` the app imports. */
export default function wasmSqueeze(options?: WasmSqueezeOptions): Plugin

/** The JSON report written with `report: 'json'` or `report: '<path>'`. */
export interface WasmSqueezeJsonReport {
  tool: string
  files: {
    kind: 'wasm' | 'asset'
    /** The source wasm (relative to the root) or, for other assets, the output file name. */
    source: string
    /** The output file name, e.g. `assets/math-CeumH9Gm.wasm`. */
    emitted: string
    raw: number
    optimized: number
    br?: number
    zst?: number
    gz?: number
    /** Siblings produced but not emitted, because they were bigger than `minRatio` of the source. */
    skipped?: { br?: number; zst?: number; gz?: number }
    /** Outputs read from the cache, and produced anew. */
    cache?: { hits: number; misses: number }
    note?: string
  }[]
  totals: { files: number; raw: number; optimized: number; br: number; zst: number; gz: number }
  cache: { dir: string | null; enabled: boolean; hits: number; misses: number; corrupt: number; disabledReason?: string }
  pool?: { jobs: number; peakRunning: number; peakEstimatedMemory: number }
}
