// The published types, as a user's TypeScript sees them: the package is linked
// into a temporary project's node_modules, and the plugin's options and the
// `*.wasm?init` / `*.wasm?url` declarations must type-check for Vite 8, Vite 7
// and Rollup 4 configs, while wrong options and wrong uses must not.
import './helpers/temp-cache.js'
import assert from 'node:assert/strict'
import { copyFile, mkdir, readFile, symlink } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import ts from 'typescript'
import { REPO, tempDir } from './helpers/example.js'
import { FIXTURES } from './helpers/fixtures.js'

const OPTIONS = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
}

test('options and wasm module declarations type-check as users see them', async (t) => {
  const project = await tempDir('types')
  t.after(project.remove)
  const modules = path.join(project.dir, 'node_modules')
  await mkdir(modules)
  await symlink(REPO, path.join(modules, 'wasm-squeeze'), 'dir')
  for (const dep of ['vite', 'vite7', 'rollup']) await symlink(path.join(REPO, 'node_modules', dep), path.join(modules, dep), 'dir')
  for (const file of ['usage.ts', 'errors.ts', 'with-vite-client.ts']) await copyFile(path.join(FIXTURES, 'types', file), path.join(project.dir, file))

  const program = ts.createProgram(['usage.ts', 'errors.ts', 'with-vite-client.ts'].map((f) => path.join(project.dir, f)), OPTIONS)
  const format = (d) => `${path.basename(d.file?.fileName ?? '')}:${d.file ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : '?'} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
  const diagnostics = ts.getPreEmitDiagnostics(program)
  const inUsage = diagnostics.filter((d) => !d.file || !d.file.fileName.endsWith('errors.ts'))
  assert.deepEqual(inUsage.map(format), [], 'correct usage type-checks, also next to vite/client')

  // Every line of errors.ts after its imports is one mistake, and each must be caught.
  const errorsSource = await readFile(path.join(FIXTURES, 'types/errors.ts'), 'utf8')
  const wrongLines = errorsSource.split('\n').flatMap((line, i) => (/^(wasmSqueeze|const)/.test(line) ? [i + 1] : []))
  const caught = diagnostics.filter((d) => d.file?.fileName.endsWith('errors.ts')).map((d) => d.file.getLineAndCharacterOfPosition(d.start).line + 1)
  assert.equal(wrongLines.length, 6)
  assert.deepEqual([...new Set(caught)].sort((a, b) => a - b), wrongLines, 'each wrong line is an error')
})
