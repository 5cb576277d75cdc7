// The whole integration: one plugin. `npm run demo` (scripts/demo.js) builds this
// app twice, as a site would be deployed twice:
//   vite build              → dist/v1, and its deploy manifest (delta: true)
//   vite build --mode next  → dist/v2, after sql.js moved up a release, with dist/v1
//                             as the previous deploy: dist/v2 also holds the deltas
//                             (.dcb/.dcz) a returning visitor is sent instead of the .br
// The next release is the `sql.js-next` devDependency (npm:sql.js@1.17.0), so both
// releases are installed at once; `next` resolves `sql.js` to it. Its package.json
// says `sql.js`, so the plugin knows its wasm for dist/v1's (`npm:sql.js/…`).
// `vite preview` (and `vite preview --mode next`) serve each one through the plugin.
import wasmSqueeze from 'wasm-squeeze'

/** `next` deploys sql.js 1.17.0: `sql.js` imports resolve as `sql.js-next` ones would. */
const nextSqlJs = {
  name: 'demo:sql.js-next',
  enforce: 'pre',
  resolveId(source, importer, options) {
    if (!/^sql\.js(?=\/|$)/.test(source)) return null
    return this.resolve(source.replace('sql.js', 'sql.js-next'), importer, { ...options, skipSelf: true })
  },
}

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
    plugins: [...(next ? [nextSqlJs] : []), wasmSqueeze({ delta: next ? { previous: [OUT_DIRS.production] } : true })],
  }
}
