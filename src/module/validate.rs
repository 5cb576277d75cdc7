//! Validation: full, with every feature wasmparser knows (a module the browser would
//! take must never be refused), and of a pass's output, where what the input's
//! validation already proved is not checked again. `validate_visiting` is the hook
//! for work that rides on the validator's read of each function body (the body scan
//! of `analysis::used`).

use super::{reject_non_module, sections, Section, SectionId};
use crate::error::{Error, Result};
use crate::parallel;
use wasmparser::{FuncToValidate, FuncValidatorAllocations, FunctionBody, Parser, ValidPayload, Validator, ValidatorResources, WasmFeatures};

/// A function body's validator input, as the hook of `validate_visiting` gets it.
pub type Func = FuncToValidate<ValidatorResources>;

/// Full validation with every feature wasmparser knows; anything refused is
/// reported with its offset.
pub fn validate(bytes: &[u8]) -> Result<()> {
    reject_non_module(bytes)?;
    validate_with(bytes, |_| true, FuncValidatorAllocations::default, validate_body).map(drop)
}

/// `validate`, with each function body handed to `per_body` (with its thread's
/// `init()` state) instead of the plain body validator: `per_body` validates it
/// and may learn more in the same read. Results come back one per body, in order.
pub fn validate_visiting<S, R: Send>(
    bytes: &[u8],
    init: impl Fn() -> S + Sync,
    per_body: impl Fn(&mut S, Func, &FunctionBody<'_>) -> wasmparser::Result<R> + Sync,
) -> Result<Vec<R>> {
    reject_non_module(bytes)?;
    validate_with(bytes, |_| true, init, per_body)
}

/// Validates a pass's `output`, given that `input` passed `validate`. An output
/// that differs from the input only in custom sections is valid as it stands.
/// Otherwise everything is checked except, when `code_context_unchanged` holds, the function bodies:
/// they are then byte for byte the input's, and a body's validity depends only on
/// its bytes and on the sections it is checked against, which are the input's too.
pub fn validate_output(input: &[u8], output: &[u8]) -> Result<()> {
    reject_non_module(output)?;
    let (before, after) = (sections(input)?, sections(output)?);
    if raw_sections_except(&before, &[SectionId::Custom]).eq(raw_sections_except(&after, &[SectionId::Custom])) {
        // Only custom sections differ (`strip`): the validator never reads past their
        // names, which `sections` has just read.
        return Ok(());
    }
    let bodies_checked_already = code_context_unchanged(&before, &after);
    validate_with(output, |_| !bodies_checked_already, FuncValidatorAllocations::default, validate_body).map(drop)
}

fn validate_body(allocs: &mut FuncValidatorAllocations, func: Func, body: &FunctionBody<'_>) -> wasmparser::Result<()> {
    let mut validator = func.into_validator(std::mem::take(allocs));
    validator.validate(body)?;
    *allocs = validator.into_allocations();
    Ok(())
}

/// Whether every section a function body is validated against, and the code
/// section itself, is byte-identical in both modules. Custom sections do not
/// take part in validation and the data section comes after the code (bodies see
/// only the DataCount section), so those may differ.
pub fn code_context_unchanged(a: &[Section<'_>], b: &[Section<'_>]) -> bool {
    let ignored = [SectionId::Custom, SectionId::Data];
    raw_sections_except(a, &ignored).eq(raw_sections_except(b, &ignored))
}

/// The raw bytes of the sections whose id is not in `ids`, in order.
fn raw_sections_except<'s, 'a>(sections: &'s [Section<'a>], ids: &'s [SectionId]) -> impl Iterator<Item = &'a [u8]> + 's {
    sections.iter().filter(move |s| !ids.contains(&s.id)).map(|s| s.raw)
}

/// Validates the module section by section and the function bodies `check_body`
/// picks (by defined-function index) in parallel, each by `per_body` with its
/// thread's `init()` state. The first error in module order is the one reported,
/// as with a sequential `Validator::validate_all`.
fn validate_with<S, R: Send>(
    bytes: &[u8],
    check_body: impl Fn(usize) -> bool,
    init: impl Fn() -> S + Sync,
    per_body: impl Fn(&mut S, Func, &FunctionBody<'_>) -> wasmparser::Result<R> + Sync,
) -> Result<Vec<R>> {
    let malformed = |e: wasmparser::BinaryReaderError| Error::malformed(&e);
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut bodies = Vec::new();
    let mut body_index = 0;
    for payload in Parser::new(0).parse_all(bytes) {
        if let ValidPayload::Func(func, body) = validator.payload(&payload.map_err(malformed)?).map_err(malformed)? {
            if check_body(body_index) {
                bodies.push((func, body));
            }
            body_index += 1;
        }
    }
    let code_bytes: usize = bodies.iter().map(|(_, body)| body.as_bytes().len()).sum();
    let threads = parallel::threads_for(bodies.len(), code_bytes, parallel::CODE_BYTES_PER_THREAD);
    let results = parallel::map_init(&bodies, threads, init, |state, _, (func, body)| {
        let func = FuncToValidate { resources: func.resources.clone(), index: func.index, ty: func.ty, features: func.features };
        per_body(state, func, body)
    });
    results.into_iter().collect::<wasmparser::Result<Vec<R>>>().map_err(malformed)
}

#[cfg(test)]
mod tests;
