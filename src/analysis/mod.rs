//! Analyses: what a module contains and what of it is used. Passes read these and
//! decide; nothing here changes a module. Built on `module` (never the reverse):
//! `items` reads the index spaces (taking imports, exports and data from
//! `module::Facts`), `used` follows them from the roots and holds the body scan
//! that rides on validation (`used::validate_and_scan`, through
//! `module::validate_visiting`), `mentions` lists the indices an operator names.

pub mod items;
pub mod mentions;
pub mod used;
