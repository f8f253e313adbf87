//! Users, their roles and scopes, login with throttling, server-side sessions, and API
//! tokens. Passwords are hashed with argon2id; session cookies and API tokens are random
//! 256-bit values of which only the SHA-256 is stored.

use crate::access::{Access, Actor};
use crate::db::{Db, Result, StoreError};
use crate::{audit, begin_write, on};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use wuye_domain::account::{Action, LOCK_MINUTES, MAX_FAILURES, Resource, Role, Scope, check_password, check_role_scope};

/// Sessions end after this long without a request.
pub const SESSION_IDLE_HOURS: i64 = 8;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UserRole {
    pub id: i64,
    pub user_id: i64,
    pub role: String,
    pub scope: String,
    pub label: String,
}

impl UserRole {
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
    pub fn scope(&self) -> Option<Scope> {
        Scope::from_text(&self.scope)
    }
    pub fn role_zh(&self) -> &'static str {
        self.role().map(|r| r.label_zh()).unwrap_or("?")
    }
}

/// Random 256-bit value, URL-safe base64 (no padding).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("operating system randomness");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// SHA-256 hex of a secret (what is stored for cookies and tokens).
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 hex of bytes (files in the import record).
pub fn digest_bytes(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// argon2id hash of a password (PHC string).
pub fn hash_password(p: &str) -> String {
    Argon2::default().hash_password(p.as_bytes()).expect("argon2 hashing").to_string()
}

fn verify_password(p: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(p.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

const USER_COLS: &str = "id, name, display_name, active, failed_logins, locked_until, must_change_password, created_at";

fn check_name(name: &str) -> Result<()> {
    let ok = (2..=64).contains(&name.chars().count()) && name.chars().all(|c| c.is_alphanumeric() || "._-@".contains(c));
    if ok { Ok(()) } else { Err(StoreError::Invalid("登录名为 2–64 个字母、数字或 . _ - @".into())) }
}

/// Checks a role and scope for granting: the scope fits the role, and the record it names
/// exists (region, enterprise, estate or owner).
async fn check_grant(db: &Db, role: Role, scope: &Scope) -> Result<()> {
    check_role_scope(role, scope).map_err(StoreError::Invalid)?;
    let n: i64 = match scope {
        Scope::All | Scope::Own => return Ok(()),
        Scope::Region(c) => on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM regions WHERE code = $1").bind(c.as_str()).fetch_one(p).await)?,
        Scope::Enterprise(i) => on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM enterprises WHERE id = $1").bind(i).fetch_one(p).await)?,
        Scope::Estate(i) => on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM estates WHERE id = $1").bind(i).fetch_one(p).await)?,
        Scope::Owner(i) => on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM owners WHERE id = $1").bind(i).fetch_one(p).await)?,
    };
    if n == 0 {
        return Err(StoreError::Invalid(format!("范围 {} 指向的记录不存在", scope.to_text())));
    }
    Ok(())
}

/// Creates a user with its roles. Only an administrator (or the system) may.
/// Errors: a taken name, a weak password, a role whose scope does not fit or names nothing.
/// With `must_change`, the user must set a new password at first login (accounts an
/// administrator hands out); scripts creating service accounts pass `false`.
pub async fn create_user(db: &Db, by: &Access, name: &str, display_name: &str, password: &str, roles: &[(Role, Scope, String)], must_change: bool) -> Result<i64> {
    by.require(Action::Create, Resource::User)?;
    check_name(name)?;
    check_password(password).map_err(StoreError::Invalid)?;
    if roles.is_empty() {
        return Err(StoreError::Invalid("用户至少要有一个角色".into()));
    }
    for (r, s, _) in roles {
        check_grant(db, *r, s).await?;
    }
    let hash = hash_password(password);
    let now = Utc::now();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE name = $1").bind(name).fetch_optional(&mut *tx).await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!("登录名 {name} 已被使用")));
        }
        let id: i64 = sqlx::query_scalar("INSERT INTO users (name, display_name, password_hash, active, failed_logins, must_change_password, created_at, updated_at) VALUES ($1,$2,$3,TRUE,0,$4,$5,$5) RETURNING id")
            .bind(name).bind(display_name).bind(&hash).bind(must_change).bind(now).fetch_one(&mut *tx).await?;
        for (r, s, label) in roles {
            sqlx::query("INSERT INTO user_roles (user_id, role, scope, label, created_at) VALUES ($1,$2,$3,$4,$5)")
                .bind(id).bind(r.code()).bind(s.to_text()).bind(label).bind(now).execute(&mut *tx).await?;
        }
        let after = serde_json::json!({"name": name, "display_name": display_name, "roles": roles.iter().map(|(r, s, l)| serde_json::json!({"role": r.code(), "scope": s.to_text(), "label": l})).collect::<Vec<_>>()});
        audit!(tx, by.actor(), "create", "user", id, None, Some(after));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

pub async fn get_user(db: &Db, id: i64) -> Result<User> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
    on!(db, p => sqlx::query_as::<_, User>(crate::db::dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

pub async fn find_user(db: &Db, name: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE name = $1");
    Ok(on!(db, p => sqlx::query_as::<_, User>(crate::db::dynamic(sql)).bind(name).fetch_optional(p).await)?)
}

/// All users (administrators only), with a text filter on the name.
pub async fn list_users(db: &Db, by: &Access, q: &str) -> Result<Vec<User>> {
    by.require(Action::View, Resource::User)?;
    let like = format!("%{}%", q.trim());
    let sql = format!("SELECT {USER_COLS} FROM users WHERE name LIKE $1 OR display_name LIKE $1 ORDER BY name LIMIT 500");
    Ok(on!(db, p => sqlx::query_as::<_, User>(crate::db::dynamic(sql)).bind(like).fetch_all(p).await)?)
}

pub async fn user_roles(db: &Db, user_id: i64) -> Result<Vec<UserRole>> {
    Ok(on!(db, p => sqlx::query_as::<_, UserRole>("SELECT id, user_id, role, scope, label FROM user_roles WHERE user_id = $1 ORDER BY id")
        .bind(user_id).fetch_all(p).await)?)
}

/// Grants a role with its scope.
pub async fn add_role(db: &Db, by: &Access, user_id: i64, role: Role, scope: &Scope, label: &str) -> Result<i64> {
    by.require(Action::Edit, Resource::User)?;
    check_grant(db, role, scope).await?;
    get_user(db, user_id).await?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let dup: Option<i64> = sqlx::query_scalar("SELECT id FROM user_roles WHERE user_id = $1 AND role = $2 AND scope = $3").bind(user_id).bind(role.code()).bind(scope.to_text()).fetch_optional(&mut *tx).await?;
        if dup.is_some() {
            return Err(StoreError::Conflict("该用户已有这个角色和范围".into()));
        }
        let id: i64 = sqlx::query_scalar("INSERT INTO user_roles (user_id, role, scope, label, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id")
            .bind(user_id).bind(role.code()).bind(scope.to_text()).bind(label).bind(Utc::now()).fetch_one(&mut *tx).await?;
        audit!(tx, by.actor(), "grant", "user", user_id, None, Some(serde_json::json!({"role": role.code(), "scope": scope.to_text(), "label": label})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// Removes a role (and ends the sessions and tokens working in it).
pub async fn remove_role(db: &Db, by: &Access, user_id: i64, role_id: i64) -> Result<()> {
    by.require(Action::Edit, Resource::User)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let r: Option<(String, String)> = sqlx::query_as("SELECT role, scope FROM user_roles WHERE id = $1 AND user_id = $2").bind(role_id).bind(user_id).fetch_optional(&mut *tx).await?;
        let Some((role, scope)) = r else { return Err(StoreError::NotFound) };
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_roles WHERE user_id = $1").bind(user_id).fetch_one(&mut *tx).await?;
        if left <= 1 {
            return Err(StoreError::Invalid("不能移除用户的最后一个角色；如需停用请停用账号".into()));
        }
        sqlx::query("DELETE FROM sessions WHERE role_id = $1").bind(role_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM api_tokens WHERE role_id = $1").bind(role_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM user_roles WHERE id = $1").bind(role_id).execute(&mut *tx).await?;
        audit!(tx, by.actor(), "revoke", "user", user_id, Some(serde_json::json!({"role": role, "scope": scope})), None);
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Activates or deactivates a user; deactivating ends their sessions and tokens' use.
pub async fn set_active(db: &Db, by: &Access, user_id: i64, active: bool) -> Result<()> {
    by.require(Action::Edit, Resource::User)?;
    if by.actor().user_id == user_id && !active {
        return Err(StoreError::Invalid("不能停用自己的账号".into()));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let old: Option<bool> = sqlx::query_scalar("SELECT active FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
        let Some(old) = old else { return Err(StoreError::NotFound) };
        sqlx::query("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3").bind(active).bind(Utc::now()).bind(user_id).execute(&mut *tx).await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        }
        audit!(tx, by.actor(), if active { "activate" } else { "deactivate" }, "user", user_id, Some(serde_json::json!({"active": old})), Some(serde_json::json!({"active": active})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// An administrator sets a new password; the user must change it at next login, and their
/// sessions end.
pub async fn reset_password(db: &Db, by: &Access, user_id: i64, new: &str) -> Result<()> {
    by.require(Action::Edit, Resource::User)?;
    check_password(new).map_err(StoreError::Invalid)?;
    let hash = hash_password(new);
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let n = sqlx::query("UPDATE users SET password_hash = $1, must_change_password = TRUE, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3")
            .bind(&hash).bind(Utc::now()).bind(user_id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        audit!(tx, by.actor(), "reset_password", "user", user_id, None, None);
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// The user changes their own password (the old one must match).
pub async fn change_password(db: &Db, who: &Access, old: &str, new: &str) -> Result<()> {
    let uid = who.actor().user_id;
    let phc: Option<String> = on!(db, p => sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(uid).fetch_optional(p).await)?;
    let phc = phc.ok_or(StoreError::NotFound)?;
    if !verify_password(old, &phc) {
        return Err(StoreError::Invalid("原密码不正确".into()));
    }
    if old == new {
        return Err(StoreError::Invalid("新密码不能与原密码相同".into()));
    }
    check_password(new).map_err(StoreError::Invalid)?;
    let hash = hash_password(new);
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = FALSE, updated_at = $2 WHERE id = $3").bind(&hash).bind(Utc::now()).bind(uid).execute(&mut *tx).await?;
        audit!(tx, who.actor(), "change_password", "user", uid, None, None);
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Why a login failed. Unknown names and wrong passwords give the same answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("用户名或密码不正确")]
    Wrong,
    #[error("密码错误次数过多，账号已锁定至 {0}（北京时间），请稍后再试或联系管理员")]
    Locked(String),
    #[error("账号已停用，请联系管理员")]
    Inactive,
    #[error("账号没有任何角色，请联系管理员")]
    NoRole,
}

/// A logged-in session: the caller's access in its current role, and the CSRF token its
/// forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub access: Access,
    pub user: User,
    pub roles: Vec<UserRole>,
    pub csrf: String,
}

fn shanghai(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y-%m-%d %H:%M").to_string()
}

/// Checks a name and password. On success creates a session in the user's first role and
/// returns the cookie value (shown to the browser, never stored). Five wrong passwords in
/// a row lock the account for 15 minutes.
pub async fn login(db: &Db, name: &str, password: &str) -> Result<std::result::Result<(String, Session), LoginError>> {
    let now = Utc::now();
    let row: Option<(i64, String, bool, i64, Option<DateTime<Utc>>)> = on!(db, p => sqlx::query_as(
        "SELECT id, password_hash, active, failed_logins, locked_until FROM users WHERE name = $1").bind(name).fetch_optional(p).await)?;
    let Some((uid, phc, active, failed, locked)) = row else {
        // Same work as a real check, so timing does not tell which names exist.
        let _ = verify_password(password, &hash_password("timing-equaliser-0"));
        return Ok(Err(LoginError::Wrong));
    };
    if let Some(until) = locked.filter(|u| *u > now) {
        return Ok(Err(LoginError::Locked(shanghai(until))));
    }
    if !verify_password(password, &phc) {
        let failed = failed + 1;
        let lock = (failed >= MAX_FAILURES).then(|| now + Duration::minutes(LOCK_MINUTES));
        on!(db, p => {
            let mut tx = begin_write!(db, p)?;
            sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3").bind(if lock.is_some() { 0 } else { failed }).bind(lock).bind(uid).execute(&mut *tx).await?;
            if let Some(l) = lock {
                audit!(tx, &Actor { user_id: uid, name: name.to_string() }, "lockout", "user", uid, None, Some(serde_json::json!({"locked_until": l.to_rfc3339()})));
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        return Ok(Err(match lock {
            Some(l) => LoginError::Locked(shanghai(l)),
            None => LoginError::Wrong,
        }));
    }
    if !active {
        return Ok(Err(LoginError::Inactive));
    }
    let roles = user_roles(db, uid).await?;
    let Some(first) = roles.first() else { return Ok(Err(LoginError::NoRole)) };
    let cookie = random_token();
    let csrf = random_token();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1").bind(uid).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO sessions (id, user_id, role_id, csrf, created_at, expires_at, last_seen_at) VALUES ($1,$2,$3,$4,$5,$6,$5)")
            .bind(digest(&cookie)).bind(uid).bind(first.id).bind(&csrf).bind(now).bind(now + Duration::hours(SESSION_IDLE_HOURS)).execute(&mut *tx).await?;
        audit!(tx, &Actor { user_id: uid, name: name.to_string() }, "login", "user", uid, None, None);
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    let s = session(db, &cookie).await?.ok_or(StoreError::NotFound)?;
    Ok(Ok((cookie, s)))
}

fn access_for(user: &User, r: &UserRole) -> Option<Access> {
    Some(Access::new(Actor { user_id: user.id, name: user.name.clone() }, r.role()?, r.scope()?, Some(r.id), r.label.clone()))
}

/// The session of a cookie value, if it exists, has not expired and its user is active.
/// Extends the idle expiry (at most once a minute, to spare writes).
pub async fn session(db: &Db, cookie: &str) -> Result<Option<Session>> {
    let now = Utc::now();
    let id = digest(cookie);
    // One statement: the session, its user and all the user's roles (a row per role).
    let rows: Vec<SessionRow> = on!(db, p => sqlx::query_as::<_, SessionRow>(
        "SELECT s.role_id AS s_role_id, s.csrf AS s_csrf, s.expires_at AS s_expires_at, s.last_seen_at AS s_last_seen_at,
                u.id, u.name, u.display_name, u.active, u.failed_logins, u.locked_until, u.must_change_password, u.created_at,
                r.id AS r_id, r.role AS r_role, r.scope AS r_scope, r.label AS r_label,
                (SELECT i.name || ':' || h.last_hash FROM audit_head h, db_instance i WHERE h.id = 1 AND i.id = 1) AS s_generation
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN user_roles r ON r.user_id = s.user_id
         WHERE s.id = $1 ORDER BY r.id").bind(&id).fetch_all(p).await)?;
    let Some(first) = rows.first() else { return Ok(None) };
    if first.s_expires_at <= now {
        on!(db, p => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(&id).execute(p).await.map(|_| ()))?;
        return Ok(None);
    }
    let (user, role_id, csrf, seen, generation) = (first.user.clone(), first.s_role_id, first.s_csrf.clone(), first.s_last_seen_at, first.s_generation.clone());
    if !user.active {
        return Ok(None);
    }
    let roles: Vec<UserRole> = rows.into_iter().map(|r| UserRole { id: r.r_id, user_id: user.id, role: r.r_role, scope: r.r_scope, label: r.r_label }).collect();
    let Some(access) = roles.iter().find(|r| r.id == role_id).and_then(|r| access_for(&user, r)) else { return Ok(None) };
    let access = access.at_generation(generation);
    if now - seen > Duration::minutes(1) {
        on!(db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
            .bind(now).bind(now + Duration::hours(SESSION_IDLE_HOURS)).bind(&id).execute(p).await.map(|_| ()))?;
    }
    Ok(Some(Session { access, user, roles, csrf }))
}

/// One row of [`session`]'s statement.
#[derive(sqlx::FromRow)]
struct SessionRow {
    s_role_id: i64,
    s_csrf: String,
    s_expires_at: DateTime<Utc>,
    s_last_seen_at: DateTime<Utc>,
    #[sqlx(flatten)]
    user: User,
    r_id: i64,
    r_role: String,
    r_scope: String,
    r_label: String,
    s_generation: String,
}

/// Ends a session.
pub async fn logout(db: &Db, cookie: &str) -> Result<()> {
    on!(db, p => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(digest(cookie)).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Switches the session to another of the user's roles.
pub async fn switch_role(db: &Db, cookie: &str, role_id: i64) -> Result<()> {
    let s = session(db, cookie).await?.ok_or(StoreError::NotFound)?;
    if !s.roles.iter().any(|r| r.id == role_id) {
        return Err(StoreError::Forbidden("不是该用户的角色".into()));
    }
    on!(db, p => sqlx::query("UPDATE sessions SET role_id = $1 WHERE id = $2").bind(role_id).bind(digest(cookie)).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// An API token as listed (the secret itself is shown once, at creation).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub role_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Creates an API token for `user_name` working in its role `role_id` (default: its
/// first). Returns the token — `wy_` and 43 characters — shown once; only its SHA-256 is
/// kept.
pub async fn create_token(db: &Db, by: &Access, user_name: &str, role_id: Option<i64>, name: &str) -> Result<(i64, String)> {
    let user = find_user(db, user_name).await?.ok_or_else(|| StoreError::Invalid(format!("用户 {user_name} 不存在")))?;
    if by.actor().user_id != user.id {
        by.require(Action::Edit, Resource::User)?;
    }
    let roles = user_roles(db, user.id).await?;
    let role = match role_id {
        Some(r) => roles.iter().find(|x| x.id == r).ok_or_else(|| StoreError::Invalid(format!("角色编号 {r} 不属于用户 {user_name}")))?,
        None => roles.first().ok_or_else(|| StoreError::Invalid("该用户没有角色".into()))?,
    };
    let token = format!("wy_{}", random_token());
    let id = on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, role_id, name, token_hash, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id")
            .bind(user.id).bind(role.id).bind(name).bind(digest(&token)).bind(Utc::now()).fetch_one(&mut *tx).await?;
        audit!(tx, by.actor(), "create_token", "user", user.id, None, Some(serde_json::json!({"token_id": id, "name": name, "role": role.role, "scope": role.scope})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })?;
    Ok((id, token))
}

/// Revokes a token; it stops working at once.
pub async fn revoke_token(db: &Db, by: &Access, token_id: i64) -> Result<()> {
    let owner: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT user_id FROM api_tokens WHERE id = $1").bind(token_id).fetch_optional(p).await)?;
    let owner = owner.ok_or(StoreError::NotFound)?;
    if by.actor().user_id != owner {
        by.require(Action::Edit, Resource::User)?;
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL").bind(Utc::now()).bind(token_id).execute(&mut *tx).await?;
        audit!(tx, by.actor(), "revoke_token", "user", owner, None, Some(serde_json::json!({"token_id": token_id})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

pub async fn list_tokens(db: &Db, user_id: i64) -> Result<Vec<ApiToken>> {
    Ok(on!(db, p => sqlx::query_as::<_, ApiToken>("SELECT id, user_id, role_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id")
        .bind(user_id).fetch_all(p).await)?)
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("令牌无效")]
    Unknown,
    #[error("令牌已被吊销")]
    Revoked,
    #[error("令牌所属账号已停用")]
    Inactive,
}

/// The access of a bearer token.
pub async fn token_access(db: &Db, token: &str) -> Result<std::result::Result<Access, TokenError>> {
    let row: Option<(i64, i64, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>)> = on!(db, p => sqlx::query_as(
        "SELECT id, user_id, role_id, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1").bind(digest(token)).fetch_optional(p).await)?;
    let Some((tid, uid, role_id, revoked, last_used)) = row else { return Ok(Err(TokenError::Unknown)) };
    if revoked.is_some() {
        return Ok(Err(TokenError::Revoked));
    }
    let user = get_user(db, uid).await?;
    if !user.active {
        return Ok(Err(TokenError::Inactive));
    }
    let roles = user_roles(db, uid).await?;
    let Some(access) = roles.iter().find(|r| r.id == role_id).and_then(|r| access_for(&user, r)) else { return Ok(Err(TokenError::Unknown)) };
    let now = Utc::now();
    if last_used.is_none_or(|t| now - t > Duration::minutes(1)) {
        on!(db, p => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(tid).execute(p).await.map(|_| ()))?;
    }
    Ok(Ok(access))
}

/// Number of users (to know whether a first administrator must be created).
pub async fn user_count(db: &Db) -> Result<i64> {
    Ok(on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await)?)
}

/// One user row of a bulk import (row number as in the sheet).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub row: usize,
    pub name: String,
    pub display_name: String,
    pub password: String,
    pub role: String,
    pub scope: String,
    pub label: String,
}

/// Creates many users in one transaction. Every row is checked first (name free and not
/// repeated, role known, scope fitting the role and naming a record, password strong);
/// any bad row rejects the whole file. Imported users must change their password at first
/// login.
pub async fn import_users(db: &Db, by: &Access, rows: Vec<NewUser>) -> Result<std::result::Result<usize, Vec<wuye_domain::ledger::CellError>>> {
    by.require(Action::Create, Resource::User)?;
    let mut errors = Vec::new();
    let mut ok = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let err = |row: usize, col: &str, val: &str, reason: String| wuye_domain::ledger::CellError { row, column: col.into(), value: val.into(), reason };
    for r in rows {
        let before = errors.len();
        if let Err(e) = check_name(&r.name) {
            errors.push(err(r.row, "登录名", &r.name, e.to_string()));
        } else if let Some(first) = seen.insert(r.name.clone(), r.row) {
            errors.push(err(r.row, "登录名", &r.name, format!("与第 {first} 行重复")));
        } else if find_user(db, &r.name).await?.is_some() {
            errors.push(err(r.row, "登录名", &r.name, "登录名已被使用".into()));
        }
        if let Err(e) = check_password(&r.password) {
            errors.push(err(r.row, "初始密码", "******", e));
        }
        let Some(role) = Role::parse(&r.role) else {
            errors.push(err(r.row, "角色", &r.role, format!("未知角色，应为 {}", Role::ALL.iter().map(|x| x.label_zh()).collect::<Vec<_>>().join("/"))));
            continue;
        };
        let scope = match Scope::for_role(role, &r.scope) {
            Ok(s) => s,
            Err(e) => {
                errors.push(err(r.row, "范围", &r.scope, e));
                continue;
            }
        };
        if let Err(e) = check_grant(db, role, &scope).await {
            errors.push(err(r.row, "范围", &r.scope, e.to_string()));
            continue;
        }
        if errors.len() == before {
            ok.push((r, role, scope));
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let n = ok.len();
    let now = Utc::now();
    let hashed: Vec<String> = ok.iter().map(|(r, _, _)| hash_password(&r.password)).collect();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        for ((r, role, scope), hash) in ok.iter().zip(&hashed) {
            let id: i64 = sqlx::query_scalar("INSERT INTO users (name, display_name, password_hash, active, failed_logins, must_change_password, created_at, updated_at) VALUES ($1,$2,$3,TRUE,0,TRUE,$4,$4) RETURNING id")
                .bind(&r.name).bind(&r.display_name).bind(hash).bind(now).fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO user_roles (user_id, role, scope, label, created_at) VALUES ($1,$2,$3,$4,$5)")
                .bind(id).bind(role.code()).bind(scope.to_text()).bind(&r.label).bind(now).execute(&mut *tx).await?;
            audit!(tx, by.actor(), "create", "user", id, None, Some(serde_json::json!({"name": r.name, "display_name": r.display_name, "role": role.code(), "scope": scope.to_text(), "label": r.label, "via": "import"})));
        }
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(Ok(n))
}
