#!/usr/bin/env node
// npm run bench:debug-companion
//
// What a debug companion costs on real debug builds, in one run:
//   - ours without a companion (default options): the shipped size;
//   - ours with `debugCompanion: true`: the shipped size, which on DWARF builds
//     keeps the code remove-unused would have dropped (the difference is that
//     cost, build_id included), and the companion's size;
//   - the peer, LLVM's objcopy: `--strip-all` for the shipped module and
//     `--only-keep-debug` for the debug file (DWARF only: no code, no names).
// Sizes raw and brotli 11; times best of N, in-process for ours and whole
// process for llvm-objcopy (both commands). Builds: web-tree-sitter 0.27.1's
// debug build (MIT), md4w 0.2.7's Zig fast build (MIT), and canvaskit-wasm
// 0.42.0's profiling build (BSD-3-Clause) from bench/corpus when fetched.
// Writes bench/results/debug-companion.md and .json.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { transform } from '../js/native.js'
import { BENCH_DIR, CORPUS_DIR, REPO_DIR } from './lib/corpus.js'
import { runOrThrow } from './lib/exec.js'
import { formatBytes, formatMs, formatRatio, markdownTable, ratio } from './lib/format.js'
import { benchCommand, machineInfo, toolVersion, wasmSqueezeVersion } from './lib/machine.js'
import { brotliSizeAsync } from './lib/sizes.js'
import { bestOf, runsFor } from './lib/timing.js'

const BUILDS = [
  ['web-tree-sitter debug', join(REPO_DIR, 'node_modules/web-tree-sitter/debug/web-tree-sitter.wasm')],
  ['md4w fast (Zig)', join(REPO_DIR, 'node_modules/md4w/js/md4w-fast.wasm')],
  ['canvaskit profiling', join(CORPUS_DIR, 'wasm/canvaskit-wasm__bin-profiling-canvaskit.wasm')],
]

const work = mkdtempSync(join(tmpdir(), 'wasm-squeeze-bench-debug-'))
const results = []
for (const [name, file] of BUILDS) {
  if (!existsSync(file)) {
    console.error(`skipped ${name}: ${file} is missing (npm run bench:corpus fetches canvaskit)`)
    continue
  }
  const input = readFileSync(file)
  const runs = runsFor(input.length)
  const plain = (await transform(input)).wasm
  const ours = await bestOf(runs, () => transform(input, { debugCompanion: true }))
  const { wasm: shipped, debugCompanion: companion, report } = ours.value
  const [peerShipped, peerDebug] = [join(work, 'strip.wasm'), join(work, 'debug.wasm')]
  const peer = await bestOf(runs, async () => {
    await runOrThrow('llvm-objcopy', ['--strip-all', file, peerShipped])
    await runOrThrow('llvm-objcopy', ['--only-keep-debug', file, peerDebug])
  })
  const [peerBytes, peerDebugBytes] = [readFileSync(peerShipped), readFileSync(peerDebug)]
  const [inputBr, plainBr, shippedBr, peerBr] = await Promise.all([input, plain, shipped, peerBytes].map((b) => brotliSizeAsync(b)))
  const removeUnused = report.steps.find((s) => s.pass === 'remove-unused')
  results.push({
    name,
    input: { raw: input.length, br: inputBr },
    plain: { raw: plain.length, br: plainBr },
    shipped: { raw: shipped.length, br: shippedBr },
    companion: companion?.length ?? null,
    removeUnused: `${removeUnused.status}: ${removeUnused.detail}`,
    keptCode: { raw: shipped.length - plain.length, br: shippedBr - plainBr },
    peer: { raw: peerBytes.length, br: peerBr, debug: peerDebugBytes.length, valid: WebAssembly.validate(peerBytes) },
    ms: { ours: ours.ms, peer: peer.ms },
  })
}
rmSync(work, { recursive: true, force: true })

const rows = results.map((r) => [
  r.name,
  `${formatBytes(r.input.raw)} / ${formatBytes(r.input.br)}`,
  `${formatBytes(r.plain.raw)} / ${formatBytes(r.plain.br)}`,
  `${formatBytes(r.shipped.raw)} / ${formatBytes(r.shipped.br)}`,
  `${r.keptCode.raw} / ${r.keptCode.br} B`,
  formatBytes(r.companion),
  `${formatBytes(r.peer.raw)} / ${formatBytes(r.peer.br)}`,
  formatBytes(r.peer.debug),
  formatRatio(ratio(r.shipped.br, r.peer.br)),
  `${formatMs(r.ms.ours)} / ${formatMs(r.ms.peer)}`,
])
const columns = [
  { title: 'build', align: 'left' },
  { title: 'input raw / br' },
  { title: 'ours, no companion' },
  { title: 'ours, shipped with companion' },
  { title: 'kept for DWARF raw / br' },
  { title: 'our companion' },
  { title: 'llvm-objcopy --strip-all' },
  { title: '--only-keep-debug' },
  { title: 'shipped br ours/peer' },
  { title: 'ms ours / peer' },
]
const md = `# Debug companions

\`${benchCommand('debug-companion')}\` at wasm-squeeze ${wasmSqueezeVersion(REPO_DIR)}, ${toolVersion('llvm-objcopy').split('\n').find((l) => /version/i.test(l))?.trim() ?? 'llvm-objcopy'}.
Machine: ${JSON.stringify(machineInfo())}.

${markdownTable(columns, rows)}

"kept for DWARF" is what the shipped module costs over ours without a companion:
the code remove-unused would have dropped (it is skipped while DWARF must keep
its addresses) plus the 28-byte build_id section. remove-unused per build:
${results.map((r) => `- ${r.name}: ${r.removeUnused}`).join('\n')}

Our companion keeps the code, the names and every data segment's header so that
it validates and DevTools' DWARF extension can read it; \`--only-keep-debug\`
keeps only the DWARF sections (no name section, so names-only builds get nothing).
`
writeFileSync(join(BENCH_DIR, 'results', 'debug-companion.md'), md)
writeFileSync(join(BENCH_DIR, 'results', 'debug-companion.json'), `${JSON.stringify({ machine: machineInfo(), results }, null, 2)}\n`)
console.log(md)
