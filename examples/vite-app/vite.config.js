// The whole integration: one plugin. Every .wasm the app imports is optimized,
// emitted as assets/<name>-<hash>.wasm, and gets .br / .gz siblings (the default),
// and .zst here: zstd is opt-in, turned on so the browser tests prove it decodes.
import wasmSqueeze from 'wasm-squeeze'

export default {
  plugins: [wasmSqueeze({ compress: { zstd: true } })],
}
