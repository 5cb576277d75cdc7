// The real-wasm corpus: npm packages that ship .wasm files, pinned so that runs
// are repeatable. `bench/corpus.js` packs each one with `npm pack name@version`
// and copies the listed files to `bench/corpus/wasm/`.
//
// Fields:
//   name, version  what `npm pack` fetches
//   files          paths inside the package of the .wasm files to keep
//                  (omit to keep every .wasm the package ships)
//   why            what the module brings to the corpus
//   exclude        a reason not to fetch the package at all (e.g. licensing
//                  that the `license` field does not show)
//
// Packages whose packed package.json `license` names the GPL, LGPL or AGPL are
// skipped by corpus.js whatever this list says.

export const PACKAGES = [
  {
    name: 'sql.js',
    version: '1.16.0',
    files: ['dist/sql-wasm.wasm', 'dist/sql-wasm-debug.wasm'],
    why: 'Emscripten C (SQLite), release and debug builds',
  },
  {
    name: 'esbuild-wasm',
    version: '0.28.2',
    files: ['esbuild.wasm'],
    why: 'Go: ~100k active data segments, big runtime',
  },
  {
    name: '@swc/wasm',
    version: '1.16.18',
    files: ['wasm_bg.wasm'],
    why: 'Rust + wasm-bindgen, large',
  },
  {
    name: 'brotli-wasm',
    version: '3.0.1',
    files: ['pkg.web/brotli_wasm_bg.wasm'],
    why: 'Rust: big static dictionary in ~5k data segments',
  },
  {
    name: 'canvaskit-wasm',
    version: '0.42.0',
    files: ['bin/canvaskit.wasm', 'bin/profiling/canvaskit.wasm'],
    why: 'Emscripten C++ (Skia); the profiling build keeps function names',
  },
  {
    name: '@duckdb/duckdb-wasm',
    version: '1.32.0',
    files: ['dist/duckdb-eh.wasm'],
    why: 'Emscripten C++, legacy exception handling, a dylink.0 section, ~34 MB',
  },
  {
    name: 'web-tree-sitter',
    version: '0.27.1',
    files: ['web-tree-sitter.wasm', 'debug/web-tree-sitter.wasm'],
    why: 'Emscripten C with dylink.0; the debug build carries DWARF and names',
  },
  {
    name: 'vscode-oniguruma',
    version: '2.0.1',
    files: ['release/onig.wasm'],
    why: 'Emscripten C, data-heavy (Unicode tables)',
  },
  {
    name: '@bokuweb/zstd-wasm',
    version: '0.0.27',
    files: ['dist/web/zstd.wasm'],
    why: 'Emscripten C, small',
  },
  {
    name: '@resvg/resvg-wasm',
    version: '2.6.2',
    files: ['index_bg.wasm'],
    why: 'Rust + wasm-bindgen',
  },
  {
    name: 'lightningcss-wasm',
    version: '1.33.0',
    files: ['lightningcss_node.wasm'],
    why: 'Rust, ~16 MB',
  },
  {
    name: '@biomejs/wasm-web',
    version: '2.4.15',
    files: ['biome_wasm_bg.wasm'],
    why: 'Rust + wasm-bindgen, ~35 MB with a 3.4 MB name section',
  },
  {
    name: '@rollup/wasm-node',
    version: '4.68.4',
    files: ['dist/wasm-node/bindings_wasm_bg.wasm'],
    why: 'Rust + wasm-bindgen, small',
  },
  {
    name: '@sqlite.org/sqlite-wasm',
    version: '3.54.1-build1',
    files: ['dist/sqlite3.wasm'],
    why: 'Emscripten C (official SQLite build)',
  },
  {
    name: 'harfbuzzjs',
    version: '1.6.4',
    files: ['dist/harfbuzz.wasm', 'dist/harfbuzz-subset.wasm'],
    why: 'C++ (HarfBuzz)',
  },
  {
    name: '@jsquash/webp',
    version: '1.5.0',
    files: ['codec/enc/webp_enc_simd.wasm', 'codec/dec/webp_dec.wasm'],
    why: 'Emscripten C; the encoder uses SIMD',
  },
  {
    name: '@dqbd/tiktoken',
    version: '1.0.22',
    files: ['tiktoken_bg.wasm'],
    why: 'Rust + wasm-bindgen, ~5.6 MB',
  },
  {
    name: 'wasm-vips',
    version: '0.0.19',
    exclude:
      'package.json says MIT, but the wasm statically links libvips, glib, libexif and libheif ' +
      'under LGPL-3.0 (its THIRD-PARTY-NOTICES.md)',
  },
]

/** Files bigger than this are left out, to keep `bench:optimize` under ~15 minutes. */
export const MAX_FILE_BYTES = 40 * 1024 * 1024
