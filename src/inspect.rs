//! `inspect`: what a module contains, for tools and for the plugin's glue (which
//! needs the import modules and export names to write an ES module wrapper).

use crate::error::Result;
use crate::module;
use wasmparser::{DataKind, ExternalKind, TypeRef};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionInfo {
    pub name: String,
    pub offset: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportInfo {
    pub module: String,
    pub name: String,
    /// `func`, `table`, `memory`, `global` or `tag`.
    pub kind: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportInfo {
    pub name: String,
    pub kind: &'static str,
    pub index: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryInfo {
    pub imported: bool,
    pub initial_pages: u64,
    pub maximum_pages: Option<u64>,
    pub memory64: bool,
    pub shared: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSegmentInfo {
    /// `active` or `passive`.
    pub mode: &'static str,
    pub memory: u32,
    /// The destination when it is a constant; `None` for passive segments and for
    /// offsets computed from globals.
    pub offset: Option<u64>,
    pub size: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    pub sections: Vec<SectionInfo>,
    pub imports: Vec<ImportInfo>,
    pub exports: Vec<ExportInfo>,
    pub memories: Vec<MemoryInfo>,
    pub data_segments: Vec<DataSegmentInfo>,
    /// Imported plus defined functions.
    pub function_count: u32,
}

pub fn inspect(bytes: &[u8]) -> Result<ModuleInfo> {
    module::validate(bytes)?;
    inspect_validated(bytes)
}

/// `inspect` of a module that has just been validated (`transform`'s output), so
/// it is not validated twice.
pub fn inspect_validated(bytes: &[u8]) -> Result<ModuleInfo> {
    let sections = module::sections(bytes)?;
    let mut info = ModuleInfo {
        sections: sections
            .iter()
            .map(|s| SectionInfo { name: s.display_name(), offset: s.offset, bytes: s.raw.len() as u64 })
            .collect(),
        ..ModuleInfo::default()
    };
    let facts = module::Facts::read(&sections)?;
    info.imports = facts
        .imports
        .iter()
        .map(|import| ImportInfo { module: import.module.to_string(), name: import.name.to_string(), kind: type_ref_kind(&import.ty) })
        .collect();
    info.memories = facts.memories.iter().map(|m| memory_info(m.ty, m.import.is_some())).collect();
    info.function_count = facts.funcs;
    info.exports = facts
        .exports
        .iter()
        .map(|export| ExportInfo { name: export.name.to_string(), kind: external_kind(export.kind), index: export.index })
        .collect();
    info.data_segments = facts
        .data
        .iter()
        .map(|data| match &data.kind {
            DataKind::Passive => DataSegmentInfo { mode: "passive", memory: 0, offset: None, size: data.data.len() as u64 },
            DataKind::Active { memory_index, offset_expr } => DataSegmentInfo {
                mode: "active",
                memory: *memory_index,
                offset: module::constant_offset(offset_expr),
                size: data.data.len() as u64,
            },
        })
        .collect();
    Ok(info)
}

fn memory_info(ty: wasmparser::MemoryType, imported: bool) -> MemoryInfo {
    MemoryInfo {
        imported,
        initial_pages: ty.initial,
        maximum_pages: ty.maximum,
        memory64: ty.memory64,
        shared: ty.shared,
    }
}

fn type_ref_kind(ty: &TypeRef) -> &'static str {
    match ty {
        TypeRef::Func(_) | TypeRef::FuncExact(_) => "func",
        TypeRef::Table(_) => "table",
        TypeRef::Memory(_) => "memory",
        TypeRef::Global(_) => "global",
        TypeRef::Tag(_) => "tag",
    }
}

fn external_kind(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => "func",
        ExternalKind::Table => "table",
        ExternalKind::Memory => "memory",
        ExternalKind::Global => "global",
        ExternalKind::Tag => "tag",
    }
}
