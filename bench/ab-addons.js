#!/usr/bin/env node
// node bench/ab-addons.js BASE.node HEAD.node [substring]
//
// Speed check for a refactor: `transformSync(bytes, {})` of two builds of the addon
// (say main's native/*.node copied aside, and this tree's after `npm run build`),
// run interleaved in one process so both see the same machine load; best of 7 per
// corpus module (bench/corpus.js), modules over 12 MiB left out unless named.
// Prints per-module and total times and head/base ratios.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { loadCorpus } from './lib/corpus.js'

const [basePath, headPath, filter] = process.argv.slice(2)
if (!basePath || !headPath) throw new Error('usage: node bench/ab-addons.js BASE.node HEAD.node [substring]')
const require = createRequire(import.meta.url)
const builds = { base: require(resolve(basePath)), head: require(resolve(headPath)) }
const ROUNDS = 7
const MAX_DEFAULT_BYTES = 12 * 1024 * 1024

const { files } = loadCorpus({ filter })
const total = { base: 0, head: 0 }
for (const file of files.filter((f) => filter || f.bytes <= MAX_DEFAULT_BYTES)) {
  const bytes = readFileSync(file.absolutePath)
  const best = { base: Infinity, head: Infinity }
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first, so neither always meets a warm cache.
    for (const name of round % 2 ? ['base', 'head'] : ['head', 'base']) {
      const start = process.hrtime.bigint()
      builds[name].transformSync(bytes, {})
      best[name] = Math.min(best[name], Number(process.hrtime.bigint() - start) / 1e6)
    }
  }
  total.base += best.base
  total.head += best.head
  console.log(`${file.id}\tbase ${best.base.toFixed(2)} ms\thead ${best.head.toFixed(2)} ms\thead/base ${(best.head / best.base).toFixed(3)}`)
}
console.log(`total\tbase ${total.base.toFixed(1)} ms\thead ${total.head.toFixed(1)} ms\thead/base ${(total.head / total.base).toFixed(3)}`)
