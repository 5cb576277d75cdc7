// The whole integration: one plugin. `npm run demo` (scripts/demo.js) builds this
// app twice, as a site would be deployed twice:
//   vite build              → dist/v1, and its deploy manifest (delta: true)
//   vite build --mode next  → dist/v2, after sql.js moved up a release, with dist/v1
//                             as the previous deploy: dist/v2 also holds the deltas
//                             (.dcb/.dcz) a returning visitor is sent instead of the .br
// `vite preview` (and `vite preview --mode next`) serve each one through the plugin.
import wasmSqueeze from 'wasm-squeeze'

export default ({ mode }) => {
  const next = mode === 'next'
  return {
    build: {
      outDir: next ? 'dist/v2' : 'dist/v1',
      // web-tree-sitter's debug glue calls eval() for Emscripten's EM_ASM: its own
      // choice, not this app's, so the bundler's warning about it is left out.
      rollupOptions: { onwarn: (warning, warn) => warning.code === 'EVAL' || warn(warning) },
    },
    plugins: [wasmSqueeze({ delta: next ? { previous: ['dist/v1'] } : true })],
  }
}
