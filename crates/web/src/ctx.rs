//! What every page needs: language, the menu entry in focus, the region in focus with its
//! breadcrumb, and helpers the templates call.

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::Lang;
use wuye_domain::account::{Action, Resource};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use wuye_store::region::Region;

/// The language chosen by cookie (`lang=en`) or query (`?lang=en`).
#[derive(Debug, Clone, Copy)]
pub struct UiLang(pub Lang);

impl FromRequestParts<AppState> for UiLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(q) = parts.uri.query() {
            for pair in q.split('&') {
                if let Some(v) = pair.strip_prefix("lang=") {
                    return Ok(UiLang(Lang::from_code(v)));
                }
            }
        }
        let cookie = parts.headers.get_all(axum::http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|s| s.split(';')).find_map(|c| c.trim().strip_prefix("lang=").map(|v| v.to_string()));
        Ok(UiLang(cookie.map(|v| Lang::from_code(&v)).unwrap_or_default()))
    }
}

/// One link of the breadcrumb.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub label: String,
    pub href: String,
}

/// One of the user's roles, for the role switcher.
#[derive(Debug, Clone)]
pub struct RoleChoice {
    pub id: i64,
    pub label: String,
    pub current: bool,
}

/// Page context shared by all templates (`c` in templates).
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
    /// The session's CSRF token (every form carries it).
    pub csrf: String,
    /// Logged-in user's display name, empty when anonymous.
    pub user: String,
    /// The current role's label.
    pub role: String,
    pub roles: Vec<RoleChoice>,
    /// Which menu entries the caller may open.
    pub nav: Nav,
    /// The caller's current role (None when anonymous).
    pub role_code: Option<wuye_domain::account::Role>,
    /// Leading digits of the caller's region (regional roles), to link only what it reaches.
    pub reach: Option<String>,
    /// Menu key of the page: dashboard, estates, houses, owners, enterprises, contracts, import.
    pub active: &'static str,
    pub title: String,
    /// Region in focus (the path from the province down), empty for "everything".
    pub region_path: Vec<Region>,
    /// Extra breadcrumb entries after the region path.
    pub crumbs: Vec<Crumb>,
    /// Path and query of this page (for the language switch).
    pub here: String,
}

impl PageCtx {
    pub fn new(lang: Lang, caller: &Caller, active: &'static str, title: impl Into<String>) -> PageCtx {
        let (user, role, roles) = match caller {
            Caller::Session { session } => {
                let cur = session.access.role_id();
                let label = |r: &wuye_store::account::UserRole| {
                    if r.label.is_empty() { format!("{} · {}", r.role_zh(), r.scope) } else { format!("{} · {}", r.role_zh(), r.label) }
                };
                let current = session.roles.iter().find(|r| Some(r.id) == cur).map(label).unwrap_or_default();
                let roles = session.roles.iter().map(|r| RoleChoice { id: r.id, label: label(r), current: Some(r.id) == cur }).collect();
                let name = if session.user.display_name.is_empty() { session.user.name.clone() } else { session.user.display_name.clone() };
                (name, current, roles)
            }
            Caller::Token { access } => (access.actor().name.clone(), access.role().label_zh().to_string(), Vec::new()),
            Caller::Anonymous => (String::new(), String::new(), Vec::new()),
        };
        PageCtx {
            lang,
            csrf: caller.csrf().to_string(),
            user,
            role,
            roles,
            nav: Nav::for_caller(caller),
            role_code: caller.access().map(|a| a.role()),
            reach: caller.access().and_then(|a| a.region_prefix().map(String::from)),
            active,
            title: title.into(),
            region_path: Vec::new(),
            crumbs: Vec::new(),
            here: String::from("/"),
        }
    }

    /// Whether the caller's role may do `action` (view, create, edit, export) on
    /// `resource` (estate, house, owner, enterprise, contract, import, user, audit, vote); used to
    /// show only the buttons that will work.
    pub fn may(&self, action: &str, resource: &str) -> bool {
        let Some(role) = self.role_code else { return false };
        let action = match action {
            "view" => Action::View,
            "create" => Action::Create,
            "edit" => Action::Edit,
            "export" => Action::Export,
            _ => return false,
        };
        let res = match resource {
            "dashboard" => Resource::Dashboard,
            "estate" => Resource::Estate,
            "house" => Resource::House,
            "owner" => Resource::Owner,
            "enterprise" => Resource::Enterprise,
            "contract" => Resource::Contract,
            "import" => Resource::Import,
            "user" => Resource::User,
            "audit" => Resource::Audit,
            "vote" => Resource::Vote,
            "fund" => Resource::Fund,
            "case" => Resource::Case,
            "safety" => Resource::Safety, // safety: duties
            "credit" => Resource::Credit, // credit
            // tender: BEGIN
            "tender" => Resource::Tender,
            // tender: END
            _ => return false,
        };
        wuye_domain::account::allows(role, action, res)
    }

    /// Whether the caller's figures reach this region (breadcrumb links above a
    /// regulator's own region are shown as text).
    pub fn reaches(&self, r: &Region) -> bool {
        match &self.reach {
            None => self.nav.dashboard,
            Some(p) => r.code.starts_with(p.as_str()),
        }
    }

    pub fn logged_in(&self) -> bool {
        !self.user.is_empty()
    }

    pub fn t<'a>(&self, zh: &'a str) -> &'a str {
        self.lang.t(zh)
    }

    /// `t` with `{}` placeholders filled in order.
    pub fn tf(&self, zh: &str, args: &[&dyn std::fmt::Display]) -> String {
        let mut s = self.lang.t(zh).to_string();
        for a in args {
            s = s.replacen("{}", &a.to_string(), 1);
        }
        s
    }

    pub fn with_region(mut self, path: Vec<Region>) -> Self {
        self.region_path = path;
        self
    }

    pub fn crumb(mut self, label: impl Into<String>, href: impl Into<String>) -> Self {
        self.crumbs.push(Crumb { label: label.into(), href: href.into() });
        self
    }

    pub fn here(mut self, here: impl Into<String>) -> Self {
        self.here = here.into();
        self
    }

    /// Code of the region in focus, or empty.
    pub fn region_code(&self) -> &str {
        self.region_path.last().map(|r| r.code.as_str()).unwrap_or("")
    }

    pub fn region_name(&self) -> String {
        match self.region_path.last() {
            Some(r) => r.name.clone(),
            None if self.nav.dashboard || !self.logged_in() => self.t("全省").to_string(),
            None => self.role.clone(),
        }
    }

    /// `?region=…` to carry the region in focus across the menu.
    pub fn region_query(&self) -> String {
        match self.region_path.last() {
            Some(r) if r.parent_code.is_some() => format!("?region={}", r.code),
            _ => String::new(),
        }
    }

    pub fn is(&self, key: &str) -> bool {
        self.active == key
    }

    /// Link that switches the language and comes back here.
    pub fn lang_link(&self, code: &str) -> String {
        format!("/lang/{code}?back={}", urlencode(&self.here))
    }

    pub fn en(&self) -> bool {
        self.lang == Lang::En
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Menu entries the caller may open.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nav {
    pub dashboard: bool,
    pub estates: bool,
    pub houses: bool,
    pub owners: bool,
    pub enterprises: bool,
    pub contracts: bool,
    pub import: bool,
    pub users: bool,
    pub audit: bool,
    /// The maintenance fund's deposit rates (those who keep the fund ledger).
    pub fund: bool,
    /// An owner's own page.
    pub mine: bool,
    /// Case handling (案件办理): inbox, meetings, the lists, the directory.
    pub cases: bool,
    /// Safety (安全管理): the overdue list, hazards, duties, checklist templates.
    pub safety: bool,
    /// Checklist templates (regulators and administrators edit them).
    pub safety_templates: bool,
    // credit: BEGIN
    /// Credit management (信用管理): records, registrations, the scheme.
    pub credit: bool,
    // credit: END
}

impl Nav {
    pub fn for_caller(c: &Caller) -> Nav {
        let Some(a) = c.access() else { return Nav::default() };
        let v = |r| a.can(Action::View, r);
        Nav {
            dashboard: v(Resource::Dashboard),
            estates: v(Resource::Estate),
            houses: v(Resource::House),
            owners: v(Resource::Owner) && a.role() != wuye_domain::account::Role::Owner,
            enterprises: v(Resource::Enterprise),
            contracts: v(Resource::Contract),
            import: a.can(Action::Create, Resource::Import),
            users: v(Resource::User),
            audit: v(Resource::Audit),
            fund: a.can(Action::Edit, Resource::Fund),
            mine: a.role() == wuye_domain::account::Role::Owner,
            cases: v(Resource::Case) && a.role() != wuye_domain::account::Role::Owner,
            safety: v(Resource::Safety),
            safety_templates: matches!(a.role(), wuye_domain::account::Role::Admin | wuye_domain::account::Role::Regulator),
            // credit: BEGIN
            credit: v(Resource::Credit) && !matches!(a.role(), wuye_domain::account::Role::Owner | wuye_domain::account::Role::Committee),
            // credit: END
        }
    }
}
