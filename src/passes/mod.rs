//! The optimizer's passes, one effect per file (or folder: `pack_data/`). Each takes
//! a valid module and the options and returns either new bytes or nothing
//! (unchanged), plus one report step (`Step::applied`/`unchanged`/`skipped`).
//! A pass that cannot apply safely returns a skipped step, never an error. Passes
//! read and write sections through `module` (`Facts`, `Edits`, `encode`) and ask
//! `policy` whether a saving is worth it; neither of those is a pass.

use crate::report::Step;

pub mod align_to_previous;
pub mod pack_data;
pub mod passive_data;
pub mod remove_unused;
pub mod renumber;
pub mod strip;

pub struct PassResult {
    /// The rewritten module, or `None` when the pass changed nothing.
    pub bytes: Option<Vec<u8>>,
    pub step: Step,
}
