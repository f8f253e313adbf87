//! Tender store tests: a tender end to end with exact totals and the contract it creates,
//! refusals that change nothing, the reproducible panel draw, deadlines and who sees what.
//! They run on SQLite, or on PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use wuye_domain::account::{Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_domain::registry::FeeModel;
use wuye_domain::tender::{self as rules, Criterion, PoolExpert, TenderKind, TenderMethod, TenderState};
use wuye_store::access::Access;
use wuye_store::tender::{self as td, AwardInput, NewBid, NewExpert, NewTender, PanelInput, ScoreInput};
use wuye_store::testing::{TestDb, count, load_fixture};
use wuye_store::{Db, StoreError, on, sqlx};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn sys() -> Access {
    Access::system("test")
}

fn region(c: &str) -> Scope {
    Scope::Region(RegionCode::parse(c).unwrap())
}

async fn user(db: &Db, login: &str, role: Role, scope: Scope) -> Access {
    wuye_store::testing::fixture_login(db, login, role, scope).await
}

async fn enterprise(db: &Db, name: &str, uscc: &str) -> i64 {
    on!(db, p => sqlx::query_scalar::<_, i64>("INSERT INTO enterprises (name, uscc, created_at, updated_at) VALUES ($1,$2,'2026-01-01','2026-01-01') RETURNING id").bind(name).bind(uscc).fetch_one(p).await).unwrap()
}

async fn firm(db: &Db, uscc: &str) -> i64 {
    wuye_store::registry::find_enterprise_by_uscc(db, uscc).await.unwrap().unwrap()
}

async fn estate(db: &Db, code: &str, name: &str) -> i64 {
    wuye_store::registry::find_estate(db, &sys(), code, name, d("2026-11-29")).await.unwrap().unwrap()
}

fn criteria() -> Vec<Criterion> {
    let c = |n: &str, w: i64, cr: bool| Criterion { name: n.into(), weight_pct: w, credit: cr };
    vec![c("报价", 40, false), c("服务方案", 40, false), c("信用评价", 20, true)]
}

fn new_tender(estate_id: i64, method: TenderMethod) -> NewTender {
    NewTender {
        estate_id,
        kind: TenderKind::Preliminary,
        method,
        title: "崇安小区前期物业服务招标".into(),
        tenderer: "宁夏崇安房地产开发有限公司".into(),
        notice: "招标公告".into(),
        approval: String::new(),
        vote_id: None,
        bid_deadline: d("2026-12-10"),
        bid_validity_until: d("2027-03-31"),
        criteria: criteria(),
        credit_mapping: None,
    }
}

struct World {
    t: TestDb,
    reg: Access,
    chongan: i64,
    aj: i64,
    hx: i64,
    dt: i64,
    jy: i64,
    m_aj: Access,
    m_hx: Access,
    m_jy: Access,
}

async fn world() -> World {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let aj = firm(db, "91640104MA76ANJU1T").await;
    let hx = firm(db, "91640106MA76HXWY2F").await;
    let dt = enterprise(db, "宁夏德泰物业服务有限公司", "91640104MA76DETA3X").await;
    let jy = enterprise(db, "宁夏金宇物业服务有限公司", "91640104MA76JINY4X").await;
    let reg = user(db, "reg_xq", Role::Regulator, region("640104")).await;
    // The pool: 8 county experts (one employed by 安居, a bidder), 4 provincial ones, 2 of 金凤区.
    let admin = sys();
    for i in 1..=8 {
        let e = NewExpert { name: format!("兴庆专家{i}"), specialty: "物业管理".into(), region_code: "640104".into(), enterprise_id: if i == 2 { Some(aj) } else { None }, employer: String::new() };
        td::add_expert(db, &admin, &e).await.unwrap();
    }
    for i in 1..=4 {
        td::add_expert(db, &reg, &NewExpert { name: format!("兴庆专家R{i}"), specialty: String::new(), region_code: "640104".into(), enterprise_id: None, employer: String::new() }).await.unwrap();
        let _ = i;
    }
    for i in 1..=2 {
        td::add_expert(db, &admin, &NewExpert { name: format!("金凤专家{i}"), specialty: String::new(), region_code: "640106".into(), enterprise_id: None, employer: String::new() }).await.unwrap();
    }
    td::add_expert(db, &admin, &NewExpert { name: "自治区专家1".into(), specialty: String::new(), region_code: "640000".into(), enterprise_id: None, employer: String::new() }).await.unwrap();
    let chongan = estate(db, "640104001002", "崇安小区").await;
    let m_aj = user(db, "m_aj", Role::EnterpriseManager, Scope::Enterprise(aj)).await;
    let m_hx = user(db, "m_hx", Role::EnterpriseManager, Scope::Enterprise(hx)).await;
    let m_jy = user(db, "m_jy", Role::EnterpriseManager, Scope::Enterprise(jy)).await;
    World { t, reg, chongan, aj, hx, dt, jy, m_aj, m_hx, m_jy }
}

fn bid(enterprise_id: i64, price: i64) -> NewBid {
    NewBid { enterprise_id, price_fen_per_m2_month: price, plan: "服务方案".into() }
}

fn err_text(e: StoreError) -> String {
    match e {
        StoreError::Invalid(m) | StoreError::Forbidden(m) | StoreError::Conflict(m) => m,
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn tender_end_to_end_with_exact_ranking_and_contract() {
    let w = world().await;
    let db = &w.t.db;
    let reg = &w.reg;
    let today = d("2026-11-29");
    // 安居 and 恒信 serve estates: registered for credit (no records: 80.0, AA), else they
    // would be 缺失 and get 0 on the credit criterion. 德泰 serves none: unrated.
    for e in [w.aj, w.hx] {
        wuye_store::credit::register(db, &Access::system("t"), e, d("2026-01-05")).await.unwrap();
    }
    let id = td::create_tender(db, reg, &new_tender(w.chongan, TenderMethod::Public), today).await.unwrap();
    td::publish(db, reg, id, today).await.unwrap();

    // Bids: 安居 and 恒信 by their managers, 德泰 on paper by the regulator.
    let b_aj = td::submit_bid(db, &w.m_aj, id, &bid(w.aj, 130), d("2026-12-01")).await.unwrap();
    let b_hx = td::submit_bid(db, &w.m_hx, id, &bid(w.hx, 140), d("2026-12-10")).await.unwrap();
    let b_dt = td::submit_bid(db, reg, id, &bid(w.dt, 120), d("2026-12-10")).await.unwrap();
    // A manager cannot bid for another enterprise.
    assert!(matches!(td::submit_bid(db, &w.m_aj, id, &bid(w.jy, 100), d("2026-12-10")).await, Err(StoreError::Forbidden(_))));
    // After the deadline: refused, nothing written.
    let before = count(db, "tender_bids").await;
    let e = td::submit_bid(db, &w.m_jy, id, &bid(w.jy, 110), d("2026-12-11")).await.unwrap_err();
    assert_eq!(err_text(e), "投标截止日：已过投标截止日 2026-12-10，不再接受投标");
    assert_eq!(count(db, "tender_bids").await, before);
    // A second bid of the same enterprise.
    assert!(matches!(td::submit_bid(db, &w.m_aj, id, &bid(w.aj, 100), d("2026-12-02")).await, Err(StoreError::Conflict(_))));

    // Scope before the award: 安居 sees only its own bid; 金宇 (not bidding) sees the public
    // tender but no bid; 金凤区's regulator does not see it.
    let f = td::tender_file(db, &w.m_aj, id).await.unwrap();
    assert_eq!(f.bids.iter().map(|b| b.enterprise_id).collect::<Vec<_>>(), vec![w.aj]);
    assert!(f.scores.is_empty());
    assert!(td::tender_file(db, &w.m_jy, id).await.unwrap().bids.is_empty());
    let reg_jf = user(db, "reg_jf", Role::Regulator, region("640106")).await;
    assert!(matches!(td::get_tender(db, &reg_jf, id).await, Err(StoreError::NotFound)));
    assert!(td::list_tenders(db, &reg_jf, &Default::default(), today).await.unwrap().is_empty());

    // Closing before the deadline has passed is refused; the day after it closes.
    assert!(td::close_bidding(db, reg, id, d("2026-12-10")).await.is_err());
    assert_eq!(td::close_bidding(db, reg, id, d("2026-12-11")).await.unwrap(), TenderState::Closed);

    // Panel refusals, nothing written.
    for (size, experts, reps, msg) in [
        (4, 4, 0, "评标委员会：成员至少 5 人，实为 4 人"),
        (6, 6, 0, "评标委员会：成员须为单数，实为 6 人"),
        (5, 3, 2, "评标委员会：专家须不少于成员的三分之二，5 人中至少 4 名专家，实为 3 名"),
    ] {
        let p = PanelInput { size, experts, representatives: (0..reps).map(|i| format!("代表{i}")).collect(), seed: Some(1) };
        assert_eq!(err_text(td::draw_panel(db, reg, id, &p).await.unwrap_err()), msg);
    }
    assert_eq!(count(db, "tender_panel_members").await, 0);
    assert_eq!(count(db, "tender_panels").await, 0);

    // An award before evaluation.
    let award_in = AwardInput { start_date: d("2027-01-01"), end_date: Some(d("2029-12-31")), fee_model: FeeModel::LumpSum };
    let e = td::award(db, reg, id, &award_in, d("2026-12-12")).await.unwrap_err();
    assert_eq!(err_text(e), "招标状态：「投标截止」不能转为「已定标」");

    // The draw: 5 members, 4 experts from the 兴庆区 and provincial pools (not 金凤区's, not
    // the one employed by bidder 安居), reproducible from the stored seed.
    let seed = td::draw_panel(db, reg, id, &PanelInput { size: 5, experts: 4, representatives: vec!["建设单位代表".into()], seed: Some(20261211) }).await.unwrap();
    assert_eq!(seed, 20261211);
    let f = td::tender_file(db, reg, id).await.unwrap();
    let panel = f.panel.clone().unwrap();
    assert_eq!((panel.size, panel.experts, panel.seed.as_str()), (5, 4, "20261211"));
    let experts = td::list_experts(db, &Access::system("t")).await.unwrap();
    let pool: Vec<i64> = panel.pool_ids.split(',').map(|s| s.parse().unwrap()).collect();
    assert_eq!(pool.len(), 12, "11 of 兴庆区 without the conflicted one, 1 provincial");
    let conflicted = experts.iter().find(|e| e.name == "兴庆专家2").unwrap().id;
    assert!(!pool.contains(&conflicted));
    assert!(experts.iter().filter(|e| e.region_code.starts_with("640106")).all(|e| !pool.contains(&e.id)));
    let drawn: Vec<i64> = f.members.iter().filter(|m| m.outside).map(|m| m.expert_id.unwrap()).collect();
    let pe: Vec<PoolExpert> = pool.iter().map(|id| PoolExpert { id: *id, employer: None, active: true }).collect();
    assert_eq!(rules::draw_panel(&pe, &[], 4, panel.seed.parse().unwrap()).unwrap(), drawn, "the stored seed and pool reproduce the draw");
    assert_eq!(f.members.len(), 5);
    assert!(!f.members[4].outside && f.members[4].name == "建设单位代表");

    // Scores: out of range refused, nothing written.
    let (c_price, c_plan, c_credit) = (f.criteria[0].id, f.criteria[1].id, f.criteria[2].id);
    let m1 = f.members[0].id;
    let e = td::record_scores(db, reg, id, m1, &[ScoreInput { bid_id: b_aj, criterion_id: c_price, points_tenths: 800 }, ScoreInput { bid_id: b_aj, criterion_id: c_plan, points_tenths: 1001 }]).await.unwrap_err();
    assert_eq!(err_text(e), "第 2 项评分：应为 0–100 分（精确到 0.1 分），实为 100.1");
    assert!(td::record_scores(db, reg, id, m1, &[ScoreInput { bid_id: b_aj, criterion_id: c_price, points_tenths: -5 }]).await.is_err());
    assert!(td::record_scores(db, reg, id, m1, &[ScoreInput { bid_id: b_aj, criterion_id: c_credit, points_tenths: 800 }]).await.is_err(), "credit is not scored by the panel");
    assert_eq!(count(db, "tender_scores").await, 0);

    // Worked example (weights 40/40/20; credit AA → 90.0 for 安居 and 恒信, unrated → 60.0 for 德泰):
    //   安居 报价 80.0, 方案 90.0 by all five: 40×800 + 40×900 + 20×900 = 86000 per member → 86.0
    //   恒信 报价 85.0, 方案 85.5 by all five: 34000 + 34200 + 18000 = 86200 → 86.2
    //   德泰 报价 75.3 (member 1) and 75.0, 方案 80.0: (150120 + 160000 + 60000) / 500 = 740.24 → 74.0
    for (i, m) in f.members.iter().enumerate() {
        let s = |b, c, p| ScoreInput { bid_id: b, criterion_id: c, points_tenths: p };
        let dt_price = if i == 0 { 753 } else { 750 };
        td::record_scores(db, reg, id, m.id, &[s(b_aj, c_price, 800), s(b_aj, c_plan, 900), s(b_hx, c_price, 850), s(b_hx, c_plan, 855), s(b_dt, c_price, dt_price), s(b_dt, c_plan, 800)]).await.unwrap();
    }
    let ranking = td::evaluate(db, reg, id).await.unwrap();
    assert_eq!(ranking, vec![(b_hx, 862), (b_aj, 860), (b_dt, 740)]);

    // The award creates the contract from 恒信's price.
    let contracts = count(db, "service_contracts").await;
    let cid = td::award(db, reg, id, &award_in, d("2026-12-15")).await.unwrap();
    assert_eq!(count(db, "service_contracts").await, contracts + 1);
    let c = wuye_store::registry::get_contract(db, &sys(), cid, today).await.unwrap();
    assert_eq!((c.estate_id, c.enterprise_id, c.kind.as_str(), c.fee_fen_per_m2_month, c.start_date, c.end_date), (w.chongan, w.hx, "preliminary", 140, d("2027-01-01"), Some(d("2029-12-31"))));
    let t = td::get_tender(db, reg, id).await.unwrap();
    assert_eq!((t.state(), t.awarded_enterprise_id, t.contract_id, t.award_late, t.filing_due()), (TenderState::Awarded, Some(w.hx), Some(cid), false, Some(d("2026-12-30"))));

    // After the award the bidders see every bid and the scores.
    let f = td::tender_file(db, &w.m_aj, id).await.unwrap();
    assert_eq!(f.bids.len(), 3);
    assert_eq!(f.bids[0].total_tenths, Some(862));
    // Another county's regulator still cannot.
    assert!(td::tender_file(db, &reg_jf, id).await.is_err());

    // Filing on day 15 is in time.
    assert!(!td::file(db, reg, id, d("2026-12-30"), "兴庆住建备〔2026〕7号", d("2026-12-31")).await.unwrap());
    assert_eq!(td::get_tender(db, reg, id).await.unwrap().state(), TenderState::Filed);
}

#[tokio::test]
async fn filing_boundaries_failed_tender_and_invitations() {
    let w = world().await;
    let db = &w.t.db;
    let reg = &w.reg;
    let today = d("2026-11-29");

    // Invited: 2 invitations are not enough; nothing changes.
    let inv = td::create_tender(db, reg, &new_tender(w.chongan, TenderMethod::Invited), today).await.unwrap();
    td::invite(db, reg, inv, &[w.aj, w.hx], today).await.unwrap();
    let e = td::publish(db, reg, inv, today).await.unwrap_err();
    assert_eq!(err_text(e), "邀请：邀请招标须邀请至少 3 家企业，实为 2 家");
    assert_eq!(td::get_tender(db, reg, inv).await.unwrap().state(), TenderState::Draft);
    td::invite(db, reg, inv, &[w.dt, w.hx], today).await.unwrap();
    td::publish(db, reg, inv, today).await.unwrap();
    assert_eq!(count(db, "tender_invitations").await, 3);
    // 金宇 was not invited: it neither sees the tender nor may bid.
    assert!(matches!(td::get_tender(db, &w.m_jy, inv).await, Err(StoreError::NotFound)));
    let e = td::submit_bid(db, reg, inv, &bid(w.jy, 100), today).await.unwrap_err();
    assert_eq!(err_text(e), "投标企业：邀请招标只接受受邀企业投标");

    // Failed: a public tender with 2 bids.
    let failed = td::create_tender(db, reg, &new_tender(w.chongan, TenderMethod::Public), today).await.unwrap();
    td::publish(db, reg, failed, today).await.unwrap();
    td::submit_bid(db, &w.m_aj, failed, &bid(w.aj, 100), today).await.unwrap();
    td::submit_bid(db, &w.m_hx, failed, &bid(w.hx, 100), today).await.unwrap();
    assert_eq!(td::close_bidding(db, reg, failed, d("2026-12-11")).await.unwrap(), TenderState::Failed);
    let t = td::get_tender(db, reg, failed).await.unwrap();
    assert_eq!(t.state_note, "投标人 2 家，少于 3 家，流标");

    // A committee may not organise a preliminary tender.
    let qa = estate(db, "640205001001", "庆安花园").await;
    let committee = user(db, "c_qa", Role::Committee, Scope::Estate(qa)).await;
    let mut nt = new_tender(qa, TenderMethod::Public);
    assert!(matches!(td::create_tender(db, &committee, &nt, today).await, Err(StoreError::Forbidden(_))));
    nt.kind = TenderKind::Regular;
    let reg_t = td::create_tender(db, &committee, &nt, today).await.unwrap();
    // … nor see another estate's tender.
    assert!(matches!(td::get_tender(db, &committee, inv).await, Err(StoreError::NotFound)));
    assert_eq!(td::get_tender(db, &committee, reg_t).await.unwrap().kind, "regular");

    // Bad criteria: weights not summing to 100; nothing written.
    let before = count(db, "tenders").await;
    let mut bad = new_tender(w.chongan, TenderMethod::Public);
    bad.criteria[2].weight_pct = 10;
    assert_eq!(err_text(td::create_tender(db, reg, &bad, today).await.unwrap_err()), "评标标准权重：合计须为 100%，实为 90%");
    assert_eq!(count(db, "tenders").await, before);
}

/// Runs a 3-bid public tender to the award on `awarded_on` with a fixed seed.
async fn awarded(w: &World, awarded_on: NaiveDate) -> i64 {
    let db = &w.t.db;
    let reg = &w.reg;
    let id = td::create_tender(db, reg, &new_tender(w.chongan, TenderMethod::Public), d("2026-11-29")).await.unwrap();
    td::publish(db, reg, id, d("2026-11-29")).await.unwrap();
    for (e, p) in [(w.aj, 100), (w.hx, 110), (w.dt, 120)] {
        td::submit_bid(db, reg, id, &bid(e, p), d("2026-12-01")).await.unwrap();
    }
    td::close_bidding(db, reg, id, d("2026-12-11")).await.unwrap();
    td::draw_panel(db, reg, id, &PanelInput { size: 5, experts: 5, representatives: vec![], seed: Some(7) }).await.unwrap();
    let f = td::tender_file(db, reg, id).await.unwrap();
    for m in &f.members {
        let mut s = Vec::new();
        for b in &f.bids {
            for c in f.criteria.iter().filter(|c| !c.credit) {
                s.push(ScoreInput { bid_id: b.id, criterion_id: c.id, points_tenths: 700 + b.price_fen_per_m2_month });
            }
        }
        td::record_scores(db, reg, id, m.id, &s).await.unwrap();
    }
    td::evaluate(db, reg, id).await.unwrap();
    td::award(db, reg, id, &AwardInput { start_date: awarded_on, end_date: None, fee_model: FeeModel::Commission }, awarded_on).await.unwrap();
    id
}

#[tokio::test]
async fn filing_day_15_in_time_day_16_late_and_same_seed_same_draw() {
    let w = world().await;
    let db = &w.t.db;
    let a = awarded(&w, d("2026-12-15")).await;
    assert!(!td::file(db, &w.reg, a, d("2026-12-30"), "兴庆住建备〔2026〕1号", d("2026-12-30")).await.unwrap(), "day 15 in time");
    let t = td::get_tender(db, &w.reg, a).await.unwrap();
    assert_eq!((t.state(), t.filed_on, t.filing_late(d("2027-06-01"))), (TenderState::Filed, Some(d("2026-12-30")), false));
    // The winner is 德泰 (the highest price scored highest in this fixture).
    assert_eq!(t.awarded_enterprise_id, Some(w.dt));

    let b = awarded(&w, d("2026-12-16")).await;
    assert!(td::file(db, &w.reg, b, d("2027-01-01"), "", d("2027-01-01")).await.unwrap(), "day 16 late");
    let t = td::get_tender(db, &w.reg, b).await.unwrap();
    assert!(t.filing_late(d("2027-01-01")));
    let flagged = td::list_tenders(db, &w.reg, &td::TenderFilter { flagged: Some(true), ..Default::default() }, d("2027-01-01")).await.unwrap();
    assert_eq!(flagged.iter().map(|t| t.id).collect::<Vec<_>>(), vec![b]);

    // Same seed, same pool → same experts in both tenders.
    let ma: Vec<Option<i64>> = td::tender_file(db, &w.reg, a).await.unwrap().members.iter().map(|m| m.expert_id).collect();
    let mb: Vec<Option<i64>> = td::tender_file(db, &w.reg, b).await.unwrap().members.iter().map(|m| m.expert_id).collect();
    assert_eq!(ma, mb);

    // Figures of 兴庆区: 2 held, 2 awarded, 0 failed, 1 filed late, 3.0 bids per tender.
    let stats = td::tender_stats(db, &w.reg, "640104", 9, d("2027-01-01")).await.unwrap();
    assert_eq!(stats.len(), 1);
    let (k, f) = &stats[0];
    assert_eq!((k.as_str(), f.held, f.awarded, f.failed, f.filed_late, f.avg_bids_tenths()), ("640104001", 2, 2, 0, 1, 30));
    let _ = (w.jy, &w.m_hx);
}

/// The demo: 24 experts, four tenders — one filed, one in bidding, one awarded with its
/// filing late, one failed — and the two awards' contracts; a second run writes nothing.
#[tokio::test]
async fn demo_tenders() {
    let t = TestDb::new().await;
    let db = &t.db;
    let today = d("2026-11-29");
    wuye_store::demo::generate(db, 2000, 7, today, &wuye_store::import::Quiet).await.unwrap();
    let contracts = count(db, "service_contracts").await;
    let r = td::write_demo(db, today).await.unwrap();
    assert_eq!((r.experts, r.tenders, r.contracts), (24, 4, 2), "{r}");
    assert_eq!(count(db, "tender_experts").await, 24);
    assert_eq!(count(db, "service_contracts").await, contracts + 2);
    let list = td::list_tenders(db, &sys(), &Default::default(), today).await.unwrap();
    let mut states: Vec<(String, bool)> = list.iter().map(|t| (t.state.clone(), t.filing_late(today))).collect();
    states.sort();
    assert_eq!(states, vec![("awarded".to_string(), true), ("failed".to_string(), false), ("filed".to_string(), false), ("published".to_string(), false)]);
    assert_eq!(td::write_demo(db, today).await.unwrap().tenders, 0);
}

/// Credit after the bids: 恒信 ranks first with AA at bid time, then a serious record entered
/// on 2026-12-01 black-lists it from 2026-12-16 (objection window to 12-15). The award on
/// 2026-12-16 passes over it to 安居, the next in rank, and the audit names 恒信. A barred
/// enterprise cannot be invited either. Before the award a bidder sees only its own bid,
/// its own invitation and nothing of the panel.
#[tokio::test]
async fn a_winner_black_listed_after_bidding_is_passed_over_and_bidders_stay_confidential() {
    let w = world().await;
    let db = &w.t.db;
    let reg = &w.reg;
    for e in [w.aj, w.hx] {
        wuye_store::credit::register(db, &sys(), e, d("2026-01-05")).await.unwrap();
    }
    let id = td::create_tender(db, reg, &new_tender(w.chongan, TenderMethod::Public), d("2026-11-29")).await.unwrap();
    td::publish(db, reg, id, d("2026-11-29")).await.unwrap();
    let b_aj = td::submit_bid(db, &w.m_aj, id, &bid(w.aj, 130), d("2026-12-01")).await.unwrap();
    let b_hx = td::submit_bid(db, &w.m_hx, id, &bid(w.hx, 140), d("2026-12-01")).await.unwrap();
    let b_dt = td::submit_bid(db, reg, id, &bid(w.dt, 120), d("2026-12-01")).await.unwrap();
    let rec = wuye_store::credit::NewRecord { enterprise_id: w.hx, item_code: "S01".into(), points_tenths: 100, source: "court".into(), title: "拒不退出物业服务项目".into(), occurred_on: d("2026-12-01"), ..Default::default() };
    wuye_store::credit::enter(db, &sys(), &rec, &[], d("2026-12-01")).await.unwrap();
    td::close_bidding(db, reg, id, d("2026-12-11")).await.unwrap();
    td::draw_panel(db, reg, id, &PanelInput { size: 5, experts: 4, representatives: vec!["建设单位代表".into()], seed: Some(7) }).await.unwrap();
    // Before the award: 安居 sees one bid (its own), no other invitation, no panel.
    let seen = td::get_tender(db, &w.m_aj, id).await.unwrap();
    assert_eq!(seen.bids, 1, "the number of bidders is not disclosed");
    assert_eq!(td::get_tender(db, reg, id).await.unwrap().bids, 3);
    let f = td::tender_file(db, &w.m_aj, id).await.unwrap();
    assert!(f.panel.is_none() && f.members.is_empty(), "the panel is confidential before the award");
    let f = td::tender_file(db, reg, id).await.unwrap();
    let (c_price, c_plan) = (f.criteria[0].id, f.criteria[1].id);
    for m in &f.members {
        let s = |b, c, p| ScoreInput { bid_id: b, criterion_id: c, points_tenths: p };
        td::record_scores(db, reg, id, m.id, &[s(b_aj, c_price, 800), s(b_aj, c_plan, 900), s(b_hx, c_price, 850), s(b_hx, c_plan, 855), s(b_dt, c_price, 750), s(b_dt, c_plan, 800)]).await.unwrap();
    }
    // Credit at bid time (AA → 90 for both): 恒信 86.2, 安居 86.0, 德泰 74.0.
    assert_eq!(td::evaluate(db, reg, id).await.unwrap(), vec![(b_hx, 862), (b_aj, 860), (b_dt, 740)]);
    // 12-15, the last day to object: 恒信 is not barred yet.
    assert!(!wuye_store::credit::standing(db, w.hx, d("2026-12-15")).await.unwrap().barred);
    assert!(wuye_store::credit::standing(db, w.hx, d("2026-12-16")).await.unwrap().barred);
    let award_in = AwardInput { start_date: d("2027-01-01"), end_date: Some(d("2029-12-31")), fee_model: FeeModel::LumpSum };
    td::award(db, reg, id, &award_in, d("2026-12-16")).await.unwrap();
    let t = td::get_tender(db, reg, id).await.unwrap();
    assert_eq!((t.awarded_enterprise_id, t.awarded_bid_id), (Some(w.aj), Some(b_aj)), "安居, next in rank");
    let fee: i64 = on!(db, p => sqlx::query_scalar("SELECT fee_fen_per_m2_month FROM service_contracts WHERE id = $1").bind(t.contract_id.unwrap()).fetch_one(p).await).unwrap();
    assert_eq!(fee, 130);
    let audit: String = on!(db, p => sqlx::query_scalar("SELECT after_json FROM audit_log WHERE action = 'award' AND object_type = 'tender' AND object_id = $1").bind(id.to_string()).fetch_one(p).await).unwrap();
    assert!(audit.contains(&format!("\"enterprise_id\":{}", w.hx)) && audit.contains("black"), "{audit}");
    // After the award the bidders see all bids.
    assert_eq!(td::get_tender(db, &w.m_aj, id).await.unwrap().bids, 3);
    // An invited tender cannot count a barred enterprise among its invitations.
    let inv = td::create_tender(db, reg, &NewTender { bid_deadline: d("2026-12-31"), bid_validity_until: d("2027-03-31"), ..new_tender(w.chongan, TenderMethod::Invited) }, d("2026-12-16")).await.unwrap();
    let before = count(db, "tender_invitations").await;
    let e = td::invite(db, reg, inv, &[w.aj, w.hx, w.dt], d("2026-12-16")).await.unwrap_err();
    assert!(err_text(e).starts_with("邀请第 2 家企业：该企业被限制参与招投标"));
    assert_eq!(count(db, "tender_invitations").await, before);
}
