//! Runs a module's exports in wasmi and writes down everything observable: what
//! instantiation did, each call's results or trap, and after each call the exported
//! globals and memories. Original and optimized must give the same transcript.

use super::generate::Rng;
use super::wasmi_values::values_text;
use wasm_squeeze::{MemoryRef, Sidecar, INIT_EXPORT};
use wasmi::{Config, Engine, Extern, Func, Linker, Module, Store, Val, ValType, F32, F64, V128};

/// Bounds every instantiation and call, so a looping module costs milliseconds.
const FUEL: u64 = 200_000;
const CALLS_PER_EXPORT: usize = 2;

pub enum Run {
    /// wasmi cannot compile the original (a proposal it lacks): nothing to compare.
    Unsupported,
    Transcript(Vec<String>),
}

fn engine() -> Engine {
    let mut config = Config::default();
    config.consume_fuel(true).wasm_wide_arithmetic(true).wasm_custom_page_sizes(true);
    Engine::new(&config)
}

/// The transcript of running `bytes`; the arguments come from `arg_seed`, so the
/// original and the optimized module are called with the same values.
/// `sidecar`: what the plugin's loader does for `passiveData` modules (write the moved
/// data, call the initialiser) is done right after instantiation, as the glue does.
pub fn run(bytes: &[u8], exports: &[String], arg_seed: u64, sidecar: Option<&Sidecar>) -> Run {
    let engine = engine();
    let Ok(module) = Module::new(&engine, bytes) else { return Run::Unsupported };
    let mut store = Store::new(&engine, ());
    let linker = Linker::<()>::new(&engine);
    let mut transcript = Vec::new();
    store.set_fuel(FUEL).unwrap();
    let loaded = linker.instantiate_and_start(&mut store, &module).and_then(|instance| {
        store.set_fuel(FUEL).unwrap();
        finish_loading(&mut store, instance, sidecar).map(|()| instance)
    });
    let instance = match loaded {
        Ok(instance) => instance,
        Err(e) => {
            transcript.push(format!("instantiation failed: {}", outcome_of(&e)));
            return Run::Transcript(transcript);
        }
    };
    transcript.push("instantiated".into());
    let mut rng = Rng::for_case(arg_seed, 0);
    for name in exports {
        let Some(func) = instance.get_func(&store, name) else { continue };
        for _ in 0..CALLS_PER_EXPORT {
            let Some(args) = args_for(&store, func, &mut rng) else { break };
            let ty = func.ty(&store);
            let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for_ty(*t)).collect();
            store.set_fuel(FUEL).unwrap();
            let line = match func.call(&mut store, &args, &mut results) {
                Ok(()) => format!("{name} → {}", values_text(&results)),
                Err(e) => format!("{name} → {}", outcome_of(&e)),
            };
            let exhausted = line.ends_with(EXHAUSTED);
            transcript.push(line);
            if exhausted {
                // A module that ran out of fuel or stack stops here, since the state it
                // left behind depends on exactly where it stopped.
                return Run::Transcript(transcript);
            }
            transcript.push(state(&store, &instance, exports));
        }
    }
    Run::Transcript(transcript)
}

/// The loader's step: sidecar segments in order (out of bounds traps, as the active
/// segment would have), then the exported initialiser if there is one.
fn finish_loading(store: &mut Store<()>, instance: wasmi::Instance, sidecar: Option<&Sidecar>) -> Result<(), wasmi::Error> {
    for p in sidecar.map(|s| s.placements.as_slice()).unwrap_or_default() {
        let MemoryRef::Export(name) = &p.memory else { unreachable!("fuzzed modules have no imports") };
        let memory = instance.get_memory(&*store, name).expect("a placement names an exported memory");
        let data = memory.data_mut(&mut *store);
        let (at, len, from) = (p.offset as usize, p.length as usize, p.sidecar_offset as usize);
        if at.checked_add(len).is_none_or(|end| end > data.len()) {
            return Err(wasmi::TrapCode::MemoryOutOfBounds.into());
        }
        data[at..at + len].copy_from_slice(&sidecar.unwrap().bytes[from..from + len]);
    }
    if let Some(init) = instance.get_func(&*store, INIT_EXPORT) {
        init.call(&mut *store, &[], &mut [])?;
    }
    Ok(())
}

fn args_for(store: &Store<()>, func: Func, rng: &mut Rng) -> Option<Vec<Val>> {
    func.ty(store)
        .params()
        .iter()
        .map(|t| {
            Some(match t {
                ValType::I32 => Val::I32(interesting(rng) as i32),
                ValType::I64 => Val::I64(interesting(rng) as i64),
                ValType::F32 => Val::F32(F32::from_bits(interesting(rng) as u32)),
                ValType::F64 => Val::F64(F64::from_bits(interesting(rng))),
                ValType::V128 => Val::V128(V128::from((rng.next() as u128) << 64 | rng.next() as u128)),
                ValType::FuncRef | ValType::ExternRef => Val::default_for_ty(*t),
            })
        })
        .collect()
}

/// Small numbers and edges more often than uniform noise: they reach more branches.
fn interesting(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => rng.below(16),
        1 => [0, u64::MAX, i32::MAX as u64, i32::MIN as i64 as u64, 65536][rng.below(5) as usize],
        _ => rng.next(),
    }
}

/// Exported globals and a digest of each exported memory (handles of references differ
/// between stores, so references compare by null-ness only).
fn state(store: &Store<()>, instance: &wasmi::Instance, exports: &[String]) -> String {
    let mut parts = Vec::new();
    for name in exports {
        match instance.get_export(store, name) {
            Some(Extern::Global(g)) => parts.push(format!("{name}={}", values_text(&[g.get(store)]))),
            Some(Extern::Memory(m)) => {
                let data = m.data(store);
                parts.push(format!("{name}:{}B#{:016x}", data.len(), fnv1a(data)));
            }
            _ => {}
        }
    }
    format!("state {}", parts.join(" "))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// A trap by its code; other errors by their text with numbers masked, since they may
/// name an index the optimizer renumbered (an element segment, a table).
/// Running out of fuel and out of call stack are one outcome: the module did not
/// finish within the limits, and which limit it meets first can move with work a
/// transform may add. passiveData 'start' runs `memory.init` before the original
/// start: 40 units more turned a call-stack overflow at 199,962 units into running
/// out of the 200,000 (seed 0x1352955, case 325148: a start function that calls itself).
const EXHAUSTED: &str = "exhausted (fuel or call stack)";

fn outcome_of(e: &wasmi::Error) -> String {
    match e.as_trap_code() {
        Some(wasmi::TrapCode::OutOfFuel | wasmi::TrapCode::StackOverflow) => EXHAUSTED.into(),
        Some(code) => format!("trap {code:?}"),
        None => format!("error {}", e.to_string().replace(|c: char| c.is_ascii_digit(), "#")),
    }
}
