//! Credit store tests (rules.md §4): worked examples of the Yantai and Shangqiu schemes
//! through the store, expiry on the right day, objections (accepted, late), refusals that
//! change nothing, the 'missing' grade, standing for tendering, and who sees what. They run
//! on SQLite, or on PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use wuye_domain::account::{Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_store::access::Access;
use wuye_store::cases::Upload;
use wuye_store::credit::{self as cr, NewRecord, RecordFilter};
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

async fn ent(db: &Db, uscc: &str) -> i64 {
    cr::enterprise_by_uscc(db, uscc).await.unwrap().unwrap()
}

const ANJU: &str = "91640104MA76ANJU1T";
const HENGXIN: &str = "91640106MA76HXWY2F";

fn rec(e: i64, item: &str, pts: i64, occurred: &str) -> NewRecord {
    NewRecord {
        enterprise_id: e,
        item_code: item.into(),
        points_tenths: pts,
        source: "regulator".into(),
        source_org: "兴庆区住房和城乡建设局".into(),
        estate_id: None,
        title: format!("{item} 记录"),
        detail: String::new(),
        occurred_on: d(occurred),
    }
}

async fn writes(db: &Db) -> Vec<i64> {
    let mut v = Vec::new();
    for t in ["credit_records", "credit_files", "credit_objections", "credit_scores", "audit_log"] {
        v.push(count(db, t).await);
    }
    v
}

const PDF: &[u8] = b"%PDF-1.4\n%test\n";

#[tokio::test]
async fn yantai_worked_example_and_expiry() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = ent(db, ANJU).await;
    cr::register(db, &sys(), a, d("2025-01-01")).await.unwrap();
    // Entered on the day after it occurred; each counts from the day after its objection window.
    let r1 = cr::enter(db, &sys(), &rec(a, "G01", 50, "2026-03-01"), &[Upload { file_name: "表彰.pdf".into(), bytes: PDF.to_vec() }], d("2026-03-02")).await.unwrap();
    cr::enter(db, &sys(), &rec(a, "B01", 25, "2026-05-10"), &[], d("2026-05-11")).await.unwrap();
    cr::enter(db, &sys(), &rec(a, "B03", 50, "2025-10-01"), &[], d("2025-10-09")).await.unwrap();
    let r = cr::record(db, &sys(), r1, d("2026-11-29")).await.unwrap();
    assert_eq!((r.state.as_str(), r.objection_until), ("pending", d("2026-03-16")));
    assert_eq!(r.valid_until, Some(d("2027-02-28")));

    // 2026-09-30 is B03's last day: 80 + 5 − 2.5 − 5 = 77.5 (A); the next day 82.5 (AA).
    let s = cr::standing(db, a, d("2026-09-30")).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str(), s.barred), (Some(775), "A", false));
    let s = cr::standing(db, a, d("2026-10-01")).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str()), (Some(825), "AA"));

    // recompute_all settles the pending records and stores the same figures.
    let n = cr::recompute_all(db, d("2026-11-29")).await.unwrap();
    assert_eq!(n, 2, "安居 registered; 恒信 operating unregistered (missing)");
    let st = cr::stored_score(db, a).await.unwrap().unwrap();
    assert_eq!((st.score_tenths, st.bonus_tenths, st.deduction_tenths, st.grade.as_str()), (Some(825), 50, 25, "AA"));
    assert_eq!(count(db, "credit_records").await, 3);
    let states: Vec<String> = on!(db, p => sqlx::query_scalar("SELECT state FROM credit_records ORDER BY id").fetch_all(p).await).unwrap();
    assert_eq!(states, ["effective", "effective", "effective"]);
    let eff: NaiveDate = on!(db, p => sqlx::query_scalar("SELECT effective_on FROM credit_records WHERE id = $1").bind(r1).fetch_one(p).await).unwrap();
    assert_eq!(eff, d("2026-03-17"), "the day after objection_until");
    // The file explains each line.
    let f = cr::file(db, &sys(), a, d("2026-11-29")).await.unwrap();
    let sc = f.score.unwrap();
    assert_eq!(sc.total_tenths, 825);
    let why: Vec<&str> = sc.lines.iter().map(|l| l.why_zh.as_str()).collect();
    assert!(why.contains(&"有效期至 2026-09-30，已过期"), "{why:?}");
    // A second recompute with nothing changed adds no history row.
    let h = cr::history(db, a).await.unwrap().len();
    cr::recompute_all(db, d("2026-11-29")).await.unwrap();
    assert_eq!(cr::history(db, a).await.unwrap().len(), h);
}

#[tokio::test]
async fn shangqiu_worked_example_and_bands() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    cr::set_settings(db, &sys(), "shangqiu_2022", 10, "black,C").await.unwrap();
    let a = ent(db, ANJU).await;
    cr::register(db, &sys(), a, d("2025-01-01")).await.unwrap();
    cr::enter(db, &sys(), &rec(a, "G01", 30, "2026-04-01"), &[], d("2026-04-01")).await.unwrap();
    cr::enter(db, &sys(), &rec(a, "B01", 20, "2026-05-06"), &[], d("2026-05-06")).await.unwrap();
    // Last year's record does not count in the 2026 cycle.
    cr::enter(db, &sys(), &rec(a, "B04", 100, "2025-12-01"), &[], d("2025-12-01")).await.unwrap();
    let s = cr::standing(db, a, d("2026-11-29")).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str(), s.barred), (Some(1010), "AAA", false), "100 + 3 − 2 = 101 > 100");
    // Another 0.1 deduction: exactly 100.0 is AA.
    cr::enter(db, &sys(), &rec(a, "B01", 5, "2026-06-01"), &[], d("2026-06-01")).await.unwrap();
    let s = cr::standing(db, a, d("2026-11-29")).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str()), (Some(1005), "AAA"));
    cr::enter(db, &sys(), &rec(a, "B01", 5, "2026-06-02"), &[], d("2026-06-02")).await.unwrap();
    let s = cr::standing(db, a, d("2026-11-29")).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str()), (Some(1000), "AA"));
    // Deductions to 69.5: C, black list (黑榜), barred.
    for (i, day) in ["2026-07-01", "2026-07-02", "2026-07-03"].iter().enumerate() {
        cr::enter(db, &sys(), &rec(a, "B04", 100, day), &[], d(day)).await.unwrap();
        let _ = i;
    }
    cr::enter(db, &sys(), &rec(a, "B01", 5, "2026-07-04"), &[], d("2026-07-04")).await.unwrap();
    let s = cr::standing(db, a, d("2026-11-29")).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str(), s.barred), (Some(695), "C", true));
    assert!(s.reason.unwrap().contains("黑名单"));
    // In the 2027 cycle the 2026 records no longer count.
    let s = cr::standing(db, a, d("2027-01-01")).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str()), (Some(1000), "AA"));
}

#[tokio::test]
async fn objection_accepted_removes_the_deduction_and_late_is_refused() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = ent(db, ANJU).await;
    cr::register(db, &sys(), a, d("2025-01-01")).await.unwrap();
    let reg = user(db, "reg104", Role::Regulator, region("640104")).await;
    let mgr = user(db, "anju-mgr", Role::EnterpriseManager, Scope::Enterprise(a)).await;
    let today = d("2026-11-29");

    // A record entered on Mon 2026-11-16: last day to object is 2026-11-30.
    let id = cr::enter(db, &reg, &rec(a, "B02", 30, "2026-11-10"), &[], d("2026-11-16")).await.unwrap();
    assert_eq!(cr::record(db, &mgr, id, d("2026-11-29")).await.unwrap().objection_until, d("2026-11-30"));
    // Without the objection it would count from 2026-12-01: 80 − 3 = 77 (A).
    assert_eq!(cr::standing(db, a, d("2026-12-01")).await.unwrap().score_tenths, Some(770));
    assert_eq!(cr::standing(db, a, d("2026-11-30")).await.unwrap().score_tenths, Some(800));
    // Another enterprise's manager may not object.
    let h = ent(db, HENGXIN).await;
    let other = user(db, "hx-mgr", Role::EnterpriseManager, Scope::Enterprise(h)).await;
    assert!(matches!(cr::object(db, &other, id, "不是我们", &[], today).await, Err(StoreError::NotFound)));
    let oid = cr::object(db, &mgr, id, "收费已按规定公示，见附件", &[Upload { file_name: "公示.pdf".into(), bytes: PDF.to_vec() }], today).await.unwrap();
    assert!(oid > 0);
    assert_eq!(cr::record(db, &reg, id, d("2026-11-29")).await.unwrap().state, "objected");
    assert_eq!(cr::standing(db, a, d("2026-12-05")).await.unwrap().score_tenths, Some(800), "objected: not counted");
    // A street office may not decide.
    let street = user(db, "street104", Role::Street, region("640104001")).await;
    assert!(matches!(cr::decide(db, &street, id, true, "", today).await, Err(StoreError::Forbidden(_))));
    cr::decide(db, &reg, id, true, "异议成立", today).await.unwrap();
    assert_eq!(cr::record(db, &reg, id, d("2026-11-29")).await.unwrap().state, "revoked");
    assert_eq!(cr::standing(db, a, d("2026-12-05")).await.unwrap().score_tenths, Some(800));
    assert!(cr::published_records(db, a).await.unwrap().is_empty(), "revoked is never public");

    // A rejected objection: effective from the decision day.
    let id2 = cr::enter(db, &reg, &rec(a, "B01", 10, "2026-11-20"), &[], d("2026-11-23")).await.unwrap();
    cr::object(db, &mgr, id2, "理由", &[], d("2026-11-24")).await.unwrap();
    cr::decide(db, &reg, id2, false, "异议不成立", d("2026-11-26")).await.unwrap();
    let r = cr::record(db, &reg, id2, d("2026-11-29")).await.unwrap();
    assert_eq!((r.state.as_str(), r.effective_on), ("effective", Some(d("2026-11-26"))));
    assert_eq!(cr::standing(db, a, d("2026-11-26")).await.unwrap().score_tenths, Some(790));
    assert_eq!(cr::standing(db, a, d("2026-11-25")).await.unwrap().score_tenths, Some(800));

    // Late: entered Mon 2026-11-02, last day 2026-11-16; objecting on 11-17 is refused.
    let id3 = cr::enter(db, &reg, &rec(a, "B01", 10, "2026-11-01"), &[], d("2026-11-02")).await.unwrap();
    let before = writes(db).await;
    let e = cr::object(db, &mgr, id3, "迟到的异议", &[], d("2026-11-17")).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "异议：异议期已于 2026-11-16 届满"), "{e:?}");
    assert_eq!(writes(db).await, before);
    assert_eq!(cr::record(db, &reg, id3, d("2026-11-29")).await.unwrap().state, "pending");
    // On the last day it is accepted.
    cr::object(db, &mgr, id3, "最后一天", &[], d("2026-11-16")).await.unwrap();
}

#[tokio::test]
async fn refusals_change_nothing() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = ent(db, ANJU).await;
    let today = d("2026-11-29");
    let before = writes(db).await;
    let e = cr::enter(db, &sys(), &rec(999_999, "B01", 10, "2026-11-01"), &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "企业：编号 999999 的企业不存在"), "{e:?}");
    let e = cr::enter(db, &sys(), &rec(a, "B01", 31, "2026-11-01"), &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "分值：事项“未按合同约定提供服务，经查实”(B01) 的分值应在 0.5–3.0 分之间，收到 3.1 分"), "{e:?}");
    let e = cr::enter(db, &sys(), &rec(a, "X99", 10, "2026-11-01"), &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.starts_with("信用事项：")), "{e:?}");
    let exe = Upload { file_name: "证据.exe".into(), bytes: b"MZ\x90\0\x03".to_vec() };
    let e = cr::enter(db, &sys(), &rec(a, "B01", 10, "2026-11-01"), &[exe], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.starts_with("证据材料「证据.exe」：不是文档或图片")), "{e:?}");
    let big = Upload { file_name: "大.pdf".into(), bytes: [PDF, &vec![b'x'; 10 * 1024 * 1024]].concat() };
    let e = cr::enter(db, &sys(), &rec(a, "B01", 10, "2026-11-01"), &[big], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.contains("超过上限 10 MB")), "{e:?}");
    let e = cr::enter(db, &sys(), &rec(a, "B01", 10, "2026-11-30"), &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.starts_with("发生日期：")), "{e:?}");
    assert_eq!(writes(db).await, before);
    // An enterprise may not enter records; an owner neither.
    let mgr = user(db, "anju-mgr", Role::EnterpriseManager, Scope::Enterprise(a)).await;
    assert!(matches!(cr::enter(db, &mgr, &rec(a, "G01", 10, "2026-11-01"), &[], today).await, Err(StoreError::Forbidden(_))));
}

#[tokio::test]
async fn missing_grade_and_standing_barred_until_rectified() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = ent(db, ANJU).await;
    let h = ent(db, HENGXIN).await;
    let today = d("2026-11-29");
    // Both operate (contracts in force) and neither is registered: missing.
    let s = cr::standing(db, h, today).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str(), s.barred), (None, "missing", false));
    let miss = cr::missing(db, &sys(), today).await.unwrap();
    let mut us: Vec<&str> = miss.iter().map(|m| m.uscc.as_str()).collect();
    us.sort();
    assert_eq!(us, [ANJU, HENGXIN]);
    assert_eq!(miss.len(), 2);
    cr::recompute_all(db, today).await.unwrap();
    assert_eq!(cr::stored_score(db, h).await.unwrap().unwrap().grade, "missing");
    // Registered: base 80, AA.
    cr::register(db, &sys(), a, d("2026-01-01")).await.unwrap();
    assert_eq!(cr::missing(db, &sys(), today).await.unwrap().len(), 1);
    let s = cr::standing(db, a, today).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str(), s.barred), (Some(800), "AA", false));
    // A serious record black-lists and bars once effective.
    let id = cr::enter(db, &sys(), &rec(a, "S01", 100, "2026-10-08"), &[], d("2026-10-09")).await.unwrap();
    let r = cr::record(db, &sys(), id, today).await.unwrap();
    assert_eq!((r.serious, r.valid_until), (1, None));
    let s = cr::standing(db, a, today).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str(), s.barred), (Some(700), "black", true));
    assert_eq!(s.reason.as_deref(), Some("存在未整改的严重失信记录，列入黑名单"));
    cr::recompute_all(db, today).await.unwrap();
    let st = cr::stored_score(db, a).await.unwrap().unwrap();
    assert_eq!((st.grade.as_str(), st.black_listed, st.barred), ("black", 1, 1));
    // Rectification accepted on 2026-11-20: lifted from that day.
    let reg = user(db, "reg104", Role::Regulator, region("640104")).await;
    cr::rectify(db, &reg, id, d("2026-11-20"), today).await.unwrap();
    let s = cr::standing(db, a, today).await.unwrap();
    assert_eq!((s.score_tenths, s.grade.as_str(), s.barred, s.reason), (Some(800), "AA", false, None));
    assert!(cr::standing(db, a, d("2026-11-19")).await.unwrap().barred);
    let st = cr::stored_score(db, a).await.unwrap().unwrap();
    assert_eq!((st.grade.as_str(), st.barred), ("AA", 0));
    // One history row per day: registration day, then today's final AA (black earlier today).
    let hist = cr::history(db, a).await.unwrap();
    assert_eq!(hist, [(d("2026-01-01"), Some(800), "AA".to_string()), (d("2026-11-29"), Some(800), "AA".to_string())]);
    // Exit: not operating? 安居 still operates 崇安: back to missing.
    cr::exit(db, &sys(), a, "注销", today).await.unwrap();
    assert_eq!(cr::standing(db, a, today).await.unwrap().grade, "missing");
}

#[tokio::test]
async fn scope_per_role() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = ent(db, ANJU).await;
    let h = ent(db, HENGXIN).await;
    let today = d("2026-11-29");
    for e in [a, h] {
        cr::register(db, &sys(), e, d("2026-01-01")).await.unwrap();
    }
    let reg104 = user(db, "reg104", Role::Regulator, region("640104")).await;
    let reg106 = user(db, "reg106", Role::Regulator, region("640106")).await;
    let ra = cr::enter(db, &reg104, &rec(a, "B01", 10, "2026-11-01"), &[], d("2026-11-02")).await.unwrap();
    let rh = cr::enter(db, &reg106, &rec(h, "B01", 10, "2026-11-27"), &[], d("2026-11-27")).await.unwrap();
    // A regulator sees its region's records only.
    let ids = |v: Vec<cr::RecordRow>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(cr::records(db, &reg104, &RecordFilter::default(), today).await.unwrap()), [ra]);
    assert_eq!(ids(cr::records(db, &reg106, &RecordFilter::default(), today).await.unwrap()), [rh]);
    assert!(matches!(cr::record(db, &reg104, rh, d("2026-11-29")).await, Err(StoreError::NotFound)));
    assert_eq!(ids(cr::records(db, &sys(), &RecordFilter { state: Some("pending".into()), ..Default::default() }, today).await.unwrap()), [rh, ra]);
    // A regulator may not enter for an estate outside its region.
    let mcy: i64 = on!(db, p => sqlx::query_scalar("SELECT id FROM estates WHERE name = '满春园小区'").fetch_one(p).await).unwrap();
    let mut n = rec(h, "B01", 10, "2026-11-01");
    n.estate_id = Some(mcy);
    assert!(matches!(cr::enter(db, &reg104, &n, &[], today).await, Err(StoreError::Forbidden(_))));
    // The enterprise sees its own (incl. pending), not the other's.
    let mgr = user(db, "hx-mgr", Role::EnterpriseManager, Scope::Enterprise(h)).await;
    assert_eq!(ids(cr::records(db, &mgr, &RecordFilter::default(), today).await.unwrap()), [rh]);
    assert!(matches!(cr::file(db, &mgr, a, today).await, Err(StoreError::NotFound)));
    assert_eq!(cr::file(db, &mgr, h, today).await.unwrap().records.len(), 1);
    // An owner sees only effective (published) records: ra became effective on 2026-11-17.
    cr::settle(db, today).await.unwrap();
    let owner_id: i64 = on!(db, p => sqlx::query_scalar("SELECT id FROM owners WHERE name = '马明'").fetch_one(p).await).unwrap();
    let owner = user(db, "owner", Role::Owner, Scope::Owner(owner_id)).await;
    assert_eq!(ids(cr::records(db, &owner, &RecordFilter::default(), today).await.unwrap()), [ra]);
    let f = cr::file(db, &owner, a, today).await.unwrap();
    assert_eq!(f.records.iter().map(|r| r.id).collect::<Vec<_>>(), [ra], "published only");
    assert!(matches!(cr::file(db, &owner, h, today).await, Err(StoreError::NotFound)), "恒信 serves none of 马明's estates");
    // Departments and utilities may not enter; utilities see nothing.
    let util = user(db, "util", Role::Utility, Scope::Own).await;
    assert!(matches!(cr::records(db, &util, &RecordFilter::default(), today).await, Err(StoreError::Forbidden(_))));
    // Settings: only admin or the province's regulator.
    assert!(matches!(cr::set_settings(db, &reg104, "shangqiu_2022", 10, "C").await, Err(StoreError::Forbidden(_))));
    let e = cr::set_settings(db, &sys(), "shangqiu_2022", 10, "Z").await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.starts_with("限制投标的等级：")), "{e:?}");
}

#[tokio::test]
async fn owner_rating_produces_a_record() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = ent(db, ANJU).await;
    cr::register(db, &sys(), a, d("2026-01-01")).await.unwrap();
    let ca: i64 = on!(db, p => sqlx::query_scalar("SELECT id FROM estates WHERE name = '崇安小区'").fetch_one(p).await).unwrap();
    let committee = user(db, "committee", Role::Committee, Scope::Estate(ca)).await;
    let today = d("2026-11-29");
    cr::rate(db, &committee, ca, 2025, 925, 120, today).await.unwrap();
    let rs = cr::owner_ratings(db, &committee, ca, today).await.unwrap();
    assert_eq!((rs[0].enterprise_id, rs[0].score_tenths), (a, 925));
    let r = cr::record(db, &sys(), rs[0].record_id.unwrap(), today).await.unwrap();
    assert_eq!((r.kind.as_str(), r.item_code.as_str(), r.points_tenths, r.source.as_str()), ("good", "G03", 30, "owner_rating"));
    let e = cr::rate(db, &committee, ca, 2025, 500, 10, today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "年度：2025 年的业主评价已录入"), "{e:?}");
    // A middling rating produces no record.
    cr::rate(db, &committee, ca, 2024, 700, 10, today).await.unwrap();
    assert_eq!(count(db, "credit_records").await, 1);
    let e = cr::rate(db, &committee, ca, 2023, 1001, 10, today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.starts_with("评价得分：")), "{e:?}");
}

// --- break-test fixes -------------------------------------------------------------------

#[tokio::test]
async fn enter_only_for_enterprises_and_estates_the_caller_reaches() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = ent(db, ANJU).await;
    let h = ent(db, HENGXIN).await;
    let today = d("2026-11-29");
    let estate = |name: &'static str| async move { on!(db, p => sqlx::query_scalar::<_, i64>("SELECT id FROM estates WHERE name = $1").bind(name).fetch_one(p).await).unwrap() };
    let (ca, xl, mcy, qa) = (estate("崇安小区").await, estate("兴隆家园").await, estate("满春园小区").await, estate("庆安花园").await);
    let reg104 = user(db, "reg104", Role::Regulator, region("640104")).await;
    let reg106 = user(db, "reg106", Role::Regulator, region("640106")).await;
    let reg205 = user(db, "reg205", Role::Regulator, region("640205")).await;
    let street = user(db, "street104", Role::Street, region("640104001")).await;
    let before = writes(db).await;
    // 恒信 is registered in 金凤区 (640106) and serves 满春园 (640106), 庆安花园 (640205): not 兴庆区.
    let e = cr::enter(db, &reg104, &rec(h, "B01", 10, "2026-11-01"), &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Forbidden(m) if m == "住建监管部门无权对辖区外企业录入信用记录"), "{e:?}");
    let e = cr::enter(db, &street, &rec(h, "B01", 10, "2026-11-01"), &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Forbidden(m) if m == "街道/社区无权对辖区外企业录入信用记录"), "{e:?}");
    // The estate must be one the enterprise serves (or served).
    let mut n = rec(h, "B01", 10, "2026-11-01");
    n.estate_id = Some(ca);
    let e = cr::enter(db, &sys(), &n, &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "小区：崇安小区不是该企业的服务项目"), "{e:?}");
    let mut n = rec(a, "B01", 10, "2026-11-01");
    n.estate_id = Some(mcy);
    let e = cr::enter(db, &reg104, &n, &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "小区：满春园小区不是该企业的服务项目"), "{e:?}");
    // …and the caller must reach the estate: 金凤区 reaches 恒信, not 庆安花园 (惠农区).
    let mut n = rec(h, "B01", 10, "2026-11-01");
    n.estate_id = Some(qa);
    let e = cr::enter(db, &reg106, &n, &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Forbidden(m) if m == "小区不在本人管辖区域内"), "{e:?}");
    assert_eq!(writes(db).await, before, "nothing written");
    assert_eq!(count(db, "credit_records").await, 0);

    // Allowed: registered in the region; serving an estate in it (惠农区 via 庆安花园); a street
    // for an enterprise serving an estate in its street; an estate served under an ended contract.
    cr::enter(db, &reg106, &rec(h, "B01", 10, "2026-11-01"), &[], today).await.unwrap();
    let r205 = cr::enter(db, &reg205, &rec(h, "B01", 10, "2026-11-01"), &[], today).await.unwrap();
    assert_eq!(cr::record(db, &sys(), r205, today).await.unwrap().region_code, "640205000000");
    cr::enter(db, &street, &rec(a, "B01", 10, "2026-11-01"), &[], today).await.unwrap();
    let mut n = rec(a, "B01", 10, "2026-11-01");
    n.estate_id = Some(xl);
    cr::enter(db, &reg104, &n, &[], today).await.unwrap();
    let prov = user(db, "reg64", Role::Regulator, region("64")).await;
    cr::enter(db, &prov, &rec(h, "B01", 10, "2026-11-01"), &[], today).await.unwrap();
    assert_eq!(count(db, "credit_records").await, 5);

    // The file opens for every enterprise the caller reaches, so list and file agree.
    assert_eq!(cr::file(db, &reg205, h, today).await.unwrap().records.len(), 3);
    assert!(matches!(cr::file(db, &reg205, a, today).await, Err(StoreError::NotFound)));
    assert!(matches!(cr::file(db, &reg104, h, today).await, Err(StoreError::NotFound)));
    for who in [&reg104, &reg106, &reg205, &street, &prov] {
        for r in cr::records(db, who, &RecordFilter::default(), today).await.unwrap() {
            cr::file(db, who, r.enterprise_id, today).await.unwrap();
        }
    }
}

#[tokio::test]
async fn rectify_only_effective_and_not_before_effective_on() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = ent(db, ANJU).await;
    let today = d("2026-11-29");
    cr::register(db, &sys(), a, d("2026-01-01")).await.unwrap();
    let reg = user(db, "reg104", Role::Regulator, region("640104")).await;
    let mgr = user(db, "anju-mgr", Role::EnterpriseManager, Scope::Enterprise(a)).await;
    // Pending (in its objection window until 2026-12-04) and objected serious records.
    let pending = cr::enter(db, &reg, &rec(a, "S01", 100, "2026-11-19"), &[], d("2026-11-20")).await.unwrap();
    let objected = cr::enter(db, &reg, &rec(a, "S01", 100, "2026-11-19"), &[], d("2026-11-20")).await.unwrap();
    cr::object(db, &mgr, objected, "不属实", &[], today).await.unwrap();
    // Effective: entered 2026-11-02, window to 2026-11-16, effective from 2026-11-17.
    let eff = cr::enter(db, &reg, &rec(a, "S01", 100, "2026-11-01"), &[], d("2026-11-02")).await.unwrap();
    cr::settle(db, today).await.unwrap();
    let r = cr::record(db, &reg, eff, today).await.unwrap();
    assert_eq!((r.state.as_str(), r.effective_on), ("effective", Some(d("2026-11-17"))));
    let before = writes(db).await;
    let e = cr::rectify(db, &reg, pending, d("2026-11-25"), today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "整改验收：只有已生效的记录可以整改验收，该记录状态为“公示中（异议期）”"), "{e:?}");
    let e = cr::rectify(db, &reg, objected, d("2026-11-25"), today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "整改验收：只有已生效的记录可以整改验收，该记录状态为“异议审核中”"), "{e:?}");
    let e = cr::rectify(db, &reg, eff, d("2026-11-16"), today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "验收日期：应在生效日期 2026-11-17 与今天 2026-11-29 之间，实为 2026-11-16"), "{e:?}");
    let e = cr::rectify(db, &reg, eff, d("2026-11-30"), today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "验收日期：应在生效日期 2026-11-17 与今天 2026-11-29 之间，实为 2026-11-30"), "{e:?}");
    assert_eq!(writes(db).await, before, "nothing written");
    let rectified: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM credit_records WHERE rectified_on IS NOT NULL").fetch_one(p).await).unwrap();
    assert_eq!(rectified, 0);
    // The first day it counts is accepted.
    cr::rectify(db, &reg, eff, d("2026-11-17"), today).await.unwrap();
    assert_eq!(cr::record(db, &reg, eff, today).await.unwrap().rectified_on, Some(d("2026-11-17")));
}

#[tokio::test]
async fn occurred_on_not_before_2000_and_uscc_in_lowercase() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = ent(db, ANJU).await;
    let today = d("2026-11-29");
    let before = writes(db).await;
    let e = cr::enter(db, &sys(), &rec(a, "B01", 10, "1999-12-31"), &[], today).await.unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m == "发生日期：不能早于 2000-01-01，实为 1999-12-31"), "{e:?}");
    assert_eq!(writes(db).await, before, "nothing written");
    cr::enter(db, &sys(), &rec(a, "B01", 10, "2000-01-01"), &[], today).await.unwrap();
    assert_eq!(count(db, "credit_records").await, 1);
    // The record form resolves the USCC in capitals.
    assert_eq!(cr::enterprise_by_uscc(db, " 91640104ma76anju1t ").await.unwrap(), Some(a));
    assert_eq!(cr::enterprise_by_uscc(db, "91640104MA76ANJU1X").await.unwrap(), None);
}

#[tokio::test]
async fn public_search_matches_like_wildcards_literally() {
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let names = |p: wuye_store::registry::Page<cr::public::PublicEnterprise>| p.items.into_iter().map(|e| e.name).collect::<Vec<_>>();
    for q in ["_", "%", "\\", "%%", "安_", "银川%"] {
        let p = cr::public::search(db, q, 1, 20).await.unwrap();
        assert_eq!((p.total, names(p)), (0, Vec::<String>::new()), "q={q}");
    }
    assert_eq!(names(cr::public::search(db, "安居", 1, 20).await.unwrap()), ["宁夏安居物业服务有限公司"]);
    // A name that holds the characters is found by them, literally.
    let h = ent(db, HENGXIN).await;
    on!(db, p => sqlx::query("UPDATE enterprises SET name = '银川恒信_100%物业\\公司' WHERE id = $1").bind(h).execute(p).await.map(|_| ())).unwrap();
    for q in ["_", "%", "\\", "_100%"] {
        assert_eq!(names(cr::public::search(db, q, 1, 20).await.unwrap()), ["银川恒信_100%物业\\公司"], "q={q}");
    }
    assert!(names(cr::public::search(db, "恒信1", 1, 20).await.unwrap()).is_empty());
}
