//! Policy: when a change is worth shipping, in one place. The never-worse judge
//! (`never_worse`), every floor the passes measure a saving against (units in the
//! names: `_WIRE_` is the proxy codec's size of the whole input, `_RAW_` its raw
//! size), and the custom sections that point into the code, which decide whether a
//! pass may move code at all.

pub mod never_worse;

use crate::error::Result;
use crate::wire;

/// The least wire saving, in thousandths of the input's proxy (zstd-1) size, worth
/// shipping: ten times the brotli 11 noise measured on real modules. never-worse
/// refuses anything smaller; strip and remove-unused do not rewrite for less.
pub const NOISE_FLOOR_WIRE_PER_MILLE: usize = 2;

/// pack-data's least proxy saving over the data section, in ten-thousandths of the
/// whole module's raw size (0.05%): below that, brotli 11's own noise decides.
pub const MIN_SAVING_RAW_PER_10K: u64 = 5;

/// pack-data layouts whose proxy size is within this many thousandths of the best
/// are as good as the best (zstd cannot rank near-ties the way brotli 11 does).
pub const NEAR_BEST_PROXY_PER_MILLE: u64 = 5;

/// How many raw bytes one byte saved by the proxy codec may cost with
/// `allow_raw_growth` (pack-data's rule); none without it.
/// Go modules need about 7: esbuild.wasm grows 0.97 MB raw to save 126 KB brotli 11.
pub const RAW_BYTES_PER_PROXY_BYTE: u64 = 8;

/// The least growth `reorder_cost` calls noise: the proxy's size moves by a few
/// bytes with any reordering of a small module.
pub const REORDER_FLOOR_MIN_BYTES: usize = 32;

/// Why reordering `before` into `after` costs a first-time visitor too much, if it
/// does: align-to-previous saves nothing on a first visit, so its output may not
/// grow the proxy size by more than the noise floor. On the six pairs of
/// `bench:delta` brotli 11 moved −0.04% to +0.19%; an earlier matcher's numbering
/// of duckdb-wasm 1.32.0 grew it 0.38% at brotli 9, and this refused it.
pub fn reorder_cost(before: &[u8], after: &[u8]) -> Result<Option<String>> {
    let (was, is) = (wire::size(before)?, wire::size(after)?);
    let floor = (was * NOISE_FLOOR_WIRE_PER_MILLE / 1000).max(REORDER_FLOOR_MIN_BYTES);
    Ok((is > was + floor).then(|| format!("the reordered module is {} B bigger on the wire (zstd-1 proxy), over the noise floor of {floor} B", is - was)))
}

/// The noise floor, if a change to `input` that saves at most `most_saved` bytes
/// falls under it: never-worse would refuse such a change alone, so a pass need not
/// spend a rewrite (and the validation after it) on it.
pub fn under_noise_floor(input: &[u8], most_saved: usize) -> Result<Option<usize>> {
    // The raw size bounds the wire size, so clearing the floor there settles it.
    if most_saved * 1000 >= input.len() * NOISE_FLOOR_WIRE_PER_MILLE {
        return Ok(None);
    }
    let floor = wire::estimated_size(&[input])? * NOISE_FLOOR_WIRE_PER_MILLE / 1000;
    Ok((most_saved < floor).then_some(floor))
}

/// What the positions a custom section holds are relative to, which decides which
/// edits break them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodePositions {
    /// Byte offsets into the module or the code section (DWARF addresses, source
    /// maps, an object file's relocations): any section inserted before the code,
    /// any body added, removed or resized, shifts them.
    SectionRelative,
    /// A function index and offsets inside that function's body (branch hints,
    /// `metadata.code.*`): they break when functions are renumbered or bodies
    /// rewritten, not when a function is appended or other sections change.
    BodyRelative,
}

/// Custom sections that point into the code, by name (`*` ends a prefix). None
/// of them is rewritten: a pass whose edits would shift what they point at skips.
/// remove-unused renumbers functions and rewrites bodies, so every kind stops it;
/// passive-data adds sections and appends a function, keeping every existing body
/// and function index, so only section-relative ones stop it. (The two passes'
/// lists used to differ silently in `metadata.code.*`; this is why.)
const CODE_POSITION_SECTIONS: &[(&str, CodePositions)] = &[
    (".debug_*", CodePositions::SectionRelative),
    ("sourceMappingURL", CodePositions::SectionRelative),
    ("external_debug_info", CodePositions::SectionRelative),
    ("linking", CodePositions::SectionRelative),
    ("reloc.*", CodePositions::SectionRelative),
    ("metadata.code.*", CodePositions::BodyRelative),
];

/// What the positions in custom section `name` are relative to; `None` when it
/// holds no code positions.
pub fn code_positions(name: &str) -> Option<CodePositions> {
    CODE_POSITION_SECTIONS.iter().find(|(pattern, _)| match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == *pattern,
    }).map(|&(_, kind)| kind)
}

/// Custom sections only a relocatable object file (a linker's input, not a module
/// to ship) carries; passes that renumber anything leave such files alone.
pub fn is_object_file_section(name: &str) -> bool {
    name == "linking" || name.starts_with("reloc.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_positions_are_tagged_by_what_they_are_relative_to() {
        assert_eq!(code_positions(".debug_info"), Some(CodePositions::SectionRelative));
        assert_eq!(code_positions("reloc.CODE"), Some(CodePositions::SectionRelative));
        assert_eq!(code_positions("linking"), Some(CodePositions::SectionRelative));
        assert_eq!(code_positions("metadata.code.branch_hint"), Some(CodePositions::BodyRelative));
        assert_eq!(code_positions("name"), None);
        assert_eq!(code_positions("sourceMappingURLs"), None, "exact names are exact");
    }

    #[test]
    fn object_file_sections_hold_section_relative_positions() {
        for name in ["linking", "reloc.DATA"] {
            assert!(is_object_file_section(name));
            assert_eq!(code_positions(name), Some(CodePositions::SectionRelative));
        }
    }
}
