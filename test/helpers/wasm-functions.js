// Reads a module's code section by hand (an independent reader, not the core's):
// for each defined function, where its body and its first instruction sit, as
// offsets from the start of the code section's contents, which is what DWARF and
// llvm-symbolizer call a wasm address.

/** An unsigned LEB128 at `at`: `[value, offset after it]`. */
export function readLeb(bytes, at) {
  let value = 0
  let shift = 0
  for (;;) {
    const byte = bytes[at++]
    value += (byte & 0x7f) * 2 ** shift
    shift += 7
    if (byte < 0x80) return [value, at]
  }
}

/** The sections as `{ id, name, start, end }` (start: first content byte). */
export function sections(bytes) {
  const out = []
  let at = 8
  while (at < bytes.length) {
    const id = bytes[at]
    const [size, start] = readLeb(bytes, at + 1)
    let name
    if (id === 0) {
      const [length, from] = readLeb(bytes, start)
      name = Buffer.from(bytes.subarray(from, from + length)).toString('utf8')
    }
    out.push({ id, name, start, end: start + size })
    at = start + size
  }
  return out
}

const REF_TYPES = new Set([0x63, 0x64]) // (ref null ht), (ref ht): a heap type follows

/** `[{ body, firstInstruction, bytes }]` per defined function, in index order. */
export function functions(bytes) {
  const code = sections(bytes).find((s) => s.id === 10)
  if (!code) return []
  const [count, first] = readLeb(bytes, code.start)
  const out = []
  let at = first
  for (let i = 0; i < count; i++) {
    const [size, bodyStart] = readLeb(bytes, at)
    let [groups, cursor] = readLeb(bytes, bodyStart)
    for (let g = 0; g < groups; g++) {
      ;[, cursor] = readLeb(bytes, cursor)
      const type = bytes[cursor++]
      if (REF_TYPES.has(type)) [, cursor] = readLeb(bytes, cursor)
    }
    out.push({ body: at - code.start, firstInstruction: cursor - code.start, bytes: bytes.subarray(bodyStart, bodyStart + size) })
    at = bodyStart + size
  }
  return out
}

/** Function index → name from the `name` section (subsection 1). */
export function functionNames(bytes) {
  const section = sections(bytes).find((s) => s.id === 0 && s.name === 'name')
  const names = new Map()
  if (!section) return names
  let [length, at] = readLeb(bytes, section.start)
  at += length
  while (at < section.end) {
    const kind = bytes[at]
    const [size, start] = readLeb(bytes, at + 1)
    if (kind === 1) {
      let [count, cursor] = readLeb(bytes, start)
      for (let i = 0; i < count; i++) {
        let index
        ;[index, cursor] = readLeb(bytes, cursor)
        ;[length, cursor] = readLeb(bytes, cursor)
        names.set(index, Buffer.from(bytes.subarray(cursor, cursor + length)).toString('utf8'))
        cursor += length
      }
    }
    at = start + size
  }
  return names
}

/** The payload of custom section `name` without its LEB128 length prefix, or undefined. */
export function customVector(bytes, name) {
  const section = sections(bytes).find((s) => s.id === 0 && s.name === name)
  if (!section) return undefined
  const [nameLength, afterName] = readLeb(bytes, section.start)
  const [length, from] = readLeb(bytes, afterName + nameLength)
  return Buffer.from(bytes.subarray(from, from + length))
}

/** How many functions the module imports (their indices come before the defined ones). */
export function importedFunctionCount(bytes) {
  const section = sections(bytes).find((s) => s.id === 2)
  if (!section) return 0
  let [count, at] = readLeb(bytes, section.start)
  let funcs = 0
  for (let i = 0; i < count; i++) {
    for (let s = 0; s < 2; s++) {
      const [length, from] = readLeb(bytes, at)
      at = from + length
    }
    const kind = bytes[at++]
    if (kind === 0) {
      funcs++
      ;[, at] = readLeb(bytes, at)
    } else if (kind === 1) {
      at++ // reftype
      at = skipLimits(bytes, at)
    } else if (kind === 2) at = skipLimits(bytes, at)
    else if (kind === 3) {
      const type = bytes[at++]
      if (REF_TYPES.has(type)) [, at] = readLeb(bytes, at)
      at++ // mutability
    } else if (kind === 4) [, at] = readLeb(bytes, at + 1)
  }
  return funcs
}

function skipLimits(bytes, at) {
  const flags = bytes[at++]
  ;[, at] = readLeb(bytes, at)
  if (flags & 1) [, at] = readLeb(bytes, at)
  return at
}
