//! An estate's owners' assembly records in the JSON API: the covenant's clauses that
//! matter to voting and the owners' committee (5–11 members, odd, term up to 5 years by
//! default; Guidance Rules 2009 Arts 31–32). Dates `YYYY-MM-DD`.

use super::{ApiResult, created, parse_json};
use crate::AppState;
use crate::auth::User;
use crate::error::ApiErrorBody;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wuye_store::assembly::{self as asm, Committee, CommitteeInput, Covenant, CovenantInput, Member};

/// The covenant (`null` until recorded: the Civil Code's thresholds apply) and the
/// current committee (`null` until recorded).
#[derive(Debug, Serialize, ToSchema)]
pub struct Records {
    pub covenant: Option<Covenant>,
    pub committee: Option<Committee>,
}

#[utoipa::path(get, path = "/api/estates/{id}/assembly", tag = "assembly", params(("id" = i64, Path)),
    responses((status = 200, body = Records), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_records(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Records>> {
    let covenant = asm::covenant(&s.db, u.access(), id, s.today()).await?;
    let committee = asm::committee(&s.db, u.access(), id, s.today()).await?;
    Ok(Json(Records { covenant, committee }))
}

/// The covenant's clauses. `silent_vote` needs `silent_clause` (the article relied on).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CovenantBody {
    /// `civil_code_2021` (default) or `pmr_2018_art12`.
    pub rule_set_code: Option<String>,
    #[serde(default)]
    pub silent_vote: bool,
    #[serde(default)]
    pub silent_clause: String,
    #[serde(default)]
    pub procedure_text: String,
    /// The day it was filed (备案), if filed.
    pub filed_on: Option<NaiveDate>,
}

#[utoipa::path(put, path = "/api/estates/{id}/covenant", tag = "assembly", params(("id" = i64, Path)), request_body = CovenantBody,
    responses((status = 200, body = Records), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_covenant(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Records>> {
    asm::covenant(&s.db, u.access(), id, s.today()).await?;
    let b: CovenantBody = parse_json(&body)?;
    let c = CovenantInput { rule_set_code: b.rule_set_code.unwrap_or_else(|| "civil_code_2021".into()), silent_vote: b.silent_vote, silent_clause: b.silent_clause, procedure_text: b.procedure_text, filed_on: b.filed_on };
    asm::set_covenant(&s.db, u.access(), id, &c, s.today()).await?;
    get_records(State(s), u, Path(id)).await
}

/// A new committee: term and members (`position`: director | deputy | member; exactly
/// one director).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CommitteeBody {
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub members: Vec<Member>,
    pub filed_on: Option<NaiveDate>,
}

#[utoipa::path(post, path = "/api/estates/{id}/committees", tag = "assembly", params(("id" = i64, Path)), request_body = CommitteeBody,
    responses((status = 201, body = super::Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_committee(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    asm::committee(&s.db, u.access(), id, s.today()).await?;
    let b: CommitteeBody = parse_json(&body)?;
    let c = CommitteeInput { term_start: b.term_start, term_end: b.term_end, members: b.members, filed_on: b.filed_on };
    Ok(created(asm::set_committee(&s.db, u.access(), id, &c, s.today()).await?))
}
