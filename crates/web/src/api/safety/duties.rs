//! API of duties, elevators, e-bikes, plans and drills (tag `safety`; rules.md §6). Dates
//! `YYYY-MM-DD` (Asia/Shanghai). Photos are uploaded on the pages, not as JSON. Each handler
//! reaches the estate first, so an estate out of scope answers 404 whatever the body holds;
//! a refused input answers 422 naming the field (`errors: [{field, label, reason}]`).

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
use wuye_store::safety::duties::{self as du, ComplianceItem, DoneInput, DueFilter, Duty, DutyRecord, Ebike, Elevator, EstateFacts, NewEbike, NewElevator, NewPlan, NewTraining, NewViolation, Plan, Reminder, Training, Violation};

fn field_of(label: &str) -> &'static str {
    match label {
        "事项" => "duty_id",
        "完成日期" => "done_on",
        "完成人" => "done_by",
        "情况说明" => "note",
        "使用登记证编号" => "registration_no",
        "检验合格证有效期" => "certificate_expires",
        "楼栋" => "building_id",
        "安装位置" => "location",
        "维保单位" => "maintainer",
        "电梯" => "elevator_id",
        "申请日期" | "提醒日期" | "移车日期" => "on",
        "使用人" => "user_name",
        "联系电话" => "phone",
        "号牌" => "plate",
        "房屋" => "house_id",
        "违规类型" => "kind",
        "地点" => "place",
        "发现日期" => "found_on",
        "车辆" => "ebike_id",
        "违规记录" | "移车" => "violation_id",
        "提醒方式" => "channel",
        "告知车主" => "told_owner",
        "预案类型" => "kind",
        "类型" => "kind",
        "标题" => "title",
        "内容" => "body",
        "批准日期" => "approved_on",
        "复审日期" => "review_due",
        "日期" => "held_on",
        "参加人员" => "attendees",
        "区划" => "region",
        l if l.starts_with("照片") => "photos",
        _ => "",
    }
}

// A store error as an API error; a refused input names its field in `errors`.
crate::api::field_api!(field_of);

fn created(id: i64) -> Response {
    (StatusCode::CREATED, Json(Created { id })).into_response()
}

fn ok() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

async fn reach(s: &AppState, u: &User, estate: i64) -> ApiResult<()> {
    du::estate(&s.db, u.access(), estate, s.today()).await.api().map(|_| ())
}

// ---------------------------------------------------------------------------------------
// Duties

/// An estate's duties, facts and recent records.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstateDuties {
    pub facts: EstateFacts,
    /// With status (`done`, `due_soon`, `overdue`) on today.
    pub duties: Vec<Duty>,
    /// The 100 latest records.
    pub records: Vec<DutyRecord>,
}

#[utoipa::path(get, path = "/api/estates/{estate}/safety/duties", tag = "safety", params(("estate" = i64, Path, description = "Estate id")),
    responses((status = 200, body = EstateDuties), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn estate_duties(State(s): State<AppState>, u: User, Path(estate): Path<i64>) -> ApiResult<Json<EstateDuties>> {
    let (db, a, today) = (&s.db, u.access(), s.today());
    reach(&s, &u, estate).await?;
    du::ensure_duties(db, estate, today).await.api()?;
    Ok(Json(EstateDuties { facts: du::facts(db, a, estate, today).await.api()?, duties: du::duties(db, a, estate, today).await.api()?, records: du::records(db, a, estate, 100, today).await.api()? }))
}

/// Records a duty done (photos on the page). The duty's `next_due` moves to the interval
/// after the latest record.
#[utoipa::path(post, path = "/api/estates/{estate}/safety/duties/records", tag = "safety", params(("estate" = i64, Path, description = "Estate id")), request_body = DoneInput,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn record_duty_done(State(s): State<AppState>, u: User, Path(estate): Path<i64>, body: Bytes) -> ApiResult<Response> {
    reach(&s, &u, estate).await?;
    let r: DoneInput = parse_json(&body)?;
    Ok(created(du::record_done(&s.db, u.access(), estate, &r, &[], s.today()).await.api()?))
}

/// Duties due soon and overdue, and elevator certificate alerts, across the caller's estates.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueDuties {
    /// Most overdue first (at most 2,000).
    pub duties: Vec<Duty>,
    pub certificate_alerts: Vec<Elevator>,
}

#[utoipa::path(get, path = "/api/safety/duties", tag = "safety", params(DueFilter),
    responses((status = 200, body = DueDuties), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn due_duties(State(s): State<AppState>, u: User, Query(f): Query<DueFilter>) -> ApiResult<Json<DueDuties>> {
    let (db, a, today) = (&s.db, u.access(), s.today());
    Ok(Json(DueDuties { duties: du::due_list(db, a, &f, today).await.api()?, certificate_alerts: du::certificate_alerts(db, a, &f, today).await.api()? }))
}

// ---------------------------------------------------------------------------------------
// Elevators

#[utoipa::path(get, path = "/api/estates/{estate}/elevators", tag = "safety", params(("estate" = i64, Path, description = "Estate id")),
    responses((status = 200, body = Vec<Elevator>, description = "With the certificate alert and maintenance status on today"), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_elevators(State(s): State<AppState>, u: User, Path(estate): Path<i64>) -> ApiResult<Json<Vec<Elevator>>> {
    Ok(Json(du::elevators(&s.db, u.access(), estate, s.today()).await.api()?))
}

/// Registers an elevator (registration number required and unique) and its maintenance duty.
#[utoipa::path(post, path = "/api/estates/{estate}/elevators", tag = "safety", params(("estate" = i64, Path, description = "Estate id")), request_body = NewElevator,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn register_elevator(State(s): State<AppState>, u: User, Path(estate): Path<i64>, body: Bytes) -> ApiResult<Response> {
    reach(&s, &u, estate).await?;
    let n: NewElevator = parse_json(&body)?;
    Ok(created(du::register_elevator(&s.db, u.access(), estate, &n, s.today()).await.api()?))
}

/// An elevator's periodic inspection requested.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InspectionRequest {
    pub elevator_id: i64,
    /// Default today; not in the future.
    pub on: Option<NaiveDate>,
}

#[utoipa::path(post, path = "/api/estates/{estate}/elevators/inspection-requests", tag = "safety", params(("estate" = i64, Path, description = "Estate id")), request_body = InspectionRequest,
    responses((status = 204, description = "Recorded"), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn request_inspection(State(s): State<AppState>, u: User, Path(estate): Path<i64>, body: Bytes) -> ApiResult<Response> {
    reach(&s, &u, estate).await?;
    let r: InspectionRequest = parse_json(&body)?;
    du::request_inspection(&s.db, u.access(), estate, r.elevator_id, r.on.unwrap_or(s.today()), s.today()).await.api()?;
    Ok(ok())
}

/// A renewed certificate.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Renewal {
    pub elevator_id: i64,
    /// After today and the old expiry.
    pub certificate_expires: NaiveDate,
}

#[utoipa::path(post, path = "/api/estates/{estate}/elevators/renewals", tag = "safety", params(("estate" = i64, Path, description = "Estate id")), request_body = Renewal,
    responses((status = 204, description = "Recorded; the request is cleared"), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn renew_certificate(State(s): State<AppState>, u: User, Path(estate): Path<i64>, body: Bytes) -> ApiResult<Response> {
    reach(&s, &u, estate).await?;
    let r: Renewal = parse_json(&body)?;
    du::renew_certificate(&s.db, u.access(), estate, r.elevator_id, r.certificate_expires, s.today()).await.api()?;
    Ok(ok())
}

// ---------------------------------------------------------------------------------------
// E-bikes

/// An estate's e-bike register, violations and reminders.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstateEbikes {
    /// Phones masked unless the caller may see them.
    pub ebikes: Vec<Ebike>,
    pub violations: Vec<Violation>,
    pub reminders: Vec<Reminder>,
}

#[utoipa::path(get, path = "/api/estates/{estate}/ebikes", tag = "safety", params(("estate" = i64, Path, description = "Estate id")),
    responses((status = 200, body = EstateEbikes), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_ebikes(State(s): State<AppState>, u: User, Path(estate): Path<i64>) -> ApiResult<Json<EstateEbikes>> {
    let (db, a, today) = (&s.db, u.access(), s.today());
    Ok(Json(EstateEbikes { ebikes: du::ebikes(db, a, estate, today).await.api()?, violations: du::violations(db, a, estate, today).await.api()?, reminders: du::reminders(db, a, estate, today).await.api()? }))
}

#[utoipa::path(post, path = "/api/estates/{estate}/ebikes", tag = "safety", params(("estate" = i64, Path, description = "Estate id")), request_body = NewEbike,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn register_ebike(State(s): State<AppState>, u: User, Path(estate): Path<i64>, body: Bytes) -> ApiResult<Response> {
    reach(&s, &u, estate).await?;
    let n: NewEbike = parse_json(&body)?;
    Ok(created(du::register_ebike(&s.db, u.access(), estate, &n, s.today()).await.api()?))
}

#[utoipa::path(post, path = "/api/estates/{estate}/ebikes/violations", tag = "safety", params(("estate" = i64, Path, description = "Estate id")), request_body = NewViolation,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn record_violation(State(s): State<AppState>, u: User, Path(estate): Path<i64>, body: Bytes) -> ApiResult<Response> {
    reach(&s, &u, estate).await?;
    let n: NewViolation = parse_json(&body)?;
    Ok(created(du::record_violation(&s.db, u.access(), estate, &n, s.today()).await.api()?))
}

/// A step on a violation: `remind` (with `channel`), `move` (move to the designated area
/// and tell the owner, after 3 reminders; with `told_owner`), or `resolve`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ViolationStep {
    pub violation_id: i64,
    /// `remind`, `move` or `resolve`.
    pub step: String,
    /// `on_site`, `phone`, `sms`, `wechat`, `visit`, `notice_board` (remind).
    #[serde(default)]
    pub channel: String,
    /// How the owner was told (move).
    #[serde(default)]
    pub told_owner: String,
    /// Default today.
    pub on: Option<NaiveDate>,
}

/// The reminders counted so far after the step.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepDone {
    pub reminders: i64,
    pub moved_on: Option<NaiveDate>,
    pub resolved: bool,
}

#[utoipa::path(post, path = "/api/estates/{estate}/ebikes/violations/steps", tag = "safety", params(("estate" = i64, Path, description = "Estate id")), request_body = ViolationStep,
    responses((status = 200, body = StepDone), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody, description = "E.g. moving before 3 reminders")))]
pub async fn violation_step(State(s): State<AppState>, u: User, Path(estate): Path<i64>, body: Bytes) -> ApiResult<Json<StepDone>> {
    reach(&s, &u, estate).await?;
    let r: ViolationStep = parse_json(&body)?;
    let (db, a, today) = (&s.db, u.access(), s.today());
    let on = r.on.unwrap_or(today);
    match r.step.as_str() {
        "remind" => du::remind(db, a, estate, r.violation_id, &r.channel, on, today).await.map(|_| ()),
        "move" => du::move_and_tell(db, a, estate, r.violation_id, &r.told_owner, on, today).await,
        "resolve" => du::resolve_violation(db, a, estate, r.violation_id, today).await,
        other => Err(StoreError::Invalid(format!("步骤：「{other}」应为 remind、move 或 resolve"))),
    }
    .api()?;
    let v = du::violations(db, a, estate, today).await.api()?.into_iter().find(|v| v.id == r.violation_id).ok_or_else(ApiError::not_found)?;
    Ok(Json(StepDone { reminders: v.reminders, moved_on: v.moved_on, resolved: v.resolved }))
}

// ---------------------------------------------------------------------------------------
// Plans, trainings and drills

/// An estate's emergency plans (every version), trainings and drills, and compliance.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstateEmergency {
    pub plans: Vec<Plan>,
    pub trainings: Vec<Training>,
    pub compliance: Vec<ComplianceItem>,
}

#[utoipa::path(get, path = "/api/estates/{estate}/emergency", tag = "safety", params(("estate" = i64, Path, description = "Estate id")),
    responses((status = 200, body = EstateEmergency), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn estate_emergency(State(s): State<AppState>, u: User, Path(estate): Path<i64>) -> ApiResult<Json<EstateEmergency>> {
    let (db, a, today) = (&s.db, u.access(), s.today());
    reach(&s, &u, estate).await?;
    du::ensure_duties(db, estate, today).await.api()?;
    Ok(Json(EstateEmergency { plans: du::plans(db, a, estate, today).await.api()?, trainings: du::trainings(db, a, estate, today).await.api()?, compliance: du::compliance(db, a, estate, today).await.api()? }))
}

#[utoipa::path(post, path = "/api/estates/{estate}/emergency/plans", tag = "safety", params(("estate" = i64, Path, description = "Estate id")), request_body = NewPlan,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_plan(State(s): State<AppState>, u: User, Path(estate): Path<i64>, body: Bytes) -> ApiResult<Response> {
    reach(&s, &u, estate).await?;
    let n: NewPlan = parse_json(&body)?;
    Ok(created(du::add_plan(&s.db, u.access(), estate, &n, s.today()).await.api()?))
}

/// Records a training or drill (photos on the page); a drill marks the drill duty done.
#[utoipa::path(post, path = "/api/estates/{estate}/emergency/trainings", tag = "safety", params(("estate" = i64, Path, description = "Estate id")), request_body = NewTraining,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn record_training(State(s): State<AppState>, u: User, Path(estate): Path<i64>, body: Bytes) -> ApiResult<Response> {
    reach(&s, &u, estate).await?;
    let n: NewTraining = parse_json(&body)?;
    Ok(created(du::record_training(&s.db, u.access(), estate, &n, &[], s.today()).await.api()?))
}
