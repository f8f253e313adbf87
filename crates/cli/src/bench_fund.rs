//! `wuye bench interest --households N`: allocating value-added income (interest) over N
//! household accounts through the real path, against a raw batched update of the same rows,
//! same database, same run.
//!
//! Per backend, a fresh database gets N houses in estates of 5,000 (raw inserts), a deposit
//! rate, the fund accounts opened through `wuye_store::fund::open_accounts` and the initial
//! deposits posted raw (all untimed). Then, estate by estate, one transaction each:
//! 1. raw: the parts (computed beforehand, untimed) added to the balances with the same
//!    multi-row `UPDATE … FROM (VALUES …)` statements the real path uses — nothing else;
//!    reverted afterwards (untimed);
//! 2. real: `wuye_store::fund::allocate_interest` — reads the balances, splits the total by
//!    largest remainder (exact to the fen), writes one ledger entry per household, updates
//!    the balances and the estate account, and records the audit entry.
//!
//! Both rates are households per second; the ratio target is ≥ 0.5. Finally
//! `wuye_store::fund::verify` checks that every household's entries add up to its balance
//! and the households to their estate account.

use crate::bench::{BenchBackend, backends, Raw, Scratch, after_raw, fresh_db, group, raw_insert};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::Instant;
use wuye_store::access::Access;
use wuye_store::db::{batch_rows, dynamic};
use wuye_store::{fund, on};

const PER_ESTATE: u64 = 5_000;

pub(crate) async fn bench_interest(data_dir: &Path, households: u64, backend: Option<BenchBackend>) -> Result<()> {
    if households < PER_ESTATE {
        bail!("--households 应至少为 {PER_ESTATE}");
    }
    let backends = backends(backend)?;
    let scratch = Scratch::new(data_dir)?;
    let today = crate::today();
    let estates = households / PER_ESTATE;
    let n = estates * PER_ESTATE;
    println!("wuye bench interest: {} household accounts in {estates} estates of {}, {} CPU(s)", group(n), group(PER_ESTATE), std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let mut summary = Vec::new();
    for b in backends {
        let bdb = fresh_db(b, &scratch.0).await?;
        let label = bdb.label;
        let db = bdb.db.clone();
        let sys = Access::system("bench");
        let t = Instant::now();
        wuye_store::region::ensure_default_regions(&db).await?;
        let communities = wuye_store::region::urban_communities(&db).await?;
        if communities.is_empty() {
            bail!("没有城镇社区");
        }
        let mut estate_ids = Vec::new();
        let mut raw = Raw::default();
        let (mut next_b, mut next_u, mut next_h) = (1i64, 1i64, 1i64);
        for e in 0..estates {
            let c = &communities[e as usize % communities.len()];
            let input = wuye_domain::registry::EstateInput {
                name: format!("基准小区{e}"),
                region_code: wuye_domain::region::RegionCode::parse(&c.code)?,
                address: String::new(),
                kind: wuye_domain::registry::EstateKind::Commodity,
                year_built: Some(2010),
                land_area: None,
                building_area: PER_ESTATE as i64 * 10_000,
                has_elevator: e % 2 == 0,
                management: wuye_domain::registry::ManagementMode::None,
            };
            let id = wuye_store::registry::create_estate(&db, &sys, &input, 2026).await?;
            estate_ids.push(id);
            for i in 0..PER_ESTATE as i64 {
                if i % 200 == 0 {
                    raw.buildings.push((next_b, id, format!("{}", i / 200 + 1), Some(11), None));
                    raw.units.push((next_u, next_b, "1".into()));
                    next_b += 1;
                    next_u += 1;
                }
                let area = 6_000 + (i * 37 % 90) * 100;
                raw.houses.push((next_h, id, next_b - 1, next_u - 1, format!("{}", i % 200 + 101), (i % 200 / 8 + 1) as i32, area, area - 1_500, "residential", "delivered"));
                next_h += 1;
            }
        }
        raw_insert(&db, &raw).await?;
        after_raw(&db).await?;
        drop(raw);
        fund::set_rate(&db, &sys, "64", true, 8_000, today).await?;
        fund::set_rate(&db, &sys, "64", false, 4_000, today).await?;
        for id in &estate_ids {
            fund::open_accounts(&db, &sys, *id, today).await?;
        }
        on!(&db, p => {
            sqlx::query("INSERT INTO fund_entries (estate_id, house_id, kind, amount, entry_date, payer, memo, ref_type, ref_id)
                         SELECT estate_id, house_id, 'deposit', initial_deposit, $1, owner_snapshot, '首期缴存', 'deposit', NULL FROM fund_households")
                .bind(today).execute(p).await?;
            sqlx::query("UPDATE fund_households SET balance = initial_deposit").execute(p).await?;
            sqlx::query("UPDATE fund_accounts SET balance = (SELECT SUM(h.balance) FROM fund_households h WHERE h.estate_id = fund_accounts.estate_id)").execute(p).await?;
            if matches!(db, wuye_store::Db::Postgres(_)) {
                sqlx::query("ANALYZE").execute(p).await?;
            }
            Ok::<(), sqlx::Error>(())
        })?;
        println!("\n[{label}] {} household accounts opened and deposited in {:.1} s (untimed)", group(n), t.elapsed().as_secs_f64());

        // The totals and parts per estate (untimed): 1% of the estate's balance.
        let mut plan = Vec::new();
        for id in &estate_ids {
            let rows: Vec<(i64, i64)> = on!(&db, p => sqlx::query_as("SELECT house_id, balance FROM fund_households WHERE estate_id = $1 AND closed_on IS NULL ORDER BY house_id").bind(*id).fetch_all(p).await)?;
            let total = rows.iter().map(|r| r.1).sum::<i64>() / 100;
            let parts = wuye_domain::fund::allocate(total, &rows.iter().map(|r| r.1).collect::<Vec<_>>()).map_err(|e| anyhow::anyhow!("{e}"))?;
            plan.push((*id, total, rows.iter().map(|r| r.0).zip(parts).filter(|(_, p)| *p != 0).collect::<Vec<(i64, i64)>>()));
        }

        // 1. Raw batched update, then put the balances back (untimed).
        let raw_update = |sign: i64| {
            let db = db.clone();
            let plan = &plan;
            async move {
                for (_, _, parts) in plan {
                    on!(&db, p => {
                        let mut tx = wuye_store::begin_write!(&db, p)?;
                        for chunk in parts.chunks(batch_rows(2)) {
                            let mut q = sqlx::query(dynamic(fund::add_to_balances_sql(chunk.len())));
                            for (h, part) in chunk {
                                q = q.bind(*h).bind(sign * *part);
                            }
                            q.execute(&mut *tx).await?;
                        }
                        tx.commit().await?;
                        Ok::<(), wuye_store::StoreError>(())
                    })?;
                }
                Ok::<(), anyhow::Error>(())
            }
        };
        let t = Instant::now();
        raw_update(1).await?;
        let t_raw = t.elapsed();
        raw_update(-1).await?;

        // 2. The real path.
        let t = Instant::now();
        let mut allocated = 0i64;
        for (id, total, _) in &plan {
            let out = fund::allocate_interest(&db, &sys, *id, *total, wuye_domain::fund::InterestMethod::ByBalance, today).await?;
            allocated += out.iter().map(|(_, p)| p).sum::<i64>();
        }
        let t_real = t.elapsed();
        let expected: i64 = plan.iter().map(|(_, t, _)| t).sum();
        if allocated != expected {
            bail!("allocated {allocated} fen, expected {expected}");
        }
        let (checked, bad) = fund::verify(&db).await.context("verify")?;
        let raw_rate = n as f64 / t_raw.as_secs_f64();
        let real_rate = n as f64 / t_real.as_secs_f64();
        let ratio = real_rate / raw_rate;
        println!("[{label}] raw batched update  {} rows in {:6.2} s = {:>9} rows/s", group(n), t_raw.as_secs_f64(), group(raw_rate as u64));
        println!("[{label}] allocate_interest   {} rows in {:6.2} s = {:>9} rows/s  ({} fen allocated exactly)", group(n), t_real.as_secs_f64(), group(real_rate as u64), group(allocated as u64));
        println!("[{label}] ratio allocation/raw = {ratio:.2} (target ≥ 0.50: {})", if ratio >= 0.5 { "met" } else { "MISSED" });
        println!("[{label}] fund verify: {} accounts, {} household accounts, {} entries checked, {} mismatches", checked.accounts, checked.households, checked.entries, bad.len());
        if !bad.is_empty() {
            bail!("fund verify failed after the allocation: {:?}", bad.iter().take(3).collect::<Vec<_>>());
        }
        summary.push((label, raw_rate, real_rate, ratio));
        bdb.drop_all().await?;
    }
    println!("\nsummary — interest over {} household accounts; rows/s; ratio target ≥ 0.50", group(n));
    for (label, raw, real, ratio) in summary {
        println!("  {label:<10} raw {:>9}  allocate_interest {:>9}  ratio {ratio:.2} {}", group(raw as u64), group(real as u64), if ratio >= 0.5 { "ok" } else { "MISSED" });
    }
    Ok(())
}
