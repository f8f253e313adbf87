//! The owners' assembly (业主大会): covenant and rules of procedure, the owners'
//! committee, votes with their matters, the electorate frozen when a vote opens, ballots
//! (an append-only history and one counted ballot per voter), the tally, and the
//! hash-chained published tally with receipts. The rules themselves are
//! [`wuye_domain::assembly`]'s; this module keeps the records and calls them.
//!
//! Concurrency: a cast is one transaction that takes the vote's row (`FOR SHARE` on
//! PostgreSQL, so closing waits for casts in flight and casts after a close see it; SQLite
//! writers are serialised by `BEGIN IMMEDIATE`), upserts the voter's counted ballot (the
//! primary key `(vote_id, voter_key)` serialises casts of one voter), then appends the
//! history row, so the counted ballot is always the voter's latest history row.

use crate::access::Access;
use crate::audit::snapshot;
use crate::db::{Backend, Db, Result, StoreError, batch_rows, dynamic, multi_insert_for};
use crate::{audit, begin_write, on};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use wuye_domain::account::{Action, Resource, Role, Scope};
use wuye_domain::assembly::{
    Ballot, Choice, Electorate, Holder, HouseRow, Matter, MatterKind, MatterResult, MatterSums, PublishedEntry, RuleSet, SilentVote, TallyOptions, Totals,
    VoteDates, VoteState, VoterId, check_published_totals, choices_text, freeze_electorate, parse_choices_text, publish_tally, receipt_code, tally_from_sums,
    validate_committee, verify_chain, vote_transition,
};

/// The rule set of a code: `civil_code_2021` (default) or `pmr_2018_art12`.
pub fn rule_set(code: &str) -> Option<RuleSet> {
    [RuleSet::civil_code_2021(), RuleSet::pmr_2018_art12()].into_iter().find(|r| r.code == code)
}

pub(crate) fn rule_set_or_err(code: &str) -> Result<RuleSet> {
    rule_set(code).ok_or_else(|| StoreError::Invalid(format!("表决规则「{code}」不存在：应为 civil_code_2021（民法典第二百七十八条）或 pmr_2018_art12（物业管理条例第十二条）")))
}

/// Checks that the caller reaches the estate (its scope) and returns its id.
pub(crate) async fn estate_in_scope(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<i64> {
    let sql = format!("SELECT e.id FROM estates e WHERE e.id = $1 AND {}", a.estates_sql("e", today));
    let id: Option<i64> = on!(db, p => sqlx::query_scalar(dynamic(sql)).bind(estate_id).fetch_optional(p).await)?;
    id.ok_or(StoreError::NotFound)
}

// ---------------------------------------------------------------------------------------
// Covenant and committee
// ---------------------------------------------------------------------------------------

/// The covenant's and rules of procedure's clauses that matter to voting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Covenant {
    pub estate_id: i64,
    /// Threshold rule set: `civil_code_2021` or `pmr_2018_art12`.
    pub rule_set_code: String,
    /// Whether the covenant records the silent-vote clause (Guidance Rules 2009 Art 26 ¶2).
    pub silent_vote: bool,
    /// The clause relied on (article and text); required when `silent_vote`.
    pub silent_clause: String,
    /// Rules of procedure: the clauses on voting.
    pub procedure_text: String,
    /// `unfiled` or `filed` (备案).
    pub filing_status: String,
    pub filed_on: Option<NaiveDate>,
}

/// What is recorded of a covenant.
#[derive(Debug, Clone, Serialize)]
pub struct CovenantInput {
    pub rule_set_code: String,
    pub silent_vote: bool,
    pub silent_clause: String,
    pub procedure_text: String,
    /// Date filed with the street office / housing authority, if filed.
    pub filed_on: Option<NaiveDate>,
}

/// Records (or replaces) an estate's covenant clauses. Errors: unknown rule set; silent
/// vote without its clause.
pub async fn set_covenant(db: &Db, a: &Access, estate_id: i64, c: &CovenantInput, today: NaiveDate) -> Result<()> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::Edit, Resource::Vote)?;
    rule_set_or_err(&c.rule_set_code)?;
    if c.silent_vote && c.silent_clause.trim().is_empty() {
        return Err(StoreError::Invalid("沉默票条款：选择「沉默票计入多数」时须写明管理规约或议事规则的条款（指导规则第二十六条第二款）".into()));
    }
    let status = if c.filed_on.is_some() { "filed" } else { "unfiled" };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query(
            "INSERT INTO assembly_covenants (estate_id, rule_set_code, silent_vote, silent_clause, procedure_text, filing_status, filed_on, updated_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
             ON CONFLICT (estate_id) DO UPDATE SET rule_set_code = excluded.rule_set_code, silent_vote = excluded.silent_vote,
               silent_clause = excluded.silent_clause, procedure_text = excluded.procedure_text, filing_status = excluded.filing_status,
               filed_on = excluded.filed_on, updated_at = excluded.updated_at")
            .bind(estate_id).bind(&c.rule_set_code).bind(c.silent_vote).bind(c.silent_clause.trim()).bind(&c.procedure_text)
            .bind(status).bind(c.filed_on).bind(Utc::now().to_rfc3339()).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "set_covenant", "estate", estate_id, None, snapshot(c));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// An estate's covenant, if recorded.
pub async fn covenant(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Option<Covenant>> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::View, Resource::Vote)?;
    Ok(on!(db, p => sqlx::query_as::<_, Covenant>(
        "SELECT estate_id, rule_set_code, silent_vote, silent_clause, procedure_text, filing_status, filed_on FROM assembly_covenants WHERE estate_id = $1")
        .bind(estate_id).fetch_optional(p).await)?)
}

/// A committee member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Member {
    pub name: String,
    /// `director` (主任) | `deputy` (副主任) | `member` (委员).
    pub position: String,
    pub owner_id: Option<i64>,
}

/// An owners' committee and its term.
#[derive(Debug, Clone, Serialize)]
pub struct CommitteeInput {
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub members: Vec<Member>,
    pub filed_on: Option<NaiveDate>,
}

/// The current committee of an estate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Committee {
    pub id: i64,
    pub estate_id: i64,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub filing_status: String,
    pub filed_on: Option<NaiveDate>,
    pub members: Vec<Member>,
}

/// Records a new committee (the latest is the current one) after checking its size and
/// term against the estate's rule set (5–11 members, odd, term ≤ 5 years by default).
pub async fn set_committee(db: &Db, a: &Access, estate_id: i64, c: &CommitteeInput, today: NaiveDate) -> Result<i64> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::Edit, Resource::Vote)?;
    let code = covenant_rule_code(db, estate_id).await?;
    let rules = rule_set_or_err(&code)?;
    let mut errs: Vec<String> = Vec::new();
    if let Err(e) = validate_committee(&rules.committee, c.members.len() as u32, c.term_start, c.term_end) {
        errs.extend(e.iter().map(|e| format!("业主委员会：{e}")));
    }
    for (i, m) in c.members.iter().enumerate() {
        if m.name.trim().is_empty() {
            errs.push(format!("第 {} 名委员：姓名不能为空", i + 1));
        }
        if !matches!(m.position.as_str(), "director" | "deputy" | "member") {
            errs.push(format!("第 {} 名委员：职务「{}」无效，应为 director、deputy 或 member", i + 1, m.position));
        }
    }
    if c.members.iter().filter(|m| m.position == "director").count() != 1 {
        errs.push("业主委员会：应有且只有一名主任（director）".into());
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs.join("；")));
    }
    let status = if c.filed_on.is_some() { "filed" } else { "unfiled" };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar("INSERT INTO committees (estate_id, term_start, term_end, filing_status, filed_on, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id")
            .bind(estate_id).bind(c.term_start).bind(c.term_end).bind(status).bind(c.filed_on).bind(Utc::now().to_rfc3339()).fetch_one(&mut *tx).await?;
        for (i, m) in c.members.iter().enumerate() {
            sqlx::query("INSERT INTO committee_members (committee_id, seat, name, position, owner_id) VALUES ($1,$2,$3,$4,$5)")
                .bind(id).bind(i as i64 + 1).bind(m.name.trim()).bind(&m.position).bind(m.owner_id).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "create", "committee", id, None, snapshot(c));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// The current (latest) committee of an estate.
pub async fn committee(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Option<Committee>> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::View, Resource::Vote)?;
    let row: Option<(i64, NaiveDate, NaiveDate, String, Option<NaiveDate>)> = on!(db, p => sqlx::query_as(
        "SELECT id, term_start, term_end, filing_status, filed_on FROM committees WHERE estate_id = $1 ORDER BY id DESC LIMIT 1")
        .bind(estate_id).fetch_optional(p).await)?;
    let Some((id, term_start, term_end, filing_status, filed_on)) = row else { return Ok(None) };
    let members = on!(db, p => sqlx::query_as::<_, Member>("SELECT name, position, owner_id FROM committee_members WHERE committee_id = $1 ORDER BY seat")
        .bind(id).fetch_all(p).await)?;
    Ok(Some(Committee { id, estate_id, term_start, term_end, filing_status, filed_on, members }))
}

pub(crate) async fn covenant_rule_code(db: &Db, estate_id: i64) -> Result<String> {
    let code: Option<String> = on!(db, p => sqlx::query_scalar("SELECT rule_set_code FROM assembly_covenants WHERE estate_id = $1").bind(estate_id).fetch_optional(p).await)?;
    Ok(code.unwrap_or_else(|| RuleSet::default().code))
}

// ---------------------------------------------------------------------------------------
// Votes
// ---------------------------------------------------------------------------------------

/// A vote to draft.
#[derive(Debug, Clone, Serialize)]
pub struct NewVote {
    pub title: String,
    /// `None`: the covenant's rule set, else the Civil Code's.
    pub rule_set_code: Option<String>,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    /// The matters, numbered 1, 2, … in this order: kind and the text put to the owners.
    pub matters: Vec<(MatterKind, String)>,
}

/// A vote as recorded. Areas in hundredths of m²; the totals are the electorate's,
/// frozen when the vote opens (0 before).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Vote {
    pub id: i64,
    pub estate_id: i64,
    pub title: String,
    pub rule_set_code: String,
    pub state: String,
    pub announced_on: Option<NaiveDate>,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub fund_use_id: Option<i64>,
    pub silent_clause: String,
    pub total_area: i64,
    pub total_heads: i64,
}

impl Vote {
    pub fn state(&self) -> VoteState {
        VoteState::parse(&self.state).unwrap_or(VoteState::Draft)
    }
}

/// Inserts a draft vote and its matters inside the write transaction `$tx` (a
/// [`NewVote`] `$v` already validated, rule set code `$code`); evaluates to its id. Used by
/// [`create_vote`] and by [`crate::fund`] to put a fund use to the vote in the same
/// transaction as the fund use's change of state.
macro_rules! insert_vote {
    ($tx:expr, $estate:expr, $v:expr, $code:expr, $fund_use:expr) => {{
        let v: &$crate::assembly::NewVote = $v;
        let salt = $crate::account::random_token();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO votes (estate_id, title, rule_set_code, state, opens_on, closes_on, salt, fund_use_id, created_at)
             VALUES ($1,$2,$3,'draft',$4,$5,$6,$7,$8) RETURNING id")
            .bind($estate).bind(v.title.trim()).bind($code).bind(v.opens_on).bind(v.closes_on).bind(&salt).bind($fund_use)
            .bind(chrono::Utc::now().to_rfc3339()).fetch_one(&mut *$tx).await?;
        for (i, (kind, text)) in v.matters.iter().enumerate() {
            sqlx::query("INSERT INTO vote_matters (vote_id, no, kind, text) VALUES ($1,$2,$3,$4)")
                .bind(id).bind(i as i64 + 1).bind(kind.code()).bind(text.trim()).execute(&mut *$tx).await?;
        }
        id
    }};
}
pub(crate) use insert_vote;

/// Drafts a vote with its matters.
pub async fn create_vote(db: &Db, a: &Access, estate_id: i64, v: &NewVote, today: NaiveDate) -> Result<i64> {
    create_vote_scoped(db, a, estate_id, v, None, today).await
}

/// Drafts a vote; with `fund_use_id`, its electorate will be the owners of that fund use's
/// houses in scope (the caller, [`crate::fund`], has checked the fund use).
pub(crate) async fn create_vote_scoped(db: &Db, a: &Access, estate_id: i64, v: &NewVote, fund_use_id: Option<i64>, today: NaiveDate) -> Result<i64> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Vote)?;
    let code = match &v.rule_set_code {
        Some(c) => c.clone(),
        None => covenant_rule_code(db, estate_id).await?,
    };
    rule_set_or_err(&code)?;
    validate_vote(v)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id = insert_vote!(tx, estate_id, v, &code, fund_use_id);
        audit!(tx, a.actor(), "create", "vote", id, None, snapshot(v));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// Checks a vote to draft: title, at least one matter, texts, dates.
pub(crate) fn validate_vote(v: &NewVote) -> Result<()> {
    let mut errs = Vec::new();
    if v.title.trim().is_empty() {
        errs.push("表决标题：不能为空".to_string());
    }
    if v.matters.is_empty() {
        errs.push("表决事项：至少一项".to_string());
    }
    for (i, (_, text)) in v.matters.iter().enumerate() {
        if text.trim().is_empty() {
            errs.push(format!("事项 {}：内容不能为空", i + 1));
        }
    }
    if v.closes_on < v.opens_on {
        errs.push(format!("截止日期：{} 早于开始投票日期 {}", v.closes_on, v.opens_on));
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs.join("；")));
    }
    Ok(())
}

const VOTE_COLS: &str = "v.id, v.estate_id, v.title, v.rule_set_code, v.state, v.announced_on, v.opens_on, v.closes_on, v.fund_use_id, v.silent_clause, v.total_area, v.total_heads";

/// A vote in the caller's scope.
pub async fn get_vote(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vote> {
    a.require(Action::View, Resource::Vote)?;
    // A draft is seen only by those who run votes, as in [`list_votes`].
    let drafts = if a.can(Action::Edit, Resource::Vote) { "" } else { " AND v.state <> 'draft'" };
    let sql = format!("SELECT {VOTE_COLS} FROM votes v JOIN estates e ON e.id = v.estate_id WHERE v.id = $1 AND {}{drafts}", a.estates_sql("e", today));
    on!(db, p => sqlx::query_as::<_, Vote>(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// The votes of an estate in the caller's scope, newest first. Drafts are shown only to
/// those who run votes (`Edit` on votes): owners see a vote once it is announced.
pub async fn list_votes(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Vote>> {
    a.require(Action::View, Resource::Vote)?;
    estate_in_scope(db, a, estate_id, today).await?;
    let drafts = if a.can(Action::Edit, Resource::Vote) { "" } else { " AND v.state <> 'draft'" };
    let sql = format!("SELECT {VOTE_COLS} FROM votes v JOIN estates e ON e.id = v.estate_id WHERE v.estate_id = $1 AND {}{drafts} ORDER BY v.id DESC", a.estates_sql("e", today));
    Ok(on!(db, p => sqlx::query_as::<_, Vote>(dynamic(sql)).bind(estate_id).fetch_all(p).await)?)
}

/// The caller's own voter in a vote's frozen electorate (an owner's session), if any.
pub async fn my_voter(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Option<VoterId>> {
    get_vote(db, a, vote_id, today).await?;
    let Scope::Owner(owner) = a.scope() else { return Ok(None) };
    let key: Option<String> = on!(db, p => sqlx::query_scalar("SELECT voter_key FROM vote_voter_owners WHERE vote_id = $1 AND owner_id = $2")
        .bind(vote_id).bind(*owner).fetch_optional(p).await)?;
    Ok(key.and_then(|k| VoterId::parse(&k)))
}

/// The matters of a vote, by number.
pub async fn matters(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Vec<(Matter, String)>> {
    get_vote(db, a, vote_id, today).await?;
    load_matters(db, vote_id).await
}

async fn load_matters(db: &Db, vote_id: i64) -> Result<Vec<(Matter, String)>> {
    let rows: Vec<(i64, String, String)> = on!(db, p => sqlx::query_as("SELECT no, kind, text FROM vote_matters WHERE vote_id = $1 ORDER BY no").bind(vote_id).fetch_all(p).await)?;
    rows.into_iter()
        .map(|(no, kind, text)| {
            let kind = MatterKind::parse(&kind).ok_or_else(|| StoreError::Invalid(format!("事项 {no}：类型「{kind}」无效")))?;
            Ok((Matter { no: no as u32, kind }, text))
        })
        .collect()
}

fn transition_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("表决状态：{e}"))
}

/// Moves a vote `from` → `to` in one transaction (the row update is conditional on the
/// state, so two concurrent transitions cannot both succeed).
macro_rules! set_state {
    ($tx:expr, $id:expr, $from:expr, $to:expr) => {{
        let n = sqlx::query("UPDATE votes SET state = $1 WHERE id = $2 AND state = $3").bind($to.code()).bind($id).bind($from.code()).execute(&mut *$tx).await?.rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict(format!("表决 #{} 已不在「{}」状态", $id, $from.label_zh())));
        }
    }};
}

/// Announces a draft vote today (at least the rule set's notice days before opening).
pub async fn announce(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<()> {
    let v = get_vote(db, a, vote_id, today).await?;
    a.require(Action::Edit, Resource::Vote)?;
    let rules = rule_set_or_err(&v.rule_set_code)?;
    let dates = VoteDates { announced_on: v.announced_on, opens_on: Some(v.opens_on) };
    vote_transition(&rules, v.state(), VoteState::Announced, &dates, today).map_err(transition_err)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, vote_id, VoteState::Draft, VoteState::Announced);
        sqlx::query("UPDATE votes SET announced_on = $1 WHERE id = $2").bind(today).bind(vote_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "announce", "vote", vote_id, None, Some(serde_json::json!({"announced_on": today})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Houses for freezing: (house id, exclusive area, status, owner id if any), one row per
/// ownership.
type FreezeRow = (i64, i64, String, Option<i64>);

/// Builds the domain's house rows: a house is the developer's when it is unsold or sold
/// but not delivered (status `unsold` / `sold`, rules.md §1.3) or has no registered owner.
fn house_rows(rows: Vec<FreezeRow>) -> Vec<HouseRow> {
    let mut out: Vec<HouseRow> = Vec::new();
    let mut owners: BTreeMap<i64, (i64, String, Vec<i64>)> = BTreeMap::new();
    for (hid, area, status, owner) in rows {
        let e = owners.entry(hid).or_insert((area, status, Vec::new()));
        if let Some(o) = owner {
            e.2.push(o);
        }
    }
    for (hid, (area, status, mut os)) in owners {
        os.sort_unstable();
        os.dedup();
        let holder = if os.is_empty() || status == "unsold" || status == "sold" { Holder::DeveloperUnsold } else { Holder::Owners(os) };
        out.push(HouseRow { house_id: hid, exclusive_area: area, holder, co_owner_group: None });
    }
    out
}

fn id_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    format!(",{},", ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(","))
}

fn parse_id_list(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|x| x.parse().ok()).collect()
}

/// Opens an announced vote today, freezing its electorate from the registry's houses and
/// ownerships as they are now (only the houses in scope for a fund-use vote), and the
/// covenant's silent-vote clause. Returns the electorate's totals.
pub async fn open(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Totals> {
    let v = get_vote(db, a, vote_id, today).await?;
    a.require(Action::Edit, Resource::Vote)?;
    let rules = rule_set_or_err(&v.rule_set_code)?;
    let dates = VoteDates { announced_on: v.announced_on, opens_on: Some(v.opens_on) };
    vote_transition(&rules, v.state(), VoteState::Open, &dates, today).map_err(transition_err)?;
    let backend = db.backend();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, vote_id, VoteState::Announced, VoteState::Open);
        let rows: Vec<FreezeRow> = match v.fund_use_id {
            None => sqlx::query_as("SELECT h.id, h.exclusive_area, h.status, o.owner_id FROM houses h LEFT JOIN ownerships o ON o.house_id = h.id WHERE h.estate_id = $1 ORDER BY h.id")
                .bind(v.estate_id).fetch_all(&mut *tx).await?,
            Some(fu) => sqlx::query_as(
                "SELECT h.id, h.exclusive_area, h.status, o.owner_id FROM houses h JOIN fund_use_houses fh ON fh.house_id = h.id AND fh.fund_use_id = $2
                 LEFT JOIN ownerships o ON o.house_id = h.id WHERE h.estate_id = $1 ORDER BY h.id")
                .bind(v.estate_id).bind(fu).fetch_all(&mut *tx).await?,
        };
        let electorate = freeze_electorate(&house_rows(rows))
            .map_err(|es| StoreError::Invalid(format!("冻结表决名册：{}", es.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("；"))))?;
        let clause: String = sqlx::query_scalar("SELECT CASE WHEN silent_vote THEN silent_clause ELSE '' END FROM assembly_covenants WHERE estate_id = $1")
            .bind(v.estate_id).fetch_optional(&mut *tx).await?.unwrap_or_default();
        for chunk in electorate.voters.chunks(batch_rows(5)) {
            let sql = multi_insert_for(backend, "INSERT INTO vote_electorate (vote_id, voter_key, area, house_ids, owner_ids)", 5, chunk.len());
            let mut q = sqlx::query(dynamic(sql));
            for voter in chunk {
                q = q.bind(vote_id).bind(voter.id.code()).bind(voter.area).bind(id_list(&voter.house_ids)).bind(id_list(&voter.owner_ids));
            }
            q.execute(&mut *tx).await?;
        }
        let owners: Vec<(i64, String)> = electorate.voters.iter().flat_map(|v| v.owner_ids.iter().map(move |o| (*o, v.id.code()))).collect();
        for chunk in owners.chunks(batch_rows(3)) {
            let sql = multi_insert_for(backend, "INSERT INTO vote_voter_owners (vote_id, owner_id, voter_key)", 3, chunk.len());
            let mut q = sqlx::query(dynamic(sql));
            for (owner, key) in chunk {
                q = q.bind(vote_id).bind(*owner).bind(key);
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE votes SET total_area = $1, total_heads = $2, silent_clause = $3 WHERE id = $4")
            .bind(electorate.totals.area).bind(electorate.totals.heads).bind(&clause).bind(vote_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "open", "vote", vote_id, None, Some(serde_json::json!({"opened_on": today, "total_area": electorate.totals.area, "total_heads": electorate.totals.heads})));
        tx.commit().await?;
        Ok::<Totals, StoreError>(electorate.totals)
    })
}

/// Closes an open vote: no ballot is accepted afterwards.
pub async fn close(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<()> {
    let v = get_vote(db, a, vote_id, today).await?;
    a.require(Action::Edit, Resource::Vote)?;
    let rules = rule_set_or_err(&v.rule_set_code)?;
    vote_transition(&rules, v.state(), VoteState::Closed, &VoteDates::default(), today).map_err(transition_err)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, vote_id, VoteState::Open, VoteState::Closed);
        audit!(tx, a.actor(), "close", "vote", vote_id, None, Some(serde_json::json!({"closed_on": today})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// How a ballot reached the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// Cast online by the owner themself (an owner's session).
    Online,
    /// By a proxy, entered with the text of the written authorisation (PMR Art 12 ¶2).
    Proxy { voter: VoterId, authorisation: String },
    /// From a paper ballot, entered by the committee with the scan of the signed paper
    /// attached (PMR Art 12, Guidance Rules 2009 Art 22: the owner's own signature).
    Paper { voter: VoterId, scan: Scan },
}

/// The largest scan accepted: 5 MB.
pub const SCAN_MAX_BYTES: usize = 5 * 1024 * 1024;

/// An uploaded scan of a paper ballot: its file name as uploaded and its bytes. The content
/// type is recognised from the bytes ([`Scan::content_type`]), not taken from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl Scan {
    /// `image/png`, `image/jpeg` or `application/pdf` by the file's first bytes, else `None`.
    pub fn content_type(&self) -> Option<&'static str> {
        let b = &self.bytes;
        if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some("image/png")
        } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some("image/jpeg")
        } else if b.starts_with(b"%PDF-") {
            Some("application/pdf")
        } else {
            None
        }
    }

    /// Lowercase hex SHA-256 of the bytes.
    pub fn sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(&self.bytes).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Checks the scan: not empty, at most [`SCAN_MAX_BYTES`], a PNG, JPEG or PDF file.
    pub fn validate(&self) -> Result<&'static str> {
        if self.bytes.is_empty() {
            return Err(StoreError::Invalid("纸质表决票扫描件：未上传或文件为空；纸质票须附业主签字的表决票扫描件（PNG、JPEG 或 PDF，不超过 5 MB）".into()));
        }
        if self.bytes.len() > SCAN_MAX_BYTES {
            return Err(StoreError::Invalid(format!("纸质表决票扫描件：文件 {} 字节，超过上限 5 MB（{SCAN_MAX_BYTES} 字节）", self.bytes.len())));
        }
        self.content_type()
            .ok_or_else(|| StoreError::Invalid(format!("纸质表决票扫描件：「{}」不是 PNG、JPEG 或 PDF 文件", self.file_name)))
    }
}

impl Method {
    pub fn code(&self) -> &'static str {
        match self {
            Method::Online => "online",
            Method::Proxy { .. } => "proxy",
            Method::Paper { .. } => "paper",
        }
    }
}

/// What a cast returns: the history row and the voter's receipt code for this ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CastReceipt {
    pub ballot_id: i64,
    pub voter: String,
    pub receipt: String,
}

/// Casts a ballot (or changes it: the last one counts) while the vote is open, only for a
/// voter of the frozen electorate. Online: by an owner's own session (the voter is the one
/// whose owners include the caller). Proxy and paper: entered by the committee. Nothing
/// is written when refused.
pub async fn cast(db: &Db, a: &Access, vote_id: i64, method: &Method, choices: &BTreeMap<u32, Choice>, today: NaiveDate) -> Result<CastReceipt> {
    get_vote(db, a, vote_id, today).await?;
    match method {
        Method::Online => {
            a.require(Action::View, Resource::Vote)?;
            if a.role() != Role::Owner {
                return Err(StoreError::Forbidden("网上投票须由业主本人登录提交；代理投票或纸质票请由业主委员会录入".into()));
            }
        }
        Method::Proxy { authorisation, .. } => {
            a.require(Action::Edit, Resource::Vote)?;
            if authorisation.trim().is_empty() {
                return Err(StoreError::Invalid("授权委托书：代理投票须录入业主的书面授权内容".into()));
            }
        }
        Method::Paper { scan, .. } => {
            a.require(Action::Edit, Resource::Vote)?;
            scan.validate()?;
        }
    }
    let matters = load_matters(db, vote_id).await?;
    if choices.is_empty() {
        return Err(StoreError::Invalid("表决票：至少对一个事项作出选择".into()));
    }
    if let Some(no) = choices.keys().find(|no| !matters.iter().any(|(m, _)| m.no == **no)) {
        return Err(StoreError::Invalid(format!("表决票：事项 {no} 不在本次表决中")));
    }
    let text = choices_text(choices);
    let lock_sql: &'static str = match db.backend() {
        Backend::Postgres => "SELECT state, closes_on, salt FROM votes WHERE id = $1 FOR SHARE",
        Backend::Sqlite => "SELECT state, closes_on, salt FROM votes WHERE id = $1",
    };
    let (authorisation, scan) = match method {
        Method::Proxy { authorisation, .. } => (authorisation.trim().to_string(), None),
        Method::Paper { scan, .. } => (String::new(), Some(scan)),
        Method::Online => (String::new(), None),
    };
    let scan_meta = scan.map(|s| (s.validate().unwrap_or("application/octet-stream"), s.sha256()));
    let now = Utc::now().to_rfc3339();
    let owner_scope = match a.scope() {
        Scope::Owner(id) => Some(*id),
        _ => None,
    };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let (state, closes_on, salt): (String, NaiveDate, String) = sqlx::query_as(lock_sql).bind(vote_id).fetch_one(&mut *tx).await?;
        if state != VoteState::Open.code() {
            let s = VoteState::parse(&state).map(|s| s.label_zh()).unwrap_or("未知");
            return Err(StoreError::Invalid(format!("表决 #{vote_id} 当前为「{s}」，只有投票中的表决可以投票")));
        }
        if today > closes_on {
            return Err(StoreError::Invalid(format!("表决 #{vote_id} 已于 {closes_on} 截止，不能再投票")));
        }
        let (voter, area): (VoterId, i64) = match method {
            Method::Online => {
                let owner = owner_scope.ok_or_else(|| StoreError::Forbidden("网上投票须由业主本人登录提交".into()))?;
                let row: Option<(String, i64)> = sqlx::query_as(
                    "SELECT e.voter_key, e.area FROM vote_voter_owners o JOIN vote_electorate e ON e.vote_id = o.vote_id AND e.voter_key = o.voter_key
                     WHERE o.vote_id = $1 AND o.owner_id = $2")
                    .bind(vote_id).bind(owner).fetch_optional(&mut *tx).await?;
                let (key, area) = row.ok_or_else(|| StoreError::Forbidden(format!("您不在表决 #{vote_id} 的表决名册中（名册在开始投票时冻结）")))?;
                (VoterId::parse(&key).ok_or_else(|| StoreError::Invalid(format!("名册中的投票人编号「{key}」无效")))?, area)
            }
            Method::Proxy { voter, .. } | Method::Paper { voter, .. } => {
                let area: Option<i64> = sqlx::query_scalar("SELECT area FROM vote_electorate WHERE vote_id = $1 AND voter_key = $2")
                    .bind(vote_id).bind(voter.code()).fetch_optional(&mut *tx).await?;
                let Some(area) = area else {
                    return Err(StoreError::Forbidden(format!("投票人 {voter} 不在表决 #{vote_id} 的表决名册中")));
                };
                (*voter, area)
            }
        };
        let key = voter.code();
        // The counted row first: it serialises casts of one voter, so the history row
        // appended next is this voter's latest.
        sqlx::query("INSERT INTO counted_ballots (vote_id, voter_key, ballot_id, choices) VALUES ($1,$2,0,$3)
                     ON CONFLICT (vote_id, voter_key) DO UPDATE SET ballot_id = 0, choices = excluded.choices")
            .bind(vote_id).bind(&key).bind(&text).execute(&mut *tx).await?;
        let ballot_id: i64 = sqlx::query_scalar(
            "INSERT INTO ballots (vote_id, voter_key, method, authorisation, attachment_id, entered_by, cast_at, choices) VALUES ($1,$2,$3,$4,NULL,$5,$6,$7) RETURNING id")
            .bind(vote_id).bind(&key).bind(method.code()).bind(&authorisation).bind(&a.actor().name)
            .bind(&now).bind(&text).fetch_one(&mut *tx).await?;
        if let (Some(scan), Some((content_type, sha))) = (scan, &scan_meta) {
            sqlx::query("INSERT INTO ballot_scans (ballot_id, vote_id, file_name, content_type, size, sha256, data, uploaded_by, uploaded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)")
                .bind(ballot_id).bind(vote_id).bind(scan.file_name.trim()).bind(*content_type).bind(scan.bytes.len() as i64).bind(sha)
                .bind(&scan.bytes).bind(&a.actor().name).bind(&now).execute(&mut *tx).await?;
            // The history row names its scan (the scan is keyed by the ballot's id).
            sqlx::query("UPDATE ballots SET attachment_id = $1 WHERE id = $1").bind(ballot_id).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE counted_ballots SET ballot_id = $1 WHERE vote_id = $2 AND voter_key = $3").bind(ballot_id).bind(vote_id).bind(&key).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM counted_choices WHERE vote_id = $1 AND voter_key = $2").bind(vote_id).bind(&key).execute(&mut *tx).await?;
        for (no, c) in choices {
            sqlx::query("INSERT INTO counted_choices (vote_id, voter_key, matter_no, choice, area) VALUES ($1,$2,$3,$4,$5)")
                .bind(vote_id).bind(&key).bind(*no as i64).bind(c.code()).bind(area).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "cast", "vote", vote_id, None, Some(serde_json::json!({"ballot_id": ballot_id, "voter": key, "method": method.code(),
            "scan_sha256": scan_meta.as_ref().map(|m| m.1.clone())})));
        tx.commit().await?;
        let receipt = receipt_code(vote_id, voter, &text, salt.as_bytes());
        Ok::<CastReceipt, StoreError>(CastReceipt { ballot_id, voter: key, receipt })
    })
}

/// One row of the ballot history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct BallotRow {
    pub id: i64,
    pub voter_key: String,
    pub method: String,
    pub authorisation: String,
    pub attachment_id: Option<i64>,
    pub entered_by: String,
    pub cast_at: String,
    pub choices: String,
}

impl BallotRow {
    pub fn ballot(&self) -> Option<Ballot> {
        Some(Ballot { voter: VoterId::parse(&self.voter_key)?, choices: parse_choices_text(&self.choices)? })
    }
}

/// Every ballot cast on a vote, in casting order (for the committee and the tests).
pub async fn ballot_history(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Vec<BallotRow>> {
    get_vote(db, a, vote_id, today).await?;
    a.require(Action::Edit, Resource::Vote)?;
    Ok(on!(db, p => sqlx::query_as::<_, BallotRow>(
        "SELECT id, voter_key, method, authorisation, attachment_id, entered_by, cast_at, choices FROM ballots WHERE vote_id = $1 ORDER BY id")
        .bind(vote_id).fetch_all(p).await)?)
}

/// The scan of a paper ballot as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StoredScan {
    pub ballot_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    #[serde(skip)]
    pub data: Vec<u8>,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// The scan attached to a ballot of a vote. Seen by those who run the estate's votes (the
/// owners' committee) and by the regulators and street offices whose region holds the
/// estate — not by owners (the paper shows a name and a signature). Errors: not found
/// (vote out of scope, no such ballot in this vote, or no scan); forbidden (another role).
pub async fn ballot_scan(db: &Db, a: &Access, vote_id: i64, ballot_id: i64, today: NaiveDate) -> Result<StoredScan> {
    get_vote(db, a, vote_id, today).await?;
    let supervises = matches!(a.role(), Role::Regulator | Role::Street) && a.can(Action::View, Resource::Vote);
    if !supervises {
        a.require(Action::Edit, Resource::Vote)?;
    }
    on!(db, p => sqlx::query_as::<_, StoredScan>(
        "SELECT ballot_id, file_name, content_type, size, sha256, data, uploaded_by, uploaded_at FROM ballot_scans WHERE vote_id = $1 AND ballot_id = $2")
        .bind(vote_id).bind(ballot_id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// The counted ballot of each voter, ordered by voter id, with its history id.
pub async fn counted_ballots(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Vec<(i64, Ballot)>> {
    get_vote(db, a, vote_id, today).await?;
    a.require(Action::Edit, Resource::Vote)?;
    load_counted(db, vote_id).await
}

async fn load_counted(db: &Db, vote_id: i64) -> Result<Vec<(i64, Ballot)>> {
    let rows: Vec<(String, i64, String)> = on!(db, p => sqlx::query_as("SELECT voter_key, ballot_id, choices FROM counted_ballots WHERE vote_id = $1 ORDER BY voter_key")
        .bind(vote_id).fetch_all(p).await)?;
    rows.into_iter()
        .map(|(k, id, c)| {
            let voter = VoterId::parse(&k).ok_or_else(|| StoreError::Invalid(format!("计票表中投票人编号「{k}」无效")))?;
            let choices = parse_choices_text(&c).ok_or_else(|| StoreError::Invalid(format!("投票人 {k} 的计票内容「{c}」无效")))?;
            Ok((id, Ballot { voter, choices }))
        })
        .collect::<Result<Vec<_>>>()
        .map(|mut v| {
            v.sort_by_key(|(_, b)| b.voter);
            v
        })
}

/// The frozen electorate of a vote (empty before it opens).
pub async fn electorate(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Electorate> {
    let v = get_vote(db, a, vote_id, today).await?;
    load_electorate(db, &v).await
}

async fn load_electorate(db: &Db, v: &Vote) -> Result<Electorate> {
    let rows: Vec<(String, i64, String, String)> = on!(db, p => sqlx::query_as("SELECT voter_key, area, house_ids, owner_ids FROM vote_electorate WHERE vote_id = $1")
        .bind(v.id).fetch_all(p).await)?;
    let mut voters = rows
        .into_iter()
        .filter_map(|(k, area, h, o)| Some(wuye_domain::assembly::Voter { id: VoterId::parse(&k)?, owner_ids: parse_id_list(&o), house_ids: parse_id_list(&h), area }))
        .collect::<Vec<_>>();
    voters.sort_by_key(|x| x.id);
    Ok(Electorate { voters, totals: Totals { area: v.total_area, heads: v.total_heads } })
}

/// A voter of a vote's frozen electorate as the committee picks them for a paper or proxy
/// ballot: the owners' names and the houses, not only the internal key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoterLabel {
    /// The voter key (`owner:17`, `developer`), the value the form sends.
    pub key: String,
    /// The owners' names joined with "、"; for the developer's unsold or undelivered houses
    /// "开发建设单位" (the registry does not record the developer's name).
    pub names: String,
    /// The houses as "3号楼2单元501", joined with "、" (the first three, then "等 N 套").
    pub houses: String,
    /// The voter's exclusive area in hundredths of m².
    pub area: i64,
}

/// Sort key of a building, unit or room number: numbers in numeric order, then text.
fn natural(s: &str) -> (u64, String) {
    (s.parse::<u64>().unwrap_or(u64::MAX), s.to_string())
}

/// The voters of a vote's frozen electorate with names and houses, sorted by their first
/// house (building, unit, room, numbers in numeric order); the developer last. For those
/// who run the vote (the owners' committee), who enter paper and proxy ballots.
pub async fn voter_labels(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Vec<VoterLabel>> {
    let v = get_vote(db, a, vote_id, today).await?;
    a.require(Action::Edit, Resource::Vote)?;
    let electorate = load_electorate(db, &v).await?;
    let houses: Vec<(i64, String, String, String)> = on!(db, p => sqlx::query_as(
        "SELECT h.id, b.no, u.no, h.room_no FROM houses h JOIN buildings b ON b.id = h.building_id JOIN units u ON u.id = h.unit_id WHERE h.estate_id = $1")
        .bind(v.estate_id).fetch_all(p).await)?;
    let houses: HashMap<i64, (String, String, String)> = houses.into_iter().map(|(id, b, u, r)| (id, (b, u, r))).collect();
    let names: Vec<(i64, String)> = on!(db, p => sqlx::query_as(
        "SELECT o.id, o.name FROM owners o WHERE o.id IN (SELECT owner_id FROM vote_voter_owners WHERE vote_id = $1)")
        .bind(vote_id).fetch_all(p).await)?;
    let names: HashMap<i64, String> = names.into_iter().collect();
    type Key = (bool, Vec<(u64, String)>);
    let mut out: Vec<(Key, VoterLabel)> = electorate
        .voters
        .iter()
        .map(|voter| {
            let mut hs: Vec<&(String, String, String)> = voter.house_ids.iter().filter_map(|h| houses.get(h)).collect();
            hs.sort_by_key(|(b, u, r)| (natural(b), natural(u), natural(r)));
            let mut labels: Vec<String> = hs.iter().take(3).map(|(b, u, r)| wuye_domain::registry::house_label(b, u, r)).collect();
            if hs.len() > 3 {
                labels.push(format!("等 {} 套", hs.len()));
            }
            let key: Key = (voter.id == VoterId::Developer, hs.first().map(|(b, u, r)| vec![natural(b), natural(u), natural(r)]).unwrap_or_default());
            let names = if voter.id == VoterId::Developer {
                "开发建设单位".to_string()
            } else {
                voter.owner_ids.iter().map(|o| names.get(o).cloned().unwrap_or_else(|| format!("业主 #{o}"))).collect::<Vec<_>>().join("、")
            };
            (key, VoterLabel { key: voter.id.code(), names, houses: labels.join("、"), area: voter.area })
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.key.cmp(&b.1.key)));
    Ok(out.into_iter().map(|(_, l)| l).collect())
}

/// Tallies the counted ballots with two SQL aggregates (the electorate's totals, frozen
/// at opening, and per matter and choice the sum of area and count of voters) fed to the
/// domain's [`tally_from_sums`]. The committee may tally while open or closed; everyone
/// who sees the vote once it is published.
pub async fn tally(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Vec<MatterResult>> {
    let v = get_vote(db, a, vote_id, today).await?;
    match v.state() {
        VoteState::Published => {}
        VoteState::Open | VoteState::Closed => a.require(Action::Edit, Resource::Vote)?,
        s => return Err(StoreError::Invalid(format!("表决 #{vote_id} 当前为「{}」，尚无表决票可统计", s.label_zh()))),
    }
    tally_vote(db, &v).await
}

async fn tally_vote(db: &Db, v: &Vote) -> Result<Vec<MatterResult>> {
    let rules = rule_set_or_err(&v.rule_set_code)?;
    let matters = load_matters(db, v.id).await?;
    let (area, heads): (i64, i64) = on!(db, p => sqlx::query_as("SELECT CAST(COALESCE(SUM(area), 0) AS BIGINT), COUNT(*) FROM vote_electorate WHERE vote_id = $1")
        .bind(v.id).fetch_one(p).await)?;
    let rows: Vec<(i64, String, i64, i64)> = on!(db, p => sqlx::query_as(
        "SELECT matter_no, choice, CAST(SUM(area) AS BIGINT), COUNT(*) FROM counted_choices
         WHERE vote_id = $1 GROUP BY matter_no, choice")
        .bind(v.id).fetch_all(p).await)?;
    let mut sums: HashMap<u32, MatterSums> = HashMap::new();
    for (no, choice, area, heads) in rows {
        let s = sums.entry(no as u32).or_default();
        s.participating_area += area;
        s.participating_heads += heads;
        match Choice::parse(&choice) {
            Some(Choice::Agree) => {
                s.agree_area += area;
                s.agree_heads += heads;
            }
            Some(Choice::Disagree) => {
                s.disagree_area += area;
                s.disagree_heads += heads;
            }
            Some(Choice::Abstain) => {}
            None => return Err(StoreError::Invalid(format!("事项 {no} 的计票中有无效选项「{choice}」"))),
        }
    }
    let options = TallyOptions {
        silent_vote: if v.silent_clause.is_empty() { SilentVote::NotCounted } else { SilentVote::FollowMajority { clause: v.silent_clause.clone() } },
    };
    let totals = Totals { area, heads };
    matters
        .iter()
        .map(|(m, _)| tally_from_sums(&rules, totals, m, &sums.get(&m.no).copied().unwrap_or_default(), &options).map_err(|e| StoreError::Invalid(format!("计票：{e}"))))
        .collect()
}

/// Publishes a closed vote: the results per matter and the hash-chained list of counted
/// ballots by receipt code ([`publish_tally`]), in one transaction.
pub async fn publish(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Vec<MatterResult>> {
    let v = get_vote(db, a, vote_id, today).await?;
    a.require(Action::Edit, Resource::Vote)?;
    let rules = rule_set_or_err(&v.rule_set_code)?;
    vote_transition(&rules, v.state(), VoteState::Published, &VoteDates::default(), today).map_err(transition_err)?;
    let results = tally_vote(db, &v).await?;
    let electorate = load_electorate(db, &v).await?;
    let matters: Vec<Matter> = load_matters(db, vote_id).await?.into_iter().map(|(m, _)| m).collect();
    let ballots: Vec<Ballot> = load_counted(db, vote_id).await?.into_iter().map(|(_, b)| b).collect();
    let salt: String = on!(db, p => sqlx::query_scalar("SELECT salt FROM votes WHERE id = $1").bind(vote_id).fetch_one(p).await)?;
    let entries = publish_tally(vote_id, &electorate, &matters, &ballots, salt.as_bytes()).map_err(|e| StoreError::Invalid(format!("公布计票：{e}")))?;
    if let Err(bad) = check_published_totals(&entries, &results) {
        return Err(StoreError::Conflict(format!("公布计票：逐条记录与合计不符（事项 {}）", bad.iter().map(|b| b.matter_no.to_string()).collect::<Vec<_>>().join("、"))));
    }
    let backend = db.backend();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, vote_id, VoteState::Closed, VoteState::Published);
        for (ci, chunk) in entries.chunks(batch_rows(7)).enumerate() {
            let sql = multi_insert_for(backend, "INSERT INTO vote_published (vote_id, seq, receipt, area, choices, prev_hash, hash)", 7, chunk.len());
            let mut q = sqlx::query(dynamic(sql));
            for (i, e) in chunk.iter().enumerate() {
                let seq = (ci * batch_rows(7) + i) as i64;
                q = q.bind(vote_id).bind(seq).bind(&e.receipt).bind(e.area).bind(choices_text(&e.choices)).bind(&e.prev_hash).bind(&e.hash);
            }
            q.execute(&mut *tx).await?;
        }
        for r in &results {
            sqlx::query(
                "INSERT INTO vote_results (vote_id, matter_no, kind, passed, total_area, total_heads, participating_area, participating_heads, agree_area, agree_heads, disagree_area, disagree_heads, result_json)
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)")
                .bind(vote_id).bind(r.matter_no as i64).bind(r.kind.code()).bind(r.passed).bind(r.totals.area).bind(r.totals.heads)
                .bind(r.sums.participating_area).bind(r.sums.participating_heads).bind(r.sums.agree_area).bind(r.sums.agree_heads)
                .bind(r.sums.disagree_area).bind(r.sums.disagree_heads).bind(serde_json::to_string(r).unwrap_or_default()).execute(&mut *tx).await?;
        }
        let passed: Vec<u32> = results.iter().filter(|r| r.passed).map(|r| r.matter_no).collect();
        audit!(tx, a.actor(), "publish", "vote", vote_id, None, Some(serde_json::json!({"entries": entries.len(), "passed": passed, "head": entries.last().map(|e| e.hash.clone())})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(results)
}

/// Whether each matter of a published vote passed, by number (none before publication).
pub async fn published_passed(db: &Db, vote_id: i64) -> Result<BTreeMap<u32, bool>> {
    let rows: Vec<(i64, bool)> = on!(db, p => sqlx::query_as("SELECT matter_no, passed FROM vote_results WHERE vote_id = $1").bind(vote_id).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|(n, b)| (n as u32, b)).collect())
}

/// The published tally of a vote, in chain order.
pub async fn published(db: &Db, a: &Access, vote_id: i64, today: NaiveDate) -> Result<Vec<PublishedEntry>> {
    get_vote(db, a, vote_id, today).await?;
    load_published(db, vote_id).await
}

async fn load_published(db: &Db, vote_id: i64) -> Result<Vec<PublishedEntry>> {
    let rows: Vec<(String, i64, String, String, String)> = on!(db, p => sqlx::query_as(
        "SELECT receipt, area, choices, prev_hash, hash FROM vote_published WHERE vote_id = $1 ORDER BY seq").bind(vote_id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(receipt, area, c, prev_hash, hash)| PublishedEntry { receipt, area, choices: parse_choices_text(&c).unwrap_or_default(), prev_hash, hash })
        .collect())
}

/// A voter's check of the published tally.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptCheck {
    pub voter: String,
    /// The receipt code of the voter's counted ballot.
    pub receipt: String,
    /// Position of the voter's entry in the published chain, if found.
    pub position: Option<usize>,
    /// The voter's entry: area and choices as published.
    pub entry: Option<PublishedEntry>,
    /// Whether the published entry matches the voter's counted ballot.
    pub matches_ballot: bool,
    /// First broken link of the chain (`None`: the whole chain verifies).
    pub chain_broken_at: Option<usize>,
    /// Whether the published totals equal the sum of the entries.
    pub totals_agree: bool,
}

/// A voter's receipt and the verification of the published chain. An owner checks their
/// own voter only; the committee any voter.
pub async fn receipt(db: &Db, a: &Access, vote_id: i64, voter: VoterId, today: NaiveDate) -> Result<ReceiptCheck> {
    let v = get_vote(db, a, vote_id, today).await?;
    if v.state() != VoteState::Published {
        return Err(StoreError::Invalid(format!("表决 #{vote_id} 尚未公布结果")));
    }
    let (owner_ids, _area): (String, i64) = on!(db, p => sqlx::query_as("SELECT owner_ids, area FROM vote_electorate WHERE vote_id = $1 AND voter_key = $2")
        .bind(vote_id).bind(voter.code()).fetch_optional(p).await)?.ok_or(StoreError::NotFound)?;
    let own = matches!(a.scope(), Scope::Owner(id) if parse_id_list(&owner_ids).contains(id));
    if !own {
        a.require(Action::Edit, Resource::Vote)?;
    }
    let counted: Option<(String,)> = on!(db, p => sqlx::query_as("SELECT choices FROM counted_ballots WHERE vote_id = $1 AND voter_key = $2")
        .bind(vote_id).bind(voter.code()).fetch_optional(p).await)?;
    let Some((text,)) = counted else {
        return Err(StoreError::Invalid(format!("投票人 {voter} 在表决 #{vote_id} 中没有计入的表决票")));
    };
    let salt: String = on!(db, p => sqlx::query_scalar("SELECT salt FROM votes WHERE id = $1").bind(vote_id).fetch_one(p).await)?;
    let code = receipt_code(vote_id, voter, &text, salt.as_bytes());
    let entries = load_published(db, vote_id).await?;
    let position = entries.iter().position(|e| e.receipt == code);
    let entry = position.map(|i| entries[i].clone());
    let matches_ballot = entry.as_ref().is_some_and(|e| choices_text(&e.choices) == text);
    let totals_agree = published_totals_agree(db, vote_id, &entries).await?;
    Ok(ReceiptCheck { voter: voter.code(), receipt: code, position, entry, matches_ballot, chain_broken_at: verify_chain(vote_id, &entries), totals_agree })
}

/// Anyone's check of a receipt code against the published tally of a vote: whether the
/// ballot with that receipt is in the published chain (so it was counted), and whether the
/// chain and the published totals verify.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublishedReceipt {
    /// The receipt code checked (64 lowercase hex digits).
    pub receipt: String,
    /// Whether a line of the published tally carries this receipt: the ballot it was
    /// issued for is the voter's counted (last) ballot. A receipt of a ballot replaced by
    /// a later one is not counted.
    pub counted: bool,
    /// Position (from 0) of that line in the chain, if counted.
    pub position: Option<usize>,
    /// The line as published: area (hundredths of m²) and choices, with its hashes.
    pub entry: Option<PublishedEntry>,
    /// Number of lines in the published tally.
    pub entries: usize,
    /// Hash of the last line (the head of the chain), if any line.
    pub head_hash: Option<String>,
    /// First broken link of the chain (`None`: the whole chain verifies).
    pub chain_broken_at: Option<usize>,
    /// Whether the stored per-matter totals equal the sums of the published lines.
    pub totals_agree: bool,
}

/// Checks a receipt code against a published vote's tally. Whoever sees the vote sees its
/// published tally (the page `/votes/{vote}/published`), so anyone who sees the vote may
/// check any receipt; the receipt names no voter. Errors: not found (vote out of scope);
/// invalid (receipt not 64 hex digits; vote not yet published).
pub async fn check_published_receipt(db: &Db, a: &Access, vote_id: i64, code: &str, today: NaiveDate) -> Result<PublishedReceipt> {
    let v = get_vote(db, a, vote_id, today).await?;
    let code = code.trim().to_ascii_lowercase();
    if code.len() != 64 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::Invalid(format!("回执码：应为 64 位十六进制数字，而不是「{code}」")));
    }
    if v.state() != VoteState::Published {
        return Err(StoreError::Invalid(format!("表决 #{vote_id} 当前为「{}」，尚未公布结果，不能核对回执", v.state().label_zh())));
    }
    let entries = load_published(db, vote_id).await?;
    let position = entries.iter().position(|e| e.receipt == code);
    let totals_agree = published_totals_agree(db, vote_id, &entries).await?;
    Ok(PublishedReceipt {
        counted: position.is_some(),
        entry: position.map(|i| entries[i].clone()),
        position,
        entries: entries.len(),
        head_hash: entries.last().map(|e| e.hash.clone()),
        chain_broken_at: verify_chain(vote_id, &entries),
        totals_agree,
        receipt: code,
    })
}

/// Whether the stored per-matter sums equal the sums of the published entries.
async fn published_totals_agree(db: &Db, vote_id: i64, entries: &[PublishedEntry]) -> Result<bool> {
    let rows: Vec<(i64, i64, i64, i64, i64, i64, i64)> = on!(db, p => sqlx::query_as(
        "SELECT matter_no, participating_area, participating_heads, agree_area, agree_heads, disagree_area, disagree_heads FROM vote_results WHERE vote_id = $1")
        .bind(vote_id).fetch_all(p).await)?;
    let sums = wuye_domain::assembly::sums_from_entries(entries);
    Ok(rows.into_iter().all(|(no, pa, ph, aa, ah, da, dh)| {
        let s = sums.get(&(no as u32)).copied().unwrap_or_default();
        s == MatterSums { participating_area: pa, participating_heads: ph, agree_area: aa, agree_heads: ah, disagree_area: da, disagree_heads: dh }
    }))
}
