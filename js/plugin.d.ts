// Types of the `wasm-squeeze` plugin for Vite 8, Vite 7 and Rollup 4.
import type { Plugin } from 'vite'
import type { CompressOptions, TransformOptions } from './native'

export type { CompressOptions, TransformOptions } from './native'

export interface WasmSqueezeOptions {
  /** Which `.wasm` files to handle (picomatch patterns or RegExps). @default /\.wasm$/ */
  include?: string | RegExp | ReadonlyArray<string | RegExp>
  /** Which `.wasm` files to leave alone. @default undefined */
  exclude?: string | RegExp | ReadonlyArray<string | RegExp>
  /** Core optimizer options, or `false` to ship the bytes as they are. @default {} */
  optimize?: Omit<TransformOptions, 'file'> | false
  /** Which precompressed siblings to emit, or `false` for none. @default { brotli: true, zstd: true } */
  compress?: CompressOptions | false
  /** Fail the build when a wasm cannot be optimized, instead of warning and shipping it as is. @default false */
  strict?: boolean
  /** Log the size table at the end of the build. @default true */
  report?: boolean
}

/** Optimizes and precompresses every `.wasm` the app imports. */
export default function wasmSqueeze(options?: WasmSqueezeOptions): Plugin
