//! Credit pages (信用管理, rules.md §4): the records list of the caller's region with its
//! ledger export, entering a record with evidence, a record with the enterprise's objection
//! form, the regulator's decision and rectification acceptance, an enterprise's credit file
//! with each line of its score explained, registrations and the 'missing' list, the scheme,
//! and an estate's owner ratings. Every access check is the store's
//! ([`wuye_store::credit`]).

use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::Submitted;
use crate::i18n::Lang;
use crate::pages::{link, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use wuye_domain::account::{Action, Resource, Role, Scope};
use wuye_domain::credit::{self as rules, Scheme};
use wuye_ledger::Out;
use wuye_store::StoreError;
use wuye_store::cases::Upload;
use wuye_store::credit::{self as cr, CreditFile, FileMeta, Missing, NewRecord, Objection, OwnerRating, RecordFilter, RecordRow, Registration, Settings};

type PageResult = Result<Response, PageError>;

fn alert_of(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

fn status_of(alert: &Option<String>) -> StatusCode {
    if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }
}

async fn form_and_files(req: axum::extract::Request) -> Result<(Submitted, Vec<Upload>), String> {
    let (s, files) = crate::form::form_with_file_list(req).await?;
    Ok((s, files.into_iter().filter(|(_, f)| !(f.file_name.is_empty() && f.bytes.is_empty())).map(|(_, f)| Upload { file_name: f.file_name, bytes: f.bytes }).collect()))
}

/// Points text: 855 → "85.5".
pub fn pts(t: impl Tenths) -> String {
    rules::fmt_tenths(t.tenths())
}

/// Tenths of a point, by value or behind references (as templates pass them).
pub trait Tenths {
    fn tenths(&self) -> i64;
}
impl Tenths for i64 {
    fn tenths(&self) -> i64 {
        *self
    }
}
impl<T: Tenths + ?Sized> Tenths for &T {
    fn tenths(&self) -> i64 {
        (**self).tenths()
    }
}

/// A grade's label.
pub fn grade_label(g: &str) -> String {
    rules::grade_label_zh(g).to_string()
}

// ---------------------------------------------------------------------------------------
// The records list and the ledger

/// `?state=&kind=&enterprise=&region=` of the records list.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct RecordQuery {
    pub state: Option<String>,
    pub kind: Option<String>,
    pub enterprise: Option<String>,
    pub region: Option<String>,
}

impl RecordQuery {
    fn filter(&self) -> RecordFilter {
        RecordFilter {
            state: self.state.clone().filter(|s| !s.is_empty()),
            kind: self.kind.clone().filter(|s| !s.is_empty()),
            enterprise_id: self.enterprise.as_deref().and_then(|e| e.trim().parse().ok()),
            region: self.region.clone().map(|r| r.trim().to_string()).filter(|s| !s.is_empty()),
        }
    }
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        for (k, val) in [("state", &self.state), ("kind", &self.kind), ("enterprise", &self.enterprise), ("region", &self.region)] {
            if let Some(x) = val.as_ref().filter(|x| !x.is_empty()) {
                v.push((k, x.clone()));
            }
        }
        v
    }
    pub fn sel(&self, k: &str, v: &str) -> bool {
        let cur = match k {
            "state" => &self.state,
            "kind" => &self.kind,
            _ => &None,
        };
        cur.as_deref() == Some(v)
    }
    pub fn qv(&self, k: &str) -> String {
        match k {
            "enterprise" => self.enterprise.clone().unwrap_or_default(),
            "region" => self.region.clone().unwrap_or_default(),
            _ => String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "credit_records.html")]
pub struct RecordsPage {
    pub c: PageCtx,
    pub q: RecordQuery,
    pub records: Vec<RecordRow>,
    pub export_xlsx: String,
    pub export_csv: String,
    pub may_enter: bool,
}

fn may_enter(a: &wuye_store::access::Access) -> bool {
    matches!(a.role(), Role::Admin | Role::Regulator | Role::Street) && a.can(Action::Create, Resource::Credit)
}

/// 信用记录: the records of the caller's region, filtered by the URL.
pub async fn records(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<RecordQuery>) -> PageResult {
    let today = state.today();
    cr::settle(&state.db, today).await?;
    let records = cr::records(&state.db, u.access(), &q.filter(), today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let pairs = q.pairs();
    let base = link("/credit", &pairs);
    let c = PageCtx::new(lang, &u.0, "credit", lang.t("信用记录")).crumb(lang.t("信用管理"), "").here(base);
    let may_enter = may_enter(u.access());
    Ok(render(&RecordsPage { c, records, export_xlsx: link("/credit/export.xlsx", &pairs), export_csv: link("/credit/export.csv", &pairs), q, may_enter })?.into_response())
}

const LEDGER_HEADERS: &[&str] = &["编号", "企业", "统一社会信用代码", "类别", "事项", "分值", "严重失信", "来源", "来源单位", "区划代码", "标题", "发生日期", "录入日期", "异议截止", "状态", "生效日期", "有效期至", "整改验收"];

async fn export(state: AppState, u: User, q: RecordQuery, file: &str) -> PageResult {
    let today = state.today();
    u.access().require(Action::Export, Resource::Credit)?;
    let rows = cr::records(&state.db, u.access(), &q.filter(), today).await?;
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                Out::Int(r.id),
                Out::from(r.enterprise_name.as_str()),
                Out::from(r.uscc.as_str()),
                Out::from(r.kind_label()),
                Out::from(r.item_code.as_str()),
                Out::from(r.points_text()),
                Out::from(if r.serious != 0 { "是" } else { "否" }),
                Out::from(r.source_label()),
                Out::from(r.source_org.as_str()),
                Out::from(r.region_code.as_str()),
                Out::from(r.title.as_str()),
                Out::from(r.occurred_on.to_string()),
                Out::from(r.entered_on.to_string()),
                Out::from(r.objection_until.to_string()),
                Out::from(r.state_label()),
                Out::from(r.effective_on.map(|d| d.to_string()).unwrap_or_default()),
                Out::from(r.valid_until.map(|d| d.to_string()).unwrap_or_else(|| "整改前持续有效".into())),
                Out::from(r.rectified_on.map(|d| d.to_string()).unwrap_or_default()),
            ]
        })
        .collect();
    crate::pages::dashboard::file_response(file, &format!("信用记录台账-{today}"), "信用记录", LEDGER_HEADERS, rows)
}

pub async fn records_xlsx(State(state): State<AppState>, u: User, Query(q): Query<RecordQuery>) -> PageResult {
    export(state, u, q, "credit.xlsx").await
}

pub async fn records_csv(State(state): State<AppState>, u: User, Query(q): Query<RecordQuery>) -> PageResult {
    export(state, u, q, "credit.csv").await
}

// ---------------------------------------------------------------------------------------
// Entering a record

#[derive(Template)]
#[template(path = "credit_record_new.html")]
pub struct NewPage {
    pub c: PageCtx,
    pub scheme: Scheme,
    pub enterprises: Vec<(i64, String, String)>,
    pub sources: Vec<(&'static str, &'static str)>,
    pub s: Submitted,
    pub alert: Option<String>,
    pub today: NaiveDate,
}

impl NewPage {
    pub fn v(&self, k: &str) -> String {
        self.s.get(k)
    }
}

async fn new_page(state: &AppState, lang: Lang, u: &User, s: Submitted, alert: Option<String>) -> PageResult {
    let a = u.access();
    a.require(Action::Create, Resource::Credit)?;
    if !may_enter(a) {
        return Err(StoreError::Forbidden("无权录入信用记录".into()).into());
    }
    let today = state.today();
    let scheme = cr::settings(&state.db).await?.scheme();
    let enterprises = cr::enterprise_choices(&state.db, a, today).await?;
    let status = status_of(&alert);
    let c = PageCtx::new(lang, &u.0, "credit_new", lang.t("录入信用记录")).crumb(lang.t("信用记录"), "/credit").crumb(lang.t("录入信用记录"), "").here("/credit/records/new");
    Ok((status, render(&NewPage { c, scheme, enterprises, sources: rules::SOURCES.to_vec(), s, alert, today })?).into_response())
}

pub async fn record_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    new_page(&state, lang, &u, Submitted::default(), None).await
}

pub async fn record_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, req: axum::extract::Request) -> PageResult {
    let today = state.today();
    let (s, files) = match form_and_files(req).await {
        Ok(x) => x,
        Err(m) => return new_page(&state, lang, &u, Submitted::default(), Some(m)).await,
    };
    let enterprise_id = match s.opt("uscc").filter(|x| !x.trim().is_empty()) {
        Some(uscc) => match cr::enterprise_by_uscc(&state.db, &uscc).await? {
            Some(id) => id,
            None => return new_page(&state, lang, &u, s, Some(format!("统一社会信用代码：没有代码为 {} 的企业", uscc.trim()))).await,
        },
        None => match s.get("enterprise_id").trim().parse::<i64>() {
            Ok(id) => id,
            Err(_) => return new_page(&state, lang, &u, s, Some("企业：请选择企业或填写统一社会信用代码".into())).await,
        },
    };
    let Some(points) = rules::parse_tenths(&s.get("points")) else {
        return new_page(&state, lang, &u, s, Some("分值：请填写分数（最多一位小数）".into())).await;
    };
    let Ok(occurred_on) = NaiveDate::parse_from_str(s.get("occurred_on").trim(), "%Y-%m-%d") else {
        return new_page(&state, lang, &u, s, Some("发生日期：请填写日期（YYYY-MM-DD）".into())).await;
    };
    let n = NewRecord {
        enterprise_id,
        item_code: s.get("item_code"),
        points_tenths: points,
        source: s.get("source"),
        source_org: s.get("source_org"),
        estate_id: s.get("estate_id").trim().parse().ok(),
        title: s.get("title"),
        detail: s.get("detail"),
        occurred_on,
    };
    match cr::enter(&state.db, u.access(), &n, &files, today).await {
        Ok(id) => Ok(Redirect::to(&format!("/credit/records/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            new_page(&state, lang, &u, s, Some(m)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A record

impl RecordPage {
    pub fn window_open(&self) -> bool {
        self.today <= self.r.objection_until
    }
}

#[derive(Template)]
#[template(path = "credit_record.html")]
pub struct RecordPage {
    pub c: PageCtx,
    pub r: RecordRow,
    pub item_label: String,
    pub objections: Vec<Objection>,
    pub files: Vec<FileMeta>,
    pub may_object: bool,
    pub may_decide: bool,
    pub may_rectify: bool,
    pub alert: Option<String>,
    pub today: NaiveDate,
}

async fn record_page(state: &AppState, lang: Lang, u: &User, id: i64, alert: Option<String>) -> PageResult {
    let today = state.today();
    let a = u.access();
    let r = cr::record(&state.db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let objections = cr::objections(&state.db, a, id, today).await?;
    let files = cr::files(&state.db, a, id, today).await?;
    let scheme = rules::builtin(&r.scheme_code);
    let item_label = scheme.as_ref().and_then(|s| s.item(&r.item_code)).map(|i| i.label_zh.clone()).unwrap_or_else(|| r.item_code.clone());
    let own = matches!(a.scope(), Scope::Enterprise(e) if *e == r.enterprise_id) && a.role() == Role::EnterpriseManager;
    let may_object = (own || a.role() == Role::Admin) && r.state == "pending" && today <= r.objection_until;
    let regulator = matches!(a.role(), Role::Admin | Role::Regulator);
    let may_decide = regulator && r.state == "objected";
    let may_rectify = regulator && r.serious != 0 && r.valid_until.is_none() && r.rectified_on.is_none() && (r.state == "effective" || r.state == "pending");
    let status = status_of(&alert);
    let c = PageCtx::new(lang, &u.0, "credit", format!("{} #{}", lang.t("信用记录"), r.id)).crumb(lang.t("信用记录"), "/credit").crumb(format!("#{}", r.id), "").here(format!("/credit/records/{id}"));
    Ok((status, render(&RecordPage { c, r, item_label, objections, files, may_object, may_decide, may_rectify, alert, today })?).into_response())
}

pub async fn record(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    record_page(&state, lang, &u, id, None).await
}

/// The enterprise's objection (multipart: reason and evidence).
pub async fn record_objection(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, req: axum::extract::Request) -> PageResult {
    let today = state.today();
    cr::record(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (s, files) = match form_and_files(req).await {
        Ok(x) => x,
        Err(m) => return record_page(&state, lang, &u, id, Some(m)).await,
    };
    match cr::object(&state.db, u.access(), id, &s.get("reason"), &files, today).await {
        Ok(_) => Ok(Redirect::to(&format!("/credit/records/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            record_page(&state, lang, &u, id, Some(m)).await
        }
    }
}

/// The regulator's decision on the objection: `decision=accept|reject`, `note`.
pub async fn record_decision(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, axum::Form(s): axum::Form<Submitted>) -> PageResult {
    let today = state.today();
    let accept = match s.get("decision").as_str() {
        "accept" => true,
        "reject" => false,
        _ => {
            cr::record(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
            return record_page(&state, lang, &u, id, Some("处理结果：请选择异议成立或不成立".into())).await;
        }
    };
    match cr::decide(&state.db, u.access(), id, accept, &s.get("note"), today).await {
        Ok(()) => Ok(Redirect::to(&format!("/credit/records/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            record_page(&state, lang, &u, id, Some(m)).await
        }
    }
}

/// The regulator accepts the rectification of a serious record on `rectified_on`.
pub async fn record_rectification(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, axum::Form(s): axum::Form<Submitted>) -> PageResult {
    let today = state.today();
    let raw = s.get("rectified_on").trim().to_string();
    // Blank: today. Anything else must be a date (never silently today).
    let on = if raw.is_empty() {
        Ok(today)
    } else {
        NaiveDate::parse_from_str(&raw, "%Y-%m-%d").map_err(|_| StoreError::Invalid(format!("验收日期：「{raw}」不是 YYYY-MM-DD 格式的日期")))
    };
    match async { cr::rectify(&state.db, u.access(), id, on?, today).await }.await {
        Ok(()) => Ok(Redirect::to(&format!("/credit/records/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            record_page(&state, lang, &u, id, Some(m)).await
        }
    }
}

/// An evidence file, as an attachment.
pub async fn file(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let (name, mime, bytes) = cr::file_bytes(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let disposition = format!("attachment; filename=\"credit-file-{id}\"; filename*=UTF-8''{}", crate::ctx::urlencode(&name));
    Ok(([(header::CONTENT_TYPE, mime), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

// ---------------------------------------------------------------------------------------
// The credit file

#[derive(Template)]
#[template(path = "credit_file.html")]
pub struct FilePage {
    pub c: PageCtx,
    pub f: CreditFile,
    pub scheme: Scheme,
    pub history: Vec<(NaiveDate, Option<i64>, String)>,
    pub today: NaiveDate,
    /// Whether the caller may register a project manager (regulators, admin, the
    /// enterprise's own manager).
    pub may_add_manager: bool,
    /// A refusal of the manager form, shown above it (the page answers 422).
    pub alert: Option<String>,
}

impl FilePage {
    /// Whether the record's objection window is open today.
    pub fn open(&self, r: &RecordRow) -> bool {
        r.state == "pending" && self.today <= r.objection_until
    }
    pub fn item_label(&self, code: &str) -> String {
        self.scheme.item(code).map(|i| i.label_zh.clone()).unwrap_or_else(|| code.to_string())
    }
}

/// 信用档案: basic information, projects, managers, the score with each line explained,
/// and the records (with objection deadlines of pending ones).
pub async fn enterprise_file(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    file_page(&state, lang, &u, id, None).await
}

async fn file_page(state: &AppState, lang: Lang, u: &User, id: i64, alert: Option<String>) -> PageResult {
    let today = state.today();
    cr::settle(&state.db, today).await?;
    let f = cr::file(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let scheme = cr::settings(&state.db).await?.scheme();
    let history = cr::history(&state.db, id).await?;
    let a = u.access();
    let may_add_manager = matches!(a.role(), Role::Admin | Role::Regulator) || (a.role() == Role::EnterpriseManager && matches!(a.scope(), Scope::Enterprise(e) if *e == id));
    let c = PageCtx::new(lang, &u.0, "credit", format!("{} · {}", f.name, lang.t("信用档案"))).crumb(lang.t("信用记录"), "/credit").crumb(f.name.clone(), "").here(format!("/enterprises/{id}/credit"));
    let status = status_of(&alert);
    Ok((status, render(&FilePage { c, f, scheme, history, today, may_add_manager, alert })?).into_response())
}

/// Registers a project manager on the credit file: name, certificate, the estate (one of
/// the enterprise's projects, or none) and the start date (YYYY-MM-DD, not after today).
/// A refusal re-renders the file with the reason (422), nothing written.
pub async fn add_manager(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, axum::Form(s): axum::Form<Submitted>) -> PageResult {
    let today = state.today();
    let start_raw = s.get("start_date").trim().to_string();
    let estate_raw = s.get("estate_id").trim().to_string();
    let checked = (|| {
        let start = NaiveDate::parse_from_str(&start_raw, "%Y-%m-%d").map_err(|_| format!("开始日期：「{start_raw}」不是 YYYY-MM-DD 格式的日期"))?;
        if start > today {
            return Err(format!("开始日期：不能晚于今天（{today}），实为 {start}"));
        }
        let estate = if estate_raw.is_empty() { None } else { Some(estate_raw.parse::<i64>().map_err(|_| format!("小区：「{estate_raw}」不是小区编号"))?) };
        Ok((start, estate))
    })();
    let result = match checked {
        Ok((start, estate)) => {
            // The estate must be one of the enterprise's projects.
            let f = cr::file(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
            if let Some(e) = estate.filter(|e| !f.projects.iter().any(|p| p.estate_id == *e)) {
                Err(StoreError::Invalid(format!("小区：编号 {e} 的小区不是该企业的服务项目")))
            } else {
                cr::add_manager(&state.db, u.access(), id, estate, &s.get("name"), &s.get("certificate"), start).await.map(|_| ())
            }
        }
        Err(m) => Err(StoreError::Invalid(m)),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/enterprises/{id}/credit")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            file_page(&state, lang, &u, id, Some(m)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Registrations

#[derive(Template)]
#[template(path = "credit_registrations.html")]
pub struct RegistrationsPage {
    pub c: PageCtx,
    pub registrations: Vec<Registration>,
    pub missing: Vec<Missing>,
    pub may_edit: bool,
    pub alert: Option<String>,
    pub today: NaiveDate,
}

async fn registrations_page(state: &AppState, lang: Lang, u: &User, alert: Option<String>) -> PageResult {
    let today = state.today();
    let registrations = cr::registrations(&state.db, u.access(), today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let missing = cr::missing(&state.db, u.access(), today).await?;
    let may_edit = matches!(u.access().role(), Role::Admin | Role::Regulator);
    let status = status_of(&alert);
    let c = PageCtx::new(lang, &u.0, "credit_registrations", lang.t("纳入信用管理")).crumb(lang.t("信用管理"), "/credit").crumb(lang.t("纳入信用管理"), "").here("/credit/registrations");
    Ok((status, render(&RegistrationsPage { c, registrations, missing, may_edit, alert, today })?).into_response())
}

pub async fn registrations(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    registrations_page(&state, lang, &u, None).await
}

/// `action=register|exit`, `enterprise_id` (or `uscc`), `reason` (exit).
pub async fn registrations_post(State(state): State<AppState>, UiLang(lang): UiLang, u: User, axum::Form(s): axum::Form<Submitted>) -> PageResult {
    let today = state.today();
    let id = match s.opt("uscc").filter(|x| !x.trim().is_empty()) {
        Some(uscc) => cr::enterprise_by_uscc(&state.db, &uscc).await?,
        None => s.get("enterprise_id").trim().parse::<i64>().ok(),
    };
    let Some(id) = id else {
        return registrations_page(&state, lang, &u, Some("企业：请填写统一社会信用代码".into())).await;
    };
    let r = match s.get("action").as_str() {
        "exit" => cr::exit(&state.db, u.access(), id, &s.get("reason"), today).await,
        _ => cr::register(&state.db, u.access(), id, today).await,
    };
    match r {
        Ok(()) => Ok(Redirect::to("/credit/registrations").into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            registrations_page(&state, lang, &u, Some(m)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// The scheme

#[derive(Template)]
#[template(path = "credit_scheme.html")]
pub struct SchemePage {
    pub c: PageCtx,
    pub settings: Settings,
    pub scheme: Scheme,
    pub builtins: Vec<Scheme>,
    pub may_edit: bool,
    pub alert: Option<String>,
}

impl SchemePage {
    pub fn band_text(&self, b: &rules::Band) -> String {
        let cond = match b.condition {
            rules::BandCondition::Any => "",
            rules::BandCondition::NoBadRecords => "（无不良记录）",
            rules::BandCondition::HasBadRecords => "（有不良记录）",
        };
        match b.min_tenths {
            Some(m) => format!("{} {}{cond}", if b.min_inclusive { "≥" } else { ">" }, rules::fmt_tenths(m)),
            None => format!("其余{cond}"),
        }
    }
    pub fn cycle_text(&self) -> String {
        match &self.scheme.cycle {
            rules::Cycle::RealTime => "实时".into(),
            rules::Cycle::Annual { start_month, start_day } => format!("年度（每年 {start_month} 月 {start_day} 日起）"),
        }
    }
}

async fn scheme_page(state: &AppState, lang: Lang, u: &User, alert: Option<String>) -> PageResult {
    u.access().require(Action::View, Resource::Credit)?;
    let settings = cr::settings(&state.db).await?;
    let scheme = settings.scheme();
    let a = u.access();
    let may_edit = a.role() == Role::Admin || a.role() == Role::Regulator && matches!(a.scope(), Scope::Region(r) if r.prefix().len() <= 2);
    let status = status_of(&alert);
    let c = PageCtx::new(lang, &u.0, "credit_scheme", lang.t("信用评价方案")).crumb(lang.t("信用管理"), "/credit").crumb(lang.t("信用评价方案"), "").here("/credit/scheme");
    Ok((status, render(&SchemePage { c, settings, scheme, builtins: rules::builtins(), may_edit, alert })?).into_response())
}

pub async fn scheme(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    scheme_page(&state, lang, &u, None).await
}

/// `scheme_code`, `objection_days`, `bar_grades`.
pub async fn scheme_post(State(state): State<AppState>, UiLang(lang): UiLang, u: User, axum::Form(s): axum::Form<Submitted>) -> PageResult {
    let Ok(days) = s.get("objection_days").trim().parse::<i64>() else {
        return scheme_page(&state, lang, &u, Some("异议期：请填写工作日数".into())).await;
    };
    match cr::set_settings(&state.db, u.access(), &s.get("scheme_code"), days, &s.get("bar_grades")).await {
        Ok(()) => {
            cr::recompute_all(&state.db, state.today()).await?;
            Ok(Redirect::to("/credit/scheme").into_response())
        }
        Err(e) => {
            let m = alert_of(e)?;
            scheme_page(&state, lang, &u, Some(m)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Owner ratings

#[derive(Template)]
#[template(path = "credit_owner_ratings.html")]
pub struct RatingsPage {
    pub c: PageCtx,
    pub estate_id: i64,
    pub ratings: Vec<OwnerRating>,
    pub may_rate: bool,
    pub year: i32,
    pub alert: Option<String>,
}

async fn ratings_page(state: &AppState, lang: Lang, u: &User, estate_id: i64, alert: Option<String>) -> PageResult {
    let today = state.today();
    let ratings = cr::owner_ratings(&state.db, u.access(), estate_id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let may_rate = matches!(u.access().role(), Role::Admin | Role::Regulator | Role::Committee);
    let status = status_of(&alert);
    let c = PageCtx::new(lang, &u.0, "credit", lang.t("业主满意度评价")).crumb(lang.t("小区"), format!("/estates/{estate_id}")).crumb(lang.t("业主满意度评价"), "").here(format!("/estates/{estate_id}/owner-ratings"));
    use chrono::Datelike;
    Ok((status, render(&RatingsPage { c, estate_id, ratings, may_rate, year: today.year() - 1, alert })?).into_response())
}

pub async fn owner_ratings(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    ratings_page(&state, lang, &u, id, None).await
}

/// `year`, `score` (points, one decimal), `respondents`.
pub async fn owner_ratings_post(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, axum::Form(s): axum::Form<Submitted>) -> PageResult {
    let today = state.today();
    cr::owner_ratings(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let Ok(year) = s.get("year").trim().parse::<i32>() else {
        return ratings_page(&state, lang, &u, id, Some("年度：请填写年份".into())).await;
    };
    let Some(score) = rules::parse_tenths(&s.get("score")) else {
        return ratings_page(&state, lang, &u, id, Some("评价得分：请填写 0–100 的分数".into())).await;
    };
    let respondents = s.get("respondents").trim().parse::<i64>().unwrap_or(0);
    match cr::rate(&state.db, u.access(), id, year, score, respondents, today).await {
        Ok(_) => Ok(Redirect::to(&format!("/estates/{id}/owner-ratings")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            ratings_page(&state, lang, &u, id, Some(m)).await
        }
    }
}
