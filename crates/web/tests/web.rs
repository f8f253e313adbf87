//! Web tests: the real router on a fresh database with the fixture, on SQLite or on
//! PostgreSQL when DATABASE_URL names one.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use wuye_store::testing::{TestDb, fixture_today, load_fixture};
use wuye_web::{AppState, WebConfig, router};

struct TestApp {
    t: TestDb,
    app: axum::Router,
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

impl TestApp {
    async fn new() -> TestApp {
        let t = TestDb::new().await;
        load_fixture(&t.db).await;
        let app = router(AppState::new(t.db.clone(), WebConfig { today: Some(fixture_today()), ..Default::default() }));
        TestApp { t, app }
    }
    async fn send(&self, req: Request<Body>) -> Res {
        let r = self.app.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.into_body().collect().await.unwrap().to_bytes().to_vec();
        Res { status, headers, bytes }
    }
    async fn get(&self, path: &str) -> Res {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }
    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Res {
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", wuye_web::ctx::urlencode(v))).collect();
        self.send(Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(body.join("&"))).unwrap()).await
    }
    async fn send_json(&self, method: &str, path: &str, v: serde_json::Value) -> Res {
        self.send(Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap()).await
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
    let id = app.t.db.clone();
    let estate = wuye_store::registry::find_estate(&id, "640104001002", "崇安小区").await.unwrap().unwrap();
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
    let post = |b: Vec<u8>| Request::post("/import").header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}")).body(Body::from(b)).unwrap();
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
    let r = app.send(Request::get("/estates").header(header::COOKIE, "lang=en").body(Body::empty()).unwrap()).await.text();
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
    let src = include_str!("../src/lib.rs");
    for line in src.lines().filter(|l| l.contains(".route(\"/api/") && !l.contains("openapi.json")) {
        let p = line.split('"').nth(1).unwrap();
        assert!(paths.iter().any(|x| x == p), "route {p} is missing from the OpenAPI document");
    }
    insta::assert_json_snapshot!("openapi", doc);
}
