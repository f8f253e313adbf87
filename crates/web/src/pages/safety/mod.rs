//! Safety pages (rules.md §6).

pub mod duties;
pub mod inspections;
