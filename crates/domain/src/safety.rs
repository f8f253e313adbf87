//! Safety (安全): the categories and default checklists of common-area inspections, hazard
//! deadlines, the recurring duties with their legal intervals, elevator alerts, and the
//! e-bike reminder rule. Pure: callers pass today and the working-day calendar.
//!
//! Sources (rules.md §6):
//! - 消防法 Art 16: building fire facilities fully inspected **at least once a year**;
//!   fire-engine access and evacuation routes kept clear; fire checks; drills.
//! - 公安部令第61号 Art 26: other units (property companies) check **at least monthly**;
//!   Art 40: evacuation drill **at least yearly**, key units **every half year**.
//! - 特种设备安全监察条例 Art 31 / TSG T5002-2017: elevator maintenance **at least every
//!   15 days**; 特种设备安全法 Art 40: request periodic inspection **at least one month before
//!   the certificate expires**.
//! - GB 17051-1997 practice: secondary-water tanks cleaned and disinfected **at least
//!   yearly**; stricter local rules (half-yearly, quarterly) are a per-region setting.
//! - 《居民小区电动自行车停放充电管理指南》 (2024): after **3 or more reminders**, move the
//!   bike to the designated area and tell the owner.
//!
//! Rectification deadlines have no national number [U]; they are set per hazard in working
//! days ([`crate::calendar`]).

use crate::calendar::{Calendar, add_months};
use crate::cases::{By, DeadlineRule as D, Flow, HolderRule as H, sp, st};
use chrono::{Duration, NaiveDate};
use serde::Serialize;

/// Inspection categories (rules.md §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 消防车通道与疏散通道
    FireAccess,
    /// 地下空间（车库、地下室）
    Underground,
    /// 消防设施
    FireFacilities,
    /// 电梯
    Elevator,
    /// 二次供水
    SecondaryWater,
    /// 电动自行车停放充电
    Ebike,
}

impl Category {
    pub const ALL: [Category; 6] = [Category::FireAccess, Category::Underground, Category::FireFacilities, Category::Elevator, Category::SecondaryWater, Category::Ebike];
    pub fn code(self) -> &'static str {
        match self {
            Category::FireAccess => "fire_access",
            Category::Underground => "underground",
            Category::FireFacilities => "fire_facilities",
            Category::Elevator => "elevator",
            Category::SecondaryWater => "secondary_water",
            Category::Ebike => "ebike",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Category::FireAccess => "消防车通道与疏散通道",
            Category::Underground => "地下空间",
            Category::FireFacilities => "消防设施",
            Category::Elevator => "电梯",
            Category::SecondaryWater => "二次供水",
            Category::Ebike => "电动自行车停放充电",
        }
    }
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.code() == s.trim() || c.label_zh() == s.trim())
    }

    /// The default checklist items of the category: (item, legal basis). Regulators edit
    /// copies of these as template versions.
    pub fn default_items(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Category::FireAccess => &[
                ("消防车通道畅通，无停放车辆、无堆放杂物、无地桩地锁", "《高层民用建筑消防安全管理规定》；消防法第十六条"),
                ("消防车登高操作场地无占用、无遮挡", "《高层民用建筑消防安全管理规定》"),
                ("疏散通道、楼梯间、安全出口畅通，未锁闭、未堵塞", "消防法第十六条"),
                ("常闭式防火门处于关闭状态，闭门器完好", "消防法第十六条"),
                ("门禁系统在火灾时能够迅速开启", "《高层民用建筑消防安全管理规定》"),
            ],
            Category::Underground => &[
                ("地下车库、地下室无违规住人、无群租", "公安部令第61号"),
                ("地下空间无易燃可燃物大量堆放", "消防法第十六条"),
                ("排水设施完好，防汛挡水设施到位", "《住宅专项维修资金管理办法》第二十四条（应急情形）"),
                ("架空层、地下空间用于电动自行车停放的，已进行防火分隔", "2024 年电动自行车安全隐患全链条整治行动"),
            ],
            Category::FireFacilities => &[
                ("室内外消火栓完好，水压正常，无遮挡", "消防法第十六条、第二十九条"),
                ("灭火器在有效期内，压力正常，数量与位置符合要求", "消防法第十六条"),
                ("火灾自动报警、自动喷水灭火系统处于正常运行状态", "消防法第十六条"),
                ("应急照明、疏散指示标志完好有效", "消防法第十六条"),
                ("消防控制室 24 小时值班，每班不少于 2 人", "公安部令第61号"),
            ],
            Category::Elevator => &[
                ("电梯使用标志、定期检验合格标志在有效期内并张贴于显著位置", "特种设备安全法第四十条"),
                ("维保单位每 15 日至少进行一次清洁、润滑、调整和检查，有维保记录", "特种设备安全监察条例第三十一条；TSG T5002-2017"),
                ("轿厢内紧急报警装置有效，与值班室通话正常", "TSG T5002-2017"),
                ("轿厢内无电动自行车进入", "《居民小区电动自行车停放充电管理指南》"),
            ],
            Category::SecondaryWater => &[
                ("持有卫生许可证，专人管理", "GB 17051-1997"),
                ("水箱（池）加盖上锁，溢流管、通气管有防护网", "GB 17051-1997"),
                ("按期清洗消毒并有水质检测报告", "GB 17051-1997；地方规定"),
                ("管理人员有健康证明", "GB 17051-1997"),
            ],
            Category::Ebike => &[
                ("门厅、疏散通道、楼梯间、安全出口无电动自行车停放、充电", "《高层民用建筑消防安全管理规定》第三十七条"),
                ("无飞线充电（从室内拉线充电）", "《居民小区电动自行车停放充电管理指南》"),
                ("集中停放充电场所独立设置或防火分隔，配置灭火器材", "《高层民用建筑消防安全管理规定》第三十七条"),
                ("充电设施具备充满自动断电功能，张贴「充满请挪位」提示", "《居民小区电动自行车停放充电管理指南》"),
            ],
        }
    }
}

/// Hazard severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 一般隐患
    General,
    /// 重大隐患
    Major,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::General => "general",
            Severity::Major => "major",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Severity::General => "一般隐患",
            Severity::Major => "重大隐患",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        [Severity::General, Severity::Major].into_iter().find(|v| v.code() == s.trim() || v.label_zh() == s.trim())
    }
}

/// Why a safety record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SafetyError {
    #[error("整改期限：不能早于发现日期（{found_on}），实为 {deadline}")]
    DeadlineBeforeFinding { found_on: NaiveDate, deadline: NaiveDate },
    #[error("整改期限：应为 1–180 个工作日，实为 {0}")]
    WorkingDaysOutOfRange(u32),
    #[error("电梯：缺少使用登记证编号，不能登记（特种设备安全法第三十三条）")]
    ElevatorWithoutRegistration,
    #[error("复查：被检查方不能复查自己的整改")]
    ReinspectedByInspected,
    #[error("整改期限：不能晚于 {max}（{from} 后第 180 个工作日），实为 {deadline}")]
    DeadlineTooFar { from: NaiveDate, max: NaiveDate, deadline: NaiveDate },
}

/// The rectification deadline of a hazard found on `found_on` with `working_days` to fix
/// it: the n-th working day after the finding. Errors: 0 or more than 180 working days.
pub fn rectification_deadline(found_on: NaiveDate, working_days: u32, cal: &Calendar) -> Result<NaiveDate, SafetyError> {
    if !(1..=180).contains(&working_days) {
        return Err(SafetyError::WorkingDaysOutOfRange(working_days));
    }
    Ok(cal.add_working_days(found_on, working_days))
}

/// Checks a deadline given as a date: not before the finding date.
pub fn check_deadline(found_on: NaiveDate, deadline: NaiveDate) -> Result<(), SafetyError> {
    if deadline < found_on { Err(SafetyError::DeadlineBeforeFinding { found_on, deadline }) } else { Ok(()) }
}

/// Checks a deadline given as a date against the longest one allowed: the 180th working day
/// after `from` (the finding date, or today for a rejection or a supervision order), as
/// [`rectification_deadline`] allows.
pub fn check_deadline_cap(from: NaiveDate, deadline: NaiveDate, cal: &Calendar) -> Result<(), SafetyError> {
    let max = cal.add_working_days(from, 180);
    if deadline > max { Err(SafetyError::DeadlineTooFar { from, max, deadline }) } else { Ok(()) }
}

/// An elevator's registration number (使用登记证编号) is required.
pub fn check_elevator_registration(no: &str) -> Result<(), SafetyError> {
    if no.trim().is_empty() { Err(SafetyError::ElevatorWithoutRegistration) } else { Ok(()) }
}

/// Working days the inspecting side has to re-inspect a reported rectification.
pub const REINSPECT_WORKING_DAYS: u32 = 5;

/// A hazard's flow, run by the case engine ([`Flow::step`]): found → rectification by the
/// responsible party (the estate's property service enterprise) with a working-day
/// deadline → rectification report with photos → re-inspection by the inspecting side
/// (street office or housing department; never the inspected party) → closed, or rejected
/// back with a new deadline. A hazard fixed during the inspection is closed on the spot by
/// whoever found it. An open hazard may get a supervision order (督办) with its own deadline.
///
/// `By::Holder` is the responsible enterprise, `By::Supervisor` the street office or
/// regulator whose region holds the estate, `By::Opener` whoever found it. The opening
/// step keeps the deadline the store computed ([`rectification_deadline`]), since an
/// inspection may be entered after the day it was held.
pub static HAZARD: Flow = Flow {
    code: "hazard",
    label_zh: "安全隐患",
    holder_zh: "整改责任单位",
    supervisor_zh: "检查单位（街道办事处或住建部门）",
    states: &[st("rectifying", "整改中", false), st("reported", "已报整改待复查", false), st("closed", "已销号", true)],
    steps: &[
        sp("find", "登记隐患", &[], "rectifying", By::Opener, D::Keep, H::Given, Some("隐患描述")),
        sp("spot_fix", "现场整改销号", &["rectifying"], "closed", By::Opener, D::Clear, H::Keep, None),
        sp("report", "提交整改报告", &["rectifying"], "reported", By::Holder, D::WorkingDays(REINSPECT_WORKING_DAYS), H::Keep, Some("整改情况")),
        sp("reject", "复查不通过", &["reported"], "rectifying", By::Supervisor, D::Given, H::Keep, Some("不通过的理由")),
        sp("pass", "复查通过销号", &["reported"], "closed", By::Supervisor, D::Clear, H::Keep, None),
        sp("supervise", "下达督办", &["rectifying", "reported"], "rectifying", By::Supervisor, D::Given, H::Keep, Some("督办要求")),
    ],
};

/// How often a duty recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Days(u32),
    Months(u32),
}

impl Interval {
    /// The day the next one is due after one done on `last`.
    pub fn after(self, last: NaiveDate) -> NaiveDate {
        match self {
            Interval::Days(n) => last + Duration::days(n as i64),
            Interval::Months(n) => add_months(last, n),
        }
    }
    pub fn label_zh(self) -> String {
        match self {
            Interval::Days(n) => format!("每 {n} 日"),
            Interval::Months(1) => "每月".into(),
            Interval::Months(6) => "每半年".into(),
            Interval::Months(12) => "每年".into(),
            Interval::Months(n) => format!("每 {n} 个月"),
        }
    }
}

/// A recurring duty of an estate (or of one elevator, one tank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyKind {
    /// 防火检查, at least monthly (61号令 Art 26).
    FireCheck,
    /// 建筑消防设施全面检测, at least yearly (消防法 Art 16).
    FireFacilityInspection,
    /// 电梯维护保养, at least every 15 days per elevator (条例 Art 31).
    ElevatorMaintenance,
    /// 二次供水水箱清洗消毒, yearly by default, per-region setting.
    TankCleaning,
    /// 消防和疏散演练, yearly; half-yearly for key units (61号令 Art 40).
    Drill,
}

impl DutyKind {
    pub const ALL: [DutyKind; 5] = [DutyKind::FireCheck, DutyKind::FireFacilityInspection, DutyKind::ElevatorMaintenance, DutyKind::TankCleaning, DutyKind::Drill];
    pub fn code(self) -> &'static str {
        match self {
            DutyKind::FireCheck => "fire_check",
            DutyKind::FireFacilityInspection => "fire_facility_inspection",
            DutyKind::ElevatorMaintenance => "elevator_maintenance",
            DutyKind::TankCleaning => "tank_cleaning",
            DutyKind::Drill => "drill",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            DutyKind::FireCheck => "防火检查",
            DutyKind::FireFacilityInspection => "建筑消防设施年度检测",
            DutyKind::ElevatorMaintenance => "电梯维护保养",
            DutyKind::TankCleaning => "二次供水水箱清洗消毒",
            DutyKind::Drill => "消防和疏散演练",
        }
    }
    pub fn parse(s: &str) -> Option<DutyKind> {
        DutyKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    /// The legal interval. `key_unit`: a key fire-safety unit (drills every half year);
    /// `tank_months`: the region's cleaning interval (None: yearly).
    pub fn interval(self, key_unit: bool, tank_months: Option<u32>) -> Interval {
        match self {
            DutyKind::FireCheck => Interval::Months(1),
            DutyKind::FireFacilityInspection => Interval::Months(12),
            DutyKind::ElevatorMaintenance => Interval::Days(15),
            DutyKind::TankCleaning => Interval::Months(tank_months.unwrap_or(12).clamp(1, 12)),
            DutyKind::Drill => Interval::Months(if key_unit { 6 } else { 12 }),
        }
    }
}

/// Where a duty stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyStatus {
    /// Done; next due later than the reminder window.
    Done,
    /// Due within the reminder window (临期).
    DueSoon,
    /// Past due (逾期).
    Overdue,
}

impl DutyStatus {
    pub fn label_zh(self) -> &'static str {
        match self {
            DutyStatus::Done => "正常",
            DutyStatus::DueSoon => "临期",
            DutyStatus::Overdue => "逾期",
        }
    }
}

/// The due day and status of a duty last done on `last` (or, never done, counted from
/// `since`, the day the estate or equipment came under the duty): due on `interval.after(last)`;
/// overdue from the day after; due soon within `remind_days` calendar days before.
pub fn duty_status(interval: Interval, last: Option<NaiveDate>, since: NaiveDate, today: NaiveDate, remind_days: i64) -> (NaiveDate, DutyStatus) {
    let due = interval.after(last.unwrap_or(since));
    let status = if today > due {
        DutyStatus::Overdue
    } else if today + Duration::days(remind_days) >= due {
        DutyStatus::DueSoon
    } else {
        DutyStatus::Done
    };
    (due, status)
}

/// The last day to request an elevator's periodic inspection: one month before its
/// certificate expires (特种设备安全法 Art 40).
pub fn inspection_request_by(certificate_expires: NaiveDate) -> NaiveDate {
    certificate_expires.checked_sub_months(chrono::Months::new(1)).unwrap_or(certificate_expires)
}

/// The certificate alert of an elevator on `today`: `None` when the request date is more
/// than `remind_days` away or the inspection has been requested; otherwise due soon, or
/// overdue once the request date has passed.
pub fn certificate_alert(certificate_expires: NaiveDate, requested: bool, today: NaiveDate, remind_days: i64) -> Option<DutyStatus> {
    if requested {
        return None;
    }
    let by = inspection_request_by(certificate_expires);
    if today > by {
        Some(DutyStatus::Overdue)
    } else if today + Duration::days(remind_days) >= by {
        Some(DutyStatus::DueSoon)
    } else {
        None
    }
}

/// What to do with an e-bike parked or charged against the rules after `reminders`
/// reminders already given (2024 guide): persuade or notify the owner; after 3 or more,
/// move it to the designated area and tell the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EbikeAction {
    Remind,
    MoveAndTell,
}

pub fn ebike_action(reminders: u32) -> EbikeAction {
    if reminders >= 3 { EbikeAction::MoveAndTell } else { EbikeAction::Remind }
}

// ---- helper B (duties): reminder windows, plan kinds, e-bike violation kinds -----------

/// Days before a duty's due day from which it shows as due soon (临期): 3 for duties of
/// days (elevator maintenance every 15 days), 7 for monthly, 14 for up to quarterly,
/// 30 for half-yearly and yearly duties.
pub fn remind_days(interval: Interval) -> i64 {
    match interval {
        Interval::Days(_) => 3,
        Interval::Months(1) => 7,
        Interval::Months(n) if n <= 3 => 14,
        Interval::Months(_) => 30,
    }
}

/// The certificate alert's window: the alert shows from 30 days before the last day to
/// request the periodic inspection ([`inspection_request_by`]).
pub const CERTIFICATE_REMIND_DAYS: i64 = 30;

/// The status of a duty on `today`, with its interval's reminder window ([`remind_days`]).
pub fn duty_status_on(interval: Interval, last: Option<NaiveDate>, since: NaiveDate, today: NaiveDate) -> (NaiveDate, DutyStatus) {
    duty_status(interval, last, since, today, remind_days(interval))
}

/// The kinds of emergency plan every estate keeps (消防法 Art 16; 物业管理条例 Art 46).
pub const PLAN_KINDS: [(&str, &str); 5] =
    [("fire", "火灾事故（灭火和应急疏散）"), ("flood", "防汛"), ("elevator_entrapment", "电梯困人"), ("water_outage", "停水"), ("public_health", "公共卫生事件")];

/// A plan is reviewed at least every this many months (practice: yearly).
pub const PLAN_REVIEW_MONTHS: u32 = 12;

/// Kinds of e-bike violation (2024 guide; 高层民用建筑消防安全管理规定 Art 37).
pub const VIOLATION_KINDS: [(&str, &str); 8] = [
    ("hall", "公共门厅停放充电"),
    ("corridor", "疏散走道停放充电"),
    ("stairwell", "楼梯间停放充电"),
    ("exit", "安全出口停放"),
    ("flying_cord", "飞线充电"),
    ("unit_door", "单元门口停放"),
    ("elevator", "电梯载车入户"),
    ("other", "其他"),
];

/// How a reminder reaches the owner (2024 guide: on the spot, WeChat, phone, SMS, visit,
/// notice board).
pub const REMINDER_CHANNELS: [(&str, &str); 6] = [("on_site", "现场劝阻"), ("phone", "电话"), ("sms", "短信"), ("wechat", "微信"), ("visit", "上门"), ("notice_board", "公告栏")];

/// The label of a code in one of the lists above (empty when unknown).
pub fn label_in(list: &[(&'static str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

#[cfg(test)]
mod duties_tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn reminder_windows() {
        assert_eq!(remind_days(Interval::Days(15)), 3);
        assert_eq!(remind_days(Interval::Months(1)), 7);
        assert_eq!(remind_days(Interval::Months(3)), 14);
        assert_eq!(remind_days(Interval::Months(12)), 30);
        // Maintained 13 Nov: due 28 Nov; due soon from 25 Nov; overdue on 29 Nov.
        let last = Some(d(2026, 11, 13));
        assert_eq!(duty_status_on(Interval::Days(15), last, d(2026, 1, 1), d(2026, 11, 24)).1, DutyStatus::Done);
        assert_eq!(duty_status_on(Interval::Days(15), last, d(2026, 1, 1), d(2026, 11, 25)).1, DutyStatus::DueSoon);
        assert_eq!(duty_status_on(Interval::Days(15), last, d(2026, 1, 1), d(2026, 11, 28)), (d(2026, 11, 28), DutyStatus::DueSoon));
        assert_eq!(duty_status_on(Interval::Days(15), last, d(2026, 1, 1), d(2026, 11, 29)).1, DutyStatus::Overdue);
        assert_eq!(label_in(&VIOLATION_KINDS, "flying_cord"), "飞线充电");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn elevator_alerts() {
        let today = d(2026, 11, 29);
        // Maintained 16 days ago: due 15 days after, yesterday: overdue.
        assert_eq!(duty_status(Interval::Days(15), Some(d(2026, 11, 13)), d(2020, 1, 1), today, 3), (d(2026, 11, 28), DutyStatus::Overdue));
        // 15 days ago: due today, not yet overdue.
        assert_eq!(duty_status(Interval::Days(15), Some(d(2026, 11, 14)), d(2020, 1, 1), today, 3), (today, DutyStatus::DueSoon));
        assert_eq!(duty_status(Interval::Days(15), Some(d(2026, 11, 25)), d(2020, 1, 1), today, 3).1, DutyStatus::Done);
        // A certificate expiring in 29 days: the request date (a month before) has passed.
        let exp = today + Duration::days(29);
        assert_eq!(inspection_request_by(exp), d(2026, 11, 28));
        assert_eq!(certificate_alert(exp, false, today, 15), Some(DutyStatus::Overdue));
        assert_eq!(certificate_alert(exp, true, today, 15), None, "requested");
        // Expiring 28 Jan 2027: request by 28 Dec, 29 days away; alert within 30 days.
        assert_eq!(certificate_alert(d(2027, 1, 28), false, today, 30), Some(DutyStatus::DueSoon));
        assert_eq!(certificate_alert(d(2027, 1, 28), false, today, 15), None);
        assert_eq!(check_elevator_registration(" "), Err(SafetyError::ElevatorWithoutRegistration));
    }

    #[test]
    fn intervals_follow_the_rules() {
        assert_eq!(DutyKind::FireCheck.interval(false, None), Interval::Months(1));
        assert_eq!(DutyKind::Drill.interval(false, None), Interval::Months(12));
        assert_eq!(DutyKind::Drill.interval(true, None), Interval::Months(6));
        assert_eq!(DutyKind::TankCleaning.interval(false, None), Interval::Months(12));
        assert_eq!(DutyKind::TankCleaning.interval(false, Some(6)), Interval::Months(6));
        // A monthly check done on 31 Jan is due on 28 Feb.
        assert_eq!(Interval::Months(1).after(d(2026, 1, 31)), d(2026, 2, 28));
        // Never done: counted from when the duty began.
        assert_eq!(duty_status(Interval::Months(12), None, d(2025, 11, 1), d(2026, 11, 29), 30), (d(2026, 11, 1), DutyStatus::Overdue));
    }

    #[test]
    fn hazard_deadlines_count_working_days() {
        let cal = Calendar::national();
        // Found Thu 24 Sep 2026 (Mid-autumn 25–27 Sep, National Day 1–7 Oct, Sat 10 Oct worked):
        // 5 working days → 28, 29, 30 Sep, 8, 9 Oct.
        assert_eq!(rectification_deadline(d(2026, 9, 24), 5, &cal), Ok(d(2026, 10, 9)));
        assert_eq!(rectification_deadline(d(2026, 9, 24), 6, &cal), Ok(d(2026, 10, 10)));
        assert_eq!(rectification_deadline(d(2026, 9, 24), 0, &cal), Err(SafetyError::WorkingDaysOutOfRange(0)));
        assert_eq!(check_deadline(d(2026, 11, 29), d(2026, 11, 28)).unwrap_err().to_string(), "整改期限：不能早于发现日期（2026-11-29），实为 2026-11-28");
        assert!(check_deadline(d(2026, 11, 29), d(2026, 11, 29)).is_ok(), "fixed on the day");
        // At most 180 working days: from Mon 30 Nov 2026 (the table ends 10 Oct 2026, so
        // weekends only count after it) the 180th working day is Mon 9 Aug 2027.
        let max = cal.add_working_days(d(2026, 11, 30), 180);
        assert_eq!(max, d(2027, 8, 9));
        assert!(check_deadline_cap(d(2026, 11, 30), max, &cal).is_ok());
        assert_eq!(
            check_deadline_cap(d(2026, 11, 30), d(9999, 12, 31), &cal).unwrap_err().to_string(),
            "整改期限：不能晚于 2027-08-09（2026-11-30 后第 180 个工作日），实为 9999-12-31"
        );
    }

    #[test]
    fn a_hazard_runs_through_the_engine() {
        let cal = Calendar::national();
        let today = d(2026, 11, 30);
        let f = &HAZARD;
        for s in f.steps {
            assert!(f.state(s.to).is_some());
        }
        for st in f.states.iter().filter(|s| !s.closed) {
            assert!(!f.steps_from(st.code).is_empty(), "{} is a dead end", st.code);
        }
        let found = f.step(None, "find", &[By::Opener], "消防通道堆放杂物", Some(d(2026, 12, 7)), None, today, &cal).unwrap();
        assert_eq!((found.to, found.deadline), ("rectifying", Some(d(2026, 12, 7))));
        // The inspected party cannot re-inspect.
        let e = f.step(Some("reported"), "pass", &[By::Holder, By::Opener], "", None, None, today, &cal).unwrap_err();
        assert_eq!(e.to_string(), "「复查通过销号」须由检查单位（街道办事处或住建部门）办理");
        // Closing without a report: out of order.
        let e = f.step(Some("rectifying"), "pass", &[By::Supervisor], "", None, None, today, &cal).unwrap_err();
        assert_eq!(e.to_string(), "「复查通过销号」不能在「整改中」状态下进行，须在「已报整改待复查」状态下");
        // A report on Mon 30 Nov: re-inspection due 5 working days later, Mon 7 Dec.
        let rep = f.step(Some("rectifying"), "report", &[By::Holder], "已清理", Some(d(2026, 12, 7)), None, today, &cal).unwrap();
        assert_eq!((rep.to, rep.deadline), ("reported", Some(d(2026, 12, 7))));
        let rej = f.step(Some("reported"), "reject", &[By::Supervisor], "仍有杂物", None, Some(d(2026, 12, 4)), today, &cal).unwrap();
        assert_eq!((rej.to, rej.deadline), ("rectifying", Some(d(2026, 12, 4))));
        assert!(f.step(Some("reported"), "pass", &[By::Supervisor], "", None, None, today, &cal).unwrap().closed);
    }

    #[test]
    fn checklists_and_ebikes() {
        for c in Category::ALL {
            assert!(c.default_items().len() >= 4, "{c:?}");
            assert_eq!(Category::parse(c.code()), Some(c));
        }
        assert_eq!(ebike_action(2), EbikeAction::Remind);
        assert_eq!(ebike_action(3), EbikeAction::MoveAndTell);
    }
}
