//! What a module uses, starting from what the outside world can reach.
//!
//! Roots: imports and exports (a missing or mistyped import fails instantiation
//! with a LinkError, so dropping even an unused one changes behaviour), the start
//! function, active and declarative element segments (an active segment can trap
//! at instantiation, so it is never removed, and everything it names is used),
//! the offset expressions of active data segments.
//! From there a worklist follows every index an item mentions. Indices are found
//! by re-encoding each item through a recording `Reencode`, so every place
//! wasm-encoder knows an index can hide (block types, heap types, locals, const
//! expressions) is covered without a hand-written list; instructions in code tell
//! the same hooks what they mention through `mentions`, which reads operands by
//! wasmparser's own operator list instead of re-encoding each one.
//! Function bodies, the bulk of the work, are scanned up front and in parallel
//! (unreachable ones too, which costs little since release builds have few),
//! normally while `transform` validates the input, so the operators are decoded
//! once for both; the worklist then only reads each body's list of what it
//! mentions. The scan also notes where each call and global access starts, so
//! renumbering can patch those without decoding the body again.

use super::items::ModuleItems;
use super::mentions::{mentions, MentionsThen};
use wasm_encoder::reencode::{utils, Error as ReencodeError, Reencode};
use wasmparser::{
    ElementKind, ExternalKind, FuncToValidate, FuncValidatorAllocations, FunctionBody, Operator,
    WasmFeatures, WasmModuleResources,
};

/// One entry of an index space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Item {
    Func(u32),
    Table(u32),
    Global(u32),
    Tag(u32),
    Elem(u32),
    Type(u32),
}

/// The highest index of each space a function body mentions, or `None` if it
/// mentions none: a body whose indices all keep their number can be copied raw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HighestRefs {
    pub func: Option<u32>,
    pub table: Option<u32>,
    pub global: Option<u32>,
    pub tag: Option<u32>,
    pub elem: Option<u32>,
    pub ty: Option<u32>,
}

impl HighestRefs {
    fn note(&mut self, item: Item) {
        let (slot, index) = match item {
            Item::Func(i) => (&mut self.func, i),
            Item::Table(i) => (&mut self.table, i),
            Item::Global(i) => (&mut self.global, i),
            Item::Tag(i) => (&mut self.tag, i),
            Item::Elem(i) => (&mut self.elem, i),
            Item::Type(i) => (&mut self.ty, i),
        };
        *slot = Some(slot.map_or(index, |s| s.max(index)));
    }
}

#[derive(Debug, Default)]
pub struct Used {
    pub funcs: Vec<bool>,
    pub tables: Vec<bool>,
    pub globals: Vec<bool>,
    pub tags: Vec<bool>,
    pub elems: Vec<bool>,
    pub types: Vec<bool>,
    /// Functions named by `ref.func` inside function bodies: each must stay
    /// declared (by an element segment, export or global) in the output.
    pub ref_funcs_in_code: Vec<u32>,
    /// For each defined function, the highest indices its body mentions.
    pub body_refs: Vec<HighestRefs>,
    /// For each defined function, its index sites (see `BodyScan::sites`).
    pub body_sites: Vec<Option<Vec<u32>>>,
}

impl Used {
    fn slot(&mut self, item: Item) -> &mut bool {
        match item {
            Item::Func(i) => &mut self.funcs[i as usize],
            Item::Table(i) => &mut self.tables[i as usize],
            Item::Global(i) => &mut self.globals[i as usize],
            Item::Tag(i) => &mut self.tags[i as usize],
            Item::Elem(i) => &mut self.elems[i as usize],
            Item::Type(i) => &mut self.types[i as usize],
        }
    }
}

/// A `Reencode` that changes nothing and writes down every index it is shown.
#[derive(Default)]
struct Recorder {
    found: Vec<Item>,
    ref_funcs: Vec<u32>,
    /// In a function body: where the operator being read starts (an offset into
    /// the body's bytes), and where each function or global mention was.
    at: u32,
    mentioned_at: Vec<u32>,
}

impl Reencode for Recorder {
    type Error = String;

    fn function_index(&mut self, i: u32) -> Result<u32, ReencodeError<String>> {
        self.found.push(Item::Func(i));
        self.mentioned_at.push(self.at);
        Ok(i)
    }
    fn table_index(&mut self, i: u32) -> Result<u32, ReencodeError<String>> {
        self.found.push(Item::Table(i));
        Ok(i)
    }
    fn global_index(&mut self, i: u32) -> Result<u32, ReencodeError<String>> {
        self.found.push(Item::Global(i));
        self.mentioned_at.push(self.at);
        Ok(i)
    }
    fn tag_index(&mut self, i: u32) -> Result<u32, ReencodeError<String>> {
        self.found.push(Item::Tag(i));
        Ok(i)
    }
    fn element_index(&mut self, i: u32) -> Result<u32, ReencodeError<String>> {
        self.found.push(Item::Elem(i));
        Ok(i)
    }
    fn type_index(&mut self, i: u32) -> Result<u32, ReencodeError<String>> {
        self.found.push(Item::Type(i));
        Ok(i)
    }
    fn instruction<'a>(
        &mut self,
        op: wasmparser::Operator<'a>,
    ) -> Result<wasm_encoder::Instruction<'a>, ReencodeError<String>> {
        // Only const expressions come here (code goes through `mentions`), and
        // `ref.func` there declares the function rather than needing a declaration.
        utils::instruction(self, op)
    }
}

type ScanResult = Result<(), ReencodeError<String>>;

/// What one function body mentions, found once.
pub struct BodyScan {
    /// Every item, each once, in index order.
    found: Vec<Item>,
    ref_funcs: Vec<u32>,
    highest: HighestRefs,
    /// Where the body's `index_site` operators start, as offsets into its bytes
    /// (`FunctionBody::as_bytes`), in order; `None` when some other operator
    /// mentions a function or global too, so renumbering cannot stop at these.
    sites: Option<Vec<u32>>,
}

impl BodyScan {
    fn empty() -> Self {
        BodyScan { found: Vec::new(), ref_funcs: Vec::new(), highest: HighestRefs::default(), sites: None }
    }
}

/// Which index an operator starting with `opcode` carries, for the commonest
/// operators that name a function or global: one opcode byte, then the index as
/// its only operand. Renumbering patches them where the scan found them instead
/// of decoding every operator again (debug web-tree-sitter: 27% of `transform`'s
/// time went to that decoding).
pub fn index_site(opcode: u8) -> Option<SiteIndex> {
    const CALL: u8 = 0x10;
    const RETURN_CALL: u8 = 0x12;
    const GLOBAL_GET: u8 = 0x23;
    const GLOBAL_SET: u8 = 0x24;
    const REF_FUNC: u8 = 0xd2;
    match opcode {
        CALL | RETURN_CALL | REF_FUNC => Some(SiteIndex::Function),
        GLOBAL_GET | GLOBAL_SET => Some(SiteIndex::Global),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteIndex {
    Function,
    Global,
}

/// A body's scan, or why it could not be scanned (which fails the analysis only if
/// the body turns out to be reachable).
pub type BodyScanResult = Result<BodyScan, ReencodeError<String>>;

/// What a thread keeps from one body to the next.
#[derive(Default)]
pub struct Scanner {
    recorder: Recorder,
    ref_funcs: Vec<u32>,
    allocations: FuncValidatorAllocations,
}

impl Scanner {
    fn start(&mut self, body: &FunctionBody<'_>) -> Result<(), ReencodeError<String>> {
        self.recorder.found.clear();
        self.ref_funcs.clear();
        self.recorder.mentioned_at.clear();
        self.recorder.new_function_with_parsed_locals(body).map(drop)
    }

    fn see(&mut self, op: Operator<'_>) -> Result<(), ReencodeError<String>> {
        let ref_funcs = &mut self.ref_funcs;
        mentions(&mut self.recorder, op, &mut |f| ref_funcs.push(f))
    }

    fn finish(&mut self, body: &FunctionBody<'_>) -> BodyScan {
        let mut highest = HighestRefs::default();
        self.recorder.found.iter().for_each(|&found| highest.note(found));
        let mut found = self.recorder.found.clone();
        found.sort_unstable();
        found.dedup();
        let mut ref_funcs = self.ref_funcs.clone();
        ref_funcs.sort_unstable();
        ref_funcs.dedup();
        // Sites only if every function or global is mentioned by a site operator:
        // then no other operator needs looking at when only those numbers change.
        let raw = body.as_bytes();
        let at = &self.recorder.mentioned_at;
        let sites = at.iter().all(|&at| index_site(raw[at as usize]).is_some()).then(|| at.clone());
        BodyScan { found, ref_funcs, highest, sites }
    }

    fn scan(&mut self, body: &FunctionBody<'_>) -> BodyScanResult {
        self.start(body)?;
        let base = body.get_binary_reader().original_position();
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            self.recorder.at = (reader.original_position() - base) as u32;
            self.see(reader.read()?)?;
        }
        Ok(self.finish(body))
    }

    /// Validates `body` and scans it in the same read of its operators: each
    /// operator is decoded once and shown to the scan and then to the validator
    /// (`MentionsThen`), the way `FuncValidator::validate` shows it to the
    /// validator alone. The validation result comes first; the scan counts only
    /// if it passed.
    pub fn validate_and_scan<T: WasmModuleResources>(
        &mut self,
        func: FuncToValidate<T>,
        body: &FunctionBody<'_>,
    ) -> wasmparser::Result<BodyScanResult> {
        let mut validator = func.into_validator(std::mem::take(&mut self.allocations));
        let mut reader = body.get_binary_reader();
        validator.read_locals(&mut reader)?;
        reader.set_features(WasmFeatures::all());
        let mut failed = self.start(body).err();
        let Scanner { recorder, ref_funcs, .. } = self;
        let mut on_ref_func = |f| ref_funcs.push(f);
        let base = body.get_binary_reader().original_position();
        while !reader.eof() {
            recorder.at = (reader.original_position() - base) as u32;
            let inner = validator.visitor(reader.original_position());
            let mut visitor = MentionsThen { inner, hooks: &mut *recorder, on_ref_func: &mut on_ref_func, failed: &mut failed };
            reader.visit_operator(&mut visitor)??;
        }
        reader.finish_expression(&validator.visitor(reader.original_position()))?;
        self.allocations = validator.into_allocations();
        Ok(match failed {
            Some(e) => Err(e),
            None => Ok(self.finish(body)),
        })
    }
}

/// `module::validate`, scanning each function body for what it mentions in the
/// same read of its operators: one scan per body, in order.
pub fn validate_and_scan(bytes: &[u8]) -> crate::error::Result<Vec<BodyScanResult>> {
    crate::module::validate_visiting(bytes, Scanner::default, |scanner, func, body| scanner.validate_and_scan(func, body))
}

/// Scans every body, for when validation did not scan them already.
fn scan_bodies(items: &ModuleItems<'_>) -> Vec<BodyScanResult> {
    let code_bytes = items.bodies.iter().map(|b| b.as_bytes().len()).sum();
    let threads = crate::parallel::threads_for(items.bodies.len(), code_bytes, crate::parallel::CODE_BYTES_PER_THREAD);
    crate::parallel::map_init(&items.bodies, threads, Scanner::default, |scanner, _, body| scanner.scan(body))
}

/// Everything reachable from the roots. With `prune_types` false every type counts
/// as used (see `ModuleItems::types_are_prunable`).
///
/// `scans`, when given, are the bodies' scans from validation (`Scanner::
/// validate_and_scan`), one per body in order; otherwise the bodies are scanned here.
pub fn used_items(items: &ModuleItems<'_>, prune_types: bool, scans: Option<Vec<BodyScanResult>>) -> Result<Used, ReencodeError<String>> {
    let mut used = Used {
        funcs: vec![false; items.funcs.len()],
        tables: vec![false; items.tables.len()],
        globals: vec![false; items.globals.len()],
        tags: vec![false; items.tags.len()],
        elems: vec![false; items.elements.len()],
        types: vec![!prune_types; items.type_count() as usize],
        ref_funcs_in_code: Vec::new(),
        body_refs: vec![HighestRefs::default(); items.bodies.len()],
        body_sites: vec![None; items.bodies.len()],
    };
    let mut bodies = match scans {
        Some(scans) if scans.len() == items.bodies.len() => scans,
        _ => scan_bodies(items),
    };
    let mut recorder = Recorder::default();
    scan_roots(items, &mut recorder)?;
    let mut worklist = std::mem::take(&mut recorder.found);
    while let Some(item) = worklist.pop() {
        let slot = used.slot(item);
        if *slot {
            continue;
        }
        *slot = true;
        scan_item(items, item, &mut bodies, &mut recorder, &mut used)?;
        worklist.append(&mut recorder.found);
    }
    used.ref_funcs_in_code.sort_unstable();
    used.ref_funcs_in_code.dedup();
    Ok(used)
}

fn scan_roots(items: &ModuleItems<'_>, recorder: &mut Recorder) -> ScanResult {
    let imported = |count: u32, item: fn(u32) -> Item| (0..count).map(item);
    recorder.found.extend(imported(items.imported_funcs, Item::Func));
    recorder.found.extend(imported(items.imported_tables, Item::Table));
    recorder.found.extend(imported(items.imported_globals, Item::Global));
    recorder.found.extend(imported(items.imported_tags, Item::Tag));
    for export in &items.exports {
        recorder.found.push(match export.kind {
            ExternalKind::Func | ExternalKind::FuncExact => Item::Func(export.index),
            ExternalKind::Table => Item::Table(export.index),
            ExternalKind::Global => Item::Global(export.index),
            ExternalKind::Tag => Item::Tag(export.index),
            ExternalKind::Memory => continue,
        });
    }
    if let Some(start) = items.start {
        recorder.found.push(Item::Func(start));
    }
    for (index, element) in items.elements.iter().enumerate() {
        if !matches!(element.kind, ElementKind::Passive) {
            recorder.found.push(Item::Elem(index as u32));
        }
    }
    for data in &items.data {
        if let wasmparser::DataKind::Active { offset_expr, .. } = &data.kind {
            // A lone constant mentions nothing: esbuild.wasm's 98,450 offsets
            // skip the recorder.
            if crate::module::constant_offset(offset_expr).is_none() {
                recorder.const_expr(offset_expr.clone())?;
            }
        }
    }
    Ok(())
}

fn scan_item(
    items: &ModuleItems<'_>,
    item: Item,
    bodies: &mut [BodyScanResult],
    recorder: &mut Recorder,
    used: &mut Used,
) -> ScanResult {
    match item {
        Item::Func(i) => {
            recorder.found.push(Item::Type(items.funcs[i as usize]));
            if let Some(body_index) = i.checked_sub(items.imported_funcs) {
                // Each function is reached once (the worklist marks it), so the
                // body's scan can be moved out.
                let scan = std::mem::replace(&mut bodies[body_index as usize], Ok(BodyScan::empty()))?;
                recorder.found.extend_from_slice(&scan.found);
                used.body_refs[body_index as usize] = scan.highest;
                used.body_sites[body_index as usize] = scan.sites;
                used.ref_funcs_in_code.extend_from_slice(&scan.ref_funcs);
            }
        }
        Item::Table(i) => {
            let table = &items.tables[i as usize];
            recorder.table_type(table.ty)?;
            if let Some(init) = &table.init {
                recorder.const_expr(init.clone())?;
            }
        }
        Item::Global(i) => {
            let global = &items.globals[i as usize];
            recorder.global_type(global.ty)?;
            if let Some(init) = &global.init {
                recorder.const_expr(init.clone())?;
            }
        }
        Item::Tag(i) => recorder.found.push(Item::Type(items.tags[i as usize].func_type_idx)),
        Item::Elem(i) => {
            let mut scratch = wasm_encoder::ElementSection::new();
            recorder.parse_element(&mut scratch, items.elements[i as usize].clone())?;
        }
        Item::Type(i) => {
            // Only reached when types are prunable: one type per recursion group.
            let group = items.rec_groups[i as usize].clone();
            for ty in group.into_types() {
                recorder.sub_type(ty)?;
            }
        }
    }
    recorder.ref_funcs.clear(); // ref.func outside code declares, it needs no declaration
    recorder.mentioned_at.clear(); // and outside code there are no sites
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each body's sites, as validation's scan and the plain scan find them.
    fn sites_of(text: &str) -> Vec<Option<Vec<u32>>> {
        let bytes = wat::parse_str(text).unwrap();
        let validated: Vec<_> = super::validate_and_scan(&bytes).unwrap().into_iter().map(|s| s.unwrap().sites).collect();
        let items = ModuleItems::read(&bytes).unwrap();
        let plain: Vec<_> = scan_bodies(&items).into_iter().map(|s| s.unwrap().sites).collect();
        assert_eq!(validated, plain);
        validated
    }

    #[test]
    fn sites_are_where_calls_ref_funcs_and_global_accesses_start() {
        // Body bytes: 1 local group (i32), then at 3 `call 1`, 5 `global.get 0`,
        // 7 `i32.add`, 8 `ref.func 0`, 10 `drop`, 11 `global.set 0`, 13 `return_call 0`.
        let sites = sites_of(
            r#"(module (global (mut i32) (i32.const 0)) (elem declare func 0)
                 (func (result i32) (local i32)
                   call 1 global.get 0 i32.add ref.func 0 drop global.set 0 return_call 0)
                 (func (result i32) i32.const 1))"#,
        );
        assert_eq!(sites, vec![Some(vec![3, 5, 8, 11, 13]), Some(vec![])]);
    }

    #[test]
    fn a_global_read_by_another_operator_leaves_no_sites() {
        let sites = sites_of(
            r#"(module (global $g (mut i32) (i32.const 0))
                 (func (result i32) global.get $g global.atomic.get seqcst $g i32.add))"#,
        );
        assert_eq!(sites, vec![None]);
    }
}
