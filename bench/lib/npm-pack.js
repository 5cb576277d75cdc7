// Real npm releases for the delta benches: `npm pack name@version` at a pinned
// version, unpacked once into bench/corpus/delta/<name>@<version>/package.
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { CORPUS_DIR } from './corpus.js'
import { run } from './exec.js'

const PACK_DIR = join(CORPUS_DIR, 'delta')

/** The unpacked package directory of `name@version`. */
export async function unpacked(name, version) {
  const dir = join(PACK_DIR, `${name.replace('/', '+')}@${version}`)
  if (!existsSync(join(dir, 'package'))) {
    mkdirSync(dir, { recursive: true })
    const packed = await run('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', dir], { timeoutMs: 10 * 60_000 })
    if (!packed.ok) throw new Error(`npm pack ${name}@${version}: ${packed.stderr || packed.error}`)
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))
    const untar = await run('tar', ['-xzf', join(dir, tarball), '-C', dir], { timeoutMs: 10 * 60_000 })
    if (!untar.ok) throw new Error(`tar ${tarball}: ${untar.stderr || untar.error}`)
  }
  return join(dir, 'package')
}
