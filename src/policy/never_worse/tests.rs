//! never-worse keeps a result only if it is no bigger raw (unless raw growth is
//! allowed) and no bigger on the wire, and smaller in one; anything else hands the
//! input back. (`tests/never_worse.rs` checks that `transform` reports the verdict.)
use super::*;
use crate::report::StepStatus;
use crate::test_support::*;

/// Pseudo-random bytes: incompressible filler for custom sections.
fn noise(len: usize, seed: u32) -> String {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            format!("\\{:02x}", (state >> 16) as u8)
        })
        .collect()
}

#[test]
fn a_bigger_result_is_refused() {
    let small = wasm(r#"(module (func (export "f")))"#);
    let big = wasm(&format!(r#"(module (@custom "x" "{}") (func (export "f")))"#, noise(200, 1)));
    let verdict = judge(&small, &big, false).unwrap();
    assert!(!verdict.keep_output);
    assert_eq!(verdict.step.status, StepStatus::Applied);
    assert!(verdict.step.detail.starts_with("returned the input unchanged"), "{}", verdict.step.detail);
}

#[test]
fn a_smaller_result_is_kept() {
    let big = wasm(&format!(r#"(module (@custom "x" "{}") (func (export "f")))"#, noise(200, 1)));
    let small = wasm(r#"(module (func (export "f")))"#);
    assert!(judge(&big, &small, false).unwrap().keep_output);
}

#[test]
fn raw_growth_is_kept_only_when_allowed_and_the_wire_shrinks() {
    // Incompressible filler grows the raw size but also the wire: refused.
    let input = wasm(r#"(module (memory 1) (data (i32.const 0) "ab") (func (export "f")))"#);
    let noisy = wasm(&format!(r#"(module (memory 1) (data (i32.const 0) "ab{}") (func (export "f")))"#, noise(64, 7)));
    assert!(wire::size(&noisy).unwrap() > wire::size(&input).unwrap());
    assert!(!judge(&input, &noisy, true).unwrap().keep_output);
    // Many scattered segments → one segment with zero gaps: more raw bytes, fewer on the wire.
    let scattered: String = (0..200).map(|i| format!(r#"(data (i32.const {}) "\{:02x}\{:02x}")"#, i * 9, i % 256, (i * 7) % 256)).collect();
    let many = wasm(&format!(r#"(module (memory 1) {scattered} (func (export "f")))"#));
    let bytes: String = (0..200).map(|i| format!(r#"\{:02x}\{:02x}\00\00\00\00\00\00\00"#, i % 256, (i * 7) % 256)).collect();
    let one = wasm(&format!(r#"(module (memory 1) (data (i32.const 0) "{bytes}") (func (export "f")))"#));
    assert!(one.len() > many.len(), "raw grows: {} -> {}", many.len(), one.len());
    assert!(wire::size(&one).unwrap() < wire::size(&many).unwrap());
    assert!(judge(&many, &one, true).unwrap().keep_output, "allowed to grow raw");
    assert!(!judge(&many, &one, false).unwrap().keep_output, "by default never bigger raw");
}

#[test]
fn only_the_changed_sections_are_compared() {
    use crate::module::sections;
    let input = module_with(1, b"data", b"custom bytes");
    let output = module_with(1, b"data", &[]);
    let (a, b) = (sections(&input).unwrap(), sections(&output).unwrap());
    let changed = changed_sections(&a, &b);
    assert_eq!(changed.removed, vec![a.last().unwrap().raw], "only the custom section went");
    assert!(changed.added.is_empty());
    assert_eq!(changed.kept.len(), b.len());
}

#[test]
fn a_saving_under_the_floor_of_a_big_module_is_refused() {
    // 2 MB of incompressible data: a wire size of ~2 MB, a floor of ~4 KB. The
    // 1 KB cut is too big to refuse unmeasured, so the input is estimated.
    let data = noise_bytes(2 << 20, 5);
    let small_cut = judge(&module_with(1, &data, &noise_bytes(1000, 1)), &module_with(1, &data, &[]), false).unwrap();
    assert!(!small_cut.keep_output, "{}", small_cut.step.detail);
    assert!(small_cut.step.detail.contains("zstd-1 of the changed sections"), "{}", small_cut.step.detail);
    let big_cut = judge(&module_with(1, &data, &noise_bytes(64 << 10, 1)), &module_with(1, &data, &[]), false).unwrap();
    assert!(big_cut.keep_output, "{}", big_cut.step.detail);
}

#[test]
fn a_module_that_compresses_thousands_fold_keeps_its_win() {
    // 20,000 identical debug sections: 240 KB raw that compress to almost nothing,
    // so the whole input's wire size is tiny and their removal clears the floor.
    let sections: String = (0..20_000).map(|_| r#"(@custom ".debug_x" "*")"#).collect();
    let input = wasm(&format!(r#"(module {sections} (func (export "f")))"#));
    let output = wasm(r#"(module (func (export "f")))"#);
    let verdict = judge(&input, &output, false).unwrap();
    assert!(verdict.keep_output, "{}", verdict.step.detail);
}

#[test]
fn a_big_strip_is_judged_from_the_first_of_what_it_removes() {
    // 1 MB of incompressible names go: the first flushes already show a saving past
    // the floor at the module's raw size, so the rest is not compressed.
    let code = noise_bytes(64 << 10, 3);
    let input = module_with(1, &code, &noise_bytes(1 << 20, 4));
    let output = module_with(1, &code, &[]);
    let verdict = judge(&input, &output, false).unwrap();
    assert!(verdict.keep_output, "{}", verdict.step.detail);
    let at_least: usize = verdict.step.detail.split("sections ≥ ").nth(1).and_then(|rest| rest.split(' ').next()).and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no lower bound in: {}", verdict.step.detail));
    assert!(at_least < 512 << 10, "stopped early: {at_least}");
    assert!(at_least * 1000 >= input.len() * 2, "and only once past the floor: {at_least}");
}

#[test]
fn the_verdict_and_its_numbers_do_not_depend_on_thread_timing() {
    // Both sides big: the output's side is measured on a second thread while the
    // input's streams, and where the stream stops depends on which finishes first.
    let kept = noise_bytes(32 << 10, 9);
    let input = module_with(1, &noise_bytes(400 << 10, 10), &noise_bytes(900 << 10, 11));
    let output = module_with(1, &[kept.clone(), noise_bytes(300 << 10, 12)].concat(), &[]);
    let first = judge(&input, &output, false).unwrap();
    assert!(first.keep_output, "{}", first.step.detail);
    for _ in 0..5 {
        assert_eq!(judge(&input, &output, false).unwrap().step.detail, first.step.detail);
    }
}

#[test]
fn both_sides_are_measured_the_same_way() {
    // One byte of a 300 KB compressible section changes: both sides must measure
    // within a few bytes of each other (a one-shot compression and a flushed
    // stream differ by about 1% on such text, more than the floor).
    let mut state = 21u32;
    let text: Vec<u8> = (0..300 << 10)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            b"abcdefghijklmnop"[(state >> 28) as usize & 15]
        })
        .collect();
    let mut changed = text.clone();
    // A letter of the same alphabet: a new one would change zstd's literal code.
    let last = changed.last_mut().unwrap();
    *last = if *last == b'a' { b'b' } else { b'a' };
    let (input, output) = (module_with(1, &[], &text), module_with(1, &[], &changed));
    let verdict = judge(&input, &output, false).unwrap();
    assert!(!verdict.keep_output, "{}", verdict.step.detail);
    let sizes: Vec<usize> = verdict.step.detail.split("sections ").nth(1).unwrap()
        .split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    assert_eq!(sizes.len(), 2, "{}", verdict.step.detail);
    assert!(sizes[0].abs_diff(sizes[1]) <= 8, "{}", verdict.step.detail);
}
