//! API of templates, inspections and hazards (tag `safety`). Dates `YYYY-MM-DD`
//! (Asia/Shanghai). Photos travel as base64 (`photos: [{seq, file_name, content_base64}]`;
//! images only, at most 5 MB each). Each handler reaches the record first, so a record out
//! of scope answers 404; a refused input answers 422 naming the field; a step that is not
//! the caller's 403.

use crate::AppState;
use crate::api::{ApiResult, Created, created, parse_json};
use crate::auth::User;
use crate::error::ApiErrorBody;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuye_domain::cases::DeadlineRule;
use wuye_domain::safety::HAZARD;
use wuye_store::StoreError;
use wuye_store::cases::Upload;
use wuye_store::registry::Page;
use wuye_store::safety::inspections::{self as si, Hazard, HazardFilter, HazardStep, HazardStepInput, Inspection, InspectionFilter, NewInspection, ResultRow, SafetyFile, Template, TemplateItem};

/// The API field a store message's label (the text before `：`) names.
fn field_of(label: &str) -> &'static str {
    match label {
        "检查类型" => "kind",
        "检查类别" => "category",
        "检查日期" => "inspected_on",
        "检查人签名" => "inspector",
        "责任人签名" => "responsible_signature",
        "检查部位" => "area",
        "期限" | "整改期限" => "deadline",
        "区划" => "region_code",
        "标题" => "title",
        "说明" => "note",
        "复查" => "action",
        l if l.starts_with("照片") => "photos",
        l if l.starts_with("检查项目") || l.starts_with("隐患") => "results",
        _ => "",
    }
}

// A store error as an API error; a refused input names its field in `errors`.
crate::api::field_api!(field_of);

/// A photo sent as JSON.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PhotoJson {
    /// For an inspection: 0 for the inspection's own photos, an item's seq for its hazard's.
    #[serde(default)]
    pub seq: i64,
    pub file_name: String,
    /// The image's bytes in standard base64 (PNG, JPEG, GIF, WebP; at most 5 MB).
    pub content_base64: String,
}

fn decode(photos: &[PhotoJson]) -> ApiResult<Vec<(i64, Upload)>> {
    use base64::Engine;
    photos
        .iter()
        .map(|p| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(p.content_base64.trim())
                .map_err(|_| api_error(StoreError::Invalid(format!("照片「{}」：content_base64 不是有效的 base64", p.file_name))))?;
            Ok((p.seq, Upload { file_name: p.file_name.clone(), bytes }))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Templates

/// A template version with its items.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDetail {
    pub template: Template,
    pub items: Vec<TemplateItem>,
}

#[utoipa::path(get, path = "/api/safety/templates", tag = "safety",
    responses((status = 200, body = Vec<Template>, description = "Every checklist template version, by category, region and version"), (status = 403, body = ApiErrorBody)))]
pub async fn list_templates(State(s): State<AppState>, u: User) -> ApiResult<Json<Vec<Template>>> {
    si::ensure_templates(&s.db).await.api()?;
    Ok(Json(si::templates(&s.db, u.access()).await.api()?))
}

#[utoipa::path(get, path = "/api/safety/templates/{id}", tag = "safety", params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, body = TemplateDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_template(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<TemplateDetail>> {
    let (template, items) = si::template(&s.db, u.access(), id).await.api()?;
    Ok(Json(TemplateDetail { template, items }))
}

/// A new version of a category's checklist.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTemplate {
    /// Category code.
    pub category: String,
    /// The region it applies to (12 digits); empty: the caller's region.
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub title: String,
    pub items: Vec<TemplateItem>,
}

/// Saves a new version of a category's checklist for a region (regulators within their
/// region, administrators). Older versions stay; inspections keep theirs.
#[utoipa::path(post, path = "/api/safety/templates", tag = "safety", request_body = NewTemplate,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_template(State(s): State<AppState>, u: User, body: Bytes) -> ApiResult<Response> {
    let n: NewTemplate = parse_json(&body)?;
    Ok(created(si::save_template(&s.db, u.access(), &n.category, &n.region_code, &n.title, &n.items).await.api()?))
}

// ---------------------------------------------------------------------------------------
// Inspections

/// Filters of the inspection list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionParams {
    pub estate_id: Option<i64>,
    /// `self`, `street` or `spot`.
    pub kind: Option<String>,
    pub category: Option<String>,
    /// Region code prefix (digits).
    pub region: Option<String>,
}

#[utoipa::path(get, path = "/api/safety/inspections", tag = "safety", params(InspectionParams),
    responses((status = 200, body = Vec<Inspection>, description = "The inspections the caller reaches, newest first (at most 500)"), (status = 403, body = ApiErrorBody)))]
pub async fn list_inspections(State(s): State<AppState>, u: User, Query(q): Query<InspectionParams>) -> ApiResult<Json<Vec<Inspection>>> {
    let f = InspectionFilter { estate_id: q.estate_id, kind: q.kind, category: q.category, region: q.region };
    Ok(Json(si::inspections(&s.db, u.access(), &f, 500, s.today()).await.api()?))
}

/// An inspection with its results, photos and hazards.
#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionDetail {
    pub inspection: Inspection,
    pub results: Vec<ResultRow>,
    pub photos: Vec<SafetyFile>,
    pub hazards: Vec<Hazard>,
}

#[utoipa::path(get, path = "/api/safety/inspections/{id}", tag = "safety", params(("id" = i64, Path, description = "Inspection id")),
    responses((status = 200, body = InspectionDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_inspection(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<InspectionDetail>> {
    let (db, a, today) = (&s.db, u.access(), s.today());
    let inspection = si::inspection(db, a, id, today).await.api()?;
    let results = si::inspection_results(db, a, id, today).await.api()?;
    let photos = si::inspection_photos(db, a, id, today).await.api()?;
    let hazards = si::hazard_rows(db, a, &HazardFilter { inspection_id: Some(id), ..Default::default() }, today).await.api()?;
    Ok(Json(InspectionDetail { inspection, results, photos, hazards }))
}

/// An inspection to record, with its photos.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewInspectionJson {
    pub estate_id: i64,
    #[serde(flatten)]
    pub inspection: NewInspection,
    #[serde(default)]
    pub photos: Vec<PhotoJson>,
}

/// Records an inspection; each item with result `hazard` opens a hazard (with a deadline
/// in `working_days` or as a `deadline` date not before the finding; or `spot_fixed`
/// with a photo of the item's seq).
#[utoipa::path(post, path = "/api/safety/inspections", tag = "safety", request_body = NewInspectionJson,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_inspection(State(s): State<AppState>, u: User, body: Bytes) -> ApiResult<Response> {
    u.access().require(wuye_domain::account::Action::Create, wuye_domain::account::Resource::Safety).api()?;
    let n: NewInspectionJson = parse_json(&body)?;
    let photos = decode(&n.photos)?;
    Ok(created(si::create_inspection(&s.db, u.access(), n.estate_id, &n.inspection, &photos, s.today()).await.api()?))
}

// ---------------------------------------------------------------------------------------
// Hazards

#[utoipa::path(get, path = "/api/safety/hazards", tag = "safety", params(HazardFilter),
    responses((status = 200, body = Page<Hazard>, description = "The hazards the caller reaches: open before closed, nearest deadline first, 50 a page"), (status = 403, body = ApiErrorBody)))]
pub async fn list_hazards(State(s): State<AppState>, u: User, Query(f): Query<HazardFilter>) -> ApiResult<Json<Page<Hazard>>> {
    Ok(Json(si::hazards(&s.db, u.access(), &f, s.today()).await.api()?))
}

/// A step the caller may take now.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextStep {
    pub action: &'static str,
    pub label: &'static str,
    pub to: &'static str,
    /// A note is required: its label.
    pub needs_note: Option<&'static str>,
    /// `deadline` must be given (after today).
    pub needs_deadline: bool,
    /// At least one photo must be sent.
    pub needs_photo: bool,
}

/// A hazard with its time line and the steps the caller may take.
#[derive(Debug, Serialize, ToSchema)]
pub struct HazardDetail {
    pub hazard: Hazard,
    pub state_label: &'static str,
    pub overdue: bool,
    pub timeline: Vec<HazardStep>,
    pub photos: Vec<SafetyFile>,
    pub next_steps: Vec<NextStep>,
}

#[utoipa::path(get, path = "/api/safety/hazards/{id}", tag = "safety", params(("id" = i64, Path, description = "Hazard id")),
    responses((status = 200, body = HazardDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_hazard(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<HazardDetail>> {
    let (db, a, today) = (&s.db, u.access(), s.today());
    let hazard = si::hazard(db, a, id, today).await.api()?;
    let tl = si::hazard_timeline(db, a, id, today).await.api()?;
    let by = si::roles_in(a, &hazard);
    let next_steps = HAZARD
        .steps_from(&hazard.state)
        .into_iter()
        .filter(|st| by.contains(&st.by))
        .map(|st| NextStep { action: st.action, label: st.label_zh, to: st.to, needs_note: st.note, needs_deadline: st.deadline == DeadlineRule::Given, needs_photo: matches!(st.action, "report" | "spot_fix") })
        .collect();
    let photos = tl.iter().flat_map(|(_, f)| f.iter().cloned()).collect();
    let timeline = tl.into_iter().map(|(st, _)| st).collect();
    Ok(Json(HazardDetail { state_label: hazard.state_label(), overdue: hazard.overdue(today), hazard, timeline, photos, next_steps }))
}

/// A hazard step with its photos.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HazardStepJson {
    #[serde(flatten)]
    pub step: HazardStepInput,
    #[serde(default)]
    pub photos: Vec<PhotoJson>,
}

/// The new state after a step.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepDone {
    pub state: &'static str,
}

/// Takes a step: `report` (the responsible party; note and photo), `pass` / `reject`
/// (the inspecting side, never the inspected party; reject with a new `deadline`),
/// `supervise` (a supervision order with its `deadline`), `spot_fix`.
#[utoipa::path(post, path = "/api/safety/hazards/{id}/steps", tag = "safety", params(("id" = i64, Path, description = "Hazard id")), request_body = HazardStepJson,
    responses((status = 200, body = StepDone), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn take_hazard_step(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<StepDone>> {
    si::hazard(&s.db, u.access(), id, s.today()).await.api()?;
    let n: HazardStepJson = parse_json(&body)?;
    let photos: Vec<Upload> = decode(&n.photos)?.into_iter().map(|(_, u)| u).collect();
    let state = si::hazard_step(&s.db, u.access(), id, &n.step, &photos, s.today()).await.api()?;
    Ok(Json(StepDone { state }))
}
