//! `inspect` reports what the plugin's glue and the CLI rely on.
mod common;
use common::*;
use wasm_squeeze::inspect;

#[test]
fn lists_imports_exports_memories_and_data() {
    let info = inspect(&wasm(
        r#"(module
             (import "env" "log" (func (param i32)))
             (import "env" "mem" (memory 1 4 shared))
             (global $base (import "env" "base") i32)
             (memory (export "heap") i64 2)
             (data (memory 0) (i32.const 16) "hello")
             (data (memory 1) (i64.const 1024) "world!")
             (data (memory 0) (global.get $base) "x")
             (data "passive")
             (func (export "run"))
             (func))"#,
    ))
    .unwrap();
    let imports: Vec<_> = info.imports.iter().map(|i| (i.module.as_str(), i.name.as_str(), i.kind)).collect();
    assert_eq!(imports, [("env", "log", "func"), ("env", "mem", "memory"), ("env", "base", "global")]);
    let exports: Vec<_> = info.exports.iter().map(|e| (e.name.as_str(), e.kind)).collect();
    assert_eq!(exports, [("heap", "memory"), ("run", "func")]);
    assert_eq!(info.function_count, 3);
    assert_eq!(info.memories.len(), 2);
    assert!(info.memories[0].imported && info.memories[0].shared && info.memories[0].maximum_pages == Some(4));
    assert!(!info.memories[1].imported && info.memories[1].memory64 && info.memories[1].initial_pages == 2);
    let data: Vec<_> = info.data_segments.iter().map(|d| (d.mode, d.memory, d.offset, d.size)).collect();
    assert_eq!(
        data,
        [("active", 0, Some(16), 5), ("active", 1, Some(1024), 6), ("active", 0, None, 1), ("passive", 0, None, 7)]
    );
    let names: Vec<_> = info.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names[..3], ["type", "import", "function"]);
}
