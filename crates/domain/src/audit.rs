//! The audit trail's hash chain. Every entry's hash covers the previous entry's hash and
//! all of its own fields, so editing, inserting or deleting an entry breaks the chain at
//! that entry; [`verify`] names the first broken one.

use sha2::{Digest, Sha256};

/// The fields of one audit entry that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    /// RFC 3339 UTC timestamp as stored.
    pub at: String,
    /// User id, or 0 for the system (CLI, migrations, demo).
    pub actor_id: i64,
    /// Login name (or `system`).
    pub actor: String,
    /// create | update | delete | import | unmask | login | …
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// JSON of the values before (empty for a creation).
    pub before: String,
    /// JSON of the values after (empty for a deletion).
    pub after: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Hash of the chain's start (there is no previous entry).
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over the previous hash and the entry's fields, each length-prefixed so that
/// no two different entries serialise alike. Lower-case hex.
pub fn entry_hash(prev_hash: &str, e: &Entry) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &e.id.to_string(),
        &e.at,
        &e.actor_id.to_string(),
        &e.actor,
        &e.action,
        &e.object_type,
        &e.object_id,
        &e.before,
        &e.after,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Why the chain breaks at an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("审计记录 #{id} 校验失败: {reason}")]
pub struct Broken {
    pub id: i64,
    pub reason: String,
}

/// Running verification over entries in id order; feed them one by one (so a million
/// entries need not be in memory at once).
#[derive(Debug, Clone)]
pub struct Verifier {
    prev: String,
    last_id: i64,
    pub checked: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier { prev: GENESIS.to_string(), last_id: 0, checked: 0 }
    }
}

impl Verifier {
    pub fn push(&mut self, e: &Entry) -> Result<(), Broken> {
        if e.prev_hash != self.prev {
            let reason = if self.checked == 0 {
                "链首记录的前一哈希不是初始值（之前的记录可能被删除）".to_string()
            } else {
                format!("前一哈希与记录 #{} 不符（之间的记录可能被删除或插入）", self.last_id)
            };
            return Err(Broken { id: e.id, reason });
        }
        let want = entry_hash(&self.prev, e);
        if want != e.hash {
            return Err(Broken { id: e.id, reason: "内容与哈希不符（记录被修改）".into() });
        }
        self.prev = e.hash.clone();
        self.last_id = e.id;
        self.checked += 1;
        Ok(())
    }
}

/// Verifies a whole chain given in id order.
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<u64, Broken> {
    let mut v = Verifier::default();
    for e in entries {
        v.push(e)?;
    }
    Ok(v.checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|id| {
                let mut e = Entry {
                    id,
                    at: format!("2026-11-29T01:00:{id:02}Z"),
                    actor_id: 1,
                    actor: "admin".into(),
                    action: "update".into(),
                    object_type: "estate".into(),
                    object_id: id.to_string(),
                    before: r#"{"name":"甲"}"#.into(),
                    after: r#"{"name":"乙"}"#.into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = entry_hash(&prev, &e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut c = chain(5);
        c[2].after = r#"{"name":"丙"}"#.into();
        assert_eq!(verify(&c).unwrap_err().id, 3);
    }

    #[test]
    fn a_deleted_entry_is_detected_at_the_next() {
        let mut c = chain(5);
        c.remove(1);
        let e = verify(&c).unwrap_err();
        assert_eq!(e.id, 3);
        assert!(e.reason.contains("#1"));
        let mut c = chain(3);
        c.remove(0);
        assert_eq!(verify(&c).unwrap_err().id, 2);
    }

    #[test]
    fn fields_cannot_slide_into_each_other() {
        let mut a = chain(1).remove(0);
        let b = Entry { object_type: "estat".into(), object_id: format!("e{}", a.object_id), ..a.clone() };
        a.hash = entry_hash(GENESIS, &a);
        assert_ne!(entry_hash(GENESIS, &b), a.hash);
    }
}
