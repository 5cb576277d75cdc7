//! build_id: the custom section that ties a shipped module to its debug file
//! (WebAssembly tool-conventions `BuildId.md`: a section named `build_id` whose
//! payload is one LEB128-length-prefixed byte vector). Sentry and Datadog look
//! debug files up by it, so a module whose code changed must never keep the id of
//! the code it came from: the error tracker would symbolize it with the wrong file.
//!
//! Rules, applied to every `transform` after the passes:
//! - the shipped code section is byte for byte the input's: the input's id stays;
//! - the code changed and the input had an id: a new id replaces it;
//! - the input had none: none is added, unless a debug companion is written,
//!   which needs one to be found by (then a new id is added to both).
//!
//! A new id is the first 16 bytes of the SHA-256 of the shipped module with its
//! `build_id` and `external_debug_info` sections left out: the same code, data and
//! exports always get the same id, whatever URL the companion is served from.
//! Cost: one hash of the shipped module when an id has to be made, else nothing.

use crate::error::Result;
use crate::module::{self, Section, SectionId};
use crate::report::Step;
use sha2::{Digest, Sha256};

pub const PASS: &str = "build-id";
pub const SECTION: &str = "build_id";
/// Custom sections a derived id does not depend on (see the module docs).
const NOT_HASHED: &[&str] = &[SECTION, crate::debug_companion::EXTERNAL_DEBUG_INFO];
/// Bytes of the SHA-256 a new id keeps: 128 bits, what a UUID-style id carries.
const DERIVED_ID_BYTES: usize = 16;

/// The id `module` carries, if any: the payload's byte vector, or the whole payload
/// when it is not one (a malformed id is still the one to replace).
pub fn read(module: &[u8]) -> Result<Option<Vec<u8>>> {
    let sections = module::sections(module)?;
    let Some(section) = sections.iter().find(|s| s.custom_name == Some(SECTION)) else { return Ok(None) };
    let payload = module::custom_payload(section).map(|(payload, _)| payload).unwrap_or_default();
    let mut vector = wasmparser::BinaryReader::new(payload, 0);
    let id = match vector.read_var_u32() {
        Ok(len) if len as usize == vector.bytes_remaining() => vector.read_bytes(len as usize).unwrap_or_default(),
        _ => payload,
    };
    Ok(Some(id.to_vec()))
}

/// A whole `build_id` custom section holding `id`.
pub fn section(id: &[u8]) -> Vec<u8> {
    module::custom_byte_vector(SECTION, id)
}

/// The id made from `shipped`'s bytes (see the module docs).
pub fn derive(shipped: &[u8]) -> Result<Vec<u8>> {
    let mut hasher = Sha256::new();
    for s in module::sections(shipped)? {
        if !s.custom_name.is_some_and(|name| NOT_HASHED.contains(&name)) {
            hasher.update(s.raw);
        }
    }
    Ok(hasher.finalize()[..DERIVED_ID_BYTES].to_vec())
}

/// `module` with its `build_id` section(s) replaced by one holding `id`, where the
/// first stood, or added at the end.
pub fn write(module: &[u8], id: &[u8]) -> Result<Vec<u8>> {
    let sections = module::sections(module)?;
    let new = section(id);
    let mut placed = false;
    let mut out: Vec<&[u8]> = Vec::with_capacity(sections.len() + 1);
    for s in &sections {
        if s.custom_name == Some(SECTION) {
            if !placed {
                out.push(&new);
                placed = true;
            }
            continue;
        }
        out.push(s.raw);
    }
    if !placed {
        out.push(&new);
    }
    Ok(module::assemble(out))
}

/// Applies the rules in the module docs to the shipped module and, when there is
/// one, its companion, which always ends up with the shipped module's id.
pub fn settle(input: &[u8], shipped: Vec<u8>, companion: Option<Vec<u8>>, steps: &mut Vec<Step>) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let input_id = read(input)?;
    if input_id.is_none() && companion.is_none() {
        return Ok((shipped, None));
    }
    let same_code = code_section(&module::sections(input)?) == code_section(&module::sections(&shipped)?);
    let (id, detail) = match input_id {
        Some(id) if same_code => (id, "kept the input's build_id: the code is byte for byte the input's".to_string()),
        Some(_) => {
            let id = derive(&shipped)?;
            (id.clone(), format!("replaced the input's build_id with {}: the code changed", hex(&id)))
        }
        None => {
            let id = derive(&shipped)?;
            (id.clone(), format!("added build_id {} for the debug companion", hex(&id)))
        }
    };
    let before = shipped.len() as i64;
    let carries = |module: &[u8]| -> Result<bool> { Ok(read(module)?.as_deref() == Some(&id[..])) };
    let shipped = if carries(&shipped)? { shipped } else { write(&shipped, &id)? };
    let companion = match companion {
        Some(c) if !carries(&c)? => Some(write(&c, &id)?),
        other => other,
    };
    // An input that carries the id shipped it already (no pass drops `build_id`),
    // so nothing was written.
    steps.push(match carries(input)? {
        true => Step::unchanged(PASS, detail),
        false => Step::applied(PASS, detail, before - shipped.len() as i64),
    });
    Ok((shipped, companion))
}

fn code_section<'a>(sections: &[Section<'a>]) -> Option<&'a [u8]> {
    sections.iter().find(|s| s.custom_name.is_none() && s.id == SectionId::Code).map(|s| s.raw)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
