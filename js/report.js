// The size table the plugin logs and the CLI prints. Pure formatting.

const UNITS = ['B', 'kB', 'MB', 'GB']

/** 1234 → "1.23 kB" (decimal units, as Vite prints sizes). */
export function formatBytes(bytes) {
  if (bytes == null) return '-'
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit += 1
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${UNITS[unit]}`
}

/** Percentage saved going from `before` to `after`, e.g. "-42.1%". */
export function formatSaving(before, after) {
  if (!before || after == null) return '-'
  const change = ((after - before) / before) * 100
  return `${change <= 0 ? '' : '+'}${change.toFixed(1)}%`
}

/** "-18.5% raw, -31.8% wire": the wire size is the smallest encoding emitted. */
function savedCell(row, formats) {
  const wire = Math.min(row.optimized, ...formats.map((f) => row[f] ?? Infinity))
  const note = row.note ? ` (${row.note})` : ''
  return `${formatSaving(row.raw, row.optimized)} raw, ${formatSaving(row.raw, wire)} wire${note}`
}

/** "3/3 hit": outputs served from the compression cache, of all produced. */
function cacheCell(cache) {
  return cache ? `${cache.hits}/${cache.hits + cache.misses} hit` : '-'
}

/**
 * @param {{ file: string, raw: number, optimized: number, br?: number, zst?: number, gz?: number, note?: string,
 *   cache?: { hits: number, misses: number } }[]} rows
 * @returns {string} an aligned table, one wasm per line
 */
export function formatTable(rows) {
  const formats = ['br', 'zst', 'gz'].filter((f) => rows.some((r) => r[f] != null))
  const cached = rows.some((r) => r.cache)
  const header = ['file', 'raw', 'optimized', ...formats, ...(cached ? ['cache'] : []), 'saved']
  const body = rows.map((r) => [
    r.file,
    formatBytes(r.raw),
    formatBytes(r.optimized),
    ...formats.map((f) => formatBytes(r[f])),
    ...(cached ? [cacheCell(r.cache)] : []),
    savedCell(r, formats),
  ])
  const table = [header, ...body]
  const widths = header.map((_, col) => Math.max(...table.map((row) => row[col].length)))
  return table
    .map((row) => row.map((cell, col) => (col === 0 || col === row.length - 1 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  ').trimEnd())
    .join('\n')
}
