//! A module's index spaces, read once: every function, table, global, tag, element
//! segment and type, with what defines it, so analyses can walk from an item to
//! what it uses. Imported items come first in each space, as in the binary.

use crate::error::{Error, Result};
use crate::module;
use wasmparser::{
    CompositeInnerType, ConstExpr, Data, Element, Export, FunctionBody, GlobalType, Import,
    Parser, Payload, RecGroup, TableType, TagType, TypeRef,
};

pub struct TableItem<'a> {
    pub ty: TableType,
    /// A defined table's element initialiser (function-references tables).
    pub init: Option<ConstExpr<'a>>,
}

pub struct GlobalItem<'a> {
    pub ty: GlobalType,
    /// `None` for imported globals.
    pub init: Option<ConstExpr<'a>>,
}

#[derive(Default)]
pub struct ModuleItems<'a> {
    pub rec_groups: Vec<RecGroup>,
    pub imports: Vec<Import<'a>>,
    /// The type index of every function, imported ones first.
    pub funcs: Vec<u32>,
    pub imported_funcs: u32,
    pub bodies: Vec<FunctionBody<'a>>,
    pub tables: Vec<TableItem<'a>>,
    pub imported_tables: u32,
    pub globals: Vec<GlobalItem<'a>>,
    pub imported_globals: u32,
    pub tags: Vec<TagType>,
    pub imported_tags: u32,
    pub exports: Vec<Export<'a>>,
    pub start: Option<u32>,
    pub elements: Vec<Element<'a>>,
    pub data: Vec<Data<'a>>,
    /// The `name` section's payload and its offset in the module, if there is one.
    pub name_section: Option<(&'a [u8], u64)>,
}

impl<'a> ModuleItems<'a> {
    /// Reads an already validated module.
    pub fn read(bytes: &'a [u8]) -> Result<Self> {
        let malformed = |e: wasmparser::BinaryReaderError| Error::malformed(&e);
        // Imports, exports, the start function and data from the shared reader;
        // the index spaces' own sections from the parser below.
        let facts = module::Facts::read(&module::sections(bytes)?)?;
        let mut items = ModuleItems {
            exports: facts.exports,
            start: facts.start,
            data: facts.data,
            ..ModuleItems::default()
        };
        for import in facts.imports {
            items.add_import(&import);
            items.imports.push(import);
        }
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(malformed)? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        items.rec_groups.push(group.map_err(malformed)?);
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        items.funcs.push(ty.map_err(malformed)?);
                    }
                }
                Payload::TableSection(reader) => {
                    for table in reader {
                        let table = table.map_err(malformed)?;
                        let init = match table.init {
                            wasmparser::TableInit::RefNull => None,
                            wasmparser::TableInit::Expr(expr) => Some(expr),
                        };
                        items.tables.push(TableItem { ty: table.ty, init });
                    }
                }
                Payload::TagSection(reader) => {
                    for tag in reader {
                        items.tags.push(tag.map_err(malformed)?);
                    }
                }
                Payload::GlobalSection(reader) => {
                    for global in reader {
                        let global = global.map_err(malformed)?;
                        items.globals.push(GlobalItem { ty: global.ty, init: Some(global.init_expr) });
                    }
                }
                Payload::ElementSection(reader) => {
                    for element in reader {
                        items.elements.push(element.map_err(malformed)?);
                    }
                }
                Payload::CodeSectionEntry(body) => items.bodies.push(body),
                Payload::CustomSection(reader) if reader.name() == "name" => {
                    items.name_section = Some((reader.data(), reader.data_offset()));
                }
                _ => {}
            }
        }
        Ok(items)
    }

    fn add_import(&mut self, import: &Import<'a>) {
        match import.ty {
            TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                self.funcs.push(ty);
                self.imported_funcs += 1;
            }
            TypeRef::Table(ty) => {
                self.tables.push(TableItem { ty, init: None });
                self.imported_tables += 1;
            }
            TypeRef::Memory(_) => {}
            TypeRef::Global(ty) => {
                self.globals.push(GlobalItem { ty, init: None });
                self.imported_globals += 1;
            }
            TypeRef::Tag(ty) => {
                self.tags.push(ty);
                self.imported_tags += 1;
            }
        }
    }

    pub fn type_count(&self) -> u32 {
        self.rec_groups.iter().map(|g| g.types().len() as u32).sum()
    }

    /// Types can be dropped and renumbered one by one only when every type is a
    /// plain final function type in a recursion group of its own: GC types,
    /// subtyping and explicit recursion groups are left exactly as they are, since
    /// type identity there depends on group structure.
    pub fn types_are_prunable(&self) -> bool {
        self.rec_groups.iter().all(|group| {
            !group.is_explicit_rec_group()
                && group.types().all(|ty| {
                    ty.is_final
                        && ty.supertype_idxs.is_empty()
                        && !ty.composite_type.shared
                        && matches!(ty.composite_type.inner, CompositeInnerType::Func(_))
                })
        })
    }
}
