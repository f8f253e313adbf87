//! Administration: users, roles and scopes, API tokens, bulk user import; the audit trail
//! with chain verification; and every record's History tab.

use super::render;
use super::registry::FormPage;
use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::{Errors, Field, Submitted, refill};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wuye_domain::account::{Action, Resource, Role, Scope};
use wuye_store::account::{self, ApiToken, NewUser, User as Account, UserRole};
use wuye_store::audit::{self, AuditRow, Verdict};
use wuye_store::registry as reg;

type PageResult = Result<Response, PageError>;

pub struct UserRow {
    pub user: Account,
    pub roles: String,
    pub locked: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub c: PageCtx,
    pub rows: Vec<UserRow>,
    pub q: String,
    pub notice: Option<String>,
    pub alert: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    pub q: Option<String>,
}

async fn users_page(state: &AppState, lang: crate::i18n::Lang, u: &User, q: &str, notice: Option<String>, alert: Option<String>) -> PageResult {
    let users = account::list_users(&state.db, u.access(), q).await?;
    let now = chrono::Utc::now();
    let mut rows = Vec::with_capacity(users.len());
    for user in users {
        let roles = account::user_roles(&state.db, user.id).await?.iter().map(|r| format!("{}（{}）", r.role_zh(), if r.label.is_empty() { &r.scope } else { &r.label })).collect::<Vec<_>>().join("、");
        let locked = user.locked_until.is_some_and(|t| t > now);
        rows.push(UserRow { user, roles, locked });
    }
    let c = PageCtx::new(lang, &u.0, "users", lang.t("用户与角色")).crumb(lang.t("用户与角色"), "").here("/admin/users");
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&UsersPage { c, rows, q: q.to_string(), notice, alert })?).into_response())
}

pub async fn users(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<UsersQuery>) -> PageResult {
    users_page(&state, lang, &u, q.q.as_deref().unwrap_or(""), None, None).await
}

fn role_options() -> Vec<(String, &'static str)> {
    Role::ALL.iter().map(|r| (r.code().to_string(), r.label_zh())).collect()
}

fn new_user_fields() -> Vec<Field> {
    vec![
        Field::text("name", "登录名").required().hint("2–64 个字母、数字或 . _ - @"),
        Field::text("display_name", "姓名"),
        Field::text("password", "初始密码").required().hint("至少 10 位，包含字母、数字、符号中的至少两类；用户首次登录须修改"),
        Field::select("role", "角色", role_options()).required(),
        Field::text("scope", "范围").hint("区划代码（监管、街道、职能部门），或企业、小区、业主的编号；管理员、专业经营单位、调解员留空"),
        Field::text("label", "说明").hint("如：兴庆区城管局"),
    ]
}

pub async fn user_new(UiLang(lang): UiLang, u: User) -> PageResult {
    u.access().require(Action::Create, Resource::User)?;
    let c = PageCtx::new(lang, &u.0, "users", lang.t("新建用户")).crumb(lang.t("用户与角色"), "/admin/users").crumb(lang.t("新建用户"), "");
    let mut fields = new_user_fields();
    refill(&mut fields, &Submitted::default(), &Errors::default());
    Ok(render(&FormPage { c, action: "/admin/users/new".into(), cancel: "/admin/users".into(), fields, alert: None })?.into_response())
}

pub async fn user_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    let c = PageCtx::new(lang, &u.0, "users", lang.t("新建用户")).crumb(lang.t("用户与角色"), "/admin/users").crumb(lang.t("新建用户"), "");
    let mut errs = Errors::default();
    let role = errs.choice(&s, "role", Role::parse);
    let scope = role.and_then(|r| match Scope::for_role(r, &s.get("scope")) {
        Ok(x) => Some(x),
        Err(e) => {
            errs.add("scope", e);
            None
        }
    });
    let result = match (role, scope) {
        (Some(r), Some(sc)) if errs.is_empty() => {
            let mut display = s.get("display_name");
            if display.is_empty() {
                display = s.get("name");
            }
            account::create_user(&state.db, u.access(), &s.get("name"), &display, &s.get("password"), &[(r, sc, s.get("label"))], true).await.map(Some)
        }
        _ => Ok(None),
    };
    match result {
        Ok(Some(id)) => Ok(Redirect::to(&format!("/admin/users/{id}")).into_response()),
        Ok(None) | Err(_) => {
            let alert = match result {
                Err(wuye_store::StoreError::Invalid(m)) | Err(wuye_store::StoreError::Conflict(m)) => Some(m),
                Err(e) => return Err(e.into()),
                _ => None,
            };
            let mut fields = new_user_fields();
            let mut shown = s.clone();
            shown.0.remove("password");
            refill(&mut fields, &shown, &errs);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&FormPage { c, action: "/admin/users/new".into(), cancel: "/admin/users".into(), fields, alert: alert.or(Some("请检查标红的字段".into())) })?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "user.html")]
pub struct UserPage {
    pub c: PageCtx,
    pub user: Account,
    pub roles: Vec<UserRole>,
    pub tokens: Vec<ApiToken>,
    pub role_options: Vec<(String, &'static str)>,
    pub locked: Option<String>,
    pub new_token: Option<String>,
    pub notice: Option<String>,
    pub alert: Option<String>,
}

async fn user_page(state: &AppState, lang: crate::i18n::Lang, u: &User, id: i64, new_token: Option<String>, notice: Option<String>, alert: Option<String>) -> PageResult {
    u.access().require(Action::View, Resource::User)?;
    let user = account::get_user(&state.db, id).await?;
    let roles = account::user_roles(&state.db, id).await?;
    let tokens = account::list_tokens(&state.db, id).await?;
    let locked = user.locked_until.filter(|t| *t > chrono::Utc::now()).map(|t| t.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M").to_string());
    let c = PageCtx::new(lang, &u.0, "users", user.name.clone()).crumb(lang.t("用户与角色"), "/admin/users").crumb(user.name.clone(), "").here(format!("/admin/users/{id}"));
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&UserPage { c, user, roles, tokens, role_options: role_options(), locked, new_token, notice, alert })?).into_response())
}

pub async fn user(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    user_page(&state, lang, &u, id, None, None, None).await
}

/// Store errors a user can fix become an alert on the page; others propagate.
async fn after(state: &AppState, lang: crate::i18n::Lang, u: &User, id: i64, r: wuye_store::db::Result<()>, ok: &str) -> PageResult {
    match r {
        Ok(()) => user_page(state, lang, u, id, None, Some(ok.to_string()), None).await,
        Err(wuye_store::StoreError::Invalid(m)) | Err(wuye_store::StoreError::Conflict(m)) => user_page(state, lang, u, id, None, None, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn user_add_role(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let r = match Role::parse(&s.get("role")) {
        None => Err(wuye_store::StoreError::Invalid("请选择角色".into())),
        Some(role) => match Scope::for_role(role, &s.get("scope")) {
            Err(e) => Err(wuye_store::StoreError::Invalid(e)),
            Ok(scope) => account::add_role(&state.db, u.access(), id, role, &scope, &s.get("label")).await.map(|_| ()),
        },
    };
    after(&state, lang, &u, id, r, "已添加角色").await
}

pub async fn user_remove_role(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path((id, role)): Path<(i64, i64)>) -> PageResult {
    let r = account::remove_role(&state.db, u.access(), id, role).await;
    after(&state, lang, &u, id, r, "已移除角色").await
}

pub async fn user_active(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let active = s.get("active") == "1";
    let r = account::set_active(&state.db, u.access(), id, active).await;
    after(&state, lang, &u, id, r, if active { "账号已启用" } else { "账号已停用" }).await
}

pub async fn user_password(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let r = account::reset_password(&state.db, u.access(), id, &s.get("password")).await;
    after(&state, lang, &u, id, r, "密码已重置，用户下次登录须修改").await
}

pub async fn user_token_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    let user = account::get_user(&state.db, id).await?;
    let name = if s.get("name").is_empty() { "api".to_string() } else { s.get("name") };
    match account::create_token(&state.db, u.access(), &user.name, None, &name).await {
        Ok((_, token)) => user_page(&state, lang, &u, id, Some(token), None, None).await,
        Err(wuye_store::StoreError::Invalid(m)) => user_page(&state, lang, &u, id, None, None, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn user_token_revoke(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path((id, token)): Path<(i64, i64)>) -> PageResult {
    let r = account::revoke_token(&state.db, u.access(), token).await;
    after(&state, lang, &u, id, r, "令牌已吊销").await
}

/// Bulk import of users from xlsx or csv: 登录名, 姓名, 角色, 范围, 说明, 初始密码.
pub async fn users_import(State(state): State<AppState>, UiLang(lang): UiLang, u: User, mut mp: Multipart) -> PageResult {
    u.access().require(Action::Create, Resource::User)?;
    let mut bytes = Vec::new();
    while let Ok(Some(f)) = mp.next_field().await {
        if f.name() == Some("file") {
            bytes = f.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        }
    }
    let table = match wuye_ledger::read_table(&bytes, "用户") {
        Ok(t) => t,
        Err(e) => return users_page(&state, lang, &u, "", None, Some(e.to_string())).await,
    };
    let col = |h: &str| table.headers.iter().position(|x| x.trim() == h);
    let (Some(cn), Some(cr), Some(cs), Some(cp)) = (col("登录名"), col("角色"), col("范围"), col("初始密码")) else {
        return users_page(&state, lang, &u, "", None, Some("缺少必填列：登录名、角色、范围、初始密码".into())).await;
    };
    let (cd, cl) = (col("姓名"), col("说明"));
    let cell = |row: &[wuye_ledger::Cell], i: Option<usize>| i.and_then(|i| row.get(i)).and_then(wuye_domain::ledger::cell_text).unwrap_or_default();
    let rows: Vec<NewUser> = table
        .rows
        .iter()
        .map(|(n, r)| NewUser {
            row: *n,
            name: cell(r, Some(cn)),
            display_name: cell(r, cd),
            password: cell(r, Some(cp)),
            role: cell(r, Some(cr)),
            scope: cell(r, Some(cs)),
            label: cell(r, cl),
        })
        .collect();
    match account::import_users(&state.db, u.access(), rows).await? {
        Ok(n) => users_page(&state, lang, &u, "", Some(format!("已导入 {n} 个用户，首次登录须修改密码")), None).await,
        Err(errors) => {
            let list = errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("；");
            users_page(&state, lang, &u, "", None, Some(format!("{} 处错误，未导入任何用户：{list}", errors.len()))).await
        }
    }
}

pub struct AuditLine {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub before: String,
    pub after: String,
}

impl From<AuditRow> for AuditLine {
    fn from(r: AuditRow) -> Self {
        let at = chrono::DateTime::parse_from_rfc3339(&r.at).map(|t| t.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or(r.at);
        AuditLine { id: r.id, at, actor: r.actor, action: r.action, object: format!("{} #{}", r.object_type, r.object_id), before: r.before_json, after: r.after_json }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub c: PageCtx,
    pub rows: Vec<AuditLine>,
    pub verdict: Option<(bool, String)>,
    pub show_verify: bool,
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    pub before: Option<i64>,
}

async fn audit_page(state: &AppState, lang: crate::i18n::Lang, u: &User, before: Option<i64>, verdict: Option<(bool, String)>) -> PageResult {
    u.access().require(Action::View, Resource::Audit)?;
    let rows = audit::recent(&state.db, None, 200, before).await?.into_iter().map(AuditLine::from).collect();
    let c = PageCtx::new(lang, &u.0, "audit", lang.t("审计日志")).crumb(lang.t("审计日志"), "").here("/admin/audit");
    Ok(render(&AuditPage { c, rows, verdict, show_verify: true })?.into_response())
}

pub async fn audit_log(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<AuditQuery>) -> PageResult {
    audit_page(&state, lang, &u, q.before, None).await
}

pub async fn audit_verify(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> PageResult {
    u.access().require(Action::View, Resource::Audit)?;
    let v = match audit::verify(&state.db).await? {
        Verdict::Intact { entries } => (true, format!("审计链完整：{entries} 条记录全部校验通过")),
        Verdict::Broken(b) => (false, b.to_string()),
    };
    audit_page(&state, lang, &u, None, Some(v)).await
}

/// A record's History tab: its audit entries, for a caller who can see the record.
pub async fn history(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path((otype, oid)): Path<(String, i64)>) -> PageResult {
    let a = u.access();
    let today = state.today();
    let (title, back) = match otype.as_str() {
        "estate" => (reg::get_estate(&state.db, a, oid, today).await?.name, format!("/estates/{oid}")),
        "house" => (reg::get_house(&state.db, a, oid, today).await?.label(), format!("/houses/{oid}")),
        "building" => (reg::get_building(&state.db, a, oid, today).await?.label(), format!("/buildings/{oid}")),
        "owner" => (reg::get_owner(&state.db, a, oid, today).await?.name, format!("/owners/{oid}")),
        "enterprise" => (reg::get_enterprise(&state.db, a, oid, today).await?.name, format!("/enterprises/{oid}")),
        "contract" => (reg::get_contract(&state.db, a, oid, today).await?.estate_name, format!("/contracts/{oid}")),
        "fund_account" => (format!("{} · 维修资金", reg::get_estate(&state.db, a, oid, today).await?.name), {
            wuye_store::fund::account(&state.db, a, oid, today).await?;
            format!("/estates/{oid}/fund")
        }),
        "fund_household" => (format!("{} · 维修资金分户账", reg::get_house(&state.db, a, oid, today).await?.label()), {
            wuye_store::fund::household(&state.db, a, oid, today).await?;
            format!("/houses/{oid}/fund")
        }),
        "fund_use" => (wuye_store::fund::get_use(&state.db, a, oid, today).await?.project, format!("/fund-uses/{oid}")),
        "user" => {
            a.require(Action::View, Resource::User)?;
            (account::get_user(&state.db, oid).await?.name, format!("/admin/users/{oid}"))
        }
        _ => return Err(PageError::not_found()),
    };
    let rows = audit::history(&state.db, &otype, &oid.to_string(), 500).await?.into_iter().map(AuditLine::from).collect();
    let c = PageCtx::new(lang, &u.0, "", format!("{title} · {}", lang.t("历史记录"))).crumb(title, back).crumb(lang.t("历史记录"), "");
    Ok(render(&AuditPage { c, rows, verdict: None, show_verify: false })?.into_response())
}
