// Real npm packages with wasm inside, each with the wasm file it loads and a
// workload through its own public API. `run(dir)` loads the package from `dir` (a
// copy of it whose wasm may have been swapped) and returns JSON-able results.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)

/** Prebuilt tree-sitter grammars (side modules that link against web-tree-sitter's exports). */
const GRAMMARS = path.join(path.dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm')

const SOURCES = {
  javascript: 'function add(a, b) { return a + b } // sum\nconst xs = [1, 2, 3].map((n) => n * 2)\nclass A extends B { #x = 1; get y() { return this.#x } }',
  python: 'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nprint([fib(i) for i in range(10)])',
  rust: 'fn main() { let v: Vec<u32> = (0..10).filter(|x| x % 2 == 0).collect(); println!("{v:?}"); }',
}

/** tree-sitter's `{ row, column }` just past the end of `text`. */
function positionAfter(text) {
  const lines = text.split('\n')
  return { row: lines.length - 1, column: lines.at(-1).length }
}

const TEXT = 'wasm-squeeze makes every .wasm your app ships as small as it can be. '.repeat(40)

export const PACKAGES = {
  'vscode-oniguruma': {
    wasm: 'release/onig.wasm',
    async run(dir) {
      const onig = require(path.join(dir, 'release/main.js'))
      const bytes = readFileSync(path.join(dir, 'release/onig.wasm'))
      await onig.loadWASM(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
      const scanner = new onig.OnigScanner(['\\d{4}-\\d{2}-\\d{2}', '[\\w.]+@[\\w.]+\\.\\w+', '(?i)WASM\\b', '\\p{Greek}+'])
      const inputs = ['released 2026-11-22 by ops@example.com', 'no match here', 'WebAssembly or wasm?', 'λόγος and ok']
      return inputs.map((s) => [0, 5].map((from) => scanner.findNextMatchSync(s, from)))
    },
  },
  'sql.js': {
    wasm: 'dist/sql-wasm.wasm',
    async run(dir) {
      const initSqlJs = require(path.join(dir, 'dist/sql-wasm.js'))
      const SQL = await initSqlJs({ locateFile: (file) => path.join(dir, 'dist', file) })
      const db = new SQL.Database()
      db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)')
      const insert = db.prepare('INSERT INTO t (name, score) VALUES (?, ?)')
      for (let i = 0; i < 200; i++) insert.run([`name-${i % 17}`, Math.sin(i) * 100])
      insert.free()
      return [
        db.exec('SELECT sqlite_version()'),
        db.exec('SELECT name, count(*), round(avg(score), 6), max(score) FROM t GROUP BY name ORDER BY name'),
        db.exec("SELECT json_group_array(id) FROM t WHERE score > 90"),
        Buffer.from(db.export()).length,
      ]
    },
  },
  'brotli-wasm': {
    wasm: 'pkg.node/brotli_wasm_bg.wasm',
    async run(dir) {
      const brotli = require(path.join(dir, 'pkg.node/brotli_wasm.js'))
      const input = new TextEncoder().encode(TEXT)
      const compressed = brotli.compress(input, { quality: 9 })
      const roundTrip = new TextDecoder().decode(brotli.decompress(compressed))
      return { compressed: Buffer.from(compressed).toString('base64'), same: roundTrip === TEXT }
    },
  },
  // The debug build: strip drops its DWARF and names, and remove-unused 29 functions.
  // Grammars are side modules that the module links at run time by its exports.
  'web-tree-sitter': {
    wasm: 'debug/web-tree-sitter.wasm',
    async run(dir) {
      const { Parser, Language, Query } = await import(pathToFileURL(path.join(dir, 'debug/web-tree-sitter.js')).href)
      await Parser.init({ locateFile: (file) => path.join(dir, 'debug', file) })
      const parser = new Parser()
      const results = {}
      for (const [name, source] of Object.entries(SOURCES)) {
        const language = await Language.load(path.join(GRAMMARS, `tree-sitter-${name}.wasm`))
        parser.setLanguage(language)
        const tree = parser.parse(source)
        // An edit, parsed incrementally against the old tree: a line appended.
        const added = name === 'python' ? '\nprint(fib(20))' : '\nlet z = add(1, 2)'
        const end = positionAfter(source)
        tree.edit({ startIndex: source.length, oldEndIndex: source.length, newEndIndex: source.length + added.length, startPosition: end, oldEndPosition: end, newEndPosition: positionAfter(source + added) })
        const reparsed = parser.parse(source + added, tree)
        const query = new Query(language, '(identifier) @id')
        results[name] = {
          tree: tree.rootNode.toString(),
          reparsed: reparsed.rootNode.toString(),
          identifiers: query.captures(reparsed.rootNode).map((c) => [c.node.text, c.node.startIndex]),
        }
      }
      return results
    },
  },
  '@bokuweb/zstd-wasm': {
    wasm: 'dist/common/zstd.wasm',
    async run(dir) {
      const zstd = require(path.join(dir, 'dist/common/index.node.js'))
      await zstd.init()
      const input = new TextEncoder().encode(TEXT)
      const compressed = zstd.compress(input, 10)
      const roundTrip = new TextDecoder().decode(zstd.decompress(compressed))
      return { compressed: Buffer.from(compressed).toString('base64'), same: roundTrip === TEXT }
    },
  },
}
