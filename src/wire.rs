//! The wire-size proxy the passes judge by: zstd level 1. Fast enough to run on
//! every module (about 300 MB/s here, twice level 3) and, measured on real
//! modules, it ranks sizes the way brotli 11 does: pack-data's rule picks layouts
//! as good with it as with level 3 (see `passes::pack_data`).
//!
//! Most judgements compare two versions of a few sections, so only those are
//! compressed exactly. The whole module's wire size only sets a noise floor (a
//! fraction of it), where a close estimate does as well: `estimated_size`
//! compresses evenly spaced samples of a large input instead of all of it.

use crate::error::Result;
use std::io::Write;

pub const PROXY_LEVEL: i32 = 1;

/// Inputs up to this size are compressed whole by `estimated_size`.
const EXACT_BYTES: usize = 128 * 1024;
/// Larger ones: this many samples, evenly spaced, together about an eighth of
/// the input, each between these sizes.
const SAMPLES: usize = 8;
const SAMPLE_BYTES: std::ops::RangeInclusive<usize> = 16 * 1024..=64 * 1024;

/// The proxy's size for `bytes`.
pub fn size(bytes: &[u8]) -> Result<usize> {
    if bytes.is_empty() {
        return Ok(0);
    }
    Ok(crate::compress::zstd(bytes, PROXY_LEVEL)?.len())
}

/// The proxy's size for the parts written one after another.
pub fn size_of_parts(parts: &[&[u8]]) -> Result<usize> {
    match parts {
        [] => Ok(0),
        [one] => size(one),
        _ => size(&parts.concat()),
    }
}

/// How often `size_of_parts_streamed` flushes, and so may stop.
const FLUSH_BYTES: usize = 64 * 1024;

/// The proxy's sizes for the parts written one after another, compressed as one
/// stream that is flushed every `FLUSH_BYTES` of input: `flushed` holds the
/// output's size after each flush, `total` the whole frame's, if it was reached.
/// Output once flushed is never taken back, so each flushed size is a lower bound
/// for the total.
pub struct Streamed {
    pub flushed: Vec<usize>,
    pub total: Option<usize>,
}

/// A proxy size, or a lower bound for it when measuring stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measured {
    Exact(usize),
    AtLeast(usize),
}

impl Measured {
    pub fn bytes(self) -> usize {
        match self {
            Measured::Exact(n) | Measured::AtLeast(n) => n,
        }
    }
}

impl Streamed {
    /// The first flushed size that reaches `target`, else the total: the same
    /// answer however early the stream was stopped, as long as it was stopped only
    /// once some flushed size had reached `target`.
    pub fn reaching(&self, target: usize) -> Measured {
        let first = self.flushed.partition_point(|&size| size < target);
        match (self.flushed.get(first), self.total) {
            (Some(&size), _) => Measured::AtLeast(size),
            (None, Some(total)) => Measured::Exact(total),
            (None, None) => unreachable!("a stream stops early only once a flush reaches its target"),
        }
    }
}

/// `size_of_parts`, streamed, stopping after the first flush at which
/// `stop(flushed sizes so far)` holds. Lets a caller that needs only to know the
/// size is at least something stop compressing once it is.
pub fn size_of_parts_streamed(parts: &[&[u8]], stop: impl Fn(&[usize]) -> bool) -> Result<Streamed> {
    let fail = |e: std::io::Error| crate::error::Error::internal(format!("zstd failed: {e}"));
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total == 0 {
        // As `size`: nothing costs nothing, not an empty frame.
        return Ok(Streamed { flushed: Vec::new(), total: Some(0) });
    }
    let mut encoder = zstd::stream::write::Encoder::new(CountingSink(0), PROXY_LEVEL).map_err(fail)?;
    encoder.window_log(crate::compress::zstd_window_log(total)).map_err(fail)?;
    encoder.include_contentsize(true).map_err(fail)?;
    encoder.set_pledged_src_size(Some(total as u64)).map_err(fail)?;
    let mut flushed = Vec::new();
    let mut unflushed = 0;
    for chunk in parts.iter().flat_map(|part| part.chunks(FLUSH_BYTES)) {
        encoder.write_all(chunk).map_err(fail)?;
        unflushed += chunk.len();
        if unflushed >= FLUSH_BYTES {
            encoder.flush().map_err(fail)?;
            unflushed = 0;
            flushed.push(encoder.get_ref().0);
            if stop(&flushed) {
                return Ok(Streamed { flushed, total: None });
            }
        }
    }
    let total = encoder.finish().map_err(fail)?.0;
    Ok(Streamed { flushed, total: Some(total) })
}

/// `size_of_parts` measured the way `size_of_parts_streamed` measures, flushes
/// included, for comparing with it: flushing changes zstd's block boundaries,
/// and with them its size by tenths of a percent either way.
pub fn streamed_size(parts: &[&[u8]]) -> Result<usize> {
    Ok(size_of_parts_streamed(parts, |_| false)?.total.expect("never stopped"))
}

/// A writer that keeps only the number of bytes written to it.
struct CountingSink(usize);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The proxy's size for the parts written one after another, estimated from
/// samples when they are large. Samples lose the long-range matches the rest
/// would give them, so on real modules the estimate mostly errs high: on the 22
/// modules of `bench/corpus`, from 9% low to 1.5× high (biome, whose names repeat
/// across megabytes), in 0.3–2 ms where compressing them whole takes up to
/// 80 ms. A floor set from it errs strict more often than not, and the floor
/// (ten times the codecs' noise) has room for the 9%.
pub fn estimated_size(parts: &[&[u8]]) -> Result<usize> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total <= EXACT_BYTES {
        return size_of_parts(parts);
    }
    let sample_bytes = (total / 8 / SAMPLES).clamp(*SAMPLE_BYTES.start(), *SAMPLE_BYTES.end());
    let samples: Vec<Vec<u8>> = (0..SAMPLES).map(|k| logical_range(parts, total / SAMPLES * k, sample_bytes)).collect();
    // Each thread keeps one compression context for its samples: creating a
    // context cost as much as compressing a 16 KB sample with it.
    let threads = crate::parallel::threads_for(SAMPLES, SAMPLES * sample_bytes, SAMPLE_BYTES_PER_THREAD);
    let sizes = crate::parallel::map_init(&samples, threads, || None, |context, _, sample| sample_size(context, sample));
    let compressed = sizes.into_iter().sum::<Result<usize>>()?;
    let raw: usize = samples.iter().map(Vec::len).sum();
    Ok((total as u128 * compressed as u128).div_ceil(raw.max(1) as u128) as usize)
}

/// Samples below this many bytes per thread are compressed on one: a 16 KB sample
/// takes about as long as starting a thread, several of them pay for it.
const SAMPLE_BYTES_PER_THREAD: usize = 32 * 1024;

/// `size(sample)`, through `context` (made on first use, then reused).
fn sample_size(context: &mut Option<zstd::bulk::Compressor<'static>>, sample: &[u8]) -> Result<usize> {
    let fail = |e: std::io::Error| crate::error::Error::internal(format!("zstd failed: {e}"));
    let compressor = match context {
        Some(compressor) => compressor,
        None => context.insert(zstd::bulk::Compressor::new(PROXY_LEVEL).map_err(fail)?),
    };
    crate::compress::configure_zstd(compressor, sample.len()).map_err(fail)?;
    Ok(compressor.compress(sample).map_err(fail)?.len())
}

/// `len` bytes from `start` of the parts' concatenation (fewer at its end).
fn logical_range(parts: &[&[u8]], mut start: usize, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    for part in parts {
        if start >= part.len() {
            start -= part.len();
            continue;
        }
        let take = (part.len() - start).min(len - out.len());
        out.extend_from_slice(&part[start..start + take]);
        start = 0;
        if out.len() == len {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_may_span_parts_and_stops_at_the_end() {
        let parts: [&[u8]; 3] = [b"abc", b"", b"defg"];
        assert_eq!(logical_range(&parts, 1, 4), b"bcde");
        assert_eq!(logical_range(&parts, 5, 10), b"fg");
        assert_eq!(logical_range(&parts, 3, 2), b"de");
    }

    /// Pseudo-random text over the first `letters` of the alphabet (a power of
    /// two): compressible, but not trivially.
    fn text(len: usize, letters: usize, seed: u32) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                b"abcdefghijklmnop"[(state >> 28) as usize & (letters - 1)]
            })
            .collect()
    }

    #[test]
    fn a_stream_gives_the_same_answer_wherever_it_stopped() {
        let bytes = text(600 * 1024, 16, 3);
        let parts: [&[u8]; 3] = [&bytes[..1000], &bytes[1000..300_000], &bytes[300_000..]];
        let whole = size_of_parts_streamed(&parts, |_| false).unwrap();
        let total = whole.total.unwrap();
        assert!(whole.flushed.len() >= 8 && whole.flushed.windows(2).all(|w| w[0] <= w[1]));
        assert!(*whole.flushed.last().unwrap() <= total);
        // On this text flushing moves the size by a few bytes a block (on other
        // data, block boundaries can move it by about 1%).
        assert!(total.abs_diff(size_of_parts(&parts).unwrap()) <= 16 * whole.flushed.len(), "{total}");
        for target in [1, whole.flushed[2], whole.flushed[2] + 1, total, total + 1] {
            for stop_at in 1..=whole.flushed.len() {
                // Stopped at `stop_at` flushes, whenever the target was reached by then.
                let reached = whole.flushed[stop_at - 1] >= target;
                let stopped = size_of_parts_streamed(&parts, |f| reached && f.len() == stop_at).unwrap();
                assert_eq!(stopped.reaching(target), whole.reaching(target), "target {target}, stop {stop_at}");
            }
        }
        assert_eq!(whole.reaching(total + 1), Measured::Exact(total));
        assert_eq!(whole.reaching(1), Measured::AtLeast(whole.flushed[0]));
    }

    #[test]
    fn small_inputs_are_measured_exactly() {
        let text = b"the same words, the same words, the same words".repeat(100);
        assert_eq!(estimated_size(&[&text[..500], &text[500..]]).unwrap(), size(&text).unwrap());
    }

    #[test]
    fn samples_measure_as_alone_whatever_context_and_thread_compresses_them() {
        // Mixed content, so that a context that kept anything from the sample
        // before would show in the sizes.
        let parts = [text(200 << 10, 4, 3), vec![0; 50 << 10], text(150 << 10, 16, 5)];
        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let sample_bytes = *SAMPLE_BYTES.start();
        let (mut raw, mut compressed) = (0, 0);
        for k in 0..SAMPLES {
            let sample = logical_range(&parts, total / SAMPLES * k, sample_bytes);
            raw += sample.len();
            compressed += size(&sample).unwrap();
        }
        let expected = (total * compressed).div_ceil(raw);
        assert_eq!(estimated_size(&parts).unwrap(), expected);
    }

    #[test]
    fn large_inputs_are_estimated_closely() {
        let bytes = text(3 << 20, 8, 7);
        let exact = size(&bytes).unwrap();
        let estimate = estimated_size(&[&bytes]).unwrap();
        assert!(estimate.abs_diff(exact) <= exact / 20, "{estimate} vs {exact}");
    }
}
