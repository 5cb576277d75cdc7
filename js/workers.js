// Vite bundles each web worker with `worker.plugins`, not with the app's plugins,
// so a wasm a worker imports would escape the plugin (and ship raw, through Vite's
// own wasm handling). The plugin adds a fresh instance of itself there.

/**
 * Wraps `config.worker.plugins` so worker bundles get `create()` after the user's own.
 * Mutates `config` (what Vite's `config` hook allows).
 * @param {import('vite').UserConfig} config
 * @param {() => import('vite').PluginOption} create
 */
export function addToWorkerBundles(config, create) {
  const worker = (config.worker ??= {})
  const user = worker.plugins
  const theirs = typeof user === 'function' ? user : () => user ?? []
  worker.plugins = (...args) => [theirs(...args), create()]
}

/**
 * True when `self` is not the first plugin of its name in a resolved plugin list:
 * the user listed it in `worker.plugins` too, and the first one does the work.
 * @param {readonly { name: string }[]} plugins
 * @param {{ name: string }} self
 */
export function isDuplicateInstance(plugins, self) {
  const first = plugins?.find((p) => p.name === self.name)
  return first != null && first !== self
}
