// Real npm packages with wasm inside, each with the wasm file it loads and a
// workload through its own public API. `run(dir)` loads the package from `dir` (a
// copy of it whose wasm may have been swapped) and returns JSON-able results.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)

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
