// A tiny, independent look at a module's section list (no dependency on the
// code under test), used to check which custom sections an optimizer kept.

const SECTION_NAMES = [
  'custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export',
  'start', 'element', 'code', 'data', 'datacount', 'tag',
]

/** Custom sections a module cannot lose: Emscripten dynamic linking metadata. */
export const REQUIRED_CUSTOM_SECTIONS = ['dylink.0', 'dylink']

function readLeb(bytes, offset) {
  let value = 0
  let shift = 0
  let byte
  do {
    if (offset >= bytes.length) throw new Error('truncated LEB128')
    byte = bytes[offset++]
    value += (byte & 0x7f) * 2 ** shift
    shift += 7
  } while (byte & 0x80)
  return { value, offset }
}

/** `[{ id, name, bytes }]` for each section; `name` is the custom section's own name. */
export function listSections(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a wasm module')
  }
  const sections = []
  let offset = 8
  while (offset < bytes.length) {
    const id = bytes[offset]
    const size = readLeb(bytes, offset + 1)
    const end = size.offset + size.value
    let name = SECTION_NAMES[id] ?? `unknown-${id}`
    if (id === 0) {
      const len = readLeb(bytes, size.offset)
      name = Buffer.from(bytes.subarray(len.offset, len.offset + len.value)).toString('utf8')
    }
    sections.push({ id, name, bytes: end - offset })
    offset = end
  }
  return sections
}

/** Names of the custom sections of a module. */
export function customSectionNames(bytes) {
  return listSections(bytes)
    .filter((s) => s.id === 0)
    .map((s) => s.name)
}

/** Required custom sections of `input` that `output` lacks. */
export function droppedRequiredSections(input, output) {
  const kept = new Set(customSectionNames(output))
  return customSectionNames(input).filter((name) => REQUIRED_CUSTOM_SECTIONS.includes(name) && !kept.has(name))
}
