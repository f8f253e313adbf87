//! Who is calling: a session cookie (pages) or a bearer token (API), resolved once per
//! request by [`resolve`] and handed to handlers as a [`Caller`]. Unsafe methods on a
//! cookie session must carry the session's CSRF token (form field `csrf`, query `csrf`
//! for multipart uploads, or header `X-CSRF-Token`).

use crate::AppState;
use crate::error::{ApiError, PageError};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use wuye_store::access::Access;
use wuye_store::account::{self, Session, UserRole};

pub const SESSION_COOKIE: &str = "wuye_session";
pub const LOGIN_CSRF_COOKIE: &str = "wuye_login_csrf";

/// How the caller was identified.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    /// A browser session (pages, and the API from the same browser).
    Session { session: Box<Session> },
    /// An API token.
    Token { access: Box<Access> },
}

impl Caller {
    pub fn access(&self) -> Option<&Access> {
        match self {
            Caller::Anonymous => None,
            Caller::Session { session } => Some(&session.access),
            Caller::Token { access } => Some(access),
        }
    }
    pub fn csrf(&self) -> &str {
        match self {
            Caller::Session { session } => &session.csrf,
            _ => "",
        }
    }
    pub fn session(&self) -> Option<&Session> {
        match self {
            Caller::Session { session } => Some(session),
            _ => None,
        }
    }
    pub fn roles(&self) -> &[UserRole] {
        self.session().map(|s| s.roles.as_slice()).unwrap_or(&[])
    }
}

/// Reads a cookie value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(';'))
        .find_map(|c| c.trim().strip_prefix(name).and_then(|r| r.strip_prefix('=')).map(|v| v.to_string()))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded_pairs(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Decodes `application/x-www-form-urlencoded` pairs.
pub fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn query_field(uri: &axum::http::Uri, name: &str) -> Option<String> {
    uri.query().map(|q| form_urlencoded_pairs(q.as_bytes())).and_then(|v| v.into_iter().find(|(k, _)| k == name).map(|(_, v)| v))
}

/// Paths a session that must change its password may still use.
fn allowed_before_password_change(path: &str) -> bool {
    path == "/account/password" || path == "/logout" || path.starts_with("/static/") || path.starts_with("/lang/")
}

/// Middleware: resolves the caller, enforces CSRF on unsafe methods of cookie sessions,
/// and puts the [`Caller`] into the request's extensions.
pub async fn resolve(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let caller = if let Some(t) = bearer(&parts.headers) {
        match account::token_access(&state.db, &t).await {
            Ok(Ok(access)) => Caller::Token { access: Box::new(access) },
            Ok(Err(e)) => {
                tracing::warn!(path, reason = %e, "bearer token refused");
                return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()).into_response();
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else if let Some(c) = cookie(&parts.headers, SESSION_COOKIE) {
        match account::session(&state.db, &c).await {
            Ok(Some(s)) => Caller::Session { session: Box::new(s) },
            Ok(None) => Caller::Anonymous,
            Err(e) => return PageError::from(e).into_response(),
        }
    } else {
        Caller::Anonymous
    };
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let mut body = body;
    if let Caller::Session { session } = &caller {
        if session.user.must_change_password && !allowed_before_password_change(&path) && !is_api(&path) {
            return Redirect::to("/account/password").into_response();
        }
        if unsafe_method {
            let ctype = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let mut given = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(|s| s.to_string()).or_else(|| query_field(&parts.uri, "csrf"));
            if given.is_none() && ctype.starts_with("application/x-www-form-urlencoded") {
                let bytes = match axum::body::to_bytes(body, 2 * 1024 * 1024).await {
                    Ok(b) => b,
                    Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "表单过大").into_response(),
                };
                given = form_field(&bytes, "csrf");
                body = Body::from(bytes);
            }
            if given.as_deref() != Some(session.csrf.as_str()) {
                tracing::warn!(path, user = %session.user.name, "CSRF token missing or wrong");
                return if is_api(&path) {
                    ApiError::new(StatusCode::FORBIDDEN, "csrf", "缺少或错误的 CSRF 令牌").into_response()
                } else {
                    PageError::new(StatusCode::FORBIDDEN, "表单已过期或来源不明（缺少 CSRF 令牌），请返回上一页刷新后重试").into_response()
                };
            }
        }
    }
    parts.extensions.insert(caller);
    next.run(Request::from_parts(parts, body)).await
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned().unwrap_or(Caller::Anonymous))
    }
}

/// A caller who must be logged in (pages: redirect to the login page; API: 401).
#[derive(Debug, Clone)]
pub struct User(pub Caller);

impl User {
    pub fn access(&self) -> &Access {
        self.0.access().expect("a logged-in caller has access")
    }
}

impl FromRequestParts<AppState> for User {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let c = Caller::from_request_parts(parts, state).await.unwrap_or(Caller::Anonymous);
        if c.access().is_some() {
            return Ok(User(c));
        }
        if is_api(parts.uri.path()) {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "需要登录或 API 令牌（Authorization: Bearer …）").into_response())
        } else {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            Err(Redirect::to(&format!("/login?next={}", crate::ctx::urlencode(next))).into_response())
        }
    }
}
