//! Recurring duties, elevators, tanks, e-bikes, emergency plans, trainings and drills
//! (rules.md §6; the pure rules are in [`wuye_domain::safety`]).
//!
//! Tables (migration 0008):
//! - `safety_estates`: an estate's safety facts (key fire-safety unit, responsible person,
//!   secondary water). No row means: not a key unit, no tanks.
//! - `safety_region_settings`: the tank-cleaning interval of a region (months); the nearest
//!   region up the tree wins; none: 12 months.
//! - `safety_duties`: one row per recurring duty of an estate (per elevator for elevator
//!   maintenance). **`next_due` is always `Interval::after(last_done or since)`** and
//!   `active` is false for a duty no longer owed (tanks removed, elevator out of use), so a
//!   duty is overdue on `today` exactly when `active AND next_due < today` — the index
//!   `safety_duties_open_due (active, next_due, region_code)` answers the region-wide list.
//! - `safety_duty_records`: each time a duty was done (date, by whom, note), photos in
//!   `safety_files` (`owner_kind = 'duty_record'`).
//! - `elevators`: registered elevators with their certificate expiry and inspection request.
//! - `ebikes`, `ebike_violations`, `ebike_reminders`: the e-bike register and violations.
//! - `emergency_plans` (versions per estate and kind), `safety_trainings` (drills and
//!   trainings; photos in `safety_files` with `owner_kind = 'training'`). A drill recorded
//!   here marks the estate's drill duty done.
//!
//! Every operation reaches the estate through the caller's scope first (a foreign estate is
//! [`StoreError::NotFound`]), checks its input in full, then writes in one transaction with
//! its audit entry.

use crate::access::Access;
use crate::cases::{TEXT_MAX, TITLE_MAX, Upload, check_text};
use crate::db::{Db, Result, StoreError, dynamic};
use crate::{audit, begin_write, on};
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use wuye_domain::account::{Action, Resource, Role};
use wuye_domain::region::RegionCode;
use wuye_domain::safety::{
    CERTIFICATE_REMIND_DAYS, DutyKind, DutyStatus, EbikeAction, Interval, PLAN_KINDS, REMINDER_CHANNELS, VIOLATION_KINDS, certificate_alert, check_elevator_registration, duty_status_on, ebike_action,
    inspection_request_by, label_in,
};

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn invalid(m: impl Into<String>) -> StoreError {
    StoreError::Invalid(m.into())
}

/// The code of a duty status: `done`, `due_soon` or `overdue`.
pub fn status_code(s: DutyStatus) -> &'static str {
    match s {
        DutyStatus::Done => "done",
        DutyStatus::DueSoon => "due_soon",
        DutyStatus::Overdue => "overdue",
    }
}

/// The label of a status code (正常 / 临期 / 逾期).
pub fn status_label(code: &str) -> &'static str {
    match code {
        "done" => "正常",
        "due_soon" => "临期",
        "overdue" => "逾期",
        _ => "",
    }
}

/// The colour of a status code (green, amber, red).
pub fn status_css(code: &str) -> &'static str {
    match code {
        "done" => "green",
        "due_soon" => "amber",
        "overdue" => "red",
        _ => "grey",
    }
}

/// The largest photo: 5 MB.
pub const PHOTO_MAX_BYTES: usize = 5 * 1024 * 1024;

/// Checks a photo: an image (PNG, JPEG, GIF, WebP, by its bytes, with a matching name) of
/// at most 5 MB. Errors name the file: `照片「x.pdf」：不是图片…`.
pub fn check_photo(u: &Upload) -> Result<&'static str> {
    if u.bytes.len() > PHOTO_MAX_BYTES {
        return Err(invalid(format!("照片「{}」：{} 字节，超过上限 5 MB", u.file_name, u.bytes.len())));
    }
    if !u.bytes.is_empty() && !u.content_type().is_some_and(|c| c.starts_with("image/")) {
        return Err(invalid(format!("照片「{}」：不是图片（接受 PNG、JPEG、GIF、WebP）", u.file_name)));
    }
    u.validate().map_err(|e| match e {
        StoreError::Invalid(m) => invalid(m.replacen("附件", "照片", 1)),
        other => other,
    })
}

fn sha256(b: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

macro_rules! insert_photos {
    ($tx:expr, $kind:expr, $owner:expr, $estate:expr, $photos:expr, $by:expr, $at:expr) => {{
        for u in $photos {
            let ct = check_photo(u)?;
            sqlx::query("INSERT INTO safety_files (owner_kind, owner_id, estate_id, file_name, content_type, size, sha256, data, uploaded_by, uploaded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)")
                .bind($kind).bind($owner).bind($estate).bind(u.file_name.trim()).bind(ct).bind(u.bytes.len() as i64).bind(sha256(&u.bytes)).bind(&u.bytes).bind($by).bind($at)
                .execute(&mut *$tx).await?;
        }
    }};
}

/// The earliest date a record may carry.
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");

/// A recorded date: not in the future, not before 2000.
fn no_future(field: &str, day: NaiveDate, today: NaiveDate) -> Result<()> {
    if day > today {
        Err(invalid(format!("{field}：不能晚于今天（{today}），实为 {day}")))
    } else if day < EARLIEST {
        Err(invalid(format!("{field}：不能早于 {EARLIEST}，实为 {day}")))
    } else {
        Ok(())
    }
}

/// A date ahead: after `from` and at most `years` later.
fn within_years(field: &str, day: NaiveDate, from: NaiveDate, years: u32) -> Result<()> {
    let max = from.checked_add_months(chrono::Months::new(12 * years)).unwrap_or(from);
    if day <= from || day > max { Err(invalid(format!("{field}：应在 {from} 之后、{max} 之前，实为 {day}"))) } else { Ok(()) }
}

// ---------------------------------------------------------------------------------------
// The estate and its facts
// ---------------------------------------------------------------------------------------

/// An estate the caller reaches: (id, name, region code). Errors: `NotFound` outside the
/// caller's scope, `Forbidden` for a role without access to safety records.
pub async fn estate(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<(i64, String, String)> {
    a.require(Action::View, Resource::Safety)?;
    let sql = format!("SELECT e.id, e.name, e.region_code FROM estates e WHERE e.id = $1 AND {}", a.estates_sql("e", today));
    on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// An estate's safety facts, with the tank-cleaning interval that applies to it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EstateFacts {
    pub estate_id: i64,
    /// 消防安全重点单位: drills every half year (61号令 Art 40).
    pub key_unit: bool,
    /// The estate's safety responsible person.
    pub responsible: String,
    /// The estate has secondary-water tanks (tank cleaning is owed).
    pub secondary_water: bool,
    /// The tank-cleaning interval in months that applies (the nearest region's setting).
    pub tank_months: i64,
    /// The region whose setting applies; `None`: the default (12 months, GB 17051).
    pub tank_region: Option<String>,
}

/// The facts of an estate the caller reaches.
pub async fn facts(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<EstateFacts> {
    let (id, _, region) = estate(db, a, estate_id, today).await?;
    facts_of(db, id, &region).await
}

async fn facts_of(db: &Db, id: i64, region: &str) -> Result<EstateFacts> {
    let row: Option<(bool, String, bool)> = on!(db, p => sqlx::query_as("SELECT key_unit, responsible, secondary_water FROM safety_estates WHERE estate_id = $1").bind(id).fetch_optional(p).await)?;
    let (key_unit, responsible, secondary_water) = row.unwrap_or((false, String::new(), false));
    let (tank_months, tank_region) = tank_months_for(db, region).await?;
    Ok(EstateFacts { estate_id: id, key_unit, responsible, secondary_water, tank_months, tank_region })
}

/// The tank-cleaning interval (months) in a region: the setting of the nearest region up
/// the tree (the region itself first), else 12 months. Returns (months, the region set).
pub async fn tank_months_for(db: &Db, region_code: &str) -> Result<(i64, Option<String>)> {
    let rows: Vec<(String, i64)> = on!(db, p => sqlx::query_as("SELECT region_code, tank_months FROM safety_region_settings").fetch_all(p).await)?;
    let best = rows
        .into_iter()
        .filter(|(c, _)| RegionCode::parse(c).is_ok_and(|r| region_code.starts_with(r.prefix())))
        .max_by_key(|(c, _)| RegionCode::parse(c).map(|r| r.prefix().len()).unwrap_or(0));
    Ok(match best {
        Some((c, m)) => (m, Some(c)),
        None => (12, None),
    })
}

/// Facts to set. `key_unit` is designated by the regulator or street office only; an
/// enterprise sending a different value is refused.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct FactsInput {
    pub key_unit: bool,
    pub responsible: String,
    pub secondary_water: bool,
}

/// Sets an estate's safety facts and brings its duties in line (drill interval, tank
/// cleaning owed or not). Regulators, street offices and the serving enterprise (which may
/// not change the key-unit designation). Errors: `Forbidden`, a too-long name.
pub async fn set_facts(db: &Db, a: &Access, estate_id: i64, f: &FactsInput, today: NaiveDate) -> Result<()> {
    let (id, _, region) = estate(db, a, estate_id, today).await?;
    a.require(Action::Edit, Resource::Safety)?;
    check_text("安全责任人", &f.responsible, 50)?;
    let before = facts_of(db, id, &region).await?;
    if before.key_unit != f.key_unit && !matches!(a.role(), Role::Admin | Role::Regulator | Role::Street) {
        return Err(StoreError::Forbidden("消防安全重点单位由住建部门或街道办事处认定，物业服务企业不能更改".into()));
    }
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("INSERT INTO safety_estates (estate_id, key_unit, responsible, secondary_water, updated_at) VALUES ($1,$2,$3,$4,$5)
                     ON CONFLICT (estate_id) DO UPDATE SET key_unit = excluded.key_unit, responsible = excluded.responsible, secondary_water = excluded.secondary_water, updated_at = excluded.updated_at")
            .bind(id).bind(f.key_unit).bind(f.responsible.trim()).bind(f.secondary_water).bind(&at).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "set_facts", "safety_estate", id, Some(serde_json::json!({"key_unit": before.key_unit, "responsible": before.responsible, "secondary_water": before.secondary_water})),
            Some(serde_json::json!({"key_unit": f.key_unit, "responsible": f.responsible.trim(), "secondary_water": f.secondary_water})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    ensure_duties(db, id, today).await
}

/// A region's tank-cleaning setting.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RegionSetting {
    pub region_code: String,
    pub tank_months: i64,
    pub updated_by: String,
    pub updated_at: String,
}

/// The settings within the caller's reach (all for the administrator).
pub async fn region_settings(db: &Db, a: &Access) -> Result<Vec<RegionSetting>> {
    a.require(Action::View, Resource::Safety)?;
    let all: Vec<RegionSetting> = on!(db, p => sqlx::query_as("SELECT region_code, tank_months, updated_by, updated_at FROM safety_region_settings ORDER BY region_code").fetch_all(p).await)?;
    Ok(all.into_iter().filter(|s| a.reaches_region(&s.region_code)).collect())
}

/// Sets the tank-cleaning interval (1–12 months) of a region and re-schedules the tank
/// duties of the estates beneath. Regulators within their region, and administrators.
/// Errors: another role (`Forbidden`), a region out of reach or unknown, months outside 1–12.
pub async fn set_tank_months(db: &Db, a: &Access, region_code: &str, months: i64, today: NaiveDate) -> Result<()> {
    if !matches!(a.role(), Role::Admin | Role::Regulator) {
        return Err(StoreError::Forbidden(format!("{}无权设置水箱清洗周期", a.role().label_zh())));
    }
    let code = RegionCode::parse(region_code).map_err(|e| invalid(format!("区划：{e}")))?.as_str().to_string();
    if !a.reaches_region(&code) {
        return Err(StoreError::Forbidden("区划不在本人管辖范围内".into()));
    }
    let known: Option<String> = on!(db, p => sqlx::query_scalar("SELECT code FROM regions WHERE code = $1").bind(&code).fetch_optional(p).await)?;
    known.ok_or_else(|| invalid(format!("区划：{code} 不在区划表中")))?;
    if !(1..=12).contains(&months) {
        return Err(invalid(format!("清洗周期：应为 1–12 个月，实为 {months}")));
    }
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("INSERT INTO safety_region_settings (region_code, tank_months, updated_by, updated_at) VALUES ($1,$2,$3,$4)
                     ON CONFLICT (region_code) DO UPDATE SET tank_months = excluded.tank_months, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
            .bind(&code).bind(months).bind(&a.actor().name).bind(&at).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "set_tank_months", "safety_region", &code, None, Some(serde_json::json!({"tank_months": months})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    let prefix = RegionCode::parse(&code).map(|r| r.prefix().to_string()).unwrap_or_default();
    let estates: Vec<i64> = on!(db, p => sqlx::query_scalar(dynamic(format!("SELECT DISTINCT estate_id FROM safety_duties WHERE kind = 'tank_cleaning' AND {}", crate::cases::prefix_range("region_code", &prefix)))).fetch_all(p).await)?;
    for e in estates {
        ensure_duties(db, e, today).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Duties
// ---------------------------------------------------------------------------------------

/// A recurring duty with its status on the day it was read.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Duty {
    pub id: i64,
    pub estate_id: i64,
    pub estate_name: String,
    pub region_code: String,
    /// `fire_check`, `fire_facility_inspection`, `elevator_maintenance`, `tank_cleaning`, `drill`.
    pub kind: String,
    pub elevator_id: Option<i64>,
    /// What it is for (the elevator's registration number).
    pub subject: String,
    /// `days` or `months`.
    pub interval_unit: String,
    pub interval_n: i64,
    /// The day the duty began (counted from when never done).
    pub since: NaiveDate,
    pub last_done: Option<NaiveDate>,
    /// `interval after (last_done or since)`.
    pub next_due: NaiveDate,
    pub active: bool,
    /// `done`, `due_soon` or `overdue` on the day read (reminder windows: 3 days for 15-day
    /// duties, 7 for monthly, 30 for yearly).
    #[sqlx(skip)]
    pub status: String,
}

impl Duty {
    pub fn interval(&self) -> Interval {
        if self.interval_unit == "days" { Interval::Days(self.interval_n as u32) } else { Interval::Months(self.interval_n as u32) }
    }
    pub fn kind_label(&self) -> &'static str {
        DutyKind::parse(&self.kind).map(|k| k.label_zh()).unwrap_or("")
    }
    pub fn interval_label(&self) -> String {
        self.interval().label_zh()
    }
    pub fn status_label(&self) -> &'static str {
        status_label(&self.status)
    }
    pub fn status_css(&self) -> &'static str {
        status_css(&self.status)
    }
    fn with_status(mut self, today: NaiveDate) -> Duty {
        let (due, st) = duty_status_on(self.interval(), self.last_done, self.since, today);
        self.next_due = due;
        self.status = if self.active { status_code(st).to_string() } else { String::new() };
        self
    }
}

fn interval_cols(i: Interval) -> (&'static str, i64) {
    match i {
        Interval::Days(n) => ("days", n as i64),
        Interval::Months(n) => ("months", n as i64),
    }
}

const DUTY_COLS: &str = "d.id, d.estate_id, e.name AS estate_name, d.region_code, d.kind, d.elevator_id, d.subject, d.interval_unit, d.interval_n, d.since, d.last_done, d.next_due, d.active";

/// (id, kind, elevator, interval unit, interval n, since, last done, active).
type ExistingDuty = (i64, String, Option<i64>, String, i64, NaiveDate, Option<NaiveDate>, bool);

/// Creates the duties an estate owes and brings the existing ones in line: fire check
/// (monthly), building fire-facility inspection (yearly), drill (yearly; half-yearly for a
/// key unit), tank cleaning (when it has secondary water; the region's interval), and one
/// elevator maintenance duty (every 15 days) per elevator in use. A duty no longer owed is
/// made inactive; an interval that changed changes `next_due`. A new duty counts from
/// `today`. One transaction; no audit entry (it follows recorded facts). Idempotent.
pub async fn ensure_duties(db: &Db, estate_id: i64, today: NaiveDate) -> Result<()> {
    let region: Option<String> = on!(db, p => sqlx::query_scalar("SELECT region_code FROM estates WHERE id = $1").bind(estate_id).fetch_optional(p).await)?;
    let region = region.ok_or(StoreError::NotFound)?;
    let f = facts_of(db, estate_id, &region).await?;
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let elevators: Vec<(i64, String, bool)> = sqlx::query_as("SELECT id, registration_no, in_use FROM elevators WHERE estate_id = $1 ORDER BY id").bind(estate_id).fetch_all(&mut *tx).await?;
        // (kind, elevator, subject, owed)
        let mut want: Vec<(DutyKind, Option<i64>, String, bool)> = vec![
            (DutyKind::FireCheck, None, String::new(), true),
            (DutyKind::FireFacilityInspection, None, String::new(), true),
            (DutyKind::Drill, None, String::new(), true),
            (DutyKind::TankCleaning, None, "二次供水水箱".to_string(), f.secondary_water),
        ];
        for (id, no, in_use) in elevators {
            want.push((DutyKind::ElevatorMaintenance, Some(id), no, in_use));
        }
        let existing: Vec<ExistingDuty> =
            sqlx::query_as("SELECT id, kind, elevator_id, interval_unit, interval_n, since, last_done, active FROM safety_duties WHERE estate_id = $1").bind(estate_id).fetch_all(&mut *tx).await?;
        for (kind, elevator, subject, owed) in want {
            let interval = kind.interval(f.key_unit, Some(f.tank_months as u32));
            let (unit, n) = interval_cols(interval);
            match existing.iter().find(|x| x.1 == kind.code() && x.2 == elevator) {
                Some((id, _, _, u0, n0, since, last, active)) if u0 != unit || *n0 != n || *active != owed => {
                    let due = interval.after(last.unwrap_or(*since));
                    sqlx::query("UPDATE safety_duties SET interval_unit = $1, interval_n = $2, next_due = $3, active = $4, updated_at = $5 WHERE id = $6")
                        .bind(unit).bind(n).bind(due).bind(owed).bind(&at).bind(id).execute(&mut *tx).await?;
                }
                Some(_) => {}
                None if owed => {
                    sqlx::query("INSERT INTO safety_duties (estate_id, region_code, kind, elevator_id, subject, interval_unit, interval_n, since, last_done, next_due, active, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,NULL,$9,TRUE,$10)")
                        .bind(estate_id).bind(&region).bind(kind.code()).bind(elevator).bind(&subject).bind(unit).bind(n).bind(today).bind(interval.after(today)).bind(&at)
                        .execute(&mut *tx).await?;
                }
                None => {}
            }
        }
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Runs [`ensure_duties`] for every estate served under a contract on `today` (a batch step
/// for the CLI and the demo, so that the region-wide overdue list covers every estate, also
/// those whose pages were never opened). Returns the number of estates.
pub async fn ensure_all(db: &Db, today: NaiveDate) -> Result<u64> {
    let ids: Vec<i64> = on!(db, p => sqlx::query_scalar(
        "SELECT DISTINCT c.estate_id FROM service_contracts c WHERE c.start_date <= $1 AND (c.end_date IS NULL OR c.end_date >= $1) ORDER BY c.estate_id")
        .bind(today).fetch_all(p).await)?;
    for id in &ids {
        ensure_duties(db, *id, today).await?;
    }
    Ok(ids.len() as u64)
}

/// The duties of an estate the caller reaches (active first, by kind), with their status.
pub async fn duties(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Duty>> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    let sql = format!("SELECT {DUTY_COLS} FROM safety_duties d JOIN estates e ON e.id = d.estate_id WHERE d.estate_id = $1 ORDER BY d.active DESC, d.kind, d.subject, d.id");
    let rows: Vec<Duty> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|d| d.with_status(today)).collect())
}

/// One record of a duty done.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DutyRecord {
    pub id: i64,
    pub duty_id: i64,
    pub done_on: NaiveDate,
    /// Who did it (the maintainer, the inspector).
    pub done_by: String,
    pub note: String,
    /// Who entered it.
    pub actor: String,
    pub created_at: String,
    /// Photos attached.
    #[sqlx(skip)]
    pub photos: i64,
}

/// The records of an estate's duties, newest first (at most `limit`).
pub async fn records(db: &Db, a: &Access, estate_id: i64, limit: i64, today: NaiveDate) -> Result<Vec<DutyRecord>> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    let mut rows: Vec<DutyRecord> = on!(db, p => sqlx::query_as(
        "SELECT r.id, r.duty_id, r.done_on, r.done_by, r.note, r.actor, r.created_at FROM safety_duty_records r JOIN safety_duties d ON d.id = r.duty_id WHERE d.estate_id = $1 ORDER BY r.done_on DESC, r.id DESC LIMIT $2")
        .bind(id).bind(limit).fetch_all(p).await)?;
    let counts: Vec<(i64, i64)> = on!(db, p => sqlx::query_as("SELECT owner_id, COUNT(*) FROM safety_files WHERE owner_kind = 'duty_record' AND estate_id = $1 GROUP BY owner_id").bind(id).fetch_all(p).await)?;
    for r in &mut rows {
        r.photos = counts.iter().find(|(o, _)| *o == r.id).map(|(_, n)| *n).unwrap_or(0);
    }
    Ok(rows)
}

/// A duty done.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DoneInput {
    pub duty_id: i64,
    /// Not in the future; a record earlier than the last one is kept (entered late) and
    /// does not move the due day back.
    pub done_on: NaiveDate,
    /// Who did it (maintainer, inspector); required.
    pub done_by: String,
    #[serde(default)]
    pub note: String,
}

/// Records a duty done (with photos) and moves its due day: `last_done` becomes the
/// latest record, `next_due` the interval after it. Returns the record's id. Errors
/// (nothing written): a duty of another estate or inactive, a date in the future or before
/// the duty began, no name of who did it, a photo that is not an image or over 5 MB.
pub async fn record_done(db: &Db, a: &Access, estate_id: i64, r: &DoneInput, photos: &[Upload], today: NaiveDate) -> Result<i64> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    let duty = duty_in(db, id, r.duty_id, today).await?;
    if !duty.active {
        return Err(invalid(format!("事项：「{}」已停止（无此设施或已停用），不能登记", duty.kind_label())));
    }
    no_future("完成日期", r.done_on, today)?;
    if r.done_by.trim().is_empty() {
        return Err(invalid("完成人：须填写实施单位或人员（如维保单位、检查人）"));
    }
    check_text("完成人", &r.done_by, 100)?;
    check_text("情况说明", &r.note, TEXT_MAX)?;
    for u in photos {
        check_photo(u)?;
    }
    let at = now_text();
    let actor = a.actor().clone();
    let last = duty.last_done.map_or(r.done_on, |l| l.max(r.done_on));
    let due = duty.interval().after(last);
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let rid: i64 = sqlx::query_scalar("INSERT INTO safety_duty_records (duty_id, done_on, done_by, note, actor_id, actor, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id")
            .bind(duty.id).bind(r.done_on).bind(r.done_by.trim()).bind(r.note.trim()).bind(actor.user_id).bind(&actor.name).bind(&at).fetch_one(&mut *tx).await?;
        sqlx::query("UPDATE safety_duties SET last_done = $1, next_due = $2, updated_at = $3 WHERE id = $4").bind(last).bind(due).bind(&at).bind(duty.id).execute(&mut *tx).await?;
        insert_photos!(tx, "duty_record", rid, id, photos, &actor.name, &at);
        audit!(tx, &actor, "duty_done", "safety_duty", duty.id, None, Some(serde_json::json!({"done_on": r.done_on, "done_by": r.done_by.trim(), "next_due": due, "photos": photos.len()})));
        tx.commit().await?;
        Ok::<i64, StoreError>(rid)
    })
}

async fn duty_in(db: &Db, estate_id: i64, duty_id: i64, today: NaiveDate) -> Result<Duty> {
    let sql = format!("SELECT {DUTY_COLS} FROM safety_duties d JOIN estates e ON e.id = d.estate_id WHERE d.id = $1 AND d.estate_id = $2");
    let d: Option<Duty> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(duty_id).bind(estate_id).fetch_optional(p).await)?;
    d.map(|d| d.with_status(today)).ok_or_else(|| invalid(format!("事项：#{duty_id} 不是本小区的安全事项")))
}

/// Filters of the list of duties due across the caller's estates (in the URL).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueFilter {
    /// `overdue`, `due_soon`, empty for both, or `all` for every active duty (the region's
    /// duty ledger; certificate alerts are unaffected).
    pub status: Option<String>,
    /// A duty kind code.
    pub kind: Option<String>,
    /// A region code prefix (digits).
    pub region: Option<String>,
    pub estate_id: Option<i64>,
}

/// Active duties due soon or overdue in the estates the caller reaches, most overdue first
/// (at most 2,000). Uses the index (active, next_due): rows due within 30 days of `today`.
/// With status `all`: every active duty (at most 100,000), for the region's ledger.
pub async fn due_list(db: &Db, a: &Access, f: &DueFilter, today: NaiveDate) -> Result<Vec<Duty>> {
    a.require(Action::View, Resource::Safety)?;
    let all = f.status.as_deref() == Some("all");
    let mut w = vec![if all { "d.active = TRUE".to_string() } else { format!("d.active = TRUE AND d.next_due <= '{}'", today + Duration::days(31)) }, a.estates_sql("e", today)];
    if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
        let k = DutyKind::parse(k).ok_or_else(|| invalid(format!("类型：「{k}」不是安全事项类型")))?;
        w.push(format!("d.kind = '{}'", k.code()));
    }
    if let Some(r) = f.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        if r.len() > 12 || !r.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!("区划：应为 12 位以内的数字代码前缀，实为 {r:?}")));
        }
        w.push(crate::cases::prefix_range("d.region_code", r.trim_end_matches("000000").trim_end_matches("000")));
    }
    if let Some(e) = f.estate_id {
        w.push(format!("d.estate_id = {e}"));
    }
    let limit = if all { 100_000 } else { 2000 };
    let sql = format!("SELECT {DUTY_COLS} FROM safety_duties d JOIN estates e ON e.id = d.estate_id WHERE {} ORDER BY d.next_due, d.id LIMIT {limit}", w.join(" AND "));
    let rows: Vec<Duty> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    let want = f.status.as_deref().filter(|s| !s.is_empty());
    Ok(rows.into_iter().map(|d| d.with_status(today)).filter(|d| all || (d.status != "done" && want.is_none_or(|s| d.status == s))).collect())
}

// ---------------------------------------------------------------------------------------
// Elevators
// ---------------------------------------------------------------------------------------

/// An elevator with its certificate alert and its maintenance duty.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Elevator {
    pub id: i64,
    pub estate_id: i64,
    pub estate_name: String,
    pub building_id: Option<i64>,
    pub building_no: Option<String>,
    /// 使用登记证编号.
    pub registration_no: String,
    pub location: String,
    /// 维保单位.
    pub maintainer: String,
    /// 定期检验合格证有效期至.
    pub certificate_expires: NaiveDate,
    pub inspection_requested_on: Option<NaiveDate>,
    pub in_use: bool,
    pub duty_id: Option<i64>,
    pub last_maintained: Option<NaiveDate>,
    pub maintenance_due: Option<NaiveDate>,
    /// Maintenance status (`done`, `due_soon`, `overdue`).
    #[sqlx(skip)]
    pub maintenance_status: String,
    /// The last day to request the periodic inspection (one month before expiry).
    #[sqlx(skip)]
    pub request_by: Option<NaiveDate>,
    /// The certificate alert: `due_soon`, `overdue`, or empty.
    #[sqlx(skip)]
    pub certificate_alert: String,
}

impl Elevator {
    fn with_status(mut self, today: NaiveDate) -> Elevator {
        if let Some(due) = self.maintenance_due {
            let st = if today > due {
                DutyStatus::Overdue
            } else if today + Duration::days(wuye_domain::safety::remind_days(Interval::Days(15))) >= due {
                DutyStatus::DueSoon
            } else {
                DutyStatus::Done
            };
            self.maintenance_status = if self.in_use { status_code(st).into() } else { String::new() };
        }
        self.request_by = Some(inspection_request_by(self.certificate_expires));
        self.certificate_alert = if self.in_use {
            certificate_alert(self.certificate_expires, self.inspection_requested_on.is_some(), today, CERTIFICATE_REMIND_DAYS).map(|s| status_code(s).to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        self
    }
    pub fn alert_label(&self) -> &'static str {
        match self.certificate_alert.as_str() {
            "overdue" => "逾期未申请定期检验",
            "due_soon" => "临近申请定期检验",
            _ => "",
        }
    }
    pub fn alert_css(&self) -> &'static str {
        status_css(&self.certificate_alert)
    }
    pub fn maintenance_label(&self) -> &'static str {
        match self.maintenance_status.as_str() {
            "overdue" => "维保逾期",
            "due_soon" => "维保临期",
            "done" => "维保正常",
            _ => "",
        }
    }
    pub fn maintenance_css(&self) -> &'static str {
        status_css(&self.maintenance_status)
    }
}

const ELEVATOR_SQL: &str = "SELECT l.id, l.estate_id, e.name AS estate_name, l.building_id, b.no AS building_no, l.registration_no, l.location, l.maintainer, l.certificate_expires, \
    l.inspection_requested_on, l.in_use, d.id AS duty_id, d.last_done AS last_maintained, d.next_due AS maintenance_due \
    FROM elevators l JOIN estates e ON e.id = l.estate_id LEFT JOIN buildings b ON b.id = l.building_id \
    LEFT JOIN safety_duties d ON d.elevator_id = l.id AND d.kind = 'elevator_maintenance'";

/// The elevators of an estate the caller reaches, by registration number.
pub async fn elevators(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Elevator>> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    let sql = format!("{ELEVATOR_SQL} WHERE l.estate_id = $1 ORDER BY l.registration_no");
    let rows: Vec<Elevator> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|l| l.with_status(today)).collect())
}

/// Elevators in use whose certificate alert shows (request due soon or overdue, not yet
/// requested), in the estates the caller reaches; the region filter is a code prefix.
pub async fn certificate_alerts(db: &Db, a: &Access, f: &DueFilter, today: NaiveDate) -> Result<Vec<Elevator>> {
    a.require(Action::View, Resource::Safety)?;
    // The alert shows when the request date (a month before expiry) is within 30 days.
    let horizon = today + Duration::days(CERTIFICATE_REMIND_DAYS + 31);
    let mut w = vec![format!("l.in_use = TRUE AND l.inspection_requested_on IS NULL AND l.certificate_expires <= '{horizon}'"), a.estates_sql("e", today)];
    if let Some(r) = f.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        if r.len() > 12 || !r.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!("区划：应为 12 位以内的数字代码前缀，实为 {r:?}")));
        }
        w.push(crate::cases::prefix_range("e.region_code", r.trim_end_matches("000000").trim_end_matches("000")));
    }
    if let Some(e) = f.estate_id {
        w.push(format!("l.estate_id = {e}"));
    }
    let sql = format!("{ELEVATOR_SQL} WHERE {} ORDER BY l.certificate_expires, l.id LIMIT 2000", w.join(" AND "));
    let rows: Vec<Elevator> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    let want = f.status.as_deref().filter(|s| !s.is_empty() && *s != "all");
    Ok(rows.into_iter().map(|l| l.with_status(today)).filter(|l| !l.certificate_alert.is_empty() && want.is_none_or(|s| l.certificate_alert == s)).collect())
}

/// An elevator to register.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewElevator {
    /// 使用登记证编号, required and unique (特种设备安全法 Art 33).
    pub registration_no: String,
    pub building_id: Option<i64>,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub maintainer: String,
    pub certificate_expires: Option<NaiveDate>,
}

/// Registers an elevator of the estate and creates its maintenance duty (every 15 days,
/// counted from today). Returns its id. Errors (nothing written): no registration number
/// (特种设备安全法 Art 33), one already registered, a building of another estate, no
/// certificate expiry date.
pub async fn register_elevator(db: &Db, a: &Access, estate_id: i64, n: &NewElevator, today: NaiveDate) -> Result<i64> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    check_elevator_registration(&n.registration_no).map_err(|e| invalid(format!("使用登记证编号：{}", e.to_string().split_once('：').map(|x| x.1).unwrap_or(""))))?;
    let no = n.registration_no.trim().to_string();
    check_text("使用登记证编号", &no, 50)?;
    check_text("安装位置", &n.location, TITLE_MAX)?;
    check_text("维保单位", &n.maintainer, TITLE_MAX)?;
    let expires = n.certificate_expires.ok_or_else(|| invalid("检验合格证有效期：须填写定期检验合格证的有效期"))?;
    // Periodic inspection is at least yearly (TSG T7001): a certificate runs a year or two,
    // and an expired one is still registered (its alert shows at once).
    within_years("检验合格证有效期", expires, today - Duration::days(3 * 366), 5)?;
    let dup: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM elevators WHERE registration_no = $1").bind(&no).fetch_optional(p).await)?;
    if dup.is_some() {
        return Err(invalid(format!("使用登记证编号：{no} 已登记，不能重复登记")));
    }
    if let Some(b) = n.building_id {
        let ok: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM buildings WHERE id = $1 AND estate_id = $2").bind(b).bind(id).fetch_optional(p).await)?;
        ok.ok_or_else(|| invalid(format!("楼栋：#{b} 不在本小区")))?;
    }
    let at = now_text();
    let region: String = on!(db, p => sqlx::query_scalar("SELECT region_code FROM estates WHERE id = $1").bind(id).fetch_one(p).await)?;
    let interval = DutyKind::ElevatorMaintenance.interval(false, None);
    let (unit, k) = interval_cols(interval);
    let lid = on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let lid: i64 = sqlx::query_scalar("INSERT INTO elevators (estate_id, building_id, registration_no, location, maintainer, certificate_expires, in_use, created_at) VALUES ($1,$2,$3,$4,$5,$6,TRUE,$7) RETURNING id")
            .bind(id).bind(n.building_id).bind(&no).bind(n.location.trim()).bind(n.maintainer.trim()).bind(expires).bind(&at).fetch_one(&mut *tx).await?;
        sqlx::query("INSERT INTO safety_duties (estate_id, region_code, kind, elevator_id, subject, interval_unit, interval_n, since, last_done, next_due, active, updated_at) VALUES ($1,$2,'elevator_maintenance',$3,$4,$5,$6,$7,NULL,$8,TRUE,$9)")
            .bind(id).bind(&region).bind(lid).bind(&no).bind(unit).bind(k).bind(today).bind(interval.after(today)).bind(&at).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "register", "elevator", lid, None, Some(serde_json::json!({"registration_no": no, "certificate_expires": expires, "maintainer": n.maintainer.trim()})));
        tx.commit().await?;
        Ok::<i64, StoreError>(lid)
    })?;
    ensure_duties(db, id, today).await?;
    Ok(lid)
}

async fn elevator_in(db: &Db, estate_id: i64, elevator_id: i64, today: NaiveDate) -> Result<Elevator> {
    let sql = format!("{ELEVATOR_SQL} WHERE l.id = $1 AND l.estate_id = $2");
    let l: Option<Elevator> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(elevator_id).bind(estate_id).fetch_optional(p).await)?;
    l.map(|l| l.with_status(today)).ok_or_else(|| invalid(format!("电梯：#{elevator_id} 不是本小区的电梯")))
}

/// Records that the periodic inspection was requested on `on` (特种设备安全法 Art 40).
/// Errors: an elevator of another estate, a date in the future.
pub async fn request_inspection(db: &Db, a: &Access, estate_id: i64, elevator_id: i64, on: NaiveDate, today: NaiveDate) -> Result<()> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    let l = elevator_in(db, id, elevator_id, today).await?;
    no_future("申请日期", on, today)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE elevators SET inspection_requested_on = $1 WHERE id = $2").bind(on).bind(l.id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "request_inspection", "elevator", l.id, None, Some(serde_json::json!({"requested_on": on, "certificate_expires": l.certificate_expires})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Records a renewed certificate (after the periodic inspection): the new expiry clears
/// the request. Errors: an elevator of another estate, an expiry not after today and the
/// old one.
pub async fn renew_certificate(db: &Db, a: &Access, estate_id: i64, elevator_id: i64, expires: NaiveDate, today: NaiveDate) -> Result<()> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    let l = elevator_in(db, id, elevator_id, today).await?;
    if expires <= today || expires <= l.certificate_expires {
        return Err(invalid(format!("检验合格证有效期：新的有效期应晚于今天和原有效期（{}），实为 {expires}", l.certificate_expires)));
    }
    within_years("检验合格证有效期", expires, today, 2)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE elevators SET certificate_expires = $1, inspection_requested_on = NULL WHERE id = $2").bind(expires).bind(l.id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "renew_certificate", "elevator", l.id, Some(serde_json::json!({"certificate_expires": l.certificate_expires})), Some(serde_json::json!({"certificate_expires": expires})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

// ---------------------------------------------------------------------------------------
// E-bikes
// ---------------------------------------------------------------------------------------

/// A registered e-bike. The phone is masked unless the caller may see phones.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Ebike {
    pub id: i64,
    pub estate_id: i64,
    pub house_id: Option<i64>,
    /// The house as 楼栋-单元-室 (empty when none given).
    pub house: String,
    /// `""` when it has no plate.
    pub plate: String,
    pub user_name: String,
    pub phone: String,
    pub created_at: String,
}

/// An e-bike violation with its reminders.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Violation {
    pub id: i64,
    pub estate_id: i64,
    pub ebike_id: Option<i64>,
    pub plate: Option<String>,
    pub user_name: Option<String>,
    /// `hall`, `corridor`, `stairwell`, `exit`, `flying_cord`, `unit_door`, `elevator`, `other`.
    pub kind: String,
    pub place: String,
    pub found_on: NaiveDate,
    pub reminders: i64,
    /// Moved to the designated area (after 3 or more reminders).
    pub moved_on: Option<NaiveDate>,
    pub told_owner: String,
    pub resolved: bool,
    pub actor: String,
    /// The next step by the guide: `remind` or `move_and_tell`.
    #[sqlx(skip)]
    pub next_action: String,
}

impl Violation {
    pub fn kind_label(&self) -> &'static str {
        label_in(&VIOLATION_KINDS, &self.kind)
    }
    pub fn may_move(&self) -> bool {
        !self.resolved && self.moved_on.is_none() && self.next_action == "move_and_tell"
    }
}

/// One reminder given.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Reminder {
    pub violation_id: i64,
    pub seq: i64,
    pub on_date: NaiveDate,
    /// `on_site`, `phone`, `sms`, `wechat`, `visit`, `notice_board`.
    pub channel: String,
    pub actor: String,
}

/// (id, estate, house, building no, unit no, room no, plate, user, phone, created at).
type EbikeRow = (i64, i64, Option<i64>, Option<String>, Option<String>, Option<String>, String, String, String, String);

/// The e-bikes of an estate the caller reaches.
pub async fn ebikes(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Ebike>> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    let rows: Vec<EbikeRow> = on!(db, p => sqlx::query_as(
        "SELECT k.id, k.estate_id, k.house_id, b.no, u.no, h.room_no, k.plate, k.user_name, k.phone, k.created_at FROM ebikes k LEFT JOIN houses h ON h.id = k.house_id
         LEFT JOIN buildings b ON b.id = h.building_id LEFT JOIN units u ON u.id = h.unit_id WHERE k.estate_id = $1 ORDER BY k.id")
        .bind(id).fetch_all(p).await)?;
    let full = a.may_unmask().1;
    Ok(rows
        .into_iter()
        .map(|(id, estate_id, house_id, b, u, r, plate, user_name, phone, created_at)| {
            let house = match (b, u, r) {
                (Some(b), Some(u), Some(r)) if u.is_empty() => format!("{b}号楼{r}"),
                (Some(b), Some(u), Some(r)) => format!("{b}号楼{u}单元{r}"),
                _ => String::new(),
            };
            let phone = if full || phone.is_empty() { phone } else { wuye_domain::ids::mask_phone(&phone) };
            Ebike { id, estate_id, house_id, house, plate, user_name, phone, created_at }
        })
        .collect())
}

/// An e-bike to register (2024 guide: plate or none, user's name, phone, house).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewEbike {
    #[serde(default)]
    pub plate: String,
    pub user_name: String,
    #[serde(default)]
    pub phone: String,
    pub house_id: Option<i64>,
}

/// Registers an e-bike. Errors: no user name, a phone that is not 7–20 digits, a house of
/// another estate.
pub async fn register_ebike(db: &Db, a: &Access, estate_id: i64, n: &NewEbike, today: NaiveDate) -> Result<i64> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    if n.user_name.trim().is_empty() {
        return Err(invalid("使用人：须填写车辆使用人姓名"));
    }
    check_text("使用人", &n.user_name, 50)?;
    check_text("号牌", &n.plate, 20)?;
    let phone: String = n.phone.chars().filter(|c| !c.is_whitespace()).collect();
    if !phone.is_empty() && (!(7..=20).contains(&phone.len()) || !phone.chars().all(|c| c.is_ascii_digit() || c == '-')) {
        return Err(invalid(format!("联系电话：应为 7–20 位数字，实为 {phone:?}")));
    }
    if let Some(h) = n.house_id {
        let ok: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM houses WHERE id = $1 AND estate_id = $2").bind(h).bind(id).fetch_optional(p).await)?;
        ok.ok_or_else(|| invalid(format!("房屋：#{h} 不在本小区")))?;
    }
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let kid: i64 = sqlx::query_scalar("INSERT INTO ebikes (estate_id, house_id, plate, user_name, phone, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id")
            .bind(id).bind(n.house_id).bind(n.plate.trim()).bind(n.user_name.trim()).bind(&phone).bind(&at).fetch_one(&mut *tx).await?;
        audit!(tx, a.actor(), "register", "ebike", kid, None, Some(serde_json::json!({"plate": n.plate.trim(), "house_id": n.house_id})));
        tx.commit().await?;
        Ok::<i64, StoreError>(kid)
    })
}

const VIOLATION_SQL: &str = "SELECT v.id, v.estate_id, v.ebike_id, k.plate, k.user_name, v.kind, v.place, v.found_on, v.reminders, v.moved_on, v.told_owner, v.resolved, v.actor \
    FROM ebike_violations v LEFT JOIN ebikes k ON k.id = v.ebike_id";

fn with_action(mut v: Violation) -> Violation {
    v.next_action = match ebike_action(v.reminders.max(0) as u32) {
        EbikeAction::Remind => "remind",
        EbikeAction::MoveAndTell => "move_and_tell",
    }
    .into();
    v
}

/// The violations of an estate (open first, newest first).
pub async fn violations(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Violation>> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    let sql = format!("{VIOLATION_SQL} WHERE v.estate_id = $1 ORDER BY v.resolved, v.found_on DESC, v.id DESC");
    let rows: Vec<Violation> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_all(p).await)?;
    Ok(rows.into_iter().map(with_action).collect())
}

/// The reminders given on an estate's violations.
pub async fn reminders(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Reminder>> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    Ok(on!(db, p => sqlx::query_as(
        "SELECT r.violation_id, r.seq, r.on_date, r.channel, r.actor FROM ebike_reminders r JOIN ebike_violations v ON v.id = r.violation_id WHERE v.estate_id = $1 ORDER BY r.violation_id, r.seq")
        .bind(id).fetch_all(p).await)?)
}

/// A violation found.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewViolation {
    pub ebike_id: Option<i64>,
    /// See [`Violation::kind`].
    pub kind: String,
    #[serde(default)]
    pub place: String,
    pub found_on: Option<NaiveDate>,
}

/// Records a violation. Errors: an unknown kind, an e-bike of another estate, a date in the
/// future.
pub async fn record_violation(db: &Db, a: &Access, estate_id: i64, n: &NewViolation, today: NaiveDate) -> Result<i64> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    if label_in(&VIOLATION_KINDS, &n.kind).is_empty() {
        let known = VIOLATION_KINDS.iter().map(|(c, l)| format!("{c}（{l}）")).collect::<Vec<_>>().join("、");
        return Err(invalid(format!("违规类型：「{}」应为 {known}", n.kind)));
    }
    check_text("地点", &n.place, TITLE_MAX)?;
    let found = n.found_on.unwrap_or(today);
    no_future("发现日期", found, today)?;
    if let Some(k) = n.ebike_id {
        let ok: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM ebikes WHERE id = $1 AND estate_id = $2").bind(k).bind(id).fetch_optional(p).await)?;
        ok.ok_or_else(|| invalid(format!("车辆：#{k} 不是本小区登记的电动自行车")))?;
    }
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let vid: i64 = sqlx::query_scalar("INSERT INTO ebike_violations (estate_id, ebike_id, kind, place, found_on, reminders, actor, created_at) VALUES ($1,$2,$3,$4,$5,0,$6,$7) RETURNING id")
            .bind(id).bind(n.ebike_id).bind(&n.kind).bind(n.place.trim()).bind(found).bind(&a.actor().name).bind(&at).fetch_one(&mut *tx).await?;
        audit!(tx, a.actor(), "violation", "ebike_violation", vid, None, Some(serde_json::json!({"kind": n.kind, "place": n.place.trim(), "found_on": found})));
        tx.commit().await?;
        Ok::<i64, StoreError>(vid)
    })
}

async fn violation_in(db: &Db, estate_id: i64, vid: i64) -> Result<Violation> {
    let sql = format!("{VIOLATION_SQL} WHERE v.id = $1 AND v.estate_id = $2");
    let v: Option<Violation> = on!(db, p => sqlx::query_as(dynamic(sql)).bind(vid).bind(estate_id).fetch_optional(p).await)?;
    v.map(with_action).ok_or_else(|| invalid(format!("违规记录：#{vid} 不是本小区的记录")))
}

/// Records a reminder given to the owner on `on` by `channel`. Returns the count so far.
/// Errors: a resolved or moved violation, an unknown channel, a date in the future or
/// before the finding, a second reminder on the same day (reminders count once a day).
pub async fn remind(db: &Db, a: &Access, estate_id: i64, violation_id: i64, channel: &str, on: NaiveDate, today: NaiveDate) -> Result<i64> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    let v = violation_in(db, id, violation_id).await?;
    if v.resolved || v.moved_on.is_some() {
        return Err(invalid("违规记录：已处理完毕或已移车，不再提醒"));
    }
    if label_in(&REMINDER_CHANNELS, channel).is_empty() {
        let known = REMINDER_CHANNELS.iter().map(|(c, l)| format!("{c}（{l}）")).collect::<Vec<_>>().join("、");
        return Err(invalid(format!("提醒方式：「{channel}」应为 {known}")));
    }
    no_future("提醒日期", on, today)?;
    if on < v.found_on {
        return Err(invalid(format!("提醒日期：不能早于发现日期（{}），实为 {on}", v.found_on)));
    }
    // Reminders count once a day: three on one day are one (the guide's "3 次以上提醒"
    // are separate reminders the owner had time to act on).
    let same_day: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM ebike_reminders WHERE violation_id = $1 AND on_date = $2").bind(v.id).bind(on).fetch_one(p).await)?;
    if same_day > 0 {
        return Err(invalid(format!("提醒日期：{on} 已提醒过，同一天的提醒只计一次")));
    }
    let n = v.reminders + 1;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("INSERT INTO ebike_reminders (violation_id, seq, on_date, channel, actor) VALUES ($1,$2,$3,$4,$5)").bind(v.id).bind(n).bind(on).bind(channel).bind(&a.actor().name).execute(&mut *tx).await?;
        sqlx::query("UPDATE ebike_violations SET reminders = $1 WHERE id = $2").bind(n).bind(v.id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "remind", "ebike_violation", v.id, None, Some(serde_json::json!({"seq": n, "channel": channel, "on": on})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(n)
}

/// Records the "move the bike to the designated area and tell the owner" step, allowed only
/// after 3 or more reminders (2024 guide; [`ebike_action`]). Errors: fewer reminders,
/// already moved or resolved, no word on how the owner was told, a date in the future.
pub async fn move_and_tell(db: &Db, a: &Access, estate_id: i64, violation_id: i64, told_owner: &str, on: NaiveDate, today: NaiveDate) -> Result<()> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    let v = violation_in(db, id, violation_id).await?;
    if v.resolved || v.moved_on.is_some() {
        return Err(invalid("违规记录：已移车或已处理完毕"));
    }
    if ebike_action(v.reminders.max(0) as u32) != EbikeAction::MoveAndTell {
        return Err(invalid(format!("移车：已提醒 {} 次，须提醒满 3 次仍不改正，方可移至指定区域并告知车主（《居民小区电动自行车停放充电管理指南》）", v.reminders)));
    }
    if told_owner.trim().is_empty() {
        return Err(invalid("告知车主：须写明如何告知车主（如电话告知、张贴告示）"));
    }
    check_text("告知车主", told_owner, TITLE_MAX)?;
    no_future("移车日期", on, today)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE ebike_violations SET moved_on = $1, told_owner = $2 WHERE id = $3").bind(on).bind(told_owner.trim()).bind(v.id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "move_and_tell", "ebike_violation", v.id, None, Some(serde_json::json!({"moved_on": on, "told_owner": told_owner.trim(), "reminders": v.reminders})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Marks a violation resolved (corrected by the owner, or moved and told). Errors: already
/// resolved.
pub async fn resolve_violation(db: &Db, a: &Access, estate_id: i64, violation_id: i64, today: NaiveDate) -> Result<()> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    let v = violation_in(db, id, violation_id).await?;
    if v.resolved {
        return Err(invalid("违规记录：已处理完毕"));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE ebike_violations SET resolved = TRUE WHERE id = $1").bind(v.id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "resolve", "ebike_violation", v.id, None, None);
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

// ---------------------------------------------------------------------------------------
// Emergency plans, trainings and drills
// ---------------------------------------------------------------------------------------

/// A version of an emergency plan.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Plan {
    pub id: i64,
    pub estate_id: i64,
    /// `fire`, `flood`, `elevator_entrapment`, `water_outage`, `public_health`.
    pub kind: String,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub approved_on: NaiveDate,
    pub review_due: NaiveDate,
    pub created_by: String,
    /// The review date has passed (on the day read).
    #[sqlx(skip)]
    pub review_overdue: bool,
}

impl Plan {
    pub fn kind_label(&self) -> &'static str {
        label_in(&PLAN_KINDS, &self.kind)
    }
}

/// Every version of the plans of an estate, by kind and newest version first.
pub async fn plans(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Plan>> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    let rows: Vec<Plan> = on!(db, p => sqlx::query_as("SELECT id, estate_id, kind, version, title, body, approved_on, review_due, created_by FROM emergency_plans WHERE estate_id = $1 ORDER BY kind, version DESC")
        .bind(id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|mut p| {
            p.review_overdue = p.review_due < today;
            p
        })
        .collect())
}

/// A plan (a new version of its kind).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewPlan {
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub approved_on: Option<NaiveDate>,
    /// Default: 12 months after approval.
    pub review_due: Option<NaiveDate>,
}

/// Adds a plan as the next version of its kind. Returns its id. Errors: an unknown kind, no
/// title, an approval date in the future, a review date not after approval.
pub async fn add_plan(db: &Db, a: &Access, estate_id: i64, n: &NewPlan, today: NaiveDate) -> Result<i64> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    if label_in(&PLAN_KINDS, &n.kind).is_empty() {
        let known = PLAN_KINDS.iter().map(|(c, l)| format!("{c}（{l}）")).collect::<Vec<_>>().join("、");
        return Err(invalid(format!("预案类型：「{}」应为 {known}", n.kind)));
    }
    if n.title.trim().is_empty() {
        return Err(invalid("标题：不能为空"));
    }
    check_text("标题", &n.title, TITLE_MAX)?;
    check_text("内容", &n.body, TEXT_MAX * 5)?;
    let approved = n.approved_on.unwrap_or(today);
    no_future("批准日期", approved, today)?;
    let review = n.review_due.unwrap_or_else(|| Interval::Months(wuye_domain::safety::PLAN_REVIEW_MONTHS).after(approved));
    within_years("复审日期", review, approved, 5)?;
    let at = now_text();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let v: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM emergency_plans WHERE estate_id = $1 AND kind = $2").bind(id).bind(&n.kind).fetch_one(&mut *tx).await?;
        let pid: i64 = sqlx::query_scalar("INSERT INTO emergency_plans (estate_id, kind, version, title, body, approved_on, review_due, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id")
            .bind(id).bind(&n.kind).bind(v).bind(n.title.trim()).bind(n.body.trim()).bind(approved).bind(review).bind(&a.actor().name).bind(&at).fetch_one(&mut *tx).await?;
        audit!(tx, a.actor(), "add_plan", "emergency_plan", pid, None, Some(serde_json::json!({"kind": n.kind, "version": v, "approved_on": approved, "review_due": review})));
        tx.commit().await?;
        Ok::<i64, StoreError>(pid)
    })
}

/// A training or drill held.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Training {
    pub id: i64,
    pub estate_id: i64,
    /// `drill` or `training`.
    pub kind: String,
    /// The plan kind exercised (drills).
    pub plan_kind: String,
    pub held_on: NaiveDate,
    pub title: String,
    /// Names, one per line.
    pub attendees: String,
    pub attendee_count: i64,
    pub note: String,
    pub created_by: String,
    #[sqlx(skip)]
    pub photos: i64,
}

impl Training {
    pub fn kind_label(&self) -> &'static str {
        if self.kind == "drill" { "演练" } else { "培训" }
    }
    pub fn plan_label(&self) -> &'static str {
        label_in(&PLAN_KINDS, &self.plan_kind)
    }
}

/// The trainings and drills of an estate, newest first.
pub async fn trainings(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Training>> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    let mut rows: Vec<Training> = on!(db, p => sqlx::query_as(
        "SELECT id, estate_id, kind, plan_kind, held_on, title, attendees, attendee_count, note, created_by FROM safety_trainings WHERE estate_id = $1 ORDER BY held_on DESC, id DESC")
        .bind(id).fetch_all(p).await)?;
    let counts: Vec<(i64, i64)> = on!(db, p => sqlx::query_as("SELECT owner_id, COUNT(*) FROM safety_files WHERE owner_kind = 'training' AND estate_id = $1 GROUP BY owner_id").bind(id).fetch_all(p).await)?;
    for t in &mut rows {
        t.photos = counts.iter().find(|(o, _)| *o == t.id).map(|(_, n)| *n).unwrap_or(0);
    }
    Ok(rows)
}

/// A training or drill to record.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewTraining {
    /// `drill` or `training`.
    pub kind: String,
    #[serde(default)]
    pub plan_kind: String,
    pub held_on: Option<NaiveDate>,
    pub title: String,
    /// Names, one per line (the count is taken from them when `attendee_count` is 0).
    #[serde(default)]
    pub attendees: String,
    #[serde(default)]
    pub attendee_count: i64,
    #[serde(default)]
    pub note: String,
}

/// Records a training or drill with photos. A fire drill (`plan_kind` `fire`) also marks the
/// estate's drill duty done on its day (消防法 Art 16; 61号令 Art 40). Returns its id. Errors (nothing written): an
/// unknown kind or plan kind, no title, a date in the future, no attendees, a photo that
/// is not an image or over 5 MB.
pub async fn record_training(db: &Db, a: &Access, estate_id: i64, n: &NewTraining, photos: &[Upload], today: NaiveDate) -> Result<i64> {
    let (id, _, _) = estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Safety)?;
    if !matches!(n.kind.as_str(), "drill" | "training") {
        return Err(invalid(format!("类型：应为 drill（演练）或 training（培训），实为 {:?}", n.kind)));
    }
    if !n.plan_kind.is_empty() && label_in(&PLAN_KINDS, &n.plan_kind).is_empty() {
        return Err(invalid(format!("预案类型：「{}」不是应急预案类型", n.plan_kind)));
    }
    if n.title.trim().is_empty() {
        return Err(invalid("标题：不能为空"));
    }
    check_text("标题", &n.title, TITLE_MAX)?;
    check_text("参加人员", &n.attendees, TEXT_MAX)?;
    check_text("情况说明", &n.note, TEXT_MAX)?;
    let held = n.held_on.ok_or_else(|| invalid("日期：须填写举行日期"))?;
    no_future("日期", held, today)?;
    let names = n.attendees.lines().filter(|l| !l.trim().is_empty()).count() as i64;
    let count = if n.attendee_count > 0 { n.attendee_count } else { names };
    if count <= 0 {
        return Err(invalid("参加人员：须填写参加人员或人数"));
    }
    for u in photos {
        check_photo(u)?;
    }
    ensure_duties(db, id, today).await?;
    // Only a fire and evacuation drill is the drill duty (61号令 Art 40); a flood or
    // entrapment drill is recorded but does not complete it.
    let drill: Option<Duty> = if n.kind == "drill" && n.plan_kind == "fire" {
        let sql = format!("SELECT {DUTY_COLS} FROM safety_duties d JOIN estates e ON e.id = d.estate_id WHERE d.estate_id = $1 AND d.kind = 'drill'");
        on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).fetch_optional(p).await)?
    } else {
        None
    };
    let at = now_text();
    let actor = a.actor().clone();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let tid: i64 = sqlx::query_scalar("INSERT INTO safety_trainings (estate_id, kind, plan_kind, held_on, title, attendees, attendee_count, note, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id")
            .bind(id).bind(&n.kind).bind(&n.plan_kind).bind(held).bind(n.title.trim()).bind(n.attendees.trim()).bind(count).bind(n.note.trim()).bind(&actor.name).bind(&at).fetch_one(&mut *tx).await?;
        insert_photos!(tx, "training", tid, id, photos, &actor.name, &at);
        if let Some(d) = &drill {
            let last = d.last_done.map_or(held, |l| l.max(held));
            let due = d.interval().after(last);
            sqlx::query("INSERT INTO safety_duty_records (duty_id, done_on, done_by, note, actor_id, actor, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)")
                .bind(d.id).bind(held).bind(n.title.trim()).bind(format!("演练记录 #{tid}，参加 {count} 人")).bind(actor.user_id).bind(&actor.name).bind(&at).execute(&mut *tx).await?;
            sqlx::query("UPDATE safety_duties SET last_done = $1, next_due = $2, updated_at = $3 WHERE id = $4").bind(last).bind(due).bind(&at).bind(d.id).execute(&mut *tx).await?;
        }
        audit!(tx, &actor, "record_training", "safety_training", tid, None, Some(serde_json::json!({"kind": n.kind, "plan_kind": n.plan_kind, "held_on": held, "attendees": count, "photos": photos.len()})));
        tx.commit().await?;
        Ok::<i64, StoreError>(tid)
    })
}

/// One line of an estate's compliance with plans and drills.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplianceItem {
    /// A plan kind code, or `drill`.
    pub item: String,
    pub label: String,
    pub ok: bool,
    /// What is wrong, or what is there.
    pub detail: String,
}

/// Whether each required plan is present and not past its review date, and drills are held
/// at the required frequency (the drill duty not overdue).
pub async fn compliance(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<ComplianceItem>> {
    let all = plans(db, a, estate_id, today).await?;
    let mut out = Vec::new();
    for (kind, label) in PLAN_KINDS {
        let latest = all.iter().find(|p| p.kind == kind);
        let (ok, detail) = match latest {
            None => (false, "未制定".to_string()),
            Some(p) if p.review_overdue => (false, format!("第 {} 版，复审日期 {} 已过", p.version, p.review_due)),
            Some(p) => (true, format!("第 {} 版，复审日期 {}", p.version, p.review_due)),
        };
        out.push(ComplianceItem { item: kind.into(), label: label.into(), ok, detail });
    }
    let d = duties(db, a, estate_id, today).await?;
    if let Some(dr) = d.iter().find(|x| x.kind == "drill" && x.active) {
        let ok = dr.status != "overdue";
        let last = dr.last_done.map(|x| x.to_string()).unwrap_or_else(|| "从未".into());
        out.push(ComplianceItem { item: "drill".into(), label: format!("消防和疏散演练（{}）", dr.interval_label()), ok, detail: format!("上次 {last}，应于 {} 前", dr.next_due) });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------------------

/// What [`write_demo`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub estates: u64,
    pub elevators: u64,
    pub records: u64,
    pub violations: u64,
    pub plans: u64,
    pub drills: u64,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "安全事项: 小区 {}，电梯 {}，完成记录 {}，电动自行车违规 {}，应急预案 {}，演练培训 {}", self.estates, self.elevators, self.records, self.violations, self.plans, self.drills)
    }
}

/// The duties part of the safety demo, as of `today`:
/// - the showcase estate: key unit with secondary water; four elevators — one whose
///   certificate expires in 29 days (alert: request overdue), one maintained 16 days ago
///   (maintenance overdue), one due soon, one fine; duties in each status (fire check done,
///   tank cleaning due soon, fire-facility inspection overdue); e-bikes with violations (one
///   with 3 reminders, moved and the owner told; one reminded once; one resolved); the five
///   plans (flood past its review date) and drills and a training;
/// - in every other county, up to two estates with duties, some overdue, and an elevator
///   or two, so the dashboard has figures.
///
/// Does nothing when elevators exist already.
pub async fn write_demo(db: &Db, today: NaiveDate) -> Result<DemoReport> {
    let mut r = DemoReport::default();
    let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM elevators").fetch_one(p).await)?;
    if n > 0 {
        return Ok(r);
    }
    let sys = Access::system("demo");
    let Some((estate, _, code)) = crate::demo::showcase_estate(db, today).await? else { return Ok(r) };
    let ago = |n: i64| today - Duration::days(n);
    let back = |n: u32| today.checked_sub_months(chrono::Months::new(n)).unwrap_or(today);
    // Duties counted from a year ago, so never-done ones show as overdue.
    let since = back(13);
    set_facts(db, &sys, estate, &FactsInput { key_unit: true, responsible: "王建国（物业项目经理）".into(), secondary_water: true }, since).await?;
    let buildings: Vec<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM buildings WHERE estate_id = $1 ORDER BY id LIMIT 4").bind(estate).fetch_all(p).await)?;
    let b = |i: usize| buildings.get(i.min(buildings.len().saturating_sub(1))).copied();
    let tag = format!("{estate:05}");
    let lifts = [
        (format!("梯11宁A{tag}01"), "1号楼1单元", today + Duration::days(29), 3i64),
        (format!("梯11宁A{tag}02"), "1号楼2单元", today + Duration::days(200), 16),
        (format!("梯11宁A{tag}03"), "2号楼1单元", today + Duration::days(45), 13),
        (format!("梯11宁A{tag}04"), "2号楼2单元", today + Duration::days(300), 5),
    ];
    for (i, (no, loc, exp, maintained)) in lifts.iter().enumerate() {
        let n = NewElevator { registration_no: no.clone(), building_id: b(i / 2), location: loc.to_string(), maintainer: "宁夏通力电梯维保有限公司".into(), certificate_expires: Some(*exp) };
        register_elevator(db, &sys, estate, &n, since).await?;
        r.elevators += 1;
        // Maintenance every 15 days up to the last one.
        let duty: i64 = on!(db, p => sqlx::query_scalar("SELECT d.id FROM safety_duties d JOIN elevators l ON l.id = d.elevator_id WHERE l.registration_no = $1").bind(no).fetch_one(p).await)?;
        for k in (0..4).rev() {
            let day = ago(maintained + 15 * k);
            record_done(db, &sys, estate, &DoneInput { duty_id: duty, done_on: day, done_by: "宁夏通力电梯维保有限公司 李师傅".into(), note: "半月维保：清洁、润滑、调整、检查".into() }, &[], today).await?;
            r.records += 1;
        }
    }
    // One elevator's inspection requested already (no alert though expiring in 45 days… no:
    // keep the 45-day one as due soon); the fine one was renewed.
    let ds = duties(db, &sys, estate, today).await?;
    for d in &ds {
        let day = match d.kind.as_str() {
            "fire_check" => Some(ago(9)),
            "tank_cleaning" => Some(back(12) + Duration::days(10)),
            "drill" => None,
            _ => None,
        };
        if let Some(day) = day {
            record_done(db, &sys, estate, &DoneInput { duty_id: d.id, done_on: day, done_by: "物业工程部".into(), note: String::new() }, &[], today).await?;
            r.records += 1;
        }
    }
    // E-bikes and violations.
    let houses: Vec<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM houses WHERE estate_id = $1 ORDER BY id LIMIT 6").bind(estate).fetch_all(p).await)?;
    let bikes = [("宁A·12345", "马建华", "13909510001"), ("", "李秀英", "13909510002"), ("宁A·67890", "张志强", "13909510003"), ("", "杨丽", "13909510004")];
    let mut ids = Vec::new();
    for (i, (plate, name, phone)) in bikes.iter().enumerate() {
        ids.push(register_ebike(db, &sys, estate, &NewEbike { plate: plate.to_string(), user_name: name.to_string(), phone: phone.to_string(), house_id: houses.get(i).copied() }, today).await?);
    }
    let v1 = record_violation(db, &sys, estate, &NewViolation { ebike_id: Some(ids[0]), kind: "corridor".into(), place: "1号楼2单元3层疏散走道".into(), found_on: Some(ago(12)) }, today).await?;
    for (i, ch) in ["on_site", "phone", "wechat"].iter().enumerate() {
        remind(db, &sys, estate, v1, ch, ago(12 - 3 * i as i64), today).await?;
    }
    move_and_tell(db, &sys, estate, v1, "电话告知车主，并在单元门口张贴告示", ago(2), today).await?;
    let v2 = record_violation(db, &sys, estate, &NewViolation { ebike_id: Some(ids[1]), kind: "flying_cord".into(), place: "2号楼一层窗外".into(), found_on: Some(ago(3)) }, today).await?;
    remind(db, &sys, estate, v2, "visit", ago(2), today).await?;
    let v3 = record_violation(db, &sys, estate, &NewViolation { ebike_id: Some(ids[2]), kind: "hall".into(), place: "1号楼1单元门厅".into(), found_on: Some(ago(20)) }, today).await?;
    remind(db, &sys, estate, v3, "on_site", ago(20), today).await?;
    resolve_violation(db, &sys, estate, v3, today).await?;
    record_violation(db, &sys, estate, &NewViolation { ebike_id: None, kind: "stairwell".into(), place: "3号楼楼梯间（车主不明）".into(), found_on: Some(ago(1)) }, today).await?;
    r.violations += 4;
    // Plans: flood past its review date.
    for (kind, label) in PLAN_KINDS {
        let approved = if kind == "flood" { back(14) } else { back(3) };
        add_plan(db, &sys, estate, &NewPlan { kind: kind.into(), title: format!("{label}应急预案"), body: "一、组织机构\n二、预警与报告\n三、处置程序\n四、保障措施".into(), approved_on: Some(approved), review_due: None }, today).await?;
        r.plans += 1;
    }
    let staff = "王建国\n李明\n张强\n赵敏\n刘洋\n陈静\n马军\n杨帆";
    record_training(db, &sys, estate, &NewTraining { kind: "drill".into(), plan_kind: "fire".into(), held_on: Some(back(8)), title: "上半年消防疏散演练".into(), attendees: staff.into(), attendee_count: 86, note: "业主 78 人参加".into() }, &[], today).await?;
    record_training(db, &sys, estate, &NewTraining { kind: "training".into(), plan_kind: "elevator_entrapment".into(), held_on: Some(ago(40)), title: "电梯困人救援培训".into(), attendees: staff.into(), attendee_count: 0, note: String::new() }, &[], today).await?;
    record_training(db, &sys, estate, &NewTraining { kind: "drill".into(), plan_kind: "flood".into(), held_on: Some(back(13)), title: "防汛演练".into(), attendees: staff.into(), attendee_count: 0, note: String::new() }, &[], today).await?;
    r.drills += 3;
    r.estates += 1;
    // Other counties: up to two covered estates each, duties some overdue.
    let county = format!("{}%", &code[..6]);
    let others: Vec<(i64, String)> = on!(db, p => sqlx::query_as(
        "SELECT MIN(e.id), SUBSTR(e.region_code, 1, 6) FROM estates e JOIN service_contracts c ON c.estate_id = e.id WHERE e.region_code NOT LIKE $1 GROUP BY SUBSTR(e.region_code, 1, 6), e.id % 2 ORDER BY 2")
        .bind(&county).fetch_all(p).await)?;
    for (i, (e, _)) in others.iter().enumerate() {
        let i = i as i64;
        set_facts(db, &sys, *e, &FactsInput { key_unit: i % 3 == 0, responsible: String::new(), secondary_water: i % 2 == 0 }, since).await?;
        let lift = NewElevator { registration_no: format!("梯11宁B{e:05}01"), building_id: None, location: "1号楼".into(), maintainer: "宁夏迅达电梯维保有限公司".into(), certificate_expires: Some(today + Duration::days(20 + 30 * (i % 5))) };
        register_elevator(db, &sys, *e, &lift, since).await?;
        r.elevators += 1;
        for d in duties(db, &sys, *e, today).await? {
            // Some done recently, some long ago (overdue), some never (overdue).
            let day = match (i + d.id) % 4 {
                0 => None,
                1 => Some(ago(if d.interval_unit == "days" { 20 } else { 40 })),
                _ => Some(ago(if d.interval_unit == "days" { 5 } else { 10 })),
            };
            if let Some(day) = day {
                record_done(db, &sys, *e, &DoneInput { duty_id: d.id, done_on: day, done_by: "物业工程部".into(), note: String::new() }, &[], today).await?;
                r.records += 1;
            }
        }
        r.estates += 1;
    }
    // Every other served estate owes its duties from 25 days ago (fire checks due soon).
    ensure_all(db, ago(25)).await?;
    Ok(r)
}
