//! The ground floor: a module seen as a list of raw sections, which is how passes
//! read their input and write their output. Sections a pass does not touch are
//! copied byte for byte, header included, so an untouched module comes back
//! identical. Nothing here knows about analyses or passes.
//!
//! - `ids`: the section vocabulary (wasm-encoder's `SectionId`) and binary order;
//! - this file: splitting a module into `Section`s and `assemble`-ing one again;
//! - `edits`: `Edits`, the one way to insert, replace or drop a section, and
//!   `encode`, the one section encoder;
//! - `facts`: imports, memories, exports, data, counts: what most readers need;
//! - `names`: the one way to edit the `name` section;
//! - `validate`: full validation, validation of a pass's output, and the hook
//!   that lets a body scan ride on the validator's read of the code.

mod edits;
mod facts;
mod ids;
mod names;
mod validate;

pub use edits::{append_entries, custom_byte_vector, encode, raw_section, Edits};
pub use facts::{Facts, Memory};
pub use names::{custom_payload, rewrite_names, NameMaps, REMOVED};
pub use ids::{order_rank, section_id, section_name, SectionId};
pub use validate::{code_context_unchanged, validate, validate_output, validate_visiting};

use crate::error::{Error, ErrorCode, Result};
use crate::report::SectionSize;
use wasmparser::BinaryReader;

/// The 8 bytes every core module starts with: magic, then version 1.
const MODULE_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/// One section of the input, borrowed.
#[derive(Clone, Debug)]
pub struct Section<'a> {
    /// `SectionId::Custom` for custom sections.
    pub id: SectionId,
    /// The custom section's name; `None` for known sections.
    pub custom_name: Option<&'a str>,
    /// The whole section as it stands in the input: id, size, content.
    pub raw: &'a [u8],
    /// Where `raw` starts in the input.
    pub offset: u64,
}

impl<'a> Section<'a> {
    /// A reader over the section's content (after its id and size), at its
    /// offset in the module, for wasmparser's section readers.
    pub fn content_reader(&self) -> BinaryReader<'a> {
        let skipped = self.raw.len() - self.content().len();
        BinaryReader::new(self.content(), self.offset + skipped as u64)
    }

    /// The section's content: what follows its id and size (for a custom section,
    /// its name and then its payload). `sections` has checked the size already.
    pub fn content(&self) -> &'a [u8] {
        // The size is a LEB128: its last byte is the first without the high bit.
        let size_len = self.raw[1..].iter().position(|&b| b & 0x80 == 0).expect("a section header read by `sections`") + 1;
        &self.raw[1 + size_len..]
    }

    /// Whether this is the known section `id` (never true of a custom section).
    pub fn is(&self, id: SectionId) -> bool {
        self.custom_name.is_none() && self.id == id
    }

    /// `type`, `code`, …, or `custom:<name>`.
    pub fn display_name(&self) -> String {
        match self.custom_name {
            Some(name) => format!("custom:{name}"),
            None => section_name(self.id).to_string(),
        }
    }
}

/// `Some(offset)` for an offset expression that is a lone `i32.const`/`i64.const`;
/// `None` for anything else (`global.get`, extended-const arithmetic). An i32
/// offset is unsigned.
pub fn constant_offset(expr: &wasmparser::ConstExpr<'_>) -> Option<u64> {
    // Read by opcode rather than through an operator reader: esbuild.wasm has
    // 98,450 offsets, and each pass that looks at them pays for every one.
    const I32_CONST: u8 = 0x41;
    const I64_CONST: u8 = 0x42;
    const END: u8 = 0x0b;
    let mut reader = expr.get_binary_reader();
    let offset = match reader.read_u8().ok()? {
        I32_CONST => reader.read_var_i32().ok()? as u32 as u64,
        I64_CONST => reader.read_var_i64().ok()? as u64,
        _ => return None,
    };
    (reader.read_u8().ok()? == END && reader.eof()).then_some(offset)
}

/// Catches the two commonest wrong inputs with a plain message: something that is
/// not wasm at all (often an HTML page served in place of the file), and a
/// component, which shares the magic number but is not a core module.
fn reject_non_module(bytes: &[u8]) -> Result<()> {
    if !bytes.starts_with(&MODULE_HEADER[..4]) {
        let looks_like_html = bytes.trim_ascii_start().starts_with(b"<");
        let hint = if looks_like_html {
            "; it looks like HTML (a server answering with a page instead of the file?)"
        } else {
            ""
        };
        return Err(Error::at(
            ErrorCode::Malformed,
            format!("not a WebAssembly module: it does not start with the \\0asm magic number{hint}"),
            0,
        ));
    }
    if bytes.len() >= 8 && bytes[..4] == MODULE_HEADER[..4] && bytes[6..8] == [0x01, 0x00] {
        return Err(Error::at(
            ErrorCode::Unsupported,
            "this is a WebAssembly component, not a core module; wasm-squeeze handles core modules only",
            4,
        ));
    }
    Ok(())
}

/// Splits an already validated module into its sections. Reads only the section
/// headers (id, size, a custom section's name), never their contents, so passes can
/// call it freely.
pub fn sections(bytes: &[u8]) -> Result<Vec<Section<'_>>> {
    let malformed = |e: wasmparser::BinaryReaderError| Error::malformed(&e);
    let mut reader = BinaryReader::new(bytes, 0u64);
    reader.read_bytes(MODULE_HEADER.len()).map_err(malformed)?;
    let mut out = Vec::new();
    while !reader.eof() {
        let start = reader.original_position();
        let byte = reader.read_u8().map_err(malformed)?;
        let id = section_id(byte)
            .ok_or_else(|| Error::at(ErrorCode::Malformed, format!("unknown section id {byte}"), start as u64))?;
        let size = reader.read_var_u32().map_err(malformed)? as usize;
        let content_offset = reader.original_position();
        let content = reader.read_bytes(size).map_err(malformed)?;
        let custom_name = match id {
            SectionId::Custom => Some(BinaryReader::new(content, content_offset).read_string().map_err(malformed)?),
            _ => None,
        };
        out.push(Section { id, custom_name, raw: &bytes[start as usize..reader.original_position() as usize], offset: start as u64 });
    }
    Ok(out)
}

/// Writes a module from whole raw sections (each already carrying its id and size).
pub fn assemble<'a>(raw_sections: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let raw_sections: Vec<&[u8]> = raw_sections.into_iter().collect();
    // Sized up front: growing by doubling copies a 30 MB module several times over.
    let mut out = Vec::with_capacity(MODULE_HEADER.len() + raw_sections.iter().map(|raw| raw.len()).sum::<usize>());
    out.extend_from_slice(&MODULE_HEADER);
    for raw in raw_sections {
        out.extend_from_slice(raw);
    }
    out
}

pub fn section_sizes(sections: &[Section<'_>]) -> Vec<SectionSize> {
    sections
        .iter()
        .map(|s| SectionSize { name: s.display_name(), bytes: s.raw.len() as u64 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{raw_sections, wasm};

    fn offset_of(expr: &[u8]) -> Option<u64> {
        constant_offset(&wasmparser::ConstExpr::new(BinaryReader::new(expr, 0)))
    }

    #[test]
    fn only_a_lone_constant_is_a_constant_offset() {
        assert_eq!(offset_of(&[0x41, 0x80, 0x08, 0x0b]), Some(1024), "i32.const 1024");
        assert_eq!(offset_of(&[0x41, 0x7f, 0x0b]), Some(u32::MAX as u64), "i32.const -1 is unsigned");
        assert_eq!(offset_of(&[0x42, 0x80, 0x80, 0x04, 0x0b]), Some(65536), "i64.const");
        assert_eq!(offset_of(&[0x23, 0x00, 0x0b]), None, "global.get");
        assert_eq!(offset_of(&[0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b]), None, "extended const");
        assert_eq!(offset_of(&[0x41, 0x01, 0x0b, 0x0b]), None, "anything after the end");
        assert_eq!(offset_of(&[0x41, 0x01]), None, "no end");
    }

    #[test]
    fn sections_split_like_wasmparser() {
        let bytes = wasm(
            r#"(module (@custom "a" "1") (type (func)) (func) (@custom "b" (after code) "22") (memory 1) (data (i32.const 0) "x"))"#,
        );
        let ours: Vec<(u8, Option<String>, usize, u64)> = sections(&bytes)
            .unwrap()
            .iter()
            .map(|s| (u8::from(s.id), s.custom_name.map(str::to_string), s.raw.len(), s.offset))
            .collect();
        // `raw_sections` splits with wasmparser's parser.
        let theirs: Vec<(u8, Option<String>, usize, u64)> =
            raw_sections(&bytes).into_iter().map(|s| (s.id, s.custom_name, s.raw.len(), s.offset as u64)).collect();
        assert_eq!(ours, theirs);
        assert_eq!(assemble(sections(&bytes).unwrap().iter().map(|s| s.raw)), bytes);
    }
}
