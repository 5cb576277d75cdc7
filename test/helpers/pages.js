// What the one-Chromium test files share: a browser and a temp dir for the whole
// file, and a page that reports `data-ready` or `data-error` with its `#result` JSON.
import assert from 'node:assert/strict'
import { after, before } from 'node:test'
import { launchBrowser } from './browser.js'
import { tempDir } from './example.js'

/**
 * Registers `before`/`after` hooks; the returned object's `browser` and `tmp` are
 * set once `before` ran. `setup` runs first (say, compiling fixture wasm).
 * @param {string} prefix temp dir prefix
 * @param {() => Promise<void>} [setup]
 */
export function sharedBrowserAndTempDir(prefix, setup) {
  const shared = { browser: null, tmp: null }
  before(async () => {
    await setup?.()
    shared.browser = await launchBrowser()
    shared.tmp = await tempDir(prefix)
  })
  after(async () => {
    await shared.browser?.close()
    await shared.tmp?.remove()
  })
  return shared
}

/** Loads `url`, waits for the page to say it is done, asserts it failed nowhere, returns `#result`'s JSON. */
export function readyResult(browser, url, { timeout = 20_000 } = {}) {
  return browser.withPage(async (page, log) => {
    await page.goto(url)
    await page.waitForFunction(() => document.body.dataset.ready === '1' || document.body.dataset.error, null, { timeout })
    const error = await page.evaluate(() => document.body.dataset.error)
    assert.equal(error, undefined, `the page failed: ${error}\n${log.errors.join('\n')}`)
    assert.deepEqual(log.errors, [])
    return JSON.parse(await page.textContent('#result'))
  })
}
