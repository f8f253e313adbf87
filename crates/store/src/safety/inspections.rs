//! Checklist templates, inspections, hazards, escalation and supervision orders
//! (rules.md §6; issue 6 items 1–3 and 7).
//!
//! - **Templates** (`safety_templates`, `safety_template_items`): one built-in version per
//!   category ([`Category::default_items`], `region_code = ''`), written by
//!   [`ensure_templates`]; a regulator's edit saves a *new* version for its region
//!   ([`save_template`]); an inspection keeps pointing at the version it used. An estate
//!   uses the newest version of the nearest region up the tree, else the built-in one
//!   ([`template_for`]).
//! - **Inspections** (`safety_inspections`, `safety_inspection_results`): self-checks by the
//!   serving enterprise (`self`), street-office checks (`street`), regulators' spot checks
//!   (`spot`); a result per item; photos (images, ≤ 5 MB); both signatures. Each item
//!   marked `hazard` opens a hazard in the same transaction.
//! - **Hazards** (`safety_hazards`, `safety_hazard_steps`): every step through the case
//!   engine's [`HAZARD`] flow. Columns the regional figures read:
//!   `closed`, `deadline` (of the current state; overdue when open and `deadline < today`),
//!   `region_code` (the estate's), `rectify_by` (the rectification deadline set at finding;
//!   rejections and supervision orders set the current `deadline` only), `rectified_on` (the date of the report that was
//!   passed; on time when `rectified_on <= rectify_by`), `escalated_on`/`escalated_to`
//!   (reset when a step sets a new deadline, so a hazard escalates once per deadline).
//! - **Escalation** ([`escalate_due`]): on the first working day after a missed deadline
//!   ([`escalation_day`]) to the level above the finder.
//!
//! Every write is one transaction with its steps, files and audit entry.

use crate::access::Access;
use crate::cases::{TEXT_MAX, TITLE_MAX, Upload, calendar_days, calendar_for, calendar_from, check_text, prefix_range};
use crate::db::{Db, Result, StoreError, dynamic};
use crate::{audit, begin_write, on};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use wuye_domain::account::{Action, Resource, Role, Scope};
use wuye_domain::calendar::Calendar;
use wuye_domain::cases::{By, CaseError, escalation_day};
use wuye_domain::region::RegionCode;
use wuye_domain::safety::{Category, HAZARD, SafetyError, Severity, check_deadline, check_deadline_cap, rectification_deadline};

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn invalid(e: impl ToString) -> StoreError {
    StoreError::Invalid(e.to_string())
}

fn flow_err(e: CaseError) -> StoreError {
    match e {
        CaseError::NotYours { .. } => StoreError::Forbidden(e.to_string()),
        other => StoreError::Invalid(other.to_string()),
    }
}

/// Inspection kinds: (code, label).
pub const KINDS: [(&str, &str); 3] = [("self", "物业自查"), ("street", "街道检查"), ("spot", "住建抽查")];

pub fn kind_label(code: &str) -> &'static str {
    KINDS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

/// Item results: (code, label).
pub const RESULTS: [(&str, &str); 3] = [("pass", "合格"), ("hazard", "隐患"), ("na", "不适用")];

pub fn result_label(code: &str) -> &'static str {
    RESULTS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------

/// A checklist template version.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Template {
    pub id: i64,
    /// Category code (`fire_access`, `underground`, `fire_facilities`, `elevator`, `secondary_water`, `ebike`).
    pub category: String,
    /// `""` for the built-in version, else the regulator's region (12 digits).
    pub region_code: String,
    /// 1, 2, … per (category, region).
    pub version: i64,
    pub title: String,
    pub created_by: String,
    pub created_at: String,
}

impl Template {
    pub fn category_label(&self) -> &'static str {
        Category::parse(&self.category).map(|c| c.label_zh()).unwrap_or("")
    }
}

/// One item of a template.
#[derive(Debug, Clone, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TemplateItem {
    /// 1-based.
    #[serde(default)]
    pub seq: i64,
    pub item: String,
    /// The legal basis.
    #[serde(default)]
    pub basis: String,
}

const TPL_COLS: &str = "t.id, t.category, t.region_code, t.version, t.title, t.created_by, t.created_at";

/// Writes the built-in version (region `''`, version 1) of every category from
/// [`Category::default_items`] where missing. Idempotent; called at start-up, by the demo
/// and in tests.
pub async fn ensure_templates(db: &Db) -> Result<()> {
    let at = now_text();
    for c in Category::ALL {
        let have: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM safety_templates WHERE category = $1 AND region_code = '' AND version = 1").bind(c.code()).fetch_optional(p).await)?;
        if have.is_some() {
            continue;
        }
        on!(db, p => {
            let mut tx = begin_write!(db, p)?;
            let id: i64 = sqlx::query_scalar("INSERT INTO safety_templates (category, region_code, version, title, created_by, created_at) VALUES ($1,'',1,$2,'system',$3) ON CONFLICT DO NOTHING RETURNING id")
                .bind(c.code()).bind(format!("{}检查表", c.label_zh())).bind(&at).fetch_optional(&mut *tx).await?.unwrap_or(0);
            if id != 0 {
                for (i, (item, basis)) in c.default_items().iter().enumerate() {
                    sqlx::query("INSERT INTO safety_template_items (template_id, seq, item, basis) VALUES ($1,$2,$3,$4)").bind(id).bind(i as i64 + 1).bind(*item).bind(*basis).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
    }
    Ok(())
}

/// Every template version (checklists are public to whoever may view safety records),
/// by category, region and version.
pub async fn templates(db: &Db, a: &Access) -> Result<Vec<Template>> {
    a.require(Action::View, Resource::Safety)?;
    let sql = format!("SELECT {TPL_COLS} FROM safety_templates t ORDER BY t.category, t.region_code, t.version DESC");
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?)
}

/// One template version and its items.
pub async fn template(db: &Db, a: &Access, id: i64) -> Result<(Template, Vec<TemplateItem>)> {
    a.require(Action::View, Resource::Safety)?;
    let sql = format!("SELECT {TPL_COLS} FROM safety_templates t WHERE t.id = $1");
    let t: Template = on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)?;
    let items = template_items(db, id).await?;
    Ok((t, items))
}

async fn template_items(db: &Db, id: i64) -> Result<Vec<TemplateItem>> {
    Ok(on!(db, p => sqlx::query_as("SELECT seq, item, basis FROM safety_template_items WHERE template_id = $1 ORDER BY seq").bind(id).fetch_all(p).await)?)
}

/// The template an estate in `region_code` uses for `category`: the newest version of the
/// nearest region up the tree that has one, else the built-in version.
/// Errors: unknown category; no template (call [`ensure_templates`]).
pub async fn template_for(db: &Db, category: &str, region_code: &str) -> Result<Template> {
    let c = Category::parse(category).ok_or_else(|| invalid(format!("检查类别：「{category}」不是六类检查之一")))?;
    let sql = format!("SELECT {TPL_COLS} FROM safety_templates t WHERE t.category = $1");
    let all: Vec<Template> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(c.code()).fetch_all(p).await)?;
    let rank = |t: &Template| -> Option<usize> {
        if t.region_code.is_empty() {
            return Some(0);
        }
        let r = RegionCode::parse(&t.region_code).ok()?;
        region_code.starts_with(r.prefix()).then(|| r.prefix().len())
    };
    all.into_iter().filter_map(|t| rank(&t).map(|r| (r, t.version, t))).max_by_key(|(r, v, _)| (*r, *v)).map(|(_, _, t)| t).ok_or_else(|| invalid("检查表：尚未建立（请先初始化内置检查表）"))
}

/// Saves a new version of a category's checklist for a region: regulators for their own
/// region (or a region below it), administrators for any region. Old versions stay (the
/// inspections that used them keep pointing at them). Returns the new template id.
/// Errors: unknown category, a region outside the caller's, no items, an empty item.
pub async fn save_template(db: &Db, a: &Access, category: &str, region_code: &str, title: &str, items: &[TemplateItem]) -> Result<i64> {
    if !matches!(a.role(), Role::Admin | Role::Regulator) {
        return Err(StoreError::Forbidden(format!("{}无权修改检查表（由住建监管部门维护）", a.role().label_zh())));
    }
    let c = Category::parse(category).ok_or_else(|| invalid(format!("检查类别：「{category}」不是六类检查之一")))?;
    let region = if region_code.trim().is_empty() {
        match a.scope() {
            Scope::Region(r) => r.as_str().to_string(),
            _ => return Err(invalid("区划：须指定检查表适用的区划")),
        }
    } else {
        RegionCode::parse(region_code).map_err(|e| invalid(format!("区划：{e}")))?.as_str().to_string()
    };
    if !a.reaches_region(&region) {
        return Err(StoreError::Forbidden("区划不在本人管辖范围内".into()));
    }
    check_text("标题", title, TITLE_MAX)?;
    let items: Vec<&TemplateItem> = items.iter().filter(|i| !i.item.trim().is_empty()).collect();
    if items.is_empty() {
        return Err(invalid("检查项目：至少一项"));
    }
    if items.len() > 100 {
        return Err(invalid(format!("检查项目：不超过 100 项，实为 {}", items.len())));
    }
    for (i, it) in items.iter().enumerate() {
        check_text(&format!("检查项目 {}", i + 1), &it.item, 500)?;
        check_text(&format!("检查项目 {} 依据", i + 1), &it.basis, 500)?;
    }
    let title = if title.trim().is_empty() { format!("{}检查表", c.label_zh()) } else { title.trim().to_string() };
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM safety_templates WHERE category = $1 AND region_code = $2").bind(c.code()).bind(&region).fetch_one(&mut *tx).await?;
        let version = v.unwrap_or(0) + 1;
        let id: i64 = sqlx::query_scalar("INSERT INTO safety_templates (category, region_code, version, title, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id")
            .bind(c.code()).bind(&region).bind(version).bind(&title).bind(&a.actor().name).bind(&at).fetch_one(&mut *tx).await?;
        for (i, it) in items.iter().enumerate() {
            sqlx::query("INSERT INTO safety_template_items (template_id, seq, item, basis) VALUES ($1,$2,$3,$4)").bind(id).bind(i as i64 + 1).bind(it.item.trim()).bind(it.basis.trim()).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "create", "safety_template", id, None, Some(serde_json::json!({"category": c.code(), "region_code": region, "version": version, "items": items.len()})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

// ---------------------------------------------------------------------------------------
// Scope
// ---------------------------------------------------------------------------------------

/// The rows of a table with `estate_id`, `region_code` and `enterprise_id` (aliased `x`)
/// the caller reaches: administrators all; regulators and street offices their region's
/// subtree; an enterprise the records of the estates it serves and those naming it as the
/// responsible party; others the estates of their scope.
fn scope_sql(a: &Access, x: &str, today: NaiveDate) -> String {
    super::scope_sql(a, x, "", today, true)
}

fn region_ok(r: &str) -> bool {
    !r.is_empty() && r.len() <= 12 && r.bytes().all(|b| b.is_ascii_digit())
}

/// The estate, if the caller reaches it: (id, name, region_code, current enterprise).
async fn estate_of(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<(i64, String, String, Option<i64>)> {
    let sql = format!(
        "SELECT e.id, e.name, e.region_code, (SELECT c.enterprise_id FROM service_contracts c WHERE c.estate_id = e.id AND c.start_date <= $2 AND (c.end_date IS NULL OR c.end_date >= $2) ORDER BY c.start_date DESC, c.id DESC LIMIT 1) \
         FROM estates e WHERE e.id = $1 AND {}",
        a.estates_sql("e", today)
    );
    on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).bind(today).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

// ---------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------

/// A photo's listing (without bytes).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SafetyFile {
    pub id: i64,
    /// `inspection` or `hazard_step`.
    pub owner_kind: String,
    pub owner_id: i64,
    pub estate_id: i64,
    pub file_name: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

const FILE_COLS: &str = "id, owner_kind, owner_id, estate_id, file_name, content_type, size, sha256, uploaded_by, uploaded_at";

macro_rules! insert_photo {
    ($tx:expr, $kind:expr, $owner:expr, $estate:expr, $u:expr, $by:expr, $at:expr) => {{
        let u: &Upload = $u;
        let ct = u.validate_photo()?;
        sqlx::query("INSERT INTO safety_files (owner_kind, owner_id, estate_id, file_name, content_type, size, sha256, data, uploaded_by, uploaded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)")
            .bind($kind).bind($owner).bind($estate).bind(u.file_name.trim()).bind(ct).bind(u.bytes.len() as i64).bind(u.sha256()).bind(&u.bytes).bind($by).bind($at)
            .execute(&mut *$tx).await?;
    }};
}

async fn files_of(db: &Db, kind: &str, ids: &[i64]) -> Result<Vec<SafetyFile>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let sql = format!("SELECT {FILE_COLS} FROM safety_files WHERE owner_kind = $1 AND owner_id IN ({list}) ORDER BY id");
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).bind(kind).fetch_all(p).await)?)
}

/// One photo with its bytes, if the caller reaches its inspection or hazard.
pub async fn photo(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<(SafetyFile, Vec<u8>)> {
    let sql = format!("SELECT {FILE_COLS} FROM safety_files WHERE id = $1");
    let f: SafetyFile = on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)?;
    match f.owner_kind.as_str() {
        "inspection" => {
            inspection(db, a, f.owner_id, today).await?;
        }
        "hazard_step" => {
            let h: i64 = on!(db, p => sqlx::query_scalar("SELECT hazard_id FROM safety_hazard_steps WHERE id = $1").bind(f.owner_id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)?;
            hazard(db, a, h, today).await?;
        }
        _ => return Err(StoreError::NotFound),
    }
    let bytes: Vec<u8> = on!(db, p => sqlx::query_scalar("SELECT data FROM safety_files WHERE id = $1").bind(id).fetch_one(p).await)?;
    Ok((f, bytes))
}

// ---------------------------------------------------------------------------------------
// Inspections
// ---------------------------------------------------------------------------------------

/// An inspection as listed and shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Inspection {
    pub id: i64,
    pub estate_id: i64,
    pub estate_name: String,
    pub region_code: String,
    pub template_id: i64,
    pub template_version: i64,
    /// The template's region (`""`: built-in).
    pub template_region: String,
    pub category: String,
    /// `self` (物业自查), `street` (街道检查) or `spot` (住建抽查).
    pub kind: String,
    pub inspected_on: NaiveDate,
    pub area: String,
    /// The inspected party (the enterprise serving the estate), if any.
    pub enterprise_id: Option<i64>,
    pub inspector_id: i64,
    /// The inspector's signature (name as signed).
    pub inspector: String,
    /// The estate's responsible person's signature.
    pub responsible_signature: String,
    pub hazard_count: i64,
    pub note: String,
    pub created_at: String,
}

impl Inspection {
    pub fn kind_label(&self) -> &'static str {
        kind_label(&self.kind)
    }
    pub fn category_label(&self) -> &'static str {
        Category::parse(&self.category).map(|c| c.label_zh()).unwrap_or("")
    }
}

const INSP_COLS: &str = "i.id, i.estate_id, e.name AS estate_name, i.region_code, i.template_id, t.version AS template_version, t.region_code AS template_region, i.category, i.kind, i.inspected_on, i.area, i.enterprise_id, \
     i.inspector_id, i.inspector, i.responsible_signature, i.hazard_count, i.note, i.created_at";
const INSP_FROM: &str = "safety_inspections i JOIN estates e ON e.id = i.estate_id JOIN safety_templates t ON t.id = i.template_id";

/// An item's result in an inspection.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ResultRow {
    pub seq: i64,
    pub item: String,
    pub basis: String,
    /// `pass`, `hazard` or `na`.
    pub result: String,
    pub note: String,
}

/// A hazard found under an item.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewHazard {
    /// `general` (一般隐患) or `major` (重大隐患).
    pub severity: String,
    pub description: String,
    #[serde(default)]
    pub location: String,
    /// Fixed during the inspection: closed at once (a photo of the fix is required).
    #[serde(default)]
    pub spot_fixed: bool,
    /// The rectification deadline in working days after the finding (1–180).
    #[serde(default)]
    pub working_days: Option<u32>,
    /// Or as a date (not before the finding date).
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
}

/// The result of one checklist item.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ItemResult {
    /// The template item's seq.
    pub seq: i64,
    /// `pass`, `hazard` or `na`.
    pub result: String,
    #[serde(default)]
    pub note: String,
    /// Required when the result is `hazard`.
    #[serde(default)]
    pub hazard: Option<NewHazard>,
}

/// An inspection to record.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewInspection {
    /// Category code.
    pub category: String,
    /// `self`, `street` or `spot`.
    pub kind: String,
    pub inspected_on: NaiveDate,
    #[serde(default)]
    pub area: String,
    /// The inspector's signature (name).
    pub inspector: String,
    /// The estate's responsible person's signature (name).
    #[serde(default)]
    pub responsible_signature: String,
    #[serde(default)]
    pub note: String,
    /// One per template item (items not given count as not applicable).
    pub results: Vec<ItemResult>,
}

/// Who inspects: `self` the serving enterprise's users, `street` street offices, `spot`
/// regulators; administrators any.
fn may_inspect(a: &Access, kind: &str, enterprise: Option<i64>) -> Result<()> {
    let ok = match (kind, a.role(), a.scope()) {
        (_, Role::Admin, _) => true,
        ("self", Role::EnterpriseManager | Role::EnterpriseStaff, Scope::Enterprise(id)) => Some(*id) == enterprise,
        ("street", Role::Street, _) => true,
        ("spot", Role::Regulator, _) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(StoreError::Forbidden(format!("「{}」须由{}登记", kind_label(kind), match kind {
            "self" => "服务本小区的物业服务企业",
            "street" => "街道办事处",
            _ => "住建监管部门",
        })))
    }
}

/// The responsible party of an estate's hazards: the enterprise serving it under the
/// contract in force (id, name), else the estate's safety responsible person.
async fn responsible_of(db: &Db, estate_id: i64, enterprise: Option<i64>) -> Result<(Option<i64>, String)> {
    if let Some(n) = enterprise {
        let name: String = on!(db, p => sqlx::query_scalar("SELECT name FROM enterprises WHERE id = $1").bind(n).fetch_one(p).await)?;
        return Ok((Some(n), name));
    }
    let who: Option<String> = on!(db, p => sqlx::query_scalar("SELECT responsible FROM safety_estates WHERE estate_id = $1").bind(estate_id).fetch_optional(p).await)?;
    Ok((None, who.filter(|w| !w.trim().is_empty()).unwrap_or_else(|| "小区安全责任人（未登记）".into())))
}

struct PlannedHazard {
    seq: i64,
    severity: Severity,
    description: String,
    location: String,
    spot_fixed: bool,
    working_days: Option<i64>,
    deadline: NaiveDate,
}

/// Records an inspection of an estate with its results and photos; each item marked
/// `hazard` opens a hazard (rectifying, with its deadline; or closed at once when fixed
/// on the spot) in the same transaction. `uploads`: (item seq, photo) — seq 0 for the
/// inspection's photos, an item's seq for the photos of its hazard (required for a spot
/// fix). Returns the inspection id.
///
/// Errors (nothing written): the caller may not inspect this kind or estate; unknown
/// category or kind; a date in the future; no inspector's signature; an unknown item or
/// result; a hazard without description, severity or deadline; a deadline before the
/// finding date ([`SafetyError::DeadlineBeforeFinding`]) or 0 or more than 180 working
/// days; a spot fix without a photo; a photo that is not an image or is over 5 MB.
pub async fn create_inspection(db: &Db, a: &Access, estate_id: i64, n: &NewInspection, uploads: &[(i64, Upload)], today: NaiveDate) -> Result<i64> {
    a.require(Action::Create, Resource::Safety)?;
    let (eid, _ename, region, enterprise) = estate_of(db, a, estate_id, today).await?;
    if !KINDS.iter().any(|(k, _)| *k == n.kind) {
        return Err(invalid(format!("检查类型：应为 self（物业自查）、street（街道检查）或 spot（住建抽查），实为 {:?}", n.kind)));
    }
    may_inspect(a, &n.kind, enterprise)?;
    let cat = Category::parse(&n.category).ok_or_else(|| invalid(format!("检查类别：「{}」不是六类检查之一", n.category)))?;
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
    if n.inspected_on > today || n.inspected_on < earliest {
        return Err(invalid(format!("检查日期：应在 2000-01-01 与今天（{today}）之间，实为 {}", n.inspected_on)));
    }
    if n.inspector.trim().is_empty() {
        return Err(invalid("检查人签名：不能为空（公安部令第61号第二十六条：检查记录由检查人员签名）"));
    }
    check_text("检查人签名", &n.inspector, 50)?;
    check_text("责任人签名", &n.responsible_signature, 50)?;
    check_text("检查部位", &n.area, TITLE_MAX)?;
    check_text("备注", &n.note, TEXT_MAX)?;
    for (_, u) in uploads {
        u.validate_photo()?;
    }
    let tpl = template_for(db, cat.code(), &region).await?;
    let items = template_items(db, tpl.id).await?;
    let cal = calendar_for(db, &region).await?;
    let mut results: Vec<(i64, &'static str, String)> = Vec::new();
    let mut planned: Vec<PlannedHazard> = Vec::new();
    for r in &n.results {
        let Some(item) = items.iter().find(|i| i.seq == r.seq) else {
            return Err(invalid(format!("检查项目：第 {} 项不在检查表（{} 第 {} 版）中", r.seq, tpl.title, tpl.version)));
        };
        if results.iter().any(|(s, _, _)| *s == r.seq) {
            return Err(invalid(format!("检查项目 {}：重复填写", r.seq)));
        }
        let res = RESULTS.iter().find(|(c, l)| *c == r.result.trim() || *l == r.result.trim()).map(|(c, _)| *c).ok_or_else(|| invalid(format!("检查项目 {}：结果应为 pass（合格）、hazard（隐患）或 na（不适用），实为 {:?}", r.seq, r.result)))?;
        check_text(&format!("检查项目 {} 说明", r.seq), &r.note, TEXT_MAX)?;
        results.push((r.seq, res, r.note.trim().to_string()));
        if res != "hazard" {
            continue;
        }
        let h = r.hazard.clone().unwrap_or_default();
        let field = format!("隐患 {}", r.seq);
        let description = if h.description.trim().is_empty() { item.item.clone() } else { h.description.trim().to_string() };
        check_text(&format!("{field} 描述"), &description, TEXT_MAX)?;
        check_text(&format!("{field} 位置"), &h.location, TITLE_MAX)?;
        let severity = Severity::parse(&h.severity).ok_or_else(|| invalid(format!("{field} 等级：应为 general（一般隐患）或 major（重大隐患），实为 {:?}", h.severity)))?;
        let (deadline, wd) = if h.spot_fixed {
            if !uploads.iter().any(|(s, _)| *s == r.seq) {
                return Err(invalid(format!("{field} 照片：现场整改须附整改后的照片")));
            }
            (n.inspected_on, None)
        } else {
            match (h.working_days, h.deadline) {
                (Some(d), _) => (rectification_deadline(n.inspected_on, d, &cal).map_err(|e| invalid(format!("{field} {e}")))?, Some(d as i64)),
                (None, Some(d)) => {
                    check_deadline(n.inspected_on, d).map_err(|e| invalid(format!("{field} {e}")))?;
                    check_deadline_cap(n.inspected_on, d, &cal).map_err(|e| invalid(format!("{field} {e}")))?;
                    (d, None)
                }
                (None, None) => return Err(invalid(format!("{field} 整改期限：须现场整改，或指定整改工作日数或日期"))),
            }
        };
        planned.push(PlannedHazard { seq: r.seq, severity, description, location: h.location.trim().to_string(), spot_fixed: h.spot_fixed, working_days: wd, deadline });
    }
    if let Some((s, _)) = uploads.iter().find(|(s, _)| *s != 0 && !planned.iter().any(|p| p.seq == *s)) {
        return Err(invalid(format!("照片：第 {s} 项没有隐患，不能附隐患照片")));
    }
    // The engine checks the opening (and the spot fix) as the finder.
    for p in &planned {
        HAZARD.step(None, "find", &[By::Opener], &p.description, Some(p.deadline), None, today, &cal).map_err(flow_err)?;
    }
    let (resp_id, responsible) = responsible_of(db, eid, enterprise).await?;
    let at = now_text();
    let actor = a.actor().clone();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO safety_inspections (estate_id, region_code, template_id, category, kind, inspected_on, area, enterprise_id, inspector_id, inspector, responsible_signature, hazard_count, note, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id")
            .bind(eid).bind(&region).bind(tpl.id).bind(cat.code()).bind(&n.kind).bind(n.inspected_on).bind(n.area.trim()).bind(enterprise).bind(actor.user_id).bind(n.inspector.trim())
            .bind(n.responsible_signature.trim()).bind(planned.len() as i64).bind(n.note.trim()).bind(&at)
            .fetch_one(&mut *tx).await?;
        for (seq, res, note) in &results {
            sqlx::query("INSERT INTO safety_inspection_results (inspection_id, seq, result, note) VALUES ($1,$2,$3,$4)").bind(id).bind(seq).bind(res).bind(note).execute(&mut *tx).await?;
        }
        for (_, u) in uploads.iter().filter(|(s, _)| *s == 0) {
            insert_photo!(tx, "inspection", id, eid, u, &actor.name, &at);
        }
        for ph in &planned {
            let (state, closed, deadline) = if ph.spot_fixed { ("closed", true, None) } else { ("rectifying", false, Some(ph.deadline)) };
            let hid: i64 = sqlx::query_scalar(
                "INSERT INTO safety_hazards (estate_id, region_code, inspection_id, item_seq, category, severity, description, location, state, closed, spot_fixed, found_on, found_by_id, found_by, finder_kind, \
                 enterprise_id, responsible, working_days, rectify_by, deadline, rectified_on, closed_on, step_count, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24) RETURNING id")
                .bind(eid).bind(&region).bind(id).bind(ph.seq).bind(cat.code()).bind(ph.severity.code()).bind(&ph.description).bind(&ph.location).bind(state).bind(closed).bind(ph.spot_fixed)
                .bind(n.inspected_on).bind(actor.user_id).bind(n.inspector.trim()).bind(&n.kind).bind(resp_id).bind(&responsible).bind(ph.working_days).bind(ph.deadline).bind(deadline)
                .bind(ph.spot_fixed.then_some(n.inspected_on)).bind(ph.spot_fixed.then_some(n.inspected_on)).bind(if ph.spot_fixed { 2i64 } else { 1i64 }).bind(&at)
                .fetch_one(&mut *tx).await?;
            let sid: i64 = sqlx::query_scalar("INSERT INTO safety_hazard_steps (hazard_id, seq, action, from_state, to_state, on_date, at, actor_id, actor, deadline, note) VALUES ($1,1,'find','','rectifying',$2,$3,$4,$5,$6,$7) RETURNING id")
                .bind(hid).bind(n.inspected_on).bind(&at).bind(actor.user_id).bind(&actor.name).bind(ph.deadline).bind(&ph.description).fetch_one(&mut *tx).await?;
            let last = if ph.spot_fixed {
                sqlx::query_scalar("INSERT INTO safety_hazard_steps (hazard_id, seq, action, from_state, to_state, on_date, at, actor_id, actor, deadline, note) VALUES ($1,2,'spot_fix','rectifying','closed',$2,$3,$4,$5,NULL,'现场整改') RETURNING id")
                    .bind(hid).bind(n.inspected_on).bind(&at).bind(actor.user_id).bind(&actor.name).fetch_one(&mut *tx).await?
            } else {
                sid
            };
            for (_, u) in uploads.iter().filter(|(s, _)| *s == ph.seq) {
                insert_photo!(tx, "hazard_step", last, eid, u, &actor.name, &at);
            }
            audit!(tx, &actor, "find", "safety_hazard", hid, None, Some(serde_json::json!({"inspection_id": id, "seq": ph.seq, "severity": ph.severity.code(), "deadline": ph.deadline, "spot_fixed": ph.spot_fixed})));
        }
        audit!(tx, &actor, "create", "safety_inspection", id, None, Some(serde_json::json!({"estate_id": eid, "kind": n.kind, "category": cat.code(), "template_id": tpl.id, "inspected_on": n.inspected_on, "hazards": planned.len()})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// One inspection, if the caller reaches it.
pub async fn inspection(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Inspection> {
    a.require(Action::View, Resource::Safety)?;
    let sql = format!("SELECT {INSP_COLS} FROM {INSP_FROM} WHERE i.id = $1 AND {}", scope_sql(a, "i", today));
    on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// An inspection's results, item by item (items not recorded show as `na`).
pub async fn inspection_results(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vec<ResultRow>> {
    let i = inspection(db, a, id, today).await?;
    let sql = "SELECT ti.seq, ti.item, ti.basis, COALESCE(r.result, 'na') AS result, COALESCE(r.note, '') AS note FROM safety_template_items ti \
               LEFT JOIN safety_inspection_results r ON r.inspection_id = $1 AND r.seq = ti.seq WHERE ti.template_id = $2 ORDER BY ti.seq";
    Ok(on!(db, p => sqlx::query_as(sql).bind(id).bind(i.template_id).fetch_all(p).await)?)
}

/// An inspection's photos.
pub async fn inspection_photos(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vec<SafetyFile>> {
    inspection(db, a, id, today).await?;
    files_of(db, "inspection", &[id]).await
}

/// Filters of the inspection list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionFilter {
    pub estate_id: Option<i64>,
    /// `self`, `street` or `spot`.
    pub kind: Option<String>,
    pub category: Option<String>,
    /// Region prefix (digits).
    pub region: Option<String>,
}

/// The inspections the caller reaches, newest first (at most `limit`).
pub async fn inspections(db: &Db, a: &Access, f: &InspectionFilter, limit: i64, today: NaiveDate) -> Result<Vec<Inspection>> {
    a.require(Action::View, Resource::Safety)?;
    let mut w = vec![scope_sql(a, "i", today)];
    if let Some(e) = f.estate_id {
        w.push(format!("i.estate_id = {e}"));
    }
    if let Some(k) = f.kind.as_deref().filter(|k| KINDS.iter().any(|(c, _)| c == k)) {
        w.push(format!("i.kind = '{k}'"));
    }
    if let Some(c) = f.category.as_deref().and_then(Category::parse) {
        w.push(format!("i.category = '{}'", c.code()));
    }
    if let Some(r) = f.region.as_deref().filter(|r| region_ok(r)) {
        w.push(prefix_range("i.region_code", r));
    }
    let sql = format!("SELECT {INSP_COLS} FROM {INSP_FROM} WHERE {} ORDER BY i.inspected_on DESC, i.id DESC LIMIT {}", w.join(" AND "), limit.clamp(1, 100_000));
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?)
}

// ---------------------------------------------------------------------------------------
// Hazards
// ---------------------------------------------------------------------------------------

/// A hazard as listed and shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Hazard {
    pub id: i64,
    pub estate_id: i64,
    pub estate_name: String,
    /// The estate's region (12 digits).
    pub region_code: String,
    pub inspection_id: Option<i64>,
    pub item_seq: Option<i64>,
    pub category: String,
    /// `general` or `major`.
    pub severity: String,
    pub description: String,
    pub location: String,
    /// [`HAZARD`] state: `rectifying`, `reported` or `closed`.
    pub state: String,
    pub closed: bool,
    pub spot_fixed: bool,
    pub found_on: NaiveDate,
    pub found_by_id: i64,
    pub found_by: String,
    /// `self`, `street` or `spot`.
    pub finder_kind: String,
    /// The responsible enterprise, if any.
    pub enterprise_id: Option<i64>,
    /// Its name, or the estate's responsible person.
    pub responsible: String,
    pub working_days: Option<i64>,
    /// The latest rectification deadline set (at finding, rejection or supervision).
    pub rectify_by: Option<NaiveDate>,
    /// Deadline of the current state (rectification or re-inspection); none when closed.
    pub deadline: Option<NaiveDate>,
    /// The date of the rectification report that was passed.
    pub rectified_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub escalated_on: Option<NaiveDate>,
    /// The region of the level escalated to.
    pub escalated_to: Option<String>,
    pub escalated_to_name: Option<String>,
    /// 督办单号, e.g. 督〔2026〕第3号.
    pub supervision_no: Option<String>,
    pub supervised_on: Option<NaiveDate>,
    pub supervision_deadline: Option<NaiveDate>,
}

impl Hazard {
    pub fn state_label(&self) -> &'static str {
        HAZARD.state_label(&self.state)
    }
    pub fn category_label(&self) -> &'static str {
        Category::parse(&self.category).map(|c| c.label_zh()).unwrap_or("")
    }
    pub fn severity_label(&self) -> &'static str {
        Severity::parse(&self.severity).map(|c| c.label_zh()).unwrap_or("")
    }
    pub fn finder_label(&self) -> &'static str {
        kind_label(&self.finder_kind)
    }
    /// Open and past its deadline (the deadline day itself is in time).
    pub fn overdue(&self, today: NaiveDate) -> bool {
        wuye_domain::cases::is_overdue(self.deadline, self.closed, today)
    }
    /// Rectified by the deadline set at finding, or fixed on the spot (closed hazards only).
    pub fn on_time(&self) -> Option<bool> {
        if self.spot_fixed && self.closed {
            return Some(true);
        }
        match (self.rectified_on, self.rectify_by) {
            (Some(r), Some(b)) => Some(r <= b),
            _ => None,
        }
    }
}

const HAZ_COLS: &str = "h.id, h.estate_id, e.name AS estate_name, h.region_code, h.inspection_id, h.item_seq, h.category, h.severity, h.description, h.location, h.state, h.closed, h.spot_fixed, \
     h.found_on, h.found_by_id, h.found_by, h.finder_kind, h.enterprise_id, h.responsible, h.working_days, h.rectify_by, h.deadline, h.rectified_on, h.closed_on, h.escalated_on, h.escalated_to, \
     er.name AS escalated_to_name, h.supervision_no, h.supervised_on, h.supervision_deadline";
const HAZ_FROM: &str = "safety_hazards h JOIN estates e ON e.id = h.estate_id LEFT JOIN regions er ON er.code = h.escalated_to";

/// One hazard, if the caller reaches it.
pub async fn hazard(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Hazard> {
    a.require(Action::View, Resource::Safety)?;
    let sql = format!("SELECT {HAZ_COLS} FROM {HAZ_FROM} WHERE h.id = $1 AND {}", scope_sql(a, "h", today));
    on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// Filters of the hazard list (in the URL).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HazardFilter {
    /// `open`, `closed`, or a state code (`rectifying`, `reported`, `closed`).
    pub state: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Only open hazards past their deadline.
    pub overdue: Option<bool>,
    /// Region prefix (digits).
    pub region: Option<String>,
    pub estate_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub page: Option<i64>,
}

fn hazard_filter_sql(f: &HazardFilter, today: NaiveDate) -> String {
    let mut w = Vec::new();
    match f.state.as_deref() {
        Some("open") => w.push("h.closed = FALSE".to_string()),
        Some("closed") => w.push("h.closed = TRUE".to_string()),
        Some(s) if HAZARD.state(s).is_some() => w.push(format!("h.state = '{s}'")),
        _ => {}
    }
    if let Some(c) = f.category.as_deref().and_then(Category::parse) {
        w.push(format!("h.category = '{}'", c.code()));
    }
    if f.overdue == Some(true) {
        w.push(format!("h.closed = FALSE AND h.deadline < '{today}'"));
    }
    if let Some(r) = f.region.as_deref().filter(|r| region_ok(r)) {
        w.push(prefix_range("h.region_code", r));
    }
    if let Some(e) = f.estate_id {
        w.push(format!("h.estate_id = {e}"));
    }
    if let Some(i) = f.inspection_id {
        w.push(format!("h.inspection_id = {i}"));
    }
    if w.is_empty() { "1=1".into() } else { w.join(" AND ") }
}

/// Rows per page of the hazard list.
pub const PER_PAGE: i64 = 50;

/// A page of the hazards the caller reaches matching the filter: open before closed,
/// nearest deadline first, then newest.
pub async fn hazards(db: &Db, a: &Access, f: &HazardFilter, today: NaiveDate) -> Result<crate::registry::Page<Hazard>> {
    a.require(Action::View, Resource::Safety)?;
    let page = f.page.unwrap_or(1).clamp(1, 1_000_000);
    let w = format!("{} AND {}", scope_sql(a, "h", today), hazard_filter_sql(f, today));
    let sql = format!(
        "SELECT {HAZ_COLS} FROM {HAZ_FROM} WHERE {w} ORDER BY h.closed, CASE WHEN h.deadline IS NULL THEN 1 ELSE 0 END, h.deadline, h.id DESC LIMIT {PER_PAGE} OFFSET {}",
        (page - 1) * PER_PAGE
    );
    let items: Vec<Hazard> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    let cap = crate::registry::COUNT_CAP;
    let csql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM safety_hazards h WHERE {w} LIMIT {}) t", cap + 1);
    let total: i64 = on!(db, p => sqlx::query_scalar(dynamic(csql)).fetch_one(p).await)?;
    Ok(crate::registry::Page { items, total: total.min(cap), more: total > cap, page, per_page: PER_PAGE })
}

/// All hazards matching the filter (the ledger, 台账), by id (capped at 100,000 rows).
pub async fn hazard_rows(db: &Db, a: &Access, f: &HazardFilter, today: NaiveDate) -> Result<Vec<Hazard>> {
    a.require(Action::View, Resource::Safety)?;
    let sql = format!("SELECT {HAZ_COLS} FROM {HAZ_FROM} WHERE {} AND {} ORDER BY h.id LIMIT 100000", scope_sql(a, "h", today), hazard_filter_sql(f, today));
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?)
}

/// One step of a hazard's time line.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HazardStep {
    pub id: i64,
    pub seq: i64,
    /// The flow's step code, or `escalate`.
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub on_date: NaiveDate,
    pub at: String,
    pub actor: String,
    pub deadline: Option<NaiveDate>,
    pub note: String,
}

impl HazardStep {
    pub fn action_label(&self) -> &'static str {
        if self.action == "escalate" { "逾期升级" } else { HAZARD.step_def(&self.action).map(|s| s.label_zh).unwrap_or("") }
    }
}

/// A hazard's time line, oldest first, each step with its photos.
pub async fn hazard_timeline(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vec<(HazardStep, Vec<SafetyFile>)>> {
    hazard(db, a, id, today).await?;
    let steps: Vec<HazardStep> = on!(db, p => sqlx::query_as("SELECT id, seq, action, from_state, to_state, on_date, at, actor, deadline, note FROM safety_hazard_steps WHERE hazard_id = $1 ORDER BY seq").bind(id).fetch_all(p).await)?;
    let ids: Vec<i64> = steps.iter().map(|s| s.id).collect();
    let files = files_of(db, "hazard_step", &ids).await?;
    Ok(steps.into_iter().map(|s| {
        let f = files.iter().filter(|f| f.owner_id == s.id).cloned().collect();
        (s, f)
    }).collect())
}

/// Which parts the caller plays in a hazard: holder (a user of the responsible
/// enterprise; the estate's committee when no enterprise is responsible), supervisor (a
/// street office or regulator whose region holds the estate), opener (the finder); an
/// administrator holder and supervisor.
pub fn roles_in(a: &Access, h: &Hazard) -> Vec<By> {
    let mut by = Vec::new();
    match (a.role(), a.scope()) {
        (Role::Admin, _) => by.extend([By::Holder, By::Supervisor]),
        (Role::EnterpriseManager | Role::EnterpriseStaff, Scope::Enterprise(id)) if h.enterprise_id == Some(*id) => by.push(By::Holder),
        (Role::Committee, Scope::Estate(id)) if h.enterprise_id.is_none() && *id == h.estate_id => by.push(By::Holder),
        (Role::Street | Role::Regulator, Scope::Region(r)) if h.region_code.starts_with(r.prefix()) => by.push(By::Supervisor),
        _ => {}
    }
    if a.actor().user_id != 0 && a.actor().user_id == h.found_by_id {
        by.push(By::Opener);
    }
    by
}

/// A hazard step to take.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct HazardStepInput {
    /// `report` (整改报告), `pass` (复查通过), `reject` (复查不通过), `supervise` (督办),
    /// `spot_fix` (现场整改).
    pub action: String,
    #[serde(default)]
    pub note: String,
    /// The new rectification deadline (reject, supervise): after today.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
}

/// Takes a step on a hazard through the [`HAZARD`] flow. `report` needs a note and at
/// least one photo; `reject` and `supervise` a new deadline after today; `pass` and
/// `reject` only by the inspecting side (a re-inspection by the inspected party is
/// refused: [`SafetyError::ReinspectedByInspected`]); closing without a report is out of
/// order. A supervision order gets its number (督〔year〕第N号). Returns the new state.
/// Errors leave everything unchanged.
pub async fn hazard_step(db: &Db, a: &Access, id: i64, s: &HazardStepInput, uploads: &[Upload], today: NaiveDate) -> Result<&'static str> {
    let h = hazard(db, a, id, today).await?;
    check_text("说明", &s.note, TEXT_MAX)?;
    for u in uploads {
        u.validate_photo()?;
    }
    let by = roles_in(a, &h);
    if matches!(s.action.as_str(), "pass" | "reject") && !by.contains(&By::Supervisor) {
        let inspected = by.contains(&By::Holder) || matches!(a.scope(), Scope::Enterprise(n) if h.enterprise_id == Some(*n));
        if inspected {
            return Err(invalid(SafetyError::ReinspectedByInspected));
        }
    }
    let cal = calendar_for(db, &h.region_code).await?;
    let given = if matches!(s.action.as_str(), "reject" | "supervise") { s.deadline } else { None };
    if let Some(g) = given {
        check_deadline_cap(today, g, &cal).map_err(invalid)?;
    }
    // On the spot means during the inspection: later, the responsible party reports and the
    // inspecting side re-inspects.
    if s.action == "spot_fix" && today != h.found_on {
        return Err(invalid(format!("现场整改：只能在发现当日（{}）登记；之后须由责任单位提交整改报告并经复查销号", h.found_on)));
    }
    let out = HAZARD.step(Some(&h.state), &s.action, &by, &s.note, h.deadline, given, today, &cal).map_err(flow_err)?;
    let def = HAZARD.step_def(&s.action).expect("checked by the engine");
    if matches!(s.action.as_str(), "report" | "spot_fix") && uploads.is_empty() {
        return Err(invalid(format!("照片：「{}」须附至少一张整改后的照片", def.label_zh)));
    }
    // The report that was passed: its date is the rectification date.
    let rectified_on: Option<NaiveDate> = if s.action == "pass" {
        on!(db, p => sqlx::query_scalar("SELECT MAX(on_date) FROM safety_hazard_steps WHERE hazard_id = $1 AND action = 'report'").bind(id).fetch_one(p).await)?
    } else if s.action == "spot_fix" {
        Some(today)
    } else {
        h.rectified_on
    };
    // The rectification deadline set at finding stays: a rejection or a supervision order
    // sets the current deadline only, and on time is judged against the first.
    let rectify_by = h.rectify_by;
    let at = now_text();
    let actor = a.actor().clone();
    let reset = out.deadline != h.deadline;
    let year = today.year();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let n = sqlx::query(
            "UPDATE safety_hazards SET state = $1, closed = $2, deadline = $3, rectify_by = $4, rectified_on = $5, closed_on = $6, step_count = step_count + 1, updated_at = $7, \
             escalated_on = CASE WHEN $8 THEN NULL ELSE escalated_on END, escalated_to = CASE WHEN $8 THEN NULL ELSE escalated_to END, spot_fixed = (spot_fixed OR $9) WHERE id = $10 AND state = $11")
            .bind(out.to).bind(out.closed).bind(out.deadline).bind(rectify_by).bind(rectified_on).bind(out.closed.then_some(today)).bind(&at).bind(reset).bind(s.action == "spot_fix").bind(id).bind(&h.state)
            .execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("此隐患刚被他人办理，请刷新后重试".into()));
        }
        let mut note = s.note.trim().to_string();
        if s.action == "supervise" {
            let prefix = format!("督〔{year}〕第");
            // Numbered by the orders issued this year (steps are never deleted, so a hazard
            // supervised again gets a new number and no number repeats).
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM safety_hazard_steps WHERE action = 'supervise' AND note LIKE $1").bind(format!("{prefix}%")).fetch_one(&mut *tx).await?;
            let no = format!("{prefix}{}号", count + 1);
            sqlx::query("UPDATE safety_hazards SET supervision_no = $1, supervised_on = $2, supervision_deadline = $3 WHERE id = $4").bind(&no).bind(today).bind(out.deadline).bind(id).execute(&mut *tx).await?;
            note = format!("{no}：{note}");
        }
        let seq: i64 = sqlx::query_scalar("SELECT step_count FROM safety_hazards WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
        let sid: i64 = sqlx::query_scalar("INSERT INTO safety_hazard_steps (hazard_id, seq, action, from_state, to_state, on_date, at, actor_id, actor, deadline, note) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id")
            .bind(id).bind(seq).bind(def.action).bind(&h.state).bind(out.to).bind(today).bind(&at).bind(actor.user_id).bind(&actor.name).bind(out.deadline).bind(&note)
            .fetch_one(&mut *tx).await?;
        for u in uploads {
            insert_photo!(tx, "hazard_step", sid, h.estate_id, u, &actor.name, &at);
        }
        audit!(tx, &actor, def.action, "safety_hazard", id, Some(serde_json::json!({"state": h.state, "deadline": h.deadline})), Some(serde_json::json!({"state": out.to, "deadline": out.deadline, "note": note})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(out.to)
}

/// The region a missed deadline escalates to, above the finder: a self-check or street
/// finding → the estate's county; a county spot check → the city; a city's → the
/// province (the province stays with itself). `finder_region`: the finding regulator's
/// region, if known.
pub fn escalation_target(estate_region: &str, finder_kind: &str, finder_region: Option<&str>) -> String {
    let pad = |p: &str| format!("{p:0<12}");
    let r = estate_region;
    if finder_kind != "spot" {
        return pad(&r[..r.len().min(6)]);
    }
    let level = finder_region.and_then(|f| RegionCode::parse(f).ok()).map(|c| c.prefix().len()).unwrap_or(6);
    match level {
        l if l >= 6 => pad(&r[..4.min(r.len())]),
        4 => pad(&r[..2.min(r.len())]),
        _ => pad(&r[..2.min(r.len())]),
    }
}

/// Escalates every open hazard whose deadline was missed, on its escalation day
/// ([`escalation_day`]: the first working day after the deadline by the estate region's
/// calendar) and later, to the level above the finder ([`escalation_target`]); writes an
/// `escalate` step. Idempotent: once per deadline (a step setting a new deadline resets
/// it). Returns how many escalated.
pub async fn escalate_due(db: &Db, today: NaiveDate) -> Result<usize> {
    let days = calendar_days(db).await?;
    type Row = (i64, NaiveDate, String, String, i64, String, i64);
    let rows: Vec<Row> = on!(db, p => sqlx::query_as("SELECT h.id, h.deadline, h.region_code, h.finder_kind, h.found_by_id, h.state, h.step_count FROM safety_hazards h WHERE h.closed = FALSE AND h.escalated_on IS NULL AND h.deadline < $1 ORDER BY h.id").bind(today).fetch_all(p).await)?;
    let mut cals: HashMap<String, Calendar> = HashMap::new();
    let mut due = Vec::new();
    for r in rows {
        let cal = cals.entry(r.2.clone()).or_insert_with(|| calendar_from(&days, &r.2));
        let day = escalation_day(r.1, cal);
        if day <= today {
            due.push((r, day));
        }
    }
    if due.is_empty() {
        return Ok(0);
    }
    // The finding regulators' regions (spot checks), from their role scopes.
    let mut finder_regions: HashMap<i64, Vec<String>> = HashMap::new();
    for ((_, _, _, kind, uid, _, _), _) in &due {
        if kind == "spot" && !finder_regions.contains_key(uid) {
            let scopes: Vec<String> = on!(db, p => sqlx::query_scalar("SELECT scope FROM user_roles WHERE user_id = $1 AND role = 'regulator'").bind(uid).fetch_all(p).await)?;
            finder_regions.insert(*uid, scopes.into_iter().filter_map(|s| s.strip_prefix("region:").map(|c| c.to_string())).collect());
        }
    }
    let names: HashMap<String, String> = on!(db, p => sqlx::query_as::<_, (String, String)>("SELECT code, name FROM regions").fetch_all(p).await)?.into_iter().collect();
    let actor = crate::access::Actor::system("escalate");
    let at = now_text();
    let mut n = 0;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        for ((id, deadline, region, kind, uid, state, seq), day) in &due {
            let fr = finder_regions.get(uid).and_then(|v| v.iter().filter(|c| RegionCode::parse(c).is_ok_and(|r| region.starts_with(r.prefix()))).max_by_key(|c| c.trim_end_matches('0').len()).cloned());
            let to = escalation_target(region, kind, fr.as_deref());
            let up = sqlx::query("UPDATE safety_hazards SET escalated_on = $1, escalated_to = $2, step_count = step_count + 1 WHERE id = $3 AND escalated_on IS NULL AND closed = FALSE")
                .bind(day).bind(&to).bind(id).execute(&mut *tx).await?.rows_affected();
            if up == 0 {
                continue;
            }
            n += 1;
            let note = format!("整改期限 {deadline} 已过，{day} 升级至{}督办", names.get(&to).cloned().unwrap_or_else(|| to.clone()));
            sqlx::query("INSERT INTO safety_hazard_steps (hazard_id, seq, action, from_state, to_state, on_date, at, actor_id, actor, deadline, note) VALUES ($1,$2,'escalate',$3,$3,$4,$5,0,$6,$7,$8)")
                .bind(id).bind(seq + 1).bind(state).bind(day).bind(&at).bind(&actor.name).bind(deadline).bind(&note).execute(&mut *tx).await?;
        }
        audit!(tx, &actor, "escalate", "safety_hazards", today, None, Some(serde_json::json!({"count": n})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(n)
}

// ---------------------------------------------------------------------------------------
// Demo
// ---------------------------------------------------------------------------------------

/// What [`write_demo`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub inspections: usize,
    pub hazards: usize,
    pub escalated: usize,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "安全检查 {} 次，隐患 {} 项，逾期升级 {} 项", self.inspections, self.hazards, self.escalated)
    }
}

/// A 1×1 PNG, the demo's photo.
const DEMO_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

fn demo_photo(name: &str) -> Upload {
    Upload { file_name: name.into(), bytes: DEMO_PNG.to_vec() }
}

/// The demo's inspections and hazards (idempotent: only when there is no inspection yet):
/// on the showcase estate an inspection of each kind and hazards in every state — closed
/// on time, fixed on the spot, rejected then re-reported and passed, reported awaiting
/// re-inspection, rectifying within the deadline, overdue and escalated, supervised with
/// an order — and, on one estate of each other county, a spot check with one overdue and
/// one closed hazard, so the regional figures have something to show.
pub async fn write_demo(db: &Db, today: NaiveDate) -> Result<DemoReport> {
    use chrono::Days;
    ensure_templates(db).await?;
    let mut r = DemoReport::default();
    let have: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM safety_inspections").fetch_one(p).await)?;
    if have > 0 {
        return Ok(r);
    }
    let sys = Access::system("demo");
    let Some((estate, _firm, code)) = crate::demo::showcase_estate(db, today).await? else { return Ok(r) };
    let ago = |n: u64| today.checked_sub_days(Days::new(n)).unwrap_or(today);
    let after = |n: u64| today.checked_add_days(Days::new(n)).unwrap_or(today);
    let item = |seq: i64, result: &str, h: Option<NewHazard>| ItemResult { seq, result: result.into(), note: String::new(), hazard: h };
    let days = |desc: &str, n: u32, major: bool| NewHazard { severity: if major { "major" } else { "general" }.into(), description: desc.into(), working_days: Some(n), ..Default::default() };
    let by = |desc: &str, d: NaiveDate| NewHazard { severity: "general".into(), description: desc.into(), deadline: Some(d), ..Default::default() };
    let insp = |category: &str, kind: &str, on: NaiveDate, area: &str, inspector: &str, results: Vec<ItemResult>| NewInspection {
        category: category.into(),
        kind: kind.into(),
        inspected_on: on,
        area: area.into(),
        inspector: inspector.into(),
        responsible_signature: "周安全".into(),
        note: String::new(),
        results,
    };
    let step = |action: &str, note: &str, deadline: Option<NaiveDate>| HazardStepInput { action: action.into(), note: note.into(), deadline };
    let hazard_at = |inspection: i64, seq: i64| async move {
        on!(db, p => sqlx::query_scalar::<_, i64>("SELECT id FROM safety_hazards WHERE inspection_id = $1 AND item_seq = $2").bind(inspection).bind(seq).fetch_one(p).await)
    };

    // 1. A self-check: a fire-facility hazard rectified and passed on time.
    let i = create_inspection(db, &sys, estate, &insp("fire_facilities", "self", ago(40), "1–6号楼", "物业安全员 李明", vec![item(1, "pass", None), item(2, "hazard", Some(days("3号楼灭火器过期 4 具", 5, false))), item(3, "pass", None), item(4, "pass", None), item(5, "na", None)]), &[(0, demo_photo("site.png"))], ago(40)).await?;
    let h = hazard_at(i, 2).await?;
    hazard_step(db, &sys, h, &step("report", "已更换灭火器 4 具", None), &[demo_photo("after.png")], ago(36)).await?;
    hazard_step(db, &sys, h, &step("pass", "复查合格", None), &[], ago(34)).await?;
    r.inspections += 1;
    r.hazards += 1;

    // 2. A street check: one fixed on the spot; one rejected, re-reported and passed.
    let i = create_inspection(db, &sys, estate, &insp("fire_access", "street", ago(30), "南门消防车通道", "街道安全办 王强", vec![
        item(1, "hazard", Some(NewHazard { severity: "general".into(), description: "消防车通道临时停放车辆 2 辆".into(), spot_fixed: true, ..Default::default() })),
        item(2, "pass", None),
        item(3, "hazard", Some(days("5号楼楼梯间堆放杂物", 10, false))),
        item(4, "pass", None),
        item(5, "pass", None),
    ]), &[(1, demo_photo("moved.png"))], ago(30)).await?;
    let h = hazard_at(i, 3).await?;
    hazard_step(db, &sys, h, &step("report", "已清理 1–3 层", None), &[demo_photo("stairs.png")], ago(25)).await?;
    hazard_step(db, &sys, h, &step("reject", "4–6 层仍有杂物", Some(ago(17))), &[], ago(24)).await?;
    hazard_step(db, &sys, h, &step("report", "已全部清理并张贴提示", None), &[demo_photo("stairs2.png")], ago(18)).await?;
    hazard_step(db, &sys, h, &step("pass", "复查合格", None), &[], ago(16)).await?;
    r.inspections += 1;
    r.hazards += 2;

    // 3. A regulator's spot check: one left open past its deadline (escalated below), one
    //    under a supervision order.
    let i = create_inspection(db, &sys, estate, &insp("ebike", "spot", ago(20), "2号楼门厅", "住建局 张监督", vec![
        item(1, "hazard", Some(by("2号楼门厅停放电动自行车 6 辆", ago(12)))),
        item(2, "hazard", Some(days("7号楼飞线充电", 5, true))),
        item(3, "pass", None),
        item(4, "na", None),
    ]), &[(0, demo_photo("hall.png"))], ago(20)).await?;
    let h = hazard_at(i, 2).await?;
    hazard_step(db, &sys, h, &step("supervise", "限期拆除飞线，设置集中充电设施", Some(after(7))), &[], ago(3)).await?;
    r.inspections += 1;
    r.hazards += 2;

    // 4. A street check two days ago: one reported and awaiting re-inspection, one rectifying.
    let i = create_inspection(db, &sys, estate, &insp("underground", "street", ago(2), "地下车库", "街道安全办 王强", vec![
        item(1, "pass", None),
        item(2, "hazard", Some(days("地下车库堆放废旧家具", 10, false))),
        item(3, "hazard", Some(days("车库挡水板缺失", 5, false))),
        item(4, "na", None),
    ]), &[], ago(2)).await?;
    let h = hazard_at(i, 3).await?;
    hazard_step(db, &sys, h, &step("report", "已补设挡水板", None), &[demo_photo("board.png")], ago(1)).await?;
    r.inspections += 1;
    r.hazards += 2;

    // Other counties: one estate each, a spot check with an overdue and a closed hazard.
    let others: Vec<(i64, String)> = on!(db, p => sqlx::query_as("SELECT MIN(id), SUBSTR(region_code, 1, 6) FROM estates WHERE id <> $1 GROUP BY SUBSTR(region_code, 1, 6) ORDER BY 2 LIMIT 30").bind(estate).fetch_all(p).await)?;
    let _ = code;
    for (n, (eid, _county)) in others.iter().enumerate() {
        let cats = ["fire_access", "fire_facilities", "ebike", "underground", "elevator", "secondary_water"];
        let cat = cats[n % cats.len()];
        let found = ago(25 + (n as u64 % 10));
        let overdue = if n % 3 == 0 { by("通道堆放杂物", ago(5 + n as u64 % 5)) } else { days("设施缺损", 10, n % 4 == 0) };
        let i = create_inspection(db, &sys, *eid, &insp(cat, "spot", found, "公共区域", "住建局 检查组", vec![item(1, "hazard", Some(overdue)), item(2, "hazard", Some(days("标识缺失", 3, false)))]), &[], found).await?;
        let h = hazard_at(i, 2).await?;
        hazard_step(db, &sys, h, &step("report", "已补设标识", None), &[demo_photo("sign.png")], found.checked_add_days(Days::new(2)).unwrap_or(found)).await?;
        hazard_step(db, &sys, h, &step("pass", "复查合格", None), &[], found.checked_add_days(Days::new(4)).unwrap_or(found)).await?;
        r.inspections += 1;
        r.hazards += 2;
    }
    r.escalated = escalate_due(db, today).await?;
    Ok(r)
}
