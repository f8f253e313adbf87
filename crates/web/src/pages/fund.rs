//! The special maintenance fund (住宅专项维修资金) on the web: an estate's fund account with
//! its household accounts, yearly statement, top-up alerts and fund uses; a household
//! account with its entries; a fund use from application to disclosure (the owners' vote
//! through [`super::votes`]); the estate's disclosure page for its owners; the deposit
//! rates; and the ledgers as xlsx/csv. Every access check is the store's
//! ([`wuye_store::fund`]); money is entered in 元 with two decimals and kept in fen.

use super::render;
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
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use wuye_domain::account::{Action, Resource};
use wuye_domain::fund::{EmergencyKind, FundUsePath, FundUseState};
use wuye_ledger::Out;
use wuye_store::fund::{self as f, Account, Entry, FundUse, Household, HouseholdRow, HouseholdStatement, NewFundUse, Rate, Statement, UseHouse};
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

/// Badge colour of a fund-use state.
pub fn use_css(u: &FundUse) -> &'static str {
    match u.state() {
        FundUseState::Disclosed => "green",
        FundUseState::Rejected => "red",
        FundUseState::Application => "grey",
        _ => "amber",
    }
}

/// Chinese label of a fund use's state, path and emergency.
pub fn use_state_zh(u: &FundUse) -> &'static str {
    u.state().label_zh()
}
pub fn use_path_zh(u: &FundUse) -> &'static str {
    u.use_path().label_zh()
}
pub fn emergency_zh(u: &FundUse) -> &'static str {
    u.emergency().map(|k| k.label_zh()).unwrap_or("")
}

/// Query of the fund pages: the statement year (default this year).
#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    pub year: Option<String>,
    /// `1`: only the households below 30% of their initial deposit.
    pub below: Option<String>,
}

impl YearQuery {
    fn year(&self, today: NaiveDate) -> i32 {
        self.year.as_deref().and_then(|y| y.trim().parse().ok()).filter(|y| (1990..=2100).contains(y)).unwrap_or(today.year())
    }
    fn below(&self) -> bool {
        self.below.as_deref() == Some("1")
    }
}

async fn estate_ctx(state: &AppState, lang: Lang, u: &User, id: i64, title: String) -> Result<(Estate, PageCtx), PageError> {
    let e = reg::get_estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let c = PageCtx::new(lang, &u.0, "estates", title).with_region(region::path(&state.db, &e.region_code).await?).crumb(e.name.clone(), format!("/estates/{id}"));
    Ok((e, c))
}

// ---------------------------------------------------------------------------------------
// An estate's fund account

#[derive(Template)]
#[template(path = "fund.html")]
pub struct FundPage {
    pub c: PageCtx,
    pub e: Estate,
    pub account: Option<Account>,
    pub year: i32,
    pub statement: Statement,
    pub households: Vec<HouseholdRow>,
    pub below_only: bool,
    pub uses: Vec<FundUse>,
    /// The caller keeps the ledger (open accounts, deposits, interest).
    pub keeps: bool,
    /// The caller may apply to use the fund (owners' committee).
    pub applies: bool,
    pub alert: Option<String>,
    pub notice: Option<String>,
}

async fn fund_page(state: &AppState, lang: Lang, u: &User, id: i64, q: &YearQuery, alert: Option<String>, notice: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let account = f::account(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let year = q.year(today);
    let (e, c) = estate_ctx(state, lang, u, id, lang.t("维修资金").to_string()).await?;
    let c = c.crumb(lang.t("维修资金"), "").here(format!("/estates/{id}/fund"));
    let (statement, households, uses) = if account.is_some() {
        (f::estate_statement(db, a, id, year, today).await?, f::household_rows(db, a, id, q.below(), today).await?, f::list_uses(db, a, id, today).await?)
    } else {
        (Statement { year, ..Default::default() }, Vec::new(), Vec::new())
    };
    let keeps = a.can(Action::Edit, Resource::Fund);
    let applies = a.can(Action::Create, Resource::Fund);
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&FundPage { c, e, account, year, statement, households, below_only: q.below(), uses, keeps, applies, alert, notice })?).into_response())
}

pub async fn fund(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> PageResult {
    fund_page(&state, lang, &u, id, &q, None, None).await
}

/// Opens the estate's fund account (housing authority).
pub async fn fund_open(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    f::account(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    match f::open_accounts(&state.db, u.access(), id, state.today()).await {
        Ok(n) => fund_page(&state, lang, &u, id, &YearQuery::default(), None, Some(format!("{}：{n}", lang.t("已开立分户账")))).await,
        Err(e) => fund_page(&state, lang, &u, id, &YearQuery::default(), Some(alert_of(e)?), None).await,
    }
}

/// Allocates interest (value-added income) to the household accounts by balance.
pub async fn fund_interest(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    f::account(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let total = errs.hundredths(&s, "total", true);
    let date = errs.date(&s, "date", false).unwrap_or(state.today());
    // Blank: the default method (by balance, rules.md §2.3).
    let method = if s.get("method").is_empty() { Default::default() } else { errs.choice(&s, "method", wuye_domain::fund::InterestMethod::parse).unwrap_or_default() };
    let Some(total) = total.filter(|_| errs.is_empty()) else {
        return fund_page(&state, lang, &u, id, &YearQuery::default(), Some(errs_text(&errs)), None).await;
    };
    match f::allocate_interest(&state.db, u.access(), id, total, method, date).await {
        Ok(parts) => fund_page(&state, lang, &u, id, &YearQuery::default(), None, Some(format!("{}：{} 元 → {} 户", lang.t("已分配增值收益"), crate::fmt::yuan(total), parts.len()))).await,
        Err(e) => fund_page(&state, lang, &u, id, &YearQuery::default(), Some(alert_of(e)?), None).await,
    }
}

/// Field errors as one line, each named by its label.
fn errs_text(errs: &Errors) -> String {
    let mut v: Vec<String> = errs.0.iter().map(|(k, m)| format!("{}：{m}", label_of(k))).collect();
    v.sort();
    v.join("；")
}

/// Labels of the fund forms' fields.
fn label_of(field: &str) -> &str {
    match field {
        "total" => "利息总额",
        "date" => "日期",
        "amount" => "金额",
        "payer" => "缴款人",
        "new_owner" => "新业主",
        "opens_on" => "开始投票日期",
        "closes_on" => "截止日期",
        "contractor" => "施工单位",
        "region_prefix" => "区划代码前缀",
        "rate" => "缴存标准",
        "effective_from" => "起始日期",
        "project" => "项目",
        "budget" => "预算",
        "building" => "楼栋",
        "emergency" => "紧急情况",
        "method" => "分配方法",
        other => other,
    }
}

// ---------------------------------------------------------------------------------------
// A household account

#[derive(Template)]
#[template(path = "fund_household.html")]
pub struct HouseholdPage {
    pub c: PageCtx,
    pub h: Household,
    pub label: String,
    pub estate_name: String,
    pub entries: Vec<Entry>,
    pub year: i32,
    pub statement: Statement,
    pub below: bool,
    pub keeps: bool,
    pub today: NaiveDate,
    pub alert: Option<String>,
    pub notice: Option<String>,
}

async fn household_page(state: &AppState, lang: Lang, u: &User, house: i64, q: &YearQuery, alert: Option<String>, notice: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let hse = reg::get_house(db, a, house, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let h = f::household(db, a, house, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let year = q.year(today);
    let entries = f::household_entries(db, a, house, today).await?;
    let statement = f::household_statement(db, a, house, year, today).await?;
    let c = PageCtx::new(lang, &u.0, "houses", format!("{} · {}", hse.label(), lang.t("维修资金分户账")))
        .with_region(region::path(db, &hse.region_code).await?)
        .crumb(hse.estate_name.clone(), format!("/estates/{}", hse.estate_id))
        .crumb(hse.label(), format!("/houses/{house}"))
        .crumb(lang.t("维修资金分户账"), "")
        .here(format!("/houses/{house}/fund"));
    let below = h.closed_on.is_none() && wuye_domain::fund::below_top_up_threshold(h.balance, h.initial_deposit, wuye_domain::fund::DEFAULT_TOP_UP_PERCENT);
    let keeps = a.can(Action::Edit, Resource::Fund);
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&HouseholdPage { c, h, label: hse.label(), estate_name: hse.estate_name, entries, year, statement, below, keeps, today, alert, notice })?).into_response())
}

pub async fn household(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(house): Path<i64>, Query(q): Query<YearQuery>) -> PageResult {
    household_page(&state, lang, &u, house, &q, None, None).await
}

/// A deposit to a household account: amount in 元, payer, date.
pub async fn household_deposit(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(house): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    f::household(&state.db, u.access(), house, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let amount = errs.hundredths(&s, "amount", true);
    let payer = errs.required(&s, "payer");
    let date = errs.date(&s, "date", false).unwrap_or(state.today());
    let q = YearQuery::default();
    let Some(amount) = amount.filter(|_| errs.is_empty()) else {
        return household_page(&state, lang, &u, house, &q, Some(errs_text(&errs)), None).await;
    };
    match f::deposit(&state.db, u.access(), house, amount, &payer, date).await {
        Ok(_) => household_page(&state, lang, &u, house, &q, None, Some(format!("{}：{} 元", lang.t("已记录缴存"), crate::fmt::yuan(amount)))).await,
        Err(e) => household_page(&state, lang, &u, house, &q, Some(alert_of(e)?), None).await,
    }
}

/// Sale: the balance passes to the new owner.
pub async fn household_transfer(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(house): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    f::household(&state.db, u.access(), house, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let owner = errs.required(&s, "new_owner");
    let date = errs.date(&s, "date", false).unwrap_or(state.today());
    let q = YearQuery::default();
    if !errs.is_empty() {
        return household_page(&state, lang, &u, house, &q, Some(errs_text(&errs)), None).await;
    }
    match f::transfer_on_sale(&state.db, u.access(), house, &owner, date).await {
        Ok(b) => household_page(&state, lang, &u, house, &q, None, Some(format!("{}：{} 元", lang.t("余额已随房屋转给新业主"), crate::fmt::yuan(b)))).await,
        Err(e) => household_page(&state, lang, &u, house, &q, Some(alert_of(e)?), None).await,
    }
}

/// Demolition: the balance is refunded and the account closed.
pub async fn household_refund(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(house): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    f::household(&state.db, u.access(), house, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let date = errs.date(&s, "date", false).unwrap_or(state.today());
    let q = YearQuery::default();
    match f::refund_on_demolition(&state.db, u.access(), house, date).await {
        Ok(b) => household_page(&state, lang, &u, house, &q, None, Some(format!("{}：{} 元", lang.t("已退还余额并销户"), crate::fmt::yuan(b)))).await,
        Err(e) => household_page(&state, lang, &u, house, &q, Some(alert_of(e)?), None).await,
    }
}

// ---------------------------------------------------------------------------------------
// Applying to use the fund

#[derive(Template)]
#[template(path = "fund_use_new.html")]
pub struct UseNewPage {
    pub c: PageCtx,
    pub e: Estate,
    /// (building id, building no., open household accounts in it).
    pub buildings: Vec<(i64, String, usize)>,
    pub emergencies: Vec<(&'static str, &'static str)>,
    pub s: Submitted,
    pub errs: Errors,
    pub alert: Option<String>,
}

impl UseNewPage {
    pub fn checked(&self, b: &i64) -> bool {
        self.s.get(&format!("b_{b}")) == "1"
    }
    pub fn err(&self, k: &str) -> String {
        self.errs.0.iter().find(|(n, _)| **n == k).map(|(_, v)| v.clone()).unwrap_or_default()
    }
}

async fn use_new_page(state: &AppState, lang: Lang, u: &User, id: i64, s: Submitted, errs: Errors, alert: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    f::account(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    a.require(Action::Create, Resource::Fund).map_err(|x| PageError::from(x).lang(lang))?;
    let (e, c) = estate_ctx(state, lang, u, id, lang.t("申请使用维修资金").to_string()).await?;
    let c = c.crumb(lang.t("维修资金"), format!("/estates/{id}/fund")).crumb(lang.t("申请使用维修资金"), "");
    // Open household accounts per building, from one query.
    let open = f::open_households_by_building(db, a, id, today).await?;
    let buildings = reg::list_buildings(db, a, id, today).await?.into_iter().map(|b| (b.id, b.label(), open.iter().filter(|(_, x)| *x == b.id).count())).collect();
    let emergencies = EmergencyKind::ALL.iter().map(|k| (k.code(), k.label_zh())).collect();
    let status = if errs.is_empty() && alert.is_none() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let alert = alert.or_else(|| (!errs.is_empty()).then(|| lang.t("请检查标红的字段").to_string()));
    Ok((status, render(&UseNewPage { c, e, buildings, emergencies, s, errs, alert })?).into_response())
}

pub async fn use_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    use_new_page(&state, lang, &u, id, Submitted::default(), Errors::default(), None).await
}

/// Parses the application form: project, budget (元), buildings in scope (none: the whole
/// estate), emergency kind (blank: ordinary procedure).
pub fn parse_use(s: &Submitted) -> Result<(String, i64, Vec<i64>, Option<EmergencyKind>), Errors> {
    let mut errs = Errors::default();
    let project = errs.required(s, "project");
    let budget = errs.hundredths(s, "budget", true);
    let mut buildings = Vec::new();
    // Checkboxes `b_<building id>` = 1.
    for (k, v) in &s.0 {
        if let Some(id) = k.strip_prefix("b_") {
            match id.parse::<i64>() {
                Ok(b) if v == "1" => buildings.push(b),
                Ok(_) => {}
                Err(_) => errs.add("building", format!("无效的楼栋「{id}」")),
            }
        }
    }
    buildings.sort_unstable();
    let emergency = match s.opt("emergency") {
        None => None,
        Some(code) => match EmergencyKind::parse(&code) {
            Some(k) => Some(k),
            None => {
                errs.add("emergency", format!("无效的选项 {code:?}"));
                None
            }
        },
    };
    match budget {
        Some(b) if errs.is_empty() => Ok((project, b, buildings, emergency)),
        _ => Err(errs),
    }
}

pub async fn use_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let today = state.today();
    f::account(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (project, budget, buildings, emergency) = match parse_use(&s) {
        Ok(x) => x,
        Err(errs) => return use_new_page(&state, lang, &u, id, s, errs, None).await,
    };
    let house_ids = f::scope_houses(&state.db, u.access(), id, &buildings, today).await?;
    let nu = NewFundUse { project, budget, house_ids, emergency };
    match f::apply_use(&state.db, u.access(), id, &nu, today).await {
        Ok(uid) => Ok(Redirect::to(&format!("/fund-uses/{uid}")).into_response()),
        Err(e) => use_new_page(&state, lang, &u, id, s, Errors::default(), Some(alert_of(e)?)).await,
    }
}

// ---------------------------------------------------------------------------------------
// A fund use

#[derive(Template)]
#[template(path = "fund_use.html")]
pub struct UsePage {
    pub c: PageCtx,
    pub u: FundUse,
    pub estate_name: String,
    pub houses: Vec<UseHouse>,
    pub area_total: i64,
    pub share_total: i64,
    /// The vote's title and state label, when put to the owners.
    pub vote: Option<(String, &'static str)>,
    pub applies: bool,
    /// A street office or community (or administrator) may confirm an emergency.
    pub confirms: bool,
    pub today: NaiveDate,
    pub alert: Option<String>,
}

impl UsePage {
    pub fn is(&self, s: &str) -> bool {
        self.u.state == s
    }
    pub fn emergency(&self) -> bool {
        self.u.use_path() == FundUsePath::Emergency
    }
    /// The default opening day of the vote: 15 days from today (PMR Art 14).
    pub fn opens_default(&self) -> NaiveDate {
        self.today + chrono::Days::new(15)
    }
    pub fn closes_default(&self) -> NaiveDate {
        self.today + chrono::Days::new(30)
    }
}

async fn use_page(state: &AppState, lang: Lang, u: &User, id: i64, alert: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let fu = f::get_use(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let e = reg::get_estate(db, a, fu.estate_id, today).await?;
    let houses = f::use_house_rows(db, a, id, today).await?;
    let vote = match fu.vote_id {
        Some(v) => wuye_store::assembly::get_vote(db, a, v, today).await.ok().map(|v| (v.title.clone(), v.state().label_zh())),
        None => None,
    };
    let c = PageCtx::new(lang, &u.0, "estates", fu.project.clone())
        .with_region(region::path(db, &e.region_code).await?)
        .crumb(e.name.clone(), format!("/estates/{}", e.id))
        .crumb(lang.t("维修资金"), format!("/estates/{}/fund", e.id))
        .crumb(fu.project.clone(), "")
        .here(format!("/fund-uses/{id}"));
    let applies = a.can(Action::Create, Resource::Fund);
    let confirms = matches!(a.role(), wuye_domain::account::Role::Street | wuye_domain::account::Role::Admin);
    let area_total = houses.iter().map(|h| h.area).sum();
    let share_total = houses.iter().filter_map(|h| h.share).sum();
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&UsePage { c, u: fu, estate_name: e.name, houses, area_total, share_total, vote, applies, confirms, today, alert })?).into_response())
}

pub async fn fund_use(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    use_page(&state, lang, &u, id, None).await
}

async fn use_step(state: &AppState, lang: Lang, u: &User, id: i64, r: Result<(), StoreError>) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/fund-uses/{id}")).into_response()),
        Err(e) => use_page(state, lang, u, id, Some(alert_of(e)?)).await,
    }
}

/// Reaches the use first, so a use out of scope is not found whatever the form holds.
async fn reach_use(state: &AppState, lang: Lang, u: &User, id: i64) -> Result<FundUse, PageError> {
    f::get_use(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))
}

/// Puts the use to the owners of the houses in scope (drafts the vote).
pub async fn use_vote(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    reach_use(&state, lang, &u, id).await?;
    let mut errs = Errors::default();
    let opens = errs.date(&s, "opens_on", true);
    let closes = errs.date(&s, "closes_on", true);
    let (Some(opens), Some(closes)) = (opens, closes) else {
        return use_page(&state, lang, &u, id, Some(errs_text(&errs))).await;
    };
    match f::submit_to_vote(&state.db, u.access(), id, opens, closes, state.today()).await {
        Ok(v) => Ok(Redirect::to(&format!("/votes/{v}")).into_response()),
        Err(e) => use_page(&state, lang, &u, id, Some(alert_of(e)?)).await,
    }
}

/// Approves or rejects by the published result of the vote.
pub async fn use_decide(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    reach_use(&state, lang, &u, id).await?;
    let r = f::decide(&state.db, u.access(), id, state.today()).await.map(|_| ());
    use_step(&state, lang, &u, id, r).await
}

/// The street office or community confirms an emergency.
pub async fn use_confirm(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    reach_use(&state, lang, &u, id).await?;
    let r = f::confirm_emergency(&state.db, u.access(), id, state.today()).await;
    use_step(&state, lang, &u, id, r).await
}

/// Payment to the contractor: amount (元, ≤ budget) and contractor.
pub async fn use_pay(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    reach_use(&state, lang, &u, id).await?;
    let mut errs = Errors::default();
    let amount = errs.hundredths(&s, "amount", true);
    let contractor = errs.required(&s, "contractor");
    let Some(amount) = amount.filter(|_| errs.is_empty()) else {
        return use_page(&state, lang, &u, id, Some(errs_text(&errs))).await;
    };
    let r = f::pay(&state.db, u.access(), id, amount, &contractor, state.today()).await;
    use_step(&state, lang, &u, id, r).await
}

/// Charges the paid amount to the household accounts in scope by exclusive area.
pub async fn use_charge(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    reach_use(&state, lang, &u, id).await?;
    let r = f::charge(&state.db, u.access(), id, state.today()).await.map(|_| ());
    use_step(&state, lang, &u, id, r).await
}

pub async fn use_disclose(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    reach_use(&state, lang, &u, id).await?;
    let r = f::disclose(&state.db, u.access(), id, state.today()).await;
    use_step(&state, lang, &u, id, r).await
}

// ---------------------------------------------------------------------------------------
// Disclosure to the owners

#[derive(Template)]
#[template(path = "fund_disclosure.html")]
pub struct DisclosurePage {
    pub c: PageCtx,
    pub e: Estate,
    pub account: Option<Account>,
    pub year: i32,
    pub statement: Statement,
    /// Disclosed uses with their houses and shares.
    pub uses: Vec<(FundUse, Vec<UseHouse>)>,
    /// The caller's own households (an owner), with their statements.
    pub mine: Vec<HouseholdStatement>,
}

/// The estate's fund disclosed to its owners (165号令 Art 30; Civil Code Art 281): the
/// estate's statement for the year, every disclosed use with its charging scope and each
/// room's share, and — for an owner — their own household statements.
pub async fn disclosure(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let account = f::account(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let year = q.year(today);
    let (e, c) = estate_ctx(&state, lang, &u, id, format!("{} · {}", lang.t("维修资金公示"), year)).await?;
    let c = c.crumb(lang.t("维修资金"), format!("/estates/{id}/fund")).crumb(lang.t("维修资金公示"), "").here(format!("/estates/{id}/fund/disclosure"));
    let statement = f::estate_statement(db, a, id, year, today).await?;
    let mut uses = Vec::new();
    for x in f::list_uses(db, a, id, today).await? {
        if matches!(x.state(), FundUseState::Disclosed) {
            let houses = f::use_house_rows(db, a, x.id, today).await?;
            uses.push((x, houses));
        }
    }
    let mine = if a.role() == wuye_domain::account::Role::Owner { f::household_statements(db, a, id, year, today).await? } else { Vec::new() };
    Ok(render(&DisclosurePage { c, e, account, year, statement, uses, mine })?.into_response())
}

// ---------------------------------------------------------------------------------------
// Deposit rates

#[derive(Template)]
#[template(path = "fund_rates.html")]
pub struct RatesPage {
    pub c: PageCtx,
    pub rates: Vec<Rate>,
    pub keeps: bool,
    pub today: NaiveDate,
    pub alert: Option<String>,
}

async fn rates_page(state: &AppState, lang: Lang, u: &User, alert: Option<String>) -> PageResult {
    let rates = f::rates(&state.db, u.access()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let c = PageCtx::new(lang, &u.0, "fund", lang.t("维修资金缴存标准")).here("/fund/rates".to_string());
    let keeps = u.access().can(Action::Edit, Resource::Fund);
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&RatesPage { c, rates, keeps, today: state.today(), alert })?).into_response())
}

pub async fn rates(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    rates_page(&state, lang, &u, None).await
}

/// Sets a rate: region prefix, elevator or not, 元 per m², from a date.
pub async fn rate_set(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    f::rates(&state.db, u.access()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let prefix = errs.required(&s, "region_prefix");
    let rate = errs.hundredths(&s, "rate", true);
    let from = errs.date(&s, "effective_from", true);
    let elevator = s.get("elevator") == "1";
    let (Some(rate), Some(from)) = (rate, from) else {
        return rates_page(&state, lang, &u, Some(errs_text(&errs))).await;
    };
    match f::set_rate(&state.db, u.access(), prefix.trim(), elevator, rate, from).await {
        Ok(()) => Ok(Redirect::to("/fund/rates").into_response()),
        Err(e) => rates_page(&state, lang, &u, Some(alert_of(e)?)).await,
    }
}

// ---------------------------------------------------------------------------------------
// Ledgers as xlsx / csv

/// `households` (分户账: house, owner, areas, initial deposit, balance, top-up due),
/// `statements` (each household's statement for `?year=`), `entries` (the year's entries).
pub async fn export(State(state): State<AppState>, u: User, Path((id, file)): Path<(i64, String)>, Query(q): Query<YearQuery>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    f::account(db, a, id, today).await?;
    a.require(Action::Export, Resource::Fund)?;
    let e = reg::get_estate(db, a, id, today).await?;
    let (stem, _) = file.rsplit_once('.').ok_or_else(PageError::not_found)?;
    let year = q.year(today);
    let t = |s: &str| Out::from(s.to_string());
    let (title, headers, rows): (String, &[&str], Vec<Vec<Out>>) = match stem {
        "households" => (
            format!("{}-维修资金分户账", e.name),
            &["房屋编号", "房屋", "业主", "建筑面积(m²)", "专有部分面积(m²)", "首期应缴(元)", "余额(元)", "低于首期30%", "应续交(元)", "销户日期"],
            f::household_rows(db, a, id, q.below(), today)
                .await?
                .into_iter()
                .map(|h| {
                    vec![
                        Out::Int(h.house_id),
                        t(&h.label()),
                        t(&h.owner_snapshot),
                        Out::Hundredths(h.building_area),
                        Out::Hundredths(h.exclusive_area),
                        Out::Hundredths(h.initial_deposit),
                        Out::Hundredths(h.balance),
                        t(if h.below() { "是" } else { "" }),
                        if h.below() { Out::Hundredths(wuye_domain::fund::top_up_amount(h.balance, h.initial_deposit)) } else { Out::Empty },
                        h.closed_on.map(|d| t(&d.to_string())).unwrap_or(Out::Empty),
                    ]
                })
                .collect(),
        ),
        "statements" => (
            format!("{}-维修资金{year}年度对账单", e.name),
            &["房屋编号", "房屋", "业主", "年度", "期初余额(元)", "缴存(元)", "使用(元)", "增值收益(元)", "其他(元)", "期末余额(元)"],
            f::household_statements(db, a, id, year, today)
                .await?
                .into_iter()
                .map(|h| {
                    let s = h.statement;
                    vec![Out::Int(h.house_id), t(&h.label), t(&h.owner), Out::Int(i64::from(s.year)), Out::Hundredths(s.opening), Out::Hundredths(s.deposits), Out::Hundredths(s.uses), Out::Hundredths(s.interest), Out::Hundredths(s.other), Out::Hundredths(s.closing)]
                })
                .collect(),
        ),
        "entries" => (
            format!("{}-维修资金{year}年度流水", e.name),
            &["流水号", "日期", "房屋编号", "类型", "金额(元)", "缴款人/收款人", "摘要", "关联"],
            f::estate_entries(db, a, id, year, None, today)
                .await?
                .into_iter()
                .map(|x| {
                    vec![
                        Out::Int(x.id),
                        t(&x.entry_date.to_string()),
                        x.house_id.map(Out::Int).unwrap_or(Out::Empty),
                        t(x.kind_zh()),
                        Out::Hundredths(x.amount),
                        t(&x.payer),
                        t(&x.memo),
                        t(&match x.ref_id {
                            Some(r) => format!("{}#{r}", x.ref_type),
                            None => x.ref_type.clone(),
                        }),
                    ]
                })
                .collect(),
        ),
        _ => return Err(PageError::not_found()),
    };
    super::dashboard::file_response(&file, &format!("{title}-{today}"), "维修资金", headers, rows)
}
