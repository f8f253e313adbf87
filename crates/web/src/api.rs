//! The JSON API under `/api`, described by the OpenAPI 3 document at `/api/openapi.json`.
//! Money is integer fen, areas integer hundredths of m², dates `YYYY-MM-DD` in
//! Asia/Shanghai. Errors are `{"error": code, "message": text}` with the HTTP status.

use crate::AppState;
use crate::auth::User;
use crate::error::{ApiError, ApiErrorBody};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use wuye_domain::coverage::Coverage;
use wuye_domain::ledger::CellError;
use wuye_domain::registry::*;
use wuye_store::import::{ImportError, ImportOptions, ImportReport, Quiet, import_file};
use wuye_store::region::Region;
use wuye_store::registry::{self as reg, Building, Contract, ContractFilter, ContractState, CoveredFilter, Enterprise, Estate, House, HouseFilter, ListQuery, Occupant, Owner, Page};
use wuye_store::stats::{AssemblyFundStats, RegionCoverage, RegionStats};
use wuye_store::{region, stats};

pub mod assembly;
pub mod cases;
pub mod fund;
pub mod safety;
// credit: BEGIN
pub mod credit;
// credit: END
// credit-public: BEGIN
pub mod credit_public;
// credit-public: END
// tender: BEGIN
pub mod tender;
// tender: END

type ApiResult<T> = Result<T, ApiError>;

/// JSON body whose rejection is answered in the API's error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Parses a JSON body after the handler has checked the caller may reach the record, so
/// that a record out of scope answers 404 whatever the body holds.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("请求体不是有效的 JSON 或字段不符: {e}")))
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("请求体不是有效的 JSON 或字段不符: {}", r.body_text()))
    }
}

/// The id of a created record.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

fn created(id: i64) -> Response {
    (StatusCode::CREATED, Json(Created { id })).into_response()
}

fn invalid(errs: Vec<FieldError>) -> ApiError {
    let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", errs.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join("；"));
    e.body.errors = errs.iter().filter_map(|x| serde_json::to_value(x).ok()).collect();
    e
}

// ---------------------------------------------------------------------------------------
// Regions

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayParam {
    /// Day the coverage is computed for (default today, Asia/Shanghai).
    pub day: Option<NaiveDate>,
}

/// One region.
#[utoipa::path(get, path = "/api/regions/{code}", tag = "regions",
    params(("code" = String, Path, description = "Division code, 2–12 digits (right-padded to 12)")),
    responses((status = 200, body = Region), (status = 404, body = ApiErrorBody)))]
pub async fn get_region(State(s): State<AppState>, u: User, Path(code): Path<String>) -> ApiResult<Json<Region>> {
    Ok(Json(reachable_region(&s, &u, &code).await?))
}

/// A region the caller's figures reach (regulators: their subtree); others are not found.
async fn reachable_region(s: &AppState, u: &User, code: &str) -> ApiResult<Region> {
    u.access().require(wuye_domain::account::Action::View, wuye_domain::account::Resource::Dashboard)?;
    let r = region::get(&s.db, code).await?.ok_or_else(ApiError::not_found)?;
    if !u.access().reaches_region(&r.code) {
        return Err(ApiError::not_found());
    }
    Ok(r)
}

/// The regions one level below.
#[utoipa::path(get, path = "/api/regions/{code}/children", tag = "regions",
    params(("code" = String, Path, description = "Division code")),
    responses((status = 200, body = Vec<Region>), (status = 404, body = ApiErrorBody)))]
pub async fn region_children(State(s): State<AppState>, u: User, Path(code): Path<String>) -> ApiResult<Json<Vec<Region>>> {
    let r = reachable_region(&s, &u, &code).await?;
    Ok(Json(region::children(&s.db, &r.code).await?))
}

/// Property-service coverage of a region and each child region, on three bases
/// (estates, houses, building area in hundredths of m²), with the target.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsResponse {
    pub region: Region,
    pub day: NaiveDate,
    pub total: Coverage,
    pub children: Vec<RegionCoverage>,
    /// Target in percent (default 70).
    pub target_percent: i64,
    /// Coverage rates of the total as tenths of a percent (667 = 66.7%).
    pub permille_by_estates: i64,
    pub permille_by_houses: i64,
    pub permille_by_area: i64,
}

#[utoipa::path(get, path = "/api/regions/{code}/stats", tag = "regions",
    params(("code" = String, Path, description = "Division code"), DayParam),
    responses((status = 200, body = StatsResponse), (status = 404, body = ApiErrorBody)))]
pub async fn region_stats(State(s): State<AppState>, u: User, Path(code): Path<String>, Query(d): Query<DayParam>) -> ApiResult<Json<StatsResponse>> {
    let RegionStats { region, day, total, children } = stats::region_stats(&s.db, u.access(), &code, d.day.unwrap_or_else(|| s.today())).await?;
    Ok(Json(StatsResponse {
        region,
        day,
        permille_by_estates: total.by_estates().permille(),
        permille_by_houses: total.by_houses().permille(),
        permille_by_area: total.by_area().permille(),
        total,
        children,
        target_percent: s.config.coverage_target_percent,
    }))
}

/// Owners' votes and the maintenance fund of a region and each child region: votes
/// published (passed when every matter passed, else failed) and open; fund accounts, total
/// balance in fen, open household accounts and those below 30 % of their initial deposit;
/// fund uses by path (ordinary / emergency) with the amount charged, in fen.
#[utoipa::path(get, path = "/api/regions/{code}/assembly-fund", tag = "regions",
    params(("code" = String, Path, description = "Division code"), DayParam),
    responses((status = 200, body = AssemblyFundStats), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn region_assembly_fund(State(s): State<AppState>, u: User, Path(code): Path<String>, Query(d): Query<DayParam>) -> ApiResult<Json<AssemblyFundStats>> {
    Ok(Json(stats::assembly_fund_stats(&s.db, u.access(), &code, d.day.unwrap_or_else(|| s.today())).await?))
}

// ---------------------------------------------------------------------------------------
// Estates

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EstateParams {
    /// Region code (any level): only its subtree.
    pub region: Option<String>,
    /// Text in the name or address.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// name | houses | area | region | year, `-` prefix for descending.
    pub sort: Option<String>,
    /// covered | uncovered (by a contract in force today)
    pub covered: Option<CoveredFilter>,
}

impl EstateParams {
    fn list(&self) -> ListQuery {
        ListQuery { region: self.region.clone(), q: self.q.clone(), page: self.page, per_page: self.per_page, sort: self.sort.clone(), ..Default::default() }
    }
}

#[utoipa::path(get, path = "/api/estates", tag = "registry", params(EstateParams), responses((status = 200, body = Page<Estate>)))]
pub async fn list_estates(State(s): State<AppState>, u: User, Query(p): Query<EstateParams>) -> ApiResult<Json<Page<Estate>>> {
    Ok(Json(reg::list_estates(&s.db, u.access(), &p.list(), p.covered, s.today()).await?))
}

#[utoipa::path(get, path = "/api/estates/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 200, body = Estate), (status = 404, body = ApiErrorBody)))]
pub async fn get_estate(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Estate>> {
    Ok(Json(reg::get_estate(&s.db, u.access(), id, s.today()).await?))
}

#[utoipa::path(post, path = "/api/estates", tag = "registry", request_body = EstateInput,
    responses((status = 201, body = Created), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_estate(State(s): State<AppState>, u: User, ApiJson(e): ApiJson<EstateInput>) -> ApiResult<Response> {
    let year = s.today().year();
    let errs = e.validate(year);
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    Ok(created(reg::create_estate(&s.db, u.access(), &e, year).await?))
}

#[utoipa::path(put, path = "/api/estates/{id}", tag = "registry", params(("id" = i64, Path)), request_body = EstateInput,
    responses((status = 200, body = Estate), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_estate(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Estate>> {
    reg::get_estate(&s.db, u.access(), id, s.today()).await?;
    let e: EstateInput = parse_json(&body)?;
    let year = s.today().year();
    let errs = e.validate(year);
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    reg::update_estate(&s.db, u.access(), id, &e, year, s.today()).await?;
    Ok(Json(reg::get_estate(&s.db, u.access(), id, s.today()).await?))
}

#[utoipa::path(get, path = "/api/estates/{id}/buildings", tag = "registry", params(("id" = i64, Path)), responses((status = 200, body = Vec<Building>), (status = 404, body = ApiErrorBody)))]
pub async fn estate_buildings(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Vec<Building>>> {
    reg::get_estate(&s.db, u.access(), id, s.today()).await?;
    Ok(Json(reg::list_buildings(&s.db, u.access(), id, s.today()).await?))
}

/// A building's attributes that can be edited (its number comes from its houses).
#[derive(Debug, Deserialize, ToSchema)]
pub struct BuildingInput {
    /// Number of floors above ground, 1–200.
    pub floors: Option<i32>,
    pub has_elevator: Option<bool>,
}

#[utoipa::path(get, path = "/api/buildings/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 200, body = Building), (status = 404, body = ApiErrorBody)))]
pub async fn get_building(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Building>> {
    Ok(Json(reg::get_building(&s.db, u.access(), id, s.today()).await?))
}

#[utoipa::path(put, path = "/api/buildings/{id}", tag = "registry", params(("id" = i64, Path)), request_body = BuildingInput,
    responses((status = 200, body = Building), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_building(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Building>> {
    reg::get_building(&s.db, u.access(), id, s.today()).await?;
    let b: BuildingInput = parse_json(&body)?;
    reg::update_building(&s.db, u.access(), id, b.floors, b.has_elevator, s.today()).await?;
    Ok(Json(reg::get_building(&s.db, u.access(), id, s.today()).await?))
}

// ---------------------------------------------------------------------------------------
// Houses and owners

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseParams {
    pub region: Option<String>,
    /// Text in the room number or an owner's name.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// room | area | floor
    pub sort: Option<String>,
    pub estate_id: Option<i64>,
    pub building_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/houses", tag = "registry", params(HouseParams), responses((status = 200, body = Page<House>)))]
pub async fn list_houses(State(s): State<AppState>, u: User, Query(p): Query<HouseParams>) -> ApiResult<Json<Page<House>>> {
    let q = ListQuery { region: p.region, q: p.q, page: p.page, per_page: p.per_page, sort: p.sort, ..Default::default() };
    Ok(Json(reg::list_houses(&s.db, u.access(), &q, &HouseFilter { estate_id: p.estate_id, building_id: p.building_id }, s.today()).await?))
}

/// A house with its owners and occupants.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseDetail {
    pub house: House,
    pub owners: Vec<Owner>,
    pub occupants: Vec<Occupant>,
}

#[utoipa::path(get, path = "/api/houses/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 200, body = HouseDetail), (status = 404, body = ApiErrorBody)))]
pub async fn get_house(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<HouseDetail>> {
    let house = reg::get_house(&s.db, u.access(), id, s.today()).await?;
    Ok(Json(HouseDetail { house, owners: reg::house_owners(&s.db, u.access(), id, s.today()).await?, occupants: reg::house_occupants(&s.db, u.access(), id, s.today()).await? }))
}

/// A house to create in an estate.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewHouse {
    pub estate_id: i64,
    #[serde(flatten)]
    pub house: HouseInput,
}

#[utoipa::path(post, path = "/api/houses", tag = "registry", request_body = NewHouse,
    responses((status = 201, body = Created), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_house(State(s): State<AppState>, u: User, ApiJson(h): ApiJson<NewHouse>) -> ApiResult<Response> {
    let mut house = h.house;
    house.building_no = normalize_building_no(&house.building_no);
    house.unit_no = normalize_unit_no(&house.unit_no);
    let errs = house.validate();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    Ok(created(reg::create_house(&s.db, u.access(), h.estate_id, &house, s.today()).await?))
}

#[utoipa::path(put, path = "/api/houses/{id}", tag = "registry", params(("id" = i64, Path)), request_body = HouseInput,
    responses((status = 200, body = House), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_house(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<House>> {
    reg::get_house(&s.db, u.access(), id, s.today()).await?;
    let mut h: HouseInput = parse_json(&body)?;
    h.building_no = normalize_building_no(&h.building_no);
    h.unit_no = normalize_unit_no(&h.unit_no);
    let errs = h.validate();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    reg::update_house(&s.db, u.access(), id, &h, s.today()).await?;
    Ok(Json(reg::get_house(&s.db, u.access(), id, s.today()).await?))
}

#[utoipa::path(post, path = "/api/houses/{id}/owners", tag = "registry", params(("id" = i64, Path)), request_body = OwnerInput,
    responses((status = 201, body = Created, description = "The owner's id (an existing owner with the same ID number is reused)"), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_house_owner(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    reg::get_house(&s.db, u.access(), id, s.today()).await?;
    let o: OwnerInput = parse_json(&body)?;
    let mut check = o.clone();
    let errs = check.normalize();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    Ok(created(reg::add_house_owner(&s.db, u.access(), id, &o, s.today()).await?))
}

#[utoipa::path(delete, path = "/api/houses/{id}/owners/{owner_id}", tag = "registry", params(("id" = i64, Path), ("owner_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ApiErrorBody)))]
pub async fn remove_house_owner(State(s): State<AppState>, u: User, Path((id, owner)): Path<(i64, i64)>) -> ApiResult<StatusCode> {
    reg::remove_house_owner(&s.db, u.access(), id, owner, s.today()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerParams {
    /// Only owners with a house in this region.
    pub region: Option<String>,
    /// A name (partial), or an exact ID number, USCC or phone.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/owners", tag = "registry", params(OwnerParams), responses((status = 200, body = Page<Owner>)))]
pub async fn list_owners(State(s): State<AppState>, u: User, Query(p): Query<OwnerParams>) -> ApiResult<Json<Page<Owner>>> {
    let q = ListQuery { region: p.region, q: p.q, page: p.page, per_page: p.per_page, sort: None, ..Default::default() };
    Ok(Json(reg::list_owners(&s.db, u.access(), &q, s.today()).await?))
}

/// An owner with the houses it owns.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerDetail {
    pub owner: Owner,
    pub houses: Vec<House>,
}

#[utoipa::path(get, path = "/api/owners/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 200, body = OwnerDetail), (status = 404, body = ApiErrorBody)))]
pub async fn get_owner(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<OwnerDetail>> {
    Ok(Json(OwnerDetail { owner: reg::get_owner(&s.db, u.access(), id, s.today()).await?, houses: reg::owner_houses(&s.db, u.access(), id, s.today()).await? }))
}

#[utoipa::path(put, path = "/api/owners/{id}", tag = "registry", params(("id" = i64, Path)), request_body = OwnerInput,
    responses((status = 200, body = Owner), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_owner(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Owner>> {
    reg::get_owner(&s.db, u.access(), id, s.today()).await?;
    let o: OwnerInput = parse_json(&body)?;
    let mut check = o.clone();
    let errs = check.normalize();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    reg::update_owner(&s.db, u.access(), id, &o, s.today()).await?;
    Ok(Json(reg::get_owner(&s.db, u.access(), id, s.today()).await?))
}

// ---------------------------------------------------------------------------------------
// Enterprises

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseParams {
    /// Registered in, or serving an estate in, this region.
    pub region: Option<String>,
    /// A name (partial) or an exact USCC.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// name | served
    pub sort: Option<String>,
}

#[utoipa::path(get, path = "/api/enterprises", tag = "registry", params(EnterpriseParams), responses((status = 200, body = Page<Enterprise>)))]
pub async fn list_enterprises(State(s): State<AppState>, u: User, Query(p): Query<EnterpriseParams>) -> ApiResult<Json<Page<Enterprise>>> {
    let q = ListQuery { region: p.region, q: p.q, page: p.page, per_page: p.per_page, sort: p.sort, ..Default::default() };
    Ok(Json(reg::list_enterprises(&s.db, u.access(), &q, s.today()).await?))
}

#[utoipa::path(get, path = "/api/enterprises/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 200, body = Enterprise), (status = 404, body = ApiErrorBody)))]
pub async fn get_enterprise(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Enterprise>> {
    Ok(Json(reg::get_enterprise(&s.db, u.access(), id, s.today()).await?))
}

#[utoipa::path(post, path = "/api/enterprises", tag = "registry", request_body = EnterpriseInput,
    responses((status = 201, body = Created), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_enterprise(State(s): State<AppState>, u: User, ApiJson(e): ApiJson<EnterpriseInput>) -> ApiResult<Response> {
    let mut check = e.clone();
    let errs = check.normalize();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    Ok(created(reg::create_enterprise(&s.db, u.access(), &e).await?))
}

#[utoipa::path(put, path = "/api/enterprises/{id}", tag = "registry", params(("id" = i64, Path)), request_body = EnterpriseInput,
    responses((status = 200, body = Enterprise), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_enterprise(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Enterprise>> {
    reg::get_enterprise(&s.db, u.access(), id, s.today()).await?;
    let e: EnterpriseInput = parse_json(&body)?;
    let mut check = e.clone();
    let errs = check.normalize();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    reg::update_enterprise(&s.db, u.access(), id, &e, s.today()).await?;
    Ok(Json(reg::get_enterprise(&s.db, u.access(), id, s.today()).await?))
}

// ---------------------------------------------------------------------------------------
// Contracts

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractParams {
    /// Estates in this region.
    pub region: Option<String>,
    /// Text in the estate's or the enterprise's name.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// start | end | fee | estate
    pub sort: Option<String>,
    pub estate_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    /// pending | in_force | expired, as of today
    pub state: Option<ContractState>,
}

#[utoipa::path(get, path = "/api/contracts", tag = "registry", params(ContractParams), responses((status = 200, body = Page<Contract>)))]
pub async fn list_contracts(State(s): State<AppState>, u: User, Query(p): Query<ContractParams>) -> ApiResult<Json<Page<Contract>>> {
    let q = ListQuery { region: p.region, q: p.q, page: p.page, per_page: p.per_page, sort: p.sort, ..Default::default() };
    let f = ContractFilter { estate_id: p.estate_id, enterprise_id: p.enterprise_id, state: p.state };
    Ok(Json(reg::list_contracts(&s.db, u.access(), &q, &f, s.today()).await?))
}

#[utoipa::path(get, path = "/api/contracts/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 200, body = Contract), (status = 404, body = ApiErrorBody)))]
pub async fn get_contract(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Contract>> {
    Ok(Json(reg::get_contract(&s.db, u.access(), id, s.today()).await?))
}

#[utoipa::path(post, path = "/api/contracts", tag = "registry", request_body = ContractInput,
    responses((status = 201, body = Created), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_contract(State(s): State<AppState>, u: User, ApiJson(c): ApiJson<ContractInput>) -> ApiResult<Response> {
    let errs = c.validate();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    Ok(created(reg::create_contract(&s.db, u.access(), &c, s.today()).await?))
}

#[utoipa::path(put, path = "/api/contracts/{id}", tag = "registry", params(("id" = i64, Path)), request_body = ContractInput,
    responses((status = 200, body = Contract), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_contract(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<Contract>> {
    reg::get_contract(&s.db, u.access(), id, s.today()).await?;
    let c: ContractInput = parse_json(&body)?;
    let errs = c.validate();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    reg::update_contract(&s.db, u.access(), id, &c, s.today()).await?;
    Ok(Json(reg::get_contract(&s.db, u.access(), id, s.today()).await?))
}

// ---------------------------------------------------------------------------------------
// Imports

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Estate to import houses into (required for hc_rooms).
    pub estate_id: Option<i64>,
    /// Import the good rows and list the bad ones instead of rejecting the file.
    #[serde(default)]
    pub skip_invalid: bool,
    /// Allow replacing a house's registered owners.
    #[serde(default)]
    pub replace_owners: bool,
    /// File name for the import history.
    pub file_name: Option<String>,
}

/// Imports a ledger file sent as the raw request body (xlsx, xls, ods or csv).
/// `layout` is estates | houses | enterprises | contracts | hc_rooms.
#[utoipa::path(post, path = "/api/import/{layout}", tag = "import",
    params(("layout" = String, Path, description = "estates | houses | enterprises | contracts | hc_rooms"), ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses((status = 200, body = ImportReport, description = "Imported"), (status = 422, body = ImportReport, description = "Rejected: every bad row listed, nothing written"),
        (status = 400, body = ApiErrorBody, description = "The file as a whole cannot be read as this layout")))]
pub async fn import(State(s): State<AppState>, u: User, Path(layout): Path<String>, Query(p): Query<ImportParams>, body: Bytes) -> ApiResult<Response> {
    let kind = crate::pages::import::layout_from_code(&layout).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("未知的导入类型 {layout}")))?;
    let opts = ImportOptions {
        layout: kind,
        estate_id: p.estate_id,
        skip_invalid: p.skip_invalid,
        replace_owners: p.replace_owners,
        file_name: p.file_name.unwrap_or_else(|| format!("api-{layout}")),
        today: s.today(),
    };
    match import_file(&s.db, u.access(), &body, &opts, &Quiet).await {
        Ok(r) => Ok(Json(r).into_response()),
        Err(ImportError::Rejected(r)) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(*r)).into_response()),
        Err(ImportError::File(m)) => Err(ApiError::bad_request(m)),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Owners' assembly votes

/// One matter of a vote to draft.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MatterInput {
    /// Which of the nine matters of Civil Code Art 278 ¶1.
    pub kind: wuye_domain::assembly::MatterKind,
    /// The text put to the owners.
    pub text: String,
}

/// A vote to draft. The rule set defaults to the covenant's, else the Civil Code's.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VoteInput {
    pub title: String,
    /// `civil_code_2021` or `pmr_2018_art12`; omitted: the covenant's.
    pub rule_set_code: Option<String>,
    /// At least 15 days after the day it is announced.
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    /// Numbered 1, 2, … in this order.
    pub matters: Vec<MatterInput>,
}

/// A matter of a vote with its number and text.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatterText {
    pub no: u32,
    pub kind: wuye_domain::assembly::MatterKind,
    pub text: String,
}

/// A vote with its matters and, when the caller may see them (the committee once open,
/// everyone who sees the vote once published), the results per matter.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteDetail {
    pub vote: wuye_store::assembly::Vote,
    pub matters: Vec<MatterText>,
    pub results: Option<Vec<wuye_domain::assembly::MatterResult>>,
}

/// The scan of a paper ballot: PNG, JPEG or PDF (recognised from its bytes), at most 5 MB.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ScanInput {
    /// File name as scanned, e.g. `101-ballot.pdf`.
    pub file_name: String,
    /// The file's bytes in standard base64.
    pub content_base64: String,
}

/// A ballot. `online` (the default) is an owner's own ballot; `paper` and `proxy` are
/// entered by the owners' committee for `voter` (`owner:17` or `developer`), `paper`
/// with the scan of the signed paper (`scan`), `proxy` with the text of the written
/// authorisation. Errors (422) name the field: `voter`, `method`, `scan`, `authorisation`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BallotInput {
    /// online | paper | proxy
    pub method: Option<String>,
    /// Voter key in the frozen electorate (paper and proxy only).
    pub voter: Option<String>,
    /// The written authorisation (proxy only).
    pub authorisation: Option<String>,
    /// The scan of the signed paper ballot (paper only, required).
    pub scan: Option<ScanInput>,
    /// Choice per matter number, e.g. `{"1": "agree", "2": "abstain"}`.
    #[schema(value_type = std::collections::BTreeMap<String, wuye_domain::assembly::Choice>)]
    pub choices: std::collections::BTreeMap<u32, wuye_domain::assembly::Choice>,
}

#[utoipa::path(get, path = "/api/estates/{id}/votes", tag = "assembly", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<wuye_store::assembly::Vote>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_votes(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<Vec<wuye_store::assembly::Vote>>> {
    Ok(Json(wuye_store::assembly::list_votes(&s.db, u.access(), id, s.today()).await?))
}

#[utoipa::path(post, path = "/api/estates/{id}/votes", tag = "assembly", params(("id" = i64, Path)), request_body = VoteInput,
    responses((status = 201, body = Created), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_vote(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Response> {
    wuye_store::assembly::list_votes(&s.db, u.access(), id, s.today()).await?;
    let v: VoteInput = parse_json(&body)?;
    let nv = wuye_store::assembly::NewVote {
        title: v.title,
        rule_set_code: v.rule_set_code,
        opens_on: v.opens_on,
        closes_on: v.closes_on,
        matters: v.matters.into_iter().map(|m| (m.kind, m.text)).collect(),
    };
    Ok(created(wuye_store::assembly::create_vote(&s.db, u.access(), id, &nv, s.today()).await?))
}

#[utoipa::path(get, path = "/api/votes/{id}", tag = "assembly", params(("id" = i64, Path)),
    responses((status = 200, body = VoteDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_vote(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<VoteDetail>> {
    vote_detail(&s, &u, id).await
}

#[utoipa::path(post, path = "/api/votes/{id}/ballots", tag = "assembly", params(("id" = i64, Path)), request_body = BallotInput,
    responses((status = 200, body = wuye_store::assembly::CastReceipt), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn cast_ballot(State(s): State<AppState>, u: User, Path(id): Path<i64>, body: Bytes) -> ApiResult<Json<wuye_store::assembly::CastReceipt>> {
    use wuye_domain::assembly::VoterId;
    use wuye_store::assembly::Method;
    wuye_store::assembly::get_vote(&s.db, u.access(), id, s.today()).await?;
    let b: BallotInput = parse_json(&body)?;
    let voter = || {
        let v = b.voter.clone().unwrap_or_default();
        VoterId::parse(&v).ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("voter: 无效的投票人编号「{v}」，应为 owner:编号 或 developer")))
    };
    let method = match b.method.as_deref().unwrap_or("online") {
        "online" => Method::Online,
        "paper" => {
            use base64::Engine;
            // Without a scan the store refuses (after its permission check) and says why.
            let (file_name, bytes) = match &b.scan {
                Some(scan) => (
                    scan.file_name.clone(),
                    base64::engine::general_purpose::STANDARD
                        .decode(scan.content_base64.trim())
                        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("scan.content_base64: 不是有效的 base64：{e}")))?,
                ),
                None => (String::new(), Vec::new()),
            };
            Method::Paper { voter: voter()?, scan: wuye_store::assembly::Scan { file_name, bytes } }
        }
        "proxy" => Method::Proxy { voter: voter()?, authorisation: b.authorisation.clone().unwrap_or_default() },
        m => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("method: 应为 online、paper 或 proxy，而不是「{m}」"))),
    };
    Ok(Json(wuye_store::assembly::cast(&s.db, u.access(), id, &method, &b.choices, s.today()).await?))
}

/// A vote after a change of state, as [`get_vote`] answers it.
async fn vote_detail(s: &AppState, u: &User, id: i64) -> ApiResult<Json<VoteDetail>> {
    use wuye_domain::assembly::VoteState;
    let a = u.access();
    let vote = wuye_store::assembly::get_vote(&s.db, a, id, s.today()).await?;
    let matters = wuye_store::assembly::matters(&s.db, a, id, s.today()).await?.into_iter().map(|(m, text)| MatterText { no: m.no, kind: m.kind, text }).collect();
    let results = match vote.state() {
        VoteState::Closed | VoteState::Published => match wuye_store::assembly::tally(&s.db, a, id, s.today()).await {
            // A closed, unpublished count is the committee's: for others there is none yet.
            Err(wuye_store::StoreError::Forbidden(_)) => None,
            r => Some(r?),
        },
        _ => None,
    };
    Ok(Json(VoteDetail { vote, matters, results }))
}

/// Announces a draft vote today: draft → announced. Opening must then be at least the
/// rule set's notice period later (15 days, PMR Art 14). The owners' committee (and
/// those who run votes in scope) only, as the button on the vote page.
///
/// Answers the vote as [`get_vote`]. Errors: 404 vote not in scope (or a draft the caller
/// may not see); 403 the caller does not run votes; 422 not a draft, or `opens_on` is less
/// than the notice period after today (the message names the date); 409 the state
/// changed meanwhile.
#[utoipa::path(post, path = "/api/votes/{vote}/announce", tag = "assembly", params(("vote" = i64, Path, description = "Vote id")),
    responses((status = 200, body = VoteDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn announce_vote(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<VoteDetail>> {
    wuye_store::assembly::announce(&s.db, u.access(), id, s.today()).await?;
    vote_detail(&s, &u, id).await
}

/// Opens an announced vote today (on or after `opens_on`): announced → open. Freezes the
/// electorate (voters, exclusive areas, owner count, rules.md §1.3) and the covenant's
/// silent-vote clause; `vote.total_area` (hundredths of m²) and `vote.total_heads` are
/// then set. Same permission as the page's button.
///
/// Errors: 404, 403 as announce; 422 not announced, or before `opens_on`; 409 the state
/// changed meanwhile.
#[utoipa::path(post, path = "/api/votes/{vote}/open", tag = "assembly", params(("vote" = i64, Path, description = "Vote id")),
    responses((status = 200, body = VoteDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn open_vote(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<VoteDetail>> {
    wuye_store::assembly::open(&s.db, u.access(), id, s.today()).await?;
    vote_detail(&s, &u, id).await
}

/// Closes an open vote: open → closed; no ballot is accepted afterwards. The answer
/// carries the count (`results`) for the committee; owners see it once published.
///
/// Errors: 404, 403 as announce; 422 not open; 409 the state changed meanwhile.
#[utoipa::path(post, path = "/api/votes/{vote}/close", tag = "assembly", params(("vote" = i64, Path, description = "Vote id")),
    responses((status = 200, body = VoteDetail), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn close_vote(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<VoteDetail>> {
    wuye_store::assembly::close(&s.db, u.access(), id, s.today()).await?;
    vote_detail(&s, &u, id).await
}

/// Publishes a closed vote: closed → published. In one transaction: the results per
/// matter and the hash-chained list of counted ballots by receipt code (see
/// `GET /api/votes/{vote}/receipts/{receipt}`). Answers the results as
/// `GET /api/votes/{vote}/results`.
///
/// Errors: 404, 403 as announce; 422 not closed; 409 the state changed meanwhile, or the
/// published lines do not add up to the totals (nothing is published then).
#[utoipa::path(post, path = "/api/votes/{vote}/publish", tag = "assembly", params(("vote" = i64, Path, description = "Vote id")),
    responses((status = 200, body = VoteResults), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn publish_vote(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<VoteResults>> {
    wuye_store::assembly::publish(&s.db, u.access(), id, s.today()).await?;
    vote_results(State(s), u, Path(id)).await
}

/// The results of a vote, per matter (Civil Code Art 278 ¶2, rules.md §1.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteResults {
    pub vote_id: i64,
    /// `closed` (the committee's count, not yet published) or `published`.
    pub state: String,
    /// The rule set applied: code and name with its article.
    pub rule_set_code: String,
    pub rule_set_name: String,
    /// Per matter, by number: the electorate's totals and the sums of the counted ballots
    /// (areas in hundredths of m², heads), participation and agreement by area and by head
    /// as exact reduced fractions (`ratio`, e.g. `"7/12"`) and percentages with two
    /// decimals (`"58.33%"`), the rules applied (`participation_rule`, `agreement_rule`
    /// with their articles), whether each test is met, `passed`, and the reasons of a
    /// failure in Chinese.
    pub results: Vec<wuye_domain::assembly::MatterResult>,
}

/// The count of a vote once voting has ended: for the owners' committee once closed, for
/// everyone who sees the vote once published (the same as the vote page). There is no
/// running count while the vote is open.
///
/// Errors: 404 vote not in scope; 403 closed but not yet published and the caller does
/// not run votes; 409 the vote is not closed or published yet (the message names its
/// state).
#[utoipa::path(get, path = "/api/votes/{vote}/results", tag = "assembly", params(("vote" = i64, Path, description = "Vote id")),
    responses((status = 200, body = VoteResults), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn vote_results(State(s): State<AppState>, u: User, Path(id): Path<i64>) -> ApiResult<Json<VoteResults>> {
    use wuye_domain::assembly::VoteState;
    let a = u.access();
    let vote = wuye_store::assembly::get_vote(&s.db, a, id, s.today()).await?;
    if !matches!(vote.state(), VoteState::Closed | VoteState::Published) {
        return Err(ApiError::new(StatusCode::CONFLICT, "conflict", format!("表决 #{id} 当前为「{}」，截止后才有计票结果", vote.state().label_zh())));
    }
    let results = wuye_store::assembly::tally(&s.db, a, id, s.today()).await?;
    Ok(Json(VoteResults { vote_id: id, state: vote.state, rule_set_name: crate::pages::votes::rule_name(&vote.rule_set_code), rule_set_code: vote.rule_set_code, results }))
}

/// Checks a receipt code (given to the voter when the ballot was cast) against the
/// published tally of a vote: whether that ballot was counted (its line is in the
/// published chain, with the area and choices as published), and whether the whole hash
/// chain and the published totals verify. Anyone who sees the published vote may check
/// any receipt — the receipt names no voter, as on the page `/votes/{vote}/published`.
///
/// Errors: 404 vote not in scope; 422 the receipt is not 64 hex digits, or the vote is not
/// published yet.
#[utoipa::path(get, path = "/api/votes/{vote}/receipts/{receipt}", tag = "assembly",
    params(("vote" = i64, Path, description = "Vote id"), ("receipt" = String, Path, description = "Receipt code, 64 hex digits")),
    responses((status = 200, body = wuye_store::assembly::PublishedReceipt), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn check_receipt(State(s): State<AppState>, u: User, Path((id, receipt)): Path<(i64, String)>) -> ApiResult<Json<wuye_store::assembly::PublishedReceipt>> {
    Ok(Json(wuye_store::assembly::check_published_receipt(&s.db, u.access(), id, &receipt, s.today()).await?))
}

/// Declares, in an API module, `api_error` and the `.api()` conversion of store results,
/// naming the field of a refused input by the module's `field_of` (see [`field_error`]).
macro_rules! field_api {
    ($field_of:path) => {
        fn api_error(e: wuye_store::StoreError) -> crate::error::ApiError {
            crate::api::field_error(e, $field_of)
        }

        trait OrApi<T> {
            fn api(self) -> crate::api::ApiResult<T>;
        }

        impl<T> OrApi<T> for Result<T, wuye_store::StoreError> {
            fn api(self) -> crate::api::ApiResult<T> {
                self.map_err(api_error)
            }
        }
    };
}
pub(crate) use field_api;

/// A store error as an API error. A refused input (`StoreError::Invalid("标签：理由")`) names
/// its field in `errors` as `{field, label, reason}`, the field found by `field_of` from the
/// label ("" when the label names no field of the request, and then `errors` stays empty).
pub fn field_error(e: wuye_store::StoreError, field_of: fn(&str) -> &'static str) -> crate::error::ApiError {
    let field = match &e {
        wuye_store::StoreError::Invalid(m) => m.split_once('：').map(|(label, reason)| (label.to_string(), reason.to_string())),
        _ => None,
    };
    let mut out = crate::error::ApiError::from(e);
    if let Some((label, reason)) = field {
        let f = field_of(&label);
        if !f.is_empty() {
            out.body.errors = vec![serde_json::json!({"field": f, "label": label, "reason": reason})];
        }
    }
    out
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Wuye API", description = "物业 Wuye — residential property management governance platform. Money in fen, areas in hundredths of m², dates YYYY-MM-DD (Asia/Shanghai)."),
    paths(
        get_region, region_children, region_stats, region_assembly_fund,
        list_estates, get_estate, create_estate, update_estate, estate_buildings, get_building, update_building,
        list_houses, get_house, create_house, update_house, add_house_owner, remove_house_owner,
        list_owners, get_owner, update_owner,
        list_enterprises, get_enterprise, create_enterprise, update_enterprise,
        list_contracts, get_contract, create_contract, update_contract,
        import,
        assembly::get_records, assembly::put_covenant, assembly::create_committee,
        fund::get_account, fund::open_account, fund::list_households, fund::statements, fund::estate_entries, fund::allocate_interest,
        fund::list_uses, fund::apply_use, fund::get_use, fund::submit_to_vote, fund::decide, fund::confirm, fund::pay, fund::charge, fund::disclose,
        fund::get_household, fund::deposit, fund::transfer, fund::refund, fund::list_rates, fund::set_rate,
        list_votes, create_vote, get_vote, cast_ballot, announce_vote, open_vote, close_vote, publish_vote, vote_results, check_receipt,
        cases::list_cases, cases::case_inbox, cases::overdue_cases, cases::create_case, cases::get_case, cases::take_step, cases::rate_party, cases::agreement_event,
        cases::list_meetings, cases::create_meeting, cases::get_meeting, cases::list_organisations, cases::calendar_days, cases::add_calendar_day, cases::working_days,
        cases::region_cases,
        safety::safety_overdue, safety::region_safety,
        // safety: duties
        safety::duties::estate_duties, safety::duties::record_duty_done, safety::duties::due_duties,
        safety::duties::list_elevators, safety::duties::register_elevator, safety::duties::request_inspection, safety::duties::renew_certificate,
        safety::duties::list_ebikes, safety::duties::register_ebike, safety::duties::record_violation, safety::duties::violation_step,
        safety::duties::estate_emergency, safety::duties::add_plan, safety::duties::record_training,
        // safety: inspections
        safety::inspections::list_templates, safety::inspections::get_template, safety::inspections::create_template,
        safety::inspections::list_inspections, safety::inspections::get_inspection, safety::inspections::create_inspection,
        safety::inspections::list_hazards, safety::inspections::get_hazard, safety::inspections::take_hazard_step,
        // credit: BEGIN
        credit::list_records, credit::create_record, credit::get_record, credit::create_objection, credit::decide, credit::rectify,
        credit::enterprise_file, credit::standing, credit::scheme,
        // credit: END
        // credit-public: BEGIN
        credit_public::search, credit_public::credit_file,
        // credit-public: END
        // tender: BEGIN
        tender::list_tenders, tender::create_tender, tender::get_tender, tender::invite, tender::publish, tender::submit_bid, tender::close,
        tender::draw_panel, tender::record_scores, tender::evaluate, tender::award, tender::file, tender::list_experts, tender::add_expert,
        // tender: END
    ),
    components(schemas(CellError)),
    tags((name = "regions", description = "行政区划 and coverage figures"), (name = "registry", description = "小区、房屋、业主、企业、合同"), (name = "import", description = "台账导入"), (name = "assembly", description = "业主大会表决（民法典第二百七十八条）"), (name = "fund", description = "住宅专项维修资金（《住宅专项维修资金管理办法》）"), (name = "cases", description = "联席会议事项、执法移交与纠纷调解（一个案件引擎；期限按工作日）"), (name = "safety", description = "安全：检查表、检查、隐患整改（期限按工作日）、周期性工作、电梯、电动自行车、应急预案与演练"), (name = "credit", description = "物业服务企业信用评价：信用记录、异议、整改验收、信用档案、公开查询（分值以 0.1 分为单位）"), (name = "tender", description = "物业管理招投标（《物业管理条例》第二十四条，建住房〔2003〕130号）：招标、投标、评标委员会随机抽取、评分、定标、备案"))
)]
pub struct ApiDoc;

pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
