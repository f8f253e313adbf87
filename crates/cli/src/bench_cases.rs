//! `wuye bench cases --cases N`: a department's inbox and a region's overdue list over N
//! cases, through the real store functions, against the bare SQL they are built on, same
//! database, same run.
//!
//! Per backend, a fresh database gets, untimed (then `ANALYZE`, and on PostgreSQL `VACUUM`
//! of the cases as autovacuum would after the bulk insert): for every county of Ningxia a housing
//! department, a street office, six departments and a mediation committee (~200
//! organisations); N cases inserted raw in multi-row INSERTs, spread over the counties'
//! communities by a fixed pseudo-random sequence: half joint-conference matters, a quarter
//! referrals, a quarter disputes; opened over the last three years; 80% closed (in the
//! kind's closing states, with the holder the flow leaves them with), 20% open, and of
//! those about one in four past its deadline. Then three users through the real account
//! path (API tokens): a department member of one organisation, a county regulator and the
//! provincial regulator.
//!
//! Timed, `--runs` times each after a warm-up, interleaved:
//! (a) `wuye_store::cases::inbox` (50 rows) for the department member, against the bare
//!     `SELECT … FROM cases WHERE holder_org_id = $1 AND closed = FALSE ORDER BY deadline
//!     LIMIT 50` (no joins, no membership, no scope);
//! (b) `wuye_store::cases::overdue` (50 rows and the count) of a county for the county
//!     regulator and of the province for the provincial regulator, against the bare
//!     `SELECT … WHERE closed = FALSE AND deadline < $1 AND region_code in the prefix range
//!     ORDER BY deadline LIMIT 50` (no joins, no scope, no count).
//! p50 and p95 are printed with their ratio to the baseline; the target is p95 < 100 ms.

use crate::bench::{BenchBackend, Scratch, backends, fresh_db, group};
use anyhow::{Context, Result, bail};
use chrono::{Duration as Days, NaiveDate};
use std::path::Path;
use std::time::Instant;
use wuye_domain::account::{Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_store::access::Access;
use wuye_store::db::{batch_rows, dynamic, multi_insert_for};
use wuye_store::{Db, cases, on};

pub(crate) fn percentile(sorted: &[f64], q: usize) -> f64 {
    sorted.get((sorted.len() * q).div_ceil(100).saturating_sub(1)).copied().unwrap_or(0.0)
}

/// A small deterministic generator (xorshift), so every run lays out the same cases.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The departments of every county (besides housing, street and mediation).
const DEPTS: [&str; 6] = ["urban_management", "planning", "greening", "police", "environment", "market_regulation"];

struct County {
    code: String,
    communities: Vec<String>,
    housing: i64,
    street: i64,
    mediation: i64,
    depts: Vec<i64>,
}

const COLS: &str = "INSERT INTO cases (kind, state, closed, title, category, region_code, supervisor_org_id, holder_org_id, deadline, opened_on, closed_on, escalated_on, escalated_to, opened_by_id, opened_by, outcome, step_count, updated_at)";
const NCOLS: usize = 18;

#[allow(clippy::type_complexity)]
type Row = (&'static str, &'static str, bool, String, &'static str, String, i64, i64, Option<NaiveDate>, NaiveDate, Option<NaiveDate>, Option<NaiveDate>, Option<String>);

/// One generated case.
fn gen_case(r: &mut Rng, c: &County, today: NaiveDate, i: u64) -> Row {
    let community = c.communities[r.below(c.communities.len() as u64) as usize].clone();
    let opened = today - Days::days(r.below(3 * 365) as i64 + 1);
    let open = r.below(100) < 20;
    let dept = c.depts[r.below(c.depts.len() as u64) as usize];
    // Open cases: a deadline from 18 days ago to 51 days ahead (about one in four past).
    let deadline = open.then(|| today + Days::days(r.below(70) as i64 - 18));
    let deadline = deadline.map(|d| if d < opened { opened + Days::days(1) } else { d });
    let closed_on = (!open).then(|| (opened + Days::days(r.below(60) as i64 + 1)).min(today));
    let escalated = (!open && r.below(10) == 0).then_some(opened + Days::days(20)).filter(|d| *d <= today);
    let k = r.below(4);
    let (kind, state, category, sup, holder) = match (k, open) {
        (0 | 1, true) => {
            let st = ["dispatched", "accepted", "accepted", "reported", "returned"][r.below(5) as usize];
            let h = if matches!(st, "reported" | "returned") { c.housing } else { dept };
            ("matter", st, "", c.housing, h)
        }
        (0 | 1, false) => ("matter", "confirmed", "", c.housing, c.housing),
        (2, true) => {
            let st = ["reported", "referred", "accepted"][r.below(3) as usize];
            let h = if st == "reported" { c.street } else { dept };
            ("referral", st, ["illegal_construction", "fire_lane", "greenery", "group_renting", "business_use"][r.below(5) as usize], c.street, h)
        }
        (2, false) => ("referral", if r.below(5) == 0 { "dismissed" } else { "handled" }, ["illegal_construction", "fire_lane", "greenery", "group_renting", "business_use"][r.below(5) as usize], c.street, dept),
        (_, true) => ("dispute", ["applied", "accepted", "notified", "in_session"][r.below(4) as usize], ["owner_owner", "owner_enterprise", "owner_committee", "committee_enterprise"][r.below(4) as usize], c.street, c.mediation),
        (_, false) => ("dispute", ["agreed", "agreed", "agreed", "ended", "declined", "court"][r.below(6) as usize], ["owner_owner", "owner_enterprise", "owner_committee", "committee_enterprise"][r.below(4) as usize], c.street, c.mediation),
    };
    let escalated_to = escalated.map(|_| format!("{:0<12}", &c.code[..4]));
    (kind, state, !open, format!("基准案件{i}"), category, community, sup, holder, deadline, opened, closed_on, escalated, escalated_to)
}

async fn insert_cases(db: &Db, rows: &[Row], today: NaiveDate) -> Result<()> {
    let at = format!("{today}T00:00:00Z");
    on!(db, p => {
        let mut tx = wuye_store::begin_write!(db, p)?;
        for chunk in rows.chunks(batch_rows(NCOLS)) {
            let sql = multi_insert_for(db.backend(), COLS, NCOLS, chunk.len());
            let mut q = sqlx::query(dynamic(sql));
            for r in chunk {
                q = q.bind(r.0).bind(r.1).bind(r.2).bind(&r.3).bind(r.4).bind(&r.5).bind(r.6).bind(r.7).bind(r.8).bind(r.9).bind(r.10).bind(r.11).bind(&r.12)
                    .bind(0i64).bind("system:bench").bind("").bind(2i64).bind(&at);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<(), wuye_store::StoreError>(())
    })?;
    Ok(())
}

/// An [`Access`] of a new user with one role, through the real token path.
pub(crate) async fn user_access(db: &Db, name: &str, role: Role, scope: Scope) -> Result<Access> {
    let sys = Access::system("bench");
    wuye_store::account::create_user(db, &sys, name, name, "bench-password-1", &[(role, scope, String::new())], false).await?;
    let (_, token) = wuye_store::account::create_token(db, &sys, name, None, "bench").await?;
    wuye_store::account::token_access(db, &token).await?.map_err(|e| anyhow::anyhow!("token: {e:?}"))
}

struct Timing {
    what: String,
    real: Vec<f64>,
    base: Vec<f64>,
    rows: usize,
}

pub(crate) async fn bench_cases(data_dir: &Path, n: u64, backend: Option<BenchBackend>, runs: usize) -> Result<()> {
    if n < 1_000 {
        bail!("--cases 应至少为 1000");
    }
    let backends = backends(backend)?;
    let scratch = Scratch::new(data_dir)?;
    let today = crate::today();
    println!("wuye bench cases: {} cases, {runs} timed runs per query, {} CPU(s)", group(n), std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let mut summary = Vec::new();
    for b in backends {
        let bdb = fresh_db(b, &scratch.0).await?;
        let label = bdb.label;
        let db = bdb.db.clone();
        let sys = Access::system("bench");
        wuye_store::region::ensure_default_regions(&db).await?;
        let t = Instant::now();
        // Organisations: per county, housing, street, mediation and six departments.
        let counties: Vec<(String, String)> = on!(&db, p => sqlx::query_as("SELECT code, name FROM regions WHERE level = 'county' ORDER BY code").fetch_all(p).await)?;
        let communities: Vec<(String,)> = on!(&db, p => sqlx::query_as("SELECT code FROM regions WHERE level = 'community' ORDER BY code").fetch_all(p).await)?;
        let mut cs = Vec::new();
        for (code, name) in &counties {
            let prefix = &code[..6];
            let comms: Vec<String> = communities.iter().map(|c| c.0.clone()).filter(|c| c.starts_with(prefix)).collect();
            if comms.is_empty() {
                continue;
            }
            let mk = |kind: &'static str, label: String| {
                let (db, sys, code) = (db.clone(), sys.clone(), code.clone());
                async move { wuye_store::cases::create_organisation(&db, &sys, kind, &label, &code, "").await }
            };
            let housing = mk("housing", format!("{name}住房和城乡建设局")).await?;
            let street = mk("street", format!("{name}街道办事处")).await?;
            let mediation = mk("mediation", format!("{name}物业纠纷人民调解委员会")).await?;
            let mut depts = Vec::new();
            for d in DEPTS {
                depts.push(mk(d, format!("{name}{}", wuye_domain::cases::department_label(d).unwrap_or(d))).await?);
            }
            cs.push(County { code: code.clone(), communities: comms, housing, street, mediation, depts });
        }
        if cs.is_empty() {
            bail!("没有县级区划");
        }
        let orgs = cs.len() * (3 + DEPTS.len());
        // Cases: counties weighted by their communities.
        let weights: Vec<usize> = cs.iter().map(|c| c.communities.len()).collect();
        let wsum: u64 = weights.iter().map(|w| *w as u64).sum();
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        let mut done = 0u64;
        while done < n {
            let m = (n - done).min(100_000);
            let mut rows = Vec::with_capacity(m as usize);
            for i in 0..m {
                let mut x = r.below(wsum) as usize;
                let mut ci = 0;
                while x >= weights[ci] {
                    x -= weights[ci];
                    ci += 1;
                }
                rows.push(gen_case(&mut r, &cs[ci], today, done + i));
            }
            insert_cases(&db, &rows, today).await?;
            done += m;
        }
        if let Db::Postgres(p) = &db {
            sqlx::query("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT COALESCE(MAX(id), 1) FROM cases))").execute(p).await?;
            // As autovacuum leaves a table after bulk inserts: statistics and the
            // visibility map (index-only counts).
            sqlx::query("VACUUM ANALYZE cases").execute(p).await?;
            sqlx::query("ANALYZE").execute(p).await?;
        } else if let Db::Sqlite(p) = &db {
            sqlx::query("ANALYZE").execute(p).await?;
        }
        let (open, overdue): (i64, i64) = on!(&db, p => sqlx::query_as("SELECT CAST(COALESCE(SUM(CASE WHEN closed THEN 0 ELSE 1 END), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN NOT closed AND deadline < $1 THEN 1 ELSE 0 END), 0) AS BIGINT) FROM cases").bind(today).fetch_one(p).await)?;
        println!("\n[{label}] {} organisations in {} counties, {} cases ({} open, {} overdue) in {:.1} s (untimed)", orgs, cs.len(), group(n), group(open as u64), group(overdue as u64), t.elapsed().as_secs_f64());

        // Users: a member of the busiest county's urban-management department, its county
        // regulator, the provincial regulator.
        let big = cs.iter().max_by_key(|c| c.communities.len()).context("a county")?;
        let dept_org = big.depts[0];
        let dept = user_access(&db, "bench-dept", Role::Department, Scope::Region(RegionCode::parse(&big.code)?)).await?;
        wuye_store::cases::add_member(&db, &sys, dept_org, "bench-dept").await?;
        let county = user_access(&db, "bench-county", Role::Regulator, Scope::Region(RegionCode::parse(&big.code)?)).await?;
        let province = user_access(&db, "bench-province", Role::Regulator, Scope::Region(RegionCode::parse("64")?)).await?;
        let county_prefix = big.code[..6].to_string();

        let base_inbox = "SELECT id, kind, state, deadline FROM cases WHERE holder_org_id = $1 AND closed = FALSE ORDER BY deadline, id LIMIT 50";
        let base_overdue = |prefix: &str| format!("SELECT id, kind, state, deadline FROM cases WHERE closed = FALSE AND deadline < $1 AND region_code >= '{prefix}' AND region_code < '{prefix}:' ORDER BY deadline, id LIMIT 50");
        let mut timings = vec![
            Timing { what: format!("inbox of a department ({} open held)", group(cases::inbox(&db, &dept, 1_000_000).await?.len() as u64)), real: vec![], base: vec![], rows: 0 },
            Timing { what: format!("overdue of a county ({county_prefix})"), real: vec![], base: vec![], rows: 0 },
            Timing { what: "overdue of the province (64)".into(), real: vec![], base: vec![], rows: 0 },
        ];
        for run in 0..runs + 5 {
            let warm = run < 5;
            // (a) inbox
            let t = Instant::now();
            let rows = cases::inbox(&db, &dept, 50).await?;
            let real = t.elapsed().as_secs_f64() * 1000.0;
            let t = Instant::now();
            let base: Vec<(i64, String, String, Option<NaiveDate>)> = on!(&db, p => sqlx::query_as(base_inbox).bind(dept_org).fetch_all(p).await)?;
            let b = t.elapsed().as_secs_f64() * 1000.0;
            if !warm {
                timings[0].real.push(real);
                timings[0].base.push(b);
                timings[0].rows = rows.len().max(base.len());
            }
            // (b) overdue, county and province
            for (i, (a, prefix)) in [(&county, county_prefix.as_str()), (&province, "64")].into_iter().enumerate() {
                let t = Instant::now();
                let (rows, total) = cases::overdue(&db, a, prefix, 50, today).await?;
                let real = t.elapsed().as_secs_f64() * 1000.0;
                let t = Instant::now();
                let base: Vec<(i64, String, String, Option<NaiveDate>)> = on!(&db, p => sqlx::query_as(dynamic(base_overdue(prefix))).bind(today).fetch_all(p).await)?;
                let b = t.elapsed().as_secs_f64() * 1000.0;
                if rows.len() != base.len() {
                    bail!("overdue {prefix}: {} rows, the bare query {}", rows.len(), base.len());
                }
                if !warm {
                    timings[i + 1].real.push(real);
                    timings[i + 1].base.push(b);
                    timings[i + 1].rows = total as usize;
                }
            }
        }
        println!("[{label}] {:<44} {:>9} {:>9} {:>10} {:>10} {:>7}  p95 < 100 ms", "query (rows)", "p50 ms", "p95 ms", "base p50", "base p95", "ratio");
        for tm in &mut timings {
            tm.real.sort_by(f64::total_cmp);
            tm.base.sort_by(f64::total_cmp);
            let (p50, p95, b50, b95) = (percentile(&tm.real, 50), percentile(&tm.real, 95), percentile(&tm.base, 50), percentile(&tm.base, 95));
            let ratio = if b95 > 0.0 { p95 / b95 } else { 0.0 };
            let ok = if p95 < 100.0 { "ok" } else { "MISSED" };
            println!("[{label}] {:<44} {p50:>9.2} {p95:>9.2} {b50:>10.2} {b95:>10.2} {ratio:>7.1}  {ok}", format!("{} ({})", tm.what, group(tm.rows as u64)));
            summary.push((label, tm.what.clone(), p95, b95, ratio, ok));
        }
        bdb.drop_all().await?;
    }
    println!("\nsummary — {} cases; p95 in ms, real against the bare SQL of the same run; target p95 < 100 ms", group(n));
    for (label, what, p95, b95, ratio, ok) in summary {
        println!("  {label:<10} {what:<44} p95 {p95:>7.2}  bare {b95:>7.2}  ratio {ratio:>6.1}  {ok}");
    }
    Ok(())
}
