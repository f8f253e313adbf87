//! Tendering API (tag `tender`; rules.md §5.6, PMR Art 24, 建住房〔2003〕130号): one call per
//! step of a tender. Dates `YYYY-MM-DD` (Asia/Shanghai); points in tenths; prices in fen per
//! m² per month. A tender out of scope answers 404; a refused input answers 422 naming the
//! field (`errors: [{field, label, reason}]`).

use crate::AppState;
use crate::api::{ApiResult, Created, parse_json};
use crate::auth::User;
use crate::error::{ApiError, ApiErrorBody};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wuye_store::StoreError;
use wuye_store::tender::{self as td, AwardInput, Expert, NewBid, NewExpert, NewTender, PanelInput, ScoreInput, Tender, TenderFile, TenderFilter};

fn field_of(label: &str) -> &'static str {
    match label {
        "标题" => "title",
        "招标人" => "tenderer",
        "投标截止日" => "bid_deadline",
        "投标有效期" => "bid_validity_until",
        "业主大会表决" => "vote_id",
        "协议选聘批准" => "approval",
        "邀请" => "enterprise_ids",
        "投标企业" => "enterprise_id",
        "报价" => "price_fen_per_m2_month",
        "信用" => "enterprise_id",
        "评标委员会" => "size",
        "招标人代表" => "representatives",
        "评标专家" => "experts",
        "评委" => "member_id",
        "定标" => "tender",
        "备案日期" => "filed_on",
        "姓名" => "name",
        "区划代码" => "region_code",
        "所在企业" => "enterprise_id",
        "招标状态" => "state",
        "评分" => "scores",
        l if l.starts_with("评标标准") => "criteria",
        l if l.starts_with("信用评分对照") => "credit_mapping",
        l if l.starts_with("合同") => "start_date",
        l if l.starts_with('第') && l.contains("评分") => "scores",
        _ => "",
    }
}

fn api_error(e: StoreError) -> ApiError {
    crate::api::field_error(e, field_of)
}

fn created(id: i64) -> Response {
    (StatusCode::CREATED, Json(Created { id })).into_response()
}

/// The tenders the caller reaches, newest first.
#[utoipa::path(get, path = "/api/tenders", tag = "tender", params(TenderFilter),
    responses((status = 200, body = Vec<Tender>), (status = 403, body = ApiErrorBody)))]
pub async fn list_tenders(State(s): State<AppState>, u: User, Query(f): Query<TenderFilter>) -> ApiResult<Json<Vec<Tender>>> {
    Ok(Json(td::list_tenders(&s.db, u.access(), &f, s.today()).await.map_err(api_error)?))
}

/// Drafts a tender for an estate with its evaluation criteria.
#[utoipa::path(post, path = "/api/tenders", tag = "tender", request_body = NewTender,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_tender(State(s): State<AppState>, u: User, body: Bytes) -> ApiResult<Response> {
    let t: NewTender = parse_json(&body)?;
    Ok(created(td::create_tender(&s.db, u.access(), &t, s.today()).await.map_err(api_error)?))
}

/// The whole tender file: notice, invitations, bids (an enterprise: its own before the
/// award), criteria, panel and its seed, scores, ranking, award, filing.
#[utoipa::path(get, path = "/api/tenders/{tender}", tag = "tender", params(("tender" = i64, Path)),
    responses((status = 200, body = TenderFile), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_tender(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<TenderFile>> {
    Ok(Json(td::tender_file(&s.db, u.access(), id).await.map_err(api_error)?))
}

/// Enterprises to invite.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteBody {
    pub enterprise_ids: Vec<i64>,
}

/// Invites enterprises to an invited tender (a draft).
#[utoipa::path(post, path = "/api/tenders/{tender}/invitations", tag = "tender", params(("tender" = i64, Path)), request_body = InviteBody,
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn invite(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<StatusCode> {
    td::get_tender(&s.db, u.access(), id).await.map_err(api_error)?;
    let b: InviteBody = parse_json(&body)?;
    td::invite(&s.db, u.access(), id, &b.enterprise_ids, s.today()).await.map_err(api_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publishes the notice today.
#[utoipa::path(post, path = "/api/tenders/{tender}/publish", tag = "tender", params(("tender" = i64, Path)),
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn publish(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    td::publish(&s.db, u.access(), id, s.today()).await.map_err(api_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a bid (an enterprise manager for its own enterprise, or the organiser entering a
/// paper bid). Refused after the bid deadline, for an enterprise not invited, or a barred one.
#[utoipa::path(post, path = "/api/tenders/{tender}/bids", tag = "tender", params(("tender" = i64, Path)), request_body = NewBid,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn submit_bid(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    td::get_tender(&s.db, u.access(), id).await.map_err(api_error)?;
    let b: NewBid = parse_json(&body)?;
    Ok(created(td::submit_bid(&s.db, u.access(), id, &b, s.today()).await.map_err(api_error)?))
}

/// The state after a step.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateBody {
    pub state: String,
}

/// Closes bidding (after the deadline): closed, or failed with too few bids.
#[utoipa::path(post, path = "/api/tenders/{tender}/close", tag = "tender", params(("tender" = i64, Path)),
    responses((status = 200, body = StateBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn close(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<StateBody>> {
    let st = td::close_bidding(&s.db, u.access(), id, s.today()).await.map_err(api_error)?;
    Ok(Json(StateBody { state: st.code().to_string() }))
}

/// The seed of the draw (decimal text, u64).
#[derive(Debug, Serialize, ToSchema)]
pub struct SeedBody {
    pub seed: String,
}

/// Draws the evaluation panel reproducibly and records the seed.
#[utoipa::path(post, path = "/api/tenders/{tender}/panel", tag = "tender", params(("tender" = i64, Path)), request_body = PanelInput,
    responses((status = 200, body = SeedBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn draw_panel(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<SeedBody>> {
    td::get_tender(&s.db, u.access(), id).await.map_err(api_error)?;
    let p: PanelInput = parse_json(&body)?;
    let seed = td::draw_panel(&s.db, u.access(), id, &p).await.map_err(api_error)?;
    Ok(Json(SeedBody { seed: seed.to_string() }))
}

/// One member's scores.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ScoresBody {
    pub member_id: i64,
    pub scores: Vec<ScoreInput>,
}

/// Records a panel member's scores (0–1000 tenths each), all or nothing.
#[utoipa::path(post, path = "/api/tenders/{tender}/scores", tag = "tender", params(("tender" = i64, Path)), request_body = ScoresBody,
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn record_scores(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<StatusCode> {
    td::get_tender(&s.db, u.access(), id).await.map_err(api_error)?;
    let b: ScoresBody = parse_json(&body)?;
    td::record_scores(&s.db, u.access(), id, b.member_id, &b.scores).await.map_err(api_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// One place of the ranking.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankBody {
    pub bid_id: i64,
    pub total_tenths: i64,
}

/// Totals and ranks the bids.
#[utoipa::path(post, path = "/api/tenders/{tender}/evaluate", tag = "tender", params(("tender" = i64, Path)),
    responses((status = 200, body = Vec<RankBody>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn evaluate(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Vec<RankBody>>> {
    let r = td::evaluate(&s.db, u.access(), id).await.map_err(api_error)?;
    Ok(Json(r.into_iter().map(|(bid_id, total_tenths)| RankBody { bid_id, total_tenths }).collect()))
}

/// Awards to the first-ranked bid and creates the service contract; answers its id.
#[utoipa::path(post, path = "/api/tenders/{tender}/award", tag = "tender", params(("tender" = i64, Path)), request_body = AwardInput,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn award(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    td::get_tender(&s.db, u.access(), id).await.map_err(api_error)?;
    let a: AwardInput = parse_json(&body)?;
    Ok(created(td::award(&s.db, u.access(), id, &a, s.today()).await.map_err(api_error)?))
}

/// The filing with the housing authority.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FilingBody {
    pub filed_on: NaiveDate,
    #[serde(default)]
    pub filing_ref: String,
}

/// Whether the filing was late (after award + 15 days).
#[derive(Debug, Serialize, ToSchema)]
pub struct FilingResult {
    pub late: bool,
}

/// Records the filing.
#[utoipa::path(post, path = "/api/tenders/{tender}/filing", tag = "tender", params(("tender" = i64, Path)), request_body = FilingBody,
    responses((status = 200, body = FilingResult), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn file(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<FilingResult>> {
    td::get_tender(&s.db, u.access(), id).await.map_err(api_error)?;
    let b: FilingBody = parse_json(&body)?;
    let late = td::file(&s.db, u.access(), id, b.filed_on, &b.filing_ref, s.today()).await.map_err(api_error)?;
    Ok(Json(FilingResult { late }))
}

/// The expert pool the caller reaches.
#[utoipa::path(get, path = "/api/tender/experts", tag = "tender",
    responses((status = 200, body = Vec<Expert>), (status = 403, body = ApiErrorBody)))]
pub async fn list_experts(State(s): State<AppState>, u: User) -> ApiResult<Json<Vec<Expert>>> {
    Ok(Json(td::list_experts(&s.db, u.access()).await.map_err(api_error)?))
}

/// Adds an expert to a pool (administrators; regulators for their region's pools).
#[utoipa::path(post, path = "/api/tender/experts", tag = "tender", request_body = NewExpert,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_expert(State(s): State<AppState>, u: User, body: Bytes) -> ApiResult<Response> {
    let e: NewExpert = parse_json(&body)?;
    Ok(created(td::add_expert(&s.db, u.access(), &e).await.map_err(api_error)?))
}
