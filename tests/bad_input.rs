//! Hostile inputs: lengths and counts that claim gigabytes, invalid UTF-8 names, 100k
//! custom sections. Each must end in an error with an offset inside the input (or, for
//! valid oddities, a valid output), and no allocation may be sized by what the input
//! claims: a counting allocator holds every case to a small multiple of its size.
mod common;
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use wasm_squeeze::{compress, inspect, transform, CompressOptions, ErrorCode, Options};

/// The system allocator, keeping the peak of live bytes.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests in one binary run in parallel threads and the counters are global: every
/// test takes its turn, so no other test's allocations show in a measurement.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Most bytes live at once while `work` runs, above what was live before.
fn peak_during(work: impl FnOnce()) -> usize {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    work();
    PEAK.load(Relaxed) - before
}

const HEADER: &[u8] = b"\0asm\x01\0\0\0";
/// A LEB128 u32 of 0xffff_ffff: a length or count of about 4 GiB.
const HUGE: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0x0f];

fn leb(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn section(id: u8, content: &[u8]) -> Vec<u8> {
    [&[id][..], &leb(content.len() as u64), content].concat()
}

fn module(sections: &[Vec<u8>]) -> Vec<u8> {
    [HEADER.to_vec(), sections.concat()].concat()
}

fn name(bytes: &[u8]) -> Vec<u8> {
    [leb(bytes.len() as u64), bytes.to_vec()].concat()
}

/// Inputs that are not valid modules, each with why it is bad.
fn malformed_cases() -> Vec<(&'static str, Vec<u8>)> {
    let func_type = section(1, &[1, 0x60, 0, 0]); // one type: () -> ()
    let one_func = section(3, &[1, 0]);
    let empty_body = section(10, &[1, 2, 0, 0x0b]);
    let memory = section(5, &[1, 0, 1]);
    vec![
        ("section size of 4 GiB", [HEADER, &[1], HUGE].concat()),
        ("section size past the end", [HEADER, &[1, 0x40, 0x60]].concat()),
        ("type count of 4 billion", module(&[section(1, HUGE)])),
        ("function count of 4 billion", module(&[func_type.clone(), section(3, HUGE)])),
        ("import count of 4 billion", module(&[section(2, HUGE)])),
        ("export count of 4 billion", module(&[section(7, HUGE)])),
        ("data count of 4 billion", module(&[section(12, HUGE)])),
        ("element count of 4 billion", module(&[section(9, HUGE)])),
        ("global count of 4 billion", module(&[section(6, HUGE)])),
        ("code count of 4 billion", module(&[func_type.clone(), one_func.clone(), section(10, HUGE)])),
        ("4 billion locals", module(&[func_type.clone(), one_func.clone(), section(10, &[&[1, 7, 1][..], HUGE, &[0x7f, 0x0b]].concat())])),
        ("body size of 4 GiB", module(&[func_type.clone(), one_func.clone(), section(10, &[&[1][..], HUGE].concat())])),
        ("data segment of 4 GiB", module(&[memory.clone(), section(11, &[&[1, 0, 0x41, 0, 0x0b][..], HUGE].concat())])),
        ("memory of 2^64 pages", module(&[section(5, &[&[1, 0x04][..], &[0xff; 9], &[0x01]].concat())])),
        ("table of 4 billion elements then a body", module(&[section(4, &[&[1, 0x70, 0][..], HUGE].concat()), func_type.clone(), one_func.clone(), empty_body.clone()])),
        ("invalid UTF-8 export name", module(&[func_type.clone(), one_func.clone(), section(7, &[&[1][..], &name(&[0xff, 0xfe]), &[0, 0]].concat()), empty_body.clone()])),
        ("invalid UTF-8 import name", module(&[func_type.clone(), section(2, &[&[1][..], &name(b"env"), &name(&[0xc3, 0x28]), &[0, 0]].concat())])),
        ("invalid UTF-8 custom section name", module(&[section(0, &name(&[0xe2, 0x82]))])),
        ("custom section name longer than the section", module(&[section(0, &[&HUGE[..], b"x"].concat())])),
        ("sections out of order", module(&[one_func.clone(), func_type.clone()])),
        ("duplicate section", module(&[func_type.clone(), func_type.clone()])),
        ("unknown section id", module(&[section(42, &[])])),
        ("LEB128 longer than 5 bytes", [HEADER, &[1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]].concat()),
        ("trailing garbage after a section", [module(&[func_type]), vec![0x01]].concat()),
    ]
}

#[test]
fn hostile_lengths_and_counts_fail_with_an_offset_and_no_big_allocation() {
    let _turn = one_at_a_time();
    for (why, bytes) in malformed_cases() {
        let mut result = None;
        let peak = peak_during(|| result = Some((transform(&bytes, &Options::default()), inspect(&bytes))));
        let (transformed, inspected) = result.unwrap();
        let err = transformed.expect_err(why);
        assert_eq!(err.code, ErrorCode::Malformed, "{why}: {err}");
        let offset = err.offset.unwrap_or_else(|| panic!("{why}: no offset in {err}"));
        assert!(offset <= bytes.len() as u64, "{why}: offset {offset} past the {}-byte input", bytes.len());
        assert!(err.to_string().contains("(at offset 0x"), "{why}: {err}");
        assert_eq!(inspected.expect_err(why), err, "{why}: inspect reports the same");
        // A few KiB of input: anything near a count it claims would be gigabytes.
        assert!(peak < 1 << 20, "{why}: {peak} bytes allocated for a {}-byte input", bytes.len());
    }
}

#[test]
fn a_hundred_thousand_custom_sections_are_handled_in_linear_time_and_memory() {
    let _turn = one_at_a_time();
    let func = wasm(r#"(module (func (export "f") (result i32) i32.const 7))"#);
    for (section_name, dropped) in [(".debug_line", true), ("app-data", false)] {
        let one = section(0, &[name(section_name.as_bytes()), b"x".to_vec()].concat());
        let mut input = func.clone();
        for _ in 0..100_000 {
            input.extend_from_slice(&one);
        }
        let mut out = None;
        let peak = peak_during(|| out = Some(transform(&input, &Options::default()).unwrap()));
        let out = out.unwrap();
        assert_valid(&out.wasm);
        assert_eq!(custom_section_names(&out.wasm).len(), if dropped { 0 } else { 100_000 }, "{section_name}");
        assert_eq!(call_i32(&out.wasm, "f", &[]), Ok(vec![7]));
        // Per-section bookkeeping is fine; copies of the whole module a few times over too.
        assert!(peak < 64 * input.len(), "{section_name}: {peak} bytes for a {}-byte input", input.len());
        assert_eq!(inspect(&input).unwrap().sections.len(), inspect(&func).unwrap().sections.len() + 100_000);
    }
}

#[test]
fn a_malformed_name_section_does_not_stop_the_module_from_being_optimized_safely() {
    let _turn = one_at_a_time();
    // The name section is not validated by engines; a broken one must not crash the
    // passes that rewrite it, and the output must still validate.
    let code = wasm(r#"(module (func $unused) (func (export "f") (result i32) i32.const 7))"#);
    let names = [
        section(0, &[name(b"name"), vec![1], HUGE.to_vec()].concat()),         // function names: count 4 billion
        section(0, &[name(b"name"), vec![1, 5, 1, 0], name(&[0xff])].concat()), // invalid UTF-8 function name
        section(0, &[name(b"name"), vec![2, 0x7f]].concat()),                  // subsection size past the end
    ];
    for broken in names {
        let input = [code.clone(), broken].concat();
        let options = Options { keep_names: true, ..Options::default() };
        let out = transform(&input, &options).expect("the module itself is valid");
        assert_valid(&out.wasm);
        assert_eq!(call_i32(&out.wasm, "f", &[]), Ok(vec![7]));
    }
}

#[test]
fn compress_takes_any_bytes() {
    let _turn = one_at_a_time();
    for bytes in [&b""[..], b"\0", &[0xff; 4096], HEADER] {
        let out = compress(bytes, &CompressOptions { brotli: Some(5), zstd: Some(3), gzip: Some(6) }).unwrap();
        assert_eq!(zstd::decode_all(out.zst.as_deref().unwrap()).unwrap(), bytes);
    }
}
