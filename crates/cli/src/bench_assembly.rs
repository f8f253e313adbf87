//! `wuye bench tally --houses N`: the tally of one estate's vote against the raw SQL
//! aggregate it is built on, same database, same run.
//!
//! Per backend, a fresh database gets one estate of N houses (raw inserts, untimed): 100
//! houses per unit, two units per building; every 20th owner holds a second house, every
//! 25th house has two co-owners, and the last 1% of houses are the developer's unsold ones.
//! A vote with three matters (an ordinary one, one under the special consent, the fund's
//! use) is drafted, announced, opened (the electorate frozen from the registry), and 70% of
//! the voters cast ballots through the real cast path (8 concurrent tasks, untimed; every
//! 10th voter changes their ballot once). Then `wuye_store::assembly::tally` (the two SQL
//! aggregates and the exact rules of Civil Code Art 278) and the bare aggregate statements
//! run `--runs` times each, interleaved; the median, p95 and their ratio are printed. Target:
//! the tally of 50,000 houses under 100 ms.

use crate::bench::{BenchBackend, backends, Raw, Scratch, after_raw, fresh_db, group, raw_insert};
use anyhow::{Context, Result, bail};
use chrono::Duration as Days;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use wuye_domain::assembly::{Choice, MatterKind, VoterId};
use wuye_store::access::Access;
use wuye_store::assembly::{self, Method, NewVote};
use wuye_store::on;

fn percentile(sorted: &[f64], q: usize) -> f64 {
    sorted.get((sorted.len() * q).div_ceil(100).saturating_sub(1)).copied().unwrap_or(0.0)
}

pub(crate) async fn bench_tally(data_dir: &Path, houses: u64, backend: Option<BenchBackend>, runs: usize) -> Result<()> {
    if houses < 100 {
        bail!("--houses 应至少为 100");
    }
    let backends = backends(backend)?;
    let scratch = Scratch::new(data_dir)?;
    let today = crate::today();
    println!("wuye bench tally: one estate of {} houses, {runs} timed runs, {} CPU(s)", group(houses), std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let mut summary = Vec::new();
    for b in backends {
        let bdb = fresh_db(b, &scratch.0).await?;
        let label = bdb.label;
        let db = bdb.db.clone();
        let sys = Access::system("bench");
        wuye_store::region::ensure_default_regions(&db).await?;
        let community = wuye_store::region::urban_communities(&db).await?.into_iter().next().context("没有城镇社区")?;
        let input = wuye_domain::registry::EstateInput {
            name: "基准小区".into(),
            region_code: wuye_domain::region::RegionCode::parse(&community.code)?,
            address: String::new(),
            kind: wuye_domain::registry::EstateKind::Commodity,
            year_built: Some(2015),
            land_area: None,
            building_area: houses as i64 * 10_000,
            has_elevator: true,
            management: wuye_domain::registry::ManagementMode::None,
        };
        let estate = wuye_store::registry::create_estate(&db, &sys, &input, 2026).await?;

        // The registry, raw (untimed).
        let t = Instant::now();
        let n = houses as i64;
        let unsold_from = n - n / 100;
        let mut raw = Raw::default();
        let mut owner = 0i64;
        for i in 0..n {
            let hid = i + 1;
            let (building, unit) = (i / 200 + 1, i / 100 + 1);
            if i % 200 == 0 {
                raw.buildings.push((building, estate, format!("{building}"), Some(18), Some(true)));
            }
            if i % 100 == 0 {
                raw.units.push((unit, building, format!("{}", unit - (building - 1) * 2)));
            }
            let area = 8_000 + (i % 7) * 1_500;
            let status = if i >= unsold_from { "unsold" } else { "delivered" };
            raw.houses.push((hid, estate, building, unit, format!("{:04}", i % 100 + 101), (i % 100 / 4 + 1) as i32, area + 2_000, area, "residential", status));
            if i >= unsold_from {
                continue;
            }
            // Every 20th owner also holds the next house.
            if !(i % 20 == 1 && owner > 0) {
                owner += 1;
                raw.owners.push((owner, format!("bench:{owner}"), "person", format!("业主{owner}"), None, None, None));
            }
            raw.ownerships.push((hid, owner));
            if i % 25 == 0 {
                owner += 1;
                raw.owners.push((owner, format!("bench:{owner}"), "person", format!("共有人{owner}"), None, None, None));
                raw.ownerships.push((hid, owner));
            }
        }
        raw_insert(&db, &raw).await?;
        after_raw(&db).await?;
        drop(raw);

        let opens = today + Days::days(15);
        let vote = assembly::create_vote(
            &db,
            &sys,
            estate,
            &NewVote {
                title: "基准表决".into(),
                rule_set_code: None,
                opens_on: opens,
                closes_on: opens + Days::days(30),
                matters: vec![
                    (MatterKind::HireManager, "续聘物业服务企业".into()),
                    (MatterKind::Rebuild, "改建地下车库".into()),
                    (MatterKind::UseFund, "使用维修资金更换电梯".into()),
                ],
            },
            today,
        )
        .await?;
        assembly::announce(&db, &sys, vote, today).await?;
        let totals = assembly::open(&db, &sys, vote, opens).await?;
        let voters: Vec<VoterId> = assembly::electorate(&db, &sys, vote, opens).await?.voters.into_iter().map(|v| v.id).collect();
        println!("\n[{label}] {} houses, electorate {} voters, {} m² (untimed setup {:.1} s)", group(houses), group(totals.heads as u64), group((totals.area / 100) as u64), t.elapsed().as_secs_f64());

        // 70% of the voters cast, every 10th of them twice (untimed).
        let t = Instant::now();
        let casting: Arc<Vec<VoterId>> = Arc::new(voters.iter().enumerate().filter(|(i, _)| i % 10 < 7).map(|(_, v)| v.clone()).collect());
        let mut tasks = Vec::new();
        for w in 0..8usize {
            let (db, casting) = (db.clone(), casting.clone());
            tasks.push(tokio::spawn(async move {
                let sys = Access::system("bench");
                // Each paper ballot carries its scan, as in use (a small PDF).
                let scan = assembly::Scan { file_name: "ballot.pdf".into(), bytes: b"%PDF-1.4\n% scanned ballot\n%%EOF\n".to_vec() };
                for (i, v) in casting.iter().enumerate().skip(w).step_by(8) {
                    let times = if i % 10 == 0 { 2 } else { 1 };
                    for k in 0..times {
                        let c = |x: usize| [Choice::Agree, Choice::Agree, Choice::Agree, Choice::Disagree, Choice::Abstain][(x + k) % 5];
                        let choices: BTreeMap<u32, Choice> = [(1, c(i)), (2, c(i + 1)), (3, c(i + 2))].into_iter().collect();
                        assembly::cast(&db, &sys, vote, &Method::Paper { voter: v.clone(), scan: scan.clone() }, &choices, opens).await?;
                    }
                }
                Ok::<(), wuye_store::StoreError>(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        println!("[{label}] {} ballots cast in {:.1} s (untimed)", group(casting.len() as u64 + casting.len() as u64 / 10), t.elapsed().as_secs_f64());

        // Timed: the tally, and the bare aggregates it is built on, interleaved.
        let bare = || async {
            on!(&db, p => {
                let _: (i64, i64) = sqlx::query_as("SELECT CAST(COALESCE(SUM(area), 0) AS BIGINT), COUNT(*) FROM vote_electorate WHERE vote_id = $1").bind(vote).fetch_one(p).await?;
                let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
                    "SELECT matter_no, choice, CAST(SUM(area) AS BIGINT), COUNT(*) FROM counted_choices
                     WHERE vote_id = $1 GROUP BY matter_no, choice").bind(vote).fetch_all(p).await?;
                Ok::<usize, sqlx::Error>(rows.len())
            })
        };
        let mut t_tally = Vec::new();
        let mut t_bare = Vec::new();
        let mut last = Vec::new();
        for i in 0..runs + 3 {
            let t = Instant::now();
            last = assembly::tally(&db, &sys, vote, opens).await?;
            let d = t.elapsed().as_secs_f64() * 1000.0;
            let t = Instant::now();
            bare().await?;
            let e = t.elapsed().as_secs_f64() * 1000.0;
            if i >= 3 {
                t_tally.push(d);
                t_bare.push(e);
            }
        }
        t_tally.sort_by(|a, b| a.total_cmp(b));
        t_bare.sort_by(|a, b| a.total_cmp(b));
        let (m, p95) = (percentile(&t_tally, 50), percentile(&t_tally, 95));
        let (bm, bp95) = (percentile(&t_bare, 50), percentile(&t_bare, 95));
        for r in &last {
            println!(
                "[{label}] matter {} ({}): participation {} of area, {} of owners; agreement {} / {} → {}",
                r.matter_no,
                r.kind.code(),
                r.participation_area.percent,
                r.participation_heads.percent,
                r.agreement_area.percent,
                r.agreement_heads.percent,
                if r.passed { "passed" } else { "failed" }
            );
        }
        println!("[{label}] tally          median {m:6.1} ms, p95 {p95:6.1} ms (target < 100 ms: {})", if p95 < 100.0 { "met" } else { "MISSED" });
        println!("[{label}] raw aggregates median {bm:6.1} ms, p95 {bp95:6.1} ms → ratio raw/tally {:.2}", bm / m);
        summary.push((label, m, p95, bm, bp95));
        bdb.drop_all().await?;
    }
    println!("\nsummary — tally of one estate of {} houses; target p95 < 100 ms", group(houses));
    for (label, m, p95, bm, bp95) in summary {
        println!("  {label:<10} tally median {m:.1} ms p95 {p95:.1} ms {} | raw aggregates median {bm:.1} ms p95 {bp95:.1} ms | ratio {:.2}", if p95 < 100.0 { "ok" } else { "MISSED" }, bm / m);
    }
    Ok(())
}
