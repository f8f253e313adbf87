//! Public credit pages (rules.md §4 publication; PIPL Art 67), served without login: the
//! look-up by name or USCC, an enterprise's public credit file with its score history
//! chart, and the red and black lists per region with drill-down and export.

use super::{Pager, link, render};
use crate::AppState;
use crate::auth::Caller;
use crate::chart::{ScorePoint, score_history};
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wuye_store::credit::public::{self as cp, ListKind, ListedEnterprise, PublicCreditFile, PublicEnterprise};
use wuye_store::region::Region;

type PageResult = Result<Response, PageError>;

/// The page number from the URL, clamped to 1..=1,000,000 like other lists: digits beyond
/// the range give the last page, anything not a number (or ≤ 0) gives page 1.
pub fn page_no(s: Option<&str>) -> i64 {
    let t = s.unwrap_or("").trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<i64>().map(|n| n.clamp(1, 1_000_000)).unwrap_or(1);
    }
    let digits = t.trim_start_matches('0');
    if digits.len() > 7 { 1_000_000 } else { digits.parse::<i64>().unwrap_or(1).clamp(1, 1_000_000) }
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    pub q: Option<String>,
    /// Taken as text and clamped by [`page_no`]: a huge or malformed page renders page 1…1,000,000.
    pub page: Option<String>,
}

#[derive(Template)]
#[template(path = "credit_public_search.html")]
pub struct SearchPage {
    pub c: PageCtx,
    pub q: String,
    pub searched: bool,
    pub items: Vec<PublicEnterprise>,
    pub pager: Pager,
}

/// `/public/credit?q=`: enterprises by name (substring) or USCC (exact), 20 a page.
pub async fn search(State(state): State<AppState>, UiLang(lang): UiLang, caller: Caller, Query(q): Query<SearchQuery>) -> PageResult {
    let text = q.q.clone().unwrap_or_default();
    let page = cp::search(&state.db, &text, page_no(q.page.as_deref()), 20).await.map_err(|e| PageError::from(e).lang(lang))?;
    let c = PageCtx::new(lang, &caller, "credit_public", lang.t("信用信息公示")).here(link("/public/credit", &[("q", text.clone())]));
    let pager = Pager::new(&c, &page, &link("/public/credit", &[("q", text.clone())]));
    Ok(render(&SearchPage { c, searched: !text.trim().is_empty(), q: text, items: page.items, pager })?.into_response())
}

/// One published record as the page shows it.
pub struct RecordView {
    pub id: i64,
    pub good: bool,
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub points: String,
    pub serious: bool,
    pub source: String,
    pub estate: String,
    pub occurred_on: String,
    pub valid: String,
    pub in_force: bool,
}

#[derive(Template)]
#[template(path = "credit_public_file.html")]
pub struct FilePage {
    pub c: PageCtx,
    pub f: PublicCreditFile,
    pub records: Vec<RecordView>,
    pub chart: String,
    pub today: String,
}

fn parse_id(s: &str) -> Result<i64, PageError> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(PageError::not_found)
}

/// `/public/credit/{enterprise}`: the public credit file.
pub async fn enterprise(State(state): State<AppState>, UiLang(lang): UiLang, caller: Caller, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id).map_err(|e| e.lang(lang))?;
    let today = state.today();
    let f = cp::credit_file(&state.db, id).await.map_err(|e| PageError::from(e).lang(lang))?;
    let points: Vec<ScorePoint> = f.history.iter().map(|h| ScorePoint { day: h.on_date, score_tenths: h.score_tenths, label: cp::grade_label(&h.grade) }).collect();
    let chart = score_history(&points, today, lang.t("信用分变化"), lang.t("暂无信用分记录"));
    let records = f
        .records
        .iter()
        .map(|r| RecordView {
            id: r.id,
            good: r.kind == "good",
            kind: r.kind_label(),
            title: r.title.clone(),
            detail: r.detail.clone(),
            points: r.points_text(),
            serious: r.serious,
            source: if r.source_org.is_empty() { r.source_label().to_string() } else { format!("{}（{}）", r.source_org, r.source_label()) },
            estate: r.estate_name.clone().unwrap_or_default(),
            occurred_on: r.occurred_on.to_string(),
            valid: match (r.effective_on, r.valid_until) {
                (Some(a), Some(b)) => format!("{a} — {b}"),
                (Some(a), None) => format!("{a} — {}", lang.t("整改验收前")),
                (None, _) => "—".into(),
            },
            in_force: r.counts_on(today),
        })
        .collect();
    let c = PageCtx::new(lang, &caller, "credit_public", f.enterprise.name.clone()).crumb(lang.t("信用信息公示"), "/public/credit").here(format!("/public/credit/{id}"));
    Ok(render(&FilePage { c, f, records, chart, today: today.to_string() })?.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ListsQuery {
    pub region: Option<String>,
    pub list: Option<String>,
    /// Taken as text and clamped by [`page_no`]: a huge or malformed page renders page 1…1,000,000.
    pub page: Option<String>,
}

pub struct ChildView {
    pub name: String,
    pub href: String,
    pub count: String,
}

#[derive(Template)]
#[template(path = "credit_public_lists.html")]
pub struct ListsPage {
    pub c: PageCtx,
    pub region: Region,
    pub path: Vec<(String, String)>,
    pub list: &'static str,
    pub red_href: String,
    pub black_href: String,
    pub children: Vec<ChildView>,
    pub items: Vec<ListedEnterprise>,
    pub pager: Pager,
    pub export_xlsx: String,
    pub export_csv: String,
}

/// `/public/credit/lists?region=CODE&list=red|black`.
pub async fn lists(State(state): State<AppState>, UiLang(lang): UiLang, caller: Caller, Query(q): Query<ListsQuery>) -> PageResult {
    let kind = ListKind::parse(q.list.as_deref().unwrap_or("red"));
    let l = cp::public_list(&state.db, q.region.as_deref(), kind, page_no(q.page.as_deref()), 50).await.map_err(|e| PageError::from(e).lang(lang))?;
    let code = l.region.code.clone();
    let href = |region: &str, list: &str| link("/public/credit/lists", &[("region", region.to_string()), ("list", list.to_string())]);
    let path = wuye_store::region::path(&state.db, &code).await?.into_iter().map(|r| (r.name.clone(), href(&r.code, kind.code()))).collect();
    let children = l.children.iter().map(|ch| ChildView { name: ch.name.clone(), href: href(&ch.code, kind.code()), count: crate::fmt::int(ch.count) }).collect();
    let base = href(&code, kind.code());
    let title = format!("{} · {}", l.region.name, lang.t(kind.label_zh()));
    let c = PageCtx::new(lang, &caller, "credit_public", title).crumb(lang.t("信用信息公示"), "/public/credit").here(base.clone());
    let pager = Pager::new(&c, &l.page, &base);
    let export = |ext: &str| link(&format!("/public/credit/lists.{ext}"), &[("region", code.clone()), ("list", kind.code().to_string())]);
    let page = ListsPage {
        red_href: href(&code, "red"),
        black_href: href(&code, "black"),
        export_xlsx: export("xlsx"),
        export_csv: export("csv"),
        c,
        path,
        list: kind.code(),
        children,
        items: l.page.items,
        pager,
        region: l.region,
    };
    Ok(render(&page)?.into_response())
}

async fn lists_file(state: &AppState, q: &ListsQuery, file: &str) -> PageResult {
    let kind = ListKind::parse(q.list.as_deref().unwrap_or("red"));
    let l = cp::public_list(&state.db, q.region.as_deref(), kind, 1, cp::LIST_CAP).await?;
    use wuye_ledger::Out;
    let headers = ["企业名称", "统一社会信用代码", "区划代码", "信用等级", "信用分", "评价日期", "列入原因"];
    let rows: Vec<Vec<Out>> = l
        .page
        .items
        .iter()
        .map(|e| {
            vec![
                Out::from(e.name.as_str()),
                Out::from(e.uscc.as_str()),
                Out::from(e.region_code.as_str()),
                Out::from(e.grade_label()),
                Out::from(e.score_tenths.map(cp::tenths_text).unwrap_or_default()),
                Out::from(e.computed_on.to_string()),
                Out::from(e.reason.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let name = format!("{}-{}-{}", kind.label_zh(), l.region.name, state.today());
    super::dashboard::file_response(file, &name, kind.label_zh(), &headers, rows)
}

/// `/public/credit/lists.xlsx?region=&list=`: the whole list (up to 10,000 rows).
pub async fn lists_xlsx(State(state): State<AppState>, Query(q): Query<ListsQuery>) -> PageResult {
    lists_file(&state, &q, "lists.xlsx").await
}

/// `/public/credit/lists.csv?region=&list=`.
pub async fn lists_csv(State(state): State<AppState>, Query(q): Query<ListsQuery>) -> PageResult {
    lists_file(&state, &q, "lists.csv").await
}


#[cfg(test)]
mod tests {
    use super::page_no;

    #[test]
    fn page_numbers_are_clamped_not_refused() {
        assert_eq!(page_no(None), 1);
        assert_eq!(page_no(Some("")), 1);
        assert_eq!(page_no(Some("abc")), 1);
        assert_eq!(page_no(Some("0")), 1);
        assert_eq!(page_no(Some("-3")), 1);
        assert_eq!(page_no(Some(" 7 ")), 7);
        assert_eq!(page_no(Some("1000000")), 1_000_000);
        assert_eq!(page_no(Some("1000001")), 1_000_000);
        assert_eq!(page_no(Some("99999999999999999999")), 1_000_000);
        assert_eq!(page_no(Some("00000000000000000002")), 2);
    }
}
