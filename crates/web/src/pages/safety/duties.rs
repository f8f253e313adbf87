//! Pages of recurring duties, elevators, e-bikes, emergency plans and drills (rules.md §6):
//! per estate `/estates/{estate}/safety/duties` (duties with status and the record-done
//! form, the estate's safety facts), `/estates/{estate}/elevators`, `/estates/{estate}/ebikes`,
//! `/estates/{estate}/emergency`, the estate's xlsx ledger, and `/safety/duties` (duties due
//! soon and overdue and certificate alerts across the caller's estates, filters in the URL,
//! exports of exactly the filtered rows). Forms are one column, phone-usable, for the
//! enterprise's staff on site. Every check is the store's ([`wuye_store::safety::duties`]).

use super::super::{link, render};
use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::{Errors, Submitted};
use crate::i18n::Lang;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use wuye_domain::account::{Action, Resource, Role};
use wuye_domain::safety::{DutyKind, PLAN_KINDS, REMINDER_CHANNELS, VIOLATION_KINDS, label_in};
use wuye_ledger::Out;
use wuye_store::StoreError;
use wuye_store::cases::Upload;
use wuye_store::region;
use wuye_store::safety::duties::{self as du, ComplianceItem, DoneInput, DueFilter, Duty, DutyRecord, Ebike, Elevator, EstateFacts, FactsInput, NewEbike, NewElevator, NewPlan, NewTraining, NewViolation, Plan, Reminder, Training, Violation};

type PageResult = Result<Response, PageError>;

/// A refused input shown on the page; other errors are the error page.
fn alert_of(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

/// What every estate safety page has: the estate, the caller's rights, the outcome of the
/// last form (its values kept after an error).
pub struct Base {
    pub estate_id: i64,
    pub estate_name: String,
    pub today: NaiveDate,
    pub may_create: bool,
    pub may_edit: bool,
    pub alert: Option<String>,
    pub notice: Option<String>,
    /// The form sent with an error.
    pub failed: String,
    pub s: Submitted,
}

impl Base {
    /// The entered value of a field of the failed form (or `default`).
    pub fn v(&self, form: &str, field: &str) -> String {
        if self.failed == form { self.s.get(field) } else { String::new() }
    }
    pub fn vd(&self, form: &str, field: &str) -> String {
        let v = self.v(form, field);
        if v.is_empty() { self.today.to_string() } else { v }
    }
    pub fn sel(&self, form: &str, field: &str, value: &str) -> bool {
        self.failed == form && self.s.get(field) == value
    }
}

/// The outcome of a form: a notice, or an error to show with the form's values.
pub struct Outcome {
    pub alert: Option<String>,
    pub notice: Option<String>,
    pub failed: String,
    pub s: Submitted,
}

impl Outcome {
    fn none() -> Outcome {
        Outcome { alert: None, notice: None, failed: String::new(), s: Submitted::default() }
    }
    fn failed(form: &str, s: Submitted, m: String) -> Outcome {
        Outcome { alert: Some(m), notice: None, failed: form.into(), s }
    }
    fn status(&self) -> StatusCode {
        if self.alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }
    }
}

async fn base(state: &AppState, lang: Lang, u: &User, id: i64, title: &str, here: &str, o: Outcome) -> Result<(PageCtx, Base), PageError> {
    let today = state.today();
    let (eid, name, code) = du::estate(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let a = u.access();
    let c = PageCtx::new(lang, &u.0, "estates", format!("{name} · {}", lang.t(title)))
        .with_region(region::path(&state.db, &code).await?)
        .crumb(lang.t("小区"), "/estates")
        .crumb(name.clone(), format!("/estates/{eid}"))
        .crumb(lang.t(title), "")
        .here(here.to_string());
    let b = Base {
        estate_id: eid,
        estate_name: name,
        today,
        may_create: a.can(Action::Create, Resource::Safety),
        may_edit: a.can(Action::Edit, Resource::Safety),
        alert: o.alert.clone(),
        notice: o.notice.clone(),
        failed: o.failed.clone(),
        s: o.s,
    };
    Ok((c, b))
}

/// A form (urlencoded or multipart) with its image files.
async fn form_and_photos(req: axum::extract::Request) -> Result<(Submitted, Vec<Upload>), String> {
    let (s, files) = crate::form::form_with_file_list(req).await?;
    let files = files.into_iter().filter(|(_, f)| !(f.file_name.is_empty() && f.bytes.is_empty())).map(|(_, f)| Upload { file_name: f.file_name, bytes: f.bytes }).collect();
    Ok((s, files))
}

fn errs_text(errs: &Errors, labels: &[(&str, &str)]) -> String {
    let mut v: Vec<String> = errs.0.iter().map(|(k, m)| format!("{}：{m}", labels.iter().find(|(f, _)| f == k).map(|(_, l)| *l).unwrap_or(k))).collect();
    v.sort();
    v.join("；")
}

const LABELS: &[(&str, &str)] = &[
    ("duty_id", "事项"),
    ("done_on", "完成日期"),
    ("certificate_expires", "检验合格证有效期"),
    ("on", "日期"),
    ("elevator_id", "电梯"),
    ("building_id", "楼栋"),
    ("house_id", "房屋"),
    ("ebike_id", "车辆"),
    ("violation_id", "违规记录"),
    ("found_on", "发现日期"),
    ("approved_on", "批准日期"),
    ("review_due", "复审日期"),
    ("held_on", "日期"),
    ("attendee_count", "参加人数"),
    ("tank_months", "清洗周期"),
];

// ---------------------------------------------------------------------------------------
// Duties of an estate

#[derive(Template)]
#[template(path = "safety_duty_estate.html")]
pub struct DutiesPage {
    pub c: PageCtx,
    pub b: Base,
    pub duties: Vec<Duty>,
    pub records: Vec<DutyRecord>,
    pub elevators: Vec<Elevator>,
    pub facts: EstateFacts,
    /// The caller may designate a key unit.
    pub may_key_unit: bool,
}

impl DutiesPage {
    pub fn duty_label(&self, id: &i64) -> String {
        self.duties.iter().find(|d| d.id == *id).map(|d| if d.subject.is_empty() { d.kind_label().to_string() } else { format!("{} · {}", d.kind_label(), d.subject) }).unwrap_or_default()
    }
    pub fn count(&self, status: &str) -> usize {
        self.duties.iter().filter(|d| d.status == status).count()
    }
}

async fn duties_page(state: &AppState, lang: Lang, u: &User, id: i64, o: Outcome) -> PageResult {
    let status = o.status();
    let (c, b) = base(state, lang, u, id, "安全事项", &format!("/estates/{id}/safety/duties"), o).await?;
    let (db, a, today) = (&state.db, u.access(), b.today);
    du::ensure_duties(db, b.estate_id, today).await?;
    let page = DutiesPage {
        duties: du::duties(db, a, id, today).await?,
        records: du::records(db, a, id, 50, today).await?,
        elevators: du::elevators(db, a, id, today).await?,
        facts: du::facts(db, a, id, today).await?,
        may_key_unit: matches!(a.role(), Role::Admin | Role::Regulator | Role::Street),
        c,
        b,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn duties(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    duties_page(&state, lang, &u, id, Outcome::none()).await
}

/// Records a duty done (multipart: photos).
pub async fn duty_done(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, req: axum::extract::Request) -> PageResult {
    du::estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (s, photos) = match form_and_photos(req).await {
        Ok(x) => x,
        Err(m) => return duties_page(&state, lang, &u, id, Outcome::failed("done", Submitted::default(), m)).await,
    };
    let mut errs = Errors::default();
    let duty = errs.int(&s, "duty_id");
    let on = errs.date(&s, "done_on", true);
    let (Some(duty_id), Some(done_on)) = (duty, on) else {
        let m = if errs.is_empty() { "事项：请选择".to_string() } else { errs_text(&errs, LABELS) };
        return duties_page(&state, lang, &u, id, Outcome::failed("done", s, m)).await;
    };
    let r = DoneInput { duty_id, done_on, done_by: s.get("done_by"), note: s.get("note") };
    match du::record_done(&state.db, u.access(), id, &r, &photos, state.today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/estates/{id}/safety/duties")).into_response()),
        Err(e) => duties_page(&state, lang, &u, id, Outcome::failed("done", s, alert_of(e)?)).await,
    }
}

/// Sets the estate's safety facts.
pub async fn set_facts(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let today = state.today();
    let before = du::facts(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    // Only the regulator or street office sees the key-unit box; others keep the value.
    let key_unit = if matches!(u.access().role(), Role::Admin | Role::Regulator | Role::Street) { s.get("key_unit") == "1" } else { before.key_unit };
    let f = FactsInput { key_unit, responsible: s.get("responsible"), secondary_water: s.get("secondary_water") == "1" };
    match du::set_facts(&state.db, u.access(), id, &f, today).await {
        Ok(()) => Ok(Redirect::to(&format!("/estates/{id}/safety/duties")).into_response()),
        Err(e) => duties_page(&state, lang, &u, id, Outcome::failed("facts", s, alert_of(e)?)).await,
    }
}

// ---------------------------------------------------------------------------------------
// Elevators

#[derive(Template)]
#[template(path = "safety_elevators.html")]
pub struct ElevatorsPage {
    pub c: PageCtx,
    pub b: Base,
    pub elevators: Vec<Elevator>,
    /// (id, number) of the estate's buildings.
    pub buildings: Vec<(i64, String)>,
}

async fn elevators_page(state: &AppState, lang: Lang, u: &User, id: i64, o: Outcome) -> PageResult {
    let status = o.status();
    let (c, b) = base(state, lang, u, id, "电梯", &format!("/estates/{id}/elevators"), o).await?;
    let (db, a, today) = (&state.db, u.access(), b.today);
    let buildings: Vec<(i64, String)> = wuye_store::on!(db, p => wuye_store::sqlx::query_as("SELECT id, no FROM buildings WHERE estate_id = $1 ORDER BY id").bind(b.estate_id).fetch_all(p).await).map_err(StoreError::from)?;
    let page = ElevatorsPage { elevators: du::elevators(db, a, id, today).await?, buildings, c, b };
    Ok((status, render(&page)?).into_response())
}

pub async fn elevators(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    elevators_page(&state, lang, &u, id, Outcome::none()).await
}

pub async fn elevator_register(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    du::estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let expires = errs.date(&s, "certificate_expires", false);
    let building = errs.int(&s, "building_id");
    if !errs.is_empty() {
        return elevators_page(&state, lang, &u, id, Outcome::failed("register", s, errs_text(&errs, LABELS))).await;
    }
    let n = NewElevator { registration_no: s.get("registration_no"), building_id: building, location: s.get("location"), maintainer: s.get("maintainer"), certificate_expires: expires };
    match du::register_elevator(&state.db, u.access(), id, &n, state.today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/estates/{id}/elevators")).into_response()),
        Err(e) => elevators_page(&state, lang, &u, id, Outcome::failed("register", s, alert_of(e)?)).await,
    }
}

pub async fn elevator_request(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    du::estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let lid = errs.int(&s, "elevator_id");
    let on = errs.date(&s, "on", false).unwrap_or(state.today());
    let Some(lid) = lid.filter(|_| errs.is_empty()) else {
        return elevators_page(&state, lang, &u, id, Outcome::failed("request", s, if errs.is_empty() { "电梯：请选择".into() } else { errs_text(&errs, LABELS) })).await;
    };
    match du::request_inspection(&state.db, u.access(), id, lid, on, state.today()).await {
        Ok(()) => Ok(Redirect::to(&format!("/estates/{id}/elevators")).into_response()),
        Err(e) => elevators_page(&state, lang, &u, id, Outcome::failed("request", s, alert_of(e)?)).await,
    }
}

pub async fn elevator_renew(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    du::estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let lid = errs.int(&s, "elevator_id");
    let exp = errs.date(&s, "certificate_expires", true);
    let (Some(lid), Some(exp)) = (lid, exp) else {
        return elevators_page(&state, lang, &u, id, Outcome::failed("renew", s, if errs.is_empty() { "电梯：请选择".into() } else { errs_text(&errs, LABELS) })).await;
    };
    match du::renew_certificate(&state.db, u.access(), id, lid, exp, state.today()).await {
        Ok(()) => Ok(Redirect::to(&format!("/estates/{id}/elevators")).into_response()),
        Err(e) => elevators_page(&state, lang, &u, id, Outcome::failed("renew", s, alert_of(e)?)).await,
    }
}

// ---------------------------------------------------------------------------------------
// E-bikes

#[derive(Template)]
#[template(path = "safety_ebikes.html")]
pub struct EbikesPage {
    pub c: PageCtx,
    pub b: Base,
    pub ebikes: Vec<Ebike>,
    pub violations: Vec<Violation>,
    pub reminders: Vec<Reminder>,
    /// (id, label) of the estate's houses (at most 500).
    pub houses: Vec<(i64, String)>,
}

impl EbikesPage {
    pub fn kinds(&self) -> &'static [(&'static str, &'static str)] {
        &VIOLATION_KINDS
    }
    pub fn channels(&self) -> &'static [(&'static str, &'static str)] {
        &REMINDER_CHANNELS
    }
    pub fn channel_label(&self, c: &str) -> &'static str {
        label_in(&REMINDER_CHANNELS, c)
    }
    pub fn reminders_of(&self, v: &i64) -> Vec<&Reminder> {
        self.reminders.iter().filter(|r| r.violation_id == *v).collect()
    }
    pub fn open_count(&self) -> usize {
        self.violations.iter().filter(|v| !v.resolved).count()
    }
}

async fn ebikes_page(state: &AppState, lang: Lang, u: &User, id: i64, o: Outcome) -> PageResult {
    let status = o.status();
    let (c, b) = base(state, lang, u, id, "电动自行车", &format!("/estates/{id}/ebikes"), o).await?;
    let (db, a, today) = (&state.db, u.access(), b.today);
    let rows: Vec<(i64, String, String, String)> = wuye_store::on!(db, p => wuye_store::sqlx::query_as(
        "SELECT h.id, b.no, u.no, h.room_no FROM houses h JOIN buildings b ON b.id = h.building_id JOIN units u ON u.id = h.unit_id WHERE h.estate_id = $1 ORDER BY b.no, u.no, h.room_no LIMIT 500")
        .bind(b.estate_id).fetch_all(p).await).map_err(StoreError::from)?;
    let houses = rows.into_iter().map(|(i, bn, un, r)| (i, if un.is_empty() { format!("{bn}号楼{r}") } else { format!("{bn}号楼{un}单元{r}") })).collect();
    let page = EbikesPage { ebikes: du::ebikes(db, a, id, today).await?, violations: du::violations(db, a, id, today).await?, reminders: du::reminders(db, a, id, today).await?, houses, c, b };
    Ok((status, render(&page)?).into_response())
}

pub async fn ebikes(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    ebikes_page(&state, lang, &u, id, Outcome::none()).await
}

fn back_to_ebikes(id: i64) -> PageResult {
    Ok(Redirect::to(&format!("/estates/{id}/ebikes")).into_response())
}

pub async fn ebike_register(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    du::estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let house = errs.int(&s, "house_id");
    if !errs.is_empty() {
        return ebikes_page(&state, lang, &u, id, Outcome::failed("register", s, errs_text(&errs, LABELS))).await;
    }
    let n = NewEbike { plate: s.get("plate"), user_name: s.get("user_name"), phone: s.get("phone"), house_id: house };
    match du::register_ebike(&state.db, u.access(), id, &n, state.today()).await {
        Ok(_) => back_to_ebikes(id),
        Err(e) => ebikes_page(&state, lang, &u, id, Outcome::failed("register", s, alert_of(e)?)).await,
    }
}

pub async fn ebike_violation(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    du::estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let bike = errs.int(&s, "ebike_id");
    let found = errs.date(&s, "found_on", false);
    if !errs.is_empty() {
        return ebikes_page(&state, lang, &u, id, Outcome::failed("violation", s, errs_text(&errs, LABELS))).await;
    }
    let n = NewViolation { ebike_id: bike, kind: s.get("kind"), place: s.get("place"), found_on: found };
    match du::record_violation(&state.db, u.access(), id, &n, state.today()).await {
        Ok(_) => back_to_ebikes(id),
        Err(e) => ebikes_page(&state, lang, &u, id, Outcome::failed("violation", s, alert_of(e)?)).await,
    }
}

/// One of the steps on a violation: `remind`, `move`, `resolve` (field `step`).
pub async fn ebike_step(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let today = state.today();
    du::estate(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let vid = errs.int(&s, "violation_id");
    let on = errs.date(&s, "on", false).unwrap_or(today);
    let step = s.get("step");
    let form = format!("{step}-{}", s.get("violation_id"));
    let Some(vid) = vid.filter(|_| errs.is_empty()) else {
        return ebikes_page(&state, lang, &u, id, Outcome::failed(&form, s, if errs.is_empty() { "违规记录：请选择".into() } else { errs_text(&errs, LABELS) })).await;
    };
    let r = match step.as_str() {
        "remind" => du::remind(&state.db, u.access(), id, vid, &s.get("channel"), on, today).await.map(|_| ()),
        "move" => du::move_and_tell(&state.db, u.access(), id, vid, &s.get("told_owner"), on, today).await,
        "resolve" => du::resolve_violation(&state.db, u.access(), id, vid, today).await,
        other => Err(StoreError::Invalid(format!("步骤：「{other}」应为 remind、move 或 resolve"))),
    };
    match r {
        Ok(()) => back_to_ebikes(id),
        Err(e) => ebikes_page(&state, lang, &u, id, Outcome::failed(&form, s, alert_of(e)?)).await,
    }
}

// ---------------------------------------------------------------------------------------
// Emergency plans, trainings and drills

#[derive(Template)]
#[template(path = "safety_plans.html")]
pub struct PlansPage {
    pub c: PageCtx,
    pub b: Base,
    pub plans: Vec<Plan>,
    pub trainings: Vec<Training>,
    pub compliance: Vec<ComplianceItem>,
}

impl PlansPage {
    pub fn kinds(&self) -> &'static [(&'static str, &'static str)] {
        &PLAN_KINDS
    }
    /// The latest version of each kind.
    pub fn current(&self) -> Vec<&Plan> {
        let mut out: Vec<&Plan> = Vec::new();
        for p in &self.plans {
            if !out.iter().any(|q| q.kind == p.kind) {
                out.push(p);
            }
        }
        out
    }
    pub fn older(&self) -> Vec<&Plan> {
        let cur: Vec<i64> = self.current().iter().map(|p| p.id).collect();
        self.plans.iter().filter(|p| !cur.contains(&p.id)).collect()
    }
}

async fn plans_page(state: &AppState, lang: Lang, u: &User, id: i64, o: Outcome) -> PageResult {
    let status = o.status();
    let (c, b) = base(state, lang, u, id, "应急预案与演练", &format!("/estates/{id}/emergency"), o).await?;
    let (db, a, today) = (&state.db, u.access(), b.today);
    du::ensure_duties(db, b.estate_id, today).await?;
    let page = PlansPage { plans: du::plans(db, a, id, today).await?, trainings: du::trainings(db, a, id, today).await?, compliance: du::compliance(db, a, id, today).await?, c, b };
    Ok((status, render(&page)?).into_response())
}

pub async fn emergency(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    plans_page(&state, lang, &u, id, Outcome::none()).await
}

pub async fn plan_add(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    du::estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let approved = errs.date(&s, "approved_on", false);
    let review = errs.date(&s, "review_due", false);
    if !errs.is_empty() {
        return plans_page(&state, lang, &u, id, Outcome::failed("plan", s, errs_text(&errs, LABELS))).await;
    }
    let n = NewPlan { kind: s.get("kind"), title: s.get("title"), body: s.get("body"), approved_on: approved, review_due: review };
    match du::add_plan(&state.db, u.access(), id, &n, state.today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/estates/{id}/emergency")).into_response()),
        Err(e) => plans_page(&state, lang, &u, id, Outcome::failed("plan", s, alert_of(e)?)).await,
    }
}

/// Records a training or drill (multipart: photos).
pub async fn training_add(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, req: axum::extract::Request) -> PageResult {
    du::estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (s, photos) = match form_and_photos(req).await {
        Ok(x) => x,
        Err(m) => return plans_page(&state, lang, &u, id, Outcome::failed("training", Submitted::default(), m)).await,
    };
    let mut errs = Errors::default();
    let held = errs.date(&s, "held_on", true);
    let count = errs.int(&s, "attendee_count").unwrap_or(0);
    if !errs.is_empty() {
        return plans_page(&state, lang, &u, id, Outcome::failed("training", s, errs_text(&errs, LABELS))).await;
    }
    let n = NewTraining { kind: s.get("kind"), plan_kind: s.get("plan_kind"), held_on: held, title: s.get("title"), attendees: s.get("attendees"), attendee_count: count, note: s.get("note") };
    match du::record_training(&state.db, u.access(), id, &n, &photos, state.today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/estates/{id}/emergency")).into_response()),
        Err(e) => plans_page(&state, lang, &u, id, Outcome::failed("training", s, alert_of(e)?)).await,
    }
}

// ---------------------------------------------------------------------------------------
// The estate's ledger

/// The duty sheets of the estate's safety ledger (台账): duties with their records,
/// elevators, e-bikes and violations, plans, trainings and drills. The ledger itself
/// ([`super::inspections::estate_ledger`]) puts them after the inspections and hazards.
pub async fn ledger_sheets(db: &wuye_store::Db, a: &wuye_store::access::Access, id: i64, today: NaiveDate) -> Result<Vec<wuye_ledger::Sheet<'static>>, PageError> {
    let t = |s: &str| Out::from(s.to_string());
    let dt = |d: Option<NaiveDate>| d.map(|x| Out::from(x.to_string())).unwrap_or(Out::Empty);
    let duties = du::duties(db, a, id, today).await?;
    let label = |i: i64| duties.iter().find(|d| d.id == i).map(|d| format!("{}{}", d.kind_label(), if d.subject.is_empty() { String::new() } else { format!(" · {}", d.subject) })).unwrap_or_default();
    let duty_rows: Vec<Vec<Out>> = duties
        .iter()
        .map(|d| vec![t(d.kind_label()), t(&d.subject), t(&d.interval_label()), dt(Some(d.since)), dt(d.last_done), dt(Some(d.next_due)), t(if d.active { d.status_label() } else { "停止" })])
        .collect();
    let record_rows: Vec<Vec<Out>> = du::records(db, a, id, 100_000, today).await?.into_iter().map(|r| vec![t(&label(r.duty_id)), dt(Some(r.done_on)), t(&r.done_by), t(&r.note), Out::Int(r.photos), t(&r.actor)]).collect();
    let lift_rows: Vec<Vec<Out>> = du::elevators(db, a, id, today)
        .await?
        .into_iter()
        .map(|l| {
            vec![
                t(&l.registration_no),
                t(l.building_no.as_deref().unwrap_or("")),
                t(&l.location),
                t(&l.maintainer),
                dt(Some(l.certificate_expires)),
                dt(l.request_by),
                dt(l.inspection_requested_on),
                t(l.alert_label()),
                dt(l.last_maintained),
                dt(l.maintenance_due),
                t(l.maintenance_label()),
            ]
        })
        .collect();
    let bike_rows: Vec<Vec<Out>> = du::ebikes(db, a, id, today).await?.into_iter().map(|k| vec![Out::Int(k.id), t(if k.plate.is_empty() { "无牌" } else { &k.plate }), t(&k.user_name), t(&k.phone), t(&k.house)]).collect();
    let violation_rows: Vec<Vec<Out>> = du::violations(db, a, id, today)
        .await?
        .into_iter()
        .map(|v| vec![dt(Some(v.found_on)), t(v.kind_label()), t(&v.place), t(v.plate.as_deref().unwrap_or("")), t(v.user_name.as_deref().unwrap_or("")), Out::Int(v.reminders), dt(v.moved_on), t(&v.told_owner), t(if v.resolved { "已处理" } else { "未处理" })])
        .collect();
    let plan_rows: Vec<Vec<Out>> = du::plans(db, a, id, today).await?.into_iter().map(|p| vec![t(p.kind_label()), Out::Int(p.version), t(&p.title), dt(Some(p.approved_on)), dt(Some(p.review_due)), t(if p.review_overdue { "已过复审日期" } else { "" })]).collect();
    let training_rows: Vec<Vec<Out>> = du::trainings(db, a, id, today)
        .await?
        .into_iter()
        .map(|x| vec![dt(Some(x.held_on)), t(x.kind_label()), t(x.plan_label()), t(&x.title), Out::Int(x.attendee_count), t(&x.attendees.replace('\n', "、")), Out::Int(x.photos), t(&x.note)])
        .collect();
    let sheets = vec![
        wuye_ledger::Sheet { name: "安全事项", headers: &["事项", "对象", "周期", "起算日期", "上次完成", "下次到期", "状态"], rows: duty_rows },
        wuye_ledger::Sheet { name: "完成记录", headers: &["事项", "完成日期", "实施单位或人员", "情况", "照片", "登记人"], rows: record_rows },
        wuye_ledger::Sheet {
            name: "电梯",
            headers: &["使用登记证编号", "楼栋", "位置", "维保单位", "检验合格证有效期", "定期检验申请截止", "已申请检验", "检验提醒", "上次维保", "下次维保", "维保状态"],
            rows: lift_rows,
        },
        wuye_ledger::Sheet { name: "电动自行车", headers: &["编号", "号牌", "使用人", "联系电话", "房屋"], rows: bike_rows },
        wuye_ledger::Sheet { name: "违规停放充电", headers: &["发现日期", "类型", "地点", "号牌", "使用人", "提醒次数", "移车日期", "告知车主", "处理"], rows: violation_rows },
        wuye_ledger::Sheet { name: "应急预案", headers: &["类型", "版本", "标题", "批准日期", "复审日期", "提示"], rows: plan_rows },
        wuye_ledger::Sheet { name: "培训与演练", headers: &["日期", "类型", "预案", "标题", "参加人数", "参加人员", "照片", "说明"], rows: training_rows },
    ];
    Ok(sheets)
}

// ---------------------------------------------------------------------------------------
// Across the caller's estates

/// Filters of `/safety/duties`, in the URL.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DueQuery {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub region: Option<String>,
    pub estate_id: Option<String>,
}

impl DueQuery {
    fn filter(&self) -> DueFilter {
        let ne = |s: &Option<String>| s.clone().filter(|x| !x.trim().is_empty());
        DueFilter { status: ne(&self.status), kind: ne(&self.kind), region: ne(&self.region), estate_id: self.estate_id.as_deref().and_then(|x| x.trim().parse().ok()) }
    }
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let g = |s: &Option<String>| s.clone().unwrap_or_default();
        vec![("status", g(&self.status)), ("kind", g(&self.kind)), ("region", g(&self.region)), ("estate_id", g(&self.estate_id))]
    }
}

#[derive(Template)]
#[template(path = "safety_duty_list.html")]
pub struct DueListPage {
    pub c: PageCtx,
    pub duties: Vec<Duty>,
    pub alerts: Vec<Elevator>,
    pub q: DueQuery,
    pub export_xlsx: String,
    pub export_csv: String,
    pub kinds: Vec<(&'static str, &'static str)>,
    /// Regulators set the tank-cleaning interval of their region.
    pub may_settings: bool,
    pub settings: Vec<du::RegionSetting>,
    pub alert: Option<String>,
    pub today: NaiveDate,
}

impl DueListPage {
    pub fn sel(&self, field: &str, v: &str) -> bool {
        let cur = match field {
            "status" => &self.q.status,
            "kind" => &self.q.kind,
            _ => &None,
        };
        cur.as_deref() == Some(v)
    }
    pub fn region_v(&self) -> String {
        self.q.region.clone().unwrap_or_default()
    }
    pub fn overdue_count(&self) -> usize {
        self.duties.iter().filter(|d| d.status == "overdue").count()
    }
}

async fn due_page(state: &AppState, lang: Lang, u: &User, q: DueQuery, alert: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let f = q.filter();
    let duties = du::due_list(db, a, &f, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    // Certificate alerts go with the elevator duty kind or no kind filter.
    let alerts = if f.kind.as_deref().is_none_or(|k| k == "elevator_maintenance") { du::certificate_alerts(db, a, &f, today).await? } else { Vec::new() };
    let c = PageCtx::new(lang, &u.0, "safety_duties", lang.t("安全事项提醒")).crumb(lang.t("安全"), "").crumb(lang.t("安全事项提醒"), "").here("/safety/duties");
    let ex = q.pairs();
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = DueListPage {
        duties,
        alerts,
        export_xlsx: link("/safety/duties/export.xlsx", &ex),
        export_csv: link("/safety/duties/export.csv", &ex),
        kinds: DutyKind::ALL.iter().map(|k| (k.code(), k.label_zh())).collect(),
        may_settings: matches!(a.role(), Role::Admin | Role::Regulator),
        settings: du::region_settings(db, a).await?,
        alert,
        today,
        q,
        c,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn due_list(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<DueQuery>) -> PageResult {
    due_page(&state, lang, &u, q, None).await
}

/// Sets a region's tank-cleaning interval (regulators).
pub async fn tank_setting(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    let mut errs = Errors::default();
    let months = errs.int(&s, "tank_months");
    let Some(months) = months.filter(|_| errs.is_empty()) else {
        return due_page(&state, lang, &u, DueQuery::default(), Some(if errs.is_empty() { "清洗周期：须填写 1–12 个月".into() } else { errs_text(&errs, LABELS) })).await;
    };
    match du::set_tank_months(&state.db, u.access(), &s.get("region_code"), months, state.today()).await {
        Ok(()) => Ok(Redirect::to("/safety/duties").into_response()),
        Err(e) => due_page(&state, lang, &u, DueQuery::default(), Some(alert_of(e)?)).await,
    }
}

async fn due_export(state: AppState, u: User, q: DueQuery, file: &str) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    a.require(Action::Export, Resource::Safety)?;
    let f = q.filter();
    let t = |s: &str| Out::from(s.to_string());
    let mut rows: Vec<Vec<Out>> = du::due_list(db, a, &f, today)
        .await?
        .into_iter()
        .map(|d| {
            vec![
                t(&d.estate_name),
                t(&d.region_code),
                t(d.kind_label()),
                t(&d.subject),
                t(&d.interval_label()),
                d.last_done.map(|x| t(&x.to_string())).unwrap_or(Out::Empty),
                t(&d.next_due.to_string()),
                t(d.status_label()),
            ]
        })
        .collect();
    if f.kind.as_deref().is_none_or(|k| k == "elevator_maintenance") {
        for l in du::certificate_alerts(db, a, &f, today).await? {
            let by = l.request_by.map(|x| x.to_string()).unwrap_or_default();
            rows.push(vec![t(&l.estate_name), Out::Empty, t("电梯定期检验申请"), t(&l.registration_no), t("检验合格证有效期前一个月"), Out::Empty, t(&by), t(du::status_label(&l.certificate_alert))]);
        }
    }
    super::super::dashboard::file_response(file, &format!("安全事项提醒-{today}"), "安全事项", &["小区", "区划", "事项", "对象", "周期", "上次完成", "到期日", "状态"], rows)
}

pub async fn due_export_xlsx(State(state): State<AppState>, u: User, Query(q): Query<DueQuery>) -> PageResult {
    due_export(state, u, q, "duties.xlsx").await
}

pub async fn due_export_csv(State(state): State<AppState>, u: User, Query(q): Query<DueQuery>) -> PageResult {
    due_export(state, u, q, "duties.csv").await
}
