//! Safety API (tag `safety`).

pub mod duties;
pub mod inspections;
