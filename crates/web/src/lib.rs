//! Wuye web: the axum router with server-rendered pages (Chinese first, English second),
//! the JSON API under `/api` with its OpenAPI document, and embedded static assets.

#![forbid(unsafe_code)]

pub mod api;
pub mod chart;
pub mod ctx;
pub mod error;
pub mod fmt;
pub mod form;
pub mod i18n;
pub mod pages;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use wuye_domain::coverage::Ratio;
use wuye_store::Db;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Coverage target in percent (default 70).
    pub coverage_target_percent: i64,
    /// A fixed "today" (tests and demonstrations); `None` reads the clock.
    pub today: Option<chrono::NaiveDate>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { coverage_target_percent: 70, today: None }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: std::sync::Arc<WebConfig>,
}

impl AppState {
    pub fn new(db: Db, config: WebConfig) -> AppState {
        AppState { db, config: std::sync::Arc::new(config) }
    }
    /// Today in Asia/Shanghai (or the configured fixed day).
    pub fn today(&self) -> chrono::NaiveDate {
        self.config.today.unwrap_or_else(today)
    }
    pub fn target(&self) -> Ratio {
        Ratio::new(self.config.coverage_target_percent, 100)
    }
}

/// Today's date in Asia/Shanghai, the time zone of every date the platform shows.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

const CSS: &str = include_str!("../static/app.css");
const JS: &str = include_str!("../static/app.js");

async fn asset(Path(name): Path<String>) -> Response {
    let (body, mime) = match name.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// Sets the language cookie and returns to the page.
async fn set_lang(Path(code): Path<String>, Query(b): Query<Back>) -> Response {
    let lang = i18n::Lang::from_code(&code);
    let back = b.back.filter(|p| p.starts_with('/') && !p.starts_with("//")).unwrap_or_else(|| "/".into());
    let mut r = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", lang.code())) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn not_found(ctx::UiLang(lang): ctx::UiLang) -> Response {
    error::PageError::not_found().lang(lang).into_response()
}

/// The whole application: pages, API, static assets.
pub fn router(state: AppState) -> Router {
    use pages::{dashboard, import, registry as r};
    let pages = Router::new()
        .route("/", get(dashboard::page))
        .route("/export/{file}", get(r::export))
        .route("/estates", get(r::estates))
        .route("/estates/new", get(r::estate_new).post(r::estate_create))
        .route("/estates/{id}", get(r::estate))
        .route("/estates/{id}/edit", get(r::estate_edit).post(r::estate_update))
        .route("/estates/{id}/houses/new", get(r::house_new).post(r::house_create))
        .route("/buildings/{id}", get(r::building))
        .route("/buildings/{id}/edit", post(r::building_update))
        .route("/houses", get(r::houses))
        .route("/houses/{id}", get(r::house))
        .route("/houses/{id}/edit", get(r::house_edit).post(r::house_update))
        .route("/houses/{id}/owners", post(r::house_add_owner))
        .route("/houses/{id}/owners/{owner}/remove", post(r::house_remove_owner))
        .route("/owners", get(r::owners))
        .route("/owners/{id}", get(r::owner))
        .route("/owners/{id}/edit", get(r::owner_edit).post(r::owner_update))
        .route("/enterprises", get(r::enterprises))
        .route("/enterprises/new", get(r::enterprise_new).post(r::enterprise_create))
        .route("/enterprises/{id}", get(r::enterprise))
        .route("/enterprises/{id}/edit", get(r::enterprise_edit).post(r::enterprise_update))
        .route("/contracts", get(r::contracts))
        .route("/contracts/new", get(r::contract_new).post(r::contract_create))
        .route("/contracts/{id}", get(r::contract))
        .route("/contracts/{id}/edit", get(r::contract_edit).post(r::contract_update))
        .route("/import", get(import::form).post(import::upload).layer(DefaultBodyLimit::max(200 * 1024 * 1024)))
        .route("/lang/{code}", get(set_lang))
        .route("/static/{name}", get(asset));
    let api = Router::new()
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/regions/{code}", get(api::get_region))
        .route("/api/regions/{code}/children", get(api::region_children))
        .route("/api/regions/{code}/stats", get(api::region_stats))
        .route("/api/estates", get(api::list_estates).post(api::create_estate))
        .route("/api/estates/{id}", get(api::get_estate).put(api::update_estate))
        .route("/api/estates/{id}/buildings", get(api::estate_buildings))
        .route("/api/buildings/{id}", get(api::get_building).put(api::update_building))
        .route("/api/houses", get(api::list_houses).post(api::create_house))
        .route("/api/houses/{id}", get(api::get_house).put(api::update_house))
        .route("/api/houses/{id}/owners", post(api::add_house_owner))
        .route("/api/houses/{id}/owners/{owner_id}", delete(api::remove_house_owner))
        .route("/api/owners", get(api::list_owners))
        .route("/api/owners/{id}", get(api::get_owner).put(api::update_owner))
        .route("/api/enterprises", get(api::list_enterprises).post(api::create_enterprise))
        .route("/api/enterprises/{id}", get(api::get_enterprise).put(api::update_enterprise))
        .route("/api/contracts", get(api::list_contracts).post(api::create_contract))
        .route("/api/contracts/{id}", get(api::get_contract).put(api::update_contract))
        .route("/api/import/{layout}", post(api::import).layer(DefaultBodyLimit::max(200 * 1024 * 1024)));
    pages
        .merge(api)
        .fallback(not_found)
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .with_state(state)
}
