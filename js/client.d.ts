// Module declarations for `.wasm` imports. Add `"types": ["wasm-squeeze/client"]` to
// tsconfig's compilerOptions (or `/// <reference types="wasm-squeeze/client" />`).

declare module '*.wasm?init' {
  /** Instantiates the module with the given imports. */
  const init: (imports?: WebAssembly.Imports) => Promise<WebAssembly.Instance>
  export default init
}

declare module '*.wasm?url' {
  /** URL of the emitted, optimized wasm. */
  const url: string
  export default url
}
