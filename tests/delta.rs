//! Delta bodies decode, through decoders other than the one that checked them, to
//! exactly the new bytes; zstd asks for a window browsers accept; bad bodies fail.
use sha2::{Digest, Sha256};
use std::io::Read;
use wasm_squeeze::{delta, undelta, DeltaFormat, ErrorCode};

/// RFC 9842's magic numbers, written out here rather than taken from the crate:
/// dcb's 4 bytes, and dcz's skippable zstd frame header (magic, then length 32).
const DCB_MAGIC: [u8; 4] = [0xff, 0x44, 0x43, 0x42];
const DCZ_MAGIC: [u8; 8] = [0x5e, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00];

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// A pseudo-random "old version", and a new one with a few bytes changed and a block inserted.
fn versions(len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut state = 0x2545_f491_u32;
    let old: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    let mut new = old.clone();
    for i in (0..len).step_by(len / 7 + 1) {
        new[i] ^= 0x55;
    }
    new.splice(len / 3..len / 3, b"a new function body".iter().copied());
    (old, new)
}

/// The pure-Rust brotli decoder, with the dictionary as its (LZ77 prefix) custom dictionary.
fn unbrotli_rust(stream: &[u8], dict: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut input, mut output) = (vec![0u8; 4096], vec![0u8; 4096]);
    brotli_decompressor::BrotliDecompressCustomDict(&mut &stream[..], &mut out, &mut input, &mut output, dict.to_vec()).unwrap();
    out
}

/// zstd's streaming decoder with the dictionary as a raw prefix, refusing the windows
/// Chromium refuses (its zstd_source_stream.cc: clamp(Log2Ceiling(dictionary × 5 / 4), 23, 27)).
fn unzstd_streaming(frame: &[u8], dict: &[u8]) -> Vec<u8> {
    let mut decoder = zstd::stream::read::Decoder::with_ref_prefix(frame, dict).unwrap();
    let chromium_log = (64 - ((dict.len() as u64 * 5 / 4).max(1) - 1).leading_zeros()).clamp(23, 27);
    decoder.window_log_max(chromium_log).unwrap();
    let mut out = Vec::new();
    decoder.read_to_end(&mut out).unwrap();
    out
}

#[test]
fn dcb_is_magic_hash_and_a_brotli_stream_an_independent_decoder_reads() {
    let (old, new) = versions(300_000);
    let body = delta(&new, &old, DeltaFormat::Dcb, None).unwrap().unwrap();
    assert_eq!(body[..4], DCB_MAGIC);
    assert_eq!(body[4..36], sha256(&old));
    assert_eq!(unbrotli_rust(&body[36..], &old), new);
    // Random data: without the dictionary brotli cannot go below the input size.
    assert!(body.len() < 2_000, "dcb body is {} bytes", body.len());
}

#[test]
fn dcz_is_a_skippable_frame_hash_and_a_zstd_frame_with_a_window_browsers_take() {
    let (old, new) = versions(300_000);
    let body = delta(&new, &old, DeltaFormat::Dcz, None).unwrap().unwrap();
    assert_eq!(body[..8], DCZ_MAGIC);
    assert_eq!(body[8..40], sha256(&old));
    // The decoder refuses a frame asking for a window larger than Chromium takes
    // for this dictionary, so this also checks the window browsers accept.
    assert_eq!(unzstd_streaming(&body[40..], &old), new);
    // Random data: only matches into the dictionary make it this small.
    assert!(body.len() < 2_000, "dcz body is {} bytes", body.len());
}

#[test]
fn a_dcz_frame_with_a_window_beyond_the_rfcs_is_refused() {
    let (old, new) = versions(300_000);
    let body = delta(&new, &old, DeltaFormat::Dcz, None).unwrap().unwrap();
    // The header of that body, then an empty zstd frame whose header asks for a 16 MiB
    // window (descriptor 0x70: 2^(10 + 14)) where RFC 9842 allows 8 MiB for this dictionary.
    let mut forged = body[..40].to_vec();
    forged.extend_from_slice(&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x70, 0x01, 0x00, 0x00]);
    let err = undelta(&forged, &old, new.len()).unwrap_err();
    assert!(err.to_string().contains("window larger than RFC 9842 allows"), "{err}");
}

#[test]
fn identical_and_empty_inputs_round_trip() {
    let (old, _) = versions(10_000);
    for format in [DeltaFormat::Dcb, DeltaFormat::Dcz] {
        for (new, dict) in [(&old[..], &old[..]), (&[][..], &old[..]), (&old[..], &[][..])] {
            let body = delta(new, dict, format, Some(5)).unwrap().unwrap();
            assert_eq!(undelta(&body, dict, new.len()).unwrap(), new);
        }
    }
}

#[test]
fn a_body_read_against_another_dictionary_or_damaged_is_an_error() {
    let (old, new) = versions(50_000);
    for format in [DeltaFormat::Dcb, DeltaFormat::Dcz] {
        let body = delta(&new, &old, format, None).unwrap().unwrap();
        let err = undelta(&body, &new, new.len()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Malformed);
        assert!(err.to_string().contains("another dictionary"), "{err}");
        let mut damaged = body.clone();
        let last = damaged.len() - 3;
        damaged[last] ^= 0xff;
        assert!(undelta(&damaged, &old, new.len()).is_err());
        assert!(undelta(&body[..body.len() / 2], &old, new.len()).is_err());
        assert!(undelta(&body, &old, new.len() - 1).is_err(), "output bounded");
    }
    assert!(undelta(b"garbage", &old, 10).is_err());
}

#[test]
fn levels_out_of_range_are_option_errors() {
    let err = delta(b"x", b"y", DeltaFormat::Dcb, Some(12)).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidOption);
    let err = delta(b"x", b"y", DeltaFormat::Dcz, Some(0)).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidOption);
}
