//! pack-data: rewrite the active data segments as fewer or tighter ones, and keep the
//! new layout only when the module compresses smaller.
//!
//! Why: Go's linker writes one segment per run of non-zero bytes (esbuild.wasm has
//! 98,450 of them). Every header carries a different offset, which compresses badly,
//! while a gap written out as zeros compresses to almost nothing.
//!
//! How: a memory starts zeroed, so only the non-zero bytes the segments write matter.
//! The pass finds each memory's runs of non-zero bytes and joins runs whose gap is at
//! most `max_gap` bytes into one segment, writing the gap as zeros. That one knob
//! both merges (near segments become one) and trims (leading and trailing zeros go,
//! and an interior zero run longer than `max_gap` splits a segment). Runs of
//! different memories are never joined. Each `max_gap` in `GAP_THRESHOLDS` gives a
//! candidate layout.
//!
//! The rule. Each candidate's data section is compressed with the proxy codec, zstd
//! level 1 (`proxy_size`). With `saved = proxy(old) - proxy(new)` and
//! `grown = raw(new) - raw(old)`, both over the data section, a candidate is kept
//! only if
//!   `saved >= raw(module) * 5 / 10000` (0.05% of the whole module: below that,
//!   brotli 11's own noise decides) and `grown <= 0` by default: the module never
//!   grows raw. With `allow_raw_growth`, `grown <= 8 * saved` (a byte on the wire
//!   costs more than 8 raw bytes, which cost only decompression and the engine
//!   keeping the bytes).
//! Of those, the layouts within 0.5% of the smallest proxy size count as equal, and
//! the one with the smallest gap wins: zstd cannot rank near-ties the way
//! brotli 11 does, and a smaller gap grows the module less. (Taking the smallest
//! proxy size outright, with the threshold at 0.5% of the data's proxy size,
//! picked gap 256 for vscode-oniguruma: −0.8% zstd 19 but +0.55% brotli 11;
//! gap 16 is −1.05% brotli 11.) Measured against brotli 11, gzip 9 and zstd 19 of
//! every candidate of the 22 modules in `bench/corpus`, with raw growth this rule
//! never made a module bigger under any of the three (at worst −0.11% brotli 11)
//! and saved 1.57% brotli 11 over the five modules with thousands of segments
//! (esbuild −4.6%, brotli-wasm −5.1%). zstd 1 is the proxy because it ranks as
//! well at half the time of zstd 3 (the same rule on zstd 3: −1.52%, at worst
//! −0.16%); brotli 1 ranked worse (−1.44%), brotli 5 no better at 15× the time.
//! If none qualifies the module comes back unchanged.
//! Without raw growth the pass rarely finds a win, and cannot find a big one:
//! the largest gap that keeps the data section from growing is 7 bytes for both
//! esbuild.wasm (−0.02% brotli 11 on its data section, against −2.8% for gaps up to
//! 16 bytes at +35 KB raw and −11.5% for gaps up to 32 at +0.94 MB) and brotli-wasm
//! (where every gap is at least 8 bytes, so nothing merges raw-neutrally).
//!
//! Assumes, per memory that has active segments:
//! - it starts zeroed: it is defined by the module, or imported with
//!   `zero_filled_memory` set (and not shared: every instance re-applies its active
//!   segments to a shared memory that is already live, so zero gaps would clobber it);
//! - every offset is a plain `i32.const`/`i64.const`;
//! - no two segments overlap (then the order they are applied in does not matter);
//! - every segment ends within the memory's declared minimum size. Then no segment
//!   can trap, before or after, whatever memory an importer passes, and instantiation
//!   fails or succeeds exactly as before; there are no partial writes to preserve.
//!
//! Data segment indices change, so it also requires: no passive segment, no code
//! that names a segment (`memory.init`, `data.drop`, `array.new_data`,
//! `array.init_data`; only looked for when a DataCount section exists, since
//! validation requires one for them), and no `linking`/`reloc.*` sections (an object
//! file, not a linked module). The DataCount section is rewritten to the new count,
//! and data segment names (subsection 9 of the `name` section) are dropped.
//! Output never has more than `MAX_SEGMENTS` segments.
//!
//! Bails out (skipped, with the reason) when any assumption fails, for any memory:
//! all or nothing, so no reordering across memories needs a separate argument.
//! Cost: one read of the import, memory and data sections (plus of the code, in
//! parallel, when DataCount exists and a layout would be applied: no need to read
//! it otherwise), one scan of the data bytes, and one proxy compression of the
//! input's data section and of each distinct candidate the raw rule allows (about
//! 15 ms each for esbuild's 4 MB of data), candidates compressed in parallel.
//! One pass over the runs gives every layout's segment count and payload, hence
//! a lower bound on its raw size; each layout's raw size is computed before it
//! is built, and only for layouts that bound does not already rule out. So with
//! the default (no raw growth) most are turned down without compressing
//! anything. The rest must pass a bound first: a layout cannot save more than
//! the header bytes and zeros it drops (`most_saved`); when that is under the
//! saving the rule asks for, the layout is not compressed. tiktoken's one
//! raw-neutral layout, 7 bytes smaller over 4.9 MB of data, is turned down this
//! way in milliseconds instead of 20.

use super::PassResult;
use crate::error::{Error, Result};
use crate::module::{self, CODE_SECTION, DATA_COUNT_SECTION, DATA_SECTION, IMPORT_SECTION, MEMORY_SECTION};
use crate::options::Options;
use crate::report::{Step, StepStatus};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;
use wasm_encoder::{ConstExpr, DataCountSection, DataSection};
use wasmparser::{
    CodeSectionReader, DataKind, DataSectionReader, ImportSectionReader, MemorySectionReader, MemoryType,
    Operator, TypeRef,
};

pub const PASS: &str = "pack-data";

/// V8 refuses modules with more data segments than this (kV8MaxWasmDataSegments).
pub const MAX_SEGMENTS: usize = 100_000;

/// The largest gap (in bytes) written as zeros, one candidate layout each. A
/// segment header costs about 7–9 bytes raw, so gaps below that shrink the module
/// raw too; bigger gaps trade raw bytes for fewer headers, which usually pays once
/// compressed (with `allow_raw_growth`).
pub const GAP_THRESHOLDS: &[u64] = &[0, 2, 4, 6, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/// How many raw bytes one byte saved by the proxy codec may cost with
/// `allow_raw_growth` (see the rule); none without it.
/// Go modules need about 7: esbuild.wasm grows 0.97 MB raw to save 126 KB brotli 11.
pub const RAW_BYTES_PER_PROXY_BYTE: u64 = 8;

/// The least proxy saving that counts as a win, in ten-thousandths of the whole
/// module's raw size (0.05%).
pub const MIN_SAVING_PER_10K_MODULE_BYTES: u64 = 5;

/// Layouts whose proxy size is within this many thousandths of the best are as
/// good as the best; of those the smallest gap wins.
pub const NEAR_BEST_PER_MILLE: u64 = 5;

const DATA_NAMES_SUBSECTION: u8 = 9;

/// One active segment with a constant offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    pub offset: u64,
    pub data: &'a [u8],
}

impl Segment<'_> {
    fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }
}

/// The non-empty segments of one memory, sorted by offset, not overlapping.
#[derive(Clone, Debug)]
pub struct MemoryData<'a> {
    pub memory: u32,
    pub memory64: bool,
    pub segments: Vec<Segment<'a>>,
}

/// One candidate: a gap threshold and the data section it gives.
struct Candidate {
    max_gap: u64,
    segments: usize,
    section: Vec<u8>,
    proxy: usize,
    /// The input data section's proxy size.
    old_proxy: usize,
}

pub fn run(bytes: &[u8], options: &Options) -> Result<PassResult> {
    if !options.pack_data {
        return Ok(not_applied(
            StepStatus::Skipped,
            "turned off (pack_data: false)",
        ));
    }
    let input = match read_packable(bytes, options)? {
        Ok(input) => input,
        Err((status, why)) => return Ok(not_applied(status, why)),
    };
    let old_segments = input.segment_count;
    let old_section = input.data_section;
    let growth = if options.allow_raw_growth { RAW_BYTES_PER_PROXY_BYTE } else { 0 };
    let runs: Vec<Vec<Range<u64>>> = input
        .memories
        .iter()
        .map(|m| nonzero_runs(&m.segments))
        .collect();
    let Some(best) = best_candidate(&input.memories, &runs, old_section, bytes.len(), growth)? else {
        let why = format!(
            "kept the {old_segments} segments: no layout saved {}% of the module compressed within {growth} raw bytes per byte saved",
            MIN_SAVING_PER_10K_MODULE_BYTES as f64 / 100.0,
        );
        return Ok(not_applied(StepStatus::Unchanged, why));
    };
    if code_names_data(&input.bodies)? {
        return Ok(not_applied(StepStatus::Skipped, "code names data segments by index (memory.init, data.drop, …)"));
    }
    let output = rewrite(bytes, &best.section, best.segments)?;
    let detail = format!(
        "{} {old_segments} segments into {} (gap ≤ {} B); data section {} → {}; proxy-compressed {}",
        match best.segments.cmp(&old_segments) {
            Ordering::Less => "merged",
            Ordering::Equal => "repacked",
            Ordering::Greater => "split",
        },
        best.segments,
        best.max_gap,
        human_bytes(old_section.len()),
        human_bytes(best.section.len()),
        percent_change(best.old_proxy, best.proxy),
    );
    let step = Step {
        pass: PASS,
        status: StepStatus::Applied,
        detail,
        bytes_saved: bytes.len() as i64 - output.len() as i64,
    };
    Ok(PassResult {
        bytes: Some(output),
        step,
    })
}

fn not_applied(status: StepStatus, detail: impl Into<String>) -> PassResult {
    PassResult {
        bytes: None,
        step: Step {
            pass: PASS,
            status,
            detail: detail.into(),
            bytes_saved: 0,
        },
    }
}

/// The exact acceptance rule stated in the header; `growth` is how many raw bytes
/// one saved proxy byte may cost.
pub fn pays(module_raw: usize, old_raw: usize, old_proxy: usize, new_raw: usize, new_proxy: usize, growth: u64) -> bool {
    let saved = old_proxy.saturating_sub(new_proxy) as u64;
    let grown = new_raw.saturating_sub(old_raw) as u64;
    saved > 0 && saved >= least_saving(module_raw) && grown <= growth * saved
}

fn least_saving(module_raw: usize) -> u64 {
    (module_raw as u64 * MIN_SAVING_PER_10K_MODULE_BYTES).div_ceil(10_000)
}

/// Of the layouts that pay, as (max_gap, proxy size): the smallest gap whose
/// proxy size is near the best one's.
pub fn choose(paying: &[(u64, usize)]) -> Option<u64> {
    let best = paying.iter().map(|&(_, proxy)| proxy as u64).min()?;
    let near = |proxy: usize| proxy as u64 * 1000 <= best * (1000 + NEAR_BEST_PER_MILLE);
    paying.iter().filter(|&&(_, proxy)| near(proxy)).map(|&(gap, _)| gap).min()
}

/// The most a layout could save on the wire: every layout writes the same
/// non-zero bytes in the same order and differs only in segment headers and in
/// the zeros it writes, and a byte dropped saves at most a byte compressed. Lets
/// the pass turn a layout down without compressing it.
fn most_saved(old_raw: usize, old_payload: usize, plan: &Plan) -> usize {
    let (old_headers, headers) = (old_raw - old_payload, plan.raw - plan.payload);
    old_headers.saturating_sub(headers) + old_payload.saturating_sub(plan.payload)
}

/// The codec that ranks layouts: the wire proxy (zstd level 1) of the data section alone (the code
/// does not change, and compressing it per candidate would cost seconds).
pub fn proxy_size(bytes: &[u8]) -> Result<usize> {
    crate::wire::size(bytes)
}

/// The active segments, grouped by memory: what the pass may rewrite.
pub struct Packable<'a> {
    pub memories: Vec<MemoryData<'a>>,
    pub segment_count: usize,
    /// The whole input data section, header included.
    pub data_section: &'a [u8],
    /// The function bodies, when a DataCount section lets code name segments;
    /// checked by `code_names_data` only once a layout would be applied, as the
    /// one check that reads all the code.
    pub bodies: Vec<wasmparser::FunctionBody<'a>>,
}

type NotApplied = (StepStatus, String);

/// Reads what the pass needs in one walk, and checks every assumption in the header.
pub fn read_packable<'a>(
    bytes: &'a [u8],
    options: &Options,
) -> Result<Result<Packable<'a>, NotApplied>> {
    let skip = |why: String| Ok(Err((StepStatus::Skipped, why)));
    let malformed = |e: wasmparser::BinaryReaderError| Error::malformed(&e);
    let mut memories: Vec<(MemoryType, bool)> = Vec::new(); // (type, imported)
    let mut segments: Vec<(u32, Option<u64>, &[u8])> = Vec::new(); // (memory, constant offset, bytes)
    let mut data_section: &[u8] = &[];
    let mut has_data_count = false;
    let mut code = None;
    // Section by section: the code, most of a module, is not read at all unless
    // a DataCount section lets it name segments.
    for section in module::sections(bytes)? {
        match (section.id, section.custom_name) {
            (IMPORT_SECTION, None) => {
                for import in ImportSectionReader::new(section.content_reader()?).map_err(malformed)?.into_imports() {
                    if let TypeRef::Memory(ty) = import.map_err(malformed)?.ty {
                        memories.push((ty, true));
                    }
                }
            }
            (MEMORY_SECTION, None) => {
                for ty in MemorySectionReader::new(section.content_reader()?).map_err(malformed)? {
                    memories.push((ty.map_err(malformed)?, false));
                }
            }
            (DATA_COUNT_SECTION, None) => has_data_count = true,
            (CODE_SECTION, None) => code = Some(section.clone()),
            (_, Some(name)) if module::is_object_file_section(name) => {
                return skip(format!("custom section `{name}`: an object file, not a linked module"));
            }
            (DATA_SECTION, None) => {
                data_section = section.raw;
                for data in DataSectionReader::new(section.content_reader()?).map_err(malformed)? {
                    let data = data.map_err(malformed)?;
                    match data.kind {
                        DataKind::Passive => {
                            return skip("passive data segments: their indices must stay".into())
                        }
                        DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => {
                            segments.push((memory_index, module::constant_offset(&offset_expr), data.data));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let bodies = match code.filter(|_| has_data_count) {
        Some(code) => CodeSectionReader::new(code.content_reader()?)
            .map_err(malformed)?
            .into_iter()
            .collect::<wasmparser::Result<Vec<_>>>()
            .map_err(malformed)?,
        None => Vec::new(),
    };
    if segments.is_empty() {
        return Ok(Err((
            StepStatus::Unchanged,
            "no active data segments".into(),
        )));
    }
    let segment_count = segments.len();
    let mut by_memory: Vec<MemoryData> = Vec::new();
    for (index, (ty, imported)) in memories.iter().enumerate() {
        let index = index as u32;
        let mine: Vec<_> = segments.iter().filter(|s| s.0 == index).collect();
        if mine.is_empty() {
            continue;
        }
        if *imported && !options.zero_filled_memory {
            return skip(format!(
                "memory {index} is imported and not known to start zeroed (zero_filled_memory)"
            ));
        }
        if *imported && ty.shared {
            return skip(format!("memory {index} is an imported shared memory: each instance re-applies its segments"));
        }
        let mut constant = Vec::with_capacity(mine.len());
        for &&(_, offset, data) in &mine {
            let Some(offset) = offset else {
                return skip(format!(
                    "memory {index} has a segment whose offset is not a constant"
                ));
            };
            constant.push(Segment { offset, data });
        }
        let min_bytes = (ty.initial as u128) << ty.page_size_log2();
        if let Some(s) = constant.iter().find(|s| s.end() as u128 > min_bytes) {
            return skip(format!(
                "memory {index} has a segment at {}..{} past its initial {min_bytes} bytes: it may trap",
                s.offset,
                s.end()
            ));
        }
        constant.retain(|s| !s.data.is_empty());
        constant.sort_by_key(|s| s.offset);
        if let Some(pair) = constant
            .windows(2)
            .find(|pair| pair[1].offset < pair[0].end())
        {
            return skip(format!(
                "memory {index} has overlapping segments at {} and {}",
                pair[0].offset, pair[1].offset
            ));
        }
        by_memory.push(MemoryData {
            memory: index,
            memory64: ty.memory64,
            segments: constant,
        });
    }
    Ok(Ok(Packable {
        memories: by_memory,
        segment_count,
        data_section,
        bodies,
    }))
}

/// Whether any body names a data segment, the bodies read in parallel.
pub fn code_names_data(bodies: &[wasmparser::FunctionBody]) -> Result<bool> {
    let code_bytes = bodies.iter().map(|b| b.as_bytes().len()).sum();
    let threads = crate::parallel::threads_for(bodies.len(), code_bytes, crate::parallel::CODE_BYTES_PER_THREAD);
    let found = crate::parallel::map_init(bodies, threads, || (), |_, _, body| names_data_segment(body));
    for names in found {
        if names.map_err(|e| Error::malformed(&e))? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn names_data_segment(body: &wasmparser::FunctionBody) -> wasmparser::Result<bool> {
    for op in body.get_operators_reader()? {
        if matches!(
            op?,
            Operator::MemoryInit { .. }
                | Operator::DataDrop { .. }
                | Operator::ArrayNewData { .. }
                | Operator::ArrayInitData { .. }
        ) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The address ranges of the non-zero bytes the segments write, in order. Runs that
/// touch across a segment boundary come out as two ranges with a zero gap.
pub fn nonzero_runs(segments: &[Segment]) -> Vec<Range<u64>> {
    let mut runs = Vec::with_capacity(segments.len());
    for segment in segments {
        let mut i = 0;
        let data = segment.data;
        while let Some(start) = next_nonzero(data, i) {
            let end = memchr::memchr(0, &data[start..]).map_or(data.len(), |p| start + p);
            runs.push(segment.offset + start as u64..segment.offset + end as u64);
            i = end;
        }
    }
    runs
}

/// The first non-zero byte at or after `from`. Long zero runs are skipped eight
/// bytes at a time (byte by byte, tiktoken's 4.9 MB of data took 4 ms to scan).
fn next_nonzero(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(word) = data.get(i..i + 8) {
        if word != [0; 8] {
            break;
        }
        i += 8;
    }
    data.get(i..)?.iter().position(|&b| b != 0).map(|p| i + p)
}

/// Joins consecutive runs whose gap is at most `max_gap` bytes: the segments of
/// the new layout, as address ranges.
pub fn plan_layout(runs: &[Range<u64>], max_gap: u64) -> Vec<Range<u64>> {
    joined(runs, max_gap).collect()
}

/// `plan_layout`'s spans one by one, without collecting them.
fn joined(runs: &[Range<u64>], max_gap: u64) -> impl Iterator<Item = Range<u64>> + '_ {
    let mut rest = runs.iter().peekable();
    std::iter::from_fn(move || {
        let mut span = rest.next()?.clone();
        while let Some(next) = rest.next_if(|next| next.start - span.end <= max_gap) {
            span.end = next.end;
        }
        Some(span)
    })
}

/// The bytes memory holds over `span` after the segments are applied: theirs where
/// they write, zero elsewhere.
pub fn fill_span(segments: &[Segment], span: &Range<u64>) -> Vec<u8> {
    let mut out = vec![0u8; (span.end - span.start) as usize];
    let first = segments.partition_point(|s| s.end() <= span.start);
    for segment in segments[first..].iter().take_while(|s| s.offset < span.end) {
        let from = segment.offset.max(span.start);
        let to = segment.end().min(span.end);
        let src = &segment.data[(from - segment.offset) as usize..(to - segment.offset) as usize];
        out[(from - span.start) as usize..(to - span.start) as usize].copy_from_slice(src);
    }
    out
}

/// A whole data section (id and size included): memories in index order, each
/// memory's segments by ascending offset.
pub fn encode_data_section(layouts: &[(&MemoryData, Vec<Range<u64>>)]) -> Vec<u8> {
    let mut section = DataSection::new();
    for (memory, spans) in layouts {
        for span in spans {
            let offset = if memory.memory64 {
                ConstExpr::i64_const(span.start as i64)
            } else {
                ConstExpr::i32_const(span.start as u32 as i32)
            };
            section.active(memory.memory, &offset, fill_span(&memory.segments, span));
        }
    }
    raw_section(&section)
}

fn raw_section(section: &impl wasm_encoder::Section) -> Vec<u8> {
    let mut out = vec![section.id()];
    section.encode(&mut out);
    out
}

/// The size in bytes of `encode_data_section(layouts)`, computed without building
/// it: enough to turn down a layout the raw rule forbids before compressing it.
pub fn encoded_len(layouts: &[(&MemoryData, Vec<Range<u64>>)]) -> usize {
    encoded_len_of(layouts.iter().map(|(memory, spans)| (*memory, spans.iter().cloned())))
}

fn encoded_len_of<'m, S: Iterator<Item = Range<u64>>>(layouts: impl Iterator<Item = (&'m MemoryData<'m>, S)>) -> usize {
    let mut count = 0u64;
    let mut content = 0usize;
    for (memory, spans) in layouts {
        // Flag, the offset expression (`*.const` opcode, signed LEB128 value,
        // `end`), the length.
        let flag = flag_len(memory);
        for span in spans {
            let len = span.end - span.start;
            content += flag + 1 + sleb_len(offset_immediate(memory, span.start)) + 1 + uleb_len(len) + len as usize;
            count += 1;
        }
    }
    content += uleb_len(count);
    1 + uleb_len(content as u64) + content
}

/// A segment's flag: 0x00 for memory 0, else 0x02 and the memory index.
fn flag_len(memory: &MemoryData) -> usize {
    if memory.memory == 0 { 1 } else { 1 + uleb_len(memory.memory as u64) }
}

/// An offset as its `*.const` encodes it: an i32 offset is the u32's bits.
fn offset_immediate(memory: &MemoryData, offset: u64) -> i64 {
    if memory.memory64 { offset as i64 } else { offset as u32 as i32 as i64 }
}

/// The fewest header bytes (flag, offset expression, length) any segment built
/// from `runs` can have: every span starts where a run does, and a signed LEB128
/// is no shorter for a larger non-negative value than for the first run's.
fn least_header_len(memory: &MemoryData, runs: &[Range<u64>]) -> usize {
    let (Some(first), Some(last)) = (runs.first(), runs.last()) else { return 0 };
    let offset_len = match offset_immediate(memory, last.start) >= 0 {
        true => sleb_len(offset_immediate(memory, first.start)),
        false => 1,
    };
    flag_len(memory) + 1 + offset_len + 1 + 1
}

fn uleb_len(value: u64) -> usize {
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

fn sleb_len(value: i64) -> usize {
    // Seven bits per byte, plus the sign bit of the last one.
    let magnitude_bits = 64 - if value < 0 { (!value).leading_zeros() } else { value.leading_zeros() } as usize;
    (magnitude_bits + 1).div_ceil(7)
}

/// The candidate the rule picks, if any.
///
/// Each layout's raw size is known before it is built, so layouts the raw rule
/// forbids are never compressed (with the default, no growth, that is most of
/// them), and the input's own proxy size is computed only if some layout is left
/// to compare with it. The rest are compressed in parallel; the choice does not
/// depend on the order they finish in.
fn best_candidate(
    memories: &[MemoryData],
    runs: &[Vec<Range<u64>>],
    old_section: &[u8],
    module_raw: usize,
    growth: u64,
) -> Result<Option<Candidate>> {
    let old_raw = old_section.len();
    let needed = least_saving(module_raw);
    let old_payload: usize = memories.iter().flat_map(|m| &m.segments).map(|s| s.data.len()).sum();
    // The engine's segment limit, the raw rule, and the `most_saved` bound. Asked
    // first of each layout with a lower bound for its raw size, which can only
    // make a layout look better: one that fails then fails exactly, and is never sized.
    let may_pay = |plan: &Plan| {
        plan.segments <= MAX_SEGMENTS
            && (growth > 0 || plan.raw <= old_raw)
            && most_saved(old_raw, old_payload, plan) as u64 >= needed
    };
    let mut plans = plan_all(memories, runs, may_pay);
    plans.retain(may_pay);
    if plans.is_empty() {
        return Ok(None);
    }
    let proxy_of_plan = |max_gap: u64| {
        let section = encode_data_section(&plan_layouts(memories, runs, max_gap));
        proxy_size(&section).map(|proxy| (section.len(), proxy))
    };
    let measure = |plans: &[Option<u64>]| {
        let data_bytes = old_raw.saturating_mul(plans.len());
        let threads = crate::parallel::threads_for(plans.len(), data_bytes, PARALLEL_PROXY_BYTES);
        crate::parallel::map_init(plans, threads, || (), |_, _, plan| match plan {
            Some(max_gap) => proxy_of_plan(*max_gap),
            None => proxy_size(old_section).map(|proxy| (old_raw, proxy)),
        })
    };
    let (old_proxy, measured) = if growth == 0 {
        // Every plan left is compressed anyway: the input's own size alongside them.
        let mut all = measure(&std::iter::once(None).chain(plans.iter().map(|p| Some(p.max_gap))).collect::<Vec<_>>());
        let old = all.remove(0)?.1;
        (old, all)
    } else {
        let old_proxy = proxy_size(old_section)?;
        // Growth is paid for in saved proxy bytes, and at most `old_proxy` can be saved.
        let most_raw = old_raw as u128 + growth as u128 * old_proxy as u128;
        plans.retain(|plan| plan.raw as u128 <= most_raw);
        (old_proxy, measure(&plans.iter().map(|p| Some(p.max_gap)).collect::<Vec<_>>()))
    };
    let mut paying: Vec<(&Plan, usize)> = Vec::new(); // with its proxy size
    for (plan, sizes) in plans.iter().zip(measured) {
        let (raw, proxy) = sizes?;
        if pays(module_raw, old_raw, old_proxy, raw, proxy, growth) {
            paying.push((plan, proxy));
        }
    }
    let gaps_and_sizes: Vec<(u64, usize)> = paying.iter().map(|(plan, proxy)| (plan.max_gap, *proxy)).collect();
    let Some(max_gap) = choose(&gaps_and_sizes) else { return Ok(None) };
    let &(plan, proxy) = paying.iter().find(|(plan, _)| plan.max_gap == max_gap).expect("chosen from those that pay");
    Ok(Some(Candidate {
        max_gap,
        segments: plan.segments,
        section: encode_data_section(&plan_layouts(memories, runs, max_gap)),
        proxy,
        old_proxy,
    }))
}

/// Below this many data bytes per thread, candidates are compressed one by one.
const PARALLEL_PROXY_BYTES: usize = 256 * 1024;

/// One gap threshold's layout, summed up: enough to apply the raw rule and the
/// `most_saved` bound without building its data section.
struct Plan {
    max_gap: u64,
    segments: usize,
    /// The encoded data section's size.
    raw: usize,
    /// The bytes its segments hold, zeros written included.
    payload: usize,
}

/// A plan for each distinct layout of `GAP_THRESHOLDS` that `may_pay` allows
/// when shown the plan with a lower bound for its encoded size. Segment counts
/// and payloads of every layout come from one pass over the runs (`shapes`), so
/// a layout the rule must turn down costs no pass of its own:
/// planning every layout in full took 1.6 of brotli-wasm's 2.5 ms in this pass,
/// though none could be applied.
fn plan_all(memories: &[MemoryData], runs: &[Vec<Range<u64>>], may_pay: impl Fn(&Plan) -> bool) -> Vec<Plan> {
    let shapes: Vec<Vec<Shape>> = runs.iter().map(|r| shapes(r)).collect();
    let least_headers: Vec<usize> = memories.iter().zip(runs).map(|(m, r)| least_header_len(m, r)).collect();
    let mut plans = Vec::new();
    let mut last_segments = None;
    for (k, &max_gap) in GAP_THRESHOLDS.iter().enumerate() {
        let segments = shapes.iter().map(|s| s[k].segments).sum();
        // Merging is monotone in the gap: the same count means the same layout.
        if last_segments.replace(segments) == Some(segments) {
            continue;
        }
        let payload = shapes.iter().map(|s| s[k].payload).sum();
        let least_raw = payload + shapes.iter().zip(&least_headers).map(|(s, h)| s[k].segments * h).sum::<usize>();
        if may_pay(&Plan { max_gap, segments, raw: least_raw, payload }) {
            let raw = encoded_len_of(memories.iter().zip(runs).map(|(m, r)| (m, joined(r, max_gap))));
            plans.push(Plan { max_gap, segments, raw, payload });
        }
    }
    plans
}

/// One memory's layout at one gap threshold: how many segments, and the bytes
/// they hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Shape {
    segments: usize,
    payload: usize,
}

/// The shape of `runs` at each of `GAP_THRESHOLDS`: a gap joins its two runs in
/// every layout whose threshold is at least the gap, so each gap is counted once,
/// under the first such threshold, and the counts add up from there.
fn shapes(runs: &[Range<u64>]) -> Vec<Shape> {
    let mut joins = [(0usize, 0u64); GAP_THRESHOLDS.len()]; // (gaps, zero bytes)
    for pair in runs.windows(2) {
        let gap = pair[1].start - pair[0].end;
        if let Some(slot) = joins.get_mut(GAP_THRESHOLDS.partition_point(|&t| t < gap)) {
            slot.0 += 1;
            slot.1 += gap;
        }
    }
    let nonzero: u64 = runs.iter().map(|r| r.end - r.start).sum();
    let (mut joined, mut zeros) = (0, 0);
    joins
        .iter()
        .map(|&(gaps, bytes)| {
            (joined, zeros) = (joined + gaps, zeros + bytes);
            Shape { segments: runs.len() - joined, payload: (nonzero + zeros) as usize }
        })
        .collect()
}

fn plan_layouts<'m, 'a>(
    memories: &'m [MemoryData<'a>],
    runs: &[Vec<Range<u64>>],
    max_gap: u64,
) -> Vec<(&'m MemoryData<'a>, Vec<Range<u64>>)> {
    memories.iter().zip(runs).map(|(m, r)| (m, plan_layout(r, max_gap))).collect()
}

/// The module with its data section replaced, DataCount updated, and data segment
/// names dropped; every other section copied byte for byte.
fn rewrite(bytes: &[u8], data_section: &[u8], count: usize) -> Result<Vec<u8>> {
    let data_count = raw_section(&DataCountSection {
        count: count as u32,
    });
    let sections = module::sections(bytes)?;
    let mut out: Vec<Cow<[u8]>> = Vec::with_capacity(sections.len());
    for section in &sections {
        out.push(match (section.id, section.custom_name) {
            (DATA_SECTION, None) => Cow::Borrowed(data_section),
            (DATA_COUNT_SECTION, None) => Cow::Borrowed(&data_count[..]),
            // Engines ignore a name section they cannot read; so do we.
            (_, Some("name")) => {
                without_data_names(section.raw).map_or(Cow::Borrowed(section.raw), Cow::Owned)
            }
            _ => Cow::Borrowed(section.raw),
        });
    }
    Ok(module::assemble(out.iter().map(|raw| raw.as_ref())))
}

/// A raw `name` custom section without its data segment names subsection.
fn without_data_names(raw: &[u8]) -> wasmparser::Result<Vec<u8>> {
    let mut reader = wasmparser::BinaryReader::new(raw, 0);
    reader.read_u8()?;
    let size = reader.read_var_u32()? as usize;
    let mut content = wasmparser::BinaryReader::new(&raw[reader.current_position()..][..size], 0);
    let name = content.read_string()?;
    let mut kept = Vec::new();
    while !content.eof() {
        let start = content.current_position();
        let id = content.read_u8()?;
        let len = content.read_var_u32()? as usize;
        content.read_bytes(len)?;
        if id != DATA_NAMES_SUBSECTION {
            kept.extend_from_slice(
                &raw[reader.current_position() + start..][..content.current_position() - start],
            );
        }
    }
    Ok(raw_section(&wasm_encoder::CustomSection {
        name: name.into(),
        data: kept.into(),
    }))
}

fn human_bytes(n: usize) -> String {
    match n {
        n if n >= 1_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1} KB", n as f64 / 1e3),
        n => format!("{n} B"),
    }
}

fn percent_change(old: usize, new: usize) -> String {
    let change = (new as f64 - old as f64) / old.max(1) as f64 * 100.0;
    format!(
        "{}{:.1}%",
        if change < 0.0 { "−" } else { "+" },
        change.abs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs with gaps of every size around the thresholds, at offsets whose LEB128
    /// lengths differ, in 32- and 64-bit memories at index 0 and 1.
    fn run_sets() -> Vec<(MemoryData<'static>, Vec<Range<u64>>)> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        let mut sets = Vec::new();
        for (memory, memory64, start) in [(0, false, 0), (1, false, 8_000), (0, true, 3 << 40), (0, false, (1 << 31) - 20_000)] {
            let mut runs = Vec::new();
            let mut at = start;
            for _ in 0..500 {
                at += [1, 2, 3, 7, 8, 9, 17, 100, 700, 5000][next(10) as usize] + next(3);
                let len = 1 + next(200);
                runs.push(at..at + len);
                at += len;
            }
            sets.push((MemoryData { memory, memory64, segments: Vec::new() }, runs));
        }
        // An i32 offset past 2^31 encodes as a negative immediate, shorter near 2^32.
        let near_the_top = (0..10).map(|i| 0xffff_f000 + 0x100 * i..0xffff_f010 + 0x100 * i);
        let wrapping = std::iter::once(0x7fff_0000..0x7fff_0010).chain(near_the_top).collect();
        sets.push((MemoryData { memory: 0, memory64: false, segments: Vec::new() }, wrapping));
        sets
    }

    #[test]
    fn shapes_count_what_each_layout_holds() {
        for (_, runs) in run_sets() {
            for (shape, &max_gap) in shapes(&runs).iter().zip(GAP_THRESHOLDS) {
                let spans = plan_layout(&runs, max_gap);
                let payload = spans.iter().map(|s| (s.end - s.start) as usize).sum();
                assert_eq!(*shape, Shape { segments: spans.len(), payload }, "gap {max_gap}");
            }
        }
        assert_eq!(shapes(&[]), vec![Shape::default(); GAP_THRESHOLDS.len()]);
    }

    #[test]
    fn the_least_header_is_a_lower_bound_and_tight_where_offsets_share_a_length() {
        for (memory, runs) in run_sets() {
            let least = least_header_len(&memory, &runs);
            for &max_gap in GAP_THRESHOLDS {
                let spans = plan_layout(&runs, max_gap);
                let payload: usize = spans.iter().map(|s| (s.end - s.start) as usize).sum();
                let raw = encoded_len(&[(&memory, spans.clone())]);
                assert!(least * spans.len() + payload <= raw, "memory {} gap {max_gap}", memory.memory);
            }
            // A one-byte segment at the first run has the least header (less the
            // section's id, size and count, one byte each here, and the data byte).
            let first = runs[0].start;
            let exact = encoded_len(&[(&memory, vec![first..first + 1])]) - 3 - 1;
            assert!(least == exact || offset_immediate(&memory, runs.last().unwrap().start) < 0, "memory {}", memory.memory);
        }
    }
}
