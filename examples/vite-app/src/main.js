// Two real modules, as their packages ship them.
//
// sql.js: a release build (Emscripten -O3). It has nothing to strip, so the plugin
// emits it unchanged and the saving is compression alone. Its wasm comes from a
// `?url` import given to `locateFile`, as sql.js's README shows.
import initSqlJs from 'sql.js'
import sqlWasmUrl from 'sql.js/dist/sql-wasm.wasm?url'
// web-tree-sitter's debug build: the same runtime with DWARF and a `name` section,
// which the plugin strips. Its glue finds the wasm with `new URL(…, import.meta.url)`.
import { LANGUAGE_VERSION, Parser } from 'web-tree-sitter/debug'

async function sqlite() {
  const SQL = await initSqlJs({ locateFile: () => sqlWasmUrl })
  const db = new SQL.Database()
  db.run('CREATE TABLE t (n INTEGER, s TEXT); INSERT INTO t VALUES (1, "wasm"), (2, "squeeze")')
  const [[sum, words, version]] = db.exec('SELECT sum(n), group_concat(upper(s), "+"), sqlite_version() FROM t')[0].values
  db.close()
  return { sum, words, version }
}

async function treeSitter() {
  await Parser.init()
  const parser = new Parser()
  const ready = parser.language === null // no grammar loaded: the runtime alone
  parser.delete()
  return { languageVersion: LANGUAGE_VERSION, ready }
}

const result = { sqlite: await sqlite(), treeSitter: await treeSitter() }
document.querySelector('#sqlite').textContent = `SQLite ${result.sqlite.version}: sum = ${result.sqlite.sum}, ${result.sqlite.words}`
document.querySelector('#tree-sitter').textContent = `tree-sitter runtime ready (grammar ABI ${result.treeSitter.languageVersion})`
document.querySelector('#result').textContent = JSON.stringify(result, null, 2)
document.body.dataset.ready = '1'

// What each .wasm cost on the wire against its size (Resource Timing). A returning
// visitor of the second deploy gets sql.js as a delta, a few % of its .br.
function showWire(entry) {
  const name = new URL(entry.name).pathname.split('/').pop()
  if (!name.endsWith('.wasm')) return
  const share = entry.decodedBodySize ? ` (${((entry.encodedBodySize / entry.decodedBodySize) * 100).toFixed(1)}%)` : ''
  const line = entry.transferSize === 0 && entry.decodedBodySize > 0 ? 'from the browser cache' : `${entry.encodedBodySize} B for ${entry.decodedBodySize} B${share}`
  document.querySelector('#wire').append(`${name}: ${line}\n`)
}
new PerformanceObserver((list) => list.getEntries().forEach(showWire)).observe({ type: 'resource', buffered: true })
