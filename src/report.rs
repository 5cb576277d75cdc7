//! What `transform` tells its caller: bytes per section before and after, and what
//! each step did or why it did nothing.

/// Bytes one section takes in the binary, its id and size header included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionSize {
    /// `type`, `import`, …, or `custom:<name>` for custom sections.
    pub name: String,
    pub bytes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepStatus {
    /// The step changed the module.
    Applied,
    /// The step ran and found nothing to do.
    Unchanged,
    /// The step did not run; `detail` says why.
    Skipped,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Applied => "applied",
            StepStatus::Unchanged => "unchanged",
            StepStatus::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Kebab-case pass id: `strip`, `remove-unused`, `pack-data`, …
    pub pass: &'static str,
    pub status: StepStatus,
    /// One human sentence: what changed, or why nothing did.
    pub detail: String,
    /// Bytes before minus bytes after (negative when the step grew the module).
    pub bytes_saved: i64,
}

impl Step {
    /// The step changed the module (or, for never-worse, undid the change).
    pub fn applied(pass: &'static str, detail: impl Into<String>, bytes_saved: i64) -> Self {
        Step { pass, status: StepStatus::Applied, detail: detail.into(), bytes_saved }
    }

    pub fn unchanged(pass: &'static str, detail: impl Into<String>) -> Self {
        Step { pass, status: StepStatus::Unchanged, detail: detail.into(), bytes_saved: 0 }
    }

    pub fn skipped(pass: &'static str, why: impl Into<String>) -> Self {
        Step { pass, status: StepStatus::Skipped, detail: why.into(), bytes_saved: 0 }
    }

    /// `unchanged` or `skipped`, as `status` says.
    pub fn not_applied(pass: &'static str, status: StepStatus, detail: impl Into<String>) -> Self {
        Step { pass, status, detail: detail.into(), bytes_saved: 0 }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub input_bytes: u64,
    pub output_bytes: u64,
    pub sections_before: Vec<SectionSize>,
    pub sections_after: Vec<SectionSize>,
    pub steps: Vec<Step>,
    /// True when the passes did not make the module smaller and the input bytes
    /// were returned unchanged.
    pub kept_original: bool,
}
