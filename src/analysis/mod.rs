//! Analyses: what a module contains and what of it is used. Passes read these and
//! decide; nothing here changes a module.

pub mod items;
pub mod mentions;
pub mod used;
