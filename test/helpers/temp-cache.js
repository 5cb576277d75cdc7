// Imported first by every test file (any of them may build with the plugin, some
// through an example's own vite.config.js): the plugin's default cache is
// the user's cache directory, and tests must never read or fill the real one. This
// points XDG_CACHE_HOME (and LOCALAPPDATA, on Windows) at a fresh temp directory for
// this process and the builds it spawns; it is removed on exit.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const TEMP_CACHE_HOME = mkdtempSync(path.join(os.tmpdir(), 'wasm-squeeze-cache-home-'))
process.env.XDG_CACHE_HOME = TEMP_CACHE_HOME
process.env.LOCALAPPDATA = TEMP_CACHE_HOME
process.on('exit', () => rmSync(TEMP_CACHE_HOME, { recursive: true, force: true }))
