//! One text form of wasmi values for the differential tests (spec suite and fuzz):
//! scalars by bits, references by null-ness only, since handles differ between stores.

use wasmi::Val;

pub fn values_text(values: &[Val]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            Val::I32(x) => format!("i32:{x}"),
            Val::I64(x) => format!("i64:{x}"),
            Val::F32(x) => format!("f32:{:#x}", x.to_bits()),
            Val::F64(x) => format!("f64:{:#x}", x.to_bits()),
            Val::V128(x) => format!("v128:{:#x}", x.as_u128()),
            Val::FuncRef(r) => format!("funcref:{}", if r.is_null() { "null" } else { "func" }),
            Val::ExternRef(r) => format!("externref:{}", if r.is_null() { "null" } else { "extern" }),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}
