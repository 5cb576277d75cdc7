// Imported *by the wasm*: checksum.wat declares `(import "./host.js" "trace" ...)`,
// and the ESM integration resolves that module name like any JS import.
export const traced = []

export function trace(checksum) {
  traced.push(checksum >>> 0)
}
