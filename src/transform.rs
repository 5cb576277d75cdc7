//! The pipeline behind `transform`: validate the input, run the passes in order,
//! validate the output, and let `never-worse` decide whether it beats the input.

use crate::error::{Error, Result};
use crate::module;
use crate::options::Options;
use crate::passes::{self, PassResult};
use crate::report::Report;
use std::borrow::Cow;

#[derive(Debug)]
pub struct Transformed {
    pub wasm: Vec<u8>,
    pub report: Report,
}

type Pass = fn(&[u8], &Options) -> Result<PassResult>;

/// The passes, in the order they run.
const PIPELINE: &[Pass] = &[passes::strip::run, passes::remove_unused::run, passes::pack_data::run];

pub fn transform(input: &[u8], options: &Options) -> Result<Transformed> {
    module::validate(input)?;
    let mut current: Cow<[u8]> = Cow::Borrowed(input);
    let mut steps = Vec::with_capacity(PIPELINE.len());
    for pass in PIPELINE {
        let result = pass(&current, options)?;
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
        let verdict = passes::never_worse::judge(input, &current, options.allow_raw_growth)?;
        kept_original = !verdict.keep_output;
        steps.push(verdict.step);
    }
    let wasm = if kept_original || !changed { input.to_vec() } else { current.into_owned() };
    let report = Report {
        input_bytes: input.len() as u64,
        output_bytes: wasm.len() as u64,
        sections_before: module::section_sizes(&module::sections(input)?),
        sections_after: module::section_sizes(&module::sections(&wasm)?),
        steps,
        kept_original,
    };
    Ok(Transformed { wasm, report })
}
