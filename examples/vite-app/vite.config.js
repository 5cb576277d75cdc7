// The whole integration: one plugin. Every .wasm the app imports is optimized,
// emitted as assets/<name>-<hash>.wasm, and gets .br / .zst siblings.
import wasmSqueeze from 'wasm-squeeze'

export default {
  plugins: [wasmSqueeze()],
}
