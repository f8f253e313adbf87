//! Web tests: the real router on a fresh database with the fixture, on SQLite or on
//! PostgreSQL when DATABASE_URL names one. Every request goes through the real login.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use wuye_store::testing::{FIXTURE_PASSWORD, TestDb, fixture_today, fixture_users, load_fixture};
use wuye_web::{AppState, WebConfig, router};

struct TestApp {
    t: TestDb,
    app: axum::Router,
    /// The administrator's session.
    admin: Session,
}

#[derive(Clone, Default)]
struct Session {
    cookie: String,
    csrf: String,
}

struct Res {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    bytes: Vec<u8>,
}

impl Res {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).to_string()
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| panic!("not json ({e}): {}", self.text()))
    }
}

/// A minimal PDF, as a scanned paper ballot.
const SCAN_PDF: &[u8] = b"%PDF-1.4\n% ballot\n%%EOF\n";

fn form_body(form: &[(&str, &str)]) -> String {
    form.iter().map(|(k, v)| format!("{k}={}", wuye_web::ctx::urlencode(v))).collect::<Vec<_>>().join("&")
}

/// The value of `name="csrf" value="…"` in a page.
fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[i..i + html[i..].find('"')?].to_string())
}

fn set_cookie(r: &Res, name: &str) -> Option<String> {
    r.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| c.strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap_or("").to_string()))
}

impl TestApp {
    async fn new() -> TestApp {
        let t = TestDb::new().await;
        load_fixture(&t.db).await;
        fixture_users(&t.db).await;
        let app = router(AppState::new(t.db.clone(), WebConfig { today: Some(fixture_today()), ..Default::default() }));
        let mut a = TestApp { t, app, admin: Session::default() };
        a.admin = a.login("admin").await;
        a
    }

    async fn raw(&self, req: Request<Body>) -> Res {
        let r = self.app.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.into_body().collect().await.unwrap().to_bytes().to_vec();
        Res { status, headers, bytes }
    }

    /// Logs in through the login page (its double-submit token, then the password).
    async fn login(&self, name: &str) -> Session {
        let page = self.raw(Request::get("/login").body(Body::empty()).unwrap()).await;
        let token = csrf_in(&page.text()).expect("login form token");
        let cookie = set_cookie(&page, "wuye_login_csrf").expect("login cookie");
        let r = self
            .raw(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("wuye_login_csrf={cookie}"))
                    .body(Body::from(form_body(&[("csrf", &token), ("name", name), ("password", FIXTURE_PASSWORD), ("next", "/")])))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login of {name}: {}", r.text());
        let session = set_cookie(&r, "wuye_session").expect("session cookie");
        let me = self.raw(Request::get("/account/password").header(header::COOKIE, format!("wuye_session={session}")).body(Body::empty()).unwrap()).await;
        Session { csrf: csrf_in(&me.text()).expect("csrf on a logged-in page"), cookie: session }
    }

    async fn get_as(&self, s: &Session, path: &str) -> Res {
        self.raw(Request::get(path).header(header::COOKIE, format!("wuye_session={}", s.cookie)).body(Body::empty()).unwrap()).await
    }
    async fn post_as(&self, s: &Session, path: &str, form: &[(&str, &str)]) -> Res {
        let mut f: Vec<(&str, &str)> = vec![("csrf", s.csrf.as_str())];
        f.extend_from_slice(form);
        self.raw(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("wuye_session={}", s.cookie))
                .body(Body::from(form_body(&f)))
                .unwrap(),
        )
        .await
    }
    async fn json_as(&self, s: &Session, method: &str, path: &str, v: serde_json::Value) -> Res {
        self.raw(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::COOKIE, format!("wuye_session={}", s.cookie))
                .header("x-csrf-token", &s.csrf)
                .body(Body::from(v.to_string()))
                .unwrap(),
        )
        .await
    }
    /// A multipart form (as a form with a file input sends it; the CSRF token in the
    /// query): text fields, then files as (field, file name, content type, bytes).
    async fn multipart_as(&self, s: &Session, path: &str, form: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> Res {
        let boundary = "----wuye-test-boundary";
        let mut b: Vec<u8> = Vec::new();
        for (k, v) in form {
            b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        for (k, name, ctype, bytes) in files {
            b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n").as_bytes());
            b.extend_from_slice(bytes);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let sep = if path.contains('?') { '&' } else { '?' };
        self.raw(
            Request::post(format!("{path}{sep}csrf={}", s.csrf))
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .header(header::COOKIE, format!("wuye_session={}", s.cookie))
                .body(Body::from(b))
                .unwrap(),
        )
        .await
    }
    /// As the administrator.
    async fn get(&self, path: &str) -> Res {
        self.get_as(&self.admin, path).await
    }
    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Res {
        self.post_as(&self.admin, path, form).await
    }
    async fn send_json(&self, method: &str, path: &str, v: serde_json::Value) -> Res {
        self.json_as(&self.admin, method, path, v).await
    }
    async fn send(&self, req: Request<Body>) -> Res {
        let (mut parts, body) = req.into_parts();
        parts.headers.insert(header::COOKIE, format!("wuye_session={}", self.admin.cookie).parse().unwrap());
        self.raw(Request::from_parts(parts, body)).await
    }
    async fn count(&self, table: &str) -> i64 {
        wuye_store::testing::count(&self.t.db, table).await
    }
}

#[tokio::test]
async fn dashboard_shows_the_province_and_drills_down_to_an_estate() {
    let app = TestApp::new().await;
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    for city in ["银川市", "石嘴山市", "吴忠市", "固原市", "中卫市"] {
        assert!(html.contains(city), "{city}");
    }
    assert!(html.contains("宁夏回族自治区"));
    // Province: 2 of 4 estates, 6 of 10 houses, 34.9% of area.
    assert!(html.contains("50.0%") && html.contains("60.0%") && html.contains("34.9%"));
    assert!(html.contains("<svg"));
    assert!(html.contains("href=\"/?region=640100000000&amp;basis=houses\""), "chart bars link to the child region");

    // City → county → street → community → estate → house.
    let r = app.get("/?region=640100000000").await.text();
    assert!(r.contains("兴庆区") && r.contains("金凤区"));
    let r = app.get("/?region=640104").await.text();
    assert!(r.contains("凤凰北街街道"));
    let r = app.get("/?region=640104001").await.text();
    assert!(r.contains("崇安社区居委会") && r.contains("崇安小区") && r.contains("兴隆家园"));
    let r = app.get("/?region=640104001002").await.text();
    assert!(r.contains("崇安小区"));
    assert!(!r.contains("兴隆家园"), "only the community's own estates");
    let estate = wuye_store::registry::find_estate(&app.t.db, &wuye_store::access::Access::system("test"), "640104001002", "崇安小区", fixture_today()).await.unwrap().unwrap();
    let r = app.get(&format!("/estates/{estate}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("1号楼1单元101") && html.contains("马明、杨芳"));
    assert!(html.contains("宁夏安居物业服务有限公司"));
    // Breadcrumb from the province to the community.
    for name in ["宁夏回族自治区", "银川市", "兴庆区", "凤凰北街街道", "崇安社区居委会"] {
        assert!(html.contains(&format!(">{name}</a>")), "{name}");
    }
}

#[tokio::test]
async fn the_stats_api_gives_exact_figures() {
    let app = TestApp::new().await;
    let v = app.get("/api/regions/64/stats").await.json();
    assert_eq!(v["total"]["estates"], 4);
    assert_eq!(v["total"]["estates_covered"], 2);
    assert_eq!(v["total"]["houses"], 10);
    assert_eq!(v["total"]["houses_covered"], 6);
    assert_eq!(v["total"]["area"], 4_300_000);
    assert_eq!(v["total"]["area_covered"], 1_500_000);
    assert_eq!(v["permille_by_area"], 349);
    assert_eq!(v["target_percent"], 70);
    assert_eq!(v["children"].as_array().unwrap().len(), 5);
    let yesterday = app.get("/api/regions/640104/stats?day=2026-11-28").await.json();
    assert_eq!(yesterday["total"]["estates_covered"], 2, "兴隆家园's contract was in force yesterday");
    let today = app.get("/api/regions/640104/stats").await.json();
    assert_eq!(today["total"]["estates_covered"], 1);
    assert_eq!(app.get("/api/regions/649999/stats").await.status, StatusCode::NOT_FOUND);
}

/// A published, passed vote in 崇安小区 (兴庆区) and its fund account: 101 paid 8 000 元 in
/// full, 102 paid 1 000 元 of 7 240 元 (below 30 %).
async fn assembly_fund_fixture(app: &TestApp) {
    use std::collections::BTreeMap;
    use wuye_domain::assembly::{Choice, MatterKind, VoterId};
    use wuye_store::assembly::{self, Method, NewVote};
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let q = |sql: &'static str| async move { wuye_store::on!(db, p => wuye_store::sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap() };
    let ca = q("SELECT id FROM estates WHERE name = '崇安小区'").await;
    let v = NewVote { title: "选聘物业服务企业".into(), rule_set_code: None, opens_on: d("2026-12-14"), closes_on: d("2026-12-28"), matters: vec![(MatterKind::HireManager, "选聘".into())] };
    let vid = assembly::create_vote(db, &sys, ca, &v, fixture_today()).await.unwrap();
    assembly::announce(db, &sys, vid, fixture_today()).await.unwrap();
    assembly::open(db, &sys, vid, d("2026-12-14")).await.unwrap();
    for voter in assembly::electorate(db, &sys, vid, d("2026-12-14")).await.unwrap().voters.iter().map(|v| v.id).collect::<Vec<VoterId>>() {
        assembly::cast(db, &sys, vid, &Method::Paper { voter, scan: assembly::Scan { file_name: "票.pdf".into(), bytes: SCAN_PDF.to_vec() } }, &BTreeMap::from([(1, Choice::Agree)]), d("2026-12-14")).await.unwrap();
    }
    assembly::close(db, &sys, vid, d("2026-12-14")).await.unwrap();
    assembly::publish(db, &sys, vid, d("2026-12-14")).await.unwrap();
    wuye_store::fund::set_rate(db, &sys, "64", true, 8000, d("2020-01-01")).await.unwrap();
    wuye_store::fund::set_rate(db, &sys, "64", false, 4000, d("2020-01-01")).await.unwrap();
    wuye_store::fund::open_accounts(db, &sys, ca, d("2026-01-10")).await.unwrap();
    let h101 = q("SELECT h.id FROM houses h JOIN estates e ON e.id = h.estate_id WHERE e.name = '崇安小区' AND h.room_no = '101'").await;
    let h102 = q("SELECT h.id FROM houses h JOIN estates e ON e.id = h.estate_id WHERE e.name = '崇安小区' AND h.room_no = '102'").await;
    wuye_store::fund::deposit_many(db, &sys, ca, &[(h101, 800_000, "杨芳".into()), (h102, 100_000, "李强".into())], d("2026-02-01")).await.unwrap();
}

#[tokio::test]
async fn assembly_fund_figures_by_region_and_scope() {
    let app = TestApp::new().await;
    assembly_fund_fixture(&app).await;
    let sys = wuye_store::access::Access::system("test");
    let region = |c: &str| wuye_domain::account::Scope::Region(wuye_domain::region::RegionCode::parse(c).unwrap());
    wuye_store::account::create_user(&app.t.db, &sys, "reg_nx", "自治区住建厅", FIXTURE_PASSWORD, &[(wuye_domain::account::Role::Regulator, region("64"), String::new())], false).await.unwrap();
    let province = app.login("reg_nx").await;
    let r = app.get_as(&province, "/api/regions/64/assembly-fund").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let t = &v["total"];
    assert_eq!((t["votes_published"].as_i64(), t["votes_passed"].as_i64(), t["votes_failed"].as_i64(), t["votes_open"].as_i64()), (Some(1), Some(1), Some(0), Some(0)));
    // Four household accounts, 900 000 fen; 102 (1 000 of 7 240 元) and the two unpaid are below 30 %.
    assert_eq!((t["fund_accounts"].as_i64(), t["fund_balance"].as_i64(), t["fund_households"].as_i64(), t["households_below_threshold"].as_i64()), (Some(1), Some(900_000), Some(4), Some(3)));
    assert_eq!(v["children"].as_array().unwrap().len(), 5);
    assert_eq!(v["children"][0]["code"], "640100000000");
    assert_eq!(v["children"][0]["fund_balance"], 900_000);
    assert_eq!(v["children"][1]["fund_balance"], 0);
    let county = app.get_as(&province, "/api/regions/640104/assembly-fund").await.json();
    let xq = county["children"].as_array().unwrap().iter().find(|c| c["code"] == "640104001000").unwrap();
    assert_eq!((xq["votes_passed"].as_i64(), xq["fund_balance"].as_i64()), (Some(1), Some(900_000)));
    // A county regulator: its county, not another one, not the province.
    let reg = app.login("reg_xq").await;
    assert_eq!(app.get_as(&reg, "/api/regions/640104/assembly-fund").await.json()["total"]["fund_balance"], 900_000);
    assert_eq!(app.get_as(&reg, "/api/regions/640106/assembly-fund").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&reg, "/api/regions/64/assembly-fund").await.status, StatusCode::NOT_FOUND);
    // A department sees coverage but not votes and the fund.
    let dept = app.login("dept_jf").await;
    assert_eq!(app.get_as(&dept, "/api/regions/640106/assembly-fund").await.status, StatusCode::FORBIDDEN);
    assert!(!app.get_as(&dept, "/").await.text().contains("业主大会与维修资金"));
    // The dashboard's second table, with drill-down links, and its export.
    let html = app.get_as(&province, "/?region=64").await.text();
    assert!(html.contains("业主大会与维修资金") && html.contains("9,000.00") && html.contains("href=\"/?region=640100000000\""), "{html}");
    assert!(html.contains("/export/assembly-fund.xlsx?region=640000000000"));
    let r = app.get_as(&province, "/export/assembly-fund.xlsx?region=64").await;
    assert_eq!(r.status, StatusCode::OK);
    let t = wuye_ledger::read_table(&r.bytes, "业主大会与维修资金").unwrap();
    assert_eq!(t.rows.len(), 6, "5 cities and the total");
    let csv = app.get_as(&reg, "/export/assembly-fund.csv?region=640104").await.text();
    assert!(csv.contains("9000.00") && csv.contains("兴庆区 合计"), "{csv}");
    assert_eq!(app.get_as(&reg, "/export/assembly-fund.csv?region=640106").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_creates_and_refuses_with_clear_errors() {
    let app = TestApp::new().await;
    let estate = serde_json::json!({"name": "新建小区", "region_code": "640104001005", "address": "", "kind": "commodity",
        "year_built": 2020, "land_area": null, "building_area": 1234500, "has_elevator": true, "management": "none"});
    let r = app.send_json("POST", "/api/estates", estate.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = app.send_json("POST", "/api/estates", estate.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["error"], "conflict");
    let mut bad = estate.clone();
    bad["region_code"] = "640104".into();
    let r = app.send_json("POST", "/api/estates", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["message"].as_str().unwrap().contains("村/社区"));
    let mut bad = estate.clone();
    bad["region_code"] = "64x".into();
    assert_eq!(app.send_json("POST", "/api/estates", bad).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A house with exclusive area above its building area.
    let h = serde_json::json!({"estate_id": id, "building_no": "3号楼", "unit_no": "2", "room_no": "0501", "floor": 5,
        "building_area": 9000, "exclusive_area": 9001, "house_use": "residential", "status": "delivered"});
    let r = app.send_json("POST", "/api/houses", h.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "exclusive_area");
    let mut ok = h.clone();
    ok["exclusive_area"] = 8000.into();
    let r = app.send_json("POST", "/api/houses", ok).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let hid = r.json()["id"].as_i64().unwrap();
    let d = app.get(&format!("/api/houses/{hid}")).await.json();
    assert_eq!(d["house"]["building_no"], "3");
    assert_eq!(d["house"]["room_no"], "0501");
    assert_eq!(app.get(&format!("/api/estates/{id}")).await.json()["house_count"], 1);

    // A contract that ends before it starts.
    let c = serde_json::json!({"estate_id": id, "enterprise_id": 1, "kind": "regular", "start_date": "2026-01-01", "end_date": "2025-12-31",
        "fee_fen_per_m2_month": 150, "fee_model": "lump_sum"});
    let r = app.send_json("POST", "/api/contracts", c).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "end_date");
    assert_eq!(app.get("/api/estates/99999").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_form_keeps_the_values_and_marks_the_field() {
    let app = TestApp::new().await;
    let before = app.count("estates").await;
    let r = app
        .post_form("/estates/new", &[("name", "阳光小区"), ("region_code", "640104001002"), ("kind", "commodity"), ("building_area", "-5"), ("management", "none"), ("address", "某路 8 号")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("value=\"阳光小区\"") && html.contains("value=\"某路 8 号\""));
    assert!(html.contains("建筑面积必须大于 0"));
    assert!(html.contains("aria-invalid=\"true\""));
    assert_eq!(app.count("estates").await, before);
    let r = app.post_form("/estates/new", &[("name", "阳光小区"), ("region_code", "640104001002"), ("kind", "commodity"), ("building_area", "8000.5"), ("management", "none")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("estates").await, before + 1);
}

#[tokio::test]
async fn lists_filter_page_and_export_exactly_what_they_show() {
    let app = TestApp::new().await;
    let r = app.get("/estates?region=640104&covered=uncovered").await.text();
    assert!(r.contains("兴隆家园") && !r.contains("崇安小区"));
    let r = app.get("/export/estates.csv?region=640104&covered=uncovered").await;
    assert_eq!(r.status, StatusCode::OK);
    let csv = r.text();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("兴隆家园"));
    let r = app.get("/export/houses.xlsx?region=640106").await;
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let t = wuye_ledger::read_table(&r.bytes, "房屋").unwrap();
    assert_eq!(t.rows.len(), 2);
    let r = app.get("/export/coverage.xlsx?region=64").await;
    let t = wuye_ledger::read_table(&r.bytes, "覆盖率").unwrap();
    assert_eq!(t.rows.len(), 6, "5 cities and the total");
    let total = &t.rows[5].1;
    assert_eq!(total[9], wuye_domain::ledger::Cell::Text("60.0%".into()));
    let r = app.get("/houses?q=马明").await.text();
    assert!(r.contains("1号楼1单元101") && r.contains("3号楼1单元501") && r.contains("共 2 条"));
    let r = app.get("/owners?q=11010519491231002X").await.text();
    assert!(r.contains("马明"));
    let r = app.get("/contracts?state=expired").await.text();
    assert!(r.contains("兴隆家园") && !r.contains("满春园小区"));
    let r = app.get("/enterprises").await.text();
    assert!(r.contains("宁夏安居物业服务有限公司"));
}

fn rows_in(html: &str) -> usize {
    html.split("<tbody>").nth(1).and_then(|b| b.split("</tbody>").next()).map(|b| b.matches("<tr").count()).unwrap_or(0)
}

#[tokio::test]
async fn pages_by_query_string_and_lists_follow_every_write() {
    let app = TestApp::new().await;
    // Numbers in the query string, also beside the flattened list fields.
    let r = app.get("/estates?per_page=2&page=2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(rows_in(&r.text()), 2, "the fixture's 4 estates, 2 a page: page 2 holds 2");
    assert!(r.text().contains("共 4 条"));
    assert!(r.text().contains("/estates?page=1&#38;per_page=2"), "the page size travels with the pager's links: {}", r.text().split("class=\"pager\"").nth(1).unwrap_or(""));
    let r = app.get("/estates?per_page=3&page=2").await;
    assert_eq!(rows_in(&r.text()), 1);
    let r = app.get("/estates?page=").await;
    assert_eq!(r.status, StatusCode::OK, "an empty page field is the first page");
    assert_eq!(app.get("/estates?page=x").await.status, StatusCode::BAD_REQUEST);
    let first = app.get("/api/estates").await.json()["items"][0]["id"].as_i64().unwrap();
    let r = app.get(&format!("/houses?estate_id={first}&per_page=1&page=1")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(rows_in(&r.text()), 1);
    let r = app.get(&format!("/contracts?estate_id={first}&page=1")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Lists and totals are remembered per data generation: a write shows at once.
    let before = app.get("/estates?region=640104").await.text();
    assert!(!before.contains("后来的小区"));
    let estate = serde_json::json!({"name": "后来的小区", "region_code": "640104001005", "address": "", "kind": "commodity",
        "year_built": 2020, "land_area": null, "building_area": 1234500, "has_elevator": true, "management": "none"});
    assert_eq!(app.send_json("POST", "/api/estates", estate).await.status, StatusCode::CREATED);
    let after = app.get("/estates?region=640104").await.text();
    assert!(after.contains("后来的小区"));
    assert!(app.get("/estates").await.text().contains("共 5 条"));
    assert_eq!(app.get("/api/estates").await.json()["total"], 5);
}

#[tokio::test]
async fn upload_page_rejects_a_bad_file_and_imports_a_good_one() {
    let app = TestApp::new().await;
    let boundary = "XBOUNDARYX";
    let body = |layout: &str, estate: &str, name: &str, data: &[u8]| {
        let mut b = Vec::new();
        for (k, v) in [("layout", layout), ("estate_id", estate)] {
            b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        b.extend_from_slice(data);
        b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        b
    };
    let csrf = app.admin.csrf.clone();
    let post = |b: Vec<u8>| Request::post(format!("/import?csrf={csrf}")).header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}")).body(Body::from(b)).unwrap();
    let houses = app.count("houses").await;
    let bad = "小区名称,社区代码,楼栋,单元,房号,建筑面积(m²),专有面积(m²),业主名称,证件号码\n崇安小区,640104001002,7,1,101,-80,70,甲,640104199001011234\n";
    let r = app.send(post(body("houses", "", "bad.csv", bad.as_bytes()))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("未写入任何数据") && html.contains("建筑面积必须大于 0") && html.contains("校验位"));
    assert_eq!(app.count("houses").await, houses);
    let r = app.send(post(body("houses", "", "junk.bin", &[0u8, 1, 2, 3, 0, 0, 7]))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("不是 xlsx 或 csv"));
    let good = "小区名称,社区代码,楼栋,单元,房号,建筑面积(m²),专有面积(m²)\n崇安小区,640104001002,7,1,101,80,70\n崇安小区,640104001002,7,1,102,80,70\n";
    let r = app.send(post(body("houses", "", "good.csv", good.as_bytes()))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("导入成功"));
    assert_eq!(app.count("houses").await, houses + 2);
    let r = app.get("/import").await.text();
    assert!(r.contains("good.csv"), "history lists the import");
}

#[tokio::test]
async fn english_is_second() {
    let app = TestApp::new().await;
    let r = app.get("/?lang=en").await.text();
    assert!(r.contains("Property-service coverage") && r.contains("lang=\"en\""));
    let r = app.get("/lang/en?back=/estates").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.headers[header::SET_COOKIE].to_str().unwrap().starts_with("lang=en"));
    let r = app.raw(Request::get("/estates").header(header::COOKIE, format!("lang=en; wuye_session={}", app.admin.cookie)).body(Body::empty()).unwrap()).await.text();
    assert!(r.contains(">Estates<"));
    let r = app.get("/lang/en?back=//evil.example").await;
    assert_eq!(r.headers[header::LOCATION], "/");
}

#[tokio::test]
async fn unknown_pages_and_records_are_404() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/nope").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/estates/424242").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/houses/424242").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/?region=649999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/export/nothing.xlsx").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/static/app.css").await.status, StatusCode::OK);
}

/// The OpenAPI document covers every /api route of the router, and is pinned.
#[tokio::test]
async fn openapi_document_covers_every_api_route() {
    let app = TestApp::new().await;
    let doc = app.get("/api/openapi.json").await.json();
    let paths: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    for (_, p) in wuye_web::routes::ROUTES.iter().filter(|(_, p)| p.starts_with("/api/") && *p != "/api/openapi.json") {
        // The document names path parameters `id` where the router names them by kind.
        let norm = |s: &str| s.split('/').map(|seg| if seg.starts_with('{') { "{}" } else { seg }).collect::<Vec<_>>().join("/");
        assert!(paths.iter().any(|x| norm(x) == norm(p)), "route {p} is missing from the OpenAPI document");
    }
    insta::assert_json_snapshot!("openapi", doc);
}

// ---------------------------------------------------------------------------------------
// Accounts, scopes and isolation

/// Ids of fixture records, by natural key.
struct Ids {
    estate: std::collections::HashMap<&'static str, i64>,
    house_of_estate: std::collections::HashMap<&'static str, i64>,
    building_of_estate: std::collections::HashMap<&'static str, i64>,
    contract_of_estate: std::collections::HashMap<&'static str, i64>,
    owner: std::collections::HashMap<&'static str, i64>,
    enterprise: std::collections::HashMap<&'static str, i64>,
    user: std::collections::HashMap<String, i64>,
    /// A draft vote of each estate (see [`votes_of_estates`]).
    vote_of_estate: std::collections::HashMap<&'static str, i64>,
    /// A fund use applied for in each estate (see [`fund_uses_of_estates`]).
    fund_use_of_estate: std::collections::HashMap<&'static str, i64>,
    /// A referral reported in each estate, its evidence, and a meeting in each estate's
    /// county (see [`cases_of_estates`]).
    case_of_estate: std::collections::HashMap<&'static str, i64>,
    attachment_of_estate: std::collections::HashMap<&'static str, i64>,
    meeting_of_estate: std::collections::HashMap<&'static str, i64>,
    // safety: inspections — an inspection of each estate, its hazard and its photo (see
    // [`safety_of_estates`]).
    inspection_of_estate: std::collections::HashMap<&'static str, i64>,
    hazard_of_estate: std::collections::HashMap<&'static str, i64>,
    photo_of_estate: std::collections::HashMap<&'static str, i64>,
    // credit: BEGIN — a credit record of each estate and its evidence (see [`credit_of_estates`]).
    credit_record_of_estate: std::collections::HashMap<&'static str, i64>,
    credit_file_of_estate: std::collections::HashMap<&'static str, i64>,
    // credit: END
    // tender: BEGIN
    /// A draft tender of each estate (see [`tenders_of_estates`]).
    tender_of_estate: std::collections::HashMap<&'static str, i64>,
    // tender: END
}

async fn ids(app: &TestApp) -> Ids {
    let db = &app.t.db;
    let q = |sql: &'static str| async move { wuye_store::on!(db, p => wuye_store::sqlx::query_as::<_, (String, i64)>(sql).fetch_all(p).await).unwrap() };
    let leak = |v: Vec<(String, i64)>| v.into_iter().map(|(k, v)| (&*Box::leak(k.into_boxed_str()), v)).collect();
    Ids {
        estate: leak(q("SELECT name, id FROM estates").await),
        house_of_estate: leak(q("SELECT e.name, MIN(h.id) FROM houses h JOIN estates e ON e.id = h.estate_id GROUP BY e.name").await),
        building_of_estate: leak(q("SELECT e.name, MIN(b.id) FROM buildings b JOIN estates e ON e.id = b.estate_id GROUP BY e.name").await),
        contract_of_estate: leak(q("SELECT e.name, MIN(c.id) FROM service_contracts c JOIN estates e ON e.id = c.estate_id GROUP BY e.name").await),
        owner: leak(q("SELECT name, MIN(id) FROM owners GROUP BY name").await),
        enterprise: leak(q("SELECT name, id FROM enterprises").await),
        user: q("SELECT name, id FROM users").await.into_iter().collect(),
        vote_of_estate: Default::default(),
        fund_use_of_estate: Default::default(),
        case_of_estate: Default::default(),
        attachment_of_estate: Default::default(),
        meeting_of_estate: Default::default(),
        inspection_of_estate: Default::default(),
        hazard_of_estate: Default::default(),
        photo_of_estate: Default::default(),
        // credit: BEGIN
        credit_record_of_estate: Default::default(),
        credit_file_of_estate: Default::default(),
        // credit: END
        // tender: BEGIN
        tender_of_estate: Default::default(),
        // tender: END
    }
}

/// A housing department in each fixture county convenes a meeting and has a violation
/// reported in each estate of its county with a PDF of evidence (as the system), for the
/// routes naming `{case}`, `{attachment}` and `{meeting}`.
async fn cases_of_estates(app: &TestApp, ids: &mut Ids) {
    use wuye_store::cases as cs;
    let sys = wuye_store::access::Access::system("test");
    let db = &app.t.db;
    let mut by_county: std::collections::HashMap<String, (i64, i64)> = std::collections::HashMap::new();
    let estates: Vec<(&'static str, i64)> = ids.estate.iter().map(|(k, v)| (*k, *v)).collect();
    for (name, id) in estates {
        let e = wuye_store::registry::get_estate(db, &sys, id, fixture_today()).await.unwrap();
        let county = format!("{}000000", &e.region_code[..6]);
        let (housing, meeting) = match by_county.get(&county) {
            Some(x) => *x,
            None => {
                let org = cs::create_organisation(db, &sys, "housing", &format!("住建{county}"), &county, "").await.unwrap();
                let m = cs::NewMeeting { convener_org_id: org, title: "越权测试会议".into(), held_on: fixture_today(), ..Default::default() };
                let m = cs::create_meeting(db, &sys, &m, fixture_today()).await.unwrap();
                by_county.insert(county.clone(), (org, m));
                (org, m)
            }
        };
        ids.meeting_of_estate.insert(name, meeting);
        let n = cs::NewCase { kind: "referral".into(), title: "占用消防通道".into(), category: "fire_lane".into(), description: "测试".into(), estate_id: Some(id), supervisor_org_id: Some(housing), ..Default::default() };
        let up = cs::Upload { file_name: "evidence.pdf".into(), bytes: SCAN_PDF.to_vec() };
        let c = cs::open(db, &sys, &n, &[up], fixture_today()).await.unwrap();
        ids.case_of_estate.insert(name, c);
        let a = cs::attachments(db, &sys, c, fixture_today()).await.unwrap();
        ids.attachment_of_estate.insert(name, a[0].id);
    }
}

// safety: inspections
/// A 1×1 PNG, as a photo.
const PHOTO_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

/// A spot check of each fixture estate (as the system) with a hazard and a site photo, for
/// the routes naming `{inspection}`, `{hazard}` and `{photo}`.
async fn safety_of_estates(app: &TestApp, ids: &mut Ids) {
    use wuye_store::safety::inspections as si;
    let sys = wuye_store::access::Access::system("test");
    let db = &app.t.db;
    si::ensure_templates(db).await.unwrap();
    let estates: Vec<(&'static str, i64)> = ids.estate.iter().map(|(k, v)| (*k, *v)).collect();
    for (name, id) in estates {
        let n = si::NewInspection {
            category: "fire_access".into(),
            kind: "spot".into(),
            inspected_on: fixture_today(),
            inspector: "检查组".into(),
            results: vec![si::ItemResult { seq: 1, result: "hazard".into(), note: String::new(), hazard: Some(si::NewHazard { severity: "general".into(), description: "通道堵塞".into(), working_days: Some(5), ..Default::default() }) }],
            ..Default::default()
        };
        let up = wuye_store::cases::Upload { file_name: "site.png".into(), bytes: PHOTO_PNG.to_vec() };
        let i = si::create_inspection(db, &sys, id, &n, &[(0, up)], fixture_today()).await.unwrap();
        ids.inspection_of_estate.insert(name, i);
        ids.photo_of_estate.insert(name, si::inspection_photos(db, &sys, i, fixture_today()).await.unwrap()[0].id);
        let h = si::hazard_rows(db, &sys, &si::HazardFilter { inspection_id: Some(i), ..Default::default() }, fixture_today()).await.unwrap();
        ids.hazard_of_estate.insert(name, h[0].id);
    }
}

/// Opens the fund account of every fixture estate (rates for 宁夏) and applies for one use
/// of each, as the system, for the routes naming `{fund_use}`.
async fn fund_uses_of_estates(app: &TestApp, ids: &Ids) -> std::collections::HashMap<&'static str, i64> {
    let sys = wuye_store::access::Access::system("test");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for elevator in [false, true] {
        wuye_store::fund::set_rate(&app.t.db, &sys, "64", elevator, 5000, day).await.unwrap();
    }
    let mut out = std::collections::HashMap::new();
    for (name, id) in &ids.estate {
        wuye_store::fund::open_accounts(&app.t.db, &sys, *id, fixture_today()).await.unwrap();
        let houses = wuye_store::fund::scope_houses(&app.t.db, &sys, *id, &[], fixture_today()).await.unwrap();
        let u = wuye_store::fund::NewFundUse { project: "测试维修".into(), budget: 100, house_ids: houses, emergency: None };
        out.insert(*name, wuye_store::fund::apply_use(&app.t.db, &sys, *id, &u, fixture_today()).await.unwrap());
    }
    out
}

/// Drafts one vote in each fixture estate (as the system), for the routes naming `{vote}`.
async fn votes_of_estates(app: &TestApp, ids: &Ids) -> std::collections::HashMap<&'static str, i64> {
    let sys = wuye_store::access::Access::system("test");
    let mut out = std::collections::HashMap::new();
    for (name, id) in &ids.estate {
        let v = wuye_store::assembly::NewVote {
            title: "测试表决".into(),
            rule_set_code: None,
            opens_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 14).unwrap(),
            closes_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            matters: vec![(wuye_domain::assembly::MatterKind::HireManager, "测试事项".into())],
        };
        out.insert(*name, wuye_store::assembly::create_vote(&app.t.db, &sys, *id, &v, fixture_today()).await.unwrap());
    }
    out
}

/// What each role must never see: the fixture's records outside its scope (by name) —
/// and, for everyone, ID numbers in clear.
struct RoleCase {
    user: &'static str,
    /// An estate outside the scope (its id fills `{estate}`, its house `{house}` …).
    foreign_estate: &'static str,
    /// An estate whose contract is outside the scope (an enterprise sees its own ended
    /// contracts, so for it this differs from `foreign_estate`).
    foreign_contract: &'static str,
    foreign_owner: &'static str,
    foreign_enterprise: &'static str,
    /// A region outside the scope.
    foreign_region: &'static str,
    markers: &'static [&'static str],
}

const CLEAR_IDS: [&str; 5] = ["11010519491231002X", "64010419900101123X", "640104198505050019", "640106197203030037", "640205198808080049"];

fn cases() -> Vec<RoleCase> {
    vec![
        RoleCase { user: "reg_xq", foreign_estate: "满春园小区", foreign_contract: "满春园小区", foreign_owner: "张伟", foreign_enterprise: "银川恒信物业服务有限公司", foreign_region: "640106000000",
            markers: &["满春园小区", "庆安花园", "银川恒信物业服务有限公司", "张伟", "刘洋"] },
        RoleCase { user: "street_fh", foreign_estate: "庆安花园", foreign_contract: "庆安花园", foreign_owner: "刘洋", foreign_enterprise: "银川恒信物业服务有限公司", foreign_region: "640205000000",
            markers: &["满春园小区", "庆安花园", "银川恒信物业服务有限公司", "张伟", "刘洋"] },
        RoleCase { user: "dept_jf", foreign_estate: "崇安小区", foreign_contract: "崇安小区", foreign_owner: "马明", foreign_enterprise: "宁夏安居物业服务有限公司", foreign_region: "640104000000",
            markers: &["崇安小区", "兴隆家园", "庆安花园", "宁夏安居物业服务有限公司", "马明", "杨芳", "李强", "王丽", "张伟", "刘洋"] },
        RoleCase { user: "ent_hx", foreign_estate: "崇安小区", foreign_contract: "崇安小区", foreign_owner: "马明", foreign_enterprise: "宁夏安居物业服务有限公司", foreign_region: "640104000000",
            markers: &["崇安小区", "兴隆家园", "宁夏安居物业服务有限公司", "马明", "杨芳", "李强", "王丽", "刘洋"] },
        RoleCase { user: "ent_aj", foreign_estate: "兴隆家园", foreign_contract: "满春园小区", foreign_owner: "王丽", foreign_enterprise: "银川恒信物业服务有限公司", foreign_region: "640104000000",
            markers: &["满春园小区", "庆安花园", "银川恒信物业服务有限公司", "张伟", "刘洋", "王丽"] },
        RoleCase { user: "committee_qa", foreign_estate: "满春园小区", foreign_contract: "满春园小区", foreign_owner: "张伟", foreign_enterprise: "宁夏安居物业服务有限公司", foreign_region: "640205000000",
            markers: &["崇安小区", "兴隆家园", "满春园小区", "宁夏安居物业服务有限公司", "马明", "杨芳", "李强", "王丽", "张伟"] },
        RoleCase { user: "owner_zw", foreign_estate: "庆安花园", foreign_contract: "庆安花园", foreign_owner: "刘洋", foreign_enterprise: "宁夏安居物业服务有限公司", foreign_region: "640106000000",
            markers: &["崇安小区", "兴隆家园", "庆安花园", "宁夏安居物业服务有限公司", "马明", "杨芳", "李强", "王丽", "刘洋"] },
        RoleCase { user: "utility", foreign_estate: "满春园小区", foreign_contract: "满春园小区", foreign_owner: "张伟", foreign_enterprise: "银川恒信物业服务有限公司", foreign_region: "640000000000",
            markers: &["崇安小区", "兴隆家园", "满春园小区", "庆安花园", "宁夏安居物业服务有限公司", "银川恒信物业服务有限公司", "马明", "杨芳", "李强", "王丽", "张伟", "刘洋"] },
        RoleCase { user: "mediator", foreign_estate: "崇安小区", foreign_contract: "崇安小区", foreign_owner: "马明", foreign_enterprise: "宁夏安居物业服务有限公司", foreign_region: "640000000000",
            markers: &["崇安小区", "兴隆家园", "满春园小区", "庆安花园", "宁夏安居物业服务有限公司", "银川恒信物业服务有限公司", "马明", "杨芳", "李强", "王丽", "张伟", "刘洋"] },
    ]
}

/// Fills a route's path parameters with records outside the role's scope. Panics on a
/// parameter it does not know: a new kind of route must be covered here.
fn fill(path: &str, c: &RoleCase, ids: &Ids, variant: &str) -> String {
    let other_user = ids.user["admin"];
    path.split('/')
        .map(|seg| match seg {
            "{estate}" => ids.estate[c.foreign_estate].to_string(),
            "{house}" => ids.house_of_estate[c.foreign_estate].to_string(),
            "{building}" => ids.building_of_estate[c.foreign_estate].to_string(),
            "{contract}" => ids.contract_of_estate[c.foreign_contract].to_string(),
            "{owner}" => ids.owner[c.foreign_owner].to_string(),
            "{enterprise}" => ids.enterprise[c.foreign_enterprise].to_string(),
            "{vote}" => ids.vote_of_estate[c.foreign_estate].to_string(),
            "{fund_use}" => ids.fund_use_of_estate[c.foreign_estate].to_string(),
            "{case}" => ids.case_of_estate[c.foreign_estate].to_string(),
            "{attachment}" => ids.attachment_of_estate[c.foreign_estate].to_string(),
            "{meeting}" => ids.meeting_of_estate[c.foreign_estate].to_string(),
            // safety: inspections
            "{inspection}" => ids.inspection_of_estate[c.foreign_estate].to_string(),
            "{hazard}" => ids.hazard_of_estate[c.foreign_estate].to_string(),
            "{photo}" => ids.photo_of_estate[c.foreign_estate].to_string(),
            // credit: BEGIN
            "{credit_record}" => ids.credit_record_of_estate[c.foreign_estate].to_string(),
            "{credit_file}" => ids.credit_file_of_estate[c.foreign_estate].to_string(),
            // credit: END
            // tender: BEGIN
            "{tender}" => ids.tender_of_estate[c.foreign_estate].to_string(),
            // tender: END
            "{template}" => "1".to_string(),
            "{seq}" => "1".to_string(),
            "{receipt}" => "0".repeat(64),
            "{ballot}" => "1".to_string(),
            "{user}" => other_user.to_string(),
            "{role}" | "{token}" => "1".to_string(),
            "{otype}" => "estate".to_string(),
            "{oid}" => ids.estate[c.foreign_estate].to_string(),
            "{code}" => c.foreign_region.to_string(),
            "{file}" => variant.to_string(),
            "{layout}" => "hc_rooms".to_string(),
            "{name}" => "app.css".to_string(),
            s if s.starts_with('{') => panic!("the isolation test does not know the path parameter {s} of {path}: cover it"),
            s => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Parameters that name an object the role must not reach.
fn names_object(path: &str) -> bool {
    // credit: BEGIN
    if path.contains("{credit_record}") || path.contains("{credit_file}") {
        return true;
    }
    // credit: END
    // tender: BEGIN
    if path.contains("{tender}") {
        return true;
    }
    // tender: END
    ["{estate}", "{house}", "{building}", "{contract}", "{owner}", "{enterprise}", "{user}", "{oid}", "{code}", "{vote}", "{fund_use}", "{case}", "{attachment}", "{meeting}", "{inspection}", "{hazard}", "{photo}"].iter().any(|p| path.contains(p))
}

/// Every route, for every role, against records outside the role's scope: 403 or 404 where
/// the route names such a record, never a foreign name or an ID number in clear in any
/// body (lists and exports included), and nothing written.
#[tokio::test]
async fn isolation_every_route_every_role() {
    let app = TestApp::new().await;
    let mut ids = ids(&app).await;
    ids.vote_of_estate = votes_of_estates(&app, &ids).await;
    ids.fund_use_of_estate = fund_uses_of_estates(&app, &ids).await;
    cases_of_estates(&app, &mut ids).await;
    safety_of_estates(&app, &mut ids).await;
    credit_of_estates(&app, &mut ids).await; // credit
    // tender: BEGIN
    tenders_of_estates(&app, &mut ids).await;
    // tender: END
    let public = ["/login", "/lang/{code}", "/static/{name}", "/api/openapi.json"];
    // credit-public: BEGIN
    let public: Vec<&str> = public.iter().copied().chain(["/public/credit", "/public/credit/lists", "/public/credit/lists.xlsx", "/public/credit/lists.csv", "/public/credit/{enterprise}", "/api/public/credit", "/api/public/credit/{enterprise}"]).collect();
    // credit-public: END
    for case in cases() {
        let s = app.login(case.user).await;
        for (method, path) in wuye_web::routes::ROUTES {
            if public.contains(path) || *path == "/logout" {
                continue;
            }
            let variants: Vec<&str> = if path.contains("{file}") {
                vec!["estates.csv", "houses.csv", "enterprises.csv", "contracts.csv", "coverage.csv", "assembly-fund.csv", "cases-figures.csv"]
            } else {
                vec![""]
            };
            for v in variants {
                let url = fill(path, &case, &ids, v);
                let before = (app.count("audit_log").await, app.count("estates").await, app.count("houses").await, app.count("owners").await, app.count("service_contracts").await, app.count("users").await);
                let foreign_estate_id = ids.estate[case.foreign_estate].to_string();
                let r = match *method {
                    "GET" => app.get_as(&s, &format!("{url}{}", if url.contains('?') { "" } else { "?region=" })).await,
                    "POST" if url.starts_with("/api/") => {
                        app.json_as(&s, "POST", &format!("{url}?estate_id={foreign_estate_id}"), serde_json::json!({"estate_id": ids.estate[case.foreign_estate], "enterprise_id": ids.enterprise[case.foreign_enterprise],
                            "kind": "regular", "start_date": "2026-01-01", "fee_fen_per_m2_month": 100, "fee_model": "lump_sum", "name": "x", "region_code": case.foreign_region,
                            "building_area": 100, "has_elevator": false, "management": "none", "building_no": "9", "room_no": "9", "exclusive_area": 90, "house_use": "residential", "status": "delivered"})).await
                    }
                    "POST" => {
                        app.post_as(&s, &url, &[("estate_id", foreign_estate_id.as_str()), ("enterprise_id", &ids.enterprise[case.foreign_enterprise].to_string()), ("region_code", "640205001001"),
                            ("name", "越权测试"), ("kind", "regular"), ("start_date", "2026-01-01"), ("fee", "1"), ("fee_model", "lump_sum"), ("building_area", "100"), ("management", "none"),
                            ("purpose", "测试"), ("role", "admin"), ("scope", ""), ("password", "another-password-1"), ("active", "0"), ("role_id", "1"), ("uscc", "91640104MA76ANJU1T"),
                            ("old", "x"), ("new", "y")]).await
                    }
                    m => app.json_as(&s, m, &url, serde_json::json!({"name": "x", "region_code": "640205001001", "kind": "commodity", "building_area": 100, "has_elevator": false, "management": "none",
                        "uscc": "91640104MA76ANJU1T", "building_no": "1", "room_no": "1", "exclusive_area": 90, "house_use": "residential", "status": "delivered", "floors": 3,
                        "estate_id": ids.estate[case.foreign_estate], "enterprise_id": 1, "start_date": "2026-01-01", "fee_fen_per_m2_month": 100, "fee_model": "lump_sum"})).await,
                };
                let body = r.text();
                let what = format!("{} {method} {url} → {}", case.user, r.status);
                if names_object(path) && !["/account/role"].contains(path) {
                    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{what}: expected 403 or 404; body: {}", &body[..body.len().min(400)]);
                }
                for m in case.markers.iter().chain(CLEAR_IDS.iter()) {
                    assert!(!body.contains(m), "{what}: the body shows {m:?} outside the role's scope");
                }
                let after = (app.count("audit_log").await, app.count("estates").await, app.count("houses").await, app.count("owners").await, app.count("service_contracts").await, app.count("users").await);
                if *method != "GET" && *path != "/account/password" {
                    assert_eq!((before.1, before.2, before.3, before.4, before.5), (after.1, after.2, after.3, after.4, after.5), "{what}: something was written");
                }
            }
        }
    }
}

#[tokio::test]
async fn scopes_seen_from_each_role() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    // A county regulator's dashboard is its county.
    let reg = app.login("reg_xq").await;
    let r = app.get_as(&reg, "/").await.text();
    assert!(r.contains("兴庆区 · 住宅小区物业服务覆盖率"), "{r}");
    assert!(!r.contains("银川市 · 住宅") && !r.contains("石嘴山市"));
    assert_eq!(app.get_as(&reg, "/?region=64").await.status, StatusCode::NOT_FOUND);
    let v = app.get_as(&reg, "/api/regions/640104/stats").await.json();
    assert_eq!((v["total"]["estates"].as_i64(), v["total"]["houses"].as_i64()), (Some(2), Some(7)));
    // An enterprise cannot open an estate whose contract has ended (yesterday).
    let aj = app.login("ent_aj").await;
    assert_eq!(app.get_as(&aj, &format!("/estates/{}", ids.estate["兴隆家园"])).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&aj, &format!("/estates/{}", ids.estate["崇安小区"])).await.status, StatusCode::OK);
    let list = app.get_as(&aj, "/api/estates").await.json();
    assert_eq!(list["total"], 1);
    // …but sees its own ended contract.
    assert!(app.get_as(&aj, "/contracts").await.text().contains("兴隆家园"));
    // An owner sees only their houses.
    let zw = app.login("owner_zw").await;
    let r = app.get_as(&zw, "/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/my");
    let my = app.get_as(&zw, "/my").await.text();
    assert!(my.contains("1号楼1单元101") && my.contains("1号楼1单元102"));
    let houses = app.get_as(&zw, "/api/houses").await.json();
    assert_eq!(houses["total"], 2);
    // A committee member sees its estate, masked.
    let qa = app.login("committee_qa").await;
    let h = app.get_as(&qa, &format!("/houses/{}", ids.house_of_estate["庆安花园"])).await.text();
    assert!(h.contains("640205********0049") && !h.contains("640205198808080049"));
    assert!(!h.contains("查看完整信息"), "a committee may not unmask");
}

#[tokio::test]
async fn unmasking_is_allowed_by_role_and_logged() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let ma = ids.owner["马明"];
    let reg = app.login("reg_xq").await;
    let page = app.get_as(&reg, &format!("/owners/{ma}")).await.text();
    assert!(page.contains("110105********002X") && !page.contains("11010519491231002X"));
    let audit_before = app.count("audit_log").await;
    let r = app.post_as(&reg, &format!("/owners/{ma}/reveal"), &[("purpose", "核实产权")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("11010519491231002X") && r.text().contains("13951234567"));
    assert_eq!(app.count("audit_log").await, audit_before + 1);
    let h = wuye_store::audit::history(&app.t.db, "owner", &ma.to_string(), 5).await.unwrap();
    assert_eq!(h[0].action, "unmask");
    assert!(h[0].after_json.contains("核实产权") && !h[0].after_json.contains("11010519491231002X"));
    // A purpose is required; an enterprise sees phones only; a committee nothing.
    assert_eq!(app.post_as(&reg, &format!("/owners/{ma}/reveal"), &[("purpose", "")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let aj = app.login("ent_aj").await;
    let r = app.post_as(&aj, &format!("/owners/{ma}/reveal"), &[("purpose", "上门维修")]).await.text();
    assert!(r.contains("13951234567") && !r.contains("11010519491231002X"));
    let zw = app.login("owner_zw").await;
    let own = ids.owner["张伟"];
    let r = app.post_as(&zw, &format!("/owners/{own}/reveal"), &[("purpose", "本人查看")]).await.text();
    assert!(r.contains("640106197203030037"), "an owner sees their own data");
    // Full exports only for roles that may, and logged.
    let csv = app.get_as(&reg, "/export/houses.csv?full=1").await.text();
    assert!(csv.contains("11010519491231002X"));
    assert_eq!(wuye_store::audit::recent(&app.t.db, None, 1, None).await.unwrap()[0].action, "unmask_export");
    assert!(!app.get_as(&reg, "/export/houses.csv").await.text().contains("11010519491231002X"), "masked by default");
    let qa = app.login("committee_qa").await;
    assert_eq!(app.get_as(&qa, "/export/houses.csv?full=1").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn login_throttling_sessions_csrf_and_tokens() {
    let app = TestApp::new().await;
    // Wrong passwords: the fifth locks the account; then even the right one is refused.
    let page = app.raw(Request::get("/login").body(Body::empty()).unwrap()).await;
    let token = csrf_in(&page.text()).unwrap();
    let cookie = set_cookie(&page, "wuye_login_csrf").unwrap();
    let attempt = |pw: &'static str| {
        let (token, cookie) = (token.clone(), cookie.clone());
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("wuye_login_csrf={cookie}"))
            .body(Body::from(form_body(&[("csrf", &token), ("name", "reg_xq"), ("password", pw)])))
            .unwrap()
    };
    for i in 1..=4 {
        let r = app.raw(attempt("wrong-password")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert!(r.text().contains("用户名或密码不正确"));
    }
    let r = app.raw(attempt("wrong-password")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().contains("已锁定"));
    let r = app.raw(attempt(FIXTURE_PASSWORD)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "locked even with the right password");
    // Unknown users get the same answer as wrong passwords.
    let r = app.raw(Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").header(header::COOKIE, format!("wuye_login_csrf={cookie}"))
        .body(Body::from(form_body(&[("csrf", &token), ("name", "nobody"), ("password", "x")]))).unwrap()).await;
    assert!(r.text().contains("用户名或密码不正确"));
    // A login form without its token is refused.
    let r = app.raw(Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(form_body(&[("name", "admin"), ("password", FIXTURE_PASSWORD)]))).unwrap()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A tampered or unknown session cookie is no session: pages go to the login.
    let r = app.raw(Request::get("/estates").header(header::COOKIE, format!("wuye_session={}x", app.admin.cookie)).body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.headers[header::LOCATION].to_str().unwrap().starts_with("/login?next="));
    assert_eq!(app.raw(Request::get("/api/estates").body(Body::empty()).unwrap()).await.status, StatusCode::UNAUTHORIZED);

    // A form without the CSRF token changes nothing.
    let before = app.count("estates").await;
    let r = app.raw(Request::post("/estates/new").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").header(header::COOKIE, format!("wuye_session={}", app.admin.cookie))
        .body(Body::from(form_body(&[("name", "无令牌"), ("region_code", "640104001002"), ("kind", "commodity"), ("building_area", "100"), ("management", "none")]))).unwrap()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("estates").await, before);

    // API tokens: shown once, scoped like their user, revocable.
    let sys = wuye_store::access::Access::system("test");
    let (tid, tok) = wuye_store::account::create_token(&app.t.db, &sys, "reg_xq", None, "data exchange").await.unwrap();
    let bearer = |path: &str| Request::get(path).header(header::AUTHORIZATION, format!("Bearer {tok}")).body(Body::empty()).unwrap();
    let v = app.raw(bearer("/api/estates")).await.json();
    assert_eq!(v["total"], 2, "the county's two estates");
    // (the account is locked for logins, not for its tokens)
    wuye_store::account::revoke_token(&app.t.db, &sys, tid).await.unwrap();
    let r = app.raw(bearer("/api/estates")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text().contains("吊销"));
    // Logging out ends the session.
    let s = app.login("street_fh").await;
    app.post_as(&s, "/logout", &[]).await;
    assert_eq!(app.get_as(&s, "/estates").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn writes_leave_a_verifiable_history() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let e = ids.estate["崇安小区"];
    let r = app.post_form(&format!("/estates/{e}/edit"), &[("name", "崇安小区"), ("region_code", "640104001002"), ("kind", "commodity"), ("building_area", "10500"), ("management", "enterprise"), ("has_elevator", "yes"), ("address", "兴庆区崇安巷1号"), ("year_built", "2005"), ("land_area", "4000")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let h = app.get(&format!("/history/estate/{e}")).await.text();
    assert!(h.contains("update") && h.contains("1050000") && h.contains("admin"), "{h}");
    let v = app.post_form("/admin/audit/verify", &[]).await.text();
    assert!(v.contains("审计链完整"), "{v}");
}

/// ID numbers are masked on every page, list, export and API answer a role reaches, for
/// every role, unless explicitly unmasked (which is logged).
#[tokio::test]
async fn no_id_number_in_clear_anywhere_by_default() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let mut pages: Vec<String> = vec!["/owners", "/houses", "/my", "/export/houses.csv", "/export/houses.xlsx", "/api/owners", "/api/houses", "/contracts", "/estates"].into_iter().map(String::from).collect();
    for (_, id) in ids.owner.iter() {
        pages.push(format!("/owners/{id}"));
        pages.push(format!("/api/owners/{id}"));
        pages.push(format!("/history/owner/{id}"));
    }
    for (_, id) in ids.house_of_estate.iter() {
        pages.push(format!("/houses/{id}"));
        pages.push(format!("/api/houses/{id}"));
    }
    for user in ["admin", "reg_xq", "street_fh", "dept_jf", "ent_hx", "ent_aj", "committee_qa", "owner_zw", "utility", "mediator"] {
        let s = app.login(user).await;
        for p in &pages {
            let r = app.get_as(&s, p).await;
            let body = if p.ends_with(".xlsx") && r.status == StatusCode::OK {
                wuye_ledger::read_table(&r.bytes, "房屋").map(|t| format!("{:?}", t.rows)).unwrap_or_default()
            } else {
                r.text()
            };
            for id in CLEAR_IDS {
                assert!(!body.contains(id), "{user} GET {p}: ID number {id} in clear");
            }
            assert!(!body.contains("13951234567"), "{user} GET {p}: phone in clear");
        }
    }
}

#[tokio::test]
async fn users_are_administered_and_bulk_imported() {
    let app = TestApp::new().await;
    let boundary = "UBOUNDARYU";
    let upload = |csv: &str| {
        let mut b = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"users.csv\"\r\nContent-Type: text/csv\r\n\r\n").into_bytes();
        b.extend_from_slice(csv.as_bytes());
        b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Request::post(format!("/admin/users/import?csrf={}", app.admin.csrf)).header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}")).body(Body::from(b)).unwrap()
    };
    let users = app.count("users").await;
    let bad = "登录名,姓名,角色,范围,说明,初始密码\nwang,王科长,住建监管部门,640104,兴庆区住建局,long-enough-1\nzhao,赵主任,regulator,640104001,,long-enough-2\nqian,钱,nobody,,,short\n";
    let r = app.send(upload(bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let t = r.text();
    assert!(t.contains("第 3 行「范围」") && t.contains("第 4 行「初始密码」") && t.contains("第 4 行「角色」"), "{t}");
    assert_eq!(app.count("users").await, users, "nothing imported");
    let good = "登录名,姓名,角色,范围,说明,初始密码\nwang,王科长,住建监管部门,640104,兴庆区住建局,long-enough-1\nzhao,赵主任,street,640104001,凤凰北街街道,long-enough-2\n";
    let r = app.send(upload(good)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(app.count("users").await, users + 2);
    let wang = wuye_store::account::find_user(&app.t.db, "wang").await.unwrap().unwrap();
    assert!(wang.must_change_password);
    // An administrator deactivates a user: their sessions end.
    let s = app.login("reg_xq").await;
    let id = wuye_store::account::find_user(&app.t.db, "reg_xq").await.unwrap().unwrap().id;
    assert_eq!(app.post_form(&format!("/admin/users/{id}/active"), &[("active", "0")]).await.status, StatusCode::OK);
    assert_eq!(app.get_as(&s, "/estates").await.status, StatusCode::SEE_OTHER);
    // Non-administrators cannot reach user administration.
    let st = app.login("street_fh").await;
    assert_eq!(app.get_as(&st, "/admin/users").await.status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------
// Owners' assembly votes

/// The committee drafts a vote through the form, announces it, opens it (through the
/// store on the opening day: the app's "today" is fixed 15 days earlier), an owner votes
/// online, the committee enters a paper ballot, closes and publishes; the vote page shows
/// the exact shares and the outcome per matter, and the owner's receipt.
#[tokio::test]
async fn a_vote_from_draft_to_published_results() {
    use wuye_domain::account::{Role, Scope};
    use wuye_domain::registry::{HouseInput, HouseStatus, HouseUse, OwnerInput, OwnerKind};
    let app = TestApp::new().await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let today = fixture_today();
    let estate = wuye_store::registry::find_estate(db, &sys, "640205001001", "庆安花园", today).await.unwrap().unwrap();
    // A second owner in 庆安花园: 刘洋 70.00 m² (fixture) and 赵六 50.00 m².
    let house = wuye_store::registry::create_house(db, &sys, estate, &HouseInput {
        building_no: "1".into(), unit_no: "1".into(), room_no: "102".into(), floor: Some(1), building_area: 6000, exclusive_area: 5000,
        house_use: HouseUse::Residential, status: HouseStatus::Delivered,
    }, today).await.unwrap();
    wuye_store::registry::add_house_owner(db, &sys, house, &OwnerInput { kind: OwnerKind::Person, name: "赵六".into(), id_number: None, uscc: None, phone: None }, today).await.unwrap();
    let zhao: i64 = wuye_store::on!(db, p => wuye_store::sqlx::query_scalar("SELECT id FROM owners WHERE name = '赵六'").fetch_one(p).await).unwrap();
    let liu: i64 = wuye_store::on!(db, p => wuye_store::sqlx::query_scalar("SELECT id FROM owners WHERE name = '刘洋'").fetch_one(p).await).unwrap();
    wuye_store::account::create_user(db, &sys, "owner_ly", "刘洋", FIXTURE_PASSWORD, &[(Role::Owner, Scope::Owner(liu), String::new())], false).await.unwrap();
    let committee = app.login("committee_qa").await;
    let owner = app.login("owner_ly").await;

    // The estate page links to its votes; the list offers a new vote to the committee only.
    assert!(app.get_as(&committee, &format!("/estates/{estate}")).await.text().contains(&format!("href=\"/estates/{estate}/votes\"")));
    let list = app.get_as(&committee, &format!("/estates/{estate}/votes")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text().contains("新建表决"));
    assert!(!app.get_as(&owner, &format!("/estates/{estate}/votes")).await.text().contains("新建表决"));

    // The form: an error keeps the values.
    let form = app.get_as(&committee, &format!("/estates/{estate}/votes/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("筹集建筑物及其附属设施的维修资金"), "the nine matters are offered");
    let bad = app.post_as(&committee, &format!("/estates/{estate}/votes/new"), &[("title", ""), ("opens_on", "2026-12-14"), ("closes_on", "2026-12-31"), ("kind1", "hire_manager"), ("text1", "续聘银川恒信物业")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("续聘银川恒信物业") && bad.text().contains("必填"));
    let r = app.post_as(&committee, &format!("/estates/{estate}/votes/new"), &[("title", "2026年业主大会"), ("opens_on", "2026-12-14"), ("closes_on", "2026-12-31"),
        ("kind1", "hire_manager"), ("text1", "续聘银川恒信物业"), ("kind2", "raise_fund"), ("text2", "续筹维修资金"), ("kind3", ""), ("text3", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string();
    let vote: i64 = loc.strip_prefix("/votes/").unwrap().parse().unwrap();
    let page = app.get_as(&committee, &loc).await.text();
    assert!(page.contains("草稿") && page.contains("续筹维修资金") && page.contains("/announce"));
    // A draft is the committee's: an owner of the estate does not see it, even by its link.
    assert_eq!(app.get_as(&owner, &loc).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&owner, &format!("/api/votes/{vote}")).await.status, StatusCode::NOT_FOUND);

    // Announce today; opening today is refused (15 days' notice), so open on the day.
    assert_eq!(app.post_as(&committee, &format!("/votes/{vote}/announce"), &[]).await.status, StatusCode::SEE_OTHER);
    let early = app.post_as(&committee, &format!("/votes/{vote}/open"), &[]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.text().contains("尚未到"), "{}", early.text());
    wuye_store::assembly::open(db, &sys, vote, chrono::NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()).await.unwrap();
    let page = app.get_as(&committee, &loc).await.text();
    assert!(page.contains("120.00 m²") && page.contains("投票中"), "electorate totals");

    // The owner votes online; the committee enters 赵六's paper ballot.
    let mine = app.get_as(&owner, &loc).await.text();
    assert!(mine.contains("/ballot\"") && mine.contains("网上投票"));
    let cast = app.post_as(&owner, &format!("/votes/{vote}/ballot"), &[("m1", "agree"), ("m2", "agree")]).await;
    assert_eq!(cast.status, StatusCode::OK, "{}", cast.text());
    assert!(cast.text().contains("回执码"));
    assert_eq!(app.post_as(&owner, &format!("/votes/{vote}/ballots"), &[("voter", &format!("owner:{zhao}")), ("m1", "agree")]).await.status, StatusCode::FORBIDDEN, "an owner does not enter ballots");
    let paper = app.post_as(&committee, &format!("/votes/{vote}/ballots"), &[("voter", &format!("owner:{zhao}")), ("method", "paper"), ("m1", "disagree"), ("m2", "agree")]).await;
    assert_eq!(paper.status, StatusCode::UNPROCESSABLE_ENTITY, "a paper ballot needs its scan");
    assert!(paper.text().contains("纸质表决票扫描件：未上传"), "{}", paper.text());
    let paper = app.multipart_as(&committee, &format!("/votes/{vote}/ballots"), &[("voter", &format!("owner:{zhao}")), ("method", "paper"), ("m1", "disagree"), ("m2", "agree")],
        &[("scan", "赵六.pdf", "application/pdf", SCAN_PDF)]).await;
    assert_eq!(paper.status, StatusCode::OK, "{}", paper.text());
    let proxy = app.post_as(&committee, &format!("/votes/{vote}/ballots"), &[("voter", &format!("owner:{zhao}")), ("method", "proxy"), ("authorisation", ""), ("m1", "disagree")]).await;
    assert_eq!(proxy.status, StatusCode::UNPROCESSABLE_ENTITY, "a proxy ballot needs its authorisation");

    assert!(!app.get_as(&committee, &loc).await.text().contains("计票（未公布）"), "no running count while open");
    // Close: the committee sees the count; the owner only once published.
    assert_eq!(app.post_as(&committee, &format!("/votes/{vote}/close"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(app.get_as(&committee, &loc).await.text().contains("计票（未公布）"));
    assert!(!app.get_as(&owner, &loc).await.text().contains("58.33%"));
    assert_eq!(app.post_as(&committee, &format!("/votes/{vote}/close"), &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY, "closing twice is refused on the page");
    assert_eq!(app.post_as(&committee, &format!("/votes/{vote}/publish"), &[]).await.status, StatusCode::SEE_OTHER);
    let page = app.get_as(&committee, &loc).await.text();
    // Matter 1 (ordinary, > 1/2 of those taking part): area 70/120 = 7/12 passes, heads 1/2 fails.
    for s in ["7/12", "58.33%", "1/2", "50.00%", "100.00%", "同意人数未过半数", "未通过", "通过", "《民法典》第二百七十八条"] {
        assert!(page.contains(s), "{s} on the vote page");
    }
    assert!(page.contains("已公布"));
    // One outcome badge per matter: 1 failed, 2 (special, ≥ 3/4 of those taking part) passed.
    let failed = page.find("<span class=\"badge red\">未通过</span>").expect("matter 1 failed");
    let passed = page.find("<span class=\"badge green\">通过</span>").expect("matter 2 passed");
    assert!(failed < passed && page.matches("<span class=\"badge green\">通过</span>").count() == 1);
    // The owner sees the results and their receipt, verified.
    let mine = app.get_as(&owner, &loc).await.text();
    assert!(mine.contains("我的回执") && mine.contains("与您的表决票一致") && mine.contains(&format!("/votes/{vote}/published#mine")));
    let tally = app.get_as(&owner, &format!("/votes/{vote}/published")).await.text();
    assert!(tally.contains("我的表决票") && tally.contains("完整") && tally.contains("70.00") && tally.contains("50.00"), "{tally}");
    assert_eq!(tally.matches("我的表决票").count(), 1);
    let list = app.get_as(&owner, &format!("/estates/{estate}/votes")).await.text();
    assert!(list.contains("2026年业主大会") && list.contains("100.00% · 100.00%"));

    // The API says the same.
    let v = app.get_as(&committee, &format!("/api/votes/{vote}")).await.json();
    assert_eq!(v["vote"]["state"], "published");
    assert_eq!(v["matters"].as_array().unwrap().len(), 2);
    assert_eq!(v["results"][0]["passed"], false);
    assert_eq!(v["results"][0]["agreement_area"]["ratio"], "7/12");
    assert_eq!(v["results"][1]["passed"], true);
    assert_eq!(app.get_as(&owner, &format!("/api/estates/{estate}/votes")).await.json().as_array().unwrap().len(), 1);
}

/// The API drafts a vote and takes ballots: online for an owner, paper for the committee.
#[tokio::test]
async fn the_votes_api_drafts_and_casts() {
    use wuye_domain::account::{Role, Scope};
    let app = TestApp::new().await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let estate = wuye_store::registry::find_estate(db, &sys, "640205001001", "庆安花园", fixture_today()).await.unwrap().unwrap();
    let liu: i64 = wuye_store::on!(db, p => wuye_store::sqlx::query_scalar("SELECT id FROM owners WHERE name = '刘洋'").fetch_one(p).await).unwrap();
    wuye_store::account::create_user(db, &sys, "owner_ly", "刘洋", FIXTURE_PASSWORD, &[(Role::Owner, Scope::Owner(liu), String::new())], false).await.unwrap();
    let committee = app.login("committee_qa").await;
    let owner = app.login("owner_ly").await;
    let body = serde_json::json!({"title": "API 表决", "opens_on": "2026-12-14", "closes_on": "2026-12-31", "matters": [{"kind": "use_fund", "text": "更换电梯"}]});
    assert_eq!(app.json_as(&owner, "POST", &format!("/api/estates/{estate}/votes"), body.clone()).await.status, StatusCode::FORBIDDEN);
    let r = app.json_as(&committee, "POST", &format!("/api/estates/{estate}/votes"), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let vote = r.json()["id"].as_i64().unwrap();
    let bad = app.json_as(&committee, "POST", &format!("/api/estates/{estate}/votes"), serde_json::json!({"title": "", "opens_on": "2026-12-14", "closes_on": "2026-12-31", "matters": []})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    wuye_store::assembly::announce(db, &sys, vote, fixture_today()).await.unwrap();
    wuye_store::assembly::open(db, &sys, vote, chrono::NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()).await.unwrap();
    let r = app.json_as(&owner, "POST", &format!("/api/votes/{vote}/ballots"), serde_json::json!({"choices": {"1": "agree"}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["voter"], format!("owner:{liu}"));
    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/ballots"), serde_json::json!({"method": "paper", "voter": format!("owner:{liu}"), "choices": {"1": "disagree"}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a paper ballot needs its scan");
    assert!(r.json()["message"].as_str().unwrap().contains("纸质表决票扫描件"), "{}", r.text());
    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/ballots"), serde_json::json!({"method": "paper", "voter": format!("owner:{liu}"), "choices": {"1": "disagree"},
        "scan": {"file_name": "刘洋.pdf", "content_base64": "JVBERi0xLjQKJSBiYWxsb3QKJSVFT0YK"}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let scan: (String, i64, String) = wuye_store::on!(db, p => wuye_store::sqlx::query_as("SELECT content_type, size, sha256 FROM ballot_scans WHERE ballot_id = $1")
        .bind(r.json()["ballot_id"].as_i64().unwrap()).fetch_one(p).await).unwrap();
    assert_eq!((scan.0.as_str(), scan.1), ("application/pdf", 24));
    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/ballots"), serde_json::json!({"choices": {"1": "agree"}})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "online is for owners");
    let v = app.get_as(&committee, &format!("/api/votes/{vote}")).await.json();
    assert_eq!(v["vote"]["state"], "open");
    assert!(v["results"].is_null());
}

/// A whole vote through the JSON API: draft, announce, open (on the opening day), ballots
/// (one replaced), close, publish, the exact results per matter, and receipts checked
/// against the published chain.
#[tokio::test]
async fn a_whole_vote_through_the_api() {
    use wuye_domain::account::{Role, Scope};
    use wuye_domain::registry::{HouseInput, HouseStatus, HouseUse, OwnerInput, OwnerKind};
    let mut app = TestApp::new().await;
    let db = app.t.db.clone();
    let sys = wuye_store::access::Access::system("test");
    let today = fixture_today();
    let estate = wuye_store::registry::find_estate(&db, &sys, "640205001001", "庆安花园", today).await.unwrap().unwrap();
    // 刘洋 70.00 m² (fixture) and 赵六 50.00 m².
    let house = wuye_store::registry::create_house(&db, &sys, estate, &HouseInput {
        building_no: "1".into(), unit_no: "1".into(), room_no: "102".into(), floor: Some(1), building_area: 6000, exclusive_area: 5000,
        house_use: HouseUse::Residential, status: HouseStatus::Delivered,
    }, today).await.unwrap();
    wuye_store::registry::add_house_owner(&db, &sys, house, &OwnerInput { kind: OwnerKind::Person, name: "赵六".into(), id_number: None, uscc: None, phone: None }, today).await.unwrap();
    let zhao: i64 = wuye_store::on!(&db, p => wuye_store::sqlx::query_scalar("SELECT id FROM owners WHERE name = '赵六'").fetch_one(p).await).unwrap();
    let liu: i64 = wuye_store::on!(&db, p => wuye_store::sqlx::query_scalar("SELECT id FROM owners WHERE name = '刘洋'").fetch_one(p).await).unwrap();
    wuye_store::account::create_user(&db, &sys, "owner_ly", "刘洋", FIXTURE_PASSWORD, &[(Role::Owner, Scope::Owner(liu), String::new())], false).await.unwrap();
    let committee = app.login("committee_qa").await;
    let owner = app.login("owner_ly").await;

    let r = app.json_as(&committee, "POST", &format!("/api/estates/{estate}/votes"), serde_json::json!({"title": "API 全程表决", "opens_on": "2026-12-14", "closes_on": "2026-12-31",
        "matters": [{"kind": "hire_manager", "text": "续聘银川恒信物业"}, {"kind": "raise_fund", "text": "续筹维修资金"}]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let vote = r.json()["id"].as_i64().unwrap();

    // Only the committee runs the vote.
    let r = app.json_as(&owner, "POST", &format!("/api/votes/{vote}/announce"), serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "an owner does not see a draft: {}", r.text());
    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/announce"), serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["vote"]["state"], "announced");
    assert_eq!(r.json()["vote"]["announced_on"], "2026-11-29");
    assert_eq!(app.json_as(&owner, "POST", &format!("/api/votes/{vote}/open"), serde_json::json!({})).await.status, StatusCode::FORBIDDEN);
    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/open"), serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "15 days' notice: {}", r.text());
    assert_eq!(r.json()["error"], "invalid");
    assert!(r.json()["message"].as_str().unwrap().contains("尚未到"), "{}", r.text());
    assert_eq!(app.json_as(&committee, "POST", &format!("/api/votes/{vote}/announce"), serde_json::json!({})).await.status, StatusCode::UNPROCESSABLE_ENTITY, "announcing twice");

    // The opening day.
    app.app = router(AppState::new(db.clone(), WebConfig { today: Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()), ..Default::default() }));
    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/open"), serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!((v["vote"]["state"].as_str(), v["vote"]["total_area"].as_i64(), v["vote"]["total_heads"].as_i64()), (Some("open"), Some(12000), Some(2)));
    let r = app.get_as(&committee, &format!("/api/votes/{vote}/results")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "no running count while open: {}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("投票中"));

    let r = app.json_as(&owner, "POST", &format!("/api/votes/{vote}/ballots"), serde_json::json!({"choices": {"1": "agree", "2": "agree"}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let liu_receipt = r.json()["receipt"].as_str().unwrap().to_string();
    let auth = "赵六委托刘洋代为投票（2026-12-13 书面委托书）";
    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/ballots"), serde_json::json!({"method": "proxy", "voter": format!("owner:{zhao}"), "authorisation": auth, "choices": {"1": "agree"}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let replaced = r.json()["receipt"].as_str().unwrap().to_string();
    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/ballots"), serde_json::json!({"method": "proxy", "voter": format!("owner:{zhao}"), "authorisation": auth, "choices": {"1": "disagree", "2": "agree"}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let zhao_receipt = r.json()["receipt"].as_str().unwrap().to_string();
    assert_ne!(replaced, zhao_receipt);

    // Close: the committee has the count, the owner not before publication.
    assert_eq!(app.json_as(&owner, "POST", &format!("/api/votes/{vote}/close"), serde_json::json!({})).await.status, StatusCode::FORBIDDEN);
    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/close"), serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["vote"]["state"], "closed");
    assert_eq!(r.json()["results"][0]["agreement_area"]["ratio"], "7/12");
    assert_eq!(app.json_as(&committee, "POST", &format!("/api/votes/{vote}/close"), serde_json::json!({})).await.status, StatusCode::UNPROCESSABLE_ENTITY, "closing twice");
    assert_eq!(app.get_as(&owner, &format!("/api/votes/{vote}/results")).await.status, StatusCode::FORBIDDEN);
    assert!(app.get_as(&owner, &format!("/api/votes/{vote}")).await.json()["results"].is_null());
    let r = app.get_as(&owner, &format!("/api/votes/{vote}/receipts/{liu_receipt}")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "not yet published: {}", r.text());

    let r = app.json_as(&committee, "POST", &format!("/api/votes/{vote}/publish"), serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let published = r.json();
    let r = app.get_as(&owner, &format!("/api/votes/{vote}/results")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let res = r.json();
    assert_eq!(res, published, "publish answers the results as GET results");
    assert_eq!((res["vote_id"].as_i64(), res["state"].as_str(), res["rule_set_code"].as_str()), (Some(vote), Some("published"), Some("civil_code_2021")));
    assert!(res["rule_set_name"].as_str().unwrap().contains("民法典"));
    // Matter 1, ordinary (> 1/2 of those taking part): area 70/120 = 7/12 passes, heads 1/2 fails.
    let m1 = &res["results"][0];
    assert_eq!((m1["matter_no"].as_i64(), m1["kind"].as_str(), m1["special"].as_bool()), (Some(1), Some("hire_manager"), Some(false)));
    assert_eq!(m1["totals"], serde_json::json!({"area": 12000, "heads": 2}));
    assert_eq!(m1["participation_area"], serde_json::json!({"part": 12000, "whole": 12000, "ratio": "1/1", "percent": "100.00%"}));
    assert_eq!(m1["participation_heads"], serde_json::json!({"part": 2, "whole": 2, "ratio": "1/1", "percent": "100.00%"}));
    assert_eq!(m1["agreement_area"], serde_json::json!({"part": 7000, "whole": 12000, "ratio": "7/12", "percent": "58.33%"}));
    assert_eq!(m1["agreement_heads"], serde_json::json!({"part": 1, "whole": 2, "ratio": "1/2", "percent": "50.00%"}));
    assert_eq!((m1["agreement_area_met"].as_bool(), m1["agreement_heads_met"].as_bool(), m1["passed"].as_bool()), (Some(true), Some(false), Some(false)));
    assert_eq!(m1["sums"]["disagree_area"], 5000);
    assert!(m1["agreement_rule"].to_string().contains("第二百七十八条"), "{}", m1["agreement_rule"]);
    // Matter 2, special (≥ 3/4 of those taking part): both agree.
    let m2 = &res["results"][1];
    assert_eq!((m2["kind"].as_str(), m2["special"].as_bool(), m2["passed"].as_bool()), (Some("raise_fund"), Some(true), Some(true)));
    assert_eq!(m2["agreement_area"], serde_json::json!({"part": 12000, "whole": 12000, "ratio": "1/1", "percent": "100.00%"}));
    assert_eq!(res["results"].as_array().unwrap().len(), 2);

    // Receipts: the owner's is counted, with the line as published; a replaced ballot's is not.
    let r = app.get_as(&owner, &format!("/api/votes/{vote}/receipts/{liu_receipt}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let c = r.json();
    assert_eq!((c["counted"].as_bool(), c["entries"].as_i64(), c["totals_agree"].as_bool()), (Some(true), Some(2), Some(true)));
    assert!(c["chain_broken_at"].is_null());
    assert_eq!(c["entry"]["area"], 7000);
    assert_eq!(c["entry"]["choices"], serde_json::json!({"1": "agree", "2": "agree"}));
    assert_eq!(c["head_hash"].as_str().unwrap().len(), 64);
    let c = app.get_as(&committee, &format!("/api/votes/{vote}/receipts/{}", zhao_receipt.to_uppercase())).await.json();
    assert_eq!((c["counted"].as_bool(), c["entry"]["area"].as_i64()), (Some(true), Some(5000)));
    assert_eq!(c["entry"]["choices"], serde_json::json!({"1": "disagree", "2": "agree"}));
    let c = app.get_as(&owner, &format!("/api/votes/{vote}/receipts/{replaced}")).await.json();
    assert_eq!((c["counted"].as_bool(), c["position"].is_null(), c["entry"].is_null(), c["chain_broken_at"].is_null()), (Some(false), true, true, true));
    let r = app.get_as(&owner, &format!("/api/votes/{vote}/receipts/not-a-receipt")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["message"].as_str().unwrap().contains("回执码"));
    // Another estate's owner does not reach the vote.
    let zw = app.login("owner_zw").await;
    assert_eq!(app.get_as(&zw, &format!("/api/votes/{vote}/results")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&zw, &format!("/api/votes/{vote}/receipts/{liu_receipt}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.json_as(&committee, "POST", &format!("/api/votes/{vote}/publish"), serde_json::json!({})).await.status, StatusCode::UNPROCESSABLE_ENTITY, "publishing twice");
}

/// A paper ballot is entered with the scan of the signed paper: refused without it (or with
/// a file that is not PNG, JPEG or PDF, or over 5 MB), stored with its content type, size
/// and SHA-256, and downloadable by the estate's committee and the region's regulator, not
/// by an owner nor by another estate's committee.
#[tokio::test]
async fn a_paper_ballot_carries_its_scan() {
    use wuye_domain::account::{Role, Scope};
    let app = TestApp::new().await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let today = fixture_today();
    let estate = wuye_store::registry::find_estate(db, &sys, "640205001001", "庆安花园", today).await.unwrap().unwrap();
    let liu: i64 = wuye_store::on!(db, p => wuye_store::sqlx::query_scalar("SELECT id FROM owners WHERE name = '刘洋'").fetch_one(p).await).unwrap();
    wuye_store::account::create_user(db, &sys, "owner_ly", "刘洋", FIXTURE_PASSWORD, &[(Role::Owner, Scope::Owner(liu), String::new())], false).await.unwrap();
    let other_estate = wuye_store::registry::find_estate(db, &sys, "640104001002", "崇安小区", today).await.unwrap().unwrap();
    wuye_store::account::create_user(db, &sys, "committee_ca", "崇安业委会", FIXTURE_PASSWORD, &[(Role::Committee, Scope::Estate(other_estate), String::new())], false).await.unwrap();
    let huinong = Scope::Region(wuye_domain::region::RegionCode::parse("640205").unwrap());
    wuye_store::account::create_user(db, &sys, "reg_hn", "惠农区住建局", FIXTURE_PASSWORD, &[(Role::Regulator, huinong, String::new())], false).await.unwrap();
    let v = wuye_store::assembly::NewVote {
        title: "纸质票表决".into(), rule_set_code: None,
        opens_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 14).unwrap(), closes_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        matters: vec![(wuye_domain::assembly::MatterKind::HireManager, "续聘".into())],
    };
    // Two more houses: 10号楼1单元1001 (赵六) and 2号楼1单元201, unsold (the developer's).
    use wuye_domain::registry::{HouseInput, HouseStatus, HouseUse, OwnerInput, OwnerKind};
    let house = |b: &str, r: &str, status| HouseInput { building_no: b.into(), unit_no: "1".into(), room_no: r.into(), floor: Some(1), building_area: 6000, exclusive_area: 5000,
        house_use: HouseUse::Residential, status };
    let h10 = wuye_store::registry::create_house(db, &sys, estate, &house("10", "1001", HouseStatus::Delivered), today).await.unwrap();
    wuye_store::registry::add_house_owner(db, &sys, h10, &OwnerInput { kind: OwnerKind::Person, name: "赵六".into(), id_number: None, uscc: None, phone: None }, today).await.unwrap();
    wuye_store::registry::create_house(db, &sys, estate, &house("2", "201", HouseStatus::Unsold), today).await.unwrap();
    let vote = wuye_store::assembly::create_vote(db, &sys, estate, &v, today).await.unwrap();
    wuye_store::assembly::announce(db, &sys, vote, today).await.unwrap();
    wuye_store::assembly::open(db, &sys, vote, chrono::NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()).await.unwrap();
    let committee = app.login("committee_qa").await;
    let path = format!("/votes/{vote}/ballots");
    let fields = [("voter", format!("owner:{liu}")), ("method", "paper".to_string()), ("m1", "agree".to_string())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // The form offers the file input, as a multipart form.
    let page = app.get_as(&committee, &format!("/votes/{vote}")).await.text();
    assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("name=\"scan\""), "{page}");
    // The committee picks voters by house and name, sorted by building (2 before 10), the developer last.
    let liu_opt = page.find(&format!("<option value=\"owner:{liu}\">1号楼1单元101 · 刘洋 · 70.00 m²</option>")).expect("刘洋 by house and name");
    let zhao_opt = page.find("\">10号楼1单元1001 · 赵六 · 50.00 m²</option>").expect("赵六 by house and name");
    let dev_opt = page.find("<option value=\"developer\">2号楼1单元201 · 开发建设单位 · 50.00 m²</option>").expect("the developer's unsold house");
    assert!(liu_opt < zhao_opt && zhao_opt < dev_opt, "1号楼, 10号楼, then the developer");
    // Refused, nothing written: no file, an empty file, a text file, a file over 5 MB.
    let ballots = app.count("ballots").await;
    let r = app.multipart_as(&committee, &path, &fields, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("纸质表决票扫描件：未上传或文件为空"), "{}", r.text());
    let r = app.multipart_as(&committee, &path, &fields, &[("scan", "empty.pdf", "application/pdf", &b""[..])]).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.text().contains("未上传或文件为空"));
    let r = app.multipart_as(&committee, &path, &fields, &[("scan", "note.txt", "application/pdf", &b"not a scan"[..])]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("「note.txt」不是 PNG、JPEG 或 PDF 文件"), "{}", r.text());
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(5 * 1024 * 1024 + 1, b'0');
    let r = app.multipart_as(&committee, &path, &fields, &[("scan", "big.pdf", "application/pdf", &big[..])]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("超过上限 5 MB"), "{}", r.text());
    assert_eq!(app.count("ballots").await, ballots);
    assert_eq!(app.count("ballot_scans").await, 0);

    // With a PNG scan: stored with its type, size and hash.
    let png: Vec<u8> = [&b"\x89PNG\r\n\x1a\n"[..], &[7u8; 100][..]].concat();
    let r = app.multipart_as(&committee, &path, &fields, &[("scan", "刘洋-表决票.png", "image/png", &png[..])]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("已录入投票人"));
    let (ballot, ctype, size, sha, name): (i64, String, i64, String, String) = wuye_store::on!(db, p => wuye_store::sqlx::query_as(
        "SELECT ballot_id, content_type, size, sha256, file_name FROM ballot_scans").fetch_one(p).await).unwrap();
    assert_eq!((ctype.as_str(), size, name.as_str()), ("image/png", 108, "刘洋-表决票.png"));
    let expected = wuye_store::assembly::Scan { file_name: String::new(), bytes: png.clone() }.sha256();
    assert_eq!(sha, expected);
    let page = app.get_as(&committee, &format!("/votes/{vote}")).await.text();
    assert!(page.contains("业主委员会录入的表决票") && page.contains(&format!("href=\"/votes/{vote}/ballots/{ballot}/scan\"")), "the scan is linked on the vote page");
    let history = wuye_store::assembly::ballot_history(db, &sys, vote, today).await.unwrap();
    assert_eq!((history.len(), history[0].method.as_str(), history[0].attachment_id), (1, "paper", Some(ballot)));

    // Downloads: the committee and the region's regulator; not an owner, not another estate's committee.
    let scan_url = format!("/votes/{vote}/ballots/{ballot}/scan");
    let r = app.get_as(&committee, &scan_url).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.bytes, png);
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(r.headers["x-content-sha256"], expected.as_str());
    let r = app.get_as(&app.login("reg_hn").await, &scan_url).await;
    assert_eq!(r.status, StatusCode::OK, "the regulator of the region");
    assert_eq!(r.bytes, png);
    assert_eq!(app.get_as(&app.login("reg_xq").await, &scan_url).await.status, StatusCode::NOT_FOUND, "another region's regulator");
    assert_eq!(app.get_as(&app.login("owner_ly").await, &scan_url).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_as(&app.login("committee_ca").await, &scan_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&committee, &format!("/votes/{vote}/ballots/{}/scan", ballot + 1)).await.status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------
// The maintenance fund

/// A fund use end to end in the web UI, in 崇安小区 (building 1 with elevator: 101 of 马明
/// and 杨芳, 100 m² / 80 m² exclusive; 102 of 李强, 90.5 / 75.25; 0201 sold without a
/// recorded owner, 120 / 100; building 2 without elevator: S01 unsold, 60 / 60). The county
/// regulator sets the rates and opens the accounts, deposits are recorded, interest is
/// allocated; the committee applies for building 1, puts it to the owners, the vote passes,
/// the committee approves, pays 1,000.00 元 and charges it by exclusive area (80 : 75.25 :
/// 100 → 313.42 + 294.81 + 391.77 元, largest remainder), and discloses it; each balance
/// falls by exactly its share, an owner sees the disclosure and `verify` finds nothing.
/// Then an emergency use only the street office may confirm.
#[tokio::test]
async fn a_fund_use_from_application_to_disclosure() {
    use wuye_domain::account::{Role, Scope};
    let app = TestApp::new().await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let today = fixture_today();
    let estate = wuye_store::registry::find_estate(db, &sys, "640104001002", "崇安小区", today).await.unwrap().unwrap();
    let house = |room: &'static str| async move {
        wuye_store::on!(db, p => wuye_store::sqlx::query_scalar::<_, i64>("SELECT id FROM houses WHERE estate_id = $1 AND room_no = $2").bind(estate).bind(room).fetch_one(p).await).unwrap()
    };
    let (h101, h102, h201, s01) = (house("101").await, house("102").await, house("0201").await, house("S01").await);
    let b1: i64 = wuye_store::on!(db, p => wuye_store::sqlx::query_scalar("SELECT building_id FROM houses WHERE id = $1").bind(h101).fetch_one(p).await).unwrap();
    let li: i64 = wuye_store::on!(db, p => wuye_store::sqlx::query_scalar("SELECT id FROM owners WHERE name = '李强'").fetch_one(p).await).unwrap();
    wuye_store::account::create_user(db, &sys, "committee_ca", "崇安业委会", FIXTURE_PASSWORD, &[(Role::Committee, Scope::Estate(estate), String::new())], false).await.unwrap();
    wuye_store::account::create_user(db, &sys, "owner_lq", "李强", FIXTURE_PASSWORD, &[(Role::Owner, Scope::Owner(li), String::new())], false).await.unwrap();
    let reg = app.login("reg_xq").await;
    let committee = app.login("committee_ca").await;
    let owner = app.login("owner_lq").await;
    let street = app.login("street_fh").await;

    // Rates (元/m²) and the account.
    let page = app.get_as(&committee, &format!("/estates/{estate}/fund")).await;
    assert!(page.text().contains("尚未开立维修资金账户") && !page.text().contains("开立账户</button>"), "only the housing authority opens accounts");
    let no_rate = app.post_as(&reg, &format!("/estates/{estate}/fund/open"), &[]).await;
    assert_eq!(no_rate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_rate.text().contains("未配置"), "{}", no_rate.text());
    let bad = app.post_as(&reg, "/fund/rates", &[("region_prefix", "6401"), ("elevator", "1"), ("rate", "abc"), ("effective_from", "2026-01-01")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("缴存标准"));
    let other = app.post_as(&reg, "/fund/rates", &[("region_prefix", "640106"), ("elevator", "1"), ("rate", "50"), ("effective_from", "2026-01-01")]).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(other.text().contains("本辖区以外"), "金凤区 is not 兴庆区's to set");
    for (elevator, rate) in [("1", "50.00"), ("0", "40")] {
        let r = app.post_as(&reg, "/fund/rates", &[("region_prefix", "640104"), ("elevator", elevator), ("rate", rate), ("effective_from", "2026-01-01")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    }
    assert!(app.get_as(&reg, "/fund/rates").await.text().contains("50.00"));
    let opened = app.post_as(&reg, &format!("/estates/{estate}/fund/open"), &[]).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text());
    assert!(opened.text().contains("已开立分户账：4"));
    let hh = |h: i64| {
        let reg = reg.clone();
        let app = &app;
        async move { app.get_as(&reg, &format!("/api/houses/{h}/fund")).await.json() }
    };
    // Initial deposits: building area × rate: 100 × 50, 90.5 × 50, 120 × 50, 60 × 40 元.
    assert_eq!([hh(h101).await["account"]["initial_deposit"].as_i64(), hh(h102).await["account"]["initial_deposit"].as_i64(), hh(h201).await["account"]["initial_deposit"].as_i64(), hh(s01).await["account"]["initial_deposit"].as_i64()],
        [Some(500_000), Some(452_500), Some(600_000), Some(240_000)]);

    // Deposits: 101, 102 and 0201 in full; S01 pays 500.00 元 of 2,400.00 (below 30%).
    for (h, amount, payer) in [(h101, "5000.00", "马明"), (h102, "4525", "李强"), (h201, "6000", "宁夏某房地产开发有限公司"), (s01, "500.00", "宁夏某房地产开发有限公司")] {
        let r = app.post_as(&reg, &format!("/houses/{h}/fund/deposits"), &[("amount", amount), ("payer", payer), ("date", "2026-03-01")]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.text().contains("已记录缴存"));
    }
    let r = app.post_as(&reg, &format!("/houses/{h101}/fund/deposits"), &[("amount", "-5"), ("payer", "马明")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a negative deposit is refused");
    assert_eq!(app.post_as(&committee, &format!("/houses/{h101}/fund/deposits"), &[("amount", "5"), ("payer", "马明")]).await.status, StatusCode::FORBIDDEN, "the committee does not keep the ledger");
    assert!(hh(s01).await["top_up_due"].as_bool().unwrap());
    assert_eq!(hh(s01).await["top_up_amount"], 190_000);
    let page = app.get_as(&reg, &format!("/estates/{estate}/fund?below=1")).await.text();
    assert!(page.contains("16025.00") && page.contains("应续交") && page.contains("S01"), "balance 5000 + 4525 + 6000 + 500 元; S01 below 30%");
    // Interest 100.00 元 by balance; the parts sum to the total.
    let r = app.post_as(&reg, &format!("/estates/{estate}/fund/interest"), &[("total", "100.00"), ("date", "2026-06-21")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("16125.00"));

    // The committee applies for building 1.
    assert_eq!(app.get_as(&owner, &format!("/estates/{estate}/fund/uses/new")).await.status, StatusCode::FORBIDDEN);
    let form = app.get_as(&committee, &format!("/estates/{estate}/fund/uses/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains(&format!("name=\"b_{b1}\"")) && form.text().contains("电梯故障危及人身安全"));
    let bad = app.post_as(&committee, &format!("/estates/{estate}/fund/uses/new"), &[("project", "1号楼电梯更换"), ("budget", "三万")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("1号楼电梯更换"), "the form keeps what was entered");
    let b1_key = format!("b_{b1}");
    let r = app.post_as(&committee, &format!("/estates/{estate}/fund/uses/new"), &[("project", "1号楼电梯更换"), ("budget", "30000.00"), (b1_key.as_str(), "1"), ("emergency", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let use_url = r.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string();
    let use_id: i64 = use_url.strip_prefix("/fund-uses/").unwrap().parse().unwrap();
    let page = app.get_as(&committee, &use_url).await.text();
    assert!(page.contains("申请") && page.contains("255.25") && page.contains("提交业主表决") && !page.contains("S01"), "scope: building 1, 80 + 75.25 + 100 m²");

    // The owners of the houses in scope vote (Art 278 ¶1 item 5).
    let r = app.post_as(&committee, &format!("{use_url}/vote"), &[("opens_on", "2026-12-14"), ("closes_on", "2026-12-31")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let vote: i64 = r.headers.get(header::LOCATION).unwrap().to_str().unwrap().strip_prefix("/votes/").unwrap().parse().unwrap();
    assert_eq!(app.post_as(&committee, &format!("/votes/{vote}/announce"), &[]).await.status, StatusCode::SEE_OTHER);
    wuye_store::assembly::open(db, &sys, vote, chrono::NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()).await.unwrap();
    let electorate = wuye_store::assembly::electorate(db, &sys, vote, today).await.unwrap();
    assert_eq!((electorate.voters.len(), electorate.totals.area), (3, 25_525), "马明 and 杨芳 one voter, 李强, the developer for 0201");
    for v in &electorate.voters {
        let method = wuye_store::assembly::Method::Proxy { voter: v.id, authorisation: "业主书面委托书（2026-12-15）".into() };
        let choices = [(1u32, wuye_domain::assembly::Choice::Agree)].into_iter().collect();
        wuye_store::assembly::cast(db, &sys, vote, &method, &choices, chrono::NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()).await.unwrap();
    }
    assert_eq!(app.post_as(&committee, &format!("{use_url}/decide"), &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY, "no decision before the result is published");
    assert_eq!(app.post_as(&committee, &format!("/votes/{vote}/close"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.post_as(&committee, &format!("/votes/{vote}/publish"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.post_as(&committee, &format!("{use_url}/decide"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(app.get_as(&committee, &use_url).await.text().contains("表决通过"));

    // Pay 1,000.00 元 (over budget refused), then charge by exclusive area.
    let over = app.post_as(&committee, &format!("{use_url}/pay"), &[("amount", "30000.01"), ("contractor", "宁夏快捷电梯工程有限公司")]).await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(over.text().contains("不超过预算"));
    assert_eq!(app.post_as(&committee, &format!("{use_url}/pay"), &[("amount", "1000.00"), ("contractor", "宁夏快捷电梯工程有限公司")]).await.status, StatusCode::SEE_OTHER);
    let before: Vec<i64> = futures_balances(&app, &reg, &[h101, h102, h201, s01]).await;
    assert_eq!(app.post_as(&committee, &format!("{use_url}/charge"), &[]).await.status, StatusCode::SEE_OTHER);
    let after: Vec<i64> = futures_balances(&app, &reg, &[h101, h102, h201, s01]).await;
    let moved: Vec<i64> = before.iter().zip(&after).map(|(b, a)| b - a).collect();
    assert_eq!(moved, vec![31_342, 29_481, 39_177, 0], "100,000 fen × 80 / 75.25 / 100 of 255.25 m², largest remainder");
    let page = app.get_as(&committee, &use_url).await.text();
    assert!(page.contains("313.42") && page.contains("294.81") && page.contains("391.77") && page.contains("1000.00") && page.contains("已列支"));
    assert_eq!(app.post_as(&committee, &format!("{use_url}/charge"), &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY, "charged once only");
    assert_eq!(app.post_as(&committee, &format!("{use_url}/disclose"), &[]).await.status, StatusCode::SEE_OTHER);
    let u = app.get_as(&committee, &format!("/api/fund-uses/{use_id}")).await.json();
    assert_eq!(u["use"]["state"], "disclosed");
    assert_eq!(u["houses"].as_array().unwrap().iter().map(|h| h["share"].as_i64().unwrap()).sum::<i64>(), 100_000);

    // The owner sees the disclosure: the use, each room's share, their own statement; not
    // the names of the other households.
    let d = app.get_as(&owner, &format!("/estates/{estate}/fund/disclosure?year=2026")).await;
    assert_eq!(d.status, StatusCode::OK);
    let d = d.text();
    assert!(d.contains("1号楼电梯更换") && d.contains("294.81") && d.contains("313.42") && d.contains("我的分户账") && d.contains("宁夏快捷电梯工程有限公司"), "{d}");
    assert!(!d.contains("马明"), "another household's owner is not named");
    let mine = app.get_as(&owner, &format!("/houses/{h102}/fund")).await.text();
    assert!(mine.contains("-294.81") && mine.contains("使用列支"));
    assert_eq!(app.get_as(&owner, &format!("/houses/{h101}/fund")).await.status, StatusCode::NOT_FOUND, "another's household account");

    // Exports.
    let x = app.get_as(&reg, &format!("/estates/{estate}/fund/export/households.csv")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.text().contains("4525.00") && x.text().contains("S01"));
    let x = app.get_as(&reg, &format!("/estates/{estate}/fund/export/statements.xlsx?year=2026")).await;
    assert_eq!((x.status, &x.bytes[..2]), (StatusCode::OK, &b"PK"[..]));
    let x = app.get_as(&reg, &format!("/estates/{estate}/fund/export/entries.csv?year=2026")).await.text();
    assert!(x.contains("-313.42") && x.contains("增值收益") && x.contains("缴存"));

    // Emergency: S01's building; the committee cannot confirm, the street office does.
    let b2 = format!("b_{}", wuye_store::on!(db, p => wuye_store::sqlx::query_scalar::<_, i64>("SELECT building_id FROM houses WHERE id = $1").bind(s01).fetch_one(p).await).unwrap());
    let r = app.post_as(&committee, &format!("/estates/{estate}/fund/uses/new"), &[("project", "2号楼排水管爆裂抢修"), ("budget", "300"), (b2.as_str(), "1"), ("emergency", "drainage_failure")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let em = r.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string();
    assert!(!app.get_as(&committee, &em).await.text().contains("确认紧急情况</button>"));
    let no = app.post_as(&committee, &format!("{em}/confirm"), &[]).await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);
    assert!(no.text().contains("街道办事处或社区居委会确认"));
    assert!(app.get_as(&street, &em).await.text().contains("确认紧急情况</button>"));
    assert_eq!(app.post_as(&street, &format!("{em}/confirm"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.post_as(&committee, &format!("{em}/pay"), &[("amount", "300"), ("contractor", "银川市政管道维修队")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.post_as(&committee, &format!("{em}/charge"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.post_as(&committee, &format!("{em}/disclose"), &[]).await.status, StatusCode::SEE_OTHER);
    let d = app.get_as(&owner, &format!("/estates/{estate}/fund/disclosure")).await.text();
    assert!(d.contains("2号楼排水管爆裂抢修") && d.contains("应急程序") && d.contains("street_fh"));

    let (checked, mismatches) = wuye_store::fund::verify(db).await.unwrap();
    assert!(mismatches.is_empty(), "{mismatches:?}");
    assert_eq!(checked.households, 4);
}

/// The balances (fen) of household accounts, through the API.
async fn futures_balances(app: &TestApp, s: &Session, houses: &[i64]) -> Vec<i64> {
    let mut out = Vec::new();
    for h in houses {
        out.push(app.get_as(s, &format!("/api/houses/{h}/fund")).await.json()["account"]["balance"].as_i64().unwrap());
    }
    out
}

/// The fund through the API: rates, opening, a deposit, the account and statements, an
/// emergency use's steps; errors name the field.
#[tokio::test]
async fn the_fund_through_the_api() {
    let app = TestApp::new().await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let estate = wuye_store::registry::find_estate(db, &sys, "640104001003", "兴隆家园", fixture_today()).await.unwrap().unwrap();
    let reg = app.login("reg_xq").await;
    let r = app.json_as(&reg, "POST", "/api/fund/rates", serde_json::json!({"region_prefix": "640104", "elevator": false, "fen_per_m2": 3000, "effective_from": "2026-01-01"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()[0]["fen_per_m2"], 3000);
    let r = app.json_as(&reg, "POST", &format!("/api/estates/{estate}/fund"), serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["households"], 3);
    assert_eq!(app.json_as(&reg, "POST", &format!("/api/estates/{estate}/fund"), serde_json::json!({})).await.status, StatusCode::CONFLICT);
    let houses = app.get_as(&reg, &format!("/api/estates/{estate}/fund/households")).await.json();
    let h = houses[0]["house_id"].as_i64().unwrap();
    let due = houses[0]["initial_deposit"].as_i64().unwrap();
    let r = app.json_as(&reg, "POST", &format!("/api/houses/{h}/fund/deposits"), serde_json::json!({"amount": 0, "payer": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("缴存金额"));
    let r = app.json_as(&reg, "POST", &format!("/api/houses/{h}/fund/deposits"), serde_json::json!({"amount": due, "payer": "业主", "date": "2026-02-01"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let acct = app.get_as(&reg, &format!("/api/estates/{estate}/fund?year=2026")).await.json();
    assert_eq!(acct["account"]["balance"].as_i64(), Some(due));
    assert_eq!(acct["statement"]["deposits"].as_i64(), Some(due));
    assert_eq!(acct["account"]["below_threshold"], 2, "the two houses without deposits");
    let st = app.get_as(&reg, &format!("/api/estates/{estate}/fund/statements?year=2026")).await.json();
    assert_eq!(st["households"].as_array().unwrap().iter().map(|x| x["statement"]["closing"].as_i64().unwrap()).sum::<i64>(), due);
    let below = app.get_as(&reg, &format!("/api/estates/{estate}/fund/households?below=true")).await.json();
    assert_eq!(below.as_array().unwrap().len(), 2);
    // The regulator does not apply for uses; a bad emergency kind is a 422.
    let r = app.json_as(&app.admin, "POST", &format!("/api/estates/{estate}/fund-uses"), serde_json::json!({"project": "抢修", "budget": 100, "house_ids": [h], "emergency": "earthquake"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.json_as(&reg, "POST", &format!("/api/estates/{estate}/fund-uses"), serde_json::json!({"project": "抢修", "budget": 100, "house_ids": [h]})).await.status, StatusCode::FORBIDDEN);
    let r = app.json_as(&app.admin, "POST", &format!("/api/estates/{estate}/fund-uses"), serde_json::json!({"project": "屋面漏水抢修", "budget": 100, "house_ids": [h], "emergency": "roof_wall_leak"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(app.json_as(&app.admin, "POST", &format!("/api/fund-uses/{id}/vote"), serde_json::json!({"opens_on": "2026-12-14", "closes_on": "2026-12-31"})).await.status, StatusCode::UNPROCESSABLE_ENTITY, "an emergency is not voted on");
    assert_eq!(app.json_as(&app.admin, "POST", &format!("/api/fund-uses/{id}/confirm"), serde_json::json!({})).await.json()["state"], "confirmed");
    assert_eq!(app.json_as(&app.admin, "POST", &format!("/api/fund-uses/{id}/pay"), serde_json::json!({"amount": 100, "contractor": "防水公司"})).await.json()["state"], "paid");
    let parts = app.json_as(&app.admin, "POST", &format!("/api/fund-uses/{id}/charge"), serde_json::json!({})).await.json();
    assert_eq!(parts[0]["amount"], -100);
    assert_eq!(app.json_as(&app.admin, "POST", &format!("/api/fund-uses/{id}/disclose"), serde_json::json!({})).await.json()["state"], "disclosed");
    let hh = app.get_as(&reg, &format!("/api/houses/{h}/fund")).await.json();
    assert_eq!(hh["account"]["balance"].as_i64(), Some(due - 100));
    assert_eq!(hh["entries"].as_array().unwrap().len(), 2);
}

/// The committee records the covenant and the committee on the assembly page; the size
/// and term rules are the store's (5–11, odd, one director, ≤ 5 years); others only read.
#[tokio::test]
async fn assembly_records_covenant_and_committee() {
    let app = TestApp::new().await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let estate = wuye_store::registry::find_estate(db, &sys, "640205001001", "庆安花园", fixture_today()).await.unwrap().unwrap();
    let committee = app.login("committee_qa").await;
    let page = app.get_as(&committee, &format!("/estates/{estate}/assembly")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("尚未登记管理规约") && page.text().contains("登记业主委员会"));
    // A silent-vote clause needs its article.
    let r = app.post_as(&committee, &format!("/estates/{estate}/assembly/covenant"), &[("rule_set", "civil_code_2021"), ("silent_vote", "1"), ("silent_clause", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("沉默票条款"));
    let r = app.post_as(&committee, &format!("/estates/{estate}/assembly/covenant"), &[("rule_set", "civil_code_2021"), ("silent_vote", "1"), ("silent_clause", "管理规约第十二条：未参与表决的业主视为同意多数意见"), ("covenant_filed_on", "2026-03-01")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // Four members is too few and even; six lines with two directors is refused too.
    let four = "张一，主任\n张二，副主任\n张三\n张四";
    let r = app.post_as(&committee, &format!("/estates/{estate}/assembly/committee"), &[("term_start", "2026-01-01"), ("term_end", "2030-12-31"), ("members", four)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("张四"), "the form keeps the members");
    let long = "张一，主任\n张二，副主任\n张三\n张四\n张五";
    let r = app.post_as(&committee, &format!("/estates/{estate}/assembly/committee"), &[("term_start", "2026-01-01"), ("term_end", "2031-06-30"), ("members", long)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a term over 5 years");
    let r = app.post_as(&committee, &format!("/estates/{estate}/assembly/committee"), &[("term_start", "2026-01-01"), ("term_end", "2030-12-31"), ("members", long), ("committee_filed_on", "2026-02-01")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app.get_as(&committee, &format!("/estates/{estate}/assembly")).await.text();
    assert!(page.contains("管理规约第十二条") && page.contains("已备案") && page.contains("2030-12-31") && page.contains("张五"));
    // The regulator reads, through the API too; it does not write.
    let reg = app.login("admin").await;
    let v = app.get_as(&reg, &format!("/api/estates/{estate}/assembly")).await.json();
    assert_eq!(v["covenant"]["silent_vote"], true);
    assert_eq!(v["committee"]["members"].as_array().unwrap().len(), 5);
    assert_eq!(v["committee"]["members"][0]["position"], "director");
    let bad = app.json_as(&committee, "POST", &format!("/api/estates/{estate}/committees"), serde_json::json!({"term_start": "2026-01-01", "term_end": "2030-12-31", "members": [{"name": "甲", "position": "member"}]})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let owner = app.login("owner_zw").await;
    assert_eq!(app.get_as(&owner, &format!("/estates/{estate}/assembly")).await.status, StatusCode::NOT_FOUND, "another estate's");
}

// ---------------------------------------------------------------------------------------
// Cases: joint-conference matters, referrals, dispute mediation

/// Organisations of the case tests and their members (set up through the store).
struct CaseOrgs {
    housing: i64,
    dept1: i64,
    dept2: i64,
    mediation: i64,
}

async fn case_orgs(app: &TestApp) -> CaseOrgs {
    use wuye_domain::account::{Role, Scope};
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let region = |c: &str| Scope::Region(wuye_domain::region::RegionCode::parse(c).unwrap());
    let org = |kind: &'static str, name: &'static str, code: &'static str| {
        let sys = sys.clone();
        async move { wuye_store::cases::create_organisation(db, &sys, kind, name, code, "0951-0000000").await.unwrap() }
    };
    let housing = org("housing", "兴庆区住房和城乡建设局", "640104000000").await;
    let dept1 = org("urban_management", "兴庆区综合执法局", "640104000000").await;
    let dept2 = org("greening", "兴庆区园林局", "640104000000").await;
    let far = org("urban_management", "惠农区综合执法局", "640205000000").await;
    let mediation = org("mediation", "金凤区满春园社区人民调解委员会", "640106001000").await;
    let street = org("street", "金凤区满城北街街道办事处", "640106001000").await;
    wuye_store::account::create_user(db, &sys, "dept_yl", "园林局", FIXTURE_PASSWORD, &[(Role::Department, region("640104"), String::new())], false).await.unwrap();
    wuye_store::account::create_user(db, &sys, "dept_hn", "惠农执法局", FIXTURE_PASSWORD, &[(Role::Department, region("640205"), String::new())], false).await.unwrap();
    for (o, u) in [(housing, "reg_xq"), (dept1, "dept_jf"), (dept2, "dept_yl"), (far, "dept_hn"), (mediation, "mediator"), (street, "street_fh")] {
        wuye_store::cases::add_member(db, &sys, o, u).await.unwrap();
    }
    CaseOrgs { housing, dept1, dept2, mediation }
}

async fn case_state(app: &TestApp, id: i64) -> (String, usize) {
    let sys = wuye_store::access::Access::system("test");
    let c = wuye_store::cases::get(&app.t.db, &sys, id, fixture_today()).await.unwrap();
    let n = wuye_store::cases::timeline(&app.t.db, &sys, id, fixture_today()).await.unwrap().len();
    (c.state, n)
}

/// The id in a `Location: /cases/{id}` or the last case of a meeting.
async fn last_case(app: &TestApp) -> i64 {
    wuye_store::on!(&app.t.db, p => wuye_store::sqlx::query_scalar::<_, i64>("SELECT MAX(id) FROM cases").fetch_one(p).await).unwrap()
}

#[tokio::test]
async fn a_matter_from_meeting_to_confirmation() {
    let app = TestApp::new().await;
    let orgs = case_orgs(&app).await;
    let reg = app.login("reg_xq").await;
    let dept = app.login("dept_jf").await;
    let dept2 = app.login("dept_yl").await;
    let far = app.login("dept_hn").await;
    let (d1, d2) = (orgs.dept1.to_string(), orgs.dept2.to_string());

    // The meeting, with two attending departments.
    let r = app
        .post_as(&reg, "/meetings/new", &[("convener_org_id", &orgs.housing.to_string()), ("title", "2026年第4次物业管理联席会议"), ("held_on", "2026-11-27"), ("place", "兴庆区政务中心"), ("chair", "王局长"),
            ("agenda", "消防通道整治"), (&format!("att_{d1}"), "1"), (&format!("who_{d1}"), "李科长"), (&format!("att_{d2}"), "1"), ("decisions", "一、整治消防通道")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let meeting = r.headers[header::LOCATION].to_str().unwrap().trim_start_matches("/meetings/").parse::<i64>().unwrap();
    let page = app.get_as(&reg, &format!("/meetings/{meeting}")).await;
    assert!(page.text().contains("李科长") && page.text().contains("派单"), "{}", page.text());

    // Refusals at dispatch: the mediation committee is not a department; a past deadline.
    let new = format!("/meetings/{meeting}/matters/new");
    let before = app.count("cases").await;
    let r = app.multipart_as(&reg, &new, &[("title", "清理消防通道"), ("holder_org_id", &orgs.mediation.to_string()), ("deadline", "2026-12-18")], &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("不是职能部门"), "{}", r.text());
    assert!(r.text().contains("清理消防通道"), "the entered title is kept");
    let r = app.multipart_as(&reg, &new, &[("title", "清理消防通道"), ("holder_org_id", &d1), ("deadline", "2026-11-01")], &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("期限：应晚于今天（2026-11-29）"), "{}", r.text());
    assert!(r.text().contains("<div class=\"err\">期限：应晚于今天"), "the error is next to the field");
    let r = app.multipart_as(&reg, &new, &[("title", "清理消防通道"), ("holder_org_id", &d1), ("deadline", "2026-12-18")], &[("files", "run.exe", "application/octet-stream", b"MZ\x90\x00")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("不是文档或图片"), "{}", r.text());
    assert_eq!(app.count("cases").await, before, "nothing opened");

    // Matter A: dispatched with a document.
    let r = app.multipart_as(&reg, &new, &[("title", "清理消防通道"), ("description", "崇安小区消防通道被占"), ("holder_org_id", &d1), (&format!("helper_{d2}"), "1"), ("deadline", "2026-12-18")], &[("files", "会议纪要.pdf", "application/pdf", SCAN_PDF)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let a = last_case(&app).await;
    // Matter B.
    let r = app.multipart_as(&reg, &new, &[("title", "补植绿地"), ("holder_org_id", &d1), ("deadline", "2026-12-18")], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let b = last_case(&app).await;

    // A department of another county does not see it.
    assert_eq!(app.get_as(&far, &format!("/cases/{a}")).await.status, StatusCode::NOT_FOUND);

    // The department's inbox and the case page with its step forms and the attachment.
    let inbox = app.get_as(&dept, "/cases/inbox").await;
    assert!(inbox.text().contains("清理消防通道") && inbox.text().contains("补植绿地"), "{}", inbox.text());
    let page = app.get_as(&dept, &format!("/cases/{a}")).await.text();
    assert!(page.contains("value=\"accept\"") && page.contains("value=\"return\"") && !page.contains("value=\"confirm\""), "{page}");
    assert!(page.contains("会议纪要.pdf") && page.contains("/cases/attachments/"));
    let att: i64 = wuye_store::on!(&app.t.db, p => wuye_store::sqlx::query_scalar::<_, i64>("SELECT id FROM case_attachments WHERE case_id = $1").bind(a).fetch_one(p).await).unwrap();
    let f = app.get_as(&dept, &format!("/cases/attachments/{att}")).await;
    assert_eq!((f.status, f.bytes.as_slice()), (StatusCode::OK, SCAN_PDF));
    assert_eq!(app.get_as(&far, &format!("/cases/attachments/{att}")).await.status, StatusCode::NOT_FOUND);

    // Out of order: the convener cannot confirm before acceptance; nothing changes.
    let step = |id: i64| format!("/cases/{id}/step");
    let before = case_state(&app, a).await;
    let r = app.multipart_as(&reg, &step(a), &[("action", "confirm")], &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("「确认办结」不能在「已派单待签收」状态下进行，须在「已报结待确认」状态下"), "{}", r.text());
    assert_eq!(case_state(&app, a).await, before);
    // A plain-text attachment is refused, and so is the step it came with.
    let r = app.multipart_as(&dept, &step(a), &[("action", "accept"), ("note", "收到")], &[("files", "notes.txt", "text/plain", b"hello")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("附件「notes.txt」：不是文档或图片"), "{}", r.text());
    assert!(r.text().contains(">收到</textarea>"), "the note is kept");
    assert_eq!(case_state(&app, a).await, before);

    // Accept → progress → report → confirm.
    for (who, action, note) in [(&dept, "accept", ""), (&dept, "progress", "已约谈物业企业，限期清理"), (&dept, "report", "消防通道已清理完毕"), (&reg, "confirm", "")] {
        let r = app.multipart_as(who, &step(a), &[("action", action), ("note", note)], &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.text());
    }
    let (st, n) = case_state(&app, a).await;
    assert_eq!((st.as_str(), n), ("confirmed", 5));
    let sys = wuye_store::access::Access::system("test");
    let steps: Vec<String> = wuye_store::cases::timeline(&app.t.db, &sys, a, fixture_today()).await.unwrap().into_iter().map(|s| s.action).collect();
    assert_eq!(steps, ["dispatch", "accept", "progress", "report", "confirm"]);
    let page = app.get_as(&reg, &format!("/cases/{a}")).await.text();
    assert!(page.contains("已办结") && page.contains("badge green") && page.contains("消防通道已清理完毕"), "{page}");

    // Matter B: returned with reasons, re-dispatched to another department, accepted.
    let r = app.multipart_as(&dept, &step(b), &[("action", "return"), ("note", "")], &[]).await;
    assert!(r.text().contains("退回理由：不能为空"), "{}", r.text());
    let r = app.multipart_as(&dept, &step(b), &[("action", "return"), ("note", "绿地养护属园林部门职责")], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(case_state(&app, b).await.0, "returned");
    let page = app.get_as(&reg, &format!("/cases/{b}")).await.text();
    assert!(page.contains("value=\"redispatch\"") && page.contains("兴庆区园林局"), "{page}");
    let r = app.multipart_as(&reg, &step(b), &[("action", "redispatch"), ("holder_org_id", &d2), ("deadline", "2026-12-31")], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = app.multipart_as(&dept2, &step(b), &[("action", "accept")], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(case_state(&app, b).await, ("accepted".to_string(), 4));

    // The meeting lists its matters with their state; the xlsx and the filtered list.
    let page = app.get_as(&reg, &format!("/meetings/{meeting}")).await.text();
    assert!(page.contains("已办结") && page.contains("办理中"), "{page}");
    let x = app.get_as(&reg, &format!("/meetings/{meeting}/matters.xlsx")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.bytes.starts_with(b"PK"));
    let list = app.get_as(&reg, "/cases?kind=matter&status=closed").await.text();
    assert!(list.contains("清理消防通道") && !list.contains("补植绿地"), "{list}");
    let csv = app.get_as(&reg, "/cases/export.csv?kind=matter&status=closed").await.text();
    assert!(csv.contains("清理消防通道") && !csv.contains("补植绿地"), "{csv}");
    let csv = app.get_as(&reg, "/cases/export.csv?q=%E7%BB%BF%E5%9C%B0").await.text();
    assert!(!csv.contains("清理消防通道") && csv.contains("补植绿地"), "the export follows the search: {csv}");
    let list = app.get_as(&reg, "/cases?q=%E7%BB%BF%E5%9C%B0").await.text();
    assert!(!list.contains("清理消防通道") && list.contains("补植绿地"), "{list}");
}

#[tokio::test]
async fn a_dispute_from_intake_to_agreement() {
    let app = TestApp::new().await;
    case_orgs(&app).await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let owner = app.login("owner_zw").await;
    let mediator = app.login("mediator").await;
    let estate = wuye_store::registry::find_estate(db, &sys, "640106001003", "满春园小区", fixture_today()).await.unwrap().unwrap();
    let firm: i64 = wuye_store::on!(db, p => wuye_store::sqlx::query_scalar::<_, i64>("SELECT enterprise_id FROM service_contracts WHERE estate_id = $1 LIMIT 1").bind(estate).fetch_one(p).await).unwrap();
    let liu: i64 = wuye_store::on!(db, p => wuye_store::sqlx::query_scalar::<_, i64>("SELECT id FROM owners WHERE name = '刘洋'").fetch_one(p).await).unwrap();

    // The owner's page links to the forms; the phone form names the owner as applicant.
    let my = app.get_as(&owner, "/my").await.text();
    assert!(my.contains("/my/cases"), "{my}");
    let mine = app.get_as(&owner, "/my/cases").await.text();
    assert!(mine.contains(&format!("/estates/{estate}/disputes/new")), "{mine}");
    let form = app.get_as(&owner, &format!("/estates/{estate}/disputes/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("张伟") && form.text().contains("业主本人") && form.text().contains("class=\"phone\""), "{}", form.text());

    // A respondent who is not an owner of the estate is refused; nothing is opened.
    let path = format!("/estates/{estate}/disputes/new");
    let r = app.multipart_as(&owner, &path, &[("category", "owner_owner"), ("title", "楼上漏水"), ("description", "漏水损坏天花板，请求赔偿"), ("respondent_kind", "owner"), ("respondent_owner", &liu.to_string())], &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("不是本小区的业主"), "{}", r.text());
    assert_eq!(app.count("cases").await, 0);

    // Applied against the enterprise.
    let r = app.multipart_as(&owner, &path, &[("category", "owner_enterprise"), ("title", "物业费争议"), ("description", "电梯长期停运，请求减免物业费"), ("respondent_kind", "enterprise"), ("respondent_firm", &firm.to_string())], &[("files", "照片.png", "image/png", b"\x89PNG\r\n\x1a\n0000")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let id = last_case(&app).await;
    assert!(app.get_as(&owner, "/my/cases").await.text().contains("物业费争议"));

    // Acceptance without both consents is refused, naming Art 17.
    let step = format!("/cases/{id}/step");
    let page = app.get_as(&mediator, &format!("/cases/{id}")).await.text();
    assert!(page.contains("name=\"consent_1\"") && page.contains("name=\"consent_2\""), "{page}");
    let r = app.multipart_as(&mediator, &step, &[("action", "accept"), ("consent_1", "1")], &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("人民调解法第十七条"), "{}", r.text());
    assert_eq!(case_state(&app, id).await, ("applied".to_string(), 1));
    for (action, extra) in [("accept", vec![("consent_1", "1"), ("consent_2", "1")]), ("notify", vec![]), ("session", vec![("note", "第一次调解：双方陈述")]), ("session", vec![("note", "第二次调解：达成一致")])] {
        let mut f = vec![("action", action)];
        f.extend(extra);
        let r = app.multipart_as(&mediator, &step, &f, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.text());
    }
    let r = app
        .multipart_as(&mediator, &step, &[("action", "agree"), ("facts", "电梯停运三个月"), ("terms", "企业减免三个月物业费的30%"), ("performance", "下期账单中抵扣"), ("performance_deadline", "2026-12-31"),
            ("signed_by_parties", "1"), ("signed_by_mediator", "1"), ("effective_on", "2026-11-29")], &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(case_state(&app, id).await, ("agreed".to_string(), 6));
    // Effective 29 Nov (the day of the last session) → apply for judicial confirmation by 29 Dec (30 days).
    let page = app.get_as(&owner, &format!("/cases/{id}")).await.text();
    assert!(page.contains("申请司法确认截止 2026-12-29"), "{page}");
    assert!(page.contains("协议生效后30日内，人民调解法第三十三条"));
    // The owner rates the mediation; the mediator records the joint application.
    let r = app.post_as(&owner, &format!("/cases/{id}/rate"), &[("seq", "1"), ("satisfaction", "5")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app.post_as(&mediator, &format!("/cases/{id}/agreement"), &[("event", "judicial_applied"), ("date", "2026-11-29")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(app.get_as(&owner, &format!("/cases/{id}")).await.text().contains("已申请司法确认 2026-11-29"));
}

#[tokio::test]
async fn a_referral_goes_to_the_competent_department() {
    let app = TestApp::new().await;
    let orgs = case_orgs(&app).await;
    let sys = wuye_store::access::Access::system("test");
    let street = app.login("street_fh").await;
    let reg = app.login("reg_xq").await;
    let dept = app.login("dept_jf").await;
    let estate = wuye_store::registry::find_estate(&app.t.db, &sys, "640104001002", "崇安小区", fixture_today()).await.unwrap().unwrap();
    let path = format!("/estates/{estate}/referrals/new");
    assert_eq!(app.get_as(&street, &path).await.status, StatusCode::OK);
    let r = app.multipart_as(&street, &path, &[("category", "fire_lane"), ("title", "5号楼前消防通道被占用"), ("description", "私家车长期停放")], &[("files", "现场.jpg", "image/jpeg", b"\xFF\xD8\xFF\xE0jpeg")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let id = last_case(&app).await;
    // The housing department refers it; the competent departments are proposed first.
    let page = app.get_as(&reg, &format!("/cases/{id}")).await.text();
    assert!(page.contains("value=\"refer\"") && page.contains("value=\"dismiss\""), "{page}");
    let (urban, greening) = (page.find("兴庆区综合执法局").unwrap(), page.find("兴庆区园林局").unwrap());
    assert!(urban < greening, "urban management is competent for a fire lane");
    let step = format!("/cases/{id}/step");
    let r = app.multipart_as(&reg, &step, &[("action", "refer"), ("holder_org_id", &orgs.mediation.to_string())], &[]).await;
    assert!(r.text().contains("不是职能部门"), "{}", r.text());
    let r = app.multipart_as(&reg, &step, &[("action", "refer"), ("holder_org_id", &orgs.dept1.to_string())], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    for (action, note) in [("accept", ""), ("handle", "已责令车主挪车并处罚款200元")] {
        let r = app.multipart_as(&dept, &step, &[("action", action), ("note", note)], &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.text());
    }
    assert_eq!(case_state(&app, id).await, ("handled".to_string(), 4));
    let page = app.get_as(&street, &format!("/cases/{id}")).await.text();
    assert!(page.contains("已处理") && page.contains("已责令车主挪车") && page.contains("现场.jpg"), "{page}");
}

// Cases through the API, and their figures

// safety: inspections
/// A hazard through the pages: a street office finds it (5 working days), the property
/// company reports with a photo, the street office rejects with a new deadline, the company
/// reports again, the street office passes it: closed. The company may not re-inspect its
/// own rectification, nor close without a report; a photo that is not an image is refused.
#[tokio::test]
async fn a_hazard_from_finding_to_closing_through_the_pages() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let estate = ids.estate["崇安小区"];
    let street = app.login("street_fh").await;
    let firm = app.login("ent_aj").await;
    let other = app.login("ent_hx").await;
    let page = app.get_as(&street, &format!("/estates/{estate}/safety/inspections/new?category=fire_access")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("消防车通道畅通"));
    let new = format!("/estates/{estate}/safety/inspections/new");
    let form = [("category", "fire_access"), ("kind", "street"), ("inspected_on", "2026-11-27"), ("area", "南门"), ("result_1", "hazard"), ("severity_1", "general"), ("desc_1", "消防车通道停放车辆"), ("mode_1", "days"), ("days_1", "5"), ("result_2", "pass"), ("inspector", "王检查"), ("responsible_signature", "钱二")];
    // A deadline before the finding date and a photo that is not an image: refused, nothing written.
    let bad = [("category", "fire_access"), ("kind", "street"), ("inspected_on", "2026-11-27"), ("result_1", "hazard"), ("severity_1", "general"), ("desc_1", "x"), ("mode_1", "date"), ("deadline_1", "2026-11-20"), ("inspector", "王检查")];
    let r = app.multipart_as(&street, &new, &bad, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("不能早于发现日期"), "{}", r.text());
    let r = app.multipart_as(&street, &new, &form, &[("photos", "x.png", "image/png", SCAN_PDF)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("safety_hazards").await, 0);
    let r = app.multipart_as(&street, &new, &form, &[("photos", "site.png", "image/png", PHOTO_PNG)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let inspection = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let page = app.get_as(&street, &inspection).await.text();
    assert!(page.contains("王检查") && page.contains("钱二"), "{page}");
    let h: i64 = wuye_store::on!(&app.t.db, p => wuye_store::sqlx::query_scalar("SELECT id FROM safety_hazards").fetch_one(p).await).unwrap();
    let url = format!("/safety/hazards/{h}");
    let step = format!("/safety/hazards/{h}/step");
    // 5 working days from Fri 27 Nov 2026 → Fri 4 Dec.
    let page = app.get_as(&firm, &url).await.text();
    assert!(page.contains("2026-12-04") && page.contains("提交整改报告"), "{page}");
    // The deadline lies beyond the official holiday table (to 2026-10-10): the page says so.
    assert!(page.contains("国家节假日表截至 2026-10-10") && page.contains("之后只按周末计算工作日"), "{page}");
    assert_eq!(app.get_as(&other, &url).await.status, StatusCode::NOT_FOUND);
    // Closing without a report; a report without a photo.
    let r = app.multipart_as(&street, &step, &[("action", "pass")], &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.multipart_as(&firm, &step, &[("action", "report"), ("note", "已清理")], &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.multipart_as(&firm, &step, &[("action", "report"), ("note", "已清理")], &[("photos", "after.png", "image/png", PHOTO_PNG)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // The inspected party may not re-inspect its own rectification.
    let r = app.multipart_as(&firm, &step, &[("action", "pass")], &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("被检查方不能复查自己的整改"));
    let r = app.multipart_as(&street, &step, &[("action", "reject"), ("note", "仍有车辆"), ("deadline", "2026-12-08")], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = app.multipart_as(&firm, &step, &[("action", "report"), ("note", "已设地桩")], &[("photos", "after2.png", "image/png", PHOTO_PNG)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.multipart_as(&street, &step, &[("action", "pass"), ("note", "复查合格")], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app.get_as(&street, &url).await.text();
    assert!(page.contains("已销号"), "{page}");
    for a in ["登记隐患", "提交整改报告", "复查不通过", "复查通过销号"] {
        assert!(page.contains(a), "{a}");
    }
    let steps: Vec<String> = wuye_store::on!(&app.t.db, p => wuye_store::sqlx::query_scalar("SELECT action FROM safety_hazard_steps ORDER BY seq").fetch_all(p).await).unwrap();
    assert_eq!(steps, vec!["find", "report", "reject", "report", "pass"]);
    // The estate's page, the list and its export, the ledger.
    let page = app.get_as(&street, &format!("/estates/{estate}/safety")).await.text();
    assert!(page.contains("消防车通道停放车辆") && page.contains(&inspection), "{page}");
    let csv = app.get_as(&street, "/safety/hazards/export.csv?state=closed").await.text();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("消防车通道停放车辆") && csv.contains("2026-12-04"), "the rectification deadline set at finding: {csv}");
    assert_eq!(app.get_as(&street, "/safety/hazards/export.csv?state=open").await.text().lines().count(), 1);
    let x = app.get_as(&street, &format!("/estates/{estate}/safety/ledger.xlsx")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.bytes.starts_with(b"PK"));
}

/// The safety API: an inspection with a hazard and a photo in base64, the hazard's next
/// steps by side, a report, a refused re-inspection by the inspected party (422 naming the
/// field), the pass; templates listed.
#[tokio::test]
async fn hazards_through_the_api() {
    use base64::Engine;
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let estate = ids.estate["崇安小区"];
    let street = app.login("street_fh").await;
    let firm = app.login("ent_aj").await;
    let png = base64::engine::general_purpose::STANDARD.encode(PHOTO_PNG);
    let t = app.json_as(&street, "GET", "/api/safety/templates", serde_json::json!({})).await.json();
    assert_eq!(t.as_array().unwrap().len(), 6);
    let body = serde_json::json!({"estate_id": estate, "category": "fire_access", "kind": "street", "inspected_on": "2026-09-24", "inspector": "王检查",
        "results": [{"seq": 1, "result": "hazard", "hazard": {"severity": "major", "description": "通道堵塞", "working_days": 5}}, {"seq": 2, "result": "pass"}],
        "photos": [{"seq": 0, "file_name": "site.png", "content_base64": png}]});
    let r = app.json_as(&street, "POST", "/api/safety/inspections", body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let i = r.json()["id"].as_i64().unwrap();
    let d = app.json_as(&street, "GET", &format!("/api/safety/inspections/{i}"), serde_json::json!({})).await.json();
    assert_eq!(d["photos"].as_array().unwrap().len(), 1);
    let h = d["hazards"][0]["id"].as_i64().unwrap();
    assert_eq!(d["hazards"][0]["rectify_by"], "2026-10-09", "5 working days across National Day");
    let mut bad = body.clone();
    bad["results"][0]["hazard"] = serde_json::json!({"severity": "general", "description": "x", "deadline": "2026-09-20"});
    let r = app.json_as(&street, "POST", "/api/safety/inspections", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "results", "{}", r.text());
    let v = app.json_as(&firm, "GET", &format!("/api/safety/hazards/{h}"), serde_json::json!({})).await.json();
    assert_eq!(v["next_steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect::<Vec<_>>(), ["report"]);
    let url = format!("/api/safety/hazards/{h}/steps");
    let r = app.json_as(&firm, "POST", &url, serde_json::json!({"action": "report", "note": "已清理", "photos": [{"file_name": "a.png", "content_base64": png}]})).await;
    assert_eq!(r.json()["state"], "reported", "{}", r.text());
    let r = app.json_as(&firm, "POST", &url, serde_json::json!({"action": "pass"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "action");
    let r = app.json_as(&street, "POST", &url, serde_json::json!({"action": "pass"})).await;
    assert_eq!(r.json()["state"], "closed", "{}", r.text());
    let l = app.json_as(&street, "GET", "/api/safety/hazards?state=closed", serde_json::json!({})).await.json();
    assert_eq!(l["total"], 1);
    assert_eq!(app.json_as(&app.login("ent_hx").await, "GET", &format!("/api/safety/hazards/{h}"), serde_json::json!({})).await.status, StatusCode::NOT_FOUND);
}

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    let db = &app.t.db;
    wuye_store::on!(db, p => wuye_store::sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

#[tokio::test]
async fn cases_through_the_api() {
    use wuye_store::cases as cs;
    let app = TestApp::new().await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let housing = cs::create_organisation(db, &sys, "housing", "兴庆区住房和城乡建设局", "640104000000", "").await.unwrap();
    let cg = cs::create_organisation(db, &sys, "urban_management", "兴庆区综合执法局", "640104000000", "").await.unwrap();
    let region = |c: &str| wuye_domain::account::Scope::Region(wuye_domain::region::RegionCode::parse(c).unwrap());
    wuye_store::account::create_user(db, &sys, "dept_xq", "兴庆区综合执法局", FIXTURE_PASSWORD, &[(wuye_domain::account::Role::Department, region("640104"), String::new())], false).await.unwrap();
    cs::add_member(db, &sys, housing, "reg_xq").await.unwrap();
    cs::add_member(db, &sys, cg, "dept_xq").await.unwrap();
    let conv = app.login("reg_xq").await;
    let dept = app.login("dept_xq").await;
    let outsider = app.login("dept_jf").await;

    // A deadline in the past is refused, naming the field; nothing is written.
    let before = app.count("cases").await;
    let r = app.json_as(&conv, "POST", "/api/cases", serde_json::json!({"kind": "matter", "title": "清理消防通道", "holder_org_id": cg, "deadline": "2026-11-20"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let v = r.json();
    assert_eq!(v["errors"][0]["field"], "deadline", "{v}");
    assert!(v["message"].as_str().unwrap().contains("期限"), "{v}");
    assert_eq!(app.count("cases").await, before);
    // A dispatch to an organisation that is not a department.
    let med = cs::create_organisation(db, &sys, "mediation", "凤凰北街人民调解委员会", "640104001000", "").await.unwrap();
    let r = app.json_as(&conv, "POST", "/api/cases", serde_json::json!({"kind": "matter", "title": "清理消防通道", "holder_org_id": med, "deadline": "2026-12-10"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "holder_org_id");
    // An owner cannot dispatch.
    let owner = app.login("owner_zw").await;
    assert_eq!(app.json_as(&owner, "POST", "/api/cases", serde_json::json!({"kind": "matter", "title": "x", "holder_org_id": cg, "deadline": "2026-12-10"})).await.status, StatusCode::FORBIDDEN);

    // Dispatch.
    let r = app.json_as(&conv, "POST", "/api/cases", serde_json::json!({"kind": "matter", "title": "清理消防通道", "holder_org_id": cg, "deadline": "2026-12-10"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    // The department may accept or return (with reasons); the convener may do nothing now.
    let v = app.get_as(&dept, &format!("/api/cases/{id}")).await.json();
    assert_eq!(v["case"]["state"], "dispatched");
    assert_eq!(v["state_label"], "已派单待签收");
    let actions: Vec<&str> = v["next_steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["accept", "return"]);
    assert_eq!(v["next_steps"][1]["needs_note"], "退回理由");
    assert_eq!(v["next_steps"][0]["needs_deadline"], false);
    assert_eq!(v["timeline"].as_array().unwrap().len(), 1);
    assert_eq!(app.get_as(&conv, &format!("/api/cases/{id}")).await.json()["next_steps"].as_array().unwrap().len(), 0);
    let inbox = app.get_as(&dept, "/api/cases/inbox").await.json();
    assert!(inbox.as_array().unwrap().iter().any(|c| c["id"] == id), "{inbox}");
    // Not the convener's step; an outsider does not reach the case at all.
    let r = app.json_as(&conv, "POST", &format!("/api/cases/{id}/steps"), serde_json::json!({"action": "accept"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(app.get_as(&outsider, &format!("/api/cases/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.json_as(&outsider, "POST", &format!("/api/cases/{id}/steps"), serde_json::json!({"action": "accept"})).await.status, StatusCode::NOT_FOUND);
    assert!(!app.get_as(&outsider, "/api/cases").await.text().contains("清理消防通道"));
    // Out of order: reporting before accepting.
    let r = app.json_as(&dept, "POST", &format!("/api/cases/{id}/steps"), serde_json::json!({"action": "report", "note": "已清理"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["message"].as_str().unwrap().contains("不能在「已派单待签收」状态下进行"));
    // Accept → report → confirm.
    let r = app.json_as(&dept, "POST", &format!("/api/cases/{id}/steps"), serde_json::json!({"action": "accept"})).await;
    assert_eq!((r.status, r.json()["state"].clone()), (StatusCode::OK, serde_json::json!("accepted")));
    let r = app.json_as(&dept, "POST", &format!("/api/cases/{id}/steps"), serde_json::json!({"action": "report"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the result is required");
    let r = app.json_as(&dept, "POST", &format!("/api/cases/{id}/steps"), serde_json::json!({"action": "report", "note": "杂物已清理，通道畅通"})).await;
    assert_eq!(r.json()["state"], "reported");
    let v = app.get_as(&conv, &format!("/api/cases/{id}")).await.json();
    let actions: Vec<&str> = v["next_steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["confirm", "reopen"]);
    assert_eq!(v["next_steps"][1]["needs_deadline"], true);
    let r = app.json_as(&conv, "POST", &format!("/api/cases/{id}/steps"), serde_json::json!({"action": "confirm"})).await;
    assert_eq!((r.status, r.json()["state"].clone()), (StatusCode::OK, serde_json::json!("confirmed")));
    let v = app.get_as(&dept, &format!("/api/cases/{id}")).await.json();
    assert_eq!(v["case"]["closed"], true);
    assert_eq!(v["timeline"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect::<Vec<_>>(), ["dispatch", "accept", "report", "confirm"]);
    let list = app.get_as(&conv, "/api/cases?kind=matter&status=closed").await.json();
    assert_eq!(list["total"], 1);
    assert_eq!(app.get_as(&conv, "/api/cases/overdue?region=640104").await.json()["total"], 0);
    assert_eq!(app.get_as(&conv, "/api/cases/overdue?region=64x").await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Meetings.
    let r = app.json_as(&conv, "POST", "/api/meetings", serde_json::json!({"convener_org_id": housing, "title": "第四季度联席会议", "held_on": "2026-11-27", "attendees": [[cg, "王队长"]]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mid = r.json()["id"].as_i64().unwrap();
    let m = app.get_as(&dept, &format!("/api/meetings/{mid}")).await.json();
    assert_eq!(m["attendees"][0]["attendee"], "王队长");
    assert_eq!(app.get_as(&outsider, &format!("/api/meetings/{mid}")).await.status, StatusCode::NOT_FOUND);
    assert!(app.get_as(&dept, "/api/organisations?kind=urban_management").await.json().as_array().unwrap().iter().any(|o| o["id"] == cg));

    // The working-day calculator: the National Day break is skipped.
    let r = app.get_as(&dept, "/api/calendar/working-days?from=2026-09-30&days=2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["deadline"], "2026-10-09", "{v}");
    assert!(v["skipped"].as_array().unwrap().iter().any(|d| d["day"] == "2026-10-01"));
    // A regional holiday moves it (administrators add days).
    let r = app.json_as(&dept, "POST", "/api/calendar/days", serde_json::json!({"day": "2026-10-09", "region_code": "640104", "kind": "holiday", "name": "测试假日"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.send_json("POST", "/api/calendar/days", serde_json::json!({"day": "2026-10-09", "region_code": "640104", "kind": "holiday", "name": "测试假日"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(app.get_as(&dept, "/api/calendar/working-days?from=2026-09-30&days=2&region=640104001002").await.json()["deadline"], "2026-10-10", "the make-up working Saturday after the regional day off");
    assert_eq!(app.get_as(&dept, "/api/calendar/working-days?from=2026-09-30&days=2&region=640106").await.json()["deadline"], "2026-10-09");
}

/// Organisations of one county for the figures test: (housing, a department, street,
/// mediation committee).
async fn county_orgs(db: &wuye_store::Db, county: &str, dept_kind: &str, name: &str) -> (i64, i64, i64, i64) {
    use wuye_store::cases as cs;
    let sys = wuye_store::access::Access::system("test");
    let c = format!("{county}000000");
    let s = format!("{county}001000");
    (
        cs::create_organisation(db, &sys, "housing", &format!("{name}住建局"), &c, "").await.unwrap(),
        cs::create_organisation(db, &sys, dept_kind, &format!("{name}{dept_kind}"), &c, "").await.unwrap(),
        cs::create_organisation(db, &sys, "street", &format!("{name}街道办"), &s, "").await.unwrap(),
        cs::create_organisation(db, &sys, "mediation", &format!("{name}人民调解委员会"), &s, "").await.unwrap(),
    )
}

#[tokio::test]
async fn case_figures_per_region() {
    use wuye_store::cases::{self as cs, AgreementInput, NewCase, Party, StepInput};
    let app = TestApp::new().await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let (h_xq, cg_xq, _, _) = county_orgs(db, "640104", "urban_management", "兴庆区").await;
    let (h_jf, po_jf, _, _) = county_orgs(db, "640106", "police", "金凤区").await;
    let ca = scalar(&app, "SELECT id FROM estates WHERE name = '崇安小区'").await;
    let mc = scalar(&app, "SELECT id FROM estates WHERE name = '满春园小区'").await;
    let ma = scalar(&app, "SELECT id FROM owners WHERE name = '马明'").await;
    let li = scalar(&app, "SELECT id FROM owners WHERE name = '李强'").await;
    let zw = scalar(&app, "SELECT id FROM owners WHERE name = '张伟'").await;
    let aj = scalar(&app, "SELECT id FROM enterprises WHERE uscc = '91640104MA76ANJU1T'").await;
    let hx = scalar(&app, "SELECT id FROM enterprises WHERE uscc = '91640106MA76HXWY2F'").await;
    let step = |id: i64, action: &str, note: &str, on: &str| {
        let s = StepInput { action: action.into(), note: note.into(), ..Default::default() };
        let sys = sys.clone();
        let on = day(on);
        async move { cs::step(db, &sys, id, &s, &[], on).await.unwrap() }
    };
    let matter = |title: &str, holder: i64, sup: i64, deadline: &str, on: &str| {
        let n = NewCase { kind: "matter".into(), title: title.into(), holder_org_id: Some(holder), supervisor_org_id: Some(sup), deadline: Some(day(deadline)), ..Default::default() };
        let sys = sys.clone();
        let on = day(on);
        async move { cs::open(db, &sys, &n, &[], on).await.unwrap() }
    };
    let party = |side: &str, kind: &str, name: &str, owner: Option<i64>, ent: Option<i64>| Party { side: side.into(), party_kind: kind.into(), name: name.into(), owner_id: owner, enterprise_id: ent, ..Default::default() };
    let dispute = |estate: i64, cat: &str, parties: Vec<Party>| {
        let n = NewCase { kind: "dispute".into(), title: format!("纠纷{cat}"), category: cat.into(), description: "事实与请求".into(), estate_id: Some(estate), parties, ..Default::default() };
        let sys = sys.clone();
        async move { cs::open(db, &sys, &n, &[], day("2026-11-02")).await.unwrap() }
    };
    let referral = |estate: i64, cat: &str| {
        let n = NewCase { kind: "referral".into(), title: format!("违法{cat}"), category: cat.into(), description: "描述".into(), estate_id: Some(estate), ..Default::default() };
        let sys = sys.clone();
        async move { cs::open(db, &sys, &n, &[], day("2026-11-02")).await.unwrap() }
    };

    // 兴庆区: M1 closed in time, M2 never acted on (escalated), M3 open within its deadline.
    let m1 = matter("M1", cg_xq, h_xq, "2026-11-10", "2026-11-02").await;
    step(m1, "accept", "", "2026-11-03").await;
    step(m1, "report", "已办结", "2026-11-04").await;
    step(m1, "confirm", "", "2026-11-05").await;
    matter("M2", cg_xq, h_xq, "2026-11-10", "2026-11-02").await;
    matter("M3", cg_xq, h_xq, "2026-12-20", "2026-11-29").await;
    // R1 handled; D1 agreed after 10 days; D2 declined after 3 days.
    let r1 = referral(ca, "fire_lane").await;
    cs::step(db, &sys, r1, &StepInput { action: "refer".into(), holder_org_id: Some(cg_xq), ..Default::default() }, &[], day("2026-11-03")).await.unwrap();
    step(r1, "accept", "", "2026-11-04").await;
    step(r1, "handle", "已责令清理", "2026-11-06").await;
    let d1 = dispute(ca, "owner_enterprise", vec![party("applicant", "owner", "马明", Some(ma), None), party("respondent", "enterprise", "安居物业", None, Some(aj))]).await;
    cs::step(db, &sys, d1, &StepInput { action: "accept".into(), consents: vec![(1, true), (2, true)], ..Default::default() }, &[], day("2026-11-03")).await.unwrap();
    step(d1, "notify", "", "2026-11-03").await;
    step(d1, "session", "第一次调解", "2026-11-10").await;
    let g = AgreementInput { oral: false, facts: "漏水".into(), terms: "物业维修".into(), performance: String::new(), performance_deadline: day("2026-11-30"), signed_by_parties: true, signed_by_mediator: true, effective_on: day("2026-11-12") };
    cs::step(db, &sys, d1, &StepInput { action: "agree".into(), agreement: Some(g), ..Default::default() }, &[], day("2026-11-12")).await.unwrap();
    let d2 = dispute(ca, "owner_owner", vec![party("applicant", "owner", "马明", Some(ma), None), party("respondent", "owner", "李强", Some(li), None)]).await;
    step(d2, "decline", "不属于受理范围", "2026-11-05").await;
    // 金凤区: M4 reported and left unconfirmed (escalated); R2 dismissed; D3 open; D4 to court after 7 days.
    let m4 = matter("M4", po_jf, h_jf, "2026-11-20", "2026-11-02").await;
    step(m4, "accept", "", "2026-11-03").await;
    step(m4, "report", "已处理", "2026-11-04").await;
    let r2 = referral(mc, "greenery").await;
    step(r2, "dismiss", "不属于违法行为", "2026-11-03").await;
    let d3 = dispute(mc, "owner_enterprise", vec![party("applicant", "owner", "张伟", Some(zw), None), party("respondent", "enterprise", "恒信物业", None, Some(hx))]).await;
    cs::step(db, &sys, d3, &StepInput { action: "accept".into(), consents: vec![(1, true), (2, true)], ..Default::default() }, &[], day("2026-11-03")).await.unwrap();
    let d4 = dispute(mc, "owner_owner", vec![party("applicant", "owner", "张伟", Some(zw), None), party("respondent", "other", "邻居", None, None)]).await;
    step(d4, "court", "已移交法院诉调对接", "2026-11-09").await;
    assert_eq!(cs::escalate_due(db, fixture_today()).await.unwrap(), 2, "M2 and M4");

    let v = app.get("/api/regions/640100/cases").await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text());
    let v = v.json();
    let child = |code: &str| v["children"].as_array().unwrap().iter().find(|c| c["code"] == code).unwrap().clone();
    let f = |c: &serde_json::Value, keys: &[&str]| keys.iter().map(|k| c[*k].as_i64().unwrap()).collect::<Vec<_>>();
    let keys = ["matters", "matters_open", "matters_closed", "matters_closed_on_time", "matters_on_time", "referrals", "referrals_open", "referrals_handled", "referrals_dismissed", "disputes", "disputes_open", "disputes_agreed", "disputes_concluded", "overdue"];
    assert_eq!(f(&child("640104000000"), &keys), [3, 2, 1, 1, 2, 1, 0, 1, 0, 2, 0, 1, 2, 1], "兴庆区");
    assert_eq!(f(&child("640106000000"), &keys), [1, 1, 0, 0, 0, 1, 0, 0, 1, 2, 1, 0, 1, 1], "金凤区");
    assert_eq!(f(&child("640105000000"), &keys), [0; 14], "西夏区");
    assert_eq!(f(&v["total"], &keys), [4, 3, 1, 1, 2, 2, 0, 1, 1, 4, 1, 1, 3, 2]);
    // Matters by lead department kind.
    let depts = v["departments"].as_array().unwrap();
    assert_eq!(depts.len(), 2);
    assert_eq!((depts[0]["kind"].as_str(), depts[0]["matters"].as_i64(), depts[0]["on_time"].as_i64(), depts[0]["overdue"].as_i64(), depts[0]["on_time_permille"].as_i64()), (Some("urban_management"), Some(3), Some(2), Some(1), Some(667)));
    assert_eq!((depts[1]["kind"].as_str(), depts[1]["matters"].as_i64(), depts[1]["on_time_permille"].as_i64()), (Some("police"), Some(1), Some(0)));
    // Disputes by category: success = agreed / concluded, average days of the concluded.
    let d = v["disputes"].as_array().unwrap();
    assert_eq!(d[0]["category"], "owner_owner");
    assert_eq!(f(&d[0], &["total", "open", "agreed", "declined", "court", "concluded", "success_permille", "total_days", "avg_days_tenths"]), [2, 0, 0, 1, 1, 2, 0, 10, 50]);
    assert_eq!(d[1]["category"], "owner_enterprise");
    assert_eq!(f(&d[1], &["total", "open", "agreed", "concluded", "success_permille", "total_days", "avg_days_tenths"]), [2, 1, 1, 1, 1000, 10, 100]);
    // Referrals by outcome.
    let r = v["referrals"].as_array().unwrap();
    assert_eq!((r[0]["category"].as_str(), r[0]["handled"].as_i64(), r[0]["dismissed"].as_i64()), (Some("fire_lane"), Some(1), Some(0)));
    assert_eq!((r[1]["category"].as_str(), r[1]["handled"].as_i64(), r[1]["dismissed"].as_i64()), (Some("greenery"), Some(0), Some(1)));

    // Scoped: the county regulator sees its county only; a department its organisations' cases.
    let reg = app.login("reg_xq").await;
    let own = app.get_as(&reg, "/api/regions/640104/cases").await.json();
    assert_eq!(own["total"]["matters"], 3);
    assert_eq!(app.get_as(&reg, "/api/regions/640106/cases").await.status, StatusCode::NOT_FOUND);
    // The overdue lists: the county's own, and a wider prefix still scoped to the county.
    let o = app.get_as(&reg, "/api/cases/overdue?region=640104").await.json();
    assert_eq!((o["total"].as_i64(), o["items"][0]["title"].as_str()), (Some(1), Some("M2")));
    assert_eq!(app.get_as(&reg, "/api/cases/overdue?region=64").await.json()["total"], 1);
    assert_eq!(app.get("/api/cases/overdue?region=6401").await.json()["total"], 2);
    let dept = app.login("dept_jf").await;
    assert_eq!(app.get_as(&dept, "/api/regions/640106/cases").await.json()["total"]["matters"], 0, "not a member of 金凤区's police");
    wuye_store::cases::add_member(db, &sys, po_jf, "dept_jf").await.unwrap();
    let dept = app.login("dept_jf").await;
    assert_eq!(app.get_as(&dept, "/api/regions/640106/cases").await.json()["total"]["matters"], 1);
    assert_eq!(app.get_as(&app.login("mediator").await, "/api/regions/640106/cases").await.status, StatusCode::FORBIDDEN);

    // The dashboard's third table with drill-down links, the breakdowns, and the export.
    let html = app.get("/?region=640100").await.text();
    assert!(html.contains("联席会议、执法移交与纠纷调解") && html.contains("href=\"/?region=640104000000\""), "{html}");
    assert!(html.contains("66.7%") && html.contains("城市管理综合执法部门") && html.contains("业主之间") && html.contains("5.0") && html.contains("占用堵塞消防通道"));
    assert!(html.contains("/export/cases-figures.xlsx?region=640100000000"));
    assert!(html.contains("href=\"/cases?status=overdue&#38;region=640104\""), "the overdue count opens the county's overdue cases");
    let en = app.get("/?region=640100&lang=en").await.text();
    assert!(en.contains("Urban management enforcement") && en.contains("Between owners"), "the breakdowns' labels are translated");
    let r = app.get("/export/cases-figures.xlsx?region=640100").await;
    assert_eq!(r.status, StatusCode::OK);
    let t = wuye_ledger::read_table(&r.bytes, "案件办理").unwrap();
    assert_eq!(t.rows.len(), scalar(&app, "SELECT COUNT(*) FROM regions WHERE parent_code = '640100000000'").await as usize + 1, "the counties and the total");
    let csv = app.get_as(&reg, "/export/cases-figures.csv?region=640104").await.text();
    assert!(csv.contains("兴庆区 合计") && csv.contains("66.7%"), "{csv}");
    assert_eq!(app.get_as(&reg, "/export/cases-figures.csv?region=640106").await.status, StatusCode::NOT_FOUND);
}

/// The safety overview: the overdue list (page, export, API) and the dashboard's safety
/// table, over a hazard and a duty laid out by hand in 崇安小区 and one hazard in 满春园小区.
#[tokio::test]
async fn safety_overview_lists_and_counts_what_is_overdue() {
    let app = TestApp::new().await;
    let db = &app.t.db;
    let ca = scalar(&app, "SELECT id FROM estates WHERE name = '崇安小区'").await;
    let mc = scalar(&app, "SELECT id FROM estates WHERE name = '满春园小区'").await;
    for (e, cat, deadline) in [(ca, "fire_access", "2026-11-20"), (mc, "ebike", "2026-11-27")] {
        wuye_store::on!(db, p => wuye_store::sqlx::query("INSERT INTO safety_hazards (estate_id, region_code, category, severity, description, state, found_on, found_by_id, found_by, finder_kind, responsible, rectify_by, deadline, updated_at)
            SELECT id, region_code, $2, 'major', '隐患', 'rectifying', '2026-11-01', 1, 't', 'street', '物业', $3, $3, 't' FROM estates WHERE id = $1").bind(e).bind(cat).bind(day(deadline)).execute(p).await.map(|_| ())).unwrap();
    }
    wuye_store::on!(db, p => wuye_store::sqlx::query("INSERT INTO safety_duties (estate_id, region_code, kind, subject, interval_unit, interval_n, since, next_due, updated_at)
        SELECT id, region_code, 'elevator_maintenance', '1号楼电梯', 'days', 15, '2026-01-01', '2026-11-28', 't' FROM estates WHERE id = $1").bind(ca).execute(p).await.map(|_| ())).unwrap();

    // The province: three rows, the longest overdue first.
    let page = app.get("/safety").await.text();
    let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("{s} in {page}"));
    assert!(at("消防车通道与疏散通道") < at("电动自行车停放充电") && at("电动自行车停放充电") < at("1号楼电梯"), "{page}");
    assert!(page.contains("逾期隐患") && page.contains(">9<"), "9 days overdue: {page}");
    // 兴庆区's regulator: 崇安 only.
    let reg = app.login("reg_xq").await;
    let page = app.get_as(&reg, "/safety").await.text();
    assert!(page.contains("崇安小区") && !page.contains("满春园小区"), "{page}");
    assert_eq!(app.get_as(&reg, "/safety?region=640106").await.status, StatusCode::NOT_FOUND);
    let csv = app.get_as(&reg, "/safety/overdue.csv").await.text();
    assert_eq!(csv.lines().count(), 3, "header and two rows: {csv}");
    assert!(csv.contains("隐患") && csv.contains("周期性工作") && csv.contains("2026-11-28"), "{csv}");
    // The enterprise serving 满春园 sees its hazard, wherever it is.
    let hx = app.login("ent_hx").await;
    let api = app.get_as(&hx, "/api/safety/overdue").await;
    assert_eq!(api.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&api.bytes).unwrap();
    assert_eq!((v["hazards"].as_i64(), v["duties"].as_i64()), (Some(1), Some(0)), "{v}");
    assert_eq!(v["items"][0]["estate_name"], "满春园小区");
    assert_eq!(app.get_as(&hx, "/api/safety/overdue?region=64x").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The dashboard of 银川市: the safety table, 兴庆区's overdue counts linking to its list.
    let dash = app.get("/?region=640100000000").await.text();
    assert!(dash.contains("安全隐患与周期性工作") && dash.contains("/safety?region=640104"), "{dash}");
    let csv = app.get("/export/safety-figures.csv?region=640100000000").await.text();
    let xq = csv.lines().find(|l| l.contains("兴庆区")).unwrap();
    assert!(xq.ends_with(",0,1,1,1,0,0,,1,0,1,1"), "no inspection; one hazard, major, open, overdue; one duty overdue in one estate: {xq}");
    let json: serde_json::Value = serde_json::from_slice(&app.get("/api/regions/640100000000/safety").await.bytes).unwrap();
    assert_eq!(json["total"]["hazards_overdue"], 2);
    assert_eq!(json["worst"][0]["name"], "崇安小区");
    // Owners have no safety ledgers.
    let owner = app.login("owner_zw").await;
    assert_eq!(app.get_as(&owner, "/safety").await.status, StatusCode::FORBIDDEN);
}

// safety: duties

/// The elevator page of an estate: a certificate expiring in 29 days shows the inspection
/// alert (the request date, a month before, has passed); an elevator maintained 16 days ago
/// shows its maintenance overdue; a registration without a number is refused on the form
/// (422, the reason shown, nothing written); the duties page, the e-bike move-and-tell
/// refusal, the list across estates and the ledger.
#[tokio::test]
async fn elevator_alerts_and_duties_on_the_pages() {
    use wuye_store::safety::duties as du;
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let db = &app.t.db;
    let sys = wuye_store::access::Access::system("test");
    let today = fixture_today();
    let ca = ids.estate["崇安小区"];
    let lift = |no: &str, days: i64| du::NewElevator { registration_no: no.into(), building_id: None, location: "1号楼".into(), maintainer: "通力".into(), certificate_expires: Some(today + chrono::Duration::days(days)) };
    let a = du::register_elevator(db, &sys, ca, &lift("梯A29", 29), today - chrono::Duration::days(60)).await.unwrap();
    let b = du::register_elevator(db, &sys, ca, &lift("梯B16", 300), today - chrono::Duration::days(60)).await.unwrap();
    let ls = du::elevators(db, &sys, ca, today).await.unwrap();
    for l in &ls {
        let day = if l.id == b { today - chrono::Duration::days(16) } else { today - chrono::Duration::days(2) };
        du::record_done(db, &sys, ca, &du::DoneInput { duty_id: l.duty_id.unwrap(), done_on: day, done_by: "李师傅".into(), note: String::new() }, &[], today).await.unwrap();
    }
    let aj = app.login("ent_aj").await;
    let page = app.get_as(&aj, &format!("/estates/{ca}/elevators")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let row = |id: i64| {
        let i = html.find(&format!("id=\"lift-{id}\"")).unwrap();
        html[i..i + html[i..].find("</tr>").unwrap()].to_string()
    };
    let ra = row(a);
    assert!(ra.contains("逾期未申请定期检验") && ra.contains("2026-11-28") && ra.contains("维保正常"), "{ra}");
    let rb = row(b);
    assert!(rb.contains("维保逾期") && rb.contains("2026-11-13") && !rb.contains("定期检验</span>"), "{rb}");
    // The duties page shows the same, and links back to the inspections.
    let d = app.get_as(&aj, &format!("/estates/{ca}/safety/duties")).await.text();
    assert!(d.contains("逾期未申请定期检验") && d.contains("维保逾期") && d.contains(&format!("/estates/{ca}/safety\"")));
    // No registration number: refused on the form, nothing written.
    let before = app.count("elevators").await;
    let r = app.post_as(&aj, &format!("/estates/{ca}/elevators"), &[("registration_no", " "), ("certificate_expires", "2027-06-30")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("使用登记证编号：缺少使用登记证编号，不能登记（特种设备安全法第三十三条）"));
    assert_eq!(app.count("elevators").await, before);
    // The API answers 422 naming the field.
    let r = app.json_as(&aj, "POST", &format!("/api/estates/{ca}/elevators"), serde_json::json!({"registration_no": "", "certificate_expires": "2027-06-30"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "registration_no");
    // E-bikes: moving before 3 reminders is refused with the reason.
    let k = du::register_ebike(db, &sys, ca, &du::NewEbike { user_name: "马明".into(), ..Default::default() }, today).await.unwrap();
    let v = du::record_violation(db, &sys, ca, &du::NewViolation { ebike_id: Some(k), kind: "corridor".into(), place: "3层".into(), found_on: Some(day("2026-11-24")) }, today).await.unwrap();
    let r = app.post_as(&aj, &format!("/estates/{ca}/ebikes/step"), &[("step", "move"), ("violation_id", &v.to_string()), ("told_owner", "电话")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("已提醒 0 次，须提醒满 3 次"));
    // Three reminders on three days; a second one on the same day does not count.
    for on in ["2026-11-25", "2026-11-26", "2026-11-27"] {
        assert_eq!(app.post_as(&aj, &format!("/estates/{ca}/ebikes/step"), &[("step", "remind"), ("violation_id", &v.to_string()), ("channel", "phone"), ("on", on)]).await.status, StatusCode::SEE_OTHER);
    }
    let r = app.post_as(&aj, &format!("/estates/{ca}/ebikes/step"), &[("step", "remind"), ("violation_id", &v.to_string()), ("channel", "sms"), ("on", "2026-11-27")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("同一天的提醒只计一次"));
    assert_eq!(app.post_as(&aj, &format!("/estates/{ca}/ebikes/step"), &[("step", "move"), ("violation_id", &v.to_string()), ("told_owner", "电话告知")]).await.status, StatusCode::SEE_OTHER);
    // Across the estates: the regulator's list, filtered, and its export.
    let reg = app.login("reg_xq").await;
    let list = app.get_as(&reg, "/safety/duties?status=overdue").await.text();
    assert!(list.contains("梯B16") && list.contains("梯A29") && list.contains("崇安小区"), "{list}");
    let csv = app.get_as(&reg, "/safety/duties/export.csv?status=overdue&kind=elevator_maintenance").await.text();
    assert!(csv.contains("梯B16") && !csv.contains("防火检查"), "{csv}");
    let all = app.get_as(&reg, "/safety/duties/export.csv?status=all").await.text();
    assert!(all.contains("防火检查") && all.contains("正常") && !all.contains("满春园小区"), "the county's duty ledger: {all}");
    let x = app.get_as(&reg, &format!("/estates/{ca}/safety/ledger.xlsx")).await;
    assert_eq!(x.status, StatusCode::OK);
    let t = wuye_ledger::read_table(&x.bytes, "电梯").unwrap();
    assert_eq!(t.rows.len(), 2);
    for p in ["ebikes", "emergency"] {
        assert_eq!(app.get_as(&aj, &format!("/estates/{ca}/{p}")).await.status, StatusCode::OK, "{p}");
    }
    let en = app.get_as(&aj, &format!("/estates/{ca}/elevators?lang=en")).await.text();
    assert!(en.contains("Certificate expires"), "translated");
}

// credit: BEGIN
/// A pending credit record "of" each fixture estate with a PDF of evidence (as the system),
/// for the routes naming `{credit_record}` and `{credit_file}`. Each is for an enterprise
/// and in a region that the roles whose foreign estate it is cannot reach: 崇安 (安居,
/// 640104), 满春园 and 庆安 (恒信, their estates), 兴隆 (恒信, no estate: 恒信's region
/// 640106, so neither 安居 nor the 兴庆 regulator reaches it).
async fn credit_of_estates(app: &TestApp, ids: &mut Ids) {
    use wuye_store::credit as cr;
    let sys = wuye_store::access::Access::system("test");
    let db = &app.t.db;
    let aj = ids.enterprise["宁夏安居物业服务有限公司"];
    let hx = ids.enterprise["银川恒信物业服务有限公司"];
    for (name, ent, with_estate) in [("崇安小区", aj, true), ("满春园小区", hx, true), ("庆安花园", hx, true), ("兴隆家园", hx, false)] {
        let n = cr::NewRecord {
            enterprise_id: ent,
            item_code: "B01".into(),
            points_tenths: 10,
            source: "regulator".into(),
            source_org: String::new(),
            estate_id: with_estate.then(|| ids.estate[name]),
            title: "测试信用记录".into(),
            detail: String::new(),
            occurred_on: fixture_today(),
        };
        let up = wuye_store::cases::Upload { file_name: "证据.pdf".into(), bytes: b"%PDF-1.4\n%test\n".to_vec() };
        let id = cr::enter(db, &sys, &n, &[up], fixture_today()).await.unwrap();
        ids.credit_record_of_estate.insert(name, id);
        ids.credit_file_of_estate.insert(name, cr::files(db, &sys, id, fixture_today()).await.unwrap()[0].id);
    }
}

/// A record entered through the page, the enterprise's objection through its page, the
/// regulator's decision: the deduction is gone; a late objection and out-of-range points
/// answer 422 naming the reason.
#[tokio::test]
async fn credit_record_objection_decision_through_pages() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let hx = ids.enterprise["银川恒信物业服务有限公司"];
    let admin = &app.admin;
    let form = app.get_as(admin, "/credit/records/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("0.5–3.0 分"), "the item's range is shown");
    let pdf: &[u8] = b"%PDF-1.4\n%test\n";
    let fields = |pts: &'static str| vec![("uscc", "91640106MA76HXWY2F"), ("item_code", "B01"), ("points", pts), ("source", "regulator"), ("title", "未按合同清运垃圾"), ("occurred_on", "2026-11-20")];
    let bad = app.multipart_as(admin, "/credit/records/new", &fields("3.1"), &[("evidence", "证据.pdf", "application/pdf", pdf)]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("0.5–3.0 分之间，收到 3.1 分"), "{}", bad.text());
    assert_eq!(app.count("credit_records").await, 0);
    let r = app.multipart_as(admin, "/credit/records/new", &fields("2.0"), &[("evidence", "证据.pdf", "application/pdf", pdf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let id: i64 = wuye_store::on!(&app.t.db, p => wuye_store::sqlx::query_scalar("SELECT MAX(id) FROM credit_records").fetch_one(p).await).unwrap();
    // 恒信's manager sees it on its credit file with the objection deadline, and objects.
    let ent = app.login("ent_hx").await;
    let file = app.get_as(&ent, &format!("/enterprises/{hx}/credit")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.text().contains("可提出异议"));
    let page = app.get_as(&ent, &format!("/credit/records/{id}")).await.text();
    assert!(page.contains("提出异议") && page.contains("2026-12-11"), "entered on Sunday 2026-11-29: the 10th working day after is 2026-12-11");
    let o = app.multipart_as(&ent, &format!("/credit/records/{id}/objection"), &[("reason", "已按合同清运，附照片")], &[]).await;
    assert_eq!(o.status, StatusCode::SEE_OTHER, "{}", o.text());
    let state: String = wuye_store::on!(&app.t.db, p => wuye_store::sqlx::query_scalar("SELECT state FROM credit_records WHERE id = $1").bind(id).fetch_one(p).await).unwrap();
    assert_eq!(state, "objected");
    // The enterprise may not decide; the administrator accepts the objection.
    assert_eq!(app.post_as(&ent, &format!("/credit/records/{id}/decision"), &[("decision", "accept")]).await.status, StatusCode::FORBIDDEN);
    let d = app.post_as(admin, &format!("/credit/records/{id}/decision"), &[("decision", "accept"), ("note", "异议成立")]).await;
    assert_eq!(d.status, StatusCode::SEE_OTHER, "{}", d.text());
    let state: String = wuye_store::on!(&app.t.db, p => wuye_store::sqlx::query_scalar("SELECT state FROM credit_records WHERE id = $1").bind(id).fetch_one(p).await).unwrap();
    assert_eq!(state, "revoked");
    let st = wuye_store::credit::standing(&app.t.db, hx, chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()).await.unwrap();
    assert_eq!((st.score_tenths, st.grade.as_str()), (None, "missing"), "恒信 operates but is not registered");
    // A second objection is refused: the record is no longer pending.
    let again = app.multipart_as(&ent, &format!("/credit/records/{id}/objection"), &[("reason", "再次")], &[]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The ledger export of the filtered rows.
    let x = app.get_as(admin, "/credit/export.csv?state=revoked").await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.text().contains("未按合同清运垃圾"));
}
// credit: END
// credit-public: BEGIN
/// The public credit pages answer logged out: the credit file shows the grade, an effective
/// record and the history chart, never a pending record; the look-up, the lists and their
/// export, and the public API work without a session; the login page links to the look-up;
/// a regulator's dashboard has the credit table and its export.
#[tokio::test]
async fn public_credit_logged_out() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let db = &app.t.db;
    let anju = ids.enterprise["宁夏安居物业服务有限公司"];
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    wuye_store::on!(db, p => wuye_store::sqlx::query("INSERT INTO credit_scores (enterprise_id, scheme_code, score_tenths, bonus_tenths, deduction_tenths, grade, black_listed, barred, region_code, computed_on, computed_at)
        VALUES ($1, 'yantai_2022', 875, 75, 0, 'AAA', 0, 0, '640104000000', $2, '2026-11-29T00:00:00Z')").bind(anju).bind(d("2026-11-29")).execute(p).await.map(|_| ())).unwrap();
    for (on_date, score, grade) in [("2026-03-01", 800, "AA"), ("2026-11-19", 875, "AAA")] {
        wuye_store::on!(db, p => wuye_store::sqlx::query("INSERT INTO credit_score_history (enterprise_id, on_date, score_tenths, grade) VALUES ($1, $2, $3, $4)")
            .bind(anju).bind(d(on_date)).bind(score as i64).bind(grade).execute(p).await.map(|_| ())).unwrap();
    }
    for (title, state, effective_on) in [("获评市级物业服务示范项目", "effective", Some("2026-11-19")), ("待确认的不良记录标题", "pending", None), ("异议中的不良记录标题", "objected", None)] {
        let kind = if state == "effective" { "good" } else { "bad" };
        wuye_store::on!(db, p => wuye_store::sqlx::query("INSERT INTO credit_records (enterprise_id, kind, item_code, scheme_code, points_tenths, serious, source, source_org, region_code, title, detail,
                occurred_on, entered_on, entered_by, entered_by_name, objection_until, state, effective_on, valid_until, created_at)
            VALUES ($1, $2, 'G1', 'yantai_2022', 75, 0, 'regulator', '银川市住房和城乡建设局', '640104000000', $3, '', $4, $4, 1, '录入员王五', $4, $5, $6, NULL, '2026-11-01T00:00:00Z')")
            .bind(anju).bind(kind).bind(title).bind(d("2026-11-05")).bind(state).bind(effective_on.map(d)).execute(p).await.map(|_| ())).unwrap();
    }
    let get = |path: String| app.raw(Request::get(path).body(Body::empty()).unwrap());
    let r = get(format!("/public/credit/{anju}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.text();
    assert!(page.contains("宁夏安居物业服务有限公司") && page.contains("91640104MA76ANJU1T"));
    assert!(page.contains("<strong class=\"grade\">AAA</strong>") && page.contains("87.5"), "grade and score");
    assert!(page.contains("获评市级物业服务示范项目"), "the effective record");
    assert!(!page.contains("待确认的不良记录标题") && !page.contains("异议中的不良记录标题"), "nothing pending or objected");
    assert!(!page.contains("录入员王五"), "nothing personal");
    assert!(page.contains("<svg") && page.contains("score-history") && page.contains("2026-11-19 · 87.5 · AAA"), "the history chart");
    assert!(page.contains("列入红榜"));
    assert_eq!(get("/public/credit/999999".into()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get("/public/credit/abc".into()).await.status, StatusCode::NOT_FOUND);
    // The look-up by USCC, logged out.
    let r = get("/public/credit?q=91640104MA76ANJU1T".into()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains(&format!("/public/credit/{anju}")) && !r.text().contains("银川恒信物业服务有限公司"));
    // The red list of 银川市 has it, that of 石嘴山市 not; the export too.
    assert!(get("/public/credit/lists?region=6401&list=red".into()).await.text().contains("宁夏安居物业服务有限公司"));
    assert!(!get("/public/credit/lists?region=6402&list=red".into()).await.text().contains("宁夏安居物业服务有限公司"));
    assert!(!get("/public/credit/lists?region=6401&list=black".into()).await.text().contains("宁夏安居物业服务有限公司"));
    let csv = get("/public/credit/lists.csv?region=64&list=red".into()).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text().contains("宁夏安居物业服务有限公司,91640104MA76ANJU1T,640104000000,AAA,87.5"), "{}", csv.text());
    assert_eq!(get("/public/credit/lists.xlsx?region=64&list=black".into()).await.status, StatusCode::OK);
    // The API, logged out.
    let v = get("/api/public/credit?q=91640104MA76ANJU1T".into()).await.json();
    assert_eq!((v["total"].as_i64(), v["items"][0]["grade"].as_str(), v["items"][0]["score_tenths"].as_i64()), (Some(1), Some("AAA"), Some(875)));
    let v = get(format!("/api/public/credit/{anju}")).await.json();
    assert_eq!(v["records"].as_array().unwrap().len(), 1);
    assert_eq!(v["records"][0]["title"], "获评市级物业服务示范项目");
    assert_eq!(v["history"].as_array().unwrap().len(), 2);
    // The login page links to the look-up.
    assert!(get("/login".into()).await.text().contains("href=\"/public/credit\""));
    // A county regulator's dashboard: the credit table and its export.
    let reg = app.login("reg_xq").await;
    let dash = app.get_as(&reg, "/").await.text();
    assert!(dash.contains("物业服务企业信用") && dash.contains("month-pairs"), "credit table and monthly chart");
    let csv = app.get_as(&reg, "/export/credit-figures.csv?region=640104").await.text();
    assert!(csv.contains("信用登记企业"), "{csv}");
}
// credit-public: END
// tender: BEGIN
/// A draft tender of each estate (as the system), for the routes naming `{tender}`. Drafts
/// are seen only by their organisers, so no enterprise sees a foreign estate's name.
async fn tenders_of_estates(app: &TestApp, ids: &mut Ids) {
    use wuye_domain::tender::{Criterion, TenderKind, TenderMethod};
    let sys = wuye_store::access::Access::system("test");
    let estates: Vec<(&'static str, i64)> = ids.estate.iter().map(|(k, v)| (*k, *v)).collect();
    for (name, id) in estates {
        let t = wuye_store::tender::NewTender {
            estate_id: id,
            kind: TenderKind::Preliminary,
            method: TenderMethod::Public,
            title: "越权测试招标".into(),
            tenderer: "开发公司".into(),
            notice: String::new(),
            approval: String::new(),
            vote_id: None,
            bid_deadline: fixture_today(),
            bid_validity_until: chrono::NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
            criteria: vec![Criterion { name: "方案".into(), weight_pct: 80, credit: false }, Criterion { name: "信用".into(), weight_pct: 20, credit: true }],
            credit_mapping: None,
        };
        ids.tender_of_estate.insert(name, wuye_store::tender::create_tender(&app.t.db, &sys, &t, fixture_today()).await.unwrap());
    }
}

/// A tender run end to end through the pages: a regulator drafts and publishes it, an
/// enterprise manager bids for its own enterprise (and sees only its own bid), the regulator
/// enters two paper bids, closes bidding the day after the deadline, draws the panel with a
/// seed, enters each member's scores (a score above 100 refused), ranks (exact totals),
/// awards (the contract is created) and files on day 15.
#[tokio::test]
async fn tender_end_to_end_through_the_pages() {
    let mut app = TestApp::new().await;
    let db = app.t.db.clone();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let at = |d: chrono::NaiveDate| router(AppState::new(db.clone(), WebConfig { today: Some(d), ..Default::default() }));
    let ids = ids(&app).await;
    let ca = ids.estate["崇安小区"];
    let (aj, hx) = (ids.enterprise["宁夏安居物业服务有限公司"], ids.enterprise["银川恒信物业服务有限公司"]);
    let dt: i64 = wuye_store::on!(&db, p => wuye_store::sqlx::query_scalar("INSERT INTO enterprises (name, uscc, created_at, updated_at) VALUES ('宁夏德泰物业服务有限公司', '91640104MA76DETA3X', '2026-01-01', '2026-01-01') RETURNING id").fetch_one(p).await).unwrap();
    // 安居 and 恒信 registered for credit (no records: 80.0, AA → 90 on the credit criterion).
    for e in [aj, hx] {
        wuye_store::credit::register(&db, &wuye_store::access::Access::system("test"), e, day("2026-01-05")).await.unwrap();
    }
    let reg = app.login("reg_xq").await;
    assert_eq!(app.get_as(&reg, &format!("/estates/{ca}/tenders/new")).await.status, StatusCode::OK);
    let mut form = vec![("title", "崇安小区前期物业服务招标"), ("kind", "preliminary"), ("method", "public"), ("tenderer", "宁夏崇安房地产开发有限公司"), ("notice", "公告"),
        ("bid_deadline", "2026-12-10"), ("bid_validity_until", "2027-03-31"), ("c1_name", "报价"), ("c1_weight", "40"), ("c2_name", "服务方案"), ("c2_weight", "40"),
        ("c3_name", "信用评价"), ("c3_weight", "10"), ("credit", "3")];
    // Weights summing to 90: refused, the values kept, nothing written.
    let r = app.post_as(&reg, &format!("/estates/{ca}/tenders/new"), &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("评标标准权重：合计须为 100%，实为 90%") && r.text().contains("崇安小区前期物业服务招标"));
    assert_eq!(app.count("tenders").await, 0);
    form[12] = ("c3_weight", "20");
    let r = app.post_as(&reg, &format!("/estates/{ca}/tenders/new"), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = loc.trim_start_matches("/tenders/").parse().unwrap();
    assert_eq!(app.post_as(&reg, &format!("/tenders/{id}/publish"), &[]).await.status, StatusCode::SEE_OTHER);
    // Bids.
    let hxs = app.login("ent_hx").await;
    assert_eq!(app.post_as(&hxs, &format!("/tenders/{id}/bid"), &[("enterprise_id", &hx.to_string()), ("price", "1.40")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.post_as(&reg, &format!("/tenders/{id}/bid"), &[("enterprise_id", &aj.to_string()), ("price", "1.30")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.post_as(&reg, &format!("/tenders/{id}/bid"), &[("enterprise_id", &dt.to_string()), ("price", "1.2")]).await.status, StatusCode::SEE_OTHER);
    let seen = app.get_as(&hxs, &format!("/tenders/{id}")).await.text();
    assert!(seen.contains("1.40") && !seen.contains("1.30") && !seen.contains("1.20"), "an enterprise sees only its own price before the award");
    // The day after the deadline: a late bid refused, bidding closed.
    app.app = at(day("2026-12-11"));
    let r = app.post_as(&hxs, &format!("/tenders/{id}/bid"), &[("enterprise_id", &hx.to_string()), ("price", "1.00")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("已过投标截止日 2026-12-10"));
    assert_eq!(app.post_as(&reg, &format!("/tenders/{id}/close"), &[]).await.status, StatusCode::SEE_OTHER);
    // The pool, through the expert page.
    for i in 1..=6 {
        let r = app.post_as(&reg, "/tender/experts", &[("name", &format!("专家{i}")), ("specialty", "物业管理"), ("region_code", "640104")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    assert!(app.get_as(&reg, "/tender/experts").await.text().contains("专家6"));
    // A panel of 4 refused; 5 with 4 experts drawn with seed 42.
    let r = app.post_as(&reg, &format!("/tenders/{id}/panel"), &[("size", "4"), ("experts", "4"), ("seed", "42")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("评标委员会：成员至少 5 人，实为 4 人"));
    // The API names the field.
    let r = app.json_as(&reg, "POST", &format!("/api/tenders/{id}/panel"), serde_json::json!({"size": 6, "experts": 6})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "size", "{}", r.text());
    let r = app.post_as(&reg, &format!("/tenders/{id}/panel"), &[("size", "5"), ("experts", "4"), ("representatives", "建设单位代表"), ("seed", "42")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let sys = wuye_store::access::Access::system("test");
    let f = wuye_store::tender::tender_file(&db, &sys, id).await.unwrap();
    assert_eq!(f.panel.as_ref().unwrap().seed, "42");
    let bid_of = |e: i64| f.bids.iter().find(|b| b.enterprise_id == e).unwrap().id;
    let (c1, c2) = (f.criteria[0].id, f.criteria[1].id);
    let k = |b: i64, c: i64| format!("s_{b}_{c}");
    let m0 = f.members[0].id.to_string();
    let r = app.post_as(&reg, &format!("/tenders/{id}/scores"), &[("member_id", &m0), (&k(bid_of(aj), c1), "100.1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("实为 100.1"));
    for m in &f.members {
        let mid = m.id.to_string();
        let r = app.post_as(&reg, &format!("/tenders/{id}/scores"), &[("member_id", &mid),
            (&k(bid_of(aj), c1), "80"), (&k(bid_of(aj), c2), "90"), (&k(bid_of(hx), c1), "85"), (&k(bid_of(hx), c2), "85.5"), (&k(bid_of(dt), c1), "75"), (&k(bid_of(dt), c2), "80")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    }
    assert_eq!(app.post_as(&reg, &format!("/tenders/{id}/evaluate"), &[]).await.status, StatusCode::SEE_OTHER);
    // Totals (credit AA → 90.0 for 恒信 and 安居, unrated → 60.0 for 德泰): 恒信 86.2, 安居 86.0, 德泰 74.0.
    let f = wuye_store::tender::tender_file(&db, &sys, id).await.unwrap();
    let totals: Vec<(i64, Option<i64>)> = f.bids.iter().map(|b| (b.enterprise_id, b.total_tenths)).collect();
    assert_eq!(totals, vec![(hx, Some(862)), (aj, Some(860)), (dt, Some(740))]);
    let contracts = app.count("service_contracts").await;
    let r = app.post_as(&reg, &format!("/tenders/{id}/award"), &[("start_date", "2027-01-01"), ("end_date", "2029-12-31"), ("fee_model", "lump_sum")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(app.count("service_contracts").await, contracts + 1);
    // Filing on day 15 (awarded 2026-12-11, due 2026-12-26).
    app.app = at(day("2026-12-26"));
    assert_eq!(app.post_as(&reg, &format!("/tenders/{id}/file"), &[("filed_on", "2026-12-26"), ("filing_ref", "兴庆住建备〔2026〕9号")]).await.status, StatusCode::SEE_OTHER);
    let page = app.get_as(&reg, &format!("/tenders/{id}")).await.text();
    let t = wuye_store::tender::get_tender(&db, &sys, id).await.unwrap();
    assert!(page.contains("已备案") && page.contains("86.2") && page.contains(&format!("/contracts/{}", t.contract_id.unwrap())) && !page.contains("备案逾期："), "{page}");
    // After the award the bidder sees every price.
    assert!(app.get_as(&hxs, &format!("/tenders/{id}")).await.text().contains("1.30"));
    let list = app.get_as(&reg, "/tenders").await.text();
    assert!(list.contains("崇安小区前期物业服务招标"));
    let csv = app.get_as(&reg, "/tenders/export.csv").await.text();
    assert!(csv.contains("崇安小区前期物业服务招标") && csv.contains("银川恒信物业服务有限公司"));
    // Another county's regulator does not see it.
    let other = app.login("dept_jf").await;
    assert_eq!(app.get_as(&other, &format!("/tenders/{id}")).await.status, StatusCode::FORBIDDEN);
}
// tender: END

/// Credit reaches tendering, through the pages: a serious record entered on the credit pages
/// black-lists 恒信 once its objection window has passed (entered Sunday 2026-11-29, open
/// until 2026-12-11, counting from 2026-12-12); its bid on the tender page is then refused
/// with the reason and nothing is written; the public credit file shows the black list;
/// once a regulator accepts the rectification the bar lifts and the same bid goes in.
#[tokio::test]
async fn a_black_listed_enterprise_cannot_bid_through_the_pages() {
    let mut app = TestApp::new().await;
    let db = app.t.db.clone();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let at = |d: chrono::NaiveDate| router(AppState::new(db.clone(), WebConfig { today: Some(d), ..Default::default() }));
    let ids = ids(&app).await;
    let ca = ids.estate["崇安小区"];
    let hx = ids.enterprise["银川恒信物业服务有限公司"];
    let sys = wuye_store::access::Access::system("test");
    wuye_store::credit::register(&db, &sys, hx, day("2026-01-05")).await.unwrap();
    let admin = app.admin.clone();
    let pdf: &[u8] = b"%PDF-1.4\n%judgement\n";
    let r = app.multipart_as(&admin, "/credit/records/new", &[("uscc", "91640106MA76HXWY2F"), ("item_code", "S01"), ("points", "10.0"), ("source", "court"), ("source_org", "兴庆区人民法院"), ("title", "拒不退出物业服务项目"), ("occurred_on", "2026-11-20")], &[("evidence", "判决书.pdf", "application/pdf", pdf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let rid: i64 = wuye_store::on!(&db, p => wuye_store::sqlx::query_scalar("SELECT MAX(id) FROM credit_records").fetch_one(p).await).unwrap();
    // A tender on 崇安小区, bids until 2026-12-31.
    let reg = app.login("reg_xq").await;
    let form = [("title", "崇安小区物业服务招标"), ("kind", "regular"), ("method", "public"), ("tenderer", "崇安小区业主委员会"), ("notice", "公告"),
        ("bid_deadline", "2026-12-31"), ("bid_validity_until", "2027-03-31"), ("c1_name", "报价"), ("c1_weight", "40"), ("c2_name", "服务方案"), ("c2_weight", "40"),
        ("c3_name", "信用评价"), ("c3_weight", "20"), ("credit", "3")];
    let r = app.post_as(&reg, &format!("/estates/{ca}/tenders/new"), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let tid: i64 = r.headers[header::LOCATION].to_str().unwrap().trim_start_matches("/tenders/").parse().unwrap();
    assert_eq!(app.post_as(&reg, &format!("/tenders/{tid}/publish"), &[]).await.status, StatusCode::SEE_OTHER);
    let ent = app.login("ent_hx").await;
    let bid = [("enterprise_id", hx.to_string()), ("price", "1.30".to_string())];
    let bid: Vec<(&str, &str)> = bid.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // 2026-12-11, the last day to object: the record does not count yet; the bid is not barred
    // by it, but the test takes the bid only after the window (below), so nothing is written.
    let st = wuye_store::credit::standing(&db, hx, day("2026-12-11")).await.unwrap();
    assert!(!st.barred, "still in its objection window: {st:?}");
    // 2026-12-14: black-listed, the bid refused with the reason, nothing written.
    app.app = at(day("2026-12-14"));
    let st = wuye_store::credit::standing(&db, hx, day("2026-12-14")).await.unwrap();
    assert_eq!((st.grade.as_str(), st.barred), ("black", true), "{st:?}");
    let r = app.post_as(&ent, &format!("/tenders/{tid}/bid"), &bid).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("信用：该企业被限制参与招投标"), "{}", r.text());
    assert_eq!(app.count("tender_bids").await, 0);
    // The organiser cannot enter it on paper either.
    assert_eq!(app.post_as(&reg, &format!("/tenders/{tid}/bid"), &bid).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("tender_bids").await, 0);
    // The public file shows what `serve` publishes every 10 minutes (settle and recompute).
    wuye_store::credit::recompute_all(&db, day("2026-12-14")).await.unwrap();
    let public = app.raw(Request::get(format!("/public/credit/{hx}")).body(Body::empty()).unwrap()).await;
    assert!(public.text().contains("黑名单") && public.text().contains("拒不退出物业服务项目"));
    // Rectification accepted on 2026-12-15: the bar lifts and the bid goes in.
    app.app = at(day("2026-12-15"));
    let r = app.post_as(&admin, &format!("/credit/records/{rid}/rectification"), &[("rectified_on", "2026-12-15")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(!wuye_store::credit::standing(&db, hx, day("2026-12-15")).await.unwrap().barred);
    let r = app.post_as(&ent, &format!("/tenders/{tid}/bid"), &bid).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(app.count("tender_bids").await, 1);
}

/// Project managers on the credit file: 恒信's manager registers one for its project 满春园小区;
/// an estate it does not serve, a future or malformed start date are refused (422, nothing
/// written); another enterprise's file cannot take one.
#[tokio::test]
async fn project_managers_on_the_credit_file() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let (hx, aj) = (ids.enterprise["银川恒信物业服务有限公司"], ids.enterprise["宁夏安居物业服务有限公司"]);
    let (mc, ca) = (ids.estate["满春园小区"], ids.estate["崇安小区"]);
    let ent = app.login("ent_hx").await;
    let path = format!("/enterprises/{hx}/credit/managers");
    for (estate, start, reason) in [
        (ca.to_string(), "2026-11-01", format!("小区：编号 {ca} 的小区不是该企业的服务项目")),
        (mc.to_string(), "2026-11-30", "开始日期：不能晚于今天（2026-11-29），实为 2026-11-30".to_string()),
        (mc.to_string(), "2026/11/01", "开始日期：「2026/11/01」不是 YYYY-MM-DD 格式的日期".to_string()),
        (mc.to_string(), "2026-11-01", "姓名：不能为空".to_string()),
    ] {
        let name = if reason.starts_with("姓名") { "" } else { "李明" };
        let r = app.post_as(&ent, &path, &[("name", name), ("certificate", "物业项目经理证 NX-0042"), ("estate_id", &estate), ("start_date", start)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{reason}");
        assert!(r.text().contains(&reason), "{reason}: {}", r.text());
    }
    assert_eq!(app.count("credit_managers").await, 0);
    let r = app.post_as(&ent, &path, &[("name", "李明"), ("certificate", "物业项目经理证 NX-0042"), ("estate_id", &mc.to_string()), ("start_date", "2026-11-01")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app.get_as(&ent, &format!("/enterprises/{hx}/credit")).await.text();
    assert!(page.contains("李明") && page.contains("物业项目经理证 NX-0042") && page.contains("2026-11-01"));
    // Not on 安居's file.
    let r = app.post_as(&ent, &format!("/enterprises/{aj}/credit/managers"), &[("name", "王五"), ("start_date", "2026-11-01")]).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
    assert_eq!(app.count("credit_managers").await, 1);
}
