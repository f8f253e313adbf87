//! `wuye bench …`: benchmarks that measure their own baseline in the same run and print
//! the ratio.
//!
//! `bench import --houses N`: the demo generator lays out N houses with owners (estates,
//! enterprises and contracts are imported first, untimed) and writes them to a CSV file
//! in Wuye's houses layout. Per backend, the file is imported through the real import path
//! (reading the file is part of the time), then the houses, owners, ownerships, units and
//! buildings are deleted and the same rows are inserted raw — multi-row prepared INSERTs
//! with pre-assigned ids, the same rows per statement as the import uses, one transaction,
//! no validation and no lookups. A "row" in the rates is a house. Then, with the data in
//! place, the dashboard routes are requested through the router (no network) and their
//! latency percentiles printed.

use anyhow::{Context, Result, bail};
use axum::body::Body;
use clap::{Subcommand, ValueEnum};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use wuye_domain::ledger::LayoutKind;
use wuye_domain::registry::{normalize_building_no, normalize_unit_no};
use wuye_store::db::{backend_of_tx, batch_rows, dynamic, multi_insert_for};
use wuye_store::demo::{self, Plan};
use wuye_store::import::{ImportOptions, Progress, import_file};
use wuye_store::pii::Protected;
use wuye_store::{Db, Target, on};

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Import N generated houses with owners through the real import path, and insert the
    /// same rows raw; print both rates and their ratio, then the dashboard's p95 latency.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        houses: u64,
        /// Backends to measure; default: SQLite, plus PostgreSQL when DATABASE_URL names one.
        #[arg(long, value_enum)]
        backend: Option<BenchBackend>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Timed requests per dashboard route (after the warm-up).
        #[arg(long, default_value_t = 200)]
        requests: usize,
        #[arg(long, default_value_t = 20)]
        warmup: usize,
    },
    /// Tally of one estate's vote (N houses, most owners voting) against the raw SQL
    /// aggregate it is built on; prints median and p95 (target: under 100 ms at 50,000).
    Tally {
        #[arg(long, default_value_t = 50_000)]
        houses: u64,
        #[arg(long, value_enum)]
        backend: Option<BenchBackend>,
        /// Timed tallies (after three warm-up runs).
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// Interest allocated over N household accounts (estates of 5,000) through the real
    /// path against a raw batched update of the same rows; prints the ratio (target ≥ 0.5).
    Interest {
        #[arg(long, default_value_t = 1_000_000)]
        households: u64,
        #[arg(long, value_enum)]
        backend: Option<BenchBackend>,
    },
    /// A department's inbox and a region's overdue list over N cases (about 200
    /// organisations, 20% open) through the real store functions, against the bare SQL of
    /// the same run; prints p50/p95 and the ratio (target: p95 under 100 ms).
    Cases {
        #[arg(long, default_value_t = 1_000_000)]
        cases: u64,
        #[arg(long, value_enum)]
        backend: Option<BenchBackend>,
        /// Timed runs per query (after five warm-up runs).
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// The region-wide safety overdue list (hazards and duties together) over N rows, 60%
    /// hazards and 40% recurring duties, through the real store function against the bare
    /// SQL of the same run; prints p50/p95 and the ratio (target: p95 under 100 ms).
    Safety {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        #[arg(long, value_enum)]
        backend: Option<BenchBackend>,
        /// Timed runs per query (after five warm-up runs).
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Throughput of an authenticated page listing 50 estates against a bare axum route
    /// doing one primary-key query, same database, same run; prints the ratio.
    Auth {
        #[arg(long, default_value_t = 1_000_000)]
        houses: u64,
        #[arg(long, value_enum)]
        backend: Option<BenchBackend>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Seconds per measurement (after a one-second warm-up).
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Concurrent keep-alive connections.
        #[arg(long, default_value_t = 8)]
        connections: usize,
    },
    // credit: BEGIN
    /// Credit: `recompute_all` over N records (~3,000 enterprises) against the raw
    /// aggregate of the same run; prints both times and the ratio raw/recompute (target ≥ 0.5).
    Credit {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        #[arg(long, value_enum)]
        backend: Option<BenchBackend>,
        /// Timed runs (after one warm-up run).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    // credit: END
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchBackend {
    Sqlite,
    Postgres,
    Both,
}

pub async fn run(cmd: BenchCmd, data_dir: &Path) -> Result<()> {
    match cmd {
        BenchCmd::Import { houses, backend, seed, requests, warmup } => bench_import(data_dir, houses, backend, seed, requests, warmup).await,
        BenchCmd::Interest { households, backend } => crate::bench_fund::bench_interest(data_dir, households, backend).await,
        BenchCmd::Tally { houses, backend, runs } => crate::bench_assembly::bench_tally(data_dir, houses, backend, runs).await,
        BenchCmd::Cases { cases, backend, runs } => crate::bench_cases::bench_cases(data_dir, cases, backend, runs).await,
        BenchCmd::Safety { rows, backend, runs } => crate::bench_safety::bench_safety(data_dir, rows, backend, runs).await,
        BenchCmd::Auth { houses, backend, seed, seconds, connections } => crate::bench_auth::bench_auth(data_dir, houses, backend, seed, seconds, connections).await,
        // credit: BEGIN
        BenchCmd::Credit { rows, backend, runs } => crate::bench_credit::bench_credit(data_dir, rows, backend, runs).await,
        // credit: END
    }
}

/// The backends to measure: the one asked for, else SQLite plus PostgreSQL when
/// `DATABASE_URL` names one. Asking for PostgreSQL without it is an error.
pub(crate) fn backends(asked: Option<BenchBackend>) -> Result<Vec<BenchBackend>> {
    let has_pg = wuye_store::testing::postgres_url().is_some();
    let list = match asked.unwrap_or(if has_pg { BenchBackend::Both } else { BenchBackend::Sqlite }) {
        BenchBackend::Both => vec![BenchBackend::Sqlite, BenchBackend::Postgres],
        b => vec![b],
    };
    if list.contains(&BenchBackend::Postgres) && !has_pg {
        bail!("PostgreSQL 基准需要 DATABASE_URL=postgres://…");
    }
    Ok(list)
}

/// A scratch directory removed on drop.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new(data_dir: &Path) -> Result<Scratch> {
        let base = if data_dir.is_dir() { data_dir.to_path_buf() } else { std::env::temp_dir() };
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = base.join(format!("bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("创建 {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh database on one backend, dropped afterwards.
pub(crate) struct BenchDb {
    pub(crate) label: &'static str,
    pub(crate) db: Db,
    /// PostgreSQL: (admin URL, schema) to drop at the end.
    pg_schema: Option<(String, String)>,
}

pub(crate) async fn fresh_db(backend: BenchBackend, scratch: &Path) -> Result<BenchDb> {
    match backend {
        BenchBackend::Postgres => {
            let url = wuye_store::testing::postgres_url().context("--backend postgres: DATABASE_URL 须为 postgres://…")?;
            let admin = Db::connect(&Target::Postgres(url.clone())).await?;
            let schema = format!("bench_{}", std::process::id());
            if let Db::Postgres(p) = &admin {
                sqlx::query(dynamic(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))).execute(p).await?;
                sqlx::query(dynamic(format!("CREATE SCHEMA {schema}"))).execute(p).await?;
            }
            admin.close().await;
            let sep = if url.contains('?') { '&' } else { '?' };
            let target = Target::Postgres(format!("{url}{sep}options=-csearch_path%3D{schema}"));
            let db = Db::open(&target).await?;
            Ok(BenchDb { label: "PostgreSQL", db, pg_schema: Some((url, schema)) })
        }
        _ => {
            let target = Target::SqliteFile(scratch.join("bench.sqlite"));
            let db = Db::open(&target).await?;
            Ok(BenchDb { label: "SQLite", db, pg_schema: None })
        }
    }
}

impl BenchDb {
    pub(crate) async fn drop_all(self) -> Result<()> {
        self.db.close().await;
        if let Some((url, schema)) = self.pg_schema {
            let admin = Db::connect(&Target::Postgres(url)).await?;
            if let Db::Postgres(p) = &admin {
                sqlx::query(dynamic(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))).execute(p).await?;
            }
            admin.close().await;
        }
        Ok(())
    }
}

/// Records when each import phase starts (and when each progress step ends).
struct Timeline {
    t0: Instant,
    marks: Mutex<Vec<(String, Duration)>>,
}

impl Timeline {
    fn new() -> Timeline {
        Timeline { t0: Instant::now(), marks: Mutex::new(Vec::new()) }
    }
    fn mark(&self, what: &str) {
        if let Ok(mut m) = self.marks.lock() {
            m.push((what.to_string(), self.t0.elapsed()));
        }
    }
    /// "phase a → b: seconds" steps.
    fn steps(&self, end: Duration) -> Vec<(String, f64)> {
        let m = self.marks.lock().map(|m| m.clone()).unwrap_or_default();
        let mut out = Vec::new();
        let mut prev = ("开始".to_string(), Duration::ZERO);
        for (name, at) in m.into_iter().chain(std::iter::once(("结束".to_string(), end))) {
            out.push((prev.0.clone(), (at - prev.1).as_secs_f64()));
            prev = (name, at);
        }
        out
    }
}

impl Progress for Timeline {
    fn phase(&self, name: &str, _total: u64) {
        self.mark(name);
    }
    fn inc(&self, _n: u64) {
        self.mark("写入·步");
    }
}

/// buildings (id, estate_id, no, floors, has_elevator)
pub(crate) type RawBuilding = (i64, i64, String, Option<i32>, Option<bool>);
/// houses (id, estate_id, building_id, unit_id, room_no, floor, building_area, exclusive_area, house_use, status)
pub(crate) type RawHouse = (i64, i64, i64, i64, String, i32, i64, i64, &'static str, &'static str);
/// owners (id, owner_key, kind, name, id_number_enc, id_number_hash, id_number_mask, uscc,
/// phone_enc, phone_hash, phone_mask): the same protected values the import writes,
/// computed before the raw insert is timed.
pub(crate) type RawOwner = (i64, String, &'static str, String, Option<Protected>, Option<String>, Option<Protected>);

/// The rows of a raw insert, with ids assigned up front.
#[derive(Default)]
pub(crate) struct Raw {
    pub(crate) buildings: Vec<RawBuilding>,
    pub(crate) units: Vec<(i64, i64, String)>,
    pub(crate) houses: Vec<RawHouse>,
    pub(crate) owners: Vec<RawOwner>,
    pub(crate) ownerships: Vec<(i64, i64)>,
}

fn raw_rows(plan: &Plan, estate_ids: &HashMap<(String, String), i64>) -> Result<Raw> {
    let keys = wuye_store::pii::keys()?;
    let mut raw = Raw::default();
    let mut owner_id: Vec<i64> = vec![0; plan.owners.len()];
    let mut next_building = 1i64;
    let mut next_unit = 1i64;
    let mut next_house = 1i64;
    let mut next_owner = 1i64;
    for e in &plan.estates {
        let eid = *estate_ids.get(&(e.region_code.clone(), e.name.clone())).with_context(|| format!("小区 {} 未导入", e.name))?;
        // Ids of this estate's buildings and units, by plan index.
        let mut bids = Vec::with_capacity(e.buildings.len());
        let mut uids: Vec<Vec<i64>> = Vec::with_capacity(e.buildings.len());
        for b in &e.buildings {
            raw.buildings.push((next_building, eid, normalize_building_no(&b.no), b.floors, b.elevator));
            let mut u_ids = Vec::with_capacity(b.units.len());
            for u in &b.units {
                raw.units.push((next_unit, next_building, normalize_unit_no(u)));
                u_ids.push(next_unit);
                next_unit += 1;
            }
            bids.push(next_building);
            uids.push(u_ids);
            next_building += 1;
        }
        for h in &plan.houses[e.houses.clone()] {
            let hid = next_house;
            next_house += 1;
            raw.houses.push((
                hid,
                eid,
                bids[h.building as usize],
                uids[h.building as usize][h.unit as usize],
                h.room_no.clone(),
                h.floor,
                h.building_area,
                h.exclusive_area,
                h.house_use.code(),
                h.status.code(),
            ));
            for o in h.owners() {
                if owner_id[o] == 0 {
                    owner_id[o] = next_owner;
                    next_owner += 1;
                    let po = &plan.owners[o];
                    let (idn, uscc) = match po.kind {
                        wuye_domain::registry::OwnerKind::Person => (Some(po.id.clone()), None),
                        wuye_domain::registry::OwnerKind::Organisation => (None, Some(po.id.clone())),
                    };
                    let idp = idn.as_deref().map(|i| keys.protect_id(i));
                    let key = match &idp {
                        Some(p) => format!("idh:{}", p.hash),
                        None => po.key(),
                    };
                    let php = po.phone.as_deref().map(|x| keys.protect_phone(x));
                    raw.owners.push((owner_id[o], key, po.kind.code(), po.name.clone(), idp, uscc, php));
                }
                raw.ownerships.push((hid, owner_id[o]));
            }
        }
    }
    Ok(raw)
}

/// Multi-row INSERT of `$items`, `batch_rows($ncols)` rows per statement (as the import).
macro_rules! raw_batches {
    ($tx:expr, $head:expr, $ncols:expr, $items:expr, |$q:ident, $it:ident| $bind:expr) => {{
        for chunk in $items.chunks(batch_rows($ncols)) {
            let mut $q = sqlx::query(dynamic(multi_insert_for(backend_of_tx(&$tx), $head, $ncols, chunk.len())));
            for $it in chunk {
                $q = $bind;
            }
            $q.execute(&mut *$tx).await?;
        }
    }};
}

pub(crate) async fn raw_insert(db: &Db, raw: &Raw) -> Result<()> {
    on!(db, p => {
        let mut tx = wuye_store::begin_write!(db, p)?;
        raw_batches!(tx, "INSERT INTO buildings (id, estate_id, no, floors, has_elevator)", 5, raw.buildings,
            |q, b| q.bind(b.0).bind(b.1).bind(&b.2).bind(b.3).bind(b.4));
        raw_batches!(tx, "INSERT INTO units (id, building_id, no)", 3, raw.units, |q, u| q.bind(u.0).bind(u.1).bind(&u.2));
        raw_batches!(tx, "INSERT INTO houses (id, estate_id, building_id, unit_id, room_no, floor, building_area, exclusive_area, house_use, status)", 10, raw.houses,
            |q, h| q.bind(h.0).bind(h.1).bind(h.2).bind(h.3).bind(&h.4).bind(h.5).bind(h.6).bind(h.7).bind(h.8).bind(h.9));
        raw_batches!(tx, "INSERT INTO owners (id, owner_key, kind, name, id_number_enc, id_number_hash, id_number_mask, uscc, phone_enc, phone_hash, phone_mask)", 11, raw.owners,
            |q, o| q.bind(o.0).bind(&o.1).bind(o.2).bind(&o.3)
                .bind(o.4.as_ref().map(|x| &x.enc)).bind(o.4.as_ref().map(|x| &x.hash)).bind(o.4.as_ref().map(|x| &x.mask))
                .bind(&o.5)
                .bind(o.6.as_ref().map(|x| &x.enc)).bind(o.6.as_ref().map(|x| &x.hash)).bind(o.6.as_ref().map(|x| &x.mask)));
        raw_batches!(tx, "INSERT INTO ownerships (house_id, owner_id)", 2, raw.ownerships, |q, w| q.bind(w.0).bind(w.1));
        tx.commit().await?;
        Ok::<(), anyhow::Error>(())
    })
}

const TABLES: [&str; 5] = ["buildings", "units", "houses", "owners", "ownerships"];

async fn table_counts(db: &Db) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for t in TABLES {
        let n: i64 = on!(db, p => sqlx::query_scalar(dynamic(format!("SELECT COUNT(*) FROM {t}"))).fetch_one(p).await)?;
        out.push(n);
    }
    Ok(out)
}

/// Removes what the house import wrote, so the raw insert starts from the same state.
async fn clear_houses(db: &Db) -> Result<()> {
    match db {
        Db::Sqlite(p) => {
            for sql in [
                "DELETE FROM occupants",
                "DELETE FROM ownerships",
                "DELETE FROM owners",
                "DELETE FROM houses",
                "DELETE FROM units",
                "DELETE FROM buildings",
                "UPDATE estates SET house_count = 0",
            ] {
                sqlx::query(sql).execute(p).await?;
            }
            sqlx::query("VACUUM").execute(p).await?;
        }
        Db::Postgres(p) => {
            sqlx::query("TRUNCATE occupants, ownerships, owners, houses, units, buildings CASCADE").execute(p).await?;
            sqlx::query("UPDATE estates SET house_count = 0").execute(p).await?;
            sqlx::query("VACUUM ANALYZE").execute(p).await?;
        }
    }
    Ok(())
}

/// After the raw insert: house counts and (PostgreSQL) identity sequences, as the app needs.
pub(crate) async fn after_raw(db: &Db) -> Result<()> {
    on!(db, p => sqlx::query("UPDATE estates SET house_count = (SELECT COUNT(*) FROM houses h WHERE h.estate_id = estates.id)").execute(p).await.map(|_| ()))?;
    if let Db::Postgres(p) = db {
        for t in ["buildings", "units", "houses", "owners"] {
            sqlx::query(dynamic(format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {t}))"))).execute(p).await?;
        }
        sqlx::query("ANALYZE").execute(p).await?;
    }
    Ok(())
}

struct Latency {
    route: String,
    status: u16,
    bytes: usize,
    p50: f64,
    p95: f64,
    max: f64,
}

async fn measure_route(app: &axum::Router, uri: &str, cookie: &str, warmup: usize, n: usize) -> Result<Latency> {
    let mut times = Vec::with_capacity(n);
    let mut status = 0;
    let mut bytes = 0;
    for i in 0..warmup + n {
        let req = axum::http::Request::builder().uri(uri).header("cookie", cookie).body(Body::empty())?;
        let t = Instant::now();
        let resp = app.clone().oneshot(req).await?;
        status = resp.status().as_u16();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
        let dt = t.elapsed();
        bytes = body.len();
        if i >= warmup {
            times.push(dt.as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let at = |q: usize| times.get(((times.len() * q).div_ceil(100)).saturating_sub(1)).copied().unwrap_or(0.0);
    Ok(Latency { route: uri.to_string(), status, bytes, p50: at(50), p95: at(95), max: times.last().copied().unwrap_or(0.0) })
}

struct Outcome {
    label: &'static str,
    import_rate: f64,
    raw_rate: f64,
    latencies: Vec<Latency>,
}

pub(crate) fn group(n: u64) -> String {
    wuye_domain::units::group_thousands(n as i64)
}

async fn bench_import(data_dir: &Path, houses: u64, backend: Option<BenchBackend>, seed: u64, requests: usize, warmup: usize) -> Result<()> {
    if houses == 0 {
        bail!("--houses 应至少为 1");
    }
    let backends = backends(backend)?;
    let today = crate::today();
    let scratch = Scratch::new(data_dir)?;
    println!("wuye bench import: {} houses, seed {seed}, today {today}, {} CPU(s)", group(houses), std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));

    let mut plan: Option<Plan> = None;
    let csv_path = scratch.0.join("houses.csv");
    let mut outcomes = Vec::new();
    for b in backends {
        let bdb = fresh_db(b, &scratch.0).await?;
        let label = bdb.label;
        let db = bdb.db.clone();
        wuye_store::region::ensure_default_regions(&db).await?;

        // The plan and the file, once (untimed).
        if plan.is_none() {
            let t = Instant::now();
            let p = demo::plan_for(&db, houses, seed, today).await?;
            let t_plan = t.elapsed();
            let t = Instant::now();
            let f = std::fs::File::create(&csv_path).with_context(|| format!("创建 {}", csv_path.display()))?;
            p.write_houses_csv(std::io::BufWriter::with_capacity(1 << 20, f))?;
            let size = std::fs::metadata(&csv_path)?.len();
            println!(
                "plan: {} estates, {} houses, {} owners, {} ledger rows ({:.1} s); CSV {:.1} MB written in {:.1} s (untimed)",
                group(p.estates.len() as u64),
                group(p.houses.len() as u64),
                group(p.owners.len() as u64),
                group(p.house_row_count(0..p.houses.len()) as u64),
                t_plan.as_secs_f64(),
                size as f64 / 1e6,
                t.elapsed().as_secs_f64()
            );
            plan = Some(p);
        }
        let plan = plan.as_ref().context("plan")?;
        let n = plan.houses.len() as u64;

        let t = Instant::now();
        demo::write_registry(&db, plan, &wuye_store::import::Quiet).await?;
        println!("\n[{label}] estates, enterprises, contracts imported in {:.1} s (untimed)", t.elapsed().as_secs_f64());

        // 1. The real import path, file bytes to commit.
        let opts = ImportOptions {
            layout: LayoutKind::Houses,
            estate_id: None,
            skip_invalid: false,
            replace_owners: false,
            file_name: "houses.csv".into(),
            today,
        };
        let tl = Timeline::new();
        let t = Instant::now();
        let bytes = std::fs::read(&csv_path)?;
        tl.mark("读取文件(磁盘)");
        let report = match import_file(&db, &wuye_store::access::Access::system("bench"), &bytes, &opts, &tl).await {
            Ok(r) => r,
            Err(wuye_store::import::ImportError::Rejected(r)) => {
                bail!("import rejected: {} errors, first: {:?}", r.errors.len(), r.errors.iter().take(5).map(|e| e.to_string()).collect::<Vec<_>>())
            }
            Err(e) => return Err(e.into()),
        };
        drop(bytes);
        let t_import = t.elapsed();
        if report.inserted != n {
            bail!("import inserted {} houses, expected {n}", report.inserted);
        }
        let import_rate = n as f64 / t_import.as_secs_f64();
        let counts_import = table_counts(&db).await?;
        println!("[{label}] import  {} houses in {:6.2} s = {:>9} houses/s", group(n), t_import.as_secs_f64(), group(import_rate as u64));
        let mut steps: Vec<(String, f64)> = tl.steps(t_import);
        // Names of the steps between the import's progress calls (as import_houses makes them).
        const NAMED: [&str; 9] = [
            "read file",
            "sniff",
            "parse CSV",
            "parse+validate rows",
            "check rows, look up owners/houses, group",
            "write buildings, units, houses",
            "map house ids, write owners",
            "write ownerships, house counts, commit",
            "record run",
        ];
        if steps.len() == NAMED.len() {
            for (s, n) in steps.iter_mut().zip(NAMED) {
                s.0 = n.to_string();
            }
        }
        let steps: Vec<String> = steps.into_iter().map(|(k, s)| format!("{k} {s:.2}s")).collect();
        println!("[{label}]   import steps: {}", steps.join(" · "));

        // 2. The same rows, raw.
        clear_houses(&db).await?;
        let estate_ids: Vec<(i64, String, String)> = on!(&db, p => sqlx::query_as("SELECT id, region_code, name FROM estates").fetch_all(p).await)?;
        let estate_ids: HashMap<(String, String), i64> = estate_ids.into_iter().map(|(id, c, n)| ((c, n), id)).collect();
        let raw = raw_rows(plan, &estate_ids)?;
        let t = Instant::now();
        raw_insert(&db, &raw).await?;
        let t_raw = t.elapsed();
        let raw_rate = n as f64 / t_raw.as_secs_f64();
        after_raw(&db).await?;
        let counts_raw = table_counts(&db).await?;
        let rows_total: i64 = counts_raw.iter().sum();
        println!(
            "[{label}] raw     {} houses in {:6.2} s = {:>9} houses/s  ({} rows in 5 tables: {}; {:.0} rows/s)",
            group(n),
            t_raw.as_secs_f64(),
            group(raw_rate as u64),
            group(rows_total as u64),
            TABLES.iter().zip(&counts_raw).map(|(t, c)| format!("{t} {}", group(*c as u64))).collect::<Vec<_>>().join(", "),
            rows_total as f64 / t_raw.as_secs_f64()
        );
        if counts_raw != counts_import {
            println!("[{label}] WARNING: raw rows differ from imported rows: {counts_raw:?} vs {counts_import:?}");
        }
        let ratio = import_rate / raw_rate;
        println!("[{label}] ratio import/raw = {ratio:.2} (target ≥ 0.50: {})", if ratio >= 0.5 { "met" } else { "MISSED" });
        drop(raw);

        // 3. The dashboard at this size.
        // As the province regulator (the dashboard is for logged-in users).
        wuye_store::demo::demo_users(&db).await?;
        let (cookie, _) = wuye_store::account::login(&db, "demo-province", wuye_store::demo::DEMO_PASSWORD).await?.map_err(|e| anyhow::anyhow!("login: {e}"))?;
        let cookie = format!("{}={cookie}", wuye_web::auth::SESSION_COOKIE);
        let app = wuye_web::router(wuye_web::AppState::new(db.clone(), wuye_web::WebConfig::default()));
        let mut latencies = Vec::new();
        for uri in ["/", "/?region=640104", "/api/regions/640000000000/stats"] {
            let l = measure_route(&app, uri, &cookie, warmup, requests).await?;
            println!(
                "[{label}] GET {:<32} → {} ({} bytes): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms over {requests} requests after {warmup} warm-up{}",
                l.route,
                l.status,
                l.bytes,
                l.p50,
                l.p95,
                l.max,
                if l.status == 404 { " — route not there yet" } else { "" }
            );
            latencies.push(l);
        }
        outcomes.push(Outcome { label, import_rate, raw_rate, latencies });
        drop(app);
        bdb.drop_all().await?;
    }

    println!("\nsummary — {} houses; rates in houses/s; ratio target ≥ 0.50; dashboard p95 target < 100 ms", group(houses));
    for o in &outcomes {
        let ratio = o.import_rate / o.raw_rate;
        let lat: Vec<String> = o
            .latencies
            .iter()
            .map(|l| {
                let ok = l.status == 200 && l.p95 < 100.0;
                format!("{} [{}] p95 {:.1} ms {}", l.route, l.status, l.p95, if ok { "ok" } else if l.status != 200 { "n/a" } else { "MISSED" })
            })
            .collect();
        println!(
            "  {:<10} import {:>9}  raw {:>9}  ratio {ratio:.2} {}  |  {}",
            o.label,
            group(o.import_rate as u64),
            group(o.raw_rate as u64),
            if ratio >= 0.5 { "ok" } else { "MISSED" },
            lat.join("; ")
        );
    }
    Ok(())
}
