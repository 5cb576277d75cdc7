//! build_id (tool-conventions BuildId.md), one case per rule: kept when the shipped
//! code is the input's, replaced when it changed, added only for a companion, and
//! always the same in the shipped module and its companion.
mod common;
use common::*;
use wasm_squeeze::{read_build_id, transform, Options, StepStatus};

/// `(@custom "build_id" ...)` holding the vector [1, 2, 3, 4] (length prefix 4).
const OLD_ID: &str = r#"(@custom "build_id" (after code) "\04\01\02\03\04")"#;

/// A module with an unused function (remove-unused changes the code) or without.
fn fixture(unused: bool, extra: &str) -> Vec<u8> {
    let dead = if unused { "(func $dead (result i32) i32.const 9)" } else { "" };
    wasm(&format!(
        r#"(module
             (memory 1)
             {dead}
             (func $live (export "run") (result i32) i32.const 7)
             (data (i32.const 8) "hello")
             {extra})"#
    ))
}

fn step<'a>(out: &'a wasm_squeeze::Transformed) -> Option<&'a wasm_squeeze::Step> {
    out.report.steps.iter().find(|s| s.pass == "build-id")
}

#[test]
fn the_input_id_stays_when_the_code_is_unchanged() {
    let input = fixture(false, &format!("(@custom \"name\" \"\\00\") {OLD_ID}"));
    let out = transform(&input, &Options::default()).unwrap();
    assert_valid(&out.wasm);
    assert!(out.wasm.len() < input.len(), "strip ran");
    assert_eq!(read_build_id(&out.wasm).unwrap(), Some(vec![1, 2, 3, 4]));
    let step = step(&out).unwrap();
    assert_eq!(step.status, StepStatus::Unchanged, "{}", step.detail);
}

#[test]
fn a_changed_module_never_ships_the_input_id() {
    // No companion asked for: the rule holds for every run.
    let input = fixture(true, OLD_ID);
    let out = transform(&input, &Options::default()).unwrap();
    assert_valid(&out.wasm);
    assert_eq!(counts(&out.wasm).0, 1, "remove-unused dropped $dead");
    let id = read_build_id(&out.wasm).unwrap().unwrap();
    assert_ne!(id, vec![1, 2, 3, 4]);
    assert_eq!(id, derived_build_id(&out.wasm), "derived from the shipped bytes");
    assert_eq!(id.len(), 16);
    assert!(step(&out).unwrap().detail.contains(&hex(&id)));
    assert_eq!(call_i32(&out.wasm, "run", &[]), Ok(vec![7]));
}

#[test]
fn no_id_is_added_without_a_companion() {
    let input = fixture(true, "");
    let out = transform(&input, &Options::default()).unwrap();
    assert_eq!(read_build_id(&out.wasm).unwrap(), None);
    assert!(step(&out).is_none());
}

#[test]
fn a_companion_gets_the_shipped_id_new_or_kept() {
    let options = Options { debug_companion: true, ..Options::default() };
    for (extra, kept) in [("", false), (OLD_ID, true)] {
        let input = fixture(false, extra);
        let out = transform(&input, &options).unwrap();
        let companion = out.debug_companion.expect("the fixture has a name section");
        let shipped_id = read_build_id(&out.wasm).unwrap().expect("an id to find the companion by");
        assert_eq!(read_build_id(&companion).unwrap(), Some(shipped_id.clone()));
        assert_eq!(shipped_id == vec![1, 2, 3, 4], kept, "{extra}");
        if !kept {
            assert_eq!(shipped_id, derived_build_id(&out.wasm));
        }
    }
}

#[test]
fn the_derived_id_ignores_the_companion_url() {
    let input = fixture(true, "");
    let with_url = |url: &str| {
        let options = Options { debug_companion: true, debug_url: Some(url.into()), ..Options::default() };
        read_build_id(&transform(&input, &options).unwrap().wasm).unwrap().unwrap()
    };
    assert_eq!(with_url("https://a.example/app.debug.wasm"), with_url("file:///b/app.debug.wasm"));
}
