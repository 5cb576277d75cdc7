// Builds test inputs from WebAssembly text with wabt, so no test relies on a binary
// blob without its source.
import wabtFactory from 'wabt'
import { uleb128 } from '../../scripts/build-wat.js'

const wabt = await wabtFactory()

/**
 * @param {string} text a module in the text format
 * @param {{ names?: boolean, custom?: Record<string, Uint8Array|string> }} [options]
 *   `names` writes a name section; `custom` appends custom sections.
 */
export function wat(text, { names = false, custom = {} } = {}) {
  const module = wabt.parseWat('test.wat', text, { multi_memory: true, bulk_memory: true })
  try {
    const { buffer } = module.toBinary({ write_debug_names: names })
    return Buffer.concat([Buffer.from(buffer), ...Object.entries(custom).map(([n, d]) => customSection(n, d))])
  } finally {
    module.destroy()
  }
}

/** A custom section (id 0) with the given name and payload. */
export function customSection(name, data) {
  const payload = Buffer.concat([Buffer.from(uleb128(Buffer.byteLength(name))), Buffer.from(name), Buffer.from(data)])
  return Buffer.concat([Buffer.from([0]), Buffer.from(uleb128(payload.length)), payload])
}

/** Names of the custom sections in a module, in order. */
export function customSectionNames(bytes) {
  const names = []
  let at = 8
  const readLeb = () => {
    let result = 0
    let shift = 0
    for (;;) {
      const byte = bytes[at++]
      result |= (byte & 0x7f) << shift
      if (!(byte & 0x80)) return result >>> 0
      shift += 7
    }
  }
  while (at < bytes.length) {
    const id = bytes[at++]
    const size = readLeb()
    const end = at + size
    if (id === 0) {
      const length = readLeb()
      names.push(Buffer.from(bytes.subarray(at, at + length)).toString('utf8'))
    }
    at = end
  }
  return names
}
