//! What one instruction mentions: every function, table, global, tag, element
//! segment and type index in it, told to a `Reencode` implementation's index
//! hooks without re-encoding the instruction.
//!
//! Re-encoding each instruction only to watch the hooks fire (as wasm-encoder's
//! `utils::instruction` does) costs several times a validation of the same code;
//! this reads the operator and goes straight to the hooks. Which operand names
//! an index is decided by its field name in wasmparser's operator list, the same
//! table wasm-encoder's re-encoder uses, and with no catch-all: an operand name
//! not listed here (a new proposal) fails to compile rather than going unseen.
//! Types inside operands (block types, value, heap and reference types, catch
//! clauses, resume handlers) go through the same `Reencode` hooks re-encoding
//! would call.

use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasmparser::Operator;

/// Calls `hooks`' index hooks for every index `op` mentions; `on_ref_func` also
/// hears the function a `ref.func` names.
pub fn mentions<R: Reencode<Error = String>>(
    hooks: &mut R,
    op: Operator<'_>,
    on_ref_func: &mut impl FnMut(u32),
) -> Result<(), ReencodeError<String>> {
    macro_rules! visit {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
            match op {
                $(
                    Operator::$op $({ $($arg),* })? => {
                        $( $( visit!(field $op $arg $arg); )* )?
                    }
                )*
                #[allow(unreachable_patterns)]
                other => return Err(ReencodeError::UserError(format!("operator not in wasmparser's list: {other:?}"))),
            }
        };
        (field RefFunc $arg:ident function_index) => {{ on_ref_func($arg); hooks.function_index($arg)?; }};
        (field $op:ident $arg:ident function_index) => { hooks.function_index($arg)?; };
        (field $op:ident $arg:ident tag_index) => { hooks.tag_index($arg)?; };
        (field $op:ident $arg:ident table) => { hooks.table_index($arg)?; };
        (field $op:ident $arg:ident table_index) => { hooks.table_index($arg)?; };
        (field $op:ident $arg:ident dst_table) => { hooks.table_index($arg)?; };
        (field $op:ident $arg:ident src_table) => { hooks.table_index($arg)?; };
        (field $op:ident $arg:ident type_index) => { hooks.type_index($arg)?; };
        (field $op:ident $arg:ident array_type_index) => { hooks.type_index($arg)?; };
        (field $op:ident $arg:ident array_type_index_dst) => { hooks.type_index($arg)?; };
        (field $op:ident $arg:ident array_type_index_src) => { hooks.type_index($arg)?; };
        (field $op:ident $arg:ident struct_type_index) => { hooks.type_index($arg)?; };
        (field $op:ident $arg:ident argument_index) => { hooks.type_index($arg)?; };
        (field $op:ident $arg:ident result_index) => { hooks.type_index($arg)?; };
        (field $op:ident $arg:ident cont_type_index) => { hooks.type_index($arg)?; };
        (field $op:ident $arg:ident global_index) => { hooks.global_index($arg)?; };
        (field $op:ident $arg:ident elem_index) => { hooks.element_index($arg)?; };
        (field $op:ident $arg:ident array_elem_index) => { hooks.element_index($arg)?; };
        (field $op:ident $arg:ident data_index) => { hooks.data_index($arg)?; };
        (field $op:ident $arg:ident array_data_index) => { hooks.data_index($arg)?; };
        (field $op:ident $arg:ident mem) => { hooks.memory_index($arg)?; };
        (field $op:ident $arg:ident src_mem) => { hooks.memory_index($arg)?; };
        (field $op:ident $arg:ident dst_mem) => { hooks.memory_index($arg)?; };
        (field $op:ident $arg:ident memarg) => { hooks.mem_arg($arg)?; };
        (field $op:ident $arg:ident blockty) => { hooks.block_type($arg)?; };
        (field $op:ident $arg:ident ty) => { hooks.val_type($arg)?; };
        (field $op:ident $arg:ident tys) => { hooks.val_types($arg)?; };
        (field $op:ident $arg:ident hty) => { hooks.heap_type($arg)?; };
        (field $op:ident $arg:ident from_ref_type) => { hooks.ref_type($arg)?; };
        (field $op:ident $arg:ident to_ref_type) => { hooks.ref_type($arg)?; };
        (field $op:ident $arg:ident try_table) => {{
            hooks.block_type($arg.ty)?;
            for catch in $arg.catches {
                hooks.catch(catch)?;
            }
        }};
        (field $op:ident $arg:ident resume_table) => {{
            for handle in $arg.handlers {
                hooks.handle(handle)?;
            }
        }};
        // Operands that are no index into a module-level space.
        (field $op:ident $arg:ident relative_depth) => { let _ = $arg; };
        (field $op:ident $arg:ident targets) => { let _ = $arg; };
        (field $op:ident $arg:ident local_index) => { let _ = $arg; };
        (field $op:ident $arg:ident value) => { let _ = $arg; };
        (field $op:ident $arg:ident lane) => { let _ = $arg; };
        (field $op:ident $arg:ident lanes) => { let _ = $arg; };
        (field $op:ident $arg:ident array_size) => { let _ = $arg; };
        (field $op:ident $arg:ident field_index) => { let _ = $arg; };
        (field $op:ident $arg:ident ordering) => { let _ = $arg; };
    }
    wasmparser::for_each_operator!(visit);
    Ok(())
}
