//! remove-unused: drop functions, globals, tables, tags, element segments and
//! types that nothing reachable uses (see `analysis::used` for the roots).
//!
//! Assumes: a valid module. Never removes imports (a missing or mistyped import
//! makes instantiation fail with a LinkError; dropping an unused one would make
//! that instantiation succeed, which the spec suite's `assert_unlinkable` cases
//! catch), exports, memories, data segments (an active one can trap; passive ones
//! keep their indices), or active and declarative element segments. Types are removed only when every type is a plain
//! function type in a recursion group of its own (GC modules keep all types).
//!
//! Bails out (skipped, with the reason) when a kept custom section points into the
//! code by offset or index in a way we cannot rewrite: DWARF (`.debug_*`),
//! `sourceMappingURL`, `external_debug_info`, branch hints, or the `linking` /
//! `reloc.*` sections of object files. The `name` section is rewritten.
//!
//! Leaves what is unused alone, unchanged with the reason, when removing it saves
//! less than never-worse's noise floor (0.2% of the estimated wire size): such a
//! change would be refused on its own, and riding along with a real one it saves
//! bytes no codec reliably keeps while costing a rewrite and a full validation
//! (biome.wasm's 3 unused types: 0.4 s for at most 120 bytes).
//!
//! Cost: one scan of each function body to find what it uses and where its
//! calls and global accesses sit (done while the input is validated); in the
//! output, sections and function bodies whose indices keep their numbers are
//! copied raw; where only function and global numbers change, bodies are copied
//! with those indices patched in place (`renumber_sites`); the rest are read
//! operator by operator (`renumber_body`). In parallel.

use super::renumber::{rewrite, IndexMaps, REMOVED};
use super::PassResult;
use crate::analysis::items::ModuleItems;
use crate::analysis::used::{used_items, BodyScanResult, Used};
use crate::error::Result;
use crate::module;
use crate::options::Options;
use crate::policy::{self, under_noise_floor};
use crate::report::Step;

pub const PASS: &str = "remove-unused";

/// The pass. `scans` are the bodies' scans from validating `bytes` (or a module
/// with the same code: see `analysis::used::validate_and_scan`), so they are not
/// read again; `None` reads the bodies here.
pub fn run(bytes: &[u8], options: &Options, scans: Option<Vec<BodyScanResult>>) -> Result<PassResult> {
    let skipped = |why: String| Ok(PassResult { bytes: None, step: Step::skipped(PASS, why) });
    if !options.dce {
        return skipped("turned off (dce: false)".into());
    }
    let sections = module::sections(bytes)?;
    if let Some(name) = sections.iter().filter_map(|s| s.custom_name).find(|n| refers_to_code(n)) {
        return skipped(format!("kept custom section `{name}` refers to code positions that removal would shift"));
    }
    let items = ModuleItems::read(bytes)?;
    let used = match used_items(&items, items.types_are_prunable(), scans) {
        Ok(used) => used,
        Err(e) => return skipped(format!("cannot analyse the module: {e}")),
    };
    let maps = maps_of(&used);
    if maps.is_identity() {
        let step = Step::unchanged(PASS, "nothing unused");
        return Ok(PassResult { bytes: None, step });
    }
    // Below the noise floor a removal is not worth rewriting the module for (never-
    // worse would refuse it alone), and a rewrite costs a full validation after.
    let most_saved = maps.most_saved(&items);
    if let Some(floor) = under_noise_floor(bytes, most_saved)? {
        let why = format!(
            "kept what is unused ({}): removing it saves at most {most_saved} B, under the noise floor of ≈ {floor} B",
            maps.describe_removed().trim_start_matches("removed "),
        );
        return Ok(PassResult { bytes: None, step: Step::unchanged(PASS, why) });
    }
    let output = match rewrite(&sections, &items, &used, &maps) {
        Ok(output) => output,
        Err(e) => return skipped(format!("cannot re-encode the module: {e}")),
    };
    let step = Step::applied(PASS, maps.describe_removed(), bytes.len() as i64 - output.len() as i64);
    Ok(PassResult { bytes: Some(output), step })
}

/// Custom sections that hold code positions we do not rewrite: removal renumbers
/// functions and rewrites bodies, so positions of every kind would break.
fn refers_to_code(name: &str) -> bool {
    policy::code_positions(name).is_some()
}

/// Numbers the kept entries in order.
fn compact(kept: &[bool]) -> Vec<u32> {
    let mut next = 0;
    kept.iter()
        .map(|&k| {
            if k {
                next += 1;
                next - 1
            } else {
                REMOVED
            }
        })
        .collect()
}

fn removed_count(map: &[u32]) -> usize {
    map.iter().filter(|&&i| i == REMOVED).count()
}

/// remove-unused's maps: the used items of each space, numbered in order.
fn maps_of(used: &Used) -> IndexMaps {
    let funcs = compact(&used.funcs);
    IndexMaps::new(funcs, compact(&used.tables), compact(&used.globals), compact(&used.tags), compact(&used.elems), compact(&used.types))
}

impl IndexMaps {
    /// An upper bound on the bytes the removal saves: whole bodies and element
    /// segments, generous constants for the small entries.
    fn most_saved(&self, items: &ModuleItems<'_>) -> usize {
        fn removed(map: &[u32]) -> impl Iterator<Item = usize> + '_ {
            map.iter().enumerate().filter(|(_, &new)| new == REMOVED).map(|(old, _)| old)
        }
        let funcs: usize = removed(&self.funcs)
            .map(|f| items.bodies.get(f - items.imported_funcs as usize).map_or(0, |b| b.as_bytes().len()) + 10)
            .sum();
        let elems: usize = removed(&self.elems).map(|e| { let r = &items.elements[e].range; (r.end - r.start) as usize + 5 }).sum();
        let types: usize = removed(&self.types)
            .flat_map(|t| items.rec_groups[t].types())
            .map(|ty| match &ty.composite_type.inner {
                wasmparser::CompositeInnerType::Func(f) => 16 + 8 * f.params().len() + 8 * f.results().len(),
                _ => 1024,
            })
            .sum();
        let small = 32 * (removed_count(&self.globals) + removed_count(&self.tables) + removed_count(&self.tags));
        funcs + elems + types + small
    }

    fn describe_removed(&self) -> String {
        let parts = [
            (removed_count(&self.funcs), "functions"),
            (removed_count(&self.globals), "globals"),
            (removed_count(&self.tables), "tables"),
            (removed_count(&self.tags), "tags"),
            (removed_count(&self.elems), "element segments"),
            (removed_count(&self.types), "types"),
        ];
        let said: Vec<String> =
            parts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
        format!("removed {}", said.join(", "))
    }
}
