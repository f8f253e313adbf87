//! Ledger exports: the rows of each layout for exactly what a list's filters show, with
//! the same headers as the import layouts, so that export → import round-trips unchanged.

use crate::db::{Db, Result, dynamic};
use crate::on;
use crate::registry::{self, ContractFilter, HouseFilter, ListQuery};
use chrono::NaiveDate;
use wuye_domain::registry::*;
use wuye_ledger::Out;

fn opt_i(v: Option<i32>) -> Out {
    v.map(|x| Out::Int(x as i64)).unwrap_or(Out::Empty)
}

fn yes_no(b: bool) -> Out {
    Out::from(if b { "有" } else { "无" })
}

/// Estates layout rows for the list filtered by `q`.
pub async fn estates(db: &Db, q: &ListQuery, today: NaiveDate) -> Result<Vec<Vec<Out>>> {
    let page = registry::list_estates(db, &q.unpaged(), None, today).await?;
    Ok(page
        .items
        .iter()
        .map(|e| {
            vec![
                Out::from(e.name.as_str()),
                Out::from(e.region_code.as_str()),
                Out::from(e.region_name.as_str()),
                Out::from(e.address.as_str()),
                Out::from(e.kind_zh()),
                opt_i(e.year_built),
                e.land_area.map(Out::Hundredths).unwrap_or(Out::Empty),
                Out::Hundredths(e.building_area),
                yes_no(e.has_elevator),
                Out::from(e.management_zh()),
            ]
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct HouseOwnerRow {
    estate_name: String,
    region_code: String,
    building_no: String,
    floors: Option<i32>,
    has_elevator: Option<bool>,
    unit_no: String,
    room_no: String,
    floor: Option<i32>,
    building_area: i64,
    exclusive_area: i64,
    house_use: String,
    status: String,
    owner_kind: Option<String>,
    owner_name: Option<String>,
    id_number: Option<String>,
    uscc: Option<String>,
    phone: Option<String>,
}

/// Houses layout rows, one per house and owner (a house without owners gives one row).
pub async fn houses(db: &Db, q: &ListQuery, f: &HouseFilter) -> Result<Vec<Vec<Out>>> {
    let sql = "SELECT e.name AS estate_name, e.region_code, b.no AS building_no, b.floors, b.has_elevator, u.no AS unit_no, h.room_no, h.floor,
            h.building_area, h.exclusive_area, h.house_use, h.status, o.kind AS owner_kind, o.name AS owner_name, o.id_number, o.uscc, o.phone
        FROM houses h JOIN estates e ON e.id = h.estate_id JOIN buildings b ON b.id = h.building_id JOIN units u ON u.id = h.unit_id
        LEFT JOIN ownerships w ON w.house_id = h.id LEFT JOIN owners o ON o.id = w.owner_id
        WHERE e.region_code LIKE $1 AND ($2 = 0 OR h.estate_id = $2) AND ($3 = 0 OR h.building_id = $3)
          AND ($4 = '' OR h.room_no LIKE $5 OR EXISTS (SELECT 1 FROM ownerships w2 JOIN owners o2 ON o2.id = w2.owner_id WHERE w2.house_id = h.id AND o2.name LIKE $5))
        ORDER BY e.region_code, e.name, LENGTH(b.no), b.no, u.no, h.floor, h.room_no, h.id, o.id";
    let (rl, t, tl) = (q.region_like(), q.text(), q.text_like());
    let rows: Vec<HouseOwnerRow> = on!(db, p => sqlx::query_as::<_, HouseOwnerRow>(dynamic(sql.to_string()))
        .bind(&rl).bind(f.estate_id.unwrap_or(0)).bind(f.building_id.unwrap_or(0)).bind(&t).bind(&tl).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            vec![
                Out::from(r.estate_name),
                Out::from(r.region_code),
                Out::from(r.building_no),
                Out::from(r.unit_no),
                Out::from(r.room_no),
                opt_i(r.floor),
                opt_i(r.floors),
                r.has_elevator.map(yes_no).unwrap_or(Out::Empty),
                Out::Hundredths(r.building_area),
                Out::Hundredths(r.exclusive_area),
                Out::from(HouseUse::parse(&r.house_use).map(|x| x.label_zh()).unwrap_or("")),
                Out::from(HouseStatus::parse(&r.status).map(|x| x.label_zh()).unwrap_or("")),
                Out::from(r.owner_kind.as_deref().and_then(OwnerKind::parse).map(|x| x.label_zh()).unwrap_or("")),
                Out::from(r.owner_name),
                Out::from(r.id_number.or(r.uscc)),
                Out::from(r.phone),
            ]
        })
        .collect())
}

pub async fn enterprises(db: &Db, q: &ListQuery, today: NaiveDate) -> Result<Vec<Vec<Out>>> {
    let page = registry::list_enterprises(db, &q.unpaged(), today).await?;
    Ok(page
        .items
        .into_iter()
        .map(|e| {
            vec![
                Out::from(e.name),
                Out::from(e.uscc),
                Out::from(e.legal_representative),
                Out::from(e.region_code),
                Out::from(e.region_name),
                Out::from(e.contact_person),
                Out::from(e.contact_phone),
                Out::from(e.address),
            ]
        })
        .collect())
}

pub async fn contracts(db: &Db, q: &ListQuery, f: &ContractFilter, today: NaiveDate) -> Result<Vec<Vec<Out>>> {
    let page = registry::list_contracts(db, &q.unpaged(), f, today).await?;
    Ok(page
        .items
        .iter()
        .map(|c| {
            vec![
                Out::from(c.estate_name.as_str()),
                Out::from(c.region_code.as_str()),
                Out::from(c.enterprise_uscc.as_str()),
                Out::from(c.enterprise_name.as_str()),
                Out::from(c.kind_zh()),
                Out::from(c.start_date.to_string()),
                Out::from(c.end_date.map(|d| d.to_string())),
                Out::Hundredths(c.fee_fen_per_m2_month),
                Out::from(c.fee_model_zh()),
            ]
        })
        .collect())
}
