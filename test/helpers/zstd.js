// Node 20 has no zstd in zlib. Decode with fzstd, an independent pure-JS decoder
// (a better check of our libzstd output than libzstd itself), after checking the
// frame asks for no more than the 8 MiB window browsers accept.
import { decompress } from 'fzstd'

export const BROWSER_MAX_WINDOW = 8 << 20

/** The window size a zstd frame header asks the decoder for. */
export function zstdWindowSize(frame) {
  const descriptor = frame[4]
  const fcsFlag = descriptor >> 6
  const singleSegment = (descriptor & 0x20) !== 0
  if (!singleSegment) {
    const exponent = frame[5] >> 3
    const base = 2 ** (10 + exponent)
    return base + (base / 8) * (frame[5] & 7)
  }
  // Single segment: the window is the content size that follows the descriptor
  // (and the dictionary id, if any).
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3]
  const size = [1, 2, 4, 8][fcsFlag]
  const at = 5 + dictionaryBytes
  let value = 0
  for (let i = size - 1; i >= 0; i--) value = value * 256 + frame[at + i]
  return size === 2 ? value + 256 : value
}

/** Decodes a zstd frame as a browser would: refuses windows over 8 MiB. */
export function unzstd(bytes) {
  const window = zstdWindowSize(bytes)
  if (window > BROWSER_MAX_WINDOW) throw new Error(`zstd frame asks for a ${window}-byte window; browsers accept at most 8 MiB`)
  return Buffer.from(decompress(bytes))
}
