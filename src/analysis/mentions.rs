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
use wasmparser::{FrameKind, FrameStack, Operator, VisitOperator, VisitSimdOperator};

type Mentioned = Result<(), ReencodeError<String>>;

/// What one operand of operator `$op` mentions, told to `$hooks`: an expression
/// giving `Mentioned`. `$name` is the operand's field name in wasmparser's
/// operator list, `$value` its value.
macro_rules! mention {
    ($hooks:expr, $on_ref_func:expr, RefFunc, function_index, $value:expr) => {{ let f = $value; $on_ref_func(f); $hooks.function_index(f).map(drop) }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, function_index, $value:expr) => { $hooks.function_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, tag_index, $value:expr) => { $hooks.tag_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, table, $value:expr) => { $hooks.table_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, table_index, $value:expr) => { $hooks.table_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, dst_table, $value:expr) => { $hooks.table_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, src_table, $value:expr) => { $hooks.table_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, type_index, $value:expr) => { $hooks.type_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, array_type_index, $value:expr) => { $hooks.type_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, array_type_index_dst, $value:expr) => { $hooks.type_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, array_type_index_src, $value:expr) => { $hooks.type_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, struct_type_index, $value:expr) => { $hooks.type_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, argument_index, $value:expr) => { $hooks.type_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, result_index, $value:expr) => { $hooks.type_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, cont_type_index, $value:expr) => { $hooks.type_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, global_index, $value:expr) => { $hooks.global_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, elem_index, $value:expr) => { $hooks.element_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, array_elem_index, $value:expr) => { $hooks.element_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, data_index, $value:expr) => { $hooks.data_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, array_data_index, $value:expr) => { $hooks.data_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, mem, $value:expr) => { $hooks.memory_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, src_mem, $value:expr) => { $hooks.memory_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, dst_mem, $value:expr) => { $hooks.memory_index($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, memarg, $value:expr) => { $hooks.mem_arg($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, blockty, $value:expr) => { $hooks.block_type($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, ty, $value:expr) => { $hooks.val_type($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, tys, $value:expr) => { $hooks.val_types($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, hty, $value:expr) => { $hooks.heap_type($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, from_ref_type, $value:expr) => { $hooks.ref_type($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, to_ref_type, $value:expr) => { $hooks.ref_type($value).map(drop) };
    ($hooks:expr, $on_ref_func:expr, $op:ident, try_table, $value:expr) => {{
        let table = $value;
        let hooks = &mut *$hooks;
        hooks.block_type(table.ty).map(drop).and_then(|()| table.catches.into_iter().try_for_each(|catch| hooks.catch(catch).map(drop)))
    }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, resume_table, $value:expr) => {{
        let hooks = &mut *$hooks;
        $value.handlers.into_iter().try_for_each(|handle| hooks.handle(handle).map(drop))
    }};
    // Operands that are no index into a module-level space.
    ($hooks:expr, $on_ref_func:expr, $op:ident, relative_depth, $value:expr) => {{ let _ = $value; Mentioned::Ok(()) }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, targets, $value:expr) => {{ let _ = $value; Mentioned::Ok(()) }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, local_index, $value:expr) => {{ let _ = $value; Mentioned::Ok(()) }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, value, $value:expr) => {{ let _ = $value; Mentioned::Ok(()) }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, lane, $value:expr) => {{ let _ = $value; Mentioned::Ok(()) }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, lanes, $value:expr) => {{ let _ = $value; Mentioned::Ok(()) }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, array_size, $value:expr) => {{ let _ = $value; Mentioned::Ok(()) }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, field_index, $value:expr) => {{ let _ = $value; Mentioned::Ok(()) }};
    ($hooks:expr, $on_ref_func:expr, $op:ident, ordering, $value:expr) => {{ let _ = $value; Mentioned::Ok(()) }};
}

/// Calls `hooks`' index hooks for every index `op` mentions; `on_ref_func` also
/// hears the function a `ref.func` names.
pub fn mentions<R: Reencode<Error = String>>(
    hooks: &mut R,
    op: Operator<'_>,
    on_ref_func: &mut impl FnMut(u32),
) -> Mentioned {
    macro_rules! visit {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
            match op {
                $(
                    Operator::$op $({ $($arg),* })? => {
                        $( $( mention!(hooks, on_ref_func, $op, $arg, $arg)?; )* )?
                    }
                )*
                #[allow(unreachable_patterns)]
                other => return Err(ReencodeError::UserError(format!("operator not in wasmparser's list: {other:?}"))),
            }
        };
    }
    wasmparser::for_each_operator!(visit);
    Ok(())
}

/// A `VisitOperator` that tells `hooks` what each operator mentions, then hands
/// the operator on to `inner` (a validator's visitor), so one read of the code
/// serves both. The first error the hooks raise is kept in `failed`, after which
/// nothing more is told; `inner`'s result is the visit's. SIMD operators go
/// straight to `inner`: they mention no index the hooks record (a memory at most).
pub struct MentionsThen<'h, V, R, F> {
    pub inner: V,
    pub hooks: &'h mut R,
    pub on_ref_func: F,
    pub failed: &'h mut Option<ReencodeError<String>>,
}

impl<V: FrameStack, R, F> FrameStack for MentionsThen<'_, V, R, F> {
    fn current_frame(&self) -> Option<FrameKind> {
        self.inner.current_frame()
    }
}

impl<'a, V, R, F> VisitOperator<'a> for MentionsThen<'_, V, R, F>
where
    V: VisitOperator<'a>,
    R: Reencode<Error = String>,
    F: FnMut(u32),
{
    type Output = V::Output;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Self::Output>> {
        self.inner.simd_visitor()
    }

    wasmparser::for_each_visit_operator!(define_mentions_then);
}

macro_rules! define_mentions_then {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Self::Output {
                $( $(
                    if self.failed.is_none() {
                        let told: Mentioned = mention!(self.hooks, self.on_ref_func, $op, $arg, $arg.clone());
                        if let Err(e) = told {
                            *self.failed = Some(e);
                        }
                    }
                )* )?
                self.inner.$visit($($($arg),*)?)
            }
        )*
    };
}
use define_mentions_then;
