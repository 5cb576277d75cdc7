//! passive-data: one fixture per rule. Every case runs the original and the output
//! in wasmi (with the loader's part played here: call the exported initialiser,
//! write the sidecar) and compares what an embedder can observe: whether
//! instantiation succeeds, every imported and exported memory byte for byte, and
//! the results of the `probe*` exports.
use super::*;
use crate::module::{self, SectionId};
use crate::options::PassiveData;
use crate::report::StepStatus;
use crate::test_support::*;
use crate::transform;
use wasmi::{Config, Engine, Extern, ExternType, Func, Global, Linker, Memory, Module, Mutability, Store, Val};
use wasmparser::{DataKind, Parser, Payload};

const MODES: [PassiveData; 3] = [PassiveData::Start, PassiveData::Deferred, PassiveData::Sidecar];

fn options(mode: PassiveData) -> Options {
    // Small segments in fixtures: let every one qualify for the sidecar.
    Options { passive_data: mode, sidecar_min_bytes: 1, ..Options::default() }
}

fn run(input: &[u8], mode: PassiveData) -> Output {
    let out = super::run(input, &options(mode)).unwrap();
    assert_eq!(out.step.pass, "passive-data");
    if let Some(bytes) = &out.bytes {
        assert_valid(bytes);
    }
    out
}

fn applied(input: &[u8], mode: PassiveData) -> (Vec<u8>, Option<Sidecar>) {
    let out = run(input, mode);
    assert_eq!(out.step.status, StepStatus::Applied, "{:?}: {}", mode, out.step.detail);
    (out.bytes.unwrap(), out.sidecar)
}

/// What an embedder sees after loading: instantiation outcome, the memories
/// (imported, then exported), and each `probe*` export's results.
#[derive(Debug, PartialEq)]
struct Seen {
    loaded: Result<(), String>,
    memories: Vec<Vec<u8>>,
    probes: Vec<String>,
}

/// Instantiates like the plugin's loader: fresh imported memories of the declared
/// type, `env.base` = 16 (i32 or i64), no-op functions; then the sidecar is written
/// and the initialiser called. Errors are reduced to "trap"/"error" kinds, since
/// where a failure is reported (instantiation or initialiser) is the loader's affair.
fn load(bytes: &[u8], sidecar: Option<&Sidecar>) -> Seen {
    let mut config = Config::default();
    config.wasm_multi_memory(true).wasm_memory64(true).wasm_extended_const(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, bytes).expect("compiles");
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<()>::new(&engine);
    let mut imported = Vec::new();
    for import in module.imports() {
        let item: Extern = match import.ty() {
            ExternType::Memory(ty) => {
                let memory = Memory::new(&mut store, *ty).unwrap();
                imported.push((import.module().to_string(), import.name().to_string(), memory));
                memory.into()
            }
            ExternType::Global(ty) => {
                let value = match ty.content() {
                    wasmi::ValType::I64 => Val::I64(16),
                    _ => Val::I32(16),
                };
                Global::new(&mut store, value, Mutability::Const).into()
            }
            ExternType::Func(ty) => Func::new(&mut store, ty.clone(), |_, _, results| {
                results.iter_mut().for_each(|r| *r = Val::I32(0));
                Ok(())
            })
            .into(),
            other => panic!("fixture imports {other:?}"),
        };
        linker.define(import.module(), import.name(), item).unwrap();
    }
    let exported_names: Vec<String> = module.exports().filter(|e| e.ty().memory().is_some()).map(|e| e.name().to_string()).collect();
    let probe_names: Vec<String> = module.exports().filter(|e| e.name().starts_with("probe")).map(|e| e.name().to_string()).collect();
    let kind = |e: wasmi::Error| if e.as_trap_code().is_some() { format!("trap: {}", e.as_trap_code().unwrap()) } else { format!("error: {e}") };
    let mut loaded = linker.instantiate_and_start(&mut store, &module).map_err(kind);
    let memories_of = |store: &Store<()>, instance: Option<wasmi::Instance>| -> Vec<Vec<u8>> {
        let mut all: Vec<Vec<u8>> = imported.iter().map(|(_, _, m)| m.data(store).to_vec()).collect();
        if let Some(instance) = instance {
            all.extend(exported_names.iter().map(|n| instance.get_memory(store, n).unwrap().data(store).to_vec()));
        }
        all
    };
    if let (Ok(instance), Some(sidecar)) = (&loaded, sidecar) {
        for p in &sidecar.placements {
            let memory = match &p.memory {
                MemoryRef::Export(name) => instance.get_memory(&store, name).unwrap(),
                MemoryRef::Import { module, name } => imported.iter().find(|(m, n, _)| m == module && n == name).unwrap().2,
            };
            let data = memory.data_mut(&mut store);
            let (at, len) = (p.offset as usize, p.length as usize);
            if at.checked_add(len).is_none_or(|end| end > data.len()) {
                loaded = Err("trap: out of bounds memory access".to_string());
                break;
            }
            let from = p.sidecar_offset as usize;
            data[at..at + len].copy_from_slice(&sidecar.bytes[from..from + len]);
        }
    }
    if let Ok(instance) = &loaded {
        if let Some(init) = instance.get_func(&store, INIT_EXPORT) {
            if let Err(e) = init.call(&mut store, &[], &mut []) {
                loaded = Err(kind(e));
            }
        }
    }
    let Ok(instance) = loaded else {
        return Seen { loaded: loaded.map(|_| ()), memories: memories_of(&store, None), probes: Vec::new() };
    };
    let mut probes = Vec::new();
    for name in &probe_names {
        let func = instance.get_func(&store, name).unwrap();
        let mut results: Vec<Val> = func.ty(&store).results().iter().map(|t| Val::default_for_ty(*t)).collect();
        let outcome = func.call(&mut store, &[], &mut results).map_err(kind);
        probes.push(format!("{name}: {outcome:?} {results:?}"));
    }
    Seen { loaded: Ok(()), memories: memories_of(&store, Some(instance)), probes }
}

/// The output of every mode loads to exactly what the original loads to.
fn assert_same_in_every_mode(text: &str) -> Seen {
    let input = wasm(text);
    let want = load(&input, None);
    for mode in MODES {
        let out = run(&input, mode);
        let bytes = out.bytes.as_deref().unwrap_or(&input);
        let got = load(bytes, out.sidecar.as_ref());
        assert_eq!(want, got, "{mode:?} changed behaviour ({})", out.step.detail);
    }
    want
}

/// (passive?, data length) of every segment, in order.
fn segment_kinds(bytes: &[u8]) -> Vec<(bool, usize)> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::DataSection(reader) = payload.unwrap() {
            for data in reader {
                let data = data.unwrap();
                out.push((matches!(data.kind, DataKind::Passive), data.data.len()));
            }
        }
    }
    out
}

fn has_section(bytes: &[u8], id: SectionId) -> bool {
    module::sections(bytes).unwrap().iter().any(|s| s.is(id))
}

#[test]
fn constant_offsets_in_an_exported_memory() {
    let seen = assert_same_in_every_mode(
        r#"(module (memory (export "mem") 1)
             (data (i32.const 8) "hello") (data (i32.const 10) "LL") (data (i32.const 100) "world"))"#,
    );
    assert_eq!(&seen.memories[0][8..13], b"heLLo", "later segments overwrite earlier ones, in order");
    let (out, _) = applied(&wasm(r#"(module (memory 1) (data (i32.const 8) "hello"))"#), PassiveData::Start);
    assert_eq!(segment_kinds(&out), vec![(true, 5)], "made passive in place");
    assert!(has_section(&out, SectionId::DataCount), "DataCount section added");
    assert!(has_section(&out, SectionId::Start), "start section added");
}

#[test]
fn global_get_offset() {
    assert_same_in_every_mode(
        r#"(module (import "env" "base" (global i32)) (memory (export "mem") 1)
             (data (global.get 0) "xyz"))"#,
    );
}

#[test]
fn extended_const_offset() {
    let seen = assert_same_in_every_mode(
        r#"(module (import "env" "base" (global i32)) (memory (export "mem") 1)
             (data (i32.add (global.get 0) (i32.mul (i32.const 4) (i32.const 2))) "abc"))"#,
    );
    assert_eq!(&seen.memories[0][24..27], b"abc");
}

#[test]
fn existing_start_function_runs_after_the_data() {
    let seen = assert_same_in_every_mode(
        r#"(module (memory (export "mem") 1) (global $g (mut i32) (i32.const 0))
             (func $start (i32.store8 (i32.const 1) (i32.const 0x5a)))
             (start $start)
             (data (i32.const 0) "AAAA"))"#,
    );
    assert_eq!(&seen.memories[0][..4], b"AZAA");
}

#[test]
fn start_function_that_reads_the_data() {
    let seen = assert_same_in_every_mode(
        r#"(module (memory (export "mem") 1) (global $g (mut i32) (i32.const 0))
             (func $start (global.set $g (i32.load (i32.const 64))))
             (func (export "probe") (result i32) (global.get $g))
             (start $start)
             (data (i32.const 64) "\2a\00\00\00"))"#,
    );
    assert_eq!(seen.probes, vec!["probe: Ok(()) [I32(42)]"]);
}

#[test]
fn imported_start_function() {
    assert_same_in_every_mode(
        r#"(module (import "env" "f" (func $f)) (memory (export "mem") 1) (start $f) (data (i32.const 0) "x"))"#,
    );
}

#[test]
fn imported_memory() {
    let seen = assert_same_in_every_mode(
        r#"(module (import "env" "memory" (memory 1)) (data (i32.const 3) "imported"))"#,
    );
    assert_eq!(&seen.memories[0][3..11], b"imported");
}

#[test]
fn memory64() {
    assert_same_in_every_mode(
        r#"(module (memory (export "mem") i64 1)
             (data (i64.const 16) "sixty-four") (data (i64.const 65530) "edge!!"))"#,
    );
}

#[test]
fn multi_memory_keeps_each_segments_memory() {
    let seen = assert_same_in_every_mode(
        r#"(module (memory $a (export "a") 1) (memory $b (export "b") 1)
             (data (memory $b) (i32.const 4) "bbb") (data (memory $a) (i32.const 4) "aaa")
             (data (memory 1) (i32.const 5) "B"))"#,
    );
    assert_eq!(&seen.memories[0][4..7], b"aaa");
    assert_eq!(&seen.memories[1][4..7], b"bBb");
}

#[test]
fn out_of_bounds_segment_still_fails() {
    let seen = assert_same_in_every_mode(r#"(module (memory (export "mem") 1) (data (i32.const 65534) "abcd"))"#);
    assert!(seen.loaded.unwrap_err().contains("out of bounds"));
}

#[test]
fn out_of_bounds_after_a_good_segment_leaves_the_same_imported_memory() {
    // The spec writes segments in order and stops at the one that traps; an imported
    // memory shows the partial write. Sidecar mode does not preserve that partial
    // state (the fitting segment is written by the loader after instantiation), so
    // it is checked for start and deferred only; it still fails.
    let input = wasm(
        r#"(module (import "env" "memory" (memory 1)) (data (i32.const 0) "ok") (data (i32.const 65535) "no"))"#,
    );
    let want = load(&input, None);
    assert!(want.loaded.is_err());
    assert_eq!(&want.memories[0][..2], b"ok");
    for mode in [PassiveData::Start, PassiveData::Deferred] {
        let (out, _) = applied(&input, mode);
        assert_eq!(load(&out, None), want, "{mode:?}");
    }
    let (out, sidecar) = applied(&input, PassiveData::Sidecar);
    assert!(load(&out, sidecar.as_ref()).loaded.unwrap_err().contains("out of bounds"));
}

#[test]
fn passive_segments_and_memory_init_keep_their_indices() {
    // `memory.init` of an active segment traps after instantiation (it was dropped),
    // and so it must after the rewrite; the passive one still works.
    assert_same_in_every_mode(
        r#"(module (memory (export "mem") 1)
             (data $p "passive") (data $a (i32.const 0) "active")
             (func (export "probe_passive") (memory.init $p (i32.const 100) (i32.const 0) (i32.const 7)))
             (func (export "probe_active") (memory.init $a (i32.const 200) (i32.const 0) (i32.const 6)))
             (func (export "probe_active_empty") (memory.init $a (i32.const 200) (i32.const 0) (i32.const 0)))
             (func (export "probe_drop") (data.drop $a)))"#,
    );
}

#[test]
fn deferred_exports_an_initialiser_that_runs_once() {
    let input = wasm(
        r#"(module (memory (export "mem") 1) (global $n (mut i32) (i32.const 0))
             (func $start (global.set $n (i32.add (global.get $n) (i32.const 1))))
             (func (export "probe") (result i32) (global.get $n))
             (start $start) (data (i32.const 0) "d"))"#,
    );
    let (out, _) = applied(&input, PassiveData::Deferred);
    assert!(!has_section(&out, SectionId::Start), "the start function moved into the initialiser");
    let engine = Engine::default();
    let module = Module::new(&engine, &out[..]).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate_and_start(&mut store, &module).unwrap();
    let init = instance.get_typed_func::<(), ()>(&store, INIT_EXPORT).unwrap();
    let probe = instance.get_typed_func::<(), i32>(&store, "probe").unwrap();
    assert_eq!(probe.call(&mut store, ()).unwrap(), 0, "nothing runs before the loader calls it");
    init.call(&mut store, ()).unwrap();
    init.call(&mut store, ()).unwrap();
    assert_eq!(probe.call(&mut store, ()).unwrap(), 1, "the original start ran exactly once");
}

#[test]
fn existing_datacount_and_types_are_reused() {
    let input = wasm(
        r#"(module (type (func)) (memory 1) (data $p "x") (data (i32.const 0) "y")
             (func (export "f") (data.drop $p)))"#,
    );
    let (out, _) = applied(&input, PassiveData::Start);
    let sections = |b: &[u8]| module::sections(b).unwrap().iter().filter(|s| s.is(SectionId::DataCount)).count();
    assert_eq!(sections(&out), 1);
    assert_eq!(counts(&out).4, counts(&input).4, "the existing (func) type is reused");
}

#[test]
fn shared_memory_the_module_defines_is_fresh_per_instance() {
    let input = wasm(r#"(module (memory (export "mem") 1 1 shared) (data (i32.const 0) "s"))"#);
    for mode in [PassiveData::Start, PassiveData::Deferred] {
        let (out, _) = applied(&input, mode);
        assert_eq!(segment_kinds(&out), vec![(true, 1)]);
    }
}

#[test]
fn imported_shared_memory_is_skipped_with_a_reason() {
    let input = wasm(r#"(module (import "env" "mem" (memory 1 1 shared)) (data (i32.const 0) "s"))"#);
    for mode in [PassiveData::Start, PassiveData::Deferred] {
        let out = run(&input, mode);
        assert_eq!(out.step.status, StepStatus::Skipped);
        assert!(out.step.detail.contains("imported shared memory"), "{}", out.step.detail);
    }
    let out = run(&input, PassiveData::Sidecar);
    assert!(out.bytes.is_none());
    assert!(out.step.detail.contains("memory is shared"), "{}", out.step.detail);
}

#[test]
fn reserved_export_name_is_skipped() {
    let input = wasm(r#"(module (memory 1) (func (export "__wasm_squeeze_init_data")) (data (i32.const 0) "s"))"#);
    let out = run(&input, PassiveData::Deferred);
    assert_eq!(out.step.status, StepStatus::Skipped);
    assert!(out.step.detail.contains(INIT_EXPORT));
    assert_eq!(run(&input, PassiveData::Start).step.status, StepStatus::Applied);
}

#[test]
fn nothing_to_do_without_active_segments() {
    let input = wasm(r#"(module (memory 1) (data "passive"))"#);
    for mode in MODES {
        let out = run(&input, mode);
        assert!(out.bytes.is_none());
        assert_eq!(out.step.status, StepStatus::Unchanged);
    }
    assert_eq!(run(&input, PassiveData::Off).step.status, StepStatus::Skipped);
}

#[test]
fn sidecar_moves_the_bytes_out_and_says_where_they_go() {
    let input = wasm(
        r#"(module (import "env" "memory" (memory 1)) (memory $own (export "heap") 1)
             (data (memory 1) (i32.const 16) "exported memory")
             (data (memory 0) (i32.const 32) "imported memory"))"#,
    );
    let (out, sidecar) = applied(&input, PassiveData::Sidecar);
    let sidecar = sidecar.unwrap();
    assert_eq!(sidecar.bytes, b"exported memoryimported memory");
    assert_eq!(sidecar.placements[0].memory, MemoryRef::Export("heap".into()));
    assert_eq!((sidecar.placements[0].offset, sidecar.placements[0].sidecar_offset, sidecar.placements[0].length), (16, 0, 15));
    assert_eq!(sidecar.placements[1].memory, MemoryRef::Import { module: "env".into(), name: "memory".into() });
    assert_eq!(sidecar.init_export, None, "no start function, nothing to call");
    assert_eq!(segment_kinds(&out), vec![(true, 0), (true, 0)], "indices stay, bytes go");
    assert!(!has_section(&out, SectionId::DataCount), "no memory.init, no DataCount needed");
}

#[test]
fn sidecar_keeps_what_the_loader_cannot_place() {
    let input = wasm(
        r#"(module (import "env" "base" (global i32)) (memory (export "m") 1) (memory $hidden 1)
             (data (memory 0) (global.get 0) "computed")
             (data (memory 0) (i32.const 0) "moves")
             (data (memory 1) (i32.const 0) "unreachable memory")
             (data (memory 0) (i32.const 100) "overlapped") (data (memory 0) (i32.const 105) "!"))"#,
    );
    let options = Options { passive_data: PassiveData::Sidecar, sidecar_min_bytes: 5, ..Options::default() };
    let out = super::run(&input, &options).unwrap();
    let sidecar = out.sidecar.unwrap();
    assert_eq!(sidecar.bytes, b"moves");
    for why in ["offset is not a constant", "neither imported nor exported", "overlaps a later segment"] {
        assert!(out.step.detail.contains(why), "{why}: {}", out.step.detail);
    }
    assert_same_in_every_mode(
        r#"(module (memory (export "m") 1) (data (i32.const 100) "overlapped") (data (i32.const 105) "!")
             (data (i32.const 103) "long enough to move"))"#,
    );
}

#[test]
fn min_bytes_leaves_small_segments_active() {
    let input = wasm(r#"(module (memory (export "m") 1) (data (i32.const 0) "small"))"#);
    let out = super::run(&input, &Options { passive_data: PassiveData::Sidecar, ..Options::default() }).unwrap();
    assert!(out.bytes.is_none(), "4 KiB default minimum");
    assert_eq!(out.step.status, StepStatus::Unchanged);
}

#[test]
fn transform_runs_the_pass_after_the_size_passes() {
    let input = wasm(r#"(module (memory (export "m") 1) (data (i32.const 0) "hello") (func (export "f")))"#);
    for mode in MODES {
        let out = transform(&input, &options(mode)).unwrap();
        assert_valid(&out.wasm);
        let step = out.report.steps.iter().find(|s| s.pass == "passive-data").unwrap();
        assert_eq!(step.status, StepStatus::Applied, "{mode:?}");
        assert_eq!(out.sidecar.is_some(), mode == PassiveData::Sidecar);
        assert_eq!(load(&out.wasm, out.sidecar.as_ref()), load(&input, None));
    }
    let off = transform(&input, &Options::default()).unwrap();
    assert!(off.sidecar.is_none());
    assert!(off.report.steps.iter().all(|s| s.pass != "passive-data"), "off by default, and silent");
}

#[test]
fn a_sidecar_that_would_grow_the_module_is_not_made() {
    // Four bytes of data cannot pay for moving the start function into an export.
    let input = wasm(
        r#"(module (memory (export "mem") 1) (func $start (i32.store8 (i32.const 1) (i32.const 0x5a)))
             (start $start) (data (i32.const 0) "AAAA"))"#,
    );
    let out = transform(&input, &options(PassiveData::Sidecar)).unwrap();
    assert_eq!(out.wasm, transform(&input, &Options::default()).unwrap().wasm, "the size passes' result, no more");
    assert!(out.sidecar.is_none());
    let step = out.report.steps.iter().find(|s| s.pass == "passive-data").unwrap();
    assert_eq!(step.status, StepStatus::Unchanged);
    assert!(step.detail.contains("would grow"), "{}", step.detail);
    // The pass alone still does it (the fixtures above rely on that).
    assert!(run(&input, PassiveData::Sidecar).bytes.unwrap().len() > input.len());
}

#[test]
fn custom_sections_with_code_offsets_are_skipped() {
    let mut input = wasm(r#"(module (memory 1) (data (i32.const 0) "x"))"#);
    let name = b"sourceMappingURL";
    input.extend_from_slice(&[0, (1 + name.len() + 5) as u8, name.len() as u8]);
    input.extend_from_slice(name);
    input.extend_from_slice(b"x.map");
    let out = run(&input, PassiveData::Start);
    assert_eq!(out.step.status, StepStatus::Skipped);
}

#[test]
fn many_segments_like_a_go_module() {
    // Go modules carry ~100k active segments; every mode must stay linear in them.
    let segments: String = (0..20_000).map(|i| format!(r#"(data (i32.const {}) "s{i}")"#, i * 8)).collect();
    let input = wasm(&format!(r#"(module (memory (export "m") 3) {segments})"#));
    let want = load(&input, None);
    for mode in MODES {
        let out = run(&input, mode);
        let bytes = out.bytes.as_deref().expect("applied");
        assert_eq!(load(bytes, out.sidecar.as_ref()), want, "{mode:?}");
    }
}
