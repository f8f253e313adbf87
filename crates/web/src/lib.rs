//! Wuye web: the axum router with server-rendered pages (Chinese first, English second),
//! the JSON API under `/api` with its OpenAPI document, and embedded static assets.

#![forbid(unsafe_code)]

use axum::Router;
use wuye_store::Db;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Coverage target in percent (default 70).
    pub coverage_target_percent: i64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { coverage_target_percent: 70 }
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
}

/// The whole application: pages, API, static assets.
pub fn router(state: AppState) -> Router {
    Router::new().with_state(state)
}

/// Today's date in Asia/Shanghai, the time zone of every date the platform shows.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}
