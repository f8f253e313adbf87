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

/// The region `code` if the caller's figures reach it, its children, and the length of the
/// code prefix that groups estates by child. Errors: NotFound for an unknown code or one
/// outside the caller's region.
async fn reachable_region(db: &Db, a: &Access, code: &str) -> Result<(Region, Vec<Region>, usize)> {
    let region = region::get(db, code).await?.ok_or(StoreError::NotFound)?;
    if !a.reaches_region(&region.code) {
        return Err(StoreError::NotFound);
    }
    let rc = RegionCode::parse(&region.code).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let children = region::children(db, &region.code).await?;
    let group_len = rc.level().child().map(|l| l.prefix_len()).unwrap_or(12);
    Ok((region, children, group_len))
}

/// Figures for `code` (any level) and its children as of `day`, over the estates the
/// caller reaches. Errors: [`StoreError::NotFound`] for an unknown code or one outside the
/// caller's region.
pub async fn region_stats(db: &Db, a: &Access, code: &str, day: NaiveDate) -> Result<RegionStats> {
    a.require(Action::View, Resource::Dashboard)?;
    let (region, children, group_len) = reachable_region(db, a, code).await?;
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

// ---------------------------------------------------------------------------------------
// Owners' assembly votes and the maintenance fund
// ---------------------------------------------------------------------------------------

/// Figures on owners' votes and the maintenance fund over a set of estates. Money in fen.
/// A published vote passed when every matter passed (its `vote_results`), else failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AssemblyFund {
    /// Votes held: results published.
    pub votes_published: i64,
    pub votes_passed: i64,
    pub votes_failed: i64,
    /// Votes open for ballots now.
    pub votes_open: i64,
    /// Estates with a fund account.
    pub fund_accounts: i64,
    /// Sum of the fund accounts' balances (fen).
    pub fund_balance: i64,
    /// Open household accounts.
    pub fund_households: i64,
    /// Open household accounts below 30 % of their initial deposit (top-up due, Art 17).
    pub households_below_threshold: i64,
    /// Fund uses on the ordinary path (owners' vote), in any state.
    pub ordinary_uses: i64,
    /// Amount charged to household accounts by ordinary uses (fen).
    pub ordinary_charged: i64,
    /// Emergency uses (street office confirmation), in any state.
    pub emergency_uses: i64,
    pub emergency_charged: i64,
}

impl AssemblyFund {
    pub fn add(&mut self, o: &AssemblyFund) {
        self.votes_published += o.votes_published;
        self.votes_passed += o.votes_passed;
        self.votes_failed += o.votes_failed;
        self.votes_open += o.votes_open;
        self.fund_accounts += o.fund_accounts;
        self.fund_balance += o.fund_balance;
        self.fund_households += o.fund_households;
        self.households_below_threshold += o.households_below_threshold;
        self.ordinary_uses += o.ordinary_uses;
        self.ordinary_charged += o.ordinary_charged;
        self.emergency_uses += o.emergency_uses;
        self.emergency_charged += o.emergency_charged;
    }
}

/// Vote and fund figures of one region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionAssemblyFund {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(flatten)]
    pub figures: AssemblyFund,
}

/// Vote and fund figures of a region and of each child region (all children, also those
/// without estates), over the estates the caller reaches on `day`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssemblyFundStats {
    pub region: Region,
    pub day: NaiveDate,
    pub total: AssemblyFund,
    pub children: Vec<RegionAssemblyFund>,
}

/// Groups of the caller's estates under `prefix`, by the first `group_len` digits of their
/// community code: one query per figure group (votes, fund accounts, fund uses).
async fn aggregate_assembly_fund(db: &Db, a: &Access, prefix: &str, group_len: usize, day: NaiveDate) -> Result<std::collections::BTreeMap<String, AssemblyFund>> {
    let scope = a.estates_sql("e", day);
    let like = format!("{prefix}%");
    let votes = format!(
        "SELECT SUBSTR(e.region_code, 1, {group_len}) AS k,
            CAST(COALESCE(SUM(CASE WHEN v.state = 'published' THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN v.state = 'published' AND EXISTS (SELECT 1 FROM vote_results r WHERE r.vote_id = v.id)
                                        AND NOT EXISTS (SELECT 1 FROM vote_results r WHERE r.vote_id = v.id AND NOT r.passed) THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN v.state = 'open' THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM votes v JOIN estates e ON e.id = v.estate_id
         WHERE e.region_code LIKE $1 AND {scope}
         GROUP BY SUBSTR(e.region_code, 1, {group_len})"
    );
    let accounts = format!(
        "SELECT SUBSTR(e.region_code, 1, {group_len}) AS k, COUNT(*),
            CAST(COALESCE(SUM(fa.balance), 0) AS BIGINT),
            CAST(COALESCE(SUM(fh.households), 0) AS BIGINT),
            CAST(COALESCE(SUM(fh.below), 0) AS BIGINT)
         FROM fund_accounts fa JOIN estates e ON e.id = fa.estate_id
         LEFT JOIN (SELECT estate_id, COUNT(*) AS households,
                           SUM(CASE WHEN initial_deposit > 0 AND balance * 100 < initial_deposit * {pct} THEN 1 ELSE 0 END) AS below
                    FROM fund_households WHERE closed_on IS NULL GROUP BY estate_id) fh ON fh.estate_id = fa.estate_id
         WHERE e.region_code LIKE $1 AND {scope}
         GROUP BY SUBSTR(e.region_code, 1, {group_len})",
        pct = wuye_domain::fund::DEFAULT_TOP_UP_PERCENT
    );
    let uses = format!(
        "SELECT SUBSTR(e.region_code, 1, {group_len}) AS k, u.path, COUNT(*),
            CAST(COALESCE(SUM(CASE WHEN u.state IN ('charged', 'disclosed') THEN u.paid_amount ELSE 0 END), 0) AS BIGINT)
         FROM fund_uses u JOIN estates e ON e.id = u.estate_id
         WHERE e.region_code LIKE $1 AND {scope}
         GROUP BY SUBSTR(e.region_code, 1, {group_len}), u.path"
    );
    let v: Vec<(String, i64, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(votes)).bind(&like).fetch_all(p).await)?;
    let f: Vec<(String, i64, i64, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(accounts)).bind(&like).fetch_all(p).await)?;
    let u: Vec<(String, String, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(uses)).bind(&like).fetch_all(p).await)?;
    let mut out: std::collections::BTreeMap<String, AssemblyFund> = std::collections::BTreeMap::new();
    for (k, published, passed, open) in v {
        let x = out.entry(k).or_default();
        x.votes_published = published;
        x.votes_passed = passed;
        x.votes_failed = published - passed;
        x.votes_open = open;
    }
    for (k, accounts, balance, households, below) in f {
        let x = out.entry(k).or_default();
        x.fund_accounts = accounts;
        x.fund_balance = balance;
        x.fund_households = households;
        x.households_below_threshold = below;
    }
    for (k, path, n, charged) in u {
        let x = out.entry(k).or_default();
        if path == wuye_domain::fund::FundUsePath::Emergency.code() {
            x.emergency_uses += n;
            x.emergency_charged += charged;
        } else {
            x.ordinary_uses += n;
            x.ordinary_charged += charged;
        }
    }
    Ok(out)
}

/// Vote and fund figures for `code` (any level) and its children, over the estates the
/// caller reaches on `day` (votes and balances as they stand now). For roles that view the
/// dashboard, votes and the fund. Errors: [`StoreError::NotFound`] for an unknown code or
/// one outside the caller's region; [`StoreError::Forbidden`] for other roles.
pub async fn assembly_fund_stats(db: &Db, a: &Access, code: &str, day: NaiveDate) -> Result<AssemblyFundStats> {
    a.require(Action::View, Resource::Dashboard)?;
    a.require(Action::View, Resource::Vote)?;
    a.require(Action::View, Resource::Fund)?;
    let (region, children, group_len) = reachable_region(db, a, code).await?;
    let mut by_key = aggregate_assembly_fund(db, a, &region.prefix, group_len, day).await?;
    let mut total = AssemblyFund::default();
    for f in by_key.values() {
        total.add(f);
    }
    let children = children
        .into_iter()
        .map(|c| {
            let figures = by_key.remove(&c.prefix).unwrap_or_default();
            RegionAssemblyFund { code: c.code, name: c.name, level: c.level, figures }
        })
        .collect();
    Ok(AssemblyFundStats { region, day, total, children })
}
