//! The region-wide safety overdue list and the regional safety figures, exact, over rows
//! laid out by hand (the hazard and duty flows have their own tests). They run on SQLite,
//! or on PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use wuye_domain::account::{Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_store::access::Access;
use wuye_store::safety::{self as sf, SafetyFigures};
use wuye_store::testing::{FIXTURE_PASSWORD, TestDb, fixture_today, load_fixture};
use wuye_store::{Db, StoreError, on};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn estate(db: &Db, name: &str) -> (i64, String) {
    on!(db, p => sqlx::query_as("SELECT id, region_code FROM estates WHERE name = $1").bind(name).fetch_one(p).await).unwrap()
}

async fn firm(db: &Db, uscc: &str) -> i64 {
    on!(db, p => sqlx::query_scalar("SELECT id FROM enterprises WHERE uscc = $1").bind(uscc).fetch_one(p).await).unwrap()
}

async fn who(db: &Db, login: &str, role: Role, scope: Scope) -> Access {
    wuye_store::account::create_user(db, &Access::system("t"), login, login, FIXTURE_PASSWORD, &[(role, scope, String::new())], false).await.unwrap();
    let (_, s) = wuye_store::account::login(db, login, FIXTURE_PASSWORD).await.unwrap().unwrap();
    s.access
}

fn region(c: &str) -> Scope {
    Scope::Region(RegionCode::parse(c).unwrap())
}

/// A hazard: (estate, category, severity, closed, spot fixed, deadline, rectify_by,
/// rectified_on, supervised).
#[allow(clippy::too_many_arguments)]
async fn hazard(db: &Db, e: &(i64, String), cat: &str, sev: &str, closed: bool, spot: bool, deadline: Option<&str>, rectify_by: Option<&str>, rectified: Option<&str>, supervised: bool) -> i64 {
    let sql = "INSERT INTO safety_hazards (estate_id, region_code, category, severity, description, state, closed, spot_fixed, found_on, found_by_id, found_by, finder_kind, responsible, rectify_by, deadline, rectified_on, supervision_no, updated_at)
               VALUES ($1, $2, $3, $4, '隐患', $5, $6, $7, $8, 1, 't', 'self', '物业', $9, $10, $11, $12, 't') RETURNING id";
    let dd = |s: Option<&str>| s.map(d);
    on!(db, p => sqlx::query_scalar(sql).bind(e.0).bind(&e.1).bind(cat).bind(sev).bind(if closed { "closed" } else { "rectifying" }).bind(closed).bind(spot)
        .bind(d("2026-11-01")).bind(dd(rectify_by)).bind(dd(deadline)).bind(dd(rectified)).bind(supervised.then_some("督〔2026〕第1号")).fetch_one(p).await).unwrap()
}

async fn duty(db: &Db, e: &(i64, String), kind: &str, next_due: &str) -> i64 {
    let sql = "INSERT INTO safety_duties (estate_id, region_code, kind, subject, interval_unit, interval_n, since, next_due, updated_at) VALUES ($1, $2, $3, '', 'months', 1, $4, $5, 't') RETURNING id";
    on!(db, p => sqlx::query_scalar(sql).bind(e.0).bind(&e.1).bind(kind).bind(d("2025-01-01")).bind(d(next_due)).fetch_one(p).await).unwrap()
}

async fn inspection(db: &Db, e: &(i64, String), template: i64) {
    let sql = "INSERT INTO safety_inspections (estate_id, region_code, template_id, category, kind, inspected_on, inspector_id, inspector, created_at) VALUES ($1, $2, $3, 'fire_access', 'self', $4, 1, 't', 't')";
    on!(db, p => sqlx::query(sql).bind(e.0).bind(&e.1).bind(template).bind(d("2026-11-01")).execute(p).await.map(|_| ())).unwrap();
}

/// 崇安小区 and 兴隆家园 (兴庆区), 满春园小区 (金凤区), on 2026-11-29:
/// - hazards: 崇安 an overdue one (deadline 20 Nov), an open major one due 5 Dec, one closed
///   in time (report 9 Nov, deadline 10 Nov); 兴隆 one closed late (12 Nov against 10 Nov)
///   and one fixed on the spot; 满春园 one under a supervision order, due yesterday;
/// - duties: 崇安 a fire check due today (in time) and elevator maintenance due yesterday;
///   兴隆 a drill due 1 Oct; 满春园 tank cleaning due next year;
/// - inspections: two in 崇安, one in 满春园.
#[tokio::test]
async fn overdue_list_and_figures_exactly() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let today = fixture_today();
    let (ca, xl, mc) = (estate(db, "崇安小区").await, estate(db, "兴隆家园").await, estate(db, "满春园小区").await);
    let h1 = hazard(db, &ca, "fire_access", "general", false, false, Some("2026-11-20"), Some("2026-11-20"), None, false).await;
    hazard(db, &ca, "ebike", "major", false, false, Some("2026-12-05"), Some("2026-12-05"), None, false).await;
    hazard(db, &ca, "elevator", "general", true, false, None, Some("2026-11-10"), Some("2026-11-09"), false).await;
    hazard(db, &xl, "fire_facilities", "general", true, false, None, Some("2026-11-10"), Some("2026-11-12"), false).await;
    hazard(db, &xl, "underground", "general", true, true, None, None, None, false).await;
    let h6 = hazard(db, &mc, "secondary_water", "general", false, false, Some("2026-11-28"), Some("2026-11-28"), None, true).await;
    duty(db, &ca, "fire_check", "2026-11-29").await;
    let b = duty(db, &ca, "elevator_maintenance", "2026-11-28").await;
    let c = duty(db, &xl, "drill", "2026-10-01").await;
    duty(db, &mc, "tank_cleaning", "2027-01-01").await;
    let template: i64 = on!(db, p => sqlx::query_scalar("INSERT INTO safety_templates (category, region_code, version, title, created_by, created_at) VALUES ('fire_access', '', 1, 't', 't', 't') RETURNING id").fetch_one(p).await).unwrap();
    for e in [&ca, &ca, &mc] {
        inspection(db, e, template).await;
    }

    // The whole province: the drill (1 Oct), hazard 1 (20 Nov), then on 28 Nov the hazard
    // before the duty.
    let admin = Access::system("t");
    let l = sf::overdue(db, &admin, "", 0, 50, today).await.unwrap();
    let got: Vec<(&str, i64, i64)> = l.items.iter().map(|i| (i.what.as_str(), i.id, i.days)).collect();
    assert_eq!(got, vec![("duty", c, 59), ("hazard", h1, 9), ("hazard", h6, 1), ("duty", b, 1)]);
    assert_eq!((l.hazards, l.duties), (2, 2));
    assert_eq!(l.items[0].estate_name, "兴隆家园");
    assert_eq!(l.items[2].detail_label(), "一般隐患");
    // Paging: the third and fourth.
    let p2 = sf::overdue(db, &admin, "", 2, 2, today).await.unwrap();
    assert_eq!(p2.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![h6, b]);
    // 兴庆区's regulator: its three; 金凤区 by prefix: one.
    let xq = who(db, "reg_xq", Role::Regulator, region("640104")).await;
    let l = sf::overdue(db, &xq, "640104", 0, 50, today).await.unwrap();
    assert_eq!(l.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![c, h1, b]);
    assert_eq!((l.hazards, l.duties), (1, 2));
    // Asking for another county's prefix gives nothing of it.
    let l = sf::overdue(db, &xq, "640106", 0, 50, today).await.unwrap();
    assert_eq!((l.items.len(), l.hazards, l.duties), (0, 0, 0));
    // 安居 serves 崇安 (兴隆's contract ended yesterday); 恒信 serves 满春园.
    let aj = who(db, "ent_aj", Role::EnterpriseStaff, Scope::Enterprise(firm(db, "91640104MA76ANJU1T").await)).await;
    let l = sf::overdue(db, &aj, "", 0, 50, today).await.unwrap();
    assert_eq!(l.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![h1, b]);
    let hx = who(db, "ent_hx", Role::EnterpriseManager, Scope::Enterprise(firm(db, "91640106MA76HXWY2F").await)).await;
    assert_eq!(sf::overdue(db, &hx, "", 0, 50, today).await.unwrap().items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![h6]);
    // Owners and mediators have no safety ledgers.
    assert!(matches!(sf::overdue(db, &who(db, "mediator", Role::Mediator, Scope::Own).await, "", 0, 50, today).await, Err(StoreError::Forbidden(_))));
    // Tomorrow the fire check is overdue too.
    assert_eq!(sf::overdue(db, &admin, "", 0, 50, d("2026-11-30")).await.unwrap().duties, 3);

    // Figures of 银川市 by county.
    let s = sf::safety_stats(db, &admin, "640100000000", today).await.unwrap();
    let fig = |code: &str| s.children.iter().find(|c| c.code == code).unwrap().figures;
    assert_eq!(
        fig("640104000000"),
        SafetyFigures { inspections: 2, hazards: 5, hazards_major: 1, hazards_open: 2, hazards_closed: 3, hazards_on_time: 2, hazards_overdue: 1, hazards_supervised: 0, duties: 3, duties_overdue: 2, estates_with_overdue_duties: 2 }
    );
    assert_eq!(
        fig("640106000000"),
        SafetyFigures { inspections: 1, hazards: 1, hazards_major: 0, hazards_open: 1, hazards_closed: 0, hazards_on_time: 0, hazards_overdue: 1, hazards_supervised: 1, duties: 1, duties_overdue: 0, estates_with_overdue_duties: 0 }
    );
    assert_eq!(fig("640105000000"), SafetyFigures::default(), "a county without estates has a row of zeros");
    assert_eq!((s.total.hazards, s.total.hazards_on_time, s.total.on_time_rate().permille()), (6, 2, 667));
    let cats: Vec<(&str, i64, i64, i64)> = s.categories.iter().map(|c| (c.category.as_str(), c.hazards, c.on_time, c.overdue)).collect();
    assert_eq!(
        cats,
        vec![("fire_access", 1, 0, 1), ("underground", 1, 1, 0), ("fire_facilities", 1, 0, 0), ("elevator", 1, 1, 0), ("secondary_water", 1, 0, 1), ("ebike", 1, 0, 0)]
    );
    // The worst: 崇安 (1 + 1 overdue, a major one open), then 兴隆 and 满春园 (1 each).
    let worst: Vec<(&str, i64, i64, i64)> = s.worst.iter().map(|w| (w.name.as_str(), w.hazards_overdue, w.major_open, w.duties_overdue)).collect();
    assert_eq!(worst, vec![("崇安小区", 1, 1, 1), ("兴隆家园", 0, 0, 1), ("满春园小区", 1, 0, 0)]);
    // 兴庆区's regulator cannot ask for 金凤区, nor for the city above it.
    assert!(matches!(sf::safety_stats(db, &xq, "640106000000", today).await, Err(StoreError::NotFound)));
    assert!(matches!(sf::safety_stats(db, &xq, "640100000000", today).await, Err(StoreError::NotFound)));
    let own = sf::safety_stats(db, &xq, "640104000000", today).await.unwrap();
    assert_eq!((own.total.hazards, own.total.duties_overdue), (5, 2));
}
