//! Wuye domain: the rules of residential property management as pure functions and types.
//! No I/O here: no database, no files, no clock (callers pass "today").

pub mod account;
pub mod assembly;
pub mod audit;
pub mod calendar;
pub mod cases;
pub mod coverage;
// credit: BEGIN
pub mod credit;
// credit: END
pub mod fund;
pub mod ids;
pub mod ledger;
pub mod region;
pub mod registry;
pub mod safety;
pub mod synth;
pub mod units;
// tender: BEGIN
pub mod tender;
// tender: END
