//! The pipeline behind `transform`: validate the input, run the passes in order,
//! validate the output, and let `never-worse` decide whether it beats the input.

use crate::error::{Error, ErrorCode, Result};
use crate::{build_id, debug_companion};
use crate::module;
use crate::options::Options;
use crate::analysis::used::{self, BodyScanResult};
use crate::passes::{self, PassResult};
use crate::report::{Report, Step};
use std::borrow::Cow;

#[derive(Debug)]
pub struct Transformed {
    pub wasm: Vec<u8>,
    pub report: Report,
    /// Data moved out of the module (`passiveData: 'sidecar'`), for the loader.
    pub sidecar: Option<passes::passive_data::Sidecar>,
    /// With `debug_companion`: the module holding the stripped debug info.
    pub debug_companion: Option<Vec<u8>>,
}

/// The passes, in the order they run. What the input's validation learnt about
/// its function bodies (`analysis::used::validate_and_scan`) is handed on while the code
/// and what it is checked against stay byte for byte the input's.
enum Pass {
    Plain(fn(&[u8], &Options) -> Result<PassResult>),
    Scanned(fn(&[u8], &Options, Option<Vec<BodyScanResult>>) -> Result<PassResult>),
}

const PIPELINE: &[Pass] = &[
    Pass::Plain(passes::strip::run),
    Pass::Scanned(passes::remove_unused::run),
    Pass::Plain(passes::pack_data::run),
];

pub fn transform(input: &[u8], user_options: &Options) -> Result<Transformed> {
    // The binding checks this when it converts JS options; Rust callers get the same refusal.
    debug_companion::check_url(user_options.debug_url.clone(), user_options.debug_companion)?;
    let mut scans = Some(used::validate_and_scan(input)?);
    let companion = debug_companion::Plan::new(&module::sections(input)?, user_options);
    let pass_options = companion.as_ref().map(|plan| plan.pass_options(user_options));
    let options = pass_options.as_ref().unwrap_or(user_options);
    let mut current: Cow<[u8]> = Cow::Borrowed(input);
    let mut steps = Vec::with_capacity(PIPELINE.len());
    for pass in PIPELINE {
        let result = match pass {
            Pass::Plain(run) => run(&current, options),
            Pass::Scanned(run) => {
                // Only remove-unused moves code, which a companion's DWARF may forbid.
                match companion.as_ref().and_then(|plan| plan.holds_code(passes::remove_unused::PASS)) {
                    Some(step) => Ok(PassResult { bytes: None, step }),
                    None => {
                        let same_code = module::code_context_unchanged(&module::sections(input)?, &module::sections(&current)?);
                        run(&current, options, scans.take().filter(|_| same_code))
                    }
                }
            }
        }
        .map_err(pass_bug)?;
        steps.push(result.step);
        if let Some(bytes) = result.bytes {
            current = Cow::Owned(bytes);
        }
    }
    let changed = matches!(current, Cow::Owned(_));
    let mut kept_original = false;
    if changed {
        // A pass that produced an invalid module is our bug: surface it, never ship it.
        // Bodies already validated in the input are not validated again (see
        // `module::validate_output` for when that holds).
        module::validate_output(input, &current).map_err(|e| {
            Error::internal(format!("bug: the optimized module failed validation: {e}"))
        })?;
        let verdict = crate::policy::never_worse::judge(input, &current, options.allow_raw_growth)?;
        kept_original = !verdict.keep_output;
        steps.push(verdict.step);
    }
    let wasm = if kept_original || !changed { input.to_vec() } else { current.into_owned() };
    let wasm = align_to_previous(wasm, options, companion.as_ref(), &mut steps)?;
    // Not a size pass, so never-worse does not judge it: it runs on whatever won.
    let (wasm, sidecar) = passive_data(wasm, options, &mut steps)?;
    let (wasm, debug_companion) = match &companion {
        Some(plan) => plan.finish(input, wasm, user_options, &mut steps)?,
        None => (wasm, None),
    };
    // Every run: a changed module must never keep the input's build_id.
    let (wasm, debug_companion) = build_id::settle(input, wasm, debug_companion, &mut steps)?;
    let wasm = debug_companion::point_at(wasm, debug_companion.as_ref(), user_options, &mut steps)?;
    let report = Report {
        input_bytes: input.len() as u64,
        output_bytes: wasm.len() as u64,
        sections_before: module::section_sizes(&module::sections(input)?),
        sections_after: module::section_sizes(&module::sections(&wasm)?),
        steps,
        kept_original: kept_original && wasm == input, // passive-data may change a kept input
    };
    Ok(Transformed { wasm, report, sidecar, debug_companion })
}

/// Not a size pass: it makes the next visit's delta small and the first visit no
/// bigger (`policy::reorder_cost`), so it runs on whatever won.
fn align_to_previous(wasm: Vec<u8>, options: &Options, companion: Option<&debug_companion::Plan>, steps: &mut Vec<Step>) -> Result<Vec<u8>> {
    use passes::align_to_previous::{run, PASS};
    let Some(previous) = &options.previous else { return Ok(wasm) };
    if let Some(step) = companion.and_then(|plan| plan.holds_code(PASS)) {
        steps.push(step);
        return Ok(wasm);
    }
    let result = run(&wasm, previous, options).map_err(pass_bug)?;
    let Some(aligned) = result.bytes else {
        steps.push(result.step);
        return Ok(wasm);
    };
    module::validate(&aligned).map_err(|e| Error::internal(format!("bug: {PASS} produced an invalid module: {e}")))?;
    if let Some(why) = crate::policy::reorder_cost(&wasm, &aligned)? {
        steps.push(Step::unchanged(PASS, format!("kept the numbers: {why}")));
        return Ok(wasm);
    }
    steps.push(result.step);
    Ok(aligned)
}

fn passive_data(wasm: Vec<u8>, options: &Options, steps: &mut Vec<Step>) -> Result<(Vec<u8>, Option<passes::passive_data::Sidecar>)> {
    if options.passive_data == crate::options::PassiveData::Off {
        return Ok((wasm, None)); // the default: no step in the report
    }
    let out = passes::passive_data::unless_a_growing_sidecar(passes::passive_data::run(&wasm, options)?, wasm.len());
    steps.push(out.step);
    let Some(bytes) = out.bytes else { return Ok((wasm, None)) };
    module::validate(&bytes).map_err(|e| Error::internal(format!("bug: passive-data produced an invalid module: {e}")))?;
    Ok((bytes, out.sidecar))
}

/// Passes only ever see a validated module (the input, or a pass's output), so one
/// that finds it malformed has met our bug, not the user's: never blame the input.
fn pass_bug(err: Error) -> Error {
    match err.code {
        ErrorCode::Malformed => Error::internal(format!("bug: a pass could not read a module that validated: {err}")),
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_that_meets_a_malformed_module_reports_our_bug() {
        let err = pass_bug(Error::at(ErrorCode::Malformed, "section out of order", 47));
        assert_eq!(err.code, ErrorCode::Internal);
        assert!(err.message.contains("section out of order (at offset 0x2f)"), "{err}");
        assert_eq!(pass_bug(Error::invalid_option("x", "y")).code, ErrorCode::InvalidOption);
    }
}
