//! Pages of checklists, inspections and hazards: an estate's safety page, the phone-usable
//! inspection form (one row per checklist item; a hazard's severity, deadline and photos
//! under the item), an inspection, the hazard list for the caller's scope with its ledger
//! export (exactly the filtered rows), a hazard's time line with the step forms the flow
//! allows the caller, photos, checklist templates and their versions, and the estate's
//! safety ledger (台账) as one workbook. Every access check is the store's
//! ([`wuye_store::safety::inspections`]).

use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::Submitted;
use crate::i18n::Lang;
use crate::pages::{Pager, link, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use wuye_domain::account::{Action, Resource, Role};
use wuye_domain::cases::DeadlineRule;
use wuye_domain::safety::{Category, HAZARD};
use wuye_ledger::Out;
use wuye_store::cases::Upload;
use wuye_store::registry::{self as reg, Estate};
use wuye_store::safety::inspections::{self as si, Hazard, HazardFilter, HazardStep, HazardStepInput, Inspection, InspectionFilter, ItemResult, NewHazard, NewInspection, ResultRow, SafetyFile, Template as Tpl, TemplateItem};
use wuye_store::{StoreError, region};

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

/// The categories (code, label) for selects.
pub fn categories() -> Vec<(&'static str, &'static str)> {
    Category::ALL.iter().map(|c| (c.code(), c.label_zh())).collect()
}

/// Colour of a hazard's state badge: closed green, overdue red, open amber.
pub fn hazard_css(h: &Hazard, today: NaiveDate) -> &'static str {
    if h.closed {
        "green"
    } else if h.overdue(today) {
        "red"
    } else {
        "amber"
    }
}

async fn form_and_files(req: axum::extract::Request) -> Result<(Submitted, Vec<(String, Upload)>), String> {
    let (s, files) = crate::form::form_with_file_list(req).await?;
    Ok((s, files.into_iter().filter(|(_, f)| !(f.file_name.is_empty() && f.bytes.is_empty())).map(|(n, f)| (n, Upload { file_name: f.file_name, bytes: f.bytes })).collect()))
}

// ---------------------------------------------------------------------------------------
// An estate's safety page

#[derive(Template)]
#[template(path = "safety_insp_estate.html")]
pub struct EstateSafetyPage {
    pub c: PageCtx,
    pub e: Estate,
    pub inspections: Vec<Inspection>,
    pub open: Vec<Hazard>,
    pub closed: Vec<Hazard>,
    pub today: NaiveDate,
}

pub async fn estate_safety(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let e = reg::get_estate(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    a.require(Action::View, Resource::Safety).map_err(|x| PageError::from(x).lang(lang))?;
    let inspections = si::inspections(db, a, &InspectionFilter { estate_id: Some(id), ..Default::default() }, 200, today).await?;
    let hz = si::hazard_rows(db, a, &HazardFilter { estate_id: Some(id), ..Default::default() }, today).await?;
    let (closed, mut open): (Vec<Hazard>, Vec<Hazard>) = hz.into_iter().partition(|h| h.closed);
    open.sort_by_key(|h| (h.deadline, h.id));
    let mut closed = closed;
    closed.reverse();
    let c = PageCtx::new(lang, &u.0, "estates", format!("{} · {}", e.name, lang.t("安全检查")))
        .with_region(region::path(db, &e.region_code).await?)
        .crumb(e.name.clone(), format!("/estates/{id}"))
        .crumb(lang.t("安全检查"), "")
        .here(format!("/estates/{id}/safety"));
    Ok(render(&EstateSafetyPage { c, e, inspections, open, closed, today })?.into_response())
}

/// The estate's safety ledger (台账): one workbook with its inspections and hazards, then
/// its duties, duty records, elevators, e-bikes, violations, plans, trainings and drills.
pub async fn estate_ledger(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let e = reg::get_estate(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    a.require(Action::Export, Resource::Safety).map_err(|x| PageError::from(x).lang(lang))?;
    let ins = si::inspections(db, a, &InspectionFilter { estate_id: Some(id), ..Default::default() }, 100_000, today).await?;
    let hz = si::hazard_rows(db, a, &HazardFilter { estate_id: Some(id), ..Default::default() }, today).await?;
    let t = |s: &str| Out::from(s.to_string());
    let irows = ins
        .iter()
        .map(|i| {
            vec![
                Out::Int(i.id),
                t(&i.inspected_on.to_string()),
                t(i.kind_label()),
                t(i.category_label()),
                t(&format!("{} v{}", if i.template_region.is_empty() { "内置" } else { i.template_region.as_str() }, i.template_version)),
                t(&i.area),
                Out::Int(i.hazard_count),
                t(&i.inspector),
                t(&i.responsible_signature),
                t(&i.note),
            ]
        })
        .collect();
    let mut sheets = vec![
        wuye_ledger::Sheet { name: "安全检查", headers: &["编号", "检查日期", "检查类型", "类别", "检查表版本", "检查部位", "隐患数", "检查人签名", "责任人签名", "备注"], rows: irows },
        wuye_ledger::Sheet { name: "安全隐患", headers: HAZARD_HEADERS, rows: hz.iter().map(|h| hazard_row(h, today)).collect() },
    ];
    sheets.extend(super::duties::ledger_sheets(db, a, id, today).await?);
    let bytes = wuye_ledger::write_xlsx_sheets(sheets)
    .map_err(|err| {
        tracing::error!(error = %err, "export failed");
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "导出失败")
    })?;
    let name = format!("安全台账-{}-{today}", e.name);
    let disposition = format!("attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{}.xlsx", crate::ctx::urlencode(&name));
    Ok(([(header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

const HAZARD_HEADERS: &[&str] = &["编号", "小区", "区划代码", "类别", "等级", "隐患描述", "位置", "发现日期", "发现方式", "发现人", "责任单位", "状态", "整改期限", "当前期限", "逾期", "整改日期", "按期整改", "销号日期", "升级督办", "督办单号", "督办期限"];

fn hazard_row(h: &Hazard, today: NaiveDate) -> Vec<Out> {
    let t = |s: &str| Out::from(s.to_string());
    let d = |x: Option<NaiveDate>| x.map(|x| Out::from(x.to_string())).unwrap_or(Out::Empty);
    vec![
        Out::Int(h.id),
        t(&h.estate_name),
        t(&h.region_code),
        t(h.category_label()),
        t(h.severity_label()),
        t(&h.description),
        t(&h.location),
        t(&h.found_on.to_string()),
        t(h.finder_label()),
        t(&h.found_by),
        t(&h.responsible),
        t(h.state_label()),
        d(h.rectify_by),
        d(h.deadline),
        t(if h.overdue(today) { "逾期" } else { "" }),
        d(h.rectified_on),
        t(match h.on_time() {
            Some(true) => "是",
            Some(false) => "否",
            None => "",
        }),
        d(h.closed_on),
        d(h.escalated_on),
        t(h.supervision_no.as_deref().unwrap_or("")),
        d(h.supervision_deadline),
    ]
}

// ---------------------------------------------------------------------------------------
// A new inspection

#[derive(Template)]
#[template(path = "safety_insp_new.html")]
pub struct InspectionNewPage {
    pub c: PageCtx,
    pub e: Estate,
    pub category: &'static str,
    pub categories: Vec<(&'static str, &'static str)>,
    pub tpl: Tpl,
    pub items: Vec<TemplateItem>,
    /// Kinds the caller may record.
    pub kinds: Vec<(&'static str, &'static str)>,
    pub s: Submitted,
    pub today: NaiveDate,
    pub alert: Option<String>,
}

impl InspectionNewPage {
    pub fn v(&self, k: &str) -> String {
        self.s.get(k)
    }
    pub fn vi(&self, k: &str, seq: &i64) -> String {
        self.s.get(&format!("{k}_{seq}"))
    }
    pub fn result_is(&self, seq: &i64, r: &str) -> bool {
        let v = self.s.get(&format!("result_{seq}"));
        if v.is_empty() { r == "pass" } else { v == r }
    }
    pub fn mode_is(&self, seq: &i64, m: &str) -> bool {
        let v = self.s.get(&format!("mode_{seq}"));
        if v.is_empty() { m == "days" } else { v == m }
    }
}

fn kinds_for(u: &User) -> Vec<(&'static str, &'static str)> {
    let all = si::KINDS.to_vec();
    match u.access().role() {
        Role::Admin => all,
        Role::EnterpriseManager | Role::EnterpriseStaff => all.into_iter().filter(|(k, _)| *k == "self").collect(),
        Role::Street => all.into_iter().filter(|(k, _)| *k == "street").collect(),
        Role::Regulator => all.into_iter().filter(|(k, _)| *k == "spot").collect(),
        _ => Vec::new(),
    }
}

async fn inspection_new_page(state: &AppState, lang: Lang, u: &User, estate: i64, category: &str, s: Submitted, alert: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let e = reg::get_estate(db, a, estate, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    a.require(Action::Create, Resource::Safety).map_err(|x| PageError::from(x).lang(lang))?;
    let cat = Category::parse(category).unwrap_or(Category::FireAccess);
    si::ensure_templates(db).await?;
    let tpl = si::template_for(db, cat.code(), &e.region_code).await?;
    let (tpl, items) = si::template(db, a, tpl.id).await?;
    let c = PageCtx::new(lang, &u.0, "estates", lang.t("登记安全检查"))
        .with_region(region::path(db, &e.region_code).await?)
        .crumb(e.name.clone(), format!("/estates/{estate}"))
        .crumb(lang.t("安全检查"), format!("/estates/{estate}/safety"))
        .crumb(lang.t("登记安全检查"), "")
        .here(format!("/estates/{estate}/safety/inspections/new"));
    let status = status_of(&alert);
    Ok((status, render(&InspectionNewPage { c, e, category: cat.code(), categories: categories(), tpl, items, kinds: kinds_for(u), s, today, alert })?).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct NewQuery {
    pub category: Option<String>,
}

pub async fn inspection_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>, Query(q): Query<NewQuery>) -> PageResult {
    inspection_new_page(&state, lang, &u, estate, q.category.as_deref().unwrap_or(""), Submitted::default(), None).await
}

/// Reads the inspection form: `result_{seq}`, and under a hazard `severity_{seq}`,
/// `desc_{seq}`, `location_{seq}`, `mode_{seq}` (`days`, `date`, `spot`), `days_{seq}`,
/// `deadline_{seq}`; photos `photos` (the inspection's) and `photo_{seq}` (the hazard's).
fn read_inspection(s: &Submitted, items: &[TemplateItem]) -> Result<NewInspection, String> {
    let inspected_on = NaiveDate::parse_from_str(s.get("inspected_on").trim(), "%Y-%m-%d").map_err(|_| "检查日期：请填写日期（YYYY-MM-DD）".to_string())?;
    let mut results = Vec::new();
    for it in items {
        let r = s.get(&format!("result_{}", it.seq));
        let r = if r.is_empty() { "na".to_string() } else { r };
        let hazard = if r == "hazard" {
            let mode = s.get(&format!("mode_{}", it.seq));
            let mut h = NewHazard {
                severity: s.opt(&format!("severity_{}", it.seq)).unwrap_or_else(|| "general".into()),
                description: s.get(&format!("desc_{}", it.seq)),
                location: s.get(&format!("location_{}", it.seq)),
                ..Default::default()
            };
            match mode.as_str() {
                "spot" => h.spot_fixed = true,
                "date" => {
                    let v = s.get(&format!("deadline_{}", it.seq));
                    h.deadline = Some(NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| format!("隐患 {} 整改期限：请填写日期", it.seq))?);
                }
                _ => {
                    let v = s.get(&format!("days_{}", it.seq));
                    h.working_days = Some(v.trim().parse::<u32>().map_err(|_| format!("隐患 {} 整改期限：请填写工作日数（1–180）", it.seq))?);
                }
            }
            Some(h)
        } else {
            None
        };
        results.push(ItemResult { seq: it.seq, result: r, note: s.get(&format!("note_{}", it.seq)), hazard });
    }
    Ok(NewInspection {
        category: s.get("category"),
        kind: s.get("kind"),
        inspected_on,
        area: s.get("area"),
        inspector: s.get("inspector"),
        responsible_signature: s.get("responsible_signature"),
        note: s.get("note"),
        results,
    })
}

pub async fn inspection_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>, req: axum::extract::Request) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let e = reg::get_estate(db, a, estate, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    a.require(Action::Create, Resource::Safety).map_err(|x| PageError::from(x).lang(lang))?;
    let (s, files) = match form_and_files(req).await {
        Ok(x) => x,
        Err(m) => return inspection_new_page(&state, lang, &u, estate, "", Submitted::default(), Some(m)).await,
    };
    let category = s.get("category");
    let Some(cat) = Category::parse(&category) else {
        return inspection_new_page(&state, lang, &u, estate, "", s, Some("检查类别：请选择".into())).await;
    };
    let tpl = si::template_for(db, cat.code(), &e.region_code).await?;
    let (_, items) = si::template(db, a, tpl.id).await?;
    let n = match read_inspection(&s, &items) {
        Ok(n) => n,
        Err(m) => return inspection_new_page(&state, lang, &u, estate, cat.code(), s, Some(m)).await,
    };
    let uploads: Vec<(i64, Upload)> = files
        .into_iter()
        .map(|(name, f)| (name.strip_prefix("photo_").and_then(|x| x.parse::<i64>().ok()).unwrap_or(0), f))
        .collect();
    match si::create_inspection(db, a, estate, &n, &uploads, today).await {
        Ok(id) => Ok(Redirect::to(&format!("/safety/inspections/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            inspection_new_page(&state, lang, &u, estate, cat.code(), s, Some(m)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// An inspection

#[derive(Template)]
#[template(path = "safety_insp.html")]
pub struct InspectionPage {
    pub c: PageCtx,
    pub i: Inspection,
    pub results: Vec<ResultRow>,
    pub photos: Vec<SafetyFile>,
    pub hazards: Vec<Hazard>,
    pub today: NaiveDate,
}

impl InspectionPage {
    pub fn hazard_of(&self, seq: &i64) -> Option<&Hazard> {
        self.hazards.iter().find(|h| h.item_seq == Some(*seq))
    }
}

pub async fn inspection(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let i = si::inspection(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let results = si::inspection_results(db, a, id, today).await?;
    let photos = si::inspection_photos(db, a, id, today).await?;
    let hazards = si::hazard_rows(db, a, &HazardFilter { inspection_id: Some(id), ..Default::default() }, today).await?;
    let c = PageCtx::new(lang, &u.0, "estates", format!("{} · {}", lang.t(i.kind_label()), lang.t(i.category_label())))
        .with_region(region::path(db, &i.region_code).await?)
        .crumb(i.estate_name.clone(), format!("/estates/{}", i.estate_id))
        .crumb(lang.t("安全检查"), format!("/estates/{}/safety", i.estate_id))
        .crumb(format!("#{id}"), "")
        .here(format!("/safety/inspections/{id}"));
    Ok(render(&InspectionPage { c, i, results, photos, hazards, today })?.into_response())
}

// ---------------------------------------------------------------------------------------
// The hazard list and its ledger export

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct HazardQuery {
    pub state: Option<String>,
    pub category: Option<String>,
    pub overdue: Option<String>,
    pub region: Option<String>,
    pub estate_id: Option<String>,
    pub page: Option<String>,
}

impl HazardQuery {
    fn filter(&self) -> HazardFilter {
        HazardFilter {
            state: self.state.clone().filter(|s| !s.is_empty()),
            category: self.category.clone().filter(|s| !s.is_empty()),
            overdue: self.overdue.as_deref().map(|s| s == "1" || s == "true").filter(|b| *b),
            region: self.region.clone().filter(|s| !s.is_empty()),
            estate_id: self.estate_id.as_deref().and_then(|s| s.trim().parse().ok()),
            inspection_id: None,
            page: self.page.as_deref().and_then(|s| s.trim().parse().ok()),
        }
    }
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let g = |s: &Option<String>| s.clone().unwrap_or_default();
        vec![("state", g(&self.state)), ("category", g(&self.category)), ("overdue", g(&self.overdue)), ("region", g(&self.region)), ("estate_id", g(&self.estate_id))]
    }
}

#[derive(Template)]
#[template(path = "safety_hazards.html")]
pub struct HazardsPage {
    pub c: PageCtx,
    pub hazards: Vec<Hazard>,
    pub pager: Pager,
    pub q: HazardQuery,
    pub categories: Vec<(&'static str, &'static str)>,
    pub states: Vec<(&'static str, &'static str)>,
    pub export_xlsx: String,
    pub export_csv: String,
    pub today: NaiveDate,
}

impl HazardsPage {
    pub fn sel(&self, field: &str, v: &str) -> bool {
        let cur = match field {
            "state" => &self.q.state,
            "category" => &self.q.category,
            "overdue" => &self.q.overdue,
            _ => &None,
        };
        cur.as_deref() == Some(v)
    }
    pub fn qv(&self, field: &str) -> String {
        match field {
            "region" => self.q.region.clone(),
            "estate_id" => self.q.estate_id.clone(),
            _ => None,
        }
        .unwrap_or_default()
    }
}

pub async fn hazards(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<HazardQuery>) -> PageResult {
    let today = state.today();
    let page = si::hazards(&state.db, u.access(), &q.filter(), today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let pairs = q.pairs();
    let base = link("/safety/hazards", &pairs);
    let c = PageCtx::new(lang, &u.0, "safety_hazards", lang.t("安全隐患")).crumb(lang.t("安全隐患"), "").here(base.clone());
    let pager = Pager::new(&c, &page, &base);
    let states = HAZARD.states.iter().map(|s| (s.code, s.label_zh)).collect();
    Ok(render(&HazardsPage {
        c,
        hazards: page.items,
        pager,
        export_xlsx: link("/safety/hazards/export.xlsx", &pairs),
        export_csv: link("/safety/hazards/export.csv", &pairs),
        q,
        categories: categories(),
        states,
        today,
    })?
    .into_response())
}

async fn export(state: AppState, u: User, q: HazardQuery, file: &str) -> PageResult {
    let today = state.today();
    u.access().require(Action::Export, Resource::Safety)?;
    let rows = si::hazard_rows(&state.db, u.access(), &q.filter(), today).await?.iter().map(|h| hazard_row(h, today)).collect();
    crate::pages::dashboard::file_response(file, &format!("隐患台账-{today}"), "hazards", HAZARD_HEADERS, rows)
}

pub async fn hazards_xlsx(State(state): State<AppState>, u: User, Query(q): Query<HazardQuery>) -> PageResult {
    export(state, u, q, "hazards.xlsx").await
}

pub async fn hazards_csv(State(state): State<AppState>, u: User, Query(q): Query<HazardQuery>) -> PageResult {
    export(state, u, q, "hazards.csv").await
}

// ---------------------------------------------------------------------------------------
// A hazard

/// A step the caller may take, as a form.
pub struct StepForm {
    pub action: &'static str,
    pub label: &'static str,
    pub note: Option<&'static str>,
    pub deadline: bool,
    pub photos: bool,
    pub closes: bool,
}

#[derive(Template)]
#[template(path = "safety_hazard.html")]
pub struct HazardPage {
    pub c: PageCtx,
    pub h: Hazard,
    pub steps: Vec<(HazardStep, Vec<SafetyFile>)>,
    pub forms: Vec<StepForm>,
    pub today: NaiveDate,
    pub s: Submitted,
    pub failed: String,
    pub alert: Option<String>,
}

impl HazardPage {
    /// The last day of the official holiday table, when the current deadline lies beyond it
    /// (its working days then count weekends only, until the year's days are added).
    pub fn beyond_table(&self) -> Option<NaiveDate> {
        let until = wuye_domain::calendar::Calendar::national().known_until()?;
        self.h.deadline.filter(|d| *d > until).map(|_| until)
    }
    pub fn v(&self, action: &str, field: &str) -> String {
        if self.failed == action { self.s.get(field) } else { String::new() }
    }
    pub fn css(&self) -> &'static str {
        hazard_css(&self.h, self.today)
    }
    pub fn to_label(&self, state: &str) -> &'static str {
        HAZARD.state_label(state)
    }
}

async fn hazard_page(state: &AppState, lang: Lang, u: &User, id: i64, s: Submitted, failed: String, alert: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let h = si::hazard(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let steps = si::hazard_timeline(db, a, id, today).await?;
    let by = si::roles_in(a, &h);
    let forms = HAZARD
        .steps_from(&h.state)
        .into_iter()
        .filter(|st| by.contains(&st.by))
        .map(|st| StepForm {
            action: st.action,
            label: st.label_zh,
            note: st.note,
            deadline: st.deadline == DeadlineRule::Given,
            photos: matches!(st.action, "report" | "spot_fix"),
            closes: HAZARD.state(st.to).is_some_and(|x| x.closed),
        })
        .collect::<Vec<StepForm>>();
    // A message about a step the caller has no form for is shown at the top.
    let failed = if forms.iter().any(|f| f.action == failed) { failed } else { String::new() };
    let c = PageCtx::new(lang, &u.0, "safety_hazards", format!("{} #{id}", lang.t("安全隐患")))
        .with_region(region::path(db, &h.region_code).await?)
        .crumb(h.estate_name.clone(), format!("/estates/{}/safety", h.estate_id))
        .crumb(lang.t("安全隐患"), "/safety/hazards")
        .crumb(format!("#{id}"), "")
        .here(format!("/safety/hazards/{id}"));
    let status = status_of(&alert);
    Ok((status, render(&HazardPage { c, h, steps, forms, today, s, failed, alert })?).into_response())
}

pub async fn hazard(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    hazard_page(&state, lang, &u, id, Submitted::default(), String::new(), None).await
}

pub async fn hazard_step(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, req: axum::extract::Request) -> PageResult {
    let today = state.today();
    si::hazard(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (s, files) = match form_and_files(req).await {
        Ok(x) => x,
        Err(m) => return hazard_page(&state, lang, &u, id, Submitted::default(), String::new(), Some(m)).await,
    };
    let action = s.get("action");
    let deadline = match s.opt("deadline") {
        Some(v) => match NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => return hazard_page(&state, lang, &u, id, s, action, Some("期限：请填写日期（YYYY-MM-DD）".into())).await,
        },
        None => None,
    };
    let input = HazardStepInput { action: action.clone(), note: s.get("note"), deadline };
    let uploads: Vec<Upload> = files.into_iter().map(|(_, f)| f).collect();
    match si::hazard_step(&state.db, u.access(), id, &input, &uploads, today).await {
        Ok(_) => Ok(Redirect::to(&format!("/safety/hazards/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            hazard_page(&state, lang, &u, id, s, action, Some(m)).await
        }
    }
}

/// A photo, inline.
pub async fn photo(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let (f, bytes) = si::photo(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let disposition = format!("inline; filename=\"photo-{id}\"; filename*=UTF-8''{}", crate::ctx::urlencode(&f.file_name));
    Ok(([(header::CONTENT_TYPE, f.content_type.clone()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

// ---------------------------------------------------------------------------------------
// Templates

#[derive(Template)]
#[template(path = "safety_insp_templates.html")]
pub struct TemplatesPage {
    pub c: PageCtx,
    pub templates: Vec<Tpl>,
}

pub async fn templates(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    si::ensure_templates(&state.db).await?;
    let templates = si::templates(&state.db, u.access()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let c = PageCtx::new(lang, &u.0, "safety_templates", lang.t("安全检查表")).crumb(lang.t("安全检查表"), "").here("/safety/templates");
    Ok(render(&TemplatesPage { c, templates })?.into_response())
}

#[derive(Template)]
#[template(path = "safety_insp_template.html")]
pub struct TemplatePage {
    pub c: PageCtx,
    pub t: Tpl,
    pub items: Vec<TemplateItem>,
    /// The items as text for the edit form: one per line, `item | basis`.
    pub text: String,
    pub may_edit: bool,
    pub alert: Option<String>,
}

async fn template_page(state: &AppState, lang: Lang, u: &User, id: i64, text: Option<String>, alert: Option<String>) -> PageResult {
    let (t, items) = si::template(&state.db, u.access(), id).await.map_err(|x| PageError::from(x).lang(lang))?;
    let text = text.unwrap_or_else(|| items.iter().map(|i| if i.basis.is_empty() { i.item.clone() } else { format!("{} | {}", i.item, i.basis) }).collect::<Vec<_>>().join("\n"));
    let may_edit = matches!(u.access().role(), Role::Admin | Role::Regulator);
    let c = PageCtx::new(lang, &u.0, "safety_templates", format!("{} v{}", t.title, t.version)).crumb(lang.t("安全检查表"), "/safety/templates").crumb(format!("{} v{}", t.title, t.version), "").here(format!("/safety/templates/{id}"));
    let status = status_of(&alert);
    Ok((status, render(&TemplatePage { c, t, items, text, may_edit, alert })?).into_response())
}

pub async fn template(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    template_page(&state, lang, &u, id, None, None).await
}

/// Saves the edited items as a new version for the caller's region (or the region given).
pub async fn template_save(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let (t, _) = si::template(&state.db, u.access(), id).await.map_err(|x| PageError::from(x).lang(lang))?;
    let items: Vec<TemplateItem> = s
        .get("items")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (item, basis) = l.split_once('|').unwrap_or((l, ""));
            TemplateItem { seq: 0, item: item.trim().to_string(), basis: basis.trim().to_string() }
        })
        .collect();
    match si::save_template(&state.db, u.access(), &t.category, &s.get("region_code"), &s.get("title"), &items).await {
        Ok(new) => Ok(Redirect::to(&format!("/safety/templates/{new}")).into_response()),
        Err(e) => {
            let m = alert_of(e)?;
            template_page(&state, lang, &u, id, Some(s.get("items")), Some(m)).await
        }
    }
}
