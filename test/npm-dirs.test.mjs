// The per-platform packages in npm/ are what `napi create-npm-dirs` generates from
// package.json; regenerate them into a temporary folder and fail on any drift.
import './helpers/temp-cache.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

function files(root, dir = root) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    return statSync(full).isDirectory() ? files(root, full) : [path.relative(root, full)]
  })
}

test('npm/ matches `napi create-npm-dirs` output', () => {
  // napi refuses to write outside the project, so regenerate under target/.
  mkdirSync('target', { recursive: true })
  const fresh = mkdtempSync(path.join('target', 'npm-dirs-'))
  execFileSync(process.execPath, ['node_modules/@napi-rs/cli/dist/cli.js', 'create-npm-dirs', '--npm-dir', fresh], {
    stdio: 'ignore',
  })
  const committed = files('npm').sort()
  assert.deepEqual(files(fresh).sort(), committed, 'the set of files differs: run `npm run npm-dirs` and commit')
  for (const file of committed) {
    assert.equal(readFileSync(path.join('npm', file), 'utf8'), readFileSync(path.join(fresh, file), 'utf8'), `npm/${file} drifted: run \`npm run npm-dirs\` and commit`)
  }
})
