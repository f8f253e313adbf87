//! The maintenance fund in the JSON API: an estate's account, household accounts, yearly
//! statements and entries, interest, deposits, transfer on sale, refund on demolition,
//! fund uses from application to disclosure, and the deposit rates. Money is integer fen
//! (signed on entries), areas hundredths of m², dates `YYYY-MM-DD` (Asia/Shanghai); a
//! date omitted is today. Rules: 《住宅专项维修资金管理办法》(165号令) and rules.md §2.
//! Each handler reaches the record first, so a record out of scope answers 404 whatever
//! the body holds.

use super::{ApiResult, Created, created, parse_json};
use crate::AppState;
use crate::auth::User;
use crate::error::ApiErrorBody;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuye_domain::fund::{EmergencyKind, FundUseState};
use wuye_store::fund::{self as f, Account, Entry, FundUse, Household, HouseholdRow, HouseholdStatement, Rate, Statement, UseHouse};

/// `?year=` of statements and entries (default: this year).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearParam {
    pub year: Option<i32>,
}

/// `?below=true`: only households below 30% of their initial deposit.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BelowParam {
    pub below: Option<bool>,
}

/// An estate's fund: the account (`null` until opened), this year's statement and the
/// fund uses.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundDetail {
    pub account: Option<Account>,
    pub statement: Statement,
    pub uses: Vec<FundUse>,
}

#[utoipa::path(get, path = "/api/estates/{id}/fund", tag = "fund", params(("id" = i64, Path), YearParam),
    responses((status = 200, body = FundDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_account(State(s): State<AppState>, u: User, Path(id): Path<i64>, Query(q): Query<YearParam>) -> ApiResult<Json<FundDetail>> {
    let (db, a, today) = (&s.db, u.access(), s.today());
    let account = f::account(db, a, id, today).await?;
    let year = q.year.unwrap_or(today.year());
    let statement = f::estate_statement(db, a, id, year, today).await?;
    let uses = f::list_uses(db, a, id, today).await?;
    Ok(Json(FundDetail { account, statement, uses }))
}

/// Opening: the day the account opens (default today).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OpenInput {
    pub opened_on: Option<NaiveDate>,
}

/// Household accounts opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct Opened {
    pub households: usize,
}

/// Opens the estate's fund account and a household account per house, each with its
/// initial deposit = building area × the region's rate (with/without elevator). 409 when
/// already open; 422 when a rate is missing.
#[utoipa::path(post, path = "/api/estates/{id}/fund", tag = "fund", params(("id" = i64, Path)), request_body = OpenInput,
    responses((status = 201, body = Opened), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn open_account(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<(StatusCode, Json<Opened>)> {
    f::account(&s.db, u.access(), id, s.today()).await?;
    let i: OpenInput = if body.is_empty() { OpenInput::default() } else { parse_json(&body)? };
    let n = f::open_accounts(&s.db, u.access(), id, i.opened_on.unwrap_or(s.today())).await?;
    Ok((StatusCode::CREATED, Json(Opened { households: n })))
}

#[utoipa::path(get, path = "/api/estates/{id}/fund/households", tag = "fund", params(("id" = i64, Path), BelowParam),
    responses((status = 200, body = Vec<HouseholdRow>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_households(State(s): State<AppState>, u: User, Path(id): Path<i64>, Query(q): Query<BelowParam>) -> ApiResult<Json<Vec<HouseholdRow>>> {
    Ok(Json(f::household_rows(&s.db, u.access(), id, q.below.unwrap_or(false), s.today()).await?))
}

/// The estate's statement and each household's for a year (an owner: their own).
#[derive(Debug, Serialize, ToSchema)]
pub struct Statements {
    pub estate: Statement,
    pub households: Vec<HouseholdStatement>,
}

#[utoipa::path(get, path = "/api/estates/{id}/fund/statements", tag = "fund", params(("id" = i64, Path), YearParam),
    responses((status = 200, body = Statements), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn statements(State(s): State<AppState>, u: User, Path(id): Path<i64>, Query(q): Query<YearParam>) -> ApiResult<Json<Statements>> {
    let today = s.today();
    let year = q.year.unwrap_or(today.year());
    let estate = f::estate_statement(&s.db, u.access(), id, year, today).await?;
    let households = f::household_statements(&s.db, u.access(), id, year, today).await?;
    Ok(Json(Statements { estate, households }))
}

#[utoipa::path(get, path = "/api/estates/{id}/fund/entries", tag = "fund", params(("id" = i64, Path), YearParam),
    responses((status = 200, body = Vec<Entry>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn estate_entries(State(s): State<AppState>, u: User, Path(id): Path<i64>, Query(q): Query<YearParam>) -> ApiResult<Json<Vec<Entry>>> {
    let today = s.today();
    Ok(Json(f::estate_entries(&s.db, u.access(), id, q.year.unwrap_or(today.year()), None, today).await?))
}

/// Interest (value-added income) to allocate, fen > 0. `method` defaults to
/// `by_balance` (rules.md §2.3: the method is unconfirmed locally, hence configurable).
#[derive(Debug, Deserialize, ToSchema)]
pub struct InterestInput {
    pub total: i64,
    pub date: Option<NaiveDate>,
    pub method: Option<wuye_domain::fund::InterestMethod>,
}

/// One household's part (fen).
#[derive(Debug, Serialize, ToSchema)]
pub struct Part {
    pub house_id: i64,
    pub amount: i64,
}

/// Allocates interest to the open household accounts in proportion to their balances (or
/// initial deposits, by `method`), largest remainder: the parts sum exactly to `total`.
#[utoipa::path(post, path = "/api/estates/{id}/fund/interest", tag = "fund", params(("id" = i64, Path)), request_body = InterestInput,
    responses((status = 200, body = Vec<Part>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn allocate_interest(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Vec<Part>>> {
    f::account(&s.db, u.access(), id, s.today()).await?;
    let i: InterestInput = parse_json(&body)?;
    let parts = f::allocate_interest(&s.db, u.access(), id, i.total, i.method.unwrap_or_default(), i.date.unwrap_or(s.today())).await?;
    Ok(Json(parts.into_iter().map(|(house_id, amount)| Part { house_id, amount }).collect()))
}

#[utoipa::path(get, path = "/api/estates/{id}/fund-uses", tag = "fund", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<FundUse>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_uses(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Vec<FundUse>>> {
    Ok(Json(f::list_uses(&s.db, u.access(), id, s.today()).await?))
}

/// An application to use the fund. The charging scope is `house_ids`, else the houses
/// of `building_ids`, else every open household account of the estate. `emergency` (one
/// of the emergencies of rules.md §2.5) takes the emergency procedure.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UseInput {
    pub project: String,
    /// Fen > 0.
    pub budget: i64,
    #[serde(default)]
    pub house_ids: Vec<i64>,
    #[serde(default)]
    pub building_ids: Vec<i64>,
    pub emergency: Option<EmergencyKind>,
}

#[utoipa::path(post, path = "/api/estates/{id}/fund-uses", tag = "fund", params(("id" = i64, Path)), request_body = UseInput,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn apply_use(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    let today = s.today();
    f::account(&s.db, u.access(), id, today).await?;
    let i: UseInput = parse_json(&body)?;
    let house_ids = if i.house_ids.is_empty() { f::scope_houses(&s.db, u.access(), id, &i.building_ids, today).await? } else { i.house_ids };
    let nu = f::NewFundUse { project: i.project, budget: i.budget, house_ids, emergency: i.emergency };
    Ok(created(f::apply_use(&s.db, u.access(), id, &nu, today).await?))
}

/// A fund use with its charging scope (each house's area and, once charged, its share).
#[derive(Debug, Serialize, ToSchema)]
pub struct UseDetail {
    #[serde(rename = "use")]
    pub fund_use: FundUse,
    pub houses: Vec<UseHouse>,
}

#[utoipa::path(get, path = "/api/fund-uses/{id}", tag = "fund", params(("id" = i64, Path)),
    responses((status = 200, body = UseDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_use(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<UseDetail>> {
    let fund_use = f::get_use(&s.db, u.access(), id, s.today()).await?;
    let houses = f::use_house_rows(&s.db, u.access(), id, s.today()).await?;
    Ok(Json(UseDetail { fund_use, houses }))
}

/// The vote's dates: opening at least 15 days after its announcement.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VoteDates {
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
}

/// Puts an ordinary use to the owners of the houses in scope: drafts a vote with one
/// matter of Civil Code Art 278 ¶1 item 5 and answers its id.
#[utoipa::path(post, path = "/api/fund-uses/{id}/vote", tag = "fund", params(("id" = i64, Path)), request_body = VoteDates,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn submit_to_vote(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    f::get_use(&s.db, u.access(), id, s.today()).await?;
    let d: VoteDates = parse_json(&body)?;
    Ok(created(f::submit_to_vote(&s.db, u.access(), id, d.opens_on, d.closes_on, s.today()).await?))
}

/// A fund use's state after a step.
#[derive(Debug, Serialize, ToSchema)]
pub struct UseState {
    pub state: FundUseState,
}

async fn state_of(s: &AppState, u: &User, id: i64) -> ApiResult<Json<UseState>> {
    Ok(Json(UseState { state: f::get_use(&s.db, u.access(), id, s.today()).await?.state() }))
}

/// After the vote is published: `approved` when the matter passed, else `rejected`.
#[utoipa::path(post, path = "/api/fund-uses/{id}/decide", tag = "fund", params(("id" = i64, Path)),
    responses((status = 200, body = UseState), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn decide(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<UseState>> {
    f::get_use(&s.db, u.access(), id, s.today()).await?;
    f::decide(&s.db, u.access(), id, s.today()).await?;
    state_of(&s, &u, id).await
}

/// The street office or community confirms an emergency use (165号令 Art 24).
#[utoipa::path(post, path = "/api/fund-uses/{id}/confirm", tag = "fund", params(("id" = i64, Path)),
    responses((status = 200, body = UseState), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn confirm(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<UseState>> {
    f::get_use(&s.db, u.access(), id, s.today()).await?;
    f::confirm_emergency(&s.db, u.access(), id, s.today()).await?;
    state_of(&s, &u, id).await
}

/// Payment to the contractor, fen, not above the budget.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PayInput {
    pub amount: i64,
    pub contractor: String,
    pub date: Option<NaiveDate>,
}

#[utoipa::path(post, path = "/api/fund-uses/{id}/pay", tag = "fund", params(("id" = i64, Path)), request_body = PayInput,
    responses((status = 200, body = UseState), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn pay(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<UseState>> {
    f::get_use(&s.db, u.access(), id, s.today()).await?;
    let p: PayInput = parse_json(&body)?;
    f::pay(&s.db, u.access(), id, p.amount, &p.contractor, p.date.unwrap_or(s.today())).await?;
    state_of(&s, &u, id).await
}

/// Charges the paid amount to the household accounts in scope by exclusive area (largest
/// remainder; the shares sum exactly to the amount); refused, writing nothing, when a
/// household's balance is short.
#[utoipa::path(post, path = "/api/fund-uses/{id}/charge", tag = "fund", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Part>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn charge(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Vec<Part>>> {
    f::get_use(&s.db, u.access(), id, s.today()).await?;
    let parts = f::charge(&s.db, u.access(), id, s.today()).await?;
    Ok(Json(parts.into_iter().map(|(house_id, amount)| Part { house_id, amount: -amount }).collect()))
}

#[utoipa::path(post, path = "/api/fund-uses/{id}/disclose", tag = "fund", params(("id" = i64, Path)),
    responses((status = 200, body = UseState), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn disclose(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<UseState>> {
    f::get_use(&s.db, u.access(), id, s.today()).await?;
    f::disclose(&s.db, u.access(), id, s.today()).await?;
    state_of(&s, &u, id).await
}

/// A household account with its entries and the year's statement.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdDetail {
    pub account: Household,
    pub entries: Vec<Entry>,
    pub statement: Statement,
    /// Open and below 30% of the initial deposit: a top-up is due (165号令 Art 17).
    pub top_up_due: bool,
    /// Fen due to bring the balance back to the initial deposit (0 when not due).
    pub top_up_amount: i64,
}

#[utoipa::path(get, path = "/api/houses/{id}/fund", tag = "fund", params(("id" = i64, Path), YearParam),
    responses((status = 200, body = HouseholdDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_household(State(s): State<AppState>, u: User, Path(id): Path<i64>, Query(q): Query<YearParam>) -> ApiResult<Json<HouseholdDetail>> {
    let today = s.today();
    let account = f::household(&s.db, u.access(), id, today).await?;
    let entries = f::household_entries(&s.db, u.access(), id, today).await?;
    let statement = f::household_statement(&s.db, u.access(), id, q.year.unwrap_or(today.year()), today).await?;
    let due = account.closed_on.is_none() && wuye_domain::fund::below_top_up_threshold(account.balance, account.initial_deposit, wuye_domain::fund::DEFAULT_TOP_UP_PERCENT);
    let top_up_amount = if due { wuye_domain::fund::top_up_amount(account.balance, account.initial_deposit) } else { 0 };
    Ok(Json(HouseholdDetail { account, entries, statement, top_up_due: due, top_up_amount }))
}

/// A deposit, fen > 0, with its payer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DepositInput {
    pub amount: i64,
    pub payer: String,
    pub date: Option<NaiveDate>,
}

#[utoipa::path(post, path = "/api/houses/{id}/fund/deposits", tag = "fund", params(("id" = i64, Path)), request_body = DepositInput,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn deposit(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    f::household(&s.db, u.access(), id, s.today()).await?;
    let d: DepositInput = parse_json(&body)?;
    Ok(created(f::deposit(&s.db, u.access(), id, d.amount, &d.payer, d.date.unwrap_or(s.today())).await?))
}

/// Sale: the new owner's name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferInput {
    pub new_owner: String,
    pub date: Option<NaiveDate>,
}

/// Fen passed on or refunded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Moved {
    pub amount: i64,
}

/// Sale: the balance stays with the house and passes to the new owner (165号令 Art 27).
#[utoipa::path(post, path = "/api/houses/{id}/fund/transfer", tag = "fund", params(("id" = i64, Path)), request_body = TransferInput,
    responses((status = 200, body = Moved), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn transfer(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Moved>> {
    f::household(&s.db, u.access(), id, s.today()).await?;
    let t: TransferInput = parse_json(&body)?;
    Ok(Json(Moved { amount: f::transfer_on_sale(&s.db, u.access(), id, &t.new_owner, t.date.unwrap_or(s.today())).await? }))
}

/// The day of demolition (default today).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefundInput {
    pub date: Option<NaiveDate>,
}

/// Demolition: the balance is refunded to the owner and the account closed (Art 28).
#[utoipa::path(post, path = "/api/houses/{id}/fund/refund", tag = "fund", params(("id" = i64, Path)), request_body = RefundInput,
    responses((status = 200, body = Moved), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn refund(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Moved>> {
    f::household(&s.db, u.access(), id, s.today()).await?;
    let r: RefundInput = if body.is_empty() { RefundInput::default() } else { parse_json(&body)? };
    Ok(Json(Moved { amount: f::refund_on_demolition(&s.db, u.access(), id, r.date.unwrap_or(s.today())).await? }))
}

#[utoipa::path(get, path = "/api/fund/rates", tag = "fund",
    responses((status = 200, body = Vec<Rate>), (status = 403, body = ApiErrorBody)))]
pub async fn list_rates(State(s): State<AppState>, u: User) -> ApiResult<Json<Vec<Rate>>> {
    Ok(Json(f::rates(&s.db, u.access()).await?))
}

/// Sets the deposit rate (fen per m² of building area) of a region prefix, with or
/// without elevator, from a date (housing authority of that region).
#[utoipa::path(post, path = "/api/fund/rates", tag = "fund", request_body = Rate,
    responses((status = 200, body = Vec<Rate>), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn set_rate(State(s): State<AppState>, u: User, body: Bytes) -> ApiResult<Json<Vec<Rate>>> {
    f::rates(&s.db, u.access()).await?;
    let r: RateInput = parse_json(&body)?;
    f::set_rate(&s.db, u.access(), &r.region_prefix, r.elevator, r.fen_per_m2, r.effective_from).await?;
    Ok(Json(f::rates(&s.db, u.access()).await?))
}

#[derive(Debug, Deserialize)]
struct RateInput {
    region_prefix: String,
    elevator: bool,
    fen_per_m2: i64,
    effective_from: NaiveDate,
}
