//! Administrative divisions (行政区划).
//!
//! Codes are the 12-digit 统计用区划代码 of the National Bureau of Statistics. The level is
//! read from which digits are non-zero: province `PP0000000000`, city `PPCC00000000`,
//! county `PPCCDD000000`, street (乡级) `PPCCDDSSS000`, community (村级) `PPCCDDSSSVVV`.
//! A region's code shares its first [`RegionLevel::prefix_len`] digits with every region
//! beneath it, so a subtree is a prefix match: that is how every regional figure is scoped.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Level of an administrative division, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省级
    Province,
    /// 地级 (市)
    City,
    /// 县级 (区/县/县级市)
    County,
    /// 乡级 (街道/镇/乡)
    Street,
    /// 村级 (社区/居委会/村)
    Community,
}

impl RegionLevel {
    pub const ALL: [RegionLevel; 5] = [Self::Province, Self::City, Self::County, Self::Street, Self::Community];

    /// Number of leading code digits shared by everything in this region's subtree.
    pub fn prefix_len(self) -> usize {
        match self {
            Self::Province => 2,
            Self::City => 4,
            Self::County => 6,
            Self::Street => 9,
            Self::Community => 12,
        }
    }

    pub fn child(self) -> Option<RegionLevel> {
        match self {
            Self::Province => Some(Self::City),
            Self::City => Some(Self::County),
            Self::County => Some(Self::Street),
            Self::Street => Some(Self::Community),
            Self::Community => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
            Self::Street => "street",
            Self::Community => "community",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Province => "省级",
            Self::City => "市级",
            Self::County => "县级",
            Self::Street => "乡镇/街道",
            Self::Community => "村/社区",
        }
    }

    /// Parses the level names used in the divisions file (`village` is accepted for community).
    pub fn parse(s: &str) -> Option<RegionLevel> {
        match s.trim() {
            "province" => Some(Self::Province),
            "city" => Some(Self::City),
            "county" | "area" => Some(Self::County),
            "street" | "town" => Some(Self::Street),
            "community" | "village" => Some(Self::Community),
            _ => None,
        }
    }

    pub fn from_prefix_len(n: usize) -> Option<RegionLevel> {
        Self::ALL.into_iter().find(|l| l.prefix_len() == n)
    }
}

impl fmt::Display for RegionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated 12-digit division code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("区划代码只能包含数字: {0:?}")]
    NotDigits(String),
    #[error("区划代码应为 2、4、6、9 或 12 位数字: {0:?}")]
    BadLength(String),
}

impl RegionCode {
    /// Accepts the short codes of the divisions file (2, 4, 6, 9 or 12 digits) or a full
    /// 12-digit code, and right-pads with `0` to 12 digits.
    ///
    /// Errors: [`RegionCodeError`] when the text is not digits or has another length.
    pub fn parse(s: &str) -> Result<RegionCode, RegionCodeError> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::NotDigits(s.to_string()));
        }
        if ![2, 4, 6, 9, 12].contains(&s.len()) {
            return Err(RegionCodeError::BadLength(s.to_string()));
        }
        let mut full = s.to_string();
        while full.len() < 12 {
            full.push('0');
        }
        Ok(RegionCode(full))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level implied by the code's non-zero digits.
    pub fn level(&self) -> RegionLevel {
        let b = self.0.as_bytes();
        let zero = |r: std::ops::Range<usize>| b[r].iter().all(|&c| c == b'0');
        if !zero(9..12) {
            RegionLevel::Community
        } else if !zero(6..9) {
            RegionLevel::Street
        } else if !zero(4..6) {
            RegionLevel::County
        } else if !zero(2..4) {
            RegionLevel::City
        } else {
            RegionLevel::Province
        }
    }

    /// The digits shared by everything in this region's subtree (`"6401"` for 银川市).
    pub fn prefix(&self) -> &str {
        &self.0[..self.level().prefix_len()]
    }

    /// Whether `other` is this region or lies beneath it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.prefix())
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One row of a divisions file (`code,name,level,parent_code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionRow {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<RegionCode>,
}

/// A problem in a divisions file, with its 1-based line number (header is line 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("第 {line} 行 {field}: {reason}")]
pub struct DivisionError {
    pub line: usize,
    pub field: &'static str,
    pub reason: String,
}

/// Validates the rows of a divisions file as a whole: codes and levels agree, every parent
/// exists in the file (or in `known`, the codes already stored), parents are one level up
/// and prefixes of their children, no code repeats. Returns every problem found.
///
/// `rows` are `(line, code, name, level, parent_code)` as text.
pub fn validate_divisions(
    rows: &[(usize, String, String, String, String)],
    known: &dyn Fn(&RegionCode) -> Option<RegionLevel>,
) -> Result<Vec<DivisionRow>, Vec<DivisionError>> {
    use std::collections::HashMap;
    let mut errs = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut seen: HashMap<RegionCode, (usize, RegionLevel)> = HashMap::new();
    for (line, code, name, level, parent) in rows {
        let line = *line;
        let mut err = |field: &'static str, reason: String| errs.push(DivisionError { line, field, reason });
        let code = match RegionCode::parse(code) {
            Ok(c) => c,
            Err(e) => {
                err("code", e.to_string());
                continue;
            }
        };
        let Some(level) = RegionLevel::parse(level) else {
            err("level", format!("未知层级 {level:?}，应为 province/city/county/street/community(village)"));
            continue;
        };
        if code.level() != level {
            err("level", format!("代码 {} 对应 {}，与所填层级 {} 不符", code, code.level(), level));
            continue;
        }
        if name.trim().is_empty() {
            err("name", "名称为空".into());
            continue;
        }
        let parent_code = if parent.trim().is_empty() {
            if level != RegionLevel::Province {
                err("parent_code", "只有省级区划可以没有上级".into());
                continue;
            }
            None
        } else {
            match RegionCode::parse(parent) {
                Ok(p) => {
                    if p.level().child() != Some(level) || !p.contains(&code) {
                        err("parent_code", format!("{p} 不是 {code} 的上一级区划"));
                        continue;
                    }
                    Some(p)
                }
                Err(e) => {
                    err("parent_code", e.to_string());
                    continue;
                }
            }
        };
        if let Some((first, _)) = seen.get(&code) {
            err("code", format!("代码 {code} 与第 {first} 行重复"));
            continue;
        }
        seen.insert(code.clone(), (line, level));
        out.push(DivisionRow { code, name: name.trim().to_string(), level, parent_code });
    }
    for r in &out {
        if let Some(p) = &r.parent_code {
            if !seen.contains_key(p) && known(p).is_none() {
                let line = seen[&r.code].0;
                errs.push(DivisionError { line, field: "parent_code", reason: format!("上级区划 {p} 不存在") });
            }
        }
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_and_levels() {
        let c = RegionCode::parse("640104").unwrap();
        assert_eq!(c.as_str(), "640104000000");
        assert_eq!(c.level(), RegionLevel::County);
        assert_eq!(c.prefix(), "640104");
        assert_eq!(RegionCode::parse("64").unwrap().level(), RegionLevel::Province);
        assert_eq!(RegionCode::parse("6401").unwrap().level(), RegionLevel::City);
        assert_eq!(RegionCode::parse("640104001").unwrap().level(), RegionLevel::Street);
        assert_eq!(RegionCode::parse("640104001001").unwrap().level(), RegionLevel::Community);
        assert!(RegionCode::parse("6401x").is_err());
        assert!(RegionCode::parse("64010").is_err());
        assert!(RegionCode::parse("").is_err());
    }

    #[test]
    fn containment_is_by_prefix() {
        let yc = RegionCode::parse("6401").unwrap();
        assert!(yc.contains(&RegionCode::parse("640104001001").unwrap()));
        assert!(!yc.contains(&RegionCode::parse("640205").unwrap()));
    }

    #[test]
    fn validates_whole_file() {
        let rows = vec![
            (2, "64".into(), "宁夏".into(), "province".into(), "".into()),
            (3, "6401".into(), "银川市".into(), "city".into(), "64".into()),
            (4, "6401".into(), "重复".into(), "city".into(), "64".into()),
            (5, "640104".into(), "兴庆区".into(), "city".into(), "6401".into()),
            (6, "640199001".into(), "孤儿".into(), "street".into(), "640199".into()),
        ];
        let errs = validate_divisions(&rows, &|_| None).unwrap_err();
        let lines: Vec<_> = errs.iter().map(|e| (e.line, e.field)).collect();
        assert_eq!(lines, vec![(4, "code"), (5, "level"), (6, "parent_code")]);
    }
}
