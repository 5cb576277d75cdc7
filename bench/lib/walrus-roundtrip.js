#!/usr/bin/env node
// node bench/lib/walrus-roundtrip.js <in.wasm> <runs> [out.wasm]
// Parses and re-emits a module with walrus (via @napi-rs/wasm-tools) `runs`
// times and prints `{ ms, samples, bytes }` as JSON, `ms` being the best
// parse+emit wall time. Runs as its own process because a walrus panic may
// abort the process it runs in.
import { readFileSync, writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { ModuleConfig } from '@napi-rs/wasm-tools'

const [input, runsArg = '1', output] = process.argv.slice(2)
const bytes = readFileSync(input)
const samples = []
let emitted
for (let i = 0; i < Number(runsArg); i++) {
  const started = performance.now()
  const module = new ModuleConfig().parse(bytes)
  emitted = module.emitWasm(false)
  samples.push(performance.now() - started)
}
if (output) writeFileSync(output, emitted)
console.log(JSON.stringify({ ms: Math.min(...samples), samples, bytes: emitted.length }))
