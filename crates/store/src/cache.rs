//! Read results remembered per data generation.
//!
//! Every write the platform makes goes through a transaction that appends to the
//! hash-chained audit trail, so `audit_head.last_hash` (with `db_instance.name`, random per
//! database) names the state of the data. A
//! result remembered under the same head, the same statement and the same parameters
//! (today's date and the caller's scope clause included, since both are part of the
//! statement or its parameters) is exactly what the statement would read again. The head
//! is read from the database on every request (with the session, in the same statement),
//! so several stateless app servers sharing one database never serve a stale result:
//! another server's write moves the head and every server reads again. Only list pages and
//! totals are kept, in memory, at most [`MAX_ENTRIES`] of them; whole-list exports are
//! never kept.

use crate::db::{Db, Result};
use crate::on;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// Remembered results before the map is cleared (a page of 50 estates is about 15 KB).
pub const MAX_ENTRIES: usize = 2048;

type Key = (String, String);
type Entries = HashMap<Key, Arc<dyn Any + Send + Sync>>;
static ENABLED: AtomicBool = AtomicBool::new(true);
static ENTRIES: LazyLock<Mutex<Entries>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Turns remembering on or off for the whole process (benchmarks measure both paths).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
    if let Ok(mut m) = ENTRIES.lock() {
        m.clear();
    }
}

/// The database's random name and the head of its audit chain: changes with every
/// audited write.
pub async fn generation(db: &Db) -> Result<String> {
    Ok(on!(db, p => sqlx::query_scalar("SELECT i.name || ':' || h.last_hash FROM audit_head h, db_instance i WHERE h.id = 1 AND i.id = 1").fetch_one(p).await)?)
}

/// The value of `key` (a statement and its parameters) at data generation `gen` (read
/// from the database when `None`): remembered, or computed by `read` (which is not polled
/// on a hit) and remembered.
pub async fn remember<T: Clone + Send + Sync + 'static>(db: &Db, generation: Option<&str>, key: String, read: impl Future<Output = Result<T>>) -> Result<T> {
    if !ENABLED.load(Ordering::Relaxed) {
        return read.await;
    }
    let head = match generation {
        Some(g) => g.to_string(),
        None => self::generation(db).await?,
    };
    let k = (head, key);
    if let Some(v) = ENTRIES.lock().ok().and_then(|m| m.get(&k).and_then(|v| v.downcast_ref::<T>().cloned())) {
        return Ok(v);
    }
    let v = read.await?;
    if let Ok(mut m) = ENTRIES.lock() {
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(k, Arc::new(v.clone()));
    }
    Ok(v)
}
