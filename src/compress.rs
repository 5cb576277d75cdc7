//! Compression for the wire: brotli, zstd and gzip, each in its own thread.
//!
//! Browsers accept `Content-Encoding: zstd` only with a window of at most 8 MiB, so
//! the zstd window is capped there whatever the level. Brotli is the reference C
//! encoder with zlib's default window (4 MiB), streamed the way zlib streams it, so
//! the bytes are zlib's. A wider window (up to 16 MiB) can win on inputs over 4 MiB
//! and can also lose (ruff: +0.69%), so it is only ever a second candidate, run when
//! a cheap zstd proxy sees redundancy beyond 4 MiB, and shipped only when it comes
//! out smaller: at equal quality our output is never bigger than Node zlib's.

use crate::error::{Error, Result};
use std::io::Write;

/// The largest zstd window browsers must accept: 2^23 bytes = 8 MiB.
pub const ZSTD_MAX_WINDOW_LOG: u32 = 23;
const BROTLI_MAX_LGWIN: u32 = 24;
/// zlib's default brotli window (4 MiB): the reference our output never loses to.
pub const BROTLI_ZLIB_LGWIN: u32 = 22;
/// The zstd level of the proxy that decides whether a wide brotli window is worth a
/// second run: level 9 is the lowest whose window gain tracks brotli 11's on the
/// corpus (level 3 sees no gain on any file); it costs about 2% of a brotli-11 run.
const PROXY_ZSTD_LEVEL: i32 = 9;
/// The proxy gain (fraction of its narrow-window size) from which the wide window
/// gets its run. Below it the wide window won at most 0.16% on the corpus
/// (canvaskit), so skipping it there saves a whole brotli-11 run for little.
const PROXY_MIN_GAIN: f64 = 0.001;

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

/// Brotli through the reference C encoder at zlib's window, and at a wider one when
/// [`wide_brotli_window`] says it may pay (both at once, on two threads); the smaller
/// output wins, zlib's window on a tie. Deterministic: no timing decides anything.
pub fn brotli(bytes: &[u8], quality: u32) -> Result<Vec<u8>> {
    let Some(wide) = wide_brotli_window(bytes)? else {
        return brotli_with_window(bytes, quality, BROTLI_ZLIB_LGWIN);
    };
    let (narrow, wide) = std::thread::scope(|scope| {
        let wide = scope.spawn(move || brotli_with_window(bytes, quality, wide));
        (brotli_with_window(bytes, quality, BROTLI_ZLIB_LGWIN), join(wide))
    });
    let (narrow, wide) = (narrow?, wide?);
    Ok(if wide.len() < narrow.len() { wide } else { narrow })
}

/// Brotli at one window through the reference C encoder (brotli 1.2, whose output
/// matches Node 20's zlib, brotli 1.1, on the corpus), called the way Node's
/// `brotliCompressSync` calls it: quality and window set, all input with FINISH, no
/// size hint. At zlib's window the bytes are zlib's.
pub fn brotli_with_window(bytes: &[u8], quality: u32, lgwin: u32) -> Result<Vec<u8>> {
    brotli_part(bytes, quality, lgwin, 0, true)
}

/// Brotli in `parts` pieces of about equal size, encoded at once on `parts` threads
/// and stitched into ONE standard stream (C brotli's `BROTLI_PARAM_STREAM_OFFSET`:
/// each piece after the first knows how many bytes precede it, omits the header and
/// never refers to bytes it has not seen; every piece but the last ends flushed, at a
/// byte boundary, without the last-block flag). A piece cannot refer back into the
/// pieces before it, so the stream is bigger than the unsplit one: by 0.8–4.8% in
/// two pieces on real modules (bench/results/brotli-split.md), too much to ship, so
/// only that bench uses it. One part is [`brotli_with_window`].
pub fn brotli_split(bytes: &[u8], quality: u32, lgwin: u32, parts: usize) -> Result<Vec<u8>> {
    let size = bytes.len().div_ceil(parts.max(1)).max(1);
    let pieces: Vec<(usize, &[u8])> = bytes.chunks(size).scan(0, |at, piece| {
        let start = *at;
        *at += piece.len();
        Some((start, piece))
    }).collect();
    if pieces.len() <= 1 {
        return brotli_with_window(bytes, quality, lgwin);
    }
    let last = pieces.len() - 1;
    let encoded: Vec<Result<Vec<u8>>> = std::thread::scope(|scope| {
        let threads: Vec<_> = pieces
            .iter()
            .enumerate()
            .map(|(i, &(start, piece))| scope.spawn(move || brotli_part(piece, quality, lgwin, start, i == last)))
            .collect();
        threads.into_iter().map(join).collect()
    });
    let mut out = Vec::with_capacity(bytes.len() / 3 + 64);
    for piece in encoded {
        out.extend_from_slice(&piece?);
    }
    Ok(out)
}

/// One piece of a brotli stream: the bytes at `offset` of the whole input (0: the
/// stream's start, with its header), ending the stream when `last`, else flushed.
fn brotli_part(bytes: &[u8], quality: u32, lgwin: u32, offset: usize, last: bool) -> Result<Vec<u8>> {
    use compu_brotli_sys as ffi;
    let fail = |what: &str| Error::internal(format!("brotli failed: {what}"));
    if quality > 11 || !(10..=24).contains(&lgwin) || offset >= 1 << 30 {
        return Err(fail("quality, window or offset out of range"));
    }
    struct Encoder(*mut ffi::BrotliEncoderState);
    impl Drop for Encoder {
        fn drop(&mut self) {
            // SAFETY: created by BrotliEncoderCreateInstance, destroyed once.
            unsafe { ffi::BrotliEncoderDestroyInstance(self.0) }
        }
    }
    // SAFETY: default allocator (null functions); the state is only used below.
    let encoder = Encoder(unsafe { ffi::BrotliEncoderCreateInstance(None, None, std::ptr::null_mut()) });
    if encoder.0.is_null() {
        return Err(fail("out of memory"));
    }
    // SAFETY: a live state; every parameter is in range (checked above).
    let set = unsafe {
        ffi::BrotliEncoderSetParameter(encoder.0, ffi::BrotliEncoderParameter_BROTLI_PARAM_QUALITY, quality) != 0
            && ffi::BrotliEncoderSetParameter(encoder.0, ffi::BrotliEncoderParameter_BROTLI_PARAM_LGWIN, lgwin) != 0
            && (offset == 0
                || ffi::BrotliEncoderSetParameter(encoder.0, ffi::BrotliEncoderParameter_BROTLI_PARAM_STREAM_OFFSET, offset as u32) != 0)
    };
    if !set {
        return Err(fail("parameter rejected"));
    }
    let operation = if last {
        ffi::BrotliEncoderOperation_BROTLI_OPERATION_FINISH
    } else {
        ffi::BrotliEncoderOperation_BROTLI_OPERATION_FLUSH
    };
    let mut out = Vec::with_capacity(bytes.len() / 3 + 64);
    let mut chunk = vec![0u8; 1 << 16];
    let (mut available_in, mut next_in) = (bytes.len(), bytes.as_ptr());
    loop {
        let (mut available_out, mut next_out) = (chunk.len(), chunk.as_mut_ptr());
        // SAFETY: next_in/available_in describe the rest of `bytes`, next_out/available_out
        // the whole of `chunk`; the encoder advances them within those bounds.
        let ok = unsafe {
            ffi::BrotliEncoderCompressStream(
                encoder.0,
                operation,
                &mut available_in,
                &mut next_in,
                &mut available_out,
                &mut next_out,
                std::ptr::null_mut(),
            ) != 0
        };
        if !ok {
            return Err(fail("encoder error"));
        }
        out.extend_from_slice(&chunk[..chunk.len() - available_out]);
        // SAFETY: a live state.
        let done = unsafe {
            if last {
                ffi::BrotliEncoderIsFinished(encoder.0) != 0
            } else {
                available_in == 0 && ffi::BrotliEncoderHasMoreOutput(encoder.0) == 0
            }
        };
        if done {
            return Ok(out);
        }
    }
}

/// The window to try beside zlib's, or `None`: only inputs over 4 MiB can use a
/// wider one, and only when zstd at the same two windows finds the wider one at
/// least [`PROXY_MIN_GAIN`] smaller (redundancy beyond 4 MiB that brotli could use).
/// A prediction only: [`brotli`] still ships the smaller of the real outputs.
pub fn wide_brotli_window(bytes: &[u8]) -> Result<Option<u32>> {
    let wide = window_log_for(bytes.len()).min(BROTLI_MAX_LGWIN);
    if wide <= BROTLI_ZLIB_LGWIN {
        return Ok(None);
    }
    let proxy = |lgwin: u32| -> Result<usize> {
        let fail = |e: std::io::Error| Error::internal(format!("zstd proxy failed: {e}"));
        let mut compressor = zstd::bulk::Compressor::new(PROXY_ZSTD_LEVEL).map_err(fail)?;
        compressor.set_parameter(zstd::zstd_safe::CParameter::WindowLog(lgwin)).map_err(fail)?;
        Ok(compressor.compress(bytes).map_err(fail)?.len())
    };
    let (narrow, wide_size) = (proxy(BROTLI_ZLIB_LGWIN)?, proxy(wide)?);
    let gain = 1.0 - wide_size as f64 / narrow as f64;
    Ok((gain >= PROXY_MIN_GAIN).then_some(wide))
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

#[cfg(test)]
mod tests;
