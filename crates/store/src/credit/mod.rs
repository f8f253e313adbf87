//! Credit of property service enterprises (rules.md §4): the store side. Rules are in
//! [`wuye_domain::credit`].
//!
//! - settings: the active scheme (province-wide row `region_code = ''`), objection days,
//!   barred grades;
//! - registration and exit of enterprises; project managers;
//! - records: entered by regulators (street offices for their region, administrators) with
//!   evidence; the enterprise objects within `objection_until`; the regulator decides;
//!   [`settle`] makes unopposed records effective the day after the window;
//! - owner ratings → records under the scheme's owner-rating table;
//! - scores: [`recompute`], [`recompute_all`] (set-based), [`standing`] for tendering,
//!   [`file`] and [`published_records`] for the public pages.

use crate::access::Access;
use crate::cases::{TEXT_MAX, TITLE_MAX, Upload, calendar_for, check_text, prefix_range};
use crate::db::{Db, Result, StoreError, dynamic};
use crate::{audit, begin_write, on};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use wuye_domain::account::{Action, Resource, Role, Scope};
use wuye_domain::credit::{self as rules, Kind, Record, Scheme, Score, State};

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn invalid(m: impl Into<String>) -> StoreError {
    StoreError::Invalid(m.into())
}

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

/// The standing of enterprise `enterprise_id` on `on` (Asia/Shanghai), computed live from
/// the records (a pending record whose objection window ended before `on` counts from the
/// day after, as [`settle`] would make it). Errors: only the database's. An unknown or
/// unregistered, non-operating enterprise is unrated and not barred; an operating
/// unregistered one is `missing` (barred only if the bar grades name it).
pub async fn standing(db: &Db, enterprise_id: i64, on: NaiveDate) -> Result<Standing> {
    let s = score_of(db, enterprise_id, on).await?;
    Ok(match s {
        None => Standing { enterprise_id, score_tenths: None, grade: String::new(), barred: false, reason: None },
        Some(s) => Standing {
            enterprise_id,
            score_tenths: if s.grade == "missing" { None } else { Some(s.total_tenths) },
            grade: s.grade,
            barred: s.barred,
            reason: if s.barred { s.reason } else { None },
        },
    })
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

/// The credit settings in force (province-wide row `''`; defaults when none: the
/// [`rules::DEFAULT_SCHEME`], 10 working days [U], bar grades of the scheme).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Settings {
    pub scheme_code: String,
    pub objection_days: i64,
    /// Grade codes barred from tendering.
    pub bar_grades: Vec<String>,
    pub updated_by: String,
    pub updated_at: String,
}

impl Settings {
    /// The active scheme with the settings' bar grades.
    pub fn scheme(&self) -> Scheme {
        let mut s = rules::builtin(&self.scheme_code).unwrap_or_else(rules::yantai_2022);
        s.bar_grades = self.bar_grades.clone();
        s
    }
}

/// Default objection window in working days [U: no source in rules.md].
pub const DEFAULT_OBJECTION_DAYS: i64 = 10;

/// The settings in force.
pub async fn settings(db: &Db) -> Result<Settings> {
    let row: Option<(String, i64, String, String, String)> = on!(db, p => sqlx::query_as("SELECT scheme_code, objection_days, bar_grades, updated_by, updated_at FROM credit_settings WHERE region_code = ''").fetch_optional(p).await)?;
    Ok(match row {
        Some((scheme_code, objection_days, bar, updated_by, updated_at)) => Settings {
            scheme_code,
            objection_days,
            bar_grades: bar.split(',').map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).collect(),
            updated_by,
            updated_at,
        },
        None => {
            let s = rules::builtin(rules::DEFAULT_SCHEME).unwrap_or_else(rules::yantai_2022);
            Settings { scheme_code: s.code.clone(), objection_days: DEFAULT_OBJECTION_DAYS, bar_grades: s.bar_grades, updated_by: String::new(), updated_at: String::new() }
        }
    })
}

/// Sets the active scheme (a built-in code), the objection days (1–30) and the bar grades
/// (comma list of grade codes). Administrators and province-level regulators. Errors:
/// `Forbidden`; an unknown scheme, days outside 1–30, an unknown grade code (field named).
pub async fn set_settings(db: &Db, a: &Access, scheme_code: &str, objection_days: i64, bar_grades: &str) -> Result<()> {
    let province = match a.scope() {
        Scope::All => true,
        Scope::Region(r) => r.prefix().len() <= 2,
        _ => false,
    };
    if !(a.role() == Role::Admin || a.role() == Role::Regulator && province) {
        return Err(StoreError::Forbidden("只有平台管理员或自治区住建部门可以设置信用评价方案".into()));
    }
    let sc = rules::builtin(scheme_code).ok_or_else(|| invalid(format!("评价方案：没有内置方案 {scheme_code}")))?;
    if !(1..=30).contains(&objection_days) {
        return Err(invalid(format!("异议期：应为 1–30 个工作日，实为 {objection_days}")));
    }
    let known: Vec<&str> = sc.bands.iter().map(|b| b.grade.as_str()).chain(["black", "missing"]).collect();
    let mut grades = Vec::new();
    for g in bar_grades.split(',').map(str::trim).filter(|g| !g.is_empty()) {
        if !known.contains(&g) {
            return Err(invalid(format!("限制投标的等级：{g} 不是方案“{}”的等级", sc.name_zh)));
        }
        grades.push(g.to_string());
    }
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("INSERT INTO credit_settings (region_code, scheme_code, objection_days, bar_grades, updated_by, updated_at) VALUES ('', $1, $2, $3, $4, $5)
                     ON CONFLICT (region_code) DO UPDATE SET scheme_code = excluded.scheme_code, objection_days = excluded.objection_days, bar_grades = excluded.bar_grades, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
            .bind(&sc.code).bind(objection_days).bind(grades.join(",")).bind(&a.actor().name).bind(&at).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "set_credit_settings", "credit_settings", "", None, Some(serde_json::json!({"scheme": sc.code, "objection_days": objection_days, "bar_grades": grades})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

// ---------------------------------------------------------------------------------------
// Registration and managers
// ---------------------------------------------------------------------------------------

fn require_regulator(a: &Access) -> Result<()> {
    a.require(Action::Edit, Resource::Credit)?;
    if !matches!(a.role(), Role::Admin | Role::Regulator) {
        return Err(StoreError::Forbidden(format!("{}无权办理此信用事项", a.role().label_zh())));
    }
    Ok(())
}

/// The enterprise's (name, region_code), or `Invalid` naming the field when unknown.
async fn enterprise(db: &Db, id: i64) -> Result<(String, String)> {
    let row: Option<(String, Option<String>)> = on!(db, p => sqlx::query_as("SELECT name, region_code FROM enterprises WHERE id = $1").bind(id).fetch_optional(p).await)?;
    row.map(|(n, r)| (n, r.unwrap_or_default())).ok_or_else(|| invalid(format!("企业：编号 {id} 的企业不存在")))
}

/// The region a regulator/street writes for: its own region code (Admin: the enterprise's).
fn caller_region(a: &Access, fallback: &str) -> String {
    match a.scope() {
        Scope::Region(r) => r.as_str().to_string(),
        _ => fallback.to_string(),
    }
}

/// Registers an enterprise in credit management on `on` (regulators, administrators).
/// Re-registering an exited enterprise registers it again. Errors: unknown enterprise,
/// already registered.
pub async fn register(db: &Db, a: &Access, enterprise_id: i64, on: NaiveDate) -> Result<()> {
    require_regulator(a)?;
    let (_, region) = enterprise(db, enterprise_id).await?;
    enterprise_in_scope(db, a, enterprise_id, on).await?;
    let status: Option<String> = on!(db, p => sqlx::query_scalar("SELECT status FROM credit_registrations WHERE enterprise_id = $1").bind(enterprise_id).fetch_optional(p).await)?;
    if status.as_deref() == Some("registered") {
        return Err(invalid("企业：已纳入信用管理"));
    }
    let reg = caller_region(a, &region);
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("INSERT INTO credit_registrations (enterprise_id, region_code, registered_on, status, exited_on, exit_reason, created_at) VALUES ($1,$2,$3,'registered',NULL,'',$4)
                     ON CONFLICT (enterprise_id) DO UPDATE SET region_code = excluded.region_code, registered_on = excluded.registered_on, status = 'registered', exited_on = NULL, exit_reason = ''")
            .bind(enterprise_id).bind(&reg).bind(on).bind(&at).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "credit_register", "enterprise", enterprise_id, None, Some(serde_json::json!({"on": on})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    recompute(db, enterprise_id, on).await
}

/// Records an enterprise's exit from credit management (reason required).
pub async fn exit(db: &Db, a: &Access, enterprise_id: i64, reason: &str, on: NaiveDate) -> Result<()> {
    require_regulator(a)?;
    if reason.trim().is_empty() {
        return Err(invalid("退出原因：不能为空"));
    }
    check_text("退出原因", reason, TITLE_MAX)?;
    enterprise(db, enterprise_id).await?;
    enterprise_in_scope(db, a, enterprise_id, on).await?;
    let n = on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let n = sqlx::query("UPDATE credit_registrations SET status = 'exited', exited_on = $1, exit_reason = $2 WHERE enterprise_id = $3 AND status = 'registered'")
            .bind(on).bind(reason.trim()).bind(enterprise_id).execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            audit!(tx, a.actor(), "credit_exit", "enterprise", enterprise_id, None, Some(serde_json::json!({"on": on, "reason": reason.trim()})));
        }
        tx.commit().await?;
        Ok::<u64, StoreError>(n)
    })?;
    if n == 0 {
        return Err(invalid("企业：未纳入信用管理，无需退出"));
    }
    recompute(db, enterprise_id, on).await
}

/// A registration row with the enterprise's name and USCC.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Registration {
    pub enterprise_id: i64,
    pub name: String,
    pub uscc: String,
    pub region_code: String,
    pub registered_on: NaiveDate,
    pub status: String,
    pub exited_on: Option<NaiveDate>,
    pub exit_reason: String,
}

/// Registrations the caller reaches (regulators, streets: their region's; admin: all).
pub async fn registrations(db: &Db, a: &Access, today: NaiveDate) -> Result<Vec<Registration>> {
    a.require(Action::View, Resource::Credit)?;
    let sql = format!(
        "SELECT r.enterprise_id, n.name, n.uscc, r.region_code, r.registered_on, r.status, r.exited_on, r.exit_reason FROM credit_registrations r JOIN enterprises n ON n.id = r.enterprise_id WHERE {} ORDER BY n.name",
        a.enterprises_sql("n", today)
    );
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?)
}

/// An enterprise operating (a service contract in force on `today`) but not registered:
/// the 'missing' grade (Shandong "C(缺失)").
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Missing {
    pub enterprise_id: i64,
    pub name: String,
    pub uscc: String,
    pub estates: i64,
}

const OPERATING: &str = "EXISTS (SELECT 1 FROM service_contracts sc WHERE sc.enterprise_id = n.id AND sc.start_date <= $1 AND (sc.end_date IS NULL OR sc.end_date >= $1))";
const REGISTERED: &str = "EXISTS (SELECT 1 FROM credit_registrations cr WHERE cr.enterprise_id = n.id AND cr.status = 'registered')";

/// The operating-but-unregistered enterprises the caller reaches.
pub async fn missing(db: &Db, a: &Access, today: NaiveDate) -> Result<Vec<Missing>> {
    a.require(Action::View, Resource::Credit)?;
    let sql = format!(
        "SELECT n.id AS enterprise_id, n.name, n.uscc, (SELECT COUNT(*) FROM service_contracts sc WHERE sc.enterprise_id = n.id AND sc.start_date <= $1 AND (sc.end_date IS NULL OR sc.end_date >= $1)) AS estates
         FROM enterprises n WHERE {OPERATING} AND NOT {REGISTERED} AND {} ORDER BY n.name",
        a.enterprises_sql("n", today)
    );
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).bind(today).fetch_all(p).await)?)
}

/// A project manager of an enterprise.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Manager {
    pub id: i64,
    pub enterprise_id: i64,
    pub estate_id: Option<i64>,
    pub estate_name: Option<String>,
    pub name: String,
    pub certificate: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

/// Adds a project manager (regulators, admin, the enterprise's manager). Errors: empty name.
pub async fn add_manager(db: &Db, a: &Access, enterprise_id: i64, estate_id: Option<i64>, name: &str, certificate: &str, start: NaiveDate) -> Result<i64> {
    a.require(Action::View, Resource::Credit)?;
    let own = matches!(a.scope(), Scope::Enterprise(id) if *id == enterprise_id) && a.role() == Role::EnterpriseManager;
    if !(own || matches!(a.role(), Role::Admin | Role::Regulator)) {
        return Err(StoreError::Forbidden("无权登记项目经理".into()));
    }
    enterprise(db, enterprise_id).await?;
    if name.trim().is_empty() {
        return Err(invalid("姓名：不能为空"));
    }
    check_text("姓名", name, 50)?;
    check_text("证书", certificate, 100)?;
    let id: i64 = on!(db, p => sqlx::query_scalar("INSERT INTO credit_managers (enterprise_id, estate_id, name, certificate, start_date, end_date) VALUES ($1,$2,$3,$4,$5,NULL) RETURNING id")
        .bind(enterprise_id).bind(estate_id).bind(name.trim()).bind(certificate.trim()).bind(start).fetch_one(p).await)?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------

/// A record to enter. `points_tenths` is the magnitude (> 0) within the item's range.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewRecord {
    pub enterprise_id: i64,
    pub item_code: String,
    pub points_tenths: i64,
    /// One of [`rules::SOURCES`].
    pub source: String,
    #[serde(default)]
    pub source_org: String,
    pub estate_id: Option<i64>,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    pub occurred_on: NaiveDate,
}

/// A record as listed and shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RecordRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub uscc: String,
    pub kind: String,
    pub item_code: String,
    pub scheme_code: String,
    pub points_tenths: i64,
    pub serious: i64,
    pub source: String,
    pub source_org: String,
    pub estate_id: Option<i64>,
    pub region_code: String,
    pub title: String,
    pub detail: String,
    pub occurred_on: NaiveDate,
    pub entered_on: NaiveDate,
    pub entered_by_name: String,
    pub objection_until: NaiveDate,
    pub state: String,
    pub effective_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub rectified_on: Option<NaiveDate>,
}

impl RecordRow {
    pub fn kind_label(&self) -> &'static str {
        Kind::parse(&self.kind).map(|k| k.label_zh()).unwrap_or("")
    }
    pub fn state_label(&self) -> &'static str {
        State::parse(&self.state).map(|s| s.label_zh()).unwrap_or("")
    }
    pub fn points_text(&self) -> String {
        let s = if self.kind == "good" { "+" } else { "-" };
        format!("{s}{}", rules::fmt_tenths(self.points_tenths))
    }
    pub fn source_label(&self) -> &str {
        rules::source_label_zh(&self.source)
    }
    fn as_rule(&self) -> Record {
        let mut state = State::parse(&self.state).unwrap_or(State::Pending);
        let mut effective_on = self.effective_on;
        // A pending record whose window has ended counts from the day after (as settle does).
        if state == State::Pending {
            state = State::Effective;
            effective_on = Some(rules::effective_after_window(self.objection_until));
        }
        Record {
            id: self.id,
            kind: Kind::parse(&self.kind).unwrap_or(Kind::Bad),
            item_code: self.item_code.clone(),
            points_tenths: self.points_tenths,
            serious: self.serious != 0,
            state,
            occurred_on: self.occurred_on,
            effective_on,
            valid_until: self.valid_until,
            rectified_on: self.rectified_on,
        }
    }
}

const RECORD_COLS: &str = "r.id, r.enterprise_id, n.name AS enterprise_name, n.uscc, r.kind, r.item_code, r.scheme_code, r.points_tenths, r.serious, r.source, r.source_org, r.estate_id, r.region_code, r.title, r.detail, r.occurred_on, r.entered_on, r.entered_by_name, r.objection_until, r.state, r.effective_on, r.valid_until, r.rectified_on";

/// The scope predicate on `credit_records r` (joined with `enterprises n`) for the caller:
/// all (admin); the region's records of enterprises it reaches (regulators, streets, departments); the enterprise's own (all states); others
/// (committees, owners): effective records only.
fn scope_sql(a: &Access, today: NaiveDate) -> String {
    match a.scope() {
        Scope::All => "1=1".into(),
        // Only records of enterprises the caller reaches, so every listed record's credit
        // file opens (the `enterprises n` join is in every caller's query).
        Scope::Region(r) => format!("{} AND {}", prefix_range("r.region_code", r.prefix()), a.enterprises_sql("n", today)),
        Scope::Enterprise(id) => format!("r.enterprise_id = {id}"),
        _ => format!("r.state = 'effective' AND r.enterprise_id IN (SELECT n2.id FROM enterprises n2 WHERE {})", a.enterprises_sql("n2", today)),
    }
}

/// `NotFound` unless the caller reaches the enterprise (administrators: all).
async fn enterprise_in_scope(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<()> {
    let sql = format!("SELECT COUNT(*) FROM enterprises n WHERE n.id = $1 AND {}", a.enterprises_sql("n", today));
    let n: i64 = on!(db, p => sqlx::query_scalar(dynamic(sql)).bind(id).fetch_one(p).await)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// The earliest `occurred_on` a record may have (a typo guard: no credit records before 2000).
pub const EARLIEST_OCCURRED: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("date"),
};

/// Whether a region-scoped caller reaches the enterprise: registered in its region or
/// serving (any service contract, past or present) an estate in it. Others: [`Access::enterprises_sql`].
async fn reaches_enterprise(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<bool> {
    let sql = format!("SELECT COUNT(*) FROM enterprises n WHERE n.id = $1 AND {}", a.enterprises_sql("n", today));
    let n: i64 = on!(db, p => sqlx::query_scalar(dynamic(sql)).bind(id).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Enters a record (regulators in their region, street offices for their region,
/// administrators). Checks, nothing written on error: the enterprise exists; the item is in
/// the active scheme and the points in its range (the message names the item and range);
/// the caller (regulator, street) reaches the enterprise — registered in its region or serving
/// an estate in it, else `Forbidden` "…无权对辖区外企业录入信用记录"; the source is known; the
/// date not before 2000-01-01 nor in the future; the estate (if any) exists, is (or was) served
/// by the enterprise under a service contract, and lies in the caller's region; title 1–200 chars; each evidence file a document or image (by its
/// bytes) of at most 10 MB. The record is pending; `objection_until` = the N-th working day
/// after entry (settings). Returns the id.
pub async fn enter(db: &Db, a: &Access, n: &NewRecord, evidence: &[Upload], today: NaiveDate) -> Result<i64> {
    a.require(Action::Create, Resource::Credit)?;
    if !matches!(a.role(), Role::Admin | Role::Regulator | Role::Street) {
        return Err(StoreError::Forbidden(format!("{}无权录入信用记录", a.role().label_zh())));
    }
    let (_, ent_region) = enterprise(db, n.enterprise_id).await?;
    // Reach: registered in the caller's region, or serving (any contract, past or present)
    // an estate in it (the same rule as the credit file and the list).
    if matches!(a.scope(), Scope::Region(_)) && !reaches_enterprise(db, a, n.enterprise_id, today).await? {
        return Err(StoreError::Forbidden(format!("{}无权对辖区外企业录入信用记录", a.role().label_zh())));
    }
    let st = settings(db).await?;
    let sc = st.scheme();
    let item = sc.check_points(&n.item_code, n.points_tenths).map_err(|e| invalid(e.to_string()))?.clone();
    if !rules::SOURCES.iter().any(|(c, _)| *c == n.source) {
        return Err(invalid(format!("来源：未知来源 {}", n.source)));
    }
    if n.occurred_on < EARLIEST_OCCURRED {
        return Err(invalid(format!("发生日期：不能早于 {EARLIEST_OCCURRED}，实为 {}", n.occurred_on)));
    }
    if n.occurred_on > today {
        return Err(invalid(format!("发生日期：不能晚于今天（{today}），实为 {}", n.occurred_on)));
    }
    if n.title.trim().is_empty() {
        return Err(invalid("标题：不能为空"));
    }
    check_text("标题", &n.title, TITLE_MAX)?;
    check_text("详情", &n.detail, TEXT_MAX)?;
    check_text("来源单位", &n.source_org, TITLE_MAX)?;
    let region = match n.estate_id {
        Some(e) => {
            let r: Option<(String, String)> = on!(db, p => sqlx::query_as("SELECT name, region_code FROM estates WHERE id = $1").bind(e).fetch_optional(p).await)?;
            let (estate_name, r) = r.ok_or_else(|| invalid(format!("小区：编号 {e} 的小区不存在")))?;
            let served: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM service_contracts WHERE enterprise_id = $1 AND estate_id = $2").bind(n.enterprise_id).bind(e).fetch_one(p).await)?;
            if served == 0 {
                return Err(invalid(format!("小区：{estate_name}不是该企业的服务项目")));
            }
            r
        }
        None => caller_region(a, &ent_region),
    };
    if !matches!(a.scope(), Scope::All) && !a.reaches_region(&region) {
        return Err(StoreError::Forbidden("小区不在本人管辖区域内".into()));
    }
    let mut cts = Vec::new();
    for u in evidence {
        cts.push(u.validate().map_err(|e| match e {
            StoreError::Invalid(m) => invalid(m.replacen("附件", "证据材料", 1)),
            o => o,
        })?);
    }
    let cal = calendar_for(db, &region).await?;
    let until = rules::objection_until(&cal, today, st.objection_days as u32);
    let valid_until = sc.valid_until(&item, n.occurred_on);
    let at = now_text();
    let id = on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar("INSERT INTO credit_records (enterprise_id, kind, item_code, scheme_code, points_tenths, serious, source, source_org, estate_id, region_code, title, detail, occurred_on, entered_on, entered_by, entered_by_name, objection_until, state, effective_on, valid_until, rectified_on, created_at)
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,'pending',NULL,$18,NULL,$19) RETURNING id")
            .bind(n.enterprise_id).bind(item.kind.code()).bind(&item.code).bind(&sc.code).bind(n.points_tenths).bind(item.serious as i64)
            .bind(&n.source).bind(n.source_org.trim()).bind(n.estate_id).bind(&region).bind(n.title.trim()).bind(n.detail.trim())
            .bind(n.occurred_on).bind(today).bind(a.actor().user_id).bind(&a.actor().name).bind(until).bind(valid_until).bind(&at)
            .fetch_one(&mut *tx).await?;
        for (u, ct) in evidence.iter().zip(&cts) {
            sqlx::query("INSERT INTO credit_files (record_id, objection_id, name, mime, size, bytes, uploaded_by, created_at) VALUES ($1,NULL,$2,$3,$4,$5,$6,$7)")
                .bind(id).bind(u.file_name.trim()).bind(*ct).bind(u.bytes.len() as i64).bind(&u.bytes).bind(a.actor().user_id).bind(&at).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "credit_enter", "credit_record", id, None, Some(serde_json::json!({"enterprise_id": n.enterprise_id, "item": item.code, "points_tenths": n.points_tenths})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })?;
    Ok(id)
}

/// Filters of the records list (all optional; from the URL).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordFilter {
    pub state: Option<String>,
    pub kind: Option<String>,
    pub enterprise_id: Option<i64>,
    /// Region prefix (digits).
    pub region: Option<String>,
}

/// Records the caller may see, filtered, newest first (at most 5,000).
pub async fn records(db: &Db, a: &Access, f: &RecordFilter, today: NaiveDate) -> Result<Vec<RecordRow>> {
    a.require(Action::View, Resource::Credit)?;
    let mut w = vec![scope_sql(a, today)];
    if let Some(s) = f.state.as_deref().and_then(State::parse) {
        w.push(format!("r.state = '{}'", s.code()));
    }
    if let Some(k) = f.kind.as_deref().and_then(Kind::parse) {
        w.push(format!("r.kind = '{}'", k.code()));
    }
    if let Some(e) = f.enterprise_id {
        w.push(format!("r.enterprise_id = {e}"));
    }
    if let Some(p) = f.region.as_deref().filter(|p| !p.is_empty() && p.len() <= 12 && p.bytes().all(|b| b.is_ascii_digit())) {
        w.push(prefix_range("r.region_code", p));
    }
    let sql = format!("SELECT {RECORD_COLS} FROM credit_records r JOIN enterprises n ON n.id = r.enterprise_id WHERE {} ORDER BY r.entered_on DESC, r.id DESC LIMIT 5000", w.join(" AND "));
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?)
}

/// One record the caller may see; `NotFound` otherwise.
pub async fn record(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<RecordRow> {
    a.require(Action::View, Resource::Credit)?;
    let sql = format!("SELECT {RECORD_COLS} FROM credit_records r JOIN enterprises n ON n.id = r.enterprise_id WHERE r.id = $1 AND {}", scope_sql(a, today));
    let r: Option<RecordRow> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?;
    r.ok_or(StoreError::NotFound)
}

/// An objection to a record.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Objection {
    pub id: i64,
    pub record_id: i64,
    pub filed_by: i64,
    pub filed_on: NaiveDate,
    pub reason: String,
    pub state: String,
    pub decided_by: Option<i64>,
    pub decided_on: Option<NaiveDate>,
    pub decision_note: String,
}

/// The objections of a record (the caller must see the record).
pub async fn objections(db: &Db, a: &Access, record_id: i64, today: NaiveDate) -> Result<Vec<Objection>> {
    record(db, a, record_id, today).await?;
    Ok(on!(db, p => sqlx::query_as("SELECT id, record_id, filed_by, filed_on, reason, state, decided_by, decided_on, decision_note FROM credit_objections WHERE record_id = $1 ORDER BY id").bind(record_id).fetch_all(p).await)?)
}

/// An evidence file (without bytes).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FileMeta {
    pub id: i64,
    pub record_id: Option<i64>,
    pub objection_id: Option<i64>,
    pub name: String,
    pub mime: String,
    pub size: i64,
}

/// The evidence files of a record and its objections.
pub async fn files(db: &Db, a: &Access, record_id: i64, today: NaiveDate) -> Result<Vec<FileMeta>> {
    record(db, a, record_id, today).await?;
    Ok(on!(db, p => sqlx::query_as("SELECT id, record_id, objection_id, name, mime, size FROM credit_files WHERE record_id = $1 OR objection_id IN (SELECT id FROM credit_objections WHERE record_id = $1) ORDER BY id").bind(record_id).fetch_all(p).await)?)
}

/// A file's (name, mime, bytes) if the caller sees its record.
pub async fn file_bytes(db: &Db, a: &Access, file_id: i64, today: NaiveDate) -> Result<(String, String, Vec<u8>)> {
    let row: Option<(Option<i64>, Option<i64>, String, String, Vec<u8>)> = on!(db, p => sqlx::query_as("SELECT record_id, objection_id, name, mime, bytes FROM credit_files WHERE id = $1").bind(file_id).fetch_optional(p).await)?;
    let (rid, oid, name, mime, bytes) = row.ok_or(StoreError::NotFound)?;
    let rid = match (rid, oid) {
        (Some(r), _) => r,
        (None, Some(o)) => on!(db, p => sqlx::query_scalar::<_, i64>("SELECT record_id FROM credit_objections WHERE id = $1").bind(o).fetch_one(p).await)?,
        _ => return Err(StoreError::NotFound),
    };
    record(db, a, rid, today).await?;
    Ok((name, mime, bytes))
}

/// The enterprise's manager objects to a pending record until `objection_until`
/// inclusive, with a reason and evidence. Errors (nothing written): another role or
/// enterprise (`Forbidden`), not pending, the window ended (names the last day), empty
/// reason, a bad file. The record becomes `objected`. Returns the objection id.
pub async fn object(db: &Db, a: &Access, record_id: i64, reason: &str, evidence: &[Upload], today: NaiveDate) -> Result<i64> {
    let r = record(db, a, record_id, today).await?;
    let own = matches!(a.scope(), Scope::Enterprise(id) if *id == r.enterprise_id) && a.role() == Role::EnterpriseManager;
    if !(own || a.role() == Role::Admin) {
        return Err(StoreError::Forbidden("只有被记录企业的负责人可以提出异议".into()));
    }
    if r.state != "pending" {
        return Err(invalid(format!("异议：记录当前状态为“{}”，不能提出异议", r.state_label())));
    }
    if today > r.objection_until {
        return Err(invalid(format!("异议：异议期已于 {} 届满", r.objection_until)));
    }
    if reason.trim().is_empty() {
        return Err(invalid("异议理由：不能为空"));
    }
    check_text("异议理由", reason, TEXT_MAX)?;
    let mut cts = Vec::new();
    for u in evidence {
        cts.push(u.validate().map_err(|e| match e {
            StoreError::Invalid(m) => invalid(m.replacen("附件", "证据材料", 1)),
            o => o,
        })?);
    }
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let n = sqlx::query("UPDATE credit_records SET state = 'objected' WHERE id = $1 AND state = 'pending'").bind(record_id).execute(&mut *tx).await?.rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict("记录状态已变化".into()));
        }
        let oid: i64 = sqlx::query_scalar("INSERT INTO credit_objections (record_id, filed_by, filed_on, reason, state, decided_by, decided_on, decision_note) VALUES ($1,$2,$3,$4,'pending',NULL,NULL,'') RETURNING id")
            .bind(record_id).bind(a.actor().user_id).bind(today).bind(reason.trim()).fetch_one(&mut *tx).await?;
        for (u, ct) in evidence.iter().zip(&cts) {
            sqlx::query("INSERT INTO credit_files (record_id, objection_id, name, mime, size, bytes, uploaded_by, created_at) VALUES (NULL,$1,$2,$3,$4,$5,$6,$7)")
                .bind(oid).bind(u.file_name.trim()).bind(*ct).bind(u.bytes.len() as i64).bind(&u.bytes).bind(a.actor().user_id).bind(&at).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "credit_object", "credit_record", record_id, None, Some(serde_json::json!({"objection_id": oid})));
        tx.commit().await?;
        Ok::<i64, StoreError>(oid)
    })
}

/// The regulator decides the pending objection of a record: `accept` revokes the record
/// (it never counts); reject makes it effective from `today`. Regulators reaching the
/// record's region, administrators. Errors: no pending objection. Recomputes the score.
pub async fn decide(db: &Db, a: &Access, record_id: i64, accept: bool, note: &str, today: NaiveDate) -> Result<()> {
    require_regulator(a)?;
    let r = record(db, a, record_id, today).await?;
    check_text("处理意见", note, TEXT_MAX)?;
    if r.state != "objected" {
        return Err(invalid("异议：该记录没有待处理的异议"));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let n = sqlx::query("UPDATE credit_objections SET state = $1, decided_by = $2, decided_on = $3, decision_note = $4 WHERE record_id = $5 AND state = 'pending'")
            .bind(if accept { "accepted" } else { "rejected" }).bind(a.actor().user_id).bind(today).bind(note.trim()).bind(record_id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("异议已处理".into()));
        }
        if accept {
            sqlx::query("UPDATE credit_records SET state = 'revoked' WHERE id = $1").bind(record_id).execute(&mut *tx).await?;
        } else {
            sqlx::query("UPDATE credit_records SET state = 'effective', effective_on = $1 WHERE id = $2").bind(today).bind(record_id).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "credit_decide", "credit_record", record_id, None, Some(serde_json::json!({"accept": accept, "note": note.trim()})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    recompute(db, r.enterprise_id, today).await
}

/// A regulator accepts the rectification of a serious record on `on` (≤ today): from that
/// day it no longer counts (rules.md §4, Yantai: serious records last until rectified).
/// Errors: not serious; not effective (a record still in its objection window, objected or
/// revoked is refused; one whose window is over counts as effective from the day after);
/// already rectified; a date before the record's `effective_on` or after `today`.
pub async fn rectify(db: &Db, a: &Access, record_id: i64, on: NaiveDate, today: NaiveDate) -> Result<()> {
    require_regulator(a)?;
    let r = record(db, a, record_id, today).await?;
    if r.serious == 0 || r.valid_until.is_some() {
        return Err(invalid("整改验收：只有严重失信记录需要整改验收"));
    }
    // Effective: state 'effective', or pending with its objection window over (as [`settle`]
    // makes it, from the day after the window).
    let effective_on = match r.state.as_str() {
        "effective" => Some(r.effective_on.unwrap_or(r.occurred_on)),
        "pending" if r.objection_until < today => Some(rules::effective_after_window(r.objection_until)),
        _ => None,
    };
    let Some(from) = effective_on else {
        return Err(invalid(format!("整改验收：只有已生效的记录可以整改验收，该记录状态为“{}”", r.state_label())));
    };
    if r.rectified_on.is_some() {
        return Err(invalid("整改验收：已验收"));
    }
    if on > today || on < from {
        return Err(invalid(format!("验收日期：应在生效日期 {from} 与今天 {today} 之间，实为 {on}")));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE credit_records SET rectified_on = $1 WHERE id = $2").bind(on).bind(record_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "credit_rectify", "credit_record", record_id, None, Some(serde_json::json!({"rectified_on": on})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    recompute(db, r.enterprise_id, today).await
}

/// Makes pending records whose objection window ended before `today` effective from the day
/// after `objection_until`, and recomputes the enterprises concerned. Returns how many
/// records became effective. Called before reading scores and by `serve`'s periodic loop.
pub async fn settle(db: &Db, today: NaiveDate) -> Result<u64> {
    let due: Vec<(i64, NaiveDate)> = on!(db, p => sqlx::query_as("SELECT DISTINCT enterprise_id, objection_until FROM credit_records WHERE state = 'pending' AND objection_until < $1").bind(today).fetch_all(p).await)?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut days: Vec<NaiveDate> = due.iter().map(|d| d.1).collect();
    days.sort();
    days.dedup();
    let n = on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let mut n = 0;
        for d in &days {
            n += sqlx::query("UPDATE credit_records SET state = 'effective', effective_on = $1 WHERE state = 'pending' AND objection_until = $2")
                .bind(rules::effective_after_window(*d)).bind(*d).execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok::<u64, StoreError>(n)
    })?;
    let mut ents: Vec<i64> = due.iter().map(|d| d.0).collect();
    ents.sort();
    ents.dedup();
    for e in ents {
        recompute(db, e, today).await?;
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------
// Owner ratings
// ---------------------------------------------------------------------------------------

/// An owners' rating of the serving enterprise for a year.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OwnerRating {
    pub id: i64,
    pub estate_id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub year: i64,
    pub score_tenths: i64,
    pub respondents: i64,
    pub record_id: Option<i64>,
}

/// The ratings of an estate, newest year first.
pub async fn owner_ratings(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<OwnerRating>> {
    a.require(Action::View, Resource::Credit)?;
    estate_in_scope(db, a, estate_id, today).await?;
    Ok(on!(db, p => sqlx::query_as("SELECT o.id, o.estate_id, o.enterprise_id, n.name AS enterprise_name, o.year, o.score_tenths, o.respondents, o.record_id FROM owner_ratings o JOIN enterprises n ON n.id = o.enterprise_id WHERE o.estate_id = $1 ORDER BY o.year DESC").bind(estate_id).fetch_all(p).await)?)
}

async fn estate_in_scope(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<(String, String)> {
    let sql = format!("SELECT e.name, e.region_code FROM estates e WHERE e.id = $1 AND {}", a.estates_sql("e", today));
    let r: Option<(String, String)> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(estate_id).fetch_optional(p).await)?;
    r.ok_or(StoreError::NotFound)
}

/// Enters the owners' rating (0–100 points, tenths) of the estate's serving enterprise for
/// `year` (the committee of the estate, regulators of its region, admin). The enterprise is
/// the one under a contract in force on Dec 31 of the year (or today, if earlier). Produces a
/// pending good or bad record by the scheme's owner-rating table (none for a middling
/// rating). Errors: score outside 0–100, year in the future, no serving enterprise, a rating
/// for that year already entered. Returns the rating id.
pub async fn rate(db: &Db, a: &Access, estate_id: i64, year: i32, score_tenths: i64, respondents: i64, today: NaiveDate) -> Result<i64> {
    a.require(Action::Create, Resource::Credit)?;
    if !matches!(a.role(), Role::Admin | Role::Regulator | Role::Committee) {
        return Err(StoreError::Forbidden(format!("{}无权录入业主评价", a.role().label_zh())));
    }
    let (estate_name, region) = estate_in_scope(db, a, estate_id, today).await?;
    if !(0..=1000).contains(&score_tenths) {
        return Err(invalid(format!("评价得分：应在 0–100 分之间，实为 {}", rules::fmt_tenths(score_tenths))));
    }
    if year > today.year() || year < 2000 {
        return Err(invalid(format!("年度：应在 2000–{} 之间，实为 {year}", today.year())));
    }
    if respondents < 0 {
        return Err(invalid("参评人数：不能为负数"));
    }
    let day = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today).min(today);
    let ent: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT enterprise_id FROM service_contracts WHERE estate_id = $1 AND start_date <= $2 AND (end_date IS NULL OR end_date >= $2) ORDER BY start_date DESC LIMIT 1").bind(estate_id).bind(day).fetch_optional(p).await)?;
    let ent = ent.ok_or_else(|| invalid(format!("小区：{year} 年末没有在服务的物业服务企业")))?;
    let exists: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM owner_ratings WHERE estate_id = $1 AND year = $2").bind(estate_id).bind(year as i64).fetch_optional(p).await)?;
    if exists.is_some() {
        return Err(invalid(format!("年度：{year} 年的业主评价已录入")));
    }
    let st = settings(db).await?;
    let sc = st.scheme();
    let produced = sc.owner_rating_record(score_tenths).map(|(k, it, pts)| (k, it.clone(), pts));
    let cal = calendar_for(db, &region).await?;
    let until = rules::objection_until(&cal, today, st.objection_days as u32);
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let mut rid: Option<i64> = None;
        if let Some((k, it, pts)) = &produced {
            let title = format!("{estate_name} {year} 年度业主满意度评价 {} 分", rules::fmt_tenths(score_tenths));
            let id: i64 = sqlx::query_scalar("INSERT INTO credit_records (enterprise_id, kind, item_code, scheme_code, points_tenths, serious, source, source_org, estate_id, region_code, title, detail, occurred_on, entered_on, entered_by, entered_by_name, objection_until, state, effective_on, valid_until, rectified_on, created_at)
                         VALUES ($1,$2,$3,$4,$5,0,'owner_rating',$6,$7,$8,$9,'',$10,$10,$11,$12,$13,'pending',NULL,$14,NULL,$15) RETURNING id")
                .bind(ent).bind(k.code()).bind(&it.code).bind(&sc.code).bind(*pts).bind(format!("{estate_name}业主")).bind(estate_id).bind(&region).bind(&title)
                .bind(today).bind(a.actor().user_id).bind(&a.actor().name).bind(until).bind(sc.valid_until(it, today)).bind(&at)
                .fetch_one(&mut *tx).await?;
            rid = Some(id);
        }
        let id: i64 = sqlx::query_scalar("INSERT INTO owner_ratings (estate_id, enterprise_id, year, score_tenths, respondents, record_id, entered_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id")
            .bind(estate_id).bind(ent).bind(year as i64).bind(score_tenths).bind(respondents).bind(rid).bind(a.actor().user_id).bind(&at).fetch_one(&mut *tx).await?;
        audit!(tx, a.actor(), "owner_rating", "estate", estate_id, None, Some(serde_json::json!({"year": year, "score_tenths": score_tenths, "record_id": rid})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

// ---------------------------------------------------------------------------------------
// Scores
// ---------------------------------------------------------------------------------------

async fn rule_records(db: &Db, enterprise_id: i64) -> Result<Vec<RecordRow>> {
    let sql = format!("SELECT {RECORD_COLS} FROM credit_records r JOIN enterprises n ON n.id = r.enterprise_id WHERE r.enterprise_id = $1 ORDER BY r.occurred_on, r.id");
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).bind(enterprise_id).fetch_all(p).await)?)
}

/// The score of an enterprise on `on`: `None` when it is neither registered nor operating;
/// the 'missing' score when operating but unregistered; else the scheme's score with a line
/// per record.
pub async fn score_of(db: &Db, enterprise_id: i64, on: NaiveDate) -> Result<Option<Score>> {
    let sc = settings(db).await?.scheme();
    let reg: Option<String> = on!(db, p => sqlx::query_scalar("SELECT status FROM credit_registrations WHERE enterprise_id = $1 AND registered_on <= $2").bind(enterprise_id).bind(on).fetch_optional(p).await)?;
    if reg.as_deref() != Some("registered") {
        let sql = format!("SELECT COUNT(*) FROM enterprises n WHERE n.id = $2 AND {}", OPERATING);
        let op: i64 = on!(db, p => sqlx::query_scalar(dynamic(sql)).bind(on).bind(enterprise_id).fetch_one(p).await)?;
        return Ok(if op > 0 { Some(rules::missing(&sc, on)) } else { None });
    }
    let rows = rule_records(db, enterprise_id).await?;
    let recs: Vec<Record> = rows.iter().map(|r| if r.objection_until < on { r.as_rule() } else { pending_as_is(r) }).collect();
    Ok(Some(rules::score(&sc, &recs, on)))
}

fn pending_as_is(r: &RecordRow) -> Record {
    let mut rec = r.as_rule();
    if r.state == "pending" {
        rec.state = State::Pending;
        rec.effective_on = None;
    }
    rec
}

async fn write_scores(db: &Db, rows: &[(i64, String, Option<i64>, i64, i64, String, bool, bool, String)], on: NaiveDate, delete_others: bool) -> Result<()> {
    let at = now_text();
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let old: Vec<(i64, Option<i64>, String)> = if delete_others {
        on!(db, p => sqlx::query_as("SELECT enterprise_id, score_tenths, grade FROM credit_scores").fetch_all(p).await)?
    } else {
        let mut v = Vec::new();
        for id in &ids {
            let r: Option<(i64, Option<i64>, String)> = on!(db, p => sqlx::query_as("SELECT enterprise_id, score_tenths, grade FROM credit_scores WHERE enterprise_id = $1").bind(*id).fetch_optional(p).await)?;
            v.extend(r);
        }
        v
    };
    let old: std::collections::HashMap<i64, (Option<i64>, String)> = old.into_iter().map(|(e, s, g)| (e, (s, g))).collect();
    let changed: Vec<&(i64, String, Option<i64>, i64, i64, String, bool, bool, String)> =
        rows.iter().filter(|r| old.get(&r.0).is_none_or(|(s, g)| *s != r.2 || *g != r.5)).collect();
    let keep: std::collections::HashSet<i64> = ids.iter().copied().collect();
    let gone: Vec<i64> = if delete_others { old.keys().filter(|e| !keep.contains(e)).copied().collect() } else { vec![] };
    const BATCH: usize = 400;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        for chunk in rows.chunks(BATCH) {
            let mut sql = crate::db::multi_insert_for(db.backend(), "INSERT INTO credit_scores (enterprise_id, scheme_code, score_tenths, bonus_tenths, deduction_tenths, grade, black_listed, barred, region_code, computed_on, computed_at)", 11, chunk.len());
            sql.push_str(" ON CONFLICT (enterprise_id) DO UPDATE SET scheme_code = excluded.scheme_code, score_tenths = excluded.score_tenths, bonus_tenths = excluded.bonus_tenths, deduction_tenths = excluded.deduction_tenths, grade = excluded.grade, black_listed = excluded.black_listed, barred = excluded.barred, region_code = excluded.region_code, computed_on = excluded.computed_on, computed_at = excluded.computed_at");
            let mut q = sqlx::query(dynamic(sql));
            for r in chunk {
                q = q.bind(r.0).bind(&r.1).bind(r.2).bind(r.3).bind(r.4).bind(&r.5).bind(r.6 as i64).bind(r.7 as i64).bind(&r.8).bind(on).bind(&at);
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in changed.chunks(BATCH) {
            let mut sql = crate::db::multi_insert_for(db.backend(), "INSERT INTO credit_score_history (enterprise_id, on_date, score_tenths, grade)", 4, chunk.len());
            sql.push_str(" ON CONFLICT (enterprise_id, on_date) DO UPDATE SET score_tenths = excluded.score_tenths, grade = excluded.grade");
            let mut q = sqlx::query(dynamic(sql));
            for r in chunk {
                q = q.bind(r.0).bind(on).bind(r.2).bind(&r.5);
            }
            q.execute(&mut *tx).await?;
        }
        for e in &gone {
            sqlx::query("DELETE FROM credit_scores WHERE enterprise_id = $1").bind(*e).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

type ScoreRow = (i64, String, Option<i64>, i64, i64, String, bool, bool, String);

fn score_row(enterprise_id: i64, region: &str, s: &Score) -> ScoreRow {
    let score = if s.grade == "missing" { None } else { Some(s.total_tenths) };
    (enterprise_id, s.scheme_code.clone(), score, s.bonus_tenths, s.deduction_tenths, s.grade.clone(), s.black_listed, s.barred, region.to_string())
}

/// Recomputes one enterprise's score on `today` (writes `credit_scores`; appends
/// `credit_score_history` when the score or grade changed; removes the score of an
/// enterprise neither registered nor operating).
pub async fn recompute(db: &Db, enterprise_id: i64, today: NaiveDate) -> Result<()> {
    let region: Option<Option<String>> = on!(db, p => sqlx::query_scalar("SELECT region_code FROM enterprises WHERE id = $1").bind(enterprise_id).fetch_optional(p).await)?;
    let Some(region) = region else { return Ok(()) };
    match score_of(db, enterprise_id, today).await? {
        Some(s) => write_scores(db, &[score_row(enterprise_id, &region.unwrap_or_default(), &s)], today, false).await,
        None => {
            on!(db, p => sqlx::query("DELETE FROM credit_scores WHERE enterprise_id = $1").bind(enterprise_id).execute(p).await.map(|_| ()))?;
            Ok(())
        }
    }
}

/// The predicate of records counting on `$1` (validity and rectification, module docs of
/// [`wuye_domain::credit`]); `cycle_start`: the annual cycle's first day, if any.
pub fn counting_sql(cycle_start: Option<NaiveDate>) -> String {
    let cycle = match cycle_start {
        Some(d) => format!(" AND (occurred_on >= '{d}' OR (serious = 1 AND valid_until IS NULL))"),
        None => String::new(),
    };
    format!(
        "state = 'effective' AND effective_on <= $1 AND occurred_on <= $1 AND (valid_until >= $1 OR (valid_until IS NULL AND (rectified_on IS NULL OR rectified_on > $1))){cycle}"
    )
}

/// Recomputes every score on `today`, set-based: one aggregate query over the counting
/// records (grouped by enterprise), the registered and the operating-unregistered
/// enterprises, then the scores written in multi-row batches in one transaction. Runs
/// [`settle`] first. Returns the number of scores written.
pub async fn recompute_all(db: &Db, today: NaiveDate) -> Result<usize> {
    settle(db, today).await?;
    let sc = settings(db).await?.scheme();
    let sql = format!(
        "SELECT enterprise_id, CAST(COALESCE(SUM(CASE WHEN kind = 'good' THEN points_tenths ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN kind = 'bad' THEN points_tenths ELSE 0 END), 0) AS BIGINT),
                CAST(MAX(CASE WHEN kind = 'bad' THEN 1 ELSE 0 END) AS BIGINT),
                CAST(MAX(CASE WHEN kind = 'bad' AND serious = 1 THEN 1 ELSE 0 END) AS BIGINT)
         FROM credit_records WHERE {} GROUP BY enterprise_id",
        counting_sql(sc.cycle.start(today))
    );
    let sums: Vec<(i64, i64, i64, i64, i64)> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(today).fetch_all(p).await)?;
    let sums: std::collections::HashMap<i64, (i64, i64, i64, i64)> = sums.into_iter().map(|(e, g, b, hb, s)| (e, (g, b, hb, s))).collect();
    let regs: Vec<(i64, Option<String>)> = on!(db, p => sqlx::query_as("SELECT n.id, n.region_code FROM credit_registrations r JOIN enterprises n ON n.id = r.enterprise_id WHERE r.status = 'registered' AND r.registered_on <= $1 ORDER BY n.id").bind(today).fetch_all(p).await)?;
    let sql = format!("SELECT n.id, n.region_code FROM enterprises n WHERE {OPERATING} AND NOT EXISTS (SELECT 1 FROM credit_registrations cr WHERE cr.enterprise_id = n.id AND cr.status = 'registered' AND cr.registered_on <= $1)");
    let miss: Vec<(i64, Option<String>)> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(today).fetch_all(p).await)?;
    let mut rows: Vec<ScoreRow> = Vec::with_capacity(regs.len() + miss.len());
    for (e, region) in &regs {
        let (g, b, hb, s) = sums.get(e).copied().unwrap_or((0, 0, 0, 0));
        let score = rules::fold(&sc, today, g, b, hb != 0, s != 0, vec![]);
        rows.push(score_row(*e, region.as_deref().unwrap_or(""), &score));
    }
    let m = rules::missing(&sc, today);
    for (e, region) in &miss {
        rows.push(score_row(*e, region.as_deref().unwrap_or(""), &m));
    }
    write_scores(db, &rows, today, true).await?;
    Ok(rows.len())
}

/// A stored score row.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StoredScore {
    pub enterprise_id: i64,
    pub scheme_code: String,
    pub score_tenths: Option<i64>,
    pub bonus_tenths: i64,
    pub deduction_tenths: i64,
    pub grade: String,
    pub black_listed: i64,
    pub barred: i64,
    pub region_code: String,
    pub computed_on: NaiveDate,
}

/// The stored score of an enterprise (as last recomputed), if any.
pub async fn stored_score(db: &Db, enterprise_id: i64) -> Result<Option<StoredScore>> {
    Ok(on!(db, p => sqlx::query_as("SELECT enterprise_id, scheme_code, score_tenths, bonus_tenths, deduction_tenths, grade, black_listed, barred, region_code, computed_on FROM credit_scores WHERE enterprise_id = $1").bind(enterprise_id).fetch_optional(p).await)?)
}

/// The score history of an enterprise: (day, score, grade), oldest first.
pub async fn history(db: &Db, enterprise_id: i64) -> Result<Vec<(NaiveDate, Option<i64>, String)>> {
    Ok(on!(db, p => sqlx::query_as("SELECT on_date, score_tenths, grade FROM credit_score_history WHERE enterprise_id = $1 ORDER BY on_date").bind(enterprise_id).fetch_all(p).await)?)
}

// ---------------------------------------------------------------------------------------
// The credit file
// ---------------------------------------------------------------------------------------

/// The published records of an enterprise (state `effective` only; nothing pending,
/// objected or revoked is public), newest first. No caller check: public information.
pub async fn published_records(db: &Db, enterprise_id: i64) -> Result<Vec<RecordRow>> {
    let sql = format!("SELECT {RECORD_COLS} FROM credit_records r JOIN enterprises n ON n.id = r.enterprise_id WHERE r.enterprise_id = $1 AND r.state = 'effective' ORDER BY r.occurred_on DESC, r.id DESC");
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).bind(enterprise_id).fetch_all(p).await)?)
}

/// An estate served under a contract (a project of the enterprise).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Project {
    pub estate_id: i64,
    pub estate_name: String,
    pub region_code: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

/// An enterprise's credit file (信用档案).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreditFile {
    pub enterprise_id: i64,
    pub name: String,
    pub uscc: String,
    pub legal_representative: String,
    pub region_code: String,
    pub address: String,
    pub registration: Option<Registration>,
    pub projects: Vec<Project>,
    pub managers: Vec<Manager>,
    /// `None`: neither registered nor operating.
    #[schema(value_type = Object)]
    pub score: Option<Score>,
    /// All records the caller may see (the enterprise, regulators: incl. pending with their
    /// objection deadlines; others: effective only).
    pub records: Vec<RecordRow>,
}

/// The credit file of an enterprise on `today`. Full (all records) for administrators,
/// regulators, streets and departments reaching the enterprise, and the enterprise itself;
/// others with credit view rights see the published records only. Errors: `NotFound`.
pub async fn file(db: &Db, a: &Access, enterprise_id: i64, today: NaiveDate) -> Result<CreditFile> {
    a.require(Action::View, Resource::Credit)?;
    let full = match a.scope() {
        Scope::All => true,
        Scope::Enterprise(id) => *id == enterprise_id,
        Scope::Region(_) => true,
        _ => false,
    };
    enterprise_in_scope(db, a, enterprise_id, today).await?;
    let row: Option<(i64, String, String, String, Option<String>, String)> =
        on!(db, p => sqlx::query_as("SELECT id, name, uscc, legal_representative, region_code, address FROM enterprises WHERE id = $1").bind(enterprise_id).fetch_optional(p).await)?;
    let (id, name, uscc, legal, region, address) = row.ok_or(StoreError::NotFound)?;
    let registration: Option<Registration> = on!(db, p => sqlx::query_as("SELECT r.enterprise_id, n.name, n.uscc, r.region_code, r.registered_on, r.status, r.exited_on, r.exit_reason FROM credit_registrations r JOIN enterprises n ON n.id = r.enterprise_id WHERE r.enterprise_id = $1").bind(enterprise_id).fetch_optional(p).await)?;
    let projects: Vec<Project> = on!(db, p => sqlx::query_as("SELECT e.id AS estate_id, e.name AS estate_name, e.region_code, c.start_date, c.end_date FROM service_contracts c JOIN estates e ON e.id = c.estate_id WHERE c.enterprise_id = $1 ORDER BY c.start_date DESC").bind(enterprise_id).fetch_all(p).await)?;
    let managers: Vec<Manager> = on!(db, p => sqlx::query_as("SELECT m.id, m.enterprise_id, m.estate_id, e.name AS estate_name, m.name, m.certificate, m.start_date, m.end_date FROM credit_managers m LEFT JOIN estates e ON e.id = m.estate_id WHERE m.enterprise_id = $1 ORDER BY m.start_date DESC").bind(enterprise_id).fetch_all(p).await)?;
    let score = score_of(db, enterprise_id, today).await?;
    let records = if full {
        let mut v = rule_records(db, enterprise_id).await?;
        v.reverse();
        v
    } else {
        published_records(db, enterprise_id).await?
    };
    let score = score.map(|mut s| {
        if !full {
            // only the lines of published records
            let ids: std::collections::HashSet<i64> = records.iter().map(|r| r.id).collect();
            s.lines.retain(|l| ids.contains(&l.record_id));
        }
        s
    });
    Ok(CreditFile { enterprise_id: id, name, uscc, legal_representative: legal, region_code: region.unwrap_or_default(), address, registration, projects, managers, score, records })
}

/// The enterprise id with this USCC, if any (lowercase input is taken in capitals).
pub async fn enterprise_by_uscc(db: &Db, uscc: &str) -> Result<Option<i64>> {
    Ok(on!(db, p => sqlx::query_scalar("SELECT id FROM enterprises WHERE uscc = $1").bind(uscc.trim().to_ascii_uppercase()).fetch_optional(p).await)?)
}

/// Days from `d` by `n` (helper for callers and the demo).
pub fn days(d: NaiveDate, n: i64) -> NaiveDate {
    d + Duration::days(n)
}

pub mod demo;

/// The enterprises the caller reaches, for the record form: (id, name, USCC), by name.
pub async fn enterprise_choices(db: &Db, a: &Access, today: NaiveDate) -> Result<Vec<(i64, String, String)>> {
    let sql = format!("SELECT n.id, n.name, n.uscc FROM enterprises n WHERE {} ORDER BY n.name LIMIT 2000", a.enterprises_sql("n", today));
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?)
}

/// [`standing`] for a caller: `NotFound` unless the caller reaches the enterprise.
pub async fn standing_for(db: &Db, a: &Access, enterprise_id: i64, today: NaiveDate) -> Result<Standing> {
    a.require(Action::View, Resource::Credit)?;
    enterprise_in_scope(db, a, enterprise_id, today).await?;
    standing(db, enterprise_id, today).await
}
pub mod public; // credit-public
