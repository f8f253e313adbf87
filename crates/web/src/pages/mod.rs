//! Server-rendered pages. Handlers are thin: read the request, call the store, render.

pub mod account;
pub mod admin;
pub mod dashboard;
pub mod registry;
pub mod import;
pub mod votes;
pub mod fund;
pub mod assembly;
pub mod cases;
pub mod safety;
// credit: BEGIN
pub mod credit;
// credit: END
// credit-public: BEGIN
pub mod credit_public;
// credit-public: END
// tender: BEGIN
pub mod tender;
// tender: END

use crate::ctx::PageCtx;
use crate::error::PageError;
use askama::Template;
use axum::response::Html;

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: PageCtx,
    pub status: u16,
    pub message: String,
}

pub fn render<T: Template>(t: &T) -> Result<Html<String>, PageError> {
    Ok(Html(t.render()?))
}

/// A page of a list for templates: numbers and links already worked out.
pub struct Pager {
    pub total_text: String,
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the list path with its filter query (without `page=`).
    pub fn new<T>(c: &PageCtx, p: &wuye_store::registry::Page<T>, base: &str) -> Pager {
        let sep = if base.contains('?') { '&' } else { '?' };
        let pages = p.pages();
        let total_text = if p.more { c.tf("超过 {} 条", &[&crate::fmt::int(p.total)]) } else { c.tf("共 {} 条", &[&crate::fmt::int(p.total)]) };
        // A page size other than the default travels with the page links.
        let size = if p.per_page == 50 { String::new() } else { format!("&per_page={}", p.per_page) };
        Pager {
            total_text,
            page: p.page,
            pages,
            prev: (p.page > 1).then(|| format!("{base}{sep}page={}{size}", p.page - 1)),
            next: (p.page < pages || (p.more && p.items.len() as i64 == p.per_page)).then(|| format!("{base}{sep}page={}{size}", p.page + 1)),
        }
    }
}

/// Builds `path?k=v&…` from the non-empty pairs.
pub fn link(path: &str, pairs: &[(&str, String)]) -> String {
    let q: Vec<String> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", crate::ctx::urlencode(v))).collect();
    if q.is_empty() { path.to_string() } else { format!("{path}?{}", q.join("&")) }
}
