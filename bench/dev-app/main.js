// The app bench/dev.js starts `vite` on: four wasm packages that pre-bundling
// breaks (bundler target, older circular glue, web target ×2), each called once.
import { parse } from '@jsona/openapi'
import * as RAPIER from '@dimforge/rapier3d'
import { decode, encode } from '@jsquash/png'
import brotliPromise from 'brotli-wasm'

const brotli = await brotliPromise
const png = await encode(new ImageData(new Uint8ClampedArray([1, 2, 3, 255]), 1, 1))
const result = {
  openapi: parse('{}') !== undefined,
  rapier: new RAPIER.World({ x: 0, y: -9.81, z: 0 }) !== undefined,
  png: [...(await decode(png)).data],
  brotli: brotli.decompress(brotli.compress(new Uint8Array([7, 7, 7]))).length,
}
document.querySelector('#result').textContent = JSON.stringify(result)
document.body.dataset.ready = '1'
