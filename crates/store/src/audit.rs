//! The audit trail: every write records actor, time, action, object and the values before
//! and after, in the same transaction as the write. Entries are hash-chained
//! ([`wuye_domain::audit`]); [`verify`] walks the chain and names the first broken entry.
//! Personal data never enters the trail in clear: records carry masks and search hashes.

use crate::db::{Db, Result};
use crate::on;
use serde::Serialize;
use wuye_domain::audit::{Broken, Entry, Verifier, entry_hash};

/// Appends an audit entry inside the write transaction `$tx`. Takes the chain's head row
/// first (an `UPDATE` that locks it on PostgreSQL; SQLite writers are already serialised),
/// so concurrent writers append one after the other.
///
/// `$before` and `$after` are `Option<serde_json::Value>`.
#[macro_export]
macro_rules! audit {
    ($tx:expr, $actor:expr, $action:expr, $otype:expr, $oid:expr, $before:expr, $after:expr) => {{
        sqlx::query("UPDATE audit_head SET last_id = last_id WHERE id = 1").execute(&mut *$tx).await?;
        let (last_id, last_hash): (i64, String) = sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetch_one(&mut *$tx).await?;
        let actor: &$crate::access::Actor = $actor;
        let mut entry = wuye_domain::audit::Entry {
            id: last_id + 1,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            actor_id: actor.user_id,
            actor: actor.name.clone(),
            action: String::from($action),
            object_type: String::from($otype),
            object_id: ($oid).to_string(),
            before: $crate::audit::json_text($before),
            after: $crate::audit::json_text($after),
            prev_hash: last_hash,
            hash: String::new(),
        };
        entry.hash = wuye_domain::audit::entry_hash(&entry.prev_hash, &entry);
        sqlx::query("INSERT INTO audit_log (id, at, actor_id, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)")
            .bind(entry.id).bind(&entry.at).bind(entry.actor_id).bind(&entry.actor).bind(&entry.action).bind(&entry.object_type)
            .bind(&entry.object_id).bind(&entry.before).bind(&entry.after).bind(&entry.prev_hash).bind(&entry.hash)
            .execute(&mut *$tx).await?;
        sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1").bind(entry.id).bind(&entry.hash).execute(&mut *$tx).await?;
        entry.id
    }};
}

/// JSON text of an optional value (empty string for none).
pub fn json_text(v: Option<serde_json::Value>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Serialises a record for the trail.
pub fn snapshot<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// One entry as shown on a record's History tab.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor_id: i64,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before_json: String,
    pub after_json: String,
}

/// The history of one object, newest first.
pub async fn history(db: &Db, object_type: &str, object_id: &str, limit: i64) -> Result<Vec<AuditRow>> {
    Ok(on!(db, p => sqlx::query_as::<_, AuditRow>(
        "SELECT id, at, actor_id, actor, action, object_type, object_id, before_json, after_json FROM audit_log
         WHERE object_type = $1 AND object_id = $2 ORDER BY id DESC LIMIT $3")
        .bind(object_type).bind(object_id).bind(limit).fetch_all(p).await)?)
}

/// Recent entries (for the audit page), newest first, optionally of one actor.
pub async fn recent(db: &Db, actor_id: Option<i64>, limit: i64, before_id: Option<i64>) -> Result<Vec<AuditRow>> {
    Ok(on!(db, p => sqlx::query_as::<_, AuditRow>(
        "SELECT id, at, actor_id, actor, action, object_type, object_id, before_json, after_json FROM audit_log
         WHERE ($1 = 0 OR actor_id = $1) AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3")
        .bind(actor_id.unwrap_or(0)).bind(before_id.unwrap_or(0)).bind(limit).fetch_all(p).await)?)
}

/// Result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry checks out, and the head points at the last one.
    Intact { entries: u64 },
    Broken(Broken),
}

/// Walks the chain in id order, in pages, and checks every hash and link; also checks that
/// the head row names the last entry (so deleting the newest entries is detected).
pub async fn verify(db: &Db) -> Result<Verdict> {
    let mut v = Verifier::default();
    let mut after = 0i64;
    let mut last: Option<Entry> = None;
    loop {
        let page: Vec<(i64, String, i64, String, String, String, String, String, String, String, String)> = on!(db, p => sqlx::query_as(
            "SELECT id, at, actor_id, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT 5000")
            .bind(after).fetch_all(p).await)?;
        if page.is_empty() {
            break;
        }
        for (id, at, actor_id, actor, action, object_type, object_id, before, after_json, prev_hash, hash) in page {
            let e = Entry { id, at, actor_id, actor, action, object_type, object_id, before, after: after_json, prev_hash, hash };
            if let Err(b) = v.push(&e) {
                return Ok(Verdict::Broken(b));
            }
            after = e.id;
            last = Some(e);
        }
    }
    let (head_id, head_hash): (i64, String) = on!(db, p => sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetch_one(p).await)?;
    let (lid, lhash) = last.map(|e| (e.id, e.hash)).unwrap_or((0, wuye_domain::audit::GENESIS.to_string()));
    if head_id != lid || head_hash != lhash {
        return Ok(Verdict::Broken(Broken { id: head_id.max(lid), reason: format!("链尾应为记录 #{head_id}，实际最后一条为 #{lid}（末尾的记录可能被删除）") }));
    }
    Ok(Verdict::Intact { entries: v.checked })
}

/// Recomputes an entry's hash as stored (for tools that show where a chain broke).
pub fn recompute(e: &Entry) -> String {
    entry_hash(&e.prev_hash, e)
}
