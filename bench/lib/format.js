// Formatting numbers and markdown tables for the bench reports.

/** 1234567 → "1.18 MiB"; exact bytes below 1 KiB. */
export function formatBytes(bytes) {
  if (bytes == null) return '—'
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`
}

/** 0.8123 → "0.812". */
export function formatRatio(ratio, digits = 3) {
  return ratio == null || !Number.isFinite(ratio) ? '—' : ratio.toFixed(digits)
}

/** 0.8123 → "−18.8%" (change relative to 1), with `digits` decimals. */
export function formatChange(ratio, digits = 1) {
  if (ratio == null || !Number.isFinite(ratio)) return '—'
  const pct = (ratio - 1) * 100
  if (Math.abs(pct) < 0.5 * 10 ** -digits) return `${(0).toFixed(digits)}%`
  return `${pct > 0 ? '+' : '−'}${Math.abs(pct).toFixed(digits)}%`
}

/** `part` as a percentage of `whole`: 12, 1000 → "1.20%". */
export function formatPercent(part, whole, digits = 2) {
  return whole ? `${((part / whole) * 100).toFixed(digits)}%` : '—'
}

/** Milliseconds, with fewer decimals as they grow. */
export function formatMs(ms) {
  if (ms == null) return '—'
  if (ms < 10) return `${ms.toFixed(2)} ms`
  if (ms < 1000) return `${ms.toFixed(0)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

/** `a / b`, or null when either is missing or b is 0. */
export function ratio(a, b) {
  return a == null || b == null || b === 0 ? null : a / b
}

/**
 * A markdown table. `columns` are `{ title, align?: 'left'|'right' }`, `rows`
 * arrays of cell strings (already formatted). Cells are padded so the table
 * also reads well as plain text.
 */
export function markdownTable(columns, rows) {
  const escape = (cell) => String(cell ?? '').replaceAll('|', '\\|')
  const cells = [columns.map((c) => c.title), ...rows].map((row) => row.map(escape))
  const widths = columns.map((_, i) => Math.max(3, ...cells.map((row) => row[i].length)))
  const pad = (text, i) => (columns[i].align === 'left' ? text.padEnd(widths[i]) : text.padStart(widths[i]))
  const line = (row) => `| ${row.map(pad).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (columns[i].align === 'left' ? ` :${'-'.repeat(w - 1)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n')
}
