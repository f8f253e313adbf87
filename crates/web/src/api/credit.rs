//! Credit API (tag `credit`, rules.md §4). Points in tenths (85.5 points = 855), dates
//! `YYYY-MM-DD` (Asia/Shanghai). Evidence travels as base64 (`evidence: [{file_name,
//! content_base64}]`; PDF, DOCX, XLSX or images, at most 10 MB each). A record out of scope
//! answers 404; a refused input 422 naming the field.

use crate::AppState;
use crate::api::{ApiResult, Created, created, parse_json};
use crate::auth::User;
use crate::error::ApiErrorBody;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wuye_store::StoreError;
use wuye_store::cases::Upload;
use wuye_store::credit::{self as cr, CreditFile, FileMeta, NewRecord, Objection, RecordFilter, RecordRow, Settings, Standing};

fn field_of(label: &str) -> &'static str {
    match label {
        "企业" => "enterprise_id",
        "信用事项" => "item_code",
        "分值" => "points_tenths",
        "来源" => "source",
        "来源单位" => "source_org",
        "小区" => "estate_id",
        "标题" => "title",
        "详情" => "detail",
        "发生日期" => "occurred_on",
        "异议" | "异议理由" => "reason",
        "处理意见" => "note",
        "验收日期" | "整改验收" => "rectified_on",
        l if l.starts_with("证据材料") => "evidence",
        _ => "",
    }
}

crate::api::field_api!(field_of);

/// An evidence file sent as JSON.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EvidenceJson {
    pub file_name: String,
    pub content_base64: String,
}

fn decode(files: &[EvidenceJson]) -> ApiResult<Vec<Upload>> {
    use base64::Engine;
    files
        .iter()
        .map(|f| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(f.content_base64.trim())
                .map_err(|_| api_error(StoreError::Invalid(format!("证据材料「{}」：content_base64 不是有效的 base64", f.file_name))))?;
            Ok(Upload { file_name: f.file_name.clone(), bytes })
        })
        .collect()
}

/// Records the caller may see (regulators, streets: their region; an enterprise: its own;
/// others: published ones of the enterprises they reach), newest first.
#[utoipa::path(get, path = "/api/credit/records", tag = "credit", params(RecordFilter),
    responses((status = 200, body = Vec<RecordRow>), (status = 403, body = ApiErrorBody)))]
pub async fn list_records(State(s): State<AppState>, u: User, Query(f): Query<RecordFilter>) -> ApiResult<Json<Vec<RecordRow>>> {
    let today = s.today();
    cr::settle(&s.db, today).await.api()?;
    Ok(Json(cr::records(&s.db, u.access(), &f, today).await.api()?))
}

/// A record to enter, with its evidence.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewRecordJson {
    #[serde(flatten)]
    pub record: NewRecord,
    #[serde(default)]
    pub evidence: Vec<EvidenceJson>,
}

/// Enters a record (regulators; street offices for their region). It is pending until its
/// objection deadline (`objection_until`, N working days after entry).
#[utoipa::path(post, path = "/api/credit/records", tag = "credit", request_body = NewRecordJson,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_record(State(s): State<AppState>, u: User, body: Bytes) -> ApiResult<Response> {
    let n: NewRecordJson = parse_json(&body)?;
    let files = decode(&n.evidence)?;
    Ok(created(cr::enter(&s.db, u.access(), &n.record, &files, s.today()).await.api()?))
}

/// A record with its objections and evidence files.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordDetail {
    pub record: RecordRow,
    pub objections: Vec<Objection>,
    pub files: Vec<FileMeta>,
}

#[utoipa::path(get, path = "/api/credit/records/{credit_record}", tag = "credit", params(("credit_record" = i64, Path, description = "Record id")),
    responses((status = 200, body = RecordDetail), (status = 404, body = ApiErrorBody)))]
pub async fn get_record(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<RecordDetail>> {
    let today = s.today();
    let record = cr::record(&s.db, u.access(), id, today).await.api()?;
    let objections = cr::objections(&s.db, u.access(), id, today).await.api()?;
    let files = cr::files(&s.db, u.access(), id, today).await.api()?;
    Ok(Json(RecordDetail { record, objections, files }))
}

/// An objection by the enterprise's manager.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ObjectionJson {
    pub reason: String,
    #[serde(default)]
    pub evidence: Vec<EvidenceJson>,
}

/// The enterprise objects to a pending record until `objection_until` inclusive.
#[utoipa::path(post, path = "/api/credit/records/{credit_record}/objections", tag = "credit", params(("credit_record" = i64, Path, description = "Record id")), request_body = ObjectionJson,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_objection(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    let today = s.today();
    cr::record(&s.db, u.access(), id, today).await.api()?;
    let o: ObjectionJson = parse_json(&body)?;
    let files = decode(&o.evidence)?;
    Ok(created(cr::object(&s.db, u.access(), id, &o.reason, &files, today).await.api()?))
}

/// The regulator's decision on a record's objection.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionJson {
    /// `true`: the objection stands, the record is revoked; `false`: the record is effective from today.
    pub accept: bool,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/credit/records/{credit_record}/decision", tag = "credit", params(("credit_record" = i64, Path, description = "Record id")), request_body = DecisionJson,
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn decide(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    cr::record(&s.db, u.access(), id, s.today()).await.api()?;
    let d: DecisionJson = parse_json(&body)?;
    cr::decide(&s.db, u.access(), id, d.accept, &d.note, s.today()).await.api()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Rectification of a serious record accepted on a day.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RectificationJson {
    pub rectified_on: NaiveDate,
}

#[utoipa::path(post, path = "/api/credit/records/{credit_record}/rectification", tag = "credit", params(("credit_record" = i64, Path, description = "Record id")), request_body = RectificationJson,
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn rectify(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    cr::record(&s.db, u.access(), id, s.today()).await.api()?;
    let r: RectificationJson = parse_json(&body)?;
    cr::rectify(&s.db, u.access(), id, r.rectified_on, s.today()).await.api()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An enterprise's credit file with its score explained line by line (`score.lines`: each
/// record, its signed points, counted or why not).
#[utoipa::path(get, path = "/api/enterprises/{enterprise}/credit", tag = "credit", params(("enterprise" = i64, Path, description = "Enterprise id")),
    responses((status = 200, body = CreditFile), (status = 404, body = ApiErrorBody)))]
pub async fn enterprise_file(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<CreditFile>> {
    let today = s.today();
    cr::settle(&s.db, today).await.api()?;
    Ok(Json(cr::file(&s.db, u.access(), id, today).await.api()?))
}

/// The enterprise's standing for tendering today (score, grade, barred and why).
#[utoipa::path(get, path = "/api/enterprises/{enterprise}/credit/standing", tag = "credit", params(("enterprise" = i64, Path, description = "Enterprise id")),
    responses((status = 200, body = Standing), (status = 404, body = ApiErrorBody)))]
pub async fn standing(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Standing>> {
    Ok(Json(cr::standing_for(&s.db, u.access(), id, s.today()).await.api()?))
}

/// The active scheme and settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeView {
    pub settings: Settings,
    /// The scheme as configuration (items, bands, caps, cycle…).
    #[schema(value_type = Object)]
    pub scheme: wuye_domain::credit::Scheme,
}

#[utoipa::path(get, path = "/api/credit/scheme", tag = "credit",
    responses((status = 200, body = SchemeView), (status = 403, body = ApiErrorBody)))]
pub async fn scheme(State(s): State<AppState>, u: User) -> ApiResult<Json<SchemeView>> {
    u.access().require(wuye_domain::account::Action::View, wuye_domain::account::Resource::Credit).api()?;
    let settings = cr::settings(&s.db).await.api()?;
    let scheme = settings.scheme();
    Ok(Json(SchemeView { settings, scheme }))
}
