//! The strip policy: what goes, what stays, and that what stays is untouched.
mod common;
use common::*;
use wasm_squeeze::{transform, Options, StepStatus};

/// A module carrying every kind of custom section the policy knows about, plus
/// ones it must keep.
const DEBUG_BUILD: &str = r#"
(module
  (@dylink.0 (mem-info (memory 16 4)))
  (@custom "producers" "\00")
  (@custom "target_features" "\00")
  (@custom ".debug_info" "dwarf dwarf dwarf dwarf")
  (@custom ".debug_line" "lines lines")
  (@custom "sourceMappingURL" "\0bmain.js.map")
  (@custom "external_debug_info" "\0amain.debug")
  (@custom "app-metadata" "read by the loader")
  (memory (export "memory") 1)
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add))
"#;

#[test]
fn drops_debug_and_tool_sections_and_keeps_the_rest() {
    let input = wasm(DEBUG_BUILD);
    assert!(custom_section_names(&input).contains(&"name".to_string()), "fixture has a name section");
    let out = transform(&input, &Options::default()).unwrap();
    assert_valid(&out.wasm);
    assert_eq!(custom_section_names(&out.wasm), ["dylink.0", "app-metadata"]);
    let strip = &out.report.steps[0];
    assert_eq!((strip.pass, strip.status), ("strip", StepStatus::Applied));
    assert_eq!(strip.bytes_saved, (input.len() - out.wasm.len()) as i64);
    assert!(strip.detail.contains("custom:.debug_info"), "{}", strip.detail);
}

#[test]
fn sections_it_keeps_are_copied_byte_for_byte() {
    let input = wasm(DEBUG_BUILD);
    let out = transform(&input, &Options::default()).unwrap();
    assert_eq!(known_sections(&out.wasm), known_sections(&input));
}

#[test]
fn keep_names_and_keep_sections_override_the_policy() {
    let input = wasm(DEBUG_BUILD);
    let options = Options {
        keep_names: true,
        keep_sections: vec![".debug_line".into(), "producers".into()],
        ..Options::default()
    };
    let out = transform(&input, &options).unwrap();
    assert_valid(&out.wasm);
    assert_eq!(
        custom_section_names(&out.wasm),
        ["dylink.0", "producers", ".debug_line", "app-metadata", "name"]
    );
}

#[test]
fn a_module_with_nothing_to_drop_comes_back_identical() {
    let input = wasm(r#"(module (@custom "app-metadata" "x") (func (export "f")))"#);
    let out = transform(&input, &Options::default()).unwrap();
    assert_eq!(out.wasm, input);
    assert_eq!(out.report.steps[0].status, StepStatus::Unchanged);
    assert!(!out.report.kept_original);
}

#[test]
fn custom_sections_between_known_sections_keep_their_place() {
    let input = wasm(
        r#"(module
             (@custom "first" (before first) "1")
             (@custom "mid" (after func) "2")
             (@custom "name" (after code) "")
             (func (export "f")))"#,
    );
    let out = transform(&input, &Options::default()).unwrap();
    assert_valid(&out.wasm);
    assert_eq!(custom_section_names(&out.wasm), ["first", "mid"]);
}

#[test]
fn report_lists_bytes_per_section_before_and_after() {
    let input = wasm(DEBUG_BUILD);
    let out = transform(&input, &Options::default()).unwrap();
    let total = |sizes: &[wasm_squeeze::SectionSize]| 8 + sizes.iter().map(|s| s.bytes).sum::<u64>();
    assert_eq!(total(&out.report.sections_before), input.len() as u64);
    assert_eq!(total(&out.report.sections_after), out.wasm.len() as u64);
    assert!(out.report.sections_before.iter().any(|s| s.name == "custom:.debug_info"));
    assert!(!out.report.sections_after.iter().any(|s| s.name == "custom:.debug_info"));
    assert_eq!((out.report.input_bytes, out.report.output_bytes), (input.len() as u64, out.wasm.len() as u64));
}

#[test]
fn output_is_deterministic() {
    let input = wasm(DEBUG_BUILD);
    let a = transform(&input, &Options::default()).unwrap();
    let b = transform(&input, &Options::default()).unwrap();
    assert_eq!(a.wasm, b.wasm);
    assert_eq!(a.report, b.report);
}

#[test]
fn the_report_of_many_dropped_sections_stays_one_short_line() {
    // Found by test/bad-input.test.mjs: 100,000 dropped sections were each named in
    // the report, a 1.2 MB line that overflowed the CLI's caller.
    let mut input = wasm("(module)");
    let section = |name: &str| {
        let content = [&[name.len() as u8][..], name.as_bytes()].concat();
        [&[0u8, content.len() as u8][..], &content].concat()
    };
    for i in 0..30_000 {
        input.extend(section(".debug_line"));
        input.extend(section(&format!(".debug_{}", i % 50)));
    }
    input.extend(section("producers"));
    let out = wasm_squeeze::transform(&input, &wasm_squeeze::Options::default()).unwrap();
    let detail = &out.report.steps[0].detail;
    assert!(detail.starts_with("dropped custom:.debug_line ×30000, custom:.debug_0 ×600, "), "{detail}");
    assert!(detail.ends_with(", and 18601 more"), "{detail}");
    assert!(detail.len() < 600, "{} bytes", detail.len());
    assert_eq!(out.wasm, wasm("(module)"));
}

#[test]
fn a_small_section_in_a_big_module_is_not_worth_a_copy() {
    // 400 KB of incompressible data: a 9-byte `producers` section is far under
    // 0.2% of its wire size, while 4 KB of (incompressible) DWARF is over it.
    let data = noise_bytes(400_000, 3).iter().map(|b| format!("\\{b:02x}")).collect::<String>();
    let module = |custom: &str| wasm(&format!("(module {custom} (memory 7) (data (i32.const 0) \"{data}\"))"));
    let input = module(r#"(@custom "producers" "\00 tiny")"#);
    let out = transform(&input, &Options::default()).unwrap();
    assert_eq!(out.wasm, input);
    let strip = &out.report.steps[0];
    assert_eq!((strip.pass, strip.status), ("strip", StepStatus::Unchanged));
    assert!(strip.detail.contains("under the noise floor") && strip.detail.contains("custom:producers"), "{}", strip.detail);
    let dwarf = noise_bytes(4_000, 5).iter().map(|b| format!("\\{b:02x}")).collect::<String>();
    let input = module(&format!(r#"(@custom ".debug_info" "{dwarf}")"#));
    let out = transform(&input, &Options::default()).unwrap();
    assert_eq!(out.report.steps[0].status, StepStatus::Applied);
    assert!(custom_section_names(&out.wasm).is_empty());
}
