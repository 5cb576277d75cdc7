//! Renumbering a module: old → new index maps for every index space, applied to
//! every section that mentions an index. Shared by the passes that drop items
//! (remove-unused: maps that compact) and that reorder them (align-to-previous: a
//! permutation of the defined functions). Sections whose indices keep their numbers
//! are copied raw, bodies where only function and global numbers change are patched
//! in place, and the rest are re-encoded operator by operator.

use crate::analysis::items::ModuleItems;
use crate::analysis::used::{index_site, HighestRefs, SiteIndex, Used};
use crate::module::{self, encode, rewrite_names as rewrite_names_with, Edits, NameMaps, Section, SectionId};
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasmparser::ExternalKind;

pub const REMOVED: u32 = module::REMOVED;

/// Old index → new index for every space; `REMOVED` for what goes.
pub struct IndexMaps {
    pub funcs: Vec<u32>,
    pub tables: Vec<u32>,
    pub globals: Vec<u32>,
    pub tags: Vec<u32>,
    pub elems: Vec<u32>,
    pub types: Vec<u32>,
    /// Per space, the lowest index whose number changes (`UNCHANGED` if none):
    /// everything below it keeps its number. Asked once per function body, so
    /// computed once here rather than by scanning the maps each time.
    pub first_changed: FirstChanged,
}

pub const UNCHANGED: u32 = u32::MAX;

pub struct FirstChanged {
    pub func: u32,
    pub table: u32,
    pub global: u32,
    pub tag: u32,
    pub elem: u32,
    pub ty: u32,
}

fn first_changed(map: &[u32]) -> u32 {
    map.iter().enumerate().find(|(old, new)| **new != *old as u32).map_or(UNCHANGED, |(old, _)| old as u32)
}

/// Whether every index up to `highest` is below `first`, the first that changes.
fn fits(highest: Option<u32>, first: u32) -> bool {
    highest.is_none_or(|h| h < first)
}

impl IndexMaps {
    /// The maps, one per space (old index → new index, `REMOVED` for what goes).
    pub fn new(funcs: Vec<u32>, tables: Vec<u32>, globals: Vec<u32>, tags: Vec<u32>, elems: Vec<u32>, types: Vec<u32>) -> Self {
        let first_changed = FirstChanged {
            func: first_changed(&funcs),
            table: first_changed(&tables),
            global: first_changed(&globals),
            tag: first_changed(&tags),
            elem: first_changed(&elems),
            ty: first_changed(&types),
        };
        IndexMaps { funcs, tables, globals, tags, elems, types, first_changed }
    }

    pub fn is_identity(&self) -> bool {
        let f = &self.first_changed;
        [f.func, f.table, f.global, f.tag, f.elem, f.ty].iter().all(|&first| first == UNCHANGED)
    }

    /// Whether a body whose highest indices are `refs` reads the same after renumbering.
    fn keeps_numbers_of(&self, refs: &HighestRefs) -> bool {
        fits(refs.func, self.first_changed.func) && self.keeps_all_but_function_numbers_of(refs)
    }

    /// Whether, in a body whose highest indices are `refs`, only function indices
    /// can change: then only `call`, `return_call` and `ref.func` need rewriting.
    fn keeps_all_but_function_numbers_of(&self, refs: &HighestRefs) -> bool {
        fits(refs.global, self.first_changed.global) && self.keeps_all_but_function_and_global_numbers_of(refs)
    }

    /// Whether, in a body whose highest indices are `refs`, only function and
    /// global indices can change.
    fn keeps_all_but_function_and_global_numbers_of(&self, refs: &HighestRefs) -> bool {
        let f = &self.first_changed;
        fits(refs.table, f.table)
            && fits(refs.tag, f.tag)
            && fits(refs.elem, f.elem)
            && fits(refs.ty, f.ty)
    }
}

pub type Hooked = Result<u32, ReencodeError<String>>;

/// wasm-encoder's index hooks over the maps: each index it is shown goes to
/// `each`, with its space's old → new map and the space's name.
struct IndexHooks<'m, F> {
    maps: &'m IndexMaps,
    each: F,
}

impl<F: FnMut(&[u32], u32, &str) -> Hooked> Reencode for IndexHooks<'_, F> {
    type Error = String;

    fn function_index(&mut self, i: u32) -> Hooked {
        (self.each)(&self.maps.funcs, i, "function")
    }
    fn table_index(&mut self, i: u32) -> Hooked {
        (self.each)(&self.maps.tables, i, "table")
    }
    fn global_index(&mut self, i: u32) -> Hooked {
        (self.each)(&self.maps.globals, i, "global")
    }
    fn tag_index(&mut self, i: u32) -> Hooked {
        (self.each)(&self.maps.tags, i, "tag")
    }
    fn element_index(&mut self, i: u32) -> Hooked {
        (self.each)(&self.maps.elems, i, "element segment")
    }
    fn type_index(&mut self, i: u32) -> Hooked {
        (self.each)(&self.maps.types, i, "type")
    }
}

/// The renumbering, as wasm-encoder's re-encoding hooks.
type Renumber<'m> = IndexHooks<'m, fn(&[u32], u32, &str) -> Hooked>;

fn renumbering(maps: &IndexMaps) -> Renumber<'_> {
    IndexHooks { maps, each: mapped }
}

fn mapped(map: &[u32], index: u32, what: &str) -> Hooked {
    match map.get(index as usize) {
        Some(&new) if new != REMOVED => Ok(new),
        _ => Err(ReencodeError::UserError(format!("a kept item uses removed {what} {index}"))),
    }
}

pub type Rewritten = Result<Vec<u8>, ReencodeError<String>>;

/// Writes the module with the maps applied; sections that do not change are raw.
pub fn rewrite(sections: &[Section<'_>], items: &ModuleItems<'_>, used: &Used, maps: &IndexMaps) -> Rewritten {
    let mut edits = Edits::default();
    let missing_declarations = undeclared_ref_funcs(items, used, maps);
    if !missing_declarations.is_empty() && !sections.iter().any(|s| s.is(SectionId::Element)) {
        // `Edits` puts the new element section where the binary order does.
        let mut elements = wasm_encoder::ElementSection::new();
        declare(&mut elements, &missing_declarations);
        edits.set(SectionId::Element, encode(&elements));
    }
    for section in sections {
        let rewritten = match section.id {
            SectionId::Type if maps.first_changed.ty != UNCHANGED => rewrite_types(items, maps)?,
            SectionId::Import if maps.first_changed.ty != UNCHANGED => rewrite_imports(items, maps)?,
            SectionId::Function => rewrite_functions(items, maps)?,
            SectionId::Table => rewrite_tables(items, maps)?,
            SectionId::Global => rewrite_globals(items, maps)?,
            SectionId::Export => rewrite_exports(items, maps)?,
            SectionId::Start => encode(&wasm_encoder::StartSection { function_index: mapped(&maps.funcs, items.start.unwrap(), "function")? }),
            SectionId::Element => rewrite_elements(items, maps, &missing_declarations)?,
            SectionId::Code => rewrite_code(items, used, maps)?,
            SectionId::Data if maps.first_changed.global != UNCHANGED => rewrite_data(items, maps)?,
            SectionId::Tag => rewrite_tags(items, maps)?,
            SectionId::Custom if section.custom_name == Some("name") => rewrite_names(items, maps)?,
            _ => continue,
        };
        edits.replace(section, rewritten);
    }
    Ok(edits.apply(sections))
}

fn rewrite_types(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let mut types = wasm_encoder::TypeSection::new();
    let mut renumber = renumbering(maps);
    for (index, group) in items.rec_groups.iter().enumerate() {
        if maps.types[index] != REMOVED {
            renumber.parse_recursive_type_group(types.ty(), group.clone())?;
        }
    }
    Ok(encode(&types))
}

/// Imports are roots (`analysis::used`): none is ever dropped, so the section
/// changes only when type numbers do.
fn rewrite_imports(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let mut renumber = renumbering(maps);
    let mut imports = wasm_encoder::ImportSection::new();
    for import in &items.imports {
        imports.import(import.module, import.name, renumber.entity_type(import.ty)?);
    }
    Ok(encode(&imports))
}

/// The defined functions that stay, as indices into the function space, in their
/// new order (the old order when the map only compacts).
fn kept_functions(items: &ModuleItems<'_>, maps: &IndexMaps) -> Vec<usize> {
    let mut kept: Vec<usize> = (items.imported_funcs as usize..items.funcs.len()).filter(|&f| maps.funcs[f] != REMOVED).collect();
    kept.sort_by_key(|&f| maps.funcs[f]);
    kept
}

fn rewrite_functions(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let mut functions = wasm_encoder::FunctionSection::new();
    for index in kept_functions(items, maps) {
        functions.function(mapped(&maps.types, items.funcs[index], "type")?);
    }
    Ok(encode(&functions))
}

fn rewrite_tables(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let mut renumber = renumbering(maps);
    let mut tables = wasm_encoder::TableSection::new();
    for (index, table) in items.tables.iter().enumerate().skip(items.imported_tables as usize) {
        if maps.tables[index] == REMOVED {
            continue;
        }
        let ty = renumber.table_type(table.ty)?;
        match &table.init {
            Some(init) => tables.table_with_init(ty, &renumber.const_expr(init.clone())?),
            None => tables.table(ty),
        };
    }
    Ok(encode(&tables))
}

fn rewrite_globals(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let mut renumber = renumbering(maps);
    let mut globals = wasm_encoder::GlobalSection::new();
    for (index, global) in items.globals.iter().enumerate().skip(items.imported_globals as usize) {
        if maps.globals[index] == REMOVED {
            continue;
        }
        let init = global.init.clone().expect("defined globals have an initialiser");
        globals.global(renumber.global_type(global.ty)?, &renumber.const_expr(init)?);
    }
    Ok(encode(&globals))
}

fn rewrite_tags(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let mut renumber = renumbering(maps);
    let mut tags = wasm_encoder::TagSection::new();
    for (index, tag) in items.tags.iter().enumerate().skip(items.imported_tags as usize) {
        if maps.tags[index] != REMOVED {
            tags.tag(renumber.tag_type(*tag)?);
        }
    }
    Ok(encode(&tags))
}

fn rewrite_exports(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let mut renumber = renumbering(maps);
    let mut exports = wasm_encoder::ExportSection::new();
    for export in &items.exports {
        renumber.parse_export(&mut exports, *export)?;
    }
    Ok(encode(&exports))
}

fn rewrite_elements(items: &ModuleItems<'_>, maps: &IndexMaps, missing_declarations: &[u32]) -> Rewritten {
    let mut renumber = renumbering(maps);
    let mut elements = wasm_encoder::ElementSection::new();
    for (index, element) in items.elements.iter().enumerate() {
        if maps.elems[index] != REMOVED {
            renumber.parse_element(&mut elements, element.clone())?;
        }
    }
    declare(&mut elements, missing_declarations);
    Ok(encode(&elements))
}

/// Adds a declarative segment for functions `ref.func` names in code that no
/// kept segment, global or export declares any more (their declarer was removed).
fn declare(elements: &mut wasm_encoder::ElementSection, new_indices: &[u32]) {
    if !new_indices.is_empty() {
        elements.declared(wasm_encoder::Elements::Functions(new_indices.to_vec().into()));
    }
}

/// New indices of functions used by `ref.func` in kept code and no longer declared.
fn undeclared_ref_funcs(items: &ModuleItems<'_>, used: &Used, maps: &IndexMaps) -> Vec<u32> {
    let mut declared = vec![false; items.funcs.len()];
    for (index, element) in items.elements.iter().enumerate() {
        if maps.elems[index] == REMOVED {
            continue;
        }
        match element.items.clone() {
            wasmparser::ElementItems::Functions(funcs) => {
                funcs.into_iter().flatten().for_each(|f| declared[f as usize] = true)
            }
            wasmparser::ElementItems::Expressions(_, exprs) => {
                exprs.into_iter().flatten().for_each(|e| mark_ref_funcs(&e, &mut declared))
            }
        }
    }
    let kept_globals = items.globals.iter().enumerate().filter(|(i, _)| maps.globals[*i] != REMOVED);
    let kept_tables = items.tables.iter().enumerate().filter(|(i, _)| maps.tables[*i] != REMOVED);
    let inits = kept_globals.filter_map(|(_, g)| g.init.as_ref()).chain(kept_tables.filter_map(|(_, t)| t.init.as_ref()));
    inits.for_each(|init| mark_ref_funcs(init, &mut declared));
    for export in &items.exports {
        if matches!(export.kind, ExternalKind::Func | ExternalKind::FuncExact) {
            declared[export.index as usize] = true;
        }
    }
    used.ref_funcs_in_code.iter().filter(|&&f| !declared[f as usize]).map(|&f| maps.funcs[f as usize]).collect()
}

fn mark_ref_funcs(expr: &wasmparser::ConstExpr<'_>, declared: &mut [bool]) {
    for op in expr.get_operators_reader().into_iter().flatten() {
        if let wasmparser::Operator::RefFunc { function_index } = op {
            declared[function_index as usize] = true;
        }
    }
}

fn rewrite_code(items: &ModuleItems<'_>, used: &Used, maps: &IndexMaps) -> Rewritten {
    let imported = items.imported_funcs as usize;
    let kept: Vec<(usize, &wasmparser::FunctionBody)> =
        kept_functions(items, maps).into_iter().map(|f| (f - imported, &items.bodies[f - imported])).collect();
    let code_bytes = kept.iter().map(|(_, body)| body.as_bytes().len()).sum();
    let threads = crate::parallel::threads_for(kept.len(), code_bytes, crate::parallel::CODE_BYTES_PER_THREAD);
    // `None`: the body keeps every number it mentions and is copied raw.
    let renumbered = crate::parallel::map_init(&kept, threads, || renumbering(maps), |renumber, _, (body_index, body)| -> Result<Option<Vec<u8>>, ReencodeError<String>> {
        let refs = &used.body_refs[*body_index];
        if maps.keeps_numbers_of(refs) {
            return Ok(None);
        }
        if let (true, Some(sites)) = (maps.keeps_all_but_function_and_global_numbers_of(refs), &used.body_sites[*body_index]) {
            return renumber_sites(maps, body.as_bytes(), sites).map(Some);
        }
        renumber_body(renumber, body, maps.keeps_all_but_function_numbers_of(refs)).map(Some)
    });
    let mut code = wasm_encoder::CodeSection::new();
    for ((_, body), renumbered) in kept.iter().zip(renumbered) {
        match renumbered? {
            Some(raw) => code.raw(&raw),
            None => code.raw(body.as_bytes()),
        };
    }
    Ok(encode(&code))
}

/// A body in which only function and global numbers change, all of them at its
/// index `sites` (see `analysis::used::index_site`): copied byte for byte with
/// the new index written after each site's opcode, no operator decoded.
fn renumber_sites(maps: &IndexMaps, raw: &[u8], sites: &[u32]) -> Rewritten {
    use wasm_encoder::Encode;
    let mut out = Vec::with_capacity(raw.len());
    let mut copied_to = 0;
    for &site in sites {
        let Some(site) = renumbered_site(maps, raw, site as usize)? else {
            return Err(ReencodeError::UserError(format!("no index site at body offset {site}")));
        };
        if site.new != site.old {
            out.extend_from_slice(&raw[copied_to..=site.opcode_at]);
            site.new.encode(&mut out);
            copied_to = site.end;
        }
    }
    out.extend_from_slice(&raw[copied_to..]);
    Ok(out)
}

/// An index site's operator (see `analysis::used::index_site`) with its index
/// renumbered: the opcode byte at `opcode_at`, then the index up to `end`.
struct RenumberedSite {
    opcode_at: usize,
    old: u32,
    new: u32,
    end: usize,
}

/// The operator starting at `at` in a body's bytes `raw`, renumbered, if it is an
/// index site; `None` for any other operator.
fn renumbered_site(maps: &IndexMaps, raw: &[u8], at: usize) -> Result<Option<RenumberedSite>, ReencodeError<String>> {
    let Some(space) = index_site(raw[at]) else { return Ok(None) };
    let mut reader = wasmparser::BinaryReader::new(&raw[at + 1..], 0);
    let old = reader.read_var_u32()?;
    let new = match space {
        SiteIndex::Function => mapped(&maps.funcs, old, "function")?,
        SiteIndex::Global => mapped(&maps.globals, old, "global")?,
    };
    Ok(Some(RenumberedSite { opcode_at: at, old, new, end: at + 1 + reader.current_position() }))
}

/// One body with its indices renumbered, as raw bytes for the code section, for
/// bodies `renumber_sites` cannot take (a table, tag, element segment or type
/// number changes, or an operator other than a site names a function or global).
/// wasm-encoder re-encodes the locals and each operator whose numbers change,
/// except the commonest (calls, `ref.func`, `global.get`/`set`: one opcode byte
/// and one index), which keep their opcode byte and get the new index after it.
/// Every other operator is copied byte for byte, unchecked when
/// `only_functions_shift` (no other operator names a function). Re-encoding every
/// operator of every renumbered body took 4.5 of debug web-tree-sitter's 12 ms.
fn renumber_body(renumber: &mut Renumber<'_>, body: &wasmparser::FunctionBody<'_>, only_functions_shift: bool) -> Rewritten {
    use wasm_encoder::Encode;
    let mut function = renumber.new_function_with_parsed_locals(body)?;
    let raw = body.as_bytes();
    let base = body.get_binary_reader().original_position();
    let mut reader = body.get_operators_reader()?;
    let mut copied_to = (reader.original_position() - base) as usize;
    let mut replacement = Vec::new();
    while !reader.eof() {
        let start = (reader.original_position() - base) as usize;
        let op = reader.read()?;
        let end = (reader.original_position() - base) as usize;
        replacement.clear();
        match renumbered_site(renumber.maps, raw, start)? {
            Some(site) if site.old == site.new => continue,
            Some(site) => {
                replacement.push(raw[start]);
                site.new.encode(&mut replacement);
            }
            None if only_functions_shift || !shifts_an_index(renumber.maps, op.clone())? => continue,
            None => renumber.instruction(op)?.encode(&mut replacement),
        }
        function.raw(raw[copied_to..start].iter().copied());
        function.raw(replacement.iter().copied());
        copied_to = end;
    }
    function.raw(raw[copied_to..].iter().copied());
    Ok(function.into_raw_body())
}

/// Whether `op` mentions an index whose number changes.
fn shifts_an_index(maps: &IndexMaps, op: wasmparser::Operator<'_>) -> Result<bool, ReencodeError<String>> {
    let mut found = false;
    let note = |map: &[u32], i: u32, _: &str| {
        found |= map.get(i as usize) != Some(&i);
        Ok(i)
    };
    crate::analysis::mentions::mentions(&mut IndexHooks { maps, each: note }, op, &mut |_| {})?;
    Ok(found)
}

fn rewrite_data(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let mut renumber = renumbering(maps);
    let mut data = wasm_encoder::DataSection::new();
    for segment in &items.data {
        renumber.parse_data(&mut data, segment.clone())?;
    }
    Ok(encode(&data))
}

/// The name section with removed entries dropped and the rest renumbered.
fn rewrite_names(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let (payload, offset) = items.name_section.expect("a name section was seen");
    let name_maps = NameMaps {
        funcs: &maps.funcs,
        types: &maps.types,
        tables: &maps.tables,
        globals: &maps.globals,
        elems: &maps.elems,
        tags: &maps.tags,
        drop_data_names: false,
    };
    Ok(rewrite_names_with(payload, offset, &name_maps)?)
}
