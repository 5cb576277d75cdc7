//! A module seen as a list of raw sections: how passes read their input and write
//! their output. Sections a pass does not touch are copied byte for byte, header
//! included, so an untouched module comes back identical.

use crate::error::{Error, ErrorCode, Result};
use crate::report::SectionSize;
use crate::parallel;
use crate::analysis::used::{BodyScanResult, Scanner};
use wasmparser::{
    BinaryReader, FuncToValidate, FuncValidatorAllocations, FunctionBody, Parser, ValidPayload,
    Validator, ValidatorResources, WasmFeatures,
};

pub const CUSTOM_SECTION: u8 = 0;
pub const IMPORT_SECTION: u8 = 2;
pub const MEMORY_SECTION: u8 = 5;
pub const CODE_SECTION: u8 = 10;
pub const DATA_SECTION: u8 = 11;
pub const DATA_COUNT_SECTION: u8 = 12;

/// The 8 bytes every core module starts with: magic, then version 1.
const MODULE_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/// One section of the input, borrowed.
#[derive(Clone, Debug)]
pub struct Section<'a> {
    pub id: u8,
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
    pub fn content_reader(&self) -> Result<BinaryReader<'a>> {
        let malformed = |e: wasmparser::BinaryReaderError| Error::malformed(&e);
        let mut header = BinaryReader::new(self.raw, self.offset);
        header.read_u8().map_err(malformed)?;
        let size = header.read_var_u32().map_err(malformed)? as usize;
        let start = header.original_position();
        Ok(BinaryReader::new(header.read_bytes(size).map_err(malformed)?, start))
    }

    /// `type`, `code`, …, or `custom:<name>`.
    pub fn display_name(&self) -> String {
        match self.custom_name {
            Some(name) => format!("custom:{name}"),
            None => known_section_name(self.id).to_string(),
        }
    }
}

fn known_section_name(id: u8) -> &'static str {
    match id {
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "datacount",
        13 => "tag",
        _ => "unknown",
    }
}

/// Custom sections only a relocatable object file (a linker's input, not a module
/// to ship) carries; passes that renumber anything leave such files alone.
pub fn is_object_file_section(name: &str) -> bool {
    name == "linking" || name.starts_with("reloc.")
}

/// Full validation with every feature wasmparser knows: a module the browser would
/// take must never be refused, and anything else is reported with its offset.
pub fn validate(bytes: &[u8]) -> Result<()> {
    reject_non_module(bytes)?;
    validate_with(bytes, |_| true, FuncValidatorAllocations::default, validate_body).map(drop)
}

/// `validate`, scanning each function body for what it mentions in the same read
/// of its operators (see `analysis::used`): one scan per body, in order.
pub fn validate_and_scan(bytes: &[u8]) -> Result<Vec<BodyScanResult>> {
    reject_non_module(bytes)?;
    validate_with(bytes, |_| true, Scanner::default, |scanner, func, body| scanner.validate_and_scan(func, body))
}

/// Validates a pass's `output`, given that `input` passed `validate`. An output
/// that differs from the input only in custom sections is valid as it stands.
/// Otherwise everything is checked except, when `code_context_unchanged` holds, the function bodies:
/// they are then byte for byte the input's, and a body's validity depends only on
/// its bytes and on the sections it is checked against, which are the input's too.
pub fn validate_output(input: &[u8], output: &[u8]) -> Result<()> {
    reject_non_module(output)?;
    let (before, after) = (sections(input)?, sections(output)?);
    if raw_sections_except(&before, &[CUSTOM_SECTION]).eq(raw_sections_except(&after, &[CUSTOM_SECTION])) {
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
    raw_sections_except(a, &[CUSTOM_SECTION, DATA_SECTION]).eq(raw_sections_except(b, &[CUSTOM_SECTION, DATA_SECTION]))
}

/// The raw bytes of the sections whose id is not in `ids`, in order.
fn raw_sections_except<'s, 'a>(sections: &'s [Section<'a>], ids: &'s [u8]) -> impl Iterator<Item = &'a [u8]> + 's {
    sections.iter().filter(move |s| !ids.contains(&s.id)).map(|s| s.raw)
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

type Func = FuncToValidate<ValidatorResources>;

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
        let id = reader.read_u8().map_err(malformed)?;
        let size = reader.read_var_u32().map_err(malformed)? as usize;
        let content_offset = reader.original_position();
        let content = reader.read_bytes(size).map_err(malformed)?;
        let custom_name = match id {
            CUSTOM_SECTION => Some(BinaryReader::new(content, content_offset).read_string().map_err(malformed)?),
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
}
