//! Replays a prepared script in wasmi, on the original modules or on one variant's
//! optimized modules, and says for each step whether the script's expectation held.

use std::collections::HashMap;
use wasmi::errors::{ErrorKind, InstantiationError};
use wasmi::{
    Config, Engine, Error, ExternRef, Func, Global, Instance, Linker, Memory, MemoryType,
    Module as EngineModule, Mutability, Nullable, Ref, RefType, Store, Table, TableType, TrapCode,
    Val, F32, F64, V128,
};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastInvoke, WastRet};

use super::script::{Exec, Expect, Module, ModuleRef, Step};
use super::wasmi_values::values_text;
use wasm_squeeze::{MemoryRef, INIT_EXPORT};

pub enum Outcome {
    /// The expectation held; the text says how (a trap's message, returned bits), so the
    /// optimized module can be held to the same observable behaviour as the original.
    Pass(String),
    Fail(String),
    Skip(String),
}

/// On the original: a spec expectation the engine does not meet.
pub const ENGINE_DISAGREES: &str = "engine disagrees with spec (fails on the original)";
/// On an optimized module: follows a failure already reported.
pub const FOLLOWS_FAILURE: &str = "follows a failed step";
const CANNOT_COMPILE: &str = "engine cannot compile module (unsupported proposal)";
const UNSUPPORTED_VALUE: &str = "value the engine cannot represent (GC/host reference)";
const IMPORTS_UNREGISTERED: &str = "imports from a module the engine could not compile";
/// Bounds every call, so a broken optimized module cannot hang the suite.
const FUEL: u64 = 2_000_000_000;

pub struct Runner<'m> {
    modules: &'m [Module],
    /// `None` runs the original modules, `Some(v)` variant `v`'s optimized ones.
    variant: Option<usize>,
    store: Store<()>,
    linker: Linker<()>,
    /// The instance unnamed actions go to, or why there is none.
    current: Result<Instance, String>,
    named: HashMap<&'m str, Result<Instance, String>>,
    definitions: HashMap<&'m str, ModuleRef>,
    /// A `register` was skipped, so later link errors may be the engine's, not the script's.
    skipped_register: bool,
}

type Ran = Result<Vec<Val>, Error>;

impl<'m> Runner<'m> {
    pub fn new(modules: &'m [Module], variant: Option<usize>) -> Self {
        let mut config = Config::default();
        config
            .consume_fuel(true)
            .wasm_wide_arithmetic(true)
            .wasm_custom_page_sizes(true);
        let engine = Engine::new(&config);
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        define_spectest(&mut store, &mut linker);
        let current = Err("no module yet".to_string());
        Runner {
            modules,
            variant,
            store,
            linker,
            current,
            named: HashMap::new(),
            definitions: HashMap::new(),
            skipped_register: false,
        }
    }

    pub fn step(&mut self, step: &Step<'m>) -> Outcome {
        match step {
            Step::Module {
                name,
                module,
                instantiate: true,
            } => self.module(*name, *module),
            Step::Module {
                name,
                module,
                instantiate: false,
            } => {
                if let Some(name) = name {
                    self.definitions.insert(name, *module);
                }
                match self.compile(*module) {
                    Ok(_) => Outcome::Pass("compiled".into()),
                    Err(outcome) => outcome,
                }
            }
            Step::Instance { instance, module } => {
                let Some(module) = module.and_then(|m| self.definitions.get(m)).copied() else {
                    return Outcome::Fail("unknown module definition".into());
                };
                self.module(*instance, module)
            }
            Step::Register { as_name, module } => match self.instance(*module) {
                Err(outcome) => {
                    self.skipped_register |= matches!(outcome, Outcome::Skip(_));
                    outcome
                }
                Ok(instance) => match self.linker.instance(&mut self.store, as_name, instance) {
                    Ok(_) => Outcome::Pass("registered".into()),
                    Err(e) => Outcome::Fail(format!("register failed: {e}")),
                },
            },
            Step::Check { exec, expect, .. } => self.check(exec, expect),
            Step::Skip { reason, .. } => Outcome::Skip(reason.to_string()),
        }
    }

    /// Instantiates a `module` directive; it becomes current, and named if it has a name.
    fn module(&mut self, name: Option<&'m str>, module: ModuleRef) -> Outcome {
        let (outcome, current) = match self.instantiate(module) {
            Ok(Ok(instance)) => (Outcome::Pass("instantiated".into()), Ok(instance)),
            Ok(Err(e)) if self.skipped_register && trap_words(&e).is_none() => (
                Outcome::Skip(IMPORTS_UNREGISTERED.into()),
                Err(IMPORTS_UNREGISTERED.into()),
            ),
            Ok(Err(e)) => (
                Outcome::Fail(format!("instantiation failed: {e}")),
                Err(self.after_failure()),
            ),
            Err(Outcome::Skip(reason)) => (Outcome::Skip(reason.clone()), Err(reason)),
            Err(outcome) => (outcome, Err(self.after_failure())),
        };
        if let Some(name) = name {
            self.named.insert(name, current.clone());
        }
        self.current = current;
        outcome
    }

    fn after_failure(&self) -> String {
        match self.variant {
            None => ENGINE_DISAGREES.into(),
            Some(_) => FOLLOWS_FAILURE.into(),
        }
    }

    fn compile(&self, module: ModuleRef) -> Result<EngineModule, Outcome> {
        let module = &self.modules[module.map_err(|reason| Outcome::Skip(reason.into()))?];
        let bytes = match self.variant {
            None => &module.original,
            Some(v) => module.variants[v]
                .as_ref()
                .map_err(|reason| Outcome::Skip(reason.to_string()))?,
        };
        EngineModule::new(self.store.engine(), bytes).map_err(|e| match self.variant {
            None => Outcome::Skip(CANNOT_COMPILE.into()),
            Some(_) => Outcome::Fail(format!("engine cannot compile the optimized module: {e}")),
        })
    }

    /// Outer error: nothing could be run; inner: what the engine said.
    fn instantiate(&mut self, module: ModuleRef) -> Result<Result<Instance, Error>, Outcome> {
        let compiled = self.compile(module)?;
        self.store.set_fuel(FUEL).expect("fuel is enabled");
        let instance = self.linker.instantiate_and_start(&mut self.store, &compiled);
        Ok(instance.and_then(|instance| self.finish_loading(module.unwrap(), instance)))
    }

    /// What the plugin's loader does right after instantiation, before anyone gets the
    /// instance: write the sidecar's segments, then call the exported initialiser.
    fn finish_loading(&mut self, module: usize, instance: Instance) -> Result<Instance, Error> {
        let Some(v) = self.variant else {
            return Ok(instance);
        };
        if let Some(sidecar) = &self.modules[module].sidecars[v] {
            for p in &sidecar.placements {
                let memory = match &p.memory {
                    MemoryRef::Export(name) => instance.get_memory(&self.store, name),
                    MemoryRef::Import { module, name } => self
                        .linker
                        .get(&self.store, module, name)
                        .and_then(|e| e.into_memory()),
                }
                .expect("a placement names a reachable memory");
                let data = memory.data_mut(&mut self.store);
                let (at, len, from) = (p.offset as usize, p.length as usize, p.sidecar_offset as usize);
                if at.checked_add(len).is_none_or(|end| end > data.len()) {
                    return Err(TrapCode::MemoryOutOfBounds.into());
                }
                data[at..at + len].copy_from_slice(&sidecar.bytes[from..from + len]);
            }
        }
        if let Some(init) = instance.get_func(&self.store, INIT_EXPORT) {
            init.call(&mut self.store, &[], &mut [])?;
        }
        Ok(instance)
    }

    fn instance(&self, name: Option<&str>) -> Result<Instance, Outcome> {
        let found = match name {
            None => &self.current,
            Some(name) => self
                .named
                .get(name)
                .ok_or_else(|| Outcome::Fail(format!("unknown module ${name}")))?,
        };
        found.clone().map_err(Outcome::Skip)
    }

    fn check(&mut self, exec: &Exec<'m>, expect: &Expect<'m>) -> Outcome {
        let ran = match exec {
            Exec::Invoke(call) => self.invoke(call),
            Exec::Get { module, global } => self.instance(*module).and_then(|instance| {
                let global = instance.get_global(&self.store, global);
                let global =
                    global.ok_or_else(|| Outcome::Fail("no such exported global".into()))?;
                Ok(Ok(vec![global.get(&self.store)]))
            }),
            // A module run for its instantiation result never becomes current.
            Exec::Instantiate(module) => self.instantiate(*module).map(|r| r.map(|_| Vec::new())),
        };
        let ran = match ran {
            Ok(ran) => ran,
            Err(outcome) => return outcome,
        };
        match (expect, ran) {
            (Expect::Success, Ok(values)) => Outcome::Pass(format!("returned {}", values_text(&values))),
            (Expect::Return(expected), Ok(values)) => self.compare(&values, expected),
            // As in the spec interpreter, the trap's message must start with the expected
            // one (older proposal scripts expect just "out of bounds" or "uninitialized");
            // some scripts name more than the trap's words ("uninitialized element 2").
            (Expect::Trap(message), Err(e)) => match trap_words(&e) {
                Some(words) if words.iter().any(|w| w.starts_with(message) || message.starts_with(w)) => {
                    Outcome::Pass(words[0].into())
                }
                _ => Outcome::Fail(format!("expected trap \"{message}\", got: {e}")),
            },
            (Expect::Unlinkable, Err(e)) if trap_words(&e).is_none() => {
                Outcome::Pass("unlinkable".into())
            }
            (_, Err(e)) => Outcome::Fail(format!("unexpected error: {e}")),
            (Expect::Trap(message), Ok(v)) => {
                Outcome::Fail(format!("expected trap \"{message}\", got {v:?}"))
            }
            (Expect::Unlinkable, Ok(_)) => {
                Outcome::Fail("expected a link error, but it instantiated".into())
            }
        }
    }

    fn invoke(&mut self, call: &WastInvoke<'m>) -> Result<Ran, Outcome> {
        let instance = self.instance(call.module.map(|id| id.name()))?;
        let func: Func = instance
            .get_func(&self.store, call.name)
            .ok_or_else(|| Outcome::Fail(format!("no exported function \"{}\"", call.name)))?;
        let mut args = Vec::with_capacity(call.args.len());
        for arg in &call.args {
            args.push(
                self.arg(arg)
                    .ok_or_else(|| Outcome::Skip(UNSUPPORTED_VALUE.into()))?,
            );
        }
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        self.store.set_fuel(FUEL).expect("fuel is enabled");
        Ok(func
            .call(&mut self.store, &args, &mut results)
            .map(|()| results))
    }

    fn arg(&mut self, arg: &WastArg) -> Option<Val> {
        let WastArg::Core(arg) = arg else { return None };
        Some(match arg {
            WastArgCore::I32(x) => Val::I32(*x),
            WastArgCore::I64(x) => Val::I64(*x),
            WastArgCore::F32(x) => Val::F32(F32::from_bits(x.bits)),
            WastArgCore::F64(x) => Val::F64(F64::from_bits(x.bits)),
            WastArgCore::V128(x) => Val::V128(V128::from(u128::from_le_bytes(x.to_le_bytes()))),
            WastArgCore::RefNull(heap) => match ref_kind(heap)? {
                RefType::Func => Val::FuncRef(Nullable::Null),
                RefType::Extern => Val::ExternRef(Nullable::Null),
            },
            WastArgCore::RefExtern(x) => {
                Val::ExternRef(Nullable::Val(ExternRef::new(&mut self.store, *x)))
            }
            _ => return None,
        })
    }

    fn compare(&self, values: &[Val], expected: &[WastRet]) -> Outcome {
        if values.len() != expected.len() {
            return Outcome::Fail(format!(
                "expected {} results, got {values:?}",
                expected.len()
            ));
        }
        for (value, want) in values.iter().zip(expected) {
            let WastRet::Core(want) = want else {
                return Outcome::Skip(UNSUPPORTED_VALUE.into());
            };
            match self.matches(value, want) {
                None => return Outcome::Skip(UNSUPPORTED_VALUE.into()),
                Some(false) => return Outcome::Fail(format!("expected {want:?}, got {values:?}")),
                Some(true) => {}
            }
        }
        Outcome::Pass("returned as expected".into())
    }

    /// `None` when the expectation names something the engine cannot hold.
    fn matches(&self, value: &Val, want: &WastRetCore) -> Option<bool> {
        Some(match (value, want) {
            (_, WastRetCore::Either(options)) => {
                let results: Vec<_> = options.iter().map(|w| self.matches(value, w)).collect();
                if results.contains(&Some(true)) {
                    true
                } else if results.contains(&None) {
                    return None;
                } else {
                    false
                }
            }
            (Val::I32(x), WastRetCore::I32(y)) => x == y,
            (Val::I64(x), WastRetCore::I64(y)) => x == y,
            (Val::F32(x), WastRetCore::F32(p)) => f32_matches(x.to_bits(), p),
            (Val::F64(x), WastRetCore::F64(p)) => f64_matches(x.to_bits(), p),
            (Val::V128(x), WastRetCore::V128(p)) => v128_matches(x.as_u128(), p),
            (Val::FuncRef(r), WastRetCore::RefNull(heap)) => {
                r.is_null()
                    && heap
                        .as_ref()
                        .is_none_or(|h| ref_kind(h) == Some(RefType::Func))
            }
            (Val::ExternRef(r), WastRetCore::RefNull(heap)) => {
                r.is_null()
                    && heap
                        .as_ref()
                        .is_none_or(|h| ref_kind(h) == Some(RefType::Extern))
            }
            // The engine cannot name which function a reference points at; non-null must do.
            (Val::FuncRef(r), WastRetCore::RefFunc(_)) => !r.is_null(),
            (Val::ExternRef(r), WastRetCore::RefExtern(want)) => match (r.val(), want) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(r), Some(n)) => r.data(&self.store).downcast_ref::<u32>() == Some(n),
            },
            (Val::FuncRef(_) | Val::ExternRef(_), _) => return None,
            _ => false,
        })
    }
}

fn ref_kind(heap: &HeapType) -> Option<RefType> {
    match heap {
        HeapType::Abstract {
            ty: AbstractHeapType::Func | AbstractHeapType::NoFunc,
            ..
        } => Some(RefType::Func),
        HeapType::Abstract {
            ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern,
            ..
        } => Some(RefType::Extern),
        _ => None,
    }
}

/// If `e` is a trap, how the spec interpreter words it (prefixes of its message); link
/// and other errors are `None`.
fn trap_words(e: &Error) -> Option<&'static [&'static str]> {
    let code = match e.kind() {
        ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. }) => {
            TrapCode::TableOutOfBounds
        }
        _ => e.as_trap_code()?,
    };
    Some(match code {
        TrapCode::UnreachableCodeReached => &["unreachable"],
        TrapCode::MemoryOutOfBounds => &["out of bounds memory access"],
        TrapCode::TableOutOfBounds => &["out of bounds table access", "undefined element"],
        TrapCode::IndirectCallToNull => &["uninitialized element", "undefined element"],
        TrapCode::IntegerDivisionByZero => &["integer divide by zero"],
        TrapCode::IntegerOverflow => &["integer overflow"],
        TrapCode::BadConversionToInteger => &["invalid conversion to integer"],
        TrapCode::StackOverflow => &["call stack exhausted", "stack overflow"],
        TrapCode::BadSignature => &[
            "indirect call type mismatch",
            "indirect call signature mismatch",
        ],
        _ => &["(a trap the spec suite does not name)"],
    })
}

fn f32_matches(bits: u32, want: &NanPattern<wast::token::F32>) -> bool {
    match want {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => bits == v.bits,
    }
}

fn f64_matches(bits: u64, want: &NanPattern<wast::token::F64>) -> bool {
    match want {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => bits == v.bits,
    }
}

fn v128_matches(bits: u128, want: &V128Pattern) -> bool {
    let b = bits.to_le_bytes();
    let lane = |i: usize, n: usize| {
        u64::from_le_bytes(std::array::from_fn(
            |k| if k < n { b[i * n + k] } else { 0 },
        ))
    };
    match want {
        V128Pattern::I8x16(v) => v
            .iter()
            .enumerate()
            .all(|(i, x)| lane(i, 1) == u64::from(*x as u8)),
        V128Pattern::I16x8(v) => v
            .iter()
            .enumerate()
            .all(|(i, x)| lane(i, 2) == u64::from(*x as u16)),
        V128Pattern::I32x4(v) => v
            .iter()
            .enumerate()
            .all(|(i, x)| lane(i, 4) == u64::from(*x as u32)),
        V128Pattern::I64x2(v) => v.iter().enumerate().all(|(i, x)| lane(i, 8) == *x as u64),
        V128Pattern::F32x4(v) => v
            .iter()
            .enumerate()
            .all(|(i, p)| f32_matches(lane(i, 4) as u32, p)),
        V128Pattern::F64x2(v) => v
            .iter()
            .enumerate()
            .all(|(i, p)| f64_matches(lane(i, 8), p)),
    }
}

/// The `spectest` module the reference interpreter provides to every script.
fn define_spectest(store: &mut Store<()>, linker: &mut Linker<()>) {
    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2))).unwrap();
    let table = TableType::new(RefType::Func, 10, Some(20));
    let table = Table::new(&mut *store, table, Ref::Func(Nullable::Null)).unwrap();
    let table64 = TableType::new64(RefType::Func, 10, Some(20));
    let table64 = Table::new(&mut *store, table64, Ref::Func(Nullable::Null)).unwrap();
    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::F32(F32::from(666.6f32))),
        ("global_f64", Val::F64(F64::from(666.6f64))),
    ];
    linker.define("spectest", "memory", memory).unwrap();
    linker.define("spectest", "table", table).unwrap();
    linker.define("spectest", "table64", table64).unwrap();
    for (name, value) in globals {
        linker
            .define(
                "spectest",
                name,
                Global::new(&mut *store, value, Mutability::Const),
            )
            .unwrap();
    }
    // The spec interpreter prints; output is noise here, so the functions do nothing.
    linker.func_wrap("spectest", "print", || {}).unwrap();
    linker
        .func_wrap("spectest", "print_i32", |_: i32| {})
        .unwrap();
    linker
        .func_wrap("spectest", "print_i64", |_: i64| {})
        .unwrap();
    linker
        .func_wrap("spectest", "print_f32", |_: F32| {})
        .unwrap();
    linker
        .func_wrap("spectest", "print_f64", |_: F64| {})
        .unwrap();
    linker
        .func_wrap("spectest", "print_i32_f32", |_: i32, _: F32| {})
        .unwrap();
    linker
        .func_wrap("spectest", "print_f64_f64", |_: F64, _: F64| {})
        .unwrap();
}
