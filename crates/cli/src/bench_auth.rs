//! `wuye bench auth --houses N`: throughput of an authenticated page listing 50 estates
//! against a bare axum route doing one primary-key query, on the same database, in the
//! same run.
//!
//! Per backend: the demo generator fills a fresh database with N houses (untimed), the
//! province regulator's demo account logs in once, and two HTTP servers listen on
//! loopback: the real application (every middleware, session lookup, scoped store query,
//! template, compression when asked) and a bare axum router whose one route reads an
//! estate's name by primary key. A load generator in the same process keeps
//! `--connections` HTTP/1.1 keep-alive connections busy for `--seconds` per measurement
//! (after a one-second warm-up) and counts completed 200 responses. The list requests
//! walk the first pages of `/estates` (50 rows each) so no single page is repeated back to
//! back; the bare requests walk estate ids. Measurements alternate bare, page, bare,
//! page with gzip, bare, page with nothing remembered, bare; each page run's baseline is
//! the mean of the bare runs on either side. List pages and totals are remembered per data
//! generation (`wuye_store::cache`); the last page run turns that off, to show what a
//! request costs right after a write.

use crate::bench::{BenchBackend, backends, Scratch, fresh_db, group};
use anyhow::{Result, bail};
use axum::extract::{Path as UrlPath, State};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wuye_store::{Db, on};

/// What one load run measured.
struct Load {
    requests: u64,
    secs: f64,
    bytes: u64,
}

impl Load {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.secs
    }
}

/// Keeps `conns` keep-alive connections busy on `paths` (round robin, each connection
/// starting at its own offset) for `warm + dur`; counts the responses completed in `dur`.
/// Any status but 200 is an error: a benchmark of redirects or errors measures nothing.
async fn load(addr: SocketAddr, paths: Arc<Vec<String>>, headers: Arc<Vec<(&'static str, String)>>, conns: usize, warm: Duration, dur: Duration) -> Result<Load> {
    let start = Instant::now() + warm;
    let end = start + dur;
    let done = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (paths, headers, done, bytes) = (paths.clone(), headers.clone(), done.clone(), bytes.clone());
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let mut i = c * 7;
            loop {
                let path = &paths[i % paths.len()];
                i += 1;
                let mut req = hyper::Request::get(path.as_str()).header("host", "bench");
                for (k, v) in headers.iter() {
                    req = req.header(*k, v.as_str());
                }
                sender.ready().await?;
                let resp = sender.send_request(req.body(Empty::<Bytes>::new())?).await?;
                let status = resp.status();
                let body = resp.into_body().collect().await?.to_bytes();
                if status != hyper::StatusCode::OK {
                    bail!("GET {path} → {status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
                }
                let now = Instant::now();
                if now >= end {
                    return Ok::<(), anyhow::Error>(());
                }
                if now >= start {
                    done.fetch_add(1, Ordering::Relaxed);
                    bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(Load { requests: done.load(Ordering::Relaxed), secs: dur.as_secs_f64(), bytes: bytes.load(Ordering::Relaxed) })
}

/// The baseline: a bare axum route reading one estate's name by primary key.
fn bare_router(db: Db) -> axum::Router {
    async fn by_pk(State(db): State<Db>, UrlPath(id): UrlPath<i64>) -> Result<String, axum::http::StatusCode> {
        let name: Option<String> = on!(&db, p => sqlx::query_scalar("SELECT name FROM estates WHERE id = $1").bind(id).fetch_optional(p).await)
            .map_err(|_| axum::http::StatusCode::INTERNAL_SERVER_ERROR)?;
        name.ok_or(axum::http::StatusCode::NOT_FOUND)
    }
    axum::Router::new().route("/estate/{id}", axum::routing::get(by_pk)).with_state(db)
}

async fn listen(app: axum::Router) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

pub(crate) async fn bench_auth(data_dir: &Path, houses: u64, backend: Option<BenchBackend>, seed: u64, seconds: u64, connections: usize) -> Result<()> {
    let backends = backends(backend)?;
    let today = crate::today();
    let scratch = Scratch::new(data_dir)?;
    let dur = Duration::from_secs(seconds.max(1));
    let warm = Duration::from_secs(1);
    println!(
        "wuye bench auth: {} houses, seed {seed}, {connections} connections, {seconds} s per run, {} CPU(s); load generator in the same process",
        group(houses),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let mut summary = Vec::new();
    for b in backends {
        let bdb = fresh_db(b, &scratch.0).await?;
        let label = bdb.label;
        let db = bdb.db.clone();
        let t = Instant::now();
        let rep = wuye_store::demo::generate(&db, houses, seed, today, &wuye_store::import::Quiet).await?;
        wuye_store::demo::demo_users(&db).await?;
        println!("\n[{label}] demo data: {} estates, {} houses in {:.1} s (untimed)", group(rep.estates), group(rep.houses), t.elapsed().as_secs_f64());
        let (cookie, _) = wuye_store::account::login(&db, "demo-province", wuye_store::demo::DEMO_PASSWORD).await?.map_err(|e| anyhow::anyhow!("login: {e}"))?;

        let estate_ids: Vec<i64> = on!(&db, p => sqlx::query_scalar("SELECT id FROM estates ORDER BY id").fetch_all(p).await)?;
        let pages = (estate_ids.len() as i64 / 50).clamp(1, 20);
        let list_paths: Arc<Vec<String>> = Arc::new((1..=pages).map(|k| format!("/estates?page={k}")).collect());
        let bare_paths: Arc<Vec<String>> = Arc::new(estate_ids.iter().step_by((estate_ids.len() / 1000).max(1)).map(|id| format!("/estate/{id}")).collect());

        let app = wuye_web::router(wuye_web::AppState::new(db.clone(), wuye_web::WebConfig::default()));
        let app_addr = listen(app).await?;
        let bare_addr = listen(bare_router(db.clone())).await?;

        // The page really lists 50 estates for this caller.
        let body = fetch(app_addr, &list_paths[0], &cookie).await?;
        let rows = body.matches("<tr").count().saturating_sub(1);
        println!("[{label}] GET {} as demo-province: {} bytes, {rows} rows, {} pages walked", list_paths[0], body.len(), pages);
        if rows < 50 {
            bail!("the page lists {rows} rows, not 50");
        }

        let cookie_h = Arc::new(vec![("cookie", format!("{}={cookie}", wuye_web::auth::SESSION_COOKIE))]);
        let gzip_h = Arc::new(vec![("cookie", format!("{}={cookie}", wuye_web::auth::SESSION_COOKIE)), ("accept-encoding", "gzip".to_string())]);
        let none = Arc::new(Vec::new());
        let mut bare = Vec::new();
        let mut plain = Vec::new();
        let mut gz = Vec::new();
        bare.push(load(bare_addr, bare_paths.clone(), none.clone(), connections, warm, dur).await?);
        plain.push(load(app_addr, list_paths.clone(), cookie_h.clone(), connections, warm, dur).await?);
        bare.push(load(bare_addr, bare_paths.clone(), none.clone(), connections, warm, dur).await?);
        gz.push(load(app_addr, list_paths.clone(), gzip_h.clone(), connections, warm, dur).await?);
        bare.push(load(bare_addr, bare_paths.clone(), none.clone(), connections, warm, dur).await?);
        // The same page with nothing remembered: what a request costs right after a write.
        wuye_store::cache::set_enabled(false);
        let cold = load(app_addr, list_paths.clone(), cookie_h.clone(), connections, warm, dur).await?;
        wuye_store::cache::set_enabled(true);
        bare.push(load(bare_addr, bare_paths.clone(), none.clone(), connections, warm, dur).await?);
        for l in &bare {
            println!("[{label}] bare PK route        {:>8.0} req/s", l.rate());
        }
        let base1 = (bare[0].rate() + bare[1].rate()) / 2.0;
        let base2 = (bare[1].rate() + bare[2].rate()) / 2.0;
        let r1 = plain[0].rate() / base1;
        let r2 = gz[0].rate() / base2;
        println!(
            "[{label}] /estates (50 rows)    {:>8.0} req/s, {:.1} KB/response → ratio {r1:.2} (target ≥ 0.25: {})",
            plain[0].rate(),
            plain[0].bytes as f64 / plain[0].requests.max(1) as f64 / 1024.0,
            if r1 >= 0.25 { "met" } else { "MISSED" }
        );
        println!(
            "[{label}] /estates, gzip        {:>8.0} req/s, {:.1} KB/response → ratio {r2:.2} (target ≥ 0.25: {})",
            gz[0].rate(),
            gz[0].bytes as f64 / gz[0].requests.max(1) as f64 / 1024.0,
            if r2 >= 0.25 { "met" } else { "MISSED" }
        );
        let base3 = (bare[2].rate() + bare[3].rate()) / 2.0;
        let r3 = cold.rate() / base3;
        println!("[{label}] /estates, nothing remembered {:>8.0} req/s → ratio {r3:.2} (every request reads the database, as right after a write)", cold.rate());
        summary.push((label, base1, plain[0].rate(), r1, base2, gz[0].rate(), r2, r3));
        bdb.drop_all().await?;
    }
    println!("\nsummary — {} houses; authenticated /estates page (50 rows) vs bare PK route, target ratio ≥ 0.25", group(houses));
    for (label, b1, p, r1, b2, g, r2, r3) in summary {
        println!("  {label:<10} bare {b1:>7.0}/s  page {p:>7.0}/s  ratio {r1:.2} {}  |  gzip: bare {b2:>7.0}/s page {g:>7.0}/s ratio {r2:.2} {}  |  nothing remembered: ratio {r3:.2}", ok(r1), ok(r2));
    }
    Ok(())
}

fn ok(r: f64) -> &'static str {
    if r >= 0.25 { "ok" } else { "MISSED" }
}

async fn fetch(addr: SocketAddr, path: &str, cookie: &str) -> Result<String> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::get(path).header("host", "bench").header("cookie", format!("{}={cookie}", wuye_web::auth::SESSION_COOKIE)).body(Empty::<Bytes>::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    if status != hyper::StatusCode::OK {
        bail!("GET {path} → {status}");
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}
