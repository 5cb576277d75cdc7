// The whole integration: one plugin. `npm run demo` (scripts/demo.js) builds this
// app twice, as a site would be deployed twice:
//   vite build              → dist/v1, and its deploy manifest (delta: true)
//   vite build --mode next  → dist/v2, after sql.js moved up a release, with dist/v1
//                             as the previous deploy: dist/v2 also holds the deltas
//                             (.dcb/.dcz) a returning visitor is sent instead of the .br
// `vite preview` (and `vite preview --mode next`) serve each one through the plugin.
import wasmSqueeze from 'wasm-squeeze'

/** Each deploy's output directory, by mode (the demo reads them from here). */
export const OUT_DIRS = { production: 'dist/v1', next: 'dist/v2' }

export default ({ mode }) => {
  const next = mode === 'next'
  return {
    build: {
      outDir: OUT_DIRS[next ? 'next' : 'production'],
      // web-tree-sitter's glue (Emscripten's dynamic linker) runs side modules'
      // EM_ASM/EM_JS code with eval(): the package's choice, not this app's, so the
      // bundler's warning about it is left out.
      rollupOptions: { onwarn: (warning, warn) => warning.code === 'EVAL' || warn(warning) },
    },
    plugins: [wasmSqueeze({ delta: next ? { previous: [OUT_DIRS.production] } : true })],
  }
}
