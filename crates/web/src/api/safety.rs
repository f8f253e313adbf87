//! Safety API (tag `safety`).

pub mod duties;
pub mod inspections;

use super::{ApiResult, DayParam};
use crate::AppState;
use crate::auth::User;
use crate::error::ApiErrorBody;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use wuye_store::StoreError;
use wuye_store::safety::{self as sf, OverdueList, SafetyStats};

#[derive(Debug, Deserialize, IntoParams)]
pub struct SafetyOverdueParams {
    /// Region code prefix (digits, any level); empty: every estate the caller reaches.
    pub region: Option<String>,
    /// Rows to skip (default 0).
    pub offset: Option<i64>,
    /// Rows to return, 1–10,000 (default 200).
    pub limit: Option<i64>,
}

/// The region-wide safety overdue list: open hazards past their deadline and recurring
/// duties past their due day, together, longest overdue first, with the counts of each.
#[utoipa::path(get, path = "/api/safety/overdue", tag = "safety", params(SafetyOverdueParams),
    responses((status = 200, body = OverdueList), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn safety_overdue(State(s): State<AppState>, u: User, Query(q): Query<SafetyOverdueParams>) -> ApiResult<Json<OverdueList>> {
    let r = q.region.unwrap_or_default();
    let r = r.trim();
    if r.len() > 12 || !r.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreError::Invalid(format!("区划：应为 12 位以内的数字代码前缀，实为 {r:?}")).into());
    }
    Ok(Json(sf::overdue(&s.db, u.access(), r, q.offset.unwrap_or(0), q.limit.unwrap_or(200), s.today()).await?))
}

/// Safety figures of a region and each child region as of a day (default today): inspections,
/// hazards (major, open, closed, rectified on time, overdue, supervised), overdue duties and
/// estates with overdue duties; for the region, hazards by category and the ten worst
/// estates.
#[utoipa::path(get, path = "/api/regions/{code}/safety", tag = "regions",
    params(("code" = String, Path, description = "Division code"), DayParam),
    responses((status = 200, body = SafetyStats), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn region_safety(State(s): State<AppState>, u: User, Path(code): Path<String>, Query(d): Query<DayParam>) -> ApiResult<Json<SafetyStats>> {
    Ok(Json(sf::safety_stats(&s.db, u.access(), &code, d.day.unwrap_or_else(|| s.today())).await?))
}
