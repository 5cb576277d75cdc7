// Our brotli against the peer a user would compare it with, Node's own zlib, on
// real modules: byte-identical where only zlib's window can pay, never bigger where
// a wider one is tried. (The window rule itself: src/compress/tests.rs.)
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import zlib from 'node:zlib'
import { compress } from '../js/native.js'

const require = createRequire(import.meta.url)
const zlibBrotli = (bytes, quality) => zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality } })
const ours = async (bytes, quality) => (await compress(bytes, { brotli: quality, zstd: false, gzip: false })).br

test('at quality 11 our brotli is zlib\'s, byte for byte, on a real module', async () => {
  const wasm = readFileSync(require.resolve('web-tree-sitter/web-tree-sitter.wasm'))
  assert.ok((await ours(wasm, 11)).equals(zlibBrotli(wasm, 11)))
})

test('over 4 MiB: zlib\'s bytes where the proxy runs no wider window, never bigger where it does', async () => {
  // tree-sitter-cpp (5.1 MiB): a wider window loses, and the proxy skips it.
  const cpp = readFileSync(require.resolve('@vscode/tree-sitter-wasm/wasm/tree-sitter-cpp.wasm'))
  assert.ok((await ours(cpp, 5)).equals(zlibBrotli(cpp, 5)))
  // Two copies of a module 5 MiB apart: only a wider window sees the second one.
  const twice = Buffer.concat([cpp, cpp])
  const [mine, peer] = [await ours(twice, 5), zlibBrotli(twice, 5)]
  assert.ok(mine.length < peer.length * 0.9, `${mine.length} vs zlib ${peer.length}`)
  assert.ok(zlib.brotliDecompressSync(mine).equals(twice))
})
