//! Regional figures: property-service coverage on three bases for a region and each of
//! its child regions. An estate is covered when a contract is in force on the given day.

use crate::access::Access;
use crate::db::{Db, Result, StoreError, dynamic};
use wuye_domain::account::{Action, Resource};
use crate::on;
use crate::region::{self, Region};
use chrono::NaiveDate;
use serde::Serialize;
use wuye_domain::coverage::{Coverage, Ratio};
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
pub(crate) async fn reachable_region(db: &Db, a: &Access, code: &str) -> Result<(Region, Vec<Region>, usize)> {
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

// ---------------------------------------------------------------------------------------
// Cases: joint-conference matters, law-enforcement referrals, dispute mediation
// ---------------------------------------------------------------------------------------

/// Whether a matter was ever escalated (an `escalate` step on its time line); `c` aliases
/// `cases`. Used for the on-time definition below.
const NEVER_ESCALATED: &str = "NOT EXISTS (SELECT 1 FROM case_steps es WHERE es.case_id = c.id AND es.action = 'escalate')";

/// Figures on the cases of a set of regions, as of a day.
///
/// **On time** (matters): a matter is on time when it was never escalated (no missed
/// deadline reached its escalation day, [`wuye_domain::cases::escalation_day`]) and it is
/// either closed or still open and not past its current deadline. *Closed on time*
/// counts the closed ones among them; the on-time rate is on time / all matters.
/// **Overdue**: open (any kind) and the current deadline before the day.
/// **Mediation success**: agreed / concluded, where concluded = every closed dispute
/// (agreed, ended, declined, referred to court-linked mediation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseFigures {
    pub matters: i64,
    pub matters_open: i64,
    pub matters_closed: i64,
    /// Closed and never escalated.
    pub matters_closed_on_time: i64,
    /// Never escalated, and closed or open within the deadline.
    pub matters_on_time: i64,
    pub referrals: i64,
    pub referrals_open: i64,
    /// Handled by the competent department (closed as `handled`).
    pub referrals_handled: i64,
    /// Not referred (closed as `dismissed`).
    pub referrals_dismissed: i64,
    pub disputes: i64,
    pub disputes_open: i64,
    /// Closed with a mediation agreement.
    pub disputes_agreed: i64,
    /// Closed in any way (agreed, ended, declined, court).
    pub disputes_concluded: i64,
    /// Open cases of every kind past their deadline.
    pub overdue: i64,
}

impl CaseFigures {
    pub fn add(&mut self, o: &CaseFigures) {
        self.matters += o.matters;
        self.matters_open += o.matters_open;
        self.matters_closed += o.matters_closed;
        self.matters_closed_on_time += o.matters_closed_on_time;
        self.matters_on_time += o.matters_on_time;
        self.referrals += o.referrals;
        self.referrals_open += o.referrals_open;
        self.referrals_handled += o.referrals_handled;
        self.referrals_dismissed += o.referrals_dismissed;
        self.disputes += o.disputes;
        self.disputes_open += o.disputes_open;
        self.disputes_agreed += o.disputes_agreed;
        self.disputes_concluded += o.disputes_concluded;
        self.overdue += o.overdue;
    }
    /// Matters on time / matters.
    pub fn on_time_rate(&self) -> Ratio {
        Ratio::new(self.matters_on_time, self.matters)
    }
    /// Disputes agreed / concluded.
    pub fn success_rate(&self) -> Ratio {
        Ratio::new(self.disputes_agreed, self.disputes_concluded)
    }
}

/// Case figures of one region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionCaseFigures {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(flatten)]
    pub figures: CaseFigures,
}

/// Matters by the kind of their lead department (the department of the latest dispatch,
/// re-dispatch or reopening).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DepartmentFigures {
    /// Organisation kind (`urban_management`, …); `""` when unknown.
    pub kind: String,
    pub label: String,
    pub matters: i64,
    pub open: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub on_time: i64,
    pub overdue: i64,
    /// on_time / matters in tenths of a percent (rounded half up once).
    pub on_time_permille: i64,
}

/// Disputes of one category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DisputeCategoryFigures {
    pub category: String,
    pub label: String,
    pub total: i64,
    pub open: i64,
    pub agreed: i64,
    pub ended: i64,
    pub declined: i64,
    pub court: i64,
    /// Closed in any way.
    pub concluded: i64,
    /// agreed / concluded in tenths of a percent; `null` when none concluded.
    pub success_permille: Option<i64>,
    /// Sum over the concluded of the days from opening to closing.
    pub total_days: i64,
    /// total_days / concluded in tenths of a day, rounded half up once; `null` when none.
    pub avg_days_tenths: Option<i64>,
}

/// Referrals of one violation category, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReferralCategoryFigures {
    pub category: String,
    pub label: String,
    pub total: i64,
    pub handled: i64,
    pub dismissed: i64,
    pub open: i64,
    /// Open and past the deadline.
    pub overdue: i64,
}

/// Case figures of a region and of each child region (all children, also those without
/// cases), over the cases the caller reaches, with the region's breakdowns.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseStats {
    pub region: Region,
    pub day: NaiveDate,
    pub total: CaseFigures,
    pub children: Vec<RegionCaseFigures>,
    /// Matters by lead department kind (most matters first).
    pub departments: Vec<DepartmentFigures>,
    /// Disputes by category (the domain's order; categories without disputes left out).
    pub disputes: Vec<DisputeCategoryFigures>,
    /// Referrals by violation category (the domain's order; without referrals left out).
    pub referrals: Vec<ReferralCategoryFigures>,
}

/// The row of `category` in `rows`, added (labelled from `labels`, "其他" when unknown) if
/// missing.
fn of_category<'v, T>(rows: &'v mut Vec<T>, category: &str, labels: &[(&str, &str)], key: impl Fn(&T) -> &String, new: impl FnOnce(String, String) -> T) -> &'v mut T {
    let i = match rows.iter().position(|r| key(r) == category) {
        Some(i) => i,
        None => {
            let label = labels.iter().find(|(c, _)| *c == category).map(|(_, l)| *l).unwrap_or("其他");
            rows.push(new(category.to_string(), label.to_string()));
            rows.len() - 1
        }
    };
    &mut rows[i]
}

fn round_div(num: i64, den: i64) -> Option<i64> {
    (den > 0).then(|| (2 * num + den) / (2 * den))
}

/// Days between `c.opened_on` and `c.closed_on`, per backend.
fn days_sql(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "CAST(julianday(c.closed_on) - julianday(c.opened_on) AS BIGINT)",
        Db::Postgres(_) => "CAST(c.closed_on - c.opened_on AS BIGINT)",
    }
}

/// Case figures for `code` (any level) and its children as of `day`, over the cases the
/// caller reaches ([`crate::cases::cases_sql`]); see [`CaseFigures`] for the definitions.
/// Errors: [`StoreError::NotFound`] for an unknown code or one outside the caller's
/// region; [`StoreError::Forbidden`] for roles without the dashboard or cases.
pub async fn case_stats(db: &Db, a: &Access, code: &str, day: NaiveDate) -> Result<CaseStats> {
    a.require(Action::View, Resource::Dashboard)?;
    a.require(Action::View, Resource::Case)?;
    let (region, children, group_len) = reachable_region(db, a, code).await?;
    let w = format!("{} AND {}", crate::cases::prefix_range("c.region_code", &region.prefix), crate::cases::cases_sql(a, day));
    // 1. Per child region, kind and state.
    let by_state = format!(
        "SELECT SUBSTR(c.region_code, 1, {group_len}) AS k, c.kind, c.state, COUNT(*),
            CAST(COALESCE(SUM(CASE WHEN c.kind = 'matter' AND c.closed AND {NEVER_ESCALATED} THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN c.kind = 'matter' AND (c.closed OR c.deadline IS NULL OR c.deadline >= $1) AND {NEVER_ESCALATED} THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN NOT c.closed AND c.deadline < $1 THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM cases c WHERE {w}
         GROUP BY SUBSTR(c.region_code, 1, {group_len}), c.kind, c.state"
    );
    let rows: Vec<(String, String, String, i64, i64, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(by_state)).bind(day).fetch_all(p).await)?;
    let mut by_key: std::collections::BTreeMap<String, CaseFigures> = std::collections::BTreeMap::new();
    for (k, kind, state, n, closed_on_time, on_time, overdue) in rows {
        let x = by_key.entry(k).or_default();
        let closed = wuye_domain::cases::CaseKind::parse(&kind).and_then(|k| k.flow().state(&state)).is_some_and(|s| s.closed);
        x.overdue += overdue;
        match kind.as_str() {
            "matter" => {
                x.matters += n;
                if closed { x.matters_closed += n } else { x.matters_open += n }
                x.matters_closed_on_time += closed_on_time;
                x.matters_on_time += on_time;
            }
            "referral" => {
                x.referrals += n;
                match state.as_str() {
                    "handled" => x.referrals_handled += n,
                    "dismissed" => x.referrals_dismissed += n,
                    _ if !closed => x.referrals_open += n,
                    _ => {}
                }
            }
            "dispute" => {
                x.disputes += n;
                if closed { x.disputes_concluded += n } else { x.disputes_open += n }
                if state == "agreed" {
                    x.disputes_agreed += n;
                }
            }
            _ => {}
        }
    }
    let mut total = CaseFigures::default();
    for f in by_key.values() {
        total.add(f);
    }
    let children = children
        .into_iter()
        .map(|c| {
            let figures = by_key.remove(&c.prefix).unwrap_or_default();
            RegionCaseFigures { code: c.code, name: c.name, level: c.level, figures }
        })
        .collect();

    // 2. Matters by lead department kind.
    let dept = format!(
        "SELECT COALESCE(lo.kind, '') AS kind, COUNT(*),
            CAST(COALESCE(SUM(CASE WHEN c.closed THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN c.closed AND {NEVER_ESCALATED} THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN (c.closed OR c.deadline IS NULL OR c.deadline >= $1) AND {NEVER_ESCALATED} THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN NOT c.closed AND c.deadline < $1 THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM cases c LEFT JOIN organisations lo ON lo.id = (SELECT s.holder_org_id FROM case_steps s WHERE s.case_id = c.id AND s.action IN ('dispatch', 'redispatch', 'reopen') ORDER BY s.seq DESC LIMIT 1)
         WHERE c.kind = 'matter' AND {w}
         GROUP BY COALESCE(lo.kind, '')"
    );
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(dept)).bind(day).fetch_all(p).await)?;
    let mut departments: Vec<DepartmentFigures> = rows
        .into_iter()
        .map(|(kind, matters, closed, closed_on_time, on_time, overdue)| DepartmentFigures {
            label: wuye_domain::cases::department_label(&kind).unwrap_or("其他").to_string(),
            kind,
            matters,
            open: matters - closed,
            closed,
            closed_on_time,
            on_time,
            overdue,
            on_time_permille: Ratio::new(on_time, matters).permille(),
        })
        .collect();
    departments.sort_by(|a, b| b.matters.cmp(&a.matters).then_with(|| a.kind.cmp(&b.kind)));

    // 3. Disputes by category and state, with the days of the concluded.
    let disp = format!(
        "SELECT c.category, c.state, COUNT(*), CAST(COALESCE(SUM(CASE WHEN c.closed AND c.closed_on IS NOT NULL THEN {} ELSE 0 END), 0) AS BIGINT)
         FROM cases c WHERE c.kind = 'dispute' AND {w} GROUP BY c.category, c.state",
        days_sql(db)
    );
    let rows: Vec<(String, String, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(disp)).fetch_all(p).await)?;
    let mut disputes: Vec<DisputeCategoryFigures> = Vec::new();
    let cats = wuye_domain::cases::DISPUTE_CATEGORIES;
    for (cat, state, n, days) in rows {
        let d = of_category(&mut disputes, &cat, &cats, |d| &d.category, |category, label| DisputeCategoryFigures { category, label, ..Default::default() });
        d.total += n;
        match state.as_str() {
            "agreed" => d.agreed += n,
            "ended" => d.ended += n,
            "declined" => d.declined += n,
            "court" => d.court += n,
            _ => d.open += n,
        }
        if wuye_domain::cases::DISPUTE.state(&state).is_some_and(|st| st.closed) {
            d.concluded += n;
            d.total_days += days;
        }
    }
    for d in &mut disputes {
        d.success_permille = (d.concluded > 0).then(|| Ratio::new(d.agreed, d.concluded).permille());
        d.avg_days_tenths = round_div(d.total_days * 10, d.concluded);
    }
    disputes.sort_by_key(|d| cats.iter().position(|(c, _)| *c == d.category).unwrap_or(cats.len()));

    // 4. Referrals by category and outcome.
    let refs = format!(
        "SELECT c.category, c.state, COUNT(*), CAST(COALESCE(SUM(CASE WHEN NOT c.closed AND c.deadline < $1 THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM cases c WHERE c.kind = 'referral' AND {w} GROUP BY c.category, c.state"
    );
    let rows: Vec<(String, String, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(refs)).bind(day).fetch_all(p).await)?;
    let mut referrals: Vec<ReferralCategoryFigures> = Vec::new();
    let rcats = wuye_domain::cases::REFERRAL_CATEGORIES;
    for (cat, state, n, overdue) in rows {
        let r = of_category(&mut referrals, &cat, &rcats, |r| &r.category, |category, label| ReferralCategoryFigures { category, label, ..Default::default() });
        r.total += n;
        r.overdue += overdue;
        match state.as_str() {
            "handled" => r.handled += n,
            "dismissed" => r.dismissed += n,
            _ => r.open += n,
        }
    }
    referrals.sort_by_key(|d| rcats.iter().position(|(c, _)| *c == d.category).unwrap_or(rcats.len()));
    Ok(CaseStats { region, day, total, children, departments, disputes, referrals })
}
