//! Validation shortcuts: bodies validated in parallel report the same first error
//! as wasmparser's sequential `validate_all`, and `validate_output` skips bodies
//! only when the code and everything it is checked against is unchanged.
use crate::module::{self, SectionId};
use crate::test_support::wasm;
use wasmparser::{Validator, WasmFeatures};

/// A module with `count` functions, big enough to be validated on several threads;
/// the functions listed in `broken` return an i64 from an i32 function.
fn many_functions(count: usize, broken: &[usize]) -> Vec<u8> {
    let mut text = String::from("(module (memory 1)\n");
    for i in 0..count {
        let body = if broken.contains(&i) { "i64.const 1" } else { "local.get 0 i32.const 1 i32.add" };
        // Long enough bodies: 256 KiB of code in all, over the parallel threshold.
        let padding = "i32.const 7 drop ".repeat(60);
        text.push_str(&format!("(func (export \"f{i}\") (param i32) (result i32) {padding} {body})\n"));
    }
    text.push(')');
    wasm(&text)
}

fn wasmparser_error(bytes: &[u8]) -> String {
    Validator::new_with_features(WasmFeatures::all()).validate_all(bytes).err().expect("fixture must be invalid").to_string()
}

#[test]
fn parallel_validation_reports_the_first_error_in_module_order() {
    let valid = many_functions(2000, &[]);
    assert!(valid.len() > 256 * 1024, "the fixture must be big enough for threads: {} B", valid.len());
    module::validate(&valid).unwrap();
    for broken in [vec![1999], vec![3, 1500], vec![1000, 1001, 1999]] {
        let bytes = many_functions(2000, &broken);
        let ours = module::validate(&bytes).unwrap_err().to_string();
        let theirs = wasmparser_error(&bytes);
        let offset = |s: &str| s.rsplit("offset 0x").next().unwrap().trim_end_matches(')').to_string();
        assert!(ours.contains(&offset(&theirs)), "broken {broken:?}: ours `{ours}`, wasmparser `{theirs}`");
    }
}

/// `input` with one section's raw bytes replaced.
fn with_section(input: &[u8], id: SectionId, raw: &[u8]) -> Vec<u8> {
    let sections = module::sections(input).unwrap();
    module::assemble(sections.iter().map(|s| if s.is(id) { raw } else { s.raw }))
}

#[test]
fn output_with_only_custom_sections_dropped_is_accepted_without_its_bodies() {
    let input = wasm(r#"(module (@custom "producers" "x") (func (export "f") (result i32) i32.const 1))"#);
    let sections = module::sections(&input).unwrap();
    let output = module::assemble(sections.iter().filter(|s| s.custom_name.is_none()).map(|s| s.raw));
    assert!(module::code_context_unchanged(&sections, &module::sections(&output).unwrap()));
    module::validate_output(&input, &output).unwrap();
}

#[test]
fn output_that_differs_only_in_custom_sections_needs_no_validation_but_a_readable_name() {
    let input = wasm(r#"(module (@custom "name" "\ff\ff") (func (export "f") (result i32) i32.const 1))"#);
    let custom = |name: &[u8], content: &[u8]| [&[0u8, (1 + name.len() + content.len()) as u8, name.len() as u8][..], name, content].concat();
    let sections = module::sections(&input).unwrap();
    let replace = |raw: &[u8]| -> Vec<u8> {
        let raw = raw.to_vec();
        module::assemble(sections.iter().map(|s| if s.custom_name.is_some() { &raw[..] } else { s.raw }))
    };
    // A name section no engine can read is still a module: engines ignore it.
    module::validate_output(&input, &replace(&custom(b"name", b"\x01\xff"))).unwrap();
    // A section name that is not UTF-8 is malformed framing.
    assert!(module::validate_output(&input, &replace(&custom(b"\xff", b""))).is_err());
}

#[test]
fn output_whose_code_context_changed_has_its_bodies_validated() {
    // Same code section, but the function now has a different type: the body that
    // was valid against the input's type section is not against the output's.
    let input = wasm(r#"(module (type (func (result i32))) (func (type 0) i32.const 1))"#);
    let retyped = wasm(r#"(module (type (func (result i64))) (func (type 0) i64.const 1))"#);
    let type_section = module::sections(&retyped).unwrap().into_iter().find(|s| s.is(SectionId::Type)).unwrap().raw.to_vec();
    let output = with_section(&input, SectionId::Type, &type_section);
    assert!(!module::code_context_unchanged(&module::sections(&input).unwrap(), &module::sections(&output).unwrap()));
    let err = module::validate_output(&input, &output).unwrap_err().to_string();
    assert!(err.contains("type mismatch"), "{err}");
}

#[test]
fn output_with_a_changed_data_section_still_has_the_data_validated() {
    let input = wasm(r#"(module (memory 1) (data (i32.const 0) "abc"))"#);
    // Segment naming memory 1, which does not exist.
    let bad = wasm(r#"(module (memory 1) (memory 1) (data (memory 1) (i32.const 0) "abc"))"#);
    let data = module::sections(&bad).unwrap().into_iter().find(|s| s.is(SectionId::Data)).unwrap().raw.to_vec();
    let output = with_section(&input, SectionId::Data, &data);
    assert!(module::validate_output(&input, &output).is_err());
}
