//! Published credit (rules.md §4 "publication"; PIPL Art 67): what anyone may read without
//! logging in, and the credit figures of the regional dashboard.
//!
//! Only records in state `effective` are ever published: nothing pending, under objection
//! or revoked, and nothing personal (no entering user, no phone, no evidence file). These
//! queries read the credit tables (migration 0009_credit) and never write.
//!
//! - [`search`]: the look-up by enterprise name (substring) or USCC (exact), paged.
//! - [`credit_file`]: an enterprise's public credit file: basic information, current grade
//!   and score, red/black list status, the published records and the score history.
//! - [`public_list`]: the red or black list of a region (any level), with the count of
//!   each child region for drill-down.
//! - [`credit_stats`]: the dashboard figures per child region (logged-in, scoped).

use crate::access::Access;
use crate::cases::prefix_range;
use crate::db::{Db, Result, StoreError, dynamic};
use crate::on;
use crate::region::{self, Region};
use crate::registry::Page;
use crate::stats::reachable_region;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use wuye_domain::account::{Action, Resource};
use wuye_domain::region::RegionCode;

/// Grades on the red list (红榜) [U]: the top grade of each scheme — `AAA` (Shandong,
/// Yantai, Shangqiu: "AAA → red list") and `AAAA` (4-band Lianyungang). A black-listed
/// enterprise is never on the red list.
pub const RED_GRADES: &[&str] = &["AAAA", "AAA"];

/// The grade codes in display order, for the grade distribution.
pub const GRADES: &[&str] = &["AAAA", "AAA", "AA", "A", "B", "C"];

/// The most rows a list or export returns.
pub const LIST_CAP: i64 = 10_000;

/// The Chinese label of a grade code: `black` 黑名单, `missing` 缺失, `""` 未评级, else the
/// code itself.
pub fn grade_label(grade: &str) -> String {
    match grade {
        "black" => "黑名单".into(),
        "missing" => "C（缺失）".into(),
        "" => "未评级".into(),
        g => g.to_string(),
    }
}

/// `12.5` from 125 tenths (negative kept).
pub fn tenths_text(t: i64) -> String {
    let sign = if t < 0 { "-" } else { "" };
    let a = t.abs();
    format!("{sign}{}.{}", a / 10, a % 10)
}

fn red_in() -> String {
    RED_GRADES.iter().map(|g| format!("'{g}'")).collect::<Vec<_>>().join(",")
}

/// SQL predicate of the red list on `credit_scores s`.
fn red_sql() -> String {
    format!("(s.grade IN ({}) AND s.black_listed = 0)", red_in())
}

/// SQL predicate of the black list on `credit_scores s`.
const BLACK_SQL: &str = "(s.black_listed = 1 OR s.grade = 'black')";

/// An enterprise as the public look-up shows it. `score_tenths` in tenths of a point
/// (`None` when it has no score); `grade` a grade code (`""` unrated; see [`grade_label`]);
/// `registration`: `registered`, `exited`, or `None` when not registered in the credit
/// system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PublicEnterprise {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub legal_representative: String,
    /// The enterprise's registered region (12 digits; "" when unknown).
    pub region_code: String,
    pub registration: Option<String>,
    pub registered_on: Option<NaiveDate>,
    pub grade: String,
    pub score_tenths: Option<i64>,
    pub black_listed: bool,
    /// The day the score was last computed.
    pub computed_on: Option<NaiveDate>,
}

impl PublicEnterprise {
    pub fn grade_label(&self) -> String {
        grade_label(&self.grade)
    }
    /// The score as text with one decimal, or "—".
    pub fn score_text(&self) -> String {
        self.score_tenths.map(tenths_text).unwrap_or_else(|| "—".into())
    }
    /// On the red list: a red grade and not black-listed.
    pub fn red_listed(&self) -> bool {
        !self.black_listed && RED_GRADES.contains(&self.grade.as_str())
    }
    pub fn on_black_list(&self) -> bool {
        self.black_listed || self.grade == "black"
    }
    /// 已登记 / 已退出 / 未登记.
    pub fn registration_label(&self) -> &'static str {
        match self.registration.as_deref() {
            Some("registered") => "已登记",
            Some("exited") => "已退出",
            _ => "未登记",
        }
    }
}

#[derive(sqlx::FromRow)]
struct EnterpriseRow {
    id: i64,
    name: String,
    uscc: String,
    legal_representative: String,
    region_code: Option<String>,
    registration: Option<String>,
    registered_on: Option<NaiveDate>,
    grade: Option<String>,
    score_tenths: Option<i64>,
    black_listed: Option<i64>,
    computed_on: Option<NaiveDate>,
}

impl From<EnterpriseRow> for PublicEnterprise {
    fn from(r: EnterpriseRow) -> Self {
        PublicEnterprise {
            id: r.id,
            name: r.name,
            uscc: r.uscc,
            legal_representative: r.legal_representative,
            region_code: r.region_code.unwrap_or_default(),
            registration: r.registration,
            registered_on: r.registered_on,
            grade: r.grade.unwrap_or_default(),
            score_tenths: r.score_tenths,
            black_listed: r.black_listed.unwrap_or(0) != 0,
            computed_on: r.computed_on,
        }
    }
}

const ENTERPRISE_COLS: &str = "n.id, n.name, n.uscc, n.legal_representative, n.region_code,
    g.status AS registration, g.registered_on, s.grade, s.score_tenths, s.black_listed, s.computed_on
    FROM enterprises n LEFT JOIN credit_registrations g ON g.enterprise_id = n.id LEFT JOIN credit_scores s ON s.enterprise_id = n.id";

/// Whether `q` has the shape of a USCC: 18 characters of digits and capital letters.
fn looks_like_uscc(q: &str) -> bool {
    q.len() == 18 && q.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The public look-up: enterprises whose name contains `q`, or whose USCC equals `q` (18
/// characters, compared in capitals); an empty `q` lists every enterprise. By name, page
/// `page` (from 1) of `per_page` rows (1–200); the total is capped at [`LIST_CAP`].
/// No login needed: only public fields. Errors: `Invalid` for a query over 100 characters.
pub async fn search(db: &Db, q: &str, page: i64, per_page: i64) -> Result<Page<PublicEnterprise>> {
    let q = q.trim();
    if q.chars().count() > 100 {
        return Err(StoreError::Invalid("查询：企业名称或统一社会信用代码不超过 100 个字符".into()));
    }
    let per_page = per_page.clamp(1, 200);
    let page = page.clamp(1, LIST_CAP / per_page + 1);
    // LIKE wildcards in the name are matched literally (`ESCAPE '\\'`, both backends).
    let like = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    // (predicate, binds): the USCC is compared exactly, in capitals.
    let (wh, binds): (&str, Vec<String>) = if q.is_empty() {
        ("1=1", vec![])
    } else if looks_like_uscc(q) {
        ("(n.uscc = $1 OR n.name LIKE $2 ESCAPE '\\')", vec![q.to_ascii_uppercase(), like])
    } else {
        ("n.name LIKE $1 ESCAPE '\\'", vec![like])
    };
    let sql = format!("SELECT {ENTERPRISE_COLS} WHERE {wh} ORDER BY n.name, n.id LIMIT {per_page} OFFSET {}", (page - 1) * per_page);
    let count_sql = format!("SELECT COUNT(*) FROM (SELECT n.id FROM enterprises n WHERE {wh} LIMIT {}) x", LIST_CAP + 1);
    let rows: Vec<EnterpriseRow> = on!(db, p => {
        let mut q = sqlx::query_as(dynamic(sql));
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_all(p).await
    })?;
    let total: i64 = on!(db, p => {
        let mut q = sqlx::query_scalar(dynamic(count_sql));
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_one(p).await
    })?;
    let more = total > LIST_CAP;
    Ok(Page { items: rows.into_iter().map(Into::into).collect(), total: total.min(LIST_CAP), more, page, per_page })
}

/// A published credit record: state `effective` only. Points in tenths of a point, a
/// magnitude (`kind` `good` adds, `bad` deducts). No one's name who entered it, no evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PublicRecord {
    pub id: i64,
    /// `good` | `bad`
    pub kind: String,
    pub item_code: String,
    pub points_tenths: i64,
    pub serious: bool,
    /// regulator | street | court | arbitration | association | owner_rating | complaint | party | other
    pub source: String,
    /// The deciding organisation (an authority, court, association…).
    pub source_org: String,
    pub estate_name: Option<String>,
    pub region_code: String,
    pub title: String,
    pub detail: String,
    pub occurred_on: NaiveDate,
    /// First day it counts.
    pub effective_on: Option<NaiveDate>,
    /// Last day it counts; `None`: a serious record, until its rectification is accepted.
    pub valid_until: Option<NaiveDate>,
    pub rectified_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    kind: String,
    item_code: String,
    points_tenths: i64,
    serious: i64,
    source: String,
    source_org: String,
    estate_name: Option<String>,
    region_code: String,
    title: String,
    detail: String,
    occurred_on: NaiveDate,
    effective_on: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    rectified_on: Option<NaiveDate>,
}

impl PublicRecord {
    /// Whether it counts on `day`: from `effective_on` to `valid_until` inclusive; a record
    /// without `valid_until` until its rectification (`rectified_on`) is accepted.
    pub fn counts_on(&self, day: NaiveDate) -> bool {
        let started = self.effective_on.is_some_and(|e| e <= day);
        let ended = match self.valid_until {
            Some(v) => v < day,
            None => self.rectified_on.is_some_and(|r| r <= day),
        };
        started && !ended
    }
    /// 良好 / 不良.
    pub fn kind_label(&self) -> &'static str {
        if self.kind == "good" { "良好行为" } else { "不良行为" }
    }
    /// "+2.0" or "-5.0".
    pub fn points_text(&self) -> String {
        let t = tenths_text(self.points_tenths);
        if self.kind == "good" { format!("+{t}") } else { format!("-{t}") }
    }
    /// The source's Chinese label.
    pub fn source_label(&self) -> &'static str {
        match self.source.as_str() {
            "regulator" => "主管部门",
            "street" => "街道（乡镇）",
            "court" => "人民法院",
            "arbitration" => "仲裁机构",
            "association" => "行业协会",
            "owner_rating" => "业主评价",
            "complaint" => "投诉查实",
            "party" => "党组织",
            _ => "其他",
        }
    }
}

/// One point of the score history: the score (tenths; `None` when unrated) and grade from
/// `on_date` until the next point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HistoryPoint {
    pub on_date: NaiveDate,
    pub score_tenths: Option<i64>,
    pub grade: String,
}

/// An enterprise's public credit file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCreditFile {
    pub enterprise: PublicEnterprise,
    /// The region's name of the enterprise ("" when unknown).
    pub region_name: String,
    pub red_listed: bool,
    pub black_listed: bool,
    /// Published records (state `effective`), the latest first.
    pub records: Vec<PublicRecord>,
    /// Score history, oldest first (`credit_score_history`).
    pub history: Vec<HistoryPoint>,
}

/// The public credit file of enterprise `id`. Errors: `NotFound` for an unknown id.
pub async fn credit_file(db: &Db, id: i64) -> Result<PublicCreditFile> {
    let sql = format!("SELECT {ENTERPRISE_COLS} WHERE n.id = $1");
    let row: Option<EnterpriseRow> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?;
    let enterprise: PublicEnterprise = row.ok_or(StoreError::NotFound)?.into();
    let records: Vec<RecordRow> = on!(db, p => sqlx::query_as(
        "SELECT r.id, r.kind, r.item_code, r.points_tenths, r.serious, r.source, r.source_org, e.name AS estate_name, r.region_code,
                r.title, r.detail, r.occurred_on, r.effective_on, r.valid_until, r.rectified_on
         FROM credit_records r LEFT JOIN estates e ON e.id = r.estate_id
         WHERE r.enterprise_id = $1 AND r.state = 'effective'
         ORDER BY r.occurred_on DESC, r.id DESC").bind(id).fetch_all(p).await)?;
    let records = records
        .into_iter()
        .map(|r| PublicRecord {
            id: r.id,
            kind: r.kind,
            item_code: r.item_code,
            points_tenths: r.points_tenths,
            serious: r.serious != 0,
            source: r.source,
            source_org: r.source_org,
            estate_name: r.estate_name,
            region_code: r.region_code,
            title: r.title,
            detail: r.detail,
            occurred_on: r.occurred_on,
            effective_on: r.effective_on,
            valid_until: r.valid_until,
            rectified_on: r.rectified_on,
        })
        .collect();
    let history: Vec<HistoryPoint> = on!(db, p => sqlx::query_as(
        "SELECT on_date, score_tenths, grade FROM credit_score_history WHERE enterprise_id = $1 ORDER BY on_date").bind(id).fetch_all(p).await)?;
    let region_name = match region::get(db, &enterprise.region_code).await? {
        Some(r) => r.name,
        None => String::new(),
    };
    Ok(PublicCreditFile { red_listed: enterprise.red_listed(), black_listed: enterprise.on_black_list(), enterprise, region_name, records, history })
}

/// Red list (红榜) or black list (黑榜).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    Red,
    Black,
}

impl ListKind {
    /// `red` or `black`; anything else is the red list.
    pub fn parse(s: &str) -> ListKind {
        if s == "black" { ListKind::Black } else { ListKind::Red }
    }
    pub fn code(self) -> &'static str {
        match self {
            ListKind::Red => "red",
            ListKind::Black => "black",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ListKind::Red => "红榜",
            ListKind::Black => "黑榜",
        }
    }
    fn sql(self) -> String {
        match self {
            ListKind::Red => red_sql(),
            ListKind::Black => BLACK_SQL.to_string(),
        }
    }
}

/// An enterprise on a list. For the black list, `reason` is the title of its latest
/// published serious bad record, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ListedEnterprise {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    /// The enterprise's region (credit_scores.region_code).
    pub region_code: String,
    pub grade: String,
    pub score_tenths: Option<i64>,
    pub computed_on: NaiveDate,
    pub reason: Option<String>,
}

impl ListedEnterprise {
    pub fn grade_label(&self) -> String {
        grade_label(&self.grade)
    }
    pub fn score_text(&self) -> String {
        self.score_tenths.map(tenths_text).unwrap_or_else(|| "—".into())
    }
}

/// A child region and how many enterprises of the list it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChildCount {
    pub code: String,
    pub name: String,
    pub count: i64,
}

/// The red or black list of a region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicList {
    pub region: Region,
    pub kind: ListKind,
    pub children: Vec<ChildCount>,
    pub page: Page<ListedEnterprise>,
}

/// The red or black list of the region `code` (any level, 2–12 digits; `None` or "" = the
/// top region): enterprises whose `credit_scores.region_code` lies in the region —
/// red: a grade of [`RED_GRADES`] and not black-listed; black: black-listed or grade
/// `black` — by name, paged (`per_page` 1–10,000), and each child region's count. Errors:
/// `NotFound` for an unknown region.
pub async fn public_list(db: &Db, code: Option<&str>, kind: ListKind, page: i64, per_page: i64) -> Result<PublicList> {
    let region = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => region::get(db, c).await?.ok_or(StoreError::NotFound)?,
        None => region::roots(db).await?.into_iter().next().ok_or(StoreError::NotFound)?,
    };
    let rc = RegionCode::parse(&region.code).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let g = rc.level().child().map(|l| l.prefix_len()).unwrap_or(12);
    let wh = format!("{} AND {}", kind.sql(), prefix_range("s.region_code", &region.prefix));
    let counts: Vec<(String, i64)> = on!(db, p => sqlx::query_as(dynamic(format!(
        "SELECT SUBSTR(s.region_code, 1, {g}) AS k, COUNT(*) FROM credit_scores s WHERE {wh} GROUP BY SUBSTR(s.region_code, 1, {g})"))).fetch_all(p).await)?;
    let total: i64 = counts.iter().map(|c| c.1).sum();
    let by: std::collections::HashMap<String, i64> = counts.into_iter().collect();
    let children = region::children(db, &region.code)
        .await?
        .into_iter()
        .map(|c| ChildCount { count: by.get(&c.prefix).copied().unwrap_or(0), code: c.code, name: c.name })
        .collect();
    let per_page = per_page.clamp(1, LIST_CAP);
    let page = page.clamp(1, LIST_CAP / per_page + 1);
    let sql = format!(
        "SELECT n.id, n.name, n.uscc, s.region_code, s.grade, s.score_tenths, s.computed_on,
            (SELECT r.title FROM credit_records r WHERE r.enterprise_id = n.id AND r.state = 'effective' AND r.kind = 'bad' AND r.serious = 1
             ORDER BY r.occurred_on DESC, r.id DESC LIMIT 1) AS reason
         FROM credit_scores s JOIN enterprises n ON n.id = s.enterprise_id
         WHERE {wh} ORDER BY n.name, n.id LIMIT {per_page} OFFSET {}",
        (page - 1) * per_page
    );
    let mut items: Vec<ListedEnterprise> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    if kind == ListKind::Red {
        for i in &mut items {
            i.reason = None;
        }
    }
    Ok(PublicList { region, kind, children, page: Page { items, total: total.min(LIST_CAP), more: total > LIST_CAP, page, per_page } })
}

// ---------------------------------------------------------------------------------------
// Dashboard figures
// ---------------------------------------------------------------------------------------

/// Credit figures of the enterprises of a region (by `credit_scores.region_code`, the
/// enterprise's region).
///
/// - `registered`: enterprises registered in the credit system (status `registered`; its
///   region is the score's region, else the registering authority's).
/// - `rated`: enterprises with a credit file (a row in `credit_scores`); the grade
///   columns split them: `black` counts every black-listed enterprise whatever its grade,
///   the others count the grade (`aaaa` only in 4-band schemes), `missing` operating but not
///   registered, `unrated` no grade.
/// - `good_records`, `bad_records`: published (state `effective`) records of its enterprises;
///   `pending_records`: records pending or under objection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CreditFigures {
    pub registered: i64,
    pub rated: i64,
    pub aaaa: i64,
    pub aaa: i64,
    pub aa: i64,
    pub a: i64,
    pub b: i64,
    pub c: i64,
    pub black: i64,
    pub missing: i64,
    pub unrated: i64,
    pub good_records: i64,
    pub bad_records: i64,
    pub pending_records: i64,
}

impl CreditFigures {
    pub fn add(&mut self, o: &CreditFigures) {
        self.registered += o.registered;
        self.rated += o.rated;
        self.aaaa += o.aaaa;
        self.aaa += o.aaa;
        self.aa += o.aa;
        self.a += o.a;
        self.b += o.b;
        self.c += o.c;
        self.black += o.black;
        self.missing += o.missing;
        self.unrated += o.unrated;
        self.good_records += o.good_records;
        self.bad_records += o.bad_records;
        self.pending_records += o.pending_records;
    }
}

/// Credit figures of one region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionCreditFigures {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(flatten)]
    pub figures: CreditFigures,
}

/// Published records of one month in the region in focus (by `occurred_on`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MonthRecords {
    /// `YYYY-MM`.
    pub month: String,
    pub good: i64,
    pub bad: i64,
}

/// Credit figures of a region and each child region (all children, also those without
/// any), the published records by kind per month over the last 12 months (the month of
/// `day` last), and the black-listed enterprises of the region (by name, at most 200).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreditStats {
    pub region: Region,
    pub day: NaiveDate,
    pub total: CreditFigures,
    pub children: Vec<RegionCreditFigures>,
    pub months: Vec<MonthRecords>,
    pub black_list: Vec<ListedEnterprise>,
}

/// The first day of the month `n` months before `day`'s month.
fn months_back(day: NaiveDate, n: i32) -> NaiveDate {
    let m0 = day.year() * 12 + day.month0() as i32 - n;
    NaiveDate::from_ymd_opt(m0.div_euclid(12), m0.rem_euclid(12) as u32 + 1, 1).unwrap_or(day)
}

/// Credit figures for `code` (any level) and its children as of `day`; see
/// [`CreditFigures`]. Credit is public, so the figures are those of the whole region the
/// caller reaches. Errors: `NotFound` for an unknown code or one outside the caller's
/// region; `Forbidden` without the dashboard or credit.
pub async fn credit_stats(db: &Db, a: &Access, code: &str, day: NaiveDate) -> Result<CreditStats> {
    a.require(Action::View, Resource::Dashboard)?;
    a.require(Action::View, Resource::Credit)?;
    let (region, children, g) = reachable_region(db, a, code).await?;
    let rp = region.prefix.clone();
    let sw = prefix_range("s.region_code", &rp);
    let sum = |c: &str| format!("CAST(COALESCE(SUM(CASE WHEN {c} THEN 1 ELSE 0 END), 0) AS BIGINT)");
    let bl = "(s.black_listed = 1 OR s.grade = 'black')";
    let grade = |gc: &str| sum(&format!("NOT {bl} AND s.grade = '{gc}'"));
    let sql = format!(
        "SELECT SUBSTR(s.region_code, 1, {g}) AS k, COUNT(*), {}, {}, {}, {}, {}, {}, {}, {}, {}
         FROM credit_scores s WHERE {sw} GROUP BY SUBSTR(s.region_code, 1, {g})",
        grade("AAAA"),
        grade("AAA"),
        grade("AA"),
        grade("A"),
        grade("B"),
        grade("C"),
        sum(bl),
        grade("missing"),
        grade(""),
    );
    type Row = (String, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    let mut by: std::collections::BTreeMap<String, CreditFigures> = Default::default();
    for (k, n, aaaa, aaa, aa, a1, b, c, black, missing, unrated) in rows {
        let f = by.entry(k).or_default();
        f.rated += n;
        f.aaaa += aaaa;
        f.aaa += aaa;
        f.aa += aa;
        f.a += a1;
        f.b += b;
        f.c += c;
        f.black += black;
        f.missing += missing;
        f.unrated += unrated;
    }
    // Registered: the score's region, else the registering authority's.
    let gr = "COALESCE(s.region_code, g.region_code)";
    let sql = format!(
        "SELECT SUBSTR({gr}, 1, {g}) AS k, COUNT(*) FROM credit_registrations g LEFT JOIN credit_scores s ON s.enterprise_id = g.enterprise_id
         WHERE g.status = 'registered' AND {} GROUP BY SUBSTR({gr}, 1, {g})",
        prefix_range(gr, &rp)
    );
    let rows: Vec<(String, i64)> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    for (k, n) in rows {
        by.entry(k).or_default().registered += n;
    }
    let sql = format!(
        "SELECT SUBSTR(s.region_code, 1, {g}) AS k, {}, {}, {}
         FROM credit_records r JOIN credit_scores s ON s.enterprise_id = r.enterprise_id WHERE {sw} GROUP BY SUBSTR(s.region_code, 1, {g})",
        sum("r.state = 'effective' AND r.kind = 'good'"),
        sum("r.state = 'effective' AND r.kind = 'bad'"),
        sum("r.state IN ('pending', 'objected')"),
    );
    let rows: Vec<(String, i64, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    for (k, good, bad, pending) in rows {
        let f = by.entry(k).or_default();
        f.good_records += good;
        f.bad_records += bad;
        f.pending_records += pending;
    }
    let mut total = CreditFigures::default();
    for f in by.values() {
        total.add(f);
    }
    let children = children
        .into_iter()
        .map(|c| {
            let figures = by.remove(&c.prefix).unwrap_or_default();
            RegionCreditFigures { code: c.code, name: c.name, level: c.level, figures }
        })
        .collect();
    // Records by kind per month, the last 12 months.
    let from = months_back(day, 11);
    let sql = format!(
        "SELECT SUBSTR(CAST(r.occurred_on AS TEXT), 1, 7) AS m, {}, {}
         FROM credit_records r JOIN credit_scores s ON s.enterprise_id = r.enterprise_id
         WHERE {sw} AND r.state = 'effective' AND r.occurred_on >= '{from}' AND r.occurred_on <= '{day}'
         GROUP BY SUBSTR(CAST(r.occurred_on AS TEXT), 1, 7)",
        sum("r.kind = 'good'"),
        sum("r.kind = 'bad'"),
    );
    let rows: Vec<(String, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    let months = (0..12)
        .rev()
        .map(|n| {
            let m = months_back(day, n).format("%Y-%m").to_string();
            let (good, bad) = rows.iter().find(|r| r.0 == m).map(|r| (r.1, r.2)).unwrap_or((0, 0));
            MonthRecords { month: m, good, bad }
        })
        .collect();
    let black_list = public_list(db, Some(&region.code), ListKind::Black, 1, 200).await?.page.items;
    Ok(CreditStats { region, day, total, children, months, black_list })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_back_crosses_years() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(months_back(d, 0), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(months_back(d, 11), NaiveDate::from_ymd_opt(2025, 12, 1).unwrap());
        assert_eq!(months_back(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), 1), NaiveDate::from_ymd_opt(2025, 12, 1).unwrap());
    }

    #[test]
    fn texts() {
        assert_eq!(tenths_text(855), "85.5");
        assert_eq!(tenths_text(-5), "-0.5");
        assert_eq!(grade_label("black"), "黑名单");
        assert_eq!(grade_label(""), "未评级");
        assert!(looks_like_uscc("91640104MA76ANJU1T"));
        assert!(!looks_like_uscc("宁夏安居"));
    }
}
