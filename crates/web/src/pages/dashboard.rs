//! The home page: property-service coverage of a region and its children, with drill-down
//! from the province to a community and its estates.

use super::{link, render};
use crate::AppState;
use crate::chart::{Bar, coverage_bars};
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::fmt;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wuye_domain::coverage::{Coverage, Ratio};
use wuye_store::registry::{Estate, ListQuery};
use wuye_store::safety::{SafetyFigures, SafetyStats};
use wuye_store::stats::{AssemblyFund, CaseFigures, CaseStats};
use wuye_store::{region, registry, stats};

#[derive(Debug, Deserialize)]
pub struct DashQuery {
    pub region: Option<String>,
    /// houses (default) | estates | area
    pub basis: Option<String>,
}

pub struct RateCell {
    pub basis: &'static str,
    pub pct: String,
    pub ok: bool,
}

pub struct ChildRow {
    pub name: String,
    pub href: String,
    pub estates: String,
    pub estates_covered: String,
    pub houses: String,
    pub houses_covered: String,
    pub area: String,
    pub area_covered: String,
    pub rates: Vec<RateCell>,
}

/// One row of the votes and fund table: counts grouped, money in yuan with two decimals.
pub struct FundRow {
    pub name: String,
    pub href: String,
    pub muted: bool,
    pub votes_published: String,
    pub votes_passed: String,
    pub votes_failed: String,
    pub votes_open: String,
    pub fund_accounts: String,
    pub fund_balance: String,
    pub fund_households: String,
    pub households_below: String,
    pub ordinary_uses: String,
    pub ordinary_charged: String,
    pub emergency_uses: String,
    pub emergency_charged: String,
}

impl FundRow {
    fn new(name: String, href: String, f: &AssemblyFund) -> FundRow {
        FundRow {
            name,
            href,
            muted: *f == AssemblyFund::default(),
            votes_published: fmt::int(f.votes_published),
            votes_passed: fmt::int(f.votes_passed),
            votes_failed: fmt::int(f.votes_failed),
            votes_open: fmt::int(f.votes_open),
            fund_accounts: fmt::int(f.fund_accounts),
            fund_balance: fmt::yuan_grouped(f.fund_balance),
            fund_households: fmt::int(f.fund_households),
            households_below: fmt::int(f.households_below_threshold),
            ordinary_uses: fmt::int(f.ordinary_uses),
            ordinary_charged: fmt::yuan_grouped(f.ordinary_charged),
            emergency_uses: fmt::int(f.emergency_uses),
            emergency_charged: fmt::yuan_grouped(f.emergency_charged),
        }
    }
}

/// One row of the cases table (联席会议、执法移交与纠纷调解): counts grouped, rates in
/// percent with one decimal ("—" when there is nothing to rate).
pub struct CaseRow {
    pub name: String,
    pub href: String,
    pub muted: bool,
    pub matters: String,
    pub matters_open: String,
    pub matters_closed: String,
    pub matters_closed_on_time: String,
    pub on_time_rate: String,
    pub referrals: String,
    pub referrals_handled: String,
    pub referrals_dismissed: String,
    pub referrals_open: String,
    pub disputes: String,
    pub disputes_agreed: String,
    pub disputes_concluded: String,
    pub success_rate: String,
    pub overdue: String,
    /// The region's overdue cases in the case list.
    pub overdue_href: String,
}

fn rate_or_dash(r: Ratio) -> String {
    if r.den == 0 { "—".into() } else { fmt::pct(&r) }
}

fn permille_text(p: Option<i64>) -> String {
    p.map(|p| format!("{}.{}%", p / 10, p % 10)).unwrap_or_else(|| "—".into())
}

impl CaseRow {
    fn new(name: String, href: String, code: &str, f: &CaseFigures) -> CaseRow {
        let prefix = wuye_domain::region::RegionCode::parse(code).map(|c| c.prefix().to_string()).unwrap_or_default();
        CaseRow {
            overdue_href: format!("/cases?status=overdue&region={prefix}"),
            name,
            href,
            muted: *f == CaseFigures::default(),
            matters: fmt::int(f.matters),
            matters_open: fmt::int(f.matters_open),
            matters_closed: fmt::int(f.matters_closed),
            matters_closed_on_time: fmt::int(f.matters_closed_on_time),
            on_time_rate: rate_or_dash(f.on_time_rate()),
            referrals: fmt::int(f.referrals),
            referrals_handled: fmt::int(f.referrals_handled),
            referrals_dismissed: fmt::int(f.referrals_dismissed),
            referrals_open: fmt::int(f.referrals_open),
            disputes: fmt::int(f.disputes),
            disputes_agreed: fmt::int(f.disputes_agreed),
            disputes_concluded: fmt::int(f.disputes_concluded),
            success_rate: rate_or_dash(f.success_rate()),
            overdue: fmt::int(f.overdue),
        }
    }
}

/// The cases table and, for the region in focus, its breakdowns: rows of text cells.
pub struct CaseTables {
    pub rows: Vec<CaseRow>,
    pub total: CaseRow,
    /// Lead department kind: label, matters, open, closed, closed on time, overdue, on-time rate.
    pub departments: Vec<[String; 7]>,
    /// Category: label, total, open, agreed, ended, declined, court, success rate, average days.
    pub disputes: Vec<[String; 9]>,
    /// Category: label, total, handled, dismissed, open, overdue.
    pub referrals: Vec<[String; 6]>,
}

impl CaseTables {
    fn new(s: &CaseStats, total_label: &str) -> CaseTables {
        CaseTables {
            rows: s.children.iter().map(|ch| CaseRow::new(ch.name.clone(), format!("/?region={}", ch.code), &ch.code, &ch.figures)).collect(),
            total: CaseRow::new(total_label.to_string(), String::new(), &s.region.code, &s.total),
            departments: s
                .departments
                .iter()
                .map(|d| [d.label.clone(), fmt::int(d.matters), fmt::int(d.open), fmt::int(d.closed), fmt::int(d.closed_on_time), fmt::int(d.overdue), permille_text((d.matters > 0).then_some(d.on_time_permille))])
                .collect(),
            disputes: s
                .disputes
                .iter()
                .map(|d| {
                    [
                        d.label.clone(),
                        fmt::int(d.total),
                        fmt::int(d.open),
                        fmt::int(d.agreed),
                        fmt::int(d.ended),
                        fmt::int(d.declined),
                        fmt::int(d.court),
                        permille_text(d.success_permille),
                        d.avg_days_tenths.map(|t| format!("{}.{}", t / 10, t % 10)).unwrap_or_else(|| "—".into()),
                    ]
                })
                .collect(),
            referrals: s.referrals.iter().map(|r| [r.label.clone(), fmt::int(r.total), fmt::int(r.handled), fmt::int(r.dismissed), fmt::int(r.open), fmt::int(r.overdue)]).collect(),
        }
    }
}

/// One row of the safety table (安全隐患与周期性工作): counts grouped, the on-time rate in
/// percent with one decimal ("—" when no hazard is closed).
pub struct SafetyRow {
    pub name: String,
    pub href: String,
    pub muted: bool,
    pub inspections: String,
    pub hazards: String,
    pub hazards_major: String,
    pub hazards_open: String,
    pub hazards_closed: String,
    pub hazards_on_time: String,
    pub on_time_rate: String,
    pub hazards_overdue: String,
    pub hazards_supervised: String,
    pub duties_overdue: String,
    pub estates_with_overdue_duties: String,
    /// Overdue hazards or duties: the region's overdue list.
    pub overdue: bool,
    pub overdue_href: String,
}

impl SafetyRow {
    fn new(name: String, href: String, prefix: &str, f: &SafetyFigures) -> SafetyRow {
        SafetyRow {
            name,
            href,
            muted: *f == SafetyFigures::default(),
            inspections: fmt::int(f.inspections),
            hazards: fmt::int(f.hazards),
            hazards_major: fmt::int(f.hazards_major),
            hazards_open: fmt::int(f.hazards_open),
            hazards_closed: fmt::int(f.hazards_closed),
            hazards_on_time: fmt::int(f.hazards_on_time),
            on_time_rate: rate_or_dash(f.on_time_rate()),
            hazards_overdue: fmt::int(f.hazards_overdue),
            hazards_supervised: fmt::int(f.hazards_supervised),
            duties_overdue: fmt::int(f.duties_overdue),
            estates_with_overdue_duties: fmt::int(f.estates_with_overdue_duties),
            overdue: f.hazards_overdue + f.duties_overdue > 0,
            overdue_href: format!("/safety?region={prefix}"),
        }
    }
}

/// The safety table and, for the region in focus, hazards by category and the worst
/// estates.
pub struct SafetyTables {
    pub rows: Vec<SafetyRow>,
    pub total: SafetyRow,
    /// Category: label, hazards, open, closed, rectified on time, overdue, on-time rate, and
    /// the region's hazard list of the category.
    pub categories: Vec<[String; 8]>,
    /// The ten worst estates: id, name, overdue hazards, open major hazards, overdue duties.
    pub worst: Vec<(i64, String, String, String, String)>,
}

impl SafetyTables {
    fn new(s: &SafetyStats, total_label: &str) -> SafetyTables {
        let prefix = |code: &str| wuye_domain::region::RegionCode::parse(code).map(|c| c.prefix().to_string()).unwrap_or_default();
        SafetyTables {
            rows: s.children.iter().map(|ch| SafetyRow::new(ch.name.clone(), format!("/?region={}", ch.code), &prefix(&ch.code), &ch.figures)).collect(),
            total: SafetyRow::new(total_label.to_string(), String::new(), &s.region.prefix, &s.total),
            categories: s
                .categories
                .iter()
                .map(|c| {
                    [
                        c.label.clone(),
                        fmt::int(c.hazards),
                        fmt::int(c.open),
                        fmt::int(c.closed),
                        fmt::int(c.on_time),
                        fmt::int(c.overdue),
                        rate_or_dash(Ratio::new(c.on_time, c.closed)),
                        format!("/safety/hazards?category={}&region={}", c.category, s.region.prefix),
                    ]
                })
                .collect(),
            worst: s.worst.iter().map(|w| (w.estate_id, w.name.clone(), fmt::int(w.hazards_overdue), fmt::int(w.major_open), fmt::int(w.duties_overdue))).collect(),
        }
    }
}

pub struct BasisTab {
    pub label: &'static str,
    pub href: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub c: PageCtx,
    pub region: wuye_store::region::Region,
    pub day: String,
    pub total_estates: String,
    pub covered_estates: String,
    pub total_houses: String,
    pub covered_houses: String,
    pub total_area: String,
    pub covered_area: String,
    pub rates: Vec<RateCell>,
    pub target_pct: String,
    pub has_children: bool,
    pub chart: String,
    pub chart_empty: bool,
    pub bases: Vec<BasisTab>,
    pub rows: Vec<ChildRow>,
    /// The votes and fund table (roles that view votes and the fund): children, total.
    pub fund_rows: Option<(Vec<FundRow>, FundRow)>,
    /// The cases table and breakdowns (roles that view the dashboard and cases).
    pub case_tables: Option<CaseTables>,
    /// The safety table, categories and worst estates (roles that view the dashboard and safety).
    pub safety_tables: Option<SafetyTables>,
    // credit-public: BEGIN
    /// The credit table, monthly records chart and black list (roles that view the dashboard).
    pub credit_tables: Option<CreditTables>,
    // credit-public: END
    // tender: BEGIN
    /// The tender table per child region, and the total (roles that view tenders).
    pub tender_rows: Option<(Vec<TenderRow>, TenderRow)>,
    // tender: END
    pub show_estates: bool,
    pub estates: Vec<Estate>,
}

fn rates(cov: &Coverage, target: Ratio) -> Vec<RateCell> {
    [("按小区", cov.by_estates()), ("按户数", cov.by_houses()), ("按面积", cov.by_area())]
        .into_iter()
        .map(|(basis, r)| RateCell { basis, pct: fmt::pct(&r), ok: r.at_least(target) })
        .collect()
}

/// The region asked for, or the caller's own region (the province for an administrator).
/// A region outside the caller's reach is not found.
pub async fn focus_region(state: &AppState, access: &wuye_store::access::Access, code: Option<&str>) -> Result<wuye_store::region::Region, PageError> {
    let r = match code.filter(|c| !c.is_empty()) {
        Some(c) => region::get(&state.db, c).await?.ok_or_else(PageError::not_found)?,
        None => match access.scope() {
            wuye_domain::account::Scope::Region(c) => region::get(&state.db, c.as_str()).await?.ok_or_else(PageError::not_found)?,
            _ => region::roots(&state.db).await?.into_iter().next().ok_or_else(|| PageError::bad_request("尚未载入行政区划，请运行 wuye migrate"))?,
        },
    };
    if access.reaches_region(&r.code) { Ok(r) } else { Err(PageError::not_found()) }
}

/// Where a role without the dashboard starts.
pub fn home_of(access: &wuye_store::access::Access) -> String {
    use wuye_domain::account::Scope;
    match access.scope() {
        Scope::Estate(id) => format!("/estates/{id}"),
        Scope::Owner(_) => "/my".into(),
        Scope::Enterprise(_) => "/estates".into(),
        _ => "/home".into(),
    }
}

pub async fn page(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    if !u.access().can(wuye_domain::account::Action::View, wuye_domain::account::Resource::Dashboard) {
        return Ok(axum::response::Redirect::to(&home_of(u.access())).into_response());
    }
    let today = state.today();
    let target = state.target();
    let region = focus_region(&state, u.access(), q.region.as_deref()).await.map_err(|e| e.lang(lang))?;
    let s = stats::region_stats(&state.db, u.access(), &region.code, today).await?;
    let path = region::path(&state.db, &region.code).await?;
    let basis = q.basis.as_deref().unwrap_or("houses");
    let here = link("/", &[("region", region.code.clone()), ("basis", q.basis.clone().unwrap_or_default())]);
    let c = PageCtx::new(lang, &u.0, "dashboard", format!("{} · {}", region.name, lang.t("覆盖率总览"))).with_region(path).here(here);
    let bars: Vec<Bar> = s
        .children
        .iter()
        .filter(|ch| ch.coverage.estates > 0)
        .map(|ch| {
            let (value, note) = match basis {
                "estates" => (ch.coverage.by_estates(), format!("({}/{})", ch.coverage.estates_covered, ch.coverage.estates)),
                "area" => (ch.coverage.by_area(), String::new()),
                _ => (ch.coverage.by_houses(), format!("({}/{})", fmt::int(ch.coverage.houses_covered), fmt::int(ch.coverage.houses))),
            };
            Bar { label: ch.name.clone(), href: Some(format!("/?region={}&basis={basis}", ch.code)), value, note }
        })
        .collect();
    let chart = coverage_bars(&bars, target, &format!("{} {}", lang.t("目标"), fmt::pct(&target)), lang.t("物业服务覆盖率"));
    let rows = s
        .children
        .iter()
        .map(|ch| ChildRow {
            name: ch.name.clone(),
            href: format!("/?region={}", ch.code),
            estates: fmt::int(ch.coverage.estates),
            estates_covered: fmt::int(ch.coverage.estates_covered),
            houses: fmt::int(ch.coverage.houses),
            houses_covered: fmt::int(ch.coverage.houses_covered),
            area: fmt::area_wan(ch.coverage.area),
            area_covered: fmt::area_wan(ch.coverage.area_covered),
            rates: rates(&ch.coverage, target),
        })
        .collect();
    let bases = [("按户数", "houses"), ("按小区", "estates"), ("按面积", "area")]
        .into_iter()
        .map(|(label, key)| BasisTab { label, href: format!("/?region={}&basis={key}", region.code), active: basis == key })
        .collect();
    let fund_rows = if may_see_assembly_fund(u.access()) {
        let f = stats::assembly_fund_stats(&state.db, u.access(), &region.code, today).await?;
        let rows = f.children.iter().map(|ch| FundRow::new(ch.name.clone(), format!("/?region={}", ch.code), &ch.figures)).collect();
        Some((rows, FundRow::new(lang.t("合计").to_string(), String::new(), &f.total)))
    } else {
        None
    };
    let case_tables = if may_see_cases(u.access()) {
        let f = stats::case_stats(&state.db, u.access(), &region.code, today).await?;
        Some(CaseTables::new(&f, lang.t("合计")))
    } else {
        None
    };
    let safety_tables = if may_see_safety(u.access()) {
        let f = wuye_store::safety::safety_stats(&state.db, u.access(), &region.code, today).await?;
        Some(SafetyTables::new(&f, lang.t("合计")))
    } else {
        None
    };
    // credit-public: BEGIN
    let credit_tables = if may_see_credit(u.access()) {
        let f = wuye_store::credit::public::credit_stats(&state.db, u.access(), &region.code, today).await?;
        Some(CreditTables::new(&f, lang))
    } else {
        None
    };
    // credit-public: END
    // tender: BEGIN
    let tender_rows = if u.access().can(wuye_domain::account::Action::View, wuye_domain::account::Resource::Tender) {
        Some(tender_rows(&state, u.access(), &region, &s.children.iter().map(|c| (c.code.clone(), c.name.clone())).collect::<Vec<_>>(), lang.t("合计"), today).await?)
    } else {
        None
    };
    // tender: END
    let has_children = !s.children.is_empty();
    let show_estates = region.level == "community" || region.level == "street";
    let estates = if show_estates {
        registry::list_estates(&state.db, u.access(), &ListQuery { region: Some(region.code.clone()), per_page: Some(500), ..Default::default() }, None, today).await?.items
    } else {
        Vec::new()
    };
    let t = &s.total;
    let page = DashboardPage {
        c,
        day: today.to_string(),
        total_estates: fmt::int(t.estates),
        covered_estates: fmt::int(t.estates_covered),
        total_houses: fmt::int(t.houses),
        covered_houses: fmt::int(t.houses_covered),
        total_area: fmt::area_wan(t.area),
        covered_area: fmt::area_wan(t.area_covered),
        rates: rates(t, target),
        target_pct: fmt::pct(&target),
        has_children,
        chart_empty: bars.is_empty(),
        chart,
        bases,
        rows,
        fund_rows,
        case_tables,
        safety_tables,
        credit_tables, // credit-public
        // tender: BEGIN
        tender_rows,
        // tender: END
        show_estates,
        estates,
        region,
    };
    Ok(render(&page)?.into_response())
}

/// The coverage table of a region's children as xlsx or csv (same figures as the page).
pub async fn export(State(state): State<AppState>, u: User, axum::extract::Path(file): axum::extract::Path<String>, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    let today = state.today();
    let target = state.target();
    let region = focus_region(&state, u.access(), q.region.as_deref()).await?;
    let s = stats::region_stats(&state.db, u.access(), &region.code, today).await?;
    let headers = [
        "区划代码", "区域", "小区数", "已覆盖小区", "房屋数", "已覆盖房屋", "建筑面积(m²)", "已覆盖面积(m²)", "覆盖率(按小区)", "覆盖率(按户数)", "覆盖率(按面积)", "是否达标(按户数)",
    ];
    use wuye_ledger::Out;
    let row = |code: &str, name: &str, cov: &Coverage| -> Vec<Out> {
        vec![
            Out::from(code),
            Out::from(name),
            Out::Int(cov.estates),
            Out::Int(cov.estates_covered),
            Out::Int(cov.houses),
            Out::Int(cov.houses_covered),
            Out::Hundredths(cov.area),
            Out::Hundredths(cov.area_covered),
            Out::from(cov.by_estates().percent_text()),
            Out::from(cov.by_houses().percent_text()),
            Out::from(cov.by_area().percent_text()),
            Out::from(if cov.by_houses().at_least(target) { "达标" } else { "未达标" }),
        ]
    };
    let mut rows: Vec<Vec<Out>> = s.children.iter().map(|c| row(&c.code, &c.name, &c.coverage)).collect();
    rows.push(row(&region.code, &format!("{} 合计", region.name), &s.total));
    let name = format!("覆盖率-{}-{}", region.name, today);
    file_response(&file, &name, "覆盖率", &headers, rows)
}

/// Whether the caller sees the votes and fund figures (dashboard, votes and fund).
pub fn may_see_assembly_fund(a: &wuye_store::access::Access) -> bool {
    use wuye_domain::account::{Action, Resource};
    [Resource::Dashboard, Resource::Vote, Resource::Fund].into_iter().all(|r| a.can(Action::View, r))
}

/// The votes and fund table of a region's children as xlsx or csv (same figures as the
/// page; money in yuan with two decimals).
pub async fn export_assembly_fund(State(state): State<AppState>, u: User, axum::extract::Path(file): axum::extract::Path<String>, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    let today = state.today();
    let region = focus_region(&state, u.access(), q.region.as_deref()).await?;
    let s = stats::assembly_fund_stats(&state.db, u.access(), &region.code, today).await?;
    let headers = [
        "区划代码", "区域", "已公布表决", "通过", "未通过", "进行中表决", "维修资金账户", "资金余额(元)", "分户账", "低于首期30%分户", "一般使用(项)", "一般使用列支(元)", "紧急使用(项)", "紧急使用列支(元)",
    ];
    use wuye_ledger::Out;
    let row = |code: &str, name: &str, f: &AssemblyFund| -> Vec<Out> {
        vec![
            Out::from(code),
            Out::from(name),
            Out::Int(f.votes_published),
            Out::Int(f.votes_passed),
            Out::Int(f.votes_failed),
            Out::Int(f.votes_open),
            Out::Int(f.fund_accounts),
            Out::Hundredths(f.fund_balance),
            Out::Int(f.fund_households),
            Out::Int(f.households_below_threshold),
            Out::Int(f.ordinary_uses),
            Out::Hundredths(f.ordinary_charged),
            Out::Int(f.emergency_uses),
            Out::Hundredths(f.emergency_charged),
        ]
    };
    let mut rows: Vec<Vec<Out>> = s.children.iter().map(|c| row(&c.code, &c.name, &c.figures)).collect();
    rows.push(row(&region.code, &format!("{} 合计", region.name), &s.total));
    let name = format!("业主大会与维修资金-{}-{}", region.name, today);
    file_response(&file, &name, "业主大会与维修资金", &headers, rows)
}

/// Whether the caller sees the case figures (dashboard and cases).
pub fn may_see_cases(a: &wuye_store::access::Access) -> bool {
    use wuye_domain::account::{Action, Resource};
    [Resource::Dashboard, Resource::Case].into_iter().all(|r| a.can(Action::View, r))
}

/// The cases table of a region's children as xlsx or csv (same figures as the page; rates
/// in percent with one decimal, empty when there is nothing to rate).
pub async fn export_cases(State(state): State<AppState>, u: User, axum::extract::Path(file): axum::extract::Path<String>, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    let today = state.today();
    let region = focus_region(&state, u.access(), q.region.as_deref()).await?;
    let s = stats::case_stats(&state.db, u.access(), &region.code, today).await?;
    let headers = [
        "区划代码", "区域", "联席会议事项", "在办", "已办结", "按期办结", "按期率", "执法移交", "已处理", "不予移交", "在办移交", "纠纷调解", "达成协议", "已结案", "调解成功率", "逾期未办",
    ];
    use wuye_ledger::Out;
    let rate = |r: Ratio| if r.den == 0 { Out::from("") } else { Out::from(r.percent_text()) };
    let row = |code: &str, name: &str, f: &CaseFigures| -> Vec<Out> {
        vec![
            Out::from(code),
            Out::from(name),
            Out::Int(f.matters),
            Out::Int(f.matters_open),
            Out::Int(f.matters_closed),
            Out::Int(f.matters_closed_on_time),
            rate(f.on_time_rate()),
            Out::Int(f.referrals),
            Out::Int(f.referrals_handled),
            Out::Int(f.referrals_dismissed),
            Out::Int(f.referrals_open),
            Out::Int(f.disputes),
            Out::Int(f.disputes_agreed),
            Out::Int(f.disputes_concluded),
            rate(f.success_rate()),
            Out::Int(f.overdue),
        ]
    };
    let mut rows: Vec<Vec<Out>> = s.children.iter().map(|c| row(&c.code, &c.name, &c.figures)).collect();
    rows.push(row(&region.code, &format!("{} 合计", region.name), &s.total));
    let name = format!("联席会议执法移交纠纷调解-{}-{}", region.name, today);
    file_response(&file, &name, "案件办理", &headers, rows)
}

/// Whether the caller sees the safety figures (dashboard and safety).
pub fn may_see_safety(a: &wuye_store::access::Access) -> bool {
    use wuye_domain::account::{Action, Resource};
    [Resource::Dashboard, Resource::Safety].into_iter().all(|r| a.can(Action::View, r))
}

/// The safety table of a region's children as xlsx or csv (same figures as the page; the
/// on-time rate in percent with one decimal, empty when no hazard is closed).
pub async fn export_safety(State(state): State<AppState>, u: User, axum::extract::Path(file): axum::extract::Path<String>, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    let today = state.today();
    let region = focus_region(&state, u.access(), q.region.as_deref()).await?;
    let s = wuye_store::safety::safety_stats(&state.db, u.access(), &region.code, today).await?;
    let headers = ["区划代码", "区域", "检查次数", "隐患", "重大隐患", "未销号", "已销号", "按期整改", "按期整改率", "逾期隐患", "督办中", "逾期周期性工作", "有逾期工作的小区"];
    use wuye_ledger::Out;
    let row = |code: &str, name: &str, f: &SafetyFigures| -> Vec<Out> {
        let r = f.on_time_rate();
        vec![
            Out::from(code),
            Out::from(name),
            Out::Int(f.inspections),
            Out::Int(f.hazards),
            Out::Int(f.hazards_major),
            Out::Int(f.hazards_open),
            Out::Int(f.hazards_closed),
            Out::Int(f.hazards_on_time),
            if r.den == 0 { Out::from("") } else { Out::from(r.percent_text()) },
            Out::Int(f.hazards_overdue),
            Out::Int(f.hazards_supervised),
            Out::Int(f.duties_overdue),
            Out::Int(f.estates_with_overdue_duties),
        ]
    };
    let mut rows: Vec<Vec<Out>> = s.children.iter().map(|c| row(&c.code, &c.name, &c.figures)).collect();
    rows.push(row(&region.code, &format!("{} 合计", region.name), &s.total));
    let name = format!("安全隐患与周期性工作-{}-{}", region.name, today);
    file_response(&file, &name, "安全", &headers, rows)
}

// credit-public: BEGIN
/// One row of the credit table: counts grouped.
pub struct CreditRow {
    pub name: String,
    pub href: String,
    pub muted: bool,
    /// registered, rated, AAAA, AAA, AA, A, B, C, black, missing, unrated, good, bad, pending.
    pub cells: [String; 14],
    pub black: i64,
    /// The region's black list on the public page.
    pub black_href: String,
}

impl CreditRow {
    fn new(name: String, href: String, code: &str, f: &wuye_store::credit::public::CreditFigures) -> CreditRow {
        CreditRow {
            name,
            href,
            muted: *f == Default::default(),
            cells: [f.registered, f.rated, f.aaaa, f.aaa, f.aa, f.a, f.b, f.c, f.black, f.missing, f.unrated, f.good_records, f.bad_records, f.pending_records].map(fmt::int),
            black: f.black,
            black_href: format!("/public/credit/lists?region={code}&list=black"),
        }
    }
}

/// The credit table and, for the region in focus, the monthly records chart and its
/// black-listed enterprises.
pub struct CreditTables {
    pub rows: Vec<CreditRow>,
    pub total: CreditRow,
    /// Whether a 4-band scheme's AAAA appears (else the column is left out).
    pub show_aaaa: bool,
    pub chart: String,
    /// Black-listed: id, name, USCC, grade label, reason.
    pub black_list: Vec<(i64, String, String, String, String)>,
}

impl CreditTables {
    fn new(s: &wuye_store::credit::public::CreditStats, lang: crate::i18n::Lang) -> CreditTables {
        let months: Vec<crate::chart::MonthPair> = s.months.iter().map(|m| crate::chart::MonthPair { label: m.month[2..].to_string(), first: m.good, second: m.bad }).collect();
        CreditTables {
            rows: s.children.iter().map(|ch| CreditRow::new(ch.name.clone(), format!("/?region={}", ch.code), &ch.code, &ch.figures)).collect(),
            total: CreditRow::new(lang.t("合计").to_string(), String::new(), &s.region.code, &s.total),
            show_aaaa: s.total.aaaa > 0,
            chart: crate::chart::month_pairs(&months, lang.t("良好行为"), lang.t("不良行为"), lang.t("信用记录（按月）")),
            black_list: s.black_list.iter().map(|e| (e.id, e.name.clone(), e.uscc.clone(), e.grade_label(), e.reason.clone().unwrap_or_default())).collect(),
        }
    }
}

/// Whether the caller sees the credit figures (dashboard and credit).
pub fn may_see_credit(a: &wuye_store::access::Access) -> bool {
    use wuye_domain::account::{Action, Resource};
    [Resource::Dashboard, Resource::Credit].into_iter().all(|r| a.can(Action::View, r))
}

/// The credit table of a region's children as xlsx or csv (same figures as the page).
pub async fn export_credit(State(state): State<AppState>, u: User, axum::extract::Path(file): axum::extract::Path<String>, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    let today = state.today();
    let region = focus_region(&state, u.access(), q.region.as_deref()).await?;
    let s = wuye_store::credit::public::credit_stats(&state.db, u.access(), &region.code, today).await?;
    let headers = ["区划代码", "区域", "信用登记企业", "有信用档案企业", "AAAA", "AAA", "AA", "A", "B", "C", "黑名单", "缺失", "未评级", "良好行为记录", "不良行为记录", "待生效记录"];
    use wuye_ledger::Out;
    let row = |code: &str, name: &str, f: &wuye_store::credit::public::CreditFigures| -> Vec<Out> {
        let mut r = vec![Out::from(code), Out::from(name)];
        r.extend([f.registered, f.rated, f.aaaa, f.aaa, f.aa, f.a, f.b, f.c, f.black, f.missing, f.unrated, f.good_records, f.bad_records, f.pending_records].map(Out::Int));
        r
    };
    let mut rows: Vec<Vec<Out>> = s.children.iter().map(|c| row(&c.code, &c.name, &c.figures)).collect();
    rows.push(row(&region.code, &format!("{} 合计", region.name), &s.total));
    let name = format!("信用评价-{}-{}", region.name, today);
    file_response(&file, &name, "信用评价", &headers, rows)
}
// credit-public: END

/// Answers `xxx.xlsx` or `xxx.csv` with the rows, as an attachment named `name`.
pub fn file_response(file: &str, name: &str, sheet: &str, headers: &[&str], rows: Vec<Vec<wuye_ledger::Out>>) -> Result<Response, PageError> {
    let (bytes, ext, mime) = if file.ends_with(".csv") {
        (wuye_ledger::write_csv(headers, rows), "csv", "text/csv; charset=utf-8")
    } else if file.ends_with(".xlsx") {
        (wuye_ledger::write_xlsx(sheet, headers, rows), "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    } else {
        return Err(PageError::not_found());
    };
    let bytes = bytes.map_err(|e| {
        tracing::error!(error = %e, "export failed");
        PageError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "导出失败")
    })?;
    let disposition = format!("attachment; filename=\"export.{ext}\"; filename*=UTF-8''{}.{ext}", crate::ctx::urlencode(name));
    Ok(([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

// tender: BEGIN
/// One row of the tender table (招投标): tenders held (published), awarded, failed, filed
/// late, average bids per tender (one decimal); drill-down to the child region and to its
/// tender list.
pub struct TenderRow {
    pub name: String,
    pub href: String,
    pub list_href: String,
    pub f: wuye_store::tender::TenderFigures,
    pub avg_bids: String,
}

/// The children's tender figures and the region's total.
async fn tender_rows(state: &AppState, a: &wuye_store::access::Access, region: &wuye_store::region::Region, children: &[(String, String)], total_label: &str, today: chrono::NaiveDate) -> Result<(Vec<TenderRow>, TenderRow), PageError> {
    let child_len = children.first().and_then(|(c, _)| wuye_domain::region::RegionCode::parse(c).ok()).map(|c| c.prefix().len()).unwrap_or(12);
    let figs = wuye_store::tender::tender_stats(&state.db, a, &region.prefix, child_len, today).await?;
    let row = |name: String, href: String, prefix: &str, f: wuye_store::tender::TenderFigures| TenderRow { name, href, list_href: format!("/tenders?region={prefix}"), avg_bids: crate::pages::tender::tenths(f.avg_bids_tenths()), f };
    let mut total = wuye_store::tender::TenderFigures::default();
    for (_, f) in &figs {
        total.held += f.held;
        total.awarded += f.awarded;
        total.failed += f.failed;
        total.filed_late += f.filed_late;
        total.bids += f.bids;
    }
    let rows = children
        .iter()
        .map(|(code, name)| {
            let p = wuye_domain::region::RegionCode::parse(code).map(|c| c.prefix().to_string()).unwrap_or_else(|_| code.clone());
            let f = figs.iter().find(|(k, _)| *k == p).map(|(_, f)| *f).unwrap_or_default();
            row(name.clone(), format!("/?region={code}"), &p, f)
        })
        .collect();
    Ok((rows, row(total_label.to_string(), String::new(), &region.prefix, total)))
}

/// The tender table of a region's children as xlsx or csv (same figures as the page).
pub async fn export_tender(State(state): State<AppState>, u: User, axum::extract::Path(file): axum::extract::Path<String>, Query(q): Query<DashQuery>) -> Result<Response, PageError> {
    let today = state.today();
    let region = focus_region(&state, u.access(), q.region.as_deref()).await?;
    let s = stats::region_stats(&state.db, u.access(), &region.code, today).await?;
    let children: Vec<(String, String)> = s.children.iter().map(|c| (c.code.clone(), c.name.clone())).collect();
    let (rows, total) = tender_rows(&state, u.access(), &region, &children, "合计", today).await?;
    use wuye_ledger::Out;
    let headers = ["区域", "招标项目", "已定标", "流标", "备案逾期", "平均投标数"];
    let out = |r: &TenderRow| vec![Out::from(r.name.as_str()), Out::Int(r.f.held), Out::Int(r.f.awarded), Out::Int(r.f.failed), Out::Int(r.f.filed_late), Out::from(r.avg_bids.as_str())];
    let mut all: Vec<Vec<Out>> = rows.iter().map(out).collect();
    all.push(out(&total));
    file_response(&file, &format!("招投标-{}-{}", region.name, today), "招投标", &headers, all)
}
// tender: END
