//! strip: drop custom sections that nothing reads at run time.
//!
//! Assumes: a valid module. Only custom sections are touched; engines ignore them,
//! but loaders may read some through `WebAssembly.Module.customSections`, so the
//! policy is an allow-list of what may go, not of what may stay:
//! - dropped: `.debug_*` (DWARF), `external_debug_info`, `sourceMappingURL`,
//!   `producers`, `target_features`, and `name` (unless `keep_names`);
//! - kept: everything else, `dylink.0` above all (dynamically linked Emscripten
//!   modules such as web-tree-sitter fail to load without it), and any section named
//!   in `keep_sections`.
//!
//! Bails out: never; a module with nothing to drop comes back unchanged, and so
//! does one whose droppable sections are too small to matter: under never-worse's
//! noise floor (0.2% of the estimated wire size), which would refuse the change
//! anyway. A release build's 100-byte `producers` section is not worth copying a
//! 13 MB module for.
//! Cost: one scan of the section headers (and a sampled wire-size estimate when
//! the sections to drop are small); kept sections are copied byte for byte.

use super::PassResult;
use crate::error::Result;
use crate::module::{self, Section};
use crate::options::Options;
use crate::policy::under_noise_floor;
use crate::report::Step;

pub const PASS: &str = "strip";

/// Custom sections that carry debug info or tool metadata only.
const DROPPABLE: &[&str] = &[
    "name",
    "producers",
    "target_features",
    "sourceMappingURL",
    "external_debug_info",
];

/// Whether the strip policy drops a custom section of this name.
pub fn drops(name: &str, options: &Options) -> bool {
    if options.keep_sections.iter().any(|kept| kept == name) {
        return false;
    }
    if name == "name" && options.keep_names {
        return false;
    }
    name.starts_with(".debug_") || DROPPABLE.contains(&name)
}

pub fn run(bytes: &[u8], options: &Options) -> Result<PassResult> {
    let sections = module::sections(bytes)?;
    let (dropped, kept): (Vec<&Section>, Vec<&Section>) = sections
        .iter()
        .partition(|s| s.custom_name.is_some_and(|name| drops(name, options)));
    if dropped.is_empty() {
        let step = Step::unchanged(PASS, "no droppable custom sections");
        return Ok(PassResult { bytes: None, step });
    }
    let saved: u64 = dropped.iter().map(|s| s.raw.len() as u64).sum();
    if let Some(floor) = under_noise_floor(bytes, saved as usize)? {
        let step = Step::unchanged(PASS, format!("kept {}: dropping saves {saved} B, under the noise floor of ≈ {floor} B", describe(&dropped)));
        return Ok(PassResult { bytes: None, step });
    }
    let step = Step::applied(PASS, format!("dropped {}", describe(&dropped)), saved as i64);
    let output = module::assemble(kept.iter().map(|s| s.raw));
    Ok(PassResult { bytes: Some(output), step })
}

/// Distinct names the report lists before it summarises the rest.
const NAMES_LISTED: usize = 20;

/// Each dropped name once, in order, with a count when it repeats, and at most
/// `NAMES_LISTED` of them: a module with 100,000 debug sections gets a one-line
/// report, not a megabyte of names.
fn describe(dropped: &[&Section]) -> String {
    let mut order: Vec<String> = Vec::new();
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for section in dropped {
        let name = section.display_name();
        let count = counts.entry(name.clone()).or_default();
        if *count == 0 {
            order.push(name);
        }
        *count += 1;
    }
    let mut parts: Vec<String> = order
        .iter()
        .take(NAMES_LISTED)
        .map(|name| match counts[name] {
            1 => name.clone(),
            count => format!("{name} ×{count}"),
        })
        .collect();
    if order.len() > NAMES_LISTED {
        let rest: usize = order[NAMES_LISTED..].iter().map(|name| counts[name]).sum();
        parts.push(format!("and {rest} more"));
    }
    parts.join(", ")
}
