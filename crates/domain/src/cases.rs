//! Cases (案件): one engine for the three kinds of matter that cross offices.
//!
//! - **Joint conference matters** (联席会议事项, `matter`): the convening housing department
//!   dispatches a matter decided in a meeting to one lead department (and helpers) with a
//!   deadline; the department accepts it or returns it with reasons, reports progress and
//!   the result; the convener confirms it or reopens it.
//! - **Law-enforcement referrals** (执法移交, `referral`): a property company, committee,
//!   inspector or owner reports a violation in an estate with evidence; the street office
//!   or housing department refers it to the competent department, which accepts it (or
//!   returns it) and records the handling and outcome.
//! - **Dispute mediation** (纠纷调解, `dispute`), rules.md §7: intake → acceptance once both
//!   parties consent (人民调解法 Art 17) → notice of rights and duties (司法部令第75号
//!   Art 30) → sessions with records (Art 27) → a written or oral agreement (Arts 28–30) or
//!   an end with advice on arbitration, administrative and court routes (Art 26), or a
//!   referral to court-linked mediation. Normally concluded within one month (令75号
//!   Art 33); the parties may jointly apply for judicial confirmation within 30 days after
//!   the agreement takes effect (Art 33 人民调解法).
//!
//! Each kind is a [`Flow`]: its states and its steps (which state a step starts from,
//! where it leads, who may take it, what it does to the deadline and the holder). The
//! engine ([`Flow::step`]) is the same for every kind. Pure: callers pass today and the
//! working-day [`Calendar`].

use crate::calendar::{Calendar, add_months};
use chrono::{Duration, NaiveDate};
use serde::Serialize;

/// The kind of case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// 联席会议事项
    Matter,
    /// 执法移交
    Referral,
    /// 纠纷调解
    Dispute,
}

impl CaseKind {
    pub const ALL: [CaseKind; 3] = [CaseKind::Matter, CaseKind::Referral, CaseKind::Dispute];
    pub fn code(self) -> &'static str {
        match self {
            CaseKind::Matter => "matter",
            CaseKind::Referral => "referral",
            CaseKind::Dispute => "dispute",
        }
    }
    pub fn parse(s: &str) -> Option<CaseKind> {
        CaseKind::ALL.into_iter().find(|k| k.code() == s.trim() || k.label_zh() == s.trim())
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            CaseKind::Matter => "联席会议事项",
            CaseKind::Referral => "执法移交",
            CaseKind::Dispute => "纠纷调解",
        }
    }
    /// The case's flow.
    pub fn flow(self) -> &'static Flow {
        match self {
            CaseKind::Matter => &MATTER,
            CaseKind::Referral => &REFERRAL,
            CaseKind::Dispute => &DISPUTE,
        }
    }
}

/// Who may take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// A member of the organisation holding the case (the department, the mediation
    /// committee, the street office a referral waits with).
    Holder,
    /// A member of the supervising organisation: the convener of a matter, the street
    /// office or housing department that refers a violation.
    Supervisor,
    /// Whoever opens the case (its first step).
    Opener,
}

/// What a step does to the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineRule {
    /// Unchanged.
    Keep,
    /// No deadline in the new state.
    Clear,
    /// The caller sets it (a date after today).
    Given,
    /// The n-th working day after today.
    WorkingDays(u32),
    /// Today plus n calendar months (令75号 Art 33: "一般在一个月内调结").
    Months(u32),
}

/// What a step does to the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderRule {
    Keep,
    /// The organisation the caller names (a department for dispatch and referral).
    Given,
    /// Back to the supervising organisation.
    Supervisor,
}

/// A step of a flow.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Code, e.g. `accept`.
    pub action: &'static str,
    pub label_zh: &'static str,
    /// States it may be taken from (empty: opens the case).
    pub from: &'static [&'static str],
    pub to: &'static str,
    pub by: By,
    pub deadline: DeadlineRule,
    pub holder: HolderRule,
    /// A note is required (reasons for a return, the progress, the session record…);
    /// its label.
    pub note: Option<&'static str>,
}

/// A state of a flow.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct State {
    pub code: &'static str,
    pub label_zh: &'static str,
    /// Closed: no more deadline, not overdue.
    pub closed: bool,
}

/// A kind's states and steps.
#[derive(Debug, Serialize)]
pub struct Flow {
    /// What the flow runs: a case kind's code, or `hazard` ([`crate::safety::HAZARD`]).
    pub code: &'static str,
    pub label_zh: &'static str,
    /// Who the holder and the supervisor are, for refusals ("须由…办理").
    pub holder_zh: &'static str,
    pub supervisor_zh: &'static str,
    pub states: &'static [State],
    pub steps: &'static [Step],
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("{kind}没有「{action}」这一步")]
    UnknownStep { kind: &'static str, action: String },
    #[error("「{step}」不能在「{state}」状态下进行，须在{allowed}状态下")]
    OutOfOrder { step: &'static str, state: String, allowed: String },
    #[error("「{step}」须由{who}办理")]
    NotYours { step: &'static str, who: &'static str },
    #[error("期限：应晚于今天（{today}），实为 {given}")]
    DeadlineInPast { today: NaiveDate, given: NaiveDate },
    #[error("期限：「{step}」须指定期限")]
    DeadlineMissing { step: &'static str },
    #[error("{0}：不能为空")]
    NoteMissing(&'static str),
}

/// What taking a step leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub to: &'static str,
    pub closed: bool,
    /// The new deadline (`None`: none).
    pub deadline: Option<NaiveDate>,
    pub holder: HolderRule,
}

impl Flow {
    pub fn state(&self, code: &str) -> Option<&'static State> {
        self.states.iter().find(|s| s.code == code)
    }
    pub fn state_label(&self, code: &str) -> &'static str {
        self.state(code).map(|s| s.label_zh).unwrap_or("未知")
    }
    pub fn step_def(&self, action: &str) -> Option<&'static Step> {
        self.steps.iter().find(|s| s.action == action)
    }
    /// The steps that may be taken from `state` (for the buttons a page shows).
    pub fn steps_from(&self, state: &str) -> Vec<&'static Step> {
        self.steps.iter().filter(|s| s.from.contains(&state)).collect()
    }
    /// The step that opens a case of this kind.
    pub fn opening(&self) -> &'static Step {
        self.steps.iter().find(|s| s.from.is_empty()).expect("every flow has an opening step")
    }

    /// The engine: checks that `action` may be taken now, by this caller, with this note
    /// and deadline, and says where it leads. `state` is `None` when opening a case.
    /// `current` is the case's deadline before the step; `given` the caller's.
    /// Errors: unknown step, out of order, not the caller's to take, a deadline not after
    /// today or missing, a required note empty.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &self,
        state: Option<&str>,
        action: &str,
        by: &[By],
        note: &str,
        current: Option<NaiveDate>,
        given: Option<NaiveDate>,
        today: NaiveDate,
        cal: &Calendar,
    ) -> Result<Outcome, CaseError> {
        let s = self.step_def(action).ok_or_else(|| CaseError::UnknownStep { kind: self.label_zh, action: action.to_string() })?;
        if !by.contains(&s.by) {
            let who = match s.by {
                By::Opener => "提出人",
                By::Holder => self.holder_zh,
                By::Supervisor => self.supervisor_zh,
            };
            return Err(CaseError::NotYours { step: s.label_zh, who });
        }
        let ok = match state {
            None => s.from.is_empty(),
            Some(st) => s.from.contains(&st),
        };
        if !ok {
            let allowed = if s.from.is_empty() { "新建".to_string() } else { s.from.iter().map(|f| format!("「{}」", self.state_label(f))).collect::<Vec<_>>().join("或") };
            return Err(CaseError::OutOfOrder { step: s.label_zh, state: state.map(|c| self.state_label(c)).unwrap_or("新建").to_string(), allowed });
        }
        if let Some(label) = s.note
            && note.trim().is_empty()
        {
            return Err(CaseError::NoteMissing(label));
        }
        let to = self.state(s.to).expect("flows name their own states");
        let deadline = if to.closed {
            None
        } else {
            match s.deadline {
                DeadlineRule::Keep => current,
                DeadlineRule::Clear => None,
                DeadlineRule::Given => {
                    let g = given.ok_or(CaseError::DeadlineMissing { step: s.label_zh })?;
                    if g <= today {
                        return Err(CaseError::DeadlineInPast { today, given: g });
                    }
                    Some(g)
                }
                DeadlineRule::WorkingDays(n) => Some(given.filter(|g| *g > today).unwrap_or_else(|| cal.add_working_days(today, n))),
                DeadlineRule::Months(n) => Some(add_months(today, n)),
            }
        };
        Ok(Outcome { to: s.to, closed: to.closed, deadline, holder: s.holder })
    }
}

/// When an open case whose deadline is `deadline` escalates to the supervising level: on
/// the first working day after the deadline (a deadline falling before a holiday break
/// escalates when offices reopen).
pub fn escalation_day(deadline: NaiveDate, cal: &Calendar) -> NaiveDate {
    cal.next_working_day_after(deadline)
}

/// Whether an open case with `deadline` is overdue on `today` (the deadline day itself is
/// still in time).
pub fn is_overdue(deadline: Option<NaiveDate>, closed: bool, today: NaiveDate) -> bool {
    !closed && deadline.is_some_and(|d| d < today)
}

/// Whether an open case is due soon (临期): its deadline within the next 2 working days.
pub fn is_due_soon(deadline: Option<NaiveDate>, closed: bool, today: NaiveDate, cal: &Calendar) -> bool {
    !closed && deadline.is_some_and(|d| d >= today && d <= cal.add_working_days(today, 2))
}

/// The last day to apply jointly for judicial confirmation of a mediation agreement:
/// 30 days after it takes effect (人民调解法 Art 33).
pub fn judicial_confirmation_due(effective_on: NaiveDate) -> NaiveDate {
    effective_on + Duration::days(30)
}

// ---------------------------------------------------------------------------------------
// The three flows
// ---------------------------------------------------------------------------------------

/// Working days a department has for a referral when the referrer sets none.
pub const REFERRAL_WORKING_DAYS: u32 = 15;
/// Working days a street office has to refer a reported violation.
pub const REPORT_WORKING_DAYS: u32 = 3;
/// Working days a mediation committee has to accept or decline an application.
pub const INTAKE_WORKING_DAYS: u32 = 3;

pub(crate) const fn st(code: &'static str, label_zh: &'static str, closed: bool) -> State {
    State { code, label_zh, closed }
}

#[allow(clippy::too_many_arguments)]
pub(crate) const fn sp(
    action: &'static str,
    label_zh: &'static str,
    from: &'static [&'static str],
    to: &'static str,
    by: By,
    deadline: DeadlineRule,
    holder: HolderRule,
    note: Option<&'static str>,
) -> Step {
    Step { action, label_zh, from, to, by, deadline, holder, note }
}

use By::*;
use DeadlineRule as D;
use HolderRule as H;

/// Joint conference matter.
pub static MATTER: Flow = Flow {
    code: "matter",
    label_zh: "联席会议事项",
    holder_zh: "承办部门",
    supervisor_zh: "召集部门",
    states: &[
        st("dispatched", "已派单待签收", false),
        st("accepted", "办理中", false),
        st("returned", "已退回", false),
        st("reported", "已报结待确认", false),
        st("confirmed", "已办结", true),
    ],
    steps: &[
        sp("dispatch", "派单", &[], "dispatched", Opener, D::Given, H::Given, None),
        sp("redispatch", "重新派单", &["returned"], "dispatched", Supervisor, D::Given, H::Given, None),
        sp("accept", "签收", &["dispatched"], "accepted", Holder, D::Keep, H::Keep, None),
        sp("return", "退回", &["dispatched"], "returned", Holder, D::WorkingDays(2), H::Supervisor, Some("退回理由")),
        sp("progress", "报告进展", &["accepted"], "accepted", Holder, D::Keep, H::Keep, Some("办理进展")),
        sp("report", "报结", &["accepted"], "reported", Holder, D::WorkingDays(5), H::Supervisor, Some("办理结果")),
        sp("confirm", "确认办结", &["reported"], "confirmed", Supervisor, D::Clear, H::Keep, None),
        sp("reopen", "重新办理", &["reported"], "accepted", Supervisor, D::Given, H::Given, Some("重新办理的理由")),
    ],
};

/// Law-enforcement referral.
pub static REFERRAL: Flow = Flow {
    code: "referral",
    label_zh: "执法移交",
    holder_zh: "受移交的职能部门",
    supervisor_zh: "街道办事处或住建部门",
    states: &[
        st("reported", "已上报待移交", false),
        st("referred", "已移交待受理", false),
        st("accepted", "查处中", false),
        st("returned", "已退回", false),
        st("handled", "已处理", true),
        st("dismissed", "不予移交", true),
    ],
    steps: &[
        sp("report", "上报", &[], "reported", Opener, D::WorkingDays(REPORT_WORKING_DAYS), H::Supervisor, Some("违法行为描述")),
        sp("refer", "移交", &["reported", "returned"], "referred", Supervisor, D::WorkingDays(REFERRAL_WORKING_DAYS), H::Given, None),
        sp("dismiss", "不予移交", &["reported", "returned"], "dismissed", Supervisor, D::Clear, H::Keep, Some("不予移交的理由")),
        sp("accept", "受理", &["referred"], "accepted", Holder, D::Keep, H::Keep, None),
        sp("return", "退回", &["referred"], "returned", Holder, D::WorkingDays(REPORT_WORKING_DAYS), H::Supervisor, Some("退回理由")),
        sp("progress", "记录查处情况", &["accepted"], "accepted", Holder, D::Keep, H::Keep, Some("查处情况")),
        sp("handle", "办结", &["accepted"], "handled", Holder, D::Clear, H::Keep, Some("处理结果")),
    ],
};

/// Dispute mediation.
pub static DISPUTE: Flow = Flow {
    code: "dispute",
    label_zh: "纠纷调解",
    holder_zh: "人民调解委员会的调解员",
    supervisor_zh: "街道办事处或住建部门",
    states: &[
        st("applied", "已申请待受理", false),
        st("accepted", "已受理", false),
        st("notified", "已告知权利义务", false),
        st("in_session", "调解中", false),
        st("agreed", "达成协议", true),
        st("ended", "调解终止", true),
        st("declined", "不予受理", true),
        st("court", "转诉调对接", true),
    ],
    steps: &[
        sp("apply", "申请调解", &[], "applied", Opener, D::WorkingDays(INTAKE_WORKING_DAYS), H::Given, Some("纠纷事实与请求")),
        sp("accept", "受理", &["applied"], "accepted", Holder, D::Months(1), H::Keep, None),
        sp("decline", "不予受理", &["applied"], "declined", Holder, D::Clear, H::Keep, Some("不予受理的理由")),
        sp("notify", "告知权利义务", &["accepted"], "notified", Holder, D::Keep, H::Keep, None),
        sp("session", "调解记录", &["notified", "in_session"], "in_session", Holder, D::Keep, H::Keep, Some("调解记录")),
        sp("agree", "达成调解协议", &["in_session"], "agreed", Holder, D::Clear, H::Keep, None),
        sp("end", "终止调解", &["accepted", "notified", "in_session"], "ended", Holder, D::Clear, H::Keep, Some("终止理由及其他救济途径告知")),
        sp("court", "转诉调对接", &["applied", "accepted", "notified", "in_session"], "court", Holder, D::Clear, H::Keep, Some("移交法院的情况")),
    ],
};

/// Dispute categories (parties' relation).
pub const DISPUTE_CATEGORIES: [(&str, &str); 5] = [
    ("owner_owner", "业主之间"),
    ("owner_enterprise", "业主（业委会）与物业服务企业"),
    ("owner_committee", "业主与业主委员会"),
    ("committee_enterprise", "业主委员会与物业服务企业"),
    ("other", "其他"),
];

/// Kinds of party to a dispute: code, label.
pub const PARTY_KINDS: [(&str, &str); 5] = [("owner", "业主"), ("committee", "业主委员会"), ("enterprise", "物业服务企业"), ("street", "街道办事处（社区）"), ("other", "其他")];

/// Violation categories a referral may report.
pub const REFERRAL_CATEGORIES: [(&str, &str); 7] = [
    ("illegal_construction", "违法搭建"),
    ("fire_lane", "占用堵塞消防通道"),
    ("greenery", "毁绿占绿"),
    ("group_renting", "群租"),
    ("business_use", "擅自改变房屋用途（住改商）"),
    ("noise_pollution", "噪声及环境污染"),
    ("other", "其他"),
];

/// Departments of the joint conference (rules: the eight measures' second): code, label.
pub const DEPARTMENT_KINDS: [(&str, &str); 13] = [
    ("housing", "住房和城乡建设部门"),
    ("street", "街道办事处（社区）"),
    ("urban_management", "城市管理综合执法部门"),
    ("planning", "自然资源和规划部门"),
    ("greening", "园林绿化部门"),
    ("police", "公安机关"),
    ("environment", "生态环境部门"),
    ("civil_affairs", "民政部门"),
    ("pricing", "发展改革（价格）部门"),
    ("finance", "财政部门"),
    ("market_regulation", "市场监督管理部门"),
    ("work_safety", "应急管理（安全生产）部门"),
    ("fire_rescue", "消防救援机构"),
];

/// Organisation kinds that are not departments: mediation committees.
pub const MEDIATION_COMMITTEE: &str = "mediation";

pub fn department_label(kind: &str) -> Option<&'static str> {
    DEPARTMENT_KINDS.iter().find(|(k, _)| *k == kind).map(|(_, l)| *l).or((kind == MEDIATION_COMMITTEE).then_some("人民调解委员会"))
}

/// Which department kinds are competent for a referral category (the first is proposed).
pub fn competent_for(category: &str) -> &'static [&'static str] {
    match category {
        "illegal_construction" => &["urban_management", "planning"],
        "fire_lane" => &["fire_rescue", "police", "urban_management"],
        "greenery" => &["greening", "urban_management"],
        "group_renting" => &["police", "street"],
        "business_use" => &["market_regulation", "urban_management"],
        "noise_pollution" => &["environment", "police"],
        _ => &["urban_management"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_flow_is_consistent() {
        for k in CaseKind::ALL {
            let f = k.flow();
            assert_eq!((f.code, f.label_zh), (k.code(), k.label_zh()));
            assert_eq!(f.steps.iter().filter(|s| s.from.is_empty()).count(), 1, "{k:?} has one opening step");
            for s in f.steps {
                assert!(f.state(s.to).is_some(), "{k:?}.{} leads to a known state", s.action);
                for from in s.from {
                    let st = f.state(from).unwrap_or_else(|| panic!("{k:?}.{} from unknown {from}", s.action));
                    assert!(!st.closed, "{k:?}.{} leaves a closed state", s.action);
                }
            }
            // Every open state has a way on.
            for st in f.states.iter().filter(|s| !s.closed) {
                assert!(!f.steps_from(st.code).is_empty(), "{k:?}: {} is a dead end", st.code);
            }
        }
    }

    #[test]
    fn a_matter_runs_and_is_refused_out_of_order() {
        let cal = Calendar::national();
        let f = CaseKind::Matter.flow();
        let today = d(2026, 9, 29);
        let o = f.step(None, "dispatch", &[Opener], "", None, Some(d(2026, 10, 16)), today, &cal).unwrap();
        assert_eq!(o, Outcome { to: "dispatched", closed: false, deadline: Some(d(2026, 10, 16)), holder: HolderRule::Given });
        // A past deadline, a missing deadline.
        assert_eq!(f.step(None, "dispatch", &[Opener], "", None, Some(today), today, &cal), Err(CaseError::DeadlineInPast { today, given: today }));
        assert!(matches!(f.step(None, "dispatch", &[Opener], "", None, None, today, &cal), Err(CaseError::DeadlineMissing { .. })));
        // Confirming before acceptance.
        let e = f.step(Some("dispatched"), "confirm", &[Supervisor], "", None, None, today, &cal).unwrap_err();
        assert_eq!(e.to_string(), "「确认办结」不能在「已派单待签收」状态下进行，须在「已报结待确认」状态下");
        // The convener cannot accept for the department.
        assert_eq!(f.step(Some("dispatched"), "accept", &[Supervisor], "", None, None, today, &cal), Err(CaseError::NotYours { step: "签收", who: "承办部门" }));
        // A return needs its reasons, and gives the convener 2 working days: 30 Sep → 9 Oct.
        assert_eq!(f.step(Some("dispatched"), "return", &[Holder], " ", None, None, today, &cal), Err(CaseError::NoteMissing("退回理由")));
        let r = f.step(Some("dispatched"), "return", &[Holder], "不属本部门职责", Some(d(2026, 10, 16)), None, d(2026, 9, 30), &cal).unwrap();
        assert_eq!((r.to, r.deadline, r.holder), ("returned", Some(d(2026, 10, 9)), HolderRule::Supervisor));
        let c = f.step(Some("reported"), "confirm", &[Supervisor], "", Some(d(2026, 10, 16)), None, today, &cal).unwrap();
        assert!(c.closed && c.deadline.is_none());
    }

    #[test]
    fn escalation_waits_for_offices_to_reopen() {
        let cal = Calendar::national();
        // Due Wed 30 Sep 2026: overdue from 1 Oct, escalated on the first working day, 8 Oct.
        assert_eq!(escalation_day(d(2026, 9, 30), &cal), d(2026, 10, 8));
        assert!(is_overdue(Some(d(2026, 9, 30)), false, d(2026, 10, 1)));
        assert!(!is_overdue(Some(d(2026, 9, 30)), false, d(2026, 9, 30)), "the deadline day is in time");
        assert!(!is_overdue(Some(d(2026, 9, 30)), true, d(2026, 10, 9)));
        // Due Fri 27 Nov 2026: escalated Mon 30 Nov.
        assert_eq!(escalation_day(d(2026, 11, 27), &cal), d(2026, 11, 30));
        assert!(is_due_soon(Some(d(2026, 12, 1)), false, d(2026, 11, 27), &cal));
        assert!(!is_due_soon(Some(d(2026, 12, 2)), false, d(2026, 11, 27), &cal));
    }

    #[test]
    fn a_dispute_has_a_month_and_a_judicial_window() {
        let cal = Calendar::national();
        let f = CaseKind::Dispute.flow();
        // Applied Fri 13 Feb 2026: 3 working days to accept → 14 (worked Sat), 24, 25 Feb.
        let a = f.step(None, "apply", &[Opener], "漏水纠纷", None, None, d(2026, 2, 13), &cal).unwrap();
        assert_eq!(a.deadline, Some(d(2026, 2, 25)));
        // Accepted 31 Jan → concluded normally within one month: 28 Feb.
        let b = f.step(Some("applied"), "accept", &[Holder], "", a.deadline, None, d(2026, 1, 31), &cal).unwrap();
        assert_eq!(b.deadline, Some(d(2026, 2, 28)));
        assert!(f.step(Some("accepted"), "agree", &[Holder], "", None, None, d(2026, 2, 2), &cal).is_err(), "no agreement before a session");
        assert_eq!(judicial_confirmation_due(d(2026, 2, 10)), d(2026, 3, 12));
        assert_eq!(judicial_confirmation_due(d(2026, 12, 15)), d(2027, 1, 14));
    }
}
