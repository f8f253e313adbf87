//! Wuye store: the [`Db`] handle over SQLite or PostgreSQL, the embedded migrations, and
//! one module of queries per area. Every operation that writes is one transaction.

#![forbid(unsafe_code)]

pub mod access;
pub mod account;
pub mod assembly;
pub mod audit;
pub mod cases;
pub mod credit;
pub mod cache;
pub mod db;
pub mod demo;
pub mod export;
pub mod fund;
pub mod import;
pub mod pii;
pub mod region;
pub mod registry;
pub mod safety;
pub mod stats;
pub mod testing;
// tender: BEGIN
pub mod tender;
// tender: END

pub use db::{Backend, Db, StoreError, Target};
pub use sqlx;
