//! Safety pages (rules.md §6).

pub mod duties;
pub mod inspections;

use super::render;
use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use wuye_ledger::Out;
use wuye_store::safety::{self as sf, OverdueItem};

/// `?region=` (a region code or digit prefix) and `?page=` of the overdue list.
#[derive(Debug, Default, serde::Deserialize)]
pub struct OverdueQuery {
    pub region: Option<String>,
    pub page: Option<i64>,
}

/// Rows per page of the overdue list; the export has up to 10,000.
const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "safety_overdue.html")]
pub struct OverduePage {
    pub c: PageCtx,
    /// The region's name (empty for callers without a region scope).
    pub region: String,
    pub prefix: String,
    pub items: Vec<OverdueItem>,
    pub hazards: i64,
    pub duties: i64,
    pub page: i64,
    pub pages: i64,
}

/// The region asked for by `?region=` (a full code or a digit prefix; default the caller's
/// own): its name and digit prefix. Callers without a region scope (an enterprise, a
/// committee) see the estates they reach wherever they are: no name, prefix "".
async fn region_of(state: &AppState, u: &User, q: &OverdueQuery) -> Result<(String, String), PageError> {
    use wuye_domain::account::Scope;
    if !matches!(u.access().scope(), Scope::Region(_) | Scope::All) {
        return Ok((String::new(), String::new()));
    }
    let code = q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(|r| format!("{r:0<12}"));
    let region = super::dashboard::focus_region(state, u.access(), code.as_deref()).await?;
    Ok((region.name, region.prefix))
}

/// 安全逾期清单: the overdue hazards and recurring duties of a region, longest overdue
/// first, with drill-down to the hazard or the estate's duties.
pub async fn overdue(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<OverdueQuery>) -> Result<Response, PageError> {
    let today = state.today();
    let (region, prefix) = region_of(&state, &u, &q).await?;
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let l = sf::overdue(&state.db, u.access(), &prefix, (page - 1) * PER_PAGE, PER_PAGE, today).await.map_err(|e| PageError::from(e).lang(lang))?;
    let pages = ((l.hazards + l.duties) + PER_PAGE - 1) / PER_PAGE;
    let c = PageCtx::new(lang, &u.0, "safety", lang.t("安全逾期清单")).crumb(lang.t("安全管理"), "/safety").here("/safety");
    Ok(render(&OverduePage { c, region, prefix, items: l.items, hazards: l.hazards, duties: l.duties, page, pages: pages.max(1) })?.into_response())
}

pub async fn overdue_xlsx(state: State<AppState>, u: User, q: Query<OverdueQuery>) -> Result<Response, PageError> {
    overdue_export(state, u, "overdue.xlsx", q).await
}

pub async fn overdue_csv(state: State<AppState>, u: User, q: Query<OverdueQuery>) -> Result<Response, PageError> {
    overdue_export(state, u, "overdue.csv", q).await
}

/// The overdue list as xlsx or csv (up to 10,000 rows, the same order as the page).
async fn overdue_export(State(state): State<AppState>, u: User, file: &str, Query(q): Query<OverdueQuery>) -> Result<Response, PageError> {
    let today = state.today();
    let (_, prefix) = region_of(&state, &u, &q).await?;
    let l = sf::overdue(&state.db, u.access(), &prefix, 0, 10_000, today).await?;
    let headers = ["类型", "编号", "小区", "区划代码", "类别/事项", "说明", "期限/应完成日", "逾期天数"];
    let rows = l
        .items
        .iter()
        .map(|i| {
            vec![
                Out::from(if i.what == "hazard" { "隐患" } else { "周期性工作" }),
                Out::Int(i.id),
                Out::from(i.estate_name.as_str()),
                Out::from(i.region_code.as_str()),
                Out::from(i.kind_label()),
                Out::from(i.detail_label()),
                Out::from(i.due.to_string()),
                Out::Int(i.days),
            ]
        })
        .collect();
    super::dashboard::file_response(file, &format!("安全逾期清单-{today}"), "逾期清单", &headers, rows)
}
