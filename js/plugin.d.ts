// Types of the `wasm-squeeze` plugin for Vite 8, Vite 7 and Rollup 4.
import type { CompressOptions, TransformOptions } from './native.js'

export type { CompressOptions, TransformOptions } from './native.js'

/**
 * Checked once, when `wasmSqueeze()` is called: a bad value or an unknown key
 * throws a TypeError (`code: 'ERR_INVALID_OPTION'`) naming the option's path, what
 * was given and what is allowed, with the nearest known key for a typo.
 */
export interface WasmSqueezeOptions {
  /**
   * Which `.wasm` files to handle, matched against their absolute paths (picomatch
   * patterns, relative ones resolved against the working directory as in other
   * Rollup plugins, or RegExps). Applies to every import form:
   * `?init`, `?url`, ESM imports and `new URL('./x.wasm', import.meta.url)`.
   * A file left out goes through the bundler's own handling, unoptimized.
   * @default /\.wasm$/
   */
  include?: string | RegExp | ReadonlyArray<string | RegExp>
  /**
   * Which `.wasm` files to leave alone (same patterns as `include`; wins over it).
   * @default undefined
   */
  exclude?: string | RegExp | ReadonlyArray<string | RegExp>
  /**
   * Options of the optimizer core (the same as the CLI's flags and the Node API's
   * `transform`), or `false` to ship every wasm byte for byte (it is still
   * emitted under its hash and compressed).
   * @default {}
   */
  optimize?: Omit<TransformOptions, 'file' | 'previous'> | false
  /**
   * Precompressed `.br` / `.zst` / `.gz` siblings: which formats and levels, which
   * other bundle files, how much in parallel; `false` for none. zstd is opt-in
   * (`zstd: true`): every browser that accepts zstd also accepts br, and .br is smaller.
   * @default { brotli: 11, zstd: false, gzip: 9, minRatio: 0.95, assets: false }
   */
  compress?: CompressPluginOptions | false
  /**
   * The persistent, content-addressed cache of optimized and compressed outputs: a
   * directory (relative to the Vite root), `{ dir?, maxBytes? }`, or `false` for none.
   * By default the user's cache directory (`$XDG_CACHE_HOME/wasm-squeeze` or
   * `~/.cache/wasm-squeeze`, `~/Library/Caches/wasm-squeeze` on macOS,
   * `%LOCALAPPDATA%\wasm-squeeze` on Windows), shared by every project, kept under
   * `maxBytes` (default 1 GiB) by evicting the least recently used entries. A
   * directory that cannot be created or written turns the cache off with one warning.
   */
  cache?: string | false | { dir?: string; maxBytes?: number }
  /**
   * Fail the build when a wasm cannot be optimized (it does not validate, or it
   * is a component), instead of warning with the file and byte offset and
   * shipping the original bytes.
   * @default false
   */
  strict?: boolean
  /**
   * `true` logs the size table at the end of the build; `'json'` also writes
   * `wasm-squeeze-report.json` in the Vite root; any other string also writes the
   * JSON report to that path (relative to the root); `false` stays quiet.
   * @default true
   */
  report?: boolean | 'json' | string
  /**
   * A debug companion (`<wasm name>.debug.wasm`: DWARF, names and the code they
   * describe, with the shipped wasm's `build_id`) for every wasm with DWARF or a
   * `name` section. `true` writes them to `wasm-debug/` in the Vite root, outside
   * the served output (DWARF reveals source paths), for an upload step;
   * `{ serve: true }` emits them beside their wasm instead, named in its
   * `external_debug_info` section (staging builds). With DWARF, unused code is
   * kept in place so the DWARF stays true. Listed in the report.
   * @default false
   */
  debugFiles?: boolean | { dir?: string; serve?: boolean }
  /**
   * Delta delivery (RFC 9842, Compression Dictionary Transport). Every client build
   * writes `wasm-squeeze-manifest.json` (public: emitted names, sha-256, source
   * identity); with `previous`, each changed wasm also gets `<file>.<sha-256 of the
   * old file>.dcb` (and `.dcz` when smaller) against each previous deploy, verified
   * at build time, and is optimized with its functions numbered as in its newest
   * predecessor (`align-to-previous`), so calls stay byte for byte and the delta
   * small. A previous deploy that is missing or does not match its manifest gives
   * one warning and no deltas.
   * @default false
   */
  delta?: boolean | DeltaOptions
}

export interface DeltaOptions {
  /** Earlier deploys, newest first: output directories (relative to the root) or http(s) base URLs of the live site. */
  previous?: string | string[]
  /** Make deltas against at most this many of `previous`. @default 2 */
  keep?: number
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
  /** Compression jobs (one file, one format) running at once. @default Math.min(os.availableParallelism(), UV_THREADPOOL_SIZE - 1), i.e. at most 3 */
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

/**
 * One of the plugin objects `wasmSqueeze()` returns. Its hooks are typed loosely
 * on purpose: one type has to fit Vite 8 (Rolldown), Vite 7 and Rollup 4, whose
 * plugin types are not assignable to each other.
 */
export interface WasmSqueezePlugin {
  name: string
  enforce?: 'pre' | 'post'
}

/**
 * Optimizes and precompresses every `.wasm` the app imports, however it is
 * imported. Put the result in `plugins` as it is (Vite and Rollup both accept
 * an array); web workers get their own instance automatically.
 */
export default function wasmSqueeze(options?: WasmSqueezeOptions): WasmSqueezePlugin[]

/** The JSON report written with `report: 'json'` or `report: '<path>'`. */
export interface WasmSqueezeJsonReport {
  tool: string
  files: {
    kind: 'wasm' | 'asset'
    /** The source wasm (relative to the root) or, for other assets, the output file name. */
    source: string
    /** Every source whose optimized bytes are these (byte-identical wasm is one asset); `source` is the first. */
    sources: string[]
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
    /** The table's "what happened": e.g. `stripped 490 kB of DWARF, removed 29 unused functions`, `already minimal`. */
    what: string
    /** Every step `transform` ran, with its reason and bytes (absent for other assets and `optimize: false`). */
    steps?: import('./native.js').Report['steps']
  }[]
  totals: { files: number; sources: number; raw: number; optimized: number; br: number; zst: number; gz: number }
  cache: { dir: string | null; enabled: boolean; hits: number; misses: number; corrupt: number; disabledReason?: string }
  /** Optimizer results read from the cache (no native work), and computed anew. */
  optimize?: { hits: number; misses: number; corrupt: number }
  pool?: { jobs: number; peakRunning: number; peakEstimatedMemory: number }
}
