//! The special maintenance fund (住宅专项维修资金): per-region deposit rates, a fund
//! account per estate with a household account per house, signed entries, interest,
//! fund uses (application → owners' vote of the houses in scope → approval → payment →
//! charge → disclosure; or the emergency path confirmed by the street office), transfer on
//! sale, refund on demolition, top-up list, yearly statements and [`verify`].
//!
//! Double entry: every entry names its estate and house and moves the household balance
//! and the estate account balance by the same amount in one transaction, so household
//! balances always sum to the fund account's balance and each balance is the sum of its
//! entries. The arithmetic is [`wuye_domain::fund`]'s.

use crate::access::Access;
use crate::assembly::{NewVote, estate_in_scope, insert_vote, validate_vote};
use crate::audit::snapshot;
use crate::db::{Db, Result, StoreError, batch_rows, dynamic, multi_insert_for};
use crate::{audit, begin_write, on};
use chrono::NaiveDate;
use serde::Serialize;
use wuye_domain::account::{Action, Resource, Role};
use wuye_domain::assembly::MatterKind;
use wuye_domain::fund::{
    DEFAULT_TOP_UP_PERCENT, EmergencyKind, FundUsePath, FundUseState, InterestMethod, below_top_up_threshold, fund_use_transition, initial_deposit, split_by_area, split_interest, top_up_amount,
};

/// Posts one entry inside `$tx`: inserts it and moves the household's and the estate
/// account's balances by `$amount`. Evaluates to the entry id.
macro_rules! post {
    ($tx:expr, $estate:expr, $house:expr, $kind:expr, $amount:expr, $date:expr, $payer:expr, $memo:expr, $ref_type:expr, $ref_id:expr) => {{
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO fund_entries (estate_id, house_id, kind, amount, entry_date, payer, memo, ref_type, ref_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id")
            .bind($estate).bind($house).bind($kind).bind($amount).bind($date).bind($payer).bind($memo).bind($ref_type).bind($ref_id)
            .fetch_one(&mut *$tx).await?;
        sqlx::query("UPDATE fund_households SET balance = balance + $1 WHERE house_id = $2").bind($amount).bind($house).execute(&mut *$tx).await?;
        sqlx::query("UPDATE fund_accounts SET balance = balance + $1 WHERE estate_id = $2").bind($amount).bind($estate).execute(&mut *$tx).await?;
        id
    }};
}

/// The transaction of [`allocate_interest`] on one backend: read the balances, split the
/// total by largest remainder, write the entries (`$insert`, per backend), add the parts to
/// the balances with one `UPDATE … FROM (VALUES …)` per batch, the estate account once, and
/// the audit entry.
macro_rules! interest_tx {
    ($db:expr, $p:ident, $a:expr, $estate:expr, $total:expr, $method:expr, $date:expr, |$tx:ident, $posted:ident| $insert:block) => {{
        let mut $tx = begin_write!($db, $p)?;
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as("SELECT house_id, balance, initial_deposit FROM fund_households WHERE estate_id = $1 AND closed_on IS NULL ORDER BY house_id")
            .bind($estate).fetch_all(&mut *$tx).await?;
        let balances: Vec<i64> = rows.iter().map(|r| r.1).collect();
        let initial: Vec<i64> = rows.iter().map(|r| r.2).collect();
        let parts = split_interest($total, $method, &balances, &initial).map_err(|e| fund_err(&format!("利息分配（{}）", $method.label_zh()), e))?;
        let out: Vec<(i64, i64)> = rows.iter().zip(parts).map(|((hid, _, _), part)| (*hid, part)).collect();
        let $posted: Vec<(i64, i64)> = out.iter().copied().filter(|(_, part)| *part != 0).collect();
        $insert
        for chunk in $posted.chunks(batch_rows(2)) {
            let mut q = sqlx::query(dynamic(add_to_balances_sql(chunk.len())));
            for (hid, part) in chunk {
                q = q.bind(*hid).bind(*part);
            }
            q.execute(&mut *$tx).await?;
        }
        sqlx::query("UPDATE fund_accounts SET balance = balance + $1 WHERE estate_id = $2").bind($total).bind($estate).execute(&mut *$tx).await?;
        audit!($tx, $a.actor(), "allocate_interest", "fund_account", $estate, None, Some(serde_json::json!({"total": $total, "date": $date, "households": out.len(), "method": $method.code()})));
        $tx.commit().await?;
        Ok::<Vec<(i64, i64)>, StoreError>(out)
    }};
}

/// `UPDATE fund_households … FROM (VALUES ($1,$2), …)`: adds each `(house_id, amount)` pair's
/// amount (fen) to that household's balance, in one statement on both backends.
pub fn add_to_balances_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect();
    format!("UPDATE fund_households SET balance = balance + v.column2 FROM (VALUES {}) AS v WHERE fund_households.house_id = v.column1", values.join(", "))
}

fn fund_err(field: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("{field}：{e}"))
}

/// Records a deposit rate for a region (prefix of division codes, e.g. `6401` = 银川市),
/// with or without elevator, from a date.
pub async fn set_rate(db: &Db, a: &Access, region_prefix: &str, elevator: bool, fen_per_m2: i64, effective_from: NaiveDate) -> Result<()> {
    a.require(Action::Edit, Resource::Fund)?;
    if region_prefix.is_empty() || !region_prefix.bytes().all(|b| b.is_ascii_digit()) || region_prefix.len() > 12 {
        return Err(StoreError::Invalid(format!("区划代码前缀：「{region_prefix}」应为 1–12 位数字")));
    }
    if !a.reaches_region(&format!("{region_prefix:0<12}")) {
        return Err(StoreError::Forbidden("不能为本辖区以外的区划设置缴存标准".into()));
    }
    if fen_per_m2 <= 0 {
        return Err(StoreError::Invalid(format!("缴存标准：应大于 0 分/m²，实为 {fen_per_m2}")));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        sqlx::query("INSERT INTO fund_rates (region_prefix, elevator, fen_per_m2, effective_from) VALUES ($1,$2,$3,$4)
                     ON CONFLICT (region_prefix, elevator, effective_from) DO UPDATE SET fen_per_m2 = excluded.fen_per_m2")
            .bind(region_prefix).bind(elevator).bind(fen_per_m2).bind(effective_from).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "set_rate", "fund_rate", format!("{region_prefix}:{elevator}:{effective_from}"), None, Some(serde_json::json!({"fen_per_m2": fen_per_m2})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Opens the fund account of an estate and a household account per house, each with its
/// initial deposit = building area × the rate of the estate's region (the longest matching
/// prefix, latest effective on `opened_on`) for a building with or without elevator.
/// Balances start at 0; deposits are recorded with [`deposit`]. Returns the number of
/// household accounts.
pub async fn open_accounts(db: &Db, a: &Access, estate_id: i64, opened_on: NaiveDate) -> Result<usize> {
    estate_in_scope(db, a, estate_id, opened_on).await?;
    a.require(Action::Edit, Resource::Fund)?;
    let region: String = on!(db, p => sqlx::query_scalar("SELECT region_code FROM estates WHERE id = $1").bind(estate_id).fetch_one(p).await)?;
    let rates: Vec<(String, bool, i64, NaiveDate)> = on!(db, p => sqlx::query_as(
        "SELECT region_prefix, elevator, fen_per_m2, effective_from FROM fund_rates WHERE effective_from <= $1").bind(opened_on).fetch_all(p).await)?;
    let rate_for = |elevator: bool| {
        rates.iter().filter(|r| r.1 == elevator && region.starts_with(&r.0)).max_by_key(|r| (r.0.len(), r.3)).map(|r| r.2)
    };
    let houses: Vec<(i64, i64, bool, String)> = on!(db, p => sqlx::query_as(
        "SELECT h.id, h.building_area, COALESCE(b.has_elevator, e.has_elevator),
                COALESCE((SELECT MIN(o.name) FROM ownerships w JOIN owners o ON o.id = w.owner_id WHERE w.house_id = h.id), '')
         FROM houses h JOIN buildings b ON b.id = h.building_id JOIN estates e ON e.id = h.estate_id WHERE h.estate_id = $1 ORDER BY h.id")
        .bind(estate_id).fetch_all(p).await)?;
    if houses.is_empty() {
        return Err(StoreError::Invalid("开户：该小区没有登记房屋".into()));
    }
    let mut rows = Vec::with_capacity(houses.len());
    for (hid, area, elevator, owner) in &houses {
        let rate = rate_for(*elevator).ok_or_else(|| {
            StoreError::Invalid(format!("缴存标准：区划 {region} 未配置{}住宅在 {opened_on} 适用的每平方米缴存标准", if *elevator { "有电梯" } else { "无电梯" }))
        })?;
        rows.push((*hid, initial_deposit(*area, rate).map_err(|e| fund_err(&format!("房屋 #{hid} 首期缴存额"), e))?, owner.clone()));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT estate_id FROM fund_accounts WHERE estate_id = $1").bind(estate_id).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!("小区 #{estate_id} 的维修资金账户已开立")));
        }
        sqlx::query("INSERT INTO fund_accounts (estate_id, balance, opened_on) VALUES ($1, 0, $2)").bind(estate_id).bind(opened_on).execute(&mut *tx).await?;
        for chunk in rows.chunks(batch_rows(5)) {
            let sql = multi_insert_for(db.backend(), "INSERT INTO fund_households (house_id, estate_id, initial_deposit, balance, owner_snapshot)", 5, chunk.len());
            let mut q = sqlx::query(dynamic(sql));
            for (hid, deposit, owner) in chunk {
                q = q.bind(*hid).bind(estate_id).bind(*deposit).bind(0i64).bind(owner.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        let total: i64 = rows.iter().map(|r| r.1).sum();
        audit!(tx, a.actor(), "open_accounts", "fund_account", estate_id, None, Some(serde_json::json!({"households": rows.len(), "initial_deposits": total})));
        tx.commit().await?;
        Ok::<usize, StoreError>(rows.len())
    })
}

/// A household account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Household {
    pub house_id: i64,
    pub estate_id: i64,
    pub initial_deposit: i64,
    pub balance: i64,
    pub owner_snapshot: String,
    pub closed_on: Option<NaiveDate>,
}

/// A household account the caller reaches (an owner: their own houses only).
pub async fn household(db: &Db, a: &Access, house_id: i64, today: NaiveDate) -> Result<Household> {
    a.require(Action::View, Resource::Fund)?;
    let sql = format!(
        "SELECT f.house_id, f.estate_id, f.initial_deposit, f.balance, f.owner_snapshot, f.closed_on FROM fund_households f
         JOIN houses h ON h.id = f.house_id JOIN estates e ON e.id = f.estate_id WHERE f.house_id = $1 AND {}",
        a.houses_sql("h", "e", today)
    );
    on!(db, p => sqlx::query_as::<_, Household>(dynamic(sql)).bind(house_id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// The household accounts of an estate, by house id.
pub async fn households(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<Household>> {
    a.require(Action::View, Resource::Fund)?;
    let sql = format!(
        "SELECT f.house_id, f.estate_id, f.initial_deposit, f.balance, f.owner_snapshot, f.closed_on FROM fund_households f
         JOIN houses h ON h.id = f.house_id JOIN estates e ON e.id = f.estate_id WHERE f.estate_id = $1 AND {} ORDER BY f.house_id",
        a.houses_sql("h", "e", today)
    );
    Ok(on!(db, p => sqlx::query_as::<_, Household>(dynamic(sql)).bind(estate_id).fetch_all(p).await)?)
}

/// The balance of an estate's fund account.
pub async fn account_balance(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<i64> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::View, Resource::Fund)?;
    on!(db, p => sqlx::query_scalar("SELECT balance FROM fund_accounts WHERE estate_id = $1").bind(estate_id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// An open household account for a write: (estate id, balance, owner).
async fn open_household(db: &Db, a: &Access, house_id: i64, today: NaiveDate) -> Result<Household> {
    let h = household(db, a, house_id, today).await?;
    if let Some(d) = h.closed_on {
        return Err(StoreError::Invalid(format!("房屋 #{house_id} 的分户账已于 {d} 销户")));
    }
    Ok(h)
}

/// Records a deposit (> 0 fen) to a household account with its payer and date.
pub async fn deposit(db: &Db, a: &Access, house_id: i64, amount: i64, payer: &str, date: NaiveDate) -> Result<i64> {
    a.require(Action::Edit, Resource::Fund)?;
    let h = open_household(db, a, house_id, date).await?;
    if amount <= 0 {
        return Err(StoreError::Invalid(format!("缴存金额：应大于 0 分，实为 {amount}")));
    }
    if payer.trim().is_empty() {
        return Err(StoreError::Invalid("缴款人：不能为空".into()));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id = post!(tx, h.estate_id, house_id, "deposit", amount, date, payer.trim(), "", "", None::<i64>);
        audit!(tx, a.actor(), "deposit", "fund_household", house_id, None, Some(serde_json::json!({"entry": id, "amount": amount, "payer": payer.trim(), "date": date})));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// Records many deposits to household accounts of one estate in one transaction:
/// `(house id, amount > 0 fen, payer)` each, all dated `date` (a bank's batch statement,
/// the demo). Validated in full first: nothing is written when any row is refused. The
/// entries go in with multi-row INSERTs, the balances with `UPDATE … FROM (VALUES …)`, and
/// one audit entry names the count and the total. Returns the number of entries.
pub async fn deposit_many(db: &Db, a: &Access, estate_id: i64, rows: &[(i64, i64, String)], date: NaiveDate) -> Result<usize> {
    estate_in_scope(db, a, estate_id, date).await?;
    a.require(Action::Edit, Resource::Fund)?;
    let open: std::collections::HashSet<i64> =
        on!(db, p => sqlx::query_scalar("SELECT house_id FROM fund_households WHERE estate_id = $1 AND closed_on IS NULL").bind(estate_id).fetch_all(p).await)?.into_iter().collect();
    let mut errs = Vec::new();
    for (i, (hid, amount, payer)) in rows.iter().enumerate() {
        if !open.contains(hid) {
            errs.push(format!("第 {} 笔：房屋 #{hid} 不在本小区或没有未销户的分户账", i + 1));
        }
        if *amount <= 0 {
            errs.push(format!("第 {} 笔：缴存金额应大于 0 分，实为 {amount}", i + 1));
        }
        if payer.trim().is_empty() {
            errs.push(format!("第 {} 笔：缴款人不能为空", i + 1));
        }
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs.join("；")));
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let total: i64 = rows.iter().map(|r| r.1).sum();
    // One balance change per house, also when a house has several deposits in the batch.
    let mut per_house: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for (hid, amount, _) in rows {
        *per_house.entry(*hid).or_default() += amount;
    }
    let per_house: Vec<(i64, i64)> = per_house.into_iter().collect();
    let backend = db.backend();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        for chunk in rows.chunks(batch_rows(9)) {
            let sql = multi_insert_for(backend, "INSERT INTO fund_entries (estate_id, house_id, kind, amount, entry_date, payer, memo, ref_type, ref_id)", 9, chunk.len());
            let mut q = sqlx::query(dynamic(sql));
            for (hid, amount, payer) in chunk {
                q = q.bind(estate_id).bind(*hid).bind("deposit").bind(*amount).bind(date).bind(payer.trim()).bind("").bind("").bind(None::<i64>);
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in per_house.chunks(batch_rows(2)) {
            let mut q = sqlx::query(dynamic(add_to_balances_sql(chunk.len())));
            for (hid, amount) in chunk {
                q = q.bind(*hid).bind(*amount);
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE fund_accounts SET balance = balance + $1 WHERE estate_id = $2").bind(total).bind(estate_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "deposit_many", "fund_account", estate_id, None, Some(serde_json::json!({"entries": rows.len(), "total": total, "date": date})));
        tx.commit().await?;
        Ok::<usize, StoreError>(rows.len())
    })
}

/// Allocates `total` fen of interest to an estate's open household accounts by `method`:
/// in proportion to their balances ([`InterestMethod::ByBalance`], the default) or to
/// their initial deposits (largest remainder; the parts sum exactly to `total`), in one
/// transaction. The method is configurable because the sources do not settle it (rules.md
/// §2.3 \[U\], to confirm locally); each entry's memo names it. Returns `(house id, part)`
/// by house id.
pub async fn allocate_interest(db: &Db, a: &Access, estate_id: i64, total: i64, method: InterestMethod, date: NaiveDate) -> Result<Vec<(i64, i64)>> {
    estate_in_scope(db, a, estate_id, date).await?;
    a.require(Action::Edit, Resource::Fund)?;
    if total <= 0 {
        return Err(StoreError::Invalid(format!("利息总额：应大于 0 分，实为 {total}")));
    }
    let memo = method.memo();
    match db {
        // PostgreSQL: the entries in one INSERT … SELECT FROM UNNEST of two arrays.
        Db::Postgres(p) => interest_tx!(db, p, a, estate_id, total, method, date, |tx, posted| {
            let (houses, amounts): (Vec<i64>, Vec<i64>) = posted.iter().copied().unzip();
            sqlx::query(
                "INSERT INTO fund_entries (estate_id, house_id, kind, amount, entry_date, payer, memo, ref_type, ref_id)
                 SELECT $1, t.h, 'interest', t.a, $2, '', $3, 'interest', NULL FROM UNNEST($4::BIGINT[], $5::BIGINT[]) AS t(h, a)")
                .bind(estate_id).bind(date).bind(&memo).bind(&houses).bind(&amounts).execute(&mut *tx).await?;
        }),
        // SQLite: multi-row INSERTs.
        Db::Sqlite(p) => interest_tx!(db, p, a, estate_id, total, method, date, |tx, posted| {
            for chunk in posted.chunks(batch_rows(9)) {
                let sql = multi_insert_for(db.backend(), "INSERT INTO fund_entries (estate_id, house_id, kind, amount, entry_date, payer, memo, ref_type, ref_id)", 9, chunk.len());
                let mut q = sqlx::query(dynamic(sql));
                for (hid, part) in chunk {
                    q = q.bind(estate_id).bind(*hid).bind("interest").bind(*part).bind(date).bind("").bind(&memo).bind("interest").bind(None::<i64>);
                }
                q.execute(&mut *tx).await?;
            }
        }),
    }
}

/// Sale: the balance stays with the house and passes to the new owner — the owner
/// snapshot changes and a `transfer_out` of the balance from the seller and a `transfer_in`
/// of the same amount to the buyer are recorded. Returns the amount passed on.
pub async fn transfer_on_sale(db: &Db, a: &Access, house_id: i64, new_owner: &str, date: NaiveDate) -> Result<i64> {
    a.require(Action::Edit, Resource::Fund)?;
    let h = open_household(db, a, house_id, date).await?;
    if new_owner.trim().is_empty() {
        return Err(StoreError::Invalid("新业主：不能为空".into()));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let (balance, old): (i64, String) = sqlx::query_as("SELECT balance, owner_snapshot FROM fund_households WHERE house_id = $1").bind(house_id).fetch_one(&mut *tx).await?;
        post!(tx, h.estate_id, house_id, "transfer_out", -balance, date, old.as_str(), "房屋转让，余额随房屋转移", "sale", None::<i64>);
        post!(tx, h.estate_id, house_id, "transfer_in", balance, date, new_owner.trim(), "房屋转让，余额随房屋转移", "sale", None::<i64>);
        sqlx::query("UPDATE fund_households SET owner_snapshot = $1 WHERE house_id = $2").bind(new_owner.trim()).bind(house_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "transfer_on_sale", "fund_household", house_id, Some(serde_json::json!({"owner": old})), Some(serde_json::json!({"owner": new_owner.trim(), "balance": balance})));
        tx.commit().await?;
        Ok::<i64, StoreError>(balance)
    })
}

/// Demolition (房屋灭失): the balance is refunded to the owner and the account closed.
/// Returns the amount refunded.
pub async fn refund_on_demolition(db: &Db, a: &Access, house_id: i64, date: NaiveDate) -> Result<i64> {
    a.require(Action::Edit, Resource::Fund)?;
    let h = open_household(db, a, house_id, date).await?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let (balance, owner): (i64, String) = sqlx::query_as("SELECT balance, owner_snapshot FROM fund_households WHERE house_id = $1").bind(house_id).fetch_one(&mut *tx).await?;
        post!(tx, h.estate_id, house_id, "refund", -balance, date, owner.as_str(), "房屋灭失，余额退还业主", "demolition", None::<i64>);
        sqlx::query("UPDATE fund_households SET closed_on = $1 WHERE house_id = $2").bind(date).bind(house_id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "refund", "fund_household", house_id, None, Some(serde_json::json!({"amount": balance, "date": date})));
        tx.commit().await?;
        Ok::<i64, StoreError>(balance)
    })
}

/// A household below the top-up threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopUp {
    pub house_id: i64,
    pub owner: String,
    pub initial_deposit: i64,
    pub balance: i64,
    /// Default top-up: initial deposit minus balance.
    pub amount: i64,
}

/// Open households whose balance is below 30% of their initial deposit (Art 17).
pub async fn top_up_list(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<TopUp>> {
    Ok(households(db, a, estate_id, today)
        .await?
        .into_iter()
        .filter(|h| h.closed_on.is_none() && below_top_up_threshold(h.balance, h.initial_deposit, DEFAULT_TOP_UP_PERCENT))
        .map(|h| TopUp { house_id: h.house_id, owner: h.owner_snapshot, initial_deposit: h.initial_deposit, balance: h.balance, amount: top_up_amount(h.balance, h.initial_deposit) })
        .collect())
}

/// A yearly statement (Art 30): opening balance, deposits, uses, interest, other
/// movements (transfers, refunds) and closing balance, in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub year: i32,
    pub opening: i64,
    pub deposits: i64,
    pub uses: i64,
    pub interest: i64,
    pub other: i64,
    pub closing: i64,
}

async fn statement_of(db: &Db, year: i32, filter: &'static str, id: i64) -> Result<Statement> {
    let (start, end) = year_bounds(year)?;
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN entry_date < $2 THEN amount ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN entry_date >= $2 AND entry_date < $3 AND kind = 'deposit' THEN amount ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN entry_date >= $2 AND entry_date < $3 AND kind = 'use' THEN amount ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN entry_date >= $2 AND entry_date < $3 AND kind = 'interest' THEN amount ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN entry_date >= $2 AND entry_date < $3 AND kind NOT IN ('deposit', 'use', 'interest') THEN amount ELSE 0 END), 0) AS BIGINT)
         FROM fund_entries WHERE {filter} = $1"
    );
    let (opening, deposits, uses, interest, other): (i64, i64, i64, i64, i64) =
        on!(db, p => sqlx::query_as(dynamic(sql)).bind(id).bind(start).bind(end).fetch_one(p).await)?;
    Ok(Statement { year, opening, deposits, uses, interest, other, closing: opening + deposits + uses + interest + other })
}

/// A household's statement for a year (an owner: their own houses).
pub async fn household_statement(db: &Db, a: &Access, house_id: i64, year: i32, today: NaiveDate) -> Result<Statement> {
    household(db, a, house_id, today).await?;
    statement_of(db, year, "house_id", house_id).await
}

/// An estate's statement for a year.
pub async fn estate_statement(db: &Db, a: &Access, estate_id: i64, year: i32, today: NaiveDate) -> Result<Statement> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::View, Resource::Fund)?;
    statement_of(db, year, "estate_id", estate_id).await
}

/// One disagreement found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub estate_id: i64,
    pub estate: String,
    /// `None`: the estate's fund account.
    pub house_id: Option<i64>,
    pub what: String,
    pub expected: i64,
    pub actual: i64,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.house_id {
            Some(h) => write!(f, "小区 #{} {} 房屋 #{h}：{}，应为 {} 分，实为 {} 分", self.estate_id, self.estate, self.what, self.expected, self.actual),
            None => write!(f, "小区 #{} {}：{}，应为 {} 分，实为 {} 分", self.estate_id, self.estate, self.what, self.expected, self.actual),
        }
    }
}

/// Counts checked by [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Checked {
    pub accounts: i64,
    pub households: i64,
    pub entries: i64,
}

/// Checks the double entry of every estate: the household balances sum to the fund
/// account's balance, the account's balance equals the sum of the estate's entries, and
/// each household balance equals the sum of its entries. Returns the counts checked and
/// every mismatch, naming estate and house.
pub async fn verify(db: &Db) -> Result<(Checked, Vec<Mismatch>)> {
    let accounts: Vec<(i64, String, i64, i64, i64)> = on!(db, p => sqlx::query_as(
        "SELECT a.estate_id, e.name, a.balance,
                CAST(COALESCE((SELECT SUM(f.balance) FROM fund_households f WHERE f.estate_id = a.estate_id), 0) AS BIGINT),
                CAST(COALESCE((SELECT SUM(x.amount) FROM fund_entries x WHERE x.estate_id = a.estate_id), 0) AS BIGINT)
         FROM fund_accounts a JOIN estates e ON e.id = a.estate_id ORDER BY a.estate_id").fetch_all(p).await)?;
    let households: Vec<(i64, String, i64, i64, i64)> = on!(db, p => sqlx::query_as(
        "SELECT f.estate_id, e.name, f.house_id, f.balance,
                CAST(COALESCE((SELECT SUM(x.amount) FROM fund_entries x WHERE x.house_id = f.house_id), 0) AS BIGINT)
         FROM fund_households f JOIN estates e ON e.id = f.estate_id ORDER BY f.estate_id, f.house_id").fetch_all(p).await)?;
    let entries: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM fund_entries").fetch_one(p).await)?;
    let mut out = Vec::new();
    for (eid, name, balance, sum_households, sum_entries) in &accounts {
        if sum_households != balance {
            out.push(Mismatch { estate_id: *eid, estate: name.clone(), house_id: None, what: "分户账余额合计与维修资金账户余额不符".into(), expected: *balance, actual: *sum_households });
        }
        if sum_entries != balance {
            out.push(Mismatch { estate_id: *eid, estate: name.clone(), house_id: None, what: "维修资金账户余额与流水合计不符".into(), expected: *sum_entries, actual: *balance });
        }
    }
    for (eid, name, hid, balance, sum) in &households {
        if sum != balance {
            out.push(Mismatch { estate_id: *eid, estate: name.clone(), house_id: Some(*hid), what: "分户账余额与其流水合计不符".into(), expected: *sum, actual: *balance });
        }
    }
    Ok((Checked { accounts: accounts.len() as i64, households: households.len() as i64, entries }, out))
}

// ---------------------------------------------------------------------------------------
// Fund uses
// ---------------------------------------------------------------------------------------

/// An application to use the fund.
#[derive(Debug, Clone, Serialize)]
pub struct NewFundUse {
    pub project: String,
    pub budget: i64,
    /// The houses in scope (列支范围): their owners vote and their accounts bear the cost.
    pub house_ids: Vec<i64>,
    /// Emergency use (Art 24): skips the owners' vote, needs the street office's confirmation.
    pub emergency: Option<EmergencyKind>,
}

/// A fund use as recorded. Money in fen.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FundUse {
    pub id: i64,
    pub estate_id: i64,
    pub project: String,
    pub budget: i64,
    pub path: String,
    pub emergency_kind: Option<String>,
    pub state: String,
    pub vote_id: Option<i64>,
    pub contractor: String,
    pub paid_amount: i64,
    pub paid_on: Option<NaiveDate>,
    pub confirmed_by: String,
    pub disclosed_on: Option<NaiveDate>,
    pub applied_on: NaiveDate,
    pub applied_by: String,
}

const USE_COLS: &str = "u.id, u.estate_id, u.project, u.budget, u.path, u.emergency_kind, u.state, u.vote_id, u.contractor, u.paid_amount, u.paid_on, u.confirmed_by, u.disclosed_on, u.applied_on, u.applied_by";

impl FundUse {
    pub fn use_path(&self) -> FundUsePath {
        FundUsePath::parse(&self.path).unwrap_or(FundUsePath::Ordinary)
    }
    pub fn emergency(&self) -> Option<EmergencyKind> {
        self.emergency_kind.as_deref().and_then(EmergencyKind::parse)
    }
    pub fn state(&self) -> FundUseState {
        FundUseState::parse(&self.state).unwrap_or(FundUseState::Application)
    }
}

/// A fund use in the caller's scope (enterprises: of the estates they serve).
pub async fn get_use(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<FundUse> {
    a.require(Action::View, Resource::Fund)?;
    let sql = format!("SELECT {USE_COLS} FROM fund_uses u JOIN estates e ON e.id = u.estate_id WHERE u.id = $1 AND {}", a.estates_sql("e", today));
    on!(db, p => sqlx::query_as::<_, FundUse>(dynamic(sql)).bind(id).fetch_optional(p).await)?.ok_or(StoreError::NotFound)
}

/// The houses in scope of a fund use: (house id, exclusive area, share charged).
pub async fn use_houses(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vec<(i64, i64, Option<i64>)>> {
    get_use(db, a, id, today).await?;
    Ok(on!(db, p => sqlx::query_as("SELECT house_id, area, share FROM fund_use_houses WHERE fund_use_id = $1 ORDER BY house_id").bind(id).fetch_all(p).await)?)
}

/// Applies to use the fund for a project on houses of one estate with open accounts.
pub async fn apply_use(db: &Db, a: &Access, estate_id: i64, u: &NewFundUse, today: NaiveDate) -> Result<i64> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::Create, Resource::Fund)?;
    let mut errs = Vec::new();
    if u.project.trim().is_empty() {
        errs.push("项目：不能为空".to_string());
    }
    if u.budget <= 0 {
        errs.push(format!("预算：应大于 0 分，实为 {}", u.budget));
    }
    if u.house_ids.is_empty() {
        errs.push("列支范围：至少一户".to_string());
    }
    let mut ids = u.house_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let mut rows = Vec::new();
    for hid in &ids {
        let r: Option<(i64, Option<NaiveDate>)> = on!(db, p => sqlx::query_as(
            "SELECT h.exclusive_area, f.closed_on FROM houses h JOIN fund_households f ON f.house_id = h.id WHERE h.id = $1 AND h.estate_id = $2")
            .bind(hid).bind(estate_id).fetch_optional(p).await)?;
        match r {
            None => errs.push(format!("列支范围：房屋 #{hid} 不在本小区或未开立分户账")),
            Some((_, Some(d))) => errs.push(format!("列支范围：房屋 #{hid} 的分户账已于 {d} 销户")),
            Some((area, None)) => rows.push((*hid, area)),
        }
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs.join("；")));
    }
    let path = if u.emergency.is_some() { FundUsePath::Emergency } else { FundUsePath::Ordinary };
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO fund_uses (estate_id, project, budget, path, emergency_kind, state, applied_on, applied_by) VALUES ($1,$2,$3,$4,$5,'application',$6,$7) RETURNING id")
            .bind(estate_id).bind(u.project.trim()).bind(u.budget).bind(path.code()).bind(u.emergency.map(|k| k.code())).bind(today).bind(&a.actor().name)
            .fetch_one(&mut *tx).await?;
        for (hid, area) in &rows {
            sqlx::query("INSERT INTO fund_use_houses (fund_use_id, house_id, area) VALUES ($1,$2,$3)").bind(id).bind(hid).bind(area).execute(&mut *tx).await?;
        }
        audit!(tx, a.actor(), "apply", "fund_use", id, None, snapshot(u));
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// Moves a fund use `from` → `to` in `$tx`, conditional on the stored state.
macro_rules! set_use_state {
    ($tx:expr, $id:expr, $from:expr, $to:expr) => {{
        let n = sqlx::query("UPDATE fund_uses SET state = $1 WHERE id = $2 AND state = $3").bind($to.code()).bind($id).bind($from.code()).execute(&mut *$tx).await?.rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict(format!("维修资金使用 #{} 已不在「{}」状态", $id, $from.label_zh())));
        }
    }};
}

fn check_transition(u: &FundUse, to: FundUseState) -> Result<()> {
    fund_use_transition(u.use_path(), u.state(), to).map(|_| ()).map_err(|e| fund_err("维修资金使用状态", e))
}

/// Puts an ordinary fund use to the owners of the houses in scope: drafts a vote with one
/// matter of kind 5 (use of the maintenance fund), in the same transaction as the fund use
/// moving to `voting`. The committee then announces, opens, closes and publishes it.
pub async fn submit_to_vote(db: &Db, a: &Access, id: i64, opens_on: NaiveDate, closes_on: NaiveDate, today: NaiveDate) -> Result<i64> {
    let u = get_use(db, a, id, today).await?;
    a.require(Action::Create, Resource::Fund)?;
    a.require(Action::Create, Resource::Vote)?;
    check_transition(&u, FundUseState::Voting)?;
    let code = crate::assembly::covenant_rule_code(db, u.estate_id).await?;
    let v = NewVote {
        title: format!("使用维修资金：{}", u.project),
        rule_set_code: Some(code.clone()),
        opens_on,
        closes_on,
        matters: vec![(MatterKind::UseFund, format!("同意使用维修资金 {} 元用于「{}」，费用由列支范围内业主按专有部分面积分摊", crate::fund::yuan(u.budget), u.project))],
    };
    validate_vote(&v)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_use_state!(tx, id, FundUseState::Application, FundUseState::Voting);
        let vote_id = insert_vote!(tx, u.estate_id, &v, &code, Some(id));
        sqlx::query("UPDATE fund_uses SET vote_id = $1 WHERE id = $2").bind(vote_id).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "submit_to_vote", "fund_use", id, None, Some(serde_json::json!({"vote_id": vote_id})));
        tx.commit().await?;
        Ok::<i64, StoreError>(vote_id)
    })
}

/// Fen as yuan text with two decimals (display only).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.unsigned_abs() / 100, fen.unsigned_abs() % 100)
}

/// After the vote is published: `approved` if the fund-use matter passed, else `rejected`.
/// Returns the new state.
pub async fn decide(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<FundUseState> {
    let u = get_use(db, a, id, today).await?;
    a.require(Action::Create, Resource::Fund)?;
    let vote_id = u.vote_id.ok_or_else(|| StoreError::Invalid(format!("维修资金使用 #{id} 尚未提交业主表决")))?;
    let passed = crate::assembly::published_passed(db, vote_id).await?;
    if passed.is_empty() {
        return Err(StoreError::Invalid(format!("表决 #{vote_id} 尚未公布结果，不能批准")));
    }
    let to = if passed.values().all(|p| *p) { FundUseState::Approved } else { FundUseState::Rejected };
    check_transition(&u, to)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_use_state!(tx, id, FundUseState::Voting, to);
        audit!(tx, a.actor(), to.code(), "fund_use", id, None, Some(serde_json::json!({"vote_id": vote_id})));
        tx.commit().await?;
        Ok::<FundUseState, StoreError>(to)
    })
}

/// Confirms an emergency use (Art 24): only a street office or community user in whose
/// region the estate lies (or an administrator). The use skips the owners' vote.
pub async fn confirm_emergency(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<()> {
    let u = get_use(db, a, id, today).await?;
    if !matches!(a.role(), Role::Street | Role::Admin) {
        return Err(StoreError::Forbidden("紧急使用维修资金须由街道办事处或社区居委会确认".into()));
    }
    check_transition(&u, FundUseState::Confirmed)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_use_state!(tx, id, FundUseState::Application, FundUseState::Confirmed);
        sqlx::query("UPDATE fund_uses SET confirmed_by = $1 WHERE id = $2").bind(&a.actor().name).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "confirm_emergency", "fund_use", id, None, Some(serde_json::json!({"confirmed_by": a.actor().name})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Records the payment to the contractor (≤ budget) of an approved or confirmed use.
pub async fn pay(db: &Db, a: &Access, id: i64, amount: i64, contractor: &str, date: NaiveDate) -> Result<()> {
    let u = get_use(db, a, id, date).await?;
    a.require(Action::Create, Resource::Fund)?;
    check_transition(&u, FundUseState::Paid)?;
    if amount <= 0 || amount > u.budget {
        return Err(StoreError::Invalid(format!("拨付金额：应大于 0 且不超过预算 {} 分，实为 {amount} 分", u.budget)));
    }
    if contractor.trim().is_empty() {
        return Err(StoreError::Invalid("施工单位：不能为空".into()));
    }
    let from = u.state();
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_use_state!(tx, id, from, FundUseState::Paid);
        sqlx::query("UPDATE fund_uses SET paid_amount = $1, paid_on = $2, contractor = $3 WHERE id = $4").bind(amount).bind(date).bind(contractor.trim()).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "pay", "fund_use", id, None, Some(serde_json::json!({"amount": amount, "contractor": contractor.trim(), "date": date})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Charges the paid amount to the household accounts in scope, split by exclusive area
/// (largest remainder; the shares sum exactly to the amount). Refused, writing nothing,
/// when a household's balance is below its share. Returns `(house id, share)`.
pub async fn charge(db: &Db, a: &Access, id: i64, date: NaiveDate) -> Result<Vec<(i64, i64)>> {
    let u = get_use(db, a, id, date).await?;
    a.require(Action::Create, Resource::Fund)?;
    check_transition(&u, FundUseState::Charged)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_use_state!(tx, id, FundUseState::Paid, FundUseState::Charged);
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT fh.house_id, fh.area, f.balance FROM fund_use_houses fh JOIN fund_households f ON f.house_id = fh.house_id WHERE fh.fund_use_id = $1 ORDER BY fh.house_id")
            .bind(id).fetch_all(&mut *tx).await?;
        let areas: Vec<i64> = rows.iter().map(|r| r.1).collect();
        let shares = split_by_area(u.paid_amount, &areas).map_err(|e| fund_err("按面积分摊", e))?;
        let short: Vec<String> = rows.iter().zip(&shares).filter(|((_, _, b), s)| b < *s).map(|((h, _, b), s)| format!("房屋 #{h} 余额 {b} 分，应分摊 {s} 分")).collect();
        if !short.is_empty() {
            return Err(StoreError::Invalid(format!("分户账余额不足：{}", short.join("；"))));
        }
        let mut out = Vec::with_capacity(rows.len());
        for ((hid, _, _), share) in rows.iter().zip(shares) {
            post!(tx, u.estate_id, *hid, "use", -share, date, u.contractor.as_str(), u.project.as_str(), "fund_use", Some(id));
            sqlx::query("UPDATE fund_use_houses SET share = $1 WHERE fund_use_id = $2 AND house_id = $3").bind(share).bind(id).bind(hid).execute(&mut *tx).await?;
            out.push((*hid, share));
        }
        audit!(tx, a.actor(), "charge", "fund_use", id, None, Some(serde_json::json!({"amount": u.paid_amount, "households": out.len(), "date": date})));
        tx.commit().await?;
        Ok::<Vec<(i64, i64)>, StoreError>(out)
    })
}

/// Discloses a charged use (publication to the owners; emergency uses too).
pub async fn disclose(db: &Db, a: &Access, id: i64, date: NaiveDate) -> Result<()> {
    let u = get_use(db, a, id, date).await?;
    a.require(Action::Create, Resource::Fund)?;
    check_transition(&u, FundUseState::Disclosed)?;
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        set_use_state!(tx, id, FundUseState::Charged, FundUseState::Disclosed);
        sqlx::query("UPDATE fund_uses SET disclosed_on = $1 WHERE id = $2").bind(date).bind(id).execute(&mut *tx).await?;
        audit!(tx, a.actor(), "disclose", "fund_use", id, None, Some(serde_json::json!({"date": date})));
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}


// ---------------------------------------------------------------------------------------
// Reading the ledger
// ---------------------------------------------------------------------------------------

/// An estate's fund account with its household counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub estate_id: i64,
    /// Fen; always the sum of the household balances.
    pub balance: i64,
    pub opened_on: NaiveDate,
    /// Household accounts, open and closed.
    pub households: i64,
    /// Sum of the initial deposits due (fen).
    pub initial_deposits: i64,
    /// Open households whose balance is below 30% of their initial deposit (Art 17).
    pub below_threshold: i64,
}

/// An estate's fund account, `None` while it is not opened. Errors: NotFound for an estate
/// out of scope, Forbidden without fund view. For an owner the counts are of the whole
/// estate (the account is disclosed to its owners, Art 30).
pub async fn account(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Option<Account>> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::View, Resource::Fund)?;
    let row: Option<(i64, NaiveDate, i64, i64, i64)> = on!(db, p => sqlx::query_as(
        "SELECT a.balance, a.opened_on,
                (SELECT COUNT(*) FROM fund_households f WHERE f.estate_id = a.estate_id),
                CAST(COALESCE((SELECT SUM(f.initial_deposit) FROM fund_households f WHERE f.estate_id = a.estate_id), 0) AS BIGINT),
                (SELECT COUNT(*) FROM fund_households f WHERE f.estate_id = a.estate_id AND f.closed_on IS NULL AND f.balance * 100 < f.initial_deposit * $2)
         FROM fund_accounts a WHERE a.estate_id = $1")
        .bind(estate_id).bind(i64::from(DEFAULT_TOP_UP_PERCENT)).fetch_optional(p).await)?;
    Ok(row.map(|(balance, opened_on, households, initial_deposits, below_threshold)| Account { estate_id, balance, opened_on, households, initial_deposits, below_threshold }))
}

/// A household account with its house's label and areas, for lists and ledgers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HouseholdRow {
    pub house_id: i64,
    pub building_no: String,
    pub unit_no: String,
    pub room_no: String,
    /// Hundredths of m².
    pub building_area: i64,
    /// Hundredths of m².
    pub exclusive_area: i64,
    pub owner_snapshot: String,
    /// Fen.
    pub initial_deposit: i64,
    /// Fen.
    pub balance: i64,
    pub closed_on: Option<NaiveDate>,
}

impl HouseholdRow {
    pub fn label(&self) -> String {
        wuye_domain::registry::house_label(&self.building_no, &self.unit_no, &self.room_no)
    }
    /// Below 30% of the initial deposit and open: a top-up is due (Art 17).
    pub fn below(&self) -> bool {
        self.closed_on.is_none() && below_top_up_threshold(self.balance, self.initial_deposit, DEFAULT_TOP_UP_PERCENT)
    }
}

/// The household accounts of an estate the caller reaches (an owner: their own), by
/// building, unit and room; `below_only` keeps those below the top-up threshold.
pub async fn household_rows(db: &Db, a: &Access, estate_id: i64, below_only: bool, today: NaiveDate) -> Result<Vec<HouseholdRow>> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::View, Resource::Fund)?;
    let below = if below_only { format!(" AND f.closed_on IS NULL AND f.balance * 100 < f.initial_deposit * {DEFAULT_TOP_UP_PERCENT}") } else { String::new() };
    let sql = format!(
        "SELECT f.house_id, b.no AS building_no, un.no AS unit_no, h.room_no, h.building_area, h.exclusive_area, f.owner_snapshot, f.initial_deposit, f.balance, f.closed_on
         FROM fund_households f JOIN houses h ON h.id = f.house_id JOIN buildings b ON b.id = h.building_id JOIN units un ON un.id = h.unit_id JOIN estates e ON e.id = f.estate_id
         WHERE f.estate_id = $1 AND {}{below} ORDER BY b.no, un.no, h.room_no, f.house_id",
        a.houses_sql("h", "e", today)
    );
    Ok(on!(db, p => sqlx::query_as::<_, HouseholdRow>(dynamic(sql)).bind(estate_id).fetch_all(p).await)?)
}

/// One ledger entry (signed fen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub house_id: Option<i64>,
    /// deposit | interest | use | transfer_in | transfer_out | refund
    pub kind: String,
    /// Signed fen: deposits and interest positive, uses and refunds negative.
    pub amount: i64,
    pub entry_date: NaiveDate,
    pub payer: String,
    pub memo: String,
    /// `fund_use` for a charge (with `ref_id` the fund use), `sale`, `demolition`, `interest`.
    pub ref_type: String,
    pub ref_id: Option<i64>,
}

impl Entry {
    pub fn kind_zh(&self) -> &'static str {
        entry_kind_zh(&self.kind)
    }
}

/// Chinese name of an entry kind.
pub fn entry_kind_zh(kind: &str) -> &'static str {
    match kind {
        "deposit" => "缴存",
        "interest" => "增值收益",
        "use" => "使用列支",
        "transfer_in" => "转让转入",
        "transfer_out" => "转让转出",
        "refund" => "灭失退还",
        _ => "其他",
    }
}

const ENTRY_COLS: &str = "x.id, x.house_id, x.kind, x.amount, x.entry_date, x.payer, x.memo, x.ref_type, x.ref_id";

/// A household's entries, oldest first (an owner: their own houses).
pub async fn household_entries(db: &Db, a: &Access, house_id: i64, today: NaiveDate) -> Result<Vec<Entry>> {
    household(db, a, house_id, today).await?;
    let sql = format!("SELECT {ENTRY_COLS} FROM fund_entries x WHERE x.house_id = $1 ORDER BY x.entry_date, x.id");
    Ok(on!(db, p => sqlx::query_as::<_, Entry>(dynamic(sql)).bind(house_id).fetch_all(p).await)?)
}

/// An estate's entries in a year (all households), oldest first, at most `limit` (the
/// newest when more). Staff of the fund only: an owner sees their own households' entries.
pub async fn estate_entries(db: &Db, a: &Access, estate_id: i64, year: i32, limit: Option<i64>, today: NaiveDate) -> Result<Vec<Entry>> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::View, Resource::Fund)?;
    let (start, end) = year_bounds(year)?;
    let owner = match a.role() {
        Role::Owner => format!(" AND x.house_id IN (SELECT h.id FROM houses h JOIN estates e ON e.id = h.estate_id WHERE h.estate_id = $1 AND {})", a.houses_sql("h", "e", today)),
        _ => String::new(),
    };
    let lim = limit.map(|n| format!(" LIMIT {}", n.max(0))).unwrap_or_default();
    let sql = format!("SELECT * FROM (SELECT {ENTRY_COLS} FROM fund_entries x WHERE x.estate_id = $1 AND x.entry_date >= $2 AND x.entry_date < $3{owner} ORDER BY x.entry_date DESC, x.id DESC{lim}) y ORDER BY y.entry_date, y.id");
    Ok(on!(db, p => sqlx::query_as::<_, Entry>(dynamic(sql)).bind(estate_id).bind(start).bind(end).fetch_all(p).await)?)
}

fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate)> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| StoreError::Invalid(format!("年度：{year} 无效")))?;
    let end = NaiveDate::from_ymd_opt(year + 1, 1, 1).ok_or_else(|| StoreError::Invalid(format!("年度：{year} 无效")))?;
    Ok((start, end))
}

/// A household's yearly statement line for the estate's statement ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HouseholdStatement {
    pub house_id: i64,
    pub label: String,
    pub owner: String,
    pub statement: Statement,
}

/// Every household's statement for a year in one query (an owner: their own), by house
/// label, for the statement ledger and its export (Art 30 ¶1(3): deposits, use,
/// value-added income and balance of each household account).
pub async fn household_statements(db: &Db, a: &Access, estate_id: i64, year: i32, today: NaiveDate) -> Result<Vec<HouseholdStatement>> {
    let rows = household_rows(db, a, estate_id, false, today).await?;
    let (start, end) = year_bounds(year)?;
    let sums: Vec<(i64, i64, i64, i64, i64, i64)> = on!(db, p => sqlx::query_as(
        "SELECT house_id,
                CAST(COALESCE(SUM(CASE WHEN entry_date < $2 THEN amount ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN entry_date >= $2 AND entry_date < $3 AND kind = 'deposit' THEN amount ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN entry_date >= $2 AND entry_date < $3 AND kind = 'use' THEN amount ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN entry_date >= $2 AND entry_date < $3 AND kind = 'interest' THEN amount ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN entry_date >= $2 AND entry_date < $3 AND kind NOT IN ('deposit', 'use', 'interest') THEN amount ELSE 0 END), 0) AS BIGINT)
         FROM fund_entries WHERE estate_id = $1 AND house_id IS NOT NULL GROUP BY house_id")
        .bind(estate_id).bind(start).bind(end).fetch_all(p).await)?;
    let by_house: std::collections::HashMap<i64, Statement> = sums
        .into_iter()
        .map(|(h, opening, deposits, uses, interest, other)| (h, Statement { year, opening, deposits, uses, interest, other, closing: opening + deposits + uses + interest + other }))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| HouseholdStatement { house_id: r.house_id, label: r.label(), owner: r.owner_snapshot.clone(), statement: by_house.get(&r.house_id).copied().unwrap_or(Statement { year, ..Default::default() }) })
        .collect())
}

/// A deposit rate as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Rate {
    /// Digits of a division code (`64` = 宁夏, `6401` = 银川市).
    pub region_prefix: String,
    pub elevator: bool,
    /// Fen per m² of building area.
    pub fen_per_m2: i64,
    pub effective_from: NaiveDate,
}

/// Every configured deposit rate, by region prefix, elevator, date (anyone who views the
/// fund: rates are published standards).
pub async fn rates(db: &Db, a: &Access) -> Result<Vec<Rate>> {
    a.require(Action::View, Resource::Fund)?;
    Ok(on!(db, p => sqlx::query_as::<_, Rate>("SELECT region_prefix, elevator, fen_per_m2, effective_from FROM fund_rates ORDER BY region_prefix, elevator, effective_from").fetch_all(p).await)?)
}

/// An estate's fund uses, newest first.
pub async fn list_uses(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<FundUse>> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::View, Resource::Fund)?;
    let sql = format!("SELECT {USE_COLS} FROM fund_uses u WHERE u.estate_id = $1 ORDER BY u.id DESC");
    Ok(on!(db, p => sqlx::query_as::<_, FundUse>(dynamic(sql)).bind(estate_id).fetch_all(p).await)?)
}

/// A house in the scope of a fund use, with its label, area and share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UseHouse {
    pub house_id: i64,
    pub building_no: String,
    pub unit_no: String,
    pub room_no: String,
    pub owner_snapshot: String,
    /// Exclusive area at application, hundredths of m².
    pub area: i64,
    /// Fen charged, once charged.
    pub share: Option<i64>,
    /// The household's balance now (fen).
    pub balance: i64,
}

impl UseHouse {
    pub fn label(&self) -> String {
        wuye_domain::registry::house_label(&self.building_no, &self.unit_no, &self.room_no)
    }
}

/// The houses in scope of a fund use with labels (an owner: all of them — the charging
/// scope and shares are disclosed to the owners, Art 30).
pub async fn use_house_rows(db: &Db, a: &Access, id: i64, today: NaiveDate) -> Result<Vec<UseHouse>> {
    get_use(db, a, id, today).await?;
    let mut rows: Vec<UseHouse> = on!(db, p => sqlx::query_as::<_, UseHouse>(
        "SELECT uh.house_id, b.no AS building_no, un.no AS unit_no, h.room_no, f.owner_snapshot, uh.area, uh.share, f.balance
         FROM fund_use_houses uh JOIN houses h ON h.id = uh.house_id JOIN buildings b ON b.id = h.building_id JOIN units un ON un.id = h.unit_id JOIN fund_households f ON f.house_id = uh.house_id
         WHERE uh.fund_use_id = $1 ORDER BY b.no, un.no, h.room_no, uh.house_id").bind(id).fetch_all(p).await)?;
    // An owner sees the rooms and shares of the scope, but only their own names.
    if a.role() == Role::Owner {
        let sql = format!("SELECT h.id FROM fund_use_houses uh JOIN houses h ON h.id = uh.house_id JOIN estates e ON e.id = h.estate_id WHERE uh.fund_use_id = $1 AND {}", a.houses_sql("h", "e", today));
        let own: Vec<i64> = on!(db, p => sqlx::query_scalar(dynamic(sql)).bind(id).fetch_all(p).await)?;
        for r in rows.iter_mut().filter(|r| !own.contains(&r.house_id)) {
            r.owner_snapshot = String::new();
        }
    }
    Ok(rows)
}

/// The open household accounts of an estate in the given buildings (all buildings when
/// empty), by house id: the charging scope of a fund use drawn per building.
pub async fn scope_houses(db: &Db, a: &Access, estate_id: i64, building_ids: &[i64], today: NaiveDate) -> Result<Vec<i64>> {
    Ok(open_households_by_building(db, a, estate_id, today).await?.into_iter().filter(|(_, b)| building_ids.is_empty() || building_ids.contains(b)).map(|(h, _)| h).collect())
}

/// `(house id, building id)` of every open household account of an estate, by house id.
pub async fn open_households_by_building(db: &Db, a: &Access, estate_id: i64, today: NaiveDate) -> Result<Vec<(i64, i64)>> {
    estate_in_scope(db, a, estate_id, today).await?;
    a.require(Action::View, Resource::Fund)?;
    Ok(on!(db, p => sqlx::query_as(
        "SELECT f.house_id, h.building_id FROM fund_households f JOIN houses h ON h.id = f.house_id WHERE f.estate_id = $1 AND f.closed_on IS NULL ORDER BY f.house_id")
        .bind(estate_id).fetch_all(p).await)?)
}
