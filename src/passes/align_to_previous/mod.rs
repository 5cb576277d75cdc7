//! align-to-previous: number the defined functions as the previous deploy's module
//! does, so a dictionary delta against it (RFC 9842 dcb/dcz) finds whole functions.
//! A release that adds or drops functions shifts the index of every one after them,
//! and so changes every `call` to them: the delta then breaks at each call. With the
//! functions the two modules share kept at the previous numbers, their calls stay
//! byte for byte (sql.js 1.16.0 → 1.17.0: dcb 7,524 → 346 B at brotli 9).
//!
//! Assumes: a valid module, and the bytes of the module the browser already has
//! (any bytes: what does not parse as a module is a skip, never an error). Only
//! defined functions move; imports, and every other space, keep their numbers.
//! Function order has no meaning in WebAssembly beyond stack traces' indices, and
//! every reference (calls, `ref.func`, elements, exports, start, names) is rewritten.
//!
//! First, whether the previous module is this one renumbered (an unchanged input
//! that the previous deploy shipped aligned): then it comes out byte for byte as
//! that (`same_module`), so an unchanged wasm keeps its URL. Else each function is
//! matched to the previous module's (`matching`) by, in turn: its name when both
//! have a name section; its exact body, if it calls nothing; its body with each call
//! naming the match of its target (in rounds, from the leaves of the call graph up);
//! the callees of matched functions, call by call; its callers, for copies of one
//! body; its body with call targets masked, then constants and globals too; and,
//! between two matched functions, its place among the unmatched ones there. The
//! matched take the previous numbers, the rest the free number nearest after the
//! function before them.
//!
//! Bails out (skipped) when a custom section the options keep points into the code
//! (DWARF, source maps: see `policy::code_positions`), or when the previous module
//! cannot be read. Such a section that strip drops, but that is still here because
//! never-worse kept the input, is dropped. Unchanged when the functions already
//! have the previous numbers. The transform refuses the result when it would make a
//! first visit bigger (`policy::reorder_cost`).
//!
//! Cost: one read of every body of both modules (in parallel), hash maps over them,
//! colour refinement when both have as many functions, and the rewrite of
//! `renumber` (bodies patched in place): 66 ms for sql.js, 2.9 s for swc's 18 MB
//! (`bench:delta`).

mod functions;
mod matching;
mod same_module;

use super::renumber::{rewrite, IndexMaps};
use super::{strip, PassResult};
use crate::analysis::items::ModuleItems;
use crate::analysis::used::used_items;
use crate::error::Result;
use crate::module;
use crate::options::Options;
use crate::policy;
use crate::report::Step;
use functions::Functions;
use matching::{match_functions, slots};

pub const PASS: &str = "align-to-previous";

pub fn run(bytes: &[u8], previous: &[u8], options: &Options) -> Result<PassResult> {
    let skipped = |why: String| Ok(PassResult { bytes: None, step: Step::skipped(PASS, why) });
    let same = || Ok(PassResult { bytes: None, step: Step::unchanged(PASS, "the same module as the previous one") });
    // An unchanged wasm the previous deploy shipped as it is: nothing to read.
    if bytes == previous {
        return same();
    }
    let mut sections = module::sections(bytes)?;
    let has_code_positions = |s: &module::Section<'_>| s.custom_name.is_some_and(|n| policy::code_positions(n).is_some());
    if let Some(name) = sections.iter().filter(|s| has_code_positions(s)).filter_map(|s| s.custom_name).find(|n| !strip::drops(n, options)) {
        return skipped(format!("kept custom section `{name}` refers to code positions that reordering would shift"));
    }
    // Sections strip drops can still be here when never-worse kept the input (their
    // saving was under its floor). Reordering would break their positions, and the
    // module changes anyway: they go.
    let dropped: Vec<&str> = sections.iter().filter(|s| has_code_positions(s)).filter_map(|s| s.custom_name).collect();
    sections.retain(|s| !has_code_positions(s));
    let old = match Functions::read(previous) {
        Ok(old) => old,
        Err(e) => return skipped(format!("cannot read the previous module: {e}")),
    };
    let items = ModuleItems::read(bytes)?;
    let new = Functions::of(&items)?;
    let used = match used_items(&items, false, None) {
        Ok(used) => used,
        Err(e) => return skipped(format!("cannot analyse the module: {e}")),
    };
    let renumbered = |slots: &[u32]| rewrite(&sections, &items, &used, &permuting_functions(&items, slots));
    // An unchanged input whose previous deploy shipped it aligned: it must come out
    // byte for byte as then, or an unchanged wasm would get a new URL (the matching
    // below, by look-alikes, does not promise that).
    if let Some(slots) = same_module::renumbering(&old, &new) {
        if let Ok(output) = renumbered(&slots) {
            if output == previous {
                if output == bytes {
                    return same();
                }
                let step = Step::applied(PASS, "numbered as the previous module, which is this one renumbered", bytes.len() as i64 - output.len() as i64);
                return Ok(PassResult { bytes: Some(output), step });
            }
        }
    }
    let matching = match_functions(&old, &new);
    let slots = slots(&matching);
    let moved = slots.iter().enumerate().filter(|(f, &slot)| *f != slot as usize).count();
    let matched = matching.iter().filter(|m| m.is_some()).count();
    if moved == 0 {
        let why = format!("{matched} of {} functions matched the previous module's, all at its numbers already", slots.len());
        return Ok(PassResult { bytes: None, step: Step::unchanged(PASS, why) });
    }
    let output = match renumbered(&slots) {
        Ok(output) => output,
        Err(e) => return skipped(format!("cannot re-encode the module: {e}")),
    };
    let mut detail = format!("numbered as the previous module: {matched} of {} functions matched, {moved} moved", slots.len());
    if !dropped.is_empty() {
        detail += &format!("; dropped `{}`, whose code positions would break", dropped.join("`, `"));
    }
    let step = Step::applied(PASS, detail, bytes.len() as i64 - output.len() as i64);
    Ok(PassResult { bytes: Some(output), step })
}

/// Maps that move defined function `f` (counted from the first defined one) to
/// `slots[f]` and keep every other number.
fn permuting_functions(items: &ModuleItems<'_>, slots: &[u32]) -> IndexMaps {
    let identity = |n: usize| (0..n as u32).collect::<Vec<u32>>();
    let imported = items.imported_funcs;
    let funcs = (0..imported).chain(slots.iter().map(|slot| imported + slot)).collect();
    let globals = identity(items.globals.len());
    IndexMaps::new(funcs, identity(items.tables.len()), globals, identity(items.tags.len()), identity(items.elements.len()), identity(items.type_count() as usize))
}
