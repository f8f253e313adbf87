//! Regional figures of owners' votes and the maintenance fund, exact, per county. They run
//! on SQLite, or on PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use std::collections::BTreeMap;
use wuye_domain::assembly::{Choice, MatterKind, VoterId};
use wuye_domain::fund::EmergencyKind;
use wuye_store::access::Access;
use wuye_store::assembly::{self, Method, NewVote};
use wuye_store::fund::{self, NewFundUse};
use wuye_store::stats::{self, AssemblyFund};
use wuye_store::testing::{FIXTURE_PASSWORD, TestDb, fixture_today, fixture_users, load_fixture};
use wuye_store::{Db, StoreError, on};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn sys() -> Access {
    Access::system("test")
}

async fn id_of(db: &Db, sql: &'static str, bind: &str) -> i64 {
    on!(db, p => sqlx::query_scalar(sql).bind(bind).fetch_one(p).await).unwrap()
}

async fn house(db: &Db, estate: i64, room: &str) -> i64 {
    on!(db, p => sqlx::query_scalar("SELECT id FROM houses WHERE estate_id = $1 AND room_no = $2").bind(estate).bind(room).fetch_one(p).await).unwrap()
}

/// A one-matter vote opening on 2026-12-14, announced today; opened when `ballots` is
/// given, those cast, then closed and published when `publish`.
async fn vote(db: &Db, estate: i64, ballots: Option<&[(VoterId, Choice)]>, publish: bool) -> i64 {
    let opens = d("2026-12-14");
    let v = NewVote { title: "选聘物业服务企业".into(), rule_set_code: None, opens_on: opens, closes_on: d("2026-12-28"), matters: vec![(MatterKind::HireManager, "选聘某物业服务企业".into())] };
    let id = assembly::create_vote(db, &sys(), estate, &v, fixture_today()).await.unwrap();
    assembly::announce(db, &sys(), id, fixture_today()).await.unwrap();
    let Some(ballots) = ballots else { return id };
    assembly::open(db, &sys(), id, opens).await.unwrap();
    for (voter, c) in ballots {
        assembly::cast(db, &sys(), id, &Method::Proxy { voter: *voter, authorisation: "书面委托".into() }, &BTreeMap::from([(1, *c)]), opens).await.unwrap();
    }
    if publish {
        assembly::close(db, &sys(), id, opens).await.unwrap();
        assembly::publish(db, &sys(), id, opens).await.unwrap();
    }
    id
}

/// 崇安小区 (兴庆区): a passed vote, an open one, an account of 21 000 元 less an emergency
/// use of 99.99 元, one household below 30 %. 满春园小区 (金凤区): a failed vote, an account
/// of 10 000 元, one household below 30 %, an ordinary use applied for.
#[tokio::test]
async fn votes_and_fund_per_county_exactly() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let today = fixture_today();
    let ca = id_of(db, "SELECT id FROM estates WHERE name = $1", "崇安小区").await;
    let mc = id_of(db, "SELECT id FROM estates WHERE name = $1", "满春园小区").await;
    let li = id_of(db, "SELECT id FROM owners WHERE name = $1", "李强").await;
    let couple = id_of(db, "SELECT id FROM owners WHERE name = $1", "马明").await.min(id_of(db, "SELECT id FROM owners WHERE name = $1", "杨芳").await);
    let zw = id_of(db, "SELECT id FROM owners WHERE name = $1", "张伟").await;

    // Nothing yet: every figure 0, all five cities listed.
    let empty = stats::assembly_fund_stats(db, &sys(), "64", today).await.unwrap();
    assert_eq!((empty.total, empty.children.len()), (AssemblyFund::default(), 5));

    let agree = [(VoterId::Owner(couple), Choice::Agree), (VoterId::Owner(li), Choice::Agree), (VoterId::Developer, Choice::Agree)];
    let passed = vote(db, ca, Some(&agree), true).await;
    assert!(assembly::published_passed(db, passed).await.unwrap().values().all(|p| *p));
    vote(db, ca, Some(&[]), false).await; // open, no ballot yet
    vote(db, ca, None, false).await; // announced: not counted
    let failed = vote(db, mc, Some(&[(VoterId::Owner(zw), Choice::Disagree)]), true).await;
    assert_eq!(assembly::published_passed(db, failed).await.unwrap(), BTreeMap::from([(1, false)]));

    let d0 = d("2020-01-01");
    fund::set_rate(db, &sys(), "6401", true, 8000, d0).await.unwrap();
    fund::set_rate(db, &sys(), "6401", false, 4000, d0).await.unwrap();
    fund::open_accounts(db, &sys(), ca, d("2026-01-10")).await.unwrap();
    fund::open_accounts(db, &sys(), mc, d("2026-01-10")).await.unwrap();
    let (h101, h102, h0201, s01) = (house(db, ca, "101").await, house(db, ca, "102").await, house(db, ca, "0201").await, house(db, ca, "S01").await);
    // Initial deposits: 101 800 000, 102 724 000 (30 % = 217 200), 0201 960 000, S01 240 000.
    let rows = vec![(h101, 800_000, "杨芳".to_string()), (h102, 100_000, "李强".into()), (h0201, 960_000, "开发建设单位".into()), (s01, 240_000, "开发建设单位".into())];
    assert_eq!(fund::deposit_many(db, &sys(), ca, &rows, d("2026-02-01")).await.unwrap(), 4);
    let (m101, m102) = (house(db, mc, "101").await, house(db, mc, "102").await);
    // 满春园 102: 200 000 of 800 000 is 25 %.
    fund::deposit_many(db, &sys(), mc, &[(m101, 800_000, "张伟".into()), (m102, 200_000, "张伟".into())], d("2026-02-01")).await.unwrap();
    // A batch with one bad row writes nothing.
    let before = fund::account_balance(db, &sys(), mc, today).await.unwrap();
    assert!(matches!(fund::deposit_many(db, &sys(), mc, &[(m101, 5, "张伟".into()), (h101, 5, "杨芳".into())], today).await, Err(StoreError::Invalid(m)) if m.contains("第 2 笔")));
    assert_eq!(fund::account_balance(db, &sys(), mc, today).await.unwrap(), before);

    let e = NewFundUse { project: "电梯困人抢修".into(), budget: 9_999, house_ids: vec![h101, s01], emergency: Some(EmergencyKind::ElevatorFailure) };
    let eid = fund::apply_use(db, &sys(), ca, &e, today).await.unwrap();
    fund::confirm_emergency(db, &sys(), eid, today).await.unwrap();
    fund::pay(db, &sys(), eid, 9_999, "电梯维保公司", today).await.unwrap();
    fund::charge(db, &sys(), eid, today).await.unwrap();
    let o = NewFundUse { project: "屋面防水".into(), budget: 50_000, house_ids: vec![m101, m102], emergency: None };
    fund::apply_use(db, &sys(), mc, &o, today).await.unwrap();
    let (_, bad) = fund::verify(db).await.unwrap();
    assert!(bad.is_empty(), "{bad:?}");

    let xingqing = AssemblyFund {
        votes_published: 1,
        votes_passed: 1,
        votes_failed: 0,
        votes_open: 1,
        fund_accounts: 1,
        fund_balance: 2_100_000 - 9_999,
        fund_households: 4,
        households_below_threshold: 1,
        ordinary_uses: 0,
        ordinary_charged: 0,
        emergency_uses: 1,
        emergency_charged: 9_999,
    };
    let jinfeng = AssemblyFund {
        votes_published: 1,
        votes_failed: 1,
        fund_accounts: 1,
        fund_balance: 1_000_000,
        fund_households: 2,
        households_below_threshold: 1,
        ordinary_uses: 1,
        ..Default::default()
    };
    let yinchuan = stats::assembly_fund_stats(db, &sys(), "6401", today).await.unwrap();
    let by: BTreeMap<&str, AssemblyFund> = yinchuan.children.iter().map(|c| (c.name.as_str(), c.figures)).collect();
    assert_eq!(by["兴庆区"], xingqing);
    assert_eq!(by["金凤区"], jinfeng);
    assert_eq!(by["西夏区"], AssemblyFund::default());
    let mut sum = xingqing;
    sum.add(&jinfeng);
    assert_eq!(yinchuan.total, sum);
    assert_eq!(sum.fund_balance, 3_090_001);
    let province = stats::assembly_fund_stats(db, &sys(), "64", today).await.unwrap();
    assert_eq!(province.total, sum);
    assert_eq!(province.children.iter().find(|c| c.code == "640100000000").unwrap().figures, sum);
    // Down to the community: 崇安社区 holds 崇安小区's figures.
    let street = stats::assembly_fund_stats(db, &sys(), "640104001", today).await.unwrap();
    assert_eq!(street.children.iter().find(|c| c.code == "640104001002").unwrap().figures, xingqing);

    // A county regulator sees its county only, and no other.
    fixture_users(db).await;
    let reg = wuye_store::account::login(db, "reg_xq", FIXTURE_PASSWORD).await.unwrap().unwrap().1.access;
    assert_eq!(stats::assembly_fund_stats(db, &reg, "640104", today).await.unwrap().total, xingqing);
    assert!(matches!(stats::assembly_fund_stats(db, &reg, "640106", today).await, Err(StoreError::NotFound)));
    assert!(matches!(stats::assembly_fund_stats(db, &reg, "6401", today).await, Err(StoreError::NotFound)));
    // A department views the coverage dashboard but not votes and the fund.
    let dept = wuye_store::account::login(db, "dept_jf", FIXTURE_PASSWORD).await.unwrap().unwrap().1.access;
    assert!(stats::region_stats(db, &dept, "640106", today).await.is_ok());
    assert!(matches!(stats::assembly_fund_stats(db, &dept, "640106", today).await, Err(StoreError::Forbidden(_))));
    // An enterprise has no dashboard.
    let hx = wuye_store::account::login(db, "ent_hx", FIXTURE_PASSWORD).await.unwrap().unwrap().1.access;
    assert!(stats::assembly_fund_stats(db, &hx, "64", today).await.is_err());
}
