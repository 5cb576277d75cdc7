// `?init`: we instantiate it ourselves and get a WebAssembly.Instance back.
import initMath from './wasm/math.wasm?init'
// `?url`: the URL of the emitted (optimized) file.
import mathUrl from './wasm/math.wasm?url'
// Plain import: ESM integration, the module's exports as named exports.
import { adler32, memory } from './wasm/checksum.wasm'
import { traced } from './wasm/host.js'

const { exports: math } = await initMath()

const greetingBytes = new Uint8Array(math.memory.buffer, math.greeting(), math.greeting_len())
const greeting = new TextDecoder().decode(greetingBytes)

// Copy the greeting into checksum.wasm's memory and checksum it there.
new Uint8Array(memory.buffer).set(greetingBytes, 0)
const checksum = adler32(0, greetingBytes.length) >>> 0

const result = {
  greeting,
  add: math.add(40, 2),
  fib: Array.from({ length: 16 }, (_, n) => math.fib(n)),
  fib46: math.fib(46),
  checksum,
  traced,
  mathUrl,
}

document.querySelector('#greeting').textContent = greeting
document.querySelector('#sum').textContent = `add(40, 2) = ${result.add}`
document.querySelector('#fib').textContent = `fib(0..15) = ${result.fib.join(', ')}`
document.querySelector('#checksum').textContent = `adler32(greeting) = 0x${checksum.toString(16).padStart(8, '0')}`
document.querySelector('#result').textContent = JSON.stringify(result, null, 2)
document.body.dataset.ready = '1'

// What each .wasm cost on the wire versus its decoded size (Resource Timing;
// entries can land a moment after the fetch resolves, hence the observer).
const wire = []
new PerformanceObserver((entries) => {
  for (const entry of entries.getEntries()) {
    const file = new URL(entry.name).pathname.split('/').pop()
    if (entry.initiatorType !== 'fetch' || !file.endsWith('.wasm')) continue
    wire.push(`${file}: ${entry.encodedBodySize} B on the wire, ${entry.decodedBodySize} B decoded`)
  }
  document.querySelector('#wire').textContent = wire.join('\n')
}).observe({ type: 'resource', buffered: true })
