//! Regions (行政区划): loading division files, and reading the tree.

use crate::db::{Db, Result, StoreError, backend_of_tx, batch_rows, dynamic, multi_insert_for};
use crate::{audit, begin_write, on};
use serde::Serialize;
use wuye_domain::region::{DivisionError, RegionCode, RegionLevel, validate_divisions};

/// The 3,199 divisions of 宁夏回族自治区 (NBS 2023 统计用区划代码), shipped in the binary.
pub const NINGXIA_DIVISIONS: &str = include_str!("../../../datasets/ningxia-divisions.csv");

/// A region as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Region {
    /// 12-digit code.
    pub code: String,
    pub name: String,
    /// province | city | county | street | community
    pub level: String,
    pub parent_code: Option<String>,
    /// Leading digits shared by the subtree.
    pub prefix: String,
}

impl Region {
    pub fn level(&self) -> RegionLevel {
        RegionLevel::parse(&self.level).unwrap_or(RegionLevel::Community)
    }
    pub fn child_level(&self) -> Option<RegionLevel> {
        self.level().child()
    }
}

/// Result of loading a divisions file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RegionLoad {
    pub rows: usize,
    pub inserted: u64,
    pub renamed: u64,
}

/// Errors of a divisions file: the file itself, or its rows.
#[derive(Debug, thiserror::Error)]
pub enum RegionFileError {
    #[error("区划文件格式错误: {0}")]
    Format(String),
    #[error("区划文件有 {} 处错误，未写入任何数据：\n{}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<DivisionError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RegionFileError {
    fn from(e: sqlx::Error) -> Self {
        RegionFileError::Store(StoreError::Sqlx(e))
    }
}

/// Parses a `code,name,level,parent_code` CSV (UTF-8, optional BOM) into text rows.
pub fn parse_division_csv(text: &str) -> Result<Vec<(usize, String, String, String, String)>, RegionFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| RegionFileError::Format(e.to_string()))?.clone();
    let want = ["code", "name", "level", "parent_code"];
    if headers.iter().map(str::trim).collect::<Vec<_>>() != want {
        return Err(RegionFileError::Format(format!("表头应为 {}，实为 {}", want.join(","), headers.iter().collect::<Vec<_>>().join(","))));
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| RegionFileError::Format(format!("第 {} 行: {e}", i + 2)))?;
        let f = |k: usize| rec.get(k).unwrap_or("").to_string();
        rows.push((i + 2, f(0), f(1), f(2), f(3)));
    }
    if rows.is_empty() {
        return Err(RegionFileError::Format("没有数据行".into()));
    }
    Ok(rows)
}

/// Loads a divisions file in one transaction: validates every row first (parents must be
/// in the file or already stored), then inserts new codes and renames changed ones.
/// Loading the same file twice changes nothing.
pub async fn load_divisions(db: &Db, text: &str) -> Result<RegionLoad, RegionFileError> {
    let rows = parse_division_csv(text)?;
    let existing: Vec<(String, String, String)> =
        on!(db, p => sqlx::query_as("SELECT code, name, level FROM regions").fetch_all(p).await)?;
    let known: std::collections::HashMap<String, (String, String)> =
        existing.into_iter().map(|(c, n, l)| (c, (n, l))).collect();
    let valid = validate_divisions(&rows, &|c: &RegionCode| {
        known.get(c.as_str()).and_then(|(_, l)| RegionLevel::parse(l))
    })
    .map_err(RegionFileError::Rows)?;
    let mut new = Vec::new();
    let mut renamed = Vec::new();
    for r in &valid {
        match known.get(r.code.as_str()) {
            None => new.push(r),
            Some((name, _)) if *name != r.name => renamed.push(r),
            Some(_) => {}
        }
    }
    let out = RegionLoad { rows: valid.len(), inserted: new.len() as u64, renamed: renamed.len() as u64 };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        // Parents before children: the file is validated, so sorting by level suffices.
        let mut new = new;
        new.sort_by_key(|r| (r.level, r.code.clone()));
        for chunk in new.chunks(batch_rows(5)) {
            let sql = multi_insert_for(backend_of_tx(&tx), "INSERT INTO regions (code, name, level, parent_code, prefix)", 5, chunk.len());
            let mut q = sqlx::query(dynamic(sql));
            for r in chunk {
                q = q.bind(r.code.as_str()).bind(r.name.as_str()).bind(r.level.as_str())
                    .bind(r.parent_code.as_ref().map(|c| c.as_str().to_string())).bind(r.code.prefix().to_string());
            }
            q.execute(&mut *tx).await?;
        }
        for r in &renamed {
            sqlx::query("UPDATE regions SET name = $1 WHERE code = $2").bind(r.name.as_str()).bind(r.code.as_str()).execute(&mut *tx).await?;
        }
        if out.inserted + out.renamed > 0 {
            let after = serde_json::json!({"rows": out.rows, "inserted": out.inserted, "renamed": out.renamed});
            audit!(tx, &crate::access::Actor::system("regions"), "import", "regions", 0, None, Some(after));
        }
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })?;
    Ok(out)
}

/// Loads the shipped Ningxia divisions when the regions table is empty. Returns whether
/// anything was loaded.
pub async fn ensure_default_regions(db: &Db) -> Result<bool> {
    let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM regions").fetch_one(p).await)?;
    if n > 0 {
        return Ok(false);
    }
    load_divisions(db, NINGXIA_DIVISIONS).await.map_err(|e| match e {
        RegionFileError::Store(s) => s,
        other => StoreError::Invalid(other.to_string()),
    })?;
    Ok(true)
}

pub async fn get(db: &Db, code: &str) -> Result<Option<Region>> {
    let code = match RegionCode::parse(code) {
        Ok(c) => c,
        Err(_) => return Ok(None),
    };
    Ok(on!(db, p => sqlx::query_as::<_, Region>("SELECT code, name, level, parent_code, prefix FROM regions WHERE code = $1")
        .bind(code.as_str()).fetch_optional(p).await)?)
}

/// The top regions (those without parent), normally one province.
pub async fn roots(db: &Db) -> Result<Vec<Region>> {
    Ok(on!(db, p => sqlx::query_as::<_, Region>("SELECT code, name, level, parent_code, prefix FROM regions WHERE parent_code IS NULL ORDER BY code")
        .fetch_all(p).await)?)
}

pub async fn children(db: &Db, code: &str) -> Result<Vec<Region>> {
    Ok(on!(db, p => sqlx::query_as::<_, Region>("SELECT code, name, level, parent_code, prefix FROM regions WHERE parent_code = $1 ORDER BY code")
        .bind(code).fetch_all(p).await)?)
}

/// The chain from the top region down to `code` inclusive (for breadcrumbs).
pub async fn path(db: &Db, code: &str) -> Result<Vec<Region>> {
    let c = RegionCode::parse(code).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let full = c.as_str();
    let codes: Vec<String> = RegionLevel::ALL
        .iter()
        .filter(|l| l.prefix_len() <= c.level().prefix_len())
        .map(|l| format!("{:0<12}", &full[..l.prefix_len()]))
        .collect();
    // One statement for the whole path (the codes are validated digits; padded to five
    // parameters so the statement is the same for every level).
    let at = |i: usize| codes.get(i).or(codes.last()).cloned().unwrap_or_default();
    let mut out: Vec<Region> = on!(db, p => sqlx::query_as::<_, Region>(
        "SELECT code, name, level, parent_code, prefix FROM regions WHERE code IN ($1, $2, $3, $4, $5)")
        .bind(at(0)).bind(at(1)).bind(at(2)).bind(at(3)).bind(at(4)).fetch_all(p).await)?;
    out.sort_by_key(|r| r.prefix.len());
    Ok(out)
}

/// [`path`], remembered per data generation ([`crate::cache`]; loading regions is an
/// audited write, so it moves the generation).
pub async fn path_at(db: &Db, generation: Option<&str>, code: &str) -> Result<Vec<Region>> {
    crate::cache::remember(db, generation, format!("region::path|{code}"), path(db, code)).await
}

/// Regions whose name contains `q` (at most `limit`), communities last.
pub async fn search(db: &Db, q: &str, level: Option<RegionLevel>, within: Option<&str>, limit: i64) -> Result<Vec<Region>> {
    let like = format!("%{}%", q.trim());
    let within = format!("{}%", within.unwrap_or(""));
    let level = level.map(|l| l.as_str().to_string());
    Ok(on!(db, p => sqlx::query_as::<_, Region>(
        "SELECT code, name, level, parent_code, prefix FROM regions
         WHERE name LIKE $1 AND code LIKE $2 AND ($3 IS NULL OR level = $3)
         ORDER BY LENGTH(prefix), code LIMIT $4")
        .bind(like).bind(within).bind(level).bind(limit).fetch_all(p).await)?)
}

/// Count of regions per level (for checks and the CLI).
pub async fn count_by_level(db: &Db) -> Result<Vec<(String, i64)>> {
    Ok(on!(db, p => sqlx::query_as::<_, (String, i64)>("SELECT level, COUNT(*) FROM regions GROUP BY level ORDER BY MIN(LENGTH(prefix))")
        .fetch_all(p).await)?)
}

/// Community-level regions whose name marks an urban community (社区/居委会), in code order.
pub async fn urban_communities(db: &Db) -> Result<Vec<Region>> {
    Ok(on!(db, p => sqlx::query_as::<_, Region>(
        "SELECT code, name, level, parent_code, prefix FROM regions
         WHERE level = 'community' AND (name LIKE '%社区%' OR name LIKE '%居委会%' OR name LIKE '%居民委员会%')
         ORDER BY code")
        .fetch_all(p).await)?)
}

/// Every community-level code (to validate estate rows).
pub async fn community_codes(db: &Db) -> Result<std::collections::HashSet<String>> {
    let v: Vec<String> = on!(db, p => sqlx::query_scalar("SELECT code FROM regions WHERE level = 'community'").fetch_all(p).await)?;
    Ok(v.into_iter().collect())
}

/// Name of each region, by code (for exports).
pub async fn names(db: &Db) -> Result<std::collections::HashMap<String, String>> {
    let v: Vec<(String, String)> = on!(db, p => sqlx::query_as("SELECT code, name FROM regions").fetch_all(p).await)?;
    Ok(v.into_iter().collect())
}
