// The size table the plugin logs and the CLI prints, and the one-line account of
// what the optimizer did to each file. Pure formatting.

import { FORMATS } from './compress/formats.js'

/**
 * One row of the size table and of the JSON report, shaped once (js/compress/bundle.js).
 * @typedef {{ kind?: 'wasm'|'asset', source: string, sources?: string[], emitted?: string, raw: number,
 *   optimized: number, br?: number, zst?: number, gz?: number, skipped?: object, note?: string,
 *   cache?: { hits: number, misses: number }, what?: string, steps?: Step[] }} Row
 * @typedef {{ pass: string, status: 'applied'|'unchanged'|'skipped', detail: string, bytesSaved: number }} Step
 * @typedef {{ name: string, bytes: number }} Section
 */

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
  return `${formatSaving(row.raw, row.optimized)} raw, ${formatSaving(row.raw, wire)} wire`
}

/** Dropped custom sections by what a reader calls them: every `.debug_*` is DWARF. */
function strippedKinds(sections) {
  if (!sections) return ''
  const after = new Set(sections.after.map((s) => s.name))
  const kinds = new Map()
  for (const { name, bytes } of sections.before) {
    if (!name.startsWith('custom:') || after.has(name)) continue
    const custom = name.slice('custom:'.length)
    const kind = custom.startsWith('.debug_') ? 'DWARF' : custom === 'name' ? 'names' : custom
    kinds.set(kind, (kinds.get(kind) ?? 0) + bytes)
  }
  return [...kinds].sort((a, b) => b[1] - a[1]).map(([kind, bytes]) => `${formatBytes(bytes)} of ${kind}`).join(', ')
}

const shorten = (text, max = 90) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** What one applied step did, in a few words. */
function appliedPhrase(step, row) {
  switch (step.pass) {
    case 'strip':
      return `stripped ${strippedKinds(row.sections) || formatBytes(step.bytesSaved)}`
    case 'remove-unused':
      return step.detail.replace(/^removed (\d+) /, 'removed $1 unused ')
    case 'pack-data':
      return `packed data (-${formatBytes(step.bytesSaved)})`
    case 'passive-data':
      return /sidecar/.test(step.detail) ? 'data moved to a sidecar' : 'data made passive'
    case 'align-to-previous':
      return 'aligned to the previous deploy'
    case 'never-worse':
      return null // it refused the result: `keptOriginal`, said below
    default:
      return `${step.pass} applied`
  }
}

/**
 * "stripped 490 kB of DWARF, removed 29 unused functions", "already minimal", or
 * why nothing happened: one short cell per file, from transform's steps.
 * @param {{ kind?: string, note?: string, steps?: Step[], sections?: { before: Section[], after: Section[] } }} row
 */
export function whatHappened(row) {
  if (row.note) return row.note
  if (!row.steps) return row.kind === 'asset' ? 'compressed only' : 'not optimized (optimize: false)'
  const refused = row.steps.find((s) => s.pass === 'never-worse' && s.status === 'applied')
  if (refused) return shorten(`kept the original: ${refused.detail.replace(/^returned the input unchanged: /, '')}`)
  const applied = row.steps.filter((s) => s.status === 'applied').map((s) => appliedPhrase(s, row)).filter(Boolean)
  if (applied.length > 0) return applied.join(', ')
  const skipped = row.steps.find((s) => s.status === 'skipped')
  return skipped ? shorten(`unchanged: ${skipped.pass} skipped, ${skipped.detail}`) : 'already minimal'
}

/** "3/3 hit": outputs served from the compression cache, of all produced. */
function cacheCell(cache) {
  return cache ? `${cache.hits}/${cache.hits + cache.misses} hit` : '-'
}

/**
 * @param {Row[]} rows
 * @returns {string} an aligned table, one file per line and, for several, a total
 */
export function formatTable(rows) {
  const formats = FORMATS.map((f) => f.id).filter((f) => rows.some((r) => r[f] != null))
  const cached = rows.some((r) => r.cache)
  const header = ['file', 'raw', 'optimized', ...formats, ...(cached ? ['cache'] : []), 'saved', 'what happened']
  const line = (r, file, what) => [
    file,
    formatBytes(r.raw),
    formatBytes(r.optimized),
    ...formats.map((f) => formatBytes(r[f])),
    ...(cached ? [cacheCell(r.cache)] : []),
    savedCell(r, formats),
    what,
  ]
  const body = rows.map((r) => line(r, nameCell(r), r.what ?? ''))
  if (rows.length > 1) body.push(line(totalOf(rows, formats), `total (${rows.length} files)`, ''))
  const table = [header, ...body]
  const widths = header.map((_, col) => Math.max(...table.map((row) => row[col].length)))
  const left = new Set([0, header.length - 2, header.length - 1])
  return table
    .map((row) => row.map((cell, col) => (left.has(col) ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  ').trimEnd())
    .join('\n')
}

/** A source as the tables show it: a dependency's from `node_modules/` on, wherever that folder is. */
export function displaySource(source) {
  const at = source.lastIndexOf('node_modules/')
  return at > 0 ? source.slice(at) : source
}

/** The source, and how many byte-identical others share its asset. */
function nameCell(row) {
  const name = displaySource(row.source)
  const others = (row.sources?.length ?? 1) - 1
  return others > 0 ? `${name} (+${others} identical)` : name
}

/** A row summing `rows`; a format's total counts each file's smallest bytes where it has no sibling. */
function totalOf(rows, formats) {
  const sum = (pick) => rows.reduce((n, r) => n + pick(r), 0)
  const total = { raw: sum((r) => r.raw), optimized: sum((r) => r.optimized) }
  for (const f of formats) total[f] = sum((r) => r[f] ?? r.optimized)
  if (rows.some((r) => r.cache)) total.cache = { hits: sum((r) => r.cache?.hits ?? 0), misses: sum((r) => r.cache?.misses ?? 0) }
  return total
}
