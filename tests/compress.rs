//! Every format round-trips exactly. (That zstd never asks browsers for more than
//! 8 MiB, and the brotli window rule, are unit tests in `src/compress/tests.rs`.)
mod common;
use common::*;
use wasm_squeeze::{compress, CompressOptions, ErrorCode};

#[test]
fn all_formats_round_trip() {
    let input = sample(300_000);
    let options = CompressOptions { brotli: Some(11), zstd: Some(19), gzip: Some(9) };
    let out = compress(&input, &options).unwrap();
    let (br, zst, gz) = (out.br.unwrap(), out.zst.unwrap(), out.gz.unwrap());
    assert_eq!(unbrotli(&br), input);
    assert_eq!(unzstd_like_a_browser(&zst), input);
    assert_eq!(ungzip(&gz), input);
    assert!(br.len() < input.len() / 2 && zst.len() < input.len() / 2 && gz.len() < input.len() / 2);
}

#[test]
fn defaults_are_brotli_zstd_and_gzip() {
    let out = compress(b"hello hello hello", &CompressOptions::default()).unwrap();
    assert!(out.br.is_some() && out.zst.is_some() && out.gz.is_some());
}

#[test]
fn output_is_deterministic() {
    let input = sample(100_000);
    let options = CompressOptions { brotli: Some(11), zstd: Some(19), gzip: Some(9) };
    assert_eq!(compress(&input, &options).unwrap(), compress(&input, &options).unwrap());
}

#[test]
fn empty_input_round_trips() {
    let options = CompressOptions { brotli: Some(11), zstd: Some(19), gzip: Some(9) };
    let out = compress(b"", &options).unwrap();
    assert_eq!(unbrotli(&out.br.unwrap()), b"");
    assert_eq!(unzstd_like_a_browser(&out.zst.unwrap()), b"");
    assert_eq!(ungzip(&out.gz.unwrap()), b"");
}

#[test]
fn out_of_range_levels_name_the_option() {
    for (options, name) in [
        (CompressOptions { brotli: Some(12), zstd: None, gzip: None }, "brotli"),
        (CompressOptions { brotli: None, zstd: Some(23), gzip: None }, "zstd"),
        (CompressOptions { brotli: None, zstd: Some(0), gzip: None }, "zstd"),
        (CompressOptions { brotli: None, zstd: None, gzip: Some(10) }, "gzip"),
    ] {
        let err = compress(b"x", &options).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidOption);
        assert!(err.message.contains(name), "{err}");
    }
}
