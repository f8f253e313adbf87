//! Errors as responses: pages get an error page, the API gets JSON. Internal errors are
//! logged with their cause and answered with an opaque 500.

use crate::i18n::Lang;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use wuye_store::StoreError;

/// An error on a page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
    pub lang: Lang,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PageError { status, message: message.into(), lang: Lang::Zh }
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "页面不存在")
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    pub fn lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }
}

/// Maps a store error to status and message; logs internal ones.
pub fn classify(e: &StoreError) -> (StatusCode, String) {
    match e {
        StoreError::NotFound => (StatusCode::NOT_FOUND, "记录不存在".into()),
        StoreError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
        StoreError::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
        StoreError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
        other => {
            tracing::error!(error = %other, "internal error");
            (StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误，已记录日志".into())
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        let (status, message) = classify(&e);
        PageError::new(status, message)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template error");
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "页面渲染失败")
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let ctx = crate::ctx::PageCtx::new(self.lang, &crate::auth::Caller::Anonymous, "", self.lang.t(if self.status == StatusCode::NOT_FOUND { "页面不存在" } else { "出错了" }));
        let page = crate::pages::ErrorPage { c: ctx, status: self.status.as_u16(), message: self.message };
        let body = askama::Template::render(&page).unwrap_or_else(|_| "error".into());
        (self.status, Html(body)).into_response()
    }
}

/// An error of the JSON API: `{"error": "not_found", "message": "…", "errors": […]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    /// not_found | invalid | conflict | bad_request | internal
    pub error: String,
    pub message: String,
    /// Row or field errors, when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<serde_json::Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ApiErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, body: ApiErrorBody { error: code.into(), message: message.into(), errors: Vec::new() } }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", m)
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "记录不存在")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let (status, message) = classify(&e);
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            StatusCode::CONFLICT => "conflict",
            StatusCode::FORBIDDEN => "forbidden",
            _ => "internal",
        };
        ApiError::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
