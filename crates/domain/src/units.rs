//! Quantities kept as integers: areas in hundredths of a square metre, money in fen.
//! Never floating point (GUIDE §1): vote shares and fund splits are computed on these.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("不是数字: {0:?}")]
    NotNumber(String),
    #[error("最多两位小数: {0:?}")]
    TooPrecise(String),
    #[error("数值过大: {0:?}")]
    TooLarge(String),
    #[error("不能为负数: {0:?}")]
    Negative(String),
}

/// Parses a decimal text with at most two decimals into hundredths (`"94.56"` → 9456,
/// `"1.3"` → 130, `"-2"` → -200). Thousands separators `,` and full-width digits are not
/// accepted; surrounding blanks are trimmed.
pub fn parse_hundredths(s: &str) -> Result<i64, QuantityError> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QuantityError::NotNumber(s.to_string()));
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 2 {
        return Err(QuantityError::TooPrecise(s.to_string()));
    }
    if int.len() > 15 {
        return Err(QuantityError::TooLarge(s.to_string()));
    }
    let i: i64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| QuantityError::TooLarge(s.to_string()))? };
    let mut f: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| QuantityError::NotNumber(s.to_string()))? };
    if frac.len() == 1 {
        f *= 10;
    }
    let v = i * 100 + f;
    Ok(if neg { -v } else { v })
}

/// Converts a spreadsheet number to hundredths, refusing values with more than two
/// decimals (a binary float such as 94.56 is accepted as 9456).
pub fn f64_to_hundredths(x: f64) -> Result<i64, QuantityError> {
    if !x.is_finite() || x.abs() > 1e13 {
        return Err(QuantityError::TooLarge(x.to_string()));
    }
    let scaled = x * 100.0;
    let r = scaled.round();
    if (scaled - r).abs() > 1e-6 * scaled.abs().max(1.0) {
        return Err(QuantityError::TooPrecise(x.to_string()));
    }
    Ok(r as i64)
}

/// Formats hundredths as a decimal with exactly two places (`9456` → `"94.56"`).
pub fn format_hundredths(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Formats hundredths trimming trailing zeros (`9400` → `"94"`, `9450` → `"94.5"`).
pub fn format_hundredths_short(v: i64) -> String {
    let s = format_hundredths(v);
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}

/// Area in hundredths of a square metre (0.01 m²).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Area(pub i64);

impl Area {
    /// Parses square metres as text, e.g. `"94.56"`. Errors on more than two decimals.
    pub fn parse_m2(s: &str) -> Result<Area, QuantityError> {
        parse_hundredths(s).map(Area)
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_hundredths(self.0))
    }
}

/// Money in fen (0.01 元).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

impl Fen {
    /// Parses yuan as text, e.g. `"1.30"` → 130 fen.
    pub fn parse_yuan(s: &str) -> Result<Fen, QuantityError> {
        parse_hundredths(s).map(Fen)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_hundredths(self.0))
    }
}

/// Groups an integer with thousands separators (`1234567` → `"1,234,567"`).
pub fn group_thousands(v: i64) -> String {
    let s = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Formats hundredths of m² as whole square metres with thousands separators, rounding
/// half up (`123456789` → `"1,234,568"`).
pub fn format_m2_whole(h: i64) -> String {
    group_thousands((h + 50).div_euclid(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_hundredths() {
        assert_eq!(parse_hundredths("94.56"), Ok(9456));
        assert_eq!(parse_hundredths(" 1.3 "), Ok(130));
        assert_eq!(parse_hundredths("100"), Ok(10000));
        assert_eq!(parse_hundredths("0.05"), Ok(5));
        assert_eq!(parse_hundredths(".5"), Ok(50));
        assert_eq!(parse_hundredths("-2"), Ok(-200));
        assert_eq!(parse_hundredths("94.5600"), Ok(9456));
        assert!(matches!(parse_hundredths("94.567"), Err(QuantityError::TooPrecise(_))));
        assert!(matches!(parse_hundredths("abc"), Err(QuantityError::NotNumber(_))));
        assert!(matches!(parse_hundredths(""), Err(QuantityError::NotNumber(_))));
        assert!(matches!(parse_hundredths("1,000"), Err(QuantityError::NotNumber(_))));
    }

    #[test]
    fn floats_from_sheets() {
        assert_eq!(f64_to_hundredths(94.56), Ok(9456));
        assert_eq!(f64_to_hundredths(0.1 + 0.2), Ok(30));
        assert_eq!(f64_to_hundredths(120.0), Ok(12000));
        assert!(matches!(f64_to_hundredths(1.005), Err(QuantityError::TooPrecise(_))));
        assert!(matches!(f64_to_hundredths(94.567), Err(QuantityError::TooPrecise(_))));
    }

    #[test]
    fn formats() {
        assert_eq!(format_hundredths(9456), "94.56");
        assert_eq!(format_hundredths(5), "0.05");
        assert_eq!(format_hundredths(-250), "-2.50");
        assert_eq!(format_hundredths_short(9400), "94");
        assert_eq!(format_hundredths_short(9450), "94.5");
        assert_eq!(group_thousands(1234567), "1,234,567");
        assert_eq!(group_thousands(-1000), "-1,000");
        assert_eq!(format_m2_whole(123456789), "1,234,568");
    }
}
