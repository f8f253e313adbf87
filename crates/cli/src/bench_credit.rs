//! `wuye bench credit --rows N`: `wuye_store::credit::recompute_all` (every registered
//! enterprise's score, grade, black list and bar flag, written in batches with the history)
//! against the raw aggregate it is built on, same database, same run.
//!
//! Per backend, a fresh database gets, untimed: ~3,000 enterprises (one per N/333 records,
//! at least 10), all registered; N records inserted raw in multi-row INSERTs, spread over the
//! enterprises by a fixed pseudo-random sequence: occurred over the last two years, 40%
//! good, 90% effective (the rest pending, objected or revoked), 0.5% serious (half of them
//! rectified); then `ANALYZE`.
//!
//! Timed, `--runs` times each after one warm-up, interleaved: `recompute_all(db, today)`
//! against `SELECT enterprise_id, SUM(CASE kind WHEN 'good' THEN points ELSE −points END)
//! FROM credit_records WHERE <counting on today> GROUP BY enterprise_id`. Prints both
//! medians and the ratio raw/recompute; the target: ratio ≥ 0.5 (recompute at most
//! twice the raw time).

use crate::bench::{BenchBackend, Scratch, backends, fresh_db, group};
use crate::bench_cases::{Rng, percentile};
use anyhow::{Result, bail};
use chrono::{Duration as Days, NaiveDate};
use std::path::Path;
use std::time::Instant;
use wuye_store::db::{batch_rows, dynamic, multi_insert_for};
use wuye_store::{Db, credit, on};

const REC_COLS: &str = "INSERT INTO credit_records (enterprise_id, kind, item_code, scheme_code, points_tenths, serious, source, source_org, estate_id, region_code, title, detail, occurred_on, entered_on, entered_by, entered_by_name, objection_until, state, effective_on, valid_until, rectified_on, created_at)";
const REC_N: usize = 22;

#[allow(clippy::type_complexity)]
type Row = (i64, &'static str, &'static str, i64, i64, String, NaiveDate, NaiveDate, &'static str, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>);

fn gen_record(r: &mut Rng, ents: &[(i64, String)], today: NaiveDate) -> Row {
    let (e, region) = &ents[r.below(ents.len() as u64) as usize];
    let occurred = today - Days::days(r.below(730) as i64);
    let good = r.below(10) < 4;
    let serious = !good && r.below(200) == 0;
    let (item, pts) = if serious { ("S01", 100 + r.below(101) as i64) } else if good { ("G02", 5 + r.below(26) as i64) } else { ("B01", 5 + r.below(26) as i64) };
    let st = r.below(100);
    let until = occurred + Days::days(14);
    let state = if st < 90 { "effective" } else if st < 94 { "pending" } else if st < 97 { "objected" } else { "revoked" };
    let eff = (state == "effective").then(|| until + Days::days(1));
    let valid = if serious { None } else { Some(wuye_domain::calendar::add_months(occurred, 12) - Days::days(1)) };
    let rect = (serious && r.below(2) == 0).then(|| (occurred + Days::days(60)).min(today));
    (*e, if good { "good" } else { "bad" }, item, pts, serious as i64, region.clone(), occurred, until, state, eff, valid, rect)
}

pub(crate) async fn bench_credit(data_dir: &Path, n: u64, backend: Option<BenchBackend>, runs: usize) -> Result<()> {
    if n < 1_000 {
        bail!("--rows 应至少为 1000");
    }
    let backends = backends(backend)?;
    let scratch = Scratch::new(data_dir)?;
    let today = crate::today();
    let ents_n = (n / 333).max(10);
    println!("wuye bench credit: {} records over {} enterprises, {runs} timed runs, {} CPU(s)", group(n), group(ents_n), std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let mut summary = Vec::new();
    for b in backends {
        let bdb = fresh_db(b, &scratch.0).await?;
        let label = bdb.label;
        let db: Db = bdb.db.clone();
        wuye_store::region::ensure_default_regions(&db).await?;
        let t = Instant::now();
        let counties: Vec<String> = on!(&db, p => sqlx::query_scalar("SELECT code FROM regions WHERE level = 'county' ORDER BY code").fetch_all(p).await)?;
        if counties.is_empty() {
            bail!("没有县级区划");
        }
        let at = format!("{today}T00:00:00Z");
        on!(&db, p => {
            let mut tx = wuye_store::begin_write!(&db, p)?;
            let cols = "INSERT INTO enterprises (name, uscc, legal_representative, region_code, contact_person, address, created_at, updated_at)";
            let idx: Vec<u64> = (0..ents_n).collect();
            for chunk in idx.chunks(batch_rows(8)) {
                let mut q = sqlx::query(dynamic(multi_insert_for(db.backend(), cols, 8, chunk.len())));
                for i in chunk {
                    q = q.bind(format!("基准物业{i}")).bind(format!("91640000BENCH{i:05}")).bind("法人").bind(&counties[*i as usize % counties.len()]).bind("").bind("").bind(chrono::Utc::now()).bind(chrono::Utc::now());
                }
                q.execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO credit_registrations (enterprise_id, region_code, registered_on, status, exited_on, exit_reason, created_at) SELECT id, region_code, $1, 'registered', NULL, '', $2 FROM enterprises")
                .bind(today - Days::days(800)).bind(&at).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), wuye_store::StoreError>(())
        })?;
        let ents: Vec<(i64, String)> = on!(&db, p => sqlx::query_as("SELECT id, region_code FROM enterprises ORDER BY id").fetch_all(p).await)?;
        let mut r = Rng(0x2545_F491_4F6C_DD1D);
        let mut done = 0u64;
        while done < n {
            let m = (n - done).min(100_000);
            let rows: Vec<Row> = (0..m).map(|_| gen_record(&mut r, &ents, today)).collect();
            on!(&db, p => {
                let mut tx = wuye_store::begin_write!(&db, p)?;
                for chunk in rows.chunks(batch_rows(REC_N)) {
                    let mut q = sqlx::query(dynamic(multi_insert_for(db.backend(), REC_COLS, REC_N, chunk.len())));
                    for x in chunk {
                        q = q.bind(x.0).bind(x.1).bind(x.2).bind("yantai_2022").bind(x.3).bind(x.4).bind("regulator").bind("").bind(None::<i64>).bind(&x.5)
                            .bind("基准记录").bind("").bind(x.6).bind(x.6).bind(0i64).bind("bench").bind(x.7).bind(x.8).bind(x.9).bind(x.10).bind(x.11).bind(&at);
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok::<(), wuye_store::StoreError>(())
            })?;
            done += m;
        }
        // Pending rows whose window ended would be settled by the first recompute: settle
        // them now (untimed) so every timed run does the same work.
        credit::settle(&db, today).await?;
        if let Db::Postgres(p) = &db {
            for t in ["credit_records", "enterprises", "credit_registrations"] {
                sqlx::query(dynamic(format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {t}))"))).execute(p).await.ok();
                sqlx::query(dynamic(format!("VACUUM ANALYZE {t}"))).execute(p).await?;
            }
        } else if let Db::Sqlite(p) = &db {
            sqlx::query("ANALYZE").execute(p).await?;
        }
        println!("\n[{label}] {} enterprises, {} records in {:.1} s (untimed)", group(ents.len() as u64), group(n), t.elapsed().as_secs_f64());
        let raw = format!(
            "SELECT enterprise_id, CAST(SUM(CASE kind WHEN 'good' THEN points_tenths ELSE -points_tenths END) AS BIGINT) FROM credit_records WHERE {} GROUP BY enterprise_id",
            credit::counting_sql(None)
        );
        let (mut real, mut base) = (Vec::new(), Vec::new());
        let mut written = 0;
        for run in 0..runs + 1 {
            let t = Instant::now();
            written = credit::recompute_all(&db, today).await?;
            let a = t.elapsed().as_secs_f64() * 1000.0;
            let t = Instant::now();
            let sums: Vec<(i64, i64)> = on!(&db, p => sqlx::query_as(dynamic(raw.clone())).bind(today).fetch_all(p).await)?;
            let bt = t.elapsed().as_secs_f64() * 1000.0;
            if sums.is_empty() {
                bail!("raw aggregate returned nothing");
            }
            if run > 0 {
                real.push(a);
                base.push(bt);
            }
        }
        if written != ents.len() {
            bail!("recompute_all wrote {written} scores for {} enterprises", ents.len());
        }
        real.sort_by(f64::total_cmp);
        base.sort_by(f64::total_cmp);
        let (p50, b50) = (percentile(&real, 50), percentile(&base, 50));
        let ratio = if p50 > 0.0 { b50 / p50 } else { 0.0 };
        let ok = if ratio >= 0.5 { "ok" } else { "MISSED" };
        println!("[{label}] recompute_all p50 {p50:.1} ms; raw aggregate p50 {b50:.1} ms; ratio raw/recompute {ratio:.2} (target ≥ 0.5) {ok}");
        summary.push((label, p50, b50, ratio, ok));
        bdb.drop_all().await?;
    }
    println!("\nsummary — {} credit records; recompute_all against the raw aggregate of the same run; target ratio ≥ 0.5", group(n));
    for (label, p50, b50, ratio, ok) in summary {
        println!("  {label:<10} recompute {p50:>9.1} ms  raw {b50:>9.1} ms  ratio {ratio:>5.2}  {ok}");
    }
    Ok(())
}
