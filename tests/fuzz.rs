//! Fuzz loops, run as ordinary tests so `npm test` runs a bounded number of cases
//! and a long run is one environment variable away:
//!
//! - `valid_modules`: wasm-smith modules with every feature the optimizer handles,
//!   through `transform` with every option, and aligned to a copy of themselves
//!   with the functions reversed; the output must validate, never be bigger raw
//!   (unless `allow_raw_growth` or aligned), and keep imports and exports (names,
//!   kinds, types). Half the cases have no imports and canonical NaNs and are run in wasmi,
//!   original against optimized, with the same arguments: same results, same traps
//!   (running out of fuel and out of call stack count as one), same exported
//!   globals and memory.
//! - `arbitrary_bytes`: random bytes, and damaged wasm-smith and real modules, through
//!   `transform`, `inspect` and `compress`: no panic, an error with an offset inside
//!   the input, and every compressed output decodes to the input.
//!
//! `FUZZ_CASES=1000000 FUZZ_THREADS=2 cargo test --profile test-opt --test fuzz -- --nocapture`
//! for a long run (`FUZZ_SECONDS` stops it after a time budget); `FUZZ_SEED` picks
//! another sequence; `FUZZ_FIRST` starts at a later
//! case. A failing case is written to `target/fuzz-findings/` and named in the
//! failure, and reruns alone with `FUZZ_FIRST=<case> FUZZ_CASES=1`.
#[path = "fuzz/differential.rs"]
mod differential;
#[path = "shared/wasmi_values.rs"]
mod wasmi_values;
#[path = "fuzz/generate.rs"]
mod generate;
#[path = "fuzz/interface.rs"]
mod interface;
#[path = "shared/permute.rs"]
mod permute;

use generate::{Rng, Shape};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wasm_squeeze::INIT_EXPORT;
use wasm_squeeze::{compress, inspect, transform, CompressOptions, ErrorCode, Options, PassiveData};
use wasmparser::{Validator, WasmFeatures};

const DEFAULT_SEED: u64 = 0x5EED_0F_5A_EE2E;
/// Cases per target in a plain `cargo test` (tens of seconds in release on 2 cores).
const DEFAULT_VALID_CASES: u64 = 4000;
const DEFAULT_BYTES_CASES: u64 = 4000;
const WORKER_STACK: usize = 64 << 20;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Default, Debug)]
struct Tally {
    cases: u64,
    generated: u64,
    transforms: u64,
    changed: u64,
    executed: u64,
    calls: u64,
    input_bytes: u64,
    /// How often each pass applied, so a run shows every pass was exercised.
    applied: std::collections::BTreeMap<&'static str, u64>,
    not_runnable: u64,
    errors: u64,
    slowest: Duration,
    slowest_case: u64,
    findings: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.cases += other.cases;
        self.generated += other.generated;
        self.transforms += other.transforms;
        self.changed += other.changed;
        self.executed += other.executed;
        self.calls += other.calls;
        self.input_bytes += other.input_bytes;
        for (pass, n) in other.applied {
            *self.applied.entry(pass).or_default() += n;
        }
        self.not_runnable += other.not_runnable;
        self.errors += other.errors;
        if other.slowest > self.slowest {
            self.slowest = other.slowest;
            self.slowest_case = other.slowest_case;
        }
        self.findings.extend(other.findings);
    }
}

/// Runs `case` for every case number, split over `FUZZ_THREADS` threads, each case
/// behind a panic guard; prints a summary and fails on any finding.
fn fuzz(target: &str, default_cases: u64, case: fn(u64, u64, &mut Tally) -> Result<(), String>) {
    let seed = env_u64("FUZZ_SEED", DEFAULT_SEED);
    let first = env_u64("FUZZ_FIRST", 0);
    let cases = env_u64("FUZZ_CASES", default_cases);
    let threads = env_u64("FUZZ_THREADS", 1).max(1);
    // A time budget for long runs: stop after this many seconds, whatever the count.
    let budget = Duration::from_secs(env_u64("FUZZ_SECONDS", u64::MAX / 4));
    let total = Mutex::new(Tally::default());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let total = &total;
            // wasmi recurses on the native stack for some deeply nested modules and
            // overflows a default 2 MiB thread stack (case 392310 of the default seed:
            // an abort, not a panic); transform itself is fine there.
            let worker = std::thread::Builder::new().stack_size(WORKER_STACK);
            worker.spawn_scoped(scope, move || {
                let mut tally = Tally::default();
                let mut n = first + t;
                while n < first + cases && started.elapsed() < budget {
                    let start = Instant::now();
                    let outcome = catch_unwind(AssertUnwindSafe(|| case(seed, n, &mut tally)))
                        .unwrap_or_else(|p| Err(format!("panic: {}", panic_text(&p))));
                    if let Err(why) = outcome {
                        tally.findings.push(format!("{target} case {n} (seed {seed:#x}): {why}"));
                    }
                    let took = start.elapsed();
                    if took > tally.slowest {
                        tally.slowest = took;
                        tally.slowest_case = n;
                    }
                    tally.cases += 1;
                    n += threads;
                    if n % 10_000 < threads {
                        eprintln!("{target}: {n} cases, {:.0?}", started.elapsed());
                    }
                }
                total.lock().unwrap().merge(tally);
            })
            .expect("a fuzz thread starts");
        }
    });
    let tally = total.into_inner().unwrap();
    eprintln!(
        "{target}: {} cases in {:.1?} (seed {seed:#x}): {} modules generated, {} transforms ({} changed the module), \
         {} errors, {} differential runs ({} not runnable in wasmi) making {} calls, {} input bytes, passes applied {:?}, slowest case {} took {:.1?}, {} findings",
        tally.cases,
        started.elapsed(),
        tally.generated,
        tally.transforms,
        tally.changed,
        tally.errors,
        tally.executed,
        tally.not_runnable,
        tally.calls,
        tally.input_bytes,
        tally.applied,
        tally.slowest_case,
        tally.slowest,
        tally.findings.len()
    );
    assert!(tally.findings.is_empty(), "{} findings:\n{}", tally.findings.len(), tally.findings.join("\n"));
}

fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".into())
}

/// Keeps a failing input for reproduction and says where it is.
fn keep(target: &str, seed: u64, case: u64, bytes: &[u8], why: String) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-findings");
    let file = dir.join(format!("{target}-{seed:x}-{case}.wasm"));
    let _ = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&file, bytes));
    format!("{why} (input: {})", file.display())
}

fn validates(bytes: &[u8]) -> Result<(), String> {
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .map(|_| ())
        .map_err(|e| format!("output does not validate: {e}"))
}

/// What every successful transform must satisfy.
fn check_output(input: &[u8], output: &[u8], options: &Options) -> Result<(), String> {
    validates(output)?;
    // start/deferred add an initialiser, a companion needs a build_id (and maybe
    // external_debug_info): the documented ways a module may grow.
    // align-to-previous may lengthen a few indices' LEBs (it is judged on the wire).
    let may_grow = options.allow_raw_growth || options.debug_companion || options.previous.is_some() || matches!(options.passive_data, PassiveData::Start | PassiveData::Deferred);
    if !may_grow && output.len() > input.len() {
        return Err(format!("output grew: {} → {} bytes with {options:?}", input.len(), output.len()));
    }
    // The loader's initialiser is the one export a passiveData mode may add.
    let before = interface::describe(input);
    let after: Vec<String> = interface::describe(output).into_iter().filter(|e| !e.contains(&format!("{INIT_EXPORT:?}"))).collect();
    if before != after {
        let diff: Vec<String> = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("  {a}\n→ {b}"))
            .take(3)
            .collect();
        return Err(format!(
            "imports/exports changed ({} → {} entries) with {options:?}:\n{}",
            before.len(),
            after.len(),
            diff.join("\n")
        ));
    }
    Ok(())
}

/// Names of the exported functions, globals and memories, in export order.
fn export_names(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Ok(wasmparser::Payload::ExportSection(reader)) = payload {
            names.extend(reader.into_iter().filter_map(|e| e.ok()).map(|e| e.name.to_string()));
        }
    }
    names
}

fn valid_case(seed: u64, case: u64, tally: &mut Tally) -> Result<(), String> {
    let mut rng = Rng::for_case(seed, case);
    let shape = if case % 2 == 0 { Shape::Runnable } else { Shape::AnyFeature };
    let Some(input) = generate::module(shape, &mut rng) else { return Ok(()) };
    tally.generated += 1;
    tally.input_bytes += input.len() as u64;
    let fail = |why: String| keep("valid", seed, case, &input, why);
    validates(&input).map_err(|e| fail(format!("wasm-smith gave an invalid module: {e}")))?;
    let mut outputs = Vec::new();
    // The same input aligned to a copy of itself with its functions reversed.
    let aligned = permute::reversed_functions(&input).map(|previous| Options { previous: Some(previous.into()), ..Options::default() });
    for options in [Options::default(), generate::options(&mut rng)].into_iter().chain(aligned) {
        let out = transform(&input, &options).map_err(|e| fail(format!("transform refused a valid module: {e}")))?;
        tally.transforms += 1;
        for step in out.report.steps.iter().filter(|s| s.status == wasm_squeeze::StepStatus::Applied) {
            *tally.applied.entry(step.pass).or_default() += 1;
        }
        check_output(&input, &out.wasm, &options).map_err(fail)?;
        if let Some(companion) = &out.debug_companion {
            validates(companion).map_err(|e| fail(format!("the debug companion does not validate: {e}")))?;
        }
        if out.report.output_bytes != out.wasm.len() as u64 {
            return Err(fail("report.output_bytes is not the output's length".into()));
        }
        let info = inspect(&out.wasm).map_err(|e| fail(format!("inspect refused the output: {e}")))?;
        let added = info.exports.iter().filter(|e| e.name == INIT_EXPORT).count(); // the loader's initialiser
        if info.imports.len() + info.exports.len() - added != interface::describe(&input).len() {
            return Err(fail("inspect lists a different number of imports and exports".into()));
        }
        // An input aligned to its own aligned copy is that copy, byte for byte (an
        // unchanged wasm keeps its URL from deploy to deploy).
        if options.previous.is_some() {
            let again = Options { previous: Some(out.wasm.clone().into()), ..Options::default() };
            let twice = transform(&input, &again).map_err(|e| fail(format!("transform refused to align to its own output: {e}")))?;
            if twice.wasm != out.wasm {
                return Err(fail("aligned to its own aligned output, the input came out different".into()));
            }
        }
        if out.wasm != input {
            tally.changed += 1;
            outputs.push((out.wasm, out.sidecar));
        }
    }
    if shape != Shape::Runnable || outputs.is_empty() {
        return Ok(());
    }
    let exports = export_names(&input);
    let arg_seed = rng.next();
    let differential::Run::Transcript(expected) = differential::run(&input, &exports, arg_seed, None) else {
        tally.not_runnable += 1;
        return Ok(());
    };
    for (output, sidecar) in outputs {
        tally.executed += 1;
        tally.calls += expected.iter().filter(|line| line.contains('→')).count() as u64;
        match differential::run(&output, &exports, arg_seed, sidecar.as_ref()) {
            differential::Run::Unsupported => return Err(fail("wasmi runs the original but cannot compile the output".into())),
            differential::Run::Transcript(got) if got != expected => {
                let at = expected.iter().zip(&got).position(|(a, b)| a != b).unwrap_or(expected.len().min(got.len()));
                return Err(fail(format!(
                    "behaviour differs at step {at}: original {:?}, optimized {:?}",
                    expected.get(at),
                    got.get(at)
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

#[test]
fn valid_modules() {
    fuzz("valid", DEFAULT_VALID_CASES, valid_case);
}

/// Real modules to damage: the test fixture app's, built from its `.wat`.
fn real_modules() -> &'static [Vec<u8>] {
    static MODULES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    MODULES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test/fixtures/vite-app/src/wasm");
        let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        files.iter().filter(|p| p.extension().is_some_and(|e| e == "wat")).map(|p| wat::parse_file(p).unwrap()).collect()
    })
}

fn damaged_input(case: u64, rng: &mut Rng) -> Vec<u8> {
    match case % 4 {
        0 => {
            let len = rng.below(512) as usize;
            rng.bytes(len)
        }
        1 => {
            let mut bytes = b"\0asm\x01\0\0\0".to_vec();
            let len = rng.below(512) as usize;
            bytes.extend(rng.bytes(len));
            bytes
        }
        2 => {
            let shape = if rng.chance(50) { Shape::Runnable } else { Shape::AnyFeature };
            let module = generate::module(shape, rng).unwrap_or_else(|| b"\0asm\x01\0\0\0".to_vec());
            generate::mutate(&module, rng)
        }
        _ => {
            let real = real_modules();
            generate::mutate(&real[rng.below(real.len() as u64) as usize], rng)
        }
    }
}

/// An error about the input must say where, inside the input, in one line.
fn check_error(err: &wasm_squeeze::Error, len: usize) -> Result<(), String> {
    if !matches!(err.code, ErrorCode::Malformed | ErrorCode::Unsupported) {
        return Err(format!("bad input gave {:?}: {err}", err.code));
    }
    match err.offset {
        Some(offset) if offset <= len as u64 => {}
        other => return Err(format!("error offset {other:?} is not inside the {len}-byte input: {err}")),
    }
    if err.message.is_empty() || err.to_string().contains('\n') {
        return Err(format!("error message is not one line: {err:?}"));
    }
    Ok(())
}

fn bytes_case(seed: u64, case: u64, tally: &mut Tally) -> Result<(), String> {
    let mut rng = Rng::for_case(seed, case);
    let input = damaged_input(case, &mut rng);
    let fail = |why: String| keep("bytes", seed, case, &input, why);
    let options = generate::options(&mut rng);
    let transformed = transform(&input, &options);
    let inspected = inspect(&input);
    tally.transforms += 1;
    match (&transformed, &inspected) {
        (Ok(out), Ok(_)) => {
            tally.changed += u64::from(out.wasm != input);
            check_output(&input, &out.wasm, &options).map_err(fail)?;
        }
        (Err(a), Err(b)) => {
            tally.errors += 1;
            check_error(a, input.len()).map_err(fail)?;
            if a != b {
                return Err(fail(format!("transform and inspect disagree: {a} / {b}")));
            }
        }
        _ => return Err(fail(format!("transform and inspect disagree: {:?} / {:?}", transformed.is_ok(), inspected.is_ok()))),
    }
    let levels = CompressOptions { brotli: Some(rng.below(4) as u32), zstd: Some(1 + rng.below(3) as i32), gzip: Some(rng.below(4) as u32) };
    let packed = compress(&input, &levels).map_err(|e| fail(format!("compress failed: {e}")))?;
    let mut br = Vec::new();
    brotli::BrotliDecompress(&mut packed.br.as_deref().unwrap(), &mut br).map_err(|e| fail(format!("br: {e}")))?;
    let zst = zstd::decode_all(packed.zst.as_deref().unwrap()).map_err(|e| fail(format!("zst: {e}")))?;
    let mut gz = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(packed.gz.as_deref().unwrap()), &mut gz)
        .map_err(|e| fail(format!("gz: {e}")))?;
    if br != input || zst != input || gz != input {
        return Err(fail("a compressed output does not decode to the input".into()));
    }
    Ok(())
}

#[test]
fn arbitrary_bytes() {
    fuzz("bytes", DEFAULT_BYTES_CASES, bytes_case);
}

#[test]
#[ignore]
fn show_transcripts() {
    for case in (0..20).step_by(2) {
        let mut rng = Rng::for_case(DEFAULT_SEED, case);
        let Some(input) = generate::module(Shape::Runnable, &mut rng) else { continue };
        let exports = export_names(&input);
        if let differential::Run::Transcript(t) = differential::run(&input, &exports, 1, None) {
            eprintln!("case {case}: {} bytes, exports {exports:?}\n  {}", input.len(), t.join("\n  "));
        }
    }
}

/// The checks themselves can fail: a changed export name, import type or size is caught.
#[test]
fn the_output_checks_catch_what_they_claim_to() {
    let wat = |text: &str| wat::parse_str(text).unwrap();
    let base = wat(r#"(module (type $t (func (param i32))) (import "env" "f" (func (type $t))) (func (export "g") (param i64)))"#);
    let renamed = wat(r#"(module (type $t (func (param i32))) (import "env" "f" (func (type $t))) (func (export "h") (param i64)))"#);
    let retyped = wat(r#"(module (type $t (func (param i64))) (import "env" "f" (func (type $t))) (func (export "g") (param i64)))"#);
    // Renumbered types with the same meaning are not a change.
    let renumbered = wat(r#"(module (type (func)) (type $t (func (param i32))) (import "env" "f" (func (type $t))) (func (export "g") (param i64)))"#);
    let options = Options::default();
    assert!(check_output(&base, &renamed, &options).unwrap_err().contains("imports/exports changed"));
    assert!(check_output(&base, &retyped, &options).unwrap_err().contains("imports/exports changed"));
    assert!(check_output(&base, &renumbered, &options).unwrap_err().contains("output grew"));
    assert!(check_output(&renumbered, &base, &options).is_ok());
    assert!(validates(b"\0asm\x01\0\0\0\x01").is_err());
}

/// Writes the module of valid-module case `FUZZ_FIRST` to `target/fuzz-findings/`,
/// to look at a case that aborts the process (a stack overflow cannot be caught).
#[test]
#[ignore]
fn dump_valid_case() {
    let case = env_u64("FUZZ_FIRST", 0);
    let seed = env_u64("FUZZ_SEED", DEFAULT_SEED);
    let mut rng = Rng::for_case(seed, case);
    let shape = if case % 2 == 0 { Shape::Runnable } else { Shape::AnyFeature };
    let input = generate::module(shape, &mut rng).expect("a module");
    eprintln!("{}", keep("valid", seed, case, &input, format!("{shape:?}, options {:?}", generate::options(&mut rng))));
}

/// Runs one step of a dumped case (`FUZZ_STEP`: validate, transform, run, run-output)
/// on a 2 MiB thread, to find which one overflows the stack.
#[test]
#[ignore]
fn step_of_dumped_case() {
    let file = std::env::var("FUZZ_FILE").unwrap();
    let step = std::env::var("FUZZ_STEP").unwrap();
    let input = std::fs::read(file).unwrap();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let exports = export_names(&input);
            let output = transform(&input, &Options::default()).unwrap().wasm;
            match step.as_str() {
                "validate" => drop(validates(&input)),
                "transform" => drop(transform(&input, &Options::default())),
                "run" => drop(differential::run(&input, &exports, 1, None)),
                _ => drop(differential::run(&output, &exports, 1, None)),
            }
            eprintln!("step {step} done");
        })
        .unwrap()
        .join()
        .unwrap();
}
