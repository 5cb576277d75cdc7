//! Counters gathered per file, merged, and printed as one summary table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use wasm_squeeze::PassiveData;

/// The transform options each script is replayed with (on top of `Options::default()`):
/// a label, the passive-data mode, and whether the module is aligned to a copy of
/// itself with its functions reversed (`previous`, align-to-previous).
/// `deferred` and `sidecar` are replayed the way the plugin's loader runs them: the
/// sidecar is written and the exported initialiser called right after instantiation.
pub const VARIANTS: [(&str, PassiveData, bool); 5] = [
    ("default", PassiveData::Off, false),
    ("passive=start", PassiveData::Start, false),
    ("passive=deferred", PassiveData::Deferred, false),
    ("passive=sidecar", PassiveData::Sidecar, false),
    ("aligned", PassiveData::Off, true),
];

type PerVariant = [usize; VARIANTS.len()];

#[derive(Default, Clone)]
pub struct Stats {
    pub files: usize,
    /// Files the `wast` crate could not parse, with its error.
    pub unparsed: Vec<String>,
    pub modules: usize,
    pub modules_untransformed: usize,
    pub transformed: PerVariant,
    /// Transformed outputs that differ from their input (the rest were already optimal).
    pub changed: PerVariant,
    /// Steps that held on the original and were checked on the optimized module, by kind.
    pub checked: BTreeMap<&'static str, PerVariant>,
    /// Steps not checked, by reason.
    pub skipped: BTreeMap<String, PerVariant>,
    pub failures: Vec<String>,
}

impl Stats {
    pub fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    pub fn merge(&mut self, other: Stats) {
        self.files += other.files;
        self.unparsed.extend(other.unparsed);
        self.modules += other.modules;
        self.modules_untransformed += other.modules_untransformed;
        add(&mut self.transformed, &other.transformed);
        add(&mut self.changed, &other.changed);
        for (kind, n) in other.checked {
            add(self.checked.entry(kind).or_default(), &n);
        }
        for (reason, n) in other.skipped {
            add(self.skipped.entry(reason).or_default(), &n);
        }
        self.failures.extend(other.failures);
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let w = 64;
        let total = |counts: Vec<&PerVariant>| {
            counts.into_iter().fold([0; VARIANTS.len()], |mut a, n| {
                add(&mut a, n);
                a
            })
        };
        let row = |out: &mut String, label: &str, n: &PerVariant| {
            let cells: String = n.iter().zip(VARIANTS).map(|(n, (v, ..))| format!(" {n:>w2$}", w2 = v.len())).collect();
            let _ = writeln!(out, "  {label:<w$}{cells}");
        };
        let _ = writeln!(
            out,
            "\n== spec suite differential test: original vs optimized =="
        );
        let _ = writeln!(
            out,
            "  files: {} ({} unparsed)",
            self.files,
            self.unparsed.len()
        );
        for file in &self.unparsed {
            let _ = writeln!(out, "    unparsed: {file}");
        }
        let _ = writeln!(
            out,
            "  modules: {} ({} not transformed: wasmparser rejects the original)",
            self.modules, self.modules_untransformed
        );
        let heads: String = VARIANTS.iter().map(|(v, ..)| format!(" {v}")).collect();
        let _ = writeln!(out, "  {:<w$}{heads}", "");
        row(
            &mut out,
            "modules transformed + validated",
            &self.transformed,
        );
        row(
            &mut out,
            "  of which the output differs from the input",
            &self.changed,
        );
        row(
            &mut out,
            "assertions checked (held on original, hold on optimized)",
            &total(self.checked.values().collect()),
        );
        for (kind, n) in &self.checked {
            row(&mut out, &format!("  {kind}"), n);
        }
        row(
            &mut out,
            "assertions skipped",
            &total(self.skipped.values().collect()),
        );
        for (reason, n) in &self.skipped {
            row(&mut out, &format!("  {reason}"), n);
        }
        let _ = writeln!(out, "  failures: {}", self.failures.len());
        out
    }
}

/// One row per suite: what was read and checked (the `default` variant's counts; the
/// totals table below has every variant).
pub fn suite_table(suites: &BTreeMap<String, Stats>) -> String {
    let mut out = String::from("\n== spec suite differential test, per suite (default variant) ==\n");
    let _ = writeln!(
        out,
        "  {:<38} {:>7} {:>8} {:>15} {:>9} {:>8} {:>8}",
        "suite", "scripts", "modules", "not transformed", "checked", "skipped", "failures"
    );
    for (suite, s) in suites {
        let skipped: usize = s.skipped.values().map(|n| n[0]).sum();
        let checked: usize = s.checked.values().map(|n| n[0]).sum();
        let _ = writeln!(
            out,
            "  {suite:<38} {:>7} {:>8} {:>15} {checked:>9} {skipped:>8} {:>8}",
            s.files,
            s.modules,
            s.modules_untransformed,
            s.failures.len()
        );
    }
    out
}

fn add(into: &mut PerVariant, n: &PerVariant) {
    for (a, b) in into.iter_mut().zip(n) {
        *a += b;
    }
}
