//! Compression for the wire: brotli, zstd and gzip, each in its own thread.
//!
//! Browsers accept `Content-Encoding: zstd` only with a window of at most 8 MiB, so
//! the zstd window is capped there whatever the level. Brotli is the reference C
//! encoder with zlib's default window (4 MiB), grown to hold bigger inputs up to its
//! 16 MiB maximum: at equal quality our output is never bigger than Node zlib's.

use crate::error::{Error, Result};
use std::io::Write;

/// The largest zstd window browsers must accept: 2^23 bytes = 8 MiB.
pub const ZSTD_MAX_WINDOW_LOG: u32 = 23;
const BROTLI_MAX_LGWIN: i32 = 24;
const BROTLI_MIN_LGWIN: i32 = 22;

/// Which formats to produce, each with its level; `None` skips a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompressOptions {
    /// Brotli quality, 0–11.
    pub brotli: Option<u32>,
    /// Zstd level, 1–22 (the window stays ≤ 8 MiB at every level).
    pub zstd: Option<i32>,
    /// Gzip level, 0–9.
    pub gzip: Option<u32>,
}

impl Default for CompressOptions {
    fn default() -> Self {
        CompressOptions { brotli: Some(11), zstd: Some(19), gzip: Some(9) }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compressed {
    pub br: Option<Vec<u8>>,
    pub zst: Option<Vec<u8>>,
    pub gz: Option<Vec<u8>>,
}

impl CompressOptions {
    pub fn check(&self) -> Result<()> {
        if let Some(q) = self.brotli.filter(|q| *q > 11) {
            return Err(Error::invalid_option("brotli", format!("quality {q} is not in 0..=11")));
        }
        if let Some(l) = self.zstd.filter(|l| !(1..=22).contains(l)) {
            return Err(Error::invalid_option("zstd", format!("level {l} is not in 1..=22")));
        }
        if let Some(l) = self.gzip.filter(|l| *l > 9) {
            return Err(Error::invalid_option("gzip", format!("level {l} is not in 0..=9")));
        }
        Ok(())
    }
}

/// Produces every requested format in parallel; the output is deterministic.
pub fn compress(bytes: &[u8], options: &CompressOptions) -> Result<Compressed> {
    options.check()?;
    std::thread::scope(|scope| {
        let br = options.brotli.map(|q| scope.spawn(move || brotli(bytes, q)));
        let zst = options.zstd.map(|l| scope.spawn(move || zstd(bytes, l)));
        let gz = options.gzip.map(|l| scope.spawn(move || gzip(bytes, l)));
        Ok(Compressed {
            br: br.map(join).transpose()?,
            zst: zst.map(join).transpose()?,
            gz: gz.map(join).transpose()?,
        })
    })
}

fn join(handle: std::thread::ScopedJoinHandle<'_, Result<Vec<u8>>>) -> Result<Vec<u8>> {
    handle.join().map_err(|_| Error::internal("a compression thread panicked"))?
}

/// Smallest power-of-two exponent whose window holds the whole input.
fn window_log_for(len: usize) -> u32 {
    usize::BITS - len.max(1).saturating_sub(1).leading_zeros()
}

/// Brotli through the reference C encoder (the one Node's zlib ships), streamed the
/// way zlib streams it, so our output is the same size or smaller at equal quality.
pub fn brotli(bytes: &[u8], quality: u32) -> Result<Vec<u8>> {
    use brotlic::{BrotliEncoderOptions, CompressorWriter, Quality, WindowSize};
    let fail = |what: String| Error::internal(format!("brotli failed: {what}"));
    let lgwin = brotli_window_log(bytes.len());
    let encoder = BrotliEncoderOptions::new()
        .quality(Quality::new(quality as u8).map_err(|e| fail(e.to_string()))?)
        .window_size(WindowSize::new(lgwin as u8).map_err(|e| fail(e.to_string()))?)
        .size_hint(u32::try_from(bytes.len()).unwrap_or(u32::MAX))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut writer = CompressorWriter::with_encoder(encoder, Vec::with_capacity(bytes.len() / 3));
    writer.write_all(bytes).map_err(|e| fail(e.to_string()))?;
    writer.into_inner().map_err(|e| fail(e.to_string()))
}

/// The brotli window for an input: large enough to hold it, never below zlib's
/// default of 22 (so we never lose to it on small files), at most 24.
pub fn brotli_window_log(len: usize) -> u32 {
    (window_log_for(len) as i32).clamp(BROTLI_MIN_LGWIN, BROTLI_MAX_LGWIN) as u32
}

pub fn zstd(bytes: &[u8], level: i32) -> Result<Vec<u8>> {
    let fail = |e: std::io::Error| Error::internal(format!("zstd failed: {e}"));
    let mut compressor = zstd::bulk::Compressor::new(level).map_err(fail)?;
    configure_zstd(&mut compressor, bytes.len()).map_err(fail)?;
    compressor.compress(bytes).map_err(fail)
}

/// What `zstd` sets on a compressor for an input of `len` bytes: its window, and
/// the content size in the frame header.
pub fn configure_zstd(compressor: &mut zstd::bulk::Compressor<'_>, len: usize) -> std::io::Result<()> {
    compressor.set_parameter(zstd::zstd_safe::CParameter::WindowLog(zstd_window_log(len)))?;
    compressor.include_contentsize(true)
}

/// The zstd window for an input: large enough to hold it, at most 8 MiB.
pub fn zstd_window_log(len: usize) -> u32 {
    window_log_for(len).clamp(10, ZSTD_MAX_WINDOW_LOG)
}

pub fn gzip(bytes: &[u8], level: u32) -> Result<Vec<u8>> {
    let fail = |e: std::io::Error| Error::internal(format!("gzip failed: {e}"));
    // No file name and a zero mtime in the header, so equal input gives equal output.
    let mut encoder = flate2::GzBuilder::new()
        .write(Vec::with_capacity(bytes.len() / 3), flate2::Compression::new(level));
    encoder.write_all(bytes).map_err(fail)?;
    encoder.finish().map_err(fail)
}

/// The window a zstd frame asks the decoder for (what browsers check).
pub fn zstd_frame_window(frame: &[u8]) -> Option<u64> {
    let descriptor = *frame.get(4)?;
    let single_segment = descriptor & 0x20 != 0;
    if single_segment {
        return zstd::zstd_safe::get_frame_content_size(frame).ok().flatten();
    }
    let window_descriptor = *frame.get(5)?;
    let exponent = (window_descriptor >> 3) as u32;
    let mantissa = (window_descriptor & 7) as u64;
    let base = 1u64 << (10 + exponent);
    Some(base + base / 8 * mantissa)
}
