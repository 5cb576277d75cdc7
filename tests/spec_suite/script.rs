//! A `.wast` script turned into steps the engine can run once per variant: every
//! module is encoded, transformed and validated up front, exactly once.

use std::panic::{catch_unwind, AssertUnwindSafe};
use wasm_squeeze::Sidecar;
use wasm_squeeze::Options;
use wasmparser::{Validator, WasmFeatures};
use wast::{QuoteWat, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

use super::stats::{Stats, VARIANTS};

/// Why a module or step has nothing to run. Reasons starting with `NOT_TRANSFORMED`
/// follow from a problem reported elsewhere, so they never count as failures themselves.
pub const NOT_TRANSFORMED: &str = "not transformed";
const ORIGINAL_INVALID: &str = "not transformed: wasmparser rejects the original module";
const TRANSFORM_FAILED: &str = "not transformed: transform failed (reported as failure)";
const OUTPUT_INVALID: &str = "not transformed: output invalid (reported as failure)";

pub struct Module {
    pub original: Vec<u8>,
    /// One entry per `VARIANTS`: the optimized bytes, or why there are none.
    pub variants: Vec<Result<Vec<u8>, &'static str>>,
    /// One entry per `VARIANTS`: the data the loader writes after instantiation.
    pub sidecars: Vec<Option<Sidecar>>,
}

/// An index into the script's modules, or why the directive's module could not be encoded.
pub type ModuleRef = Result<usize, &'static str>;

pub enum Exec<'a> {
    Invoke(WastInvoke<'a>),
    Get {
        module: Option<&'a str>,
        global: &'a str,
    },
    Instantiate(ModuleRef),
}

pub enum Expect<'a> {
    /// A plain `invoke` action: it must not trap.
    Success,
    Return(Vec<WastRet<'a>>),
    Trap(&'a str),
    /// A module that must fail to link.
    Unlinkable,
}

pub enum Step<'a> {
    /// `module`, or `module definition` when `instantiate` is false.
    Module {
        name: Option<&'a str>,
        module: ModuleRef,
        instantiate: bool,
    },
    Instance {
        instance: Option<&'a str>,
        module: Option<&'a str>,
    },
    Register {
        as_name: &'a str,
        module: Option<&'a str>,
    },
    Check {
        kind: &'static str,
        exec: Exec<'a>,
        expect: Expect<'a>,
    },
    Skip {
        kind: &'static str,
        reason: &'static str,
    },
}

impl Step<'_> {
    /// The row this step is counted under in the summary.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Module {
                instantiate: true, ..
            } => "module",
            Step::Module {
                instantiate: false, ..
            } => "module definition",
            Step::Instance { .. } => "module instance",
            Step::Register { .. } => "register",
            Step::Check { kind, .. } | Step::Skip { kind, .. } => kind,
        }
    }
}

/// Prepares every directive; returns the steps with their 1-based lines, and the modules.
pub fn prepare<'a>(
    file: &str,
    text: &str,
    directives: Vec<WastDirective<'a>>,
    stats: &mut Stats,
) -> (Vec<(usize, Step<'a>)>, Vec<Module>) {
    let mut modules = Vec::new();
    let mut steps = Vec::new();
    for directive in directives {
        let line = directive.span().linecol_in(text).0 + 1;
        let mut add = |quote: QuoteWat<'a>, stats: &mut Stats| -> ModuleRef {
            let module = encode(quote)
                .map(|bytes| prepare_module(bytes, &format!("{file}:{line}"), stats))?;
            modules.push(module);
            Ok(modules.len() - 1)
        };
        let step = match directive {
            WastDirective::Module(quote) => {
                let name = quote.name().map(|id| id.name());
                Step::Module {
                    name,
                    module: add(quote, stats),
                    instantiate: true,
                }
            }
            WastDirective::ModuleDefinition(quote) => {
                let name = quote.name().map(|id| id.name());
                Step::Module {
                    name,
                    module: add(quote, stats),
                    instantiate: false,
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => Step::Instance {
                instance: instance.map(|id| id.name()),
                module: module.map(|id| id.name()),
            },
            WastDirective::Register { name, module, .. } => Step::Register {
                as_name: name,
                module: module.map(|id| id.name()),
            },
            WastDirective::Invoke(call) => Step::Check {
                kind: "invoke",
                exec: Exec::Invoke(call),
                expect: Expect::Success,
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let (kind, exec) = match exec {
                    WastExecute::Get { module, global, .. } => (
                        "assert_return (get)",
                        Exec::Get {
                            module: module.map(|id| id.name()),
                            global,
                        },
                    ),
                    other => ("assert_return", execute(other, &mut |q| add(q, stats))),
                };
                Step::Check {
                    kind,
                    exec,
                    expect: Expect::Return(results),
                }
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let kind = match exec {
                    WastExecute::Wat(_) => "assert_trap (instantiation)",
                    _ => "assert_trap",
                };
                let exec = execute(exec, &mut |q| add(q, stats));
                Step::Check {
                    kind,
                    exec,
                    expect: Expect::Trap(message),
                }
            }
            WastDirective::AssertExhaustion { call, message, .. } => Step::Check {
                kind: "assert_exhaustion",
                exec: Exec::Invoke(call),
                expect: Expect::Trap(message),
            },
            WastDirective::AssertUnlinkable { module, .. } => Step::Check {
                kind: "assert_unlinkable",
                exec: Exec::Instantiate(add(QuoteWat::Wat(module), stats)),
                expect: Expect::Unlinkable,
            },
            WastDirective::AssertInvalid { .. }
            | WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformed { .. }
            | WastDirective::AssertMalformedCustom { .. } => Step::Skip {
                kind: "assert_invalid/malformed",
                reason: "rejection test (assert_invalid/assert_malformed)",
            },
            WastDirective::AssertException { .. } => Step::Skip {
                kind: "assert_exception",
                reason: "assert_exception: engine lacks exception handling",
            },
            WastDirective::AssertSuspension { .. } => Step::Skip {
                kind: "assert_suspension",
                reason: "assert_suspension: engine lacks stack switching",
            },
            WastDirective::Thread(_) | WastDirective::Wait { .. } => Step::Skip {
                kind: "thread/wait",
                reason: "thread/wait: engine lacks threads",
            },
        };
        steps.push((line, step));
    }
    (steps, modules)
}

fn execute<'a>(exec: WastExecute<'a>, add: &mut dyn FnMut(QuoteWat<'a>) -> ModuleRef) -> Exec<'a> {
    match exec {
        WastExecute::Invoke(call) => Exec::Invoke(call),
        WastExecute::Get { module, global, .. } => Exec::Get {
            module: module.map(|id| id.name()),
            global,
        },
        WastExecute::Wat(wat) => Exec::Instantiate(add(QuoteWat::Wat(wat))),
    }
}

fn encode(mut quote: QuoteWat<'_>) -> Result<Vec<u8>, &'static str> {
    match &quote {
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_)) => {
            return Err("component model module (not a core module)")
        }
        QuoteWat::QuoteModule(..) | QuoteWat::Wat(Wat::Module(_)) => {}
    }
    // `module quote` is parsed here; a failure is a text-format limitation of `wast`.
    quote
        .encode()
        .map_err(|_| "module text could not be encoded by `wast`")
}

/// Transforms one module with every variant's options and validates each output.
fn prepare_module(original: Vec<u8>, place: &str, stats: &mut Stats) -> Module {
    stats.modules += 1;
    let features = WasmFeatures::all();
    if Validator::new_with_features(features)
        .validate_all(&original)
        .is_err()
    {
        stats.modules_untransformed += 1;
        return Module {
            original,
            variants: vec![Err(ORIGINAL_INVALID); VARIANTS.len()],
            sidecars: vec![None; VARIANTS.len()],
        };
    }
    let mut variants = Vec::new();
    let mut sidecars = vec![None; VARIANTS.len()];
    for (v, (label, passive_data, aligned)) in VARIANTS.iter().enumerate() {
        let options = Options {
            passive_data: *passive_data,
            previous: aligned.then(|| super::permute::reversed_functions(&original)).flatten().map(Into::into),
            // Spec modules' segments are small: move every one the sidecar can take.
            sidecar_min_bytes: 1,
            ..Options::default()
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            wasm_squeeze::transform(&original, &options)
        }));
        let output = match result {
            Ok(Ok(out)) => {
                sidecars[v] = out.sidecar;
                out.wasm
            }
            Ok(Err(e)) => {
                stats.fail(format!(
                    "{place} [{label}] transform returned an error on a valid module: {e}"
                ));
                variants.push(Err(TRANSFORM_FAILED));
                continue;
            }
            Err(panic) => {
                stats.fail(format!(
                    "{place} [{label}] transform panicked: {}",
                    panic_message(&*panic)
                ));
                variants.push(Err(TRANSFORM_FAILED));
                continue;
            }
        };
        if let Err(e) = Validator::new_with_features(features).validate_all(&output) {
            stats.fail(format!(
                "{place} [{label}] optimized module is invalid: {e}"
            ));
            variants.push(Err(OUTPUT_INVALID));
            continue;
        }
        stats.transformed[v] += 1;
        stats.changed[v] += usize::from(output != original);
        variants.push(Ok(output));
    }
    Module { original, variants, sidecars }
}

pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic.downcast_ref::<&str>().map(|s| s.to_string());
    text.or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
