//! Login, logout, password change, role switching, and the start pages of roles that have
//! no dashboard (an owner's own houses; a notice for roles whose modules come later).

use super::render;
use crate::AppState;
use crate::auth::{Caller, LOGIN_CSRF_COOKIE, SESSION_COOKIE, User, cookie};
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::Submitted;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wuye_domain::account::Scope;
use wuye_store::account::{self, LoginError};
use wuye_store::registry::{self as reg, House, Owner};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: PageCtx,
    pub login_csrf: String,
    pub next: String,
    pub name: String,
    pub alert: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextParam {
    pub next: Option<String>,
}

/// Only local paths are followed after login.
fn safe_next(n: Option<&str>) -> String {
    match n {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") => p.to_string(),
        _ => "/".into(),
    }
}

fn set_cookie(resp: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn login_page(lang: crate::i18n::Lang, next: String, name: String, alert: Option<String>, status: StatusCode) -> PageResult {
    let token = account::random_token();
    let c = PageCtx::new(lang, &Caller::Anonymous, "", lang.t("登录"));
    let mut resp = (status, render(&LoginPage { c, login_csrf: token.clone(), next, name, alert })?).into_response();
    set_cookie(&mut resp, format!("{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"));
    Ok(resp)
}

pub async fn login_form(UiLang(lang): UiLang, Query(q): Query<NextParam>) -> PageResult {
    login_page(lang, safe_next(q.next.as_deref()), String::new(), None, StatusCode::OK)
}

/// Checks the login form (its token must match the login cookie: double submit), then
/// sets the session cookie: HttpOnly, SameSite=Lax, and Secure when served over HTTPS.
pub async fn login(State(state): State<AppState>, UiLang(lang): UiLang, headers: HeaderMap, Form(s): Form<Submitted>) -> PageResult {
    let next = safe_next(s.opt("next").as_deref());
    let name = s.get("name");
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE);
    if expected.is_none() || expected.as_deref() != Some(s.get("csrf").as_str()) {
        return login_page(lang, next, name, Some("登录表单已过期，请重新输入".into()), StatusCode::FORBIDDEN);
    }
    match account::login(&state.db, &name, &s.get("password")).await? {
        Ok((token, session)) => {
            tracing::info!(user = %name, "login");
            let dest = if session.user.must_change_password { "/account/password".to_string() } else { next };
            let mut resp = Redirect::to(&dest).into_response();
            let secure = if state.config.secure_cookies { "; Secure" } else { "" };
            set_cookie(&mut resp, format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"));
            set_cookie(&mut resp, format!("{LOGIN_CSRF_COOKIE}=; Path=/login; Max-Age=0"));
            Ok(resp)
        }
        Err(e) => {
            tracing::warn!(user = %name, reason = %e, "login refused");
            let status = match e {
                LoginError::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            login_page(lang, next, name, Some(e.to_string()), status)
        }
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    if let Some(c) = cookie(&headers, SESSION_COOKIE) {
        account::logout(&state.db, &c).await?;
    }
    let mut resp = Redirect::to("/login").into_response();
    set_cookie(&mut resp, format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"));
    Ok(resp)
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub c: PageCtx,
    pub must: bool,
    pub done: bool,
    pub alert: Option<String>,
}

pub async fn password_form(UiLang(lang): UiLang, u: User) -> PageResult {
    let must = u.0.session().is_some_and(|s| s.user.must_change_password);
    let c = PageCtx::new(lang, &u.0, "", lang.t("修改密码"));
    Ok(render(&PasswordPage { c, must, done: false, alert: None })?.into_response())
}

pub async fn password(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    let must = u.0.session().is_some_and(|s| s.user.must_change_password);
    let c = PageCtx::new(lang, &u.0, "", lang.t("修改密码"));
    match account::change_password(&state.db, u.access(), &s.get("old"), &s.get("new")).await {
        Ok(()) => Ok(render(&PasswordPage { c, must: false, done: true, alert: None })?.into_response()),
        Err(wuye_store::StoreError::Invalid(m)) => Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&PasswordPage { c, must, done: false, alert: Some(m) })?).into_response()),
        Err(e) => Err(e.into()),
    }
}

/// Switches the session to another of the user's roles.
pub async fn switch_role(State(state): State<AppState>, headers: HeaderMap, _u: User, Form(s): Form<Submitted>) -> PageResult {
    let role_id: i64 = s.get("role_id").parse().map_err(|_| PageError::bad_request("角色编号无效"))?;
    let c = cookie(&headers, SESSION_COOKIE).ok_or_else(|| PageError::bad_request("未登录"))?;
    account::switch_role(&state.db, &c, role_id).await?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub c: PageCtx,
    pub message: String,
}

/// Start page of roles without a dashboard or estates.
pub async fn home(UiLang(lang): UiLang, u: User) -> PageResult {
    let c = PageCtx::new(lang, &u.0, "", u.access().role().label_zh());
    let message = "您的角色目前只处理派给本单位、本人的事项；相关功能（联席会议事项、专业经营、纠纷调解）上线后将显示在这里。".to_string();
    Ok(render(&NoticePage { c, message })?.into_response())
}

#[derive(Template)]
#[template(path = "my.html")]
pub struct MyPage {
    pub c: PageCtx,
    pub houses: Vec<House>,
    pub owner: Option<Owner>,
}

/// An owner's own houses (phone-first page).
pub async fn my(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    let Scope::Owner(id) = u.access().scope().clone() else {
        return Ok(Redirect::to("/").into_response());
    };
    let today = state.today();
    let mut houses = reg::owner_houses(&state.db, u.access(), id, today).await?;
    for h in &mut houses {
        if let Ok(full) = reg::get_house(&state.db, u.access(), h.id, today).await {
            h.owner_names = full.owner_names;
        }
    }
    let owner = reg::get_owner(&state.db, u.access(), id, today).await.ok();
    let c = PageCtx::new(lang, &u.0, "mine", lang.t("我的房屋"));
    Ok(render(&MyPage { c, houses, owner })?.into_response())
}
