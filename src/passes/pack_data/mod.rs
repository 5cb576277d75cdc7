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
//!
//! Files: this one runs the pass and holds the rule; `check` reads what the pass
//! may rewrite and checks every assumption above; `layout` finds the runs and
//! builds, sizes and encodes the candidate layouts.

mod check;
mod layout;

pub use layout::MAX_SEGMENTS;

use super::PassResult;
use crate::error::Result;
use crate::module::{self, encode, Edits, SectionId};
use crate::options::Options;
use crate::policy::{MIN_SAVING_RAW_PER_10K, NEAR_BEST_PROXY_PER_MILLE, RAW_BYTES_PER_PROXY_BYTE};
use crate::report::{Step, StepStatus};
use check::{code_names_data, read_packable, MemoryData};
use layout::{encode_data_section, nonzero_runs, plan_all, plan_layouts, Plan};
use std::cmp::Ordering;
use std::ops::Range;
use wasm_encoder::DataCountSection;

pub const PASS: &str = "pack-data";

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
            MIN_SAVING_RAW_PER_10K as f64 / 100.0,
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
    let step = Step::applied(PASS, detail, bytes.len() as i64 - output.len() as i64);
    Ok(PassResult {
        bytes: Some(output),
        step,
    })
}

fn not_applied(status: StepStatus, detail: impl Into<String>) -> PassResult {
    PassResult {
        bytes: None,
        step: Step::not_applied(PASS, status, detail),
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
    (module_raw as u64 * MIN_SAVING_RAW_PER_10K).div_ceil(10_000)
}

/// Of the layouts that pay, as (max_gap, proxy size): the smallest gap whose
/// proxy size is near the best one's.
pub fn choose(paying: &[(u64, usize)]) -> Option<u64> {
    let best = paying.iter().map(|&(_, proxy)| proxy as u64).min()?;
    let near = |proxy: usize| proxy as u64 * 1000 <= best * (1000 + NEAR_BEST_PROXY_PER_MILLE);
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

/// The module with its data section replaced, DataCount updated, and data segment
/// names dropped; every other section copied byte for byte.
fn rewrite(bytes: &[u8], data_section: &[u8], count: usize) -> Result<Vec<u8>> {
    let sections = module::sections(bytes)?;
    let mut edits = Edits::default();
    edits.set(SectionId::Data, data_section);
    if sections.iter().any(|s| s.is(SectionId::DataCount)) {
        edits.set(SectionId::DataCount, encode(&DataCountSection { count: count as u32 }));
    }
    // Engines ignore a name section they cannot read; so do we.
    for name_section in sections.iter().filter(|s| s.custom_name == Some("name")) {
        if let Ok(raw) = without_data_names(name_section) {
            edits.replace(name_section, raw);
        }
    }
    Ok(edits.apply(&sections))
}

/// A `name` custom section without its data segment names subsection.
fn without_data_names(section: &module::Section<'_>) -> wasmparser::Result<Vec<u8>> {
    let (payload, offset) = module::custom_payload(section)?;
    module::rewrite_names(payload, offset, &module::NameMaps { drop_data_names: true, ..Default::default() })
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
mod tests;
