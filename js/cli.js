#!/usr/bin/env node
// wasm-squeeze <input.wasm> -o <output.wasm> [...]: the CLI on the same core as the
// plugin. Exit codes: 0 success, 1 bad input (the message names the byte offset),
// 2 usage errors, 3 internal errors.
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { compress, transform } from './native.js'
import { formatTable, whatHappened } from './report.js'
import { FORMATS, formatOf } from './compress/formats.js'
import { OptionError, PASSIVE_DATA_MODES, normalizeTransformOptions } from './options.js'

export const USAGE = `Usage: wasm-squeeze <input.wasm> -o <output.wasm> [options]

Validates, strips and optimizes a WebAssembly module; never writes one bigger
than the input, raw or compressed.

Options:
  -o, --output <file>        where to write the optimized module (required)
      --keep-names           keep the "name" section (function names in traces)
      --keep-section <name>  keep this custom section too (repeatable)
      --no-dce               do not remove unused functions, globals, tables,
                             tags, element segments and types
      --no-pack-data         do not merge or trim data segments
      --allow-raw-growth     let data packing grow the module when that shrinks
                             it on the wire (default: never bigger, raw or wire)
      --zero-filled-memory   promise an imported memory starts zeroed (lets data
                             packing run on it)
      --passive-data <mode>  how active data segments reach memory (default: off;
                             one of ${PASSIVE_DATA_MODES.join(', ')})
                             start: passive segments, an injected start
                               function does memory.init + data.drop
                             deferred: the same, run by the loader calling the
                               export __wasm_squeeze_init_data (lowers the load
                               peak only)
                             sidecar: segments >= --sidecar-min-bytes move to
                               <output>.data, placements to <output>.data.json;
                               the loader writes them after instantiation
      --sidecar-min-bytes <n>
                             smallest segment sidecar moves (default 4096)
      --debug-file <file>    also write a debug companion there: the DWARF,
                             name and tool sections stripped from the output,
                             with the code they describe (same build_id); with
                             DWARF, unused code is then kept in place
      --debug-url <url>      with --debug-file: name <url> in the output's
                             external_debug_info section (DevTools fetches it)
      --previous <file>      the previous deploy's module: functions it also has
                             keep their indices there, so a delta against it
                             (dcb/dcz) stays small
      --compress <formats>   also write <output>.br/.zst/.gz, a list of
                             ${FORMATS.map((f) => f.id).join(', ')}, e.g. br,gz (what the plugin makes
                             by default; zst is opt-in), at levels ${FORMATS.map((f) => `${f.id} ${f.level}`).join(', ')}
      --json                 print the report as JSON on stdout
  -h, --help                 show this help
  -v, --version              print the version

wasm-squeeze nginx <dist>: an nginx configuration for a build with \`delta\`
(see wasm-squeeze nginx --help).

Exit status: 0 on success, 1 when the input is not a valid module, 2 on usage
errors, 3 on an internal error (a bug in wasm-squeeze: please report it).`

/** The flag a core option comes from, for errors: `passiveData` → `--passive-data`. */
const flagOf = (option) => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`

/** Exit status by error code: bad input 1, bad options 2, our own bug 3. */
const EXIT_CODES = { ERR_WASM_MALFORMED: 1, ERR_WASM_UNSUPPORTED: 1, ERR_INVALID_OPTION: 2, ERR_INTERNAL: 3 }

class UsageError extends Error {}

/** Turns argv into a request, or throws UsageError. */
export function parseCommandLine(argv) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        'keep-names': { type: 'boolean' },
        'keep-section': { type: 'string', multiple: true },
        'no-dce': { type: 'boolean' },
        'no-pack-data': { type: 'boolean' },
        'allow-raw-growth': { type: 'boolean' },
        'zero-filled-memory': { type: 'boolean' },
        'passive-data': { type: 'string' },
        'sidecar-min-bytes': { type: 'string' },
        'debug-file': { type: 'string' },
        'debug-url': { type: 'string' },
        previous: { type: 'string' },
        compress: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    })
  } catch (err) {
    throw new UsageError(err.message)
  }
  const { values, positionals } = parsed
  if (values.help || values.version) return { help: values.help, version: values.version }
  if (positionals.length !== 1) throw new UsageError('expected exactly one input file')
  if (!values.output) throw new UsageError('missing -o <output.wasm>')
  const minBytes = values['sidecar-min-bytes']
  if (minBytes !== undefined && !/^\d+$/.test(minBytes)) {
    throw new UsageError(`--sidecar-min-bytes takes a byte count, got "${minBytes}"`)
  }
  const debugFile = values['debug-file']
  const debugUrl = values['debug-url']
  if (debugUrl !== undefined && debugFile === undefined) throw new UsageError('--debug-url needs --debug-file')
  if (debugUrl === '') throw new UsageError('--debug-url takes a URL, got ""')
  if (values.previous === '') throw new UsageError('--previous takes a file, got ""')
  const formats = values.compress ? values.compress.split(',').map((f) => f.trim()) : []
  const unknown = formats.find((f) => formatOf(f)?.id !== f)
  if (unknown) throw new UsageError(`--compress takes a list of ${FORMATS.map((f) => f.id).join(', ')}; got "${unknown}"`)
  return {
    input: positionals[0],
    output: values.output,
    debugFile,
    previous: values.previous,
    json: Boolean(values.json),
    formats,
    options: coreOptions({
      keepNames: Boolean(values['keep-names']),
      keepSections: values['keep-section'] ?? [],
      dce: !values['no-dce'],
      packData: !values['no-pack-data'],
      allowRawGrowth: Boolean(values['allow-raw-growth']),
      zeroFilledMemory: Boolean(values['zero-filled-memory']),
      passiveData: values['passive-data'] ?? 'off',
      ...(minBytes !== undefined && { sidecarMinBytes: Number(minBytes) }),
      ...(debugFile !== undefined && { debugCompanion: true }),
      ...(debugUrl !== undefined && { debugUrl }),
    }),
  }
}

/** The flags' options checked by the same rules as the plugin's and the Node API's. */
function coreOptions(options) {
  try {
    return normalizeTransformOptions(options)
  } catch (err) {
    if (!(err instanceof OptionError)) throw err
    throw new UsageError(err.message.replace(/^wasm-squeeze: /, '').replace(`option \`${err.option}\``, flagOf(err.option)))
  }
}

async function version() {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
  return pkg.version
}

/**
 * Runs the CLI. Returns the exit code; writes to the given streams.
 * @param {string[]} argv arguments after the program name
 */
export async function main(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  if (argv[0] === 'nginx') return (await import('./delta/nginx.js')).nginxCommand(argv.slice(1), { stdout, stderr })
  let request
  try {
    request = parseCommandLine(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    stderr.write(`wasm-squeeze: ${err.message}\n\n${USAGE}\n`)
    return 2
  }
  if (request.help) {
    stdout.write(`${USAGE}\n`)
    return 0
  }
  if (request.version) {
    stdout.write(`${await version()}\n`)
    return 0
  }
  let raw
  try {
    raw = await readFile(request.input)
  } catch (err) {
    stderr.write(`wasm-squeeze: cannot read ${request.input}: ${err.message}\n`)
    return 1
  }
  let previous
  if (request.previous !== undefined) {
    try {
      previous = await readFile(request.previous)
    } catch (err) {
      stderr.write(`wasm-squeeze: cannot read the previous module ${request.previous}: ${err.message}\n`)
      return 1
    }
  }
  let result
  try {
    result = await transform(raw, { ...request.options, file: request.input, ...(previous && { previous }) })
  } catch (err) {
    stderr.write(`wasm-squeeze: ${err.message}\n`)
    return EXIT_CODES[err.code] ?? 1
  }
  await writeFile(request.output, result.wasm)
  if (result.sidecar) {
    const { data, ...placements } = result.sidecar
    await writeFile(`${request.output}.data`, data)
    await writeFile(`${request.output}.data.json`, `${JSON.stringify(placements, null, 2)}\n`)
  }
  if (request.debugFile !== undefined) {
    if (result.debugCompanion) await writeFile(request.debugFile, result.debugCompanion)
    else stderr.write(`wasm-squeeze: ${request.input} has no DWARF or name section; no debug file written\n`)
  }
  const compressed = {}
  if (request.formats.length > 0) {
    const wanted = Object.fromEntries(FORMATS.map((f) => [f.option, request.formats.includes(f.id)]))
    const outputs = await compress(result.wasm, wanted)
    for (const ext of request.formats) {
      await writeFile(`${request.output}.${ext}`, outputs[ext])
      compressed[ext] = outputs[ext].length
    }
  }
  if (request.json) {
    stdout.write(`${JSON.stringify({ ...result.report, compressed }, null, 2)}\n`)
  } else {
    const { steps, sectionsBefore: before, sectionsAfter: after } = result.report
    const row = { source: request.input, raw: raw.length, optimized: result.wasm.length, ...compressed, what: whatHappened({ steps, sections: { before, after } }) }
    stdout.write(`${formatTable([row])}\n`)
    for (const step of result.report.steps) stdout.write(`  ${step.pass}: ${step.status}, ${step.detail}\n`)
    if (result.report.keptOriginal) stdout.write('  kept the original bytes: the passes did not make it smaller\n')
  }
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  process.exitCode = await main(process.argv.slice(2))
}
