//! Owners' assembly votes (Civil Code Art 278): an estate's votes, drafting a vote, and a
//! vote's page with its lifecycle buttons, the owner's online ballot, the committee's
//! paper and proxy entry, the results per matter and the owner's receipt. Every access
//! check is the store's ([`wuye_store::assembly`]).

use super::registry::FormPage;
use super::render;
use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::{Errors, Field, Submitted, refill};
use crate::i18n::Lang;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;
use wuye_domain::assembly::{Choice, Matter, MatterKind, MatterResult, VoteState, VoterId};
use wuye_store::assembly::{self as asm, Method, NewVote, ReceiptCheck, Vote};
use wuye_store::registry::{self as reg, Estate};
use wuye_store::{StoreError, region};

type PageResult = Result<Response, PageError>;

/// Store errors on an action: shown on the page when the store explains (invalid,
/// conflict), else the error page.
fn alert_of(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

/// The rule set's name for a code.
pub fn rule_name(code: &str) -> String {
    asm::rule_set(code).map(|r| r.name).unwrap_or_else(|| code.to_string())
}

/// Chinese label of a vote state.
pub fn state_zh(v: &Vote) -> &'static str {
    v.state().label_zh()
}

/// Badge colour of a vote state.
pub fn state_css(v: &Vote) -> &'static str {
    match v.state() {
        VoteState::Draft => "grey",
        VoteState::Announced | VoteState::Open => "amber",
        VoteState::Closed | VoteState::Published => "green",
    }
}

/// One row of an estate's list of votes.
pub struct VoteRow {
    pub v: Vote,
    /// Participation of the first matter (area · heads), once a tally is available.
    pub participation: Option<String>,
}

#[derive(Template)]
#[template(path = "votes.html")]
pub struct VotesPage {
    pub c: PageCtx,
    pub e: Estate,
    pub rows: Vec<VoteRow>,
}

async fn estate_ctx(state: &AppState, lang: Lang, u: &User, id: i64, title: String) -> Result<(Estate, PageCtx), PageError> {
    let e = reg::get_estate(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let c = PageCtx::new(lang, &u.0, "estates", title).with_region(region::path(&state.db, &e.region_code).await?).crumb(e.name.clone(), format!("/estates/{id}"));
    Ok((e, c))
}

pub async fn votes(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let today = state.today();
    let list = asm::list_votes(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (e, c) = estate_ctx(&state, lang, &u, id, lang.t("业主大会表决").to_string()).await?;
    let c = c.crumb(lang.t("业主大会表决"), "").here(format!("/estates/{id}/votes"));
    let mut rows = Vec::with_capacity(list.len());
    for v in list {
        let participation = match v.state() {
            VoteState::Closed | VoteState::Published => asm::tally(&state.db, u.access(), v.id, today)
                .await
                .ok()
                .and_then(|r| r.into_iter().next())
                .map(|r| format!("{} · {}", r.participation_area.percent, r.participation_heads.percent)),
            _ => None,
        };
        rows.push(VoteRow { v, participation });
    }
    Ok(render(&VotesPage { c, e, rows })?.into_response())
}

// ---------------------------------------------------------------------------------------
// Drafting a vote

/// How many matters the form offers.
pub const FORM_MATTERS: usize = 3;

const KIND_NAMES: [&str; FORM_MATTERS] = ["kind1", "kind2", "kind3"];
const TEXT_NAMES: [&str; FORM_MATTERS] = ["text1", "text2", "text3"];
const KIND_LABELS: [&str; FORM_MATTERS] = ["事项一类型", "事项二类型", "事项三类型"];
const TEXT_LABELS: [&str; FORM_MATTERS] = ["事项一内容", "事项二内容", "事项三内容"];

/// The nine matters of Art 278 ¶1, with their item numbers.
fn kind_options(optional: bool) -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = Vec::new();
    if optional {
        v.push((String::new(), "—"));
    }
    v.extend(MatterKind::ALL.iter().map(|k| (k.code().to_string(), k.label_zh())));
    v
}

fn vote_fields() -> Vec<Field> {
    let mut f = vec![
        Field::text("title", "表决标题").required(),
        Field::select(
            "rule_set",
            "表决规则",
            vec![
                (String::new(), "按管理规约（未记录时按民法典）"),
                ("civil_code_2021".into(), "《民法典》第二百七十八条（2021）"),
                ("pmr_2018_art12".into(), "《物业管理条例》第十二条（2018）"),
            ],
        ),
        Field::date("opens_on", "开始投票日期").required().hint("公告之日起至少 15 天后（《物业管理条例》第十四条）"),
        Field::date("closes_on", "截止日期").required(),
    ];
    for i in 0..FORM_MATTERS {
        let kind = Field::select(KIND_NAMES[i], KIND_LABELS[i], kind_options(i > 0));
        let text = Field::text(TEXT_NAMES[i], TEXT_LABELS[i]);
        if i == 0 {
            f.push(kind.required());
            f.push(text.required());
        } else {
            f.push(kind);
            f.push(text.hint("不需要时留空"));
        }
    }
    f
}

/// Parses the vote form; field errors keyed by field name.
pub fn parse_vote(s: &Submitted) -> Result<NewVote, Errors> {
    let mut errs = Errors::default();
    let title = errs.required(s, "title");
    let opens_on = errs.date(s, "opens_on", true);
    let closes_on = errs.date(s, "closes_on", true);
    let rule_set_code = s.opt("rule_set");
    if let Some(code) = &rule_set_code
        && asm::rule_set(code).is_none()
    {
        errs.add("rule_set", format!("无效的选项 {code:?}"));
    }
    let mut matters = Vec::new();
    for i in 0..FORM_MATTERS {
        let (kn, tn) = (KIND_NAMES[i], TEXT_NAMES[i]);
        if i > 0 && s.get(kn).is_empty() && s.get(tn).is_empty() {
            continue;
        }
        let kind = errs.choice(s, kn, MatterKind::parse);
        let text = errs.required(s, tn);
        if let Some(k) = kind {
            matters.push((k, text));
        }
    }
    if let (Some(o), Some(c)) = (opens_on, closes_on)
        && c < o
    {
        errs.add("closes_on", format!("早于开始投票日期 {o}"));
    }
    match (opens_on, closes_on) {
        (Some(opens_on), Some(closes_on)) if errs.is_empty() => Ok(NewVote { title, rule_set_code, opens_on, closes_on, matters }),
        _ => Err(errs),
    }
}

fn vote_form(c: PageCtx, id: i64, s: &Submitted, errs: &Errors, alert: Option<String>) -> PageResult {
    let mut fields = vote_fields();
    refill(&mut fields, s, errs);
    let status = if errs.is_empty() && alert.is_none() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let alert = alert.or_else(|| (!errs.is_empty()).then(|| c.t("请检查标红的字段").to_string()));
    Ok((status, render(&FormPage { c, action: format!("/estates/{id}/votes/new"), cancel: format!("/estates/{id}/votes"), fields, alert })?).into_response())
}

pub async fn vote_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    // The store decides who reaches the estate's votes.
    asm::list_votes(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (_, c) = estate_ctx(&state, lang, &u, id, lang.t("新建表决").to_string()).await?;
    let c = c.crumb(lang.t("业主大会表决"), format!("/estates/{id}/votes")).crumb(lang.t("新建表决"), "");
    vote_form(c, id, &Submitted::default(), &Errors::default(), None)
}

pub async fn vote_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    // Out of scope is not found, before any validation.
    asm::list_votes(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (_, c) = estate_ctx(&state, lang, &u, id, lang.t("新建表决").to_string()).await?;
    let c = c.crumb(lang.t("业主大会表决"), format!("/estates/{id}/votes")).crumb(lang.t("新建表决"), "");
    match parse_vote(&s) {
        Err(errs) => vote_form(c, id, &s, &errs, None),
        Ok(v) => match asm::create_vote(&state.db, u.access(), id, &v, state.today()).await {
            Ok(vid) => Ok(Redirect::to(&format!("/votes/{vid}")).into_response()),
            Err(e) => vote_form(c, id, &s, &Errors::default(), Some(alert_of(e)?)),
        },
    }
}

// ---------------------------------------------------------------------------------------
// A vote

/// A paper or proxy ballot as the committee entered it.
pub struct EnteredBallot {
    pub id: i64,
    pub method: String,
    pub voter: String,
    pub entered_by: String,
    pub cast_at: String,
    pub has_scan: bool,
}

/// A matter with its text and, when tallied, its result.
pub struct MatterRow {
    pub m: Matter,
    pub text: String,
    pub r: Option<MatterResult>,
}

#[derive(Template)]
#[template(path = "vote.html")]
pub struct VotePage {
    pub c: PageCtx,
    pub v: Vote,
    pub estate_name: String,
    pub matters: Vec<MatterRow>,
    /// The committee may run the vote and enter ballots.
    pub runs: bool,
    /// An owner of the frozen electorate (may cast online while open).
    pub my_voter: Option<VoterId>,
    /// Voters of the frozen electorate (for the committee's entry form): names, houses,
    /// area, sorted by house.
    pub voters: Vec<asm::VoterLabel>,
    pub receipt: Option<ReceiptCheck>,
    /// Paper and proxy ballots entered by the committee (the committee's view), newest
    /// first: id, method, voter (houses and names), entered by, when, has a scan.
    pub entered: Vec<EnteredBallot>,
    pub alert: Option<String>,
    pub notice: Option<String>,
}

impl VotePage {
    pub fn is(&self, s: &str) -> bool {
        self.v.state == s
    }
    pub fn tallied(&self) -> bool {
        self.matters.iter().any(|m| m.r.is_some())
    }
}

async fn vote_page(state: &AppState, lang: Lang, u: &User, id: i64, alert: Option<String>, notice: Option<String>) -> PageResult {
    let today = state.today();
    let db = &state.db;
    let a = u.access();
    let v = asm::get_vote(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let e = reg::get_estate(db, a, v.estate_id, today).await?;
    // The count once voting has ended (the committee's until published, then everyone's);
    // no running count while the vote is open.
    let results: Vec<MatterResult> = match v.state() {
        // A closed, unpublished count is the committee's: for others it is Forbidden and
        // shows as no count; any other error is an error.
        VoteState::Closed | VoteState::Published => match asm::tally(db, a, id, today).await {
            Err(wuye_store::StoreError::Forbidden(_)) => Vec::new(),
            r => r?,
        },
        _ => Vec::new(),
    };
    let matters = asm::matters(db, a, id, today)
        .await?
        .into_iter()
        .map(|(m, text)| MatterRow { r: results.iter().find(|r| r.matter_no == m.no).cloned(), m, text })
        .collect();
    let runs = a.can(wuye_domain::account::Action::Edit, wuye_domain::account::Resource::Vote);
    let my_voter = asm::my_voter(db, a, id, today).await?;
    let labels = if runs && matches!(v.state(), VoteState::Open | VoteState::Closed | VoteState::Published) { asm::voter_labels(db, a, id, today).await? } else { Vec::new() };
    let entered: Vec<EnteredBallot> = if labels.is_empty() {
        Vec::new()
    } else {
        let mut rows: Vec<EnteredBallot> = asm::ballot_history(db, a, id, today)
            .await?
            .into_iter()
            .filter(|b| b.method != "online")
            .map(|b| EnteredBallot {
                voter: labels.iter().find(|l| l.key == b.voter_key).map(|l| format!("{} · {}", l.houses, l.names)).unwrap_or_else(|| b.voter_key.clone()),
                method: b.method,
                entered_by: b.entered_by,
                cast_at: b.cast_at.chars().take(16).collect::<String>().replace('T', " "),
                has_scan: b.attachment_id.is_some(),
                id: b.id,
            })
            .collect();
        rows.reverse();
        rows
    };
    let voters = if v.state() == VoteState::Open { labels } else { Vec::new() };
    let receipt = match (v.state(), my_voter) {
        (VoteState::Published, Some(me)) => asm::receipt(db, a, id, me, today).await.ok(),
        _ => None,
    };
    let c = PageCtx::new(lang, &u.0, "estates", v.title.clone())
        .with_region(region::path(db, &e.region_code).await?)
        .crumb(e.name.clone(), format!("/estates/{}", e.id))
        .crumb(lang.t("业主大会表决"), format!("/estates/{}/votes", e.id))
        .crumb(v.title.clone(), "")
        .here(format!("/votes/{id}"));
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&VotePage { c, v, estate_name: e.name, matters, runs, my_voter, voters, receipt, entered, alert, notice })?).into_response())
}

pub async fn vote(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    vote_page(&state, lang, &u, id, None, None).await
}

async fn step(state: &AppState, lang: Lang, u: &User, id: i64, r: Result<(), StoreError>) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/votes/{id}")).into_response()),
        Err(e) => vote_page(state, lang, u, id, Some(alert_of(e)?), None).await,
    }
}

pub async fn vote_announce(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let r = asm::announce(&state.db, u.access(), id, state.today()).await;
    step(&state, lang, &u, id, r).await
}

pub async fn vote_open(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let r = asm::open(&state.db, u.access(), id, state.today()).await.map(|_| ());
    step(&state, lang, &u, id, r).await
}

pub async fn vote_close(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let r = asm::close(&state.db, u.access(), id, state.today()).await;
    step(&state, lang, &u, id, r).await
}

pub async fn vote_publish(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let r = asm::publish(&state.db, u.access(), id, state.today()).await.map(|_| ());
    step(&state, lang, &u, id, r).await
}

/// The choices of a ballot form: `m<no>` = agree | disagree | abstain (blank: not voted).
fn choices_of(s: &Submitted) -> Result<BTreeMap<u32, Choice>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in &s.0 {
        let Some(no) = k.strip_prefix('m').and_then(|n| n.parse::<u32>().ok()) else { continue };
        if v.trim().is_empty() {
            continue;
        }
        let c = Choice::parse(v).ok_or_else(|| format!("事项 {no}：无效的选项「{v}」"))?;
        out.insert(no, c);
    }
    Ok(out)
}

/// An owner's own ballot, online.
pub async fn vote_ballot(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    asm::get_vote(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let choices = match choices_of(&s) {
        Ok(c) => c,
        Err(m) => return vote_page(&state, lang, &u, id, Some(m), None).await,
    };
    match asm::cast(&state.db, u.access(), id, &Method::Online, &choices, state.today()).await {
        Ok(r) => vote_page(&state, lang, &u, id, None, Some(format!("{}：{}", lang.t("表决票已提交，回执码"), r.receipt))).await,
        Err(e) => vote_page(&state, lang, &u, id, Some(alert_of(e)?), None).await,
    }
}

/// A paper or proxy ballot entered by the committee. The form is multipart: a paper
/// ballot needs the scan of the signed paper (field `scan`: PNG, JPEG or PDF, at most
/// 5 MB); a proxy ballot the text of the written authorisation.
pub async fn vote_enter_ballot(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, req: axum::extract::Request) -> PageResult {
    // Out of scope is not found, before the body is read.
    asm::get_vote(&state.db, u.access(), id, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let (s, mut files) = match crate::form::form_with_files(req).await {
        Ok(x) => x,
        Err(m) => return vote_page(&state, lang, &u, id, Some(m), None).await,
    };
    let Some(voter) = VoterId::parse(&s.get("voter")) else {
        return vote_page(&state, lang, &u, id, Some(format!("投票人：无效的编号「{}」，应为 owner:编号 或 developer", s.get("voter"))), None).await;
    };
    let method = match s.get("method").as_str() {
        "proxy" => Method::Proxy { voter, authorisation: s.get("authorisation") },
        // Without a file the store refuses (after its permission check) and says why.
        _ => {
            let f = files.remove("scan").unwrap_or_default();
            Method::Paper { voter, scan: asm::Scan { file_name: f.file_name, bytes: f.bytes } }
        }
    };
    let choices = match choices_of(&s) {
        Ok(c) => c,
        Err(m) => return vote_page(&state, lang, &u, id, Some(m), None).await,
    };
    match asm::cast(&state.db, u.access(), id, &method, &choices, state.today()).await {
        Ok(r) => vote_page(&state, lang, &u, id, None, Some(format!("{} {}：{}", lang.t("已录入投票人"), r.voter, r.receipt))).await,
        Err(e) => vote_page(&state, lang, &u, id, Some(alert_of(e)?), None).await,
    }
}

/// The scan of a paper ballot, as uploaded: for the owners' committee of the estate and
/// the regulators and street offices of its region (the store decides).
pub async fn vote_ballot_scan(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path((id, ballot)): Path<(i64, i64)>) -> PageResult {
    let scan = asm::ballot_scan(&state.db, u.access(), id, ballot, state.today()).await.map_err(|x| PageError::from(x).lang(lang))?;
    let ext = match scan.content_type.as_str() {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "pdf",
    };
    let disposition = format!("inline; filename=\"ballot-{ballot}.{ext}\"; filename*=UTF-8''{}", crate::ctx::urlencode(&scan.file_name));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, scan.content_type.clone()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (axum::http::header::CACHE_CONTROL, "private, no-store".to_string()),
            (axum::http::HeaderName::from_static("x-content-sha256"), scan.sha256.clone()),
        ],
        scan.data,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// The published tally

#[derive(Template)]
#[template(path = "vote_published.html")]
pub struct PublishedPage {
    pub c: PageCtx,
    pub v: Vote,
    pub entries: Vec<wuye_domain::assembly::PublishedEntry>,
    /// First broken link of the chain (`None`: intact).
    pub broken_at: Option<usize>,
    /// The caller's own receipt code (an owner who voted).
    pub mine: Option<String>,
}

impl PublishedPage {
    pub fn choices(&self, e: &wuye_domain::assembly::PublishedEntry) -> String {
        e.choices.iter().map(|(no, c)| format!("{no}. {}", self.c.t(c.label_zh()))).collect::<Vec<_>>().join("　")
    }
    pub fn is_mine(&self, e: &wuye_domain::assembly::PublishedEntry) -> bool {
        self.mine.as_deref() == Some(e.receipt.as_str())
    }
}

/// The published tally: every counted ballot by receipt code in chain order, the check of
/// the chain, and the caller's own line marked, so an owner can verify their ballot.
pub async fn vote_published(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let today = state.today();
    let (db, a) = (&state.db, u.access());
    let v = asm::get_vote(db, a, id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let entries = asm::published(db, a, id, today).await?;
    let broken_at = wuye_domain::assembly::verify_chain(id, &entries);
    let mine = match (v.state(), asm::my_voter(db, a, id, today).await?) {
        (VoteState::Published, Some(me)) => asm::receipt(db, a, id, me, today).await.ok().map(|r| r.receipt),
        _ => None,
    };
    let e = reg::get_estate(db, a, v.estate_id, today).await?;
    let c = PageCtx::new(lang, &u.0, "estates", format!("{} · {}", v.title, lang.t("公布的计票")))
        .with_region(region::path(db, &e.region_code).await?)
        .crumb(e.name.clone(), format!("/estates/{}", e.id))
        .crumb(v.title.clone(), format!("/votes/{id}"))
        .crumb(lang.t("公布的计票"), "")
        .here(format!("/votes/{id}/published"));
    Ok(render(&PublishedPage { c, v, entries, broken_at, mine })?.into_response())
}
