//! debug-companion: a second module that holds what the shipped one was stripped
//! of for debugging, so stack traces and DevTools still work (tool-conventions
//! `Debugging.md`; Sentry's `wasm-split` and Emscripten's `-gseparate-dwarf` make
//! the same kind of file).
//!
//! The companion is the shipped module (its code section above all: DWARF
//! addresses and `name`-section indices mean nothing without the code they point
//! into, and Chrome's DWARF extension and symbolizers read it) with every data
//! segment emptied (kept with its offset, so the companion still validates), plus
//! the `name` section, the `.debug_*` sections, `producers` and `target_features`.
//!
//! DWARF addresses are offsets into the code section, so with DWARF to keep the
//! code must not move: `remove-unused` is skipped (with that reason in the report)
//! and the companion is written only once the shipped bodies are checked to sit
//! at the input's offsets. The `name` section instead travels through the passes
//! (`keep_names` is forced for them), so `remove-unused` renumbers it with the
//! functions, and it is moved out of the shipped module at the end.
//!
//! With `debug_url`, the shipped module gets an `external_debug_info` section (a
//! LEB128-length-prefixed UTF-8 URL) that DevTools follows to the companion;
//! `[build-id]` in it becomes the module's build_id in hex.
//! Cost: copies of the module's sections; no function body is read.

use crate::error::{Error, Result};
use crate::module::{self, Section, SectionId};
use crate::options::Options;
use crate::passes::strip;
use crate::report::Step;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};

pub const PASS: &str = "debug-companion";
pub const EXTERNAL_DEBUG_INFO: &str = "external_debug_info";
const NAME: &str = "name";
/// Input sections copied into the companion besides `.debug_*` (the `name`
/// section comes from the passes' output, renumbered).
const TOOL_SECTIONS: &[&str] = &["producers", "target_features"];

/// `debugUrl` as given, refused when empty or without `debugCompanion` (it would
/// point DevTools at a file nobody asked for).
pub fn check_url(url: Option<String>, companion: bool) -> Result<Option<String>> {
    match url {
        Some(url) if url.is_empty() => Err(Error::invalid_option("debugUrl", "expected a URL, got an empty string")),
        Some(_) if !companion => Err(Error::invalid_option("debugUrl", "names the companion's URL, so it needs debugCompanion: true")),
        url => Ok(url),
    }
}

fn is_dwarf(name: &str) -> bool {
    name.starts_with(".debug_")
}

/// What a requested companion will hold; `None` when none was requested.
pub struct Plan {
    dwarf: bool,
    names: bool,
}

impl Plan {
    pub fn new(input: &[Section<'_>], options: &Options) -> Option<Plan> {
        if !options.debug_companion {
            return None;
        }
        let has = |f: fn(&str) -> bool| input.iter().filter_map(|s| s.custom_name).any(f);
        Some(Plan { dwarf: has(is_dwarf), names: has(|n| n == NAME) })
    }

    /// The options the passes run with: names kept, so remove-unused renumbers them.
    pub fn pass_options(&self, options: &Options) -> Options {
        Options { keep_names: true, ..options.clone() }
    }

    /// The step that stands in for remove-unused when DWARF must keep its code in
    /// place; `None` when remove-unused may run.
    pub fn holds_code(&self, pass: &'static str) -> Option<Step> {
        self.dwarf.then(|| {
            Step::skipped(pass, "a debug companion keeps the DWARF, whose addresses are the code's offsets, which this pass would move")
        })
    }

    /// Splits `output` (the passes' result, names still in) into the shipped module
    /// and the companion, and adds `external_debug_info` when asked to.
    pub fn finish(&self, input: &[u8], output: Vec<u8>, options: &Options, steps: &mut Vec<Step>) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
        let sections = module::sections(&output)?;
        let shipped_sections: Vec<&Section> = sections.iter().filter(|s| !s.custom_name.is_some_and(|n| strip::drops(n, options))).collect();
        let shipped = module::assemble(shipped_sections.iter().map(|s| s.raw));
        if !self.dwarf && !self.names {
            steps.push(Step::skipped(PASS, "the module has neither DWARF nor a name section: no companion written"));
            return Ok((shipped, None));
        }
        let input_sections = module::sections(input)?;
        if self.dwarf && !code_unmoved(&input_sections, &module::sections(&shipped)?)? {
            return Err(Error::internal("bug: the code moved although a debug companion keeps its DWARF"));
        }
        let companion = self.companion(&input_sections, &sections, &shipped_sections)?;
        module::validate_output(&shipped, &companion)
            .map_err(|e| Error::internal(format!("bug: the debug companion failed validation: {e}")))?;
        let saved = output.len() as i64 - shipped.len() as i64;
        let detail = format!("{} B of debug sections in a {} B companion", companion_debug_bytes(&companion)?, companion.len());
        steps.push(Step::applied(PASS, detail, saved));
        Ok((shipped, Some(companion)))
    }

    fn companion(&self, input: &[Section<'_>], output: &[Section<'_>], shipped: &[&Section<'_>]) -> Result<Vec<u8>> {
        let empty_data = shipped.iter().find(|s| s.custom_name.is_none() && s.id == SectionId::Data).map(|s| empty_segments(s)).transpose()?;
        let mut parts: Vec<&[u8]> = Vec::new();
        for s in shipped {
            match s.custom_name {
                Some(EXTERNAL_DEBUG_INFO) => {}
                None if s.id == SectionId::Data => parts.push(empty_data.as_deref().unwrap_or(s.raw)),
                _ => parts.push(s.raw),
            }
        }
        let is_shipped = |s: &Section| shipped.iter().any(|k| k.raw.as_ptr() == s.raw.as_ptr());
        parts.extend(output.iter().filter(|s| s.custom_name == Some(NAME) && !is_shipped(s)).map(|s| s.raw));
        let from_input = |name: &str| (self.dwarf && is_dwarf(name)) || TOOL_SECTIONS.contains(&name);
        let already = |name: &str| shipped.iter().any(|k| k.custom_name == Some(name));
        parts.extend(input.iter().filter(|s| s.custom_name.is_some_and(|n| from_input(n) && !already(n))).map(|s| s.raw));
        Ok(module::assemble(parts))
    }
}

/// Whether every function body of `input` sits in `output`'s code section at the
/// same offset from the section's start with the same bytes (passes may append
/// bodies, as passive-data's start function is). DWARF addresses count from there.
pub fn code_unmoved(input: &[Section<'_>], output: &[Section<'_>]) -> Result<bool> {
    let code = |sections: &[Section<'_>]| -> Result<Option<(usize, Vec<u8>)>> {
        let Some(s) = sections.iter().find(|s| s.custom_name.is_none() && s.id == SectionId::Code) else { return Ok(None) };
        let mut reader = s.content_reader();
        let start = reader.original_position();
        reader.read_var_u32().map_err(|e| Error::malformed(&e))?;
        let count_len = (reader.original_position() - start) as usize;
        Ok(Some((count_len, reader.read_bytes(reader.bytes_remaining()).map_err(|e| Error::malformed(&e))?.to_vec())))
    };
    Ok(match (code(input)?, code(output)?) {
        (None, _) => true,
        (Some((a_len, a)), Some((b_len, b))) => a_len == b_len && b.starts_with(&a),
        (Some(_), None) => false,
    })
}

/// The data section with each segment's bytes dropped; modes, memories and
/// offsets stay, so the segment count (and any DataCount section) still matches.
fn empty_segments(data: &Section<'_>) -> Result<Vec<u8>> {
    let reader = wasmparser::DataSectionReader::new(data.content_reader()).map_err(|e| Error::malformed(&e))?;
    let mut out = wasm_encoder::DataSection::new();
    for segment in reader {
        let segment = segment.map_err(|e| Error::malformed(&e))?;
        match segment.kind {
            wasmparser::DataKind::Passive => out.passive([]),
            wasmparser::DataKind::Active { memory_index, offset_expr } => {
                let offset = RoundtripReencoder.const_expr(offset_expr).map_err(|e| Error::internal(format!("bug: re-encoding a data offset: {e}")))?;
                out.active(memory_index, &offset, [])
            }
        };
    }
    Ok(module::encode(&out))
}

/// Where `debug_url` sends DevTools, `[build-id]` replaced by the id in hex (so
/// a bundler can name the companion after the id, which is known only now).
/// Written after the build_id, which does not depend on it.
pub fn point_at(shipped: Vec<u8>, companion: Option<&Vec<u8>>, options: &Options, steps: &mut [Step]) -> Result<Vec<u8>> {
    let (Some(url), Some(_)) = (&options.debug_url, companion) else { return Ok(shipped) };
    let id = crate::build_id::read(&shipped)?.map(|id| crate::build_id::hex(&id)).unwrap_or_default();
    let url = url.replace(BUILD_ID_PLACEHOLDER, &id);
    let out = with_custom_section(&shipped, EXTERNAL_DEBUG_INFO, url.as_bytes())?;
    if let Some(step) = steps.iter_mut().find(|s| s.pass == PASS) {
        step.detail.push_str(&format!("; external_debug_info points at {url}"));
        step.bytes_saved -= (out.len() - shipped.len()) as i64;
    }
    Ok(out)
}

pub const BUILD_ID_PLACEHOLDER: &str = "[build-id]";

/// `module` with a custom section `name` holding `payload` as a byte vector,
/// replacing any of that name, at the end.
fn with_custom_section(module: &[u8], name: &str, payload: &[u8]) -> Result<Vec<u8>> {
    let sections = module::sections(module)?;
    let new = module::custom_byte_vector(name, payload);
    let kept = sections.iter().filter(|s| s.custom_name != Some(name)).map(|s| s.raw);
    Ok(module::assemble(kept.chain([&new[..]])))
}

fn companion_debug_bytes(companion: &[u8]) -> Result<usize> {
    Ok(module::sections(companion)?.iter().filter(|s| s.custom_name.is_some_and(|n| is_dwarf(n) || n == NAME)).map(|s| s.raw.len()).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::wasm;
    use crate::report::StepStatus;
    use crate::{transform, PassiveData};

    /// DWARF sections, and a dead function for remove-unused to drop.
    fn fixture(dwarf: bool) -> Vec<u8> {
        let dwarf = if dwarf { r#"(@custom ".debug_info" (after data) "\01\02\03\04")"# } else { "" };
        wasm(&format!(
            r#"(module (memory 1)
                 (func $dead (result i32) i32.const 9)
                 (func $live (export "run") (result i32) i32.const 7)
                 (data (i32.const 8) "hello, debugger") {dwarf})"#
        ))
    }

    fn unmoved(input: &[u8], output: &[u8]) -> bool {
        code_unmoved(&module::sections(input).unwrap(), &module::sections(output).unwrap()).unwrap()
    }

    #[test]
    fn an_appended_start_function_leaves_the_code_unmoved() {
        let input = fixture(true);
        let options = Options { passive_data: PassiveData::Start, debug_companion: true, ..Options::default() };
        let out = transform(&input, &options).unwrap();
        assert_eq!(out.report.steps.iter().find(|s| s.pass == "passive-data").unwrap().status, StepStatus::Applied);
        assert!(unmoved(&input, &out.wasm));
    }

    #[test]
    fn moved_code_is_detected() {
        let input = fixture(false);
        let pruned = transform(&input, &Options::default()).unwrap().wasm;
        assert!(!unmoved(&input, &pruned));
    }

    #[test]
    fn a_debug_url_needs_a_companion_and_a_value() {
        assert!(check_url(Some("u".into()), false).unwrap_err().message.contains("debugCompanion"));
        assert!(check_url(Some(String::new()), true).unwrap_err().message.contains("empty"));
        assert_eq!(check_url(None, false).unwrap(), None);
    }
}
