//! Credit of property service enterprises (信用评价, rules.md §4): schemes as configuration
//! (base score, good and bad items with point ranges and validity, grade bands, cycle,
//! black list, red list, barred grades), which records count on a day, the score with a
//! line of explanation per record, item validation, and the objection deadline.
//! Pure: callers pass "today" and the working-day calendar.
//!
//! Common model (rules.md §4): **score = base + good-conduct bonus − bad-conduct deductions**,
//! all in TENTHS of a point (85.5 points = 855).
//!
//! Validity (rules.md §4, Yantai): a record lasts as long as the underlying information; when
//! no term is set, **one year**. Exact rule used here: a record occurring on day D with a
//! validity of N months counts from its `effective_on` up to and including
//! `add_months(D, N) − 1 day` (occurred 2025-03-10 → last day 2026-03-09; it no longer counts
//! on 2026-03-10). A serious bad record has no end: it counts until rectified — on the day
//! of `rectified_on` it no longer counts.
//!
//! Annual cycle (Shangqiu: Jan 1–Dec 31, re-rated each year): only records that occurred in
//! the cycle containing "on" count; a serious record not yet rectified still counts [U].
//!
//! Built-in schemes: [`yantai_2022`], [`shangqiu_2022`], [`shandong`]. The items and their
//! point ranges are not in rules.md (the sources' tables were not found): they are marked [U]
//! and editable (schemes are serde JSON).

use crate::calendar::{Calendar, add_months};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Good (优良信用信息, a bonus) or bad (不良信用信息, a deduction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Good,
    Bad,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Good => "good",
            Kind::Bad => "bad",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "good" => Some(Kind::Good),
            "bad" => Some(Kind::Bad),
            _ => None,
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::Good => "良好信用信息",
            Kind::Bad => "不良信用信息",
        }
    }
}

/// Life of a record: `pending` (entered, objection window open), `objected` (an objection
/// awaits the regulator), `effective` (counts and is published), `revoked` (objection
/// accepted or withdrawn by the regulator; never counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Pending,
    Objected,
    Effective,
    Revoked,
}

impl State {
    pub const ALL: [State; 4] = [State::Pending, State::Objected, State::Effective, State::Revoked];
    pub fn code(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Objected => "objected",
            State::Effective => "effective",
            State::Revoked => "revoked",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            State::Pending => "公示中（异议期）",
            State::Objected => "异议审核中",
            State::Effective => "已生效",
            State::Revoked => "已撤销",
        }
    }
}

/// Where a record comes from (pinned schema `credit_records.source`).
pub const SOURCES: [(&str, &str); 9] = [
    ("regulator", "住房和城乡建设主管部门"),
    ("street", "街道办事处/乡镇"),
    ("court", "人民法院"),
    ("arbitration", "仲裁机构"),
    ("association", "物业管理行业协会"),
    ("owner_rating", "业主评价"),
    ("complaint", "投诉查实"),
    ("party", "党组织"),
    ("other", "其他"),
];

/// The Chinese label of a source code, or the code itself.
pub fn source_label_zh(code: &str) -> &str {
    SOURCES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or(code)
}

/// Evaluation cycle: `annual` (re-rated each cycle; the cycle starts on month/day each
/// year, Shangqiu: Jan 1) or `real_time` (Yantai, Shandong: the score changes as records
/// come and go).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cycle {
    Annual { start_month: u32, start_day: u32 },
    RealTime,
}

impl Cycle {
    /// The first day of the cycle containing `on` (`None` for real time).
    pub fn start(&self, on: NaiveDate) -> Option<NaiveDate> {
        match *self {
            Cycle::RealTime => None,
            Cycle::Annual { start_month, start_day } => {
                let s = NaiveDate::from_ymd_opt(on.year(), start_month, start_day)
                    .unwrap_or_else(|| NaiveDate::from_ymd_opt(on.year(), 1, 1).unwrap());
                if s > on { Some(add_months_back_year(s)) } else { Some(s) }
            }
        }
    }
}

fn add_months_back_year(d: NaiveDate) -> NaiveDate {
    d.with_year(d.year() - 1).unwrap_or(d - Duration::days(365))
}

/// One good or bad item of a scheme's tables: points are a range `min_tenths..=max_tenths`
/// (magnitudes, > 0) from which the regulator picks. `serious`: a serious bad record
/// (严重失信) — no end date, counts until rectified, and black-lists when the scheme says
/// so. `validity_months`: overrides the scheme's default validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub code: String,
    pub kind: Kind,
    pub label_zh: String,
    pub min_tenths: i64,
    pub max_tenths: i64,
    #[serde(default)]
    pub serious: bool,
    #[serde(default)]
    pub validity_months: Option<u32>,
}

/// Which records a band requires besides the score: any, none bad (Shandong: B includes
/// < 60 with no bad records), or at least one bad (Shandong: C < 60 with bad records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BandCondition {
    #[default]
    Any,
    NoBadRecords,
    HasBadRecords,
}

/// A grade band: the total is at least `min_tenths` (`min_inclusive`) or more than it (not
/// inclusive; Shangqiu AAA "100分以上" = more than 100). `min_tenths = None`: no lower bound.
/// Bands are tried in order; the first that matches gives the grade; none matching =
/// unrated (`""`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub grade: String,
    pub min_tenths: Option<i64>,
    #[serde(default = "yes")]
    pub min_inclusive: bool,
    #[serde(default)]
    pub condition: BandCondition,
}

fn yes() -> bool {
    true
}

impl Band {
    fn matches(&self, total: i64, bad_counted: bool) -> bool {
        let above = match self.min_tenths {
            None => true,
            Some(m) if self.min_inclusive => total >= m,
            Some(m) => total > m,
        };
        let cond = match self.condition {
            BandCondition::Any => true,
            BandCondition::NoBadRecords => !bad_counted,
            BandCondition::HasBadRecords => bad_counted,
        };
        above && cond
    }
}

/// A row of the owner-rating table: an owners' rating (0..=1000 tenths) of at least
/// `min_tenths` produces a record of `kind` under `item_code` with `points_tenths`
/// (0 = no record). Rows are tried in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRatingRow {
    pub min_tenths: i64,
    pub kind: Kind,
    pub item_code: String,
    pub points_tenths: i64,
}

/// A credit scheme: one jurisdiction's rules as configuration (rules.md §4 [D]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheme {
    pub code: String,
    pub name_zh: String,
    /// The document and where it is cited (rules.md §4).
    pub source: String,
    pub base_tenths: i64,
    /// The most the good records add (Yantai: 40 points = 400); `None` = no cap.
    pub bonus_cap_tenths: Option<i64>,
    /// The most the bad records deduct; `None` = no cap.
    pub deduction_cap_tenths: Option<i64>,
    pub cycle: Cycle,
    /// Default validity of a record in months (1 year = 12).
    pub validity_months: u32,
    pub items: Vec<Item>,
    /// Highest grade first.
    pub bands: Vec<Band>,
    /// A counting serious bad record puts the enterprise on the black list (grade `black`).
    pub black_list_on_serious: bool,
    /// A total below this is black-listed (Shangqiu: "C and below" = below 70 → 黑榜).
    #[serde(default)]
    pub black_list_below_tenths: Option<i64>,
    /// Grades on the red list (红榜).
    #[serde(default)]
    pub red_list_grades: Vec<String>,
    /// Grades barred from tendering (the region's setting may override).
    pub bar_grades: Vec<String>,
    /// Owners' ratings → records.
    #[serde(default)]
    pub owner_rating: Vec<OwnerRatingRow>,
}

/// Errors of the credit rules; messages name the field and the reason (Chinese).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    #[error("信用事项：方案“{scheme}”中没有事项 {item}")]
    UnknownItem { scheme: String, item: String },
    #[error("分值：事项“{label}”({item}) 的分值应在 {min}–{max} 分之间，收到 {got} 分")]
    OutOfRange { item: String, label: String, min: String, max: String, got: String },
    #[error("方案：{0}")]
    BadScheme(String),
}

/// Points in tenths as text: 855 → "85.5", 800 → "80.0", −25 → "-2.5".
pub fn fmt_tenths(t: i64) -> String {
    let sign = if t < 0 { "-" } else { "" };
    format!("{sign}{}.{}", t.abs() / 10, t.abs() % 10)
}

/// Parses "85.5" / "85" / "-2.5" into tenths (at most one decimal). `None` if not a number.
pub fn parse_tenths(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit()) || frac.len() > 1 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v = int.parse::<i64>().ok()? * 10 + if frac.is_empty() { 0 } else { frac.parse::<i64>().ok()? };
    Some(if neg { -v } else { v })
}

/// Chinese name of a grade code.
pub fn grade_label_zh(grade: &str) -> &str {
    match grade {
        "AAAA" => "AAAA（4A）",
        "AAA" => "AAA（优秀）",
        "AA" => "AA（良好）",
        "A" => "A（较好）",
        "B" => "B（一般）",
        "C" => "C（较差）",
        "black" => "黑名单（严重失信）",
        "missing" => "C（缺失：未纳入信用管理）",
        "" => "不予评级",
        g => g,
    }
}

impl Scheme {
    /// Loads a scheme from JSON and checks it ([`Scheme::validate`]).
    pub fn from_json(s: &str) -> Result<Scheme, CreditError> {
        let sc: Scheme = serde_json::from_str(s).map_err(|e| CreditError::BadScheme(e.to_string()))?;
        sc.validate()?;
        Ok(sc)
    }

    /// The scheme as pretty JSON (for editing).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks: a code; items with unique codes and 0 < min ≤ max; at least one band.
    pub fn validate(&self) -> Result<(), CreditError> {
        if self.code.trim().is_empty() {
            return Err(CreditError::BadScheme("代码不能为空".into()));
        }
        if self.bands.is_empty() {
            return Err(CreditError::BadScheme("至少需要一个等级".into()));
        }
        for (i, it) in self.items.iter().enumerate() {
            if it.min_tenths <= 0 || it.min_tenths > it.max_tenths {
                return Err(CreditError::BadScheme(format!("事项 {} 的分值范围无效", it.code)));
            }
            if self.items[..i].iter().any(|o| o.code == it.code) {
                return Err(CreditError::BadScheme(format!("事项代码 {} 重复", it.code)));
            }
        }
        for r in &self.owner_rating {
            if r.points_tenths > 0 && self.item(&r.item_code).is_none() {
                return Err(CreditError::BadScheme(format!("业主评价对应的事项 {} 不存在", r.item_code)));
            }
        }
        Ok(())
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    /// Checks that `item_code` exists and `points_tenths` lies in its range.
    /// Errors: [`CreditError::UnknownItem`], [`CreditError::OutOfRange`] naming the item and range.
    pub fn check_points(&self, item_code: &str, points_tenths: i64) -> Result<&Item, CreditError> {
        let it = self
            .item(item_code)
            .ok_or_else(|| CreditError::UnknownItem { scheme: self.name_zh.clone(), item: item_code.to_string() })?;
        if points_tenths < it.min_tenths || points_tenths > it.max_tenths {
            return Err(CreditError::OutOfRange {
                item: it.code.clone(),
                label: it.label_zh.clone(),
                min: fmt_tenths(it.min_tenths),
                max: fmt_tenths(it.max_tenths),
                got: fmt_tenths(points_tenths),
            });
        }
        Ok(it)
    }

    /// The last day a record of `item` occurring on `occurred_on` counts: `None` for a
    /// serious item (until rectified), else `add_months(occurred_on, months) − 1 day`.
    pub fn valid_until(&self, item: &Item, occurred_on: NaiveDate) -> Option<NaiveDate> {
        if item.serious {
            return None;
        }
        let months = item.validity_months.unwrap_or(self.validity_months);
        Some(add_months(occurred_on, months) - Duration::days(1))
    }

    /// The grade of a total (bands in order); `""` (unrated) when no band matches.
    pub fn grade_of(&self, total_tenths: i64, bad_counted: bool) -> String {
        self.bands.iter().find(|b| b.matches(total_tenths, bad_counted)).map(|b| b.grade.clone()).unwrap_or_default()
    }

    /// The record an owners' rating of `rating_tenths` (0..=1000) produces: (kind, item,
    /// points), or `None` when the table gives none.
    pub fn owner_rating_record(&self, rating_tenths: i64) -> Option<(Kind, &Item, i64)> {
        let row = self.owner_rating.iter().find(|r| rating_tenths >= r.min_tenths)?;
        if row.points_tenths <= 0 {
            return None;
        }
        let it = self.item(&row.item_code)?;
        Some((row.kind, it, row.points_tenths))
    }
}

/// A record as the rules see it (a row of `credit_records`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub id: i64,
    pub kind: Kind,
    pub item_code: String,
    /// Magnitude (> 0); the sign comes from `kind`.
    pub points_tenths: i64,
    pub serious: bool,
    pub state: State,
    pub occurred_on: NaiveDate,
    pub effective_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub rectified_on: Option<NaiveDate>,
}

/// Why a record counts or not on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "date", rename_all = "snake_case")]
pub enum Status {
    Counted,
    Pending,
    Objected,
    Revoked,
    /// Effective from this day (later than "on").
    NotYetEffective(NaiveDate),
    /// Its last day was this day.
    Expired(NaiveDate),
    /// Rectified on this day.
    Rectified(NaiveDate),
    /// Occurred before the cycle that started on this day.
    OtherCycle(NaiveDate),
}

impl Status {
    pub fn counted(&self) -> bool {
        matches!(self, Status::Counted)
    }
    /// In Chinese, for the credit file.
    pub fn label_zh(&self) -> String {
        match self {
            Status::Counted => "计分".into(),
            Status::Pending => "公示中，异议期满后生效".into(),
            Status::Objected => "异议审核中，不计分".into(),
            Status::Revoked => "已撤销，不计分".into(),
            Status::NotYetEffective(d) => format!("{d} 起生效"),
            Status::Expired(d) => format!("有效期至 {d}，已过期"),
            Status::Rectified(d) => format!("{d} 整改验收，不再计分"),
            Status::OtherCycle(d) => format!("不属于自 {d} 起的本评价周期"),
        }
    }
}

/// Whether (and why not) `r` counts on `on` under `scheme` (module docs: validity, cycle).
pub fn status_on(scheme: &Scheme, r: &Record, on: NaiveDate) -> Status {
    match r.state {
        State::Pending => return Status::Pending,
        State::Objected => return Status::Objected,
        State::Revoked => return Status::Revoked,
        State::Effective => {}
    }
    let from = r.effective_on.unwrap_or(r.occurred_on).max(r.occurred_on);
    if from > on {
        return Status::NotYetEffective(from);
    }
    let open_serious = r.serious && r.valid_until.is_none();
    if open_serious {
        if let Some(rd) = r.rectified_on {
            if rd <= on {
                return Status::Rectified(rd);
            }
        }
        return Status::Counted;
    }
    if let Some(last) = r.valid_until {
        if last < on {
            return Status::Expired(last);
        }
    }
    if let Some(start) = scheme.cycle.start(on) {
        if r.occurred_on < start {
            return Status::OtherCycle(start);
        }
    }
    Status::Counted
}

/// One line of a score's explanation: the record, its signed points, and whether it counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub record_id: i64,
    pub kind: Kind,
    pub item_code: String,
    /// Signed: + for good, − for bad.
    pub points_tenths: i64,
    pub serious: bool,
    pub status: Status,
    pub why_zh: String,
}

/// A computed score on a day (all points in tenths).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub scheme_code: String,
    pub on: NaiveDate,
    pub base_tenths: i64,
    /// Sum of counted good records, capped at the scheme's bonus cap.
    pub bonus_tenths: i64,
    /// Sum of counted bad records (a magnitude), capped at the deduction cap.
    pub deduction_tenths: i64,
    /// The uncapped sums (to explain the caps).
    pub bonus_raw_tenths: i64,
    pub deduction_raw_tenths: i64,
    /// base + bonus − deduction.
    pub total_tenths: i64,
    /// Grade code: the band's, `black` when black-listed by a serious record, `""` unrated.
    pub grade: String,
    pub black_listed: bool,
    pub red_listed: bool,
    pub barred: bool,
    /// Why barred / black-listed, in Chinese.
    pub reason: Option<String>,
    pub lines: Vec<Line>,
}

/// Scores `records` on `on` under `scheme` (rules.md §4: base + bonus − deductions, caps,
/// bands; a counting serious bad record black-lists when the scheme says so; a total below
/// `black_list_below_tenths` black-lists; barred if black-listed or the grade is in
/// `bar_grades`).
pub fn score(scheme: &Scheme, records: &[Record], on: NaiveDate) -> Score {
    let mut lines = Vec::with_capacity(records.len());
    let (mut bonus, mut ded, mut serious) = (0i64, 0i64, false);
    let mut bad_counted = false;
    for r in records {
        let st = status_on(scheme, r, on);
        if st.counted() {
            match r.kind {
                Kind::Good => bonus += r.points_tenths,
                Kind::Bad => {
                    ded += r.points_tenths;
                    bad_counted = true;
                    if r.serious {
                        serious = true;
                    }
                }
            }
        }
        lines.push(Line {
            record_id: r.id,
            kind: r.kind,
            item_code: r.item_code.clone(),
            points_tenths: if r.kind == Kind::Good { r.points_tenths } else { -r.points_tenths },
            serious: r.serious,
            why_zh: st.label_zh(),
            status: st,
        });
    }
    fold(scheme, on, bonus, ded, bad_counted, serious, lines)
}

/// The score from sums already made (the fast path of `recompute_all`): `bonus_raw` and
/// `deduction_raw` are the sums of counting good and bad records, `bad_counted` whether any
/// bad record counts, `serious` whether a serious bad record counts.
pub fn fold(
    scheme: &Scheme,
    on: NaiveDate,
    bonus_raw: i64,
    deduction_raw: i64,
    bad_counted: bool,
    serious: bool,
    lines: Vec<Line>,
) -> Score {
    let bonus = scheme.bonus_cap_tenths.map_or(bonus_raw, |c| bonus_raw.min(c));
    let ded = scheme.deduction_cap_tenths.map_or(deduction_raw, |c| deduction_raw.min(c));
    let total = scheme.base_tenths + bonus - ded;
    let mut grade = scheme.grade_of(total, bad_counted);
    let mut reason = None;
    let mut black = false;
    if serious && scheme.black_list_on_serious {
        black = true;
        grade = "black".into();
        reason = Some("存在未整改的严重失信记录，列入黑名单".to_string());
    } else if let Some(b) = scheme.black_list_below_tenths {
        if total < b {
            black = true;
            reason = Some(format!("信用分 {} 低于 {} 分，列入黑名单（黑榜）", fmt_tenths(total), fmt_tenths(b)));
        }
    }
    let barred = black || scheme.bar_grades.iter().any(|g| *g == grade);
    if barred && reason.is_none() {
        reason = Some(format!("信用等级 {}，不得参加物业服务招投标", grade_label_zh(&grade)));
    }
    let red = !black && scheme.red_list_grades.iter().any(|g| *g == grade);
    Score {
        scheme_code: scheme.code.clone(),
        on,
        base_tenths: scheme.base_tenths,
        bonus_tenths: bonus,
        deduction_tenths: ded,
        bonus_raw_tenths: bonus_raw,
        deduction_raw_tenths: deduction_raw,
        total_tenths: total,
        grade,
        black_listed: black,
        red_listed: red,
        barred,
        reason,
        lines,
    }
}

/// The "missing" grade (Shandong "C(缺失)"): operating (a service contract in force) but not
/// registered. No score; barred only if the scheme's bar grades name `missing`.
pub fn missing(scheme: &Scheme, on: NaiveDate) -> Score {
    let barred = scheme.bar_grades.iter().any(|g| g == "missing");
    Score {
        scheme_code: scheme.code.clone(),
        on,
        base_tenths: 0,
        bonus_tenths: 0,
        deduction_tenths: 0,
        bonus_raw_tenths: 0,
        deduction_raw_tenths: 0,
        total_tenths: 0,
        grade: "missing".into(),
        black_listed: false,
        red_listed: false,
        barred,
        reason: Some("在本地经营但未纳入信用管理（缺失）".into()),
        lines: vec![],
    }
}

/// Last day to object to a record entered on `entered_on`: the `days`-th working day after
/// it ([`Calendar::add_working_days`]; `days` is the region's setting, default 10 [U]).
pub fn objection_until(cal: &Calendar, entered_on: NaiveDate, days: u32) -> NaiveDate {
    cal.add_working_days(entered_on, days)
}

/// The first day a record with no objection counts: the day after `objection_until`.
pub fn effective_after_window(objection_until: NaiveDate) -> NaiveDate {
    objection_until + Duration::days(1)
}

fn item(code: &str, kind: Kind, label: &str, min: i64, max: i64, serious: bool) -> Item {
    Item { code: code.into(), kind, label_zh: label.into(), min_tenths: min, max_tenths: max, serious, validity_months: None }
}

/// The items shared by the built-in schemes. [U]: the sources' tables were not found; the
/// items follow the information types of Haikou/Nanning (rules.md §4) and ranges are
/// placeholders to be confirmed.
fn common_items() -> Vec<Item> {
    vec![
        item("G01", Kind::Good, "获得县级以上人民政府或住房城乡建设部门表彰", 10, 50, false),
        item("G02", Kind::Good, "获得物业管理行业协会表彰", 5, 30, false),
        item("G03", Kind::Good, "业主满意度评价优良", 5, 30, false),
        item("G04", Kind::Good, "建立党组织并发挥作用", 10, 20, false),
        item("G05", Kind::Good, "项目获评物业管理示范项目", 20, 50, false),
        item("B01", Kind::Bad, "未按合同约定提供服务，经查实", 5, 30, false),
        item("B02", Kind::Bad, "违规收费或未按规定公示收费", 10, 50, false),
        item("B03", Kind::Bad, "安全隐患未按期整改", 10, 50, false),
        item("B04", Kind::Bad, "受到行政处罚", 20, 100, false),
        item("B05", Kind::Bad, "业主满意度评价差", 5, 30, false),
        item("B06", Kind::Bad, "侵害业主个人信息（个人信息保护法第67条）", 10, 50, false),
        item("S01", Kind::Bad, "严重失信：发生重大安全责任事故、拒不退出项目或被追究刑事责任等", 100, 200, true),
    ]
}

/// Owner-rating table [U]: ≥ 90 → good 3.0 (G03); ≥ 80 → good 1.0; ≥ 60 → no record; < 60 → bad 2.0 (B05).
fn common_owner_rating() -> Vec<OwnerRatingRow> {
    vec![
        OwnerRatingRow { min_tenths: 900, kind: Kind::Good, item_code: "G03".into(), points_tenths: 30 },
        OwnerRatingRow { min_tenths: 800, kind: Kind::Good, item_code: "G03".into(), points_tenths: 10 },
        OwnerRatingRow { min_tenths: 600, kind: Kind::Good, item_code: "G03".into(), points_tenths: 0 },
        OwnerRatingRow { min_tenths: 0, kind: Kind::Bad, item_code: "B05".into(), points_tenths: 20 },
    ]
}

fn band(grade: &str, min: Option<i64>, inclusive: bool, condition: BandCondition) -> Band {
    Band { grade: grade.into(), min_tenths: min, min_inclusive: inclusive, condition }
}

/// Yantai 2022 (烟建住房〔2022〕13号, in force 2022-07-01; rules.md §4): base 80 (the base
/// table is not in rules.md: everyone gets the maximum [U]), good ≤ 40, no deduction cap
/// [U]; AAA ≥ 85, AA 80–<85, A 70–<80, B 60–<70, C < 60; a serious bad record → 黑名单;
/// real time; validity one year; serious until rectified. Red list AAA [U]; barred:
/// black, C [U].
pub fn yantai_2022() -> Scheme {
    Scheme {
        code: "yantai_2022".into(),
        name_zh: "烟台市物业服务企业信用评价（2022）".into(),
        source: "烟建住房〔2022〕13号，2022-07-01施行（rules.md §4）".into(),
        base_tenths: 800,
        bonus_cap_tenths: Some(400),
        deduction_cap_tenths: None,
        cycle: Cycle::RealTime,
        validity_months: 12,
        items: common_items(),
        bands: vec![
            band("AAA", Some(850), true, BandCondition::Any),
            band("AA", Some(800), true, BandCondition::Any),
            band("A", Some(700), true, BandCondition::Any),
            band("B", Some(600), true, BandCondition::Any),
            band("C", None, true, BandCondition::Any),
        ],
        black_list_on_serious: true,
        black_list_below_tenths: None,
        red_list_grades: vec!["AAA".into()],
        bar_grades: vec!["black".into(), "C".into()],
        owner_rating: common_owner_rating(),
    }
}

/// Shangqiu 2022 (rules.md §4): annual cycle Jan 1–Dec 31; AAA > 100, AA 90–100, A 80–<90,
/// B 70–<80, C 60–<70, < 60 not rated (`""`); AAA → red list; C and below → black list
/// (below 70), barred from tenders. Base 100 and bonus cap 20 are not in rules.md [U]; the
/// lower bound of each band is taken as inclusive (90 = AA) [U]. Serious record → black
/// list [U].
pub fn shangqiu_2022() -> Scheme {
    Scheme {
        code: "shangqiu_2022".into(),
        name_zh: "商丘市物业服务企业信用评价（2022）".into(),
        source: "商丘市物业服务企业信用评价（2022），年度周期 1月1日–12月31日（rules.md §4）".into(),
        base_tenths: 1000,
        bonus_cap_tenths: Some(200),
        deduction_cap_tenths: None,
        cycle: Cycle::Annual { start_month: 1, start_day: 1 },
        validity_months: 12,
        items: common_items(),
        bands: vec![
            band("AAA", Some(1000), false, BandCondition::Any),
            band("AA", Some(900), true, BandCondition::Any),
            band("A", Some(800), true, BandCondition::Any),
            band("B", Some(700), true, BandCondition::Any),
            band("C", Some(600), true, BandCondition::Any),
        ],
        black_list_on_serious: true,
        black_list_below_tenths: Some(700),
        red_list_grades: vec!["AAA".into()],
        bar_grades: vec!["black".into(), "C".into(), "".into()],
        owner_rating: common_owner_rating(),
    }
}

/// Shandong (《山东省物业服务企业信用信息管理措施》, rules.md §4): AAA ≥ 85, AA 80–<85, A 70–<80,
/// B 60–<70 or < 60 with no bad records, C < 60 with bad records, C(缺失) for unregistered
/// operators; real time. Base 80, good ≤ 40 as Yantai [U]; validity one year [U].
pub fn shandong() -> Scheme {
    Scheme {
        code: "shandong".into(),
        name_zh: "山东省物业服务企业信用信息管理".into(),
        source: "《山东省物业服务企业信用信息管理措施》（济南适用，rules.md §4）".into(),
        base_tenths: 800,
        bonus_cap_tenths: Some(400),
        deduction_cap_tenths: None,
        cycle: Cycle::RealTime,
        validity_months: 12,
        items: common_items(),
        bands: vec![
            band("AAA", Some(850), true, BandCondition::Any),
            band("AA", Some(800), true, BandCondition::Any),
            band("A", Some(700), true, BandCondition::Any),
            band("B", Some(600), true, BandCondition::Any),
            band("B", None, true, BandCondition::NoBadRecords),
            band("C", None, true, BandCondition::HasBadRecords),
        ],
        black_list_on_serious: true,
        black_list_below_tenths: None,
        red_list_grades: vec!["AAA".into()],
        bar_grades: vec!["black".into(), "C".into()],
        owner_rating: common_owner_rating(),
    }
}

/// The built-in schemes.
pub fn builtins() -> Vec<Scheme> {
    vec![yantai_2022(), shangqiu_2022(), shandong()]
}

/// A built-in scheme by code.
pub fn builtin(code: &str) -> Option<Scheme> {
    builtins().into_iter().find(|s| s.code == code)
}

/// The default scheme when a region has no setting [U: Ningxia has none, rules.md §4].
pub const DEFAULT_SCHEME: &str = "yantai_2022";

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rec(sc: &Scheme, id: i64, item: &str, pts: i64, occurred: NaiveDate) -> Record {
        let it = sc.check_points(item, pts).unwrap().clone();
        Record {
            id,
            kind: it.kind,
            item_code: item.into(),
            points_tenths: pts,
            serious: it.serious,
            state: State::Effective,
            occurred_on: occurred,
            effective_on: Some(occurred),
            valid_until: sc.valid_until(&it, occurred),
            rectified_on: None,
        }
    }

    #[test]
    fn yantai_worked_example() {
        let sc = yantai_2022();
        let on = d(2026, 11, 29);
        let rs = vec![
            rec(&sc, 1, "G01", 50, d(2026, 3, 1)),  // +5.0
            rec(&sc, 2, "G03", 30, d(2026, 6, 1)),  // +3.0
            rec(&sc, 3, "B01", 25, d(2026, 5, 10)), // −2.5
            rec(&sc, 4, "B03", 50, d(2025, 10, 1)), // expired 2026-09-30
        ];
        let s = score(&sc, &rs, on);
        assert_eq!((s.base_tenths, s.bonus_tenths, s.deduction_tenths, s.total_tenths), (800, 80, 25, 855));
        assert_eq!(s.grade, "AAA");
        assert!(s.red_listed && !s.barred && !s.black_listed);
        assert_eq!(s.lines[3].status, Status::Expired(d(2026, 9, 30)));
        assert_eq!(s.lines[2].points_tenths, -25);
    }

    #[test]
    fn yantai_bonus_cap_and_bands() {
        let sc = yantai_2022();
        let on = d(2026, 11, 29);
        let rs: Vec<Record> = (0..10).map(|i| rec(&sc, i, "G05", 50, d(2026, 1, 1))).collect();
        let s = score(&sc, &rs, on);
        assert_eq!((s.bonus_raw_tenths, s.bonus_tenths, s.total_tenths), (500, 400, 1200));
        // 84.9 is AA, 85.0 is AAA
        assert_eq!(sc.grade_of(849, false), "AA");
        assert_eq!(sc.grade_of(850, false), "AAA");
        assert_eq!(sc.grade_of(800, false), "AA");
        assert_eq!(sc.grade_of(799, false), "A");
        assert_eq!(sc.grade_of(700, false), "A");
        assert_eq!(sc.grade_of(699, false), "B");
        assert_eq!(sc.grade_of(600, false), "B");
        assert_eq!(sc.grade_of(599, true), "C");
        // 80 − 24.1 = 55.9 → C, barred
        let rs = vec![rec(&sc, 1, "B04", 100, d(2026, 2, 1)), rec(&sc, 2, "B04", 100, d(2026, 2, 2)), rec(&sc, 3, "B02", 41, d(2026, 2, 3))];
        let s = score(&sc, &rs, on);
        assert_eq!((s.total_tenths, s.grade.as_str(), s.barred, s.black_listed), (559, "C", true, false));
    }

    #[test]
    fn expiry_counts_on_last_day_not_next() {
        let sc = yantai_2022();
        let r = rec(&sc, 1, "B01", 20, d(2025, 3, 10));
        assert_eq!(r.valid_until, Some(d(2026, 3, 9)));
        assert_eq!(score(&sc, std::slice::from_ref(&r), d(2026, 3, 9)).total_tenths, 780);
        assert_eq!(score(&sc, std::slice::from_ref(&r), d(2026, 3, 10)).total_tenths, 800);
        // 29 February: one year later is 28 February; the last day is 27 February.
        let r = rec(&sc, 2, "B01", 20, d(2024, 2, 29));
        assert_eq!(r.valid_until, Some(d(2025, 2, 27)));
    }

    #[test]
    fn serious_black_lists_until_rectified() {
        let sc = yantai_2022();
        let mut r = rec(&sc, 1, "S01", 100, d(2024, 1, 5));
        assert_eq!(r.valid_until, None);
        let s = score(&sc, std::slice::from_ref(&r), d(2026, 11, 29));
        assert_eq!((s.total_tenths, s.grade.as_str(), s.black_listed, s.barred), (700, "black", true, true));
        r.rectified_on = Some(d(2026, 11, 20));
        let s = score(&sc, std::slice::from_ref(&r), d(2026, 11, 19));
        assert_eq!(s.grade, "black");
        let s = score(&sc, std::slice::from_ref(&r), d(2026, 11, 20));
        assert_eq!((s.total_tenths, s.grade.as_str(), s.barred), (800, "AA", false));
    }

    #[test]
    fn accepted_objection_removes_deduction() {
        let sc = yantai_2022();
        let mut r = rec(&sc, 1, "B02", 30, d(2026, 10, 1));
        let on = d(2026, 11, 29);
        assert_eq!(score(&sc, std::slice::from_ref(&r), on).total_tenths, 770);
        r.state = State::Revoked;
        let s = score(&sc, std::slice::from_ref(&r), on);
        assert_eq!((s.total_tenths, s.deduction_tenths), (800, 0));
        assert_eq!(s.lines[0].status, Status::Revoked);
        r.state = State::Pending;
        assert_eq!(score(&sc, std::slice::from_ref(&r), on).total_tenths, 800);
    }

    #[test]
    fn shangqiu_worked_example_and_cycle() {
        let sc = shangqiu_2022();
        let on = d(2026, 11, 29);
        let rs = vec![
            rec(&sc, 1, "G01", 30, d(2026, 4, 1)),  // +3.0
            rec(&sc, 2, "B01", 20, d(2026, 5, 1)),  // −2.0
            rec(&sc, 3, "B04", 100, d(2025, 12, 31)), // last cycle: not counted although still valid
        ];
        let s = score(&sc, &rs, on);
        assert_eq!((s.total_tenths, s.grade.as_str()), (1010, "AAA"));
        assert!(s.red_listed);
        assert_eq!(s.lines[2].status, Status::OtherCycle(d(2026, 1, 1)));
        // the same records on 2025-12-31: only record 3 counts (1 and 2 not yet)
        let s = score(&sc, &rs, d(2025, 12, 31));
        assert_eq!((s.total_tenths, s.grade.as_str()), (900, "AA"));
    }

    #[test]
    fn shangqiu_bands_and_black_list() {
        let sc = shangqiu_2022();
        assert_eq!(sc.grade_of(1001, false), "AAA");
        assert_eq!(sc.grade_of(1000, false), "AA");
        assert_eq!(sc.grade_of(900, false), "AA");
        assert_eq!(sc.grade_of(899, false), "A");
        assert_eq!(sc.grade_of(700, false), "B");
        assert_eq!(sc.grade_of(699, false), "C");
        assert_eq!(sc.grade_of(600, false), "C");
        assert_eq!(sc.grade_of(599, false), "");
        let on = d(2026, 11, 29);
        let rs = vec![rec(&sc, 1, "B04", 100, d(2026, 2, 1)), rec(&sc, 2, "B04", 100, d(2026, 3, 1)), rec(&sc, 3, "B04", 100, d(2026, 4, 1)), rec(&sc, 4, "B01", 5, d(2026, 4, 1))];
        let s = score(&sc, &rs, on);
        assert_eq!((s.total_tenths, s.grade.as_str(), s.black_listed, s.barred), (695, "C", true, true));
        let s = score(&sc, &rs[..3], on);
        assert_eq!((s.total_tenths, s.grade.as_str(), s.black_listed, s.barred), (700, "B", false, false));
    }

    #[test]
    fn shandong_no_bad_records_is_b() {
        let sc = shandong();
        assert_eq!(sc.grade_of(550, false), "B");
        assert_eq!(sc.grade_of(550, true), "C");
        let m = missing(&sc, d(2026, 11, 29));
        assert_eq!((m.grade.as_str(), m.barred), ("missing", false));
    }

    #[test]
    fn item_validation_names_item_and_range() {
        let sc = yantai_2022();
        let e = sc.check_points("B01", 31).unwrap_err();
        assert_eq!(e.to_string(), "分值：事项“未按合同约定提供服务，经查实”(B01) 的分值应在 0.5–3.0 分之间，收到 3.1 分");
        assert!(sc.check_points("B01", 30).is_ok());
        assert!(sc.check_points("B01", 5).is_ok());
        assert!(sc.check_points("B01", 4).is_err());
        assert!(matches!(sc.check_points("X9", 10), Err(CreditError::UnknownItem { .. })));
    }

    #[test]
    fn schemes_round_trip_json() {
        for sc in builtins() {
            sc.validate().unwrap();
            let back = Scheme::from_json(&sc.to_json()).unwrap();
            assert_eq!(back, sc);
        }
        assert!(Scheme::from_json("{").is_err());
    }

    #[test]
    fn objection_deadline_in_working_days() {
        let cal = Calendar::national();
        // Monday 2026-11-23 + 10 working days = Monday 2026-12-07
        assert_eq!(objection_until(&cal, d(2026, 11, 23), 10), d(2026, 12, 7));
        assert_eq!(effective_after_window(d(2026, 12, 7)), d(2026, 12, 8));
    }

    #[test]
    fn owner_rating_table() {
        let sc = yantai_2022();
        let (k, it, p) = sc.owner_rating_record(925).unwrap();
        assert_eq!((k, it.code.as_str(), p), (Kind::Good, "G03", 30));
        assert_eq!(sc.owner_rating_record(850).unwrap().2, 10);
        assert!(sc.owner_rating_record(700).is_none());
        let (k, it, p) = sc.owner_rating_record(599).unwrap();
        assert_eq!((k, it.code.as_str(), p), (Kind::Bad, "B05", 20));
    }

    #[test]
    fn tenths_text() {
        assert_eq!(fmt_tenths(855), "85.5");
        assert_eq!(fmt_tenths(-25), "-2.5");
        assert_eq!(parse_tenths("85.5"), Some(855));
        assert_eq!(parse_tenths("3"), Some(30));
        assert_eq!(parse_tenths("3.25"), None);
        assert_eq!(parse_tenths("x"), None);
    }
}
