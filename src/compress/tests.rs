//! The brotli window rule and the zstd window cap, on the encoders themselves (the
//! formats' round trips through `compress` are `tests/compress.rs`).
use super::*;
use crate::test_support::{sample, unbrotli, unzstd_like_a_browser};

#[test]
fn zstd_window_stays_within_what_browsers_accept_at_every_level() {
    // Larger than 8 MiB, so the level's own window (up to 128 MiB at 22) would show.
    let input = sample(9 << 20);
    for level in [19, 22] {
        let options = CompressOptions { brotli: None, zstd: Some(level), gzip: None };
        let zst = compress(&input, &options).unwrap().zst.unwrap();
        let window = zstd_frame_window(&zst).unwrap();
        assert!(window <= 8 << 20, "level {level}: window {window}");
        assert_eq!(unzstd_like_a_browser(&zst), input, "level {level}");
    }
}

#[test]
fn small_inputs_get_small_windows() {
    let zst = compress(&sample(5000), &CompressOptions::default()).unwrap().zst.unwrap();
    assert!(zstd_frame_window(&zst).unwrap() <= 8192);
}

/// tree-sitter-cpp (5.1 MiB, a devDependency: a real module, no generated stand-in).
fn tree_sitter_cpp() -> Vec<u8> {
    std::fs::read("node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter-cpp.wasm").unwrap()
}

// Quality 5 in these tests: the window rule is the same at every quality, and 11
// would take a minute per run.

#[test]
fn a_wider_brotli_window_is_kept_when_it_comes_out_smaller() {
    // The module twice: its second copy starts 5.1 MiB back, beyond zlib's 4 MiB window.
    let module = tree_sitter_cpp();
    let input = [&module[..], &module].concat();
    assert_eq!(wide_brotli_window(&input).unwrap(), Some(24));
    let narrow = brotli_with_window(&input, 5, BROTLI_ZLIB_LGWIN).unwrap();
    let wide = brotli_with_window(&input, 5, 24).unwrap();
    assert!(wide.len() < narrow.len() * 9 / 10, "premise: the repeat pays ({} vs {})", wide.len(), narrow.len());
    let ours = brotli(&input, 5).unwrap();
    assert_eq!(ours, wide);
    assert_eq!(unbrotli(&ours), input);
}

/// A real module where a wider window than zlib's comes out bigger.
#[test]
fn brotli_is_never_bigger_than_at_zlibs_window_where_a_wider_one_loses() {
    let input = tree_sitter_cpp();
    let narrow = brotli_with_window(&input, 5, BROTLI_ZLIB_LGWIN).unwrap();
    let wide = brotli_with_window(&input, 5, 23).unwrap();
    assert!(wide.len() > narrow.len(), "premise: the wider window loses ({} vs {})", wide.len(), narrow.len());
    // The proxy sees no redundancy beyond 4 MiB, so the wider window is not even run.
    assert_eq!(wide_brotli_window(&input).unwrap(), None);
    let ours = brotli(&input, 5).unwrap();
    assert_eq!(ours, narrow);
    assert_eq!(unbrotli(&ours), input);
}

#[test]
fn inputs_within_zlibs_window_get_only_zlibs_window() {
    assert_eq!(wide_brotli_window(&sample(4 << 20)).unwrap(), None);
    assert_eq!(wide_brotli_window(b"").unwrap(), None);
}

#[test]
fn a_split_brotli_stream_is_one_standard_stream() {
    // Quality 11 and 5 take different encoder paths (zopfli vs hash chains).
    let module = tree_sitter_cpp();
    for quality in [5, 11] {
        let input = if quality == 11 { &module[..1 << 20] } else { &module[..] };
        for parts in [2, 3, 7] {
            let split = brotli_split(input, quality, BROTLI_ZLIB_LGWIN, parts).unwrap();
            assert_eq!(unbrotli(&split), input, "quality {quality}, {parts} parts");
            let whole = brotli_with_window(input, quality, BROTLI_ZLIB_LGWIN).unwrap();
            // The pieces cannot refer back to each other: a little bigger, not much.
            assert!(split.len() >= whole.len() && split.len() < whole.len() * 11 / 10, "{} vs {}", split.len(), whole.len());
        }
    }
}

#[test]
fn a_split_into_one_part_or_of_tiny_input_is_the_unsplit_stream() {
    let input = sample(100_000);
    assert_eq!(brotli_split(&input, 5, BROTLI_ZLIB_LGWIN, 1).unwrap(), brotli_with_window(&input, 5, BROTLI_ZLIB_LGWIN).unwrap());
    assert_eq!(unbrotli(&brotli_split(b"ab", 5, BROTLI_ZLIB_LGWIN, 4).unwrap()), b"ab");
    assert_eq!(unbrotli(&brotli_split(b"", 5, BROTLI_ZLIB_LGWIN, 4).unwrap()), b"");
}
