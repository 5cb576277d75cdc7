//! never-worse: the last word on every transform. The passes' output replaces the
//! input only if it is no bigger on the wire and smaller somewhere.
//!
//! The wire is judged by a proxy codec, zstd level 3: fast enough to run on every
//! module (tens of milliseconds for 14 MB) and, measured on real modules, it ranks
//! sizes the way brotli 11 does. The rule: keep the output when it is no bigger
//! raw and smaller on the wire by at least `NOISE_FLOOR_PER_MILLE`. A smaller win
//! is within the codecs' own noise: stripping a 77-byte `producers` section made
//! resvg's brotli 11 output 0.1 KiB (0.015%) bigger, and no proxy predicts that, so
//! such a change is not worth shipping and the input comes back instead. With
//! `allow_raw_growth` the raw size may grow when the wire size shrinks, which is the
//! trade pack-data then makes (zero-filled gaps cost raw bytes and compress to
//! almost nothing).
//!
//! Assumes: both modules are valid. Bails out: never; it either keeps the output
//! or hands back the input bytes unchanged and says why.

use crate::compress;
use crate::error::Result;
use crate::report::{Step, StepStatus};

pub const PASS: &str = "never-worse";
const PROXY_LEVEL: i32 = 3;

/// The least wire saving, in thousandths of the input's proxy size, worth shipping:
/// ten times the brotli 11 noise measured on real modules.
pub const NOISE_FLOOR_PER_MILLE: usize = 2;

pub struct Verdict {
    pub keep_output: bool,
    pub step: Step,
}

/// The proxy's idea of the wire size.
pub fn wire_size(bytes: &[u8]) -> Result<usize> {
    Ok(compress::zstd(bytes, PROXY_LEVEL)?.len())
}

/// Both proxy sizes, the two compressions side by side on two threads.
fn wire_sizes(input: &[u8], output: &[u8]) -> Result<(usize, usize)> {
    std::thread::scope(|scope| {
        let wire_out = scope.spawn(|| wire_size(output));
        let wire_in = wire_size(input)?;
        let wire_out = wire_out.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?;
        Ok((wire_in, wire_out))
    })
}

pub fn judge(input: &[u8], output: &[u8], allow_raw_growth: bool) -> Result<Verdict> {
    let (raw_in, raw_out) = (input.len(), output.len());
    let (wire_in, wire_out) = wire_sizes(input, output)?;
    let raw_ok = raw_out <= raw_in || allow_raw_growth;
    let wire_saved = wire_in.saturating_sub(wire_out);
    let keep_output = raw_ok && wire_saved > 0 && wire_saved * 1000 >= wire_in * NOISE_FLOOR_PER_MILLE;
    let sizes = format!("raw {raw_in} → {raw_out} B, zstd-3 {wire_in} → {wire_out} B");
    let step = if keep_output {
        Step { pass: PASS, status: StepStatus::Unchanged, detail: format!("kept the result: {sizes}"), bytes_saved: 0 }
    } else {
        Step {
            pass: PASS,
            status: StepStatus::Applied,
            detail: format!("returned the input unchanged: the result was not smaller by more than the codecs' noise ({sizes})"),
            bytes_saved: raw_out as i64 - raw_in as i64,
        }
    };
    Ok(Verdict { keep_output, step })
}
