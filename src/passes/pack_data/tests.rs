//! pack-data: one fixture per safety rule, and proof by execution that the memory an
//! instance starts with is byte for byte the same after packing.
use super::*;
use crate::module::{self, SectionId};
use crate::report::StepStatus;
use crate::test_support::*;
use crate::transform;
use std::time::Instant;
use wasm_encoder::{ConstExpr, DataSection, MemorySection, MemoryType, Module};
use wasmparser::{DataKind, Parser, Payload};

#[test]
fn a_layout_pays_with_0_05_percent_of_the_module_and_bounded_growth() {
    let module = 1_000_000; // 0.05% is 500 bytes
    assert!(pays(module, 10_000, 6_000, 10_000, 5_500, 0));
    assert!(!pays(module, 10_000, 6_000, 10_000, 5_501, 0), "499 bytes saved is noise");
    assert!(!pays(module, 10_000, 6_000, 10_001, 5_000, 0), "no raw growth by default");
    assert!(pays(module, 10_000, 6_000, 18_000, 5_000, 8), "8 raw bytes per byte saved");
    assert!(!pays(module, 10_000, 6_000, 18_001, 5_000, 8));
    assert!(!pays(module, 10_000, 6_000, 9_000, 6_000, 8), "raw savings alone are not a win");
}

#[test]
fn of_near_best_layouts_the_smallest_gap_wins() {
    // Gap 256 is smallest by the proxy, gap 16 within 0.5% of it: 16 wins.
    assert_eq!(choose(&[(256, 100_000), (16, 100_500), (8, 100_501), (1024, 100_200)]), Some(16));
    assert_eq!(choose(&[(64, 90_000), (16, 100_000)]), Some(64));
    assert_eq!(choose(&[]), None);
}

fn pack(input: &[u8], options: &Options) -> (Option<Vec<u8>>, Step) {
    let result = run(input, options).unwrap();
    if let Some(out) = &result.bytes {
        assert_valid(out);
    }
    assert_eq!(result.step.pass, "pack-data");
    (result.bytes, result.step)
}

fn packed(input: &[u8], options: &Options) -> Vec<u8> {
    let (out, step) = pack(input, options);
    assert_eq!(step.status, StepStatus::Applied, "{}", step.detail);
    out.unwrap()
}

fn skipped_because(input: &[u8], options: &Options) -> String {
    let (out, step) = pack(input, options);
    assert!(out.is_none());
    assert_eq!(step.status, StepStatus::Skipped, "{}", step.detail);
    step.detail
}

/// Every active segment as (memory, offset, length), in section order.
fn segments(bytes: &[u8]) -> Vec<(u32, u64, usize)> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::DataSection(reader) = payload.unwrap() {
            for data in reader {
                let data = data.unwrap();
                if let DataKind::Active {
                    memory_index,
                    offset_expr,
                } = data.kind
                {
                    let offset = match offset_expr.get_operators_reader().read().unwrap() {
                        wasmparser::Operator::I32Const { value } => value as u32 as u64,
                        wasmparser::Operator::I64Const { value } => value as u64,
                        other => panic!("unexpected offset {other:?}"),
                    };
                    out.push((memory_index, offset, data.data.len()));
                }
            }
        }
    }
    out
}

/// Instantiates in wasmi, giving every imported memory a fresh one of its declared
/// type; returns the bytes of the imported memories, then of the exported ones.
fn memories_after_instantiation(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut config = wasmi::Config::default();
    config.wasm_multi_memory(true).wasm_memory64(true);
    let engine = wasmi::Engine::new(&config);
    let module = wasmi::Module::new(&engine, bytes).map_err(|e| e.to_string())?;
    let mut store = wasmi::Store::new(&engine, ());
    let mut linker = wasmi::Linker::<()>::new(&engine);
    let mut imported = Vec::new();
    for import in module.imports() {
        let ty = *import.ty().memory().expect("fixtures import memories only");
        let memory = wasmi::Memory::new(&mut store, ty).map_err(|e| e.to_string())?;
        linker
            .define(import.module(), import.name(), memory)
            .map_err(|e| e.to_string())?;
        imported.push(memory);
    }
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .map_err(|e| e.to_string())?;
    let exported: Vec<_> = module
        .exports()
        .filter_map(|e| instance.get_memory(&store, e.name()))
        .collect();
    Ok(imported
        .iter()
        .chain(&exported)
        .map(|m| m.data(&store).to_vec())
        .collect())
}

fn assert_same_memories(before: &[u8], after: &[u8]) {
    let expected = memories_after_instantiation(before).expect("input instantiates");
    let actual = memories_after_instantiation(after).expect("output instantiates");
    assert_eq!(expected.len(), actual.len());
    for (index, (e, a)) in expected.iter().zip(&actual).enumerate() {
        assert!(e == a, "memory {index} differs after packing");
    }
}

/// A wat `(data …)` string literal for arbitrary bytes.
fn wat_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// Bytes that look like program data: words from a small vocabulary.
fn program_bytes(seed: u64, len: usize) -> Vec<u8> {
    const WORDS: &[&[u8]] = &[
        b"runtime.",
        b"main.",
        b"strings.",
        b"Builder",
        b"(*T)",
        b"\x01\x00\x00\x00",
        b"\xff\x7f",
        b"go:",
        b"type.",
        b"\x08",
    ];
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(WORDS[(state % WORDS.len() as u64) as usize]);
    }
    out.truncate(len);
    // No leading or trailing zeros: each segment is exactly one run, like Go's.
    *out.first_mut().unwrap() |= 1;
    *out.last_mut().unwrap() |= 1;
    out
}

/// `count` active segments in memory 0, each `len` bytes, `gap` zero bytes apart.
fn many_segments_wat(count: usize, len: usize, gap: usize) -> String {
    let mut wat = String::from("(module (memory (export \"memory\") 4)");
    for i in 0..count {
        let offset = 1024 + i * (len + gap);
        wat += &format!(
            "(data (i32.const {offset}) \"{}\")",
            wat_bytes(&program_bytes(i as u64, len))
        );
    }
    wat + ")"
}

/// A Go-like module built directly: `count` segments of 8–64 bytes, 9–32 bytes apart.
fn go_like_module(count: usize) -> Vec<u8> {
    let mut data = DataSection::new();
    let mut offset = 4096u64;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = 8 + (state % 57) as usize;
        let gap = 9 + (state >> 8) % 24;
        data.active(
            0,
            &ConstExpr::i32_const(offset as i32),
            program_bytes(i as u64, len),
        );
        offset += len as u64 + gap;
    }
    let mut memories = MemorySection::new();
    let pages = offset.div_ceil(65536);
    memories.memory(MemoryType {
        minimum: pages,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut module = Module::new();
    module.section(&memories).section(&data);
    module.finish()
}

fn zero_filled() -> Options {
    Options {
        zero_filled_memory: true,
        ..Options::default()
    }
}

#[test]
fn adjacent_segments_merge() {
    let input = wasm(&many_segments_wat(200, 12, 0));
    let out = packed(&input, &Options::default());
    let after = segments(&out);
    assert_eq!(after, [(0, 1024, 200 * 12)]);
    assert!(out.len() < input.len());
    assert_same_memories(&input, &out);
}

#[test]
fn near_segments_merge_with_zero_filled_gaps_and_the_same_memory() {
    let input = wasm(&many_segments_wat(300, 10, 6));
    let out = packed(&input, &Options::default());
    assert!(
        segments(&out).len() < 300 / 10,
        "{:?}",
        segments(&out).len()
    );
    assert_same_memories(&input, &out);
}

#[test]
fn report_says_what_changed() {
    let input = wasm(&many_segments_wat(300, 10, 6));
    let (out, step) = pack(&input, &Options::default());
    assert!(
        step.detail
            .starts_with("merged 300 segments into 1 (gap ≤ "),
        "{}",
        step.detail
    );
    assert!(
        step.detail.contains("proxy-compressed −"),
        "{}",
        step.detail
    );
    assert_eq!(
        step.bytes_saved,
        input.len() as i64 - out.unwrap().len() as i64
    );
    // Through the whole pipeline too, after strip.
    let through = transform(&input, &Options::default()).unwrap();
    let packed = through.report.steps.iter().find(|s| s.pass == "pack-data").unwrap();
    assert_eq!(packed.status, StepStatus::Applied);
}

#[test]
fn zero_only_segments_are_dropped() {
    let mut wat = String::from("(module (memory (export \"memory\") 1)");
    for i in 0..100 {
        wat += &format!(
            "(data (i32.const {}) \"\\00\\00\\00\\00\\00\\00\\00\\00\")",
            i * 16
        );
    }
    let input = wasm(&(wat + "(data (i32.const 4000) \"keep me\"))"));
    let out = packed(&input, &Options::default());
    assert_eq!(segments(&out), [(0, 4000, 7)]);
    assert_same_memories(&input, &out);
}

#[test]
fn imported_memory_not_known_zeroed_is_skipped() {
    let wat = many_segments_wat(200, 12, 0).replace(
        "(memory (export \"memory\") 4)",
        "(import \"env\" \"memory\" (memory 4))",
    );
    let why = skipped_because(&wasm(&wat), &Options::default());
    assert!(
        why.contains("imported and not known to start zeroed"),
        "{why}"
    );
}

#[test]
fn imported_memory_with_zero_filled_memory_is_packed() {
    let wat = many_segments_wat(300, 10, 6).replace(
        "(memory (export \"memory\") 4)",
        "(import \"env\" \"memory\" (memory 4))",
    );
    let input = wasm(&wat);
    let out = packed(&input, &zero_filled());
    assert!(segments(&out).len() < 30);
    assert_same_memories(&input, &out);
}

#[test]
fn imported_shared_memory_is_skipped_even_when_zero_filled() {
    let wat = many_segments_wat(200, 12, 0).replace(
        "(memory (export \"memory\") 4)",
        "(import \"env\" \"memory\" (memory 4 4 shared))",
    );
    let why = skipped_because(&wasm(&wat), &zero_filled());
    assert!(why.contains("shared"), "{why}");
}

#[test]
fn overlapping_segments_are_skipped() {
    let wat = many_segments_wat(200, 12, 0)
        .replace("(module", "(module (data (i32.const 1030) \"later wins\")");
    let why = skipped_because(&wasm(&wat), &Options::default());
    assert!(
        why.contains("overlapping segments at 1024 and 1030"),
        "{why}"
    );
}

#[test]
fn global_get_offsets_are_skipped() {
    let wat = many_segments_wat(200, 12, 0).replace(
        "(module",
        "(module (global $base i32 (i32.const 64)) (data (global.get $base) \"based\")",
    );
    let why = skipped_because(&wasm(&wat), &Options::default());
    assert!(why.contains("not a constant"), "{why}");
}

#[test]
fn extended_const_offsets_are_skipped() {
    let wat = many_segments_wat(200, 12, 0).replace(
        "(module",
        "(module (data (i32.add (i32.const 8) (i32.const 8)) \"sum\")",
    );
    let why = skipped_because(&wasm(&wat), &Options::default());
    assert!(why.contains("not a constant"), "{why}");
}

#[test]
fn out_of_bounds_segment_is_skipped_and_still_traps() {
    let wat = many_segments_wat(200, 12, 0).replace(
        "(module",
        "(module (data (i32.const 262140) \"past the end\")",
    );
    let input = wasm(&wat);
    let why = skipped_because(&input, &Options::default());
    assert!(why.contains("may trap"), "{why}");
    let out = transform(&input, &Options::default()).unwrap();
    assert!(memories_after_instantiation(&input).is_err());
    assert!(
        memories_after_instantiation(&out.wasm).is_err(),
        "the output must trap as the input does"
    );
}

#[test]
fn passive_segments_are_skipped() {
    let wat = many_segments_wat(200, 12, 0).replace("(module", "(module (data \"passive\")");
    let why = skipped_because(&wasm(&wat), &Options::default());
    assert!(why.contains("passive"), "{why}");
}

#[test]
fn code_naming_a_segment_is_skipped() {
    let wat = many_segments_wat(200, 12, 0)
        .replace("(module", "(module (func (export \"f\") (data.drop 3))");
    let why = skipped_because(&wasm(&wat), &Options::default());
    assert!(why.contains("code names data segments"), "{why}");
}

#[test]
fn data_count_section_follows_the_new_count() {
    // A DataCount section that no code uses (what LLVM emits with bulk memory on).
    let input = wasm(&many_segments_wat(200, 12, 0));
    let with_count = {
        let sections = module::sections(&input).unwrap();
        let data_count = [12u8, 2, 0xc8, 0x01]; // id 12, size 2, count 200
        let raws = sections.iter().flat_map(|s| {
            if s.is(SectionId::Data) {
                vec![&data_count[..], s.raw]
            } else {
                vec![s.raw]
            }
        });
        module::assemble(raws)
    };
    assert_valid(&with_count);
    let out = packed(&with_count, &Options::default());
    let count = Parser::new(0)
        .parse_all(&out)
        .find_map(|p| match p.unwrap() {
            Payload::DataCountSection { count, .. } => Some(count),
            _ => None,
        });
    assert_eq!(count, Some(1));
    assert_same_memories(&with_count, &out);
}

#[test]
fn relocatable_object_files_are_skipped() {
    let wat =
        many_segments_wat(200, 12, 0).replace("(module", "(module (@custom \"linking\" \"\\02\")");
    let why = skipped_because(&wasm(&wat), &Options::default());
    assert!(why.contains("object file"), "{why}");
}

#[test]
fn data_segment_names_are_dropped_and_function_names_kept() {
    let wat = many_segments_wat(200, 12, 0)
        .replace("(module", "(module (func $keep_me (export \"f\"))")
        .replace("(data (i32.const 1024)", "(data $first (i32.const 1024)");
    let input = wasm(&wat);
    let out = transform(
        &input,
        &Options {
            keep_names: true,
            ..Options::default()
        },
    )
    .unwrap();
    let packed = out.report.steps.iter().find(|s| s.pass == "pack-data").unwrap();
    assert_eq!(packed.status, StepStatus::Applied);
    let names = Parser::new(0)
        .parse_all(&out.wasm)
        .find_map(|p| match p.unwrap() {
            Payload::CustomSection(c) if c.name() == "name" => Some(c.data().to_vec()),
            _ => None,
        });
    let names = names.expect("name section kept");
    assert!(names.windows(7).any(|w| w == b"keep_me"));
    assert!(
        !names.windows(5).any(|w| w == b"first"),
        "data names must go"
    );
}

#[test]
fn an_unreadable_name_section_is_copied_as_is() {
    let wat = many_segments_wat(200, 12, 0)
        .replace("(module", "(module (@custom \"name\" \"\\09\\ff\\ff\")");
    let input = wasm(&wat);
    let out = packed(&input, &Options::default());
    let name = |bytes: &[u8]| {
        module::sections(bytes)
            .unwrap()
            .iter()
            .find(|s| s.custom_name == Some("name"))
            .map(|s| s.raw.to_vec())
    };
    assert_eq!(name(&out), name(&input));
}

#[test]
fn memory64_segments_pack() {
    let wat = many_segments_wat(300, 10, 6).replace(
        "(memory (export \"memory\") 4)",
        "(memory (export \"memory\") i64 4)",
    );
    let input = wasm(&wat.replace("(i32.const", "(i64.const"));
    let out = packed(&input, &Options::default());
    assert!(segments(&out).len() < 30);
    assert_same_memories(&input, &out);
}

#[test]
fn segments_of_different_memories_never_merge() {
    let mut wat = String::from("(module (memory $a (export \"a\") 1) (memory $b (export \"b\") 1)");
    for i in 0..300 {
        // Interleaved: memory a and b hold data at the same addresses.
        let memory = if i % 2 == 0 { "$a" } else { "$b" };
        let bytes = wat_bytes(&program_bytes(i, 10));
        wat += &format!(
            "(data (memory {memory}) (i32.const {}) \"{bytes}\")",
            64 + (i / 2) * 12
        );
    }
    let input = wasm(&(wat + ")"));
    let out = packed(&input, &Options::default());
    let after = segments(&out);
    assert!(after.iter().any(|s| s.0 == 0) && after.iter().any(|s| s.0 == 1));
    assert!(after.len() < 30, "{after:?}");
    assert_same_memories(&input, &out);
}

#[test]
fn turned_off_by_the_option() {
    let options = Options {
        pack_data: false,
        ..Options::default()
    };
    let why = skipped_because(&wasm(&many_segments_wat(200, 12, 0)), &options);
    assert!(why.contains("pack_data: false"), "{why}");
}

#[test]
fn a_module_without_data_is_unchanged() {
    let (out, step) = pack(&wasm("(module (memory 1))"), &Options::default());
    assert!(out.is_none());
    assert_eq!(step.status, StepStatus::Unchanged);
}

#[test]
fn a_layout_that_does_not_pay_is_not_kept() {
    // Two far-apart segments of incompressible bytes: nothing to merge or trim.
    let noise: Vec<u8> = (0..4000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1)
        .collect();
    let wat = format!(
        "(module (memory 1) (data (i32.const 0) \"{0}\") (data (i32.const 30000) \"{0}\"))",
        wat_bytes(&noise)
    );
    let (out, step) = pack(&wasm(&wat), &Options::default());
    assert!(out.is_none());
    assert_eq!(step.status, StepStatus::Unchanged, "{}", step.detail);
}

#[test]
fn a_go_like_module_gets_smaller_with_brotli() {
    let input = go_like_module(5_000);
    let out = packed(&input, &growth_allowed());
    let brotli = |b: &[u8]| crate::compress::brotli(b, 11).unwrap().len();
    let (before, after) = (brotli(&input), brotli(&out));
    println!(
        "go-like: {} → {} segments; raw {} → {} B; brotli-11 {before} → {after} B ({:+.1}%)",
        segments(&input).len(),
        segments(&out).len(),
        input.len(),
        out.len(),
        (after as f64 / before as f64 - 1.0) * 100.0
    );
    assert!(after < before);
    assert_same_memories(&input, &out);
}

#[test]
fn a_module_at_the_segment_limit_is_packed_below_it() {
    let input = go_like_module(MAX_SEGMENTS);
    assert_valid(&input);
    let start = Instant::now();
    let out = packed(&input, &growth_allowed());
    let took = start.elapsed();
    println!(
        "100,000 segments: packed into {} in {took:.2?}; raw {} → {} B",
        segments(&out).len(),
        input.len(),
        out.len()
    );
    assert!(segments(&out).len() <= MAX_SEGMENTS);
}

#[test]
fn output_is_deterministic() {
    let input = go_like_module(2_000);
    assert_eq!(
        packed(&input, &growth_allowed()),
        packed(&input, &growth_allowed())
    );
}

fn growth_allowed() -> Options {
    Options { allow_raw_growth: true, ..Options::default() }
}

#[test]
fn by_default_the_module_never_grows_raw() {
    // Near segments (4-byte gaps): merging saves headers raw and on the wire.
    let near = many_segments_wat(2000, 12, 4);
    let input = wasm(&near);
    let out = packed(&input, &Options::default());
    assert!(out.len() < input.len(), "{} -> {}", input.len(), out.len());
    // Far segments: only growth would pay, so nothing is done without leave.
    let input = go_like_module(5_000);
    let (out, step) = pack(&input, &Options::default());
    assert!(out.is_none_or(|o| o.len() <= input.len()), "{}", step.detail);
}
