//! An estate's owners' assembly records: the covenant's and rules of procedure's clauses
//! that matter to voting (rule set, silent-vote clause, filing), and the owners' committee
//! with its members and term (5–11 members, odd, term up to 5 years by default: Guidance
//! Rules 2009 Arts 31–32, rules.md §5.4). Checks are the store's
//! ([`wuye_store::assembly::set_covenant`], [`wuye_store::assembly::set_committee`]).

use super::render;
use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::{Errors, Submitted};
use crate::i18n::Lang;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use wuye_domain::account::{Action, Resource};
use wuye_store::assembly::{self as asm, Committee, CommitteeInput, Covenant, CovenantInput, Member};
use wuye_store::registry::{self as reg, Estate};
use wuye_store::{StoreError, region};

type PageResult = Result<Response, PageError>;

/// Chinese name of a committee position.
pub fn position_zh(code: &str) -> &'static str {
    match code {
        "director" => "主任",
        "deputy" => "副主任",
        _ => "委员",
    }
}

/// Position code of a Chinese or English name.
fn position_code(s: &str) -> Option<&'static str> {
    match s.trim() {
        "主任" | "director" => Some("director"),
        "副主任" | "deputy" => Some("deputy"),
        "委员" | "member" | "" => Some("member"),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "assembly.html")]
pub struct AssemblyPage {
    pub c: PageCtx,
    pub e: Estate,
    pub covenant: Option<Covenant>,
    pub committee: Option<Committee>,
    /// The committee keeps these records.
    pub keeps: bool,
    /// Values of the forms (as submitted after an error, else the records).
    pub s: Submitted,
    pub alert: Option<String>,
}

impl AssemblyPage {
    pub fn rule_name(&self, code: &str) -> String {
        super::votes::rule_name(code)
    }
    pub fn members_text(&self) -> String {
        self.committee.as_ref().map(|c| c.members.iter().map(|m| format!("{}，{}", m.name, position_zh(&m.position))).collect::<Vec<_>>().join("\n")).unwrap_or_default()
    }
}

async fn page(state: &AppState, lang: Lang, u: &User, id: i64, s: Option<Submitted>, alert: Option<String>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let covenant = asm::covenant(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let committee = asm::committee(db, a, id, today).await?;
    let e = reg::get_estate(db, a, id, today).await?;
    let c = PageCtx::new(lang, &u.0, "estates", format!("{} · {}", e.name, lang.t("业主大会与业主委员会")))
        .with_region(region::path(db, &e.region_code).await?)
        .crumb(e.name.clone(), format!("/estates/{id}"))
        .crumb(lang.t("业主大会与业主委员会"), "")
        .here(format!("/estates/{id}/assembly"));
    let keeps = a.can(Action::Edit, Resource::Vote);
    let s = s.unwrap_or_else(|| {
        let mut m = std::collections::HashMap::new();
        if let Some(cv) = &covenant {
            m.insert("rule_set".into(), cv.rule_set_code.clone());
            m.insert("silent_vote".into(), if cv.silent_vote { "1".into() } else { String::new() });
            m.insert("silent_clause".into(), cv.silent_clause.clone());
            m.insert("procedure_text".into(), cv.procedure_text.clone());
            m.insert("covenant_filed_on".into(), cv.filed_on.map(|d| d.to_string()).unwrap_or_default());
        }
        if let Some(cm) = &committee {
            m.insert("term_start".into(), cm.term_start.to_string());
            m.insert("term_end".into(), cm.term_end.to_string());
            m.insert("committee_filed_on".into(), cm.filed_on.map(|d| d.to_string()).unwrap_or_default());
        }
        Submitted(m)
    });
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut p = AssemblyPage { c, e, covenant, committee, keeps, s, alert };
    if p.s.get("members").is_empty() {
        let t = p.members_text();
        p.s.0.insert("members".into(), t);
    }
    Ok((status, render(&p)?).into_response())
}

pub async fn assembly(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    page(&state, lang, &u, id, None, None).await
}

fn alert_of(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

fn errs_line(errs: &Errors) -> String {
    let mut v: Vec<String> = errs.0.iter().map(|(k, m)| format!("{}：{m}", label(k))).collect();
    v.sort();
    v.join("；")
}

fn label(k: &str) -> &str {
    match k {
        "covenant_filed_on" | "committee_filed_on" => "备案日期",
        "term_start" => "任期开始",
        "term_end" => "任期届满",
        "members" => "委员",
        "rule_set" => "表决规则",
        other => other,
    }
}

/// Records the covenant's clauses (rule set, silent-vote clause, rules of procedure, filing).
pub async fn set_covenant(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    asm::covenant(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let filed_on = errs.date(&s, "covenant_filed_on", false);
    let rule_set_code = s.opt("rule_set").unwrap_or_else(|| "civil_code_2021".into());
    if !errs.is_empty() {
        return page(&state, lang, &u, id, Some(s.clone()), Some(errs_line(&errs))).await;
    }
    let c = CovenantInput { rule_set_code, silent_vote: s.get("silent_vote") == "1", silent_clause: s.get("silent_clause"), procedure_text: s.get("procedure_text"), filed_on };
    match asm::set_covenant(&state.db, u.access(), id, &c, state.today()).await {
        Ok(()) => Ok(Redirect::to(&format!("/estates/{id}/assembly")).into_response()),
        Err(e) => page(&state, lang, &u, id, Some(s), Some(alert_of(e)?)).await,
    }
}

/// Parses the members, one per line: `name` or `name，position` (主任 / 副主任 / 委员).
pub fn parse_members(text: &str) -> Result<Vec<Member>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (name, pos) = line.split_once(['，', ',', '\t']).unwrap_or((line, ""));
        let position = position_code(pos).ok_or_else(|| format!("第 {} 行：职务「{}」应为 主任、副主任 或 委员", i + 1, pos.trim()))?;
        out.push(Member { name: name.trim().to_string(), position: position.to_string(), owner_id: None });
    }
    Ok(out)
}

/// Records a new committee (term and members); the latest is the current one.
pub async fn set_committee(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    asm::committee(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let mut errs = Errors::default();
    let term_start = errs.date(&s, "term_start", true);
    let term_end = errs.date(&s, "term_end", true);
    let filed_on = errs.date(&s, "committee_filed_on", false);
    let members = match parse_members(&s.get("members")) {
        Ok(m) => m,
        Err(m) => {
            errs.add("members", m);
            Vec::new()
        }
    };
    let (Some(term_start), Some(term_end)) = (term_start, term_end) else {
        return page(&state, lang, &u, id, Some(s.clone()), Some(errs_line(&errs))).await;
    };
    if !errs.is_empty() {
        return page(&state, lang, &u, id, Some(s.clone()), Some(errs_line(&errs))).await;
    }
    match asm::set_committee(&state.db, u.access(), id, &CommitteeInput { term_start, term_end, members, filed_on }, state.today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/estates/{id}/assembly")).into_response()),
        Err(e) => page(&state, lang, &u, id, Some(s), Some(alert_of(e)?)).await,
    }
}
