// How the benches run wasm-opt (Debian's binaryen), the peer we compare against.

/** wasm-opt's stripping of debug info and the producers section. */
export const WASM_OPT_STRIP = ['--strip-debug', '--strip-producers']

/** wasm-opt passes equivalent to what wasm-squeeze does by default. */
export const WASM_OPT_PASSES = [...WASM_OPT_STRIP, '--memory-packing', '--remove-unused-module-elements']

/**
 * Features browsers ship, enabled one by one: `--all-features` would let
 * wasm-opt emit encodings (GC, typed function references, …) V8 rejects.
 * Threads (atomics) and legacy exception handling are shipped and are used by
 * Emscripten builds.
 */
export const WASM_OPT_FEATURES = [
  '--enable-bulk-memory',
  '--enable-sign-ext',
  '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int',
  '--enable-simd',
  '--enable-reference-types',
  '--enable-multivalue',
  '--enable-tail-call',
  '--enable-exception-handling',
  '--enable-threads',
]
