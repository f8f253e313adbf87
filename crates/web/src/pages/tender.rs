//! Tendering pages (物业管理招投标, rules.md §5.6): the list with flags and exports, a new
//! tender for an estate, the whole project on one page with the step forms the caller may
//! use, and the expert pool. Every rule and access check is the store's
//! ([`wuye_store::tender`]).

use super::render;
use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::Submitted;
use crate::i18n::Lang;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use wuye_domain::account::Scope;
use wuye_domain::registry::FeeModel;
use wuye_domain::tender::{Criterion, TenderKind, TenderMethod, TenderState, fmt_tenths};
use wuye_ledger::Out;
use wuye_store::StoreError;
use wuye_store::registry as reg;
use wuye_store::tender::{self as td, AwardInput, Expert, NewBid, NewExpert, NewTender, PanelInput, ScoreInput, Tender, TenderFile, TenderFilter};

type PageResult = Result<Response, PageError>;

fn alert_of(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

/// "85.5" → 855 (tenths); `None` when not a number with at most one decimal.
pub fn parse_tenths(s: &str) -> Option<i64> {
    let s = s.trim();
    let (i, f) = s.split_once('.').unwrap_or((s, "0"));
    if f.len() != 1 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let neg = i.starts_with('-');
    let i: i64 = i.trim_start_matches('-').parse().ok()?;
    let v = i * 10 + f.parse::<i64>().ok()?;
    Some(if neg { -v } else { v })
}

/// "1.40" 元 → 140 fen; at most two decimals.
pub fn parse_fen(s: &str) -> Option<i64> {
    let s = s.trim();
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    if f.len() > 2 || !f.bytes().all(|b| b.is_ascii_digit()) || i.is_empty() {
        return None;
    }
    let i: i64 = i.parse().ok()?;
    let f: i64 = if f.is_empty() { 0 } else { format!("{f:0<2}").parse().ok()? };
    Some(i * 100 + f)
}

/// Tenths as points: 855 → "85.5".
pub fn tenths(t: impl std::borrow::Borrow<i64>) -> String {
    fmt_tenths(*t.borrow())
}

fn date(s: &Submitted, k: &str, label: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&s.get(k), "%Y-%m-%d").map_err(|_| format!("{label}：请填写日期（年-月-日），实为 {:?}", s.get(k)))
}

/// `?region=&state=&kind=&flagged=1` of the list.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    pub region: Option<String>,
    pub state: Option<String>,
    pub kind: Option<String>,
    pub flagged: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> TenderFilter {
        TenderFilter {
            region: self.region.clone(),
            estate_id: None,
            state: self.state.clone().filter(|s| !s.is_empty()),
            kind: self.kind.clone().filter(|s| !s.is_empty()),
            flagged: Some(self.flagged.as_deref() == Some("1")),
        }
    }
    fn qs(&self) -> String {
        super::link("", &[("region", self.region.clone().unwrap_or_default()), ("state", self.state.clone().unwrap_or_default()), ("kind", self.kind.clone().unwrap_or_default()), ("flagged", self.flagged.clone().unwrap_or_default())])
    }
}

/// One row of the list with its flags worked out.
pub struct Row {
    pub t: Tender,
    pub award_missed: bool,
    pub filing_late: bool,
}

#[derive(Template)]
#[template(path = "tender_list.html")]
pub struct ListPage {
    pub c: PageCtx,
    pub rows: Vec<Row>,
    pub q: ListQuery,
    pub qs: String,
    pub states: Vec<(&'static str, &'static str)>,
}

/// 招投标项目: the tenders the caller reaches, with missed deadlines flagged.
pub async fn list(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<ListQuery>) -> PageResult {
    let today = state.today();
    let items = td::list_tenders(&state.db, u.access(), &q.filter(), today).await.map_err(|e| PageError::from(e).lang(lang))?;
    let rows = items.into_iter().map(|t| Row { award_missed: t.award_missed(today), filing_late: t.filing_late(today), t }).collect();
    let c = PageCtx::new(lang, &u.0, "tenders", lang.t("招投标项目")).here("/tenders");
    let qs = q.qs();
    let states = TenderState::ALL.iter().map(|s| (s.code(), s.label_zh())).collect();
    Ok(render(&ListPage { c, rows, q, qs, states })?.into_response())
}

pub async fn export_xlsx(state: State<AppState>, u: User, q: Query<ListQuery>) -> PageResult {
    export(state, u, "tenders.xlsx", q).await
}

pub async fn export_csv(state: State<AppState>, u: User, q: Query<ListQuery>) -> PageResult {
    export(state, u, "tenders.csv", q).await
}

/// The list as xlsx or csv, exactly as filtered.
async fn export(State(state): State<AppState>, u: User, file: &str, Query(q): Query<ListQuery>) -> PageResult {
    let today = state.today();
    let items = td::list_tenders(&state.db, u.access(), &q.filter(), today).await?;
    let headers = ["编号", "项目", "小区", "区划代码", "类型", "方式", "招标人", "状态", "公告日", "投标截止日", "投标有效期至", "投标数", "中标企业", "定标日", "定标逾期", "备案日", "备案逾期", "合同编号"];
    let d = |x: Option<NaiveDate>| Out::from(x.map(|d| d.to_string()).unwrap_or_default());
    let rows = items
        .iter()
        .map(|t| {
            vec![
                Out::Int(t.id),
                Out::from(t.title.as_str()),
                Out::from(t.estate_name.as_str()),
                Out::from(t.region_code.as_str()),
                Out::from(t.kind_zh()),
                Out::from(t.method_zh()),
                Out::from(t.tenderer.as_str()),
                Out::from(t.state_zh()),
                d(t.published_on),
                Out::from(t.bid_deadline.to_string()),
                Out::from(t.bid_validity_until.to_string()),
                Out::Int(t.bids),
                Out::from(t.awarded_enterprise_name.clone().unwrap_or_default()),
                d(t.awarded_on),
                Out::from(if t.award_missed(today) { "是" } else { "" }),
                d(t.filed_on),
                Out::from(if t.filing_late(today) { "是" } else { "" }),
                Out::from(t.contract_id.map(|c| c.to_string()).unwrap_or_default()),
            ]
        })
        .collect();
    super::dashboard::file_response(file, &format!("招投标项目-{today}"), "招投标项目", &headers, rows)
}

#[derive(Template)]
#[template(path = "tender_new.html")]
pub struct NewPage {
    pub c: PageCtx,
    pub estate_id: i64,
    pub estate_name: String,
    pub s: Submitted,
    pub alert: Option<String>,
}

impl NewPage {
    pub fn v(&self, k: &str, default: &str) -> String {
        self.s.0.get(k).cloned().unwrap_or_else(|| default.to_string())
    }
    /// Criterion row `i` (1–5): its `name` or `weight`, the defaults 报价 40, 服务方案 40,
    /// 信用评价 20 on a fresh form.
    pub fn crit(&self, i: usize, what: &str) -> String {
        let d = match (i, what) {
            (1, "name") => "报价",
            (1, _) => "40",
            (2, "name") => "服务方案",
            (2, _) => "40",
            (3, "name") => "信用评价",
            (3, _) => "20",
            _ => "",
        };
        if self.s.0.is_empty() { d.to_string() } else { self.s.get(&format!("c{i}_{what}")) }
    }
    /// The five criterion rows: (row, name, weight, is the credit criterion).
    pub fn crit_rows(&self) -> Vec<(usize, String, String, bool)> {
        let credit: usize = self.s.get("credit").parse().unwrap_or(3);
        (1..=5).map(|i| (i, self.crit(i, "name"), self.crit(i, "weight"), i == credit)).collect()
    }
}

/// 新建招标 for an estate.
pub async fn new_form(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>) -> PageResult {
    new_page(&state, lang, &u, estate, Submitted(Default::default()), None).await
}

async fn new_page(state: &AppState, lang: Lang, u: &User, estate: i64, s: Submitted, alert: Option<String>) -> PageResult {
    let e = reg::get_estate(&state.db, u.access(), estate, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    if !u.access().can(wuye_domain::account::Action::Create, wuye_domain::account::Resource::Tender) || matches!(u.access().scope(), Scope::Enterprise(_)) {
        return Err(PageError::from(StoreError::Forbidden(lang.t("无权发起招标").into())).lang(lang));
    }
    let c = PageCtx::new(lang, &u.0, "tenders", lang.t("新建招标")).crumb(lang.t("招投标项目"), "/tenders").crumb(e.name.clone(), format!("/estates/{estate}")).here(format!("/estates/{estate}/tenders/new"));
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&NewPage { c, estate_id: estate, estate_name: e.name, s, alert })?).into_response())
}

fn new_tender_of(estate: i64, s: &Submitted) -> Result<NewTender, String> {
    let kind = TenderKind::parse(&s.get("kind")).ok_or("类型：请选择前期物业或物业服务")?;
    let method = TenderMethod::parse(&s.get("method")).ok_or("方式：请选择招标方式")?;
    let credit_row = s.get("credit");
    let mut criteria = Vec::new();
    for i in 1..=5 {
        let name = s.get(&format!("c{i}_name"));
        if name.is_empty() {
            continue;
        }
        let w = s.get(&format!("c{i}_weight"));
        let weight_pct = w.parse::<i64>().map_err(|_| format!("评标标准第 {i} 项权重：应为整数百分比，实为 {w:?}"))?;
        criteria.push(Criterion { name, weight_pct, credit: credit_row == i.to_string() });
    }
    let vote_id = match s.opt("vote_id") {
        None => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| format!("业主大会表决：应为表决编号，实为 {v:?}"))?),
    };
    Ok(NewTender {
        estate_id: estate,
        kind,
        method,
        title: s.get("title"),
        tenderer: s.get("tenderer"),
        notice: s.get("notice"),
        approval: s.get("approval"),
        vote_id,
        bid_deadline: date(s, "bid_deadline", "投标截止日")?,
        bid_validity_until: date(s, "bid_validity_until", "投标有效期")?,
        criteria,
        credit_mapping: None,
    })
}

pub async fn create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let r = match new_tender_of(estate, &s) {
        Ok(t) => td::create_tender(&state.db, u.access(), &t, state.today()).await,
        Err(m) => {
            // The estate must be reachable before anything is said about the form.
            reg::get_estate(&state.db, u.access(), estate, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
            Err(StoreError::Invalid(m))
        }
    };
    match r {
        Ok(id) => Ok(Redirect::to(&format!("/tenders/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e).map_err(|e| e.lang(lang))?;
            new_page(&state, lang, &u, estate, s, Some(m)).await
        }
    }
}

/// A score sheet: one member's scores of every bid on every panel-scored criterion.
pub struct Sheet {
    pub member_id: i64,
    pub name: String,
    pub outside: bool,
    /// (bid id, enterprise name, [(criterion id, criterion name, points or "")])
    pub rows: Vec<(i64, String, Vec<(i64, String, String)>)>,
}

#[derive(Template)]
#[template(path = "tender.html")]
pub struct TenderPage {
    pub c: PageCtx,
    pub f: TenderFile,
    pub t: Tender,
    pub sheets: Vec<Sheet>,
    pub alert: Option<String>,
    pub today: NaiveDate,
    /// The caller's own enterprise (an enterprise manager may bid for it).
    pub my_enterprise: Option<i64>,
    pub may_bid: bool,
    /// Enterprises to invite (id, name), for the organiser of an invited draft.
    pub enterprises: Vec<(i64, String)>,
    pub award_missed: bool,
    pub filing_late: bool,
}

impl TenderPage {
    pub fn is(&self, s: &str) -> bool {
        self.t.state == s
    }
    /// Whether bid `id` won.
    pub fn won(&self, id: &i64) -> bool {
        self.t.awarded_bid_id == Some(*id)
    }
    /// Credit points of a grade under this tender's mapping, as text.
    pub fn credit_points(&self, grade: &str) -> String {
        fmt_tenths(self.f.credit_mapping.points(grade))
    }
    /// A grade code in words (黑名单, 缺失…), as the credit pages say it.
    pub fn grade_label<'a>(&self, g: &'a str) -> &'a str {
        wuye_domain::credit::grade_label_zh(g)
    }
}

async fn tender_page(state: &AppState, lang: Lang, u: &User, id: i64, alert: Option<String>) -> PageResult {
    let f = td::tender_file(&state.db, u.access(), id).await.map_err(|e| PageError::from(e).lang(lang))?;
    let today = state.today();
    let t = f.tender.clone();
    let sheets = f
        .members
        .iter()
        .map(|m| Sheet {
            member_id: m.id,
            name: m.name.clone(),
            outside: m.outside,
            rows: f
                .bids
                .iter()
                .map(|b| {
                    let cells = f
                        .criteria
                        .iter()
                        .filter(|c| !c.credit)
                        .map(|c| {
                            let v = f.scores.iter().find(|s| s.member_id == m.id && s.bid_id == b.id && s.criterion_id == c.id).map(|s| fmt_tenths(s.points_tenths)).unwrap_or_default();
                            (c.id, c.name.clone(), v)
                        })
                        .collect();
                    (b.id, b.enterprise_name.clone(), cells)
                })
                .collect(),
        })
        .collect();
    let my_enterprise = match (u.access().role(), u.access().scope()) {
        (wuye_domain::account::Role::EnterpriseManager, Scope::Enterprise(e)) => Some(*e),
        _ => None,
    };
    let may_bid = t.state() == TenderState::Published && today <= t.bid_deadline && (f.organiser || my_enterprise.is_some());
    let enterprises: Vec<(i64, String)> = if f.organiser && (t.method == "invited" || t.state() == TenderState::Published) {
        let q = reg::ListQuery { per_page: Some(500), ..Default::default() };
        reg::list_enterprises(&state.db, u.access(), &q, today).await.map(|p| p.items.into_iter().map(|e| (e.id, e.name)).collect()).unwrap_or_default()
    } else {
        Vec::new()
    };
    let c = PageCtx::new(lang, &u.0, "tenders", t.title.clone()).crumb(lang.t("招投标项目"), "/tenders").here(format!("/tenders/{id}"));
    let (award_missed, filing_late) = (t.award_missed(today), t.filing_late(today));
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&TenderPage { c, f, t, sheets, alert, today, my_enterprise, may_bid, enterprises, award_missed, filing_late })?).into_response())
}

/// 招标项目: the whole project on one page.
pub async fn show(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    tender_page(&state, lang, &u, id, None).await
}

async fn step(state: &AppState, lang: Lang, u: &User, id: i64, r: Result<(), StoreError>) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/tenders/{id}")).into_response()),
        Err(e) => {
            let m = alert_of(e).map_err(|e| e.lang(lang))?;
            tender_page(state, lang, u, id, Some(m)).await
        }
    }
}

pub async fn invite(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Vec<(String, String)>>) -> PageResult {
    let ids: Vec<i64> = s.iter().filter(|(k, _)| k == "enterprise_id").filter_map(|(_, v)| v.trim().parse().ok()).collect();
    let r = td::invite(&state.db, u.access(), id, &ids, state.today()).await;
    step(&state, lang, &u, id, r).await
}

pub async fn publish(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let r = td::publish(&state.db, u.access(), id, state.today()).await;
    step(&state, lang, &u, id, r).await
}

pub async fn bid(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let r = match (s.get("enterprise_id").parse::<i64>(), parse_fen(&s.get("price"))) {
        (Ok(e), Some(p)) => td::submit_bid(&state.db, u.access(), id, &NewBid { enterprise_id: e, price_fen_per_m2_month: p, plan: s.get("plan") }, state.today()).await.map(|_| ()),
        (Err(_), _) => Err(StoreError::Invalid("投标企业：请选择企业".into())),
        (_, None) => Err(StoreError::Invalid(format!("报价：应为金额（元/m²·月，最多两位小数），实为 {:?}", s.get("price")))),
    };
    step(&state, lang, &u, id, r).await
}

pub async fn close(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let r = td::close_bidding(&state.db, u.access(), id, state.today()).await.map(|_| ());
    step(&state, lang, &u, id, r).await
}

pub async fn panel(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let n = |k: &str| s.get(k).parse::<usize>().ok();
    let r = match (n("size"), n("experts")) {
        (Some(size), Some(experts)) => {
            let seed = match s.opt("seed") {
                None => Ok(None),
                Some(v) => v.parse::<u64>().map(Some).map_err(|_| StoreError::Invalid(format!("随机数种子：应为非负整数，实为 {v:?}"))),
            };
            match seed {
                Ok(seed) => {
                    let representatives = s.get("representatives").split(['\n', '，', ',']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect();
                    td::draw_panel(&state.db, u.access(), id, &PanelInput { size, experts, representatives, seed }).await.map(|_| ())
                }
                Err(e) => Err(e),
            }
        }
        _ => Err(StoreError::Invalid("评标委员会：请填写成员人数和专家人数（整数）".into())),
    };
    step(&state, lang, &u, id, r).await
}

/// One member's score sheet: fields `s_{bid}_{criterion}` in points (one decimal).
pub async fn scores(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let member: i64 = s.get("member_id").parse().unwrap_or(0);
    let mut input = Vec::new();
    let mut bad = None;
    let mut keys: Vec<&String> = s.0.keys().filter(|k| k.starts_with("s_")).collect();
    keys.sort();
    for k in keys {
        let v = s.get(k);
        if v.is_empty() {
            continue;
        }
        let mut parts = k[2..].split('_');
        let (Some(b), Some(c)) = (parts.next().and_then(|x| x.parse().ok()), parts.next().and_then(|x| x.parse().ok())) else { continue };
        match parse_tenths(&v) {
            Some(p) => input.push(ScoreInput { bid_id: b, criterion_id: c, points_tenths: p }),
            None => bad = Some(format!("评分：应为 0–100 的分数（最多一位小数），实为 {v:?}")),
        }
    }
    let r = match bad {
        Some(m) => Err(StoreError::Invalid(m)),
        None => td::record_scores(&state.db, u.access(), id, member, &input).await,
    };
    step(&state, lang, &u, id, r).await
}

pub async fn evaluate(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let r = td::evaluate(&state.db, u.access(), id).await.map(|_| ());
    step(&state, lang, &u, id, r).await
}

pub async fn award(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let r = match (date(&s, "start_date", "合同开始日期"), s.opt("end_date").map(|_| date(&s, "end_date", "合同结束日期")).transpose(), FeeModel::parse(&s.get("fee_model"))) {
        (Ok(start_date), Ok(end_date), Some(fee_model)) => td::award(&state.db, u.access(), id, &AwardInput { start_date, end_date, fee_model }, state.today()).await.map(|_| ()),
        (Err(m), _, _) | (_, Err(m), _) => Err(StoreError::Invalid(m)),
        (_, _, None) => Err(StoreError::Invalid("计费方式：请选择包干制或酬金制".into())),
    };
    step(&state, lang, &u, id, r).await
}

pub async fn file(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let r = match date(&s, "filed_on", "备案日期") {
        Ok(d) => td::file(&state.db, u.access(), id, d, &s.get("filing_ref"), state.today()).await.map(|_| ()),
        Err(m) => Err(StoreError::Invalid(m)),
    };
    step(&state, lang, &u, id, r).await
}

pub async fn cancel(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let r = td::cancel(&state.db, u.access(), id, &s.get("reason")).await;
    step(&state, lang, &u, id, r).await
}

#[derive(Template)]
#[template(path = "tender_experts.html")]
pub struct ExpertsPage {
    pub c: PageCtx,
    pub experts: Vec<Expert>,
    pub alert: Option<String>,
    pub may_edit: bool,
}

async fn experts_page(state: &AppState, lang: Lang, u: &User, alert: Option<String>) -> PageResult {
    let experts = td::list_experts(&state.db, u.access()).await.map_err(|e| PageError::from(e).lang(lang))?;
    let may_edit = matches!(u.access().role(), wuye_domain::account::Role::Admin | wuye_domain::account::Role::Regulator);
    let c = PageCtx::new(lang, &u.0, "tender_experts", lang.t("评标专家库")).crumb(lang.t("招投标项目"), "/tenders").here("/tender/experts");
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&ExpertsPage { c, experts, alert, may_edit })?).into_response())
}

/// 评标专家库.
pub async fn experts(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    experts_page(&state, lang, &u, None).await
}

pub async fn expert_add(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    let enterprise_id = s.opt("enterprise_id").and_then(|v| v.parse().ok());
    let e = NewExpert { name: s.get("name"), specialty: s.get("specialty"), region_code: s.get("region_code"), enterprise_id, employer: s.get("employer") };
    match td::add_expert(&state.db, u.access(), &e).await {
        Ok(_) => Ok(Redirect::to("/tender/experts").into_response()),
        Err(e) => {
            let m = alert_of(e).map_err(|e| e.lang(lang))?;
            experts_page(&state, lang, &u, Some(m)).await
        }
    }
}

pub async fn experts_csv(state: State<AppState>, u: User) -> PageResult {
    experts_export(state, u, "experts.csv").await
}

pub async fn experts_xlsx(state: State<AppState>, u: User) -> PageResult {
    experts_export(state, u, "experts.xlsx").await
}

async fn experts_export(State(state): State<AppState>, u: User, file: &str) -> PageResult {
    let list = td::list_experts(&state.db, u.access()).await?;
    let headers = ["编号", "姓名", "专业", "所属专家库区划", "所在企业编号", "工作单位", "在册"];
    let rows = list
        .iter()
        .map(|e| {
            vec![
                Out::Int(e.id),
                Out::from(e.name.as_str()),
                Out::from(e.specialty.as_str()),
                Out::from(e.region_code.as_str()),
                Out::from(e.enterprise_id.map(|i| i.to_string()).unwrap_or_default()),
                Out::from(e.employer.as_str()),
                Out::from(if e.active { "是" } else { "否" }),
            ]
        })
        .collect();
    super::dashboard::file_response(file, &format!("评标专家库-{}", state.today()), "评标专家库", &headers, rows)
}
