//! Wuye web: the axum router with server-rendered pages (Chinese first, English second),
//! the JSON API under `/api` with its OpenAPI document, and embedded static assets.

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod chart;
pub mod ctx;
pub mod error;
pub mod fmt;
pub mod form;
pub mod i18n;
pub mod pages;
pub mod routes;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use wuye_domain::coverage::Ratio;
use wuye_store::Db;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Coverage target in percent (default 70).
    pub coverage_target_percent: i64,
    /// A fixed "today" (tests and demonstrations); `None` reads the clock.
    pub today: Option<chrono::NaiveDate>,
    /// Mark session cookies `Secure` (when served over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { coverage_target_percent: 70, today: None, secure_cookies: false }
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

pub(crate) async fn asset(Path(name): Path<String>) -> Response {
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
pub(crate) async fn set_lang(Path(code): Path<String>, Query(b): Query<Back>) -> Response {
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

/// The whole application: pages, API, static assets, built from [`routes::ROUTES`].
/// Every request first passes [`auth::resolve`] (caller, CSRF).
pub fn router(state: AppState) -> Router {
    let mut app: Router<AppState> = Router::new();
    for (method, path) in routes::ROUTES {
        let mut h = routes::handler(method, path);
        if *path == "/import" || path.starts_with("/api/import/") || *path == "/admin/users/import" {
            h = h.layer(DefaultBodyLimit::max(200 * 1024 * 1024));
        }
        // A ballot with the scan of the paper (at most 5 MB; base64 in the API's JSON).
        if *path == "/votes/{vote}/ballots" || *path == "/api/votes/{vote}/ballots" {
            h = h.layer(DefaultBodyLimit::max(8 * 1024 * 1024));
        }
        // Case steps and openings carry attachments (at most 10 MB each).
        if path.starts_with("/cases/{case}/step") || path.ends_with("/matters/new") || path.ends_with("/referrals/new") || path.ends_with("/disputes/new") {
            h = h.layer(DefaultBodyLimit::max(50 * 1024 * 1024));
        }
        // safety: inspections — photos (at most 5 MB each) with inspections and hazard steps.
        if path.starts_with("/estates/{estate}/safety/inspections/new") || path.starts_with("/safety/hazards/{hazard}/step") || path.starts_with("/api/safety/") {
            h = h.layer(DefaultBodyLimit::max(50 * 1024 * 1024));
        }
        app = app.route(path, h);
    }
    app.fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::resolve))
        // Level 1: pages are small and regular; level 6 costs several times the CPU for a
        // few percent fewer bytes.
        .layer(tower_http::compression::CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .with_state(state)
}
