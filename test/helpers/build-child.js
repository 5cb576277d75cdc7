// Runs one build in its own process (the read-only-cache test runs it as an
// unprivileged user, since root writes through any permission bits) and prints
// `{ warnings, siblings }` as JSON on stdout.
import { build } from 'vite'
import { buildWithPlugin } from './compress-build.js'

const [outDir, options] = process.argv.slice(2)
const { warnings, files } = await buildWithPlugin(build, outDir, JSON.parse(options))
const siblings = files.filter((f) => /\.(br|zst|gz)$/.test(f.name)).map((f) => f.name)
process.stdout.write(`${JSON.stringify({ warnings, siblings })}\n`)
