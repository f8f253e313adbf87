//! Credit of property service enterprises (rules.md §4): the store side.
//!
//! STUB (to be replaced by the credit work): [`standing`] is the one interface tendering
//! reads. Until the credit tables exist every enterprise is unrated and not barred.

use crate::db::{Db, Result};
use chrono::NaiveDate;
use serde::Serialize;

/// An enterprise's credit standing on a day: what tendering reads.
///
/// - `score_tenths`: the score in tenths of a point (85.5 points = 855); `None` when the
///   enterprise has no score (not registered, or not rated under the scheme).
/// - `grade`: the grade code of the active scheme (`AAA`, `AA`, `A`, `B`, `C`, `black`,
///   `missing`), or `""` when unrated.
/// - `barred`: barred from tendering (black-listed, or a grade the scheme bars).
/// - `reason`: why it is barred, in Chinese, for the bidder and the tenderer to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Standing {
    pub enterprise_id: i64,
    pub score_tenths: Option<i64>,
    pub grade: String,
    pub barred: bool,
    pub reason: Option<String>,
}

/// The standing of enterprise `enterprise_id` on `on` (Asia/Shanghai). Errors: only the
/// database's. An unknown enterprise is unrated and not barred (the caller checks that it
/// exists).
pub async fn standing(db: &Db, enterprise_id: i64, on: NaiveDate) -> Result<Standing> {
    let _ = (db, on);
    Ok(Standing { enterprise_id, score_tenths: None, grade: String::new(), barred: false, reason: None })
}
pub mod public; // credit-public
