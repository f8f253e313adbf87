//! Demo data: a deterministic, realistic province on the real divisions.

use crate::db::{Db, Result};
use crate::on;
use chrono::NaiveDate;

/// Number of estates in the database (demo data is generated only into an empty one).
pub async fn estate_count(db: &Db) -> Result<i64> {
    Ok(on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM estates").fetch_one(p).await)?)
}

/// What the generator wrote.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub estates: u64,
    pub houses: u64,
    pub owners: u64,
    pub enterprises: u64,
    pub contracts: u64,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "演示数据: 小区 {}，房屋 {}，业主 {}，企业 {}，合同 {}", self.estates, self.houses, self.owners, self.enterprises, self.contracts)
    }
}

/// Generates about `houses` houses. Not yet implemented.
pub async fn generate(_db: &Db, _houses: u64, _seed: u64, _today: NaiveDate, _progress: &dyn crate::import::Progress) -> Result<DemoReport> {
    Err(crate::StoreError::Invalid("demo: not yet implemented".into()))
}
