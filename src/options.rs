//! What a caller can ask of `transform`. Defaults are the safe, useful choice: a user
//! who passes nothing gets a stripped, validated module that behaves the same.

use std::sync::Arc;

/// How active data segments are initialised (see `passes::passive_data`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PassiveData {
    /// Leave data segments as they are.
    #[default]
    Off,
    /// Make segments passive; an injected start function initialises them.
    Start,
    /// Make segments passive; the loader calls an exported initialiser.
    Deferred,
    /// Move large segments out of the module into a sidecar the loader writes.
    Sidecar,
}

impl PassiveData {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "off" => Some(PassiveData::Off),
            "start" => Some(PassiveData::Start),
            "deferred" => Some(PassiveData::Deferred),
            "sidecar" => Some(PassiveData::Sidecar),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PassiveData::Off => "off",
            PassiveData::Start => "start",
            PassiveData::Deferred => "deferred",
            PassiveData::Sidecar => "sidecar",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Keep the `name` custom section (function names in stack traces).
    pub keep_names: bool,
    /// Custom sections to keep although the strip policy would drop them.
    pub keep_sections: Vec<String>,
    /// Remove functions, globals, tables, … that nothing reachable uses.
    pub dce: bool,
    /// Merge and trim active data segments when it makes the module smaller.
    pub pack_data: bool,
    /// Turn active data segments passive.
    pub passive_data: PassiveData,
    /// The module's imported memory is known to start zeroed (lets pack-data run).
    pub zero_filled_memory: bool,
    /// Let pack-data grow the raw module when that shrinks it on the wire (up to
    /// `policy::RAW_BYTES_PER_PROXY_BYTE` raw bytes per compressed byte saved).
    /// Off by default: the output is then never bigger, raw or compressed.
    pub allow_raw_growth: bool,
    /// With `PassiveData::Sidecar`: the smallest segment worth moving out.
    pub sidecar_min_bytes: u64,
    /// Also return a debug companion: what strip dropped for debugging (see
    /// `debug_companion`); keeps the code in place when there is DWARF.
    pub debug_companion: bool,
    /// With `debug_companion`: the URL written into the shipped module's
    /// `external_debug_info` section.
    pub debug_url: Option<String>,
    /// The module the browser already has (the previous deploy's): functions are
    /// then numbered as there, so a dictionary delta against it stays small
    /// (`passes::align_to_previous`).
    pub previous: Option<Arc<[u8]>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_names: false,
            keep_sections: Vec::new(),
            dce: true,
            pack_data: true,
            passive_data: PassiveData::Off,
            zero_filled_memory: false,
            allow_raw_growth: false,
            sidecar_min_bytes: 4096,
            debug_companion: false,
            debug_url: None,
            previous: None,
        }
    }
}
