// Types of `wasm-squeeze/native`, the Node API on the native core.
import type {
  BindingCompressed,
  BindingModuleInfo,
  BindingReport,
  BindingSidecar,
  BindingTransformOptions,
} from '../native/binding.cjs'

export type TransformOptions = BindingTransformOptions & {
  /** Named in error messages, e.g. `src/app.wasm: … (at offset 0x1c)`. */
  file?: string
}

export type Report = BindingReport
export type ModuleInfo = BindingModuleInfo
export type Compressed = BindingCompressed

export interface TransformResult {
  /** The optimized module; the input bytes when nothing made it smaller. */
  wasm: Buffer
  report: Report
  /**
   * With `passiveData: 'sidecar'`, the data moved out of the module: write
   * `data[sidecarOffset..+length]` at `offset` of each placement's memory right
   * after instantiation, then call `initExport` if set.
   */
  sidecar?: BindingSidecar | null
  /** The returned module's imports, as `inspect` lists them. */
  imports: ModuleInfo['imports']
  /** The returned module's exports, as `inspect` lists them. */
  exports: ModuleInfo['exports']
  /**
   * With `debugCompanion: true`, when the module had DWARF or a `name` section:
   * a module holding them with the code they describe, and `wasm`'s `build_id`.
   */
  debugCompanion?: Buffer | null
}

/**
 * Which formats to produce. One rule everywhere (the plugin's `compress`, this API):
 * an absent format is produced when it is on by default (brotli, gzip) and not
 * when it is opt-in (zstd: every browser that accepts zstd accepts br, and .br is
 * smaller). A bad value or an unknown key throws an `ERR_INVALID_OPTION` TypeError.
 */
export interface CompressOptions {
  /** `true` = quality 11, a number 0–11, `false` = skip. @default true */
  brotli?: boolean | number
  /** `true` = level 19, a number 1–22 (window always ≤ 8 MiB), `false` = skip. @default false */
  zstd?: boolean | number
  /** `true` = level 9, a number 0–9, `false` = skip. @default true */
  gzip?: boolean | number
}

/** Errors carry a stable `code` and, for bad input, the byte `offset`. */
export interface WasmSqueezeError extends Error {
  code: 'ERR_WASM_MALFORMED' | 'ERR_WASM_UNSUPPORTED' | 'ERR_INVALID_OPTION' | 'ERR_INTERNAL' | 'ERR_ADDON_MISSING'
  offset?: number
  file?: string
  /** With `ERR_INVALID_OPTION`: the option's path as written, e.g. `optimize.passiveData`. */
  option?: string
}

type Bytes = Uint8Array | ArrayBuffer

/** Validates, optimizes and re-validates a module off the main thread. */
export function transform(input: Bytes, options?: TransformOptions): Promise<TransformResult>
export function transformSync(input: Bytes, options?: TransformOptions): TransformResult
/** Compresses into each requested format in parallel, off the main thread. */
export function compress(input: Bytes, options?: CompressOptions): Promise<Compressed>
export function compressSync(input: Bytes, options?: CompressOptions): Compressed
/** Compression Dictionary Transport formats (RFC 9842). */
export interface DeltaOptions {
  format: 'dcb' | 'dcz'
  /** Brotli quality for dcb (default 11), zstd level for dcz (default 19). */
  level?: number
}
/**
 * The full `Content-Encoding: dcb|dcz` body of `input` against `dictionary` (magic,
 * sha-256 of the dictionary, stream), verified natively; `null` when dcz cannot reach
 * the dictionary within the windows browsers accept.
 */
export function delta(input: Bytes, dictionary: Bytes, options: DeltaOptions): Promise<Buffer | null>
export function deltaSync(input: Bytes, dictionary: Bytes, options: DeltaOptions): Buffer | null
/** Lists a module's sections, imports, exports, memories and data segments. */
export function inspect(input: Bytes, options?: { file?: string }): Promise<ModuleInfo>
export function inspectSync(input: Bytes, options?: { file?: string }): ModuleInfo
export const DEFAULT_LEVELS: Readonly<{ brotli: 11; zstd: 19; gzip: 9 }>
