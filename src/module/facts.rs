//! The facts most readers need, in one read of the sections that hold them:
//! imports, memories (with the names they are imported or exported under),
//! exports, data segments, the function and global counts, the start function and
//! whether a DataCount section exists. The code is never read: for most modules it
//! is most of the bytes. Passes, analyses and `inspect` all take these from here.

use super::{Section, SectionId};
use crate::error::{Error, Result};
use wasmparser::{
    Data, DataSectionReader, Export, ExportSectionReader, ExternalKind, FunctionSectionReader, GlobalSectionReader,
    Import, ImportSectionReader, MemorySectionReader, MemoryType, TypeRef,
};

/// One memory, imported ones first (as in the index space).
#[derive(Clone, Debug)]
pub struct Memory<'a> {
    pub ty: MemoryType,
    /// `(module, name)` for an imported memory.
    pub import: Option<(&'a str, &'a str)>,
    /// The first name it is exported under.
    pub export: Option<&'a str>,
}

#[derive(Default)]
pub struct Facts<'a> {
    pub imports: Vec<Import<'a>>,
    pub memories: Vec<Memory<'a>>,
    pub exports: Vec<Export<'a>>,
    pub data: Vec<Data<'a>>,
    /// The data section, if there is one.
    pub data_section: Option<Section<'a>>,
    /// Imported plus defined functions.
    pub funcs: u32,
    /// Imported plus defined globals.
    pub globals: u32,
    pub start: Option<u32>,
    pub has_data_count: bool,
}

impl<'a> Facts<'a> {
    /// Reads the facts of an already validated module split by `module::sections`.
    pub fn read(sections: &[Section<'a>]) -> Result<Self> {
        let malformed = |e: wasmparser::BinaryReaderError| Error::malformed(&e);
        let mut facts = Facts::default();
        for section in sections.iter().filter(|s| s.custom_name.is_none()) {
            match section.id {
                SectionId::Import => {
                    for import in ImportSectionReader::new(section.content_reader()).map_err(malformed)?.into_imports() {
                        let import = import.map_err(malformed)?;
                        match import.ty {
                            TypeRef::Func(_) | TypeRef::FuncExact(_) => facts.funcs += 1,
                            TypeRef::Global(_) => facts.globals += 1,
                            TypeRef::Memory(ty) => {
                                facts.memories.push(Memory { ty, import: Some((import.module, import.name)), export: None })
                            }
                            TypeRef::Table(_) | TypeRef::Tag(_) => {}
                        }
                        facts.imports.push(import);
                    }
                }
                SectionId::Function => facts.funcs += FunctionSectionReader::new(section.content_reader()).map_err(malformed)?.count(),
                SectionId::Global => facts.globals += GlobalSectionReader::new(section.content_reader()).map_err(malformed)?.count(),
                SectionId::Memory => {
                    for ty in MemorySectionReader::new(section.content_reader()).map_err(malformed)? {
                        facts.memories.push(Memory { ty: ty.map_err(malformed)?, import: None, export: None });
                    }
                }
                SectionId::Export => {
                    for export in ExportSectionReader::new(section.content_reader()).map_err(malformed)? {
                        facts.exports.push(export.map_err(malformed)?);
                    }
                }
                SectionId::Start => {
                    let mut reader = section.content_reader();
                    facts.start = Some(reader.read_var_u32().map_err(malformed)?);
                }
                SectionId::DataCount => facts.has_data_count = true,
                SectionId::Data => {
                    for data in DataSectionReader::new(section.content_reader()).map_err(malformed)? {
                        facts.data.push(data.map_err(malformed)?);
                    }
                    facts.data_section = Some(section.clone());
                }
                _ => {}
            }
        }
        for export in &facts.exports {
            if export.kind == ExternalKind::Memory {
                let memory = &mut facts.memories[export.index as usize];
                memory.export.get_or_insert(export.name);
            }
        }
        Ok(facts)
    }
}
