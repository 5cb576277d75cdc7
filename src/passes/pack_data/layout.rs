//! pack-data's layouts: the runs of non-zero bytes the segments write, the shape of
//! each gap threshold's layout (segments and payload, from one pass over the runs),
//! the plans sized without building them, and the data section a layout encodes to.

use super::check::{MemoryData, Segment};
use crate::module::encode;
use std::ops::Range;
use wasm_encoder::{ConstExpr, DataSection};

/// V8 refuses modules with more data segments than this (kV8MaxWasmDataSegments).
pub const MAX_SEGMENTS: usize = 100_000;

/// The largest gap (in bytes) written as zeros, one candidate layout each. A
/// segment header costs about 7–9 bytes raw, so gaps below that shrink the module
/// raw too; bigger gaps trade raw bytes for fewer headers, which usually pays once
/// compressed (with `allow_raw_growth`).
pub const GAP_THRESHOLDS: &[u64] = &[0, 2, 4, 6, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

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
    encode(&section)
}

#[cfg(test)] // the tests' view of `encoded_len_of`
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

/// One gap threshold's layout, summed up: enough to apply the raw rule and the
/// `most_saved` bound without building its data section.
pub(super) struct Plan {
    pub max_gap: u64,
    pub segments: usize,
    /// The encoded data section's size.
    pub raw: usize,
    /// The bytes its segments hold, zeros written included.
    pub payload: usize,
}

/// A plan for each distinct layout of `GAP_THRESHOLDS` that `may_pay` allows
/// when shown the plan with a lower bound for its encoded size. Segment counts
/// and payloads of every layout come from one pass over the runs (`shapes`), so
/// a layout the rule must turn down costs no pass of its own:
/// planning every layout in full took 1.6 of brotli-wasm's 2.5 ms in this pass,
/// though none could be applied.
pub(super) fn plan_all(memories: &[MemoryData], runs: &[Vec<Range<u64>>], may_pay: impl Fn(&Plan) -> bool) -> Vec<Plan> {
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

pub(super) fn plan_layouts<'m, 'a>(
    memories: &'m [MemoryData<'a>],
    runs: &[Vec<Range<u64>>],
    max_gap: u64,
) -> Vec<(&'m MemoryData<'a>, Vec<Range<u64>>)> {
    memories.iter().zip(runs).map(|(m, r)| (m, plan_layout(r, max_gap))).collect()
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

    // Moved from tests/pack_data.rs: they exercise the layout's internals.
    #[test]
    fn runs_are_found_and_joined_by_gap() {
        let data = b"\0\0ab\0\0\0cd\0\0\0\0\0\0\0\0\0e\0";
        let segments = [
            Segment { offset: 100, data },
            Segment {
                offset: 121,
                data: b"fg",
            },
        ];
        let runs = nonzero_runs(&segments);
        assert_eq!(runs, [102..104, 107..109, 118..119, 121..123]);
        // Leading and trailing zeros go at any gap; a zero run longer than the gap splits.
        assert_eq!(plan_layout(&runs, 0), runs);
        assert_eq!(plan_layout(&runs, 3), [102..109, 118..123]);
        let whole = 102..123;
        assert_eq!(plan_layout(&runs, 9), [whole]);
        assert_eq!(
            fill_span(&segments, &(102..123)),
            b"ab\0\0\0cd\0\0\0\0\0\0\0\0\0e\0\0fg"
        );
    }

    #[test]
    fn raw_size_is_known_before_a_layout_is_built() {
        // Offsets and lengths on both sides of LEB128 byte boundaries, i32 offsets at
        // and past 2^31 (negative once signed), memory 0, another memory, and memory64.
        let bytes = vec![7u8; 20_000];
        let offsets = [0u64, 63, 64, 127, 128, 8191, 8192, 1 << 20, (1 << 31) - 1, 1 << 31, 0xffff_0000];
        let lens = [1usize, 127, 128, 16_383, 16_384];
        let segments: Vec<Segment> =
            offsets.iter().zip(lens.iter().cycle()).map(|(&offset, &len)| Segment { offset, data: &bytes[..len] }).collect();
        for (memory, memory64) in [(0, false), (1, false), (200, false), (0, true), (3, true)] {
            let data = MemoryData { memory, memory64, segments: segments.clone() };
            let mut spans: Vec<_> = segments.iter().map(|s| s.offset..s.offset + s.data.len() as u64).collect();
            if memory64 {
                spans.push(1 << 40..(1 << 40) + 3);
                spans.push(u64::MAX - 10..u64::MAX - 2);
            }
            let layouts = vec![(&data, spans)];
            assert_eq!(encoded_len(&layouts), encode_data_section(&layouts).len(), "memory {memory}, memory64 {memory64}");
        }
        let (a, b) = (
            MemoryData { memory: 0, memory64: false, segments: segments.clone() },
            MemoryData { memory: 1, memory64: true, segments: segments.clone() },
        );
        let spans: Vec<_> = segments.iter().map(|s| s.offset..s.offset + s.data.len() as u64).collect();
        let layouts = vec![(&a, spans.clone()), (&b, spans)];
        assert_eq!(encoded_len(&layouts), encode_data_section(&layouts).len());
        assert_eq!(encoded_len(&[]), encode_data_section(&[]).len());
    }

    #[test]
    fn runs_match_a_byte_by_byte_scan_at_every_zero_density() {
        // Zero runs of every length around the 8-byte word the scan skips by, at
        // every alignment, and segments ending in zeros or not.
        let naive = |segments: &[Segment]| -> Vec<std::ops::Range<u64>> {
            let mut runs: Vec<std::ops::Range<u64>> = Vec::new();
            for s in segments {
                for (i, &b) in s.data.iter().enumerate() {
                    let at = s.offset + i as u64;
                    match runs.last_mut() {
                        Some(run) if b != 0 && run.end == at && i > 0 && s.data[i - 1] != 0 => run.end = at + 1,
                        _ if b != 0 => runs.push(at..at + 1),
                        _ => {}
                    }
                }
            }
            runs
        };
        for zero_percent in [0u32, 10, 50, 90, 99, 100] {
            let mut state = zero_percent + 1;
            let data: Vec<u8> = (0..5_000)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    // Independent bytes: at 90–99% zeros, zero runs average 10–100 bytes.
                    if (state >> 16) % 100 < zero_percent { 0 } else { (state >> 24) as u8 | 1 }
                })
                .collect();
            let segments = [
                Segment { offset: 3, data: &data[..1_237] },
                Segment { offset: 2_000, data: &data[1_237..] },
            ];
            assert_eq!(nonzero_runs(&segments), naive(&segments), "{zero_percent}% zeros");
        }
    }
}
