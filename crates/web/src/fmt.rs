//! Formatting used by pages and exports: areas, money, percentages. Integer in, text out.

use std::borrow::Borrow;
use wuye_domain::coverage::Ratio;
use wuye_domain::units::{format_hundredths, group_thousands};

/// Hundredths of m² as "1,234.56".
pub fn area(h: impl Borrow<i64>) -> String {
    let h = *h.borrow();
    let s = format_hundredths(h);
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let neg = int.starts_with('-');
    let n: i64 = int.trim_start_matches('-').parse().unwrap_or(0);
    format!("{}{}.{}", if neg { "-" } else { "" }, group_thousands(n), frac)
}

/// Hundredths of m² as whole square metres "1,235".
pub fn area_whole(h: impl Borrow<i64>) -> String {
    let h = *h.borrow();
    wuye_domain::units::format_m2_whole(h)
}

/// Hundredths of m² as 万 m² with two decimals: 123_456_789 → "123.46" (rounded half up).
pub fn area_wan(h: impl Borrow<i64>) -> String {
    let h = *h.borrow();
    // 1 万 m² = 1_000_000 hundredths; show hundredths of 万 m².
    let v = (h + 5_000).div_euclid(10_000);
    format_hundredths(v)
}

/// Fen as yuan "1.30".
pub fn yuan(f: impl Borrow<i64>) -> String {
    let f = *f.borrow();
    format_hundredths(f)
}

/// Fen as yuan with thousands separators and two decimals: 309_000_001 → "3,090,000.01".
pub fn yuan_grouped(f: impl Borrow<i64>) -> String {
    area(f)
}

pub fn int(n: impl Borrow<i64>) -> String {
    let n = *n.borrow();
    group_thousands(n)
}

pub fn pct(r: &Ratio) -> String {
    r.percent_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(area(123456789), "1,234,567.89");
        assert_eq!(area(5), "0.05");
        assert_eq!(area_wan(123_456_789), "123.46");
        assert_eq!(area_wan(4_300_000), "4.30");
        assert_eq!(yuan(130), "1.30");
    }
}
