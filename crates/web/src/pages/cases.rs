//! Cases on the web: joint-conference matters, law-enforcement referrals and dispute
//! mediation through one page each for the list, the inbox and a case (the engine is
//! shared, so is the page: one generic step form per step the caller may take), the open
//! forms (a matter dispatched from a meeting, a violation reported, a dispute brought to
//! mediation — the last two phone-first for owners), meetings with their minutes and
//! matters, the directory of organisations and the regional working-day calendar. Every
//! access check is the store's ([`wuye_store::cases`]).

use super::{Pager, link, render};
use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::{Errors, Submitted};
use crate::i18n::Lang;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use wuye_domain::account::{Action, Resource, Role, Scope};
use wuye_domain::calendar::Calendar;
use wuye_domain::cases::{By, CaseKind, DISPUTE_CATEGORIES, DeadlineRule, HolderRule, REFERRAL_CATEGORIES, Step, competent_for, is_due_soon, is_overdue};
use wuye_ledger::Out;
use wuye_store::cases::{self as cs, AgreementInput, Agreement, Attachment, CalendarDay, Case, CaseFilter, Meeting, NewCase, NewMeeting, Notice, Organisation, Party, StepInput, TimelineStep, Upload};
use wuye_store::registry::{self as reg, Estate};
use wuye_store::{StoreError, region};

type PageResult = Result<Response, PageError>;

/// Store errors on an action: shown on the page when the input or the state is wrong,
/// else the error page (403 names what is not allowed).
fn alert_of(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

/// A store message put next to the field it names (its label starts the message), so the
/// form marks the field as well as showing the message above.
fn field_errs(m: &str, labels: &[(&str, &'static str)]) -> Errors {
    let mut errs = Errors::default();
    if let Some((_, f)) = labels.iter().find(|(l, _)| m.starts_with(l)) {
        errs.add(f, m.to_string());
    }
    errs
}

const MATTER_LABELS: [(&str, &str); 5] = [("期限", "deadline"), ("承办部门", "holder_org_id"), ("协办部门", "helpers"), ("附件", "files"), ("标题", "title")];
const INTAKE_LABELS: [(&str, &str); 8] =
    [("当事人 1", "applicant"), ("当事人 2", "respondent"), ("当事人：", "respondent"), ("纠纷类别", "category"), ("违法行为类别", "category"), ("房屋", "house_id"), ("附件", "files"), ("标题", "title")];

fn status_of(alert: &Option<String>) -> StatusCode {
    if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }
}

/// The deadline badge of a case: 逾期 (red), 临期 (amber: within 2 working days), or none.
pub fn due(c: &Case, today: NaiveDate) -> (&'static str, &'static str) {
    if is_overdue(c.deadline, c.closed, today) {
        ("逾期", "red")
    } else if is_due_soon(c.deadline, c.closed, today, &Calendar::national()) {
        ("临期", "amber")
    } else {
        ("", "")
    }
}

/// Colour of a case's state: closed and done green, closed otherwise grey, open amber
/// (red when overdue).
pub fn state_css(c: &Case, today: NaiveDate) -> &'static str {
    if c.closed {
        if matches!(c.state.as_str(), "confirmed" | "handled" | "agreed") { "green" } else { "grey" }
    } else if is_overdue(c.deadline, c.closed, today) {
        "red"
    } else {
        "amber"
    }
}

/// The label of a category (dispute or referral) by its code.
pub fn category_label(kind: &str, code: &str) -> &'static str {
    let list: &[(&str, &str)] = if kind == "dispute" { &DISPUTE_CATEGORIES } else if kind == "referral" { &REFERRAL_CATEGORIES } else { &[] };
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

pub fn kind_label(kind: &str) -> &'static str {
    CaseKind::parse(kind).map(|k| k.label_zh()).unwrap_or("")
}

pub fn side_label(side: &str) -> &'static str {
    if side == "applicant" { "申请人" } else { "被申请人" }
}

use wuye_domain::cases::PARTY_KINDS;

pub fn party_kind_label(k: &str) -> &'static str {
    PARTY_KINDS.iter().find(|(c, _)| *c == k).map(|(_, l)| *l).unwrap_or("其他")
}

/// A form read with all its files (several per field, `multiple`): text fields into
/// [`Submitted`], each non-empty file into the uploads. Urlencoded forms have no files.
async fn form_and_files(req: axum::extract::Request) -> Result<(Submitted, Vec<Upload>), String> {
    let (s, files) = crate::form::form_with_file_list(req).await?;
    // A file input left empty still sends a part without name and bytes.
    let files = files.into_iter().filter(|(_, f)| !(f.file_name.is_empty() && f.bytes.is_empty())).map(|(_, f)| Upload { file_name: f.file_name, bytes: f.bytes }).collect();
    Ok((s, files))
}

/// Departments the caller may name (dispatch, referral), those of `first` kinds first.
async fn departments(state: &AppState, u: &User, first: &[&str]) -> Result<Vec<Organisation>, PageError> {
    let mut v: Vec<Organisation> = cs::organisations(&state.db, u.access(), None).await?.into_iter().filter(|o| o.is_department()).collect();
    v.sort_by_key(|o| first.iter().position(|k| *k == o.kind).unwrap_or(first.len()));
    Ok(v)
}

// ---------------------------------------------------------------------------------------
// The list and its export

/// Filters of the case list, in the URL.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub estate_id: Option<String>,
    pub holder_org_id: Option<String>,
    pub region: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> CaseFilter {
        let num = |s: &Option<String>| s.as_deref().and_then(|x| x.trim().parse::<i64>().ok());
        CaseFilter {
            kind: self.kind.clone().filter(|s| !s.is_empty()),
            status: self.status.clone().filter(|s| !s.is_empty()),
            estate_id: num(&self.estate_id),
            holder_org_id: num(&self.holder_org_id),
            region: self.region.clone().filter(|s| !s.is_empty()),
            meeting_id: None,
            q: self.q.clone().filter(|s| !s.trim().is_empty()),
            page: num(&self.page),
        }
    }
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let g = |s: &Option<String>| s.clone().unwrap_or_default();
        vec![("kind", g(&self.kind)), ("status", g(&self.status)), ("estate_id", g(&self.estate_id)), ("holder_org_id", g(&self.holder_org_id)), ("region", g(&self.region)), ("q", g(&self.q))]
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
pub struct CasesPage {
    pub c: PageCtx,
    pub cases: Vec<Case>,
    pub pager: Pager,
    pub q: ListQuery,
    pub holders: Vec<Organisation>,
    /// (code, label) of the states of the chosen kind.
    pub states: Vec<(&'static str, &'static str)>,
    pub export_xlsx: String,
    pub export_csv: String,
    pub today: NaiveDate,
}

impl CasesPage {
    pub fn sel(&self, field: &str, v: &str) -> bool {
        let cur = match field {
            "kind" => &self.q.kind,
            "status" => &self.q.status,
            "holder_org_id" => &self.q.holder_org_id,
            _ => &None,
        };
        cur.as_deref() == Some(v)
    }
    pub fn qv(&self, field: &str) -> String {
        match field {
            "q" => self.q.q.clone(),
            "estate_id" => self.q.estate_id.clone(),
            "region" => self.q.region.clone(),
            _ => None,
        }
        .unwrap_or_default()
    }
}

fn menu_of(kind: Option<&str>) -> &'static str {
    match kind {
        Some("matter") => "matters",
        Some("referral") => "referrals",
        Some("dispute") => "disputes",
        _ => "cases",
    }
}

pub async fn list(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<ListQuery>) -> PageResult {
    let today = state.today();
    let f = q.filter();
    let page = cs::list(&state.db, u.access(), &f, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let pairs = q.pairs();
    let base = link("/cases", &pairs);
    let title = f.kind.as_deref().and_then(CaseKind::parse).map(|k| lang.t(k.label_zh()).to_string()).unwrap_or_else(|| lang.t("案件").to_string());
    let c = PageCtx::new(lang, &u.0, menu_of(f.kind.as_deref()), title.clone()).crumb(lang.t("案件办理"), "/cases").crumb(title, "").here(base.clone());
    let pager = Pager::new(&c, &page, &base);
    let holders = cs::organisations(&state.db, u.access(), None).await?;
    let states = match f.kind.as_deref().and_then(CaseKind::parse) {
        Some(k) => k.flow().states.iter().map(|s| (s.code, s.label_zh)).collect(),
        None => Vec::new(),
    };
    let mut ex = pairs.clone();
    ex.retain(|(k, _)| *k != "page");
    Ok(render(&CasesPage { c, cases: page.items, pager, holders, states, export_xlsx: link("/cases/export.xlsx", &ex), export_csv: link("/cases/export.csv", &ex), today, q })?.into_response())
}

/// The list's rows as a file: exactly what the filters show (all pages).
async fn export(state: AppState, u: User, q: ListQuery, file: &str) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    a.require(Action::Export, Resource::Case)?;
    let f = q.filter();
    let needle = f.q.as_deref().map(|s| s.trim().to_string()).unwrap_or_default();
    let t = |s: &str| Out::from(s.to_string());
    let rows = cs::export_rows(db, a, &f, today)
        .await?
        .into_iter()
        .filter(|c| needle.is_empty() || c.title.contains(&needle))
        .map(|c| {
            let (d, _) = due(&c, today);
            vec![
                Out::Int(c.id),
                t(c.kind().label_zh()),
                t(&c.title),
                t(c.estate_name.as_deref().unwrap_or("")),
                t(&c.lead),
                t(c.state_label()),
                c.deadline.map(|x| t(&x.to_string())).unwrap_or(Out::Empty),
                t(d),
                c.escalated_on.map(|x| t(&x.to_string())).unwrap_or(Out::Empty),
                c.closed_on.map(|x| t(&x.to_string())).unwrap_or(Out::Empty),
            ]
        })
        .collect();
    super::dashboard::file_response(file, &format!("案件-{today}"), "案件", &["编号", "类型", "标题", "小区", "承办部门", "状态", "期限", "逾期/临期", "升级督办", "办结日期"], rows)
}

pub async fn export_xlsx(State(state): State<AppState>, u: User, Query(q): Query<ListQuery>) -> PageResult {
    export(state, u, q, "cases.xlsx").await
}

pub async fn export_csv(State(state): State<AppState>, u: User, Query(q): Query<ListQuery>) -> PageResult {
    export(state, u, q, "cases.csv").await
}

// ---------------------------------------------------------------------------------------
// The inbox and an owner's own cases

#[derive(Template)]
#[template(path = "cases_inbox.html")]
pub struct InboxPage {
    pub c: PageCtx,
    pub cases: Vec<Case>,
    pub notices: Vec<Notice>,
    pub today: NaiveDate,
}

pub async fn inbox(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    let (db, a) = (&state.db, u.access());
    let cases = cs::inbox(db, a, 200).await.map_err(|x| PageError::from(x).lang(lang))?;
    let notices = cs::notices(db, a, 100).await?;
    let c = PageCtx::new(lang, &u.0, "inbox", lang.t("待办")).crumb(lang.t("案件办理"), "/cases").crumb(lang.t("待办"), "").here("/cases/inbox");
    Ok(render(&InboxPage { c, cases, notices, today: state.today() })?.into_response())
}

#[derive(Template)]
#[template(path = "cases_my.html")]
pub struct MyCasesPage {
    pub c: PageCtx,
    pub cases: Vec<Case>,
    /// The owner's estates (id, name), to open a new one.
    pub estates: Vec<(i64, String)>,
    pub today: NaiveDate,
}

/// The cases the caller opened or is a party to (an owner's 我的诉求), phone-first.
pub async fn my_cases(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let page = cs::list(db, a, &CaseFilter::default(), today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut estates: Vec<(i64, String)> = Vec::new();
    if a.role() == Role::Owner {
        for h in reg::list_houses(db, a, &reg::ListQuery::default(), &reg::HouseFilter::default(), today).await?.items {
            if !estates.iter().any(|(i, _)| *i == h.estate_id) {
                estates.push((h.estate_id, h.estate_name.clone()));
            }
        }
    }
    let c = PageCtx::new(lang, &u.0, "my_cases", lang.t("我的诉求")).crumb(lang.t("我的诉求"), "").here("/my/cases");
    Ok(render(&MyCasesPage { c, cases: page.items, estates, today })?.into_response())
}

// ---------------------------------------------------------------------------------------
// A case

/// One step the caller may take, as a form.
pub struct StepForm {
    pub action: &'static str,
    pub label: &'static str,
    /// The note's label when a note is required, else the optional note's.
    pub note: Option<&'static str>,
    /// The caller gives the deadline.
    pub deadline: bool,
    /// The caller names the organisation.
    pub holder: bool,
    /// Dispute acceptance: a consent checkbox per party.
    pub consents: bool,
    /// Dispute agreement fields.
    pub agreement: bool,
    /// Hint about what the step does to the deadline.
    pub hint: String,
    /// A closing step (a confirm prompt).
    pub closes: bool,
}

fn step_form(k: CaseKind, s: &'static Step) -> StepForm {
    let hint = match s.deadline {
        DeadlineRule::WorkingDays(n) => format!("期限：{n} 个工作日"),
        DeadlineRule::Months(n) => format!("期限：{n} 个月（一般在一个月内调结）"),
        _ => String::new(),
    };
    StepForm {
        action: s.action,
        label: s.label_zh,
        note: s.note,
        deadline: s.deadline == DeadlineRule::Given,
        holder: s.holder == HolderRule::Given,
        consents: k == CaseKind::Dispute && s.action == "accept",
        agreement: k == CaseKind::Dispute && s.action == "agree",
        hint,
        closes: k.flow().state(s.to).is_some_and(|x| x.closed),
    }
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub c: PageCtx,
    pub k: Case,
    pub parties: Vec<Party>,
    pub helpers: Vec<Organisation>,
    pub agreement: Option<Agreement>,
    /// Each step with its attachments.
    pub steps: Vec<(TimelineStep, Vec<Attachment>)>,
    pub forms: Vec<StepForm>,
    /// Departments to name, competent first.
    pub departments: Vec<Organisation>,
    /// The caller holds the case (records agreement events, satisfaction).
    pub holds: bool,
    /// Parties whose satisfaction the caller may record.
    pub raters: Vec<Party>,
    pub meeting_title: Option<String>,
    pub today: NaiveDate,
    pub s: Submitted,
    /// The step whose form was sent with an error (its values are kept).
    pub failed: String,
    pub alert: Option<String>,
    pub notice: Option<String>,
}

impl CasePage {
    /// The entered value of a field of the failed form.
    pub fn v(&self, action: &str, field: &str) -> String {
        if self.failed == action { self.s.get(field) } else { String::new() }
    }
    pub fn checked(&self, action: &str, field: &str) -> bool {
        self.failed == action && !self.s.get(field).is_empty()
    }
    pub fn due(&self) -> (&'static str, &'static str) {
        due(&self.k, self.today)
    }
    pub fn is_dispute(&self) -> bool {
        self.k.kind == "dispute"
    }
    pub fn is_matter(&self) -> bool {
        self.k.kind == "matter"
    }
    /// The judicial-confirmation deadline has passed without an application.
    pub fn judicial_late(&self, g: &Agreement) -> bool {
        g.judicial_applied_on.is_none() && self.today > g.judicial_due
    }
    pub fn action_label(&self, action: &str) -> &'static str {
        if action == "escalate" {
            return "升级督办";
        }
        self.k.kind().flow().step_def(action).map(|s| s.label_zh).unwrap_or("")
    }
    pub fn to_label(&self, state: &str) -> &'static str {
        self.k.kind().flow().state_label(state)
    }
    pub fn attachments_of(&self) -> Vec<&Attachment> {
        self.steps.iter().flat_map(|(_, a)| a.iter()).collect()
    }
}

#[allow(clippy::too_many_arguments)]
async fn case_page(state: &AppState, lang: Lang, u: &User, id: i64, s: Submitted, failed: String, alert: Option<String>, notice: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let k = cs::get(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    cs::mark_read(db, a, id).await?;
    let parties = cs::parties(db, a, id, today).await?;
    let helpers = cs::helpers(db, a, id, today).await?;
    let agreement = cs::agreement(db, a, id, today).await?;
    let timeline = cs::timeline(db, a, id, today).await?;
    let mut files = cs::attachments(db, a, id, today).await?;
    let steps: Vec<(TimelineStep, Vec<Attachment>)> = timeline
        .into_iter()
        .map(|t| {
            let mine: Vec<Attachment> = files.iter().filter(|x| x.step_id == Some(t.id)).cloned().collect();
            files.retain(|x| x.step_id != Some(t.id));
            (t, mine)
        })
        .collect();
    let by = cs::roles_in(db, a, &k).await?;
    let kind = k.kind();
    let forms: Vec<StepForm> = kind.flow().steps_from(&k.state).into_iter().filter(|s| by.contains(&s.by)).map(|s| step_form(kind, s)).collect();
    let mut departments = if forms.iter().any(|f| f.holder) { departments(state, u, competent_for(&k.category)).await? } else { Vec::new() };
    // Reopening goes back, by default, to the department that reported the result.
    if forms.iter().any(|f| f.action == "reopen")
        && let Some(reporter) = steps.iter().rev().find(|(t, _)| t.action == "report").and_then(|(t, _)| t.org.clone())
    {
        departments.sort_by_key(|o| o.name != reporter);
    }
    let holds = by.contains(&By::Holder);
    let own_owner = match a.scope() {
        Scope::Owner(o) => Some(*o),
        _ => None,
    };
    let raters = if k.closed { parties.iter().filter(|p| holds || (own_owner.is_some() && p.owner_id == own_owner)).cloned().collect() } else { Vec::new() };
    let meeting_title = match k.meeting_id {
        Some(m) => cs::meeting(db, a, m).await.ok().map(|m| m.title),
        None => None,
    };
    let title = format!("{} · {}", lang.t(kind.label_zh()), k.title);
    let mut c = PageCtx::new(lang, &u.0, menu_of(Some(kind.code())), title).with_region(region::path(db, &k.region_code).await?);
    c = if a.role() == Role::Owner { c.crumb(lang.t("我的诉求"), "/my/cases") } else { c.crumb(lang.t(kind.label_zh()), format!("/cases?kind={}", kind.code())) };
    let c = c.crumb(format!("#{id} {}", k.title), "").here(format!("/cases/{id}"));
    let status = status_of(&alert);
    Ok((status, render(&CasePage { c, k, parties, helpers, agreement, steps, forms, departments, holds, raters, meeting_title, today, s, failed, alert, notice })?).into_response())
}

pub async fn case(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    case_page(&state, lang, &u, id, Submitted::default(), String::new(), None, None).await
}

/// Reads the generic step form into a [`StepInput`]; field errors as one message.
fn step_input(s: &Submitted) -> Result<StepInput, String> {
    let mut errs = Errors::default();
    let deadline = errs.date(s, "deadline", false);
    let holder = errs.int(s, "holder_org_id");
    let consents = s.0.keys().filter_map(|k| k.strip_prefix("consent_").and_then(|q| q.parse::<i64>().ok())).map(|q| (q, s.get(&format!("consent_{q}")) == "1")).collect();
    let agreement = if s.get("action") == "agree" {
        let effective = errs.date(s, "effective_on", true);
        let perf = errs.date(s, "performance_deadline", true);
        match (effective, perf) {
            (Some(effective_on), Some(performance_deadline)) => Some(AgreementInput {
                oral: s.get("oral") == "1",
                facts: s.get("facts"),
                terms: s.get("terms"),
                performance: s.get("performance"),
                performance_deadline,
                signed_by_parties: s.get("signed_by_parties") == "1",
                signed_by_mediator: s.get("signed_by_mediator") == "1",
                effective_on,
            }),
            _ => None,
        }
    } else {
        None
    };
    if !errs.is_empty() {
        let mut v: Vec<String> = errs.0.iter().map(|(k, m)| format!("{}：{m}", label_of(k))).collect();
        v.sort();
        return Err(v.join("；"));
    }
    Ok(StepInput { action: s.get("action"), note: s.get("note"), deadline, holder_org_id: holder, consents, agreement })
}

fn label_of(field: &str) -> &str {
    match field {
        "deadline" => "期限",
        "holder_org_id" => "承办部门",
        "effective_on" => "调解协议·生效日期",
        "performance_deadline" => "调解协议·履行期限",
        "held_on" => "会议日期",
        "day" => "日期",
        "date" => "日期",
        "title" => "标题",
        "category" => "类别",
        "convener_org_id" => "召集部门",
        other => other,
    }
}

/// Takes a step (one generic form; multipart with files).
pub async fn case_step(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, req: axum::extract::Request) -> PageResult {
    cs::get(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (s, files) = match form_and_files(req).await {
        Ok(x) => x,
        Err(m) => return case_page(&state, lang, &u, id, Submitted::default(), String::new(), Some(m), None).await,
    };
    let action = s.get("action");
    let input = match step_input(&s) {
        Ok(i) => i,
        Err(m) => return case_page(&state, lang, &u, id, s, action, Some(m), None).await,
    };
    match cs::step(&state.db, u.access(), id, &input, &files, state.today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            case_page(&state, lang, &u, id, s, action, Some(m), None).await
        }
    }
}

/// Records a party's satisfaction (1–5).
pub async fn case_rate(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    cs::get(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let seq = s.get("seq").parse::<i64>().unwrap_or(0);
    let Ok(v) = s.get("satisfaction").parse::<i64>() else {
        return case_page(&state, lang, &u, id, s, "rate".into(), Some("满意度：请选择 1–5".into()), None).await;
    };
    match cs::rate(&state.db, u.access(), id, seq, v, state.today()).await {
        Ok(()) => case_page(&state, lang, &u, id, Submitted::default(), String::new(), None, Some(lang.t("已记录满意度").to_string())).await,
        Err(e) => case_page(&state, lang, &u, id, s, "rate".into(), Some(alert_of(e)?), None).await,
    }
}

/// Records the joint application for judicial confirmation, or performance.
pub async fn case_agreement(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let today = state.today();
    cs::get(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let Some(date) = errs.date(&s, "date", true) else {
        return case_page(&state, lang, &u, id, s, "event".into(), Some("日期：必填".into()), None).await;
    };
    match cs::record_agreement_event(&state.db, u.access(), id, &s.get("event"), date, today).await {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => case_page(&state, lang, &u, id, s, "event".into(), Some(alert_of(e)?), None).await,
    }
}

/// An attachment, as uploaded (images and PDF inline, documents as downloads).
pub async fn attachment(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let (at, bytes) = cs::attachment(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let inline = at.content_type.starts_with("image/") || at.content_type == "application/pdf";
    let disposition = format!("{}; filename=\"attachment-{id}\"; filename*=UTF-8''{}", if inline { "inline" } else { "attachment" }, crate::ctx::urlencode(&at.file_name));
    Ok(([(header::CONTENT_TYPE, at.content_type.clone()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

// ---------------------------------------------------------------------------------------
// Opening: a violation reported, a dispute brought to mediation (phone-first for owners)

#[derive(Template)]
#[template(path = "case_new.html")]
pub struct CaseNewPage {
    pub c: PageCtx,
    pub e: Estate,
    /// `referral` or `dispute`.
    pub kind: &'static str,
    pub categories: Vec<(&'static str, &'static str)>,
    /// Houses the caller reaches in the estate (id, label).
    pub houses: Vec<(i64, String)>,
    /// Owners of the estate (not for owners) and enterprises with a contract.
    pub owners: Vec<(i64, String)>,
    pub firms: Vec<(i64, String)>,
    pub party_kinds: Vec<(&'static str, &'static str)>,
    /// The owner filing (id, name): the applicant, fixed.
    pub me: Option<(i64, String)>,
    pub s: Submitted,
    pub errs: Errors,
    pub alert: Option<String>,
}

impl CaseNewPage {
    pub fn err(&self, k: &str) -> String {
        self.errs.0.iter().find(|(n, _)| **n == k).map(|(_, v)| v.clone()).unwrap_or_default()
    }
    pub fn dispute(&self) -> bool {
        self.kind == "dispute"
    }
    /// The applicant's part of the form is fixed for an owner (themselves).
    pub fn fixed(&self, side: &str) -> bool {
        side == "applicant" && self.me.is_some()
    }
    pub fn sel(&self, k: &str, v: &str) -> bool {
        self.s.get(k) == v
    }
    pub fn sel_id(&self, k: &str, v: &i64) -> bool {
        self.s.get(k) == v.to_string()
    }
}

async fn owner_me(state: &AppState, u: &User) -> Option<(i64, String)> {
    match u.access().scope() {
        Scope::Owner(o) => reg::get_owner(&state.db, u.access(), *o, state.today()).await.ok().map(|w| (w.id, w.name)),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn case_new_page(state: &AppState, lang: Lang, u: &User, estate: i64, kind: &'static str, s: Submitted, errs: Errors, alert: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let e = reg::get_estate(db, a, estate, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    a.require(Action::Create, Resource::Case).map_err(|x| PageError::from(x).lang(lang))?;
    let (owners, firms) = cs::estate_parties(db, a, estate, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let houses = if a.can(Action::View, Resource::House) {
        reg::list_houses(db, a, &reg::ListQuery::default(), &reg::HouseFilter { estate_id: Some(estate), building_id: None }, today).await?.items.into_iter().map(|h| (h.id, h.label())).collect()
    } else {
        Vec::new()
    };
    let title = if kind == "dispute" { lang.t("申请调解") } else { lang.t("反映违法违规问题") };
    let c = PageCtx::new(lang, &u.0, if a.role() == Role::Owner { "my_cases" } else { menu_of(Some(kind)) }, title)
        .with_region(region::path(db, &e.region_code).await?)
        .crumb(e.name.clone(), format!("/estates/{estate}"))
        .crumb(title, "")
        .here(format!("/estates/{estate}/{kind}s/new"));
    let categories = if kind == "dispute" { DISPUTE_CATEGORIES.to_vec() } else { REFERRAL_CATEGORIES.to_vec() };
    let me = owner_me(state, u).await;
    let alert = alert.or_else(|| (!errs.is_empty()).then(|| lang.t("请检查标红的字段").to_string()));
    let status = status_of(&alert);
    Ok((status, render(&CaseNewPage { c, e, kind, categories, houses, owners, firms, party_kinds: PARTY_KINDS.to_vec(), me, s, errs, alert })?).into_response())
}

pub async fn referral_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>) -> PageResult {
    case_new_page(&state, lang, &u, estate, "referral", Submitted::default(), Errors::default(), None).await
}

pub async fn dispute_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>) -> PageResult {
    case_new_page(&state, lang, &u, estate, "dispute", Submitted::default(), Errors::default(), None).await
}

/// A party of the intake form: `{side}_kind`, `{side}_owner`, `{side}_firm`, `{side}_name`.
fn party_of(s: &Submitted, side: &'static str, owners: &[(i64, String)], firms: &[(i64, String)], me: &Option<(i64, String)>, errs: &mut Errors) -> Party {
    if side == "applicant"
        && let Some((id, name)) = me
    {
        return Party { side: side.into(), party_kind: "owner".into(), name: name.clone(), owner_id: Some(*id), ..Default::default() };
    }
    let f = |k: &str| s.get(&format!("{side}_{k}"));
    let kind = f("kind");
    let mut p = Party { side: side.into(), party_kind: kind.clone(), name: f("name"), ..Default::default() };
    let field: &'static str = if side == "applicant" { "applicant" } else { "respondent" };
    match kind.as_str() {
        "owner" => match f("owner").parse::<i64>() {
            Ok(id) => {
                p.owner_id = Some(id);
                if p.name.is_empty() {
                    p.name = owners.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()).unwrap_or_else(|| format!("业主 #{id}"));
                }
            }
            Err(_) => errs.add(field, "请选择业主"),
        },
        "enterprise" => match f("firm").parse::<i64>() {
            Ok(id) => {
                p.enterprise_id = Some(id);
                if p.name.is_empty() {
                    p.name = firms.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()).unwrap_or_else(|| format!("企业 #{id}"));
                }
            }
            Err(_) => errs.add(field, "请选择物业服务企业"),
        },
        "" => errs.add(field, "请选择类型"),
        _ => {
            if p.name.is_empty() {
                errs.add(field, "请填写姓名或名称");
            }
        }
    }
    p
}

async fn case_create(state: AppState, lang: Lang, u: User, estate: i64, kind: &'static str, req: axum::extract::Request) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    reg::get_estate(db, a, estate, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (s, files) = match form_and_files(req).await {
        Ok(x) => x,
        Err(m) => return case_new_page(&state, lang, &u, estate, kind, Submitted::default(), Errors::default(), Some(m)).await,
    };
    let mut errs = Errors::default();
    let title = errs.required(&s, "title");
    let category = errs.required(&s, "category");
    let house_id = errs.int(&s, "house_id");
    let mut parties = Vec::new();
    if kind == "dispute" {
        let (owners, firms) = cs::estate_parties(db, a, estate, today).await?;
        let me = owner_me(&state, &u).await;
        parties.push(party_of(&s, "applicant", &owners, &firms, &me, &mut errs));
        parties.push(party_of(&s, "respondent", &owners, &firms, &None, &mut errs));
        if s.get("description").is_empty() {
            errs.add("description", "必填");
        }
    }
    if !errs.is_empty() {
        return case_new_page(&state, lang, &u, estate, kind, s, errs, None).await;
    }
    let n = NewCase { kind: kind.into(), title, category, description: s.get("description"), estate_id: Some(estate), house_id, parties, ..Default::default() };
    match cs::open(db, a, &n, &files, today).await {
        Ok(id) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            case_new_page(&state, lang, &u, estate, kind, s, field_errs(&m, &INTAKE_LABELS), Some(m)).await
        }
    }
}

pub async fn referral_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>, req: axum::extract::Request) -> PageResult {
    case_create(state, lang, u, estate, "referral", req).await
}

pub async fn dispute_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>, req: axum::extract::Request) -> PageResult {
    case_create(state, lang, u, estate, "dispute", req).await
}

// ---------------------------------------------------------------------------------------
// Meetings

#[derive(Template)]
#[template(path = "meetings.html")]
pub struct MeetingsPage {
    pub c: PageCtx,
    pub meetings: Vec<Meeting>,
    /// The caller belongs to a convening organisation.
    pub convenes: bool,
}

pub async fn meetings(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    let (db, a) = (&state.db, u.access());
    let meetings = cs::meetings(db, a, 500).await.map_err(|x| PageError::from(x).lang(lang))?;
    let convenes = a.can(Action::Create, Resource::Case) && (a.role() == Role::Admin || cs::my_organisations(db, a).await?.iter().any(|o| matches!(o.kind.as_str(), "housing" | "street")));
    let c = PageCtx::new(lang, &u.0, "meetings", lang.t("联席会议")).crumb(lang.t("案件办理"), "/cases").crumb(lang.t("联席会议"), "").here("/meetings");
    Ok(render(&MeetingsPage { c, meetings, convenes })?.into_response())
}

#[derive(Template)]
#[template(path = "meeting_new.html")]
pub struct MeetingNewPage {
    pub c: PageCtx,
    pub conveners: Vec<Organisation>,
    pub departments: Vec<Organisation>,
    pub s: Submitted,
    pub errs: Errors,
    pub alert: Option<String>,
    pub today: NaiveDate,
}

impl MeetingNewPage {
    pub fn err(&self, k: &str) -> String {
        self.errs.0.iter().find(|(n, _)| **n == k).map(|(_, v)| v.clone()).unwrap_or_default()
    }
    pub fn sel_id(&self, k: &str, v: &i64) -> bool {
        self.s.get(k) == v.to_string()
    }
    pub fn att(&self, id: &i64) -> bool {
        self.s.get(&format!("att_{id}")) == "1"
    }
    pub fn who(&self, id: &i64) -> String {
        self.s.get(&format!("who_{id}"))
    }
}

async fn meeting_new_page(state: &AppState, lang: Lang, u: &User, s: Submitted, errs: Errors, alert: Option<String>) -> PageResult {
    let (db, a) = (&state.db, u.access());
    a.require(Action::Create, Resource::Case).map_err(|x| PageError::from(x).lang(lang))?;
    let conveners: Vec<Organisation> = if a.role() == Role::Admin { cs::organisations(db, a, None).await? } else { cs::my_organisations(db, a).await? }
        .into_iter()
        .filter(|o| matches!(o.kind.as_str(), "housing" | "street"))
        .collect();
    let departments = departments(state, u, &[]).await?;
    let c = PageCtx::new(lang, &u.0, "meetings", lang.t("记录联席会议")).crumb(lang.t("联席会议"), "/meetings").crumb(lang.t("记录联席会议"), "").here("/meetings/new");
    let alert = alert.or_else(|| (!errs.is_empty()).then(|| lang.t("请检查标红的字段").to_string()));
    let status = status_of(&alert);
    Ok((status, render(&MeetingNewPage { c, conveners, departments, s, errs, alert, today: state.today() })?).into_response())
}

pub async fn meeting_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    meeting_new_page(&state, lang, &u, Submitted::default(), Errors::default(), None).await
}

pub async fn meeting_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    u.access().require(Action::Create, Resource::Case).map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let convener = errs.int(&s, "convener_org_id");
    if convener.is_none() {
        errs.add("convener_org_id", "必填");
    }
    let title = errs.required(&s, "title");
    let held_on = errs.date(&s, "held_on", true);
    let mut attendees: Vec<(i64, String)> = s.0.keys().filter_map(|k| k.strip_prefix("att_").and_then(|x| x.parse::<i64>().ok())).filter(|id| s.get(&format!("att_{id}")) == "1").map(|id| (id, s.get(&format!("who_{id}")))).collect();
    attendees.sort();
    let (Some(convener_org_id), Some(held_on)) = (convener, held_on) else {
        return meeting_new_page(&state, lang, &u, s, errs, None).await;
    };
    if !errs.is_empty() {
        return meeting_new_page(&state, lang, &u, s, errs, None).await;
    }
    let m = NewMeeting { convener_org_id, title, held_on, place: s.get("place"), chair: s.get("chair"), agenda: s.get("agenda"), minutes: s.get("minutes"), decisions: s.get("decisions"), attendees };
    match cs::create_meeting(&state.db, u.access(), &m, state.today()).await {
        Ok(id) => Ok(Redirect::to(&format!("/meetings/{id}")).into_response()),
        Err(e) => meeting_new_page(&state, lang, &u, s, Errors::default(), Some(alert_of(e)?)).await,
    }
}

#[derive(Template)]
#[template(path = "meeting.html")]
pub struct MeetingPage {
    pub c: PageCtx,
    pub m: Meeting,
    pub attendees: Vec<(Organisation, String)>,
    pub matters: Vec<Case>,
    /// The caller belongs to the convener (edits the minutes, dispatches matters).
    pub convener: bool,
    pub today: NaiveDate,
    pub alert: Option<String>,
    pub notice: Option<String>,
}

impl MeetingPage {
    pub fn due(&self, k: &Case) -> (&'static str, &'static str) {
        due(k, self.today)
    }
}

async fn is_convener(state: &AppState, u: &User, m: &Meeting) -> Result<bool, PageError> {
    Ok(u.access().role() == Role::Admin || cs::my_organisations(&state.db, u.access()).await?.iter().any(|o| o.id == m.convener_org_id))
}

async fn meeting_page(state: &AppState, lang: Lang, u: &User, id: i64, alert: Option<String>, notice: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let m = cs::meeting(db, a, id).await.map_err(|x| PageError::from(x).lang(lang))?;
    let attendees = cs::attendees(db, id).await?;
    let matters = meeting_matters(state, u, id).await?;
    let convener = is_convener(state, u, &m).await?;
    let c = PageCtx::new(lang, &u.0, "meetings", m.title.clone())
        .with_region(region::path(db, &m.region_code).await?)
        .crumb(lang.t("联席会议"), "/meetings")
        .crumb(m.title.clone(), "")
        .here(format!("/meetings/{id}"));
    let status = status_of(&alert);
    Ok((status, render(&MeetingPage { c, m, attendees, matters, convener, today, alert, notice })?).into_response())
}

async fn meeting_matters(state: &AppState, u: &User, id: i64) -> Result<Vec<Case>, PageError> {
    let f = CaseFilter { meeting_id: Some(id), ..Default::default() };
    Ok(cs::export_rows(&state.db, u.access(), &f, state.today()).await?)
}

pub async fn meeting(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    meeting_page(&state, lang, &u, id, None, None).await
}

/// The convener edits the minutes and decisions.
pub async fn meeting_minutes(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    cs::meeting(&state.db, u.access(), id).await.map_err(|x| PageError::from(x).lang(lang))?;
    match cs::update_minutes(&state.db, u.access(), id, &s.get("minutes"), &s.get("decisions")).await {
        Ok(()) => meeting_page(&state, lang, &u, id, None, Some(lang.t("已保存会议纪要").to_string())).await,
        Err(e) => meeting_page(&state, lang, &u, id, Some(alert_of(e)?), None).await,
    }
}

/// A meeting's matters as xlsx.
pub async fn meeting_export(State(state): State<AppState>, u: User, Path(id): Path<i64>) -> PageResult {
    let today = state.today();
    let m = cs::meeting(&state.db, u.access(), id).await?;
    u.access().require(Action::Export, Resource::Case)?;
    let t = |s: &str| Out::from(s.to_string());
    let rows = meeting_matters(&state, &u, id)
        .await?
        .into_iter()
        .map(|c| {
            let (d, _) = due(&c, today);
            vec![Out::Int(c.id), t(&c.title), t(&c.lead), t(c.state_label()), c.deadline.map(|x| t(&x.to_string())).unwrap_or(Out::Empty), t(d), c.escalated_on.map(|x| t(&x.to_string())).unwrap_or(Out::Empty), c.closed_on.map(|x| t(&x.to_string())).unwrap_or(Out::Empty), t(&c.outcome)]
        })
        .collect();
    super::dashboard::file_response("matters.xlsx", &format!("{}-{}-事项", m.title, m.held_on), "事项", &["编号", "事项", "承办部门", "状态", "期限", "逾期/临期", "升级督办", "办结日期", "办理结果"], rows)
}

#[derive(Template)]
#[template(path = "meeting_matter_new.html")]
pub struct MatterNewPage {
    pub c: PageCtx,
    pub m: Meeting,
    pub departments: Vec<Organisation>,
    pub s: Submitted,
    pub errs: Errors,
    pub alert: Option<String>,
    pub today: NaiveDate,
}

impl MatterNewPage {
    pub fn err(&self, k: &str) -> String {
        self.errs.0.iter().find(|(n, _)| **n == k).map(|(_, v)| v.clone()).unwrap_or_default()
    }
    pub fn sel_id(&self, k: &str, v: &i64) -> bool {
        self.s.get(k) == v.to_string()
    }
    pub fn helper(&self, id: &i64) -> bool {
        self.s.get(&format!("helper_{id}")) == "1"
    }
}

async fn matter_new_page(state: &AppState, lang: Lang, u: &User, id: i64, s: Submitted, errs: Errors, alert: Option<String>) -> PageResult {
    let (db, a) = (&state.db, u.access());
    let m = cs::meeting(db, a, id).await.map_err(|x| PageError::from(x).lang(lang))?;
    if !is_convener(state, u, &m).await? {
        return Err(PageError::new(StatusCode::FORBIDDEN, "只有召集部门可以派单").lang(lang));
    }
    // Attending departments first; the mediation committee is listed too only if named
    // (the store refuses it as not a department), so only departments here.
    let att: Vec<i64> = cs::attendees(db, id).await?.into_iter().map(|(o, _)| o.id).collect();
    let mut departments = departments(state, u, &[]).await?;
    departments.sort_by_key(|o| !att.contains(&o.id));
    let c = PageCtx::new(lang, &u.0, "meetings", lang.t("派单"))
        .crumb(lang.t("联席会议"), "/meetings")
        .crumb(m.title.clone(), format!("/meetings/{id}"))
        .crumb(lang.t("派单"), "")
        .here(format!("/meetings/{id}/matters/new"));
    let alert = alert.or_else(|| (!errs.is_empty()).then(|| lang.t("请检查标红的字段").to_string()));
    let status = status_of(&alert);
    Ok((status, render(&MatterNewPage { c, m, departments, s, errs, alert, today: state.today() })?).into_response())
}

pub async fn matter_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    matter_new_page(&state, lang, &u, id, Submitted::default(), Errors::default(), None).await
}

/// Dispatches a matter decided in the meeting (multipart with files).
pub async fn matter_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, req: axum::extract::Request) -> PageResult {
    let today = state.today();
    let m = cs::meeting(&state.db, u.access(), id).await.map_err(|x| PageError::from(x).lang(lang))?;
    if !is_convener(&state, &u, &m).await? {
        return Err(PageError::new(StatusCode::FORBIDDEN, "只有召集部门可以派单").lang(lang));
    }
    let (s, files) = match form_and_files(req).await {
        Ok(x) => x,
        Err(m) => return matter_new_page(&state, lang, &u, id, Submitted::default(), Errors::default(), Some(m)).await,
    };
    let mut errs = Errors::default();
    let title = errs.required(&s, "title");
    let holder = errs.int(&s, "holder_org_id");
    if holder.is_none() {
        errs.add("holder_org_id", "必填");
    }
    let deadline = errs.date(&s, "deadline", true);
    if !errs.is_empty() {
        return matter_new_page(&state, lang, &u, id, s, errs, None).await;
    }
    let mut helpers: Vec<i64> = s.0.keys().filter_map(|k| k.strip_prefix("helper_").and_then(|x| x.parse::<i64>().ok())).filter(|h| s.get(&format!("helper_{h}")) == "1" && Some(*h) != holder).collect();
    helpers.sort();
    let n = NewCase {
        kind: "matter".into(),
        title,
        description: s.get("description"),
        meeting_id: Some(id),
        supervisor_org_id: Some(m.convener_org_id),
        holder_org_id: holder,
        helper_org_ids: helpers,
        deadline,
        ..Default::default()
    };
    match cs::open(&state.db, u.access(), &n, &files, today).await {
        Ok(_) => Ok(Redirect::to(&format!("/meetings/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            matter_new_page(&state, lang, &u, id, s, field_errs(&m, &MATTER_LABELS), Some(m)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Organisations and the calendar

#[derive(Template)]
#[template(path = "organisations.html")]
pub struct OrganisationsPage {
    pub c: PageCtx,
    /// Each organisation with its members' names.
    pub orgs: Vec<(Organisation, Vec<String>)>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub manages: bool,
    pub s: Submitted,
    pub alert: Option<String>,
    pub notice: Option<String>,
}

impl OrganisationsPage {
    pub fn sel(&self, k: &str, v: &str) -> bool {
        self.s.get(k) == v
    }
}

async fn organisations_page(state: &AppState, lang: Lang, u: &User, s: Submitted, alert: Option<String>, notice: Option<String>) -> PageResult {
    let (db, a) = (&state.db, u.access());
    a.require(Action::View, Resource::Case).map_err(|x| PageError::from(x).lang(lang))?;
    let mut orgs = Vec::new();
    for o in cs::organisations(db, a, None).await? {
        let m = cs::members(db, o.id).await?.into_iter().map(|(_, n, d)| if d.is_empty() || d == n { n } else { format!("{d}（{n}）") }).collect();
        orgs.push((o, m));
    }
    let mut kinds: Vec<(&str, &str)> = wuye_domain::cases::DEPARTMENT_KINDS.to_vec();
    kinds.push((wuye_domain::cases::MEDIATION_COMMITTEE, "人民调解委员会"));
    let manages = matches!(a.role(), Role::Admin | Role::Regulator);
    let c = PageCtx::new(lang, &u.0, "organisations", lang.t("部门名录")).crumb(lang.t("案件办理"), "/cases").crumb(lang.t("部门名录"), "").here("/organisations");
    let status = status_of(&alert);
    Ok((status, render(&OrganisationsPage { c, orgs, kinds, manages, s, alert, notice })?).into_response())
}

pub async fn organisations(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    organisations_page(&state, lang, &u, Submitted::default(), None, None).await
}

/// Creates an organisation (administrators, regulators).
pub async fn organisation_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    u.access().require(Action::View, Resource::Case).map_err(|x| PageError::from(x).lang(lang))?;
    match cs::create_organisation(&state.db, u.access(), &s.get("kind"), &s.get("name"), &s.get("region_code"), &s.get("phone")).await {
        Ok(_) => organisations_page(&state, lang, &u, Submitted::default(), None, Some(format!("{}：{}", lang.t("已添加"), s.get("name")))).await,
        Err(e) => organisations_page(&state, lang, &u, s, Some(alert_of(e)?), None).await,
    }
}

/// Adds a member by login name.
pub async fn organisation_member(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    u.access().require(Action::View, Resource::Case).map_err(|x| PageError::from(x).lang(lang))?;
    let Ok(org) = s.get("organisation_id").parse::<i64>() else {
        return organisations_page(&state, lang, &u, s, Some("部门：请选择".into()), None).await;
    };
    match cs::add_member(&state.db, u.access(), org, &s.get("user_name")).await {
        Ok(()) => organisations_page(&state, lang, &u, Submitted::default(), None, Some(format!("{}：{}", lang.t("已添加成员"), s.get("user_name")))).await,
        Err(e) => organisations_page(&state, lang, &u, s, Some(alert_of(e)?), None).await,
    }
}

#[derive(Template)]
#[template(path = "calendar.html")]
pub struct CalendarPage {
    pub c: PageCtx,
    pub days: Vec<CalendarDay>,
    pub known_until: Option<NaiveDate>,
    pub admin: bool,
    pub s: Submitted,
    pub alert: Option<String>,
}

async fn calendar_page(state: &AppState, lang: Lang, u: &User, s: Submitted, alert: Option<String>) -> PageResult {
    let a = u.access();
    a.require(Action::View, Resource::Case).map_err(|x| PageError::from(x).lang(lang))?;
    let days = cs::calendar_days(&state.db).await?;
    let c = PageCtx::new(lang, &u.0, "calendar", lang.t("工作日历")).crumb(lang.t("案件办理"), "/cases").crumb(lang.t("工作日历"), "").here("/calendar");
    let status = status_of(&alert);
    Ok((status, render(&CalendarPage { c, days, known_until: Calendar::national().known_until(), admin: a.role() == Role::Admin, s, alert })?).into_response())
}

pub async fn calendar(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    calendar_page(&state, lang, &u, Submitted::default(), None).await
}

/// Adds a regional holiday or working day (administrators).
pub async fn calendar_add(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    u.access().require(Action::View, Resource::Case).map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let Some(day) = errs.date(&s, "day", true) else {
        return calendar_page(&state, lang, &u, s, Some("日期：必填（如 2027-03-10）".into())).await;
    };
    match cs::add_calendar_day(&state.db, u.access(), day, &s.get("region_code"), &s.get("kind"), &s.get("name")).await {
        Ok(()) => Ok(Redirect::to("/calendar").into_response()),
        Err(e) => calendar_page(&state, lang, &u, s, Some(alert_of(e)?)).await,
    }
}

/// The deadline badge and state colour of a listed case, for the list templates.
macro_rules! case_badges {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn due(&self, k: &Case) -> (&'static str, &'static str) {
                due(k, self.today)
            }
            pub fn css(&self, k: &Case) -> &'static str {
                state_css(k, self.today)
            }
        }
    )*};
}
case_badges!(CasesPage, InboxPage, MyCasesPage);

impl MeetingPage {
    pub fn css(&self, k: &Case) -> &'static str {
        state_css(k, self.today)
    }
}

impl CasePage {
    pub fn state_css(&self) -> &'static str {
        state_css(&self.k, self.today)
    }
}
