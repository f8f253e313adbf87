//! What every page needs: language, the menu entry in focus, the region in focus with its
//! breadcrumb, and helpers the templates call.

use crate::AppState;
use crate::i18n::Lang;
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

/// Page context shared by all templates (`c` in templates).
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
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
    pub fn new(lang: Lang, active: &'static str, title: impl Into<String>) -> PageCtx {
        PageCtx { lang, active, title: title.into(), region_path: Vec::new(), crumbs: Vec::new(), here: String::from("/") }
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
        self.region_path.last().map(|r| r.name.clone()).unwrap_or_else(|| self.t("全省").to_string())
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
