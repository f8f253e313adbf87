//! Property-service coverage (物业服务覆盖率) on three bases: estates, houses and building
//! area. An estate is covered when a service contract with an enterprise is in force today
//! ([`crate::registry::contract_valid_on`]). The provincial target is 70% (mission measure
//! 5); rules.md §5.1 notes no official definition was found, so the target is configurable.

use serde::Serialize;

/// An exact fraction `num / den` with `den >= 0`; `0/0` reads as 0%.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ratio {
    pub num: i64,
    pub den: i64,
}

impl Ratio {
    pub const fn new(num: i64, den: i64) -> Ratio {
        Ratio { num, den }
    }

    /// Tenths of a percent, rounded half up (`2/3` → 667 = 66.7%). `0/0` → 0.
    pub fn permille(self) -> i64 {
        if self.den == 0 {
            return 0;
        }
        let n = self.num as i128 * 1000;
        let d = self.den as i128;
        ((2 * n + d) / (2 * d)) as i64
    }

    /// `"66.7%"`.
    pub fn percent_text(self) -> String {
        let p = self.permille();
        format!("{}.{}%", p / 10, p % 10)
    }

    /// Exact comparison: `self >= other` (cross-multiplied, no rounding). `x/0` is 0.
    pub fn at_least(self, other: Ratio) -> bool {
        if self.den == 0 {
            return other.num == 0;
        }
        self.num as i128 * other.den as i128 >= other.num as i128 * self.den as i128
    }
}

/// The default coverage target: 70%.
pub const DEFAULT_TARGET: Ratio = Ratio::new(70, 100);

/// Coverage figures for one region (or any set of estates). Areas in hundredths of m².
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub estates: i64,
    pub estates_covered: i64,
    pub houses: i64,
    pub houses_covered: i64,
    /// Building area in hundredths of m².
    pub area: i64,
    /// Covered building area in hundredths of m².
    pub area_covered: i64,
}

impl Coverage {
    pub fn by_estates(&self) -> Ratio {
        Ratio::new(self.estates_covered, self.estates)
    }
    pub fn by_houses(&self) -> Ratio {
        Ratio::new(self.houses_covered, self.houses)
    }
    pub fn by_area(&self) -> Ratio {
        Ratio::new(self.area_covered, self.area)
    }

    pub fn add(&mut self, o: &Coverage) {
        self.estates += o.estates;
        self.estates_covered += o.estates_covered;
        self.houses += o.houses;
        self.houses_covered += o.houses_covered;
        self.area += o.area;
        self.area_covered += o.area_covered;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permille_rounds_half_up() {
        assert_eq!(Ratio::new(2, 3).permille(), 667);
        assert_eq!(Ratio::new(1, 3).permille(), 333);
        assert_eq!(Ratio::new(7, 10).percent_text(), "70.0%");
        assert_eq!(Ratio::new(1, 2000).permille(), 1); // 0.05% rounds up to 0.1%
        assert_eq!(Ratio::new(0, 0).percent_text(), "0.0%");
    }

    #[test]
    fn target_is_exact_not_rounded() {
        assert!(Ratio::new(7, 10).at_least(DEFAULT_TARGET));
        // 69.96% prints as 70.0% but misses the target.
        assert_eq!(Ratio::new(6996, 10000).percent_text(), "70.0%");
        assert!(!Ratio::new(6996, 10000).at_least(DEFAULT_TARGET));
        assert!(!Ratio::new(0, 0).at_least(DEFAULT_TARGET));
    }
}
