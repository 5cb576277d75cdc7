//! Byte-level edits of a module's sections for passes that add a few items and
//! leave everything else alone: append entries to a vector section (every
//! existing entry keeps its bytes and its index), replace or drop a section, and
//! insert a missing section at the place the binary format orders it.

use crate::module::Section;
use wasm_encoder::Encode;

/// Where a known section must stand among the others (the binary format's order,
/// which is not the order of the ids: tag and datacount sit between others).
pub fn order_rank(id: u8) -> u8 {
    match id {
        1 => 1,   // type
        2 => 2,   // import
        3 => 3,   // function
        4 => 4,   // table
        5 => 5,   // memory
        13 => 6,  // tag
        6 => 7,   // global
        7 => 8,   // export
        8 => 9,   // start
        9 => 10,  // element
        12 => 11, // datacount
        10 => 12, // code
        11 => 13, // data
        _ => 0,
    }
}

/// A section's content: what follows its id and size.
pub fn content<'a>(section: &Section<'a>) -> &'a [u8] {
    let mut at = 1;
    while section.raw[at] & 0x80 != 0 {
        at += 1;
    }
    &section.raw[at + 1..]
}

fn read_leb_u32(bytes: &[u8]) -> (u32, usize) {
    let (mut value, mut shift, mut at) = (0u32, 0, 0);
    loop {
        let byte = bytes[at];
        value |= u32::from(byte & 0x7f) << shift;
        at += 1;
        if byte & 0x80 == 0 {
            return (value, at);
        }
        shift += 7;
    }
}

/// A whole section (id, size, content) from its content.
pub fn section(id: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![id];
    content.len().encode(&mut out);
    out.extend_from_slice(content);
    out
}

/// A vector section (count, then entries) with `added` more entries, already
/// encoded in `entries`, after the existing ones. `existing` is `None` when the
/// module has no such section yet.
pub fn append_entries(
    id: u8,
    existing: Option<&Section<'_>>,
    added: u32,
    entries: &[u8],
) -> Vec<u8> {
    let (count, items) = match existing {
        Some(s) => {
            let content = content(s);
            let (count, len) = read_leb_u32(content);
            (count, &content[len..])
        }
        None => (0, &[][..]),
    };
    let mut body = Vec::with_capacity(items.len() + entries.len() + 5);
    (count + added).encode(&mut body);
    body.extend_from_slice(items);
    body.extend_from_slice(entries);
    section(id, &body)
}

/// What becomes of each known section id: kept raw when absent from the edit.
#[derive(Default)]
pub struct Edits {
    /// id → the new whole section, or `None` to drop it.
    replaced: Vec<(u8, Option<Vec<u8>>)>,
}

impl Edits {
    /// Replaces section `id` with `raw` (a whole section), inserting it if absent.
    pub fn set(&mut self, id: u8, raw: Vec<u8>) {
        self.replaced.retain(|(i, _)| *i != id);
        self.replaced.push((id, Some(raw)));
    }

    pub fn remove(&mut self, id: u8) {
        self.replaced.retain(|(i, _)| *i != id);
        self.replaced.push((id, None));
    }

    /// The module with the edits applied. Custom sections stay where they were;
    /// a new section goes right before the first known section ordered after it.
    pub fn apply(self, sections: &[Section<'_>]) -> Vec<u8> {
        let present = |id: u8| {
            sections
                .iter()
                .any(|s| s.custom_name.is_none() && s.id == id)
        };
        let mut inserted: Vec<(u8, &[u8])> = self
            .replaced
            .iter()
            .filter(|(id, _)| !present(*id))
            .filter_map(|(id, raw)| raw.as_deref().map(|raw| (order_rank(*id), raw)))
            .collect();
        inserted.sort_by_key(|(rank, _)| *rank);
        let mut pending = inserted.into_iter().peekable();
        let mut out: Vec<&[u8]> = Vec::with_capacity(sections.len() + 4);
        for s in sections {
            if s.custom_name.is_none() {
                let rank = order_rank(s.id);
                while let Some((_, raw)) = pending.next_if(|(r, _)| *r < rank) {
                    out.push(raw);
                }
                if let Some((_, new)) = self.replaced.iter().find(|(id, _)| *id == s.id) {
                    if let Some(new) = new {
                        out.push(new);
                    }
                    continue;
                }
            }
            out.push(s.raw);
        }
        out.extend(pending.map(|(_, raw)| raw));
        crate::module::assemble(out)
    }
}
