//! The `name` section, edited one way: read subsection by subsection with
//! wasmparser's `NameSectionReader`, every entry renumbered or dropped through
//! index maps, and written back with wasm-encoder's `NameSection`. remove-unused
//! renumbers what it keeps; pack-data drops the data segment names.

use super::{encode, Section};
use wasmparser::{BinaryReader, IndirectNameMap, Name, NameMap, NameSectionReader};

/// In an index map, the entry of an item that is gone.
pub const REMOVED: u32 = u32::MAX;

/// Old index → new index (or `REMOVED`) per index space; an empty map keeps
/// every index of its space.
#[derive(Default)]
pub struct NameMaps<'m> {
    pub funcs: &'m [u32],
    pub types: &'m [u32],
    pub tables: &'m [u32],
    pub globals: &'m [u32],
    pub elems: &'m [u32],
    pub tags: &'m [u32],
    /// Drop the data segment names subsection (segments renumbered wholesale).
    pub drop_data_names: bool,
}

/// A custom section's payload (after its name) and where it starts in the module.
pub fn custom_payload<'a>(section: &Section<'a>) -> wasmparser::Result<(&'a [u8], u64)> {
    let reader = wasmparser::CustomSectionReader::new(section.content_reader())?;
    Ok((reader.data(), reader.data_offset()))
}

/// The whole `name` section rebuilt from `payload` (at `offset` in the module)
/// with `maps` applied.
pub fn rewrite_names(payload: &[u8], offset: u64, maps: &NameMaps<'_>) -> wasmparser::Result<Vec<u8>> {
    let mut names = wasm_encoder::NameSection::new();
    let same: &[u32] = &[];
    for subsection in NameSectionReader::new(BinaryReader::new(payload, offset)) {
        match subsection? {
            Name::Module { name, .. } => names.module(name),
            Name::Function(map) => names.functions(&kept_names(map, maps.funcs)?),
            Name::Local(map) => names.locals(&kept_indirect_names(map, maps.funcs)?),
            Name::Label(map) => names.labels(&kept_indirect_names(map, maps.funcs)?),
            Name::Type(map) => names.types(&kept_names(map, maps.types)?),
            Name::Table(map) => names.tables(&kept_names(map, maps.tables)?),
            Name::Memory(map) => names.memories(&kept_names(map, same)?),
            Name::Global(map) => names.globals(&kept_names(map, maps.globals)?),
            Name::Element(map) => names.elements(&kept_names(map, maps.elems)?),
            Name::Data(_) if maps.drop_data_names => {}
            Name::Data(map) => names.data(&kept_names(map, same)?),
            Name::Tag(map) => names.tags(&kept_names(map, maps.tags)?),
            Name::Field(map) => names.fields(&kept_indirect_names(map, maps.types)?),
            Name::Parameter(map) => names.parameters(&kept_indirect_names(map, maps.types)?),
            Name::TagParameter(map) => names.tag_parameters(&kept_indirect_names(map, maps.tags)?),
            Name::Unknown { ty, data, .. } => names.raw(ty, data),
        }
    }
    Ok(encode(&names))
}

/// Looks an index up in `map`; an empty map means the space is not renumbered.
fn renamed(map: &[u32], index: u32) -> Option<u32> {
    if map.is_empty() {
        return Some(index);
    }
    map.get(index as usize).copied().filter(|&new| new != REMOVED)
}

// Name maps list indices in increasing order (engines drop a name section that
// does not): a map that reorders a space (align-to-previous) needs the sort.
fn kept_names(map: NameMap<'_>, space: &[u32]) -> wasmparser::Result<wasm_encoder::NameMap> {
    let mut kept = Vec::new();
    for naming in map {
        let naming = naming?;
        if let Some(index) = renamed(space, naming.index) {
            kept.push((index, naming.name));
        }
    }
    kept.sort_by_key(|&(index, _)| index);
    let mut out = wasm_encoder::NameMap::new();
    kept.into_iter().for_each(|(index, name)| out.append(index, name));
    Ok(out)
}

fn kept_indirect_names(map: IndirectNameMap<'_>, space: &[u32]) -> wasmparser::Result<wasm_encoder::IndirectNameMap> {
    let mut kept = Vec::new();
    for naming in map {
        let naming = naming?;
        if let Some(index) = renamed(space, naming.index) {
            kept.push((index, kept_names(naming.names, &[])?));
        }
    }
    kept.sort_by_key(|(index, _)| *index);
    let mut out = wasm_encoder::IndirectNameMap::new();
    kept.iter().for_each(|(index, names)| out.append(*index, names));
    Ok(out)
}
