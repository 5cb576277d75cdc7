//! never-worse: the last word on every transform. The passes' output replaces the
//! input only if it is no bigger on the wire and smaller somewhere.
//!
//! The wire is judged by the proxy codec (`crate::wire`, zstd level 1). The rule:
//! keep the output when it is no bigger raw and smaller on the wire by at least
//! `NOISE_FLOOR_WIRE_PER_MILLE` of the input's wire size. A smaller win is within the
//! codecs' own noise: stripping a 77-byte `producers` section made resvg's
//! brotli 11 output 0.1 KiB (0.015%) bigger, and no proxy predicts that, so such a
//! change is not worth shipping and the input comes back instead. With
//! `allow_raw_growth` the raw size may grow when the wire size shrinks, which is
//! the trade pack-data then makes (zero-filled gaps cost raw bytes and compress to
//! almost nothing).
//!
//! What is compressed: only the sections that differ. The passes remove, replace
//! or add whole sections and copy the rest byte for byte, and a compressor's
//! output over a module is, to within its noise, the sum of its outputs over the
//! sections; so the saving is the proxy size of the input's changed sections less
//! that of the output's. The input's side is compressed as a stream and stops as
//! soon as what it has shown clears the floor at the input's raw size (so,
//! whatever the wire size): stripping 3.4 MB of names from biome's 33 MB
//! compresses a few hundred KB of them, not all. The input's whole wire size only sets the floor, and is
//! estimated from samples (`wire::estimated_size`), and only when the saving does
//! not clear the floor at the largest wire size the input could have (its raw
//! size). Removing a 77-byte section from a 14 MB module thus costs two tiny
//! compressions and a sampled estimate, not two compressions of 14 MB. (No cheap
//! lower bound on the wire size exists: 100,000 identical custom sections
//! compress 6,000-fold.)
//!
//! Assumes: both modules are valid. Bails out: never; it either keeps the output
//! or hands back the input bytes unchanged and says why.

use crate::error::Result;
use crate::module::{self, Section};
use crate::report::Step;
use crate::wire;
use super::NOISE_FLOOR_WIRE_PER_MILLE;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

pub const PASS: &str = "never-worse";

pub struct Verdict {
    pub keep_output: bool,
    pub step: Step,
}

/// The sections of `input` and `output` that are not byte-identical in both.
pub struct ChangedSections<'a> {
    pub removed: Vec<&'a [u8]>,
    pub added: Vec<&'a [u8]>,
    pub kept: Vec<&'a [u8]>,
}

/// Pairs each output section with an identical input section not paired yet;
/// sections are few, and bytes are compared only between equal lengths.
pub fn changed_sections<'a>(input: &[Section<'a>], output: &[Section<'a>]) -> ChangedSections<'a> {
    let mut paired = vec![false; input.len()];
    let mut changed = ChangedSections { removed: Vec::new(), added: Vec::new(), kept: Vec::new() };
    for out in output {
        let twin = (0..input.len()).find(|&i| !paired[i] && input[i].raw.len() == out.raw.len() && input[i].raw == out.raw);
        match twin {
            Some(i) => {
                paired[i] = true;
                changed.kept.push(out.raw);
            }
            None => changed.added.push(out.raw),
        }
    }
    changed.removed = input.iter().zip(&paired).filter(|(_, &p)| !p).map(|(s, _)| s.raw).collect();
    changed
}

/// Proxy sizes of both sides' changed sections: the output's exactly, the input's
/// exactly or, once it shows a saving of `enough` bytes, as a lower bound. The
/// input's side is streamed and stops there: stripping debug sections needs only
/// their first few hundred KB compressed to show a saving that settles the
/// verdict. The two sides are measured side by side when both are big.
fn changed_wire_sizes(changed: &ChangedSections<'_>, enough: usize) -> Result<(wire::Measured, usize)> {
    // The stream checks against the output's size once that is known. When the
    // output's side is measured on a second thread, which flush the stream stops at
    // depends on timing, so the answer is taken from the sizes at every flush
    // (`reaching`), which do not.
    let added_size = AtomicUsize::new(usize::MAX);
    let measure_added = || {
        let size = wire::streamed_size(&changed.added);
        if let Ok(size) = size {
            added_size.store(size, AtomicOrdering::Release);
        }
        size
    };
    let stream_removed = || {
        wire::size_of_parts_streamed(&changed.removed, |flushed| {
            let added = added_size.load(AtomicOrdering::Acquire);
            added != usize::MAX && flushed.last() >= Some(&added.saturating_add(enough))
        })
    };
    // A second thread pays from a few hundred KB a side (debug web-tree-sitter's
    // 820 KB against 318 KB: 16.7 → 14.5 ms for the whole transform).
    let big = |parts: &[&[u8]]| parts.iter().map(|p| p.len()).sum::<usize>() > 256 * 1024;
    let (removed, added) = if big(&changed.removed) && big(&changed.added) {
        std::thread::scope(|scope| {
            let added = scope.spawn(measure_added);
            let removed = stream_removed();
            (removed, added.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        })
    } else {
        let added = measure_added();
        (stream_removed(), added)
    };
    let added = added?;
    Ok((removed?.reaching(added.saturating_add(enough)), added))
}

pub fn judge(input: &[u8], output: &[u8], allow_raw_growth: bool) -> Result<Verdict> {
    let (raw_in, raw_out) = (input.len(), output.len());
    if raw_out > raw_in && !allow_raw_growth {
        return Ok(refuse(raw_in, raw_out, format!("it was bigger raw ({raw_in} → {raw_out} B)")));
    }
    let (sections_in, sections_out) = (module::sections(input)?, module::sections(output)?);
    let changed = changed_sections(&sections_in, &sections_out);
    // The raw size bounds the wire size, so a saving that clears the floor there
    // settles it: once the input's side shows that much, it need not be measured on.
    let floor_at_raw = (raw_in * NOISE_FLOOR_WIRE_PER_MILLE).div_ceil(1000).max(1);
    let (wire_removed, wire_added) = changed_wire_sizes(&changed, floor_at_raw)?;
    let saved = wire_removed.bytes().saturating_sub(wire_added);
    let removed_text = match wire_removed {
        wire::Measured::Exact(n) => format!("{n}"),
        wire::Measured::AtLeast(n) => format!("≥ {n}"),
    };
    let sizes = format!("raw {raw_in} → {raw_out} B, zstd-1 of the changed sections {removed_text} → {wire_added} B");
    let clears = |wire_in: usize| saved > 0 && saved * 1000 >= wire_in * NOISE_FLOOR_WIRE_PER_MILLE;
    let keep = clears(raw_in) || (saved > 0 && clears(wire_removed.bytes() + wire::estimated_size(&changed.kept)?));
    if keep {
        let step = Step::unchanged(PASS, format!("kept the result: {sizes}"));
        return Ok(Verdict { keep_output: true, step });
    }
    let floor = NOISE_FLOOR_WIRE_PER_MILLE as f64 / 10.0;
    Ok(refuse(raw_in, raw_out, format!("the result was not smaller on the wire by {floor}% or more, the codecs' noise ({sizes})")))
}

fn refuse(raw_in: usize, raw_out: usize, why: String) -> Verdict {
    let step = Step::applied(PASS, format!("returned the input unchanged: {why}"), raw_out as i64 - raw_in as i64);
    Verdict { keep_output: false, step }
}

#[cfg(test)]
mod tests;
