//! Demo data tests. They run on SQLite, or on PostgreSQL when DATABASE_URL names one.

use wuye_domain::coverage::Ratio;
use wuye_domain::ids::{validate_id_number, validate_uscc};
use wuye_store::demo::{self, DemoReport};
use wuye_store::import::Quiet;
use wuye_store::registry::{HouseFilter, ListQuery};
use wuye_store::testing::{TestDb, fixture_today};
use wuye_store::{Db, export, stats};

async fn scalar(db: &Db, sql: &str) -> i64 {
    wuye_store::on!(db, p => sqlx::query_scalar(wuye_store::db::dynamic(sql.to_string())).fetch_one(p).await).unwrap()
}

async fn strings(db: &Db, sql: &str) -> Vec<String> {
    wuye_store::on!(db, p => sqlx::query_scalar(wuye_store::db::dynamic(sql.to_string())).fetch_all(p).await).unwrap()
}

async fn demo_db(houses: u64, seed: u64) -> (TestDb, DemoReport) {
    let t = TestDb::new().await;
    let r = demo::generate(&t.db, houses, seed, fixture_today(), &Quiet).await.unwrap();
    (t, r)
}

#[tokio::test]
async fn same_seed_same_province() {
    let (a, ra) = demo_db(2000, 7).await;
    let (b, rb) = demo_db(2000, 7).await;
    assert_eq!(ra, rb);
    let all = ListQuery::default();
    let ha = export::houses(&a.db, &wuye_store::access::Access::system("test"), &all, &HouseFilter::default(), fixture_today(), true).await.unwrap();
    let hb = export::houses(&b.db, &wuye_store::access::Access::system("test"), &all, &HouseFilter::default(), fixture_today(), true).await.unwrap();
    assert_eq!(ha.len(), hb.len());
    assert!(ha == hb, "same seed, different houses");
    let today = fixture_today();
    assert!(export::contracts(&a.db, &wuye_store::access::Access::system("test"), &all, &Default::default(), today).await.unwrap() == export::contracts(&b.db, &wuye_store::access::Access::system("test"), &all, &Default::default(), today).await.unwrap());
    assert!(export::enterprises(&a.db, &wuye_store::access::Access::system("test"), &all, today).await.unwrap() == export::enterprises(&b.db, &wuye_store::access::Access::system("test"), &all, today).await.unwrap());
    // Another seed is another province of the same size.
    let (c, rc) = demo_db(2000, 8).await;
    assert_eq!(rc.houses, 2000);
    assert!(export::houses(&c.db, &wuye_store::access::Access::system("test"), &all, &HouseFilter::default(), fixture_today(), true).await.unwrap() != ha);
    // Demo data goes only into an empty database.
    assert!(demo::generate(&a.db, 100, 7, today, &Quiet).await.is_err());
}

#[tokio::test]
async fn a_small_province_is_plausible() {
    let (t, r) = demo_db(3000, 2026).await;
    let db = &t.db;
    // Observed with seed 2026 on 2026-11-29, checked for plausibility: 300 houses per
    // estate, 5 enterprises (the minimum), one contract per estate on average.
    assert_eq!(r, DemoReport { estates: 10, houses: 3000, owners: 3015, enterprises: 5, contracts: 10 });
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM buildings").await, 36);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM units").await, 65);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM ownerships").await, 3116);
    // A few unsold houses (without owner), some sold, the rest delivered.
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM houses WHERE status = 'unsold'").await, 49);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM houses WHERE status = 'sold'").await, 119);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM houses h WHERE status = 'unsold' AND EXISTS (SELECT 1 FROM ownerships w WHERE w.house_id = h.id)").await, 0);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM houses h WHERE status <> 'unsold' AND NOT EXISTS (SELECT 1 FROM ownerships w WHERE w.house_id = h.id)").await, 0);
    // Shops (not in a unit) and garages.
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM houses WHERE house_use = 'commercial'").await, 24);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM houses h JOIN units u ON u.id = h.unit_id WHERE h.house_use = 'commercial' AND u.no <> ''").await, 0);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM houses WHERE house_use = 'garage'").await, 9);
    // About 5 % co-owned houses, 3 % of owners with a second house, 1 % organisations.
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM (SELECT house_id FROM ownerships GROUP BY house_id HAVING COUNT(*) > 1) x").await, 165);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM (SELECT owner_id FROM ownerships GROUP BY owner_id HAVING COUNT(*) > 1) x").await, 94);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM owners WHERE kind = 'organisation'").await, 26);
    // Areas: 55–160 m² flats, exclusive area 75–90 % of building area, estates 5–15 %
    // above the sum of their houses.
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM houses WHERE house_use = 'residential' AND (building_area < 5500 OR building_area > 16000)").await, 0);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM houses WHERE exclusive_area * 100 < building_area * 74 OR exclusive_area * 100 > building_area * 91").await, 0);
    assert_eq!(
        scalar(db, "SELECT COUNT(*) FROM estates e WHERE e.building_area * 100 < (SELECT SUM(building_area) FROM houses h WHERE h.estate_id = e.id) * 104
            OR e.building_area * 100 > (SELECT SUM(building_area) FROM houses h WHERE h.estate_id = e.id) * 116").await,
        0
    );
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM buildings WHERE floors > 7 AND NOT has_elevator").await, 0);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM estates WHERE year_built < 1985 OR year_built > 2024").await, 0);

    // Every identifier validates; persons carry a Ningxia county code.
    // ID numbers are stored encrypted: decrypt each, and check its mask and search hash.
    let keys = wuye_store::pii::keys().unwrap();
    let rows: Vec<(String, String, String)> = wuye_store::on!(db, p => sqlx::query_as("SELECT id_number_enc, id_number_hash, id_number_mask FROM owners WHERE id_number_enc IS NOT NULL").fetch_all(p).await).unwrap();
    assert_eq!(rows.len(), 3015 - 26);
    for (enc, hash, mask) in &rows {
        let id = keys.decrypt(enc).unwrap();
        assert!(validate_id_number(&id).is_ok() && id.starts_with("64"), "{id}");
        assert_eq!(&keys.search_hash(&id), hash);
        assert_eq!(mask, &wuye_domain::ids::mask_id_number(&id));
        assert!(!enc.contains(&id[6..14]), "no birth date in the ciphertext");
    }
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM owners WHERE owner_key LIKE 'id:%'").await, 0, "no ID number in clear in the owner key");
    let usccs = strings(db, "SELECT uscc FROM owners WHERE uscc IS NOT NULL UNION ALL SELECT uscc FROM enterprises").await;
    assert_eq!(usccs.len(), 26 + 5);
    for u in &usccs {
        assert!(validate_uscc(u).is_ok(), "{u}");
    }

    // Estates lie in urban communities; names are unique within a community.
    assert_eq!(
        scalar(db, "SELECT COUNT(*) FROM estates e JOIN regions r ON r.code = e.region_code WHERE r.level <> 'community' OR (r.name NOT LIKE '%社区%' AND r.name NOT LIKE '%居委会%')").await,
        0
    );

    // Management is consistent with the contracts, but for a handful of deliberate
    // mismatches (declared enterprise-managed, no contract in force).
    let today = fixture_today();
    let estates = wuye_store::registry::list_estates(db, &wuye_store::access::Access::system("test"), &ListQuery { per_page: Some(1000), ..Default::default() }, None, today).await.unwrap();
    assert_eq!(estates.items.len(), 10);
    let covered = estates.items.iter().filter(|e| e.covered()).count();
    let mismatched = estates.items.iter().filter(|e| e.management_mismatch()).count();
    assert_eq!((covered, mismatched), (6, 1));
    assert!(estates.items.iter().filter(|e| e.covered()).all(|e| e.management == "enterprise"));

    // Coverage tells a story: some counties above the 70 % line, some below.
    let target = Ratio::new(70, 100);
    let mut above = Vec::new();
    let mut below = Vec::new();
    for city in stats::region_stats(db, &wuye_store::access::Access::system("test"), "64", today).await.unwrap().children {
        for county in stats::region_stats(db, &wuye_store::access::Access::system("test"), &city.code, today).await.unwrap().children {
            if county.coverage.estates == 0 {
                continue;
            }
            if county.coverage.by_houses().at_least(target) { above.push(county.name) } else { below.push(county.name) }
        }
    }
    assert_eq!(above, vec!["西夏区", "金凤区", "大武口区"]);
    assert_eq!(below, vec!["惠农区", "同心县", "中宁县", "海原县"]);
    let total = stats::region_stats(db, &wuye_store::access::Access::system("test"), "64", today).await.unwrap().total;
    assert_eq!((total.estates, total.estates_covered), (10, 6));
}

#[tokio::test]
async fn demo_votes_and_fund_in_every_state() {
    let (t, _) = demo_db(3000, 2026).await;
    let db = &t.db;
    let today = fixture_today();
    let started = std::time::Instant::now();
    let r = demo::write_assembly_and_fund(db, today, &Quiet).await.unwrap();
    eprintln!("{r} in {:?}", started.elapsed());
    let sys = wuye_store::access::Access::system("test");
    // Fund accounts: the showcase estate and every estate with an id divisible by 3.
    let (show, _, _) = demo::showcase_estate(db, today).await.unwrap().unwrap();
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM fund_accounts WHERE estate_id = {show}")).await, 1);
    assert_eq!(r.fund_accounts as i64, scalar(db, "SELECT COUNT(*) FROM fund_accounts").await);
    assert_eq!(r.fund_accounts as i64, 1 + scalar(db, &format!("SELECT COUNT(*) FROM estates WHERE id % 3 = 0 AND id <> {show}")).await);
    assert_eq!(r.households as i64, scalar(db, "SELECT COUNT(*) FROM fund_households").await);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM fund_rates WHERE region_prefix = '64'").await, 2);
    // Balanced: every household and account equals its entries.
    let (checked, bad) = wuye_store::fund::verify(db).await.unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(checked.accounts, r.fund_accounts as i64);
    // Most paid in full, some in part, a few below the 30 % top-up line.
    let below = scalar(db, "SELECT COUNT(*) FROM fund_households WHERE balance * 100 < initial_deposit * 30").await;
    let full = scalar(db, "SELECT COUNT(*) FROM fund_households WHERE balance >= initial_deposit").await;
    assert!(below >= 1 && below * 10 < r.households as i64, "{below} of {}", r.households);
    assert!(full * 10 > r.households as i64 * 7, "{full} of {} in full", r.households);
    // One interest allocation per account.
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'allocate_interest'").await, r.fund_accounts as i64);
    // Fund uses in each state: disclosed (ordinary by vote, emergency), voting, applied.
    let uses = strings(db, "SELECT path || ':' || state FROM fund_uses ORDER BY id").await;
    assert_eq!(uses, vec!["ordinary:disclosed", "emergency:disclosed", "ordinary:voting", "ordinary:application"]);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM fund_uses u JOIN vote_results r ON r.vote_id = u.vote_id WHERE u.state = 'disclosed' AND r.passed").await, 1);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM fund_entries WHERE kind = 'use'").await, scalar(db, "SELECT COUNT(*) FROM fund_use_houses WHERE share IS NOT NULL AND share > 0").await);
    // Votes in each state, on the showcase estate and on four estates of other counties.
    let states = strings(db, "SELECT DISTINCT state FROM votes ORDER BY state").await;
    assert_eq!(states, vec!["announced", "draft", "open", "published"]);
    assert_eq!(strings(db, &format!("SELECT DISTINCT state FROM votes WHERE estate_id = {show} ORDER BY state")).await, states);
    assert_eq!(r.votes as i64, scalar(db, "SELECT COUNT(*) FROM votes").await);
    assert_eq!(r.ballots as i64, scalar(db, "SELECT COUNT(*) FROM ballots").await);
    assert_eq!(scalar(db, "SELECT COUNT(DISTINCT e.region_code) FROM votes v JOIN estates e ON e.id = v.estate_id").await, 5);
    let f = stats::assembly_fund_stats(db, &sys, "64", today).await.unwrap().total;
    assert!(f.votes_passed >= 2 && f.votes_failed >= 2, "{f:?}");
    assert_eq!(f.votes_published, 5);
    assert_eq!(f.votes_open, 3);
    assert_eq!((f.fund_accounts, f.fund_households, f.households_below_threshold), (r.fund_accounts as i64, r.households as i64, below));
    assert_eq!((f.ordinary_uses, f.emergency_uses), (3, 1));
    assert!(f.ordinary_charged > 0 && f.emergency_charged > 0);
    assert_eq!(f.fund_balance, scalar(db, "SELECT CAST(SUM(amount) AS BIGINT) FROM fund_entries").await);
    // The demo owner (smallest owner id of the showcase estate) is on the roll of an open
    // vote and has not voted: they can vote online.
    let owner = scalar(db, &format!("SELECT MIN(w.owner_id) FROM ownerships w JOIN houses h ON h.id = w.house_id WHERE h.estate_id = {show}")).await;
    let open = format!("FROM vote_voter_owners vo JOIN votes v ON v.id = vo.vote_id WHERE v.state = 'open' AND v.estate_id = {show} AND vo.owner_id = {owner}");
    assert!(scalar(db, &format!("SELECT COUNT(*) {open}")).await >= 1);
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) {open} AND EXISTS (SELECT 1 FROM ballots b WHERE b.vote_id = v.id AND b.voter_key = vo.voter_key)")).await, 0);
    // The demo's committee member and owner are bound to the showcase estate and its owner.
    demo::demo_users_on(db, today).await.unwrap();
    let login = |name: &'static str| async move { wuye_store::account::login(db, name, demo::DEMO_PASSWORD).await.unwrap().unwrap().1.access };
    assert!(matches!(login("demo-committee").await.scope(), wuye_domain::account::Scope::Estate(e) if *e == show));
    assert!(matches!(login("demo-owner").await.scope(), wuye_domain::account::Scope::Owner(o) if *o == owner));
    // Everything went through the store: audited.
    assert!(scalar(db, "SELECT COUNT(*) FROM audit_log WHERE actor LIKE '%demo%'").await > r.ballots as i64);

    // Cases: organisations for every county and every street with an estate, the demo
    // users among their members, and cases of each kind in each state.
    let c = demo::write_cases(db, today, &Quiet).await.unwrap();
    assert_eq!((c.meetings, c.referrals, c.disputes), (1, 3, 4));
    assert_eq!(c.organisations as i64, scalar(db, "SELECT COUNT(*) FROM organisations").await);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM organisations WHERE kind = 'housing'").await, 22);
    assert_eq!(c.matters as i64, scalar(db, "SELECT COUNT(*) FROM cases WHERE kind = 'matter'").await);
    let states = strings(db, "SELECT DISTINCT kind || ':' || state FROM cases ORDER BY 1").await;
    assert_eq!(
        states,
        [
            "dispute:agreed", "dispute:applied", "dispute:ended", "dispute:in_session", "matter:accepted", "matter:confirmed", "matter:dispatched", "matter:reported",
            "referral:handled", "referral:referred", "referral:reported"
        ]
    );
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM case_steps WHERE action = 'return'").await, 1);
    assert!(scalar(db, "SELECT COUNT(*) FROM cases WHERE escalated_on IS NOT NULL").await >= 3);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM mediation_agreements").await, 1);
    for (user, kind) in [("demo-county", "housing"), ("demo-dept", "urban_management"), ("demo-street", "street"), ("demo-mediator", "mediation")] {
        let a = login(user).await;
        let mine = wuye_store::cases::my_organisations(db, &a).await.unwrap();
        assert_eq!(mine.iter().map(|o| o.kind.as_str()).collect::<Vec<_>>(), [kind], "{user}");
        assert!(!wuye_store::cases::inbox(db, &a, 10).await.unwrap().is_empty(), "{user} has something to do");
    }
    // The demo owner applied for one mediation and sees it.
    let f = wuye_store::cases::CaseFilter { kind: Some("dispute".into()), ..Default::default() };
    assert_eq!(wuye_store::cases::list(db, &login("demo-owner").await, &f, today).await.unwrap().total, 1);
    assert_eq!(demo::write_cases(db, today, &Quiet).await.unwrap(), demo::CasesReport::default(), "once");

    // safety: inspections — every kind of inspection and every hazard state on the showcase
    // estate; overdue hazards in other counties, escalated; a supervision order.
    use wuye_store::safety::inspections as si;
    let s = si::write_demo(db, today).await.unwrap();
    assert_eq!(s.inspections as i64, scalar(db, "SELECT COUNT(*) FROM safety_inspections").await);
    assert_eq!(s.hazards as i64, scalar(db, "SELECT COUNT(*) FROM safety_hazards").await);
    assert_eq!(strings(db, &format!("SELECT DISTINCT kind FROM safety_inspections WHERE estate_id = {show} ORDER BY 1")).await, ["self", "spot", "street"]);
    assert_eq!(strings(db, &format!("SELECT DISTINCT state FROM safety_hazards WHERE estate_id = {show} ORDER BY 1")).await, ["closed", "rectifying", "reported"]);
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM safety_hazards WHERE estate_id = {show} AND spot_fixed")).await, 1);
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM safety_hazards WHERE estate_id = {show} AND supervision_no IS NOT NULL")).await, 1);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM safety_hazard_steps WHERE action = 'reject'").await, 1);
    assert!(s.escalated >= 2, "{s:?}");
    assert!(scalar(db, "SELECT COUNT(DISTINCT SUBSTR(region_code, 1, 6)) FROM safety_hazards WHERE closed = FALSE AND escalated_on IS NOT NULL").await >= 2);
    assert_eq!(si::write_demo(db, today).await.unwrap(), si::DemoReport::default(), "once");
}
