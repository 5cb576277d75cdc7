// `npm install` on the oldest Node the README names must print no EBADENGINE
// warning: every installed package (dev dependencies and theirs too) accepts it.
// Checked on the installed tree, which is what npm checks.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import semver from 'semver'
import { REPO } from './helpers/example.js'

/** The package.json of every installed package under `dir` (nested node_modules too). */
async function installedPackages(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const manifest = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/
  return entries
    .filter((e) => e.isFile() && e.name === 'package.json')
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .filter((file) => manifest.test(path.relative(REPO, file).split(path.sep).join('/')) && !/\/node_modules\/[^/]+\/(?:test|fixtures?)\//.test(file))
}

test('every installed package accepts the oldest Node the README and package.json name', async () => {
  const readme = await readFile(path.join(REPO, 'README.md'), 'utf8')
  const named = /Node ≥ (\d+\.\d+)/.exec(readme)?.[1]
  assert.ok(named, 'the README names a minimum Node')
  const { engines } = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8'))
  const oldest = semver.minVersion(engines.node).version
  assert.equal(oldest, `${named}.0`, "the README's Node is package.json's engines.node")
  const refusing = []
  for (const file of await installedPackages(path.join(REPO, 'node_modules'))) {
    const pkg = JSON.parse(await readFile(file, 'utf8'))
    const range = pkg.engines?.node
    if (!pkg.name || !pkg.version || typeof range !== 'string') continue
    if (semver.validRange(range) && !semver.satisfies(oldest, range)) refusing.push(`${pkg.name}@${pkg.version} wants node ${range}`)
  }
  assert.deepEqual(refusing, [], `these print EBADENGINE on Node ${oldest}`)
})
