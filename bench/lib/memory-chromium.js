// One Chromium measurement for bench/memory.js: a fresh headless browser opens a
// page that loads the module with the plugin's own browser loader (js/glue.js
// runtimeCode: fetch + instantiateStreaming, sidecar fetched in parallel). The
// renderer processes' RSS is read from /proc before and after (with gc()), and
// polled as fast as /proc allows while loading; VmHWM gives the exact peak.
import { readFileSync, readdirSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS, chromiumPath } from '../../test/helpers/browser.js'

const ARGS = [...CHROMIUM_ARGS, '--js-flags=--expose-gc']

function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return 0
  }
}

/** Renderer processes descending from the browser process. */
function renderers(browserPid) {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let cmdline
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
    } catch {
      continue
    }
    if (!cmdline.includes('--type=renderer')) continue
    for (let pid = Number(entry); pid > 1; pid = parentOf(pid)) {
      if (pid === browserPid) {
        found.push(Number(entry))
        break
      }
    }
  }
  return found
}

function status(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

const sum = (pids, field) => pids.reduce((total, pid) => total + status(pid, field), 0)

/**
 * @param {string} pageUrl a page defining `window.load()`, resolving to `{ probe, ms }`
 */
export async function measureChromium(pageUrl) {
  const server = await chromium.launchServer({ executablePath: await chromiumPath(), headless: true, args: ARGS })
  const browser = await chromium.connect(server.wsEndpoint())
  try {
    const browserPid = server.process().pid
    const page = await browser.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
    await page.goto(pageUrl)
    await page.waitForLoadState('load')
    if (errors.length) throw new Error(`${pageUrl}: ${errors.join('; ')}`)
    await page.waitForFunction(() => typeof window.load === 'function')
    await page.evaluate(() => {
      gc()
      gc()
    })
    await new Promise((r) => setTimeout(r, 300))
    const pids = renderers(browserPid)
    const base = sum(pids, 'VmRSS')
    let polled = base
    let loading = true
    const poll = (async () => {
      while (loading) {
        polled = Math.max(polled, sum(pids, 'VmRSS'))
        await new Promise((r) => setImmediate(r))
      }
    })()
    const { probe, ms: instantiateMs } = await page.evaluate(() => window.load())
    loading = false
    await poll
    await page.evaluate(async () => {
      for (let i = 0; i < 3; i++) {
        gc()
        await new Promise((r) => setTimeout(r, 50))
      }
    })
    await new Promise((r) => setTimeout(r, 300))
    const steady = sum(pids, 'VmRSS') - base
    const peakHwm = sum(pids, 'VmHWM') - base
    return { steady, peak: Math.max(peakHwm, polled - base), polledPeak: polled - base, instantiateMs, probe, renderers: pids.length }
  } finally {
    await browser.close()
    await server.close()
  }
}
