//! Ledger exports: the rows of each layout for exactly what a list's filters show, with
//! the same headers as the import layouts, so that export → import round-trips unchanged.

use crate::access::Access;
use crate::db::{Db, Result, StoreError, dynamic};
use crate::{audit, begin_write, on};
use wuye_domain::account::{Action, Resource};
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

/// Estates layout rows for the list filtered by `q`, within the caller's scope.
pub async fn estates(db: &Db, a: &Access, q: &ListQuery, today: NaiveDate) -> Result<Vec<Vec<Out>>> {
    a.require(Action::Export, Resource::Estate)?;
    let page = registry::list_estates(db, a, &q.unpaged(), None, today).await?;
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
    id_number_mask: Option<String>,
    id_number_enc: Option<String>,
    uscc: Option<String>,
    phone_mask: Option<String>,
    phone_enc: Option<String>,
}

/// Houses layout rows, one per house and owner (a house without owners gives one row),
/// within the caller's scope. ID numbers and phones are masked unless `full` is asked for
/// by a role that may see them; a full export is written to the audit trail.
pub async fn houses(db: &Db, a: &Access, q: &ListQuery, f: &HouseFilter, today: NaiveDate, full: bool) -> Result<Vec<Vec<Out>>> {
    a.require(Action::Export, Resource::House)?;
    let (may_id, may_phone) = a.may_unmask();
    if full && !may_id && !may_phone {
        return Err(StoreError::Forbidden(format!("{}不能导出完整的个人信息", a.role().label_zh())));
    }
    let sql = format!("SELECT e.name AS estate_name, e.region_code, b.no AS building_no, b.floors, b.has_elevator, u.no AS unit_no, h.room_no, h.floor,
            h.building_area, h.exclusive_area, h.house_use, h.status, o.kind AS owner_kind, o.name AS owner_name,
            o.id_number_mask, o.id_number_enc, o.uscc, o.phone_mask, o.phone_enc
        FROM houses h JOIN estates e ON e.id = h.estate_id JOIN buildings b ON b.id = h.building_id JOIN units u ON u.id = h.unit_id
        LEFT JOIN ownerships w ON w.house_id = h.id LEFT JOIN owners o ON o.id = w.owner_id
        WHERE e.region_code LIKE $1 AND ($2 = 0 OR h.estate_id = $2) AND ($3 = 0 OR h.building_id = $3)
          AND ($4 = '' OR h.room_no LIKE $5 OR EXISTS (SELECT 1 FROM ownerships w2 JOIN owners o2 ON o2.id = w2.owner_id WHERE w2.house_id = h.id AND o2.name LIKE $5))
          AND {}
        ORDER BY e.region_code, e.name, LENGTH(b.no), b.no, u.no, h.floor, h.room_no, h.id, o.id", a.houses_sql("h", "e", today));
    let (rl, t, tl) = (q.region_like(), q.text(), q.text_like());
    let rows: Vec<HouseOwnerRow> = on!(db, p => sqlx::query_as::<_, HouseOwnerRow>(dynamic(sql))
        .bind(&rl).bind(f.estate_id.unwrap_or(0)).bind(f.building_id.unwrap_or(0)).bind(&t).bind(&tl).fetch_all(p).await)?;
    let keys = if full { Some(crate::pii::keys().map_err(|e| StoreError::Invalid(e.to_string()))?) } else { None };
    let reveal = |enc: Option<String>, mask: Option<String>, allowed: bool| -> Result<Option<String>> {
        match (&keys, enc) {
            (Some(k), Some(c)) if allowed => k.decrypt(&c).map(Some).map_err(|e| StoreError::Invalid(e.to_string())),
            _ => Ok(mask),
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let idn = reveal(r.id_number_enc, r.id_number_mask, may_id)?;
        let phone = reveal(r.phone_enc, r.phone_mask, may_phone)?;
        out.push(vec![
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
                Out::from(idn.or(r.uscc)),
                Out::from(phone),
            ]);
    }
    if full {
        let n = out.len();
        on!(db, p => {
            let mut tx = begin_write!(db, p)?;
            audit!(tx, a.actor(), "unmask_export", "houses", q.region.clone().unwrap_or_default(), None,
                Some(serde_json::json!({"rows": n, "estate_id": f.estate_id, "id_number": may_id, "phone": may_phone})));
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
    }
    Ok(out)
}

pub async fn enterprises(db: &Db, a: &Access, q: &ListQuery, today: NaiveDate) -> Result<Vec<Vec<Out>>> {
    a.require(Action::Export, Resource::Enterprise)?;
    let page = registry::list_enterprises(db, a, &q.unpaged(), today).await?;
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

pub async fn contracts(db: &Db, a: &Access, q: &ListQuery, f: &ContractFilter, today: NaiveDate) -> Result<Vec<Vec<Out>>> {
    a.require(Action::Export, Resource::Contract)?;
    let page = registry::list_contracts(db, a, &q.unpaged(), f, today).await?;
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
