//! Published credit store tests (rules.md §4 publication): the look-up by name and USCC,
//! the public credit file with exactly the effective records, red and black lists per
//! region, and the dashboard figures field by field. Fixture rows are written straight
//! into the pinned credit tables (migration 0009_credit). They run on SQLite, or on
//! PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use wuye_domain::account::{Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_store::access::Access;
use wuye_store::credit::public::{self as cp, CreditFigures, ListKind, MonthRecords};
use wuye_store::testing::{TestDb, fixture_today, load_fixture};
use wuye_store::{Db, StoreError, on};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn sys() -> Access {
    Access::system("test")
}

async fn user(db: &Db, login: &str, role: Role, scope: Scope) -> Access {
    wuye_store::testing::fixture_login(db, login, role, scope).await
}

async fn enterprise_id(db: &Db, name: &str) -> i64 {
    on!(db, p => sqlx::query_scalar("SELECT id FROM enterprises WHERE name = $1").bind(name).fetch_one(p).await).unwrap()
}

async fn new_enterprise(db: &Db, name: &str, uscc: &str, region: &str) -> i64 {
    on!(db, p => sqlx::query_scalar("INSERT INTO enterprises (name, uscc, legal_representative, region_code, created_at, updated_at) VALUES ($1, $2, '周六', $3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') RETURNING id")
        .bind(name).bind(uscc).bind(region).fetch_one(p).await).unwrap()
}

async fn score(db: &Db, e: i64, grade: &str, score: Option<i64>, black: bool, region: &str) {
    on!(db, p => sqlx::query("INSERT INTO credit_scores (enterprise_id, scheme_code, score_tenths, bonus_tenths, deduction_tenths, grade, black_listed, barred, region_code, computed_on, computed_at)
        VALUES ($1, 'yantai_2022', $2, 0, 0, $3, $4, $4, $5, $6, '2026-11-29T00:00:00Z')")
        .bind(e).bind(score).bind(grade).bind(black as i64).bind(region).bind(d("2026-11-29")).execute(p).await.map(|_| ())).unwrap();
}

async fn register(db: &Db, e: i64, region: &str, status: &str) {
    on!(db, p => sqlx::query("INSERT INTO credit_registrations (enterprise_id, region_code, registered_on, status, exit_reason, created_at) VALUES ($1, $2, $3, $4, '', '2026-01-01T00:00:00Z')")
        .bind(e).bind(region).bind(d("2026-01-01")).bind(status).execute(p).await.map(|_| ())).unwrap();
}

/// A record: (kind, serious, title, occurred, state, effective_on, valid_until).
#[allow(clippy::too_many_arguments)]
async fn record(db: &Db, e: i64, kind: &str, serious: bool, title: &str, occurred: &str, state: &str, effective_on: Option<&str>, valid_until: Option<&str>) -> i64 {
    on!(db, p => sqlx::query_scalar("INSERT INTO credit_records (enterprise_id, kind, item_code, scheme_code, points_tenths, serious, source, source_org, estate_id, region_code, title, detail,
            occurred_on, entered_on, entered_by, entered_by_name, objection_until, state, effective_on, valid_until, rectified_on, created_at)
        VALUES ($1, $2, 'X1', 'yantai_2022', 50, $3, 'regulator', '兴庆区住房和城乡建设局', NULL, '640104000000', $4, '详情', $5, $5, 1, '录入员王五', $5, $6, $7, $8, NULL, '2026-01-01T00:00:00Z') RETURNING id")
        .bind(e).bind(kind).bind(serious as i64).bind(title).bind(d(occurred)).bind(state).bind(effective_on.map(d)).bind(valid_until.map(d)).fetch_one(p).await).unwrap()
}

async fn history(db: &Db, e: i64, on_date: &str, score: Option<i64>, grade: &str) {
    on!(db, p => sqlx::query("INSERT INTO credit_score_history (enterprise_id, on_date, score_tenths, grade) VALUES ($1, $2, $3, $4)")
        .bind(e).bind(d(on_date)).bind(score).bind(grade).execute(p).await.map(|_| ())).unwrap();
}

struct Fx {
    anju: i64,
    hengxin: i64,
    huimin: i64,
    r_serious: i64,
    r_honour: i64,
    r_old: i64,
    r_rating: i64,
}

/// 宁夏安居 (兴庆区) black-listed with six records in every state; 银川恒信 (金凤区) AAA;
/// 石嘴山惠民 (惠农区) B, exited; 固原测试 unrated; 中卫缺失 missing.
async fn fixture(db: &Db) -> Fx {
    load_fixture(db).await;
    let anju = enterprise_id(db, "宁夏安居物业服务有限公司").await;
    let hengxin = enterprise_id(db, "银川恒信物业服务有限公司").await;
    let huimin = new_enterprise(db, "石嘴山惠民物业有限公司", "91640205MA76HM0001", "640205000000").await;
    let guyuan = new_enterprise(db, "固原测试物业有限公司", "91640402MA76GY0002", "640402000000").await;
    let zhongwei = new_enterprise(db, "中卫缺失物业有限公司", "91640502MA76ZW0003", "640502000000").await;
    score(db, anju, "black", Some(520), true, "640104000000").await;
    score(db, hengxin, "AAA", Some(905), false, "640106000000").await;
    score(db, huimin, "B", Some(650), false, "640205000000").await;
    score(db, guyuan, "", None, false, "640402000000").await;
    score(db, zhongwei, "missing", None, false, "640502000000").await;
    register(db, anju, "640104000000", "registered").await;
    register(db, hengxin, "640106000000", "registered").await;
    register(db, huimin, "640205000000", "exited").await;
    let r_serious = record(db, anju, "bad", true, "拒不整改消防隐患", "2026-10-10", "effective", Some("2026-10-24"), None).await;
    record(db, anju, "bad", false, "待确认：电梯维保逾期", "2026-11-20", "pending", None, None).await;
    record(db, anju, "bad", false, "异议中：公共收益未公示", "2026-11-02", "objected", None, None).await;
    record(db, anju, "bad", false, "已撤销：违规收费", "2026-09-01", "revoked", None, None).await;
    let r_honour = record(db, anju, "good", false, "市级物业服务示范项目", "2025-12-01", "effective", Some("2025-12-15"), Some("2026-12-14")).await;
    let r_old = record(db, anju, "good", false, "旧表彰", "2025-11-30", "effective", Some("2025-11-30"), Some("2026-11-29")).await;
    let r_rating = record(db, hengxin, "good", false, "业主满意度评价优秀", "2026-11-05", "effective", Some("2026-11-19"), Some("2027-11-18")).await;
    record(db, hengxin, "bad", false, "待确认：保洁不到位", "2026-11-25", "pending", None, None).await;
    history(db, anju, "2026-01-01", Some(800), "AA").await;
    history(db, anju, "2026-10-24", Some(520), "black").await;
    Fx { anju, hengxin, huimin, r_serious, r_honour, r_old, r_rating }
}

#[tokio::test]
async fn look_up_by_name_and_uscc() {
    let t = TestDb::new().await;
    let db = &t.db;
    let fx = fixture(db).await;
    let p = cp::search(db, "安居", 1, 20).await.unwrap();
    assert_eq!(p.total, 1);
    let e = &p.items[0];
    assert_eq!((e.id, e.name.as_str(), e.uscc.as_str(), e.legal_representative.as_str()), (fx.anju, "宁夏安居物业服务有限公司", "91640104MA76ANJU1T", "赵一"));
    assert_eq!((e.grade.as_str(), e.score_tenths, e.black_listed, e.registration.as_deref()), ("black", Some(520), true, Some("registered")));
    assert!(e.on_black_list() && !e.red_listed());
    // The USCC exactly, in any case; a part of it is no match.
    let p = cp::search(db, "91640106ma76hxwy2f", 1, 20).await.unwrap();
    assert_eq!(p.items.iter().map(|e| e.id).collect::<Vec<_>>(), vec![fx.hengxin]);
    assert_eq!((p.items[0].grade.as_str(), p.items[0].score_tenths, p.items[0].red_listed()), ("AAA", Some(905), true));
    assert_eq!(cp::search(db, "91640106MA76", 1, 20).await.unwrap().total, 0);
    // A substring of names: five enterprises hold 物业; paged two at a time.
    let p = cp::search(db, "物业", 1, 2).await.unwrap();
    assert_eq!((p.total, p.items.len(), p.pages()), (5, 2, 3));
    let p3 = cp::search(db, "物业", 3, 2).await.unwrap();
    assert_eq!(p3.items.len(), 1);
    // Exited and unrated enterprises are found with their status.
    let h = &cp::search(db, "惠民", 1, 20).await.unwrap().items[0];
    assert_eq!((h.id, h.registration.as_deref(), h.grade.as_str(), h.registration_label()), (fx.huimin, Some("exited"), "B", "已退出"));
    let g = &cp::search(db, "固原测试", 1, 20).await.unwrap().items[0];
    assert_eq!((g.grade.as_str(), g.score_tenths, g.registration_label(), g.score_text()), ("", None, "未登记", "—".to_string()));
    // No match; a query too long.
    assert_eq!(cp::search(db, "不存在的企业", 1, 20).await.unwrap().total, 0);
    assert!(matches!(cp::search(db, &"长".repeat(101), 1, 20).await, Err(StoreError::Invalid(m)) if m.starts_with("查询")));
}

#[tokio::test]
async fn public_file_shows_exactly_the_effective_records() {
    let t = TestDb::new().await;
    let db = &t.db;
    let fx = fixture(db).await;
    let f = cp::credit_file(db, fx.anju).await.unwrap();
    assert_eq!(f.records.iter().map(|r| r.id).collect::<Vec<_>>(), vec![fx.r_serious, fx.r_honour, fx.r_old]);
    assert_eq!(f.records.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(), vec!["拒不整改消防隐患", "市级物业服务示范项目", "旧表彰"]);
    let titles: Vec<&str> = f.records.iter().map(|r| r.title.as_str()).collect();
    for hidden in ["待确认：电梯维保逾期", "异议中：公共收益未公示", "已撤销：违规收费", "业主满意度评价优秀"] {
        assert!(!titles.contains(&hidden), "{hidden} must not be public");
    }
    let json = serde_json::to_string(&f).unwrap();
    assert!(!json.contains("录入员王五") && !json.contains("entered_by"), "nothing personal: {json}");
    assert!(!json.contains("待确认") && !json.contains("异议中") && !json.contains("已撤销"));
    let serious = &f.records[0];
    assert_eq!((serious.kind.as_str(), serious.serious, serious.points_text(), serious.valid_until), ("bad", true, "-5.0".to_string(), None));
    assert!(serious.counts_on(fixture_today()), "a serious record counts until rectified");
    // The old honour counts through its last day, 2026-11-29, not the day after.
    let old = &f.records[2];
    assert!(old.counts_on(d("2026-11-29")) && !old.counts_on(d("2026-11-30")));
    assert_eq!(old.points_text(), "+5.0");
    assert_eq!((f.black_listed, f.red_listed, f.region_name.as_str(), f.enterprise.grade.as_str()), (true, false, "兴庆区", "black"));
    assert_eq!(f.history.iter().map(|h| (h.on_date, h.score_tenths, h.grade.as_str())).collect::<Vec<_>>(), vec![(d("2026-01-01"), Some(800), "AA"), (d("2026-10-24"), Some(520), "black")]);
    // 银川恒信: its effective rating only, not its pending record.
    let f = cp::credit_file(db, fx.hengxin).await.unwrap();
    assert_eq!(f.records.iter().map(|r| r.id).collect::<Vec<_>>(), vec![fx.r_rating]);
    assert!(f.red_listed && !f.black_listed && f.history.is_empty());
    assert!(matches!(cp::credit_file(db, 999_999).await, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn red_and_black_lists_per_region() {
    let t = TestDb::new().await;
    let db = &t.db;
    let fx = fixture(db).await;
    let ids = |l: &cp::PublicList| l.page.items.iter().map(|e| e.id).collect::<Vec<_>>();
    for code in ["640104", "6401", "64", "640104000000"] {
        let l = cp::public_list(db, Some(code), ListKind::Black, 1, 50).await.unwrap();
        assert_eq!(ids(&l), vec![fx.anju], "black list of {code}");
        assert_eq!(l.page.total, 1);
    }
    let l = cp::public_list(db, Some("6402"), ListKind::Black, 1, 50).await.unwrap();
    assert!(l.page.items.is_empty() && l.page.total == 0, "石嘴山 has no black-listed enterprise");
    assert!(cp::public_list(db, Some("640106"), ListKind::Black, 1, 50).await.unwrap().page.items.is_empty());
    // The reason: its latest published serious bad record.
    let l = cp::public_list(db, None, ListKind::Black, 1, 50).await.unwrap();
    assert_eq!(l.region.code, "640000000000");
    assert_eq!(l.page.items[0].reason.as_deref(), Some("拒不整改消防隐患"));
    // Drill-down counts: 银川市 1, the other cities 0.
    let counts: Vec<(String, i64)> = l.children.iter().map(|c| (c.code.clone(), c.count)).collect();
    assert!(counts.contains(&("640100000000".into(), 1)) && counts.contains(&("640200000000".into(), 0)), "{counts:?}");
    assert_eq!(l.children.iter().map(|c| c.count).sum::<i64>(), 1);
    // Red list: AAA and not black-listed; B, unrated and missing are on neither list.
    let l = cp::public_list(db, Some("64"), ListKind::Red, 1, 50).await.unwrap();
    assert_eq!(ids(&l), vec![fx.hengxin]);
    assert_eq!(l.page.items[0].reason, None);
    assert_eq!(ids(&cp::public_list(db, Some("6401"), ListKind::Red, 1, 50).await.unwrap()), vec![fx.hengxin]);
    assert!(cp::public_list(db, Some("640104"), ListKind::Red, 1, 50).await.unwrap().page.items.is_empty());
    assert!(cp::public_list(db, Some("6402"), ListKind::Red, 1, 50).await.unwrap().page.items.is_empty());
    let ch: Vec<(String, i64)> = cp::public_list(db, Some("6401"), ListKind::Red, 1, 50).await.unwrap().children.iter().map(|c| (c.code.clone(), c.count)).collect();
    assert!(ch.contains(&("640106000000".into(), 1)) && ch.contains(&("640104000000".into(), 0)), "{ch:?}");
    assert!(matches!(cp::public_list(db, Some("659999"), ListKind::Red, 1, 50).await, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn dashboard_figures_field_by_field() {
    let t = TestDb::new().await;
    let db = &t.db;
    let fx = fixture(db).await;
    let today = fixture_today();
    let s = cp::credit_stats(db, &sys(), "640100000000", today).await.unwrap();
    let child = |code: &str| s.children.iter().find(|c| c.code == code).unwrap().figures;
    assert_eq!(
        child("640104000000"),
        CreditFigures { registered: 1, rated: 1, black: 1, good_records: 2, bad_records: 1, pending_records: 2, ..Default::default() }
    );
    assert_eq!(child("640106000000"), CreditFigures { registered: 1, rated: 1, aaa: 1, good_records: 1, pending_records: 1, ..Default::default() });
    assert_eq!(child("640105000000"), CreditFigures::default());
    assert_eq!(
        s.total,
        CreditFigures { registered: 2, rated: 2, aaa: 1, black: 1, good_records: 3, bad_records: 1, pending_records: 3, ..Default::default() }
    );
    assert_eq!(s.black_list.iter().map(|e| e.id).collect::<Vec<_>>(), vec![fx.anju]);
    // Records by kind per month, 2025-12 … 2026-11 (the honour of 2025-11-30 is before it).
    assert_eq!(s.months.len(), 12);
    assert_eq!(s.months[0], MonthRecords { month: "2025-12".into(), good: 1, bad: 0 });
    assert_eq!(s.months[10], MonthRecords { month: "2026-10".into(), good: 0, bad: 1 });
    assert_eq!(s.months[11], MonthRecords { month: "2026-11".into(), good: 1, bad: 0 });
    assert_eq!(s.months.iter().map(|m| m.good + m.bad).sum::<i64>(), 3);
    // The province: every grade bucket; 惠民 exited is rated but not registered.
    let p = cp::credit_stats(db, &sys(), "640000000000", today).await.unwrap();
    assert_eq!(
        p.total,
        CreditFigures { registered: 2, rated: 5, aaa: 1, b: 1, black: 1, missing: 1, unrated: 1, good_records: 3, bad_records: 1, pending_records: 3, ..Default::default() }
    );
    let city = |code: &str| p.children.iter().find(|c| c.code == code).unwrap().figures;
    assert_eq!(city("640200000000"), CreditFigures { rated: 1, b: 1, ..Default::default() });
    assert_eq!(city("640400000000"), CreditFigures { rated: 1, unrated: 1, ..Default::default() });
    assert_eq!(city("640500000000"), CreditFigures { rated: 1, missing: 1, ..Default::default() });
    // Scope: a county regulator sees its county only; an enterprise has no dashboard.
    let reg = user(db, "reg_xq_credit", Role::Regulator, Scope::Region(RegionCode::parse("640104").unwrap())).await;
    assert!(matches!(cp::credit_stats(db, &reg, "640100000000", today).await, Err(StoreError::NotFound)));
    let own = cp::credit_stats(db, &reg, "640104000000", today).await.unwrap();
    assert_eq!((own.total.black, own.total.good_records), (1, 2));
    let ent = user(db, "ent_credit", Role::EnterpriseManager, Scope::Enterprise(fx.anju)).await;
    assert!(matches!(cp::credit_stats(db, &ent, "640104000000", today).await, Err(StoreError::Forbidden(_))));
}

/// Through the credit-core workflow: records entered, settled and recomputed; the public
/// file holds exactly the effective ones — not the one still in its objection window, nor
/// the one under objection — and the stored score and grade.
#[tokio::test]
async fn public_file_through_the_credit_workflow() {
    use wuye_store::credit::{self as cr, NewRecord};
    let t = TestDb::new().await;
    let db = &t.db;
    load_fixture(db).await;
    let a = enterprise_id(db, "宁夏安居物业服务有限公司").await;
    cr::register(db, &sys(), a, d("2025-01-01")).await.unwrap();
    let rec = |item: &str, pts: i64, occurred: &str, title: &str| NewRecord {
        enterprise_id: a,
        item_code: item.into(),
        points_tenths: pts,
        source: "regulator".into(),
        source_org: "兴庆区住房和城乡建设局".into(),
        estate_id: None,
        title: title.into(),
        detail: String::new(),
        occurred_on: d(occurred),
    };
    let honour = cr::enter(db, &sys(), &rec("G01", 50, "2026-03-01", "获评示范项目"), &[], d("2026-03-02")).await.unwrap();
    let fine = cr::enter(db, &sys(), &rec("B01", 25, "2026-05-10", "未按规定公示收费"), &[], d("2026-05-11")).await.unwrap();
    let pending = cr::enter(db, &sys(), &rec("B01", 25, "2026-11-24", "尚在异议期的记录"), &[], d("2026-11-25")).await.unwrap();
    let objected = cr::enter(db, &sys(), &rec("B01", 25, "2026-11-19", "企业已提出异议的记录"), &[], d("2026-11-20")).await.unwrap();
    let ent = user(db, "ent_aj_credit", Role::EnterpriseManager, Scope::Enterprise(a)).await;
    cr::object(db, &ent, objected, "并非本企业所为", &[], d("2026-11-23")).await.unwrap();
    cr::recompute_all(db, fixture_today()).await.unwrap();
    let f = cp::credit_file(db, a).await.unwrap();
    assert_eq!(f.records.iter().map(|r| r.id).collect::<Vec<_>>(), vec![fine, honour]);
    assert!(!f.records.iter().any(|r| r.id == pending || r.id == objected));
    // 80 + 5 − 2.5 = 82.5: AA, on neither list.
    assert_eq!((f.enterprise.score_tenths, f.enterprise.grade.as_str(), f.red_listed, f.black_listed), (Some(825), "AA", false, false));
    assert!(!f.history.is_empty());
    assert_eq!(f.history.last().map(|h| (h.score_tenths, h.grade.as_str())), Some((Some(825), "AA")));
    let p = cp::search(db, "91640104MA76ANJU1T", 1, 20).await.unwrap();
    assert_eq!((p.items[0].grade.as_str(), p.items[0].registration.as_deref()), ("AA", Some("registered")));
}
