//! remove-unused: drop functions, globals, tables, tags, element segments and
//! types that nothing reachable uses (see `analysis::used` for the roots).
//!
//! Assumes: a valid module. Never removes imports (a missing or mistyped import
//! makes instantiation fail with a LinkError; dropping an unused one would make
//! that instantiation succeed, which the spec suite's `assert_unlinkable` cases
//! catch), exports, memories, data segments (an active one can trap; passive ones
//! keep their indices), or active and declarative element segments. Types are removed only when every type is a plain
//! function type in a recursion group of its own (GC modules keep all types).
//!
//! Bails out (skipped, with the reason) when a kept custom section points into the
//! code by offset or index in a way we cannot rewrite: DWARF (`.debug_*`),
//! `sourceMappingURL`, `external_debug_info`, branch hints, or the `linking` /
//! `reloc.*` sections of object files. The `name` section is rewritten.
//!
//! Leaves what is unused alone, unchanged with the reason, when removing it saves
//! less than never-worse's noise floor (0.2% of the estimated wire size): such a
//! change would be refused on its own, and riding along with a real one it saves
//! bytes no codec reliably keeps while costing a rewrite and a full validation
//! (biome.wasm's 3 unused types: 0.4 s for at most 120 bytes).
//!
//! Cost: one scan of each function body to find what it uses and where its
//! calls and global accesses sit (done while the input is validated); in the
//! output, sections and function bodies whose indices keep their numbers are
//! copied raw; where only function and global numbers change, bodies are copied
//! with those indices patched in place (`renumber_sites`); the rest are read
//! operator by operator (`renumber_body`). In parallel.

use super::PassResult;
use crate::analysis::items::ModuleItems;
use crate::analysis::used::{index_site, used_items, BodyScanResult, HighestRefs, SiteIndex, Used};
use crate::error::Result;
use crate::module::{self, encode, rewrite_names as rewrite_names_with, Edits, NameMaps, Section, SectionId};
use crate::options::Options;
use crate::policy::{self, under_noise_floor};
use crate::report::Step;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasmparser::ExternalKind;

pub const PASS: &str = "remove-unused";
const REMOVED: u32 = module::REMOVED;

/// The pass. `scans` are the bodies' scans from validating `bytes` (or a module
/// with the same code: see `analysis::used::validate_and_scan`), so they are not
/// read again; `None` reads the bodies here.
pub fn run(bytes: &[u8], options: &Options, scans: Option<Vec<BodyScanResult>>) -> Result<PassResult> {
    let skipped = |why: String| Ok(PassResult { bytes: None, step: Step::skipped(PASS, why) });
    if !options.dce {
        return skipped("turned off (dce: false)".into());
    }
    let sections = module::sections(bytes)?;
    if let Some(name) = sections.iter().filter_map(|s| s.custom_name).find(|n| refers_to_code(n)) {
        return skipped(format!("kept custom section `{name}` refers to code positions that removal would shift"));
    }
    let items = ModuleItems::read(bytes)?;
    let used = match used_items(&items, items.types_are_prunable(), scans) {
        Ok(used) => used,
        Err(e) => return skipped(format!("cannot analyse the module: {e}")),
    };
    let maps = IndexMaps::new(&used);
    if maps.is_identity() {
        let step = Step::unchanged(PASS, "nothing unused");
        return Ok(PassResult { bytes: None, step });
    }
    // Below the noise floor a removal is not worth rewriting the module for (never-
    // worse would refuse it alone), and a rewrite costs a full validation after.
    let most_saved = maps.most_saved(&items);
    if let Some(floor) = under_noise_floor(bytes, most_saved)? {
        let why = format!(
            "kept what is unused ({}): removing it saves at most {most_saved} B, under the noise floor of ≈ {floor} B",
            maps.describe_removed().trim_start_matches("removed "),
        );
        return Ok(PassResult { bytes: None, step: Step::unchanged(PASS, why) });
    }
    let output = match rewrite(&sections, &items, &used, &maps) {
        Ok(output) => output,
        Err(e) => return skipped(format!("cannot re-encode the module: {e}")),
    };
    let step = Step::applied(PASS, maps.describe_removed(), bytes.len() as i64 - output.len() as i64);
    Ok(PassResult { bytes: Some(output), step })
}

/// Custom sections that hold code positions we do not rewrite: removal renumbers
/// functions and rewrites bodies, so positions of every kind would break.
fn refers_to_code(name: &str) -> bool {
    policy::code_positions(name).is_some()
}

/// Old index → new index for every space; `REMOVED` for what goes.
struct IndexMaps {
    funcs: Vec<u32>,
    tables: Vec<u32>,
    globals: Vec<u32>,
    tags: Vec<u32>,
    elems: Vec<u32>,
    types: Vec<u32>,
    /// Per space, the lowest index whose number changes (`UNCHANGED` if none):
    /// everything below it keeps its number. Asked once per function body, so
    /// computed once here rather than by scanning the maps each time.
    first_changed: FirstChanged,
}

const UNCHANGED: u32 = u32::MAX;

struct FirstChanged {
    func: u32,
    table: u32,
    global: u32,
    tag: u32,
    elem: u32,
    ty: u32,
}

/// Numbers the kept entries in order.
fn compact(kept: &[bool]) -> Vec<u32> {
    let mut next = 0;
    kept.iter()
        .map(|&k| {
            if k {
                next += 1;
                next - 1
            } else {
                REMOVED
            }
        })
        .collect()
}

fn first_changed(map: &[u32]) -> u32 {
    map.iter().enumerate().find(|(old, new)| **new != *old as u32).map_or(UNCHANGED, |(old, _)| old as u32)
}

/// Whether every index up to `highest` is below `first`, the first that changes.
fn fits(highest: Option<u32>, first: u32) -> bool {
    highest.is_none_or(|h| h < first)
}

fn removed_count(map: &[u32]) -> usize {
    map.iter().filter(|&&i| i == REMOVED).count()
}

impl IndexMaps {
    fn new(used: &Used) -> Self {
        let (funcs, tables, globals) = (compact(&used.funcs), compact(&used.tables), compact(&used.globals));
        let (tags, elems, types) = (compact(&used.tags), compact(&used.elems), compact(&used.types));
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

    fn is_identity(&self) -> bool {
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

    /// An upper bound on the bytes the removal saves: whole bodies and element
    /// segments, generous constants for the small entries.
    fn most_saved(&self, items: &ModuleItems<'_>) -> usize {
        fn removed(map: &[u32]) -> impl Iterator<Item = usize> + '_ {
            map.iter().enumerate().filter(|(_, &new)| new == REMOVED).map(|(old, _)| old)
        }
        let funcs: usize = removed(&self.funcs)
            .map(|f| items.bodies.get(f - items.imported_funcs as usize).map_or(0, |b| b.as_bytes().len()) + 10)
            .sum();
        let elems: usize = removed(&self.elems).map(|e| { let r = &items.elements[e].range; (r.end - r.start) as usize + 5 }).sum();
        let types: usize = removed(&self.types)
            .flat_map(|t| items.rec_groups[t].types())
            .map(|ty| match &ty.composite_type.inner {
                wasmparser::CompositeInnerType::Func(f) => 16 + 8 * f.params().len() + 8 * f.results().len(),
                _ => 1024,
            })
            .sum();
        let small = 32 * (removed_count(&self.globals) + removed_count(&self.tables) + removed_count(&self.tags));
        funcs + elems + types + small
    }

    fn describe_removed(&self) -> String {
        let parts = [
            (removed_count(&self.funcs), "functions"),
            (removed_count(&self.globals), "globals"),
            (removed_count(&self.tables), "tables"),
            (removed_count(&self.tags), "tags"),
            (removed_count(&self.elems), "element segments"),
            (removed_count(&self.types), "types"),
        ];
        let said: Vec<String> =
            parts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
        format!("removed {}", said.join(", "))
    }
}

type Hooked = Result<u32, ReencodeError<String>>;

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

type Rewritten = Result<Vec<u8>, ReencodeError<String>>;

/// Writes the module with the maps applied; sections that do not change are raw.
fn rewrite(sections: &[Section<'_>], items: &ModuleItems<'_>, used: &Used, maps: &IndexMaps) -> Rewritten {
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

fn rewrite_functions(items: &ModuleItems<'_>, maps: &IndexMaps) -> Rewritten {
    let mut functions = wasm_encoder::FunctionSection::new();
    let defined = items.imported_funcs as usize..items.funcs.len();
    for index in defined {
        if maps.funcs[index] != REMOVED {
            functions.function(mapped(&maps.types, items.funcs[index], "type")?);
        }
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
    let kept: Vec<(usize, &wasmparser::FunctionBody)> = items
        .bodies
        .iter()
        .enumerate()
        .filter(|(body_index, _)| maps.funcs[items.imported_funcs as usize + body_index] != REMOVED)
        .collect();
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
