//! Cases in the JSON API: joint-conference matters, law-enforcement referrals and dispute
//! mediation through one engine ([`wuye_domain::cases`]), with the meetings, the
//! organisations, the working-day calendar (and a deadline calculator), and the regional
//! case figures. Dates `YYYY-MM-DD` (Asia/Shanghai). Attachments are not sent as JSON
//! (the web form uploads them). Each handler reaches the record first, so a record out of
//! scope answers 404 whatever the body holds; a refused input answers 422 naming the
//! field (`errors: [{field, label, reason}]`), a step that is not the caller's 403, a
//! step someone else just took 409.

use super::{ApiResult, Created, created, parse_json};
use crate::AppState;
use crate::auth::User;
use crate::error::{ApiError, ApiErrorBody};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuye_domain::cases::{By, CaseKind, DeadlineRule, HolderRule};
use wuye_store::StoreError;
use wuye_store::cases::{self as cs, Agreement, Attachment, CalendarDay, Case, CaseFilter, Meeting, NewCase, NewMeeting, Organisation, Party, StepInput, TimelineStep};
use wuye_store::registry::Page;
use wuye_store::stats::{self, CaseStats};

/// The API field a store message's label (the text before `：`) names.
fn field_of(label: &str) -> &'static str {
    match label {
        "期限" => "deadline",
        "承办部门" | "协办部门" => "holder_org_id",
        "召集部门" => "convener_org_id",
        "标题" | "会议名称" => "title",
        "类型" => "kind",
        "小区" => "estate_id",
        "房屋" => "house_id",
        "当事人" => "parties",
        "纠纷类别" | "违法行为类别" => "category",
        "参会部门" => "attendees",
        "满意度" => "satisfaction",
        "日期" => "on",
        "事项" => "event",
        "区划" => "region_code",
        "名称" => "name",
        l if l.starts_with("调解协议") => "agreement",
        l if l.starts_with("附件") => "attachments",
        _ => "",
    }
}

// A store error as an API error; a refused input names its field in `errors`.
crate::api::field_api!(field_of);

// ---------------------------------------------------------------------------------------
// Cases

#[utoipa::path(get, path = "/api/cases", tag = "cases", params(CaseFilter),
    responses((status = 200, body = Page<Case>, description = "The cases the caller reaches, overdue and nearest deadlines first, 50 a page"), (status = 403, body = ApiErrorBody)))]
pub async fn list_cases(State(s): State<AppState>, u: User, Query(f): Query<CaseFilter>) -> ApiResult<Json<Page<Case>>> {
    Ok(Json(cs::list(&s.db, u.access(), &f, s.today()).await.api()?))
}

#[utoipa::path(get, path = "/api/cases/inbox", tag = "cases",
    responses((status = 200, body = Vec<Case>, description = "Open cases held by the caller's organisations, nearest deadline first (at most 200)"), (status = 403, body = ApiErrorBody)))]
pub async fn case_inbox(State(s): State<AppState>, u: User) -> ApiResult<Json<Vec<Case>>> {
    Ok(Json(cs::inbox(&s.db, u.access(), 200).await.api()?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueParams {
    /// Region code prefix (digits, any level); empty: every region the caller reaches.
    pub region: Option<String>,
}

/// Overdue open cases and how many there are.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overdue {
    /// Oldest deadline first (at most 200).
    pub items: Vec<Case>,
    pub total: i64,
}

#[utoipa::path(get, path = "/api/cases/overdue", tag = "cases", params(OverdueParams),
    responses((status = 200, body = Overdue), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn overdue_cases(State(s): State<AppState>, u: User, Query(q): Query<OverdueParams>) -> ApiResult<Json<Overdue>> {
    let r = q.region.unwrap_or_default();
    let r = r.trim();
    if r.len() > 12 || !r.bytes().all(|b| b.is_ascii_digit()) {
        return Err(api_error(StoreError::Invalid(format!("区划：应为 12 位以内的数字代码前缀，实为 {r:?}"))));
    }
    let (items, total) = cs::overdue(&s.db, u.access(), r, 200, s.today()).await.api()?;
    Ok(Json(Overdue { items, total }))
}

/// Opens a case: a matter dispatched by its convener (`holder_org_id`, `deadline`
/// required), a violation reported (`estate_id`, `category`), or a dispute brought to
/// mediation (`estate_id`, `category`, `parties`). Attachments are uploaded on the page.
#[utoipa::path(post, path = "/api/cases", tag = "cases", request_body = NewCase,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_case(State(s): State<AppState>, u: User, body: Bytes) -> ApiResult<Response> {
    u.access().require(wuye_domain::account::Action::Create, wuye_domain::account::Resource::Case).api()?;
    let n: NewCase = parse_json(&body)?;
    Ok(created(cs::open(&s.db, u.access(), &n, &[], s.today()).await.api()?))
}

/// A step the caller may take now.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextStep {
    /// The code to send as `action`.
    pub action: &'static str,
    pub label: &'static str,
    /// The state it leads to, and its label.
    pub to: &'static str,
    pub to_label: &'static str,
    /// A note is required: its label (the reasons, the progress, the result…).
    pub needs_note: Option<&'static str>,
    /// `deadline` must be given (after today).
    pub needs_deadline: bool,
    /// `holder_org_id` must be given (the department it goes to).
    pub needs_holder: bool,
    /// Dispute acceptance: every party's consent (`consents`).
    pub needs_consents: bool,
    /// Dispute agreement: the agreement (`agreement`).
    pub needs_agreement: bool,
}

/// A case with everything on its page.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(rename = "case")]
    pub case: Case,
    pub kind_label: &'static str,
    pub state_label: &'static str,
    /// Open and past its deadline.
    pub overdue: bool,
    /// The parts the caller plays: `holder`, `supervisor`.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<By>,
    pub parties: Vec<Party>,
    pub helpers: Vec<Organisation>,
    pub agreement: Option<Agreement>,
    pub timeline: Vec<TimelineStep>,
    pub attachments: Vec<Attachment>,
    /// The steps the caller may take now (the buttons of the page).
    pub next_steps: Vec<NextStep>,
}

/// The steps of `c`'s flow from its state that a caller playing `by` may take.
pub fn next_steps(c: &Case, by: &[By]) -> Vec<NextStep> {
    let kind = c.kind();
    let flow = kind.flow();
    flow.steps_from(&c.state)
        .into_iter()
        .filter(|st| by.contains(&st.by))
        .map(|st| NextStep {
            action: st.action,
            label: st.label_zh,
            to: st.to,
            to_label: flow.state_label(st.to),
            needs_note: st.note,
            needs_deadline: st.deadline == DeadlineRule::Given,
            needs_holder: st.holder == HolderRule::Given,
            needs_consents: kind == CaseKind::Dispute && st.action == "accept",
            needs_agreement: kind == CaseKind::Dispute && st.action == "agree",
        })
        .collect()
}

#[utoipa::path(get, path = "/api/cases/{id}", tag = "cases", params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_case(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<CaseDetail>> {
    let (db, a, today) = (&s.db, u.access(), s.today());
    let c = cs::get(db, a, id, today).await.api()?;
    let roles = cs::roles_in(db, a, &c).await.api()?;
    Ok(Json(CaseDetail {
        kind_label: c.kind().label_zh(),
        state_label: c.state_label(),
        overdue: c.overdue(today),
        next_steps: next_steps(&c, &roles),
        parties: cs::parties(db, a, id, today).await.api()?,
        helpers: cs::helpers(db, a, id, today).await.api()?,
        agreement: cs::agreement(db, a, id, today).await.api()?,
        timeline: cs::timeline(db, a, id, today).await.api()?,
        attachments: cs::attachments(db, a, id, today).await.api()?,
        roles,
        case: c,
    }))
}

/// A case's state after a step.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseState {
    pub state: &'static str,
    pub state_label: &'static str,
}

/// Takes a step of the case's flow (`next_steps` of the case lists those open to the
/// caller). Refused, nothing changed: a step out of order or unknown (422), not the
/// caller's to take (403), a deadline not after today (422, field `deadline`), a
/// required note empty, a department that is not one, a dispute accepted without every
/// party's consent, an incomplete agreement; 409 when someone else just took a step.
#[utoipa::path(post, path = "/api/cases/{id}/steps", tag = "cases", params(("id" = i64, Path, description = "Case id")), request_body = StepInput,
    responses((status = 200, body = CaseState), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn take_step(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<CaseState>> {
    let c = cs::get(&s.db, u.access(), id, s.today()).await.api()?;
    let input: StepInput = parse_json(&body)?;
    let state = cs::step(&s.db, u.access(), id, &input, &[], s.today()).await.map_err(|e| match e {
        // The engine's "not yours" is a refusal of the caller, not of the input.
        StoreError::Invalid(m) if m.contains("须由") && m.contains("办理") => api_error(StoreError::Forbidden(m)),
        e => api_error(e),
    })?;
    Ok(Json(CaseState { state, state_label: c.kind().flow().state_label(state) }))
}

/// A party's satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SatisfactionInput {
    pub satisfaction: i64,
}

/// Records a party's satisfaction with a closed case: the party (an owner) or the
/// holder recording it for them.
#[utoipa::path(post, path = "/api/cases/{id}/parties/{seq}/satisfaction", tag = "cases",
    params(("id" = i64, Path, description = "Case id"), ("seq" = i64, Path, description = "Party number")), request_body = SatisfactionInput,
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn rate_party(State(s): State<AppState>, u: User, Path((id, seq)): Path<(i64, i64)>, body: Bytes) -> ApiResult<StatusCode> {
    cs::get(&s.db, u.access(), id, s.today()).await.api()?;
    let r: SatisfactionInput = parse_json(&body)?;
    cs::rate(&s.db, u.access(), id, seq, r.satisfaction, s.today()).await.api()?;
    Ok(StatusCode::NO_CONTENT)
}

/// An event of a mediation agreement: `judicial_applied` (the parties applied jointly
/// for judicial confirmation) or `performed`, on a day between the agreement's taking
/// effect and today.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AgreementEvent {
    pub event: String,
    pub on: NaiveDate,
}

#[utoipa::path(post, path = "/api/cases/{id}/agreement/events", tag = "cases", params(("id" = i64, Path, description = "Case id")), request_body = AgreementEvent,
    responses((status = 200, body = Agreement), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn agreement_event(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Agreement>> {
    cs::get(&s.db, u.access(), id, s.today()).await.api()?;
    let e: AgreementEvent = parse_json(&body)?;
    cs::record_agreement_event(&s.db, u.access(), id, &e.event, e.on, s.today()).await.api()?;
    cs::agreement(&s.db, u.access(), id, s.today()).await.api()?.map(Json).ok_or_else(ApiError::not_found)
}

// ---------------------------------------------------------------------------------------
// Meetings

#[utoipa::path(get, path = "/api/meetings", tag = "cases",
    responses((status = 200, body = Vec<Meeting>, description = "Joint-conference meetings the caller reaches, newest first (at most 200)"), (status = 403, body = ApiErrorBody)))]
pub async fn list_meetings(State(s): State<AppState>, u: User) -> ApiResult<Json<Vec<Meeting>>> {
    Ok(Json(cs::meetings(&s.db, u.access(), 200).await.api()?))
}

/// Records a joint-conference meeting (the caller belongs to the convener, a housing
/// department or street office; attendees are departments: `[[organisation id, who came]]`).
#[utoipa::path(post, path = "/api/meetings", tag = "cases", request_body = NewMeeting,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_meeting(State(s): State<AppState>, u: User, body: Bytes) -> ApiResult<Response> {
    u.access().require(wuye_domain::account::Action::Create, wuye_domain::account::Resource::Case).api()?;
    let m: NewMeeting = parse_json(&body)?;
    Ok(created(cs::create_meeting(&s.db, u.access(), &m, s.today()).await.api()?))
}

/// An attending organisation and who came for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attendee {
    pub organisation: Organisation,
    pub attendee: String,
}

/// A meeting with its attendees and the matters it dispatched.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingDetail {
    pub meeting: Meeting,
    pub attendees: Vec<Attendee>,
    pub matters: Vec<Case>,
}

#[utoipa::path(get, path = "/api/meetings/{id}", tag = "cases", params(("id" = i64, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_meeting(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<MeetingDetail>> {
    let meeting = cs::meeting(&s.db, u.access(), id).await.api()?;
    let attendees = cs::attendees(&s.db, id).await.api()?.into_iter().map(|(organisation, attendee)| Attendee { organisation, attendee }).collect();
    let f = CaseFilter { meeting_id: Some(id), ..Default::default() };
    let matters = cs::list(&s.db, u.access(), &f, s.today()).await.api()?.items;
    Ok(Json(MeetingDetail { meeting, attendees, matters }))
}

// ---------------------------------------------------------------------------------------
// Organisations and the calendar

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgParams {
    /// Only this kind (`housing`, `street`, `urban_management`, … `mediation`).
    pub kind: Option<String>,
}

#[utoipa::path(get, path = "/api/organisations", tag = "cases", params(OrgParams),
    responses((status = 200, body = Vec<Organisation>, description = "Departments, street offices and mediation committees the caller may see")))]
pub async fn list_organisations(State(s): State<AppState>, u: User, Query(q): Query<OrgParams>) -> ApiResult<Json<Vec<Organisation>>> {
    let kind = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
    Ok(Json(cs::organisations(&s.db, u.access(), kind).await.api()?))
}

#[utoipa::path(get, path = "/api/calendar/days", tag = "cases",
    responses((status = 200, body = Vec<CalendarDay>, description = "Holidays and working days added to the national calendar (nationwide or for a region's subtree)")))]
pub async fn calendar_days(State(s): State<AppState>, _u: User) -> ApiResult<Json<Vec<CalendarDay>>> {
    Ok(Json(cs::calendar_days(&s.db).await.api()?))
}

/// A calendar day to add (administrators): `region_code` empty for everywhere.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CalendarDayInput {
    pub day: NaiveDate,
    #[serde(default)]
    pub region_code: String,
    /// `holiday` (放假) or `workday` (调休上班).
    pub kind: String,
    pub name: String,
}

#[utoipa::path(post, path = "/api/calendar/days", tag = "cases", request_body = CalendarDayInput,
    responses((status = 200, body = Vec<CalendarDay>), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_calendar_day(State(s): State<AppState>, u: User, body: Bytes) -> ApiResult<Json<Vec<CalendarDay>>> {
    if u.access().role() != wuye_domain::account::Role::Admin {
        return Err(api_error(StoreError::Forbidden("只有平台管理员可以维护工作日历".into())));
    }
    let d: CalendarDayInput = parse_json(&body)?;
    cs::add_calendar_day(&s.db, u.access(), d.day, &d.region_code, &d.kind, &d.name).await.api()?;
    Ok(Json(cs::calendar_days(&s.db).await.api()?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkingDaysParams {
    /// The day counting starts after.
    pub from: NaiveDate,
    /// Working days to count, 0–366.
    pub days: u32,
    /// Division code whose calendar applies (its added days and those of the regions
    /// above); default: the national calendar.
    pub region: Option<String>,
}

/// A non-working day skipped.
#[derive(Debug, Serialize, ToSchema)]
pub struct Skipped {
    pub day: NaiveDate,
    /// The holiday's name; empty for a weekend.
    pub name: String,
}

/// The deadline `days` working days after `from`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkingDays {
    pub from: NaiveDate,
    pub days: u32,
    pub region_code: String,
    pub deadline: NaiveDate,
    /// The non-working days between `from` and the deadline.
    pub skipped: Vec<Skipped>,
}

/// The deadline calculator: the `days`-th working day after `from`, by the official
/// holiday calendar and the region's added days.
#[utoipa::path(get, path = "/api/calendar/working-days", tag = "cases", params(WorkingDaysParams),
    responses((status = 200, body = WorkingDays), (status = 400, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn working_days(State(s): State<AppState>, _u: User, Query(q): Query<WorkingDaysParams>) -> ApiResult<Json<WorkingDays>> {
    if q.days > 366 {
        return Err(api_error(StoreError::Invalid(format!("工作日数：应为 0–366，实为 {}", q.days))));
    }
    let region_code = match q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => String::new(),
        Some(r) => wuye_domain::region::RegionCode::parse(r).map_err(|e| api_error(StoreError::Invalid(format!("区划：{e}"))))?.as_str().to_string(),
    };
    let cal = cs::calendar_for(&s.db, &region_code).await.api()?;
    let deadline = cal.add_working_days(q.from, q.days);
    let skipped = q.from.iter_days().skip(1).take_while(|d| *d < deadline).filter(|d| !cal.is_working_day(*d)).map(|day| Skipped { day, name: cal.name_of(day).unwrap_or("").to_string() }).collect();
    Ok(Json(WorkingDays { from: q.from, days: q.days, region_code, deadline, skipped }))
}

// ---------------------------------------------------------------------------------------
// Regional figures

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayParam {
    /// Day the figures are computed for (default today, Asia/Shanghai).
    pub day: Option<NaiveDate>,
}

/// Joint-conference matters, law-enforcement referrals and dispute mediation of a region
/// and each child region, over the cases the caller reaches: matters (open, closed,
/// closed on time, on time: never escalated and closed or within the deadline), referrals
/// by outcome, disputes (agreed, concluded), overdue open cases; and for the region,
/// matters by lead department kind with the on-time rate, disputes by category with the
/// success rate (agreed / concluded) and the average days to conclusion, referrals by
/// category and outcome.
#[utoipa::path(get, path = "/api/regions/{code}/cases", tag = "regions",
    params(("code" = String, Path, description = "Division code"), DayParam),
    responses((status = 200, body = CaseStats), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn region_cases(State(s): State<AppState>, u: User, Path(code): Path<String>, Query(d): Query<DayParam>) -> ApiResult<Json<CaseStats>> {
    Ok(Json(stats::case_stats(&s.db, u.access(), &code, d.day.unwrap_or_else(|| s.today())).await.api()?))
}
