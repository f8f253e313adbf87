//! Safety store tests: checklist templates in versions, inspections opening hazards,
//! working-day deadlines across the Spring Festival and National Day breaks, the hazard
//! flow (report → reject → report → pass), supervision orders, escalation on the right
//! day exactly once, refusals that change nothing, and who sees what. They run on SQLite,
//! or on PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use wuye_domain::account::{Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_store::access::Access;
use wuye_store::cases::Upload;
use wuye_store::safety::inspections::{self as si, HazardFilter, HazardStepInput, ItemResult, NewHazard, NewInspection, TemplateItem};
use wuye_store::testing::{TestDb, count, load_fixture};
use wuye_store::{Db, StoreError, on};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
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

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

fn png(name: &str) -> Upload {
    Upload { file_name: name.into(), bytes: PNG.to_vec() }
}

async fn writes(db: &Db) -> (i64, i64, i64, i64, i64, i64) {
    (
        count(db, "safety_inspections").await,
        count(db, "safety_inspection_results").await,
        count(db, "safety_hazards").await,
        count(db, "safety_hazard_steps").await,
        count(db, "safety_files").await,
        count(db, "audit_log").await,
    )
}

struct World {
    t: TestDb,
    street: Access,
    reg: Access,
    city: Access,
    aj: Access,
    hx: Access,
    chongan: i64,
    manchun: i64,
}

async fn world() -> World {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    si::ensure_templates(&t.db).await.unwrap();
    si::ensure_templates(&t.db).await.unwrap();
    let db = &t.db;
    let aj_id = id_of(db, "SELECT id FROM enterprises WHERE uscc = $1", "91640104MA76ANJU1T").await;
    let hx_id = id_of(db, "SELECT id FROM enterprises WHERE uscc = $1", "91640106MA76HXWY2F").await;
    let street = user(db, "street", Role::Street, region("640104001")).await;
    let reg = user(db, "reg", Role::Regulator, region("640104")).await;
    let city = user(db, "city", Role::Regulator, region("6401")).await;
    let aj = user(db, "aj", Role::EnterpriseStaff, Scope::Enterprise(aj_id)).await;
    let hx = user(db, "hx", Role::EnterpriseManager, Scope::Enterprise(hx_id)).await;
    let chongan = id_of(db, "SELECT id FROM estates WHERE name = $1", "崇安小区").await;
    let manchun = id_of(db, "SELECT id FROM estates WHERE name = $1", "满春园小区").await;
    World { t, street, reg, city, aj, hx, chongan, manchun }
}

fn one_hazard(kind: &str, on: &str, h: NewHazard) -> NewInspection {
    NewInspection {
        category: "fire_access".into(),
        kind: kind.into(),
        inspected_on: d(on),
        area: "1号楼".into(),
        inspector: "王检查".into(),
        responsible_signature: "钱二".into(),
        note: String::new(),
        results: vec![
            ItemResult { seq: 1, result: "hazard".into(), note: String::new(), hazard: Some(h) },
            ItemResult { seq: 2, result: "pass".into(), ..Default::default() },
            ItemResult { seq: 3, result: "na".into(), ..Default::default() },
        ],
    }
}

fn in_days(n: u32) -> NewHazard {
    NewHazard { severity: "general".into(), description: "消防车通道停放车辆".into(), working_days: Some(n), ..Default::default() }
}

fn by_date(s: &str) -> NewHazard {
    NewHazard { severity: "major".into(), description: "疏散通道堆放杂物".into(), deadline: Some(d(s)), ..Default::default() }
}

async fn hazard_of(db: &Db, inspection: i64) -> i64 {
    on!(db, p => sqlx::query_scalar("SELECT id FROM safety_hazards WHERE inspection_id = $1").bind(inspection).fetch_one(p).await).unwrap()
}

fn step(action: &str, note: &str, deadline: Option<&str>) -> HazardStepInput {
    HazardStepInput { action: action.into(), note: note.into(), deadline: deadline.map(d) }
}

#[tokio::test]
async fn working_day_deadlines_across_spring_festival_and_national_day() {
    let w = world().await;
    let db = &w.t.db;
    // Found Fri 13 Feb 2026, 5 working days: the Spring Festival break (15–23 Feb; Sat 14
    // Feb and Sat 28 Feb are worked) → 24, 25, 26, 27 Feb … the 5th working day is 27 Feb.
    let i = si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-02-13", in_days(5)), &[], d("2026-02-13")).await.unwrap();
    let h = si::hazard(db, &w.street, hazard_of(db, i).await, d("2026-02-13")).await.unwrap();
    assert_eq!((h.rectify_by, h.deadline, h.working_days), (Some(d("2026-02-27")), Some(d("2026-02-27")), Some(5)));
    assert_eq!((h.state.as_str(), h.closed, h.finder_kind.as_str(), h.responsible.as_str()), ("rectifying", false, "street", "宁夏安居物业服务有限公司"));
    // Found Thu 24 Sep 2026, 5 working days: 25, 28 (Sun 27 Sep worked), 29, 30 Sep, then
    // the National Day break (1–7 Oct), 9 Oct (Sat 10 Oct worked) … the 5th is 9 Oct.
    let i = si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-09-24", in_days(5)), &[], d("2026-09-24")).await.unwrap();
    let h = si::hazard(db, &w.street, hazard_of(db, i).await, d("2026-09-24")).await.unwrap();
    assert_eq!(h.rectify_by, Some(d("2026-10-09")));
    // The inspection's results and template.
    let r = si::inspection_results(db, &w.street, i, d("2026-09-24")).await.unwrap();
    assert_eq!(r.iter().map(|x| x.result.as_str()).collect::<Vec<_>>(), vec!["hazard", "pass", "na", "na", "na"]);
}

#[tokio::test]
async fn a_hazard_from_finding_to_closing_and_refusals_change_nothing() {
    let w = world().await;
    let db = &w.t.db;
    let day = d("2026-11-02");
    // Refused: a deadline before the finding date.
    let before = writes(db).await;
    let e = si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-11-02", by_date("2026-11-01")), &[], day).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.contains("不能早于发现日期（2026-11-02）")), "{e:?}");
    // Refused: a photo that is not an image, and one over 5 MB.
    let pdf = Upload { file_name: "x.pdf".into(), bytes: b"%PDF-1.4\n%%EOF\n".to_vec() };
    let e = si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-11-02", in_days(5)), &[(0, pdf)], day).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.contains("不是图片")), "{e:?}");
    let mut big = PNG.to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let e = si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-11-02", in_days(5)), &[(0, Upload { file_name: "big.png".into(), bytes: big })], day).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.contains("超过上限 5 MB")), "{e:?}");
    // Refused: a street check by an enterprise; a self-check by another enterprise.
    assert!(matches!(si::create_inspection(db, &w.aj, w.chongan, &one_hazard("street", "2026-11-02", in_days(5)), &[], day).await, Err(StoreError::Forbidden(_))));
    assert!(matches!(si::create_inspection(db, &w.hx, w.chongan, &one_hazard("self", "2026-11-02", in_days(5)), &[], day).await, Err(StoreError::NotFound)));
    // Refused: a spot fix without a photo.
    let spot = NewHazard { severity: "general".into(), description: "防火门未关闭".into(), spot_fixed: true, ..Default::default() };
    assert!(si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-11-02", spot.clone()), &[], day).await.is_err());
    assert_eq!(writes(db).await, before, "refusals write nothing");

    // A spot fix closes at once.
    let i = si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-11-02", spot), &[(1, png("fixed.png"))], day).await.unwrap();
    let h = si::hazard(db, &w.street, hazard_of(db, i).await, day).await.unwrap();
    assert_eq!((h.state.as_str(), h.closed, h.spot_fixed, h.closed_on, h.on_time()), ("closed", true, true, Some(day), Some(true)));

    // Found with 5 working days → 9 Nov.
    let i = si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-11-02", in_days(5)), &[(0, png("site.png"))], day).await.unwrap();
    let id = hazard_of(db, i).await;
    assert_eq!(si::inspection_photos(db, &w.street, i, day).await.unwrap().len(), 1);
    let before = writes(db).await;
    // Closing without a rectification report is out of order.
    let e = si::hazard_step(db, &w.street, id, &step("pass", "", None), &[], day).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.contains("复查通过销号") && m.contains("已报整改待复查")), "{e:?}");
    // A report needs a note and a photo.
    assert!(si::hazard_step(db, &w.aj, id, &step("report", "", None), &[png("a.png")], day).await.is_err());
    let e = si::hazard_step(db, &w.aj, id, &step("report", "已清理", None), &[], day).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.contains("照片")), "{e:?}");
    // The street office may not report for the enterprise.
    assert!(matches!(si::hazard_step(db, &w.street, id, &step("report", "已清理", None), &[png("a.png")], day).await, Err(StoreError::Forbidden(_))));
    assert_eq!(writes(db).await, before);

    // Reported on 5 Nov; the inspected party may not re-inspect its own rectification.
    si::hazard_step(db, &w.aj, id, &step("report", "已清理通道", None), &[png("after.png")], d("2026-11-05")).await.unwrap();
    let before = writes(db).await;
    for action in ["pass", "reject"] {
        let e = si::hazard_step(db, &w.aj, id, &step(action, "x", Some("2026-11-20")), &[], d("2026-11-05")).await.unwrap_err();
        assert!(matches!(&e, StoreError::Invalid(m) if m == "复查：被检查方不能复查自己的整改"), "{e:?}");
    }
    // A rejection needs a new deadline after today.
    assert!(si::hazard_step(db, &w.street, id, &step("reject", "仍有车辆", None), &[], d("2026-11-06")).await.is_err());
    assert_eq!(writes(db).await, before);
    assert_eq!(si::hazard_step(db, &w.street, id, &step("reject", "仍有车辆停放", Some("2026-11-13")), &[], d("2026-11-06")).await.unwrap(), "rectifying");
    let h = si::hazard(db, &w.street, id, d("2026-11-06")).await.unwrap();
    // The rejection sets the current deadline; the rectification deadline set at finding
    // stays, and on time is judged against it.
    assert_eq!((h.rectify_by, h.deadline), (Some(d("2026-11-09")), Some(d("2026-11-13"))));
    // Nor may the finder close it "on the spot" days later.
    let e = si::hazard_step(db, &w.street, id, &step("spot_fix", "", None), &[png("late.png")], d("2026-11-06")).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.starts_with("现场整改：只能在发现当日（2026-11-02）登记")), "{e:?}");
    // A new deadline at most 180 working days ahead.
    let e = si::hazard_step(db, &w.street, id, &step("supervise", "限期", Some("9999-12-31")), &[], d("2026-11-06")).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.starts_with("整改期限：不能晚于")), "{e:?}");
    si::hazard_step(db, &w.aj, id, &step("report", "已设置地桩并清理", None), &[png("after2.png")], d("2026-11-12")).await.unwrap();
    assert_eq!(si::hazard_step(db, &w.street, id, &step("pass", "", None), &[], d("2026-11-16")).await.unwrap(), "closed");
    let h = si::hazard(db, &w.street, id, d("2026-11-16")).await.unwrap();
    // Reported on 12 Nov against the 9 Nov deadline set at finding: closed, not on time.
    assert_eq!((h.closed, h.rectified_on, h.closed_on, h.deadline, h.on_time()), (true, Some(d("2026-11-12")), Some(d("2026-11-16")), None, Some(false)));
    let tl = si::hazard_timeline(db, &w.street, id, d("2026-11-16")).await.unwrap();
    assert_eq!(tl.iter().map(|(s, _)| s.action.as_str()).collect::<Vec<_>>(), vec!["find", "report", "reject", "report", "pass"]);
    assert_eq!(tl.iter().map(|(_, f)| f.len()).sum::<usize>(), 2);
    // A photo is read back only within scope.
    let photo = tl[1].1[0].id;
    assert_eq!(si::photo(db, &w.aj, photo, d("2026-11-16")).await.unwrap().1, PNG);
    assert!(matches!(si::photo(db, &w.hx, photo, d("2026-11-16")).await, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn overdue_hazards_escalate_on_the_first_working_day_after_once() {
    let w = world().await;
    let db = &w.t.db;
    // A street finding with a deadline on Wed 30 Sep 2026: the National Day break follows
    // (1–7 Oct): escalation on Thu 8 Oct, not on 7 Oct, to the county (兴庆区).
    let i = si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-09-25", by_date("2026-09-30")), &[], d("2026-09-25")).await.unwrap();
    let id = hazard_of(db, i).await;
    assert_eq!(si::escalate_due(db, d("2026-10-01")).await.unwrap(), 0);
    assert_eq!(si::escalate_due(db, d("2026-10-07")).await.unwrap(), 0);
    let h = si::hazard(db, &w.street, id, d("2026-10-07")).await.unwrap();
    assert!(h.overdue(d("2026-10-07")) && h.escalated_on.is_none());
    assert_eq!(si::escalate_due(db, d("2026-10-08")).await.unwrap(), 1);
    assert_eq!(si::escalate_due(db, d("2026-10-08")).await.unwrap(), 0);
    assert_eq!(si::escalate_due(db, d("2026-10-20")).await.unwrap(), 0, "once per deadline");
    let h = si::hazard(db, &w.street, id, d("2026-10-08")).await.unwrap();
    assert_eq!((h.escalated_on, h.escalated_to.as_deref(), h.escalated_to_name.as_deref()), (Some(d("2026-10-08")), Some("640104000000"), Some("兴庆区")));
    let tl = si::hazard_timeline(db, &w.street, id, d("2026-10-08")).await.unwrap();
    assert_eq!(tl.iter().filter(|(s, _)| s.action == "escalate").count(), 1);
    // The overdue filter.
    let f = HazardFilter { overdue: Some(true), ..Default::default() };
    assert_eq!(si::hazards(db, &w.reg, &f, d("2026-10-08")).await.unwrap().total, 1);
    assert_eq!(si::hazards(db, &w.reg, &f, d("2026-09-30")).await.unwrap().total, 0, "the deadline day is in time");

    // The county supervises: a numbered order with its own deadline, which is escalated
    // again once missed.
    si::hazard_step(db, &w.reg, id, &step("supervise", "限期整改", Some("2026-10-16")), &[], d("2026-10-09")).await.unwrap();
    let h = si::hazard(db, &w.reg, id, d("2026-10-09")).await.unwrap();
    assert_eq!((h.supervision_no.as_deref(), h.supervised_on, h.supervision_deadline, h.rectify_by, h.escalated_on), (Some("督〔2026〕第1号"), Some(d("2026-10-09")), Some(d("2026-10-16")), Some(d("2026-09-30")), None));
    assert_eq!(si::escalate_due(db, d("2026-10-19")).await.unwrap(), 1);

    // A county spot check escalates to the city; a city's to the province.
    let i = si::create_inspection(db, &w.reg, w.chongan, &one_hazard("spot", "2026-09-25", by_date("2026-09-30")), &[], d("2026-09-25")).await.unwrap();
    let i2 = si::create_inspection(db, &w.city, w.chongan, &one_hazard("spot", "2026-09-25", by_date("2026-09-30")), &[], d("2026-09-25")).await.unwrap();
    assert_eq!(si::escalate_due(db, d("2026-10-08")).await.unwrap(), 2);
    assert_eq!(si::hazard(db, &w.reg, hazard_of(db, i).await, d("2026-10-08")).await.unwrap().escalated_to.as_deref(), Some("640100000000"));
    assert_eq!(si::hazard(db, &w.city, hazard_of(db, i2).await, d("2026-10-08")).await.unwrap().escalated_to.as_deref(), Some("640000000000"));
    // The next supervision order of the year gets the next number.
    let h2 = hazard_of(db, i).await;
    si::hazard_step(db, &w.reg, h2, &step("supervise", "限期整改", Some("2026-10-20")), &[], d("2026-10-09")).await.unwrap();
    assert_eq!(si::hazard(db, &w.reg, h2, d("2026-10-09")).await.unwrap().supervision_no.as_deref(), Some("督〔2026〕第2号"));
}

#[tokio::test]
async fn templates_in_versions_and_scope() {
    let w = world().await;
    let db = &w.t.db;
    let day = d("2026-11-02");
    assert_eq!(si::templates(db, &w.reg).await.unwrap().len(), 6);
    let built_in = si::template_for(db, "fire_access", "640104001002").await.unwrap();
    assert_eq!((built_in.region_code.as_str(), built_in.version), ("", 1));
    let i1 = si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-11-02", in_days(3)), &[], day).await.unwrap();
    // Enterprises and street offices do not edit checklists; a county regulator edits its own.
    let items = vec![TemplateItem { seq: 0, item: "消防车通道畅通".into(), basis: "消防法第十六条".into() }, TemplateItem { seq: 0, item: "登高场地无占用".into(), basis: String::new() }];
    assert!(matches!(si::save_template(db, &w.aj, "fire_access", "", "", &items).await, Err(StoreError::Forbidden(_))));
    assert!(matches!(si::save_template(db, &w.reg, "fire_access", "640106000000", "", &items).await, Err(StoreError::Forbidden(_))));
    assert!(si::save_template(db, &w.reg, "fire_access", "", "", &[]).await.is_err());
    let t2 = si::save_template(db, &w.reg, "fire_access", "", "兴庆区消防通道检查表", &items).await.unwrap();
    let t3 = si::save_template(db, &w.reg, "fire_access", "", "兴庆区消防通道检查表", &items[..1]).await.unwrap();
    let t = si::template_for(db, "fire_access", "640104001002").await.unwrap();
    assert_eq!((t.id, t.region_code.as_str(), t.version), (t3, "640104000000", 2));
    assert_ne!(t2, t3);
    assert_eq!(si::template_for(db, "fire_access", "640106001003").await.unwrap().id, built_in.id, "金凤区 keeps the built-in one");
    let i2 = si::create_inspection(db, &w.street, w.chongan, &NewInspection { results: vec![ItemResult { seq: 1, result: "pass".into(), ..Default::default() }], ..one_hazard("street", "2026-11-02", in_days(3)) }, &[], day).await.unwrap();
    assert_eq!(si::inspection(db, &w.street, i1, day).await.unwrap().template_id, built_in.id, "old inspections keep their version");
    assert_eq!(si::inspection(db, &w.street, i2, day).await.unwrap().template_id, t3);
    assert_eq!(si::inspection_results(db, &w.street, i2, day).await.unwrap().len(), 1);
    // An item outside the version is refused.
    assert!(si::create_inspection(db, &w.street, w.chongan, &one_hazard("street", "2026-11-02", in_days(3)), &[], day).await.is_err());

    // Scope: 安居 sees 崇安's hazards, 恒信 does not; 恒信 sees its own 满春园 self-check.
    let mut self_check = one_hazard("self", "2026-11-02", in_days(3));
    self_check.category = "elevator".into();
    let m = si::create_inspection(db, &w.hx, w.manchun, &self_check, &[], day).await.unwrap();
    let f = HazardFilter::default();
    let aj: Vec<i64> = si::hazards(db, &w.aj, &f, day).await.unwrap().items.iter().map(|h| h.estate_id).collect();
    let hx: Vec<i64> = si::hazards(db, &w.hx, &f, day).await.unwrap().items.iter().map(|h| h.estate_id).collect();
    assert_eq!((aj, hx), (vec![w.chongan], vec![w.manchun]));
    assert!(matches!(si::inspection(db, &w.hx, i1, day).await, Err(StoreError::NotFound)));
    assert!(matches!(si::inspection(db, &w.aj, m, day).await, Err(StoreError::NotFound)));
    assert_eq!(si::hazards(db, &w.reg, &f, day).await.unwrap().total, 1, "兴庆区 sees its own");
    assert_eq!(si::hazards(db, &w.city, &f, day).await.unwrap().total, 2, "银川市 sees both");
    let f = HazardFilter { category: Some("elevator".into()), ..Default::default() };
    assert_eq!(si::hazards(db, &w.city, &f, day).await.unwrap().total, 1);
}
