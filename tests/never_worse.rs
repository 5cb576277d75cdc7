//! never-worse's verdict as `transform` reports it. The judge's own rules are unit
//! tests beside it (`src/policy/never_worse/tests.rs`).
mod common;
use common::*;
use wasm_squeeze::{transform, Options};

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
