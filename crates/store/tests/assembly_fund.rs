//! Owners' assembly and maintenance fund store tests. They run on SQLite, or on
//! PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};
use wuye_domain::account::{Role, Scope};
use wuye_domain::fund::InterestMethod;
use wuye_domain::assembly::{Ballot, Choice, MatterKind, RuleSet, TallyOptions, VoterId, last_ballot_per_voter};
use wuye_store::access::Access;
use wuye_store::assembly::{self, CommitteeInput, CovenantInput, Member, Method, NewVote};
use wuye_store::testing::{FIXTURE_PASSWORD, TestDb, count, fixture_today, load_fixture};
use wuye_store::{Db, StoreError, on};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A scan of a paper ballot (a minimal PDF).
fn scan() -> assembly::Scan {
    assembly::Scan { file_name: "表决票.pdf".into(), bytes: b"%PDF-1.4\n% ballot\n%%EOF\n".to_vec() }
}

fn sys() -> Access {
    Access::system("test")
}

async fn scalar(db: &Db, sql: &'static str, bind: &str) -> i64 {
    on!(db, p => sqlx::query_scalar(sql).bind(bind).fetch_one(p).await).unwrap()
}

async fn owner_id(db: &Db, name: &str) -> i64 {
    scalar(db, "SELECT id FROM owners WHERE name = $1", name).await
}

async fn estate_id(db: &Db, name: &str) -> i64 {
    scalar(db, "SELECT id FROM estates WHERE name = $1", name).await
}

/// Adds a delivered house with one owner to an estate's first building and unit (raw SQL,
/// as a registry import would).
async fn add_house(db: &Db, estate: i64, room: &str, building_area: i64, exclusive_area: i64, status: &str, owner: Option<i64>) -> i64 {
    on!(db, p => {
        let (bid, uid): (i64, i64) = sqlx::query_as("SELECT u.building_id, u.id FROM units u JOIN buildings b ON b.id = u.building_id WHERE b.estate_id = $1 ORDER BY u.id LIMIT 1")
            .bind(estate).fetch_one(p).await.unwrap();
        let id: i64 = sqlx::query_scalar("INSERT INTO houses (estate_id, building_id, unit_id, room_no, building_area, exclusive_area, house_use, status) VALUES ($1,$2,$3,$4,$5,$6,'residential',$7) RETURNING id")
            .bind(estate).bind(bid).bind(uid).bind(room).bind(building_area).bind(exclusive_area).bind(status).fetch_one(p).await.unwrap();
        if let Some(o) = owner {
            sqlx::query("INSERT INTO ownerships (house_id, owner_id) VALUES ($1,$2)").bind(id).bind(o).execute(p).await.unwrap();
        }
        id
    })
}

async fn add_owner(db: &Db, name: &str) -> i64 {
    on!(db, p => sqlx::query_scalar("INSERT INTO owners (owner_key, kind, name) VALUES ($1,'person',$2) RETURNING id")
        .bind(format!("name:test:{name}")).bind(name).fetch_one(p).await).unwrap()
}

/// A logged-in owner's access.
async fn owner_access(db: &Db, login: &str, owner: i64) -> Access {
    wuye_store::account::create_user(db, &sys(), login, login, FIXTURE_PASSWORD, &[(Role::Owner, Scope::Owner(owner), String::new())], false).await.unwrap();
    let (_, s) = wuye_store::account::login(db, login, FIXTURE_PASSWORD).await.unwrap().unwrap();
    s.access
}

fn choices(c: &[(u32, Choice)]) -> BTreeMap<u32, Choice> {
    c.iter().copied().collect()
}

async fn two_matter_vote(db: &Db, estate: i64, opens_on: NaiveDate) -> i64 {
    let v = NewVote {
        title: "2027 年度电梯更新".into(),
        rule_set_code: None,
        opens_on,
        closes_on: opens_on + chrono::Days::new(14),
        matters: vec![(MatterKind::UseFund, "使用维修资金更新 1 号楼电梯".into()), (MatterKind::RaiseFund, "续筹维修资金".into())],
    };
    assembly::create_vote(db, &sys(), estate, &v, fixture_today()).await.unwrap()
}

/// Ballots, counted ballots, counted choices and audit entries: what a refused cast must
/// leave unchanged.
async fn write_counts(db: &Db) -> [i64; 4] {
    [count(db, "ballots").await, count(db, "counted_ballots").await, count(db, "counted_choices").await, count(db, "audit_log").await]
}

#[tokio::test]
async fn vote_lifecycle_on_the_fixture_estate() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let today = fixture_today();
    let ca = estate_id(db, "崇安小区").await;
    let (ma, yang, li, zhang) = (owner_id(db, "马明").await, owner_id(db, "杨芳").await, owner_id(db, "李强").await, owner_id(db, "张伟").await);
    // 李强 owns a second house in the estate: one voter with both areas.
    add_house(db, ca, "103", 6000, 5000, "delivered", Some(li)).await;

    assembly::set_covenant(db, &sys(), ca, &CovenantInput { rule_set_code: "civil_code_2021".into(), silent_vote: false, silent_clause: String::new(), procedure_text: "书面征求意见".into(), filed_on: Some(d("2026-01-05")) }, today).await.unwrap();
    let bad = CovenantInput { rule_set_code: "civil_code_2021".into(), silent_vote: true, silent_clause: " ".into(), procedure_text: String::new(), filed_on: None };
    assert!(matches!(assembly::set_covenant(db, &sys(), ca, &bad, today).await, Err(StoreError::Invalid(m)) if m.contains("沉默票")));
    let member = |n: &str, pos: &str| Member { name: n.into(), position: pos.into(), owner_id: None };
    let four = CommitteeInput { term_start: d("2026-01-01"), term_end: d("2030-12-31"), members: vec![member("甲", "director"), member("乙", "member"), member("丙", "member"), member("丁", "member")], filed_on: None };
    let e = assembly::set_committee(db, &sys(), ca, &four, today).await.unwrap_err().to_string();
    assert!(e.contains("不得少于 5 人"), "{e}");
    let mut five = four.clone();
    five.members.push(member("戊", "deputy"));
    five.term_end = d("2031-01-02");
    assert!(assembly::set_committee(db, &sys(), ca, &five, today).await.unwrap_err().to_string().contains("任期不得超过 5 年"));
    five.term_end = d("2030-12-31");
    assembly::set_committee(db, &sys(), ca, &five, today).await.unwrap();
    assert_eq!(assembly::committee(db, &sys(), ca, today).await.unwrap().unwrap().members.len(), 5);

    let opens = d("2026-12-14");
    let vid = two_matter_vote(db, ca, opens).await;
    // Casting before the vote opens is refused and writes nothing.
    let before = write_counts(db).await;
    let paper = |v: VoterId| Method::Paper { voter: v, scan: scan() };
    let e = assembly::cast(db, &sys(), vid, &paper(VoterId::Owner(li)), &choices(&[(1, Choice::Agree)]), today).await.unwrap_err();
    assert!(e.to_string().contains("草稿"), "{e}");
    // Announced 14 days ahead is too short; 15 is enough.
    assert!(assembly::announce(db, &sys(), vid, opens - chrono::Days::new(14)).await.unwrap_err().to_string().contains("至少 15 天"));
    assembly::announce(db, &sys(), vid, today).await.unwrap();
    assert!(assembly::cast(db, &sys(), vid, &paper(VoterId::Owner(li)), &choices(&[(1, Choice::Agree)]), today).await.is_err());
    assert!(assembly::open(db, &sys(), vid, d("2026-12-13")).await.unwrap_err().to_string().contains("尚未到"));
    assert_eq!(write_counts(db).await[..3], before[..3]);

    let totals = assembly::open(db, &sys(), vid, opens).await.unwrap();
    // Voters: 马明+杨芳 (co-owners of 101, 80 m²), 李强 (102 + 103), the developer
    // (0201 sold but undelivered with no owner, S01 unsold).
    assert_eq!((totals.area, totals.heads), (8000 + 7525 + 5000 + 10000 + 6000, 3));
    let el = assembly::electorate(db, &sys(), vid, opens).await.unwrap();
    let keys: Vec<String> = el.voters.iter().map(|v| v.id.code()).collect();
    assert_eq!(keys, vec!["developer".to_string(), format!("owner:{}", ma.min(yang)), format!("owner:{li}")]);
    let couple = VoterId::Owner(ma.min(yang));
    let zw = owner_access(db, "owner_zw", zhang).await;
    let yang_a = owner_access(db, "owner_yf", yang).await;
    let ma_a = owner_access(db, "owner_mm", ma).await;

    // A non-voter is refused and nothing is written.
    let before = write_counts(db).await;
    let e = assembly::cast(db, &sys(), vid, &paper(VoterId::Owner(zhang)), &choices(&[(1, Choice::Agree)]), opens).await.unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(ref m) if m.contains("不在表决")), "{e}");
    assert!(assembly::cast(db, &zw, vid, &Method::Online, &choices(&[(1, Choice::Agree)]), opens).await.is_err());
    // A proxy needs the authorisation; a choice on an unlisted matter is refused.
    assert!(assembly::cast(db, &sys(), vid, &Method::Proxy { voter: VoterId::Owner(li), authorisation: "".into() }, &choices(&[(1, Choice::Agree)]), opens).await.is_err());
    assert!(assembly::cast(db, &sys(), vid, &paper(VoterId::Owner(li)), &choices(&[(3, Choice::Agree)]), opens).await.is_err());
    // The committee cannot cast "online" for an owner.
    assert!(matches!(assembly::cast(db, &sys(), vid, &Method::Online, &choices(&[(1, Choice::Agree)]), opens).await, Err(StoreError::Forbidden(_))));
    assert_eq!(write_counts(db).await, before);

    // Co-owners cast one ballot: 杨芳 online, then 马明 changes it twice; the last counts.
    let r1 = assembly::cast(db, &yang_a, vid, &Method::Online, &choices(&[(1, Choice::Disagree), (2, Choice::Disagree)]), opens).await.unwrap();
    assert_eq!(r1.voter, couple.code());
    assembly::cast(db, &ma_a, vid, &Method::Online, &choices(&[(1, Choice::Abstain)]), opens).await.unwrap();
    let last = assembly::cast(db, &ma_a, vid, &Method::Online, &choices(&[(1, Choice::Agree), (2, Choice::Agree)]), opens).await.unwrap();
    assembly::cast(db, &sys(), vid, &Method::Proxy { voter: VoterId::Owner(li), authorisation: "李强委托王某代为投票（2026-12-10 书面委托书）".into() }, &choices(&[(1, Choice::Agree), (2, Choice::Disagree)]), opens).await.unwrap();
    assembly::cast(db, &sys(), vid, &paper(VoterId::Developer), &choices(&[(1, Choice::Disagree), (2, Choice::Agree)]), opens).await.unwrap();
    assert_eq!(count(db, "ballots").await, 5);
    let counted = assembly::counted_ballots(db, &sys(), vid, opens).await.unwrap();
    assert_eq!(counted.len(), 3);
    let c = counted.iter().find(|(_, b)| b.voter == couple).unwrap();
    assert_eq!((c.0, c.1.choices.clone()), (last.ballot_id, choices(&[(1, Choice::Agree), (2, Choice::Agree)])));
    assert_eq!(count(db, "counted_choices").await, 6);

    // The SQL tally equals the domain's tally over the last ballot per voter.
    let history: Vec<Ballot> = assembly::ballot_history(db, &sys(), vid, opens).await.unwrap().iter().map(|b| b.ballot().unwrap()).collect();
    let lastb = last_ballot_per_voter(history);
    let matters: Vec<_> = assembly::matters(db, &sys(), vid, opens).await.unwrap().into_iter().map(|(m, _)| m).collect();
    let expected = wuye_domain::assembly::tally(&RuleSet::civil_code_2021(), &el, &matters, &lastb, &TallyOptions::default()).unwrap();
    let got = assembly::tally(db, &sys(), vid, opens).await.unwrap();
    assert_eq!(got, expected);
    // Use of the fund: agree 80 + 125.25 of 365.25 m² and 2 of 3 owners — passes;
    // raising it needs 3/4: 80 + 160 of 365.25 m² fails.
    assert!(got[0].passed, "{:?}", got[0].failures);
    assert!(!got[1].passed);
    assert_eq!((got[1].sums.agree_area, got[1].sums.agree_heads), (24000, 2));

    // After close nothing more is accepted.
    assembly::close(db, &sys(), vid, opens).await.unwrap();
    let before = write_counts(db).await;
    let e = assembly::cast(db, &ma_a, vid, &Method::Online, &choices(&[(1, Choice::Disagree)]), opens).await.unwrap_err();
    assert!(e.to_string().contains("已截止"), "{e}");
    assert_eq!(write_counts(db).await, before);
    // Owners see the tally only once published.
    assert!(assembly::tally(db, &ma_a, vid, opens).await.is_err());
    let published = assembly::publish(db, &sys(), vid, opens).await.unwrap();
    assert_eq!(published, expected);
    assert_eq!(assembly::tally(db, &ma_a, vid, opens).await.unwrap(), expected);

    // Each owner verifies their receipt and the chain; another voter's is not theirs to see.
    let check = assembly::receipt(db, &ma_a, vid, couple, opens).await.unwrap();
    assert_eq!(check.receipt, last.receipt);
    assert!(check.position.is_some() && check.matches_ballot && check.totals_agree);
    assert_eq!(check.chain_broken_at, None);
    assert!(r1.receipt != last.receipt, "a changed ballot has a new receipt");
    assert!(assembly::receipt(db, &ma_a, vid, VoterId::Owner(li), opens).await.is_err());
    // Tampering with a published entry breaks the chain from that entry.
    on!(db, p => sqlx::query("UPDATE vote_published SET area = area + 1 WHERE vote_id = $1 AND seq = 1").bind(vid).execute(p).await.map(|_| ())).unwrap();
    let check = assembly::receipt(db, &sys(), vid, VoterId::Developer, opens).await.unwrap();
    assert_eq!(check.chain_broken_at, Some(1));
    assert!(!check.totals_agree);
}

#[tokio::test]
async fn silent_vote_only_with_the_covenant_clause() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let today = fixture_today();
    let ca = estate_id(db, "崇安小区").await;
    let li = owner_id(db, "李强").await;
    assembly::set_covenant(db, &sys(), ca, &CovenantInput { rule_set_code: "civil_code_2021".into(), silent_vote: true, silent_clause: "管理规约第二十条".into(), procedure_text: String::new(), filed_on: None }, today).await.unwrap();
    let vid = two_matter_vote(db, ca, d("2026-12-14")).await;
    assembly::announce(db, &sys(), vid, today).await.unwrap();
    assembly::open(db, &sys(), vid, d("2026-12-14")).await.unwrap();
    assert_eq!(assembly::get_vote(db, &sys(), vid, today).await.unwrap().silent_clause, "管理规约第二十条");
    assembly::cast(db, &sys(), vid, &Method::Paper { voter: VoterId::Owner(li), scan: scan() }, &choices(&[(1, Choice::Agree)]), d("2026-12-14")).await.unwrap();
    let r = assembly::tally(db, &sys(), vid, d("2026-12-14")).await.unwrap();
    let imp = r[0].imputed.as_ref().unwrap();
    assert_eq!((imp.clause.as_str(), imp.heads), ("管理规约第二十条", 2));
    // Imputed votes never make the quorum.
    assert!(!r[0].participation_heads_met && !r[0].passed);
}

/// Raw-inserts an estate of `n` owners each with one house, the first 20 with a second
/// house, and 10 unsold houses: with the fixture's owner, `n + 2` voters.
async fn big_estate(db: &Db, n: usize) -> i64 {
    let est = estate_id(db, "庆安花园").await;
    let mut owners = Vec::new();
    for i in 0..n {
        owners.push(add_owner(db, &format!("业主{i:04}")).await);
    }
    for (i, o) in owners.iter().enumerate() {
        add_house(db, est, &format!("G{i:04}"), 9000 + (i as i64 % 7) * 100, 7000 + (i as i64 % 13) * 37, "delivered", Some(*o)).await;
    }
    for (i, o) in owners.iter().take(20).enumerate() {
        add_house(db, est, &format!("H{i:04}"), 8000, 6000, "delivered", Some(*o)).await;
    }
    for i in 0..10 {
        add_house(db, est, &format!("U{i:04}"), 8000, 6500, "unsold", None).await;
    }
    est
}

/// Small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_ballots_count_exactly() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let est = big_estate(db, 400).await;
    let opens = d("2026-12-14");
    let vid = two_matter_vote(db, est, opens).await;
    assembly::announce(db, &sys(), vid, fixture_today()).await.unwrap();
    let totals = assembly::open(db, &sys(), vid, opens).await.unwrap();
    // 400 generated owners, 刘洋 of the fixture, and the developer.
    assert_eq!(totals.heads, 402);
    let el = assembly::electorate(db, &sys(), vid, opens).await.unwrap();
    let voters: Vec<VoterId> = el.voters.iter().map(|v| v.id).collect();

    let mut rng = Rng(0x5eed_2026_1129);
    let all = [Choice::Agree, Choice::Disagree, Choice::Abstain];
    let mut jobs = Vec::new();
    for i in 0..1000u64 {
        // Duplicates and changes: 1000 ballots over 401 voters, 300 of them on 60 voters.
        let voter = if i % 10 < 3 { voters[rng.below(60) as usize] } else { voters[rng.below(voters.len() as u64) as usize] };
        let mut c = BTreeMap::new();
        c.insert(1, all[rng.below(3) as usize]);
        if rng.below(4) > 0 {
            c.insert(2, all[rng.below(3) as usize]);
        }
        jobs.push((voter, c));
    }
    // All 1000 are spawned at once; at most 64 wait on the pool at a time, so that a loaded
    // machine does not turn the pool's acquire timeout (5 s on PostgreSQL) into a failure.
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
    let mut handles = Vec::new();
    for (voter, c) in jobs {
        let db = db.clone();
        let gate = gate.clone();
        handles.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore");
            let method = if voter == VoterId::Developer { Method::Paper { voter, scan: scan() } } else { Method::Proxy { voter, authorisation: "书面委托".into() } };
            assembly::cast(&db, &Access::system("test"), vid, &method, &c, opens).await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    assert_eq!(count(db, "ballots").await, 1000);
    let history = assembly::ballot_history(db, &sys(), vid, opens).await.unwrap();
    let distinct: BTreeSet<&str> = history.iter().map(|b| b.voter_key.as_str()).collect();
    let counted = assembly::counted_ballots(db, &sys(), vid, opens).await.unwrap();
    assert_eq!(counted.len(), distinct.len(), "exactly one counted ballot per voter");
    // The counted ballot of each voter is their last one in the history.
    let last = last_ballot_per_voter(history.iter().map(|b| b.ballot().unwrap()));
    assert_eq!(counted.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>(), last);
    let last_ids: BTreeMap<&str, i64> = history.iter().map(|b| (b.voter_key.as_str(), b.id)).collect();
    for (id, b) in &counted {
        assert_eq!(last_ids[b.voter.code().as_str()], *id);
    }
    let matters: Vec<_> = assembly::matters(db, &sys(), vid, opens).await.unwrap().into_iter().map(|(m, _)| m).collect();
    let expected = wuye_domain::assembly::tally(&RuleSet::civil_code_2021(), &el, &matters, &last, &TallyOptions::default()).unwrap();
    assert_eq!(assembly::tally(db, &sys(), vid, opens).await.unwrap(), expected);
    let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM counted_choices WHERE vote_id = $1").bind(vid).fetch_one(p).await).unwrap();
    assert_eq!(n as usize, last.iter().map(|b| b.choices.len()).sum::<usize>());
}

// ---------------------------------------------------------------------------------------
// Fund
// ---------------------------------------------------------------------------------------

use wuye_domain::fund::{EmergencyKind, FundUseState};
use wuye_store::fund::{self, NewFundUse};

async fn house_id(db: &Db, estate: i64, room: &str) -> i64 {
    on!(db, p => sqlx::query_scalar("SELECT id FROM houses WHERE estate_id = $1 AND room_no = $2").bind(estate).bind(room).fetch_one(p).await).unwrap()
}

async fn fund_fixture(db: &Db) -> (i64, i64) {
    load_fixture(db).await;
    let d0 = d("2020-01-01");
    fund::set_rate(db, &sys(), "6401", true, 8000, d0).await.unwrap();
    fund::set_rate(db, &sys(), "6401", false, 4000, d0).await.unwrap();
    fund::set_rate(db, &sys(), "640104", false, 4500, d("2027-01-01")).await.unwrap();
    let ca = estate_id(db, "崇安小区").await;
    let xl = estate_id(db, "兴隆家园").await;
    assert_eq!(fund::open_accounts(db, &sys(), ca, d("2026-01-10")).await.unwrap(), 4);
    assert_eq!(fund::open_accounts(db, &sys(), xl, d("2026-01-10")).await.unwrap(), 3);
    (ca, xl)
}

async fn assert_verified(db: &Db) {
    let (_, bad) = fund::verify(db).await.unwrap();
    assert!(bad.is_empty(), "{bad:?}");
}

#[tokio::test]
async fn fund_accounts_interest_and_statements_in_exact_fen() {
    let t = TestDb::new().await;
    let db = &t.db;
    let (ca, xl) = fund_fixture(db).await;
    let today = fixture_today();
    // 1号楼 of 崇安 has an elevator: 100 m² × 80 元/m²; 兴隆 has none: 70 m² × 40 元/m²
    // (the 45 元 rate of 兴庆区 only applies from 2027).
    let h101 = house_id(db, ca, "101").await;
    assert_eq!(fund::household(db, &sys(), h101, today).await.unwrap().initial_deposit, 800_000);
    assert_eq!(fund::household(db, &sys(), h101, today).await.unwrap().owner_snapshot, "杨芳", "the smallest name of the co-owners");
    let xs = fund::households(db, &sys(), xl, today).await.unwrap();
    assert!(xs.iter().all(|h| h.initial_deposit == 280_000 && h.balance == 0));
    assert!(matches!(fund::open_accounts(db, &sys(), xl, today).await, Err(StoreError::Conflict(_))));

    // 3 households of 1 fen each; 100 fen of interest → 34/33/33.
    for h in &xs {
        fund::deposit(db, &sys(), h.house_id, 1, "业主", d("2026-02-01")).await.unwrap();
    }
    let parts = fund::allocate_interest(db, &sys(), xl, 100, InterestMethod::ByBalance, d("2026-06-30")).await.unwrap();
    assert_eq!(parts.iter().map(|p| p.1).collect::<Vec<_>>(), vec![34, 33, 33]);
    assert_eq!(fund::account_balance(db, &sys(), xl, today).await.unwrap(), 103);
    assert!(fund::deposit(db, &sys(), xs[0].house_id, 0, "业主", today).await.is_err());
    assert!(fund::deposit(db, &sys(), xs[0].house_id, 5, " ", today).await.is_err());

    // Sale: the balance stays with the house, the owner changes, out and in are equal.
    let moved = fund::transfer_on_sale(db, &sys(), xs[0].house_id, "新业主甲", d("2026-08-01")).await.unwrap();
    assert_eq!(moved, 35);
    let h = fund::household(db, &sys(), xs[0].house_id, today).await.unwrap();
    assert_eq!((h.balance, h.owner_snapshot.as_str()), (35, "新业主甲"));
    // Demolition refunds the balance and closes the account.
    assert_eq!(fund::refund_on_demolition(db, &sys(), xs[1].house_id, d("2026-09-01")).await.unwrap(), 34);
    assert!(fund::deposit(db, &sys(), xs[1].house_id, 5, "业主", today).await.is_err());
    assert_eq!(fund::account_balance(db, &sys(), xl, today).await.unwrap(), 69);
    // Everyone is below 30% of 2 800 元.
    assert_eq!(fund::top_up_list(db, &sys(), xl, today).await.unwrap().len(), 2);
    fund::deposit(db, &sys(), xs[2].house_id, 84_000, "业主", d("2026-10-01")).await.unwrap();
    let top = fund::top_up_list(db, &sys(), xl, today).await.unwrap();
    assert_eq!(top.iter().map(|t| (t.house_id, t.amount)).collect::<Vec<_>>(), vec![(xs[0].house_id, 280_000 - 35)]);

    let s = fund::household_statement(db, &sys(), xs[0].house_id, 2026, today).await.unwrap();
    assert_eq!((s.opening, s.deposits, s.interest, s.uses, s.other, s.closing), (0, 1, 34, 0, 0, 35));
    let e = fund::estate_statement(db, &sys(), xl, 2026, today).await.unwrap();
    assert_eq!((e.deposits, e.interest, e.other, e.closing), (84_003, 100, -34, 84_069));
    let next = fund::estate_statement(db, &sys(), xl, 2027, today).await.unwrap();
    assert_eq!((next.opening, next.closing), (84_069, 84_069));

    // The ledgers read back: every household's statement in one query adds up to the
    // estate's; the account's counts; the year's entries; a closed account is not below.
    let all = fund::household_statements(db, &sys(), xl, 2026, today).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all.iter().map(|h| h.statement.closing).sum::<i64>(), e.closing);
    assert_eq!(all.iter().map(|h| h.statement.deposits).sum::<i64>(), e.deposits);
    assert_eq!(all.iter().find(|h| h.house_id == xs[0].house_id).unwrap().statement, s);
    let acct = fund::account(db, &sys(), xl, today).await.unwrap().unwrap();
    assert_eq!((acct.balance, acct.households, acct.initial_deposits, acct.below_threshold), (84_069, 3, 840_000, 1));
    let below = fund::household_rows(db, &sys(), xl, true, today).await.unwrap();
    assert_eq!(below.iter().map(|h| h.house_id).collect::<Vec<_>>(), vec![xs[0].house_id]);
    let entries = fund::estate_entries(db, &sys(), xl, 2026, None, today).await.unwrap();
    assert_eq!(entries.iter().map(|x| x.amount).sum::<i64>(), 84_069);
    assert_eq!(entries.iter().filter(|x| x.kind == "interest").count(), 3);
    let last2 = fund::estate_entries(db, &sys(), xl, 2026, Some(2), today).await.unwrap();
    assert_eq!(last2.iter().map(|x| x.amount).collect::<Vec<_>>(), vec![-34, 84_000], "the newest two, oldest first");
    assert!(fund::estate_entries(db, &sys(), xl, 2025, None, today).await.unwrap().is_empty());
    assert!(fund::account(db, &sys(), estate_id(db, "满春园小区").await, today).await.unwrap().is_none(), "not opened");
    assert_verified(db).await;
}

/// Interest by initial deposit (rules.md §2.3, the configurable method): 崇安小区's four
/// new ledgers have no balance yet, so by balance there is nothing to split on, while by
/// initial deposit 1 000 元 splits exactly; each entry's memo names the method.
#[tokio::test]
async fn interest_by_initial_deposit_in_exact_fen() {
    let t = TestDb::new().await;
    let db = &t.db;
    let (ca, _) = fund_fixture(db).await;
    let today = fixture_today();
    let hs = fund::households(db, &sys(), ca, today).await.unwrap();
    // 100 m² and 90.5 m² and 120 m² × 80 元 (elevator), 60 m² × 40 元 (no elevator).
    assert_eq!(hs.iter().map(|h| (h.initial_deposit, h.balance)).collect::<Vec<_>>(), vec![(800_000, 0), (724_000, 0), (960_000, 0), (240_000, 0)]);
    let e = fund::allocate_interest(db, &sys(), ca, 100_000, InterestMethod::ByBalance, d("2026-06-30")).await.unwrap_err();
    assert!(e.to_string().contains("按分户账余额比例"), "{e}");
    let parts = fund::allocate_interest(db, &sys(), ca, 100_000, InterestMethod::ByInitialDeposit, d("2026-06-30")).await.unwrap();
    // Exact shares 29 368.58, 26 578.56, 35 242.29, 8 810.57 fen: floors, then the 2 fen
    // left to the largest remainders (0.58 and 0.57).
    assert_eq!(parts, hs.iter().map(|h| h.house_id).zip([29_369, 26_578, 35_242, 8_811]).collect::<Vec<_>>());
    assert_eq!(fund::account_balance(db, &sys(), ca, today).await.unwrap(), 100_000);
    let memos: Vec<String> = on!(db, p => sqlx::query_scalar("SELECT DISTINCT memo FROM fund_entries WHERE kind = 'interest'").fetch_all(p).await).unwrap();
    assert_eq!(memos, vec!["按首期缴存额比例分配利息".to_string()]);
    // Now by balance, on the balances just credited: 3 fen → 1/1/1/0 by largest remainder.
    let parts = fund::allocate_interest(db, &sys(), ca, 3, InterestMethod::ByBalance, d("2026-07-01")).await.unwrap();
    assert_eq!(parts.iter().map(|p| p.1).collect::<Vec<_>>(), vec![1, 1, 1, 0]);
    assert_verified(db).await;
}

#[tokio::test]
async fn fund_use_by_vote_and_by_emergency_with_exact_shares() {
    let t = TestDb::new().await;
    let db = &t.db;
    let (ca, _) = fund_fixture(db).await;
    let today = fixture_today();
    let (h101, h102, h0201, s01) = (house_id(db, ca, "101").await, house_id(db, ca, "102").await, house_id(db, ca, "0201").await, house_id(db, ca, "S01").await);
    for h in [h101, h102, h0201, s01] {
        fund::deposit(db, &sys(), h, 200_000, "业主", d("2026-03-01")).await.unwrap();
    }
    let u = NewFundUse { project: "1 号楼屋面防水".into(), budget: 120_000, house_ids: vec![h101, h102, h0201], emergency: None };
    let uid = fund::apply_use(db, &sys(), ca, &u, today).await.unwrap();
    // Paying before the owners' vote is refused.
    assert!(fund::pay(db, &sys(), uid, 100_000, "某建筑公司", today).await.is_err());
    let opens = d("2026-12-14");
    let vid = fund::submit_to_vote(db, &sys(), uid, opens, d("2026-12-28"), today).await.unwrap();
    assert!(fund::decide(db, &sys(), uid, today).await.is_err(), "no result yet");
    assembly::announce(db, &sys(), vid, today).await.unwrap();
    let totals = assembly::open(db, &sys(), vid, opens).await.unwrap();
    // Only the houses in scope vote: 101 (couple), 102 (李强), 0201 (developer).
    assert_eq!((totals.area, totals.heads), (8000 + 7525 + 10000, 3));
    let li = owner_id(db, "李强").await;
    let ma = owner_id(db, "马明").await.min(owner_id(db, "杨芳").await);
    for v in [VoterId::Owner(li), VoterId::Owner(ma), VoterId::Developer] {
        assembly::cast(db, &sys(), vid, &Method::Paper { voter: v, scan: scan() }, &choices(&[(1, Choice::Agree)]), opens).await.unwrap();
    }
    assembly::close(db, &sys(), vid, opens).await.unwrap();
    assembly::publish(db, &sys(), vid, opens).await.unwrap();
    assert_eq!(fund::decide(db, &sys(), uid, opens).await.unwrap(), FundUseState::Approved);
    assert!(fund::pay(db, &sys(), uid, 120_001, "某建筑公司", opens).await.is_err(), "over budget");
    fund::pay(db, &sys(), uid, 100_000, "某建筑公司", opens).await.unwrap();
    let shares = fund::charge(db, &sys(), uid, opens).await.unwrap();
    // 100 000 fen over 80 / 75.25 / 100 m²: largest remainders go to 102, then 101.
    assert_eq!(shares, vec![(h101, 31_342), (h102, 29_481), (h0201, 39_177)]);
    for (h, s) in &shares {
        assert_eq!(fund::household(db, &sys(), *h, opens).await.unwrap().balance, 200_000 - s);
    }
    assert_eq!(fund::household(db, &sys(), s01, opens).await.unwrap().balance, 200_000);
    fund::disclose(db, &sys(), uid, opens).await.unwrap();
    assert_eq!(fund::get_use(db, &sys(), uid, opens).await.unwrap().state(), FundUseState::Disclosed);
    let st = fund::estate_statement(db, &sys(), ca, 2026, opens).await.unwrap();
    assert_eq!((st.deposits, st.uses, st.closing), (800_000, -100_000, 700_000));

    // Emergency: no vote; the street office confirms.
    let users = wuye_store::testing::fixture_users(db).await;
    assert!(users.iter().any(|u| u.0 == "street_fh"));
    let street = wuye_store::account::login(db, "street_fh", FIXTURE_PASSWORD).await.unwrap().unwrap().1.access;
    let e = NewFundUse { project: "电梯困人抢修".into(), budget: 9_999, house_ids: vec![h101, s01], emergency: Some(EmergencyKind::ElevatorFailure) };
    let eid = fund::apply_use(db, &sys(), ca, &e, opens).await.unwrap();
    assert!(fund::submit_to_vote(db, &sys(), eid, opens, opens, opens).await.is_err());
    assert!(fund::confirm_emergency(db, &street, eid, opens).await.is_ok());
    assert_eq!(fund::get_use(db, &sys(), eid, opens).await.unwrap().confirmed_by, "street_fh");
    fund::pay(db, &sys(), eid, 9_999, "电梯维保公司", opens).await.unwrap();
    let shares = fund::charge(db, &sys(), eid, opens).await.unwrap();
    assert_eq!(shares.iter().map(|s| s.1).sum::<i64>(), 9_999);
    fund::disclose(db, &sys(), eid, opens).await.unwrap();
    assert_verified(db).await;
}

#[tokio::test]
async fn fund_verify_after_every_step_of_a_random_sequence() {
    let t = TestDb::new().await;
    let db = &t.db;
    let (ca, xl) = fund_fixture(db).await;
    let today = fixture_today();
    let mut houses = Vec::new();
    for e in [ca, xl] {
        houses.extend(fund::households(db, &sys(), e, today).await.unwrap().into_iter().map(|h| (e, h.house_id)));
    }
    let mut rng = Rng(0x00f0_2026_0001);
    let mut closed = BTreeSet::new();
    let mut day = d("2026-01-15");
    for step in 0..200 {
        day = day.succ_opt().unwrap();
        let (estate, house) = houses[rng.below(houses.len() as u64) as usize];
        let r = match rng.below(10) {
            0..=3 => fund::deposit(db, &sys(), house, 1 + rng.below(500_000) as i64, "业主", day).await.map(|_| ()),
            4 | 5 => fund::allocate_interest(db, &sys(), estate, 1 + rng.below(10_000) as i64, InterestMethod::ByBalance, day).await.map(|_| ()),
            6 | 7 => {
                let scope: Vec<i64> = houses.iter().filter(|h| h.0 == estate && rng.below(2) == 0).map(|h| h.1).collect();
                let budget = 1 + rng.below(300_000) as i64;
                match fund::apply_use(db, &sys(), estate, &NewFundUse { project: format!("维修 {step}"), budget, house_ids: scope, emergency: Some(EmergencyKind::Other) }, day).await {
                    Ok(id) => {
                        fund::confirm_emergency(db, &sys(), id, day).await.unwrap();
                        fund::pay(db, &sys(), id, budget, "施工单位", day).await.unwrap();
                        fund::charge(db, &sys(), id, day).await.map(|_| ())
                    }
                    Err(e) => Err(e),
                }
            }
            8 => fund::transfer_on_sale(db, &sys(), house, &format!("买受人{step}"), day).await.map(|_| ()),
            _ => {
                if rng.below(4) == 0 {
                    closed.insert(house);
                    fund::refund_on_demolition(db, &sys(), house, day).await.map(|_| ())
                } else {
                    Ok(())
                }
            }
        };
        // Refusals (closed account, short balance, empty scope) are fine; they write nothing.
        if let Err(e) = r {
            assert!(matches!(e, StoreError::Invalid(_)), "step {step}: {e}");
        }
        let (checked, bad) = fund::verify(db).await.unwrap();
        assert!(bad.is_empty(), "step {step}: {bad:?}");
        assert_eq!((checked.accounts, checked.households), (2, 7));
    }
    // A household balance changed behind the ledger's back is named.
    let (e, h) = houses.iter().copied().find(|h| !closed.contains(&h.1)).unwrap();
    on!(db, p => sqlx::query("UPDATE fund_households SET balance = balance + 7 WHERE house_id = $1").bind(h).execute(p).await.map(|_| ())).unwrap();
    let (_, bad) = fund::verify(db).await.unwrap();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad.iter().any(|m| m.house_id == Some(h) && m.actual - m.expected == 7), "{bad:?}");
    assert!(bad.iter().any(|m| m.house_id.is_none() && m.estate_id == e));
    assert!(bad[0].to_string().contains(&format!("小区 #{e}")));
}
