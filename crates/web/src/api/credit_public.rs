//! Public credit API (tag `credit`): the look-up and an enterprise's public credit file,
//! served without login (rules.md §4 publication; PIPL Art 67). Only published records
//! (state `effective`); nothing personal, no evidence.

use super::ApiResult;
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use wuye_store::credit::public::{self as cp, PublicCreditFile, PublicEnterprise};
use wuye_store::registry::Page;

#[derive(Debug, Deserialize, IntoParams)]
pub struct CreditSearchParams {
    /// Enterprise name (substring) or USCC (exact, 18 characters); empty lists every enterprise.
    pub q: Option<String>,
    /// Page from 1 (default 1).
    pub page: Option<i64>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<i64>,
}

/// The public credit look-up: enterprises by name (substring) or USCC (exact), by name,
/// with their current grade and score (tenths of a point) and red/black list status. No
/// login needed.
#[utoipa::path(get, path = "/api/public/credit", tag = "credit", params(CreditSearchParams),
    responses((status = 200, body = Page<PublicEnterprise>), (status = 422, body = ApiErrorBody)))]
pub async fn search(State(s): State<AppState>, Query(q): Query<CreditSearchParams>) -> ApiResult<Json<Page<PublicEnterprise>>> {
    Ok(Json(cp::search(&s.db, q.q.as_deref().unwrap_or(""), q.page.unwrap_or(1), q.per_page.unwrap_or(20)).await?))
}

/// An enterprise's public credit file: basic information, current grade and score, red
/// and black list status, its published records (state `effective` only; points in tenths
/// of a point, `kind` good adds and bad deducts) and its score history. No login needed.
#[utoipa::path(get, path = "/api/public/credit/{enterprise}", tag = "credit",
    params(("enterprise" = i64, Path, description = "Enterprise id")),
    responses((status = 200, body = PublicCreditFile), (status = 404, body = ApiErrorBody)))]
pub async fn credit_file(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<PublicCreditFile>> {
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    Ok(Json(cp::credit_file(&s.db, id).await?))
}
