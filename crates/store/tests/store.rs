//! Store tests. They run on SQLite, or on PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use wuye_domain::coverage::Ratio;
use wuye_domain::ledger::{HC_ROOMS, LayoutKind};
use wuye_ledger::Out;
use wuye_store::import::{ImportError, ImportOptions, Quiet, import_file};
use wuye_store::registry::{self, HouseFilter, ListQuery};
use wuye_store::testing::{TestDb, fixture_today, load_fixture};
use wuye_store::{Db, export, region, stats};

fn opts(layout: LayoutKind, estate_id: Option<i64>) -> ImportOptions {
    ImportOptions { layout, estate_id, skip_invalid: false, replace_owners: false, file_name: "t".into(), today: fixture_today() }
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    wuye_store::on!(db, p => sqlx::query_scalar(wuye_store::db::dynamic(sql)).fetch_one(p).await).unwrap()
}

#[tokio::test]
async fn loads_the_real_ningxia_divisions() {
    let t = TestDb::new().await;
    assert!(region::ensure_default_regions(&t.db).await.unwrap());
    assert!(!region::ensure_default_regions(&t.db).await.unwrap());
    let levels = region::count_by_level(&t.db).await.unwrap();
    assert_eq!(
        levels,
        vec![("province".into(), 1), ("city".into(), 5), ("county".into(), 22), ("street".into(), 259), ("community".into(), 2912)]
    );
    let yc = region::get(&t.db, "6401").await.unwrap().unwrap();
    assert_eq!((yc.name.as_str(), yc.code.as_str(), yc.prefix.as_str()), ("银川市", "640100000000", "6401"));
    let path = region::path(&t.db, "640104001002").await.unwrap();
    let names: Vec<&str> = path.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["宁夏回族自治区", "银川市", "兴庆区", "凤凰北街街道", "崇安社区居委会"]);
    // Loading the same file again changes nothing.
    let again = region::load_divisions(&t.db, region::NINGXIA_DIVISIONS).await.unwrap();
    assert_eq!((again.rows, again.inserted, again.renamed), (3199, 0, 0));
}

#[tokio::test]
async fn another_provinces_file_loads_and_bad_files_change_nothing() {
    let t = TestDb::new().await;
    let other = "code,name,level,parent_code\n15,内蒙古自治区,province,\n1501,呼和浩特市,city,15\n150102,新城区,county,1501\n";
    let r = region::load_divisions(&t.db, other).await.unwrap();
    assert_eq!(r.inserted, 3);
    let bad = "code,name,level,parent_code\n1502,包头市,city,15\n150299,孤立区,county,1503\n1502x,坏,city,15\n";
    let e = region::load_divisions(&t.db, bad).await.unwrap_err().to_string();
    assert!(e.contains("第 3 行") && e.contains("第 4 行"), "{e}");
    assert_eq!(count(&t.db, "regions").await, 3);
}

#[tokio::test]
async fn coverage_on_three_bases_with_a_contract_that_ended_yesterday() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let today = fixture_today();
    let s = stats::region_stats(&t.db, &wuye_store::access::Access::system("test"), "64", today).await.unwrap();
    assert_eq!(s.children.len(), 5);
    let c = s.total;
    assert_eq!((c.estates, c.estates_covered), (4, 2));
    assert_eq!((c.houses, c.houses_covered), (10, 6));
    assert_eq!((c.area, c.area_covered), (4_300_000, 1_500_000));
    assert_eq!(c.by_estates().percent_text(), "50.0%");
    assert_eq!(c.by_houses().percent_text(), "60.0%");
    assert_eq!(c.by_area().percent_text(), "34.9%");
    assert!(!c.by_houses().at_least(Ratio::new(70, 100)));
    let yc = s.children.iter().find(|x| x.code == "640100000000").unwrap();
    assert_eq!((yc.coverage.estates, yc.coverage.estates_covered, yc.coverage.houses, yc.coverage.houses_covered), (3, 2, 9, 6));
    assert_eq!(yc.coverage.by_area().percent_text(), "42.9%");
    let szs = s.children.iter().find(|x| x.code == "640200000000").unwrap();
    assert_eq!((szs.coverage.estates, szs.coverage.estates_covered), (1, 0));
    let gy = s.children.iter().find(|x| x.code == "640400000000").unwrap();
    assert_eq!(gy.coverage.estates, 0);

    // Down to the county and the street.
    let xq = stats::region_stats(&t.db, &wuye_store::access::Access::system("test"), "640104", today).await.unwrap();
    assert_eq!((xq.total.estates, xq.total.estates_covered, xq.total.houses, xq.total.houses_covered), (2, 1, 7, 4));
    assert_eq!((xq.total.area, xq.total.area_covered), (3_000_000, 1_000_000));
    let street = xq.children.iter().find(|x| x.code == "640104001000").unwrap();
    assert_eq!(street.coverage.estates, 2);

    // Yesterday the 兴隆家园 contract was still in force; the day after tomorrow 庆安花园's is.
    let y = stats::region_stats(&t.db, &wuye_store::access::Access::system("test"), "64", today.pred_opt().unwrap()).await.unwrap().total;
    assert_eq!((y.estates_covered, y.houses_covered, y.area_covered), (3, 9, 3_500_000));
    let later = stats::region_stats(&t.db, &wuye_store::access::Access::system("test"), "64", NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).await.unwrap().total;
    assert_eq!((later.estates_covered, later.houses_covered), (3, 7));
}

#[tokio::test]
async fn fixture_registry_reads_back() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let today = fixture_today();
    let q = ListQuery { region: Some("640104".into()), ..Default::default() };
    let estates = registry::list_estates(&t.db, &wuye_store::access::Access::system("test"), &q, None, today).await.unwrap();
    assert_eq!(estates.total, 2);
    let ca = estates.items.iter().find(|e| e.name == "崇安小区").unwrap();
    assert_eq!(ca.house_count, 4);
    assert_eq!(ca.current_enterprise.as_deref(), Some("宁夏安居物业服务有限公司"));
    let xl = estates.items.iter().find(|e| e.name == "兴隆家园").unwrap();
    assert!(!xl.covered());
    assert!(xl.management_mismatch());
    let houses = registry::list_houses(&t.db, &wuye_store::access::Access::system("test"), &ListQuery::default(), &HouseFilter { estate_id: Some(ca.id), building_id: None }, fixture_today()).await.unwrap();
    assert_eq!(houses.total, 4);
    let h101 = houses.items.iter().find(|h| h.room_no == "101").unwrap();
    assert_eq!(h101.owner_names, "马明、杨芳");
    assert_eq!(h101.label(), "1号楼1单元101");
    let h0201 = houses.items.iter().find(|h| h.room_no == "0201").unwrap();
    assert_eq!(h0201.label(), "1号楼2单元0201");
    let shop = houses.items.iter().find(|h| h.room_no == "S01").unwrap();
    assert_eq!((shop.unit_no.as_str(), shop.status.as_str()), ("", "unsold"));
    // 马明 owns houses in two estates and is one owner.
    let owners = registry::list_owners(&t.db, &wuye_store::access::Access::system("test"), &ListQuery { q: Some("11010519491231002X".into()), ..Default::default() }, fixture_today()).await.unwrap();
    assert_eq!(owners.total, 1);
    assert_eq!(owners.items[0].house_count, 2);
    assert_eq!(count(&t.db, "owners").await, 7);
    assert_eq!(count(&t.db, "ownerships").await, 9);
    // 满春园 is served open-ended; its enterprise serves one estate today.
    let firms = registry::list_enterprises(&t.db, &wuye_store::access::Access::system("test"), &ListQuery { q: Some("恒信".into()), ..Default::default() }, today).await.unwrap();
    assert_eq!(firms.items[0].estates_served, 1);
}

#[tokio::test]
async fn importing_the_same_files_twice_changes_nothing() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let r = import_file(&t.db, &wuye_store::access::Access::system("test"), wuye_store::testing::FIXTURE_HOUSES_CSV.as_bytes(), &opts(LayoutKind::Houses, None), &Quiet).await.unwrap();
    assert_eq!((r.rows, r.inserted, r.updated, r.unchanged), (11, 0, 0, 10));
    let r = import_file(&t.db, &wuye_store::access::Access::system("test"), wuye_store::testing::FIXTURE_ESTATES_CSV.as_bytes(), &opts(LayoutKind::Estates, None), &Quiet).await.unwrap();
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 4));
    let r = import_file(&t.db, &wuye_store::access::Access::system("test"), wuye_store::testing::FIXTURE_CONTRACTS_CSV.as_bytes(), &opts(LayoutKind::Contracts, None), &Quiet).await.unwrap();
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 4));
    assert_eq!(count(&t.db, "houses").await, 10);
    assert_eq!(count(&t.db, "owners").await, 7);
}

async fn xlsx_round_trip(db: &Db, layout: LayoutKind, rows: Vec<Vec<Out>>) -> wuye_store::import::ImportReport {
    let l = wuye_store::import::layout_of(layout);
    let bytes = wuye_ledger::write_xlsx(l.sheet, &l.headers(), rows).unwrap();
    import_file(db, &wuye_store::access::Access::system("test"), &bytes, &opts(layout, None), &Quiet).await.unwrap()
}

#[tokio::test]
async fn export_then_import_round_trips_unchanged() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let today = fixture_today();
    let all = ListQuery::default();
    let e1 = export::estates(&t.db, &wuye_store::access::Access::system("test"), &all, today).await.unwrap();
    let h1 = export::houses(&t.db, &wuye_store::access::Access::system("test"), &all, &HouseFilter::default(), fixture_today(), true).await.unwrap();
    let n1 = export::enterprises(&t.db, &wuye_store::access::Access::system("test"), &all, today).await.unwrap();
    let c1 = export::contracts(&t.db, &wuye_store::access::Access::system("test"), &all, &Default::default(), today).await.unwrap();
    assert_eq!(h1.len(), 11);
    let r = xlsx_round_trip(&t.db, LayoutKind::Estates, e1.clone()).await;
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 4));
    let r = xlsx_round_trip(&t.db, LayoutKind::Houses, h1.clone()).await;
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 10));
    let r = xlsx_round_trip(&t.db, LayoutKind::Enterprises, n1.clone()).await;
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 2));
    let r = xlsx_round_trip(&t.db, LayoutKind::Contracts, c1.clone()).await;
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 4));
    assert_eq!(export::estates(&t.db, &wuye_store::access::Access::system("test"), &all, today).await.unwrap(), e1);
    assert_eq!(export::houses(&t.db, &wuye_store::access::Access::system("test"), &all, &HouseFilter::default(), fixture_today(), true).await.unwrap(), h1);
    // The room number 0201 and the ID ending in X survive as text.
    assert!(h1.iter().any(|r| r[4] == Out::Text("0201".into())));
    assert!(h1.iter().any(|r| r[14] == Out::Text("64010419900101123X".into())));

    // Into a fresh database: the exported ledgers rebuild the same registry.
    let fresh = TestDb::new().await;
    region::ensure_default_regions(&fresh.db).await.unwrap();
    assert_eq!(xlsx_round_trip(&fresh.db, LayoutKind::Estates, e1.clone()).await.inserted, 4);
    assert_eq!(xlsx_round_trip(&fresh.db, LayoutKind::Enterprises, n1).await.inserted, 2);
    assert_eq!(xlsx_round_trip(&fresh.db, LayoutKind::Contracts, c1).await.inserted, 4);
    assert_eq!(xlsx_round_trip(&fresh.db, LayoutKind::Houses, h1.clone()).await.inserted, 10);
    assert_eq!(export::estates(&fresh.db, &wuye_store::access::Access::system("test"), &all, today).await.unwrap(), e1);
    assert_eq!(export::houses(&fresh.db, &wuye_store::access::Access::system("test"), &all, &HouseFilter::default(), fixture_today(), true).await.unwrap(), h1);
}

/// An HC 资产信息 workbook with `n` houses in building 5 (two units) and one family
/// member. The first four owners have ID numbers; the rest carry HC's placeholder.
fn hc_sheet(n: usize, tweak: impl Fn(usize, &mut Vec<Out>)) -> Vec<u8> {
    let born = NaiveDate::from_ymd_opt(1980, 3, 1).unwrap();
    let mut rows = Vec::new();
    for i in 0..n {
        let unit = 1 + i % 2;
        let floor = 1 + i / 4;
        let room = format!("{floor}{:02}", 1 + (i / 2) % 2);
        let idn = if i < 4 { wuye_domain::synth::id_number("640205", born, i as u32) } else { "111111111111111111".to_string() };
        let name = format!("业主{i}");
        let mut r = vec![
            Out::from("5"), Out::from(unit.to_string()), Out::from(room), Out::Int(floor as i64), Out::Int(18), Out::from("有"),
            Out::from("110"), Out::from("10102"), Out::Hundredths(9456 + i as i64), Out::Hundredths(8000), Out::Int(0),
            Out::from("2001"), Out::from(name), Out::from("男"), Out::from("18999999999"), Out::from(idn), Out::from("1001"),
        ];
        tweak(i, &mut r);
        rows.push(r);
    }
    // A family member of the first house.
    let mut fam = rows[0].clone();
    fam[12] = Out::from("业主0家属");
    fam[15] = Out::from("111111111111111111");
    fam[16] = Out::from("1002");
    rows.push(fam);
    wuye_ledger::write_xlsx(HC_ROOMS.sheet, &HC_ROOMS.headers(), rows).unwrap()
}

#[tokio::test]
async fn hc_sheet_imports_into_an_estate() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let estate = registry::find_estate(&t.db, &wuye_store::access::Access::system("test"), "640205001001", "庆安花园", fixture_today()).await.unwrap().unwrap();
    let bytes = hc_sheet(36, |_, _| {});
    let r = import_file(&t.db, &wuye_store::access::Access::system("test"), &bytes, &opts(LayoutKind::HcRooms, Some(estate)), &Quiet).await.unwrap();
    assert_eq!((r.rows, r.inserted, r.updated, r.unchanged, r.skipped), (37, 36, 0, 0, 0));
    let e = registry::get_estate(&t.db, &wuye_store::access::Access::system("test"), estate, fixture_today()).await.unwrap();
    assert_eq!(e.house_count, 37);
    let occ: i64 = count(&t.db, "occupants").await;
    assert_eq!(occ, 1);
    // HC's placeholders are "not known": no phone stored, no ID for owner 4 onwards.
    let o = registry::list_owners(&t.db, &wuye_store::access::Access::system("test"), &ListQuery { q: Some("业主5".into()), ..Default::default() }, fixture_today()).await.unwrap();
    assert_eq!((o.items[0].id_number_mask.as_deref(), o.items[0].phone_mask.as_deref()), (None, None));
    // The building got its floors and elevator.
    let b = registry::list_buildings(&t.db, &wuye_store::access::Access::system("test"), estate, fixture_today()).await.unwrap();
    let b5 = b.iter().find(|b| b.no == "5").unwrap();
    assert_eq!((b5.floors, b5.has_elevator, b5.unit_count, b5.house_count), (Some(18), Some(true), 2, 36));
    let again = import_file(&t.db, &wuye_store::access::Access::system("test"), &bytes, &opts(LayoutKind::HcRooms, Some(estate)), &Quiet).await.unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 36));
}

#[tokio::test]
async fn hc_sheet_with_three_bad_rows_is_rejected_whole() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let estate = registry::find_estate(&t.db, &wuye_store::access::Access::system("test"), "640205001001", "庆安花园", fixture_today()).await.unwrap().unwrap();
    let before = (count(&t.db, "houses").await, count(&t.db, "owners").await, count(&t.db, "buildings").await, count(&t.db, "import_runs").await);
    let bytes = hc_sheet(30, |i, r| match i {
        2 => r[15] = Out::from("640104199001011234"), // wrong check digit (should be X)
        7 => r[8] = Out::Hundredths(-5000),           // negative area
        12 => {
            // same building, unit and room as row i = 10, other area
            r[1] = Out::from("1");
            r[2] = Out::from("302");
        }
        _ => {}
    });
    let err = import_file(&t.db, &wuye_store::access::Access::system("test"), &bytes, &opts(LayoutKind::HcRooms, Some(estate)), &Quiet).await.unwrap_err();
    let ImportError::Rejected(rep) = err else { panic!("expected rejection") };
    let got: Vec<(usize, &str)> = rep.errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(got, vec![(4, "身份证号"), (9, "建筑面积"), (14, "")], "{:#?}", rep.errors);
    assert!(rep.errors[0].reason.contains("校验位"));
    assert_eq!(rep.errors[0].value, "640104199001011234");
    assert!(rep.errors[2].reason.contains("重复"));
    assert!(!rep.committed);
    let after = (count(&t.db, "houses").await, count(&t.db, "owners").await, count(&t.db, "buildings").await, count(&t.db, "import_runs").await);
    assert_eq!(before, after);

    // With skip-invalid the 27 good houses go in and the report lists the 3 skipped rows.
    let mut o = opts(LayoutKind::HcRooms, Some(estate));
    o.skip_invalid = true;
    let r = import_file(&t.db, &wuye_store::access::Access::system("test"), &bytes, &o, &Quiet).await.unwrap();
    assert_eq!((r.inserted, r.skipped, r.errors.len()), (27, 3, 3));
}

#[tokio::test]
async fn a_house_does_not_get_unrelated_owners_by_accident() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let csv = "小区名称,社区代码,楼栋,单元,房号,建筑面积(m²),专有面积(m²),业主名称,证件号码\n满春园小区,640106001003,1,1,101,100,85,周杰,640104198505050019\n";
    // 640104198505050019 is 李强 already: the name must match.
    let err = import_file(&t.db, &wuye_store::access::Access::system("test"), csv.as_bytes(), &opts(LayoutKind::Houses, None), &Quiet).await.unwrap_err();
    let ImportError::Rejected(rep) = err else { panic!() };
    assert!(rep.errors[0].reason.contains("李强"), "{:?}", rep.errors);
    let csv = "小区名称,社区代码,楼栋,单元,房号,建筑面积(m²),专有面积(m²),业主名称,证件号码\n满春园小区,640106001003,1,1,101,100,85,李强,640104198505050019\n";
    let err = import_file(&t.db, &wuye_store::access::Access::system("test"), csv.as_bytes(), &opts(LayoutKind::Houses, None), &Quiet).await.unwrap_err();
    let ImportError::Rejected(rep) = err else { panic!() };
    assert!(rep.errors[0].reason.contains("替换业主"), "{:?}", rep.errors);
    let mut o = opts(LayoutKind::Houses, None);
    o.replace_owners = true;
    let r = import_file(&t.db, &wuye_store::access::Access::system("test"), csv.as_bytes(), &o, &Quiet).await.unwrap();
    assert_eq!((r.inserted, r.updated), (0, 1));
    let e = registry::find_estate(&t.db, &wuye_store::access::Access::system("test"), "640106001003", "满春园小区", fixture_today()).await.unwrap().unwrap();
    let hs = registry::list_houses(&t.db, &wuye_store::access::Access::system("test"), &ListQuery::default(), &HouseFilter { estate_id: Some(e), building_id: None }, fixture_today()).await.unwrap();
    let h = hs.items.iter().find(|h| h.room_no == "101").unwrap();
    assert_eq!(h.owner_names, "李强");
}

#[tokio::test]
async fn bad_files_are_refused_and_nothing_changes() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let houses = count(&t.db, "houses").await;
    let cases: Vec<(LayoutKind, Vec<u8>, &str)> = vec![
        (LayoutKind::Estates, vec![], "空"),
        (LayoutKind::Estates, (0..2_000_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect(), "不是 xlsx 或 csv"),
        (LayoutKind::Estates, b"PK\x03\x04not a zip at all".to_vec(), "Excel"),
        (LayoutKind::Estates, "名称,地址\n甲,乙\n".as_bytes().to_vec(), "缺少必填列"),
        (LayoutKind::Estates, "小区名称,社区代码,建筑面积(m²)\n".as_bytes().to_vec(), "没有数据行"),
    ];
    for (layout, bytes, want) in cases {
        let e = import_file(&t.db, &wuye_store::access::Access::system("test"), &bytes, &opts(layout, None), &Quiet).await.unwrap_err();
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
    // Unknown region, contract ending before it starts, exclusive area above building area.
    let e = import_file(&t.db, &wuye_store::access::Access::system("test"), "小区名称,社区代码,建筑面积(m²)\n新小区,640104999999,100\n".as_bytes(), &opts(LayoutKind::Estates, None), &Quiet).await.unwrap_err();
    let ImportError::Rejected(r) = e else { panic!() };
    assert_eq!((r.errors[0].row, r.errors[0].column.as_str()), (2, "社区代码"));
    let c = "小区名称,社区代码,企业统一社会信用代码,合同类型,开始日期,结束日期,物业费(元/m²·月),计费方式\n崇安小区,640104001002,91640104MA76ANJU1T,物业服务,2027-01-01,2026-12-31,1.2,包干制\n";
    let e = import_file(&t.db, &wuye_store::access::Access::system("test"), c.as_bytes(), &opts(LayoutKind::Contracts, None), &Quiet).await.unwrap_err();
    let ImportError::Rejected(r) = e else { panic!() };
    assert_eq!((r.errors[0].row, r.errors[0].column.as_str()), (2, "结束日期"));
    let h = "小区名称,社区代码,楼栋,单元,房号,建筑面积(m²),专有面积(m²)\n崇安小区,640104001002,9,1,101,80,80.01\n";
    let e = import_file(&t.db, &wuye_store::access::Access::system("test"), h.as_bytes(), &opts(LayoutKind::Houses, None), &Quiet).await.unwrap_err();
    let ImportError::Rejected(r) = e else { panic!() };
    assert_eq!((r.errors[0].column.as_str(), r.errors[0].value.as_str()), ("专有面积(m²)", "80.01"));
    assert_eq!(count(&t.db, "houses").await, houses);
    assert_eq!(count(&t.db, "estates").await, 4);
}

#[tokio::test]
async fn backup_copies_a_live_sqlite_database() {
    let t = TestDb::new().await;
    if t.db.backend() != wuye_store::Backend::Sqlite {
        // PostgreSQL backups are pg_dump's job; the call says so.
        assert!(t.db.backup(std::path::Path::new("/tmp/x")).await.unwrap_err().to_string().contains("pg_dump"));
        return;
    }
    load_fixture(&t.db).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("copy.sqlite");
    t.db.backup(&dest).await.unwrap();
    let copy = Db::open(&wuye_store::Target::SqliteFile(dest.clone())).await.unwrap();
    assert_eq!(count(&copy, "houses").await, 10);
    assert!(t.db.backup(&dest).await.is_err(), "never overwrites");
}

/// The two migration sets give the same tables and columns: read from the SQL text
/// always, and from a live PostgreSQL when DATABASE_URL names one.
#[tokio::test]
async fn migration_sets_agree() {
    fn columns(sql: &str) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        let sql: String = sql.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
        for stmt in sql.split(';') {
            let s = stmt.to_string();
            let Some(i) = s.find("CREATE TABLE ") else { continue };
            let rest = &s[i + 13..];
            let name = rest.split_whitespace().next().unwrap().to_string();
            let body = &rest[rest.find('(').unwrap() + 1..rest.rfind(')').unwrap()];
            let mut cols: Vec<String> = body
                .lines()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty() && !l.starts_with("UNIQUE") && !l.starts_with("PRIMARY KEY") && !l.starts_with("FOREIGN"))
                .map(|l| l.split_whitespace().next().unwrap().to_string())
                .collect();
            cols.sort();
            out.push((name, cols));
        }
        out.sort();
        out
    }
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/sqlite")).unwrap().map(|e| e.unwrap().file_name()).collect();
    files.sort();
    let mut pg_files: Vec<_> = std::fs::read_dir(format!("{root}/postgres")).unwrap().map(|e| e.unwrap().file_name()).collect();
    pg_files.sort();
    assert_eq!(files, pg_files, "same migration files on both backends");
    let mut a = String::new();
    let mut b = String::new();
    for f in &files {
        a.push_str(&std::fs::read_to_string(format!("{root}/sqlite/{}", f.to_string_lossy())).unwrap());
        b.push_str(&std::fs::read_to_string(format!("{root}/postgres/{}", f.to_string_lossy())).unwrap());
    }
    let (ca, cb) = (columns(&a), columns(&b));
    assert!(ca.len() >= 10);
    assert_eq!(ca, cb);
    // And the live schema of this run's backend (SQLite, or PostgreSQL in the CI's
    // PostgreSQL run) matches the text, so both backends match each other.
    let t = TestDb::new().await;
    let live = t.db.schema().await.unwrap();
    assert_eq!(live, ca);
}

#[tokio::test]
async fn unreachable_or_unknown_databases_are_clear_errors() {
    let e = Db::connect(&wuye_store::Target::Postgres("postgres://postgres@127.0.0.1:1/nowhere".into())).await.unwrap_err().to_string();
    assert!(e.contains("无法连接数据库") && e.contains("127.0.0.1:1"), "{e}");
    let e = wuye_store::Target::resolve(Some("oracle://x"), std::path::Path::new(".")).unwrap_err().to_string();
    assert!(e.contains("不支持的数据库地址") && e.contains("oracle://x"), "{e}");
}

#[tokio::test]
async fn an_edited_audit_entry_is_named_by_verify() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let sys = wuye_store::access::Access::system("test");
    let e = registry::find_estate(&t.db, &sys, "640104001002", "崇安小区", fixture_today()).await.unwrap().unwrap();
    let mut input = registry::get_estate(&t.db, &sys, e, fixture_today()).await.unwrap().to_input();
    input.address = "新地址".into();
    registry::update_estate(&t.db, &sys, e, &input, 2026, fixture_today()).await.unwrap();
    let n = count(&t.db, "audit_log").await;
    assert!(n >= 5, "imports and the update are in the trail ({n})");
    assert!(matches!(wuye_store::audit::verify(&t.db).await.unwrap(), wuye_store::audit::Verdict::Intact { entries } if entries as i64 == n));
    // Someone edits the update's "after" by hand.
    let victim: i64 = wuye_store::on!(&t.db, p => sqlx::query_scalar("SELECT id FROM audit_log WHERE action = 'update' AND object_type = 'estate'").fetch_one(p).await).unwrap();
    wuye_store::on!(&t.db, p => sqlx::query("UPDATE audit_log SET after_json = REPLACE(after_json, '新地址', '旧地址') WHERE id = $1").bind(victim).execute(p).await.map(|_| ())).unwrap();
    match wuye_store::audit::verify(&t.db).await.unwrap() {
        wuye_store::audit::Verdict::Broken(b) => assert_eq!(b.id, victim),
        v => panic!("not detected: {v:?}"),
    }
    // Deleting the newest entry is caught by the head.
    wuye_store::on!(&t.db, p => sqlx::query("UPDATE audit_log SET after_json = REPLACE(after_json, '旧地址', '新地址') WHERE id = $1").bind(victim).execute(p).await.map(|_| ())).unwrap();
    wuye_store::on!(&t.db, p => sqlx::query("DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)").execute(p).await.map(|_| ())).unwrap();
    assert!(matches!(wuye_store::audit::verify(&t.db).await.unwrap(), wuye_store::audit::Verdict::Broken(_)));
}

#[tokio::test]
async fn personal_data_is_encrypted_searchable_and_rotates() {
    let t = TestDb::new().await;
    load_fixture(&t.db).await;
    let sys = wuye_store::access::Access::system("test");
    // Nothing in clear in the owners table.
    let dump: Vec<(String, Option<String>, Option<String>)> = wuye_store::on!(&t.db, p => sqlx::query_as("SELECT owner_key, id_number_enc, phone_enc FROM owners").fetch_all(p).await).unwrap();
    for (k, i, ph) in &dump {
        for v in [Some(k), i.as_ref(), ph.as_ref()].into_iter().flatten() {
            assert!(!v.contains("11010519491231002X") && !v.contains("13951234567"), "{v}");
        }
    }
    let by_phone = registry::list_owners(&t.db, &sys, &ListQuery { q: Some("139 5123 4567".into()), ..Default::default() }, fixture_today()).await.unwrap();
    assert_eq!(by_phone.items.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), vec!["马明"]);
    // Rotate to a new key: everything re-encrypted, search still works under the new key.
    let old = wuye_store::pii::keys().unwrap();
    let new = wuye_store::pii::Keyring::new(&[42u8; 32]);
    let (owners, _) = wuye_store::pii::rotate(&t.db, &sys, &old, &new).await.unwrap();
    assert_eq!(owners, 7);
    let (enc, hash): (String, String) = wuye_store::on!(&t.db, p => sqlx::query_as("SELECT id_number_enc, id_number_hash FROM owners WHERE name = '马明'").fetch_one(p).await).unwrap();
    assert_eq!(new.decrypt(&enc).unwrap(), "11010519491231002X");
    assert!(old.decrypt(&enc).is_err());
    assert_eq!(hash, new.search_hash("11010519491231002X"));
    let key: String = wuye_store::on!(&t.db, p => sqlx::query_scalar("SELECT owner_key FROM owners WHERE name = '马明'").fetch_one(p).await).unwrap();
    assert_eq!(key, format!("idh:{hash}"));
}
