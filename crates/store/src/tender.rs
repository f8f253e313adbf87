//! Tendering of property services (rules.md §5.6; PMR Art 24; 建住房〔2003〕130号): the
//! store side. Rules are in [`wuye_domain::tender`].
//!
//! **Who organises.** The developer (preliminary service) has no login on the platform, so a
//! tender is created and run on the tenderer's behalf by: an administrator; a regulator whose
//! region holds the estate (the housing authority supervising the tender); or, for a regular
//! tender only, the estate's owners' committee (acting for the assembly, whose decision may be
//! linked as `vote_id`). Street offices read their region's tenders.
//!
//! **Who bids.** An enterprise manager for its own enterprise, or the organiser entering a
//! paper bid. A bid is refused after the bid deadline, for an enterprise not invited (invited
//! tenders), and when [`crate::credit::standing`] says the enterprise is barred.
//!
//! **Who sees what.** Regulators and street offices: their region's tenders; a committee:
//! its estate's; an enterprise: published tenders open to it (public, or it was invited, or it
//! bid) and, before the award, only its own bid (never another's price or scores).
//!
//! Every step is one transaction; a refused step writes nothing.

use crate::access::Access;
use crate::db::{Db, Result, StoreError, dynamic};
use crate::registry::insert_contract;
use crate::{audit, begin_write, on};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use wuye_domain::account::{Action, Resource, Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_domain::registry::{ContractInput, ContractKind, FeeModel};
use wuye_domain::tender::{self as rules, CreditMapping, CreditSnapshot, Criterion, PoolExpert, Ranked, TenderKind, TenderMethod, TenderState};

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::Invalid(msg.into())
}

/// A tender as listed and shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Tender {
    pub id: i64,
    pub estate_id: i64,
    pub estate_name: String,
    pub region_code: String,
    /// preliminary | regular
    pub kind: String,
    /// public | invited | negotiated
    pub method: String,
    pub title: String,
    pub tenderer: String,
    pub notice: String,
    /// Negotiated: the county housing authority's approval (文号).
    pub approval: String,
    pub vote_id: Option<i64>,
    pub published_on: Option<NaiveDate>,
    /// Last day bids are accepted (inclusive).
    pub bid_deadline: NaiveDate,
    /// Last day the bids are valid.
    pub bid_validity_until: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub awarded_on: Option<NaiveDate>,
    pub awarded_bid_id: Option<i64>,
    pub awarded_enterprise_id: Option<i64>,
    pub awarded_enterprise_name: Option<String>,
    /// Awarded later than 30 days before the bid validity ended.
    pub award_late: bool,
    pub filed_on: Option<NaiveDate>,
    pub filing_ref: String,
    pub contract_id: Option<i64>,
    /// TenderState code.
    pub state: String,
    pub state_note: String,
    /// Bids received.
    pub bids: i64,
}

impl Tender {
    pub fn state(&self) -> TenderState {
        TenderState::parse(&self.state).unwrap_or(TenderState::Draft)
    }
    pub fn kind_zh(&self) -> &'static str {
        TenderKind::parse(&self.kind).map(|k| k.label_zh()).unwrap_or("")
    }
    pub fn method_zh(&self) -> &'static str {
        TenderMethod::parse(&self.method).map(|k| k.label_zh()).unwrap_or("")
    }
    pub fn state_zh(&self) -> &'static str {
        self.state().label_zh()
    }
    /// The last day to award (30 days before the bid validity ends).
    pub fn award_by(&self) -> NaiveDate {
        rules::award_by(self.bid_validity_until)
    }
    /// The last day to file (award + 15 days), once awarded.
    pub fn filing_due(&self) -> Option<NaiveDate> {
        self.awarded_on.map(rules::filing_due)
    }
    /// Filing late: filed after the due day, or not yet filed and `today` past it.
    pub fn filing_late(&self, today: NaiveDate) -> bool {
        self.awarded_on.is_some_and(|a| rules::filing_late(a, self.filed_on, today))
    }
    /// Award overdue: not awarded, still running, and `today` past the last day to award;
    /// or awarded late.
    pub fn award_missed(&self, today: NaiveDate) -> bool {
        self.award_late || (self.awarded_on.is_none() && !self.state().is_final() && today > self.award_by())
    }
}

/// The tender columns for caller `a`. An enterprise counts only its own bid until the award
/// (招标投标法 Art 22: the number of bidders is not disclosed before the opening).
fn tender_select(a: &Access) -> String {
    let mine = match a.scope() {
        Scope::Enterprise(id) => format!(" AND (t.state IN ('awarded', 'filed') OR b.enterprise_id = {id})"),
        _ => String::new(),
    };
    format!(
        "SELECT t.id, t.estate_id, e.name AS estate_name, t.region_code, t.kind, t.method, t.title, t.tenderer, t.notice, t.approval,
    t.vote_id, t.published_on, t.bid_deadline, t.bid_validity_until, t.closed_on, t.awarded_on, t.awarded_bid_id, t.awarded_enterprise_id,
    an.name AS awarded_enterprise_name, t.award_late, t.filed_on, t.filing_ref, t.contract_id, t.state, t.state_note,
    (SELECT COUNT(*) FROM tender_bids b WHERE b.tender_id = t.id{mine}) AS bids
    FROM tenders t JOIN estates e ON e.id = t.estate_id LEFT JOIN enterprises an ON an.id = t.awarded_enterprise_id"
    )
}

/// The scope predicate on `tenders` aliased `t`.
fn scope_sql(a: &Access, t: &str) -> String {
    match a.scope() {
        Scope::All => "1=1".into(),
        Scope::Region(r) => format!("{t}.region_code LIKE '{}%'", r.prefix()),
        Scope::Estate(id) => format!("{t}.estate_id = {id}"),
        Scope::Enterprise(id) => format!(
            "({t}.state <> 'draft' AND ({t}.method = 'public' OR EXISTS (SELECT 1 FROM tender_invitations si WHERE si.tender_id = {t}.id AND si.enterprise_id = {id}) OR EXISTS (SELECT 1 FROM tender_bids sb WHERE sb.tender_id = {t}.id AND sb.enterprise_id = {id})))"
        ),
        Scope::Owner(_) | Scope::Own => "1=0".into(),
    }
}

/// Whether the caller organises tender `t`: an administrator, a regulator whose region holds
/// the estate, or (regular tenders) the estate's committee.
fn organises(a: &Access, t: &Tender) -> bool {
    a.can(Action::Edit, Resource::Tender)
        && match (a.role(), a.scope()) {
            (Role::Admin, _) => true,
            (Role::Regulator, Scope::Region(r)) => t.region_code.starts_with(r.prefix()),
            (Role::Committee, Scope::Estate(id)) => *id == t.estate_id && t.kind == TenderKind::Regular.code(),
            _ => false,
        }
}

fn require_organiser(a: &Access, t: &Tender) -> Result<()> {
    if organises(a, t) { Ok(()) } else { Err(StoreError::Forbidden(format!("{}不是该招标项目的组织方", a.role().label_zh()))) }
}

/// Filter of the tender list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenderFilter {
    /// Region prefix (digits).
    pub region: Option<String>,
    pub estate_id: Option<i64>,
    /// TenderState code.
    pub state: Option<String>,
    /// preliminary | regular
    pub kind: Option<String>,
    /// Only tenders with a missed deadline (award or filing).
    pub flagged: Option<bool>,
}

/// The tenders the caller reaches, newest first (at most 5,000). Errors: `Forbidden`
/// without `View` on `Tender`.
pub async fn list_tenders(db: &Db, a: &Access, f: &TenderFilter, today: NaiveDate) -> Result<Vec<Tender>> {
    a.require(Action::View, Resource::Tender)?;
    let region: String = f.region.clone().unwrap_or_default().chars().filter(|c| c.is_ascii_digit()).take(12).collect();
    let state = f.state.as_deref().and_then(TenderState::parse).map(|s| s.code()).unwrap_or("");
    let kind = f.kind.as_deref().and_then(TenderKind::parse).map(|s| s.code()).unwrap_or("");
    let sql = format!(
        "{} WHERE t.region_code LIKE $1 AND ($2 = 0 OR t.estate_id = $2) AND ($3 = '' OR t.state = $3) AND ($4 = '' OR t.kind = $4) AND {} ORDER BY t.id DESC LIMIT 5000",
        tender_select(a),
        scope_sql(a, "t")
    );
    let mut items: Vec<Tender> = on!(db, p => sqlx::query_as::<_, Tender>(dynamic(sql)).bind(format!("{region}%")).bind(f.estate_id.unwrap_or(0)).bind(state).bind(kind).fetch_all(p).await)?;
    if f.flagged == Some(true) {
        items.retain(|t| t.award_missed(today) || t.filing_late(today));
    }
    Ok(items)
}

/// One tender the caller reaches. Errors: `NotFound` when absent or out of scope.
pub async fn get_tender(db: &Db, a: &Access, id: i64) -> Result<Tender> {
    a.require(Action::View, Resource::Tender)?;
    let sql = format!("{} WHERE t.id = $1 AND {}", tender_select(a), scope_sql(a, "t"));
    on!(db, p => sqlx::query_as::<_, Tender>(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// A new tender (a draft), with its evaluation criteria (130号 Art 10: the criteria are part
/// of the tender documents).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewTender {
    pub estate_id: i64,
    pub kind: TenderKind,
    pub method: TenderMethod,
    pub title: String,
    /// The developer's name (preliminary) or 业主大会 (regular).
    pub tenderer: String,
    pub notice: String,
    /// Negotiated: the county housing authority's approval (文号).
    #[serde(default)]
    pub approval: String,
    /// Regular: the assembly vote deciding to tender, if recorded.
    pub vote_id: Option<i64>,
    pub bid_deadline: NaiveDate,
    pub bid_validity_until: NaiveDate,
    pub criteria: Vec<Criterion>,
    /// Credit criterion points per grade; default [`CreditMapping::default`].
    pub credit_mapping: Option<CreditMapping>,
}

/// Drafts a tender for an estate. Errors: `Forbidden` unless an administrator, a regulator
/// whose region holds the estate, or the estate's committee (regular tenders only);
/// `NotFound` for an estate out of scope; `Invalid` naming the field for an empty title or
/// tenderer, dates out of order (deadline before today, validity not after the deadline),
/// bad criteria, or a vote of another estate.
pub async fn create_tender(db: &Db, a: &Access, t: &NewTender, today: NaiveDate) -> Result<i64> {
    a.require(Action::Create, Resource::Tender)?;
    match (a.role(), t.kind) {
        (Role::Admin | Role::Regulator, _) | (Role::Committee, TenderKind::Regular) => {}
        (Role::Committee, TenderKind::Preliminary) => return Err(StoreError::Forbidden("前期物业招标由建设单位组织，业委会只能发起物业服务（选聘）招标".into())),
        (r, _) => return Err(StoreError::Forbidden(format!("{}不能发起招标", r.label_zh()))),
    }
    let sql = format!("SELECT e.region_code FROM estates e WHERE e.id = $1 AND {}", a.estates_sql("e", today));
    let region: String = on!(db, p => sqlx::query_scalar(dynamic(sql)).bind(t.estate_id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)?;
    if t.title.trim().is_empty() {
        return Err(invalid("标题：不能为空"));
    }
    if t.tenderer.trim().is_empty() {
        return Err(invalid("招标人：不能为空"));
    }
    if t.bid_deadline < today {
        return Err(invalid(format!("投标截止日：{} 早于今天 {today}", t.bid_deadline)));
    }
    rules::check_dates(today, t.bid_deadline, t.bid_validity_until).map_err(invalid)?;
    rules::check_criteria(&t.criteria).map_err(invalid)?;
    if let Some(m) = &t.credit_mapping {
        if let Some((g, p)) = m.grades.iter().find(|(_, p)| !(0..=1000).contains(p)) {
            return Err(invalid(format!("信用评分对照：等级 {g} 的分值应为 0–1000（0.1 分），实为 {p}")));
        }
    }
    if let Some(v) = t.vote_id {
        let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM votes WHERE id = $1 AND estate_id = $2").bind(v).bind(t.estate_id).fetch_one(p).await)?;
        if n == 0 {
            return Err(invalid(format!("业主大会表决：表决 #{v} 不属于该小区")));
        }
        // The decision to select a provider is an Art 278 ¶1(4) matter: the vote must have
        // passed one (its result published).
        let passed: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM vote_results WHERE vote_id = $1 AND kind = 'hire_manager' AND passed").bind(v).fetch_one(p).await)?;
        if passed == 0 {
            return Err(invalid(format!("业主大会表决：表决 #{v} 没有已通过的“选聘和解聘物业服务企业”事项（民法典第二百七十八条第一款第四项）")));
        }
    }
    let mapping = t.credit_mapping.as_ref().map(|m| serde_json::to_string(m).unwrap_or_default()).unwrap_or_default();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tenders (estate_id, region_code, kind, method, title, tenderer, notice, approval, vote_id, credit_mapping, bid_deadline, bid_validity_until, state, created_by, created_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'draft',$13,$14) RETURNING id")
            .bind(t.estate_id).bind(&region).bind(t.kind.code()).bind(t.method.code()).bind(t.title.trim()).bind(t.tenderer.trim())
            .bind(t.notice.trim()).bind(t.approval.trim()).bind(t.vote_id).bind(&mapping).bind(t.bid_deadline).bind(t.bid_validity_until)
            .bind(a.actor().user_id).bind(Utc::now().to_rfc3339()).fetch_one(&mut *tx).await?;
        for (i, c) in t.criteria.iter().enumerate() {
            sqlx::query("INSERT INTO tender_criteria (tender_id, seq, name, weight_pct, credit) VALUES ($1,$2,$3,$4,$5)")
                .bind(id).bind(i as i64 + 1).bind(c.name.trim()).bind(c.weight_pct).bind(c.credit).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "create", "tender", id, None, Some(serde_json::json!({"estate_id": t.estate_id, "kind": t.kind.code(), "method": t.method.code(), "title": t.title.trim()})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

macro_rules! set_state {
    ($tx:expr, $id:expr, $from:expr, $to:expr) => {{
        let (from, to): (TenderState, TenderState) = ($from, $to);
        rules::check_transition(from, to).map_err(invalid)?;
        let n = sqlx::query("UPDATE tenders SET state = $1 WHERE id = $2 AND state = $3").bind(to.code()).bind($id).bind(from.code()).execute(&mut *$tx).await?.rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict(format!("招标 #{} 已不在「{}」状态", $id, from.label_zh())));
        }
    }};
}

fn expect_state(t: &Tender, to: TenderState) -> Result<()> {
    rules::check_transition(t.state(), to).map_err(invalid)
}

/// Invites enterprises to an invited tender (a draft). Errors: `Invalid` when the tender is
/// not invited or no longer a draft, or an enterprise is unknown; already invited ones are
/// kept once.
pub async fn invite(db: &Db, a: &Access, tender_id: i64, enterprise_ids: &[i64], today: NaiveDate) -> Result<()> {
    let t = get_tender(db, a, tender_id).await?;
    require_organiser(a, &t)?;
    if t.method != TenderMethod::Invited.code() {
        return Err(invalid("邀请：只有邀请招标需要邀请企业"));
    }
    if t.state() != TenderState::Draft {
        return Err(invalid(format!("邀请：招标已「{}」，只能在草拟阶段邀请", t.state_zh())));
    }
    if enterprise_ids.is_empty() {
        return Err(invalid("邀请：请选择企业"));
    }
    for (i, e) in enterprise_ids.iter().enumerate() {
        let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM enterprises WHERE id = $1").bind(*e).fetch_one(p).await)?;
        if n == 0 {
            return Err(invalid(format!("邀请第 {} 家企业：企业编号 {e} 不存在", i + 1)));
        }
        // A barred enterprise could not bid: it does not count toward the invitations.
        let st = crate::credit::standing(db, *e, today).await?;
        rules::may_bid(&CreditSnapshot { score_tenths: st.score_tenths, grade: st.grade, barred: st.barred, reason: st.reason })
            .map_err(|m| invalid(format!("邀请第 {} 家企业：{}", i + 1, m.trim_start_matches("信用："))))?;
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        for e in enterprise_ids {
            sqlx::query("INSERT INTO tender_invitations (tender_id, enterprise_id, invited_on) VALUES ($1,$2,$3) ON CONFLICT (tender_id, enterprise_id) DO NOTHING")
                .bind(tender_id).bind(*e).bind(today).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "invite", "tender", tender_id, None, Some(serde_json::json!({"enterprises": enterprise_ids})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Publishes the notice today. Errors: `Invalid` for an invited tender with fewer than 3
/// invitations, a negotiated one without approval, or a bid deadline already past.
pub async fn publish(db: &Db, a: &Access, tender_id: i64, today: NaiveDate) -> Result<()> {
    let t = get_tender(db, a, tender_id).await?;
    require_organiser(a, &t)?;
    expect_state(&t, TenderState::Published)?;
    let inv: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM tender_invitations WHERE tender_id = $1").bind(tender_id).fetch_one(p).await)?;
    let method = TenderMethod::parse(&t.method).unwrap_or(TenderMethod::Public);
    rules::check_publish(method, inv as usize, &t.approval).map_err(invalid)?;
    rules::check_dates(today, t.bid_deadline, t.bid_validity_until).map_err(invalid)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, tender_id, TenderState::Draft, TenderState::Published);
        sqlx::query("UPDATE tenders SET published_on = $1 WHERE id = $2").bind(today).bind(tender_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "publish", "tender", tender_id, None, Some(serde_json::json!({"published_on": today})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// A bid.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewBid {
    pub enterprise_id: i64,
    /// Quoted property fee, fen per m² per month.
    pub price_fen_per_m2_month: i64,
    #[serde(default)]
    pub plan: String,
}

/// Makes a bid on `today` (Asia/Shanghai), snapshotting the bidder's credit standing.
/// Errors: `Forbidden` unless the enterprise's own manager or the organiser; `Invalid`
/// (nothing written) when bidding is not open, after the bid deadline, for an enterprise
/// not invited to an invited tender, a barred enterprise (with the credit reason), an
/// unknown enterprise or a price ≤ 0; `Conflict` for a second bid of the same enterprise.
pub async fn submit_bid(db: &Db, a: &Access, tender_id: i64, b: &NewBid, today: NaiveDate) -> Result<i64> {
    a.require(Action::Create, Resource::Tender)?;
    let t = get_tender(db, a, tender_id).await?;
    let own = matches!((a.role(), a.scope()), (Role::EnterpriseManager, Scope::Enterprise(id)) if *id == b.enterprise_id);
    if !own && !organises(a, &t) {
        return Err(StoreError::Forbidden("只能为本企业投标".into()));
    }
    if t.state() != TenderState::Published {
        return Err(invalid(format!("投标：招标「{}」，不在投标阶段", t.state_zh())));
    }
    rules::check_bid_in_time(today, t.bid_deadline).map_err(invalid)?;
    let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM enterprises WHERE id = $1").bind(b.enterprise_id).fetch_one(p).await)?;
    if n == 0 {
        return Err(invalid(format!("投标企业：企业编号 {} 不存在", b.enterprise_id)));
    }
    if t.method == TenderMethod::Invited.code() {
        let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM tender_invitations WHERE tender_id = $1 AND enterprise_id = $2").bind(tender_id).bind(b.enterprise_id).fetch_one(p).await)?;
        if n == 0 {
            return Err(invalid("投标企业：邀请招标只接受受邀企业投标"));
        }
    }
    if b.price_fen_per_m2_month <= 0 || b.price_fen_per_m2_month > 100_000 {
        return Err(invalid(format!("报价：应为 1–100000 分/m²·月，实为 {}", b.price_fen_per_m2_month)));
    }
    let s = crate::credit::standing(db, b.enterprise_id, today).await?;
    let snap = CreditSnapshot { score_tenths: s.score_tenths, grade: s.grade.clone(), barred: s.barred, reason: s.reason.clone() };
    rules::may_bid(&snap).map_err(invalid)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let r: Option<i64> = sqlx::query_scalar(
            "INSERT INTO tender_bids (tender_id, enterprise_id, submitted_on, submitted_at, price_fen_per_m2_month, plan, credit_grade, credit_score_tenths, entered_by)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (tender_id, enterprise_id) DO NOTHING RETURNING id")
            .bind(tender_id).bind(b.enterprise_id).bind(today).bind(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .bind(b.price_fen_per_m2_month).bind(b.plan.trim()).bind(&snap.grade).bind(snap.score_tenths).bind(a.actor().user_id)
            .fetch_optional(&mut *tx).await?;
        let Some(id) = r else { return Err(StoreError::Conflict("该企业已投标".into())) };
        audit!(tx, a.actor(), "bid", "tender", tender_id, None, Some(serde_json::json!({"bid_id": id, "enterprise_id": b.enterprise_id})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// Closes bidding after the bid deadline: the tender goes on to the panel, or fails (流标)
/// with fewer bids than [`rules::min_bids`]. Returns the new state. Errors: `Invalid` before
/// the day after the deadline.
pub async fn close_bidding(db: &Db, a: &Access, tender_id: i64, today: NaiveDate) -> Result<TenderState> {
    let t = get_tender(db, a, tender_id).await?;
    require_organiser(a, &t)?;
    expect_state(&t, TenderState::Closed)?;
    if today <= t.bid_deadline {
        return Err(invalid(format!("投标截止日：{} 之后才能截标", t.bid_deadline)));
    }
    let method = TenderMethod::parse(&t.method).unwrap_or(TenderMethod::Public);
    let to = if (t.bids as usize) < rules::min_bids(method) { TenderState::Failed } else { TenderState::Closed };
    let note = if to == TenderState::Failed { format!("投标人 {} 家，少于 {} 家，流标", t.bids, rules::min_bids(method)) } else { String::new() };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, tender_id, TenderState::Published, to);
        sqlx::query("UPDATE tenders SET closed_on = $1, state_note = $2 WHERE id = $3").bind(today).bind(&note).bind(tender_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "close", "tender", tender_id, None, Some(serde_json::json!({"state": to.code(), "bids": t.bids})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(to)
}

/// Cancels a tender before the award, with a reason.
pub async fn cancel(db: &Db, a: &Access, tender_id: i64, reason: &str) -> Result<()> {
    let t = get_tender(db, a, tender_id).await?;
    require_organiser(a, &t)?;
    expect_state(&t, TenderState::Cancelled)?;
    if reason.trim().is_empty() {
        return Err(invalid("取消原因：不能为空"));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, tender_id, t.state(), TenderState::Cancelled);
        sqlx::query("UPDATE tenders SET state_note = $1 WHERE id = $2").bind(reason.trim()).bind(tender_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "cancel", "tender", tender_id, None, Some(serde_json::json!({"reason": reason.trim()})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// An expert of the pool.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Expert {
    pub id: i64,
    pub name: String,
    pub specialty: String,
    /// The pool (housing authority's region) it belongs to.
    pub region_code: String,
    /// Employer enterprise, if registered (a conflict when it bids).
    pub enterprise_id: Option<i64>,
    pub employer: String,
    pub active: bool,
}

/// A new expert of the pool.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewExpert {
    pub name: String,
    #[serde(default)]
    pub specialty: String,
    /// 12-digit (or shorter) division code of the pool's authority.
    pub region_code: String,
    pub enterprise_id: Option<i64>,
    #[serde(default)]
    pub employer: String,
}

/// The expert pool the caller reaches (a regulator: pools of its region and above, which
/// serve its tenders; others with `View`: those of their region). Errors: `Forbidden`.
pub async fn list_experts(db: &Db, a: &Access) -> Result<Vec<Expert>> {
    a.require(Action::View, Resource::Tender)?;
    let all: Vec<Expert> = on!(db, p => sqlx::query_as::<_, Expert>("SELECT id, name, specialty, region_code, enterprise_id, employer, active FROM tender_experts ORDER BY region_code, id").fetch_all(p).await)?;
    Ok(match a.scope() {
        Scope::All => all,
        Scope::Region(r) => all.into_iter().filter(|e| e.region_code.starts_with(r.prefix()) || pool_serves(&e.region_code, r.as_str())).collect(),
        _ => Vec::new(),
    })
}

/// Whether the pool of `expert_region` serves a tender in `tender_region` (the pool's region
/// holds it: county, city or province pool).
fn pool_serves(expert_region: &str, tender_region: &str) -> bool {
    RegionCode::parse(expert_region).map(|c| tender_region.starts_with(c.prefix())).unwrap_or(false)
}

/// Adds an expert to a pool. Errors: `Forbidden` unless an administrator or a regulator
/// whose region holds the pool; `Invalid` for an empty name, a bad division code, or an
/// unknown employer enterprise.
pub async fn add_expert(db: &Db, a: &Access, e: &NewExpert) -> Result<i64> {
    a.require(Action::Edit, Resource::Tender)?;
    let code = RegionCode::parse(e.region_code.trim()).map_err(|err| invalid(format!("区划代码：{err}")))?;
    match (a.role(), a.scope()) {
        (Role::Admin, _) => {}
        (Role::Regulator, Scope::Region(r)) if code.as_str().starts_with(r.prefix()) => {}
        _ => return Err(StoreError::Forbidden("只有住建部门可维护本区域的评标专家库".into())),
    }
    if e.name.trim().is_empty() {
        return Err(invalid("姓名：不能为空"));
    }
    if let Some(n) = e.enterprise_id {
        let c: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM enterprises WHERE id = $1").bind(n).fetch_one(p).await)?;
        if c == 0 {
            return Err(invalid(format!("所在企业：企业编号 {n} 不存在")));
        }
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar("INSERT INTO tender_experts (name, specialty, region_code, enterprise_id, employer, active, created_at) VALUES ($1,$2,$3,$4,$5,TRUE,$6) RETURNING id")
            .bind(e.name.trim()).bind(e.specialty.trim()).bind(code.as_str()).bind(e.enterprise_id).bind(e.employer.trim()).bind(Utc::now().to_rfc3339()).fetch_one(&mut *tx).await?;
        audit!(tx, a.actor(), "create", "tender_expert", id, None, Some(serde_json::json!({"name": e.name.trim(), "region_code": code.as_str()})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// What the organiser asks for when drawing the panel.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PanelInput {
    /// Members in all (≥ 5, odd).
    pub size: usize,
    /// Outside experts drawn from the pool (≥ 2/3 of `size`).
    pub experts: usize,
    /// The tenderer's representatives, `size − experts` names.
    #[serde(default)]
    pub representatives: Vec<String>,
    /// The draw's seed; `None` = from the operating system (recorded either way).
    pub seed: Option<u64>,
}

/// Draws the evaluation panel: checks the size rule, draws the experts reproducibly with
/// [`rules::draw_panel`] from the pools serving the estate's region (excluding experts
/// employed by a bidder), and records the seed and the eligible pool. Returns the seed.
/// Errors: `Invalid` (nothing written) for a panel too small, even or with too few experts,
/// representatives not matching, or too few eligible experts.
pub async fn draw_panel(db: &Db, a: &Access, tender_id: i64, input: &PanelInput) -> Result<u64> {
    let t = get_tender(db, a, tender_id).await?;
    require_organiser(a, &t)?;
    expect_state(&t, TenderState::PanelDrawn)?;
    rules::check_panel(input.size, input.experts).map_err(invalid)?;
    let reps: Vec<&str> = input.representatives.iter().map(|r| r.trim()).filter(|r| !r.is_empty()).collect();
    if reps.len() != input.size - input.experts {
        return Err(invalid(format!("招标人代表：应为 {} 名，实为 {} 名", input.size - input.experts, reps.len())));
    }
    let all: Vec<Expert> = on!(db, p => sqlx::query_as::<_, Expert>("SELECT id, name, specialty, region_code, enterprise_id, employer, active FROM tender_experts ORDER BY id").fetch_all(p).await)?;
    let pool: Vec<&Expert> = all.iter().filter(|e| pool_serves(&e.region_code, &t.region_code)).collect();
    let bidders: Vec<i64> = on!(db, p => sqlx::query_scalar("SELECT enterprise_id FROM tender_bids WHERE tender_id = $1 ORDER BY enterprise_id").bind(tender_id).fetch_all(p).await)?;
    let pe: Vec<PoolExpert> = pool.iter().map(|e| PoolExpert { id: e.id, employer: e.enterprise_id, active: e.active }).collect();
    let seed = match input.seed {
        Some(s) => s,
        None => getrandom::u64().map_err(|e| StoreError::Invalid(format!("随机数种子：{e}")))?,
    };
    let drawn = rules::draw_panel(&pe, &bidders, input.experts, seed).map_err(invalid)?;
    let eligible: Vec<String> = {
        let mut v: Vec<i64> = pe.iter().filter(|e| e.active && !e.employer.is_some_and(|n| bidders.contains(&n))).map(|e| e.id).collect();
        v.sort_unstable();
        v.iter().map(|i| i.to_string()).collect()
    };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, tender_id, TenderState::Closed, TenderState::PanelDrawn);
        sqlx::query("INSERT INTO tender_panels (tender_id, size, experts, seed, pool_ids, drawn_at, drawn_by) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(tender_id).bind(input.size as i64).bind(input.experts as i64).bind(seed.to_string()).bind(eligible.join(","))
            .bind(Utc::now().to_rfc3339()).bind(a.actor().user_id).execute(&mut *tx).await?;
        let mut seq = 0i64;
        for id in &drawn {
            seq += 1;
            let name = all.iter().find(|e| e.id == *id).map(|e| e.name.clone()).unwrap_or_default();
            sqlx::query("INSERT INTO tender_panel_members (tender_id, seq, expert_id, name, outside) VALUES ($1,$2,$3,$4,TRUE)")
                .bind(tender_id).bind(seq).bind(*id).bind(&name).execute(&mut *tx).await?;
        }
        for r in &reps {
            seq += 1;
            sqlx::query("INSERT INTO tender_panel_members (tender_id, seq, expert_id, name, outside) VALUES ($1,$2,NULL,$3,FALSE)")
                .bind(tender_id).bind(seq).bind(*r).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "draw_panel", "tender", tender_id, None, Some(serde_json::json!({"seed": seed.to_string(), "experts": drawn})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(seed)
}

/// A bid as shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Bid {
    pub id: i64,
    pub tender_id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub submitted_on: NaiveDate,
    pub submitted_at: String,
    pub price_fen_per_m2_month: i64,
    pub plan: String,
    /// Credit at bid time.
    pub credit_grade: String,
    pub credit_score_tenths: Option<i64>,
    pub total_tenths: Option<i64>,
    pub rank_no: Option<i64>,
}

/// A panel member.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Member {
    pub id: i64,
    pub seq: i64,
    pub expert_id: Option<i64>,
    pub name: String,
    pub outside: bool,
}

/// A criterion as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CriterionRow {
    pub id: i64,
    pub seq: i64,
    pub name: String,
    pub weight_pct: i64,
    pub credit: bool,
}

/// One score.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Score {
    pub member_id: i64,
    pub bid_id: i64,
    pub criterion_id: i64,
    pub points_tenths: i64,
}

/// The panel's draw record.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Panel {
    pub size: i64,
    pub experts: i64,
    /// u64 in decimal.
    pub seed: String,
    /// The eligible pool's expert ids, ascending, comma list.
    pub pool_ids: String,
    pub drawn_at: String,
}

/// Everything about one tender the caller may see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TenderFile {
    pub tender: Tender,
    /// `[enterprise id, name]` of each enterprise invited.
    #[schema(value_type = Vec<Object>)]
    pub invitations: Vec<(i64, String)>,
    /// All bids for officials and the committee; an enterprise's own bid only before the award.
    pub bids: Vec<Bid>,
    pub criteria: Vec<CriterionRow>,
    pub panel: Option<Panel>,
    pub members: Vec<Member>,
    /// Scores (hidden from enterprises before the award).
    pub scores: Vec<Score>,
    pub credit_mapping: CreditMapping,
    /// Whether the caller organises the tender (may take its steps).
    pub organiser: bool,
}

/// The whole tender file. Errors: `NotFound` when out of scope.
pub async fn tender_file(db: &Db, a: &Access, tender_id: i64) -> Result<TenderFile> {
    let tender = get_tender(db, a, tender_id).await?;
    let awarded = matches!(tender.state(), TenderState::Awarded | TenderState::Filed);
    let own_only = match a.scope() {
        Scope::Enterprise(id) if !awarded => Some(*id),
        _ => None,
    };
    let mut invitations: Vec<(i64, String)> = on!(db, p => sqlx::query_as("SELECT i.enterprise_id, n.name FROM tender_invitations i JOIN enterprises n ON n.id = i.enterprise_id WHERE i.tender_id = $1 ORDER BY n.name, i.enterprise_id").bind(tender_id).fetch_all(p).await)?;
    let mut bids: Vec<Bid> = on!(db, p => sqlx::query_as::<_, Bid>("SELECT b.id, b.tender_id, b.enterprise_id, n.name AS enterprise_name, b.submitted_on, b.submitted_at, b.price_fen_per_m2_month, b.plan, b.credit_grade, b.credit_score_tenths, b.total_tenths, b.rank_no FROM tender_bids b JOIN enterprises n ON n.id = b.enterprise_id WHERE b.tender_id = $1 ORDER BY COALESCE(b.rank_no, 999999), b.id").bind(tender_id).fetch_all(p).await)?;
    let criteria = criteria_of(db, tender_id).await?;
    let mut panel: Option<Panel> = on!(db, p => sqlx::query_as::<_, Panel>("SELECT size, experts, seed, pool_ids, drawn_at FROM tender_panels WHERE tender_id = $1").bind(tender_id).fetch_optional(p).await)?;
    let mut members = members_of(db, tender_id).await?;
    // Before the award an enterprise sees only its own bid and invitation, and nothing of
    // the panel (招标投标法 Art 22 and 37: bidders and the panel's members are confidential).
    if let Some(me) = own_only {
        bids.retain(|b| b.enterprise_id == me);
        invitations.retain(|(e, _)| *e == me);
        panel = None;
        members.clear();
    }
    let scores: Vec<Score> = if own_only.is_some() { Vec::new() } else { scores_of(db, tender_id).await? };
    let credit_mapping = mapping_of(db, tender_id).await?;
    let organiser = organises(a, &tender);
    Ok(TenderFile { tender, invitations, bids, criteria, panel, members, scores, credit_mapping, organiser })
}

async fn criteria_of(db: &Db, tender_id: i64) -> Result<Vec<CriterionRow>> {
    Ok(on!(db, p => sqlx::query_as::<_, CriterionRow>("SELECT id, seq, name, weight_pct, credit FROM tender_criteria WHERE tender_id = $1 ORDER BY seq").bind(tender_id).fetch_all(p).await)?)
}
async fn members_of(db: &Db, tender_id: i64) -> Result<Vec<Member>> {
    Ok(on!(db, p => sqlx::query_as::<_, Member>("SELECT id, seq, expert_id, name, outside FROM tender_panel_members WHERE tender_id = $1 ORDER BY seq").bind(tender_id).fetch_all(p).await)?)
}
async fn scores_of(db: &Db, tender_id: i64) -> Result<Vec<Score>> {
    Ok(on!(db, p => sqlx::query_as::<_, Score>("SELECT s.member_id, s.bid_id, s.criterion_id, s.points_tenths FROM tender_scores s JOIN tender_panel_members m ON m.id = s.member_id WHERE m.tender_id = $1 ORDER BY m.seq, s.bid_id, s.criterion_id").bind(tender_id).fetch_all(p).await)?)
}
async fn mapping_of(db: &Db, tender_id: i64) -> Result<CreditMapping> {
    let m: String = on!(db, p => sqlx::query_scalar("SELECT credit_mapping FROM tenders WHERE id = $1").bind(tender_id).fetch_one(p).await)?;
    Ok(if m.is_empty() { CreditMapping::default() } else { serde_json::from_str(&m).unwrap_or_default() })
}

/// One member's score of one bid on one criterion.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ScoreInput {
    pub bid_id: i64,
    pub criterion_id: i64,
    /// 0–1000 (tenths of a point).
    pub points_tenths: i64,
}

/// Records (or replaces) a panel member's scores, all or nothing. Errors: `Invalid` naming
/// the row for points outside 0–100, a bid, criterion or member not of this tender, or the
/// credit criterion (scored from credit, not by the panel); outside the panel stage.
pub async fn record_scores(db: &Db, a: &Access, tender_id: i64, member_id: i64, scores: &[ScoreInput]) -> Result<()> {
    let t = get_tender(db, a, tender_id).await?;
    require_organiser(a, &t)?;
    if t.state() != TenderState::PanelDrawn {
        return Err(invalid(format!("评分：招标「{}」，不在评标阶段", t.state_zh())));
    }
    let members = members_of(db, tender_id).await?;
    if !members.iter().any(|m| m.id == member_id) {
        return Err(invalid(format!("评委：成员编号 {member_id} 不在本项目评标委员会")));
    }
    let criteria = criteria_of(db, tender_id).await?;
    let bids: Vec<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM tender_bids WHERE tender_id = $1").bind(tender_id).fetch_all(p).await)?;
    for (i, s) in scores.iter().enumerate() {
        let row = i + 1;
        if !bids.contains(&s.bid_id) {
            return Err(invalid(format!("第 {row} 项评分的投标：投标编号 {} 不属于本项目", s.bid_id)));
        }
        match criteria.iter().find(|c| c.id == s.criterion_id) {
            None => return Err(invalid(format!("第 {row} 项评分的标准：标准编号 {} 不属于本项目", s.criterion_id))),
            Some(c) if c.credit => return Err(invalid(format!("第 {row} 项评分的标准：「{}」由信用等级自动计分，不由评委打分", c.name))),
            _ => {}
        }
        rules::check_points(s.points_tenths).map_err(|e| invalid(format!("第 {row} 项{e}")))?;
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        for s in scores {
            sqlx::query("INSERT INTO tender_scores (member_id, bid_id, criterion_id, points_tenths) VALUES ($1,$2,$3,$4)
                         ON CONFLICT (member_id, bid_id, criterion_id) DO UPDATE SET points_tenths = excluded.points_tenths")
                .bind(member_id).bind(s.bid_id).bind(s.criterion_id).bind(s.points_tenths).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "score", "tender", tender_id, None, Some(serde_json::json!({"member_id": member_id, "scores": scores.len()})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Evaluates: every member has scored every bid on every panel-scored criterion; each bid's
/// total is [`rules::bid_total`] (the credit criterion scored by the tender's
/// [`CreditMapping`] from the grade at bid time), and bids are ranked by [`rules::rank`].
/// Returns (bid id, total tenths) in rank order. Errors: `Invalid` naming the first missing
/// score.
pub async fn evaluate(db: &Db, a: &Access, tender_id: i64) -> Result<Vec<(i64, i64)>> {
    let t = get_tender(db, a, tender_id).await?;
    require_organiser(a, &t)?;
    expect_state(&t, TenderState::Evaluated)?;
    let file = tender_file(db, a, tender_id).await?;
    let weights: Vec<i64> = file.criteria.iter().map(|c| c.weight_pct).collect();
    let mut ranked = Vec::new();
    let mut totals = Vec::new();
    for b in &file.bids {
        let credit_points = file.credit_mapping.points(&b.credit_grade);
        let mut per_member = Vec::new();
        for m in &file.members {
            let mut pts = Vec::new();
            for c in &file.criteria {
                if c.credit {
                    pts.push(credit_points);
                    continue;
                }
                let Some(s) = file.scores.iter().find(|s| s.member_id == m.id && s.bid_id == b.id && s.criterion_id == c.id) else {
                    return Err(invalid(format!("评分：评委「{}」尚未对「{}」的「{}」评分", m.name, b.enterprise_name, c.name)));
                };
                pts.push(s.points_tenths);
            }
            per_member.push(pts);
        }
        let total = rules::bid_total(&weights, &per_member);
        totals.push((b.id, total));
        ranked.push(Ranked { bid_id: b.id, total_tenths: total, credit_score_tenths: b.credit_score_tenths, submitted_at: b.submitted_at.clone() });
    }
    let order = rules::rank(ranked);
    let result: Vec<(i64, i64)> = order.iter().map(|id| (*id, totals.iter().find(|(b, _)| b == id).map(|(_, t)| *t).unwrap_or(0))).collect();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, tender_id, TenderState::PanelDrawn, TenderState::Evaluated);
        for (i, (id, total)) in result.iter().enumerate() {
            sqlx::query("UPDATE tender_bids SET total_tenths = $1, rank_no = $2 WHERE id = $3").bind(*total).bind(i as i64 + 1).bind(*id).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "evaluate", "tender", tender_id, None, Some(serde_json::json!({"ranking": result})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(result)
}

/// The contract terms set at the award.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AwardInput {
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub fee_model: FeeModel,
}

/// Awards the tender to the best-ranked bid whose enterprise is not barred by credit on
/// `today` (a barred one is passed over and named in the audit) and creates the service contract
/// in the registry (kind = the tender's kind; fee = the winning bid's price). Flags the
/// award as late when after 30 days before the bid validity ends. Returns the contract id.
/// Errors: `Invalid` before evaluation or with bad contract dates; `Conflict` when the
/// same contract exists.
pub async fn award(db: &Db, a: &Access, tender_id: i64, input: &AwardInput, today: NaiveDate) -> Result<i64> {
    let t = get_tender(db, a, tender_id).await?;
    require_organiser(a, &t)?;
    expect_state(&t, TenderState::Awarded)?;
    // The best-ranked bidder not barred by credit on the award day wins; a barred one (black-
    // listed after bidding) is passed over, in rank order (招标投标法实施条例 Art 55: the next
    // candidate may be chosen when the first cannot be), and the audit names it.
    let ranked: Vec<(i64, i64, i64)> = on!(db, p => sqlx::query_as("SELECT id, enterprise_id, price_fen_per_m2_month FROM tender_bids WHERE tender_id = $1 AND rank_no IS NOT NULL ORDER BY rank_no").bind(tender_id).fetch_all(p).await)?;
    if ranked.is_empty() {
        return Err(invalid("定标：尚无排名第一的投标"));
    }
    let mut skipped: Vec<serde_json::Value> = Vec::new();
    let mut win = None;
    for (bid_id, enterprise_id, price) in ranked {
        let st = crate::credit::standing(db, enterprise_id, today).await?;
        if st.barred {
            skipped.push(serde_json::json!({"bid_id": bid_id, "enterprise_id": enterprise_id, "grade": st.grade, "reason": st.reason}));
        } else {
            win = Some((bid_id, enterprise_id, price));
            break;
        }
    }
    let Some((bid_id, enterprise_id, price)) = win else {
        return Err(invalid(format!("定标：{} 家入围企业今日均被信用限制参与招投标，不能定标", skipped.len())));
    };
    let kind = if t.kind == TenderKind::Preliminary.code() { ContractKind::Preliminary } else { ContractKind::Regular };
    let c = ContractInput { estate_id: t.estate_id, enterprise_id, kind, start_date: input.start_date, end_date: input.end_date, fee_fen_per_m2_month: price, fee_model: input.fee_model };
    if let Some(e) = c.validate().first() {
        return Err(invalid(format!("合同{}：{}", e.field, e.reason)));
    }
    let late = rules::award_late(today, t.bid_validity_until);
    let now = Utc::now();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, tender_id, TenderState::Evaluated, TenderState::Awarded);
        let cid = insert_contract!(tx, a, &c, now);
        sqlx::query("UPDATE tenders SET awarded_on = $1, awarded_bid_id = $2, awarded_enterprise_id = $3, award_late = $4, contract_id = $5 WHERE id = $6")
            .bind(today).bind(bid_id).bind(enterprise_id).bind(late).bind(cid).bind(tender_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "award", "tender", tender_id, None, Some(serde_json::json!({"bid_id": bid_id, "enterprise_id": enterprise_id, "contract_id": cid, "award_late": late, "passed_over_barred": skipped})));
        tx.commit().await?;
        Ok::<i64, StoreError>(cid)
    })
}

/// Records the filing with the housing authority on `filed_on` (not before the award, not
/// after `today`). Returns whether it was late (after award + 15 days).
pub async fn file(db: &Db, a: &Access, tender_id: i64, filed_on: NaiveDate, filing_ref: &str, today: NaiveDate) -> Result<bool> {
    let t = get_tender(db, a, tender_id).await?;
    require_organiser(a, &t)?;
    expect_state(&t, TenderState::Filed)?;
    let awarded_on = t.awarded_on.ok_or_else(|| invalid("备案：尚未定标"))?;
    if filed_on < awarded_on {
        return Err(invalid(format!("备案日期：{filed_on} 早于定标日 {awarded_on}")));
    }
    if filed_on > today {
        return Err(invalid(format!("备案日期：{filed_on} 晚于今天 {today}")));
    }
    let late = rules::filing_late(awarded_on, Some(filed_on), today);
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_state!(tx, tender_id, TenderState::Awarded, TenderState::Filed);
        sqlx::query("UPDATE tenders SET filed_on = $1, filing_ref = $2 WHERE id = $3").bind(filed_on).bind(filing_ref.trim()).bind(tender_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "file", "tender", tender_id, None, Some(serde_json::json!({"filed_on": filed_on, "late": late})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(late)
}

/// Tender figures of a set of tenders (a region's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TenderFigures {
    /// Tenders published (not draft, not cancelled before publishing).
    pub held: i64,
    pub awarded: i64,
    pub failed: i64,
    pub filed_late: i64,
    pub bids: i64,
}

impl TenderFigures {
    /// Average bids per tender held, in tenths (3.5 bids = 35).
    pub fn avg_bids_tenths(&self) -> i64 {
        if self.held == 0 { 0 } else { (20 * self.bids + self.held) / (2 * self.held) }
    }
}

/// Tender figures per child region of `prefix` ("" = the province) that the caller reaches,
/// as (child region prefix, figures). Awarded counts awarded and filed tenders; filed late
/// counts awards whose filing is late on `today`.
pub async fn tender_stats(db: &Db, a: &Access, prefix: &str, child_len: usize, today: NaiveDate) -> Result<Vec<(String, TenderFigures)>> {
    let f = TenderFilter { region: Some(prefix.to_string()), ..Default::default() };
    let list = list_tenders(db, a, &f, today).await?;
    let mut out: Vec<(String, TenderFigures)> = Vec::new();
    for t in list.iter().filter(|t| t.published_on.is_some()) {
        let key: String = t.region_code.chars().take(child_len).collect();
        let i = match out.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                out.push((key, TenderFigures::default()));
                out.len() - 1
            }
        };
        let x = &mut out[i].1;
        x.held += 1;
        x.bids += t.bids;
        match t.state() {
            TenderState::Awarded | TenderState::Filed => x.awarded += 1,
            TenderState::Failed => x.failed += 1,
            _ => {}
        }
        if t.filing_late(today) {
            x.filed_late += 1;
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// What [`write_demo`] wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoReport {
    pub experts: u64,
    pub tenders: u64,
    pub bids: u64,
    pub contracts: u64,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "招投标: 评标专家 {}，招标项目 {}，投标 {}，中标合同 {}", self.experts, self.tenders, self.bids, self.contracts)
    }
}

/// Demo tendering around the showcase estate's county (its estates first, then others; once;
/// nothing when tenders exist):
/// a pool of 24 experts (20 of the county, 4 of the province; one employed by an
/// enterprise); one tender run end to end (awarded, filed, contract created), one in
/// bidding, one awarded with its filing late (flagged), one failed (2 bids). Enterprises
/// barred by credit are skipped as bidders. Contracts start in the future, so coverage
/// does not change.
pub async fn write_demo(db: &Db, today: NaiveDate) -> Result<DemoReport> {
    let mut r = DemoReport::default();
    let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM tenders").fetch_one(p).await)?;
    if n > 0 {
        return Ok(r);
    }
    let sys = Access::system("demo");
    let Some((showcase, _, code)) = crate::demo::showcase_estate(db, today).await? else { return Ok(r) };
    let county: String = code.chars().take(6).collect();
    let estates: Vec<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM estates WHERE id <> $2 ORDER BY CASE WHEN region_code LIKE $1 THEN 0 ELSE 1 END, id LIMIT 4").bind(format!("{county}%")).bind(showcase).fetch_all(p).await)?;
    let firms: Vec<(i64, String)> = on!(db, p => sqlx::query_as("SELECT id, name FROM enterprises ORDER BY id LIMIT 12").fetch_all(p).await)?;
    if estates.len() < 4 || firms.len() < 4 {
        return Ok(r);
    }
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "马", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "罗", "梁", "宋", "郑", "谢"];
    let given = ["建国", "志强", "丽华", "海燕", "国庆", "晓东", "文静", "永红", "学军", "春梅", "立新", "桂兰", "红霞", "振华", "淑珍", "德明", "玉兰", "卫东", "秀英", "建华", "明辉", "雪梅", "宏伟", "金凤"];
    let specialties = ["物业管理", "房屋建筑", "设施设备", "财务造价", "法律", "消防安全"];
    for i in 0..24 {
        let region = if i < 20 { county.clone() } else { "640000".into() };
        let e = NewExpert {
            name: format!("{}{}", surnames[i], given[i]),
            specialty: specialties[i % specialties.len()].into(),
            region_code: region,
            enterprise_id: (i == 3).then(|| firms[0].0),
            employer: if i == 3 { firms[0].1.clone() } else { "宁夏物业管理协会专家库".into() },
        };
        add_expert(db, &sys, &e).await?;
        r.experts += 1;
    }
    let day = |d: i64| today + chrono::Duration::days(d);
    let c = |n: &str, w: i64, cr: bool| Criterion { name: n.into(), weight_pct: w, credit: cr };
    let tender = |estate: i64, title: &str, start: i64| NewTender {
        estate_id: estate,
        kind: TenderKind::Preliminary,
        method: TenderMethod::Public,
        title: title.into(),
        tenderer: "宁夏示范房地产开发有限公司".into(),
        notice: format!("{title}：欢迎符合条件的物业服务企业投标。"),
        approval: String::new(),
        vote_id: None,
        bid_deadline: day(start + 20),
        bid_validity_until: day(start + 140),
        criteria: vec![c("报价", 40, false), c("服务方案", 40, false), c("信用评价", 20, true)],
        credit_mapping: None,
    };
    // Up to `want` bids, skipping enterprises the credit rules bar.
    async fn bids(db: &Db, sys: &Access, id: i64, firms: &[(i64, String)], want: usize, on: NaiveDate, r: &mut DemoReport) -> Result<()> {
        let mut n = 0;
        for (i, (f, _)) in firms.iter().enumerate() {
            if n == want {
                break;
            }
            match submit_bid(db, sys, id, &NewBid { enterprise_id: *f, price_fen_per_m2_month: 120 + 10 * i as i64, plan: "24 小时秩序维护、保洁、绿化、设施设备维护。".into() }, on).await {
                Ok(_) => {
                    n += 1;
                    r.bids += 1;
                }
                Err(StoreError::Invalid(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    // Runs a published tender with bids from the close to the award.
    async fn to_award(db: &Db, sys: &Access, id: i64, close_on: NaiveDate, award_on: NaiveDate, seed: u64, r: &mut DemoReport) -> Result<()> {
        if close_bidding(db, sys, id, close_on).await? != TenderState::Closed {
            return Ok(());
        }
        draw_panel(db, sys, id, &PanelInput { size: 5, experts: 4, representatives: vec!["建设单位代表 刘强".into()], seed: Some(seed) }).await?;
        let f = tender_file(db, sys, id).await?;
        for (mi, m) in f.members.iter().enumerate() {
            let mut s = Vec::new();
            for (bi, b) in f.bids.iter().enumerate() {
                for (ci, c) in f.criteria.iter().filter(|c| !c.credit).enumerate() {
                    s.push(ScoreInput { bid_id: b.id, criterion_id: c.id, points_tenths: 900 - 25 * bi as i64 - 10 * ci as i64 + 5 * ((mi + bi) % 3) as i64 });
                }
            }
            record_scores(db, sys, id, m.id, &s).await?;
        }
        evaluate(db, sys, id).await?;
        award(db, sys, id, &AwardInput { start_date: award_on + chrono::Duration::days(60), end_date: Some(award_on + chrono::Duration::days(60 + 3 * 365)), fee_model: FeeModel::LumpSum }, award_on).await?;
        r.contracts += 1;
        Ok(())
    }
    // 1. End to end: published 80 days ago, awarded 50 days ago, filed 10 days later.
    let a = create_tender(db, &sys, &tender(estates[0], "前期物业服务招标（已备案）", -80), day(-80)).await?;
    publish(db, &sys, a, day(-80)).await?;
    bids(db, &sys, a, &firms, 4, day(-65), &mut r).await?;
    to_award(db, &sys, a, day(-59), day(-50), 20_261_001, &mut r).await?;
    if get_tender(db, &sys, a).await?.state() == TenderState::Awarded {
        file(db, &sys, a, day(-40), "住建备〔示范〕1号", day(-40)).await?;
    }
    // 2. In bidding: deadline in 20 days, 2 bids so far.
    let b = create_tender(db, &sys, &tender(estates[1], "前期物业服务招标（投标中）", -5), day(-5)).await?;
    publish(db, &sys, b, day(-5)).await?;
    bids(db, &sys, b, &firms, 2, day(-1), &mut r).await?;
    // 3. Awarded 30 days ago, never filed: filing late.
    let c3 = create_tender(db, &sys, &tender(estates[2], "前期物业服务招标（备案逾期）", -70), day(-70)).await?;
    publish(db, &sys, c3, day(-70)).await?;
    bids(db, &sys, c3, &firms[1..], 3, day(-55), &mut r).await?;
    to_award(db, &sys, c3, day(-49), day(-30), 20_261_002, &mut r).await?;
    // 4. Failed: 2 bids.
    let d = create_tender(db, &sys, &tender(estates[3], "前期物业服务招标（流标）", -60), day(-60)).await?;
    publish(db, &sys, d, day(-60)).await?;
    bids(db, &sys, d, &firms[2..], 2, day(-45), &mut r).await?;
    close_bidding(db, &sys, d, day(-39)).await?;
    r.tenders = 4;
    Ok(r)
}
