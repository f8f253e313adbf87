//! `wuye bench safety --rows N`: the region-wide safety overdue list (open hazards past
//! their deadline and duties past their due day, together, longest overdue first) over N
//! rows, through the real store function, against the bare SQL it is built on, same
//! database, same run.
//!
//! Per backend, a fresh database gets, untimed (then `ANALYZE`, and on PostgreSQL `VACUUM
//! ANALYZE` of the two tables as autovacuum would after the bulk insert): one estate per
//! community of Ningxia; 60% of N hazards and 40% of N duties inserted raw in multi-row
//! INSERTs, spread over the estates by a fixed pseudo-random sequence. Hazards were found
//! over the last three years, 85% closed; open ones have a deadline from 30 days ago to 40
//! days ahead (about 40% past). Duties are of the five kinds with their intervals, last
//! done so that about one in eight is past due. Then two users through the real token
//! path: the regulator of the busiest county and the provincial regulator.
//!
//! Timed, `--runs` times each after five warm-up runs, interleaved:
//! `wuye_store::safety::overdue` (50 rows and both counts) of the county and of the
//! province, against the bare pair `SELECT … FROM safety_hazards WHERE closed = FALSE AND
//! deadline < $1 AND region_code in the prefix range ORDER BY deadline LIMIT 50` and the
//! same on `safety_duties` (no merge, no estate names, no scope, no counts). p50 and p95
//! are printed with their ratio to the baseline; the target is p95 < 100 ms.

use crate::bench::{BenchBackend, Scratch, backends, fresh_db, group};
use crate::bench_cases::{Rng, percentile, user_access};
use anyhow::{Context, Result, bail};
use chrono::{Duration as Days, NaiveDate};
use std::path::Path;
use std::time::Instant;
use wuye_domain::account::{Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_domain::safety::{Category, DutyKind};
use wuye_store::db::{batch_rows, dynamic, multi_insert_for};
use wuye_store::{Db, on, safety};

const HAZARD_COLS: &str = "INSERT INTO safety_hazards (estate_id, region_code, category, severity, description, state, closed, spot_fixed, found_on, found_by_id, found_by, finder_kind, responsible, working_days, rectify_by, deadline, rectified_on, closed_on, step_count, updated_at)";
const HAZARD_N: usize = 20;
const DUTY_COLS: &str = "INSERT INTO safety_duties (estate_id, region_code, kind, subject, interval_unit, interval_n, since, last_done, next_due, active, updated_at)";
const DUTY_N: usize = 11;

type Estate = (i64, String);

#[allow(clippy::type_complexity)]
type HazardRow = (i64, String, &'static str, &'static str, &'static str, bool, bool, NaiveDate, &'static str, i64, NaiveDate, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>);

fn gen_hazard(r: &mut Rng, e: &Estate, today: NaiveDate) -> HazardRow {
    let found = today - Days::days(r.below(3 * 365) as i64 + 1);
    let open = r.below(100) < 15;
    let cat = Category::ALL[r.below(6) as usize].code();
    let sev = if r.below(10) == 0 { "major" } else { "general" };
    let spot = !open && r.below(4) == 0;
    let wd = [3i64, 5, 10, 15][r.below(4) as usize];
    let rectify_by = found + Days::days(wd * 7 / 5 + 1);
    // Open: a deadline from 30 days ago to 40 days ahead; closed: fixed in time 9 times in 10.
    let deadline = open.then(|| (today + Days::days(r.below(70) as i64 - 30)).max(found));
    let rectified = (!open && !spot).then(|| rectify_by + Days::days(if r.below(10) == 0 { 3 } else { -1 }));
    let closed_on = (!open).then(|| rectified.unwrap_or(found).min(today));
    let state = if open { ["rectifying", "rectifying", "reported"][r.below(3) as usize] } else { "closed" };
    (e.0, e.1.clone(), cat, sev, state, !open, spot, found, ["self", "street", "spot"][r.below(3) as usize], wd, rectify_by, deadline, rectified, closed_on)
}

#[allow(clippy::type_complexity)]
type DutyRow = (i64, String, &'static str, String, &'static str, i64, NaiveDate, Option<NaiveDate>, NaiveDate);

fn gen_duty(r: &mut Rng, e: &Estate, today: NaiveDate, i: u64) -> DutyRow {
    let kind = DutyKind::ALL[r.below(5) as usize];
    let interval = kind.interval(r.below(5) == 0, None);
    let (unit, n, span) = match interval {
        wuye_domain::safety::Interval::Days(d) => ("days", d as i64, d as i64),
        wuye_domain::safety::Interval::Months(m) => ("months", m as i64, m as i64 * 30),
    };
    let since = today - Days::days(3 * 365);
    // Last done within 1.15 intervals: about one in eight past due.
    let last = today - Days::days(r.below((span * 115 / 100).max(1) as u64) as i64);
    let due = interval.after(last);
    let subject = if kind == DutyKind::ElevatorMaintenance { format!("电梯{i}") } else { String::new() };
    (e.0, e.1.clone(), kind.code(), subject, unit, n, since, Some(last), due)
}

pub(crate) async fn bench_safety(data_dir: &Path, n: u64, backend: Option<BenchBackend>, runs: usize) -> Result<()> {
    if n < 1_000 {
        bail!("--rows 应至少为 1000");
    }
    let backends = backends(backend)?;
    let scratch = Scratch::new(data_dir)?;
    let today = crate::today();
    println!("wuye bench safety: {} hazards and duties, {runs} timed runs per query, {} CPU(s)", group(n), std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let mut summary = Vec::new();
    for b in backends {
        let bdb = fresh_db(b, &scratch.0).await?;
        let label = bdb.label;
        let db = bdb.db.clone();
        wuye_store::region::ensure_default_regions(&db).await?;
        let t = Instant::now();
        // One estate per community.
        let communities: Vec<(String,)> = on!(&db, p => sqlx::query_as("SELECT code FROM regions WHERE level = 'community' ORDER BY code").fetch_all(p).await)?;
        if communities.is_empty() {
            bail!("没有社区级区划");
        }
        let at = format!("{today}T00:00:00Z");
        on!(&db, p => {
            let mut tx = wuye_store::begin_write!(&db, p)?;
            let cols = "INSERT INTO estates (name, region_code, kind, building_area, has_elevator, management, created_at, updated_at)";
            for chunk in communities.chunks(batch_rows(8)) {
                let mut q = sqlx::query(dynamic(multi_insert_for(db.backend(), cols, 8, chunk.len())));
                for (c,) in chunk {
                    let now = chrono::Utc::now();
                    q = q.bind(format!("基准小区{c}")).bind(c).bind("commodity").bind(1_000_000i64).bind(true).bind("enterprise").bind(now).bind(now);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<(), wuye_store::StoreError>(())
        })?;
        let estates: Vec<Estate> = on!(&db, p => sqlx::query_as("SELECT id, region_code FROM estates ORDER BY id").fetch_all(p).await)?;
        let mut r = Rng(0x2545_F491_4F6C_DD1D);
        let hazards_n = n * 6 / 10;
        let duties_n = n - hazards_n;
        let mut done = 0u64;
        while done < hazards_n {
            let m = (hazards_n - done).min(100_000);
            let rows: Vec<HazardRow> = (0..m)
                .map(|_| {
                    let e = &estates[r.below(estates.len() as u64) as usize];
                    gen_hazard(&mut r, e, today)
                })
                .collect();
            on!(&db, p => {
                let mut tx = wuye_store::begin_write!(&db, p)?;
                for chunk in rows.chunks(batch_rows(HAZARD_N)) {
                    let mut q = sqlx::query(dynamic(multi_insert_for(db.backend(), HAZARD_COLS, HAZARD_N, chunk.len())));
                    for h in chunk {
                        q = q.bind(h.0).bind(&h.1).bind(h.2).bind(h.3).bind("基准隐患").bind(h.4).bind(h.5).bind(h.6).bind(h.7).bind(0i64).bind("system:bench").bind(h.8)
                            .bind("基准物业").bind(h.9).bind(h.10).bind(h.11).bind(h.12).bind(h.13).bind(2i64).bind(&at);
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok::<(), wuye_store::StoreError>(())
            })?;
            done += m;
        }
        let mut done = 0u64;
        while done < duties_n {
            let m = (duties_n - done).min(100_000);
            let rows: Vec<DutyRow> = (0..m)
                .map(|i| {
                    let e = &estates[r.below(estates.len() as u64) as usize];
                    gen_duty(&mut r, e, today, done + i)
                })
                .collect();
            on!(&db, p => {
                let mut tx = wuye_store::begin_write!(&db, p)?;
                for chunk in rows.chunks(batch_rows(DUTY_N)) {
                    let mut q = sqlx::query(dynamic(multi_insert_for(db.backend(), DUTY_COLS, DUTY_N, chunk.len())));
                    for d in chunk {
                        q = q.bind(d.0).bind(&d.1).bind(d.2).bind(&d.3).bind(d.4).bind(d.5).bind(d.6).bind(d.7).bind(d.8).bind(true).bind(&at);
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok::<(), wuye_store::StoreError>(())
            })?;
            done += m;
        }
        if let Db::Postgres(p) = &db {
            for t in ["safety_hazards", "safety_duties", "estates"] {
                sqlx::query(dynamic(format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {t}))"))).execute(p).await?;
                sqlx::query(dynamic(format!("VACUUM ANALYZE {t}"))).execute(p).await?;
            }
            sqlx::query("ANALYZE").execute(p).await?;
        } else if let Db::Sqlite(p) = &db {
            sqlx::query("ANALYZE").execute(p).await?;
        }
        let (ho, hd): (i64, i64) = on!(&db, p => sqlx::query_as("SELECT CAST(COALESCE(SUM(CASE WHEN closed THEN 0 ELSE 1 END), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN NOT closed AND deadline < $1 THEN 1 ELSE 0 END), 0) AS BIGINT) FROM safety_hazards").bind(today).fetch_one(p).await)?;
        let dd: i64 = on!(&db, p => sqlx::query_scalar("SELECT COUNT(*) FROM safety_duties WHERE next_due < $1").bind(today).fetch_one(p).await)?;
        println!(
            "\n[{label}] {} estates, {} hazards ({} open, {} overdue), {} duties ({} overdue) in {:.1} s (untimed)",
            group(estates.len() as u64),
            group(hazards_n),
            group(ho as u64),
            group(hd as u64),
            group(duties_n),
            group(dd as u64),
            t.elapsed().as_secs_f64()
        );

        // Users: the regulator of the county with the most communities, the province's.
        let mut by_county: std::collections::BTreeMap<&str, usize> = Default::default();
        for (c,) in &communities {
            *by_county.entry(&c[..6]).or_default() += 1;
        }
        let big = by_county.iter().max_by_key(|(_, n)| **n).map(|(c, _)| c.to_string()).context("a county")?;
        let county = user_access(&db, "bench-county", Role::Regulator, Scope::Region(RegionCode::parse(&big)?)).await?;
        let province = user_access(&db, "bench-province", Role::Regulator, Scope::Region(RegionCode::parse("64")?)).await?;

        let bare = |table: &str, due: &str, open: &str, prefix: &str| {
            format!("SELECT id, estate_id, {due} FROM {table} WHERE {open} AND {due} < $1 AND region_code >= '{prefix}' AND region_code < '{prefix}:' ORDER BY {due}, id LIMIT 50")
        };
        let mut timings: Vec<(String, Vec<f64>, Vec<f64>, i64)> = vec![(format!("overdue of a county ({big})"), vec![], vec![], 0), ("overdue of the province (64)".into(), vec![], vec![], 0)];
        for run in 0..runs + 5 {
            let warm = run < 5;
            for (i, (a, prefix)) in [(&county, big.as_str()), (&province, "64")].into_iter().enumerate() {
                let t = Instant::now();
                let list = safety::overdue(&db, a, prefix, 0, 50, today).await?;
                let real = t.elapsed().as_secs_f64() * 1000.0;
                let t = Instant::now();
                let h: Vec<(i64, i64, NaiveDate)> = on!(&db, p => sqlx::query_as(dynamic(bare("safety_hazards", "deadline", "closed = FALSE", prefix))).bind(today).fetch_all(p).await)?;
                let d: Vec<(i64, i64, NaiveDate)> = on!(&db, p => sqlx::query_as(dynamic(bare("safety_duties", "next_due", "active = TRUE", prefix))).bind(today).fetch_all(p).await)?;
                let b = t.elapsed().as_secs_f64() * 1000.0;
                // Same answer: the 50 earliest of the two bare lists.
                let mut merged: Vec<NaiveDate> = h.iter().chain(d.iter()).map(|x| x.2).collect();
                merged.sort();
                merged.truncate(50);
                let got: Vec<NaiveDate> = list.items.iter().map(|x| x.due).collect();
                if got != merged {
                    bail!("overdue {prefix}: the list differs from the bare queries");
                }
                if !warm {
                    timings[i].1.push(real);
                    timings[i].2.push(b);
                    timings[i].3 = list.hazards + list.duties;
                }
            }
        }
        println!("[{label}] {:<44} {:>9} {:>9} {:>10} {:>10} {:>7}  p95 < 100 ms", "query (overdue rows)", "p50 ms", "p95 ms", "base p50", "base p95", "ratio");
        for (what, real, base, rows) in &mut timings {
            real.sort_by(f64::total_cmp);
            base.sort_by(f64::total_cmp);
            let (p50, p95, b50, b95) = (percentile(real, 50), percentile(real, 95), percentile(base, 50), percentile(base, 95));
            let ratio = if b95 > 0.0 { p95 / b95 } else { 0.0 };
            let ok = if p95 < 100.0 { "ok" } else { "MISSED" };
            println!("[{label}] {:<44} {p50:>9.2} {p95:>9.2} {b50:>10.2} {b95:>10.2} {ratio:>7.1}  {ok}", format!("{what} ({})", group(*rows as u64)));
            summary.push((label, what.clone(), p95, b95, ratio, ok));
        }
        bdb.drop_all().await?;
    }
    println!("\nsummary — {} hazards and duties; p95 in ms, real against the bare SQL of the same run; target p95 < 100 ms", group(n));
    for (label, what, p95, b95, ratio, ok) in summary {
        println!("  {label:<10} {what:<44} p95 {p95:>7.2}  bare {b95:>7.2}  ratio {ratio:>6.1}  {ok}");
    }
    Ok(())
}
