//! remove-unused, one case per rule. Every output validates and runs the same as
//! its input in wasmi.
mod common;
use common::*;
use wasm_squeeze::{transform, Options, StepStatus};

fn optimize(text: &str) -> (Vec<u8>, Vec<u8>, wasm_squeeze::Step) {
    let input = wasm(text);
    let out = transform(&input, &Options::default()).unwrap();
    assert_valid(&out.wasm);
    let step = out.report.steps.iter().find(|s| s.pass == "remove-unused").unwrap().clone();
    (input, out.wasm, step)
}

fn same_results(input: &[u8], output: &[u8], export: &str, args: &[i32]) {
    assert_eq!(call_i32(output, export, args), call_i32(input, export, args), "{export}{args:?}");
}

#[test]
fn unreachable_functions_go_and_calls_are_renumbered() {
    let (input, output, step) = optimize(
        r#"(module
             (func $dead1 (result i32) i32.const 1)
             (func $helper (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
             (func $dead2 (result i32) call $dead1)
             (func (export "run") (param i32) (result i32) local.get 0 call $helper))"#,
    );
    assert_eq!(step.status, StepStatus::Applied);
    // The dead functions' type, `() -> i32`, is used by nothing else and goes too.
    assert_eq!(step.detail, "removed 2 functions, 1 types");
    assert_eq!(counts(&output).0, 2);
    same_results(&input, &output, "run", &[21]);
}

#[test]
fn the_start_function_and_what_it_calls_are_roots() {
    let (input, output, _) = optimize(
        r#"(module
             (global $g (mut i32) (i32.const 0))
             (func $init call $set)
             (func $set i32.const 7 global.set $g)
             (func $dead)
             (func (export "get") (result i32) global.get $g)
             (start $init))"#,
    );
    assert_eq!(counts(&output).0, 3);
    same_results(&input, &output, "get", &[]);
}

#[test]
fn active_element_segments_keep_their_functions_and_table() {
    let (input, output, _) = optimize(
        r#"(module
             (type $t (func (result i32)))
             (table 2 funcref)
             (elem (i32.const 0) $a $b)
             (func $a (result i32) i32.const 10)
             (func $b (result i32) i32.const 20)
             (func $dead (result i32) i32.const 30)
             (func (export "pick") (param i32) (result i32) local.get 0 call_indirect (type $t)))"#,
    );
    assert_eq!(counts(&output).0, 3);
    same_results(&input, &output, "pick", &[0]);
    same_results(&input, &output, "pick", &[1]);
    same_results(&input, &output, "pick", &[2]);
}

#[test]
fn an_active_segment_that_traps_still_traps() {
    let (input, output, _) = optimize(
        r#"(module
             (table 1 funcref)
             (elem (i32.const 5) $f)
             (func $f)
             (func (export "run") (result i32) i32.const 1))"#,
    );
    let (before, after) = (call_i32(&input, "run", &[]), call_i32(&output, "run", &[]));
    assert!(before.is_err() && after.is_err(), "{before:?} / {after:?}");
}

#[test]
fn passive_element_segments_go_unless_code_uses_them() {
    let (input, output, step) = optimize(
        r#"(module
             (type $t (func (result i32)))
             (table 1 funcref)
             (elem $unused func $x)
             (elem $used func $y)
             (func $x (result i32) i32.const 1)
             (func $y (result i32) i32.const 2)
             (func (export "run") (result i32)
               i32.const 0 i32.const 0 i32.const 1 table.init $used
               elem.drop $used
               i32.const 0 call_indirect (type $t)))"#,
    );
    assert_eq!(step.detail, "removed 1 functions, 1 element segments");
    assert_eq!(counts(&output).3, 1);
    same_results(&input, &output, "run", &[]);
}

#[test]
fn ref_func_stays_declared_when_its_declaring_segment_goes() {
    // $f is declared only by the unused passive segment; the kept code takes its
    // reference, so the output must declare it some other way to stay valid.
    let (input, output, _) = optimize(
        r#"(module
             (type $t (func (result i32)))
             (table $tab 1 funcref)
             (elem $decl func $f)
             (func $f (result i32) i32.const 42)
             (func (export "run") (result i32)
               i32.const 0 ref.func $f table.set $tab
               i32.const 0 call_indirect $tab (type $t)))"#,
    );
    same_results(&input, &output, "run", &[]);
}

#[test]
fn unused_globals_go_and_global_indices_are_renumbered_everywhere() {
    let (input, output, step) = optimize(
        r#"(module
             (import "env" "base" (global $base i32))
             (global $dead i32 (i32.const 99))
             (global $counter (mut i32) (i32.const 5))
             (memory 1)
             (data (global.get $base) "\2a")
             (func (export "run") (result i32)
               global.get $counter i32.const 1 i32.add global.set $counter
               global.get $counter
               global.get $base i32.load8_u
               i32.add))"#,
    );
    assert_eq!(step.detail, "removed 1 globals");
    same_results(&input, &output, "run", &[]);
}

#[test]
fn globals_that_only_data_offsets_use_stay_among_plain_constant_offsets() {
    let (input, output, step) = optimize(
        r#"(module
             (global $unused i32 (i32.const 7))
             (global $base i32 (i32.const 16))
             (global $part i32 (i32.const 4))
             (memory 1)
             (data (i32.const 0) "\01")
             (data (global.get $base) "\2a")
             (data (i32.add (global.get $part) (i32.const 100)) "\2b")
             (func (export "run") (result i32)
               i32.const 16 i32.load8_u i32.const 104 i32.load8_u i32.add))"#,
    );
    assert_eq!(step.detail, "removed 1 globals");
    // wasmi refuses `global.get` of a defined global in a constant expression, so
    // check what the offsets now read instead: the same values as before.
    assert_eq!(data_offset_values(&output), data_offset_values(&input));
    assert_eq!(data_offset_values(&output), ["i32.const 0", "global 16", "global 4 + i32.const 100"]);
}

/// Each data segment's offset expression, with `global.get` shown as the
/// global's own initial value.
fn data_offset_values(bytes: &[u8]) -> Vec<String> {
    use wasmparser::{DataKind, Operator, Parser, Payload};
    let (mut globals, mut offsets) = (Vec::new(), Vec::new());
    let show = |op: Operator, globals: &[i32]| match op {
        Operator::I32Const { value } => Some(format!("i32.const {value}")),
        Operator::GlobalGet { global_index } => Some(format!("global {}", globals[global_index as usize])),
        Operator::I32Add => Some("+".into()),
        _ => None,
    };
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.unwrap() {
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let mut ops = global.unwrap().init_expr.get_operators_reader();
                    let Operator::I32Const { value } = ops.read().unwrap() else { panic!("fixture globals are i32.const") };
                    globals.push(value);
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let DataKind::Active { offset_expr, .. } = data.unwrap().kind else { continue };
                    let ops: Vec<String> = offset_expr.get_operators_reader().into_iter().filter_map(|op| show(op.unwrap(), &globals)).collect();
                    // Stack order to infix for the one binary form the fixture uses.
                    offsets.push(match &ops[..] {
                        [a, b, plus] if plus == "+" => format!("{a} + {b}"),
                        _ => ops.join(" "),
                    });
                }
            }
            _ => {}
        }
    }
    offsets
}

#[test]
fn imports_stay_even_when_unused() {
    // An import the host lacks fails instantiation; removing it would change that.
    let input = wasm(
        r#"(module
             (import "env" "unused" (func $unused))
             (import "env" "missing" (func $missing))
             (func $dead call $unused)
             (func (export "run") (result i32) i32.const 3))"#,
    );
    let output = transform(&input, &Options::default()).unwrap().wasm;
    let names: Vec<String> = wasm_squeeze::inspect(&output).unwrap().imports.into_iter().map(|i| i.name).collect();
    assert_eq!(names, ["unused", "missing"]);
    assert!(call_i32(&output, "run", &[]).unwrap_err().contains("missing"));
    assert_eq!(counts(&output).0, 3, "only the dead defined function goes");
}

#[test]
fn unused_types_go_when_types_are_plain_function_types() {
    let (input, output, step) = optimize(
        r#"(module
             (type $unused (func (param f64 f64) (result f64)))
             (type $used (func (param i32) (result i32)))
             (func (export "id") (type $used) local.get 0))"#,
    );
    assert_eq!(step.detail, "removed 1 types");
    assert_eq!(counts(&output).4, 1);
    same_results(&input, &output, "id", &[5]);
}

#[test]
fn recursion_groups_are_left_alone() {
    let (_, output, step) = optimize(
        r#"(module
             (rec (type $a (func (param (ref null $b)))) (type $b (func (param (ref null $a)))))
             (type $unused (func (param f64)))
             (func $dead (type $a))
             (func (export "f") (result i32) i32.const 1))"#,
    );
    assert_eq!(step.detail, "removed 1 functions");
    assert_eq!(counts(&output).4, 4, "every type kept");
}

#[test]
fn unused_tags_go_and_throws_are_renumbered() {
    let (_, output, step) = optimize(
        r#"(module
             (tag $dead (param i64))
             (tag $e (param i32))
             (func (export "run") (param i32) (result i32)
               (block $h (result i32)
                 (try_table (catch $e $h) (throw $e (local.get 0)))
                 i32.const -1)))"#,
    );
    assert_eq!(step.detail, "removed 1 tags, 1 types");
    // wasmi does not run exceptions; validation of the output is the check here.
    assert_valid(&output);
}

#[test]
fn function_names_follow_their_functions() {
    let input = wasm(
        r#"(module
             (func $dead)
             (func $kept (export "kept") (result i32) i32.const 1))"#,
    );
    let options = Options { keep_names: true, ..Options::default() };
    let output = transform(&input, &options).unwrap().wasm;
    assert_valid(&output);
    let names = function_names(&output);
    assert_eq!(names, [(0, "kept".to_string())]);
}

fn function_names(bytes: &[u8]) -> Vec<(u32, String)> {
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::CustomSection(reader) = payload.unwrap() {
            if let wasmparser::KnownCustom::Name(names) = reader.as_known() {
                for name in names {
                    if let wasmparser::Name::Function(map) = name.unwrap() {
                        return map.into_iter().map(|n| n.unwrap()).map(|n| (n.index, n.name.to_string())).collect();
                    }
                }
            }
        }
    }
    Vec::new()
}

#[test]
fn kept_debug_info_makes_it_skip() {
    let input = wasm(r#"(module (@custom ".debug_info" "dwarf") (func $dead) (func (export "f")))"#);
    let options = Options { keep_sections: vec![".debug_info".into()], ..Options::default() };
    let out = transform(&input, &options).unwrap();
    let step = out.report.steps.iter().find(|s| s.pass == "remove-unused").unwrap();
    assert_eq!(step.status, StepStatus::Skipped);
    assert!(step.detail.contains(".debug_info"), "{}", step.detail);
    assert_eq!(counts(&out.wasm).0, 2);
}

#[test]
fn turned_off_by_the_dce_option() {
    let input = wasm(r#"(module (func) (func (export "f")))"#);
    let out = transform(&input, &Options { dce: false, ..Options::default() }).unwrap();
    assert_eq!(out.wasm, input);
    assert_eq!(out.report.steps[1].status, StepStatus::Skipped);
}

#[test]
fn nothing_unused_means_byte_identical_output() {
    let input = wasm(r#"(module (func (export "a") (result i32) call 1) (func (result i32) i32.const 1))"#);
    let out = transform(&input, &Options::default()).unwrap();
    assert_eq!(out.wasm, input);
    assert_eq!(out.report.steps[1].status, StepStatus::Unchanged);
}

#[test]
fn bodies_that_keep_their_numbers_are_copied_raw() {
    // Removing the last function renumbers nothing: every other body is copied as is.
    let input = wasm(
        r#"(module
             (func $a (export "a") (result i32) call $b i32.const 1 i32.add)
             (func $b (result i32) i32.const 41)
             (func $dead (result i32) i32.const 0))"#,
    );
    let output = transform(&input, &Options::default()).unwrap().wasm;
    assert_eq!(function_bodies(&output)[..], function_bodies(&input)[..2]);
}

#[test]
fn dylink_modules_keep_their_section_and_exports() {
    let (input, output, _) = optimize(
        r#"(module
             (@dylink.0 (mem-info (memory 16 4)))
             (import "env" "__memory_base" (global $mb i32))
             (import "env" "memory" (memory 1))
             (func $dead)
             (func (export "answer") (result i32) i32.const 42))"#,
    );
    assert_eq!(custom_section_names(&output), ["dylink.0"]);
    assert!(output.len() < input.len());
}

#[test]
fn a_new_declaring_segment_is_written_once_even_with_a_data_count_section() {
    // Found by tests/fuzz.rs: with no element section, the new declarative segment was
    // written before each of DataCount, code and data, three element sections in all,
    // and the next pass refused the module.
    let (input, output, step) = optimize(
        r#"(module
             (memory 1)
             (global $unused funcref (ref.func $f))
             (func $f (result i32) i32.const 5)
             (func (export "g") (result i32) data.drop 0 ref.func $f drop i32.const 3)
             (data "x"))"#,
    );
    assert_eq!(step.status, StepStatus::Applied);
    assert_eq!(counts(&output).1, 0, "the unused global goes");
    same_results(&input, &output, "g", &[]);
}

#[test]
fn a_removal_under_the_noise_floor_is_not_worth_a_rewrite() {
    let remove_step = |out: &wasm_squeeze::Transformed| out.report.steps.iter().find(|s| s.pass == "remove-unused").unwrap().clone();
    // One unused 5-byte function beside 1 MB of incompressible data: it can save at
    // most a few bytes of a ~1 MB wire size, far under never-worse's 0.2% floor.
    let big = module_with(2, &noise_bytes(1 << 20, 3), &[]);
    let out = transform(&big, &Options::default()).unwrap();
    let step = remove_step(&out);
    assert_eq!(step.status, StepStatus::Unchanged);
    assert!(step.detail.starts_with("kept what is unused (1 functions)"), "{}", step.detail);
    assert_eq!(counts(&out.wasm).0, 2, "no rewrite: both functions are still there");
    // The same function in a small module is worth removing.
    let small = module_with(2, b"tiny", &[]);
    let out = transform(&small, &Options::default()).unwrap();
    assert_eq!(remove_step(&out).detail, "removed 1 functions");
    assert_valid(&out.wasm);
    assert_eq!(counts(&out.wasm).0, 1);
}

#[test]
fn every_kind_of_renumbered_operator_runs_the_same() {
    // A dead function, global and types at index 0 shift every later number:
    // calls, `return_call`, `ref.func` and `global.get`/`set` get new indices in
    // place; `call_indirect` and a block typed by index are re-encoded; `$tail`
    // mentions only functions, so its other operators are not even checked.
    let (input, output, step) = optimize(
        r#"(module
             (type $dead_t (func (param f64) (result f64)))
             (type $un (func (param i32) (result i32)))
             (table 2 funcref)
             (elem (i32.const 0) $double $inc)
             (global $dead_g (mut i32) (i32.const 5))
             (global $g (mut i32) (i32.const 7))
             (func $dead (type $dead_t) local.get 0 global.get $dead_g drop)
             (func $double (type $un) local.get 0 i32.const 2 i32.mul)
             (func $inc (type $un) local.get 0 i32.const 1 i32.add)
             (func $tail (param i32) (result i32) local.get 0 i32.const 3 i32.add return_call $double)
             (func (export "run") (param i32) (result i32)
               local.get 0
               block (type $un) call $inc end
               global.get $g i32.add
               local.get 0 i32.const 1 call_indirect (type $un)
               i32.add
               call $tail
               ref.func $inc ref.is_null i32.add
               global.get $g i32.const 1 i32.add global.set $g))"#,
    );
    assert_eq!(step.detail, "removed 1 functions, 1 globals, 1 types");
    for x in [0, 1, -7, 1000] {
        same_results(&input, &output, "run", &[x]);
    }
    assert_eq!(call_i32(&output, "run", &[1]), Ok(vec![4 * 1 + 24]));
}

#[test]
fn calls_and_globals_renumbered_in_place_run_the_same() {
    // Only function and global numbers shift (the dead function shares its type
    // with live ones), so bodies are patched where validation found their calls,
    // `ref.func`s and global accesses. `$f127` moves from index 128 to 127, so its
    // index shrinks from two LEB128 bytes to one mid-body; `$f299`'s stays two.
    let helpers: String = (0..300).map(|n| format!("(func $f{n} (result i32) i32.const {n})\n")).collect();
    let all_helpers: String = (0..300).map(|n| format!(" $f{n}")).collect();
    let (input, output, step) = optimize(&format!(
        r#"(module
             (global $dead_g (mut i32) (i32.const 5))
             (global $g (mut i32) (i32.const 7))
             (table 300 funcref)
             (elem (i32.const 0){all_helpers})
             (func $dead (result i32) global.get $dead_g)
             {helpers}
             (func $tail (result i32) return_call $f127)
             (func (export "run") (param i32) (result i32)
               local.get 0 call $f127 i32.add
               call $f0 i32.add
               call $f299 i32.add
               global.get $g i32.add
               ref.func $f3 ref.is_null i32.add
               call $tail i32.add
               local.get 0 global.set $g
               global.get $g i32.add))"#
    ));
    assert_eq!(step.detail, "removed 1 functions, 1 globals");
    for x in [0, 1, -7, 1000] {
        same_results(&input, &output, "run", &[x]);
    }
    assert_eq!(call_i32(&output, "run", &[1]), Ok(vec![1 + 127 + 0 + 299 + 7 + 0 + 127 + 1]));
}

#[test]
fn a_global_read_by_an_operator_other_than_global_get_is_renumbered_too() {
    // `global.atomic.get` is no index site (see `analysis::used::index_site`), so
    // this body is read operator by operator; left unrenumbered, it would name a
    // global that no longer exists and fail validation.
    let (_, output, step) = optimize(
        r#"(module
             (global $dead (mut i64) (i64.const 5))
             (global $g (mut i32) (i32.const 7))
             (func (export "get") (result i32) global.get $g global.atomic.get seqcst $g i32.add))"#,
    );
    assert_eq!(step.detail, "removed 1 globals");
    assert_eq!(counts(&output).0, 1);
}
