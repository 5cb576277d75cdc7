// Types of the `wasm-squeeze` plugin for Vite 8, Vite 7 and Rollup 4.
import type { CompressOptions, TransformOptions } from './native'

export type { CompressOptions, TransformOptions } from './native'

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
  optimize?: Omit<TransformOptions, 'file'> | false
  /** Which precompressed siblings to emit, or `false` for none. @default { brotli: true, zstd: true } */
  compress?: CompressOptions | false
  /**
   * Fail the build when a wasm cannot be optimized (it does not validate, or it
   * is a component), instead of warning with the file and byte offset and
   * shipping the original bytes.
   * @default false
   */
  strict?: boolean
  /** Log the size table at the end of the build. @default true */
  report?: boolean
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
