// Node 20 has no zstd in zlib: decode with the zstd CLI, refusing windows over
// 8 MiB as browsers do. A missing CLI fails the test with a clear message.
import { execFileSync } from 'node:child_process'

export function unzstd(bytes) {
  try {
    return execFileSync('zstd', ['-d', '-c', '-q', '--memory=8MB'], { input: bytes, maxBuffer: 1 << 30 })
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error('the `zstd` CLI is needed to check .zst output: apt-get install zstd')
    throw err
  }
}
