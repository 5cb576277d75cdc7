import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * A middleware for node:http, connect and express serving a built directory: the
 * files, their `.br`/`.zst`/`.gz` siblings, the wasm deltas (`dcb`/`dcz`) by
 * `Available-Dictionary`, HEAD and byte ranges, with `Use-As-Dictionary`, `Vary`
 * and cache headers. Without `next`, what it does not serve gets a 404.
 */
export function serveDist(
  dir: string,
  options?: { base?: string },
): (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => Promise<void>
