//! Configuration: defaults, then `DATA_DIR/wuye.toml`, then `WUYE_*` environment
//! variables. Unknown keys are reported, not silently ignored.

use anyhow::Result;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Property-service coverage target in percent (measure 5: at least 70%).
    pub coverage_target_percent: i64,
    /// Key for ID numbers and phones (64 hex or base64); `DATA_DIR/wuye.key` when unset.
    pub data_key: Option<String>,
    /// Mark session cookies Secure (set when served over HTTPS).
    pub secure_cookies: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { coverage_target_percent: 70, data_key: None, secure_cookies: false }
    }
}

const KNOWN: &[&str] = &["coverage_target_percent", "data_dir", "port", "bind", "data_key", "secure_cookies"];

impl Settings {
    pub fn web(&self) -> wuye_web::WebConfig {
        wuye_web::WebConfig { coverage_target_percent: self.coverage_target_percent, today: None, secure_cookies: self.secure_cookies }
    }
}

pub fn load(data_dir: &Path) -> Result<Settings> {
    let file = data_dir.join("wuye.toml");
    let fig = Figment::from(Serialized::defaults(Settings::default())).merge(Toml::file(&file)).merge(Env::prefixed("WUYE_"));
    for (k, _) in std::env::vars() {
        if let Some(rest) = k.strip_prefix("WUYE_") {
            let key = rest.to_ascii_lowercase();
            if !KNOWN.contains(&key.as_str()) && !key.starts_with("test") {
                eprintln!("警告: 未知的环境变量 {k}（已知: {}）", KNOWN.iter().map(|s| format!("WUYE_{}", s.to_uppercase())).collect::<Vec<_>>().join(", "));
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(&file) {
        if let Ok(table) = text.parse::<toml::Table>() {
            for k in table.keys() {
                if !KNOWN.contains(&k.as_str()) {
                    eprintln!("警告: {} 中有未知的配置项 {k}", file.display());
                }
            }
        }
    }
    let s: Settings = fig.extract()?;
    if !(1..=100).contains(&s.coverage_target_percent) {
        anyhow::bail!("coverage_target_percent 应在 1 到 100 之间，实为 {}", s.coverage_target_percent);
    }
    Ok(s)
}

pub fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    if std::io::stderr().is_terminal() {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
}
