//! The section vocabulary: which sections exist, their names, and the order the
//! binary format puts them in. Ids are wasm-encoder's `SectionId`, so the encoder's
//! section builders and our raw edits speak one dialect.

pub use wasm_encoder::SectionId;

/// Every section id, in the order the binary format requires: not the order of
/// the ids, since tag and datacount sit between others. Custom sections may stand
/// anywhere and are not in the list.
const BINARY_ORDER: [SectionId; 13] = [
    SectionId::Type,
    SectionId::Import,
    SectionId::Function,
    SectionId::Table,
    SectionId::Memory,
    SectionId::Tag,
    SectionId::Global,
    SectionId::Export,
    SectionId::Start,
    SectionId::Element,
    SectionId::DataCount,
    SectionId::Code,
    SectionId::Data,
];

/// The id a section header's first byte names, if it is one the format knows.
pub fn section_id(byte: u8) -> Option<SectionId> {
    std::iter::once(SectionId::Custom).chain(BINARY_ORDER).find(|&id| u8::from(id) == byte)
}

/// Where a known section stands in `BINARY_ORDER` (1 for type … 13 for data); 0 for
/// custom sections.
pub fn order_rank(id: SectionId) -> usize {
    BINARY_ORDER.iter().position(|&known| known == id).map_or(0, |at| at + 1)
}

/// `type`, `code`, …; `custom` for a custom section (which `Section::display_name`
/// names after its own name).
pub fn section_name(id: SectionId) -> &'static str {
    match id {
        SectionId::Custom => "custom",
        SectionId::Type => "type",
        SectionId::Import => "import",
        SectionId::Function => "function",
        SectionId::Table => "table",
        SectionId::Memory => "memory",
        SectionId::Global => "global",
        SectionId::Export => "export",
        SectionId::Start => "start",
        SectionId::Element => "element",
        SectionId::Code => "code",
        SectionId::Data => "data",
        SectionId::DataCount => "datacount",
        SectionId::Tag => "tag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_the_format_knows_maps_to_its_id_and_back() {
        for byte in 0..=13u8 {
            assert_eq!(section_id(byte).map(u8::from), Some(byte));
        }
        assert_eq!(section_id(14), None);
    }

    #[test]
    fn the_binary_order_puts_tag_after_memory_and_datacount_before_code() {
        assert!(order_rank(SectionId::Memory) < order_rank(SectionId::Tag));
        assert!(order_rank(SectionId::Tag) < order_rank(SectionId::Global));
        assert!(order_rank(SectionId::Element) < order_rank(SectionId::DataCount));
        assert!(order_rank(SectionId::DataCount) < order_rank(SectionId::Code));
        assert_eq!(order_rank(SectionId::Custom), 0);
        assert_eq!(order_rank(SectionId::Data), 13);
    }
}
