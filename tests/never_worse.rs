//! never-worse keeps a result only if it is no bigger raw (unless raw growth is
//! allowed) and no bigger on the wire, and smaller in one; anything else hands the
//! input back.
mod common;
use common::*;
use wasm_squeeze::passes::never_worse::{judge, wire_size};
use wasm_squeeze::{transform, Options, StepStatus};

/// Pseudo-random bytes: incompressible filler for custom sections.
fn noise(len: usize, seed: u32) -> String {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            format!("\\{:02x}", (state >> 16) as u8)
        })
        .collect()
}

#[test]
fn a_bigger_result_is_refused() {
    let small = wasm(r#"(module (func (export "f")))"#);
    let big = wasm(&format!(r#"(module (@custom "x" "{}") (func (export "f")))"#, noise(200, 1)));
    let verdict = judge(&small, &big, false).unwrap();
    assert!(!verdict.keep_output);
    assert_eq!(verdict.step.status, StepStatus::Applied);
    assert!(verdict.step.detail.starts_with("returned the input unchanged"), "{}", verdict.step.detail);
}

#[test]
fn a_smaller_result_is_kept() {
    let big = wasm(&format!(r#"(module (@custom "x" "{}") (func (export "f")))"#, noise(200, 1)));
    let small = wasm(r#"(module (func (export "f")))"#);
    assert!(judge(&big, &small, false).unwrap().keep_output);
}

#[test]
fn raw_growth_is_kept_only_when_allowed_and_the_wire_shrinks() {
    // Incompressible filler grows the raw size but also the wire: refused.
    let input = wasm(r#"(module (memory 1) (data (i32.const 0) "ab") (func (export "f")))"#);
    let noisy = wasm(&format!(r#"(module (memory 1) (data (i32.const 0) "ab{}") (func (export "f")))"#, noise(64, 7)));
    assert!(wire_size(&noisy).unwrap() > wire_size(&input).unwrap());
    assert!(!judge(&input, &noisy, true).unwrap().keep_output);
    // Many scattered segments → one segment with zero gaps: more raw bytes, fewer on the wire.
    let scattered: String = (0..200).map(|i| format!(r#"(data (i32.const {}) "\{:02x}\{:02x}")"#, i * 9, i % 256, (i * 7) % 256)).collect();
    let many = wasm(&format!(r#"(module (memory 1) {scattered} (func (export "f")))"#));
    let bytes: String = (0..200).map(|i| format!(r#"\{:02x}\{:02x}\00\00\00\00\00\00\00"#, i % 256, (i * 7) % 256)).collect();
    let one = wasm(&format!(r#"(module (memory 1) (data (i32.const 0) "{bytes}") (func (export "f")))"#));
    assert!(one.len() > many.len(), "raw grows: {} -> {}", many.len(), one.len());
    assert!(wire_size(&one).unwrap() < wire_size(&many).unwrap());
    assert!(judge(&many, &one, true).unwrap().keep_output, "allowed to grow raw");
    assert!(!judge(&many, &one, false).unwrap().keep_output, "by default never bigger raw");
}

#[test]
fn transform_reports_the_verdict() {
    let input = wasm(r#"(module (func $named (export "f")))"#);
    let out = transform(&input, &Options::default()).unwrap();
    let last = out.report.steps.last().unwrap();
    assert_eq!(last.pass, "never-worse");
    assert!(last.detail.starts_with("kept the result"), "{}", last.detail);
    assert!(!out.report.kept_original);
    assert!(out.wasm.len() < input.len());
}
