//! Safety (rules.md §6): the store side. Domain rules are in [`wuye_domain::safety`].
//!
//! - [`inspections`]: checklist templates in versions, inspections with a result per item,
//!   hazards run by the case engine's [`wuye_domain::safety::HAZARD`] flow, escalation and
//!   supervision orders, photos, the hazard ledgers.
//! - [`duties`]: recurring duties per estate or elevator, elevators and their certificates,
//!   tank cleaning, e-bikes and their violations, emergency plans, trainings and drills.
//! - this module: what spans both — the region-wide overdue list and the figures of the
//!   regional dashboard.

pub mod duties;
pub mod inspections;
