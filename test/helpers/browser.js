// Runs a callback against a page in a real headless Chromium driven by
// playwright-core, and always cleans up: the browser is closed and its throwaway
// profile directory removed. Debian's /usr/bin/chromium is used when present (CI
// installs it); otherwise the Chromium shipped inside the @sparticuz/chromium npm
// package, so `npm test` works on a machine with only Rust and Node.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'

const SYSTEM_CHROMIUM = '/usr/bin/chromium'

/** The Chromium binary to drive: CHROMIUM_PATH, Debian's, or the npm-shipped one. */
export async function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM
  if (process.platform === 'linux') {
    const { default: packaged } = await import('@sparticuz/chromium')
    return packaged.executablePath()
  }
  return SYSTEM_CHROMIUM
}

/** Flags this machine's Chromium needs (closed network, root, no GPU). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** The Chromium path; throws when there is none (browser tests never skip). */
async function requiredChromium() {
  const executablePath = await chromiumPath()
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: the browser tests need a real Chromium ` +
        '(Debian: `apt-get install chromium`, or set CHROMIUM_PATH). Refusing to skip.',
    )
  }
  return executablePath
}

/**
 * One Chromium for many pages: `withPage(fn)` runs each in a fresh context (no
 * shared cache or storage), `close()` ends the browser.
 */
export async function launchBrowser() {
  const executablePath = await requiredChromium()
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })
  return {
    /** @type {typeof withPage} */
    async withPage(fn) {
      const context = await browser.newContext()
      try {
        const page = await context.newPage()
        return await fn(page, recordLog(page))
      } finally {
        await context.close().catch(() => {})
      }
    },
    close: () => browser.close(),
  }
}

/** Records a page's console errors, uncaught errors and failed requests. */
function recordLog(page) {
  const log = { errors: [], messages: [] }
  page.on('console', (message) => {
    const line = `[console.${message.type()}] ${message.text()}`
    log.messages.push(line)
    if (message.type() === 'error') log.errors.push(line)
  })
  page.on('pageerror', (error) => log.errors.push(`[pageerror] ${error.stack ?? error.message}`))
  page.on('requestfailed', (request) =>
    log.errors.push(`[requestfailed] ${request.url()}: ${request.failure()?.errorText ?? 'failed'}`),
  )
  return log
}

/**
 * @template T
 * @param {(page: import('playwright-core').Page, log: { errors: string[], messages: string[] }) => Promise<T>} fn
 *   `log.errors` collects console errors, uncaught page errors and failed
 *   requests; `log.messages` every console message.
 * @returns {Promise<T>}
 */
export async function withPage(fn) {
  const executablePath = await requiredChromium()
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'wasm-squeeze-chromium-'))
  let context
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
    })
    const page = context.pages()[0] ?? (await context.newPage())
    return await fn(page, recordLog(page))
  } finally {
    await context?.close().catch(() => {})
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 })
  }
}
