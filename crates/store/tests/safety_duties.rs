//! Safety duty store tests: recurring duties with exact due days, elevator alerts, e-bike
//! reminders, plans and drills, refusals that change nothing, and who sees what. They run
//! on SQLite, or on PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use wuye_domain::account::{Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_store::access::Access;
use wuye_store::cases::Upload;
use wuye_store::safety::duties::{self as du, DoneInput, DueFilter, FactsInput, NewElevator, NewEbike, NewPlan, NewTraining, NewViolation};
use wuye_store::testing::{TestDb, count, load_fixture};
use wuye_store::{Db, StoreError, on};

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

async fn id_of(db: &Db, sql: &'static str, bind: &str) -> i64 {
    on!(db, p => sqlx::query_scalar(sql).bind(bind).fetch_one(p).await).unwrap()
}

async fn estate(db: &Db, name: &str) -> i64 {
    id_of(db, "SELECT id FROM estates WHERE name = $1", name).await
}

fn duty_of<'a>(ds: &'a [du::Duty], kind: &str) -> &'a du::Duty {
    ds.iter().find(|x| x.kind == kind).unwrap_or_else(|| panic!("no {kind} duty"))
}

fn lift(no: &str, expires: NaiveDate) -> NewElevator {
    NewElevator { registration_no: no.into(), building_id: None, location: "1号楼1单元".into(), maintainer: "宁夏通力电梯".into(), certificate_expires: Some(expires) }
}

fn done(duty: i64, on: NaiveDate) -> DoneInput {
    DoneInput { duty_id: duty, done_on: on, done_by: "李师傅".into(), note: String::new() }
}

async fn writes(db: &Db) -> Vec<i64> {
    let mut v = Vec::new();
    for t in ["elevators", "safety_duties", "safety_duty_records", "safety_files", "ebikes", "ebike_violations", "ebike_reminders", "emergency_plans", "safety_trainings", "audit_log"] {
        v.push(count(db, t).await);
    }
    v
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[tokio::test]
async fn duties_follow_their_intervals() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let ca = estate(db, "崇安小区").await;
    let since = d("2026-01-01");
    du::ensure_duties(db, ca, since).await.unwrap();
    let ds = du::duties(db, &sys(), ca, since).await.unwrap();
    // No secondary water: no tank cleaning; no elevator yet.
    let kinds: Vec<&str> = ds.iter().filter(|x| x.active).map(|x| x.kind.as_str()).collect();
    assert_eq!(kinds, ["drill", "fire_check", "fire_facility_inspection"]);
    assert_eq!(duty_of(&ds, "fire_check").next_due, d("2026-02-01"));
    assert_eq!(duty_of(&ds, "drill").next_due, d("2027-01-01"));

    // A monthly check done on 31 Jan is due on 28 Feb, overdue from 1 Mar.
    let fc = duty_of(&ds, "fire_check").id;
    du::record_done(db, &sys(), ca, &done(fc, d("2026-01-31")), &[], d("2026-02-01")).await.unwrap();
    let x = du::duties(db, &sys(), ca, d("2026-02-28")).await.unwrap();
    assert_eq!((duty_of(&x, "fire_check").next_due, duty_of(&x, "fire_check").status.as_str()), (d("2026-02-28"), "due_soon"));
    let x = du::duties(db, &sys(), ca, d("2026-02-20")).await.unwrap();
    assert_eq!(duty_of(&x, "fire_check").status, "done", "7-day window: due soon from 21 Feb");
    let x = du::duties(db, &sys(), ca, d("2026-02-21")).await.unwrap();
    assert_eq!(duty_of(&x, "fire_check").status, "due_soon");
    let x = du::duties(db, &sys(), ca, d("2026-03-01")).await.unwrap();
    assert_eq!(duty_of(&x, "fire_check").status, "overdue");
    // Stored next_due equals the computed one (the lead's overdue list reads the column).
    let stored: NaiveDate = on!(db, p => sqlx::query_scalar("SELECT next_due FROM safety_duties WHERE id = $1").bind(fc).fetch_one(p).await).unwrap();
    assert_eq!(stored, d("2026-02-28"));
    // A record entered late (earlier than the last one) does not move the due day back.
    du::record_done(db, &sys(), ca, &done(fc, d("2026-01-10")), &[], d("2026-02-01")).await.unwrap();
    let x = du::duties(db, &sys(), ca, d("2026-02-01")).await.unwrap();
    assert_eq!((duty_of(&x, "fire_check").last_done, duty_of(&x, "fire_check").next_due), (Some(d("2026-01-31")), d("2026-02-28")));

    // A key unit drills every half year: the drill duty's interval and due day change.
    let dr = duty_of(&ds, "drill").id;
    du::record_done(db, &sys(), ca, &done(dr, d("2026-03-15")), &[], d("2026-04-01")).await.unwrap();
    let x = du::duties(db, &sys(), ca, d("2026-04-01")).await.unwrap();
    assert_eq!(duty_of(&x, "drill").next_due, d("2027-03-15"));
    du::set_facts(db, &sys(), ca, &FactsInput { key_unit: true, responsible: "王经理".into(), secondary_water: true }, d("2026-04-01")).await.unwrap();
    let x = du::duties(db, &sys(), ca, d("2026-04-01")).await.unwrap();
    assert_eq!((duty_of(&x, "drill").interval_label(), duty_of(&x, "drill").next_due), ("每半年".to_string(), d("2026-09-15")));
    // Secondary water: tank cleaning yearly by default, counted from when it began.
    assert_eq!((duty_of(&x, "tank_cleaning").interval_n, duty_of(&x, "tank_cleaning").next_due), (12, d("2027-04-01")));

    // The region's override: 兴庆区 cleans every 6 months; the county's setting applies to
    // the estate, and a street's setting beneath wins over the county's.
    let reg = user(db, "reg_xq", Role::Regulator, region("640104")).await;
    du::set_tank_months(db, &reg, "640104000000", 6, d("2026-04-02")).await.unwrap();
    let x = du::duties(db, &sys(), ca, d("2026-04-02")).await.unwrap();
    assert_eq!((duty_of(&x, "tank_cleaning").interval_n, duty_of(&x, "tank_cleaning").next_due), (6, d("2026-10-01")));
    du::set_tank_months(db, &reg, "640104001000", 3, d("2026-04-02")).await.unwrap();
    assert_eq!(du::tank_months_for(db, "640104001002").await.unwrap(), (3, Some("640104001000".to_string())));
    assert_eq!(du::tank_months_for(db, "640104002001").await.unwrap().0, 6);
    assert_eq!(du::tank_months_for(db, "640106001003").await.unwrap(), (12, None));
    let x = du::duties(db, &sys(), ca, d("2026-04-02")).await.unwrap();
    assert_eq!(duty_of(&x, "tank_cleaning").next_due, d("2026-07-01"));
    // Out of range, out of reach, not a regulator: refused.
    assert!(matches!(du::set_tank_months(db, &reg, "640104000000", 13, d("2026-04-02")).await, Err(StoreError::Invalid(m)) if m.starts_with("清洗周期")));
    assert!(matches!(du::set_tank_months(db, &reg, "640106000000", 6, d("2026-04-02")).await, Err(StoreError::Forbidden(_))));
    // Tanks removed: the duty is no longer owed (inactive, never overdue).
    du::set_facts(db, &sys(), ca, &FactsInput { key_unit: true, responsible: "王经理".into(), secondary_water: false }, d("2026-04-03")).await.unwrap();
    let x = du::duties(db, &sys(), ca, d("2027-04-03")).await.unwrap();
    assert!(!duty_of(&x, "tank_cleaning").active);
    let due = du::due_list(db, &sys(), &DueFilter::default(), d("2027-04-03")).await.unwrap();
    assert!(due.iter().all(|x| x.kind != "tank_cleaning"));
}

#[tokio::test]
async fn elevators_maintenance_and_certificates() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let ca = estate(db, "崇安小区").await;
    let today = d("2026-11-29");
    let a = du::register_elevator(db, &sys(), ca, &lift("梯11640104A01", today + chrono::Duration::days(29)), d("2026-10-01")).await.unwrap();
    let b = du::register_elevator(db, &sys(), ca, &lift("梯11640104A02", today + chrono::Duration::days(45)), d("2026-10-01")).await.unwrap();
    let c = du::register_elevator(db, &sys(), ca, &lift("梯11640104A03", today + chrono::Duration::days(120)), d("2026-10-01")).await.unwrap();
    let ls = du::elevators(db, &sys(), ca, today).await.unwrap();
    let get = |ls: &[du::Elevator], id: i64| ls.iter().find(|l| l.id == id).unwrap().clone();
    // Maintenance: one duty per elevator, every 15 days. Done 13 Nov → due 28 Nov; due soon
    // on 28 Nov (3-day window from 25 Nov), overdue on 29 Nov.
    let duty_a = get(&ls, a).duty_id.unwrap();
    du::record_done(db, &sys(), ca, &done(duty_a, d("2026-11-13")), &[Upload { file_name: "维保单.png".into(), bytes: PNG.to_vec() }], today).await.unwrap();
    let at = |day: &str| {
        let day = d(day);
        async move { get(&du::elevators(db, &sys(), ca, day).await.unwrap(), a) }
    };
    assert_eq!((at("2026-11-24").await.maintenance_status, at("2026-11-24").await.maintenance_due), ("done".to_string(), Some(d("2026-11-28"))));
    assert_eq!(at("2026-11-25").await.maintenance_status, "due_soon");
    assert_eq!(at("2026-11-28").await.maintenance_status, "due_soon");
    assert_eq!(at("2026-11-29").await.maintenance_status, "overdue");
    let x = du::duties(db, &sys(), ca, today).await.unwrap();
    assert_eq!(x.iter().filter(|x| x.kind == "elevator_maintenance").count(), 3);
    // Certificates: expiring in 29 days → request date (a month before: 28 Nov) passed:
    // overdue; in 45 days → request by 13 Dec, within the 30-day window: due soon;
    // in 120 days → no alert.
    let ls = du::elevators(db, &sys(), ca, today).await.unwrap();
    assert_eq!((get(&ls, a).certificate_alert.as_str(), get(&ls, a).request_by), ("overdue", Some(d("2026-11-28"))));
    assert_eq!((get(&ls, b).certificate_alert.as_str(), get(&ls, b).request_by), ("due_soon", Some(d("2026-12-13"))));
    assert_eq!(get(&ls, c).certificate_alert, "");
    let alerts = du::certificate_alerts(db, &sys(), &DueFilter::default(), today).await.unwrap();
    assert_eq!(alerts.iter().map(|l| l.id).collect::<Vec<_>>(), vec![a, b]);
    // Requested: the alert goes; renewed: the request is cleared with the new expiry.
    du::request_inspection(db, &sys(), ca, a, today, today).await.unwrap();
    assert_eq!(get(&du::elevators(db, &sys(), ca, today).await.unwrap(), a).certificate_alert, "");
    du::renew_certificate(db, &sys(), ca, a, d("2027-12-27"), today).await.unwrap();
    let l = get(&du::elevators(db, &sys(), ca, today).await.unwrap(), a);
    assert_eq!((l.certificate_expires, l.inspection_requested_on), (d("2027-12-27"), None));
    assert!(matches!(du::renew_certificate(db, &sys(), ca, a, d("2027-01-01"), today).await, Err(StoreError::Invalid(m)) if m.starts_with("检验合格证有效期")));
    // The overdue list across estates: the maintenance of A (overdue) and others due.
    let due = du::due_list(db, &sys(), &DueFilter { status: Some("overdue".into()), ..Default::default() }, today).await.unwrap();
    assert!(due.iter().any(|x| x.elevator_id == Some(a)));
    assert!(due.iter().all(|x| x.status == "overdue"));
}

#[tokio::test]
async fn refusals_change_nothing() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let ca = estate(db, "崇安小区").await;
    let today = d("2026-11-29");
    du::register_elevator(db, &sys(), ca, &lift("梯11640104B01", d("2027-06-30")), today).await.unwrap();
    let before = writes(db).await;
    // An elevator without registration number.
    let e = du::register_elevator(db, &sys(), ca, &lift("  ", d("2027-06-30")), today).await.unwrap_err();
    assert_eq!(e.to_string(), "使用登记证编号：缺少使用登记证编号，不能登记（特种设备安全法第三十三条）");
    // …or one already registered.
    let e = du::register_elevator(db, &sys(), ca, &lift("梯11640104B01", d("2027-06-30")), today).await.unwrap_err();
    assert!(e.to_string().contains("已登记"), "{e}");
    // A duty done in the future.
    let ds = du::duties(db, &sys(), ca, today).await.unwrap();
    let fc = duty_of(&ds, "fire_check").id;
    let e = du::record_done(db, &sys(), ca, &done(fc, d("2026-11-30")), &[], today).await.unwrap_err();
    assert_eq!(e.to_string(), "完成日期：不能晚于今天（2026-11-29），实为 2026-11-30");
    // A photo that is not an image, or too large.
    let e = du::record_done(db, &sys(), ca, &done(fc, today), &[Upload { file_name: "a.pdf".into(), bytes: b"%PDF-1.4".to_vec() }], today).await.unwrap_err();
    assert!(e.to_string().starts_with("照片「a.pdf」：不是图片"), "{e}");
    let mut big = PNG.to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let e = du::record_done(db, &sys(), ca, &done(fc, today), &[Upload { file_name: "big.png".into(), bytes: big }], today).await.unwrap_err();
    assert!(e.to_string().contains("超过上限 5 MB"), "{e}");
    // A duty of another estate.
    let xl = estate(db, "兴隆家园").await;
    assert!(matches!(du::record_done(db, &sys(), xl, &done(fc, today), &[], today).await, Err(StoreError::Invalid(m)) if m.starts_with("事项")));
    // An unknown estate.
    assert!(matches!(du::record_done(db, &sys(), 999_999, &done(fc, today), &[], today).await, Err(StoreError::NotFound)));
    // Moving a bike before 3 reminders.
    let before_bikes = writes(db).await;
    assert_eq!(before, before_bikes);
    let k = du::register_ebike(db, &sys(), ca, &NewEbike { plate: String::new(), user_name: "马明".into(), phone: "13951234567".into(), house_id: None }, today).await.unwrap();
    let v = du::record_violation(db, &sys(), ca, &NewViolation { ebike_id: Some(k), kind: "corridor".into(), place: "1单元3层".into(), found_on: Some(d("2026-11-20")) }, today).await.unwrap();
    for (i, ch) in ["on_site", "phone"].iter().enumerate() {
        assert_eq!(du::remind(db, &sys(), ca, v, ch, d("2026-11-20") + chrono::Duration::days(i as i64), today).await.unwrap(), i as i64 + 1);
    }
    let before = writes(db).await;
    let e = du::move_and_tell(db, &sys(), ca, v, "电话告知", today, today).await.unwrap_err();
    assert_eq!(e.to_string(), "移车：已提醒 2 次，须提醒满 3 次仍不改正，方可移至指定区域并告知车主（《居民小区电动自行车停放充电管理指南》）");
    let e = du::remind(db, &sys(), ca, v, "pigeon", today, today).await.unwrap_err();
    assert!(e.to_string().starts_with("提醒方式"), "{e}");
    let e = du::record_violation(db, &sys(), ca, &NewViolation { ebike_id: Some(k), kind: "roof".into(), place: String::new(), found_on: None }, today).await.unwrap_err();
    assert!(e.to_string().starts_with("违规类型"), "{e}");
    let e = du::add_plan(db, &sys(), ca, &NewPlan { kind: "fire".into(), title: "x".into(), body: String::new(), approved_on: Some(d("2026-12-01")), review_due: None }, today).await.unwrap_err();
    assert!(e.to_string().starts_with("批准日期"), "{e}");
    let e = du::record_training(db, &sys(), ca, &NewTraining { kind: "drill".into(), title: "演练".into(), held_on: Some(today), ..Default::default() }, &[], today).await.unwrap_err();
    assert!(e.to_string().starts_with("参加人员"), "{e}");
    assert_eq!(before, writes(db).await, "nothing written by a refusal");
    // The third reminder allows the move.
    du::remind(db, &sys(), ca, v, "wechat", today, today).await.unwrap();
    du::move_and_tell(db, &sys(), ca, v, "电话告知车主", today, today).await.unwrap();
    let vs = du::violations(db, &sys(), ca, today).await.unwrap();
    assert_eq!((vs[0].reminders, vs[0].moved_on), (3, Some(today)));
}

#[tokio::test]
async fn plans_and_drills() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let ca = estate(db, "崇安小区").await;
    let today = d("2026-11-29");
    du::ensure_duties(db, ca, d("2025-06-01")).await.unwrap();
    du::add_plan(db, &sys(), ca, &NewPlan { kind: "fire".into(), title: "火灾应急预案".into(), body: String::new(), approved_on: Some(d("2025-10-01")), review_due: None }, today).await.unwrap();
    let p2 = du::add_plan(db, &sys(), ca, &NewPlan { kind: "fire".into(), title: "火灾应急预案（修订）".into(), body: String::new(), approved_on: Some(d("2026-03-01")), review_due: None }, today).await.unwrap();
    du::add_plan(db, &sys(), ca, &NewPlan { kind: "flood".into(), title: "防汛预案".into(), body: String::new(), approved_on: Some(d("2025-05-01")), review_due: None }, today).await.unwrap();
    let ps = du::plans(db, &sys(), ca, today).await.unwrap();
    let fire = ps.iter().find(|p| p.id == p2).unwrap();
    assert_eq!((fire.version, fire.review_due, fire.review_overdue), (2, d("2027-03-01"), false));
    let flood = ps.iter().find(|p| p.kind == "flood").unwrap();
    assert_eq!((flood.review_due, flood.review_overdue), (d("2026-05-01"), true));
    let c = du::compliance(db, &sys(), ca, today).await.unwrap();
    let ok: Vec<(&str, bool)> = c.iter().map(|x| (x.item.as_str(), x.ok)).collect();
    // The drill duty began 1 Jun 2025 and was never done: overdue since 1 Jun 2026.
    assert_eq!(ok, [("fire", true), ("flood", false), ("elevator_entrapment", false), ("water_outage", false), ("public_health", false), ("drill", false)]);
    // A flood drill is recorded but is not the fire and evacuation drill.
    du::record_training(db, &sys(), ca, &NewTraining { kind: "drill".into(), plan_kind: "flood".into(), held_on: Some(d("2026-11-18")), title: "防汛演练".into(), attendees: "王建国".into(), attendee_count: 0, note: String::new() }, &[], today).await.unwrap();
    assert_eq!(duty_of(&du::duties(db, &sys(), ca, today).await.unwrap(), "drill").last_done, None);
    // Dates before 2000 are refused.
    let e = du::record_training(db, &sys(), ca, &NewTraining { kind: "drill".into(), plan_kind: "fire".into(), held_on: Some(d("1900-01-01")), title: "演练".into(), attendees: "王建国".into(), attendee_count: 0, note: String::new() }, &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "日期：不能早于 2000-01-01，实为 1900-01-01"), "{e:?}");
    // A fire drill marks the drill duty done.
    let photo = Upload { file_name: "演练.jpg".into(), bytes: vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0] };
    du::record_training(db, &sys(), ca, &NewTraining { kind: "drill".into(), plan_kind: "fire".into(), held_on: Some(d("2026-11-20")), title: "消防疏散演练".into(), attendees: "王建国\n李明\n".into(), attendee_count: 0, note: String::new() }, &[photo], today).await.unwrap();
    let ts = du::trainings(db, &sys(), ca, today).await.unwrap();
    assert_eq!((ts[0].attendee_count, ts[0].photos), (2, 1));
    let x = du::duties(db, &sys(), ca, today).await.unwrap();
    assert_eq!((duty_of(&x, "drill").last_done, duty_of(&x, "drill").next_due, duty_of(&x, "drill").status.as_str()), (Some(d("2026-11-20")), d("2027-11-20"), "done"));
    let c = du::compliance(db, &sys(), ca, today).await.unwrap();
    assert!(c.iter().find(|x| x.item == "drill").unwrap().ok);
}

#[tokio::test]
async fn each_sees_only_its_estates() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let today = d("2026-11-29");
    let ca = estate(db, "崇安小区").await;
    let mc = estate(db, "满春园小区").await;
    for (e, no) in [(ca, "梯A"), (mc, "梯B")] {
        du::register_elevator(db, &sys(), e, &lift(no, today + chrono::Duration::days(10)), d("2026-01-01")).await.unwrap();
    }
    let anju = id_of(db, "SELECT id FROM enterprises WHERE uscc = $1", "91640104MA76ANJU1T").await;
    let aj = user(db, "ent_aj", Role::EnterpriseStaff, Scope::Enterprise(anju)).await;
    // The enterprise serves 崇安 only.
    assert_eq!(du::elevators(db, &aj, ca, today).await.unwrap().len(), 1);
    assert!(matches!(du::elevators(db, &aj, mc, today).await, Err(StoreError::NotFound)));
    assert!(matches!(du::register_ebike(db, &aj, mc, &NewEbike { user_name: "x".into(), ..Default::default() }, today).await, Err(StoreError::NotFound)));
    let due = du::due_list(db, &aj, &DueFilter::default(), today).await.unwrap();
    assert!(!due.is_empty() && due.iter().all(|x| x.estate_id == ca));
    let alerts = du::certificate_alerts(db, &aj, &DueFilter::default(), today).await.unwrap();
    assert_eq!(alerts.iter().map(|l| l.registration_no.as_str()).collect::<Vec<_>>(), ["梯A"]);
    // An enterprise may not designate a key unit; the regulator may.
    let e = du::set_facts(db, &aj, ca, &FactsInput { key_unit: true, responsible: String::new(), secondary_water: true }, today).await.unwrap_err();
    assert!(matches!(e, StoreError::Forbidden(_)));
    du::set_facts(db, &aj, ca, &FactsInput { key_unit: false, responsible: "王经理".into(), secondary_water: true }, today).await.unwrap();
    let reg = user(db, "reg_xq", Role::Regulator, region("640104")).await;
    du::set_facts(db, &reg, ca, &FactsInput { key_unit: true, responsible: "王经理".into(), secondary_water: true }, today).await.unwrap();
    assert!(matches!(du::facts(db, &reg, mc, today).await, Err(StoreError::NotFound)));
    // An owner has no safety records.
    let zw = id_of(db, "SELECT id FROM owners WHERE name = $1", "张伟").await;
    let owner = user(db, "owner_zw", Role::Owner, Scope::Owner(zw)).await;
    assert!(matches!(du::duties(db, &owner, mc, today).await, Err(StoreError::Forbidden(_))));
    // The phone is masked for a committee, in full for the enterprise.
    du::register_ebike(db, &aj, ca, &NewEbike { plate: String::new(), user_name: "马明".into(), phone: "13951234567".into(), house_id: None }, today).await.unwrap();
    assert_eq!(du::ebikes(db, &aj, ca, today).await.unwrap()[0].phone, "13951234567");
}

#[tokio::test]
async fn the_demo_shows_every_state() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let today = d("2026-11-29");
    let r = du::write_demo(db, today).await.unwrap();
    assert!(r.elevators >= 4 && r.estates >= 2, "{r}");
    assert_eq!(du::write_demo(db, today).await.unwrap(), du::DemoReport::default(), "once");
    let (estate, _, _) = wuye_store::demo::showcase_estate(db, today).await.unwrap().unwrap();
    let ls = du::elevators(db, &sys(), estate, today).await.unwrap();
    assert!(ls.iter().any(|l| l.certificate_alert == "overdue" && l.certificate_expires == d("2026-12-28")));
    assert!(ls.iter().any(|l| l.maintenance_status == "overdue" && l.last_maintained == Some(d("2026-11-13"))));
    let ds = du::duties(db, &sys(), estate, today).await.unwrap();
    for s in ["done", "due_soon", "overdue"] {
        assert!(ds.iter().any(|x| x.status == s), "a duty {s}");
    }
    let vs = du::violations(db, &sys(), estate, today).await.unwrap();
    assert!(vs.iter().any(|v| v.reminders == 3 && v.moved_on.is_some()));
    assert!(du::plans(db, &sys(), estate, today).await.unwrap().iter().any(|p| p.review_overdue));
}
