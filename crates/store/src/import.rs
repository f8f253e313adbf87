//! Ledger imports: estates, houses (Wuye's layout and HC's 资产信息), enterprises and
//! contracts. Each import validates the whole file first (cells, rows against each other,
//! rows against the database), reports every bad row, and writes nothing when any row is
//! bad unless asked to skip bad rows. The write is one transaction. Natural keys make a
//! second import of the same file change nothing.

use crate::access::Access;
use crate::db::{Db, StoreError, backend_of_tx, batch_rows, dynamic, multi_insert_for};
use wuye_domain::account::{Action, Resource};
use crate::{audit, begin_write, on};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use wuye_domain::ledger::{self, CellError, HouseRow, Layout, LayoutKind, OccupantInput};
use wuye_domain::registry::*;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub layout: LayoutKind,
    /// Estate to import houses into (required for HC files; optional for Wuye's houses
    /// layout, whose rows may name their estate).
    pub estate_id: Option<i64>,
    /// Import the good rows and list the bad ones, instead of rejecting the file.
    pub skip_invalid: bool,
    /// Allow a house's registered owners to be replaced by the file's (a transfer).
    pub replace_owners: bool,
    pub file_name: String,
    /// Today in Asia/Shanghai (bounds years, stamps the run).
    pub today: NaiveDate,
}

/// The outcome of an import (also when it was rejected).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub layout: LayoutKind,
    pub file_name: String,
    /// Data rows read.
    pub rows: usize,
    /// Records created (houses for house files).
    pub inserted: u64,
    /// Records whose values (or owners) changed.
    pub updated: u64,
    /// Records already stored with the same values.
    pub unchanged: u64,
    /// Rows left out because they were bad (only with skip-invalid).
    pub skipped: usize,
    pub errors: Vec<CellError>,
    /// Whether anything was written.
    pub committed: bool,
    pub notes: Vec<String>,
    pub run_id: Option<i64>,
    /// SHA-256 of the file imported (recorded with the run in the audit trail).
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole cannot be read as this layout.
    #[error("{0}")]
    File(String),
    /// Some rows are bad; nothing was written.
    #[error("{} 处错误，未写入任何数据", .0.errors.len())]
    Rejected(Box<ImportReport>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(StoreError::Sqlx(e))
    }
}

/// Progress of a long import (for the CLI's progress bar).
pub trait Progress: Send + Sync {
    fn phase(&self, _name: &str, _total: u64) {}
    fn inc(&self, _n: u64) {}
}

/// Reports nothing.
pub struct Quiet;
impl Progress for Quiet {}

pub fn layout_of(kind: LayoutKind) -> Layout {
    match kind {
        LayoutKind::Estates => ledger::ESTATES,
        LayoutKind::Houses => ledger::HOUSES,
        LayoutKind::Enterprises => ledger::ENTERPRISES,
        LayoutKind::Contracts => ledger::CONTRACTS,
        LayoutKind::HcRooms => ledger::HC_ROOMS,
    }
}

/// Reads `bytes` (xlsx, xls, ods or csv) as the chosen layout and imports it.
/// The caller's role must be allowed to create what the layout holds, and every row must
/// lie within the caller's scope.
pub async fn import_file(db: &Db, a: &Access, bytes: &[u8], opts: &ImportOptions, progress: &dyn Progress) -> Result<ImportReport, ImportError> {
    let layout = layout_of(opts.layout);
    check_allowed(a, opts.layout)?;
    progress.phase("读取文件", 0);
    let table = wuye_ledger::read_table(bytes, layout.sheet).map_err(|e| ImportError::File(e.to_string()))?;
    let sha = crate::account::digest_bytes(bytes);
    import_table_with(db, a, &table, opts, progress, sha).await
}

fn check_allowed(a: &Access, layout: LayoutKind) -> Result<(), StoreError> {
    a.require(Action::Create, Resource::Import)?;
    let res = match layout {
        LayoutKind::Estates => Resource::Estate,
        LayoutKind::Enterprises => Resource::Enterprise,
        LayoutKind::Contracts => Resource::Contract,
        LayoutKind::Houses | LayoutKind::HcRooms => Resource::House,
    };
    a.require(Action::Create, res)
}

/// Imports an already-read table.
pub async fn import_table(db: &Db, a: &Access, table: &ledger::Table, opts: &ImportOptions, progress: &dyn Progress) -> Result<ImportReport, ImportError> {
    check_allowed(a, opts.layout)?;
    import_table_with(db, a, table, opts, progress, String::new()).await
}

async fn import_table_with(db: &Db, a: &Access, table: &ledger::Table, opts: &ImportOptions, progress: &dyn Progress, sha256: String) -> Result<ImportReport, ImportError> {
    let layout = layout_of(opts.layout);
    let bound = layout.bind(table).map_err(|e| ImportError::File(e.to_string()))?;
    let mut report = ImportReport {
        layout: opts.layout,
        file_name: opts.file_name.clone(),
        rows: table.rows.len(),
        inserted: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        errors: Vec::new(),
        committed: false,
        notes: Vec::new(),
        run_id: None,
        sha256,
    };
    progress.phase("校验", table.rows.len() as u64);
    match opts.layout {
        LayoutKind::Estates => {
            let mut rows = Vec::new();
            for mut r in bound.rows() {
                match ledger::parse_estate(&mut r, opts.today.format("%Y").to_string().parse().unwrap_or(2026)) {
                    Some(x) => rows.push(x),
                    None => report.errors.append(&mut r.errors),
                }
            }
            progress.inc(table.rows.len() as u64);
            import_estates(db, a, rows, opts, &mut report, progress).await?;
        }
        LayoutKind::Enterprises => {
            let mut rows = Vec::new();
            for mut r in bound.rows() {
                match ledger::parse_enterprise(&mut r) {
                    Some(x) => rows.push(x),
                    None => report.errors.append(&mut r.errors),
                }
            }
            progress.inc(table.rows.len() as u64);
            import_enterprises(db, a, rows, opts, &mut report).await?;
        }
        LayoutKind::Contracts => {
            let mut rows = Vec::new();
            for mut r in bound.rows() {
                match ledger::parse_contract(&mut r) {
                    Some(x) => rows.push(x),
                    None => report.errors.append(&mut r.errors),
                }
            }
            progress.inc(table.rows.len() as u64);
            import_contracts(db, a, rows, opts, &mut report).await?;
        }
        LayoutKind::Houses | LayoutKind::HcRooms => {
            if opts.layout == LayoutKind::HcRooms && opts.estate_id.is_none() {
                return Err(ImportError::File("HC 资产信息表没有小区列，请指定导入到哪个小区（--estate 小区编号）".into()));
            }
            let mut rows = Vec::with_capacity(table.rows.len());
            for mut r in bound.rows() {
                let parsed = if opts.layout == LayoutKind::HcRooms {
                    ledger::parse_hc_room(&mut r)
                } else {
                    ledger::parse_house(&mut r, opts.estate_id.is_some())
                };
                match parsed {
                    Some(x) => rows.push(x),
                    None => report.errors.append(&mut r.errors),
                }
            }
            progress.inc(table.rows.len() as u64);
            ledger::check_house_rows(&rows, &mut report.errors);
            import_houses(db, a, rows, opts, &mut report, progress).await?;
        }
    }
    Ok(report)
}

/// Applies the reject-or-skip rule: with errors and without skip-invalid the import is
/// rejected; with skip-invalid every row that has an error is dropped.
fn gate<T>(rows: Vec<T>, row_of: impl Fn(&T) -> usize, opts: &ImportOptions, report: &mut ImportReport) -> Result<Vec<T>, ImportError> {
    report.errors.sort_by(|a, b| a.row.cmp(&b.row));
    report.errors.dedup();
    if report.errors.is_empty() {
        return Ok(rows);
    }
    if !opts.skip_invalid {
        return Err(ImportError::Rejected(Box::new(report.clone())));
    }
    let bad: HashSet<usize> = report.errors.iter().map(|e| e.row).collect();
    report.skipped = bad.len();
    Ok(rows.into_iter().filter(|r| !bad.contains(&row_of(r))).collect())
}

fn cell_err(row: usize, column: &str, value: impl Into<String>, reason: impl Into<String>) -> CellError {
    CellError { row, column: column.to_string(), value: value.into(), reason: reason.into() }
}

/// Multi-row INSERT of `$items` in batches; `$bind` binds one item onto `$q`.
macro_rules! insert_batches {
    ($tx:expr, $head:expr, $suffix:expr, $ncols:expr, $items:expr, |$q:ident, $it:ident| $bind:expr) => {{
        let mut n: u64 = 0;
        for chunk in $items.chunks(batch_rows($ncols)) {
            let mut sql = multi_insert_for(backend_of_tx(&$tx), $head, $ncols, chunk.len());
            sql.push_str($suffix);
            let mut $q = sqlx::query(dynamic(sql));
            for $it in chunk {
                $q = $bind;
            }
            n += $q.execute(&mut *$tx).await?.rows_affected();
        }
        n
    }};
}

/// Records the run (and its audit entry) inside the import's write transaction, once the
/// report's counts are final.
macro_rules! record_run {
    ($tx:expr, $a:expr, $opts:expr, $report:expr) => {{
        let json = serde_json::json!({ "errors": $report.errors, "notes": $report.notes, "sha256": $report.sha256 }).to_string();
        let layout = serde_json::to_value($opts.layout).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO import_runs (layout, file_name, estate_id, created_at, rows_total, inserted, updated, unchanged, skipped, report)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id")
            .bind(&layout).bind(&$opts.file_name).bind($opts.estate_id).bind(Utc::now()).bind($report.rows as i64)
            .bind($report.inserted as i64).bind($report.updated as i64).bind($report.unchanged as i64).bind($report.skipped as i64).bind(json)
            .fetch_one(&mut *$tx).await?;
        audit!($tx, $a.actor(), "import", "import_run", id, None, Some(serde_json::json!({
            "layout": layout, "file_name": $opts.file_name, "sha256": $report.sha256, "estate_id": $opts.estate_id, "rows": $report.rows,
            "inserted": $report.inserted, "updated": $report.updated, "unchanged": $report.unchanged, "skipped": $report.skipped})));
        $report.run_id = Some(id);
    }};
}

// ---------------------------------------------------------------------------------------
// Estates

#[derive(sqlx::FromRow)]
struct EstateNow {
    id: i64,
    region_code: String,
    name: String,
    address: String,
    kind: String,
    year_built: Option<i32>,
    land_area: Option<i64>,
    building_area: i64,
    has_elevator: bool,
    management: String,
}

async fn import_estates(db: &Db, a: &Access, rows: Vec<ledger::EstateRow>, opts: &ImportOptions, report: &mut ImportReport, progress: &dyn Progress) -> Result<(), ImportError> {
    let communities = crate::region::community_codes(db).await?;
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for r in &rows {
        let code = r.input.region_code.as_str().to_string();
        if !communities.contains(&code) {
            report.errors.push(cell_err(r.row, "社区代码", &code, "不是已登记的村/社区区划代码"));
        } else if !a.reaches_region(&code) {
            report.errors.push(cell_err(r.row, "社区代码", &code, "不在您的管辖范围内"));
        }
        if let Some(first) = seen.insert((code, r.input.name.clone()), r.row) {
            report.errors.push(cell_err(r.row, "小区名称", &r.input.name, format!("与第 {first} 行重复（同一社区内小区名称唯一）")));
        }
    }
    let rows = gate(rows, |r| r.row, opts, report)?;
    let existing: Vec<EstateNow> = on!(db, p => sqlx::query_as::<_, EstateNow>(
        "SELECT id, region_code, name, address, kind, year_built, land_area, building_area, has_elevator, management FROM estates").fetch_all(p).await)?;
    let existing: HashMap<(String, String), EstateNow> = existing.into_iter().map(|e| ((e.region_code.clone(), e.name.clone()), e)).collect();
    let mut new = Vec::new();
    let mut changed = Vec::new();
    for r in &rows {
        let e = &r.input;
        match existing.get(&(e.region_code.as_str().to_string(), e.name.clone())) {
            None => new.push(e),
            Some(x) => {
                let same = x.address == e.address && x.kind == e.kind.code() && x.year_built == e.year_built && x.land_area == e.land_area
                    && x.building_area == e.building_area && x.has_elevator == e.has_elevator && x.management == e.management.code();
                if same { report.unchanged += 1 } else { changed.push((x.id, e)) }
            }
        }
    }
    progress.phase("写入", rows.len() as u64);
    let now = Utc::now();
    report.inserted = new.len() as u64;
    report.updated = changed.len() as u64;
    let before: HashMap<i64, serde_json::Value> = existing.values().filter(|x| changed.iter().any(|(id, _)| *id == x.id)).map(|x| (x.id, serde_json::json!({
        "address": x.address, "kind": x.kind, "year_built": x.year_built, "land_area": x.land_area, "building_area": x.building_area, "has_elevator": x.has_elevator, "management": x.management}))).collect();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        insert_batches!(tx, "INSERT INTO estates (name, region_code, address, kind, year_built, land_area, building_area, has_elevator, management, house_count, created_at, updated_at)", "", 12, new,
            |q, e| q.bind(&e.name).bind(e.region_code.as_str()).bind(&e.address).bind(e.kind.code()).bind(e.year_built).bind(e.land_area)
                .bind(e.building_area).bind(e.has_elevator).bind(e.management.code()).bind(0i64).bind(now).bind(now));
        for (id, e) in &changed {
            sqlx::query("UPDATE estates SET address=$1, kind=$2, year_built=$3, land_area=$4, building_area=$5, has_elevator=$6, management=$7, updated_at=$8 WHERE id=$9")
                .bind(&e.address).bind(e.kind.code()).bind(e.year_built).bind(e.land_area).bind(e.building_area).bind(e.has_elevator)
                .bind(e.management.code()).bind(now).bind(id).execute(&mut *tx).await?;
            audit!(tx, a.actor(), "update", "estate", id, before.get(id).cloned(), crate::audit::snapshot(*e));
        }
        record_run!(tx, a, opts, report);
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    progress.inc(rows.len() as u64);
    report.committed = true;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Enterprises

#[derive(sqlx::FromRow)]
struct EnterpriseNow {
    id: i64,
    uscc: String,
    name: String,
    legal_representative: String,
    region_code: Option<String>,
    contact_person: String,
    contact_phone: Option<String>,
    address: String,
}

async fn import_enterprises(db: &Db, a: &Access, rows: Vec<ledger::EnterpriseRow>, opts: &ImportOptions, report: &mut ImportReport) -> Result<(), ImportError> {
    let codes: HashSet<String> = crate::region::names(db).await?.into_keys().collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        if let Some(c) = &r.input.region_code {
            if !codes.contains(c.as_str()) {
                report.errors.push(cell_err(r.row, "注册地区划代码", c.as_str(), "区划代码不存在"));
            }
        }
        if let Some(first) = seen.insert(r.input.uscc.clone(), r.row) {
            report.errors.push(cell_err(r.row, "统一社会信用代码", &r.input.uscc, format!("与第 {first} 行重复")));
        }
    }
    let rows = gate(rows, |r| r.row, opts, report)?;
    let existing: Vec<EnterpriseNow> = on!(db, p => sqlx::query_as::<_, EnterpriseNow>(
        "SELECT id, uscc, name, legal_representative, region_code, contact_person, contact_phone, address FROM enterprises").fetch_all(p).await)?;
    let existing: HashMap<String, EnterpriseNow> = existing.into_iter().map(|e| (e.uscc.clone(), e)).collect();
    let mut new = Vec::new();
    let mut changed = Vec::new();
    for r in &rows {
        let e = &r.input;
        let rc = e.region_code.as_ref().map(|c| c.as_str().to_string());
        match existing.get(&e.uscc) {
            None => new.push(e),
            Some(x) => {
                let same = x.name == e.name && x.legal_representative == e.legal_representative && x.region_code == rc
                    && x.contact_person == e.contact_person && x.contact_phone == e.contact_phone && x.address == e.address;
                if same { report.unchanged += 1 } else { changed.push((x.id, e)) }
            }
        }
    }
    let now = Utc::now();
    report.inserted = new.len() as u64;
    report.updated = changed.len() as u64;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        insert_batches!(tx, "INSERT INTO enterprises (name, uscc, legal_representative, region_code, contact_person, contact_phone, address, created_at, updated_at)", "", 9, new,
            |q, e| q.bind(&e.name).bind(&e.uscc).bind(&e.legal_representative).bind(e.region_code.as_ref().map(|c| c.as_str().to_string()))
                .bind(&e.contact_person).bind(&e.contact_phone).bind(&e.address).bind(now).bind(now));
        for (id, e) in &changed {
            sqlx::query("UPDATE enterprises SET name=$1, legal_representative=$2, region_code=$3, contact_person=$4, contact_phone=$5, address=$6, updated_at=$7 WHERE id=$8")
                .bind(&e.name).bind(&e.legal_representative).bind(e.region_code.as_ref().map(|c| c.as_str().to_string()))
                .bind(&e.contact_person).bind(&e.contact_phone).bind(&e.address).bind(now).bind(id).execute(&mut *tx).await?;
            audit!(tx, a.actor(), "update", "enterprise", id, None, crate::audit::snapshot(*e));
        }
        record_run!(tx, a, opts, report);
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    report.committed = true;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Contracts

#[derive(sqlx::FromRow)]
struct ContractNow {
    id: i64,
    estate_id: i64,
    enterprise_id: i64,
    kind: String,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    fee_fen_per_m2_month: i64,
    fee_model: String,
}

async fn import_contracts(db: &Db, a: &Access, rows: Vec<ledger::ContractRow>, opts: &ImportOptions, report: &mut ImportReport) -> Result<(), ImportError> {
    let sql = format!("SELECT e.id, e.region_code, e.name FROM estates e WHERE {}", a.estates_sql("e", opts.today));
    let estates: Vec<(i64, String, String)> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    let estates: HashMap<(String, String), i64> = estates.into_iter().map(|(id, c, n)| ((c, n), id)).collect();
    let firms: Vec<(i64, String)> = on!(db, p => sqlx::query_as("SELECT id, uscc FROM enterprises").fetch_all(p).await)?;
    let firms: HashMap<String, i64> = firms.into_iter().map(|(id, u)| (u, id)).collect();
    let mut resolved = Vec::new();
    let mut seen: HashMap<(i64, i64, NaiveDate), usize> = HashMap::new();
    for r in rows {
        let e = estates.get(&(r.estate.0.as_str().to_string(), r.estate.1.clone())).copied();
        let f = firms.get(&r.enterprise_uscc).copied();
        if e.is_none() {
            report.errors.push(cell_err(r.row, "小区名称", &r.estate.1, format!("社区 {} 下没有这个小区，请先导入小区", r.estate.0)));
        }
        if f.is_none() {
            report.errors.push(cell_err(r.row, "企业统一社会信用代码", &r.enterprise_uscc, "企业未登记，请先导入物业服务企业"));
        }
        if let (Some(e), Some(f)) = (e, f) {
            if let Some(first) = seen.insert((e, f, r.start_date), r.row) {
                report.errors.push(cell_err(r.row, "开始日期", r.start_date.to_string(), format!("与第 {first} 行是同一份合同（同一小区、企业、开始日期）")));
            }
            let input = ContractInput { estate_id: e, enterprise_id: f, kind: r.kind, start_date: r.start_date, end_date: r.end_date, fee_fen_per_m2_month: r.fee_fen_per_m2_month, fee_model: r.fee_model };
            resolved.push((r.row, input));
        }
    }
    let rows = gate(resolved, |r| r.0, opts, report)?;
    let existing: Vec<ContractNow> = on!(db, p => sqlx::query_as::<_, ContractNow>(
        "SELECT id, estate_id, enterprise_id, kind, start_date, end_date, fee_fen_per_m2_month, fee_model FROM service_contracts").fetch_all(p).await)?;
    let existing: HashMap<(i64, i64, NaiveDate), ContractNow> = existing.into_iter().map(|c| ((c.estate_id, c.enterprise_id, c.start_date), c)).collect();
    let mut new = Vec::new();
    let mut changed = Vec::new();
    for (_, c) in &rows {
        match existing.get(&(c.estate_id, c.enterprise_id, c.start_date)) {
            None => new.push(c),
            Some(x) => {
                let same = x.kind == c.kind.code() && x.end_date == c.end_date && x.fee_fen_per_m2_month == c.fee_fen_per_m2_month && x.fee_model == c.fee_model.code();
                if same { report.unchanged += 1 } else { changed.push((x.id, c)) }
            }
        }
    }
    let now = Utc::now();
    report.inserted = new.len() as u64;
    report.updated = changed.len() as u64;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        insert_batches!(tx, "INSERT INTO service_contracts (estate_id, enterprise_id, kind, start_date, end_date, fee_fen_per_m2_month, fee_model, created_at, updated_at)", "", 9, new,
            |q, c| q.bind(c.estate_id).bind(c.enterprise_id).bind(c.kind.code()).bind(c.start_date).bind(c.end_date)
                .bind(c.fee_fen_per_m2_month).bind(c.fee_model.code()).bind(now).bind(now));
        for (id, c) in &changed {
            sqlx::query("UPDATE service_contracts SET kind=$1, end_date=$2, fee_fen_per_m2_month=$3, fee_model=$4, updated_at=$5 WHERE id=$6")
                .bind(c.kind.code()).bind(c.end_date).bind(c.fee_fen_per_m2_month).bind(c.fee_model.code()).bind(now).bind(id).execute(&mut *tx).await?;
            audit!(tx, a.actor(), "update", "contract", id, None, crate::audit::snapshot(*c));
        }
        record_run!(tx, a, opts, report);
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    report.committed = true;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Houses and owners

type HouseKey = (i64, String, String, String);

/// One house of the file, gathered from its rows.
struct HouseGroup {
    row: usize,
    estate_id: i64,
    house: HouseInput,
    total_floors: Option<i32>,
    elevator: Option<bool>,
    /// (row, owner, global key) — the key as stored (`idh:…`, `uscc:…`), if any.
    owners: Vec<(usize, OwnerInput, Option<String>)>,
    occupants: Vec<OccupantInput>,
    /// The stored house of the same estate, building, unit and room: its id, and whether
    /// its attributes equal the file's.
    existing: Option<(i64, bool)>,
}

#[derive(sqlx::FromRow)]
struct HouseNow {
    id: i64,
    estate_id: i64,
    building_no: String,
    unit_no: String,
    room_no: String,
    floor: Option<i32>,
    building_area: i64,
    exclusive_area: i64,
    house_use: String,
    status: String,
}

fn in_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "(NULL)".into();
    }
    format!("({})", ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(","))
}

/// The stored global key of an owner: `idh:<keyed hash of the ID number>` or `uscc:<code>`.
fn global_key(keys: &crate::pii::Keyring, o: &OwnerInput) -> Option<String> {
    if let Some(i) = &o.id_number {
        Some(format!("idh:{}", keys.search_hash(i)))
    } else {
        o.uscc.as_ref().map(|u| format!("uscc:{u}"))
    }
}

/// Looks up `keys` in `owners.owner_key`, in batches: key → (id, name, phone hash).
async fn owners_by_key(db: &Db, keys: &[String]) -> Result<HashMap<String, (i64, String, Option<String>)>, StoreError> {
    let mut out = HashMap::new();
    if keys.is_empty() {
        return Ok(out);
    }
    // Nothing to look up in an empty table (a first import).
    let any: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM owners LIMIT 1").fetch_optional(p).await)?;
    if any.is_none() {
        return Ok(out);
    }
    for chunk in keys.chunks(batch_rows(1).min(900)) {
        // Anonymous placeholders on SQLite: see `multi_insert_for` (named ones bind in O(k²)).
        let ph: Vec<String> = match db.backend() {
            crate::Backend::Sqlite => vec!["?".to_string(); chunk.len()],
            crate::Backend::Postgres => (1..=chunk.len()).map(|i| format!("${i}")).collect(),
        };
        let sql = format!("SELECT id, owner_key, name, phone_hash FROM owners WHERE owner_key IN ({})", ph.join(","));
        let rows: Vec<(i64, String, String, Option<String>)> = on!(db, p => {
            let mut q = sqlx::query_as(dynamic(sql));
            for k in chunk {
                q = q.bind(k);
            }
            q.fetch_all(p).await
        })?;
        for (id, k, n, ph) in rows {
            out.insert(k, (id, n, ph));
        }
    }
    Ok(out)
}

/// Ids for `$n` new rows of `$table`, taken inside the write transaction `$tx`: on SQLite
/// the transaction holds the write lock (`BEGIN IMMEDIATE`), so `MAX(id)+1…` are free; on
/// PostgreSQL they are drawn from the table's identity sequence. Knowing the ids up front
/// spares reading the new rows back to learn them.
macro_rules! reserve_ids {
    ($tx:expr, $table:literal, $n:expr) => {{
        let n = $n as i64;
        if n == 0 {
            Vec::<i64>::new()
        } else {
            match backend_of_tx(&$tx) {
                crate::Backend::Sqlite => {
                    let max: i64 = sqlx::query_scalar(concat!("SELECT COALESCE(MAX(id), 0) FROM ", $table)).fetch_one(&mut *$tx).await?;
                    (max + 1..=max + n).collect::<Vec<i64>>()
                }
                crate::Backend::Postgres => {
                    sqlx::query_scalar::<_, i64>(concat!("SELECT nextval(pg_get_serial_sequence('", $table, "', 'id')) FROM generate_series(1, $1)"))
                        .bind(n)
                        .fetch_all(&mut *$tx)
                        .await?
                }
            }
        }
    }};
}

/// An owner of a house in the file: one already registered, or the n-th to be created.
#[derive(Clone, Copy)]
enum OwnerRef {
    Known(i64),
    New(usize),
}

async fn import_houses(db: &Db, a: &Access, rows: Vec<HouseRow>, opts: &ImportOptions, report: &mut ImportReport, progress: &dyn Progress) -> Result<(), ImportError> {
    let keys = crate::pii::keys().map_err(|e| StoreError::Invalid(e.to_string()))?;
    // 1. Estates of the rows (one entry per row, None when the row's estate is unknown).
    //    Only estates the caller reaches can be imported into.
    let scope = a.estates_sql("e", opts.today);
    if let Some(id) = opts.estate_id {
        let sql = format!("SELECT COUNT(*) FROM estates e WHERE e.id = $1 AND {scope}");
        let exists: i64 = on!(db, p => sqlx::query_scalar(dynamic(sql)).bind(id).fetch_one(p).await)?;
        if exists == 0 {
            // Not there, or not the caller's: the same answer either way.
            return Err(ImportError::Store(StoreError::NotFound));
        }
    }
    let needs_lookup = rows.iter().any(|r| r.estate.is_some());
    let mut estates: HashMap<String, HashMap<String, i64>> = HashMap::new();
    if needs_lookup {
        let sql = format!("SELECT e.id, e.region_code, e.name FROM estates e WHERE {scope}");
        let v: Vec<(i64, String, String)> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
        for (id, c, n) in v {
            estates.entry(c).or_default().insert(n, id);
        }
    }
    let mut estate_of_row: Vec<Option<i64>> = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = match (&r.estate, opts.estate_id) {
            (Some((code, name)), given) => match estates.get(code.as_str()).and_then(|m| m.get(name.as_str())) {
                Some(id) => {
                    if let Some(g) = given {
                        if g != *id {
                            report.errors.push(cell_err(r.row, "小区名称", name, format!("文件中的小区与指定的小区（编号 {g}）不同")));
                            estate_of_row.push(None);
                            continue;
                        }
                    }
                    Some(*id)
                }
                None => {
                    report.errors.push(cell_err(r.row, "小区名称", name, format!("社区 {code} 下没有这个小区（或不在您的范围内），请先导入小区")));
                    None
                }
            },
            (None, Some(g)) => Some(g),
            (None, None) => None,
        };
        estate_of_row.push(id);
    }
    let mut estate_ids: Vec<i64> = estate_of_row.iter().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect();

    // 2. Owners already registered under the same ID number or USCC must carry the same
    //    name. Each owner's stored key is computed once (a keyed hash for ID numbers).
    let row_keys: Vec<Option<String>> = rows.iter().map(|r| r.owner.as_ref().and_then(|o| global_key(&keys, o))).collect();
    let mut wanted: Vec<String> = row_keys.iter().flatten().cloned().collect::<HashSet<_>>().into_iter().collect();
    wanted.sort();
    let known_owners = owners_by_key(db, &wanted).await?;
    drop(wanted);
    if !known_owners.is_empty() {
        for (r, k) in rows.iter().zip(&row_keys) {
            if let (Some(o), Some(k)) = (&r.owner, k) {
                if let Some((id, name, _)) = known_owners.get(k) {
                    if *name != o.name {
                        let (col, val) = match (&o.id_number, &o.uscc) {
                            (Some(i), _) => ("身份证号", i.clone()),
                            (None, Some(u)) => ("统一社会信用代码", u.clone()),
                            _ => ("", String::new()),
                        };
                        report.errors.push(cell_err(r.row, col, val, format!("该证件号码已登记为业主「{name}」（编号 {id}），与此处「{}」不符", o.name)));
                    }
                }
            }
        }
    }

    // 3. Houses and owner sets already stored in these estates.
    let elist = in_list(&estate_ids);
    let existing: Vec<HouseNow> = on!(db, p => sqlx::query_as::<_, HouseNow>(dynamic(format!(
        "SELECT h.id, h.estate_id, b.no AS building_no, u.no AS unit_no, h.room_no, h.floor, h.building_area, h.exclusive_area, h.house_use, h.status
         FROM houses h JOIN buildings b ON b.id = h.building_id JOIN units u ON u.id = h.unit_id WHERE h.estate_id IN {elist}"))).fetch_all(p).await)?;
    let mut existing_by_key: HashMap<HouseKey, HouseNow> = HashMap::with_capacity(existing.len());
    for h in existing {
        existing_by_key.insert((h.estate_id, h.building_no.clone(), h.unit_no.clone(), h.room_no.clone()), h);
    }
    let owned: Vec<(i64, i64, String)> = if existing_by_key.is_empty() {
        Vec::new()
    } else {
        on!(db, p => sqlx::query_as(dynamic(format!(
            "SELECT w.house_id, o.id, o.owner_key FROM ownerships w JOIN houses h ON h.id = w.house_id JOIN owners o ON o.id = w.owner_id WHERE h.estate_id IN {elist}")))
            .fetch_all(p).await)?
    };
    let mut owner_sets: HashMap<i64, BTreeSet<String>> = HashMap::new();
    let mut owner_ids: HashMap<String, i64> = known_owners.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    for (h, o, k) in owned {
        owner_sets.entry(h).or_default().insert(k.clone());
        owner_ids.insert(k, o);
    }

    // 4. Group the rows by house (and find the stored house of each group once).
    let mut groups: Vec<HouseGroup> = Vec::new();
    let mut index: HashMap<HouseKey, usize> = HashMap::with_capacity(rows.len());
    for ((r, estate_id), okey) in rows.into_iter().zip(estate_of_row).zip(row_keys) {
        let Some(estate_id) = estate_id else { continue };
        let key = (estate_id, r.house.building_no.clone(), r.house.unit_no.clone(), r.house.room_no.clone());
        let gi = match index.get(&key) {
            Some(&gi) => gi,
            None => {
                let existing = existing_by_key.get(&key).map(|h| {
                    let same = h.floor == r.house.floor && h.building_area == r.house.building_area && h.exclusive_area == r.house.exclusive_area
                        && h.house_use == r.house.house_use.code() && h.status == r.house.status.code();
                    (h.id, same)
                });
                index.insert(key, groups.len());
                groups.push(HouseGroup { row: r.row, estate_id, house: r.house, total_floors: None, elevator: None, owners: Vec::new(), occupants: Vec::new(), existing });
                groups.len() - 1
            }
        };
        let g = &mut groups[gi];
        g.total_floors = g.total_floors.or(r.total_floors);
        g.elevator = g.elevator.or(r.elevator);
        if let Some(o) = r.owner {
            g.owners.push((r.row, o, okey));
        }
        if let Some(o) = r.occupant {
            g.occupants.push(o);
        }
    }
    drop(index);
    drop(existing_by_key);

    // 5. Owner-set changes on stored houses need --replace-owners.
    let mut replace: HashSet<i64> = HashSet::new();
    for g in &groups {
        let Some((hid, _)) = g.existing else { continue };
        if g.owners.is_empty() {
            continue;
        }
        let file: BTreeSet<String> = g.owners.iter().map(|(_, o, k)| k.clone().unwrap_or_else(|| format!("name:{}:{}", hid, o.name))).collect();
        let db_set = owner_sets.get(&hid).cloned().unwrap_or_default();
        if db_set.is_empty() || db_set == file {
            continue;
        }
        if opts.replace_owners {
            replace.insert(hid);
        } else {
            report.errors.push(cell_err(
                g.row,
                "业主名称",
                g.owners.iter().map(|(_, o, _)| o.name.as_str()).collect::<Vec<_>>().join("、"),
                format!("房屋 {} 已登记了不同的业主；如确为过户或更正，请选择「替换业主」（--replace-owners）", g.house.label()),
            ));
        }
    }

    // 6. Reject or skip.
    let groups = gate(groups, |g| g.row, opts, report)?;
    let groups: Vec<HouseGroup> = if report.skipped > 0 {
        let bad: HashSet<usize> = report.errors.iter().map(|e| e.row).collect();
        groups.into_iter().map(|mut g| { g.owners.retain(|(r, _, _)| !bad.contains(r)); g }).collect()
    } else {
        groups
    };
    estate_ids = groups.iter().map(|g| g.estate_id).collect::<BTreeSet<_>>().into_iter().collect();
    let elist = in_list(&estate_ids);

    // 7. Classify houses.
    let mut new_houses: Vec<usize> = Vec::new();
    let mut changed_houses: Vec<(i64, usize)> = Vec::new();
    let mut touched: HashSet<usize> = HashSet::new();
    for (i, g) in groups.iter().enumerate() {
        match g.existing {
            None => new_houses.push(i),
            Some((hid, same)) => {
                if !same {
                    changed_houses.push((hid, i));
                    touched.insert(i);
                }
                if replace.contains(&hid) {
                    touched.insert(i);
                }
                if !g.owners.is_empty() && owner_sets.get(&hid).is_none_or(|s| s.is_empty()) {
                    touched.insert(i);
                }
            }
        }
    }

    progress.phase("写入", groups.len() as u64);
    let total_groups = groups.len() as u64;
    // A stored house counts as updated when its attributes, its owners or an owner's phone
    // changed.
    let updated_groups = touched.len();
    report.inserted = new_houses.len() as u64;
    report.updated = updated_groups as u64;
    report.unchanged = (groups.len() - new_houses.len() - updated_groups) as u64;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;

        // Buildings: estate → building no → (floors, elevator) from the file.
        let mut bld: HashMap<i64, HashMap<&str, (Option<i32>, Option<bool>)>> = HashMap::new();
        for g in &groups {
            let e = bld.entry(g.estate_id).or_default().entry(g.house.building_no.as_str()).or_insert((None, None));
            e.0 = e.0.or(g.total_floors);
            e.1 = e.1.or(g.elevator);
        }
        let load_buildings = format!("SELECT id, estate_id, no, floors, has_elevator FROM buildings WHERE estate_id IN {elist}");
        let have: Vec<(i64, i64, String, Option<i32>, Option<bool>)> = sqlx::query_as(dynamic(load_buildings.clone())).fetch_all(&mut *tx).await?;
        let mut bids: HashMap<i64, HashMap<String, i64>> = HashMap::new();
        for (id, e, no, f, el) in have {
            if let Some((nf, nel)) = bld.get(&e).and_then(|m| m.get(no.as_str())) {
                let f2 = nf.or(f);
                let el2 = nel.or(el);
                if f2 != f || el2 != el {
                    sqlx::query("UPDATE buildings SET floors = $1, has_elevator = $2 WHERE id = $3").bind(f2).bind(el2).bind(id).execute(&mut *tx).await?;
                }
            }
            bids.entry(e).or_default().insert(no, id);
        }
        let new_b: Vec<(i64, &str, Option<i32>, Option<bool>)> = bld
            .iter()
            .flat_map(|(e, m)| m.iter().map(move |(no, v)| (*e, *no, v.0, v.1)))
            .filter(|(e, no, _, _)| bids.get(e).is_none_or(|m| !m.contains_key(*no)))
            .collect();
        if !new_b.is_empty() {
            insert_batches!(tx, "INSERT INTO buildings (estate_id, no, floors, has_elevator)", "", 4, new_b,
                |q, b| q.bind(b.0).bind(b.1).bind(b.2).bind(b.3));
            let have: Vec<(i64, i64, String)> = sqlx::query_as(dynamic(format!("SELECT id, estate_id, no FROM buildings WHERE estate_id IN {elist}"))).fetch_all(&mut *tx).await?;
            for (id, e, no) in have {
                bids.entry(e).or_default().insert(no, id);
            }
        }
        drop(bld);
        let building_of: Vec<i64> = groups.iter().map(|g| bids[&g.estate_id][g.house.building_no.as_str()]).collect();
        drop(bids);

        // Units: building id → unit no → id.
        let load_units = format!("SELECT u.id, u.building_id, u.no FROM units u JOIN buildings b ON b.id = u.building_id WHERE b.estate_id IN {elist}");
        let have: Vec<(i64, i64, String)> = sqlx::query_as(dynamic(load_units.clone())).fetch_all(&mut *tx).await?;
        let mut uids: HashMap<i64, HashMap<String, i64>> = HashMap::new();
        for (id, b, no) in have {
            uids.entry(b).or_default().insert(no, id);
        }
        let mut new_u: Vec<(i64, &str)> = Vec::new();
        let mut planned_u: HashSet<(i64, &str)> = HashSet::new();
        for (g, b) in groups.iter().zip(&building_of) {
            let no = g.house.unit_no.as_str();
            if uids.get(b).is_none_or(|m| !m.contains_key(no)) && planned_u.insert((*b, no)) {
                new_u.push((*b, no));
            }
        }
        drop(planned_u);
        if !new_u.is_empty() {
            insert_batches!(tx, "INSERT INTO units (building_id, no)", "", 2, new_u, |q, u| q.bind(u.0).bind(u.1));
            let have: Vec<(i64, i64, String)> = sqlx::query_as(dynamic(load_units)).fetch_all(&mut *tx).await?;
            for (id, b, no) in have {
                uids.entry(b).or_default().insert(no, id);
            }
        }
        let unit_of: Vec<i64> = groups.iter().zip(&building_of).map(|(g, b)| uids[b][g.house.unit_no.as_str()]).collect();
        drop(uids);

        // Houses: new ones get their ids up front.
        let new_ids = reserve_ids!(tx, "houses", new_houses.len());
        let mut house_ids: Vec<i64> = groups.iter().map(|g| g.existing.map(|e| e.0).unwrap_or(0)).collect();
        for (&i, &id) in new_houses.iter().zip(&new_ids) {
            house_ids[i] = id;
        }
        let rows_new: Vec<(i64, &HouseGroup, i64, i64)> = new_houses.iter().map(|&i| (house_ids[i], &groups[i], building_of[i], unit_of[i])).collect();
        insert_batches!(tx, "INSERT INTO houses (id, estate_id, building_id, unit_id, room_no, floor, building_area, exclusive_area, house_use, status)", "", 10, rows_new,
            |q, x| q.bind(x.0).bind(x.1.estate_id).bind(x.2).bind(x.3).bind(&x.1.house.room_no).bind(x.1.house.floor).bind(x.1.house.building_area)
                .bind(x.1.house.exclusive_area).bind(x.1.house.house_use.code()).bind(x.1.house.status.code()));
        drop(rows_new);
        progress.inc(total_groups / 3);
        for (id, i) in &changed_houses {
            let g = &groups[*i];
            sqlx::query("UPDATE houses SET floor=$1, building_area=$2, exclusive_area=$3, house_use=$4, status=$5 WHERE id=$6")
                .bind(g.house.floor).bind(g.house.building_area).bind(g.house.exclusive_area).bind(g.house.house_use.code()).bind(g.house.status.code()).bind(id)
                .execute(&mut *tx).await?;
        }

        // Owners: create those not yet registered, update phones that changed.
        let mut to_insert: Vec<(String, &OwnerInput)> = Vec::new();
        let mut planned: HashMap<String, usize> = HashMap::new();
        let mut phone_updates: Vec<(i64, crate::pii::Protected)> = Vec::new();
        let mut links: Vec<(i64, OwnerRef)> = Vec::new();
        for (g, &hid) in groups.iter().zip(&house_ids) {
            for (_, o, gk) in &g.owners {
                let k = gk.clone().unwrap_or_else(|| format!("name:{hid}:{}", o.name));
                let r = match owner_ids.get(&k) {
                    Some(&id) => {
                        if let (Some(new_phone), Some((_, _, old_hash))) = (o.phone.as_deref(), known_owners.get(&k)) {
                            let p = keys.protect_phone(new_phone);
                            if old_hash.as_deref() != Some(p.hash.as_str()) {
                                phone_updates.push((id, p));
                            }
                        }
                        OwnerRef::Known(id)
                    }
                    None => match planned.get(&k) {
                        Some(&n) => OwnerRef::New(n),
                        None => {
                            planned.insert(k.clone(), to_insert.len());
                            to_insert.push((k, o));
                            OwnerRef::New(to_insert.len() - 1)
                        }
                    },
                };
                links.push((hid, r));
            }
        }
        drop(planned);
        let mut new_owner_ids = reserve_ids!(tx, "owners", to_insert.len());
        // Personal data is stored encrypted, with its keyed hash and mask (see pii).
        let owner_rows: Vec<(i64, &(String, &OwnerInput), Option<crate::pii::Protected>, Option<crate::pii::Protected>)> = new_owner_ids
            .iter()
            .copied()
            .zip(&to_insert)
            .map(|(id, x)| (id, x, x.1.id_number.as_deref().map(|i| keys.protect_id(i)), x.1.phone.as_deref().map(|p| keys.protect_phone(p))))
            .collect();
        let inserted = insert_batches!(tx, "INSERT INTO owners (id, owner_key, kind, name, id_number_enc, id_number_hash, id_number_mask, uscc, phone_enc, phone_hash, phone_mask)", " ON CONFLICT (owner_key) DO NOTHING", 11, owner_rows,
            |q, x| q.bind(x.0).bind(&x.1.0).bind(x.1.1.kind.code()).bind(&x.1.1.name)
                .bind(x.2.as_ref().map(|p| &p.enc)).bind(x.2.as_ref().map(|p| &p.hash)).bind(x.2.as_ref().map(|p| &p.mask))
                .bind(&x.1.1.uscc)
                .bind(x.3.as_ref().map(|p| &p.enc)).bind(x.3.as_ref().map(|p| &p.hash)).bind(x.3.as_ref().map(|p| &p.mask)));
        drop(owner_rows);
        progress.inc(total_groups / 3);
        if inserted as usize != to_insert.len() {
            // Someone registered some of these owners meanwhile: take the stored ids.
            for (i, (k, _)) in to_insert.iter().enumerate() {
                let id: i64 = sqlx::query_scalar("SELECT id FROM owners WHERE owner_key = $1").bind(k).fetch_one(&mut *tx).await?;
                new_owner_ids[i] = id;
            }
        }
        for (id, p) in &phone_updates {
            sqlx::query("UPDATE owners SET phone_enc = $1, phone_hash = $2, phone_mask = $3 WHERE id = $4").bind(&p.enc).bind(&p.hash).bind(&p.mask).bind(*id).execute(&mut *tx).await?;
        }

        // Ownerships.
        if !replace.is_empty() {
            let ids: Vec<i64> = replace.iter().copied().collect();
            for chunk in ids.chunks(500) {
                sqlx::query(dynamic(format!("DELETE FROM ownerships WHERE house_id IN {}", in_list(chunk)))).execute(&mut *tx).await?;
            }
        }
        let links: Vec<(i64, i64)> = links.into_iter().map(|(h, r)| (h, match r { OwnerRef::Known(id) => id, OwnerRef::New(n) => new_owner_ids[n] })).collect();
        insert_batches!(tx, "INSERT INTO ownerships (house_id, owner_id)", " ON CONFLICT DO NOTHING", 2, links, |q, l| q.bind(l.0).bind(l.1));

        // Occupants.
        let mut occ: Vec<(i64, &OccupantInput, Option<crate::pii::Protected>)> = Vec::new();
        for (g, &hid) in groups.iter().zip(&house_ids) {
            for o in &g.occupants {
                occ.push((hid, o, o.phone.as_deref().map(|p| keys.protect_phone(p))));
            }
        }
        insert_batches!(tx, "INSERT INTO occupants (house_id, kind, name, phone_enc, phone_mask)", " ON CONFLICT (house_id, name) DO UPDATE SET kind = excluded.kind, phone_enc = excluded.phone_enc, phone_mask = excluded.phone_mask", 5, occ,
            |q, x| q.bind(x.0).bind(x.1.kind.code()).bind(&x.1.name).bind(x.2.as_ref().map(|p| &p.enc)).bind(x.2.as_ref().map(|p| &p.mask)));

        // House counts (as REFRESH_HOUSE_COUNT, for many estates per statement).
        let now = Utc::now();
        for chunk in estate_ids.chunks(500) {
            sqlx::query(dynamic(format!(
                "UPDATE estates SET house_count = (SELECT COUNT(*) FROM houses h WHERE h.estate_id = estates.id), updated_at = $1 WHERE id IN {}",
                in_list(chunk)
            )))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if !phone_updates.is_empty() {
            report.notes.push(format!("更新了 {} 位业主的电话", phone_updates.len()));
        }
        if !to_insert.is_empty() {
            report.notes.push(format!("新登记业主 {} 位", to_insert.len()));
        }
        record_run!(tx, a, opts, report);
        tx.commit().await?;
        progress.inc(total_groups - 2 * (total_groups / 3));
        Ok::<(), StoreError>(())
    })?;
    report.committed = true;
    Ok(())
}

/// A stored import run (the history shown on the import page).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ImportRun {
    pub id: i64,
    pub layout: String,
    pub file_name: String,
    pub estate_id: Option<i64>,
    pub created_at: chrono::DateTime<Utc>,
    pub rows_total: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub skipped: i64,
}

pub async fn recent_runs(db: &Db, limit: i64) -> Result<Vec<ImportRun>, StoreError> {
    Ok(on!(db, p => sqlx::query_as::<_, ImportRun>(
        "SELECT id, layout, file_name, estate_id, created_at, rows_total, inserted, updated, unchanged, skipped FROM import_runs ORDER BY id DESC LIMIT $1")
        .bind(limit).fetch_all(p).await)?)
}
