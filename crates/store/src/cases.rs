//! Cases: joint-conference matters, law-enforcement referrals and dispute mediation, kept
//! by one engine ([`wuye_domain::cases`]); the organisations that hold them (departments,
//! street offices, mediation committees) and their members; joint-conference meetings;
//! the working-day calendar with regional days; escalation of missed deadlines.
//!
//! Who may take a step is decided by membership: a member of the organisation holding
//! the case acts as its holder, a member of the supervising organisation (the convener,
//! the street office that refers) as its supervisor; an administrator as either. Every
//! step is one transaction: the case row, its time-line step, attachments, notices to
//! whoever must act next, and the audit entry.

use crate::access::Access;
use crate::db::{Db, Result, StoreError, dynamic};
use crate::{audit, begin_write, on};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use wuye_domain::account::{Action, Resource, Role, Scope};
use wuye_domain::calendar::{Calendar, DayKind};
use wuye_domain::cases::{By, CaseError, CaseKind, DEPARTMENT_KINDS, HolderRule, MEDIATION_COMMITTEE, department_label, escalation_day, judicial_confirmation_due};
use wuye_domain::region::RegionCode;

fn invalid(e: CaseError) -> StoreError {
    StoreError::Invalid(e.to_string())
}

/// Checks a text field: no control characters (other than line breaks and tabs) and at
/// most `max` characters.
pub(crate) fn check_text(field: &str, s: &str, max: usize) -> Result<()> {
    if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(StoreError::Invalid(format!("{field}：含有不可见的控制字符")));
    }
    let n = s.chars().count();
    if n > max {
        return Err(StoreError::Invalid(format!("{field}：不超过 {max} 字，实为 {n} 字")));
    }
    Ok(())
}

/// Longest title, and longest note or text of a case, meeting or agreement.
pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 10_000;

/// Whether organisation `o` may hold or help with a case in `case_region` supervised from
/// `sup_region`: its area contains the case's (a county department for an estate of the
/// county), or it lies within the supervisor's area (a street office under the county's
/// convener). A department of another county may not.
pub fn in_jurisdiction(o: &Organisation, case_region: &str, sup_region: &str) -> bool {
    let prefix = |c: &str| RegionCode::parse(c).map(|r| r.prefix().to_string()).unwrap_or_else(|_| c.to_string());
    case_region.starts_with(&prefix(&o.region_code)) || o.region_code.starts_with(&prefix(sup_region))
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// `col >= 'p' AND col < 'p:'`: the rows of a region subtree by its digit prefix, as an
/// index range (':' sorts right after '9'). `p` is validated digits.
pub(crate) fn prefix_range(col: &str, p: &str) -> String {
    if p.is_empty() { "1=1".into() } else { format!("({col} >= '{p}' AND {col} < '{p}:')") }
}

// ---------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------

/// A regional (or nationwide, `region_code` empty) calendar day an administrator added.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CalendarDay {
    pub day: NaiveDate,
    /// `""` for everywhere, else the region whose subtree it covers.
    pub region_code: String,
    /// `holiday` or `workday`.
    pub kind: String,
    pub name: String,
    pub added_by: String,
}

/// The added days.
pub async fn calendar_days(db: &Db) -> Result<Vec<CalendarDay>> {
    let sql = "SELECT day, region_code, kind, name, added_by FROM calendar_days ORDER BY day, region_code";
    Ok(on!(db, p => sqlx::query_as(sql).fetch_all(p).await)?)
}

/// The calendar that applies in `region_code` (12 digits): national, plus the added days
/// of everywhere and of the regions above it.
pub async fn calendar_for(db: &Db, region_code: &str) -> Result<Calendar> {
    let days = calendar_days(db).await?;
    Ok(calendar_from(&days, region_code))
}

pub(crate) fn calendar_from(days: &[CalendarDay], region_code: &str) -> Calendar {
    let extra = days.iter().filter(|d| d.region_code.is_empty() || RegionCode::parse(&d.region_code).is_ok_and(|r| region_code.starts_with(r.prefix())));
    // Regions above apply first, so the nearest region's entry wins.
    let mut extra: Vec<&CalendarDay> = extra.collect();
    extra.sort_by_key(|d| d.region_code.trim_end_matches('0').len());
    Calendar::national().with_regional(extra.into_iter().map(|d| (d.day, DayKind::parse(&d.kind).unwrap_or(DayKind::Holiday), d.name.clone())))
}

/// Adds (or replaces) a calendar day. Administrators only. `region_code` empty for
/// everywhere. Errors: a bad region code or kind, an empty name.
pub async fn add_calendar_day(db: &Db, a: &Access, day: NaiveDate, region_code: &str, kind: &str, name: &str) -> Result<()> {
    if a.role() != Role::Admin {
        return Err(StoreError::Forbidden("只有平台管理员可以维护工作日历".into()));
    }
    let region = if region_code.trim().is_empty() {
        String::new()
    } else {
        let code = RegionCode::parse(region_code).map_err(|e| StoreError::Invalid(format!("区划：{e}")))?.as_str().to_string();
        let known: Option<String> = on!(db, p => sqlx::query_scalar("SELECT code FROM regions WHERE code = $1").bind(&code).fetch_optional(p).await)?;
        known.ok_or_else(|| StoreError::Invalid(format!("区划：{code} 不在区划表中")))?
    };
    let kind = DayKind::parse(kind).ok_or_else(|| StoreError::Invalid(format!("类型：应为 holiday（放假）或 workday（调休上班），实为 {kind:?}")))?;
    if name.trim().is_empty() {
        return Err(StoreError::Invalid("名称：不能为空（如「开斋节」）".into()));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("DELETE FROM calendar_days WHERE region_code = $1 AND day = $2").bind(&region).bind(day).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO calendar_days (day, region_code, kind, name, added_by) VALUES ($1,$2,$3,$4,$5)")
            .bind(day).bind(&region).bind(kind.code()).bind(name.trim()).bind(&a.actor().name).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "add_day", "calendar", format!("{region}:{day}"), None, Some(serde_json::json!({"kind": kind.code(), "name": name.trim()})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

// ---------------------------------------------------------------------------------------
// Organisations
// ---------------------------------------------------------------------------------------

/// A department, street office, housing department or mediation committee.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Organisation {
    pub id: i64,
    /// `housing`, `street`, `urban_management`, … or `mediation`.
    pub kind: String,
    pub name: String,
    pub region_code: String,
    pub phone: String,
}

impl Organisation {
    pub fn kind_label(&self) -> &'static str {
        department_label(&self.kind).unwrap_or("其他")
    }
    pub fn is_department(&self) -> bool {
        DEPARTMENT_KINDS.iter().any(|(k, _)| *k == self.kind)
    }
}

const ORG_COLS: &str = "o.id, o.kind, o.name, o.region_code, o.phone";

/// Organisations a caller may see: all for region-wide roles within their region's
/// subtree and the regions above it (a county department serves the streets beneath);
/// everyone sees the organisations they belong to.
pub async fn organisations(db: &Db, a: &Access, kind: Option<&str>) -> Result<Vec<Organisation>> {
    let k = kind.map(|k| k.replace('\'', "")).map(|k| format!(" AND o.kind = '{k}'")).unwrap_or_default();
    let sql = format!("SELECT {ORG_COLS} FROM organisations o WHERE 1=1{k} ORDER BY o.region_code, o.kind, o.name");
    let all: Vec<Organisation> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    Ok(all.into_iter().filter(|o| org_visible(a, o)).collect())
}

fn org_visible(a: &Access, o: &Organisation) -> bool {
    match a.scope() {
        Scope::Region(c) => o.region_code.starts_with(c.prefix()) || c.as_str().starts_with(RegionCode::parse(&o.region_code).map(|r| r.prefix().to_string()).unwrap_or_default().as_str()),
        _ => true,
    }
}

/// One organisation (visible to every signed-in caller: names of offices are public).
pub async fn organisation(db: &Db, id: i64) -> Result<Organisation> {
    let sql = format!("SELECT {ORG_COLS} FROM organisations o WHERE o.id = $1");
    on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// The organisations the caller belongs to.
pub async fn my_organisations(db: &Db, a: &Access) -> Result<Vec<Organisation>> {
    let sql = format!("SELECT {ORG_COLS} FROM organisations o JOIN organisation_members m ON m.organisation_id = o.id WHERE m.user_id = $1 ORDER BY o.id");
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).bind(a.actor().user_id).fetch_all(p).await)?)
}

/// Creates an organisation. Administrators, and regulators within their region.
/// Errors: an unknown kind, a region outside the caller's, a duplicate name.
pub async fn create_organisation(db: &Db, a: &Access, kind: &str, name: &str, region_code: &str, phone: &str) -> Result<i64> {
    if !matches!(a.role(), Role::Admin | Role::Regulator) {
        return Err(StoreError::Forbidden(format!("{}无权维护部门名录", a.role().label_zh())));
    }
    if department_label(kind).is_none() {
        return Err(StoreError::Invalid(format!("类型：「{kind}」不是联席会议成员部门或人民调解委员会")));
    }
    let region = RegionCode::parse(region_code).map_err(|e| StoreError::Invalid(format!("区划：{e}")))?;
    if !a.reaches_region(region.as_str()) {
        return Err(StoreError::Forbidden("区划不在本人管辖范围内".into()));
    }
    if name.trim().is_empty() {
        return Err(StoreError::Invalid("名称：不能为空".into()));
    }
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM organisations WHERE region_code = $1 AND name = $2").bind(region.as_str()).bind(name.trim()).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!("名称：本区划已有「{}」", name.trim())));
        }
        let id: i64 = sqlx::query_scalar("INSERT INTO organisations (kind, name, region_code, phone, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id")
            .bind(kind).bind(name.trim()).bind(region.as_str()).bind(phone.trim()).bind(&at).fetch_one(&mut *tx).await?;
        audit!(tx, a.actor(), "create", "organisation", id, None, Some(serde_json::json!({"kind": kind, "name": name.trim(), "region_code": region.as_str()})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// Adds a user (by login name) to an organisation. Errors: unknown user.
pub async fn add_member(db: &Db, a: &Access, org_id: i64, user_name: &str) -> Result<()> {
    if !matches!(a.role(), Role::Admin | Role::Regulator) {
        return Err(StoreError::Forbidden(format!("{}无权维护部门成员", a.role().label_zh())));
    }
    let org = organisation(db, org_id).await?;
    if !a.reaches_region(&org.region_code) {
        return Err(StoreError::NotFound);
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let uid: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE name = $1").bind(user_name.trim()).fetch_optional(&mut *tx).await?;
        let uid = uid.ok_or_else(|| StoreError::Invalid(format!("用户：「{}」不存在", user_name.trim())))?;
        sqlx::query("INSERT INTO organisation_members (organisation_id, user_id) VALUES ($1,$2) ON CONFLICT DO NOTHING").bind(org_id).bind(uid).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "add_member", "organisation", org_id, None, Some(serde_json::json!({"user": user_name.trim()})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Members' display names of an organisation.
pub async fn members(db: &Db, org_id: i64) -> Result<Vec<(i64, String, String)>> {
    let sql = "SELECT u.id, u.name, u.display_name FROM users u JOIN organisation_members m ON m.user_id = u.id WHERE m.organisation_id = $1 ORDER BY u.name";
    Ok(on!(db, p => sqlx::query_as(sql).bind(org_id).fetch_all(p).await)?)
}

/// The organisation of `kinds` nearest above `region_code` (longest matching prefix).
async fn nearest_org(db: &Db, region_code: &str, kinds: &[&str]) -> Result<Option<Organisation>> {
    let ks = kinds.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(",");
    let county = &region_code[..region_code.len().min(6)];
    // The county's subtree, and the city and province above it.
    let city = format!("{:0<12}", &region_code[..4.min(region_code.len())]);
    let province = format!("{:0<12}", &region_code[..2.min(region_code.len())]);
    let sql = format!("SELECT {ORG_COLS} FROM organisations o WHERE o.kind IN ({ks}) AND (o.region_code LIKE '{county}%' OR o.region_code IN ('{city}','{province}'))");
    let all: Vec<Organisation> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    let mut best: Option<(usize, usize, Organisation)> = None;
    for o in all {
        let Ok(r) = RegionCode::parse(&o.region_code) else { continue };
        if !region_code.starts_with(r.prefix()) {
            continue;
        }
        let rank = kinds.iter().position(|k| *k == o.kind).unwrap_or(9);
        let len = r.prefix().len();
        if best.as_ref().is_none_or(|(l, k, _)| len > *l || (len == *l && rank < *k)) {
            best = Some((len, rank, o));
        }
    }
    Ok(best.map(|(_, _, o)| o))
}

// ---------------------------------------------------------------------------------------
// Meetings
// ---------------------------------------------------------------------------------------

/// A joint-conference meeting.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Meeting {
    pub id: i64,
    pub convener_org_id: i64,
    pub convener: String,
    pub region_code: String,
    pub title: String,
    /// Date held (Asia/Shanghai).
    pub held_on: NaiveDate,
    pub place: String,
    pub chair: String,
    pub agenda: String,
    pub minutes: String,
    pub decisions: String,
    pub created_by: String,
}

/// A meeting to record.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewMeeting {
    /// The convening organisation (a housing department or street office the caller belongs to).
    pub convener_org_id: i64,
    pub title: String,
    pub held_on: NaiveDate,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub chair: String,
    #[serde(default)]
    pub agenda: String,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub decisions: String,
    /// Attending organisations and who came for each.
    #[serde(default)]
    pub attendees: Vec<(i64, String)>,
}

const MEETING_COLS: &str = "m.id, m.convener_org_id, o.name AS convener, m.region_code, m.title, m.held_on, m.place, m.chair, m.agenda, m.minutes, m.decisions, m.created_by";

fn meetings_sql(a: &Access) -> String {
    match a.scope() {
        Scope::All => "1=1".into(),
        Scope::Region(c) if matches!(a.role(), Role::Regulator | Role::Street) => prefix_range("m.region_code", c.prefix()),
        _ => format!(
            "EXISTS (SELECT 1 FROM meeting_attendees ma JOIN organisation_members om ON om.organisation_id = ma.organisation_id WHERE ma.meeting_id = m.id AND om.user_id = {u}) OR EXISTS (SELECT 1 FROM organisation_members om WHERE om.organisation_id = m.convener_org_id AND om.user_id = {u})",
            u = a.actor().user_id
        ),
    }
}

/// Records a meeting. The caller must belong to the convener, which must be a housing
/// department or street office; attendees must be departments. Errors name the field.
pub async fn create_meeting(db: &Db, a: &Access, m: &NewMeeting, today: NaiveDate) -> Result<i64> {
    a.require(Action::Create, Resource::Case)?;
    let conv = organisation(db, m.convener_org_id).await.map_err(|_| StoreError::Invalid(format!("召集部门：#{} 不存在", m.convener_org_id)))?;
    if !matches!(conv.kind.as_str(), "housing" | "street") {
        return Err(StoreError::Invalid(format!("召集部门：「{}」不是住建部门或街道办事处", conv.name)));
    }
    if a.role() != Role::Admin && !my_organisations(db, a).await?.iter().any(|o| o.id == conv.id) {
        return Err(StoreError::Forbidden(format!("您不是「{}」的成员，不能以其名义召集会议", conv.name)));
    }
    if m.title.trim().is_empty() {
        return Err(StoreError::Invalid("会议名称：不能为空".into()));
    }
    check_text("会议名称", &m.title, TITLE_MAX)?;
    for (f, v) in [("地点", &m.place), ("主持人", &m.chair)] {
        check_text(f, v, TITLE_MAX)?;
    }
    for (f, v) in [("议题", &m.agenda), ("会议纪要", &m.minutes), ("议定事项", &m.decisions)] {
        check_text(f, v, TEXT_MAX)?;
    }
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
    if m.held_on > today || m.held_on < earliest {
        return Err(StoreError::Invalid(format!("会议日期：应在 2000-01-01 与今天（{today}）之间，实为 {}", m.held_on)));
    }
    let mut orgs = Vec::new();
    for (oid, who) in &m.attendees {
        let o = organisation(db, *oid).await.map_err(|_| StoreError::Invalid(format!("参会部门：#{oid} 不存在")))?;
        if !o.is_department() {
            return Err(StoreError::Invalid(format!("参会部门：「{}」不是联席会议成员部门", o.name)));
        }
        if !in_jurisdiction(&o, &conv.region_code, &conv.region_code) {
            return Err(StoreError::Invalid(format!("参会部门：「{}」不在召集部门「{}」的辖区内", o.name, conv.name)));
        }
        check_text("参会人员", who, TITLE_MAX)?;
        orgs.push((o.id, who.trim().to_string()));
    }
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar("INSERT INTO meetings (convener_org_id, region_code, title, held_on, place, chair, agenda, minutes, decisions, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id")
            .bind(conv.id).bind(&conv.region_code).bind(m.title.trim()).bind(m.held_on).bind(m.place.trim()).bind(m.chair.trim()).bind(m.agenda.trim()).bind(m.minutes.trim()).bind(m.decisions.trim()).bind(&a.actor().name).bind(&at)
            .fetch_one(&mut *tx).await?;
        for (oid, who) in &orgs {
            sqlx::query("INSERT INTO meeting_attendees (meeting_id, organisation_id, attendee) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING").bind(id).bind(oid).bind(who).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "create", "meeting", id, None, Some(serde_json::json!({"title": m.title.trim(), "held_on": m.held_on, "attendees": orgs.len()})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// Updates a meeting's minutes and decisions (the convener's members).
pub async fn update_minutes(db: &Db, a: &Access, id: i64, minutes: &str, decisions: &str) -> Result<()> {
    let m = meeting(db, a, id).await?;
    check_text("会议纪要", minutes, TEXT_MAX)?;
    check_text("议定事项", decisions, TEXT_MAX)?;
    if a.role() != Role::Admin && !my_organisations(db, a).await?.iter().any(|o| o.id == m.convener_org_id) {
        return Err(StoreError::Forbidden("只有召集部门可以修改会议纪要".into()));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE meetings SET minutes = $1, decisions = $2 WHERE id = $3").bind(minutes.trim()).bind(decisions.trim()).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "minutes", "meeting", id, crate::audit::snapshot(&serde_json::json!({"minutes": m.minutes, "decisions": m.decisions})), Some(serde_json::json!({"minutes": minutes.trim(), "decisions": decisions.trim()})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// One meeting, if the caller reaches it.
pub async fn meeting(db: &Db, a: &Access, id: i64) -> Result<Meeting> {
    a.require(Action::View, Resource::Case)?;
    let sql = format!("SELECT {MEETING_COLS} FROM meetings m JOIN organisations o ON o.id = m.convener_org_id WHERE m.id = $1 AND ({})", meetings_sql(a));
    on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// The meetings the caller reaches, newest first.
pub async fn meetings(db: &Db, a: &Access, limit: i64) -> Result<Vec<Meeting>> {
    a.require(Action::View, Resource::Case)?;
    let sql = format!("SELECT {MEETING_COLS} FROM meetings m JOIN organisations o ON o.id = m.convener_org_id WHERE ({}) ORDER BY m.held_on DESC, m.id DESC LIMIT {limit}", meetings_sql(a));
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?)
}

/// A meeting's attending organisations: (organisation, who came).
pub async fn attendees(db: &Db, meeting_id: i64) -> Result<Vec<(Organisation, String)>> {
    let sql = format!("SELECT {ORG_COLS}, ma.attendee FROM meeting_attendees ma JOIN organisations o ON o.id = ma.organisation_id WHERE ma.meeting_id = $1 ORDER BY o.kind, o.name");
    let rows: Vec<(i64, String, String, String, String, String)> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(meeting_id).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|(id, kind, name, region_code, phone, who)| (Organisation { id, kind, name, region_code, phone }, who)).collect())
}

// ---------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------

/// A case as listed and shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Case {
    pub id: i64,
    /// `matter`, `referral` or `dispute`.
    pub kind: String,
    /// The kind's flow state code.
    pub state: String,
    pub closed: bool,
    pub title: String,
    pub category: String,
    pub description: String,
    pub region_code: String,
    pub estate_id: Option<i64>,
    pub estate_name: Option<String>,
    pub house_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub supervisor_org_id: i64,
    pub supervisor: String,
    /// Who must act now.
    pub holder_org_id: i64,
    pub holder: String,
    /// The organisation the case was last sent to by choice (the lead department of a
    /// matter, the department a referral went to, the mediation committee); the holder
    /// until then.
    pub lead: String,
    /// Deadline of the current state (Asia/Shanghai date); none when closed.
    pub deadline: Option<NaiveDate>,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    /// The day the missed deadline was escalated, and to which region's level.
    pub escalated_on: Option<NaiveDate>,
    pub escalated_to: Option<String>,
    /// The name of the region escalated to.
    pub escalated_to_name: Option<String>,
    pub opened_by: String,
    pub outcome: String,
}

impl Case {
    pub fn kind(&self) -> CaseKind {
        CaseKind::parse(&self.kind).unwrap_or(CaseKind::Matter)
    }
    pub fn state_label(&self) -> &'static str {
        self.kind().flow().state_label(&self.state)
    }
    pub fn overdue(&self, today: NaiveDate) -> bool {
        wuye_domain::cases::is_overdue(self.deadline, self.closed, today)
    }
}

const CASE_COLS: &str = "c.id, c.kind, c.state, c.closed, c.title, c.category, c.description, c.region_code, c.estate_id, e.name AS estate_name, c.house_id, c.meeting_id, \
     c.supervisor_org_id, so.name AS supervisor, c.holder_org_id, ho.name AS holder, \
     COALESCE((SELECT lo.name FROM case_steps ls JOIN organisations lo ON lo.id = ls.holder_org_id WHERE ls.case_id = c.id AND ls.action IN ('dispatch', 'redispatch', 'reopen', 'refer', 'apply') ORDER BY ls.seq DESC LIMIT 1), ho.name) AS lead, \
     c.deadline, c.opened_on, c.closed_on, c.escalated_on, c.escalated_to, er.name AS escalated_to_name, c.opened_by, c.outcome";
const CASE_FROM: &str = "cases c JOIN organisations so ON so.id = c.supervisor_org_id JOIN organisations ho ON ho.id = c.holder_org_id LEFT JOIN estates e ON e.id = c.estate_id LEFT JOIN regions er ON er.code = c.escalated_to";

/// The cases a caller reaches (`c` aliases `cases`):
/// - administrator: all; regulators and street offices: their region's subtree, and
///   cases their organisations hold or supervise;
/// - departments and mediators: cases their organisations hold, help with, supervise or
///   once held;
/// - enterprises and committees: the matters and referrals of their estates, the disputes
///   they are a party to, and the cases they opened;
/// - owners and utility operators: cases they opened or are a party to.
pub fn cases_sql(a: &Access, today: NaiveDate) -> String {
    let u = a.actor().user_id;
    // Each branch is an index lookup; the union is built once per query, not per row.
    let m = format!("SELECT organisation_id FROM organisation_members WHERE user_id = {u}");
    let mine = format!(
        "c.id IN (SELECT x.id FROM cases x WHERE x.holder_org_id IN ({m}) UNION SELECT x.id FROM cases x WHERE x.supervisor_org_id IN ({m}) \
         UNION SELECT ch.case_id FROM case_helpers ch WHERE ch.organisation_id IN ({m}) UNION SELECT cs.case_id FROM case_steps cs WHERE cs.holder_org_id IN ({m}))"
    );
    let opened = format!("c.opened_by_id = {u}");
    match (a.role(), a.scope()) {
        (_, Scope::All) => "1=1".into(),
        (Role::Regulator | Role::Street, Scope::Region(r)) => format!("({} OR {mine})", prefix_range("c.region_code", r.prefix())),
        (Role::Department | Role::Mediator, _) => format!("({mine})"),
        // A dispute is private to its parties and the mediators (人民调解法 Art 15): an
        // enterprise or committee sees its estates' matters and referrals, but only the
        // disputes it is a party to.
        (Role::EnterpriseManager | Role::EnterpriseStaff, Scope::Enterprise(id)) => format!(
            "({opened} OR EXISTS (SELECT 1 FROM case_parties cp WHERE cp.case_id = c.id AND cp.enterprise_id = {id}) OR (c.kind <> 'dispute' AND EXISTS (SELECT 1 FROM estates e2 WHERE e2.id = c.estate_id AND {})))",
            a.estates_sql("e2", today)
        ),
        (Role::Committee, Scope::Estate(id)) => format!(
            "({opened} OR (c.estate_id = {id} AND (c.kind <> 'dispute' OR EXISTS (SELECT 1 FROM case_parties cp WHERE cp.case_id = c.id AND cp.party_kind = 'committee'))))"
        ),
        (Role::Owner, Scope::Owner(id)) => format!("({opened} OR EXISTS (SELECT 1 FROM case_parties cp WHERE cp.case_id = c.id AND cp.owner_id = {id}))"),
        _ => format!("({opened})"),
    }
}

/// A party to a case (disputes).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Party {
    #[serde(default)]
    pub seq: i64,
    /// `applicant` or `respondent`.
    pub side: String,
    /// `owner`, `committee`, `enterprise`, `street` or `other`.
    pub party_kind: String,
    pub name: String,
    /// For an owner: the owner's record (must own a house in the estate).
    pub owner_id: Option<i64>,
    /// For an enterprise: its record (must serve or have served the estate).
    pub enterprise_id: Option<i64>,
    #[serde(default)]
    pub consent: Option<bool>,
    #[serde(default)]
    pub satisfaction: Option<i64>,
}

/// An uploaded attachment: file name and bytes. The type is recognised from the bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The largest attachment: 10 MB.
pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// The largest photo (safety inspections and rectification reports): 5 MB.
pub const PHOTO_MAX_BYTES: usize = 5 * 1024 * 1024;

impl Upload {
    /// The content type by the first bytes: PNG, JPEG, GIF, WebP, PDF, or an Office Open
    /// XML document (docx/xlsx, a zip whose name ends so); else `None`.
    pub fn content_type(&self) -> Option<&'static str> {
        let b = &self.bytes;
        let lower = self.file_name.to_lowercase();
        if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some("image/png")
        } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some("image/jpeg")
        } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
            Some("image/gif")
        } else if b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
            Some("image/webp")
        } else if b.starts_with(b"%PDF-") {
            Some("application/pdf")
        } else if b.starts_with(b"PK\x03\x04") && lower.ends_with(".docx") {
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        } else if b.starts_with(b"PK\x03\x04") && lower.ends_with(".xlsx") {
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        } else {
            None
        }
    }

    /// Checks the file: not empty, at most 10 MB, a document or image.
    pub fn validate(&self) -> Result<&'static str> {
        if self.bytes.is_empty() {
            return Err(StoreError::Invalid(format!("附件「{}」：文件为空", self.file_name)));
        }
        if self.bytes.len() > ATTACHMENT_MAX_BYTES {
            return Err(StoreError::Invalid(format!("附件「{}」：{} 字节，超过上限 10 MB", self.file_name, self.bytes.len())));
        }
        let ct = self.content_type().ok_or_else(|| StoreError::Invalid(format!("附件「{}」：不是文档或图片（接受 PDF、DOCX、XLSX、PNG、JPEG、GIF、WebP）", self.file_name)))?;
        let ext = self.file_name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
        let fits = match ct {
            "image/png" => ext == "png",
            "image/jpeg" => matches!(ext.as_str(), "jpg" | "jpeg"),
            "image/gif" => ext == "gif",
            "image/webp" => ext == "webp",
            "application/pdf" => ext == "pdf",
            _ => true, // docx and xlsx are recognised by their names
        };
        if !fits {
            return Err(StoreError::Invalid(format!("附件「{}」：文件名后缀与内容（{}）不符", self.file_name, ct.rsplit('/').next().unwrap_or(ct).to_uppercase())));
        }
        check_text("附件名", &self.file_name, TITLE_MAX)?;
        Ok(ct)
    }

    /// Checks a photo (rules.md §6: photos prove a hazard and its rectification): not
    /// empty, an image (PNG, JPEG, GIF or WebP by its bytes, with a matching name), at most
    /// [`PHOTO_MAX_BYTES`] (5 MB). Returns the content type.
    pub fn validate_photo(&self) -> Result<&'static str> {
        if self.bytes.len() > PHOTO_MAX_BYTES {
            return Err(StoreError::Invalid(format!("照片「{}」：{} 字节，超过上限 5 MB", self.file_name, self.bytes.len())));
        }
        let ct = self.validate().map_err(|e| match e {
            StoreError::Invalid(m) => StoreError::Invalid(m.replacen("附件", "照片", 1)),
            other => other,
        })?;
        if !ct.starts_with("image/") {
            return Err(StoreError::Invalid(format!("照片「{}」：不是图片（接受 PNG、JPEG、GIF、WebP）", self.file_name)));
        }
        Ok(ct)
    }

    pub(crate) fn sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(&self.bytes).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A case to open.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewCase {
    /// `matter`, `referral` or `dispute`.
    pub kind: String,
    pub title: String,
    /// Referral: violation category; dispute: parties' relation (see the domain lists).
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub description: String,
    /// Required for referrals and disputes.
    #[serde(default)]
    pub estate_id: Option<i64>,
    #[serde(default)]
    pub house_id: Option<i64>,
    /// Matter: the meeting that decided it.
    #[serde(default)]
    pub meeting_id: Option<i64>,
    /// Matter: the convening organisation (the caller's); referral/dispute: found from
    /// the estate's region when not given.
    #[serde(default)]
    pub supervisor_org_id: Option<i64>,
    /// Matter: the lead department.
    #[serde(default)]
    pub holder_org_id: Option<i64>,
    /// Matter: helping departments.
    #[serde(default)]
    pub helper_org_ids: Vec<i64>,
    /// Matter: the handling deadline (after today).
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// Dispute: the parties (at least one applicant and one respondent).
    #[serde(default)]
    pub parties: Vec<Party>,
}

/// A step to take.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    /// The flow's step code (`accept`, `return`, `report`, `confirm`…).
    pub action: String,
    #[serde(default)]
    pub note: String,
    /// A new deadline where the step sets one (after today).
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// The organisation the case goes to (redispatch, reopen, refer).
    #[serde(default)]
    pub holder_org_id: Option<i64>,
    /// Dispute acceptance: each party's consent, by seq.
    #[serde(default)]
    pub consents: Vec<(i64, bool)>,
    /// Dispute agreement.
    #[serde(default)]
    pub agreement: Option<AgreementInput>,
}

/// A mediation agreement (人民调解法 Arts 28–29).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AgreementInput {
    /// An oral agreement, recorded by the mediator (Art 28, Art 30).
    #[serde(default)]
    pub oral: bool,
    pub facts: String,
    pub terms: String,
    #[serde(default)]
    pub performance: String,
    pub performance_deadline: NaiveDate,
    #[serde(default)]
    pub signed_by_parties: bool,
    #[serde(default)]
    pub signed_by_mediator: bool,
    /// The day it takes effect: all parties and the mediator signed (written) or the day
    /// reached (oral). Not after today.
    pub effective_on: NaiveDate,
}

/// A recorded mediation agreement.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Agreement {
    pub case_id: i64,
    pub oral: bool,
    pub facts: String,
    pub terms: String,
    pub performance: String,
    pub performance_deadline: NaiveDate,
    pub signed_by_parties: bool,
    pub signed_by_mediator: bool,
    pub effective_on: NaiveDate,
    /// The last day to apply jointly for judicial confirmation: effective_on + 30 days.
    pub judicial_due: NaiveDate,
    pub judicial_applied_on: Option<NaiveDate>,
    pub performed_on: Option<NaiveDate>,
}

/// One step of a case's time line.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TimelineStep {
    pub id: i64,
    pub seq: i64,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub on_date: NaiveDate,
    pub at: String,
    pub actor: String,
    pub org: Option<String>,
    pub holder: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub note: String,
}

/// An attachment's listing (without bytes).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub case_id: i64,
    pub step_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// One case, if the caller reaches it.
pub async fn get(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Case> {
    a.require(Action::View, Resource::Case)?;
    let sql = format!("SELECT {CASE_COLS} FROM {CASE_FROM} WHERE c.id = $1 AND {}", cases_sql(a, today));
    on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// Which parts the caller plays in a case: holder, supervisor (an administrator both).
pub async fn roles_in(db: &Db, a: &Access, c: &Case) -> Result<Vec<By>> {
    if a.role() == Role::Admin {
        return Ok(vec![By::Holder, By::Supervisor]);
    }
    Ok(roles_of(a, c, &my_organisations(db, a).await?))
}

/// [`roles_in`] from the caller's organisations, already read.
fn roles_of(a: &Access, c: &Case, mine: &[Organisation]) -> Vec<By> {
    if a.role() == Role::Admin {
        return vec![By::Holder, By::Supervisor];
    }
    let mut by = Vec::new();
    if mine.iter().any(|o| o.id == c.holder_org_id) {
        by.push(By::Holder);
    }
    if mine.iter().any(|o| o.id == c.supervisor_org_id) {
        by.push(By::Supervisor);
    }
    by
}

/// The case's time line, oldest first.
pub async fn timeline(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vec<TimelineStep>> {
    get(db, a, id, today).await?;
    let sql = "SELECT s.id, s.seq, s.action, s.from_state, s.to_state, s.on_date, s.at, s.actor, o.name AS org, h.name AS holder, s.deadline, s.note \
               FROM case_steps s LEFT JOIN organisations o ON o.id = s.org_id LEFT JOIN organisations h ON h.id = s.holder_org_id WHERE s.case_id = $1 ORDER BY s.seq";
    Ok(on!(db, p => sqlx::query_as(sql).bind(id).fetch_all(p).await)?)
}

/// The case's parties.
pub async fn parties(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vec<Party>> {
    get(db, a, id, today).await?;
    let sql = "SELECT seq, side, party_kind, name, owner_id, enterprise_id, consent, satisfaction FROM case_parties WHERE case_id = $1 ORDER BY seq";
    Ok(on!(db, p => sqlx::query_as(sql).bind(id).fetch_all(p).await)?)
}

/// The case's helping departments.
pub async fn helpers(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vec<Organisation>> {
    get(db, a, id, today).await?;
    let sql = format!("SELECT {ORG_COLS} FROM case_helpers ch JOIN organisations o ON o.id = ch.organisation_id WHERE ch.case_id = $1 ORDER BY o.name");
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_all(p).await)?)
}

/// The mediation agreement, if one was reached.
pub async fn agreement(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Option<Agreement>> {
    get(db, a, id, today).await?;
    let sql = "SELECT case_id, oral, facts, terms, performance, performance_deadline, signed_by_parties, signed_by_mediator, effective_on, judicial_due, judicial_applied_on, performed_on FROM mediation_agreements WHERE case_id = $1";
    Ok(on!(db, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await)?)
}

/// The case's attachments (without bytes).
pub async fn attachments(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vec<Attachment>> {
    get(db, a, id, today).await?;
    let sql = "SELECT id, case_id, step_id, file_name, content_type, size, sha256, uploaded_by, uploaded_at FROM case_attachments WHERE case_id = $1 ORDER BY id";
    Ok(on!(db, p => sqlx::query_as(sql).bind(id).fetch_all(p).await)?)
}

/// One attachment with its bytes, if the caller reaches its case.
pub async fn attachment(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<(Attachment, Vec<u8>)> {
    let sql = "SELECT id, case_id, step_id, file_name, content_type, size, sha256, uploaded_by, uploaded_at FROM case_attachments WHERE id = $1";
    let at: Attachment = on!(db, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)?;
    get(db, a, at.case_id, today).await?;
    let bytes: Vec<u8> = on!(db, p => sqlx::query_scalar("SELECT data FROM case_attachments WHERE id = $1").bind(id).fetch_one(p).await)?;
    Ok((at, bytes))
}

async fn check_estate(db: &Db, a: &Access, estate_id: Option<i64>, today: NaiveDate, needed: bool) -> Result<Option<(i64, String)>> {
    match estate_id {
        None if needed => Err(StoreError::Invalid("小区：必须选择问题所在的小区".into())),
        None => Ok(None),
        Some(id) => {
            // Department and mediator callers open cases only as holders of matters;
            // everyone else must reach the estate.
            let sql = format!("SELECT e.id, e.region_code FROM estates e WHERE e.id = $1 AND {}", a.estates_sql("e", today));
            let row: Option<(i64, String)> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?;
            row.map(Some).ok_or_else(|| StoreError::Invalid(format!("小区：#{id} 不存在或不在您的范围内")))
        }
    }
}

/// Opens a case: a matter dispatched by its convener, a violation reported, or a dispute
/// brought to mediation. Returns the case id. Errors (nothing written): an unknown kind;
/// a dispatch to an organisation that is not a department; a deadline not after today;
/// no estate for a referral or dispute; a party not linked to the estate; a missing
/// applicant or respondent; no organisation covering the estate; an attachment that is
/// not a document or image.
pub async fn open(db: &Db, a: &Access, n: &NewCase, uploads: &[Upload], today: NaiveDate) -> Result<i64> {
    a.require(Action::Create, Resource::Case)?;
    let kind = CaseKind::parse(&n.kind).ok_or_else(|| StoreError::Invalid(format!("类型：应为 matter、referral 或 dispute，实为 {:?}", n.kind)))?;
    if n.title.trim().is_empty() {
        return Err(StoreError::Invalid("标题：不能为空".into()));
    }
    check_text("标题", &n.title, TITLE_MAX)?;
    check_text("情况说明", &n.description, TEXT_MAX)?;
    for u in uploads {
        u.validate()?;
    }
    let estate = check_estate(db, a, n.estate_id, today, kind != CaseKind::Matter).await?;
    if let (Some(h), Some((eid, _))) = (n.house_id, &estate) {
        let ok: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM houses WHERE id = $1 AND estate_id = $2").bind(h).bind(eid).fetch_optional(p).await)?;
        ok.ok_or_else(|| StoreError::Invalid(format!("房屋：#{h} 不在所选小区")))?;
        // An owner names only their own house.
        if let Scope::Owner(oid) = a.scope() {
            let own: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT house_id FROM ownerships WHERE house_id = $1 AND owner_id = $2").bind(h).bind(oid).fetch_optional(p).await)?;
            own.ok_or_else(|| StoreError::Invalid(format!("房屋：#{h} 不是您的房屋")))?;
        }
    }
    let mine = my_organisations(db, a).await?;
    let (supervisor, holder, region) = match kind {
        CaseKind::Matter => {
            let sid = n.supervisor_org_id.or_else(|| mine.iter().find(|o| matches!(o.kind.as_str(), "housing" | "street")).map(|o| o.id));
            let sid = sid.ok_or_else(|| StoreError::Forbidden("派单须由联席会议召集部门（住建部门或街道办事处）的成员办理".into()))?;
            let sup = organisation(db, sid).await.map_err(|_| StoreError::Invalid(format!("召集部门：#{sid} 不存在")))?;
            if a.role() != Role::Admin && !mine.iter().any(|o| o.id == sup.id) {
                return Err(StoreError::Forbidden(format!("您不是「{}」的成员，不能以其名义派单", sup.name)));
            }
            let region = estate.as_ref().map(|(_, r)| r.clone()).unwrap_or_else(|| sup.region_code.clone());
            if let Some(mid) = n.meeting_id {
                let m = meeting(db, a, mid).await.map_err(|_| StoreError::Invalid(format!("联席会议：#{mid} 不存在或不在您的范围内")))?;
                if m.convener_org_id != sup.id {
                    return Err(StoreError::Invalid(format!("联席会议：「{}」不是「{}」召集的会议", m.title, sup.name)));
                }
            }
            let hid = n.holder_org_id.ok_or_else(|| StoreError::Invalid("承办部门：必须选择".into()))?;
            let holder = department_in(db, hid, "承办部门", &region, &sup).await?;
            for h in &n.helper_org_ids {
                if *h == hid {
                    return Err(StoreError::Invalid(format!("协办部门：「{}」已是承办部门", holder.name)));
                }
                department_in(db, *h, "协办部门", &region, &sup).await?;
            }
            (sup, holder, region)
        }
        CaseKind::Referral | CaseKind::Dispute => {
            let (_, region) = estate.clone().expect("checked above");
            let sup = match n.supervisor_org_id {
                Some(s) => organisation(db, s).await?,
                None => nearest_org(db, &region, &["street", "housing"]).await?.ok_or_else(|| StoreError::Invalid("小区所在区域尚未设立街道办事处或住建部门，无法受理".into()))?,
            };
            let holder = if kind == CaseKind::Referral {
                sup.clone()
            } else {
                nearest_org(db, &region, &[MEDIATION_COMMITTEE]).await?.ok_or_else(|| StoreError::Invalid("小区所在区域尚未设立人民调解委员会".into()))?
            };
            (sup, holder, region)
        }
    };
    // Parties (disputes): at least an applicant and a respondent, each linked to the estate.
    let mut parties = n.parties.clone();
    if kind == CaseKind::Dispute {
        if a.role() == Role::Owner
            && let Scope::Owner(oid) = a.scope()
            && !parties.iter().any(|p| p.owner_id == Some(*oid) && p.side == "applicant")
        {
            return Err(StoreError::Invalid("当事人：业主本人须为申请人".into()));
        }
        if !parties.iter().any(|p| p.side == "applicant") || !parties.iter().any(|p| p.side == "respondent") {
            return Err(StoreError::Invalid("当事人：须有申请人和被申请人".into()));
        }
        if !wuye_domain::cases::DISPUTE_CATEGORIES.iter().any(|(c, _)| *c == n.category) {
            return Err(StoreError::Invalid(format!("纠纷类别：「{}」不在类别表中", n.category)));
        }
        let (eid, _) = estate.clone().expect("checked above");
        for (i, p) in parties.iter_mut().enumerate() {
            p.seq = i as i64 + 1;
            check_party(db, eid, p).await?;
        }
        // No one is on both sides.
        for x in parties.iter().filter(|p| p.side == "applicant") {
            for y in parties.iter().filter(|p| p.side == "respondent") {
                let same = (x.owner_id.is_some() && x.owner_id == y.owner_id) || (x.enterprise_id.is_some() && x.enterprise_id == y.enterprise_id) || x.name.trim() == y.name.trim();
                if same {
                    return Err(StoreError::Invalid(format!("当事人 {}「{}」：申请人与被申请人不能是同一方", y.seq, y.name)));
                }
            }
        }
    } else if kind == CaseKind::Referral && !wuye_domain::cases::REFERRAL_CATEGORIES.iter().any(|(c, _)| *c == n.category) {
        return Err(StoreError::Invalid(format!("违法行为类别：「{}」不在类别表中", n.category)));
    }
    let cal = calendar_for(db, &region).await?;
    let flow = kind.flow();
    let opening = flow.opening();
    let note = if n.description.trim().is_empty() && opening.note.is_some() { "" } else { n.description.trim() };
    let out = flow.step(None, opening.action, &[By::Opener], note, None, n.deadline, today, &cal).map_err(invalid)?;
    let holder_after = match out.holder {
        HolderRule::Supervisor => supervisor.id,
        _ => holder.id,
    };
    let at = now_text();
    let actor = a.actor().clone();
    let acting_org = mine.iter().find(|o| o.id == supervisor.id).map(|o| o.id);
    let id = on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (kind, state, closed, title, category, description, region_code, estate_id, house_id, meeting_id, supervisor_org_id, holder_org_id, deadline, opened_on, opened_by_id, opened_by, step_count, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,1,$17) RETURNING id")
            .bind(kind.code()).bind(out.to).bind(out.closed).bind(n.title.trim()).bind(n.category.trim()).bind(n.description.trim()).bind(&region)
            .bind(estate.as_ref().map(|e| e.0)).bind(n.house_id).bind(n.meeting_id).bind(supervisor.id).bind(holder_after).bind(out.deadline).bind(today)
            .bind(actor.user_id).bind(&actor.name).bind(&at)
            .fetch_one(&mut *tx).await?;
        let step_id: i64 = sqlx::query_scalar("INSERT INTO case_steps (case_id, seq, action, from_state, to_state, on_date, at, actor_id, actor, org_id, holder_org_id, deadline, note) VALUES ($1,1,$2,'',$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id")
            .bind(id).bind(opening.action).bind(out.to).bind(today).bind(&at).bind(actor.user_id).bind(&actor.name).bind(acting_org).bind(holder_after).bind(out.deadline).bind(n.description.trim())
            .fetch_one(&mut *tx).await?;
        for h in &n.helper_org_ids {
            sqlx::query("INSERT INTO case_helpers (case_id, organisation_id) VALUES ($1,$2) ON CONFLICT DO NOTHING").bind(id).bind(h).execute(&mut *tx).await?;
        }
        for pt in &parties {
            sqlx::query("INSERT INTO case_parties (case_id, seq, side, party_kind, name, owner_id, enterprise_id) VALUES ($1,$2,$3,$4,$5,$6,$7)")
                .bind(id).bind(pt.seq).bind(&pt.side).bind(&pt.party_kind).bind(pt.name.trim()).bind(pt.owner_id).bind(pt.enterprise_id).execute(&mut *tx).await?;
        }
        for u in uploads {
            insert_upload!(tx, id, step_id, u, &actor.name, &at);
        }
        let text = format!("{}「{}」待{}", kind.label_zh(), n.title.trim(), flow.state_label(out.to));
        sqlx::query("INSERT INTO case_notices (case_id, step_id, organisation_id, text, created_at) VALUES ($1,$2,$3,$4,$5)").bind(id).bind(step_id).bind(holder_after).bind(&text).bind(&at).execute(&mut *tx).await?;
        audit!(tx, &actor, opening.action, "case", id, None, Some(serde_json::json!({"kind": kind.code(), "title": n.title.trim(), "holder_org_id": holder_after, "deadline": out.deadline})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })?;
    Ok(id)
}

macro_rules! insert_upload {
    ($tx:expr, $case:expr, $step:expr, $u:expr, $by:expr, $at:expr) => {{
        let u: &Upload = $u;
        let ct = u.validate()?;
        sqlx::query("INSERT INTO case_attachments (case_id, step_id, file_name, content_type, size, sha256, data, uploaded_by, uploaded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)")
            .bind($case).bind($step).bind(u.file_name.trim()).bind(ct).bind(u.bytes.len() as i64).bind(u.sha256()).bind(&u.bytes).bind($by).bind($at)
            .execute(&mut *$tx).await?;
    }};
}
use insert_upload;

/// A department within the case's jurisdiction ([`in_jurisdiction`]).
async fn department_in(db: &Db, id: i64, field: &str, case_region: &str, sup: &Organisation) -> Result<Organisation> {
    let o = department(db, id, field).await?;
    if !in_jurisdiction(&o, case_region, &sup.region_code) {
        return Err(StoreError::Invalid(format!("{field}：「{}」不在本案辖区内（督办：{}）", o.name, sup.name)));
    }
    Ok(o)
}

async fn department(db: &Db, id: i64, field: &str) -> Result<Organisation> {
    let o = organisation(db, id).await.map_err(|_| StoreError::Invalid(format!("{field}：#{id} 不存在")))?;
    if !o.is_department() {
        return Err(StoreError::Invalid(format!("{field}：「{}」不是职能部门，不能派单", o.name)));
    }
    Ok(o)
}

async fn check_party(db: &Db, estate_id: i64, p: &mut Party) -> Result<()> {
    check_text(&format!("当事人 {}", p.seq), &p.name, TITLE_MAX)?;
    if !matches!(p.side.as_str(), "applicant" | "respondent") {
        return Err(StoreError::Invalid(format!("当事人 {}：一方应为 applicant（申请人）或 respondent（被申请人）", p.seq)));
    }
    match p.party_kind.as_str() {
        "owner" => {
            let oid = p.owner_id.ok_or_else(|| StoreError::Invalid(format!("当事人 {}「{}」：业主须选择业主档案", p.seq, p.name)))?;
            let ok: Option<i64> = on!(db, pl => sqlx::query_scalar("SELECT h.id FROM houses h JOIN ownerships w ON w.house_id = h.id WHERE h.estate_id = $1 AND w.owner_id = $2 LIMIT 1").bind(estate_id).bind(oid).fetch_optional(pl).await)?;
            ok.ok_or_else(|| StoreError::Invalid(format!("当事人 {}「{}」：不是本小区的业主", p.seq, p.name)))?;
            let name: String = on!(db, pl => sqlx::query_scalar("SELECT name FROM owners WHERE id = $1").bind(oid).fetch_one(pl).await)?;
            p.name = name;
        }
        "enterprise" => {
            let nid = p.enterprise_id.ok_or_else(|| StoreError::Invalid(format!("当事人 {}「{}」：物业服务企业须选择企业档案", p.seq, p.name)))?;
            let ok: Option<i64> = on!(db, pl => sqlx::query_scalar("SELECT id FROM service_contracts WHERE estate_id = $1 AND enterprise_id = $2 LIMIT 1").bind(estate_id).bind(nid).fetch_optional(pl).await)?;
            ok.ok_or_else(|| StoreError::Invalid(format!("当事人 {}「{}」：未与本小区签订物业服务合同", p.seq, p.name)))?;
            let name: String = on!(db, pl => sqlx::query_scalar("SELECT name FROM enterprises WHERE id = $1").bind(nid).fetch_one(pl).await)?;
            p.name = name;
        }
        k if wuye_domain::cases::PARTY_KINDS.iter().any(|(c, _)| *c == k) => {}
        k => {
            let known = wuye_domain::cases::PARTY_KINDS.iter().map(|(c, l)| format!("{c}（{l}）")).collect::<Vec<_>>().join("、");
            return Err(StoreError::Invalid(format!("当事人 {}：类型「{k}」应为 {known}", p.seq)));
        }
    }
    if p.name.trim().is_empty() {
        return Err(StoreError::Invalid(format!("当事人 {}：姓名或名称不能为空", p.seq)));
    }
    Ok(())
}

/// Takes a step on a case. Errors (nothing written): out of order, not the caller's to
/// take, a missing note or deadline, a deadline not after today, a dispatch or referral
/// to an organisation that is not a department, acceptance of a dispute without both
/// parties' consent, an agreement that is incomplete or not yet in effect, an attachment
/// that is not a document or image. Returns the new state.
pub async fn step(db: &Db, a: &Access, id: i64, s: &StepInput, uploads: &[Upload], today: NaiveDate) -> Result<&'static str> {
    let c = get(db, a, id, today).await?;
    a.require(Action::View, Resource::Case)?;
    check_text("备注", &s.note, TEXT_MAX)?;
    for u in uploads {
        u.validate()?;
    }
    let mine = my_organisations(db, a).await?;
    let by = roles_of(a, &c, &mine);
    let kind = c.kind();
    let flow = kind.flow();
    let cal = calendar_for(db, &c.region_code).await?;
    let out = flow.step(Some(&c.state), &s.action, &by, &s.note, c.deadline, s.deadline, today, &cal).map_err(invalid)?;
    let def = flow.step_def(&s.action).expect("checked by the engine");
    let new_holder = match out.holder {
        HolderRule::Keep => c.holder_org_id,
        HolderRule::Supervisor => c.supervisor_org_id,
        HolderRule::Given => {
            let hid = s.holder_org_id.ok_or_else(|| StoreError::Invalid(format!("承办部门：「{}」须选择承办的职能部门", def.label_zh)))?;
            if kind == CaseKind::Dispute {
                hid
            } else {
                let sup = organisation(db, c.supervisor_org_id).await?;
                department_in(db, hid, "承办部门", &c.region_code, &sup).await?.id
            }
        }
    };
    // Kind-specific conditions.
    let mut consents: Vec<(i64, bool)> = Vec::new();
    if kind == CaseKind::Dispute && s.action == "accept" {
        let ps = parties(db, a, id, today).await?;
        if let Some((q, _)) = s.consents.iter().find(|(q, _)| !ps.iter().any(|p| p.seq == *q)) {
            return Err(StoreError::Invalid(format!("当事人：#{q} 不是本案当事人")));
        }
        for p in &ps {
            let given = s.consents.iter().find(|(q, _)| *q == p.seq).map(|(_, v)| *v);
            if given != Some(true) {
                return Err(StoreError::Invalid(format!(
                    "当事人 {}「{}」未同意调解：双方当事人均同意后方可受理；一方明确拒绝的，不得调解（人民调解法第十七条）",
                    p.seq, p.name
                )));
            }
            consents.push((p.seq, true));
        }
    }
    let agreement = if kind == CaseKind::Dispute && s.action == "agree" {
        let g = s.agreement.clone().ok_or_else(|| StoreError::Invalid("调解协议：须填写协议内容".into()))?;
        if g.facts.trim().is_empty() {
            return Err(StoreError::Invalid("调解协议·纠纷事实：不能为空（人民调解法第二十九条）".into()));
        }
        if g.terms.trim().is_empty() {
            return Err(StoreError::Invalid("调解协议·协议内容：不能为空（人民调解法第二十九条）".into()));
        }
        if g.effective_on > today {
            return Err(StoreError::Invalid(format!("调解协议·生效日期：不能晚于今天（{today}）")));
        }
        let last: Option<NaiveDate> = on!(db, p => sqlx::query_scalar("SELECT MAX(on_date) FROM case_steps WHERE case_id = $1").bind(id).fetch_one(p).await)?;
        if let Some(last) = last
            && g.effective_on < last
        {
            return Err(StoreError::Invalid(format!("调解协议·生效日期：不能早于最近一次调解（{last}）")));
        }
        for (f, v) in [("纠纷事实", &g.facts), ("协议内容", &g.terms), ("履行方式", &g.performance)] {
            check_text(&format!("调解协议·{f}"), v, TEXT_MAX)?;
        }
        if g.performance_deadline < g.effective_on {
            return Err(StoreError::Invalid("调解协议·履行期限：不能早于生效日期".into()));
        }
        let signed = g.signed_by_parties && g.signed_by_mediator;
        if !g.oral && !signed {
            return Err(StoreError::Invalid("调解协议：书面协议自各方当事人签名、盖章或按指印，调解员签名并加盖调解委员会印章之日起生效（人民调解法第二十九条）；请确认签署后再登记".into()));
        }
        Some(g)
    } else {
        None
    };
    let at = now_text();
    let actor = a.actor().clone();
    let acting_org = mine.iter().find(|o| o.id == c.holder_org_id || o.id == c.supervisor_org_id).map(|o| o.id);
    let reset_escalation = out.deadline != c.deadline;
    let outcome_text = if out.closed { s.note.trim().to_string() } else { c.outcome.clone() };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let n = sqlx::query(
            "UPDATE cases SET state = $1, closed = $2, deadline = $3, holder_org_id = $4, closed_on = $5, outcome = $6, step_count = step_count + 1, updated_at = $7, \
             escalated_on = CASE WHEN $8 THEN NULL ELSE escalated_on END, escalated_to = CASE WHEN $8 THEN NULL ELSE escalated_to END WHERE id = $9 AND state = $10")
            .bind(out.to).bind(out.closed).bind(out.deadline).bind(new_holder).bind(out.closed.then_some(today)).bind(&outcome_text).bind(&at).bind(reset_escalation).bind(id).bind(&c.state)
            .execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("此案件刚被他人办理，请刷新后重试".into()));
        }
        let seq: i64 = sqlx::query_scalar("SELECT step_count FROM cases WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
        let step_id: i64 = sqlx::query_scalar("INSERT INTO case_steps (case_id, seq, action, from_state, to_state, on_date, at, actor_id, actor, org_id, holder_org_id, deadline, note) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id")
            .bind(id).bind(seq).bind(def.action).bind(&c.state).bind(out.to).bind(today).bind(&at).bind(actor.user_id).bind(&actor.name).bind(acting_org).bind(new_holder).bind(out.deadline).bind(s.note.trim())
            .fetch_one(&mut *tx).await?;
        for (q, v) in &consents {
            sqlx::query("UPDATE case_parties SET consent = $1 WHERE case_id = $2 AND seq = $3").bind(v).bind(id).bind(q).execute(&mut *tx).await?;
        }
        if let Some(g) = &agreement {
            sqlx::query("INSERT INTO mediation_agreements (case_id, oral, facts, terms, performance, performance_deadline, signed_by_parties, signed_by_mediator, effective_on, judicial_due) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)")
                .bind(id).bind(g.oral).bind(g.facts.trim()).bind(g.terms.trim()).bind(g.performance.trim()).bind(g.performance_deadline).bind(g.signed_by_parties).bind(g.signed_by_mediator).bind(g.effective_on).bind(judicial_confirmation_due(g.effective_on))
                .execute(&mut *tx).await?;
            sqlx::query("UPDATE cases SET outcome = $1 WHERE id = $2").bind(g.terms.trim()).bind(id).execute(&mut *tx).await?;
        }
        for u in uploads {
            insert_upload!(tx, id, step_id, u, &actor.name, &at);
        }
        if !out.closed {
            let text = format!("{}「{}」{}：{}", kind.label_zh(), c.title, def.label_zh, flow.state_label(out.to));
            sqlx::query("INSERT INTO case_notices (case_id, step_id, organisation_id, text, created_at) VALUES ($1,$2,$3,$4,$5)").bind(id).bind(step_id).bind(new_holder).bind(&text).bind(&at).execute(&mut *tx).await?;
        }
        // The opener follows the time line.
        sqlx::query("INSERT INTO case_notices (case_id, step_id, user_id, text, created_at) SELECT id, $1, opened_by_id, $2, $3 FROM cases WHERE id = $4 AND opened_by_id <> 0 AND opened_by_id <> $5")
            .bind(step_id).bind(format!("您提出的「{}」：{}", c.title, def.label_zh)).bind(&at).bind(id).bind(actor.user_id).execute(&mut *tx).await?;
        audit!(tx, &actor, def.action, "case", id, Some(serde_json::json!({"state": c.state, "holder_org_id": c.holder_org_id, "deadline": c.deadline})),
            Some(serde_json::json!({"state": out.to, "holder_org_id": new_holder, "deadline": out.deadline, "note": s.note.trim()})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(out.to)
}

/// Records a party's satisfaction (1–5) with a closed case: the party themselves (an
/// owner party) or the holder recording it for them.
pub async fn rate(db: &Db, a: &Access, id: i64, seq: i64, satisfaction: i64, today: NaiveDate) -> Result<()> {
    let c = get(db, a, id, today).await?;
    if !c.closed {
        return Err(StoreError::Invalid("满意度：案件办结后方可评价".into()));
    }
    if !(1..=5).contains(&satisfaction) {
        return Err(StoreError::Invalid(format!("满意度：应为 1–5，实为 {satisfaction}")));
    }
    let ps = parties(db, a, id, today).await?;
    let p = ps.iter().find(|p| p.seq == seq).ok_or_else(|| StoreError::Invalid(format!("当事人：#{seq} 不存在")))?;
    let own = matches!(a.scope(), Scope::Owner(o) if p.owner_id == Some(*o));
    if !own && !roles_in(db, a, &c).await?.contains(&By::Holder) {
        return Err(StoreError::Forbidden("满意度须由当事人本人或承办的调解员登记".into()));
    }
    on!(db, pl => {
        let mut tx = begin_write!(db, pl)?;
        sqlx::query("UPDATE case_parties SET satisfaction = $1 WHERE case_id = $2 AND seq = $3").bind(satisfaction).bind(id).bind(seq).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "rate", "case", id, None, Some(serde_json::json!({"seq": seq, "satisfaction": satisfaction})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Records that the parties applied for judicial confirmation, or that the agreement
/// was performed (the mediation committee supervises performance, Art 31).
pub async fn record_agreement_event(db: &Db, a: &Access, id: i64, event: &str, on_date: NaiveDate, today: NaiveDate) -> Result<()> {
    let c = get(db, a, id, today).await?;
    if !roles_in(db, a, &c).await?.contains(&By::Holder) {
        return Err(StoreError::Forbidden("须由承办的调解员登记".into()));
    }
    let g = agreement(db, a, id, today).await?.ok_or_else(|| StoreError::Invalid("本案没有调解协议".into()))?;
    if on_date < g.effective_on || on_date > today {
        return Err(StoreError::Invalid(format!("日期：应在协议生效日 {} 与今天之间", g.effective_on)));
    }
    if event == "judicial_applied" && on_date > g.judicial_due {
        return Err(StoreError::Invalid(format!(
            "日期：申请司法确认的期限（协议生效后30日内，{}）已过；当事人可就协议的履行或内容向人民法院提起诉讼（人民调解法第三十二条）",
            g.judicial_due
        )));
    }
    let col = match event {
        "judicial_applied" => "judicial_applied_on",
        "performed" => "performed_on",
        _ => return Err(StoreError::Invalid(format!("事项：应为 judicial_applied 或 performed，实为 {event:?}"))),
    };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query(dynamic(format!("UPDATE mediation_agreements SET {col} = $1 WHERE case_id = $2"))).bind(on_date).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), event, "case", id, None, Some(serde_json::json!({"date": on_date})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Filters of a case list (all optional; in the URL).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct CaseFilter {
    /// `matter`, `referral` or `dispute`.
    pub kind: Option<String>,
    /// `open`, `closed`, `overdue` (open and past the deadline), or a state code.
    pub status: Option<String>,
    pub estate_id: Option<i64>,
    /// Held by this organisation.
    pub holder_org_id: Option<i64>,
    /// Region prefix (digits) to narrow to.
    pub region: Option<String>,
    pub meeting_id: Option<i64>,
    /// Title contains.
    pub q: Option<String>,
    pub page: Option<i64>,
}

fn filter_sql(f: &CaseFilter, today: NaiveDate) -> String {
    let mut w = Vec::new();
    if let Some(k) = f.kind.as_deref().and_then(CaseKind::parse) {
        w.push(format!("c.kind = '{}'", k.code()));
    }
    match f.status.as_deref() {
        Some("open") => w.push("c.closed = FALSE".into()),
        Some("closed") => w.push("c.closed = TRUE".into()),
        Some("overdue") => w.push(format!("c.closed = FALSE AND c.deadline < '{today}'")),
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => w.push(format!("c.state = '{s}'")),
        _ => {}
    }
    if let Some(e) = f.estate_id {
        w.push(format!("c.estate_id = {e}"));
    }
    if let Some(h) = f.holder_org_id {
        w.push(format!("c.holder_org_id = {h}"));
    }
    if let Some(m) = f.meeting_id {
        w.push(format!("c.meeting_id = {m}"));
    }
    if let Some(r) = f.region.as_deref().filter(|r| !r.is_empty() && r.len() <= 12 && r.bytes().all(|b| b.is_ascii_digit())) {
        w.push(prefix_range("c.region_code", r));
    }
    if w.is_empty() { "1=1".into() } else { w.join(" AND ") }
}

/// Rows per page of case lists.
pub const PER_PAGE: i64 = 50;

/// A page of the cases the caller reaches, matching the filter; overdue and nearest
/// deadlines first, then newest. `q` binds as `$1`.
pub async fn list(db: &Db, a: &Access, f: &CaseFilter, today: NaiveDate) -> Result<crate::registry::Page<Case>> {
    a.require(Action::View, Resource::Case)?;
    let page = f.page.unwrap_or(1).clamp(1, 1_000_000);
    let q = f.q.as_deref().map(|q| q.trim().replace(['%', '_'], "")).filter(|q| !q.is_empty()).map(|q| format!("%{q}%")).unwrap_or_else(|| "%".into());
    let w = format!("{} AND {} AND c.title LIKE $1", cases_sql(a, today), filter_sql(f, today));
    let sql = format!(
        "SELECT {CASE_COLS} FROM {CASE_FROM} WHERE {w} ORDER BY c.closed, CASE WHEN c.deadline IS NULL THEN 1 ELSE 0 END, c.deadline, c.id DESC LIMIT {PER_PAGE} OFFSET {}",
        (page - 1) * PER_PAGE
    );
    let items: Vec<Case> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(&q).fetch_all(p).await)?;
    let cap = crate::registry::COUNT_CAP;
    let csql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE {w} LIMIT {}) t", cap + 1);
    let total: i64 = on!(db, p => sqlx::query_scalar(dynamic(csql)).bind(&q).fetch_one(p).await)?;
    Ok(crate::registry::Page { items, total: total.min(cap), more: total > cap, page, per_page: PER_PAGE })
}

/// All cases matching the filter, for export (capped at 100,000 rows).
pub async fn export_rows(db: &Db, a: &Access, f: &CaseFilter, today: NaiveDate) -> Result<Vec<Case>> {
    a.require(Action::View, Resource::Case)?;
    let sql = format!("SELECT {CASE_COLS} FROM {CASE_FROM} WHERE {} AND {} ORDER BY c.id LIMIT 100000", cases_sql(a, today), filter_sql(f, today));
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?)
}

/// The caller's inbox: open cases held by their organisations, nearest deadline first
/// (an index walk on `(holder_org_id, closed, deadline)`).
pub async fn inbox(db: &Db, a: &Access, limit: i64) -> Result<Vec<Case>> {
    a.require(Action::View, Resource::Case)?;
    let sql = format!(
        "SELECT {CASE_COLS} FROM {CASE_FROM} WHERE c.holder_org_id IN (SELECT organisation_id FROM organisation_members WHERE user_id = $1) AND c.closed = FALSE \
         ORDER BY CASE WHEN c.deadline IS NULL THEN 1 ELSE 0 END, c.deadline, c.id LIMIT {limit}"
    );
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).bind(a.actor().user_id).fetch_all(p).await)?)
}

/// The overdue open cases of a region (digit prefix) the caller reaches, oldest deadline
/// first, and how many there are.
pub async fn overdue(db: &Db, a: &Access, region_prefix: &str, limit: i64, today: NaiveDate) -> Result<(Vec<Case>, i64)> {
    a.require(Action::View, Resource::Case)?;
    let p_ok = region_prefix.len() <= 12 && region_prefix.bytes().all(|b| b.is_ascii_digit());
    let rp = if p_ok { region_prefix } else { "" };
    // A regional caller whose region holds the whole subtree needs no further scope (it
    // is implied by the prefix range): the count then reads the index alone.
    let scope = match (a.role(), a.scope()) {
        (Role::Regulator | Role::Street, Scope::Region(r)) if rp.starts_with(r.prefix()) => "1=1".to_string(),
        _ => cases_sql(a, today),
    };
    let w = format!("c.closed = FALSE AND c.deadline < '{today}' AND {} AND {scope}", prefix_range("c.region_code", rp));
    let sql = format!("SELECT {CASE_COLS} FROM {CASE_FROM} WHERE {w} ORDER BY c.deadline, c.id LIMIT {limit}");
    let rows: Vec<Case> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    let n: i64 = on!(db, p => sqlx::query_scalar(dynamic(format!("SELECT COUNT(*) FROM cases c WHERE {w}"))).fetch_one(p).await)?;
    Ok((rows, n))
}

/// A notice to the caller or their organisations.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Notice {
    pub id: i64,
    pub case_id: i64,
    pub text: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// The caller's unread notices (theirs and their organisations'), newest first.
pub async fn notices(db: &Db, a: &Access, limit: i64) -> Result<Vec<Notice>> {
    let sql = format!(
        "SELECT id, case_id, text, created_at, read_at FROM case_notices WHERE read_at IS NULL AND (user_id = $1 OR organisation_id IN (SELECT organisation_id FROM organisation_members WHERE user_id = $1)) ORDER BY id DESC LIMIT {limit}"
    );
    Ok(on!(db, p => sqlx::query_as(dynamic(sql)).bind(a.actor().user_id).fetch_all(p).await)?)
}

/// Marks the caller's notices of a case read (on opening the case). Not audited: reading
/// changes no record.
pub async fn mark_read(db: &Db, a: &Access, case_id: i64) -> Result<()> {
    let at = now_text();
    on!(db, p => sqlx::query("UPDATE case_notices SET read_at = $1 WHERE case_id = $2 AND read_at IS NULL AND (user_id = $3 OR organisation_id IN (SELECT organisation_id FROM organisation_members WHERE user_id = $3))")
        .bind(&at).bind(case_id).bind(a.actor().user_id).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Escalates every open case whose deadline was missed and whose escalation day
/// ([`escalation_day`]: the first working day after the deadline, by the case region's
/// calendar) has come: records an `escalate` step, the day, the supervising level (the
/// parent region of the supervisor), and notices to the supervisor and to the housing
/// department above. Idempotent: a case escalates once per deadline. Returns how many.
pub async fn escalate_due(db: &Db, today: NaiveDate) -> Result<usize> {
    let days = calendar_days(db).await?;
    let sql = "SELECT c.id, c.deadline, c.region_code, c.supervisor_org_id, so.region_code, c.title, c.kind, c.state, c.holder_org_id, c.step_count FROM cases c JOIN organisations so ON so.id = c.supervisor_org_id \
               WHERE c.closed = FALSE AND c.escalated_on IS NULL AND c.deadline < $1 ORDER BY c.id";
    type Row = (i64, NaiveDate, String, i64, String, String, String, String, i64, i64);
    let rows: Vec<Row> = on!(db, p => sqlx::query_as(sql).bind(today).fetch_all(p).await)?;
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
    let regions: Vec<(String, Option<String>, String)> = on!(db, p => sqlx::query_as("SELECT code, parent_code, name FROM regions").fetch_all(p).await)?;
    let name: HashMap<String, String> = regions.iter().map(|(c, _, n)| (c.clone(), n.clone())).collect();
    let parent: HashMap<String, Option<String>> = regions.into_iter().map(|(c, p, _)| (c, p)).collect();
    let actor = crate::access::Actor::system("escalate");
    let at = now_text();
    let n = due.len();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        for ((id, deadline, region, sup, sup_region, title, kind, state, holder, seq), day) in &due {
            let to = parent.get(sup_region).cloned().flatten().unwrap_or_else(|| sup_region.clone());
            let _ = region;
            let k = CaseKind::parse(kind).unwrap_or(CaseKind::Matter);
            let up = sqlx::query("UPDATE cases SET escalated_on = $1, escalated_to = $2, step_count = step_count + 1 WHERE id = $3 AND escalated_on IS NULL AND closed = FALSE")
                .bind(day).bind(&to).bind(id).execute(&mut *tx).await?.rows_affected();
            if up == 0 {
                continue;
            }
            let note = format!("期限 {deadline} 已过，{day} 升级督办至上级（{}）", name.get(&to).cloned().unwrap_or_else(|| to.clone()));
            let step_id: i64 = sqlx::query_scalar("INSERT INTO case_steps (case_id, seq, action, from_state, to_state, on_date, at, actor_id, actor, holder_org_id, deadline, note) VALUES ($1,$2,'escalate',$3,$3,$4,$5,0,$6,$7,$8,$9) RETURNING id")
                .bind(id).bind(seq + 1).bind(state).bind(day).bind(&at).bind(&actor.name).bind(holder).bind(deadline).bind(&note).fetch_one(&mut *tx).await?;
            let text = format!("{}「{title}」逾期未办，已升级督办", k.label_zh());
            for org in [Some(*sup), Some(*holder)].into_iter().flatten() {
                sqlx::query("INSERT INTO case_notices (case_id, step_id, organisation_id, text, created_at) VALUES ($1,$2,$3,$4,$5)").bind(id).bind(step_id).bind(org).bind(&text).bind(&at).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO case_notices (case_id, step_id, organisation_id, text, created_at) SELECT $1, $2, o.id, $3, $4 FROM organisations o WHERE o.kind = 'housing' AND o.region_code = $5")
                .bind(id).bind(step_id).bind(&text).bind(&at).bind(&to).execute(&mut *tx).await?;
        }
        audit!(tx, &actor, "escalate", "cases", today, None, Some(serde_json::json!({"count": n})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(n)
}

/// Who may be named a party of a dispute in an estate, for the intake form: the estate's
/// owners (id, name; not for an owner caller, who names neighbours as "other" — owners'
/// names are not shown to other owners) and the enterprises that have or had a service
/// contract for it (id, name). The caller must reach the estate.
pub async fn estate_parties(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>)> {
    check_estate(db, a, Some(estate_id), today, true).await.map_err(|_| StoreError::NotFound)?;
    let owners: Vec<(i64, String)> = if a.role() == Role::Owner {
        Vec::new()
    } else {
        let sql = "SELECT DISTINCT o.id, o.name FROM owners o JOIN ownerships w ON w.owner_id = o.id JOIN houses h ON h.id = w.house_id WHERE h.estate_id = $1 ORDER BY o.name, o.id LIMIT 2000";
        on!(db, p => sqlx::query_as(sql).bind(estate_id).fetch_all(p).await)?
    };
    let sql = "SELECT DISTINCT n.id, n.name FROM enterprises n JOIN service_contracts c ON c.enterprise_id = n.id WHERE c.estate_id = $1 ORDER BY n.name";
    let firms: Vec<(i64, String)> = on!(db, p => sqlx::query_as(sql).bind(estate_id).fetch_all(p).await)?;
    Ok((owners, firms))
}
