//! `wuye`: the one binary of the platform.

#![forbid(unsafe_code)]

mod bench;
mod bench_auth;
mod bench_assembly;
mod bench_cases;
mod bench_fund;
mod bench_safety;
// credit: BEGIN
mod bench_credit;
// credit: END
mod config;

/// mimalloc instead of the system allocator: a large import keeps millions of small
/// strings alive and frees millions more, and glibc's malloc then spends a third of the
/// import's time consolidating free chunks on every larger request (measured with perf on
/// `wuye bench import`); mimalloc frees per page and does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use wuye_domain::ledger::LayoutKind;
use wuye_store::import::{ImportError, ImportOptions, import_file};
use wuye_store::registry::{HouseFilter, ListQuery};
use wuye_store::{Db, Target, export, region};

#[derive(Parser)]
#[command(name = "wuye", version, about = "物业 Wuye — residential property management governance platform")]
struct Cli {
    /// Data directory (SQLite file, configuration). Ignored for the database when
    /// DATABASE_URL names a PostgreSQL.
    #[arg(long, global = true, default_value = "./data", env = "WUYE_DATA_DIR")]
    data_dir: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the web server.
    Serve {
        #[arg(long, default_value_t = 8080, env = "WUYE_PORT")]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1", env = "WUYE_BIND")]
        bind: String,
        /// Generate demo data first when the database has no estates.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and load the shipped divisions into an empty database.
    Migrate,
    /// Import a ledger file (xlsx, xls, ods or csv).
    Import {
        what: ImportWhat,
        file: PathBuf,
        /// Estate to import houses into (required for hc-rooms).
        #[arg(long)]
        estate: Option<i64>,
        /// Import the good rows and report the bad ones instead of rejecting the file.
        #[arg(long)]
        skip_invalid: bool,
        /// Replace the registered owners of houses whose owners in the file differ.
        #[arg(long)]
        replace_owners: bool,
    },
    /// Export a ledger to xlsx or csv.
    Export {
        what: ExportWhat,
        /// Output file (.xlsx or .csv).
        #[arg(short, long)]
        output: PathBuf,
        /// Only this region's subtree (any level code).
        #[arg(long)]
        region: Option<String>,
        /// Only this estate (houses).
        #[arg(long)]
        estate: Option<i64>,
        /// ID numbers and phones in full (written to the audit trail); masked otherwise.
        #[arg(long)]
        full: bool,
    },
    /// Generate a deterministic demo data set on the real divisions.
    Demo {
        /// Number of houses to generate.
        #[arg(long, default_value_t = 30_000)]
        scale: u64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Benchmarks that print their ratio against a baseline measured in the same run.
    Bench {
        #[command(subcommand)]
        which: bench::BenchCmd,
    },
    /// Write a consistent copy of the live SQLite database to FILE.
    Backup { file: PathBuf },
    /// Users: add one (for scripts), reset a password.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// API tokens for machine clients (sent as `Authorization: Bearer …`).
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// The special maintenance fund.
    Fund {
        #[command(subcommand)]
        cmd: FundCmd,
    },
    /// Cases (joint-conference matters, referrals, disputes).
    Cases {
        #[command(subcommand)]
        cmd: CasesCmd,
    },
    // safety: inspections
    /// Safety: hazards (escalation of missed rectification deadlines).
    Safety {
        #[command(subcommand)]
        cmd: SafetyCmd,
    },
    /// The key that encrypts ID numbers and phones.
    Key {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Adds a user with one role: `wuye user add --name li --role regulator --scope 640104 --password-stdin`.
    Add {
        #[arg(long)]
        name: String,
        /// admin, regulator, street, department, enterprise_manager, enterprise_staff, committee, owner, utility, mediator (or the Chinese label)
        #[arg(long)]
        role: String,
        /// A division code for regional roles; the enterprise, estate or owner number for others; empty for admin, utility, mediator.
        #[arg(long, default_value = "")]
        scope: String,
        #[arg(long, default_value = "")]
        display_name: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
        /// The user must change the password at first login.
        #[arg(long)]
        must_change: bool,
    },
    /// Sets a new password (read from standard input); the user must change it at next login.
    Passwd {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Creates a token for a user (in its first role, or --role-id) and prints it once.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        role_id: Option<i64>,
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Lists a user's tokens (never the secrets).
    List {
        #[arg(long)]
        user: String,
    },
    /// Revokes a token by its number.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum FundCmd {
    /// Checks the double entry of every estate: household balances sum to the fund
    /// account's balance, and every balance equals the sum of its entries. Prints each
    /// mismatch (estate and house) and exits with 1 if there is one.
    Verify,
}

#[derive(Subcommand)]
enum CasesCmd {
    /// Escalates every open case whose deadline was missed and whose escalation day (the
    /// first working day after the deadline) has come; prints how many. `wuye serve` does
    /// this at start and every 10 minutes.
    Escalate {
        /// The day to escalate as of (YYYY-MM-DD; default today, Asia/Shanghai).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
}

// safety: inspections
#[derive(Subcommand)]
enum SafetyCmd {
    /// Escalates every open hazard whose rectification deadline was missed, on the first
    /// working day after it, to the level above the finder; prints how many. `wuye serve`
    /// does this at start and every 10 minutes.
    Escalate {
        /// The day to escalate as of (YYYY-MM-DD; default today, Asia/Shanghai).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Checks the hash chain; names the first broken entry and exits with 1 if there is one.
    Verify,
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Re-encrypts every ID number and phone under a new key (64 hex characters or base64,
    /// read from standard input) in one transaction; then start the servers with the new key.
    Rotate,
    /// Prints a new random key (64 hex characters).
    Generate,
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportWhat {
    /// A divisions file: code,name,level,parent_code
    Regions,
    Estates,
    Houses,
    Enterprises,
    Contracts,
    /// HC小区管理系统 importRoom.xlsx (sheet 资产信息), with --estate
    HcRooms,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportWhat {
    Estates,
    Houses,
    Enterprises,
    Contracts,
}

fn target(data_dir: &std::path::Path) -> Result<Target> {
    Ok(Target::resolve(std::env::var("DATABASE_URL").ok().as_deref(), data_dir)?)
}

/// Installs the personal-data key: `WUYE_DATA_KEY` / `data_key`, else `DATA_DIR/wuye.key`.
fn install_key(settings: &config::Settings, data_dir: &std::path::Path) -> Result<()> {
    let k = wuye_store::pii::Keyring::load(settings.data_key.as_deref(), data_dir)?;
    wuye_store::pii::install(k);
    Ok(())
}

fn read_stdin_line(what: &str) -> Result<String> {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).with_context(|| format!("读取{what}"))?;
    let v = line.trim_end_matches(['\n', '\r']).to_string();
    if v.is_empty() {
        bail!("标准输入中没有{what}");
    }
    Ok(v)
}

/// Opens the database, runs migrations and makes sure the divisions are loaded.
async fn open(data_dir: &std::path::Path) -> Result<Db> {
    let t = target(data_dir)?;
    let db = Db::open(&t).await.with_context(|| format!("打开数据库 {}", t.describe()))?;
    region::ensure_default_regions(&db).await?;
    Ok(db)
}

/// Every 10 minutes (the first run at once), escalates the cases whose deadline was
/// missed ([`wuye_store::cases::escalate_due`]) as of the server's today; logs the count.
fn spawn_escalation(state: wuye_web::AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let day = state.today();
            match wuye_store::cases::escalate_due(&state.db, day).await {
                Ok(0) => tracing::debug!(%day, "no case to escalate"),
                Ok(n) => tracing::info!(%day, escalated = n, "cases escalated"),
                Err(e) => tracing::error!(%day, error = %e, "escalation failed"),
            }
            // safety: inspections
            match wuye_store::safety::inspections::escalate_due(&state.db, day).await {
                Ok(0) => tracing::debug!(%day, "no hazard to escalate"),
                Ok(n) => tracing::info!(%day, escalated = n, "hazards escalated"),
                Err(e) => tracing::error!(%day, error = %e, "hazard escalation failed"),
            }
            // credit: BEGIN
            // Pending credit records whose objection window ended become effective; scores
            // follow (records expire, rectifications take effect).
            match wuye_store::credit::recompute_all(&state.db, day).await {
                Ok(n) => tracing::debug!(%day, scores = n, "credit scores recomputed"),
                Err(e) => tracing::error!(%day, error = %e, "credit recompute failed"),
            }
            // credit: END
        }
    });
}

/// Today's date in Asia/Shanghai.
pub fn today() -> chrono::NaiveDate {
    wuye_web::today()
}

struct Bar(ProgressBar);

impl wuye_store::import::Progress for Bar {
    fn phase(&self, name: &str, total: u64) {
        self.0.set_message(name.to_string());
        self.0.set_length(total);
        self.0.set_position(0);
    }
    fn inc(&self, n: u64) {
        self.0.inc(n);
    }
}

fn bar() -> Bar {
    let pb = ProgressBar::new(0);
    pb.set_style(ProgressStyle::with_template("{msg:8} [{bar:40}] {pos}/{len} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> "));
    Bar(pb)
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    config::init_tracing();
    if let Err(e) = run(cli).await {
        eprintln!("错误: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    let settings = config::load(&cli.data_dir)?;
    install_key(&settings, &cli.data_dir)?;
    let sys = |what: &str| wuye_store::access::Access::system(what);
    match cli.cmd {
        Cmd::Serve { port, bind, demo } => {
            let db = open(&cli.data_dir).await?;
            if demo {
                let n = wuye_store::demo::estate_count(&db).await?;
                if n == 0 {
                    eprintln!("生成演示数据（约 30,000 户）…");
                    let r = wuye_store::demo::generate(&db, 30_000, 2026, today(), &bar()).await?;
                    eprintln!("{r}");
                    let r = wuye_store::demo::write_assembly_and_fund(&db, today(), &bar()).await?;
                    eprintln!("{r}");
                } else {
                    eprintln!("数据库已有 {n} 个小区，不再生成演示数据。");
                }
            }
            if demo {
                demo_users(&db).await?;
                let r = wuye_store::demo::write_cases(&db, today(), &bar()).await?;
                if r.organisations > 0 {
                    eprintln!("{r}");
                }
                // safety: inspections
                let r = wuye_store::safety::inspections::write_demo(&db, today()).await?;
                if r.inspections > 0 {
                    eprintln!("{r}");
                }
                // safety: duties
                let r = wuye_store::safety::duties::write_demo(&db, today()).await?;
                if r.elevators > 0 {
                    eprintln!("{r}");
                }
                // credit: BEGIN
                let r = wuye_store::credit::demo::write_demo(&db, today()).await?;
                if r.registered > 0 {
                    eprintln!("{r}");
                }
                // credit: END
                // tender: BEGIN
                let r = wuye_store::tender::write_demo(&db, today()).await?;
                if r.tenders > 0 {
                    eprintln!("{r}");
                }
                // tender: END
            }
            // safety: inspections — the built-in checklists.
            wuye_store::safety::inspections::ensure_templates(&db).await?;
            first_admin(&db).await?;
            let state = wuye_web::AppState::new(db, settings.web());
            spawn_escalation(state.clone());
            let addr: std::net::SocketAddr = format!("{bind}:{port}").parse().with_context(|| format!("监听地址无效: {bind}:{port}"))?;
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("无法监听 {addr}"))?;
            println!("Wuye 已启动: http://{}/", listener.local_addr()?);
            axum::serve(listener, wuye_web::router(state)).with_graceful_shutdown(shutdown()).await?;
        }
        Cmd::Migrate => {
            let t = target(&cli.data_dir)?;
            let db = Db::open(&t).await.with_context(|| format!("打开数据库 {}", t.describe()))?;
            let loaded = region::ensure_default_regions(&db).await?;
            println!("迁移完成: {}{}", t.describe(), if loaded { "；已载入宁夏区划 3199 条" } else { "" });
        }
        Cmd::Import { what, file, estate, skip_invalid, replace_owners } => {
            let db = open(&cli.data_dir).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("读取 {}", file.display()))?;
            let layout = match what {
                ImportWhat::Regions => {
                    let text = wuye_ledger::decode_text(&bytes);
                    let r = region::load_divisions(&db, &text).await?;
                    println!("区划 {} 行：新增 {}，更名 {}", r.rows, r.inserted, r.renamed);
                    return Ok(());
                }
                ImportWhat::Estates => LayoutKind::Estates,
                ImportWhat::Houses => LayoutKind::Houses,
                ImportWhat::Enterprises => LayoutKind::Enterprises,
                ImportWhat::Contracts => LayoutKind::Contracts,
                ImportWhat::HcRooms => LayoutKind::HcRooms,
            };
            let opts = ImportOptions {
                layout,
                estate_id: estate,
                skip_invalid,
                replace_owners,
                file_name: file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
                today: today(),
            };
            let pb = bar();
            match import_file(&db, &sys("import"), &bytes, &opts, &pb).await {
                Ok(r) => {
                    pb.0.finish_and_clear();
                    println!("{}: {} 行；新增 {}，更新 {}，未变 {}，跳过 {}", file.display(), r.rows, r.inserted, r.updated, r.unchanged, r.skipped);
                    for e in &r.errors {
                        println!("  跳过 {e}");
                    }
                    for n in &r.notes {
                        println!("  {n}");
                    }
                }
                Err(ImportError::Rejected(r)) => {
                    pb.0.finish_and_clear();
                    eprintln!("{}: {} 处错误，未写入任何数据：", file.display(), r.errors.len());
                    for e in &r.errors {
                        eprintln!("  {e}");
                    }
                    bail!("导入被拒绝（可用 --skip-invalid 只导入正确的行）");
                }
                Err(e) => {
                    pb.0.finish_and_clear();
                    bail!("{}: {e}", file.display());
                }
            }
        }
        Cmd::Export { what, output, region, estate, full } => {
            let db = open(&cli.data_dir).await?;
            let q = ListQuery { region, ..Default::default() };
            let (layout, rows) = match what {
                ExportWhat::Estates => (wuye_domain::ledger::ESTATES, export::estates(&db, &sys("export"), &q, today()).await?),
                ExportWhat::Houses => (wuye_domain::ledger::HOUSES, export::houses(&db, &sys("export"), &q, &HouseFilter { estate_id: estate, building_id: None }, today(), full).await?),
                ExportWhat::Enterprises => (wuye_domain::ledger::ENTERPRISES, export::enterprises(&db, &sys("export"), &q, today()).await?),
                ExportWhat::Contracts => (wuye_domain::ledger::CONTRACTS, export::contracts(&db, &sys("export"), &q, &Default::default(), today()).await?),
            };
            let n = rows.len();
            let csv = output.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            let bytes = if csv { wuye_ledger::write_csv(&layout.headers(), rows)? } else { wuye_ledger::write_xlsx(layout.sheet, &layout.headers(), rows)? };
            std::fs::write(&output, bytes).with_context(|| format!("写入 {}", output.display()))?;
            println!("已导出 {n} 行到 {}", output.display());
        }
        Cmd::Demo { scale, seed } => {
            let db = open(&cli.data_dir).await?;
            if wuye_store::demo::estate_count(&db).await? > 0 {
                bail!("数据库中已有小区；演示数据只生成到空库（换一个 --data-dir 或新的 DATABASE_URL）");
            }
            let r = wuye_store::demo::generate(&db, scale, seed, today(), &bar()).await?;
            println!("{r}");
            let r = wuye_store::demo::write_assembly_and_fund(&db, today(), &bar()).await?;
            println!("{r}");
            demo_users(&db).await?;
            println!("{}", wuye_store::demo::write_cases(&db, today(), &bar()).await?);
            // safety: inspections
            println!("{}", wuye_store::safety::inspections::write_demo(&db, today()).await?);
            println!("{}", wuye_store::safety::duties::write_demo(&db, today()).await?); // safety: duties
            println!("{}", wuye_store::credit::demo::write_demo(&db, today()).await?); // credit: demo
            // tender: BEGIN
            println!("{}", wuye_store::tender::write_demo(&db, today()).await?);
            // tender: END
        }
        Cmd::Bench { which } => bench::run(which, &cli.data_dir).await?,
        Cmd::Cases { cmd } => {
            let db = open(&cli.data_dir).await?;
            match cmd {
                CasesCmd::Escalate { date } => {
                    let day = date.unwrap_or_else(today);
                    let n = wuye_store::cases::escalate_due(&db, day).await?;
                    println!("{day}：升级督办 {n} 件逾期案件");
                }
            }
        }
        // safety: inspections
        Cmd::Safety { cmd } => {
            let db = open(&cli.data_dir).await?;
            match cmd {
                SafetyCmd::Escalate { date } => {
                    let day = date.unwrap_or_else(today);
                    let n = wuye_store::safety::inspections::escalate_due(&db, day).await?;
                    println!("{day}：逾期隐患升级督办 {n} 项");
                }
            }
        }
        Cmd::User { cmd } => {
            let db = open(&cli.data_dir).await?;
            match cmd {
                UserCmd::Add { name, role, scope, display_name, password_stdin, must_change } => {
                    let role = wuye_domain::account::Role::parse(&role).with_context(|| format!("未知角色 {role}"))?;
                    let scope = wuye_domain::account::Scope::for_role(role, &scope).map_err(anyhow::Error::msg)?;
                    if !password_stdin {
                        bail!("请用 --password-stdin 从标准输入提供密码（不在命令行上出现）");
                    }
                    let pw = read_stdin_line("密码")?;
                    let display = if display_name.is_empty() { name.clone() } else { display_name };
                    let id = wuye_store::account::create_user(&db, &sys("user add"), &name, &display, &pw, &[(role, scope.clone(), String::new())], must_change).await?;
                    println!("已创建用户 {name}（编号 {id}），角色 {}，范围 {}", role.label_zh(), scope.to_text());
                }
                UserCmd::Passwd { name } => {
                    let u = wuye_store::account::find_user(&db, &name).await?.with_context(|| format!("用户 {name} 不存在"))?;
                    let pw = read_stdin_line("新密码")?;
                    wuye_store::account::reset_password(&db, &sys("user passwd"), u.id, &pw).await?;
                    println!("已重置 {name} 的密码；下次登录须修改");
                }
            }
        }
        Cmd::Token { cmd } => {
            let db = open(&cli.data_dir).await?;
            match cmd {
                TokenCmd::Create { user, role_id, name } => {
                    let (id, token) = wuye_store::account::create_token(&db, &sys("token create"), &user, role_id, &name).await?;
                    eprintln!("令牌编号 {id}（只显示这一次，请妥善保存）：");
                    println!("{token}");
                }
                TokenCmd::List { user } => {
                    let u = wuye_store::account::find_user(&db, &user).await?.with_context(|| format!("用户 {user} 不存在"))?;
                    for t in wuye_store::account::list_tokens(&db, u.id).await? {
                        println!("{}\t{}\t角色 {}\t创建 {}\t{}", t.id, t.name, t.role_id, t.created_at.format("%Y-%m-%d"), if t.revoked_at.is_some() { "已吊销" } else { "有效" });
                    }
                }
                TokenCmd::Revoke { id } => {
                    wuye_store::account::revoke_token(&db, &sys("token revoke"), id).await?;
                    println!("令牌 {id} 已吊销");
                }
            }
        }
        Cmd::Audit { cmd: AuditCmd::Verify } => {
            let db = open(&cli.data_dir).await?;
            match wuye_store::audit::verify(&db).await? {
                wuye_store::audit::Verdict::Intact { entries } => println!("审计链完整：{entries} 条记录全部校验通过"),
                wuye_store::audit::Verdict::Broken(b) => {
                    eprintln!("{b}");
                    std::process::exit(1);
                }
            }
        }
        Cmd::Fund { cmd: FundCmd::Verify } => {
            let db = open(&cli.data_dir).await?;
            let (checked, bad) = wuye_store::fund::verify(&db).await?;
            if bad.is_empty() {
                println!("OK：维修资金账户 {} 个、分户账 {} 户、流水 {} 条，全部平衡", checked.accounts, checked.households, checked.entries);
            } else {
                for m in &bad {
                    eprintln!("{m}");
                }
                eprintln!("维修资金账目不平：{} 处不符（账户 {} 个、分户账 {} 户、流水 {} 条）", bad.len(), checked.accounts, checked.households, checked.entries);
                std::process::exit(1);
            }
        }
        Cmd::Key { cmd: KeyCmd::Generate } => println!("{}", wuye_store::pii::generate_key_hex()),
        Cmd::Key { cmd: KeyCmd::Rotate } => {
            let db = open(&cli.data_dir).await?;
            let old = wuye_store::pii::keys()?;
            let new = wuye_store::pii::Keyring::from_text(&read_stdin_line("新密钥")?)?;
            let (owners, occupants) = wuye_store::pii::rotate(&db, &sys("key rotate"), &old, &new).await?;
            println!("已用新密钥 {} 重新加密 {owners} 位业主、{occupants} 位住户的个人信息（原密钥 {}）。", new.key_id, old.key_id);
            if settings.data_key.is_none() {
                println!("请把新密钥写入 WUYE_DATA_KEY（或 {}/wuye.key），然后重启服务。", cli.data_dir.display());
            } else {
                println!("请把 WUYE_DATA_KEY / data_key 换成新密钥，然后重启服务。");
            }
        }
        Cmd::Backup { file } => {
            let t = target(&cli.data_dir)?;
            let db = Db::connect(&t).await?;
            db.backup(&file).await?;
            println!("已备份到 {}", file.display());
        }
    }
    Ok(())
}

/// One demo user per role, printed with their password (demo databases only).
async fn demo_users(db: &Db) -> Result<()> {
    // The same day as the votes and fund step, so the committee and the owner see them.
    let logins = wuye_store::demo::demo_users_on(db, today()).await?;
    if logins.is_empty() {
        return Ok(());
    }
    println!("演示账号（密码均为 {}）：", wuye_store::demo::DEMO_PASSWORD);
    for (name, role, scope) in logins {
        println!("  {name:<14} {role}  {scope}");
    }
    Ok(())
}

/// On a database without users, creates `admin` with a random password, printed once;
/// it must be changed at first login.
async fn first_admin(db: &Db) -> Result<()> {
    if wuye_store::account::user_count(db).await? > 0 {
        return Ok(());
    }
    let pw = format!("wy-{}", &wuye_store::account::random_token()[..14]);
    wuye_store::account::create_user(db, &wuye_store::access::Access::system("first start"), "admin", "管理员", &pw, &[(wuye_domain::account::Role::Admin, wuye_domain::account::Scope::All, String::new())], true).await?;
    println!("已创建初始管理员：登录名 admin，密码 {pw}（只显示这一次；首次登录须修改）");
    Ok(())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
