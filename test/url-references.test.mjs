// The `new URL('./x.wasm', import.meta.url)` finder and rewriter, on the ASTs of
// both parsers the plugin meets: Rollup's (`this.parse` in Rollup 4 and Vite 7)
// and Rolldown's (Vite 8). Offsets must be string indices in both, also after
// non-ASCII text, and only real references may match.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseAst as rollupParse } from 'rollup/parseAst'
import { parseAst as rolldownParse } from 'rolldown/parseAst'
import { SourceMapConsumer } from 'source-map-js'
import { findWasmUrlReferences, resolveReference, rewriteReferences } from '../js/url-references.js'

const CODE = `// ünïcödé 🎉 before the references
const a = new URL('./a.wasm', import.meta.url)
const b = new URL("b.wasm", import.meta.url) // wasm-bindgen writes no './'
const c = new URL(\`../lib/c.wasm\`, import.meta.url)
// new URL('./comment.wasm', import.meta.url)
const s = "new URL('./string.wasm', import.meta.url)"
const other = new URL('./d.wasm', 'https://example.com/')
const dynamic = new URL(\`./\${name}.wasm\`, import.meta.url)
const notWasm = new URL('./e.js', import.meta.url)
const absolute = new URL('/public.wasm', import.meta.url)
const remote = new URL('https://cdn.example/f.wasm', import.meta.url)
const computed = new URL('./g.wasm', import.meta['url'])
`

for (const [label, parse] of [
  ['Rollup', rollupParse],
  ['Rolldown', rolldownParse],
]) {
  describe(`findWasmUrlReferences on ${label}'s AST`, () => {
    const found = findWasmUrlReferences(parse(CODE))

    test('finds exactly the relative .wasm references resolved against import.meta.url', () => {
      assert.deepEqual(found.map((r) => r.specifier), ['./a.wasm', 'b.wasm', '../lib/c.wasm'])
    })

    test('ranges are string indices of the literal and of the call, after non-ASCII text too', () => {
      assert.deepEqual(
        found.map((r) => CODE.slice(r.start, r.end)),
        ["'./a.wasm'", '"b.wasm"', '`../lib/c.wasm`'],
      )
      assert.deepEqual(found.map((r) => CODE.slice(r.call.start, r.call.end)), [
        "new URL('./a.wasm', import.meta.url)",
        'new URL("b.wasm", import.meta.url)',
        'new URL(`../lib/c.wasm`, import.meta.url)',
      ])
    })
  })
}

test('rewriteReferences swaps only the literal and maps the rest back to the source', () => {
  const [ref] = findWasmUrlReferences(rollupParse(CODE))
  const { code, map } = rewriteReferences(CODE, '/src/x.js', [{ ...ref, expression: 'import.meta.ROLLUP_FILE_URL_abc' }])
  assert.ok(code.includes('new URL(import.meta.ROLLUP_FILE_URL_abc, import.meta.url)'))
  assert.equal(code.replace('import.meta.ROLLUP_FILE_URL_abc', "'./a.wasm'"), CODE)
  assert.deepEqual(map.sources, ['/src/x.js'])
  const consumer = new SourceMapConsumer(map)
  const line = code.split('\n').findIndex((l) => l.includes('const b')) + 1
  const column = code.split('\n')[line - 1].indexOf('new URL')
  assert.deepEqual(consumer.originalPositionFor({ line, column }), { source: '/src/x.js', line, column, name: null })
})

test('resolveReference: relative to the importer, query stripped, URL escapes decoded', () => {
  assert.equal(resolveReference('/p/src/a.js?worker_file&type=module', './w.wasm'), '/p/src/w.wasm')
  assert.equal(resolveReference('/p/src/a.js', 'b.wasm'), '/p/src/b.wasm')
  assert.equal(resolveReference('/p/src/a.js', '../lib/my%20file.wasm'), '/p/lib/my file.wasm')
  assert.equal(resolveReference('/p/src/a.js', './100%.wasm'), '/p/src/100%.wasm')
})
