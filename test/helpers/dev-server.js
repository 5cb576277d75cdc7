// A real Vite dev server on a free port for one callback, always closed after.

/**
 * @template T
 * @param {(config: object) => Promise<import('vite').ViteDevServer>} createServer Vite 8's or Vite 7's
 * @param {import('vite').InlineConfig} config
 * @param {(url: string, server: import('vite').ViteDevServer) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withDevServer(createServer, config, fn) {
  const server = await createServer({
    configFile: false,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false, ws: { host: '127.0.0.1' } },
    ...config,
  })
  await server.listen()
  try {
    return await fn(server.resolvedUrls.local[0], server)
  } finally {
    await server.close()
  }
}
