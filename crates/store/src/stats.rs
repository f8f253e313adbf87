//! Regional figures: property-service coverage on three bases for a region and each of
//! its child regions. An estate is covered when a contract is in force on the given day.

use crate::access::Access;
use crate::db::{Db, Result, StoreError, dynamic};
use wuye_domain::account::{Action, Resource};
use crate::on;
use crate::region::{self, Region};
use chrono::NaiveDate;
use serde::Serialize;
use wuye_domain::coverage::Coverage;
use wuye_domain::region::RegionCode;

/// Coverage of one region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionCoverage {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(flatten)]
    pub coverage: Coverage,
}

/// Coverage of a region and of each child region (all children, also those without
/// estates), as of `day`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionStats {
    pub region: Region,
    pub day: NaiveDate,
    pub total: Coverage,
    pub children: Vec<RegionCoverage>,
}

#[derive(sqlx::FromRow)]
struct Agg {
    k: String,
    estates: i64,
    estates_covered: i64,
    houses: i64,
    houses_covered: i64,
    area: i64,
    area_covered: i64,
}

/// Aggregates the caller's estates under `prefix`, grouped by the first `group_len` digits
/// of their community code.
async fn aggregate(db: &Db, a: &Access, prefix: &str, group_len: usize, day: NaiveDate) -> Result<Vec<Agg>> {
    let sql = format!(
        "SELECT SUBSTR(x.region_code, 1, {group_len}) AS k,
            COUNT(*) AS estates,
            CAST(COALESCE(SUM(CASE WHEN x.covered THEN 1 ELSE 0 END), 0) AS BIGINT) AS estates_covered,
            CAST(COALESCE(SUM(x.house_count), 0) AS BIGINT) AS houses,
            CAST(COALESCE(SUM(CASE WHEN x.covered THEN x.house_count ELSE 0 END), 0) AS BIGINT) AS houses_covered,
            CAST(COALESCE(SUM(x.building_area), 0) AS BIGINT) AS area,
            CAST(COALESCE(SUM(CASE WHEN x.covered THEN x.building_area ELSE 0 END), 0) AS BIGINT) AS area_covered
         FROM (SELECT e.region_code, e.house_count, e.building_area,
                 EXISTS (SELECT 1 FROM service_contracts c WHERE c.estate_id = e.id AND c.start_date <= $1
                         AND (c.end_date IS NULL OR c.end_date >= $1)) AS covered
               FROM estates e WHERE e.region_code LIKE $2 AND {}) x
         GROUP BY SUBSTR(x.region_code, 1, {group_len})",
        a.estates_sql("e", day)
    );
    let like = format!("{prefix}%");
    Ok(on!(db, p => sqlx::query_as::<_, Agg>(dynamic(sql)).bind(day).bind(like).fetch_all(p).await)?)
}

fn to_cov(a: &Agg) -> Coverage {
    Coverage {
        estates: a.estates,
        estates_covered: a.estates_covered,
        houses: a.houses,
        houses_covered: a.houses_covered,
        area: a.area,
        area_covered: a.area_covered,
    }
}

/// Figures for `code` (any level) and its children as of `day`, over the estates the
/// caller reaches. Errors: [`StoreError::NotFound`] for an unknown code or one outside the
/// caller's region.
pub async fn region_stats(db: &Db, a: &Access, code: &str, day: NaiveDate) -> Result<RegionStats> {
    a.require(Action::View, Resource::Dashboard)?;
    let region = region::get(db, code).await?.ok_or(StoreError::NotFound)?;
    if !a.reaches_region(&region.code) {
        return Err(StoreError::NotFound);
    }
    let rc = RegionCode::parse(&region.code).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let children = region::children(db, &region.code).await?;
    let group_len = rc.level().child().map(|l| l.prefix_len()).unwrap_or(12);
    let aggs = aggregate(db, a, &region.prefix, group_len, day).await?;
    let mut total = Coverage::default();
    let mut by_key = std::collections::HashMap::new();
    for a in &aggs {
        total.add(&to_cov(a));
        by_key.insert(a.k.clone(), to_cov(a));
    }
    let children = children
        .into_iter()
        .map(|c| {
            let key = c.prefix.clone();
            RegionCoverage { code: c.code, name: c.name, level: c.level, coverage: by_key.remove(&key).unwrap_or_default() }
        })
        .collect();
    Ok(RegionStats { region, day, total, children })
}
