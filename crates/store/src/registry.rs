//! The registry: estates, buildings, units, houses, owners, occupants, enterprises and
//! service contracts. Every list is filtered by a region prefix (the caller's region in
//! focus), paged, and counts its total up to [`COUNT_CAP`].

use crate::access::Access;
use crate::audit::snapshot;
use crate::db::{Db, Result, StoreError, dynamic};
use crate::{audit, begin_write, on};
use wuye_domain::account::{Action, Resource};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use wuye_domain::region::{RegionCode, RegionLevel};
use wuye_domain::registry::*;

/// Lists count their total up to this many rows and report "more than" beyond it, so a
/// province-wide list of a million houses stays fast.
pub const COUNT_CAP: i64 = 10_000;

/// Paging and filtering of a list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Region code (any level): only records in its subtree.
    pub region: Option<String>,
    /// Text to look for in names (and, where it applies, codes and numbers).
    pub q: Option<String>,
    /// 1-based page number.
    #[serde(default, deserialize_with = "opt_i64")]
    #[param(value_type = Option<i64>)]
    #[schema(value_type = Option<i64>)]
    pub page: Option<i64>,
    /// Rows per page (default 50, at most 500; exports ignore paging).
    #[serde(default, deserialize_with = "opt_i64")]
    #[param(value_type = Option<i64>)]
    #[schema(value_type = Option<i64>)]
    pub per_page: Option<i64>,
    /// Sort key (list-specific) with optional `-` for descending.
    pub sort: Option<String>,
    /// Set by [`ListQuery::unpaged`] (exports): every row, no page size limit.
    #[serde(skip)]
    #[param(ignore)]
    #[schema(ignore)]
    pub all: bool,
}

/// Deserializes an optional integer given as a number or as text (query strings, also
/// through `#[serde(flatten)]`, which hands every value over as text); an empty string is
/// `None`. Errors name the value that is not an integer.
pub fn opt_i64<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrText {
        Num(i64),
        Text(String),
    }
    match Option::<NumOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumOrText::Num(n)) => Ok(Some(n)),
        Some(NumOrText::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(NumOrText::Text(t)) => t.trim().parse().map(Some).map_err(|_| serde::de::Error::custom(format!("“{t}” 不是整数"))),
    }
}

impl ListQuery {
    pub fn page(&self) -> i64 {
        if self.all { 1 } else { self.page.unwrap_or(1).clamp(1, 1_000_000) }
    }
    /// Rows per page: default 50, at most 500; unlimited for [`ListQuery::unpaged`].
    pub fn per_page(&self) -> i64 {
        if self.all { i64::MAX / 4 } else { self.per_page.unwrap_or(50).clamp(1, 500) }
    }
    pub fn offset(&self) -> i64 {
        (self.page() - 1) * self.per_page()
    }
    /// `LIKE` pattern of the region subtree (`"6401%"`), or `"%"` for everything.
    pub fn region_like(&self) -> String {
        region_like(self.region.as_deref())
    }
    pub fn text(&self) -> String {
        self.q.as_deref().unwrap_or("").trim().to_string()
    }
    pub fn text_like(&self) -> String {
        format!("%{}%", escape_like(&self.text()))
    }
    /// The whole list (for export): no paging.
    pub fn unpaged(&self) -> ListQuery {
        ListQuery { page: Some(1), all: true, ..self.clone() }
    }
}

/// `LIKE` pattern for a region's subtree; invalid or missing codes match everything.
pub fn region_like(code: Option<&str>) -> String {
    match code.and_then(|c| RegionCode::parse(c).ok()) {
        Some(c) => format!("{}%", c.prefix()),
        None => "%".to_string(),
    }
}

fn escape_like(s: &str) -> String {
    s.replace(['%', '_'], "")
}

/// A page of rows with the total (capped at [`COUNT_CAP`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Total matching rows, or [`COUNT_CAP`] when `more` is true.
    pub total: i64,
    /// True when there are more than [`COUNT_CAP`] matching rows.
    pub more: bool,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

fn order(sort: Option<&str>, allowed: &[(&str, &str)], default: &str) -> String {
    let s = sort.unwrap_or("");
    let (desc, key) = match s.strip_prefix('-') {
        Some(k) => (true, k),
        None => (false, s),
    };
    match allowed.iter().find(|(k, _)| *k == key) {
        Some((_, col)) => format!("{col} {}", if desc { "DESC" } else { "ASC" }),
        None => default.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Estates

/// An estate with its region and current service (as of the day the list was read).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Estate {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub address: String,
    /// commodity | resettlement | old | single_building | affordable | other
    pub kind: String,
    pub year_built: Option<i32>,
    /// Hundredths of m².
    pub land_area: Option<i64>,
    /// Hundredths of m².
    pub building_area: i64,
    pub has_elevator: bool,
    /// enterprise | self_managed | none (as declared)
    pub management: String,
    /// Registered houses.
    pub house_count: i64,
    /// Enterprise serving under a contract in force today, if any.
    pub current_enterprise_id: Option<i64>,
    pub current_enterprise: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Estate {
    pub fn covered(&self) -> bool {
        self.current_enterprise_id.is_some()
    }
    pub fn kind_zh(&self) -> &'static str {
        EstateKind::parse(&self.kind).map(|k| k.label_zh()).unwrap_or("")
    }
    pub fn management_zh(&self) -> &'static str {
        ManagementMode::parse(&self.management).map(|k| k.label_zh()).unwrap_or("")
    }
    /// Declared management by an enterprise, but no contract in force: a data problem a
    /// regulator wants to see.
    pub fn management_mismatch(&self) -> bool {
        self.management == "enterprise" && !self.covered()
    }
    pub fn to_input(&self) -> EstateInput {
        EstateInput {
            name: self.name.clone(),
            region_code: RegionCode::parse(&self.region_code).unwrap_or_else(|_| RegionCode::parse("00").expect("valid")),
            address: self.address.clone(),
            kind: EstateKind::parse(&self.kind).unwrap_or(EstateKind::Other),
            year_built: self.year_built,
            land_area: self.land_area,
            building_area: self.building_area,
            has_elevator: self.has_elevator,
            management: ManagementMode::parse(&self.management).unwrap_or(ManagementMode::None),
        }
    }
}

const ESTATE_SELECT: &str = "SELECT e.id, e.name, e.region_code, r.name AS region_name, e.address, e.kind, e.year_built,
    e.land_area, e.building_area, e.has_elevator, e.management, e.house_count,
    (SELECT c.enterprise_id FROM service_contracts c WHERE c.estate_id = e.id AND c.start_date <= $1
        AND (c.end_date IS NULL OR c.end_date >= $1) ORDER BY c.start_date DESC, c.id DESC LIMIT 1) AS current_enterprise_id,
    (SELECT en.name FROM service_contracts c JOIN enterprises en ON en.id = c.enterprise_id WHERE c.estate_id = e.id
        AND c.start_date <= $1 AND (c.end_date IS NULL OR c.end_date >= $1) ORDER BY c.start_date DESC, c.id DESC LIMIT 1) AS current_enterprise,
    e.created_at, e.updated_at
    FROM estates e JOIN regions r ON r.code = e.region_code";

/// Extra filter for the estates list: covered or not today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoveredFilter {
    Covered,
    Uncovered,
}

pub async fn list_estates(db: &Db, a: &Access, q: &ListQuery, covered: Option<CoveredFilter>, today: NaiveDate) -> Result<Page<Estate>> {
    a.require(Action::View, Resource::Estate)?;
    let cov = match covered {
        None => "",
        Some(CoveredFilter::Covered) => " AND EXISTS (SELECT 1 FROM service_contracts c WHERE c.estate_id = e.id AND c.start_date <= $1 AND (c.end_date IS NULL OR c.end_date >= $1))",
        Some(CoveredFilter::Uncovered) => " AND NOT EXISTS (SELECT 1 FROM service_contracts c WHERE c.estate_id = e.id AND c.start_date <= $1 AND (c.end_date IS NULL OR c.end_date >= $1))",
    };
    let filter = format!(" WHERE e.region_code LIKE $2 AND ($3 = '' OR e.name LIKE $4 OR e.address LIKE $4){cov} AND {}", a.estates_sql("e", today));
    let ord = order(q.sort.as_deref(), &[("name", "e.name"), ("houses", "e.house_count"), ("area", "e.building_area"), ("region", "e.region_code"), ("year", "e.year_built")], "e.region_code, e.name");
    // The page's ids first (an index walk that stops after the page), then the columns
    // with their per-estate lookups for those rows only.
    let sql = format!("{ESTATE_SELECT} WHERE e.id IN (SELECT e.id FROM estates e{filter} ORDER BY {ord}, e.id LIMIT $5 OFFSET $6) ORDER BY {ord}, e.id");
    let count = format!("SELECT COUNT(*) FROM (SELECT 1 FROM estates e{filter} LIMIT {}) x", COUNT_CAP + 1);
    let (rl, t, tl) = (q.region_like(), q.text(), q.text_like());
    let read = async { Ok(on!(db, p => sqlx::query_as::<_, Estate>(dynamic(sql.clone())).bind(today).bind(&rl).bind(&t).bind(&tl).bind(q.per_page()).bind(q.offset()).fetch_all(p).await)?) };
    let items: Vec<Estate> = if q.all { read.await? } else { crate::cache::remember(db, a.generation(), format!("{sql}|{today:?}|{rl:?}|{t:?}|{tl:?}|{}|{}", q.per_page(), q.offset()), read).await? };
    let total = crate::cache::remember(db, a.generation(), format!("{count}|{:?}|{:?}|{:?}|{:?}|", today, &rl, &t, &tl), async { Ok(on!(db, p => sqlx::query_scalar(dynamic(count.clone())).bind(today).bind(&rl).bind(&t).bind(&tl).fetch_one(p).await)?) }).await?;
    Ok(page(items, total, q))
}

fn page<T>(items: Vec<T>, total: i64, q: &ListQuery) -> Page<T> {
    Page { items, total: total.min(COUNT_CAP), more: total > COUNT_CAP, page: q.page(), per_page: q.per_page() }
}

/// One estate, if the caller reaches it ([`StoreError::NotFound`] otherwise).
pub async fn get_estate(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Estate> {
    a.require(Action::View, Resource::Estate)?;
    let sql = format!("{ESTATE_SELECT} WHERE e.id = $2 AND {}", a.estates_sql("e", today));
    on!(db, p => sqlx::query_as::<_, Estate>(dynamic(sql)).bind(today).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// Finds an estate the caller reaches by its natural key (community code, name).
pub async fn find_estate(db: &Db, a: &Access, region_code: &str, name: &str, today: NaiveDate) -> Result<Option<i64>> {
    let sql = format!("SELECT e.id FROM estates e WHERE e.region_code = $1 AND e.name = $2 AND {}", a.estates_sql("e", today));
    Ok(on!(db, p => sqlx::query_scalar(dynamic(sql)).bind(region_code).bind(name).fetch_optional(p).await)?)
}

async fn estate_id_taken(db: &Db, region_code: &str, name: &str) -> Result<Option<i64>> {
    Ok(on!(db, p => sqlx::query_scalar("SELECT id FROM estates WHERE region_code = $1 AND name = $2").bind(region_code).bind(name).fetch_optional(p).await)?)
}

fn in_reach(a: &Access, code: &RegionCode) -> Result<()> {
    if a.reaches_region(code.as_str()) {
        Ok(())
    } else {
        Err(StoreError::Forbidden(format!("区划 {code} 不在您的管辖范围内")))
    }
}

async fn check_community(db: &Db, code: &RegionCode) -> Result<()> {
    let level: Option<String> = on!(db, p => sqlx::query_scalar("SELECT level FROM regions WHERE code = $1").bind(code.as_str()).fetch_optional(p).await)?;
    match level.as_deref() {
        None => Err(StoreError::Invalid(format!("区划代码 {code} 不存在"))),
        Some("community") => Ok(()),
        Some(l) => Err(StoreError::Invalid(format!("区划 {code} 是{}，小区须登记在村/社区一级", RegionLevel::parse(l).map(|x| x.label_zh()).unwrap_or(l)))),
    }
}

fn invalid(errors: Vec<FieldError>) -> StoreError {
    StoreError::Invalid(errors.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join("；"))
}

/// Creates an estate. Errors: invalid fields, a region that is not a community, or an
/// estate of the same name in the same community ([`StoreError::Conflict`]).
pub async fn create_estate(db: &Db, a: &Access, e: &EstateInput, this_year: i32) -> Result<i64> {
    a.require(Action::Create, Resource::Estate)?;
    let errs = e.validate(this_year);
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    in_reach(a, &e.region_code)?;
    check_community(db, &e.region_code).await?;
    if estate_id_taken(db, e.region_code.as_str(), &e.name).await?.is_some() {
        return Err(StoreError::Conflict(format!("该社区已有名为「{}」的小区", e.name)));
    }
    let now = Utc::now();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO estates (name, region_code, address, kind, year_built, land_area, building_area, has_elevator, management, house_count, created_at, updated_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,0,$10,$10) RETURNING id")
            .bind(&e.name).bind(e.region_code.as_str()).bind(&e.address).bind(e.kind.code()).bind(e.year_built).bind(e.land_area)
            .bind(e.building_area).bind(e.has_elevator).bind(e.management.code()).bind(now).fetch_one(&mut *tx).await?;
        audit!(tx, a.actor(), "create", "estate", id, None, snapshot(e));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

pub async fn update_estate(db: &Db, a: &Access, id: i64, e: &EstateInput, this_year: i32, today: NaiveDate) -> Result<()> {
    let before = get_estate(db, a, id, today).await?.to_input();
    a.require(Action::Edit, Resource::Estate)?;
    let errs = e.validate(this_year);
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    in_reach(a, &e.region_code)?;
    check_community(db, &e.region_code).await?;
    if let Some(other) = estate_id_taken(db, e.region_code.as_str(), &e.name).await? {
        if other != id {
            return Err(StoreError::Conflict(format!("该社区已有名为「{}」的小区", e.name)));
        }
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query(
            "UPDATE estates SET name=$1, region_code=$2, address=$3, kind=$4, year_built=$5, land_area=$6, building_area=$7, has_elevator=$8, management=$9, updated_at=$10 WHERE id=$11")
            .bind(&e.name).bind(e.region_code.as_str()).bind(&e.address).bind(e.kind.code()).bind(e.year_built).bind(e.land_area)
            .bind(e.building_area).bind(e.has_elevator).bind(e.management.code()).bind(Utc::now()).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "update", "estate", id, snapshot(&before), snapshot(e));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

// ---------------------------------------------------------------------------------------
// Buildings and units

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Building {
    pub id: i64,
    pub estate_id: i64,
    pub no: String,
    pub floors: Option<i32>,
    pub has_elevator: Option<bool>,
    pub unit_count: i64,
    pub house_count: i64,
}

impl Building {
    pub fn label(&self) -> String {
        house_label(&self.no, "", "")
    }
}

/// Buildings of an estate the caller reaches.
pub async fn list_buildings(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Building>> {
    a.require(Action::View, Resource::House)?;
    let sql = format!(
        "SELECT b.id, b.estate_id, b.no, b.floors, b.has_elevator,
            (SELECT COUNT(*) FROM units u WHERE u.building_id = b.id AND u.no <> '') AS unit_count,
            (SELECT COUNT(*) FROM houses h WHERE h.building_id = b.id) AS house_count
         FROM buildings b JOIN estates e ON e.id = b.estate_id WHERE b.estate_id = $1 AND {} ORDER BY LENGTH(b.no), b.no",
        a.estates_sql("e", today)
    );
    Ok(on!(db, p => sqlx::query_as::<_, Building>(dynamic(sql)).bind(estate_id).fetch_all(p).await)?)
}

pub async fn get_building(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Building> {
    a.require(Action::View, Resource::House)?;
    let sql = format!(
        "SELECT b.id, b.estate_id, b.no, b.floors, b.has_elevator,
            (SELECT COUNT(*) FROM units u WHERE u.building_id = b.id AND u.no <> '') AS unit_count,
            (SELECT COUNT(*) FROM houses h WHERE h.building_id = b.id) AS house_count
         FROM buildings b JOIN estates e ON e.id = b.estate_id WHERE b.id = $1 AND {}",
        a.estates_sql("e", today)
    );
    on!(db, p => sqlx::query_as::<_, Building>(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// Updates a building's number of floors and elevator flag.
pub async fn update_building(db: &Db, a: &Access, id: i64, floors: Option<i32>, has_elevator: Option<bool>, today: NaiveDate) -> Result<()> {
    let before = get_building(db, a, id, today).await?;
    a.require(Action::Edit, Resource::House)?;
    if let Some(f) = floors {
        if !(1..=200).contains(&f) {
            return Err(StoreError::Invalid("总层数应在 1 至 200 之间".into()));
        }
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("UPDATE buildings SET floors = $1, has_elevator = $2 WHERE id = $3").bind(floors).bind(has_elevator).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "update", "building", id,
            Some(serde_json::json!({"floors": before.floors, "has_elevator": before.has_elevator})),
            Some(serde_json::json!({"floors": floors, "has_elevator": has_elevator})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

// ---------------------------------------------------------------------------------------
// Houses

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct House {
    pub id: i64,
    pub estate_id: i64,
    pub estate_name: String,
    pub region_code: String,
    pub building_id: i64,
    pub building_no: String,
    pub unit_no: String,
    pub room_no: String,
    pub floor: Option<i32>,
    /// Hundredths of m².
    pub building_area: i64,
    /// Hundredths of m².
    pub exclusive_area: i64,
    /// residential | commercial | garage | other
    pub house_use: String,
    /// unsold | sold | delivered
    pub status: String,
    /// Owners' names, joined with "、" (filled for lists and detail pages).
    #[sqlx(skip)]
    pub owner_names: String,
}

impl House {
    pub fn label(&self) -> String {
        house_label(&self.building_no, &self.unit_no, &self.room_no)
    }
    pub fn use_zh(&self) -> &'static str {
        HouseUse::parse(&self.house_use).map(|k| k.label_zh()).unwrap_or("")
    }
    pub fn status_zh(&self) -> &'static str {
        HouseStatus::parse(&self.status).map(|k| k.label_zh()).unwrap_or("")
    }
    pub fn to_input(&self) -> HouseInput {
        HouseInput {
            building_no: self.building_no.clone(),
            unit_no: self.unit_no.clone(),
            room_no: self.room_no.clone(),
            floor: self.floor,
            building_area: self.building_area,
            exclusive_area: self.exclusive_area,
            house_use: HouseUse::parse(&self.house_use).unwrap_or(HouseUse::Residential),
            status: HouseStatus::parse(&self.status).unwrap_or(HouseStatus::Delivered),
        }
    }
}

const HOUSE_SELECT: &str = "SELECT h.id, h.estate_id, e.name AS estate_name, e.region_code, h.building_id, b.no AS building_no, u.no AS unit_no,
    h.room_no, h.floor, h.building_area, h.exclusive_area, h.house_use, h.status
    FROM houses h JOIN estates e ON e.id = h.estate_id JOIN buildings b ON b.id = h.building_id JOIN units u ON u.id = h.unit_id";

/// Houses filter: an estate and/or a building, plus the common list query.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseFilter {
    pub estate_id: Option<i64>,
    pub building_id: Option<i64>,
}

pub async fn list_houses(db: &Db, a: &Access, q: &ListQuery, f: &HouseFilter, today: NaiveDate) -> Result<Page<House>> {
    a.require(Action::View, Resource::House)?;
    let filter = format!(" WHERE e.region_code LIKE $1 AND ($2 = 0 OR h.estate_id = $2) AND ($3 = 0 OR h.building_id = $3)
        AND ($4 = '' OR h.room_no LIKE $5 OR EXISTS (SELECT 1 FROM ownerships w JOIN owners o ON o.id = w.owner_id WHERE w.house_id = h.id AND o.name LIKE $5)) AND {}",
        a.houses_sql("h", "e", today));
    let ord = order(q.sort.as_deref(), &[("room", "h.room_no"), ("area", "h.building_area"), ("floor", "h.floor")], "e.region_code, e.name, LENGTH(b.no), b.no, u.no, h.floor, h.room_no");
    let sql = format!("{HOUSE_SELECT}{filter} ORDER BY {ord}, h.id LIMIT $6 OFFSET $7");
    let count = format!("SELECT COUNT(*) FROM (SELECT 1 FROM houses h JOIN estates e ON e.id = h.estate_id{filter} LIMIT {}) x", COUNT_CAP + 1);
    let (rl, t, tl) = (q.region_like(), q.text(), q.text_like());
    let (est, bld) = (f.estate_id.unwrap_or(0), f.building_id.unwrap_or(0));
    let mut items: Vec<House> = on!(db, p => sqlx::query_as::<_, House>(dynamic(sql)).bind(&rl).bind(est).bind(bld).bind(&t).bind(&tl).bind(q.per_page()).bind(q.offset()).fetch_all(p).await)?;
    let total = crate::cache::remember(db, a.generation(), format!("{count}|{:?}|{:?}|{:?}|{:?}|{:?}|", &rl, est, bld, &t, &tl), async { Ok(on!(db, p => sqlx::query_scalar(dynamic(count.clone())).bind(&rl).bind(est).bind(bld).bind(&t).bind(&tl).fetch_one(p).await)?) }).await?;
    fill_owner_names(db, &mut items).await?;
    Ok(page(items, total, q))
}

async fn fill_owner_names(db: &Db, houses: &mut [House]) -> Result<()> {
    if houses.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = houses.iter().map(|h| h.id.to_string()).collect();
    let sql = format!(
        "SELECT w.house_id, o.name FROM ownerships w JOIN owners o ON o.id = w.owner_id WHERE w.house_id IN ({}) ORDER BY w.house_id, o.id",
        ids.join(",")
    );
    let rows: Vec<(i64, String)> = on!(db, p => sqlx::query_as(dynamic(sql)).fetch_all(p).await)?;
    let mut map: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for (h, n) in rows {
        map.entry(h).or_default().push(n);
    }
    for h in houses {
        if let Some(v) = map.remove(&h.id) {
            h.owner_names = v.join("、");
        }
    }
    Ok(())
}

/// One house, if the caller reaches it.
pub async fn get_house(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<House> {
    a.require(Action::View, Resource::House)?;
    let sql = format!("{HOUSE_SELECT} WHERE h.id = $1 AND {}", a.houses_sql("h", "e", today));
    let mut v: Vec<House> = on!(db, p => sqlx::query_as::<_, House>(dynamic(sql)).bind(id).fetch_all(p).await)?;
    fill_owner_names(db, &mut v).await?;
    v.pop().ok_or(StoreError::NotFound)
}

/// Finds or creates the building and unit of a house inside a transaction.
macro_rules! building_unit_ids {
    ($tx:expr, $estate:expr, $b:expr, $u:expr) => {{
        sqlx::query("INSERT INTO buildings (estate_id, no) VALUES ($1, $2) ON CONFLICT (estate_id, no) DO NOTHING")
            .bind($estate).bind($b).execute(&mut *$tx).await?;
        let bid: i64 = sqlx::query_scalar("SELECT id FROM buildings WHERE estate_id = $1 AND no = $2").bind($estate).bind($b).fetch_one(&mut *$tx).await?;
        sqlx::query("INSERT INTO units (building_id, no) VALUES ($1, $2) ON CONFLICT (building_id, no) DO NOTHING")
            .bind(bid).bind($u).execute(&mut *$tx).await?;
        let uid: i64 = sqlx::query_scalar("SELECT id FROM units WHERE building_id = $1 AND no = $2").bind(bid).bind($u).fetch_one(&mut *$tx).await?;
        (bid, uid)
    }};
}

/// Recomputes the cached house count of estates (after house writes, in the same
/// transaction).
pub(crate) const REFRESH_HOUSE_COUNT: &str =
    "UPDATE estates SET house_count = (SELECT COUNT(*) FROM houses h WHERE h.estate_id = estates.id) WHERE id = $1";

/// Creates a house in an estate the caller reaches (creating its building and unit as
/// needed). Errors: invalid fields; a house with the same building, unit and room number.
pub async fn create_house(db: &Db, a: &Access, estate_id: i64, h: &HouseInput, today: NaiveDate) -> Result<i64> {
    get_estate(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::House)?;
    let errs = h.validate();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let (bid, uid) = building_unit_ids!(tx, estate_id, &h.building_no, &h.unit_no);
        let dup: Option<i64> = sqlx::query_scalar("SELECT id FROM houses WHERE unit_id = $1 AND room_no = $2").bind(uid).bind(&h.room_no).fetch_optional(&mut *tx).await?;
        if dup.is_some() {
            return Err(StoreError::Conflict(format!("房屋 {} 已存在", h.label())));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO houses (estate_id, building_id, unit_id, room_no, floor, building_area, exclusive_area, house_use, status)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id")
            .bind(estate_id).bind(bid).bind(uid).bind(&h.room_no).bind(h.floor).bind(h.building_area).bind(h.exclusive_area)
            .bind(h.house_use.code()).bind(h.status.code()).fetch_one(&mut *tx).await?;
        sqlx::query(REFRESH_HOUSE_COUNT).bind(estate_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "create", "house", id, None, snapshot(h));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// Updates a house (it may move to another building, unit or room number of its estate).
pub async fn update_house(db: &Db, a: &Access, id: i64, h: &HouseInput, today: NaiveDate) -> Result<()> {
    let before = get_house(db, a, id, today).await?;
    a.require(Action::Edit, Resource::House)?;
    let errs = h.validate();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    let estate_id = before.estate_id;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let (bid, uid) = building_unit_ids!(tx, estate_id, &h.building_no, &h.unit_no);
        let dup: Option<i64> = sqlx::query_scalar("SELECT id FROM houses WHERE unit_id = $1 AND room_no = $2 AND id <> $3").bind(uid).bind(&h.room_no).bind(id).fetch_optional(&mut *tx).await?;
        if dup.is_some() {
            return Err(StoreError::Conflict(format!("房屋 {} 已存在", h.label())));
        }
        sqlx::query("UPDATE houses SET building_id=$1, unit_id=$2, room_no=$3, floor=$4, building_area=$5, exclusive_area=$6, house_use=$7, status=$8 WHERE id=$9")
            .bind(bid).bind(uid).bind(&h.room_no).bind(h.floor).bind(h.building_area).bind(h.exclusive_area)
            .bind(h.house_use.code()).bind(h.status.code()).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "update", "house", id, snapshot(&before.to_input()), snapshot(h));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

// ---------------------------------------------------------------------------------------
// Owners and occupants

/// An owner as shown: personal data masked (see [`crate::pii`]).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Owner {
    pub id: i64,
    /// person | organisation
    pub kind: String,
    pub name: String,
    /// Masked ID number (`640104********1234`).
    pub id_number_mask: Option<String>,
    /// Unified social credit code (organisations; not personal data).
    pub uscc: Option<String>,
    /// Masked phone (`139****5678`).
    pub phone_mask: Option<String>,
    /// Houses owned (alone or with co-owners).
    pub house_count: i64,
}

impl Owner {
    pub fn kind_zh(&self) -> &'static str {
        OwnerKind::parse(&self.kind).map(|k| k.label_zh()).unwrap_or("")
    }
    /// The identifier to show: the masked ID number, or the USCC.
    pub fn id_text(&self) -> String {
        self.id_number_mask.clone().or_else(|| self.uscc.clone()).unwrap_or_default()
    }
}

const OWNER_SELECT: &str = "SELECT o.id, o.kind, o.name, o.id_number_mask, o.uscc, o.phone_mask,
    (SELECT COUNT(*) FROM ownerships w WHERE w.owner_id = o.id) AS house_count FROM owners o";

/// The stored key of an owner: `idh:<ID number hash>`, `uscc:<code>`, or `name:<house>:<name>`
/// for an owner known only by name within one house.
pub fn owner_key(o: &OwnerInput, keys: &crate::pii::Keyring, house_id: i64) -> String {
    if let Some(i) = &o.id_number {
        format!("idh:{}", keys.search_hash(i))
    } else if let Some(u) = &o.uscc {
        format!("uscc:{u}")
    } else {
        format!("name:{house_id}:{}", o.name)
    }
}

/// What the audit trail keeps of an owner: masks and search hashes, never the numbers.
pub fn owner_snapshot(o: &OwnerInput, keys: &crate::pii::Keyring) -> serde_json::Value {
    let id = o.id_number.as_deref().map(|i| keys.protect_id(i));
    let ph = o.phone.as_deref().map(|p| keys.protect_phone(p));
    serde_json::json!({
        "kind": o.kind.code(), "name": o.name, "uscc": o.uscc,
        "id_number_mask": id.as_ref().map(|x| &x.mask), "id_number_hash": id.as_ref().map(|x| &x.hash),
        "phone_mask": ph.as_ref().map(|x| &x.mask), "phone_hash": ph.as_ref().map(|x| &x.hash),
    })
}

fn pii_err(e: crate::pii::KeyError) -> StoreError {
    StoreError::Invalid(e.to_string())
}

/// Owners the caller reaches with a house in the region; `q` matches the name, or exactly
/// an ID number, USCC or phone (through their keyed hashes).
pub async fn list_owners(db: &Db, a: &Access, q: &ListQuery, today: NaiveDate) -> Result<Page<Owner>> {
    a.require(Action::View, Resource::Owner)?;
    let keys = crate::pii::keys().map_err(pii_err)?;
    let region_clause = if q.region_like() == "%" {
        ""
    } else {
        " AND EXISTS (SELECT 1 FROM ownerships w JOIN houses h ON h.id = w.house_id JOIN estates e ON e.id = h.estate_id WHERE w.owner_id = o.id AND e.region_code LIKE $1)"
    };
    let text = q.text();
    // An exact search by ID number or phone goes through the keyed hash.
    let exact = wuye_domain::ids::validate_id_number(&text).ok().or_else(|| wuye_domain::ids::validate_phone(&text).ok()).map(|v| keys.search_hash(&v)).unwrap_or_else(|| "-".into());
    let filter = format!(
        " WHERE ($1 = $1){region_clause} AND ($2 = '' OR o.name LIKE $3 OR o.uscc = $2 OR o.id_number_hash = $4 OR o.phone_hash = $4) AND {}",
        a.owners_sql("o", today)
    );
    let sql = format!("{OWNER_SELECT}{filter} ORDER BY o.id LIMIT $5 OFFSET $6");
    let count = format!("SELECT COUNT(*) FROM (SELECT 1 FROM owners o{filter} LIMIT {}) x", COUNT_CAP + 1);
    let (rl, tl) = (q.region_like(), q.text_like());
    let items: Vec<Owner> = on!(db, p => sqlx::query_as::<_, Owner>(dynamic(sql)).bind(&rl).bind(&text).bind(&tl).bind(&exact).bind(q.per_page()).bind(q.offset()).fetch_all(p).await)?;
    let total = crate::cache::remember(db, a.generation(), format!("{count}|{:?}|{:?}|{:?}|{:?}|", &rl, &text, &tl, &exact), async { Ok(on!(db, p => sqlx::query_scalar(dynamic(count.clone())).bind(&rl).bind(&text).bind(&tl).bind(&exact).fetch_one(p).await)?) }).await?;
    Ok(page(items, total, q))
}

pub async fn get_owner(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Owner> {
    a.require(Action::View, Resource::Owner)?;
    let sql = format!("{OWNER_SELECT} WHERE o.id = $1 AND {}", a.owners_sql("o", today));
    on!(db, p => sqlx::query_as::<_, Owner>(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// Owners of a house the caller reaches.
pub async fn house_owners(db: &Db, a: &Access, house_id: i64, today: NaiveDate) -> Result<Vec<Owner>> {
    get_house(db, a, house_id, today).await?;
    a.require(Action::View, Resource::Owner)?;
    let sql = format!("{OWNER_SELECT} JOIN ownerships x ON x.owner_id = o.id WHERE x.house_id = $1 ORDER BY o.id");
    Ok(on!(db, p => sqlx::query_as::<_, Owner>(dynamic(sql)).bind(house_id).fetch_all(p).await)?)
}

/// Houses of an owner that the caller reaches.
pub async fn owner_houses(db: &Db, a: &Access, owner_id: i64, today: NaiveDate) -> Result<Vec<House>> {
    a.require(Action::View, Resource::House)?;
    let sql = format!("{HOUSE_SELECT} JOIN ownerships w ON w.house_id = h.id WHERE w.owner_id = $1 AND {} ORDER BY e.name, b.no, u.no, h.room_no", a.houses_sql("h", "e", today));
    Ok(on!(db, p => sqlx::query_as::<_, House>(dynamic(sql)).bind(owner_id).fetch_all(p).await)?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Occupant {
    pub id: i64,
    pub house_id: i64,
    /// family | tenant | temporary
    pub kind: String,
    pub name: String,
    /// Masked phone.
    pub phone_mask: Option<String>,
}

impl Occupant {
    pub fn kind_zh(&self) -> &'static str {
        wuye_domain::ledger::OccupantKind::parse(&self.kind).map(|k| k.label_zh()).unwrap_or("")
    }
}

pub async fn house_occupants(db: &Db, a: &Access, house_id: i64, today: NaiveDate) -> Result<Vec<Occupant>> {
    get_house(db, a, house_id, today).await?;
    a.require(Action::View, Resource::Owner)?;
    Ok(on!(db, p => sqlx::query_as::<_, Occupant>("SELECT id, house_id, kind, name, phone_mask FROM occupants WHERE house_id = $1 ORDER BY id")
        .bind(house_id).fetch_all(p).await)?)
}

/// Adds an owner to a house (a co-owner when the house already has owners). An owner with
/// the same ID number or USCC is reused (and must carry the same name).
pub async fn add_house_owner(db: &Db, a: &Access, house_id: i64, o: &OwnerInput, today: NaiveDate) -> Result<i64> {
    let house = get_house(db, a, house_id, today).await?;
    a.require(Action::Edit, Resource::Owner)?;
    if house.status == "unsold" {
        return Err(StoreError::Invalid("未售房屋属于建设单位，请先把房屋状态改为已售或已交付".into()));
    }
    let mut o = o.clone();
    let errs = o.normalize();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    let keys = crate::pii::keys().map_err(pii_err)?;
    let key = owner_key(&o, &keys, house_id);
    let idp = o.id_number.as_deref().map(|i| keys.protect_id(i));
    let php = o.phone.as_deref().map(|p| keys.protect_phone(p));
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let existing: Option<(i64, String)> = sqlx::query_as("SELECT id, name FROM owners WHERE owner_key = $1").bind(&key).fetch_optional(&mut *tx).await?;
        let oid = match existing {
            Some((id, name)) if name != o.name => return Err(StoreError::Conflict(format!("该证件号码已登记为业主「{name}」（编号 {id}）"))),
            Some((id, _)) => id,
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO owners (owner_key, kind, name, id_number_enc, id_number_hash, id_number_mask, uscc, phone_enc, phone_hash, phone_mask)
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id")
                    .bind(&key).bind(o.kind.code()).bind(&o.name)
                    .bind(idp.as_ref().map(|x| &x.enc)).bind(idp.as_ref().map(|x| &x.hash)).bind(idp.as_ref().map(|x| &x.mask))
                    .bind(&o.uscc)
                    .bind(php.as_ref().map(|x| &x.enc)).bind(php.as_ref().map(|x| &x.hash)).bind(php.as_ref().map(|x| &x.mask))
                    .fetch_one(&mut *tx).await?;
                audit!(tx, a.actor(), "create", "owner", id, None, Some(owner_snapshot(&o, &keys)));
                id
            }
        };
        let n = sqlx::query("INSERT INTO ownerships (house_id, owner_id) VALUES ($1, $2) ON CONFLICT DO NOTHING").bind(house_id).bind(oid).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict(format!("「{}」已是该房屋的业主", o.name)));
        }
        audit!(tx, a.actor(), "add_owner", "house", house_id, None, Some(serde_json::json!({"owner_id": oid, "name": o.name})));
        tx.commit().await?;
        Ok::<i64, StoreError>(oid)
    })
}

/// Removes an owner from a house (the owner record stays, with its other houses).
pub async fn remove_house_owner(db: &Db, a: &Access, house_id: i64, owner_id: i64, today: NaiveDate) -> Result<()> {
    get_house(db, a, house_id, today).await?;
    a.require(Action::Edit, Resource::Owner)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let n = sqlx::query("DELETE FROM ownerships WHERE house_id = $1 AND owner_id = $2").bind(house_id).bind(owner_id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit!(tx, a.actor(), "remove_owner", "house", house_id, Some(serde_json::json!({"owner_id": owner_id})), None);
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Updates an owner's name, identifiers and phone. An identifier left empty keeps the
/// stored one (the form shows only masks, so it cannot send the number back).
pub async fn update_owner(db: &Db, a: &Access, id: i64, o: &OwnerInput, today: NaiveDate) -> Result<()> {
    let before = get_owner(db, a, id, today).await?;
    a.require(Action::Edit, Resource::Owner)?;
    let mut o = o.clone();
    let errs = o.normalize();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    let keys = crate::pii::keys().map_err(pii_err)?;
    let idp = o.id_number.as_deref().map(|i| keys.protect_id(i));
    let php = o.phone.as_deref().map(|p| keys.protect_phone(p));
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let old: (String, Option<String>) = sqlx::query_as("SELECT owner_key, id_number_hash FROM owners WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
        let key = if o.id_number.is_some() || o.uscc.is_some() {
            owner_key(&o, &keys, 0)
        } else if old.0.starts_with("name:") {
            let house = old.0.split(':').nth(1).unwrap_or("0").to_string();
            format!("name:{house}:{}", o.name)
        } else {
            old.0.clone()
        };
        let clash: Option<(i64, String)> = sqlx::query_as("SELECT id, name FROM owners WHERE owner_key = $1 AND id <> $2").bind(&key).bind(id).fetch_optional(&mut *tx).await?;
        if let Some((cid, cname)) = clash {
            return Err(StoreError::Conflict(format!("该证件号码已登记为业主「{cname}」（编号 {cid}）")));
        }
        sqlx::query("UPDATE owners SET owner_key=$1, kind=$2, name=$3, uscc=$4 WHERE id=$5")
            .bind(&key).bind(o.kind.code()).bind(&o.name).bind(&o.uscc).bind(id).execute(&mut *tx).await?;
        if let Some(x) = &idp {
            sqlx::query("UPDATE owners SET id_number_enc=$1, id_number_hash=$2, id_number_mask=$3 WHERE id=$4").bind(&x.enc).bind(&x.hash).bind(&x.mask).bind(id).execute(&mut *tx).await?;
        }
        if let Some(x) = &php {
            sqlx::query("UPDATE owners SET phone_enc=$1, phone_hash=$2, phone_mask=$3 WHERE id=$4").bind(&x.enc).bind(&x.hash).bind(&x.mask).bind(id).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "update", "owner", id,
            Some(serde_json::json!({"kind": before.kind, "name": before.name, "uscc": before.uscc, "id_number_mask": before.id_number_mask, "id_number_hash": old.1, "phone_mask": before.phone_mask})),
            Some(owner_snapshot(&o, &keys)));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// An owner's personal data in clear, for a caller whose role may see it (or the owner
/// themself). Every call is written to the audit trail with its stated purpose.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub id_number: Option<String>,
    pub phone: Option<String>,
}

pub async fn reveal_owner(db: &Db, a: &Access, id: i64, purpose: &str, today: NaiveDate) -> Result<Revealed> {
    get_owner(db, a, id, today).await?;
    let own = matches!(a.scope(), wuye_domain::account::Scope::Owner(x) if *x == id);
    let (may_id, may_phone) = if own { (true, true) } else { a.may_unmask() };
    if !may_id && !may_phone {
        return Err(StoreError::Forbidden(format!("{}不能查看完整的个人信息", a.role().label_zh())));
    }
    if purpose.trim().chars().count() < 2 {
        return Err(StoreError::Invalid("请说明查看完整个人信息的用途".into()));
    }
    let keys = crate::pii::keys().map_err(pii_err)?;
    let (ide, phe): (Option<String>, Option<String>) = on!(db, p => sqlx::query_as("SELECT id_number_enc, phone_enc FROM owners WHERE id = $1").bind(id).fetch_one(p).await)?;
    let id_number = if may_id { ide.map(|c| keys.decrypt(&c)).transpose().map_err(pii_err)? } else { None };
    let phone = if may_phone { phe.map(|c| keys.decrypt(&c)).transpose().map_err(pii_err)? } else { None };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        audit!(tx, a.actor(), "unmask", "owner", id, None,
            Some(serde_json::json!({"fields": [if id_number.is_some() { "id_number" } else { "" }, if phone.is_some() { "phone" } else { "" }], "purpose": purpose.trim(), "role": a.role().code()})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(Revealed { id_number, phone })
}

// ---------------------------------------------------------------------------------------
// Enterprises

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Enterprise {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub legal_representative: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub contact_person: String,
    pub contact_phone: Option<String>,
    pub address: String,
    /// Estates served under a contract in force today.
    pub estates_served: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Enterprise {
    pub fn to_input(&self) -> EnterpriseInput {
        EnterpriseInput {
            name: self.name.clone(),
            uscc: self.uscc.clone(),
            legal_representative: self.legal_representative.clone(),
            region_code: self.region_code.as_deref().and_then(|c| RegionCode::parse(c).ok()),
            contact_person: self.contact_person.clone(),
            contact_phone: self.contact_phone.clone(),
            address: self.address.clone(),
        }
    }
}

const ENTERPRISE_SELECT: &str = "SELECT n.id, n.name, n.uscc, n.legal_representative, n.region_code, r.name AS region_name,
    n.contact_person, n.contact_phone, n.address,
    (SELECT COUNT(DISTINCT c.estate_id) FROM service_contracts c WHERE c.enterprise_id = n.id AND c.start_date <= $1 AND (c.end_date IS NULL OR c.end_date >= $1)) AS estates_served,
    n.created_at, n.updated_at
    FROM enterprises n LEFT JOIN regions r ON r.code = n.region_code";

/// Enterprises registered in the region or serving an estate in it, that the caller reaches.
pub async fn list_enterprises(db: &Db, a: &Access, q: &ListQuery, today: NaiveDate) -> Result<Page<Enterprise>> {
    a.require(Action::View, Resource::Enterprise)?;
    let region_clause = if q.region_like() == "%" {
        ""
    } else {
        " AND (n.region_code LIKE $2 OR EXISTS (SELECT 1 FROM service_contracts c JOIN estates e ON e.id = c.estate_id WHERE c.enterprise_id = n.id AND e.region_code LIKE $2))"
    };
    let scope = a.enterprises_sql("n", today);
    let filter = format!(" WHERE ($2 = $2){region_clause} AND ($3 = '' OR n.name LIKE $4 OR n.uscc = $3) AND {scope}");
    let ord = order(q.sort.as_deref(), &[("name", "n.name"), ("served", "estates_served")], "n.name");
    let sql = format!("{ENTERPRISE_SELECT}{filter} ORDER BY {ord}, n.id LIMIT $5 OFFSET $6");
    let count = format!("SELECT COUNT(*) FROM (SELECT 1 FROM enterprises n WHERE ($1 = $1) AND ($2 = $2){region_clause} AND ($3 = '' OR n.name LIKE $4 OR n.uscc = $3) AND {scope} LIMIT {}) x", COUNT_CAP + 1);
    let (rl, t, tl) = (q.region_like(), q.text(), q.text_like());
    let items: Vec<Enterprise> = on!(db, p => sqlx::query_as::<_, Enterprise>(dynamic(sql)).bind(today).bind(&rl).bind(&t).bind(&tl).bind(q.per_page()).bind(q.offset()).fetch_all(p).await)?;
    let total = crate::cache::remember(db, a.generation(), format!("{count}|{:?}|{:?}|{:?}|{:?}|", today, &rl, &t, &tl), async { Ok(on!(db, p => sqlx::query_scalar(dynamic(count.clone())).bind(today).bind(&rl).bind(&t).bind(&tl).fetch_one(p).await)?) }).await?;
    Ok(page(items, total, q))
}

pub async fn get_enterprise(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Enterprise> {
    a.require(Action::View, Resource::Enterprise)?;
    let sql = format!("{ENTERPRISE_SELECT} WHERE n.id = $2 AND {}", a.enterprises_sql("n", today));
    on!(db, p => sqlx::query_as::<_, Enterprise>(dynamic(sql)).bind(today).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

pub async fn find_enterprise_by_uscc(db: &Db, uscc: &str) -> Result<Option<i64>> {
    Ok(on!(db, p => sqlx::query_scalar("SELECT id FROM enterprises WHERE uscc = $1").bind(uscc).fetch_optional(p).await)?)
}

async fn check_region(db: &Db, code: Option<&RegionCode>) -> Result<()> {
    if let Some(c) = code {
        let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM regions WHERE code = $1").bind(c.as_str()).fetch_one(p).await)?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("区划代码 {c} 不存在")));
        }
    }
    Ok(())
}

/// A region-scoped caller registers enterprises only within its region.
fn enterprise_region_in_reach(a: &Access, e: &EnterpriseInput) -> Result<()> {
    if a.region_prefix().is_none() {
        return Ok(());
    }
    match &e.region_code {
        Some(c) => in_reach(a, c),
        None => Err(StoreError::Invalid("请填写注册地区划代码（须在您的管辖范围内）".into())),
    }
}

/// Creates an enterprise. Errors: invalid fields, unknown region, a USCC already registered.
pub async fn create_enterprise(db: &Db, a: &Access, e: &EnterpriseInput) -> Result<i64> {
    a.require(Action::Create, Resource::Enterprise)?;
    enterprise_region_in_reach(a, e)?;
    let mut e = e.clone();
    let errs = e.normalize();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    check_region(db, e.region_code.as_ref()).await?;
    if let Some(id) = find_enterprise_by_uscc(db, &e.uscc).await? {
        return Err(StoreError::Conflict(format!("统一社会信用代码 {} 已登记（企业编号 {id}）", e.uscc)));
    }
    let now = Utc::now();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO enterprises (name, uscc, legal_representative, region_code, contact_person, contact_phone, address, created_at, updated_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) RETURNING id")
            .bind(&e.name).bind(&e.uscc).bind(&e.legal_representative).bind(e.region_code.as_ref().map(|c| c.as_str().to_string()))
            .bind(&e.contact_person).bind(&e.contact_phone).bind(&e.address).bind(now).fetch_one(&mut *tx).await?;
        audit!(tx, a.actor(), "create", "enterprise", id, None, snapshot(&e));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

pub async fn update_enterprise(db: &Db, a: &Access, id: i64, e: &EnterpriseInput, today: NaiveDate) -> Result<()> {
    let before = get_enterprise(db, a, id, today).await?.to_input();
    a.require(Action::Edit, Resource::Enterprise)?;
    if e.region_code != before.region_code {
        enterprise_region_in_reach(a, e)?;
    }
    let mut e = e.clone();
    let errs = e.normalize();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    check_region(db, e.region_code.as_ref()).await?;
    if let Some(other) = find_enterprise_by_uscc(db, &e.uscc).await? {
        if other != id {
            return Err(StoreError::Conflict(format!("统一社会信用代码 {} 已登记（企业编号 {other}）", e.uscc)));
        }
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query(
            "UPDATE enterprises SET name=$1, uscc=$2, legal_representative=$3, region_code=$4, contact_person=$5, contact_phone=$6, address=$7, updated_at=$8 WHERE id=$9")
            .bind(&e.name).bind(&e.uscc).bind(&e.legal_representative).bind(e.region_code.as_ref().map(|c| c.as_str().to_string()))
            .bind(&e.contact_person).bind(&e.contact_phone).bind(&e.address).bind(Utc::now()).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "update", "enterprise", id, snapshot(&before), snapshot(&e));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

// ---------------------------------------------------------------------------------------
// Service contracts

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Contract {
    pub id: i64,
    pub estate_id: i64,
    pub estate_name: String,
    pub region_code: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub enterprise_uscc: String,
    /// preliminary | regular
    pub kind: String,
    pub start_date: NaiveDate,
    /// Inclusive; `null` = open-ended.
    pub end_date: Option<NaiveDate>,
    /// Fen per m² per month.
    pub fee_fen_per_m2_month: i64,
    /// lump_sum | commission
    pub fee_model: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a contract stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractState {
    /// 未生效
    Pending,
    /// 履行中
    InForce,
    /// 已到期
    Expired,
}

impl ContractState {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Pending => "未生效",
            Self::InForce => "履行中",
            Self::Expired => "已到期",
        }
    }
    pub fn css(self) -> &'static str {
        match self {
            Self::Pending => "amber",
            Self::InForce => "green",
            Self::Expired => "red",
        }
    }
}

impl Contract {
    pub fn state(&self, today: NaiveDate) -> ContractState {
        if self.start_date > today {
            ContractState::Pending
        } else if contract_valid_on(self.start_date, self.end_date, today) {
            ContractState::InForce
        } else {
            ContractState::Expired
        }
    }
    pub fn kind_zh(&self) -> &'static str {
        ContractKind::parse(&self.kind).map(|k| k.label_zh()).unwrap_or("")
    }
    pub fn fee_model_zh(&self) -> &'static str {
        FeeModel::parse(&self.fee_model).map(|k| k.label_zh()).unwrap_or("")
    }
    pub fn to_input(&self) -> ContractInput {
        ContractInput {
            estate_id: self.estate_id,
            enterprise_id: self.enterprise_id,
            kind: ContractKind::parse(&self.kind).unwrap_or(ContractKind::Regular),
            start_date: self.start_date,
            end_date: self.end_date,
            fee_fen_per_m2_month: self.fee_fen_per_m2_month,
            fee_model: FeeModel::parse(&self.fee_model).unwrap_or(FeeModel::LumpSum),
        }
    }
}

const CONTRACT_SELECT: &str = "SELECT c.id, c.estate_id, e.name AS estate_name, e.region_code, c.enterprise_id, n.name AS enterprise_name,
    n.uscc AS enterprise_uscc, c.kind, c.start_date, c.end_date, c.fee_fen_per_m2_month, c.fee_model, c.created_at, c.updated_at
    FROM service_contracts c JOIN estates e ON e.id = c.estate_id JOIN enterprises n ON n.id = c.enterprise_id";

/// Contracts filter.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractFilter {
    pub estate_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    /// pending | in_force | expired (as of today)
    pub state: Option<ContractState>,
}

pub async fn list_contracts(db: &Db, a: &Access, q: &ListQuery, f: &ContractFilter, today: NaiveDate) -> Result<Page<Contract>> {
    a.require(Action::View, Resource::Contract)?;
    let state = match f.state {
        None => "",
        Some(ContractState::Pending) => " AND c.start_date > $1",
        Some(ContractState::InForce) => " AND c.start_date <= $1 AND (c.end_date IS NULL OR c.end_date >= $1)",
        Some(ContractState::Expired) => " AND c.end_date < $1",
    };
    let filter = format!(" WHERE ($1 = $1) AND e.region_code LIKE $2 AND ($3 = 0 OR c.estate_id = $3) AND ($4 = 0 OR c.enterprise_id = $4) AND ($5 = '' OR e.name LIKE $6 OR n.name LIKE $6){state} AND {}", a.contracts_sql("c", "e", today));
    let ord = order(q.sort.as_deref(), &[("start", "c.start_date"), ("end", "c.end_date"), ("fee", "c.fee_fen_per_m2_month"), ("estate", "e.name")], "e.region_code, e.name, c.start_date DESC");
    let sql = format!("{CONTRACT_SELECT}{filter} ORDER BY {ord}, c.id LIMIT $7 OFFSET $8");
    let count = format!("SELECT COUNT(*) FROM (SELECT 1 FROM service_contracts c JOIN estates e ON e.id = c.estate_id JOIN enterprises n ON n.id = c.enterprise_id{filter} LIMIT {}) x", COUNT_CAP + 1);
    let (rl, t, tl) = (q.region_like(), q.text(), q.text_like());
    let (es, en) = (f.estate_id.unwrap_or(0), f.enterprise_id.unwrap_or(0));
    let items: Vec<Contract> = on!(db, p => sqlx::query_as::<_, Contract>(dynamic(sql)).bind(today).bind(&rl).bind(es).bind(en).bind(&t).bind(&tl).bind(q.per_page()).bind(q.offset()).fetch_all(p).await)?;
    let total = crate::cache::remember(db, a.generation(), format!("{count}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|", today, &rl, es, en, &t, &tl), async { Ok(on!(db, p => sqlx::query_scalar(dynamic(count.clone())).bind(today).bind(&rl).bind(es).bind(en).bind(&t).bind(&tl).fetch_one(p).await)?) }).await?;
    Ok(page(items, total, q))
}

pub async fn get_contract(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Contract> {
    a.require(Action::View, Resource::Contract)?;
    let sql = format!("{CONTRACT_SELECT} WHERE c.id = $1 AND {}", a.contracts_sql("c", "e", today));
    on!(db, p => sqlx::query_as::<_, Contract>(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

async fn check_contract_refs(db: &Db, a: &Access, c: &ContractInput, today: NaiveDate) -> Result<()> {
    let sql = format!("SELECT (SELECT COUNT(*) FROM estates e WHERE e.id = $1 AND {}), (SELECT COUNT(*) FROM enterprises WHERE id = $2)", a.estates_sql("e", today));
    let (e, n): (i64, i64) = on!(db, p => sqlx::query_as(dynamic(sql)).bind(c.estate_id).bind(c.enterprise_id).fetch_one(p).await)?;
    if e == 0 {
        // Not there, or not the caller's: the same answer either way.
        return Err(StoreError::NotFound);
    }
    if n == 0 {
        return Err(StoreError::Invalid(format!("企业编号 {} 不存在", c.enterprise_id)));
    }
    Ok(())
}

/// Inserts service contract `$c` (a validated [`ContractInput`]) in transaction `$tx` and
/// records it in the audit trail; evaluates to its id. Returns a `Conflict` from the
/// enclosing function when the estate, enterprise and start date are already registered.
/// Used by [`create_contract`] and by a tender's award ([`crate::tender`]).
macro_rules! insert_contract {
    ($tx:expr, $a:expr, $c:expr, $now:expr) => {{
        let c: &wuye_domain::registry::ContractInput = $c;
        let r: Option<i64> = sqlx::query_scalar(
            "INSERT INTO service_contracts (estate_id, enterprise_id, kind, start_date, end_date, fee_fen_per_m2_month, fee_model, created_at, updated_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) ON CONFLICT (estate_id, enterprise_id, start_date) DO NOTHING RETURNING id")
            .bind(c.estate_id).bind(c.enterprise_id).bind(c.kind.code()).bind(c.start_date).bind(c.end_date)
            .bind(c.fee_fen_per_m2_month).bind(c.fee_model.code()).bind($now).fetch_optional(&mut *$tx).await?;
        let Some(id) = r else { return Err($crate::db::StoreError::Conflict(format!("该小区与该企业自 {} 起的合同已登记", c.start_date))) };
        $crate::audit!($tx, $a.actor(), "create", "contract", id, None, $crate::audit::snapshot(c));
        id
    }};
}
pub(crate) use insert_contract;

/// Creates a service contract. Errors: an end before the start, a negative fee, an
/// unknown estate or enterprise, or the same estate, enterprise and start date twice.
pub async fn create_contract(db: &Db, a: &Access, c: &ContractInput, today: NaiveDate) -> Result<i64> {
    a.require(Action::Create, Resource::Contract)?;
    let errs = c.validate();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    check_contract_refs(db, a, c, today).await?;
    let now = Utc::now();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id = insert_contract!(tx, a, c, now);
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

pub async fn update_contract(db: &Db, a: &Access, id: i64, c: &ContractInput, today: NaiveDate) -> Result<()> {
    let before = get_contract(db, a, id, today).await?.to_input();
    a.require(Action::Edit, Resource::Contract)?;
    let errs = c.validate();
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    check_contract_refs(db, a, c, today).await?;
    let clash: Option<i64> = on!(db, p => sqlx::query_scalar("SELECT id FROM service_contracts WHERE estate_id = $1 AND enterprise_id = $2 AND start_date = $3 AND id <> $4")
        .bind(c.estate_id).bind(c.enterprise_id).bind(c.start_date).bind(id).fetch_optional(p).await)?;
    if clash.is_some() {
        return Err(StoreError::Conflict(format!("该小区与该企业自 {} 起的合同已登记", c.start_date)));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query(
            "UPDATE service_contracts SET estate_id=$1, enterprise_id=$2, kind=$3, start_date=$4, end_date=$5, fee_fen_per_m2_month=$6, fee_model=$7, updated_at=$8 WHERE id=$9")
            .bind(c.estate_id).bind(c.enterprise_id).bind(c.kind.code()).bind(c.start_date).bind(c.end_date)
            .bind(c.fee_fen_per_m2_month).bind(c.fee_model.code()).bind(Utc::now()).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "update", "contract", id, snapshot(&before), snapshot(c));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query_takes_numbers_as_text_and_exports_have_no_page_cap() {
        #[derive(Deserialize)]
        struct WithExtra {
            #[serde(flatten)]
            list: ListQuery,
            #[serde(default, deserialize_with = "opt_i64")]
            estate_id: Option<i64>,
        }
        let q: WithExtra = serde_json::from_value(serde_json::json!({"page": "2", "per_page": "20", "estate_id": "7"})).unwrap();
        assert_eq!((q.list.page(), q.list.per_page(), q.list.offset(), q.estate_id), (2, 20, 20, Some(7)));
        let q: ListQuery = serde_json::from_value(serde_json::json!({"page": 3, "per_page": 100000, "q": "x"})).unwrap();
        assert_eq!((q.page(), q.per_page()), (3, 500), "a caller asks for at most 500 rows a page");
        let q: ListQuery = serde_json::from_value(serde_json::json!({"page": "", "per_page": null})).unwrap();
        assert_eq!((q.page(), q.per_page()), (1, 50));
        let err = serde_json::from_value::<ListQuery>(serde_json::json!({"page": "2a"})).unwrap_err().to_string();
        assert!(err.contains("“2a” 不是整数"), "{err}");
        let all = q.unpaged();
        assert_eq!((all.page(), all.offset()), (1, 0));
        assert!(all.per_page() > 1_000_000_000, "an export is every row, not the first 500");
    }
}
