//! A module with its defined functions in reverse order, every reference renumbered
//! (wasm-encoder's re-encoder, not the crate's code): a "previous deploy" that
//! align-to-previous must map the input onto.
use wasm_encoder::reencode::{Error, Reencode};
use wasmparser::{CodeSectionReader, FunctionSectionReader, Parser, Payload};

struct Reversed {
    imported: u32,
    defined: u32,
}

impl Reversed {
    fn new_index(&self, f: u32) -> u32 {
        if f < self.imported { f } else { self.imported + self.defined - 1 - (f - self.imported) }
    }
}

impl Reencode for Reversed {
    type Error = std::convert::Infallible;

    fn function_index(&mut self, f: u32) -> Result<u32, Error<Self::Error>> {
        Ok(self.new_index(f))
    }

    fn parse_function_section(&mut self, funcs: &mut wasm_encoder::FunctionSection, section: FunctionSectionReader<'_>) -> Result<(), Error<Self::Error>> {
        let types: Vec<u32> = section.into_iter().collect::<Result<_, _>>()?;
        types.iter().rev().for_each(|&ty| {
            funcs.function(ty);
        });
        Ok(())
    }

    fn parse_code_section(&mut self, code: &mut wasm_encoder::CodeSection, section: CodeSectionReader<'_>) -> Result<(), Error<Self::Error>> {
        let bodies: Vec<_> = section.into_iter().collect::<Result<_, _>>()?;
        for body in bodies.into_iter().rev() {
            self.parse_function_body(code, body)?;
        }
        Ok(())
    }
}

/// `None` when the module has fewer than two defined functions or does not re-encode.
pub fn reversed_functions(bytes: &[u8]) -> Option<Vec<u8>> {
    let (mut imported, mut defined) = (0, 0);
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.ok()? {
            Payload::ImportSection(reader) => {
                imported += reader.into_imports().filter(|i| matches!(i.as_ref().map(|i| i.ty), Ok(wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_)))).count() as u32
            }
            Payload::FunctionSection(reader) => defined = reader.count(),
            _ => {}
        }
    }
    if defined < 2 {
        return None;
    }
    let mut module = wasm_encoder::Module::new();
    Reversed { imported, defined }.parse_core_module(&mut module, Parser::new(0), bytes).ok()?;
    Some(module.finish())
}
