//! align-to-previous: functions the previous module also has keep its numbers, the
//! output runs as the input does, and a delta against the previous module shrinks.
//! Every output validates.
mod common;
use common::*;
use std::sync::Arc;
use wasm_squeeze::{delta, transform, DeltaFormat, Options, Step, StepStatus};

const PASS: &str = "align-to-previous";

/// A release: `extra` new functions first, then `n` functions, each adding its
/// number to what the next returns, so every one calls the next one by index.
fn release(n: usize, extra: usize) -> Vec<u8> {
    release_with_data(n, extra, &[])
}

/// `release` with a memory holding `data`.
fn release_with_data(n: usize, extra: usize, data: &[u8]) -> Vec<u8> {
    let mut text = String::from("(module\n");
    if !data.is_empty() {
        let escaped: String = data.iter().map(|b| format!("\\{b:02x}")).collect();
        text.push_str(&format!("(memory 2) (data (i32.const 0) \"{escaped}\")\n"));
    }
    for e in 0..extra {
        text.push_str(&format!("(func $new{e} (export \"new{e}\") (result i32) i32.const {e} call $f0 i32.add)\n"));
    }
    for i in 0..n {
        let next = if i + 1 < n { format!("call $f{}", i + 1) } else { "i32.const 0".into() };
        text.push_str(&format!("(func $f{i} (result i32) i32.const {} {next} i32.add)\n", i * 7 + 1));
    }
    text.push_str("(export \"run\" (func $f0)))");
    wasm(&text)
}

fn aligned_to(input: &[u8], previous: &[u8], options: Options) -> (Vec<u8>, Step) {
    let options = Options { previous: Some(Arc::from(previous)), ..options };
    let out = transform(input, &options).unwrap();
    assert_valid(&out.wasm);
    let step = out.report.steps.iter().find(|s| s.pass == PASS).expect("the step is reported").clone();
    (out.wasm, step)
}

fn shipped(input: &[u8]) -> Vec<u8> {
    transform(input, &Options::default()).unwrap().wasm
}

#[test]
fn shared_functions_keep_the_previous_numbers_and_run_the_same() {
    let previous = shipped(&release(40, 0));
    let next = release(40, 3);
    let (output, step) = aligned_to(&next, &previous, Options::default());
    assert_eq!(step.status, StepStatus::Applied, "{step:?}");
    assert_eq!(step.detail, "numbered as the previous module: 40 of 43 functions matched, 43 moved");
    // The 40 shared bodies sit where the previous module has them, byte for byte
    // (their calls name the same numbers); the 3 new ones come after.
    let (old_bodies, new_bodies) = (function_bodies(&previous), function_bodies(&output));
    assert_eq!(new_bodies[..40], old_bodies[..]);
    assert_eq!(call_i32(&output, "run", &[]), call_i32(&next, "run", &[]));
    for e in 0..3 {
        assert_eq!(call_i32(&output, &format!("new{e}"), &[]), call_i32(&next, &format!("new{e}"), &[]));
    }
}

#[test]
fn the_delta_against_the_previous_module_shrinks() {
    let previous = shipped(&release(400, 0));
    let next = release(400, 5);
    let plain = shipped(&next);
    let (output, _) = aligned_to(&next, &previous, Options::default());
    let size = |module: &[u8]| delta(module, &previous, DeltaFormat::Dcb, None).unwrap().unwrap().len();
    let (before, after) = (size(&plain), size(&output));
    assert!(after * 4 < before, "dcb {before} B unaligned, {after} B aligned");
}

#[test]
fn names_follow_their_functions_in_increasing_order() {
    let previous = transform(&release(10, 0), &Options { keep_names: true, ..Options::default() }).unwrap().wasm;
    let (output, step) = aligned_to(&release(10, 2), &previous, Options { keep_names: true, ..Options::default() });
    assert_eq!(step.status, StepStatus::Applied);
    let names = function_names(&output);
    let indices: Vec<u32> = names.iter().map(|(i, _)| *i).collect();
    assert!(indices.windows(2).all(|w| w[0] < w[1]), "name map out of order: {indices:?}");
    // Matched by name: $f3 has the number it had.
    let number_of = |module: &[u8], name: &str| function_names(module).into_iter().find(|(_, n)| n == name).map(|(i, _)| i);
    for name in ["f0", "f3", "f9"] {
        assert_eq!(number_of(&output, name), number_of(&previous, name), "{name}");
    }
    assert_eq!(call_i32(&output, "new1", &[]), call_i32(&release(10, 2), "new1", &[]));
}

#[test]
fn an_input_aligned_to_its_own_aligned_copy_comes_back_as_that_copy() {
    // Look-alikes only their callers tell apart: two copies of a leaf, two callers
    // alike but for which copy they call, each called once with its own constant.
    let module = |order: &[&str]| {
        let funcs = [
            ("d1", "(func $d1 (type $unary) local.get 0 i32.const 3 i32.mul)"),
            ("d2", "(func $d2 (type $unary) local.get 0 i32.const 3 i32.mul)"),
            ("c1", "(func $c1 (type $unary) local.get 0 call $d1 i32.const 1 i32.add)"),
            ("c2", "(func $c2 (type $unary) local.get 0 call $d2 i32.const 1 i32.add)"),
            ("t1", "(func $t1 (type $top) i32.const 10 call $c1)"),
            ("t2", "(func $t2 (type $top) i32.const 20 call $c2)"),
        ];
        let body: String = order.iter().map(|name| funcs.iter().find(|(n, _)| n == name).unwrap().1).collect::<Vec<_>>().join("\n");
        let types = "(type $unary (func (param i32) (result i32))) (type $top (func (result i32)))";
        wasm(&format!("(module {types} {body} (export \"t1\" (func $t1)) (export \"t2\" (func $t2)))"))
    };
    let input = module(&["d1", "d2", "c1", "c2", "t1", "t2"]);
    let previous = shipped(&module(&["t2", "c2", "d2", "t1", "d1", "c1"]));
    let (aligned, step) = aligned_to(&input, &previous, Options::default());
    assert_eq!(step.status, StepStatus::Applied, "{step:?}");
    assert!(aligned == previous, "the previous module is this one renumbered, so it comes out as that: {step:?}");
    let (again, _) = aligned_to(&input, &aligned, Options::default());
    assert!(again == aligned);
    for export in ["t1", "t2"] {
        assert_eq!(call_i32(&aligned, export, &[]), call_i32(&input, export, &[]));
    }
}

#[test]
fn the_previous_module_itself_is_unchanged() {
    let previous = shipped(&release(20, 0));
    let (output, step) = aligned_to(&release(20, 0), &previous, Options::default());
    assert_eq!(step.status, StepStatus::Unchanged, "{step:?}");
    assert_eq!(output, previous);
}

#[test]
fn a_previous_module_that_is_not_wasm_is_a_skip_and_changes_nothing() {
    let next = release(20, 2);
    for garbage in [&b""[..], b"\0asm\x01\0\0\0\x0a\xff", b"<!doctype html>"] {
        let (output, step) = aligned_to(&next, garbage, Options::default());
        assert_eq!(step.status, StepStatus::Skipped);
        assert!(step.detail.starts_with("cannot read the previous module"), "{}", step.detail);
        assert_eq!(output, shipped(&next));
    }
}

#[test]
fn a_kept_section_with_code_positions_is_a_skip() {
    // A source map's offsets are the code's: moving functions would break it.
    let mut next = release(20, 2);
    next.extend(custom_section_bytes("sourceMappingURL", b"\x0capp.wasm.map"));
    let previous = shipped(&release(20, 0));
    let keep = || Options { keep_sections: vec!["sourceMappingURL".into()], ..Options::default() };
    let (output, step) = aligned_to(&next, &previous, keep());
    assert_eq!(step.status, StepStatus::Skipped);
    assert!(step.detail.contains("`sourceMappingURL`"), "{}", step.detail);
    assert_eq!(output, transform(&next, &keep()).unwrap().wasm);
}

#[test]
fn a_section_strip_drops_but_never_worse_kept_goes_with_the_reordering() {
    // Big on the wire (incompressible data), so dropping the section alone is
    // under never-worse's floor.
    let data = noise_bytes(100_000, 7);
    let mut next = release_with_data(30, 2, &data);
    next.extend(custom_section_bytes("sourceMappingURL", b"\x0capp.wasm.map"));
    assert!(shipped(&next) == next, "never-worse keeps the input");
    let previous = shipped(&release_with_data(30, 0, &data));
    let (output, step) = aligned_to(&next, &previous, Options::default());
    assert_eq!(step.status, StepStatus::Applied, "{step:?}");
    assert!(step.detail.ends_with("; dropped `sourceMappingURL`, whose code positions would break"), "{}", step.detail);
    assert!(!custom_section_names(&output).contains(&"sourceMappingURL".to_string()));
    assert_eq!(call_i32(&output, "new1", &[]), call_i32(&next, "new1", &[]));
}

/// The function name map of a module's name section, as (index, name).
fn function_names(bytes: &[u8]) -> Vec<(u32, String)> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Ok(wasmparser::Payload::CustomSection(c)) = payload {
            if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                for sub in reader {
                    if let Ok(wasmparser::Name::Function(map)) = sub {
                        names.extend(map.into_iter().map(|n| n.unwrap()).map(|n| (n.index, n.name.to_string())));
                    }
                }
            }
        }
    }
    names
}

/// A custom section (id 0, size, name, payload) to append to a module.
fn custom_section_bytes(name: &str, payload: &[u8]) -> Vec<u8> {
    let mut content = vec![name.len() as u8];
    content.extend_from_slice(name.as_bytes());
    content.extend_from_slice(payload);
    let mut section = vec![0, content.len() as u8];
    section.extend(content);
    section
}
