//! Protected personal data (rules.md §8; PIPL Art 51: encryption and de-identification).
//!
//! ID numbers and phone numbers are stored three ways, never in plain text:
//! - **encrypted** with AES-256-GCM under a key from configuration (`enc` columns:
//!   `v1:<key id>:<base64 nonce‖ciphertext>`), read back only to show a value unmasked to
//!   a role allowed to see it, and every such view is logged;
//! - as a **keyed hash** (HMAC-SHA-256 under a key derived from the same master key), so an
//!   exact search by ID number or phone still works (`hash` columns);
//! - **masked** for display (`mask` columns: `640104********1234`, `139****5678`).
//!
//! The master key is 32 bytes, given as 64 hex characters or base64 in `WUYE_DATA_KEY`
//! (or `data_key` in the configuration file); without one, a random key is created in
//! `DATA_DIR/wuye.key` on first start. Several app servers sharing one PostgreSQL must share
//! the key. `wuye key rotate` re-encrypts everything under a new key.

use aes_gcm::aead::{Aead, Generate, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock, RwLock};

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("数据加密密钥应为 32 字节（64 位十六进制或 base64），实为 {0} 字节")]
    Length(usize),
    #[error("数据加密密钥格式错误：应为 64 位十六进制或 base64")]
    Format,
    #[error("无法读取或创建密钥文件 {path}: {reason}")]
    File { path: String, reason: String },
    #[error("密文由另一把密钥（{0}）加密；请用原密钥运行，或先 wuye key rotate")]
    WrongKey(String),
    #[error("密文无法解密（数据被篡改或密钥不符）")]
    Decrypt,
    #[error("尚未配置个人信息加密密钥")]
    NotInstalled,
}

/// The keys derived from one master key.
pub struct Keyring {
    cipher: Aes256Gcm,
    mac_key: [u8; 32],
    /// First 8 hex characters of SHA-256 of the master key: names the key in ciphertexts.
    pub key_id: String,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring({})", self.key_id)
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut m = <HmacSha256 as hmac::KeyInit>::new_from_slice(master).expect("any key length");
    m.update(label.as_bytes());
    let out = m.finalize().into_bytes();
    let mut k = [0u8; 32];
    k.copy_from_slice(&out);
    k
}

/// Parses a master key written as 64 hex characters or base64 (with or without padding).
pub fn parse_key(text: &str) -> Result<[u8; 32], KeyError> {
    let t = text.trim();
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16).map_err(|_| KeyError::Format)).collect::<Result<Vec<u8>, _>>()?
    } else {
        base64::engine::general_purpose::STANDARD.decode(t).or_else(|_| B64.decode(t)).map_err(|_| KeyError::Format)?
    };
    let n = bytes.len();
    bytes.try_into().map_err(|_| KeyError::Length(n))
}

/// A fresh random master key as 64 hex characters.
pub fn generate_key_hex() -> String {
    let mut k = [0u8; 32];
    getrandom::fill(&mut k).expect("operating system randomness");
    k.iter().map(|b| format!("{b:02x}")).collect()
}

impl Keyring {
    pub fn new(master: &[u8; 32]) -> Keyring {
        let enc = derive(master, "wuye pii encryption v1");
        let mac_key = derive(master, "wuye pii search hash v1");
        let id: String = Sha256::digest(master).iter().take(4).map(|b| format!("{b:02x}")).collect();
        Keyring { cipher: Aes256Gcm::new_from_slice(&enc).expect("32-byte key"), mac_key, key_id: id }
    }

    pub fn from_text(text: &str) -> Result<Keyring, KeyError> {
        Ok(Keyring::new(&parse_key(text)?))
    }

    /// The key from `WUYE_DATA_KEY` / configuration if given, else from `dir/wuye.key`,
    /// creating that file (mode 0600) with a random key when it does not exist.
    pub fn load(configured: Option<&str>, dir: &std::path::Path) -> Result<Keyring, KeyError> {
        if let Some(t) = configured.filter(|t| !t.trim().is_empty()) {
            return Keyring::from_text(t);
        }
        let path = dir.join("wuye.key");
        let err = |e: std::io::Error| KeyError::File { path: path.display().to_string(), reason: e.to_string() };
        match std::fs::read_to_string(&path) {
            Ok(t) => Keyring::from_text(&t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(err)?;
                let hex = generate_key_hex();
                write_private(&path, &hex).map_err(err)?;
                Keyring::from_text(&hex)
            }
            Err(e) => Err(err(e)),
        }
    }

    /// Encrypts a value: `v1:<key id>:<base64 nonce‖ciphertext‖tag>`.
    pub fn encrypt(&self, plain: &str) -> String {
        let nonce = Nonce::generate();
        let ct = self.cipher.encrypt(&nonce, plain.as_bytes()).expect("AES-GCM encryption of a short value");
        let mut buf = Vec::with_capacity(12 + ct.len());
        buf.extend_from_slice(nonce.as_slice());
        buf.extend_from_slice(&ct);
        format!("v1:{}:{}", self.key_id, B64.encode(buf))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, KeyError> {
        let mut parts = stored.splitn(3, ':');
        let (v, kid, body) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if v != "v1" {
            return Err(KeyError::Decrypt);
        }
        if kid != self.key_id {
            return Err(KeyError::WrongKey(kid.to_string()));
        }
        let raw = B64.decode(body).map_err(|_| KeyError::Decrypt)?;
        if raw.len() < 12 + 16 {
            return Err(KeyError::Decrypt);
        }
        let nonce = Nonce::try_from(&raw[..12]).map_err(|_| KeyError::Decrypt)?;
        let pt = self.cipher.decrypt(&nonce, &raw[12..]).map_err(|_| KeyError::Decrypt)?;
        String::from_utf8(pt).map_err(|_| KeyError::Decrypt)
    }

    /// Keyed hash for exact search (lower-case hex of HMAC-SHA-256), of the normalised
    /// value.
    pub fn search_hash(&self, normalised: &str) -> String {
        let mut m = <HmacSha256 as hmac::KeyInit>::new_from_slice(&self.mac_key).expect("any key length");
        m.update(normalised.as_bytes());
        m.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The three stored forms of an ID number (already validated and normalised).
    pub fn protect_id(&self, id: &str) -> Protected {
        Protected { enc: self.encrypt(id), hash: self.search_hash(id), mask: wuye_domain::ids::mask_id_number(id) }
    }

    /// The three stored forms of a phone number (already validated and normalised).
    pub fn protect_phone(&self, phone: &str) -> Protected {
        Protected { enc: self.encrypt(phone), hash: self.search_hash(phone), mask: wuye_domain::ids::mask_phone(phone) }
    }
}

/// A protected value: ciphertext, search hash and display mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    pub enc: String,
    pub hash: String,
    pub mask: String,
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

static KEYS: OnceLock<RwLock<Arc<Keyring>>> = OnceLock::new();

/// Installs the process's keyring (at start-up). Installing again replaces it.
pub fn install(k: Keyring) {
    let slot = KEYS.get_or_init(|| RwLock::new(Arc::new(Keyring::new(&[0u8; 32]))));
    *slot.write().expect("keyring lock") = Arc::new(k);
    INSTALLED.get_or_init(|| ());
}

static INSTALLED: OnceLock<()> = OnceLock::new();

/// The installed keyring. Errors when none was installed.
pub fn keys() -> Result<Arc<Keyring>, KeyError> {
    if INSTALLED.get().is_none() {
        return Err(KeyError::NotInstalled);
    }
    Ok(KEYS.get().expect("installed").read().expect("keyring lock").clone())
}

/// Installs a fixed key if none is installed yet (tests and tools that do not read
/// configuration).
pub fn ensure_test_keys() {
    if INSTALLED.get().is_none() {
        install(Keyring::new(&[7u8; 32]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let k = Keyring::new(&[1u8; 32]);
        let c = k.encrypt("64010419900101123X");
        assert!(c.starts_with(&format!("v1:{}:", k.key_id)));
        assert!(!c.contains("640104"));
        assert_eq!(k.decrypt(&c).unwrap(), "64010419900101123X");
        assert_ne!(k.encrypt("64010419900101123X"), c, "random nonce");
        let mut bad = c.clone();
        bad.pop();
        bad.push(if c.ends_with('A') { 'B' } else { 'A' });
        assert!(matches!(k.decrypt(&bad), Err(KeyError::Decrypt)));
        let other = Keyring::new(&[2u8; 32]);
        assert!(matches!(other.decrypt(&c), Err(KeyError::WrongKey(_))));
    }

    #[test]
    fn search_hash_is_keyed_and_stable() {
        let k = Keyring::new(&[1u8; 32]);
        assert_eq!(k.search_hash("13951234567"), k.search_hash("13951234567"));
        assert_ne!(k.search_hash("13951234567"), Keyring::new(&[2u8; 32]).search_hash("13951234567"));
        let p = k.protect_phone("13951235678");
        assert_eq!(p.mask, "139****5678");
    }

    #[test]
    fn keys_parse_from_hex_or_base64() {
        let hex = generate_key_hex();
        assert_eq!(parse_key(&hex).unwrap().len(), 32);
        let b = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        assert_eq!(parse_key(&b).unwrap(), [9u8; 32]);
        assert!(matches!(parse_key("abcd"), Err(KeyError::Format) | Err(KeyError::Length(_))));
    }

    #[test]
    fn key_file_is_created_once() {
        let d = tempfile::tempdir().unwrap();
        let a = Keyring::load(None, d.path()).unwrap();
        let b = Keyring::load(None, d.path()).unwrap();
        assert_eq!(a.key_id, b.key_id);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.path().join("wuye.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

/// Re-encrypts every stored ID number and phone from `old` to `new` in one transaction:
/// ciphertexts, search hashes, masks, and the owner keys built on ID-number hashes.
/// Returns the number of owners and occupants rewritten.
pub async fn rotate(db: &crate::Db, by: &crate::access::Access, old: &Keyring, new: &Keyring) -> Result<(u64, u64), crate::StoreError> {
    use crate::{audit, begin_write, on};
    let bad = |e: KeyError| crate::StoreError::Invalid(e.to_string());
    if old.key_id == new.key_id {
        return Err(crate::StoreError::Invalid("新密钥与当前密钥相同".into()));
    }
    on!(db, p => {
        let mut tx = begin_write!(db, p)?;
        let owners: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as("SELECT id, owner_key, id_number_enc, phone_enc FROM owners").fetch_all(&mut *tx).await?;
        for (id, key, ide, phe) in &owners {
            let idp = match ide { Some(c) => Some(new.protect_id(&old.decrypt(c).map_err(bad)?)), None => None };
            let php = match phe { Some(c) => Some(new.protect_phone(&old.decrypt(c).map_err(bad)?)), None => None };
            let key = match (&idp, key.starts_with("idh:")) {
                (Some(x), true) => format!("idh:{}", x.hash),
                _ => key.clone(),
            };
            sqlx::query("UPDATE owners SET owner_key = $1, id_number_enc = $2, id_number_hash = $3, id_number_mask = $4, phone_enc = $5, phone_hash = $6, phone_mask = $7 WHERE id = $8")
                .bind(&key)
                .bind(idp.as_ref().map(|x| &x.enc)).bind(idp.as_ref().map(|x| &x.hash)).bind(idp.as_ref().map(|x| &x.mask))
                .bind(php.as_ref().map(|x| &x.enc)).bind(php.as_ref().map(|x| &x.hash)).bind(php.as_ref().map(|x| &x.mask))
                .bind(id).execute(&mut *tx).await?;
        }
        let occ: Vec<(i64, String)> = sqlx::query_as("SELECT id, phone_enc FROM occupants WHERE phone_enc IS NOT NULL").fetch_all(&mut *tx).await?;
        for (id, c) in &occ {
            let p = new.protect_phone(&old.decrypt(c).map_err(bad)?);
            sqlx::query("UPDATE occupants SET phone_enc = $1, phone_mask = $2 WHERE id = $3").bind(&p.enc).bind(&p.mask).bind(id).execute(&mut *tx).await?;
        }
        audit!(tx, by.actor(), "rotate_key", "pii", new.key_id.as_str(), Some(serde_json::json!({"key_id": old.key_id})), Some(serde_json::json!({"key_id": new.key_id, "owners": owners.len(), "occupants": occ.len()})));
        tx.commit().await?;
        Ok::<(u64, u64), crate::StoreError>((owners.len() as u64, occ.len() as u64))
    })
}
