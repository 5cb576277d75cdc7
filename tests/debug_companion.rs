//! debug-companion: what goes to the companion, what stays shipped, and that the
//! companion's code, DWARF and names describe the shipped module. Real builds are
//! checked with llvm-symbolizer in test/debug-companion.test.mjs.
mod common;
use common::*;
use wasm_squeeze::{read_build_id, transform, ErrorCode, Options, PassiveData, StepStatus, Transformed};
use wasmparser::{Name, NameSectionReader, Parser, Payload};

const DWARF: &str = r#"(@custom ".debug_info" (after data) "\01\02\03\04") (@custom ".debug_line" (after data) "\05\06")"#;

fn fixture(extra: &str) -> Vec<u8> {
    wasm(&format!(
        r#"(module
             (memory 1)
             (func $dead (result i32) i32.const 9)
             (func $helper (result i32) i32.const 7)
             (func $live (export "run") (result i32) call $helper)
             (data (i32.const 8) "hello, debugger")
             {extra})"#
    ))
}

fn companion_options() -> Options {
    Options { debug_companion: true, ..Options::default() }
}

fn step<'a>(out: &'a Transformed, pass: &str) -> &'a wasm_squeeze::Step {
    out.report.steps.iter().find(|s| s.pass == pass).unwrap_or_else(|| panic!("no {pass} step"))
}

fn code(bytes: &[u8]) -> Vec<u8> {
    known_section(bytes, 10).expect("a code section")
}

/// Function index → name, from the module's `name` section.
fn function_names(bytes: &[u8]) -> Vec<(u32, String)> {
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::CustomSection(c) = payload.unwrap() {
            if c.name() == "name" {
                for name in NameSectionReader::new(wasmparser::BinaryReader::new(c.data(), c.data_offset())) {
                    if let Name::Function(map) = name.unwrap() {
                        return map.into_iter().map(|n| n.map(|n| (n.index, n.name.to_string()))).collect::<Result<_, _>>().unwrap();
                    }
                }
            }
        }
    }
    Vec::new()
}

fn data_bytes(bytes: &[u8]) -> usize {
    let mut total = 0;
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::DataSection(reader) = payload.unwrap() {
            total += reader.into_iter().map(|d| d.unwrap().data.len()).sum::<usize>();
        }
    }
    total
}

#[test]
fn with_dwarf_the_code_stays_where_the_dwarf_says() {
    let input = fixture(DWARF);
    let out = transform(&input, &companion_options()).unwrap();
    assert_valid(&out.wasm);
    let remove = step(&out, "remove-unused");
    assert_eq!(remove.status, StepStatus::Skipped);
    assert!(remove.detail.contains("DWARF"), "{}", remove.detail);
    assert_eq!(code(&out.wasm), code(&input), "shipped code byte for byte the input's");
    let companion = out.debug_companion.unwrap();
    assert_valid(&companion);
    assert_eq!(code(&companion), code(&input));
    let names = custom_section_names(&companion);
    for name in ["name", ".debug_info", ".debug_line", "build_id"] {
        assert!(names.contains(&name.to_string()), "{name} in {names:?}");
    }
    assert_eq!(custom_section_names(&out.wasm), ["build_id"]);
    assert_eq!(data_bytes(&companion), 0, "data emptied");
    assert_eq!(data_bytes(&out.wasm), 15);
    assert_eq!(call_i32(&out.wasm, "run", &[]), Ok(vec![7]));
}

#[test]
fn without_a_companion_dwarf_builds_are_still_pruned() {
    let out = transform(&fixture(DWARF), &Options::default()).unwrap();
    assert_eq!(step(&out, "remove-unused").status, StepStatus::Applied);
    assert!(out.debug_companion.is_none());
}

#[test]
fn names_only_follow_the_functions_remove_unused_renumbers() {
    let input = fixture("");
    let out = transform(&input, &companion_options()).unwrap();
    assert_eq!(step(&out, "remove-unused").status, StepStatus::Applied, "names alone do not hold code back");
    assert_eq!(counts(&out.wasm).0, 2);
    let companion = out.debug_companion.unwrap();
    assert_valid(&companion);
    assert_eq!(code(&companion), code(&out.wasm), "the companion's code is the shipped code");
    assert_eq!(function_names(&input), [(0, "dead".into()), (1, "helper".into()), (2, "live".into())]);
    assert_eq!(function_names(&companion), [(0, "helper".into()), (1, "live".into())]);
    assert!(function_names(&out.wasm).is_empty(), "names left the shipped module");
}

#[test]
fn keep_names_keeps_them_in_both() {
    let options = Options { keep_names: true, ..companion_options() };
    let out = transform(&fixture(""), &options).unwrap();
    assert_eq!(function_names(&out.wasm), function_names(out.debug_companion.as_ref().unwrap()));
    assert_eq!(custom_section_names(out.debug_companion.as_ref().unwrap()).iter().filter(|n| *n == "name").count(), 1);
}

#[test]
fn debug_url_goes_into_the_shipped_module_only() {
    let url = "https://debug.example/app.debug.wasm";
    let options = Options { debug_url: Some(url.into()), ..companion_options() };
    let out = transform(&fixture(DWARF), &options).unwrap();
    let section = custom_section(&out.wasm, "external_debug_info").unwrap();
    let mut payload = vec![url.len() as u8];
    payload.extend_from_slice(url.as_bytes());
    assert!(section.ends_with(&payload), "LEB128-length-prefixed UTF-8 URL");
    assert!(!custom_section_names(out.debug_companion.as_ref().unwrap()).contains(&"external_debug_info".to_string()));
}

#[test]
fn a_module_without_debug_info_gets_no_companion() {
    let input = wasm(r#"(module (func (export "run") (result i32) i32.const 7))"#);
    let options = Options { debug_url: Some("x.wasm".into()), ..companion_options() };
    let out = transform(&input, &options).unwrap();
    assert!(out.debug_companion.is_none());
    assert_eq!(step(&out, "debug-companion").status, StepStatus::Skipped);
    assert!(custom_section_names(&out.wasm).is_empty(), "no external_debug_info pointing at nothing: {:?}", custom_section_names(&out.wasm));
}

/// Each function body's offset from the start of the code section's content, and
/// its bytes: what DWARF addresses count from.
fn body_positions(bytes: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut code_start = 0;
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.unwrap() {
            Payload::CodeSectionStart { unchecked_range, .. } => code_start = unchecked_range.start as usize,
            Payload::CodeSectionEntry(body) => {
                let (start, end) = (body.range().start as usize, body.range().end as usize);
                out.push((start - code_start, bytes[start..end].to_vec()));
            }
            _ => {}
        }
    }
    out
}

#[test]
fn an_appended_start_function_leaves_the_dwarf_addresses_valid() {
    let options = Options { passive_data: PassiveData::Start, ..companion_options() };
    let input = fixture(DWARF);
    let out = transform(&input, &options).unwrap();
    assert_eq!(step(&out, "passive-data").status, StepStatus::Applied);
    assert_ne!(code(&out.wasm), code(&input));
    let (before, after) = (body_positions(&input), body_positions(&out.wasm));
    assert_eq!(after.len(), before.len() + 1, "the start function is appended");
    assert_eq!(after[..before.len()], before[..], "every input body where the DWARF says");
    assert_eq!(code(out.debug_companion.as_ref().unwrap()), code(&out.wasm));
}

#[test]
fn a_debug_url_needs_a_companion_and_a_value() {
    // The rule's own cases are unit tests of `debug_companion::check_url`; here,
    // that `transform` applies it.
    let input = fixture(DWARF);
    let refused = |options: Options| transform(&input, &options).unwrap_err();
    let alone = refused(Options { debug_url: Some("u".into()), ..Options::default() });
    assert_eq!(alone.code, ErrorCode::InvalidOption);
    assert!(alone.message.contains("debugCompanion"), "{alone}");
    let empty = refused(Options { debug_url: Some(String::new()), ..companion_options() });
    assert_eq!(empty.code, ErrorCode::InvalidOption);
    assert!(empty.message.contains("empty"), "{empty}");
}

#[test]
fn the_url_can_name_the_companion_by_build_id() {
    let options = Options { debug_url: Some("dbg/[build-id].debug.wasm".into()), ..companion_options() };
    let out = transform(&fixture(DWARF), &options).unwrap();
    let id = hex(&read_build_id(&out.wasm).unwrap().unwrap());
    let url = format!("dbg/{id}.debug.wasm");
    assert!(out.wasm.windows(url.len()).any(|w| w == url.as_bytes()), "{url}");
    assert_eq!(read_build_id(&out.wasm).unwrap().unwrap(), derived_build_id(&out.wasm));
}

#[test]
fn bad_input_is_reported_as_before_with_a_companion_asked_for() {
    let err = transform(b"<!doctype html><html></html>", &companion_options()).unwrap_err();
    assert!(err.message.contains("not a WebAssembly module"), "{err}");
}
