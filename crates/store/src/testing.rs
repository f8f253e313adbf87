//! Test support: a fresh, migrated database per test on the backend chosen by the
//! environment. With `DATABASE_URL=postgres://…` every test gets its own schema in that
//! database; otherwise a fresh SQLite file in a temporary directory.

use crate::db::{Db, Target};

/// A fresh database for one test. Keep it alive for the test's duration (it owns the
/// temporary directory of the SQLite file).
pub struct TestDb {
    pub db: Db,
    pub target: Target,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL URL tests run against, if any (`DATABASE_URL` with a postgres scheme).
pub fn postgres_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

fn with_search_path(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

impl TestDb {
    /// Creates, connects and migrates a fresh database. Panics (failing the test) when
    /// `DATABASE_URL` names a PostgreSQL that cannot be reached.
    pub async fn new() -> TestDb {
        crate::pii::ensure_test_keys();
        match postgres_url() {
            Some(url) => {
                let admin = Db::connect(&Target::Postgres(url.clone())).await.expect("DATABASE_URL names a PostgreSQL that cannot be reached");
                let schema = format!("t{}_{}", std::process::id(), next_id());
                if let Db::Postgres(p) = &admin {
                    sqlx::query(crate::db::dynamic(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))).execute(p).await.expect("drop schema");
                    sqlx::query(crate::db::dynamic(format!("CREATE SCHEMA {schema}"))).execute(p).await.expect("create schema");
                }
                admin.close().await;
                let target = Target::Postgres(with_search_path(&url, &schema));
                let db = Db::open(&target).await.expect("migrate test schema");
                TestDb { db, target, _dir: None }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let target = Target::SqliteFile(dir.path().join("wuye.sqlite"));
                let db = Db::open(&target).await.expect("open sqlite");
                TestDb { db, target, _dir: Some(dir) }
            }
        }
    }
}

fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos() as u64).unwrap_or(0);
    N.fetch_add(1, Ordering::Relaxed) * 1_000_000_000 + t
}

/// The day fixtures are built around (Asia/Shanghai).
pub fn fixture_today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("valid date")
}

/// Estates layout of the small fixture (CSV): four estates in three counties.
pub const FIXTURE_ESTATES_CSV: &str = "\
小区名称,社区代码,地址,小区类型,建成年份,占地面积(m²),建筑面积(m²),有无电梯,管理方式
崇安小区,640104001002,兴庆区崇安巷1号,商品房,2005,4000,10000,有,物业服务企业
兴隆家园,640104001003,兴庆区兴隆街8号,老旧小区,1998,,20000,无,物业服务企业
满春园小区,640106001003,金凤区满春路3号,商品房,2012,2000.5,5000,有,物业服务企业
庆安花园,640205001001,惠农区庆安街6号,安置房,2016,,8000,无,无人管理
";

/// Houses of the fixture: 4 + 3 + 2 + 1 houses; 崇安小区 101 has two co-owners, and one
/// owner holds houses in two estates.
pub const FIXTURE_HOUSES_CSV: &str = "\
小区名称,社区代码,楼栋,单元,房号,楼层,总层数,电梯,建筑面积(m²),专有面积(m²),用途,状态,业主类型,业主名称,证件号码,手机号
崇安小区,640104001002,1,1,101,1,6,有,100,80,住宅,已交付,个人,马明,11010519491231002X,13951234567
崇安小区,640104001002,1,1,101,1,6,有,100,80,住宅,已交付,个人,杨芳,64010419900101123X,
崇安小区,640104001002,1,1,102,1,6,有,90.5,75.25,住宅,已交付,个人,李强,640104198505050019,13800000001
崇安小区,640104001002,1,2,0201,2,6,有,120,100,住宅,已售,,,,
崇安小区,640104001002,2,,S01,1,2,无,60,60,商业,未售,,,,
兴隆家园,640104001003,3,1,501,5,6,无,70,60,住宅,已交付,个人,马明,11010519491231002X,13951234567
兴隆家园,640104001003,3,1,502,5,6,无,70,60,住宅,已交付,个人,王丽,,
兴隆家园,640104001003,3,1,601,6,6,无,70,60,住宅,已交付,单位,银川市兴庆区房管所,12640104MB1234567D,
满春园小区,640106001003,1,1,101,1,18,有,100,85,住宅,已交付,个人,张伟,640106197203030037,
满春园小区,640106001003,1,1,102,1,18,有,100,85,住宅,已交付,个人,张伟,640106197203030037,
庆安花园,640205001001,1,1,101,1,6,无,80,70,住宅,已交付,个人,刘洋,640205198808080049,
";

/// Enterprises of the fixture.
pub const FIXTURE_ENTERPRISES_CSV: &str = "\
企业名称,统一社会信用代码,法定代表人,注册地区划代码,注册地,联系人,联系电话,地址
宁夏安居物业服务有限公司,91640104MA76ANJU1T,赵一,640104,,钱二,0951-5012345,兴庆区解放街1号
银川恒信物业服务有限公司,91640106MA76HXWY2F,孙三,640106,,李四,13900000002,金凤区北京路2号
";

/// Contracts of the fixture, relative to [`fixture_today`] (2026-11-29): 崇安 in force,
/// 兴隆 ended yesterday, 满春园 open-ended, 庆安 starts tomorrow.
pub const FIXTURE_CONTRACTS_CSV: &str = "\
小区名称,社区代码,企业统一社会信用代码,企业名称,合同类型,开始日期,结束日期,物业费(元/m²·月),计费方式
崇安小区,640104001002,91640104MA76ANJU1T,,物业服务,2024-01-01,2027-12-31,1.30,包干制
兴隆家园,640104001003,91640104MA76ANJU1T,,前期物业,2020-01-01,2026-11-28,0.8,包干制
满春园小区,640106001003,91640106MA76HXWY2F,,物业服务,2025-06-01,,1.5,酬金制
庆安花园,640205001001,91640106MA76HXWY2F,,前期物业,2026-11-30,2029-11-29,1,包干制
";

/// Loads the regions and the fixture through the real import path.
pub async fn load_fixture(db: &Db) {
    use crate::import::{ImportOptions, Quiet, import_file};
    use wuye_domain::ledger::LayoutKind;
    crate::region::ensure_default_regions(db).await.expect("regions");
    for (layout, csv) in [
        (LayoutKind::Estates, FIXTURE_ESTATES_CSV),
        (LayoutKind::Enterprises, FIXTURE_ENTERPRISES_CSV),
        (LayoutKind::Contracts, FIXTURE_CONTRACTS_CSV),
        (LayoutKind::Houses, FIXTURE_HOUSES_CSV),
    ] {
        let opts = ImportOptions {
            layout,
            estate_id: None,
            skip_invalid: false,
            replace_owners: false,
            file_name: "fixture.csv".into(),
            today: fixture_today(),
        };
        if let Err(e) = import_file(db, &crate::access::Access::system("fixture"), csv.as_bytes(), &opts, &Quiet).await {
            match e {
                crate::import::ImportError::Rejected(r) => panic!("fixture {layout:?} rejected: {:#?}", r.errors),
                other => panic!("fixture {layout:?}: {other}"),
            }
        }
    }
}

/// Number of rows in `table` (a fixed table name from the test, never input).
pub async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    crate::on!(db, p => sqlx::query_scalar(crate::db::dynamic(sql)).fetch_one(p).await).expect("count")
}

/// Password of every fixture user.
pub const FIXTURE_PASSWORD: &str = "test-password-2026";

/// Creates user `login` (display name the same, password [`FIXTURE_PASSWORD`]) with one
/// role in `scope`, logs in and returns the session's access. Panics on failure (tests only).
pub async fn fixture_login(db: &Db, login: &str, role: wuye_domain::account::Role, scope: wuye_domain::account::Scope) -> crate::access::Access {
    let sys = crate::access::Access::system("test");
    crate::account::create_user(db, &sys, login, login, FIXTURE_PASSWORD, &[(role, scope, String::new())], false).await.expect("create fixture user");
    let (_, s) = crate::account::login(db, login, FIXTURE_PASSWORD).await.expect("login").expect("fixture user logs in");
    s.access
}

/// One user per role on the fixture: `(login name, role, scope)`.
///
/// - `admin`: everything; `reg_xq`: 兴庆区 (崇安小区, 兴隆家园); `street_fh`: 凤凰北街街道 (same);
/// - `dept_jf`: 金凤区 (满春园小区, basics only); `ent_hx`: 恒信 (满春园 in force, 庆安花园 from tomorrow);
/// - `ent_aj`: 安居 (崇安 in force, 兴隆 ended yesterday); `committee_qa`: 庆安花园;
/// - `owner_zw`: 张伟 (满春园 101 and 102); `utility`, `mediator`: their own matters only.
pub async fn fixture_users(db: &Db) -> Vec<(String, wuye_domain::account::Role, wuye_domain::account::Scope)> {
    use wuye_domain::account::{Role, Scope};
    let sys = crate::access::Access::system("fixture");
    let today = fixture_today();
    let estate = |code: &'static str, name: &'static str| {
        let sys = sys.clone();
        async move { crate::registry::find_estate(db, &sys, code, name, today).await.expect("query").expect("fixture estate") }
    };
    let firm = |uscc: &'static str| async move { crate::registry::find_enterprise_by_uscc(db, uscc).await.expect("query").expect("fixture enterprise") };
    let zhang: i64 = crate::on!(db, p => sqlx::query_scalar("SELECT id FROM owners WHERE name = '张伟'").fetch_one(p).await).expect("张伟");
    let region = |c: &str| Scope::Region(wuye_domain::region::RegionCode::parse(c).expect("code"));
    let users = vec![
        ("admin".to_string(), Role::Admin, Scope::All),
        ("reg_xq".to_string(), Role::Regulator, region("640104")),
        ("street_fh".to_string(), Role::Street, region("640104001")),
        ("dept_jf".to_string(), Role::Department, region("640106")),
        ("ent_hx".to_string(), Role::EnterpriseManager, Scope::Enterprise(firm("91640106MA76HXWY2F").await)),
        ("ent_aj".to_string(), Role::EnterpriseStaff, Scope::Enterprise(firm("91640104MA76ANJU1T").await)),
        ("committee_qa".to_string(), Role::Committee, Scope::Estate(estate("640205001001", "庆安花园").await)),
        ("owner_zw".to_string(), Role::Owner, Scope::Owner(zhang)),
        ("utility".to_string(), Role::Utility, Scope::Own),
        ("mediator".to_string(), Role::Mediator, Scope::Own),
    ];
    for (name, role, scope) in &users {
        crate::account::create_user(db, &sys, name, name, FIXTURE_PASSWORD, &[(*role, scope.clone(), String::new())], false).await.expect("fixture user");
    }
    users
}
