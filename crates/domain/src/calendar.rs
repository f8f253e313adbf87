//! Working days (工作日): the official calendar of mainland China — weekends, statutory
//! holidays and the weekend days worked in exchange (调休) — plus regional days an
//! administrator adds (Ningxia's 开斋节 and 古尔邦节 are not in any national table).
//!
//! Source of the national table: `datasets/cn-holidays-2004-2026.csv` (the State Council's
//! yearly notices as collected by the npm package `chinese-days` 1.5.7, MIT; see
//! `datasets/PROVENANCE.md`). Years after the table's end count weekends only until an
//! administrator adds the new notice's days.
//!
//! Counting convention: "within N working days" of a day D counts from the next day, so
//! the deadline is the N-th working day after D (D itself does not count, whatever it is).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::BTreeMap;

/// The national table, embedded at build time.
pub const NATIONAL_TABLE: &str = include_str!("../../../datasets/cn-holidays-2004-2026.csv");

/// What a listed day is: a holiday (no work) or an exchanged working day on a weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Holiday,
    Workday,
}

impl DayKind {
    pub fn code(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }
    pub fn parse(s: &str) -> Option<DayKind> {
        match s.trim() {
            "holiday" | "休" | "假日" | "节假日" => Some(DayKind::Holiday),
            "workday" | "班" | "调休上班" | "工作日" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// A calendar: the listed days (holidays and exchanged working days); every other day is
/// a working day from Monday to Friday and a rest day on Saturday and Sunday.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, (DayKind, String)>,
}

impl Calendar {
    /// The national calendar from the embedded table.
    pub fn national() -> Calendar {
        let mut c = Calendar::default();
        for line in NATIONAL_TABLE.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 3 {
                continue;
            }
            if let (Ok(d), Some(k)) = (NaiveDate::parse_from_str(f[0], "%Y-%m-%d"), DayKind::parse(f[1])) {
                c.days.insert(d, (k, f[2].to_string()));
            }
        }
        c
    }

    /// The national calendar with regional days added (they override the national entry
    /// for the same date).
    pub fn with_regional(mut self, extra: impl IntoIterator<Item = (NaiveDate, DayKind, String)>) -> Calendar {
        for (d, k, name) in extra {
            self.days.insert(d, (k, name));
        }
        self
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some((DayKind::Holiday, _)) => false,
            Some((DayKind::Workday, _)) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The holiday's or exchanged day's name, if the day is listed.
    pub fn name_of(&self, d: NaiveDate) -> Option<&str> {
        self.days.get(&d).map(|(_, n)| n.as_str())
    }

    /// The `n`-th working day after `from` (`from` itself never counts). `n = 0` gives
    /// `from`. The deadline of "within n working days of from".
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The first working day strictly after `d`.
    pub fn next_working_day_after(&self, d: NaiveDate) -> NaiveDate {
        self.add_working_days(d, 1)
    }

    /// Working days in `(from, to]`: how many working days have passed since `from` by
    /// the end of `to` (0 when `to <= from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }

    /// The last day of the table (national or added), for the "calendar known until" note.
    pub fn known_until(&self) -> Option<NaiveDate> {
        self.days.keys().next_back().copied()
    }
}

/// `d` plus `months` calendar months, on the same day of the month or the month's last
/// day ("within one month" of 31 January is 28/29 February).
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(months)).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_table_is_read_whole() {
        let c = Calendar::national();
        assert_eq!(c.days.len(), 769, "619 holidays and 150 exchanged working days");
        assert_eq!(c.known_until(), Some(d(2026, 10, 10)));
        assert_eq!(c.name_of(d(2026, 2, 17)), Some("春节"));
    }

    #[test]
    fn spring_festival_2026() {
        // 2026 notice: 15–23 Feb off (9 days), Sat 14 Feb and Sat 28 Feb worked.
        let c = Calendar::national();
        assert!(c.is_working_day(d(2026, 2, 14)), "Saturday worked in exchange");
        assert!(!c.is_working_day(d(2026, 2, 16)));
        assert!(!c.is_working_day(d(2026, 2, 23)), "Monday in lieu");
        assert!(c.is_working_day(d(2026, 2, 28)), "Saturday worked in exchange");
        // Found on Fri 13 Feb, 5 working days: 14 (Sat, worked), 24, 25, 26, 27 Feb.
        assert_eq!(c.add_working_days(d(2026, 2, 13), 5), d(2026, 2, 27));
        // 6 working days: the exchanged Saturday 28 Feb.
        assert_eq!(c.add_working_days(d(2026, 2, 13), 6), d(2026, 2, 28));
        // A deadline on Sat 14 Feb is overdue from the next working day, Tue 24 Feb.
        assert_eq!(c.next_working_day_after(d(2026, 2, 14)), d(2026, 2, 24));
    }

    #[test]
    fn national_day_2025_and_2026() {
        let c = Calendar::national();
        // 2025: 1–8 Oct off, Sun 28 Sep and Sat 11 Oct worked.
        assert_eq!(c.add_working_days(d(2025, 9, 26), 1), d(2025, 9, 28), "Sunday 28 Sep is worked");
        assert_eq!(c.add_working_days(d(2025, 9, 30), 1), d(2025, 10, 9));
        assert_eq!(c.add_working_days(d(2025, 9, 30), 3), d(2025, 10, 11), "Saturday 11 Oct is worked");
        assert_eq!(c.working_days_between(d(2025, 9, 30), d(2025, 10, 12)), 3);
        // 2026: 1–7 Oct off, Sun 20 Sep and Sat 10 Oct worked; Mid-autumn 25–27 Sep.
        assert_eq!(c.add_working_days(d(2026, 9, 24), 1), d(2026, 9, 28));
        assert_eq!(c.add_working_days(d(2026, 9, 30), 2), d(2026, 10, 9));
        assert_eq!(c.add_working_days(d(2026, 9, 30), 3), d(2026, 10, 10));
        assert_eq!(c.next_working_day_after(d(2026, 9, 30)), d(2026, 10, 8));
    }

    #[test]
    fn ordinary_weeks_and_regional_days() {
        let c = Calendar::national();
        assert_eq!(c.add_working_days(d(2026, 11, 27), 1), d(2026, 11, 30), "Friday to Monday");
        assert_eq!(c.add_working_days(d(2026, 11, 28), 0), d(2026, 11, 28));
        assert_eq!(c.add_working_days(d(2026, 11, 23), 10), d(2026, 12, 7));
        // Beyond the table, weekends only; an administrator adds a regional holiday.
        let r = Calendar::national().with_regional([(d(2026, 12, 1), DayKind::Holiday, "地方假日".to_string())]);
        assert_eq!(r.add_working_days(d(2026, 11, 30), 1), d(2026, 12, 2));
        assert_eq!(c.add_working_days(d(2026, 11, 30), 1), d(2026, 12, 1));
    }

    #[test]
    fn months() {
        assert_eq!(add_months(d(2026, 1, 31), 1), d(2026, 2, 28));
        assert_eq!(add_months(d(2026, 3, 15), 1), d(2026, 4, 15));
    }
}
