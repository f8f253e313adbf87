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

use crate::access::Access;
use crate::cases::prefix_range;
use crate::db::{Db, Result, dynamic};
use crate::on;
use crate::region::Region;
use crate::stats::reachable_region;
use chrono::NaiveDate;
use serde::Serialize;
use wuye_domain::account::{Action, Resource, Scope};
use wuye_domain::coverage::Ratio;
use wuye_domain::safety::{Category, DutyKind};

/// The scope predicate on a safety table aliased `t` (with `estate_id` and `region_code`):
/// none for a caller whose region holds the asked prefix `rp` (the prefix range then implies
/// it, and counts read the index alone); a region's range; else the estates the caller
/// reaches. With `named` (a table with `enterprise_id`: hazards, inspections) an enterprise
/// also sees the rows that name it, after its contract has ended.
pub(crate) fn scope_sql(a: &Access, t: &str, rp: &str, today: NaiveDate, named: bool) -> String {
    match a.scope() {
        Scope::All => "1=1".into(),
        Scope::Region(r) if rp.starts_with(r.prefix()) => "1=1".into(),
        Scope::Region(r) => prefix_range(&format!("{t}.region_code"), r.prefix()),
        Scope::Enterprise(id) if named => format!("({t}.enterprise_id = {id} OR {t}.estate_id IN (SELECT e.id FROM estates e WHERE {}))", a.estates_sql("e", today)),
        _ => format!("{t}.estate_id IN (SELECT e.id FROM estates e WHERE {})", a.estates_sql("e", today)),
    }
}

/// A region prefix given by a caller: digits only, at most 12; else the whole province.
fn clean_prefix(p: &str) -> &str {
    if p.len() <= 12 && p.bytes().all(|b| b.is_ascii_digit()) { p } else { "" }
}

/// One row of the overdue list: an open hazard past its deadline, or a recurring duty past
/// its due day. `due` is the deadline or due day (Asia/Shanghai); `days` the calendar days
/// since (1 = due yesterday).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OverdueItem {
    /// `hazard` or `duty`.
    pub what: String,
    pub id: i64,
    pub estate_id: i64,
    pub estate_name: String,
    pub region_code: String,
    /// The hazard's category or the duty's kind (codes).
    pub kind: String,
    /// The hazard's severity, or what the duty is for (an elevator's number…).
    pub detail: String,
    pub due: NaiveDate,
    #[sqlx(skip)]
    pub days: i64,
}

impl OverdueItem {
    /// The category's or duty kind's Chinese label.
    pub fn kind_label(&self) -> &'static str {
        if self.what == "hazard" {
            Category::parse(&self.kind).map(|c| c.label_zh()).unwrap_or("其他")
        } else {
            DutyKind::parse(&self.kind).map(|k| k.label_zh()).unwrap_or("其他")
        }
    }
    /// The severity's label for a hazard; what the duty is for.
    pub fn detail_label(&self) -> String {
        if self.what == "hazard" { wuye_domain::safety::Severity::parse(&self.detail).map(|s| s.label_zh().to_string()).unwrap_or_else(|| self.detail.clone()) } else { self.detail.clone() }
    }
    /// The page of the hazard or of the estate's duties.
    pub fn href(&self) -> String {
        if self.what == "hazard" { format!("/safety/hazards/{}", self.id) } else { format!("/estates/{}/safety/duties", self.estate_id) }
    }
}

/// The overdue list of a region: overdue hazards and duties together, the longest overdue
/// first, and how many hazards and duties are overdue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueList {
    pub items: Vec<OverdueItem>,
    pub hazards: i64,
    pub duties: i64,
}

/// The overdue hazards and duties of a region (digit prefix; "" = all) that the caller
/// reaches on `today`, the longest overdue first (`offset`, `limit` ≤ 10,000 rows), and the
/// counts of each. A hazard is overdue when open and its deadline is before `today`; a duty
/// when active and its next due day is before `today` (the due day itself is in time).
/// Errors: `Forbidden` without `View` on `Safety`.
pub async fn overdue(db: &Db, a: &Access, region_prefix: &str, offset: i64, limit: i64, today: NaiveDate) -> Result<OverdueList> {
    a.require(Action::View, Resource::Safety)?;
    let rp = clean_prefix(region_prefix);
    let (offset, limit) = (offset.clamp(0, 100_000_000), limit.clamp(1, 10_000));
    let n = offset + limit;
    let wh = format!("h.closed = FALSE AND h.deadline < '{today}' AND {} AND {}", prefix_range("h.region_code", rp), scope_sql(a, "h", rp, today, true));
    let wd = format!("d.active = TRUE AND d.next_due < '{today}' AND {} AND {}", prefix_range("d.region_code", rp), scope_sql(a, "d", rp, today, false));
    // Each branch reads its (open, due, region) index in order and stops after n rows; the
    // merge keeps the n earliest.
    let sql = format!(
        "SELECT x.what, x.id, x.estate_id, e.name AS estate_name, x.region_code, x.kind, x.detail, x.due FROM (
            SELECT * FROM (SELECT 'hazard' AS what, h.id, h.estate_id, h.region_code, h.category AS kind, h.severity AS detail, h.deadline AS due
                FROM safety_hazards h WHERE {wh} ORDER BY h.deadline, h.id LIMIT {n}) hz
            UNION ALL
            SELECT * FROM (SELECT 'duty' AS what, d.id, d.estate_id, d.region_code, d.kind, d.subject AS detail, d.next_due AS due
                FROM safety_duties d WHERE {wd} ORDER BY d.next_due, d.id LIMIT {n}) du
         ) x JOIN estates e ON e.id = x.estate_id
         ORDER BY x.due, x.what DESC, x.id LIMIT {limit} OFFSET {offset}"
    );
    let mut items: Vec<OverdueItem> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    for i in &mut items {
        i.days = (today - i.due).num_days();
    }
    let hazards: i64 = on!(db, p => sqlx::query_scalar(dynamic(format!("SELECT COUNT(*) FROM safety_hazards h WHERE {wh}"))).fetch_one(p).await)?;
    let duties: i64 = on!(db, p => sqlx::query_scalar(dynamic(format!("SELECT COUNT(*) FROM safety_duties d WHERE {wd}"))).fetch_one(p).await)?;
    Ok(OverdueList { items, hazards, duties })
}

/// Safety figures of a set of estates, as of a day.
///
/// - **Rectified on time**: a closed hazard fixed on the spot (during the inspection), or
///   whose passed rectification report is dated no later than the rectification deadline
///   set when it was found (`rectified_on <= rectify_by`; rejections and supervision orders
///   do not move it); the on-time rate is rectified on time / closed.
/// - **Overdue**: open hazards past their current deadline; active duties past their due day.
/// - **Estates with overdue duties**: distinct estates with at least one overdue duty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SafetyFigures {
    pub inspections: i64,
    pub hazards: i64,
    pub hazards_major: i64,
    pub hazards_open: i64,
    pub hazards_closed: i64,
    pub hazards_on_time: i64,
    pub hazards_overdue: i64,
    /// Open hazards under a supervision order (督办).
    pub hazards_supervised: i64,
    pub duties: i64,
    pub duties_overdue: i64,
    pub estates_with_overdue_duties: i64,
}

impl SafetyFigures {
    pub fn add(&mut self, o: &SafetyFigures) {
        self.inspections += o.inspections;
        self.hazards += o.hazards;
        self.hazards_major += o.hazards_major;
        self.hazards_open += o.hazards_open;
        self.hazards_closed += o.hazards_closed;
        self.hazards_on_time += o.hazards_on_time;
        self.hazards_overdue += o.hazards_overdue;
        self.hazards_supervised += o.hazards_supervised;
        self.duties += o.duties;
        self.duties_overdue += o.duties_overdue;
        self.estates_with_overdue_duties += o.estates_with_overdue_duties;
    }
    /// Rectified on time / closed hazards.
    pub fn on_time_rate(&self) -> Ratio {
        Ratio::new(self.hazards_on_time, self.hazards_closed)
    }
}

/// Safety figures of one region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionSafetyFigures {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(flatten)]
    pub figures: SafetyFigures,
}

/// Hazards of one category in the region in focus.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CategoryFigures {
    pub category: String,
    pub label: String,
    pub hazards: i64,
    pub open: i64,
    pub closed: i64,
    pub on_time: i64,
    pub overdue: i64,
}

/// An estate of the worst ranking: the most overdue hazards and duties.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct WorstEstate {
    pub estate_id: i64,
    pub name: String,
    pub region_code: String,
    pub hazards_overdue: i64,
    pub major_open: i64,
    pub duties_overdue: i64,
}

/// Safety figures of a region and each child region (all children, also those without
/// any), its hazards by category, and the ten worst estates: ranked by overdue hazards +
/// overdue duties, then open major hazards.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SafetyStats {
    pub region: Region,
    pub day: NaiveDate,
    pub total: SafetyFigures,
    pub children: Vec<RegionSafetyFigures>,
    /// In the order of [`Category::ALL`]; categories without hazards left out.
    pub categories: Vec<CategoryFigures>,
    pub worst: Vec<WorstEstate>,
}

/// Safety figures for `code` (any level) and its children as of `day`, over the estates
/// the caller reaches; see [`SafetyFigures`] for the definitions. Errors: `NotFound` for an
/// unknown code or one outside the caller's region; `Forbidden` without the dashboard or
/// safety.
pub async fn safety_stats(db: &Db, a: &Access, code: &str, day: NaiveDate) -> Result<SafetyStats> {
    a.require(Action::View, Resource::Dashboard)?;
    a.require(Action::View, Resource::Safety)?;
    let (region, children, g) = reachable_region(db, a, code).await?;
    let rp = region.prefix.clone();
    let hw = format!("{} AND {}", prefix_range("h.region_code", &rp), scope_sql(a, "h", &rp, day, true));
    let dw = format!("{} AND {}", prefix_range("d.region_code", &rp), scope_sql(a, "d", &rp, day, false));
    let iw = format!("{} AND {}", prefix_range("i.region_code", &rp), scope_sql(a, "i", &rp, day, true));
    let on_time = "(h.spot_fixed OR (h.rectified_on IS NOT NULL AND h.rectify_by IS NOT NULL AND h.rectified_on <= h.rectify_by))";
    let sum = |c: &str| format!("CAST(COALESCE(SUM(CASE WHEN {c} THEN 1 ELSE 0 END), 0) AS BIGINT)");
    let hz = format!(
        "SELECT SUBSTR(h.region_code, 1, {g}) AS k, h.category, COUNT(*), {}, {}, {}, {}, {}
         FROM safety_hazards h WHERE {hw} GROUP BY SUBSTR(h.region_code, 1, {g}), h.category",
        sum("h.severity = 'major'"),
        sum("h.closed"),
        sum(&format!("h.closed AND {on_time}")),
        sum(&format!("NOT h.closed AND h.deadline < '{day}'")),
        sum("NOT h.closed AND h.supervision_no IS NOT NULL"),
    );
    type HzRow = (String, String, i64, i64, i64, i64, i64, i64);
    let rows: Vec<HzRow> = on!(db, p => sqlx::query_as(dynamic(hz)).fetch_all(p).await)?;
    let mut by: std::collections::BTreeMap<String, SafetyFigures> = Default::default();
    let mut cats: Vec<CategoryFigures> = Vec::new();
    for (k, cat, n, major, closed, on_time, overdue, supervised) in rows {
        let f = by.entry(k).or_default();
        f.hazards += n;
        f.hazards_major += major;
        f.hazards_closed += closed;
        f.hazards_open += n - closed;
        f.hazards_on_time += on_time;
        f.hazards_overdue += overdue;
        f.hazards_supervised += supervised;
        let i = match cats.iter().position(|c| c.category == cat) {
            Some(i) => i,
            None => {
                let label = Category::parse(&cat).map(|c| c.label_zh()).unwrap_or("其他").to_string();
                cats.push(CategoryFigures { category: cat.clone(), label, ..Default::default() });
                cats.len() - 1
            }
        };
        let c = &mut cats[i];
        c.hazards += n;
        c.open += n - closed;
        c.closed += closed;
        c.on_time += on_time;
        c.overdue += overdue;
    }
    let order = |c: &str| Category::ALL.iter().position(|x| x.code() == c).unwrap_or(usize::MAX);
    cats.sort_by_key(|c| order(&c.category));
    let du = format!(
        "SELECT SUBSTR(d.region_code, 1, {g}) AS k, COUNT(*), {}, COUNT(DISTINCT CASE WHEN d.next_due < '{day}' THEN d.estate_id END)
         FROM safety_duties d WHERE d.active = TRUE AND {dw} GROUP BY SUBSTR(d.region_code, 1, {g})",
        sum(&format!("d.next_due < '{day}'"))
    );
    let rows: Vec<(String, i64, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(du)).fetch_all(p).await)?;
    for (k, n, overdue, estates) in rows {
        let f = by.entry(k).or_default();
        f.duties += n;
        f.duties_overdue += overdue;
        f.estates_with_overdue_duties += estates;
    }
    let ins = format!("SELECT SUBSTR(i.region_code, 1, {g}) AS k, COUNT(*) FROM safety_inspections i WHERE {iw} GROUP BY SUBSTR(i.region_code, 1, {g})");
    let rows: Vec<(String, i64)> = on!(db, p => sqlx::query_as(dynamic(ins)).fetch_all(p).await)?;
    for (k, n) in rows {
        by.entry(k).or_default().inspections += n;
    }
    let mut total = SafetyFigures::default();
    for f in by.values() {
        total.add(f);
    }
    let children = children
        .into_iter()
        .map(|c| {
            let figures = by.remove(&c.prefix).unwrap_or_default();
            RegionSafetyFigures { code: c.code, name: c.name, level: c.level, figures }
        })
        .collect();
    let worst_sql = format!(
        "SELECT e.id AS estate_id, e.name, e.region_code,
            CAST(COALESCE(hz.overdue, 0) AS BIGINT) AS hazards_overdue, CAST(COALESCE(hz.major, 0) AS BIGINT) AS major_open,
            CAST(COALESCE(du.overdue, 0) AS BIGINT) AS duties_overdue
         FROM estates e
         LEFT JOIN (SELECT h.estate_id, {} AS overdue, {} AS major FROM safety_hazards h WHERE h.closed = FALSE AND {hw} GROUP BY h.estate_id) hz ON hz.estate_id = e.id
         LEFT JOIN (SELECT d.estate_id, COUNT(*) AS overdue FROM safety_duties d WHERE d.active = TRUE AND d.next_due < '{day}' AND {dw} GROUP BY d.estate_id) du ON du.estate_id = e.id
         WHERE (hz.estate_id IS NOT NULL OR du.estate_id IS NOT NULL) AND (COALESCE(hz.overdue, 0) + COALESCE(du.overdue, 0) + COALESCE(hz.major, 0)) > 0
         ORDER BY COALESCE(hz.overdue, 0) + COALESCE(du.overdue, 0) DESC, COALESCE(hz.major, 0) DESC, e.id LIMIT 10",
        sum(&format!("h.deadline < '{day}'")),
        sum("h.severity = 'major'"),
    );
    let worst: Vec<WorstEstate> = on!(db, p => sqlx::query_as(dynamic(worst_sql)).fetch_all(p).await)?;
    Ok(SafetyStats { region, day, total, children, categories: cats, worst })
}
