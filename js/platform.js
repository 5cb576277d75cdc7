// Which platform package holds this machine's addon, and, when it cannot be
// loaded, what exactly is missing: a clone that was never built, a tarball packed
// without its platform packages (a plain `npm pack`), no package for this
// os/cpu/libc, or a listed one that npm did not install.
import { readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

/** napi-rs's name for this machine's target (`linux-x64-gnu`, `darwin-arm64`, …). */
export function hostPlatformArchABI() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report?.getReport()?.header?.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/**
 * The message of `ERR_ADDON_MISSING`. Pure.
 * @param {{ manifest: { name: string, optionalDependencies?: Record<string, string> }, abi: string,
 *   fromClone: boolean, cause?: string }} facts what the package says of itself and where it runs
 */
export function missingAddonMessage({ manifest, abi, fromClone, cause }) {
  const wanted = `${manifest.name}-${abi}`
  const listed = Object.keys(manifest.optionalDependencies ?? {}).filter((name) => name.startsWith(`${manifest.name}-`))
  const why = cause ? ` (${cause})` : ''
  const head = `wasm-squeeze: the native addon for ${abi} could not be loaded: `
  if (fromClone) return `${head}this is a clone that has not been built; run \`npm run build\` (needs Rust).${why}`
  if (listed.length === 0) {
    return (
      `${head}this copy of the package was packed without its platform packages (no optionalDependencies), ` +
      'as a plain `npm pack` of a clone makes it. In the clone, `npm run pack` makes the installable pair ' +
      `(the main tarball and ${wanted}); install both.${why}`
    )
  }
  if (!listed.includes(wanted)) {
    return `${head}there is no platform package for this os/cpu/libc (${abi}); the prebuilt ones are ${listed.map((n) => n.slice(manifest.name.length + 1)).join(', ')}.${why}`
  }
  return (
    `${head}${wanted} is listed in optionalDependencies but was not installed: reinstall without ` +
    `\`--no-optional\`/\`--omit=optional\`, or with \`npm install ${wanted}\`.${why}`
  )
}

/**
 * The addon file `native/binding.cjs` would load, found without loading it (a warm
 * build then loads no native code): the one local build for this os/cpu, else the
 * one installed platform package. Null when that is not clear-cut (an override path,
 * several candidates): the caller then loads the addon and asks `require.cache`.
 * @param {{ name: string, optionalDependencies?: Record<string, string> }} manifest this package's package.json
 */
export function addonFileWithoutLoading(manifest) {
  if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) return null
  const target = `${process.platform}-${process.arch}` // the libc part, when there is one, is left open
  const nativeDir = fileURLToPath(new URL('../native/', import.meta.url))
  const local = readdirSync(nativeDir).filter((f) => f.startsWith(`${manifest.name}.${target}`) && f.endsWith('.node'))
  if (local.length > 0) return local.length === 1 ? path.join(nativeDir, local[0]) : null
  const installed = Object.keys(manifest.optionalDependencies ?? {})
    .filter((name) => name.startsWith(`${manifest.name}-${target}`))
    .flatMap((name) => {
      try {
        return [require.resolve(name)]
      } catch {
        return []
      }
    })
  return installed.length === 1 ? installed[0] : null
}
