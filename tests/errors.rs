//! Bad input is an error that says what and where, never a panic.
mod common;
use common::*;
use wasm_squeeze::{inspect, transform, ErrorCode, Options};

fn transform_err(bytes: &[u8]) -> wasm_squeeze::Error {
    transform(bytes, &Options::default()).expect_err("input must be rejected")
}

#[test]
fn not_wasm_at_all() {
    let err = transform_err(b"<!doctype html><html>");
    assert_eq!(err.code, ErrorCode::Malformed);
    assert_eq!(err.offset, Some(0));
    assert!(err.to_string().contains("(at offset 0x0)"), "{err}");
}

#[test]
fn empty_input() {
    assert_eq!(transform_err(b"").code, ErrorCode::Malformed);
}

#[test]
fn wrong_version() {
    let err = transform_err(&[0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]);
    assert_eq!(err.code, ErrorCode::Malformed);
    assert_eq!(err.offset, Some(4));
}

#[test]
fn component_binaries_are_refused_as_unsupported() {
    let component = wat::parse_str("(component)").unwrap();
    let err = transform_err(&component);
    assert_eq!(err.code, ErrorCode::Unsupported);
    assert!(err.message.contains("component"), "{err}");
}

#[test]
fn every_truncation_inside_a_section_is_an_error_with_an_offset_inside_the_input() {
    let input = wasm(r#"(module (memory 1) (data (i32.const 0) "abc") (func (export "f") (result i32) i32.const 7))"#);
    // Cutting exactly between sections may leave a shorter valid module (or one that
    // is invalid for missing sections); cutting inside a section must fail, and every
    // failure names an offset inside what was given.
    let boundaries: Vec<usize> = std::iter::once(8)
        .chain(raw_sections(&input).iter().map(|s| s.offset + s.raw.len()))
        .collect();
    for len in 0..input.len() {
        match transform(&input[..len], &Options::default()) {
            Ok(out) => {
                assert!(boundaries.contains(&len), "truncated at {len} inside a section, yet accepted");
                assert_valid(&out.wasm);
            }
            Err(err) => {
                assert_eq!(err.code, ErrorCode::Malformed, "truncated at {len}");
                assert!(err.offset.unwrap() <= len as u64, "truncated at {len}: offset {:?}", err.offset);
            }
        }
    }
}

#[test]
fn invalid_code_is_reported_where_it_is() {
    // Well-formed binary, invalid function body: i32.add with an empty stack.
    let mut input = wasm(r#"(module (func (result i32) i32.const 1 i32.const 2 i32.add))"#);
    let at = input.windows(2).position(|w| w == [0x41, 0x01]).unwrap();
    input[at] = 0x01; // i32.const 1 -> nop, leaving the add one operand short
    input[at + 1] = 0x01;
    let err = transform_err(&input);
    assert_eq!(err.code, ErrorCode::Malformed);
    assert!(err.offset.unwrap() > at as u64 - 1, "{err}");
}

#[test]
fn inspect_rejects_the_same_inputs() {
    let err = inspect(b"\0asm\x01\0\0\0\x01").unwrap_err();
    assert_eq!(err.code, ErrorCode::Malformed);
    assert!(err.offset.is_some());
}

#[test]
fn valid_empty_module_is_fine() {
    let out = transform(b"\0asm\x01\0\0\0", &Options::default()).unwrap();
    assert_eq!(out.wasm, b"\0asm\x01\0\0\0");
    assert_valid(&out.wasm);
}

#[test]
fn html_served_in_place_of_wasm_gets_a_hint() {
    let err = transform_err(b"\n<!doctype html><title>404</title>");
    assert_eq!((err.code, err.offset), (ErrorCode::Malformed, Some(0)));
    assert!(err.message.contains("looks like HTML"), "{err}");
    assert!(!err.message.contains('\n'), "one line: {err}");
}
