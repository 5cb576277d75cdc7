//! Delta bodies for Compression Dictionary Transport (RFC 9842): the new version of a
//! file compressed with the previous version as a raw dictionary, framed the way
//! browsers decode it.
//!
//! - `dcb`: `ff 44 43 42`, the 32-byte sha-256 of the dictionary, then a brotli stream
//!   encoded with the dictionary attached as a raw (LZ77 prefix) shared dictionary.
//!   The window stays at lgwin 24 (16 MiB), the most RFC 9842 lets a client require.
//! - `dcz`: `5e 2a 4d 18 20 00 00 00` (a zstd skippable frame of 32 bytes), the
//!   sha-256, then a zstd frame with the dictionary referenced as a raw prefix. Its
//!   window is at most max(8 MiB, 1.25 × dictionary), at most 128 MiB, as the RFC
//!   allows (Chromium takes up to the next power of two of that). `None` when no such
//!   window is possible.
//!
//! Every body is decoded here against its dictionary, and its output compared with
//! the new bytes, before it is returned: a wrong delta is an internal error, never an
//! output.

use crate::error::{Error, ErrorCode, Result};
use sha2::{Digest, Sha256};

pub const DCB_MAGIC: [u8; 4] = [0xff, 0x44, 0x43, 0x42];
pub const DCZ_MAGIC: [u8; 8] = [0x5e, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00];
/// Brotli's largest standard window (2^24 − 16 bytes).
const DCB_LGWIN: u32 = 24;
const DCZ_MIN_WINDOW: u64 = 8 << 20;
const DCZ_MAX_WINDOW: u64 = 128 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeltaFormat {
    Dcb,
    Dcz,
}

impl DeltaFormat {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "dcb" => Some(DeltaFormat::Dcb),
            "dcz" => Some(DeltaFormat::Dcz),
            _ => None,
        }
    }

    fn header_len(self) -> usize {
        match self {
            DeltaFormat::Dcb => DCB_MAGIC.len() + 32,
            DeltaFormat::Dcz => DCZ_MAGIC.len() + 32,
        }
    }

    fn default_level(self) -> i32 {
        match self {
            DeltaFormat::Dcb => 11,
            DeltaFormat::Dcz => 19,
        }
    }
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The body for `Content-Encoding: format` of `new` against `dict`, verified.
/// `None` for dcz when no window browsers accept can reach the dictionary.
pub fn delta(new: &[u8], dict: &[u8], format: DeltaFormat, level: Option<i32>) -> Result<Option<Vec<u8>>> {
    let level = level.unwrap_or(format.default_level());
    let (magic, stream): (&[u8], Vec<u8>) = match format {
        DeltaFormat::Dcb => {
            if !(0..=11).contains(&level) {
                return Err(Error::invalid_option("level", format!("brotli quality {level} is not in 0..=11")));
            }
            (&DCB_MAGIC, ffi::brotli_with_dictionary(new, dict, level as u32, DCB_LGWIN)?)
        }
        DeltaFormat::Dcz => {
            if !(1..=22).contains(&level) {
                return Err(Error::invalid_option("level", format!("zstd level {level} is not in 1..=22")));
            }
            let Some(window_log) = dcz_window_log(new.len(), dict.len()) else { return Ok(None) };
            (&DCZ_MAGIC, zstd_with_prefix(new, dict, level, window_log)?)
        }
    };
    let mut body = Vec::with_capacity(format.header_len() + stream.len());
    body.extend_from_slice(magic);
    body.extend_from_slice(&sha256(dict));
    body.extend_from_slice(&stream);
    let decoded = undelta(&body, dict, new.len())?;
    if sha256(&decoded) != sha256(new) {
        return Err(Error::internal(format!("{format:?} delta does not decode to the new bytes; not returning it")));
    }
    Ok(Some(body))
}

/// The largest zstd window a dcz may ask of a client holding a dictionary of
/// `dict_len` bytes (RFC 9842: max(8 MiB, 1.25 × the dictionary), at most 128 MiB).
/// Chromium allows the next power of two of it (`Log2Ceiling(dictionary × 5 / 4)`).
pub fn dcz_max_window(dict_len: usize) -> u64 {
    DCZ_MIN_WINDOW.max(dict_len as u64 / 4 * 5).min(DCZ_MAX_WINDOW)
}

/// The zstd window log for a dcz delta. When the rules allow a window as large as the
/// new file, the smallest power of two covering it: zstd then writes a single-segment
/// frame, whose window is the file's own size, and the whole dictionary stays in
/// reach for the whole file (RFC 8878: a dictionary is reachable until the output
/// passes the window). Else the largest power of two the rules allow; `None` when
/// that covers less than half the dictionary.
pub fn dcz_window_log(new_len: usize, dict_len: usize) -> Option<u32> {
    let allowed = dcz_max_window(dict_len);
    let new_len = (new_len as u64).max(1024);
    if new_len <= allowed {
        return Some(64 - (new_len - 1).leading_zeros());
    }
    let allowed_log = 63 - allowed.leading_zeros();
    // A window that covers neither the dictionary nor the file gains nothing.
    if (1u64 << allowed_log) < dict_len as u64 / 2 {
        return None;
    }
    Some(allowed_log)
}

fn zstd_with_prefix(new: &[u8], dict: &[u8], level: i32, window_log: u32) -> Result<Vec<u8>> {
    use zstd::zstd_safe::{CCtx, CParameter};
    let fail = |code: usize| Error::internal(format!("zstd failed: {}", zstd::zstd_safe::get_error_name(code)));
    let mut cctx = CCtx::create();
    cctx.set_parameter(CParameter::CompressionLevel(level)).map_err(fail)?;
    cctx.set_parameter(CParameter::WindowLog(window_log)).map_err(fail)?;
    cctx.set_parameter(CParameter::ContentSizeFlag(true)).map_err(fail)?;
    cctx.set_parameter(CParameter::ChecksumFlag(true)).map_err(fail)?;
    // Long-distance matching finds the moved blocks of a large dictionary, as
    // `zstd --patch-from` does.
    if dict.len() > (8 << 20) {
        cctx.set_parameter(CParameter::EnableLongDistanceMatching(true)).map_err(fail)?;
    }
    cctx.ref_prefix(dict).map_err(fail)?;
    let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(new.len()));
    cctx.compress2(&mut out, new).map_err(fail)?;
    Ok(out)
}

/// Decodes a dcb or dcz body against `dict`, as a browser would: the header's hash
/// must name `dict`, and the output may not exceed `max_len`.
pub fn undelta(body: &[u8], dict: &[u8], max_len: usize) -> Result<Vec<u8>> {
    let bad = |why: &str, offset: u64| Error::at(ErrorCode::Malformed, format!("not a delta body: {why}"), offset);
    let format = if body.starts_with(&DCB_MAGIC) {
        DeltaFormat::Dcb
    } else if body.starts_with(&DCZ_MAGIC) {
        DeltaFormat::Dcz
    } else {
        return Err(bad("no dcb or dcz magic", 0));
    };
    let header = format.header_len();
    if body.len() < header {
        return Err(bad("truncated header", body.len() as u64));
    }
    if body[header - 32..header] != sha256(dict) {
        return Err(bad("the header names another dictionary", (header - 32) as u64));
    }
    let stream = &body[header..];
    match format {
        DeltaFormat::Dcb => ffi::unbrotli_with_dictionary(stream, dict, max_len),
        DeltaFormat::Dcz => {
            let window = crate::compress::zstd_frame_window(stream).unwrap_or(u64::MAX);
            if window > dcz_max_window(dict.len()) {
                return Err(bad("zstd window larger than RFC 9842 allows for this dictionary", header as u64));
            }
            unzstd_with_prefix(stream, dict, max_len)
        }
    }
}

fn unzstd_with_prefix(stream: &[u8], dict: &[u8], max_len: usize) -> Result<Vec<u8>> {
    use zstd::zstd_safe::DCtx;
    let fail = |code: usize| Error::new(ErrorCode::Malformed, format!("zstd delta: {}", zstd::zstd_safe::get_error_name(code)));
    let mut dctx = DCtx::create();
    dctx.ref_prefix(dict).map_err(fail)?;
    let mut out = Vec::with_capacity(max_len);
    dctx.decompress(&mut out, stream).map_err(fail)?;
    Ok(out)
}

/// The C brotli encoder and decoder (compress.rs's, brotli 1.2) with a raw shared
/// dictionary.
#[allow(non_upper_case_globals)] // the bindgen names of the C enums
mod ffi {
    use crate::error::{Error, ErrorCode, Result};
    use compu_brotli_sys::*;
    use std::ptr::{null, null_mut};

    const CHUNK: usize = 1 << 16;

    struct Encoder(*mut BrotliEncoderState);
    impl Drop for Encoder {
        fn drop(&mut self) {
            unsafe { BrotliEncoderDestroyInstance(self.0) }
        }
    }
    struct Prepared(*mut BrotliEncoderPreparedDictionary);
    impl Drop for Prepared {
        fn drop(&mut self) {
            unsafe { BrotliEncoderDestroyPreparedDictionary(self.0) }
        }
    }
    struct Decoder(*mut BrotliDecoderState);
    impl Drop for Decoder {
        fn drop(&mut self) {
            unsafe { BrotliDecoderDestroyInstance(self.0) }
        }
    }

    pub fn brotli_with_dictionary(input: &[u8], dict: &[u8], quality: u32, lgwin: u32) -> Result<Vec<u8>> {
        let fail = |what: &str| Error::internal(format!("brotli with a dictionary failed: {what}"));
        // SAFETY: every pointer handed to the C library is live for the call (the
        // dictionary and input slices outlive the encoder, which is dropped first).
        unsafe {
            let prepared = Prepared(BrotliEncoderPrepareDictionary(
                BrotliSharedDictionaryType_BROTLI_SHARED_DICTIONARY_RAW,
                dict.len(),
                dict.as_ptr(),
                11,
                None,
                None,
                null_mut(),
            ));
            if prepared.0.is_null() {
                return Err(fail("could not prepare the dictionary"));
            }
            let encoder = Encoder(BrotliEncoderCreateInstance(None, None, null_mut()));
            if encoder.0.is_null() {
                return Err(fail("out of memory"));
            }
            let set = |param, value| BrotliEncoderSetParameter(encoder.0, param, value) != 0;
            if !(set(BrotliEncoderParameter_BROTLI_PARAM_QUALITY, quality)
                && set(BrotliEncoderParameter_BROTLI_PARAM_LGWIN, lgwin)
                && set(BrotliEncoderParameter_BROTLI_PARAM_SIZE_HINT, u32::try_from(input.len()).unwrap_or(u32::MAX)))
            {
                return Err(fail("parameter refused"));
            }
            if BrotliEncoderAttachPreparedDictionary(encoder.0, prepared.0) == 0 {
                return Err(fail("dictionary refused"));
            }
            let mut out = Vec::new();
            let mut available_in = input.len();
            let mut next_in = input.as_ptr();
            loop {
                let mut buffer = [0u8; CHUNK];
                let mut available_out = CHUNK;
                let mut next_out = buffer.as_mut_ptr();
                let ok = BrotliEncoderCompressStream(
                    encoder.0,
                    BrotliEncoderOperation_BROTLI_OPERATION_FINISH,
                    &mut available_in,
                    &mut next_in,
                    &mut available_out,
                    &mut next_out,
                    null_mut(),
                );
                if ok == 0 {
                    return Err(fail("encoder error"));
                }
                out.extend_from_slice(&buffer[..CHUNK - available_out]);
                if BrotliEncoderIsFinished(encoder.0) != 0 {
                    return Ok(out);
                }
            }
        }
    }

    pub fn unbrotli_with_dictionary(stream: &[u8], dict: &[u8], max_len: usize) -> Result<Vec<u8>> {
        let bad = |what: &str| Error::new(ErrorCode::Malformed, format!("brotli delta: {what}"));
        // SAFETY: as above; the decoder only reads `dict` and `stream` while they live.
        unsafe {
            let decoder = Decoder(BrotliDecoderCreateInstance(None, None, null_mut()));
            if decoder.0.is_null() {
                return Err(Error::internal("brotli decoder: out of memory"));
            }
            if BrotliDecoderAttachDictionary(decoder.0, BrotliSharedDictionaryType_BROTLI_SHARED_DICTIONARY_RAW, dict.len(), dict.as_ptr()) == 0 {
                return Err(bad("dictionary refused"));
            }
            let mut out = Vec::new();
            let mut available_in = stream.len();
            let mut next_in = if stream.is_empty() { null() } else { stream.as_ptr() };
            loop {
                let mut buffer = [0u8; CHUNK];
                let mut available_out = CHUNK;
                let mut next_out = buffer.as_mut_ptr();
                let result = BrotliDecoderDecompressStream(
                    decoder.0,
                    &mut available_in,
                    &mut next_in,
                    &mut available_out,
                    &mut next_out,
                    null_mut(),
                );
                out.extend_from_slice(&buffer[..CHUNK - available_out]);
                if out.len() > max_len {
                    return Err(bad("decodes to more bytes than expected"));
                }
                match result {
                    BrotliDecoderResult_BROTLI_DECODER_RESULT_SUCCESS if available_in == 0 => return Ok(out),
                    BrotliDecoderResult_BROTLI_DECODER_RESULT_SUCCESS => return Err(bad("bytes after the end of the stream")),
                    BrotliDecoderResult_BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT => continue,
                    BrotliDecoderResult_BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT => return Err(bad("truncated stream")),
                    _ => return Err(bad("corrupt stream")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dcz_window_follows_rfc_9842() {
        // max(8 MiB, 1.25 × the dictionary), at most 128 MiB.
        assert_eq!(dcz_max_window(1000), 8 << 20);
        assert_eq!(dcz_max_window(20 << 20), 25 << 20);
        assert_eq!(dcz_max_window(200 << 20), 128 << 20);
        // A file the allowed window covers: the smallest power of two covering it (zstd
        // then writes a single-segment frame whose window is the file's size).
        assert_eq!(dcz_window_log(1000, 1000), Some(10));
        assert_eq!(dcz_window_log(10 << 20, 10 << 20), Some(24));
        assert_eq!(dcz_window_log(18 << 20, 18 << 20), Some(25));
        assert_eq!(dcz_window_log(34 << 20, 34 << 20), Some(26));
        // A larger file: the largest power of two the rules allow…
        assert_eq!(dcz_window_log(20 << 20, 1 << 20), Some(23));
        assert_eq!(dcz_window_log(200 << 20, 100 << 20), Some(26));
        // …unless it cannot reach half the dictionary: no dcz.
        assert_eq!(dcz_window_log(300 << 20, 300 << 20), None);
    }

    #[test]
    fn a_dcz_that_fits_is_one_segment_whose_window_is_the_file() {
        let old: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let mut new = old.clone();
        new[1000] ^= 0xff;
        let body = delta(&new, &old, DeltaFormat::Dcz, None).unwrap().unwrap();
        assert_eq!(crate::compress::zstd_frame_window(&body[40..]), Some(new.len() as u64));
        assert!(new.len() as u64 <= dcz_max_window(old.len()));
    }
}
