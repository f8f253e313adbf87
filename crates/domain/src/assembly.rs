//! Owners' joint decisions (业主共同决定事项): which matters owners decide, who may vote,
//! how votes are counted by area and by head, when a matter passes, the silent-vote clause,
//! voters' receipt codes and the hash chain of the published tally, the owners' committee's
//! size and term, and the lifecycle of a vote.
//!
//! Sources (rules.md §1 and §5.4):
//! - 《民法典》 (Civil Code) Art 278 ¶1 — the nine matters; ¶2 — quorum and consent \[V\];
//! - 《民法典》 Art 1259 — "以上" includes the stated number, so "三分之二以上" is `≥ 2/3`;
//!   "过半数" is read as strictly more than half \[V/U, rules.md §1.2\];
//! - 《物业管理条例》 (PMR, 2018 text) Arts 11, 12 — the pre-2021 thresholds, kept for
//!   historical votes; Art 14 — 15 days' notice \[V\];
//! - 《业主大会和业主委员会指导规则》 (2009 Guidance Rules) Art 26 ¶2 — silent votes only if the
//!   covenant or assembly rules say so; Arts 31–32 — committee of 5–11 (odd), term ≤ 5 years \[E\];
//! - rules.md §1.3 — counting by area and by head (register area; one unit one person; the
//!   developer's unsold units are one person; one owner of several units is one person).
//!
//! Units: areas are exclusive-part areas (专有部分面积) in hundredths of m² as `i64`, like
//! [`crate::units::Area`]; head counts are `i64`. Everything is integer or exact-fraction
//! arithmetic (cross-multiplied in `i128`), never floating point. Percentages are text
//! rounded half up to two decimals for display only: the exact fraction and the `met` flags
//! decide, never the rounded text (74.9975% prints as "75.00%" and still fails a 3/4 test).
//!
//! Pure functions, no I/O, no clock: callers pass "today".

use crate::audit::GENESIS;
use crate::registry::code_enum;
use chrono::{Months, NaiveDate};
use num_rational::Ratio;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

// ---------------------------------------------------------------------------------------
// Matters and thresholds
// ---------------------------------------------------------------------------------------

code_enum! {
    /// A matter owners decide jointly: the nine items of Civil Code Art 278 ¶1 (rules.md
    /// §1.1). The code is stable (database, API, rule-set configuration); the Chinese label
    /// is the statute's wording. Which kinds need the higher consent is the rule set's
    /// business ([`RuleSet::special_kinds`]): items 6–8 under the Civil Code.
    MatterKind {
        /// (一) 制定和修改业主大会议事规则
        RulesOfProcedure = "rules_of_procedure" / "制定和修改业主大会议事规则" | "议事规则",
        /// (二) 制定和修改管理规约
        Covenant = "covenant" / "制定和修改管理规约" | "管理规约",
        /// (三) 选举业主委员会或者更换业主委员会成员
        ElectCommittee = "elect_committee" / "选举业主委员会或者更换业主委员会成员" | "选举业主委员会" | "更换业主委员会成员",
        /// (四) 选聘和解聘物业服务企业或者其他管理人
        HireManager = "hire_manager" / "选聘和解聘物业服务企业或者其他管理人" | "选聘物业服务企业" | "解聘物业服务企业",
        /// (五) 使用建筑物及其附属设施的维修资金 — an ordinary matter under the Civil Code
        UseFund = "use_fund" / "使用建筑物及其附属设施的维修资金" | "使用维修资金",
        /// (六) 筹集建筑物及其附属设施的维修资金 (includes re-raising, 续筹, rules.md §2.6)
        RaiseFund = "raise_fund" / "筹集建筑物及其附属设施的维修资金" | "筹集维修资金" | "续筹维修资金",
        /// (七) 改建、重建建筑物及其附属设施
        Rebuild = "rebuild" / "改建、重建建筑物及其附属设施" | "改建重建",
        /// (八) 改变共有部分的用途或者利用共有部分从事经营活动
        ChangeCommonUse = "change_common_use" / "改变共有部分的用途或者利用共有部分从事经营活动" | "改变共有部分用途" | "利用共有部分经营",
        /// (九) 有关共有和共同管理权利的其他重大事项
        OtherMajor = "other_major" / "有关共有和共同管理权利的其他重大事项" | "其他重大事项",
    }
}

impl MatterKind {
    /// The item number in Civil Code Art 278 ¶1 (1–9).
    pub fn item(self) -> u8 {
        match self {
            MatterKind::RulesOfProcedure => 1,
            MatterKind::Covenant => 2,
            MatterKind::ElectCommittee => 3,
            MatterKind::HireManager => 4,
            MatterKind::UseFund => 5,
            MatterKind::RaiseFund => 6,
            MatterKind::Rebuild => 7,
            MatterKind::ChangeCommonUse => 8,
            MatterKind::OtherMajor => 9,
        }
    }
}

/// An exact fraction `num/den` as configured in a rule set (serialised as
/// `{"num": 2, "den": 3}`). A valid threshold share has `0 < num <= den`
/// ([`RuleSet::validate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fraction {
    /// Numerator.
    pub num: i64,
    /// Denominator (> 0).
    pub den: i64,
}

impl Fraction {
    /// `num/den`, unchecked (see [`RuleSet::validate`]).
    pub const fn new(num: i64, den: i64) -> Fraction {
        Fraction { num, den }
    }

    /// The fraction as a reduced [`Ratio`]. `None` when `den == 0`.
    pub fn ratio(self) -> Option<Ratio<i64>> {
        (self.den != 0).then(|| Ratio::new(self.num, self.den))
    }
}

impl fmt::Display for Fraction {
    /// `"2/3"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// What a share is taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// The whole electorate: total exclusive area / total owners (the quorum under both
    /// laws; consent under PMR Art 12 ¶3).
    Total,
    /// Those who took part in the vote on the matter (consent under Civil Code Art 278 ¶2).
    Participating,
}

/// One legal threshold, applied to the area measure and to the head measure alike (both
/// laws use the same share for both, joined by "且": both must pass).
///
/// `inclusive = true` is "X以上": the share itself suffices (`part/whole >= share`, Civil
/// Code Art 1259). `inclusive = false` is "过半数"/"超过": strictly more
/// (`part/whole > share`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Threshold {
    /// The share, e.g. 2/3.
    pub share: Fraction,
    /// `true`: ≥ (以上); `false`: > (过半数, 超过).
    pub inclusive: bool,
    /// What the share is taken of.
    pub base: Base,
    /// The article this threshold comes from, as shown to users, e.g.
    /// `《民法典》第二百七十八条第二款`.
    pub article: String,
}

impl Threshold {
    /// Whether `part` out of `whole` meets the threshold, exactly (cross-multiplied in
    /// `i128`). A zero `whole` never meets it: nothing cannot be a quorum or a consent.
    pub fn met(&self, part: i64, whole: i64) -> bool {
        if whole <= 0 {
            return false;
        }
        let lhs = part as i128 * self.share.den as i128;
        let rhs = self.share.num as i128 * whole as i128;
        if self.inclusive { lhs >= rhs } else { lhs > rhs }
    }

    /// The threshold in the statute's words: `"2/3以上"`, `"过半数"` (exclusive 1/2) or
    /// `"超过3/5"` (another exclusive share).
    pub fn phrase_zh(&self) -> String {
        if self.inclusive {
            format!("{}以上", self.share)
        } else if self.share.num * 2 == self.share.den {
            "过半数".to_string()
        } else {
            format!("超过{}", self.share)
        }
    }

    /// The threshold as a comparison: `"≥ 2/3"` or `"> 1/2"`.
    pub fn symbol(&self) -> String {
        format!("{} {}", if self.inclusive { "≥" } else { ">" }, self.share)
    }

    /// The reason a measure failed, e.g. `"参与面积不足 2/3"`, `"同意人数未过半数"`,
    /// `"同意面积未超过 3/5"`.
    fn shortfall_zh(&self, measure: &str) -> String {
        if self.inclusive {
            format!("{measure}不足 {}", self.share)
        } else if self.share.num * 2 == self.share.den {
            format!("{measure}未过半数")
        } else {
            format!("{measure}未超过 {}", self.share)
        }
    }
}

/// The owners' committee's size and term (rules.md §5.4; Guidance Rules 2009 Arts 31–32).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommitteeRule {
    /// Fewest members (5).
    pub min_members: u32,
    /// Most members (11).
    pub max_members: u32,
    /// Whether the number of members must be odd (yes).
    pub odd_only: bool,
    /// Longest term in years (5); a term ending on or before the same calendar date
    /// `max_term_years` later is within it ("届满" includes the day, Art 1259).
    pub max_term_years: u32,
    /// The article, e.g. `《业主大会和业主委员会指导规则》第三十一条、第三十二条`.
    pub article: String,
}

/// A jurisdiction's voting rules: quorum, which matters need the higher consent, both
/// consent thresholds, the notice period and the committee rule. Serialisable so that a
/// jurisdiction or a historical law can be configured as data; check it with
/// [`RuleSet::validate`] after loading. The default is [`RuleSet::civil_code_2021`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleSet {
    /// Stable code, e.g. `civil_code_2021`.
    pub code: String,
    /// Name shown to users.
    pub name: String,
    /// Who must take part (base must be [`Base::Total`]).
    pub participation: Threshold,
    /// Matters that need [`RuleSet::special`] consent; all others need
    /// [`RuleSet::ordinary`].
    pub special_kinds: Vec<MatterKind>,
    /// Consent for the special matters.
    pub special: Threshold,
    /// Consent for all other matters.
    pub ordinary: Threshold,
    /// Least number of calendar days between announcing a vote and opening it (15, PMR
    /// Art 14: "应当于会议召开15日以前通知全体业主").
    pub notice_days: u32,
    /// The article of the notice period.
    pub notice_article: String,
    /// Committee size and term.
    pub committee: CommitteeRule,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet::civil_code_2021()
    }
}

/// The committee rule of the 2009 Guidance Rules Arts 31–32: 5–11 members, odd, term ≤ 5
/// years (rules.md §5.4).
pub fn guidance_rules_2009_committee() -> CommitteeRule {
    CommitteeRule {
        min_members: 5,
        max_members: 11,
        odd_only: true,
        max_term_years: 5,
        article: "《业主大会和业主委员会指导规则》第三十一条、第三十二条".into(),
    }
}

impl RuleSet {
    /// Civil Code Art 278 ¶2 (in force 2021-01-01), rules.md §1.2:
    /// - participation: ≥ 2/3 of total exclusive area AND ≥ 2/3 of all owners;
    /// - items 6–8 (raise the fund, rebuild, change the use of / do business with common
    ///   parts): ≥ 3/4 of participating area AND ≥ 3/4 of participating owners agree;
    /// - all other items (1–5, 9; note that *using* the fund, item 5, is ordinary):
    ///   more than 1/2 of participating area AND of participating owners agree;
    /// - 15 days' notice (PMR Art 14); committee per the 2009 Guidance Rules.
    pub fn civil_code_2021() -> RuleSet {
        RuleSet {
            code: "civil_code_2021".into(),
            name: "《民法典》第二百七十八条（2021年1月1日起施行）".into(),
            participation: Threshold {
                share: Fraction::new(2, 3),
                inclusive: true,
                base: Base::Total,
                article: "《民法典》第二百七十八条第二款（参与表决）".into(),
            },
            special_kinds: vec![MatterKind::RaiseFund, MatterKind::Rebuild, MatterKind::ChangeCommonUse],
            special: Threshold {
                share: Fraction::new(3, 4),
                inclusive: true,
                base: Base::Participating,
                article: "《民法典》第二百七十八条第二款（第一款第六项至第八项）".into(),
            },
            ordinary: Threshold {
                share: Fraction::new(1, 2),
                inclusive: false,
                base: Base::Participating,
                article: "《民法典》第二百七十八条第二款（第一款其他事项）".into(),
            },
            notice_days: 15,
            notice_article: "《物业管理条例》第十四条".into(),
            committee: guidance_rules_2009_committee(),
        }
    }

    /// 物业管理条例 Art 12 (2007–2018 text), the rule before the Civil Code, for
    /// historical votes (rules.md §1.2, "Superseded national rule"):
    /// - participation: more than 1/2 of total area AND more than 1/2 of all owners (¶1);
    /// - PMR Art 11 items 5 (raise and use the fund) and 6 (rebuild): ≥ 2/3 of **total**
    ///   area AND of **all** owners agree (¶3) — here [`MatterKind::UseFund`],
    ///   [`MatterKind::RaiseFund`] and [`MatterKind::Rebuild`];
    /// - all other matters (PMR Art 11 has no item for changing the use of common parts;
    ///   it falls under "其他重大事项"): more than 1/2 of total area AND of all owners (¶3).
    pub fn pmr_2018_art12() -> RuleSet {
        RuleSet {
            code: "pmr_2018_art12".into(),
            name: "《物业管理条例》第十二条（2018年修订，《民法典》施行前）".into(),
            participation: Threshold {
                share: Fraction::new(1, 2),
                inclusive: false,
                base: Base::Total,
                article: "《物业管理条例》第十二条第一款".into(),
            },
            special_kinds: vec![MatterKind::UseFund, MatterKind::RaiseFund, MatterKind::Rebuild],
            special: Threshold {
                share: Fraction::new(2, 3),
                inclusive: true,
                base: Base::Total,
                article: "《物业管理条例》第十二条第三款（第十一条第五项、第六项）".into(),
            },
            ordinary: Threshold {
                share: Fraction::new(1, 2),
                inclusive: false,
                base: Base::Total,
                article: "《物业管理条例》第十二条第三款（第十一条其他事项）".into(),
            },
            notice_days: 15,
            notice_article: "《物业管理条例》第十四条".into(),
            committee: guidance_rules_2009_committee(),
        }
    }

    /// Whether `kind` needs the special consent under this rule set.
    pub fn is_special(&self, kind: MatterKind) -> bool {
        self.special_kinds.contains(&kind)
    }

    /// The consent threshold that applies to `kind`.
    pub fn agreement_rule(&self, kind: MatterKind) -> &Threshold {
        if self.is_special(kind) { &self.special } else { &self.ordinary }
    }

    /// Checks a (loaded) rule set: every share `0 < num <= den` (and an exclusive share
    /// below 1, since "more than all" cannot be met), participation taken of the total,
    /// a committee rule with `1 <= min <= max` and a term of at least a year, a notice of
    /// at most 365 days.
    pub fn validate(&self) -> Result<(), RuleSetError> {
        for (which, t) in [("participation", &self.participation), ("special", &self.special), ("ordinary", &self.ordinary)] {
            let f = t.share;
            if f.den <= 0 || f.num <= 0 || f.num > f.den || (!t.inclusive && f.num == f.den) {
                return Err(RuleSetError::BadShare { which, share: f.to_string() });
            }
        }
        if self.participation.base != Base::Total {
            return Err(RuleSetError::ParticipationBase);
        }
        let c = &self.committee;
        if c.min_members == 0 || c.min_members > c.max_members || c.max_term_years == 0 {
            return Err(RuleSetError::Committee);
        }
        if self.notice_days > 365 {
            return Err(RuleSetError::NoticeDays(self.notice_days));
        }
        Ok(())
    }
}

/// Why a configured rule set cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    #[error("表决规则 {which} 的比例 {share} 无效（应 0 < 分子 ≤ 分母；“超过”时须小于 1）")]
    BadShare { which: &'static str, share: String },
    #[error("参与表决的比例必须以全体业主（总面积、总人数）为基数")]
    ParticipationBase,
    #[error("业主委员会规则无效（人数下限应 ≥ 1 且不大于上限，任期至少 1 年）")]
    Committee,
    #[error("公告期 {0} 天不合理（应不超过 365 天）")]
    NoticeDays(u32),
}

// ---------------------------------------------------------------------------------------
// Electorate
// ---------------------------------------------------------------------------------------

/// Who holds a house, as the registry records it at the freezing date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    /// The registered owner ids (one for sole ownership, several for co-owners, 共有).
    Owners(Vec<i64>),
    /// Still the developer's: unsold, or sold but not delivered (rules.md §1.3).
    DeveloperUnsold,
}

/// One house of the registry, frozen for a vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseRow {
    /// The registry's house id.
    pub house_id: i64,
    /// Exclusive-part area in hundredths of m² (> 0): register area, else surveyed area,
    /// else contract area (rules.md §1.3).
    pub exclusive_area: i64,
    /// Owners, or the developer.
    pub holder: Holder,
    /// The registry's co-ownership group, if any: houses with the same group vote as one
    /// voter even when their owner lists were recorded differently. `None` for most
    /// houses; must be `None` for the developer's houses.
    pub co_owner_group: Option<i64>,
}

/// A voter's identity in a frozen electorate: the developer (all its unsold houses), or a
/// group of owners named by its smallest owner id. Serialised as its code, `"developer"`
/// or `"owner:17"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum VoterId {
    /// The developer, for all its unsold and undelivered houses together.
    Developer,
    /// A group of owners (one owner, or co-owners), named by its smallest owner id.
    Owner(i64),
}

impl VoterId {
    /// `"developer"` or `"owner:17"` — stable, used in receipts and the API.
    pub fn code(self) -> String {
        match self {
            VoterId::Developer => "developer".to_string(),
            VoterId::Owner(id) => format!("owner:{id}"),
        }
    }

    /// Reads a code written by [`VoterId::code`].
    pub fn parse(s: &str) -> Option<VoterId> {
        if s == "developer" {
            return Some(VoterId::Developer);
        }
        s.strip_prefix("owner:")?.parse().ok().map(VoterId::Owner)
    }
}

impl fmt::Display for VoterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl From<VoterId> for String {
    fn from(v: VoterId) -> String {
        v.code()
    }
}

impl TryFrom<String> for VoterId {
    type Error = String;
    fn try_from(s: String) -> Result<VoterId, String> {
        VoterId::parse(&s).ok_or_else(|| format!("无效的投票人编号 {s:?}"))
    }
}

/// One voter: casts one ballot, counts once by head, with the sum of their houses' area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voter {
    /// Who casts the ballot.
    pub id: VoterId,
    /// Owner ids behind this voter, ascending (empty for the developer).
    pub owner_ids: Vec<i64>,
    /// House ids, ascending.
    pub house_ids: Vec<i64>,
    /// Sum of the houses' exclusive area, hundredths of m².
    pub area: i64,
}

/// The electorate's totals: total exclusive area (hundredths of m²) and total owners by
/// head (T_area and T_persons of rules.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Totals {
    /// Total exclusive area, hundredths of m².
    pub area: i64,
    /// Total owners by head (voters).
    pub heads: i64,
}

/// The frozen electorate of a vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Electorate {
    /// Voters ordered by id (the developer first).
    pub voters: Vec<Voter>,
    /// Sum of all areas and number of voters.
    pub totals: Totals,
}

impl Electorate {
    /// The voter with this id.
    pub fn voter(&self, id: VoterId) -> Option<&Voter> {
        self.voters.binary_search_by(|v| v.id.cmp(&id)).ok().map(|i| &self.voters[i])
    }
}

/// A registry row that cannot enter an electorate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElectorateError {
    #[error("没有房屋，无法形成表决名册")]
    Empty,
    #[error("房屋 {0} 重复出现")]
    DuplicateHouse(i64),
    #[error("房屋 {house_id} 的专有部分面积应大于 0，实为 {area}（单位 0.01 m²）")]
    NonPositiveArea { house_id: i64, area: i64 },
    #[error("房屋 {0} 没有登记业主，也未标为开发建设单位未售房屋")]
    NoOwners(i64),
    #[error("房屋 {house_id} 的业主 {owner_id} 重复登记")]
    DuplicateOwner { house_id: i64, owner_id: i64 },
    #[error("房屋 {0} 属开发建设单位未售房屋，不应属于共有人组")]
    DeveloperInGroup(i64),
    #[error("专有部分面积合计超出范围")]
    AreaOverflow,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[hi] = lo;
    }
}

/// Freezes the electorate from registry rows (rules.md §1.3; the national source is
/// probably the SPC building-division interpretation 法释〔2009〕7号 Arts 8–9 \[U\]):
/// - **area**: each house counts once, by its exclusive-part area; the total area is the
///   sum over all houses;
/// - **one unit, one person**: every house belongs to exactly one voter;
/// - **several units, one person**: an owner who holds several houses is one voter whose
///   area is the sum of those houses (an owner id appearing on several rows);
/// - **co-owners, one person**: the co-owners of a house cast one ballot together (Fuzhou
///   guidance, rules.md §1.3). Houses linked by a shared owner id or the same
///   `co_owner_group` form one voter (transitively), so no person is ever counted twice
///   by head;
/// - **the developer, one person**: all houses held as [`Holder::DeveloperUnsold`] (unsold,
///   or sold but undelivered) together are one voter, [`VoterId::Developer`].
///
/// Returns the voters ordered by id with the totals (T_area = Σ areas, T_persons = number
/// of voters). Errors: every bad row is reported (duplicate house, area ≤ 0, no owners, an
/// owner listed twice on one house, a developer house in a co-owner group), or
/// [`ElectorateError::Empty`].
pub fn freeze_electorate(rows: &[HouseRow]) -> Result<Electorate, Vec<ElectorateError>> {
    if rows.is_empty() {
        return Err(vec![ElectorateError::Empty]);
    }
    let mut errors = Vec::new();
    let mut seen_house = HashMap::new();
    for r in rows {
        if seen_house.insert(r.house_id, ()).is_some() {
            errors.push(ElectorateError::DuplicateHouse(r.house_id));
        }
        if r.exclusive_area <= 0 {
            errors.push(ElectorateError::NonPositiveArea { house_id: r.house_id, area: r.exclusive_area });
        }
        match &r.holder {
            Holder::Owners(ids) if ids.is_empty() => errors.push(ElectorateError::NoOwners(r.house_id)),
            Holder::Owners(ids) => {
                let mut s = BTreeSet::new();
                for &o in ids {
                    if !s.insert(o) {
                        errors.push(ElectorateError::DuplicateOwner { house_id: r.house_id, owner_id: o });
                    }
                }
            }
            Holder::DeveloperUnsold if r.co_owner_group.is_some() => errors.push(ElectorateError::DeveloperInGroup(r.house_id)),
            Holder::DeveloperUnsold => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut parent: Vec<usize> = (0..rows.len()).collect();
    let mut by_owner: HashMap<i64, usize> = HashMap::new();
    let mut by_group: HashMap<i64, usize> = HashMap::new();
    let mut developer: Option<usize> = None;
    for (i, r) in rows.iter().enumerate() {
        match &r.holder {
            Holder::Owners(ids) => {
                for &o in ids {
                    let first = *by_owner.entry(o).or_insert(i);
                    union(&mut parent, first, i);
                }
            }
            Holder::DeveloperUnsold => {
                let first = *developer.get_or_insert(i);
                union(&mut parent, first, i);
            }
        }
        if let Some(g) = r.co_owner_group {
            let first = *by_group.entry(g).or_insert(i);
            union(&mut parent, first, i);
        }
    }

    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..rows.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    let mut voters = Vec::with_capacity(groups.len());
    let mut total_area: i64 = 0;
    for members in groups.values() {
        let mut owners = BTreeSet::new();
        let mut houses = Vec::with_capacity(members.len());
        let mut area: i64 = 0;
        let mut is_developer = false;
        for &i in members {
            let r = &rows[i];
            houses.push(r.house_id);
            area = area.checked_add(r.exclusive_area).ok_or_else(|| vec![ElectorateError::AreaOverflow])?;
            match &r.holder {
                Holder::Owners(ids) => owners.extend(ids.iter().copied()),
                Holder::DeveloperUnsold => is_developer = true,
            }
        }
        total_area = total_area.checked_add(area).ok_or_else(|| vec![ElectorateError::AreaOverflow])?;
        houses.sort_unstable();
        let owner_ids: Vec<i64> = owners.into_iter().collect();
        let id = if is_developer { VoterId::Developer } else { VoterId::Owner(owner_ids[0]) };
        voters.push(Voter { id, owner_ids, house_ids: houses, area });
    }
    voters.sort_by_key(|v| v.id);
    let heads = voters.len() as i64;
    Ok(Electorate { voters, totals: Totals { area: total_area, heads } })
}

// ---------------------------------------------------------------------------------------
// Ballots
// ---------------------------------------------------------------------------------------

code_enum! {
    /// A voter's choice on one matter. Abstaining is taking part (it counts toward
    /// participation and toward the consent base under Civil Code Art 278 ¶2) without
    /// agreeing.
    Choice {
        /// 同意
        Agree = "agree" / "同意" | "赞成",
        /// 反对
        Disagree = "disagree" / "反对" | "不同意",
        /// 弃权
        Abstain = "abstain" / "弃权",
    }
}

/// One matter put to the vote, numbered within the vote (1, 2, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Matter {
    /// Number within the vote, as on the ballot paper.
    pub no: u32,
    /// Which of the nine matters of Art 278 ¶1 it is.
    pub kind: MatterKind,
}

/// One voter's ballot: a choice per matter number. A matter left out of `choices` is not
/// voted on by this voter (the voter does not take part in that matter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    /// Who cast it.
    pub voter: VoterId,
    /// Choice per matter number.
    pub choices: BTreeMap<u32, Choice>,
}

impl Ballot {
    /// The canonical text of the choices, see [`choices_text`].
    pub fn canonical_text(&self) -> String {
        choices_text(&self.choices)
    }
}

/// Canonical text of choices: `"<no>=<code>"` in ascending matter order joined by `;`,
/// e.g. `"1=agree;2=abstain;3=disagree"`; empty for no choices. Used in receipts and in
/// the published chain.
pub fn choices_text(choices: &BTreeMap<u32, Choice>) -> String {
    choices.iter().map(|(no, c)| format!("{no}={}", c.code())).collect::<Vec<_>>().join(";")
}

/// Reads a text written by [`choices_text`]; `None` if it is not canonical (bad syntax,
/// unknown code, matters out of order or repeated).
pub fn parse_choices_text(s: &str) -> Option<BTreeMap<u32, Choice>> {
    let mut out = BTreeMap::new();
    if s.is_empty() {
        return Some(out);
    }
    let mut last: Option<u32> = None;
    for part in s.split(';') {
        let (no, code) = part.split_once('=')?;
        if no.is_empty() || !no.bytes().all(|b| b.is_ascii_digit()) || (no.len() > 1 && no.starts_with('0')) {
            return None;
        }
        let no: u32 = no.parse().ok()?;
        let c = Choice::ALL.iter().copied().find(|c| c.code() == code)?;
        if last.is_some_and(|l| l >= no) {
            return None;
        }
        last = Some(no);
        out.insert(no, c);
    }
    Some(out)
}

/// Keeps the last ballot of each voter from a sequence in casting order ("the last one
/// counts"); the result is ordered by voter id.
pub fn last_ballot_per_voter(ballots: impl IntoIterator<Item = Ballot>) -> Vec<Ballot> {
    let mut last: BTreeMap<VoterId, Ballot> = BTreeMap::new();
    for b in ballots {
        last.insert(b.voter, b);
    }
    last.into_values().collect()
}

// ---------------------------------------------------------------------------------------
// Tally
// ---------------------------------------------------------------------------------------

/// Aggregate sums of the ballots cast on one matter (what a store can compute with one
/// `GROUP BY`). Areas in hundredths of m², heads are voters. Abstentions are
/// `participating − agree − disagree`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatterSums {
    /// P_area: area of the voters with any choice on the matter (abstaining included).
    pub participating_area: i64,
    /// P_persons: number of those voters.
    pub participating_heads: i64,
    /// Y_area: area of the voters who agree.
    pub agree_area: i64,
    /// Y_persons: number of voters who agree.
    pub agree_heads: i64,
    /// Area of the voters who disagree.
    pub disagree_area: i64,
    /// Number of voters who disagree.
    pub disagree_heads: i64,
}

impl MatterSums {
    /// Adds one voter's choice.
    pub fn add(&mut self, area: i64, choice: Choice) {
        self.participating_area += area;
        self.participating_heads += 1;
        match choice {
            Choice::Agree => {
                self.agree_area += area;
                self.agree_heads += 1;
            }
            Choice::Disagree => {
                self.disagree_area += area;
                self.disagree_heads += 1;
            }
            Choice::Abstain => {}
        }
    }

    /// Area of the voters who abstain.
    pub fn abstain_area(&self) -> i64 {
        self.participating_area - self.agree_area - self.disagree_area
    }

    /// Number of voters who abstain.
    pub fn abstain_heads(&self) -> i64 {
        self.participating_heads - self.agree_heads - self.disagree_heads
    }
}

/// How owners who did not vote on a matter are treated (rules.md §1.7).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SilentVote {
    /// Non-voters are simply not participating (the default, and the only choice without
    /// a covenant clause).
    #[default]
    NotCounted,
    /// "沉默票计入多数": the covenant or the assembly rules say non-voters' weight is added
    /// to the majority of the votes cast (Guidance Rules 2009 Art 26 ¶2). `clause` cites
    /// that clause (e.g. `管理规约第二十条`) and must not be blank. Legally contested
    /// (rules.md §1.7).
    FollowMajority { clause: String },
}

/// Options of a tally.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TallyOptions {
    /// How non-voters are treated; [`SilentVote::NotCounted`] unless the covenant says otherwise.
    pub silent_vote: SilentVote,
}

/// The non-voters' weight added under [`SilentVote::FollowMajority`], per measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Imputation {
    /// The covenant clause relied on.
    pub clause: String,
    /// Area of the owners who did not vote on the matter (hundredths of m²).
    pub area: i64,
    /// Number of owners who did not vote on the matter.
    pub heads: i64,
    /// The side the area joined: the larger of agree and disagree **area** among the votes
    /// cast; `None` on a tie (then nothing is imputed).
    pub area_to: Option<Choice>,
    /// The side the heads joined, decided by head counts the same way.
    pub heads_to: Option<Choice>,
}

/// `part` out of `whole` as an exact fraction and as percentage text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Share {
    /// The numerator as counted (hundredths of m², or heads).
    pub part: i64,
    /// The base as counted (hundredths of m², or heads).
    pub whole: i64,
    /// Reduced exact fraction, serialised as text `"2/3"`; `0/1` when `whole` is 0.
    #[serde(serialize_with = "ratio_as_text")]
    #[schema(value_type = String, example = "2/3")]
    pub ratio: Ratio<i64>,
    /// Percentage with two decimals, rounded half up from integers: `"66.67%"`.
    pub percent: String,
}

fn ratio_as_text<S: serde::Serializer>(r: &Ratio<i64>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{}/{}", r.numer(), r.denom()))
}

impl Share {
    /// The share `part/whole` (`whole` 0 reads as 0).
    pub fn new(part: i64, whole: i64) -> Share {
        let ratio = if whole == 0 { Ratio::from_integer(0) } else { Ratio::new(part, whole) };
        Share { part, whole, ratio, percent: percent_text(part, whole) }
    }
}

/// `part/whole` as a percentage with two decimals, rounded half up, computed on integers
/// only (`2/3` → `"66.67%"`, `1/8` → `"12.50%"`, `0/0` → `"0.00%"`). For display; decide
/// with exact comparisons.
pub fn percent_text(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "0.00%".to_string();
    }
    let (mut n, mut d) = (part as i128 * 10_000, whole as i128);
    if d < 0 {
        n = -n;
        d = -d;
    }
    // Round half away from zero: floor((2n + d) / 2d) for n ≥ 0, mirrored for n < 0.
    let bp = if n >= 0 { (2 * n + d) / (2 * d) } else { -((2 * -n + d) / (2 * d)) };
    let sign = if bp < 0 { "-" } else { "" };
    let a = bp.unsigned_abs();
    format!("{sign}{}.{:02}%", a / 100, a % 100)
}

/// The outcome of one matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MatterResult {
    /// The matter's number within the vote.
    pub matter_no: u32,
    /// The matter's kind.
    pub kind: MatterKind,
    /// Whether the special consent applied ([`RuleSet::special_kinds`]).
    pub special: bool,
    /// The electorate's totals.
    pub totals: Totals,
    /// The ballots actually cast.
    pub sums: MatterSums,
    /// Silent votes added for the consent test (never for participation), when the
    /// covenant clause is applied.
    pub imputed: Option<Imputation>,
    /// Participating area of total area.
    pub participation_area: Share,
    /// Participating owners of all owners.
    pub participation_heads: Share,
    /// Agreeing area of the consent base (participating area, or total under a
    /// [`Base::Total`] rule; plus silent votes when imputed).
    pub agreement_area: Share,
    /// Agreeing owners of the consent base.
    pub agreement_heads: Share,
    /// The quorum rule applied (with its article).
    pub participation_rule: Threshold,
    /// The consent rule applied (with its article).
    pub agreement_rule: Threshold,
    /// Participating area meets the quorum rule.
    pub participation_area_met: bool,
    /// Participating owners meet the quorum rule.
    pub participation_heads_met: bool,
    /// Agreeing area meets the consent rule.
    pub agreement_area_met: bool,
    /// Agreeing owners meet the consent rule.
    pub agreement_heads_met: bool,
    /// All four tests met.
    pub passed: bool,
    /// Why it failed, in Chinese, one line per failed test, e.g. `"参与面积不足 2/3"`;
    /// empty when passed.
    pub failures: Vec<String>,
}

/// Why a tally cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TallyError {
    #[error(transparent)]
    RuleSet(#[from] RuleSetError),
    #[error("表决名册为空（总面积或总人数为 0）")]
    EmptyElectorate,
    #[error("事项编号 {0} 重复")]
    DuplicateMatter(u32),
    #[error("投票人 {0} 不在冻结的表决名册中")]
    UnknownVoter(VoterId),
    #[error("投票人 {0} 有多张表决票（只应计最后一张）")]
    DuplicateBallot(VoterId),
    #[error("投票人 {voter} 的表决票含未列入本次表决的事项 {matter_no}")]
    UnknownMatter { voter: VoterId, matter_no: u32 },
    #[error("事项 {matter_no} 的汇总数不一致：{reason}")]
    InconsistentSums { matter_no: u32, reason: String },
    #[error("沉默票计入多数须写明管理规约或业主大会议事规则的条款（指导规则第二十六条第二款）")]
    SilentClauseMissing,
}

/// Checks ballots against the electorate and matters: every voter known, one ballot per
/// voter, only listed matters.
fn check_ballots(electorate: &Electorate, matters: &[Matter], ballots: &[Ballot]) -> Result<(), TallyError> {
    let mut nos = BTreeSet::new();
    for m in matters {
        if !nos.insert(m.no) {
            return Err(TallyError::DuplicateMatter(m.no));
        }
    }
    let mut seen = BTreeSet::new();
    for b in ballots {
        if electorate.voter(b.voter).is_none() {
            return Err(TallyError::UnknownVoter(b.voter));
        }
        if !seen.insert(b.voter) {
            return Err(TallyError::DuplicateBallot(b.voter));
        }
        if let Some(&no) = b.choices.keys().find(|no| !nos.contains(*no)) {
            return Err(TallyError::UnknownMatter { voter: b.voter, matter_no: no });
        }
    }
    Ok(())
}

/// Tallies a vote from its counted ballots (one per voter — use
/// [`last_ballot_per_voter`] first) under `rules` (Civil Code Art 278 ¶2 by default).
/// Per matter: participation and consent by area and by head as exact fractions and
/// percentages, whether each test is met, passed, the rules applied and why it failed.
/// The same as summing the ballots per matter and calling [`tally_from_sums`].
///
/// Errors: invalid rule set, empty electorate, duplicate matter numbers, a ballot from a
/// voter outside the electorate, two ballots of one voter, a choice on an unlisted matter,
/// a silent-vote option without its covenant clause.
pub fn tally(rules: &RuleSet, electorate: &Electorate, matters: &[Matter], ballots: &[Ballot], options: &TallyOptions) -> Result<Vec<MatterResult>, TallyError> {
    check_ballots(electorate, matters, ballots)?;
    let mut sums: BTreeMap<u32, MatterSums> = matters.iter().map(|m| (m.no, MatterSums::default())).collect();
    for b in ballots {
        let area = electorate.voter(b.voter).map(|v| v.area).unwrap_or(0);
        for (no, &c) in &b.choices {
            if let Some(s) = sums.get_mut(no) {
                s.add(area, c);
            }
        }
    }
    matters.iter().map(|m| tally_from_sums(rules, electorate.totals, m, &sums[&m.no], options)).collect()
}

/// The outcome of one matter from aggregate sums — the store may sum ballots in SQL and
/// call this; [`tally`] gives identical results from the ballots themselves.
///
/// The decision (rules.md §1.2, "\[D\] Decision algorithm"; Civil Code Art 278 ¶2):
/// - quorum: `participation.met(P_area, T_area) && participation.met(P_heads, T_heads)`,
///   always on the ballots actually cast;
/// - consent: `rule.met(Y, base)` for area and for heads, `rule` being the special or the
///   ordinary threshold for the matter's kind, `base` the participating (or, under a
///   [`Base::Total`] rule, the total) measure;
/// - passed: all four.
///
/// With [`SilentVote::FollowMajority`], for each measure separately, the weight of those
/// who did not vote on the matter (`T − P`) joins the larger of agree and disagree among
/// the votes cast (none on a tie; abstentions are not a side): it is added to the consent
/// base, and to the agreeing side if that side is agree. It never counts toward the
/// quorum (rules.md §1.7, \[D\]).
///
/// Errors: invalid rule set; zero totals; sums that cannot come from real ballots (negative,
/// more than the totals, agree + disagree over participating, heads without area or area
/// without heads); blank silent-vote clause.
pub fn tally_from_sums(rules: &RuleSet, totals: Totals, matter: &Matter, sums: &MatterSums, options: &TallyOptions) -> Result<MatterResult, TallyError> {
    rules.validate()?;
    if totals.area <= 0 || totals.heads <= 0 {
        return Err(TallyError::EmptyElectorate);
    }
    check_sums(matter.no, totals, sums)?;
    let special = rules.is_special(matter.kind);
    let rule = rules.agreement_rule(matter.kind).clone();
    let quorum = rules.participation.clone();

    let imputed = match &options.silent_vote {
        SilentVote::NotCounted => None,
        SilentVote::FollowMajority { clause } => {
            if clause.trim().is_empty() {
                return Err(TallyError::SilentClauseMissing);
            }
            let side = |agree: i64, disagree: i64| match agree.cmp(&disagree) {
                std::cmp::Ordering::Greater => Some(Choice::Agree),
                std::cmp::Ordering::Less => Some(Choice::Disagree),
                std::cmp::Ordering::Equal => None,
            };
            Some(Imputation {
                clause: clause.trim().to_string(),
                area: totals.area - sums.participating_area,
                heads: totals.heads - sums.participating_heads,
                area_to: side(sums.agree_area, sums.disagree_area),
                heads_to: side(sums.agree_heads, sums.disagree_heads),
            })
        }
    };

    // (agreeing, base) for one measure.
    let consent = |agree: i64, participating: i64, total: i64, silent: i64, to: Option<Choice>| -> (i64, i64) {
        let extra_base = if to.is_some() { silent } else { 0 };
        let extra_agree = if to == Some(Choice::Agree) { silent } else { 0 };
        let base = match rule.base {
            Base::Participating => participating + extra_base,
            Base::Total => total,
        };
        (agree + extra_agree, base)
    };
    let (area_silent, area_to, heads_silent, heads_to) = match &imputed {
        Some(i) => (i.area, i.area_to, i.heads, i.heads_to),
        None => (0, None, 0, None),
    };
    let (y_area, b_area) = consent(sums.agree_area, sums.participating_area, totals.area, area_silent, area_to);
    let (y_heads, b_heads) = consent(sums.agree_heads, sums.participating_heads, totals.heads, heads_silent, heads_to);

    let participation_area_met = quorum.met(sums.participating_area, totals.area);
    let participation_heads_met = quorum.met(sums.participating_heads, totals.heads);
    let agreement_area_met = rule.met(y_area, b_area);
    let agreement_heads_met = rule.met(y_heads, b_heads);
    let mut failures = Vec::new();
    if !participation_area_met {
        failures.push(quorum.shortfall_zh("参与面积"));
    }
    if !participation_heads_met {
        failures.push(quorum.shortfall_zh("参与人数"));
    }
    if !agreement_area_met {
        failures.push(rule.shortfall_zh("同意面积"));
    }
    if !agreement_heads_met {
        failures.push(rule.shortfall_zh("同意人数"));
    }
    Ok(MatterResult {
        matter_no: matter.no,
        kind: matter.kind,
        special,
        totals,
        sums: *sums,
        imputed,
        participation_area: Share::new(sums.participating_area, totals.area),
        participation_heads: Share::new(sums.participating_heads, totals.heads),
        agreement_area: Share::new(y_area, b_area),
        agreement_heads: Share::new(y_heads, b_heads),
        participation_rule: quorum,
        agreement_rule: rule,
        participation_area_met,
        participation_heads_met,
        agreement_area_met,
        agreement_heads_met,
        passed: failures.is_empty(),
        failures,
    })
}

fn check_sums(matter_no: u32, t: Totals, s: &MatterSums) -> Result<(), TallyError> {
    let bad = |reason: &str| Err(TallyError::InconsistentSums { matter_no, reason: reason.to_string() });
    let all = [s.participating_area, s.participating_heads, s.agree_area, s.agree_heads, s.disagree_area, s.disagree_heads];
    if all.iter().any(|&v| v < 0) {
        return bad("出现负数");
    }
    if s.participating_area > t.area || s.participating_heads > t.heads {
        return bad("参与数超过总数");
    }
    if s.agree_area as i128 + s.disagree_area as i128 > s.participating_area as i128 || s.agree_heads + s.disagree_heads > s.participating_heads {
        return bad("同意与反对之和超过参与数");
    }
    for (area, heads) in [(s.participating_area, s.participating_heads), (s.agree_area, s.agree_heads), (s.disagree_area, s.disagree_heads)] {
        if (area == 0) != (heads == 0) {
            return bad("面积与人数不对应（有人数无面积或有面积无人数）");
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Receipts and the published chain
// ---------------------------------------------------------------------------------------

fn sha256_fields(fields: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A voter's receipt code (回执码): lower-case hex SHA-256 over the vote id, the voter id
/// ([`VoterId::code`]), the ballot's canonical text ([`choices_text`]) and a secret salt
/// kept by the platform for this vote, each field length-prefixed (as in
/// [`crate::audit::entry_hash`]) so that fields cannot slide into each other. The voter
/// finds their receipt in the published tally and checks their choices without anyone
/// else learning who they are; without the salt, nobody can test a guess of who voted
/// how.
pub fn receipt_code(vote_id: i64, voter: VoterId, ballot_text: &str, salt: &[u8]) -> String {
    sha256_fields(&[b"wuye-receipt-v1", vote_id.to_string().as_bytes(), voter.code().as_bytes(), ballot_text.as_bytes(), salt])
}

/// One line of the published tally: a receipt, the voter's area (the weight needed to
/// re-add the area totals; no name, no house), the choices, and the hash chain. Each
/// line counts one head on the matters it has a choice for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublishedEntry {
    /// The voter's receipt code ([`receipt_code`]).
    pub receipt: String,
    /// Exclusive area in hundredths of m².
    pub area: i64,
    /// Choice per matter number.
    pub choices: BTreeMap<u32, Choice>,
    /// Hash of the previous line ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// [`published_entry_hash`] of this line.
    pub hash: String,
}

/// Hash of one published line: SHA-256 over the vote id, the previous line's hash, the
/// receipt, the area and the canonical choices, length-prefixed, lower-case hex.
pub fn published_entry_hash(vote_id: i64, prev_hash: &str, receipt: &str, area: i64, choices: &BTreeMap<u32, Choice>) -> String {
    sha256_fields(&[
        b"wuye-tally-v1",
        vote_id.to_string().as_bytes(),
        prev_hash.as_bytes(),
        receipt.as_bytes(),
        area.to_string().as_bytes(),
        choices_text(choices).as_bytes(),
    ])
}

/// Builds the published tally from the counted ballots: one line per ballot with its
/// receipt ([`receipt_code`]), ordered by receipt (so the order reveals nothing about
/// when or who), chained from [`GENESIS`]. Publish the last hash with the result: it
/// pins the whole list. Errors as in [`tally`] for the ballots.
pub fn publish_tally(vote_id: i64, electorate: &Electorate, matters: &[Matter], ballots: &[Ballot], salt: &[u8]) -> Result<Vec<PublishedEntry>, TallyError> {
    check_ballots(electorate, matters, ballots)?;
    let mut lines: Vec<(String, i64, BTreeMap<u32, Choice>)> = ballots
        .iter()
        .map(|b| {
            let area = electorate.voter(b.voter).map(|v| v.area).unwrap_or(0);
            (receipt_code(vote_id, b.voter, &b.canonical_text(), salt), area, b.choices.clone())
        })
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    let mut prev = GENESIS.to_string();
    Ok(lines
        .into_iter()
        .map(|(receipt, area, choices)| {
            let hash = published_entry_hash(vote_id, &prev, &receipt, area, &choices);
            PublishedEntry { receipt, area, choices, prev_hash: std::mem::replace(&mut prev, hash.clone()), hash }
        })
        .collect())
}

/// Verifies the published chain; returns the index (0-based) of the first line whose
/// `prev_hash` is not the previous line's hash (or [`GENESIS`] for the first) or whose
/// `hash` does not match its content; `None` when intact. An edited line is named
/// itself; a deleted or inserted line is named at the line after the gap.
pub fn verify_chain(vote_id: i64, entries: &[PublishedEntry]) -> Option<usize> {
    let mut prev = GENESIS;
    for (i, e) in entries.iter().enumerate() {
        if e.prev_hash != prev || e.hash != published_entry_hash(vote_id, prev, &e.receipt, e.area, &e.choices) {
            return Some(i);
        }
        prev = &e.hash;
    }
    None
}

/// Re-adds the published lines into sums per matter number (each line one head, its area
/// as weight) — anyone can recompute the published totals from the published list.
pub fn sums_from_entries(entries: &[PublishedEntry]) -> BTreeMap<u32, MatterSums> {
    let mut out: BTreeMap<u32, MatterSums> = BTreeMap::new();
    for e in entries {
        for (&no, &c) in &e.choices {
            out.entry(no).or_default().add(e.area, c);
        }
    }
    out
}

/// A published total that the published lines do not add up to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("事项 {matter_no} 公布的合计与逐条记录相加不符")]
pub struct TotalsMismatch {
    /// The matter.
    pub matter_no: u32,
    /// The sums the published result shows.
    pub published: MatterSums,
    /// The sums of the published lines.
    pub recomputed: MatterSums,
}

/// Checks that the published results' sums equal the sums of the published lines,
/// matter by matter (a matter with no lines must show zero sums). Returns every mismatch.
pub fn check_published_totals(entries: &[PublishedEntry], results: &[MatterResult]) -> Result<(), Vec<TotalsMismatch>> {
    let sums = sums_from_entries(entries);
    let bad: Vec<TotalsMismatch> = results
        .iter()
        .filter_map(|r| {
            let recomputed = sums.get(&r.matter_no).copied().unwrap_or_default();
            (recomputed != r.sums).then_some(TotalsMismatch { matter_no: r.matter_no, published: r.sums, recomputed })
        })
        .collect();
    if bad.is_empty() { Ok(()) } else { Err(bad) }
}

// ---------------------------------------------------------------------------------------
// Committee
// ---------------------------------------------------------------------------------------

/// A committee composition that breaks the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitteeError {
    #[error("业主委员会委员不得少于 {min} 人，现为 {count} 人（{article}）")]
    TooFew { count: u32, min: u32, article: String },
    #[error("业主委员会委员不得多于 {max} 人，现为 {count} 人（{article}）")]
    TooMany { count: u32, max: u32, article: String },
    #[error("业主委员会委员人数应为单数，现为 {count} 人（{article}）")]
    EvenCount { count: u32, article: String },
    #[error("任期结束日 {end} 不能早于开始日 {start}")]
    TermEndsBeforeStart { start: NaiveDate, end: NaiveDate },
    #[error("业主委员会任期不得超过 {max_years} 年：{start} 起最迟至 {latest_end}，现为至 {end}（{article}）")]
    TermTooLong { start: NaiveDate, end: NaiveDate, latest_end: NaiveDate, max_years: u32, article: String },
}

/// Checks a committee's size and term against `rule` (default 5–11 members, odd, term ≤ 5
/// years: Guidance Rules 2009 Arts 31–32, rules.md §5.4). The term runs from
/// `term_start` to `term_end` inclusive; it may end at the latest on the same calendar
/// date `max_term_years` later (a start on 29 February ends at the latest on 28 February).
/// Returns every problem found.
pub fn validate_committee(rule: &CommitteeRule, members: u32, term_start: NaiveDate, term_end: NaiveDate) -> Result<(), Vec<CommitteeError>> {
    let mut errors = Vec::new();
    let article = || rule.article.clone();
    if members < rule.min_members {
        errors.push(CommitteeError::TooFew { count: members, min: rule.min_members, article: article() });
    }
    if members > rule.max_members {
        errors.push(CommitteeError::TooMany { count: members, max: rule.max_members, article: article() });
    }
    if rule.odd_only && members.is_multiple_of(2) {
        errors.push(CommitteeError::EvenCount { count: members, article: article() });
    }
    if term_end < term_start {
        errors.push(CommitteeError::TermEndsBeforeStart { start: term_start, end: term_end });
    } else {
        let latest_end = term_start.checked_add_months(Months::new(rule.max_term_years * 12)).unwrap_or(NaiveDate::MAX);
        if term_end > latest_end {
            errors.push(CommitteeError::TermTooLong { start: term_start, end: term_end, latest_end, max_years: rule.max_term_years, article: article() });
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

// ---------------------------------------------------------------------------------------
// Vote lifecycle
// ---------------------------------------------------------------------------------------

code_enum! {
    /// The state of a vote: draft → announced → open → closed → published.
    VoteState {
        /// 草稿: being prepared, not visible to owners
        Draft = "draft" / "草稿",
        /// 已公告: announced to all owners, not yet open
        Announced = "announced" / "已公告",
        /// 投票中
        Open = "open" / "投票中",
        /// 已截止: voting ended, counting
        Closed = "closed" / "已截止",
        /// 已公布: result and tally published
        Published = "published" / "已公布",
    }
}

/// The dates a lifecycle transition is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VoteDates {
    /// The day the vote was announced (set when entering `announced`).
    pub announced_on: Option<NaiveDate>,
    /// The planned opening day, set before announcing.
    pub opens_on: Option<NaiveDate>,
}

/// An illegal lifecycle step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteTransitionError {
    #[error("表决不能从「{}」变为「{}」", .from.label_zh(), .to.label_zh())]
    Illegal { from: VoteState, to: VoteState },
    #[error("公告前须确定开始投票日期")]
    NoOpeningDate,
    #[error("缺少公告日期，不能开始投票")]
    NotAnnounced,
    #[error("公告日 {announced_on} 至开始投票日 {opens_on} 仅 {days} 天，应至少 {required} 天（{article}）")]
    NoticeTooShort { announced_on: NaiveDate, opens_on: NaiveDate, days: i64, required: u32, article: String },
    #[error("尚未到公告的开始投票日 {0}")]
    BeforeOpeningDate(NaiveDate),
}

/// One step of a vote's lifecycle, checked on `today` (the caller's date in
/// Asia/Shanghai). Allowed: draft → announced (only if `dates.opens_on` is at least
/// `rules.notice_days` calendar days after today: PMR Art 14, "15日以前通知");
/// announced → open (only on or after `opens_on`, and at least `notice_days` after
/// `announced_on`); open → closed; closed → published. Anything else, including staying
/// in place and going back, is [`VoteTransitionError::Illegal`]. Returns the new state.
pub fn vote_transition(rules: &RuleSet, from: VoteState, to: VoteState, dates: &VoteDates, today: NaiveDate) -> Result<VoteState, VoteTransitionError> {
    let notice = |announced_on: NaiveDate, opens_on: NaiveDate| {
        let days = (opens_on - announced_on).num_days();
        if days < rules.notice_days as i64 {
            Err(VoteTransitionError::NoticeTooShort { announced_on, opens_on, days, required: rules.notice_days, article: rules.notice_article.clone() })
        } else {
            Ok(())
        }
    };
    match (from, to) {
        (VoteState::Draft, VoteState::Announced) => {
            let opens_on = dates.opens_on.ok_or(VoteTransitionError::NoOpeningDate)?;
            notice(today, opens_on)?;
        }
        (VoteState::Announced, VoteState::Open) => {
            let announced_on = dates.announced_on.ok_or(VoteTransitionError::NotAnnounced)?;
            if let Some(opens_on) = dates.opens_on
                && today < opens_on
            {
                return Err(VoteTransitionError::BeforeOpeningDate(opens_on));
            }
            notice(announced_on, today)?;
        }
        (VoteState::Open, VoteState::Closed) | (VoteState::Closed, VoteState::Published) => {}
        _ => return Err(VoteTransitionError::Illegal { from, to }),
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Choice::{Abstain, Agree, Disagree};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn r(n: i64, d: i64) -> Ratio<i64> {
        Ratio::new(n, d)
    }

    /// Owners 1..=n, each holding one house (id 100 + owner) of the given area.
    fn electorate(areas: &[i64]) -> Electorate {
        let rows: Vec<HouseRow> = areas
            .iter()
            .enumerate()
            .map(|(i, &a)| HouseRow { house_id: 101 + i as i64, exclusive_area: a, holder: Holder::Owners(vec![1 + i as i64]), co_owner_group: None })
            .collect();
        freeze_electorate(&rows).unwrap()
    }

    fn ballot(owner: i64, choice: Choice) -> Ballot {
        Ballot { voter: VoterId::Owner(owner), choices: BTreeMap::from([(1, choice)]) }
    }

    /// One matter of `kind`, ballots `(owner, choice)`.
    fn run_with(rules: &RuleSet, e: &Electorate, kind: MatterKind, votes: &[(i64, Choice)], options: &TallyOptions) -> MatterResult {
        let ballots: Vec<Ballot> = votes.iter().map(|&(o, c)| ballot(o, c)).collect();
        tally(rules, e, &[Matter { no: 1, kind }], &ballots, options).unwrap().remove(0)
    }

    fn run(e: &Electorate, kind: MatterKind, votes: &[(i64, Choice)]) -> MatterResult {
        run_with(&RuleSet::civil_code_2021(), e, kind, votes, &TallyOptions::default())
    }

    // --- matters and rule sets -------------------------------------------------------

    #[test]
    fn nine_matter_kinds_with_stable_codes() {
        assert_eq!(MatterKind::ALL.len(), 9);
        let items: Vec<u8> = MatterKind::ALL.iter().map(|k| k.item()).collect();
        assert_eq!(items, (1..=9).collect::<Vec<u8>>());
        for &k in MatterKind::ALL {
            assert_eq!(MatterKind::parse(k.code()), Some(k));
            assert_eq!(MatterKind::parse(k.label_zh()), Some(k));
            // serde uses the same code as the database.
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.code()));
        }
        assert_eq!(MatterKind::RaiseFund.code(), "raise_fund");
        assert_eq!(MatterKind::RaiseFund.label_zh(), "筹集建筑物及其附属设施的维修资金");
        assert_eq!(MatterKind::parse("续筹维修资金"), Some(MatterKind::RaiseFund));
        assert_eq!(MatterKind::parse(" use_fund "), Some(MatterKind::UseFund));
        assert_eq!(MatterKind::parse("买菜"), None);
    }

    #[test]
    fn civil_code_special_kinds_are_items_6_to_8_only() {
        let cc = RuleSet::civil_code_2021();
        assert_eq!(cc.validate(), Ok(()));
        let special: Vec<u8> = MatterKind::ALL.iter().filter(|k| cc.is_special(**k)).map(|k| k.item()).collect();
        assert_eq!(special, vec![6, 7, 8]);
        // Using the fund is ordinary; raising it is special.
        assert_eq!(cc.agreement_rule(MatterKind::UseFund).symbol(), "> 1/2");
        assert_eq!(cc.agreement_rule(MatterKind::RaiseFund).symbol(), "≥ 3/4");
        assert_eq!(cc.participation.symbol(), "≥ 2/3");
        assert_eq!(cc.participation.phrase_zh(), "2/3以上");
        assert_eq!(cc.ordinary.phrase_zh(), "过半数");
        assert!(cc.special.article.contains("第二百七十八条"));
        assert_eq!(cc.notice_days, 15);
        assert_eq!(RuleSet::default(), cc);
    }

    #[test]
    fn pmr_art12_specials_and_bases() {
        let p = RuleSet::pmr_2018_art12();
        assert_eq!(p.validate(), Ok(()));
        let special: Vec<MatterKind> = MatterKind::ALL.iter().copied().filter(|k| p.is_special(*k)).collect();
        assert_eq!(special, vec![MatterKind::UseFund, MatterKind::RaiseFund, MatterKind::Rebuild]);
        assert_eq!(p.participation.symbol(), "> 1/2");
        assert_eq!(p.special.base, Base::Total);
        assert_eq!(p.ordinary.base, Base::Total);
        assert!(p.special.article.contains("物业管理条例"));
    }

    #[test]
    fn rule_set_is_data_and_is_validated() {
        let cc = RuleSet::civil_code_2021();
        let json = serde_json::to_string(&cc).unwrap();
        assert!(json.contains(r#""share":{"num":2,"den":3},"inclusive":true,"base":"total""#), "{json}");
        assert!(json.contains(r#""special_kinds":["raise_fund","rebuild","change_common_use"]"#), "{json}");
        let back: RuleSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cc);

        let mut bad = cc.clone();
        bad.special.share = Fraction::new(4, 3);
        assert_eq!(bad.validate(), Err(RuleSetError::BadShare { which: "special", share: "4/3".into() }));
        let mut bad = cc.clone();
        bad.ordinary.share = Fraction::new(1, 0);
        assert!(matches!(bad.validate(), Err(RuleSetError::BadShare { which: "ordinary", .. })));
        let mut bad = cc.clone();
        bad.ordinary = Threshold { share: Fraction::new(1, 1), inclusive: false, ..bad.ordinary };
        assert!(matches!(bad.validate(), Err(RuleSetError::BadShare { .. })));
        let mut bad = cc.clone();
        bad.participation.base = Base::Participating;
        assert_eq!(bad.validate(), Err(RuleSetError::ParticipationBase));
        let mut bad = cc.clone();
        bad.committee.min_members = 13;
        assert_eq!(bad.validate(), Err(RuleSetError::Committee));
        // An invalid rule set cannot tally.
        let e = electorate(&[100]);
        assert!(matches!(
            tally(&bad, &e, &[Matter { no: 1, kind: MatterKind::Covenant }], &[], &TallyOptions::default()),
            Err(TallyError::RuleSet(RuleSetError::Committee))
        ));
    }

    #[test]
    fn threshold_comparisons_are_exact() {
        let cc = RuleSet::civil_code_2021();
        assert!(cc.participation.met(2, 3));
        assert!(cc.participation.met(20000, 30000));
        assert!(!cc.participation.met(19999, 30000));
        assert!(!cc.ordinary.met(1, 2));
        assert!(cc.ordinary.met(20001, 40000));
        assert!(cc.special.met(3, 4));
        assert!(!cc.special.met(29999, 40000));
        // Nothing of nothing is never a quorum or a consent.
        assert!(!cc.participation.met(0, 0));
        assert!(!cc.ordinary.met(0, 0));
        // No overflow on large areas.
        assert!(cc.participation.met(i64::MAX / 3 * 2, i64::MAX / 3 * 3));
    }

    #[test]
    fn percent_text_rounds_half_up_on_integers() {
        assert_eq!(percent_text(2, 3), "66.67%");
        assert_eq!(percent_text(1, 3), "33.33%");
        assert_eq!(percent_text(1, 8), "12.50%");
        assert_eq!(percent_text(1, 20000), "0.01%"); // 0.005% → half up
        assert_eq!(percent_text(1, 20001), "0.00%");
        assert_eq!(percent_text(1, 1), "100.00%");
        assert_eq!(percent_text(0, 0), "0.00%");
        assert_eq!(percent_text(0, 7), "0.00%");
        assert_eq!(percent_text(-1, 8), "-12.50%");
    }

    // --- participation (quorum) ----------------------------------------------------------

    #[test]
    fn participation_exactly_two_thirds_by_area_and_head_passes() {
        let e = electorate(&[10000, 10000, 10000]);
        let m = run(&e, MatterKind::Covenant, &[(1, Agree), (2, Agree)]);
        assert_eq!(m.participation_area.ratio, r(2, 3));
        assert_eq!((m.participation_area.part, m.participation_area.whole), (20000, 30000));
        assert_eq!(m.participation_area.percent, "66.67%");
        assert_eq!(m.participation_heads.ratio, r(2, 3));
        assert_eq!(m.participation_heads.percent, "66.67%");
        assert!(m.participation_area_met && m.participation_heads_met);
        assert_eq!(m.agreement_area.ratio, r(1, 1));
        assert_eq!(m.agreement_area.percent, "100.00%");
        assert!(m.passed);
        assert!(m.failures.is_empty());
        assert_eq!(m.participation_rule.article, "《民法典》第二百七十八条第二款（参与表决）");
    }

    #[test]
    fn participation_one_hundredth_m2_short_fails_on_area_though_heads_pass() {
        // Same heads (2 of 3) but 0.01 m² less than 2/3 of the area.
        let e = electorate(&[9999, 10000, 10001]);
        assert_eq!(e.totals, Totals { area: 30000, heads: 3 });
        let m = run(&e, MatterKind::Covenant, &[(1, Agree), (2, Agree)]);
        assert_eq!(m.participation_area.ratio, r(19999, 30000));
        assert_eq!(m.participation_area.percent, "66.66%");
        assert!(!m.participation_area_met);
        assert_eq!(m.participation_heads.ratio, r(2, 3));
        assert!(m.participation_heads_met);
        assert!(m.agreement_area_met && m.agreement_heads_met);
        assert!(!m.passed);
        assert_eq!(m.failures, vec!["参与面积不足 2/3".to_string()]);
    }

    #[test]
    fn participation_by_head_exactly_two_thirds_passes_and_one_head_less_fails_though_area_passes() {
        let e = electorate(&[50000, 10000, 10000, 10000, 10000, 10000]);
        let m = run(&e, MatterKind::ElectCommittee, &[(1, Agree), (2, Agree), (3, Agree), (4, Agree)]);
        assert_eq!(m.participation_heads.ratio, r(2, 3));
        assert_eq!(m.participation_heads.percent, "66.67%");
        assert_eq!(m.participation_area.ratio, r(4, 5));
        assert!(m.passed);

        let m = run(&e, MatterKind::ElectCommittee, &[(1, Agree), (2, Agree), (3, Agree)]);
        assert_eq!(m.participation_area.ratio, r(7, 10));
        assert_eq!(m.participation_area.percent, "70.00%");
        assert!(m.participation_area_met);
        assert_eq!(m.participation_heads.ratio, r(1, 2));
        assert_eq!(m.participation_heads.percent, "50.00%");
        assert!(!m.participation_heads_met);
        assert!(!m.passed);
        assert_eq!(m.failures, vec!["参与人数不足 2/3".to_string()]);
    }

    // --- consent, special matters (items 6–8) ----------------------------------------

    #[test]
    fn special_consent_exactly_three_quarters_passes() {
        let e = electorate(&[10000, 10000, 10000, 10000]);
        for kind in [MatterKind::RaiseFund, MatterKind::Rebuild, MatterKind::ChangeCommonUse] {
            let m = run(&e, kind, &[(1, Agree), (2, Agree), (3, Agree), (4, Disagree)]);
            assert!(m.special);
            assert_eq!(m.agreement_area.ratio, r(3, 4));
            assert_eq!((m.agreement_area.part, m.agreement_area.whole), (30000, 40000));
            assert_eq!(m.agreement_area.percent, "75.00%");
            assert_eq!(m.agreement_heads.ratio, r(3, 4));
            assert_eq!(m.agreement_heads.percent, "75.00%");
            assert!(m.passed, "{kind}");
            assert_eq!(m.agreement_rule.symbol(), "≥ 3/4");
            assert_eq!(m.agreement_rule.article, "《民法典》第二百七十八条第二款（第一款第六项至第八项）");
        }
    }

    #[test]
    fn special_consent_one_hundredth_short_fails_on_area_though_it_prints_75_percent() {
        let e = electorate(&[10000, 10000, 9999, 10001]);
        let m = run(&e, MatterKind::RaiseFund, &[(1, Agree), (2, Agree), (3, Agree), (4, Disagree)]);
        assert_eq!(m.agreement_area.ratio, r(29999, 40000));
        // 74.9975% rounds to 75.00% for display; the exact test fails.
        assert_eq!(m.agreement_area.percent, "75.00%");
        assert!(!m.agreement_area_met);
        assert_eq!(m.agreement_heads.ratio, r(3, 4));
        assert!(m.agreement_heads_met);
        assert!(!m.passed);
        assert_eq!(m.failures, vec!["同意面积不足 3/4".to_string()]);
    }

    #[test]
    fn special_consent_area_exactly_three_quarters_but_heads_short_fails() {
        let e = electorate(&[40000, 10000, 10000, 10000, 10000]);
        let m = run(&e, MatterKind::Rebuild, &[(1, Agree), (2, Agree), (3, Agree), (4, Disagree), (5, Disagree)]);
        assert_eq!(m.agreement_area.ratio, r(3, 4));
        assert!(m.agreement_area_met);
        assert_eq!(m.agreement_heads.ratio, r(3, 5));
        assert_eq!(m.agreement_heads.percent, "60.00%");
        assert!(!m.agreement_heads_met);
        assert!(!m.passed);
        assert_eq!(m.failures, vec!["同意人数不足 3/4".to_string()]);
        // The same ballots pass an ordinary matter.
        assert!(run(&e, MatterKind::UseFund, &[(1, Agree), (2, Agree), (3, Agree), (4, Disagree), (5, Disagree)]).passed);
    }

    // --- consent, ordinary matters -------------------------------------------------------

    #[test]
    fn ordinary_consent_exactly_half_fails_on_both_measures() {
        let e = electorate(&[10000, 10000, 10000, 10000]);
        let m = run(&e, MatterKind::UseFund, &[(1, Agree), (2, Agree), (3, Disagree), (4, Disagree)]);
        assert!(!m.special);
        assert_eq!(m.agreement_area.ratio, r(1, 2));
        assert_eq!(m.agreement_area.percent, "50.00%");
        assert_eq!(m.agreement_heads.ratio, r(1, 2));
        assert!(!m.agreement_area_met && !m.agreement_heads_met);
        assert!(!m.passed);
        assert_eq!(m.failures, vec!["同意面积未过半数".to_string(), "同意人数未过半数".to_string()]);
        assert_eq!(m.agreement_rule.article, "《民法典》第二百七十八条第二款（第一款其他事项）");
    }

    #[test]
    fn ordinary_consent_area_just_above_half_but_heads_exactly_half_fails() {
        let e = electorate(&[10001, 10000, 10000, 9999]);
        let m = run(&e, MatterKind::HireManager, &[(1, Agree), (2, Agree), (3, Disagree), (4, Disagree)]);
        assert_eq!(m.agreement_area.ratio, r(20001, 40000));
        assert_eq!(m.agreement_area.percent, "50.00%");
        assert!(m.agreement_area_met);
        assert_eq!(m.agreement_heads.ratio, r(1, 2));
        assert!(!m.agreement_heads_met);
        assert!(!m.passed);
        assert_eq!(m.failures, vec!["同意人数未过半数".to_string()]);
    }

    #[test]
    fn ordinary_consent_heads_above_half_area_exactly_half_fails_and_one_hundredth_more_passes() {
        let votes = [(1, Disagree), (2, Agree), (3, Agree), (4, Disagree), (5, Agree)];
        let e = electorate(&[25000, 10000, 10000, 5000, 10000]);
        let m = run(&e, MatterKind::OtherMajor, &votes);
        assert_eq!(m.agreement_area.ratio, r(1, 2));
        assert!(!m.agreement_area_met);
        assert_eq!(m.agreement_heads.ratio, r(3, 5));
        assert!(m.agreement_heads_met);
        assert!(!m.passed);
        assert_eq!(m.failures, vec!["同意面积未过半数".to_string()]);

        let e = electorate(&[24999, 10000, 10000, 5000, 10001]);
        let m = run(&e, MatterKind::OtherMajor, &votes);
        assert_eq!(m.agreement_area.ratio, r(30001, 60000));
        assert_eq!(m.agreement_area.percent, "50.00%");
        assert!(m.agreement_area_met && m.agreement_heads_met);
        assert!(m.passed);
    }

    #[test]
    fn abstaining_takes_part_without_agreeing_and_leaving_a_matter_out_is_not_taking_part() {
        let e = electorate(&[10000, 10000, 10000]);
        let ballots = vec![
            Ballot { voter: VoterId::Owner(1), choices: BTreeMap::from([(1, Agree), (2, Agree)]) },
            Ballot { voter: VoterId::Owner(2), choices: BTreeMap::from([(1, Agree), (2, Agree)]) },
            Ballot { voter: VoterId::Owner(3), choices: BTreeMap::from([(1, Abstain)]) },
        ];
        let matters = [Matter { no: 1, kind: MatterKind::RaiseFund }, Matter { no: 2, kind: MatterKind::Covenant }];
        let res = tally(&RuleSet::civil_code_2021(), &e, &matters, &ballots, &TallyOptions::default()).unwrap();
        // Matter 1: all three take part; 2 of 3 agree < 3/4.
        assert_eq!(res[0].participation_heads.ratio, r(1, 1));
        assert_eq!(res[0].sums.abstain_heads(), 1);
        assert_eq!(res[0].sums.abstain_area(), 10000);
        assert_eq!(res[0].agreement_area.ratio, r(2, 3));
        assert_eq!(res[0].failures, vec!["同意面积不足 3/4".to_string(), "同意人数不足 3/4".to_string()]);
        // Matter 2: owner 3 did not vote on it; 2 of 3 take part, both agree.
        assert_eq!(res[1].participation_heads.ratio, r(2, 3));
        assert_eq!(res[1].agreement_heads.ratio, r(1, 1));
        assert!(res[1].passed);
    }

    #[test]
    fn nobody_voting_fails_everything_without_dividing_by_zero() {
        let e = electorate(&[10000, 10000]);
        let m = run(&e, MatterKind::Covenant, &[]);
        assert_eq!(m.agreement_area.ratio, r(0, 1));
        assert_eq!(m.agreement_area.whole, 0);
        assert_eq!(m.agreement_area.percent, "0.00%");
        assert_eq!(m.failures, vec!["参与面积不足 2/3", "参与人数不足 2/3", "同意面积未过半数", "同意人数未过半数"]);
    }

    // --- the historical PMR rule ---------------------------------------------------------

    #[test]
    fn pmr_counts_consent_of_the_total_and_needs_more_than_half_to_take_part() {
        let pmr = RuleSet::pmr_2018_art12();
        let opts = TallyOptions::default();
        let e = electorate(&[10000; 6]);
        // Exactly half take part: not "过半数".
        let m = run_with(&pmr, &e, MatterKind::Covenant, &[(1, Agree), (2, Agree), (3, Agree)], &opts);
        assert_eq!(m.participation_area.ratio, r(1, 2));
        assert!(!m.participation_area_met && !m.participation_heads_met);
        assert_eq!(m.failures[..2], ["参与面积未过半数".to_string(), "参与人数未过半数".to_string()]);
        // Five take part, three agree: 3/5 of participants (passes the Civil Code) but only
        // 1/2 of all owners (fails PMR Art 12 ¶3).
        let votes = [(1, Agree), (2, Agree), (3, Agree), (4, Disagree), (5, Disagree)];
        assert!(run(&e, MatterKind::UseFund, &votes).passed);
        let m = run_with(&pmr, &e, MatterKind::Covenant, &votes, &opts);
        assert_eq!(m.agreement_area.ratio, r(1, 2));
        assert_eq!((m.agreement_area.part, m.agreement_area.whole), (30000, 60000));
        assert!(!m.passed);
        // Using the fund is special under PMR: 2/3 of all owners, exactly, passes.
        let votes = [(1, Agree), (2, Agree), (3, Agree), (4, Agree), (5, Disagree)];
        let m = run_with(&pmr, &e, MatterKind::UseFund, &votes, &opts);
        assert!(m.special);
        assert_eq!(m.agreement_heads.ratio, r(2, 3));
        assert!(m.passed);
        assert_eq!(m.agreement_rule.article, "《物业管理条例》第十二条第三款（第十一条第五项、第六项）");
        let m = run_with(&pmr, &e, MatterKind::UseFund, &[(1, Agree), (2, Agree), (3, Agree), (5, Disagree)], &opts);
        assert_eq!(m.failures, vec!["同意面积不足 2/3".to_string(), "同意人数不足 2/3".to_string()]);
    }

    // --- electorate ----------------------------------------------------------------------

    fn house(id: i64, area: i64, owners: &[i64]) -> HouseRow {
        HouseRow { house_id: id, exclusive_area: area, holder: Holder::Owners(owners.to_vec()), co_owner_group: None }
    }

    fn dev(id: i64, area: i64) -> HouseRow {
        HouseRow { house_id: id, exclusive_area: area, holder: Holder::DeveloperUnsold, co_owner_group: None }
    }

    fn mixed_rows() -> Vec<HouseRow> {
        vec![
            house(101, 10000, &[1]),
            house(102, 8000, &[1]), // owner 1 holds two houses: one voter
            house(103, 9000, &[2, 3]), // co-owners: one voter
            dev(104, 7000),
            dev(105, 6000), // the developer's unsold houses: one voter
            house(106, 5000, &[4]),
            house(107, 4000, &[3]), // owner 3 also co-owns 103: same voter, never two heads
            HouseRow { co_owner_group: Some(77), ..house(108, 3000, &[5]) },
            HouseRow { co_owner_group: Some(77), ..house(109, 2000, &[6]) }, // registry's group
        ]
    }

    #[test]
    fn electorate_counts_houses_once_by_area_and_owners_once_by_head() {
        let e = freeze_electorate(&mixed_rows()).unwrap();
        assert_eq!(e.totals, Totals { area: 54000, heads: 5 });
        let v: Vec<(VoterId, Vec<i64>, Vec<i64>, i64)> = e.voters.iter().map(|v| (v.id, v.owner_ids.clone(), v.house_ids.clone(), v.area)).collect();
        assert_eq!(
            v,
            vec![
                (VoterId::Developer, vec![], vec![104, 105], 13000),
                (VoterId::Owner(1), vec![1], vec![101, 102], 18000),
                (VoterId::Owner(2), vec![2, 3], vec![103, 107], 13000),
                (VoterId::Owner(4), vec![4], vec![106], 5000),
                (VoterId::Owner(5), vec![5, 6], vec![108, 109], 5000),
            ]
        );
        assert_eq!(e.voter(VoterId::Owner(2)).unwrap().area, 13000);
        assert!(e.voter(VoterId::Owner(3)).is_none()); // owner 3 votes with owner 2's group

        // The developer votes once with all its unsold area; owner 1 once with both houses.
        let ballots = vec![
            Ballot { voter: VoterId::Developer, choices: BTreeMap::from([(1, Agree)]) },
            Ballot { voter: VoterId::Owner(1), choices: BTreeMap::from([(1, Agree)]) },
            Ballot { voter: VoterId::Owner(2), choices: BTreeMap::from([(1, Disagree)]) },
        ];
        let matters = [Matter { no: 1, kind: MatterKind::HireManager }];
        let m = tally(&RuleSet::civil_code_2021(), &e, &matters, &ballots, &TallyOptions::default()).unwrap().remove(0);
        assert_eq!(m.participation_area.ratio, r(44000, 54000));
        assert_eq!(m.participation_area.percent, "81.48%");
        assert_eq!(m.participation_heads.ratio, r(3, 5));
        assert_eq!(m.agreement_area.ratio, r(31000, 44000));
        assert_eq!(m.agreement_heads.ratio, r(2, 3));
        assert_eq!(m.failures, vec!["参与人数不足 2/3".to_string()]);

        let mut ballots = ballots;
        ballots.push(Ballot { voter: VoterId::Owner(4), choices: BTreeMap::from([(1, Disagree)]) });
        let m = tally(&RuleSet::civil_code_2021(), &e, &matters, &ballots, &TallyOptions::default()).unwrap().remove(0);
        assert_eq!(m.participation_heads.ratio, r(4, 5));
        assert_eq!(m.agreement_area.ratio, r(31, 49));
        assert_eq!(m.agreement_heads.ratio, r(1, 2));
        assert_eq!(m.failures, vec!["同意人数未过半数".to_string()]);
    }

    #[test]
    fn electorate_reports_every_bad_row() {
        assert_eq!(freeze_electorate(&[]), Err(vec![ElectorateError::Empty]));
        let rows = vec![
            house(1, 100, &[1]),
            house(1, 100, &[2]),
            house(2, 0, &[3]),
            house(3, 100, &[]),
            house(4, 100, &[5, 5]),
            HouseRow { co_owner_group: Some(1), ..dev(5, 100) },
        ];
        assert_eq!(
            freeze_electorate(&rows),
            Err(vec![
                ElectorateError::DuplicateHouse(1),
                ElectorateError::NonPositiveArea { house_id: 2, area: 0 },
                ElectorateError::NoOwners(3),
                ElectorateError::DuplicateOwner { house_id: 4, owner_id: 5 },
                ElectorateError::DeveloperInGroup(5),
            ])
        );
        assert_eq!(ElectorateError::NonPositiveArea { house_id: 2, area: 0 }.to_string(), "房屋 2 的专有部分面积应大于 0，实为 0（单位 0.01 m²）");
        assert_eq!(freeze_electorate(&[house(1, i64::MAX, &[1]), house(2, 1, &[2])]), Err(vec![ElectorateError::AreaOverflow]));
    }

    #[test]
    fn voter_ids_have_stable_codes() {
        assert_eq!(VoterId::Developer.code(), "developer");
        assert_eq!(VoterId::Owner(17).code(), "owner:17");
        assert_eq!(VoterId::parse("owner:17"), Some(VoterId::Owner(17)));
        assert_eq!(VoterId::parse("developer"), Some(VoterId::Developer));
        assert_eq!(VoterId::parse("owner:x"), None);
        assert_eq!(serde_json::to_string(&VoterId::Owner(3)).unwrap(), r#""owner:3""#);
        assert_eq!(serde_json::from_str::<VoterId>(r#""developer""#).unwrap(), VoterId::Developer);
        assert!(serde_json::from_str::<VoterId>(r#""nobody""#).is_err());
    }

    // --- ballots ---------------------------------------------------------------------------

    #[test]
    fn the_last_ballot_of_each_voter_counts() {
        let seq = vec![ballot(2, Agree), ballot(1, Disagree), ballot(2, Disagree), ballot(1, Abstain), ballot(3, Agree)];
        let last = last_ballot_per_voter(seq);
        assert_eq!(last, vec![ballot(1, Abstain), ballot(2, Disagree), ballot(3, Agree)]);
    }

    #[test]
    fn choices_have_a_canonical_text() {
        let c = BTreeMap::from([(3, Disagree), (1, Agree), (2, Abstain)]);
        assert_eq!(choices_text(&c), "1=agree;2=abstain;3=disagree");
        assert_eq!(parse_choices_text("1=agree;2=abstain;3=disagree"), Some(c));
        assert_eq!(parse_choices_text(""), Some(BTreeMap::new()));
        for bad in ["2=agree;1=agree", "1=agree;1=agree", "1=yes", "01=agree", "=agree", "1agree", "1=agree;"] {
            assert_eq!(parse_choices_text(bad), None, "{bad}");
        }
        assert_eq!(Choice::parse("同意"), Some(Agree));
        assert_eq!(Choice::parse("弃权"), Some(Abstain));
    }

    #[test]
    fn tally_rejects_ballots_that_cannot_be_counted() {
        let cc = RuleSet::civil_code_2021();
        let e = electorate(&[100, 100]);
        let one = [Matter { no: 1, kind: MatterKind::Covenant }];
        let opts = TallyOptions::default();
        assert_eq!(tally(&cc, &e, &one, &[ballot(9, Agree)], &opts), Err(TallyError::UnknownVoter(VoterId::Owner(9))));
        assert_eq!(tally(&cc, &e, &one, &[ballot(1, Agree), ballot(1, Disagree)], &opts), Err(TallyError::DuplicateBallot(VoterId::Owner(1))));
        let b = Ballot { voter: VoterId::Owner(1), choices: BTreeMap::from([(2, Agree)]) };
        assert_eq!(tally(&cc, &e, &one, &[b], &opts), Err(TallyError::UnknownMatter { voter: VoterId::Owner(1), matter_no: 2 }));
        assert_eq!(tally(&cc, &e, &[one[0], one[0]], &[], &opts), Err(TallyError::DuplicateMatter(1)));
        assert_eq!(TallyError::UnknownVoter(VoterId::Owner(9)).to_string(), "投票人 owner:9 不在冻结的表决名册中");
    }

    #[test]
    fn tally_from_sums_rejects_impossible_sums() {
        let cc = RuleSet::civil_code_2021();
        let t = Totals { area: 1000, heads: 10 };
        let m = Matter { no: 4, kind: MatterKind::Covenant };
        let opts = TallyOptions::default();
        let ok = MatterSums { participating_area: 800, participating_heads: 8, agree_area: 500, agree_heads: 5, disagree_area: 300, disagree_heads: 3 };
        assert!(tally_from_sums(&cc, t, &m, &ok, &opts).unwrap().passed);
        for bad in [
            MatterSums { participating_area: 1001, ..ok },
            MatterSums { participating_heads: 11, ..ok },
            MatterSums { agree_area: 501, ..ok },
            MatterSums { disagree_heads: 4, ..ok },
            MatterSums { agree_area: -1, ..ok },
            MatterSums { agree_area: 0, ..ok },
        ] {
            assert!(matches!(tally_from_sums(&cc, t, &m, &bad, &opts), Err(TallyError::InconsistentSums { matter_no: 4, .. })), "{bad:?}");
        }
        assert_eq!(tally_from_sums(&cc, Totals { area: 0, heads: 0 }, &m, &MatterSums::default(), &opts), Err(TallyError::EmptyElectorate));
    }

    // --- silent votes (rules.md §1.7) ----------------------------------------------------

    fn silent() -> TallyOptions {
        TallyOptions { silent_vote: SilentVote::FollowMajority { clause: "管理规约第二十条".into() } }
    }

    #[test]
    fn silent_votes_follow_the_agree_majority_for_consent() {
        let e = electorate(&[10000; 6]);
        let votes = [(1, Agree), (2, Agree), (3, Disagree), (4, Abstain)];
        let plain = run(&e, MatterKind::UseFund, &votes);
        assert_eq!(plain.agreement_area.ratio, r(1, 2));
        assert!(!plain.passed);

        let m = run_with(&RuleSet::civil_code_2021(), &e, MatterKind::UseFund, &votes, &silent());
        assert_eq!(
            m.imputed,
            Some(Imputation { clause: "管理规约第二十条".into(), area: 20000, heads: 2, area_to: Some(Agree), heads_to: Some(Agree) })
        );
        // Participation is what was cast, unchanged.
        assert_eq!(m.participation_area, plain.participation_area);
        assert_eq!(m.participation_heads.ratio, r(2, 3));
        // Consent: (2 + 2 silent) of (4 + 2 silent).
        assert_eq!((m.agreement_area.part, m.agreement_area.whole), (40000, 60000));
        assert_eq!(m.agreement_area.ratio, r(2, 3));
        assert_eq!(m.agreement_heads.ratio, r(2, 3));
        assert_eq!(m.agreement_heads.percent, "66.67%");
        assert!(m.passed);
        // Not enough for a special matter.
        let m = run_with(&RuleSet::civil_code_2021(), &e, MatterKind::RaiseFund, &votes, &silent());
        assert_eq!(m.agreement_area.ratio, r(2, 3));
        assert_eq!(m.failures, vec!["同意面积不足 3/4".to_string(), "同意人数不足 3/4".to_string()]);
    }

    #[test]
    fn silent_votes_never_make_a_quorum() {
        let e = electorate(&[10000; 6]);
        let m = run_with(&RuleSet::civil_code_2021(), &e, MatterKind::Covenant, &[(1, Agree), (2, Agree), (3, Agree)], &silent());
        assert_eq!(m.agreement_area.ratio, r(1, 1)); // everyone "agrees"…
        assert_eq!(m.participation_area.ratio, r(1, 2)); // …but only half took part
        assert!(!m.passed);
        assert_eq!(m.failures, vec!["参与面积不足 2/3".to_string(), "参与人数不足 2/3".to_string()]);
    }

    #[test]
    fn silent_votes_follow_a_disagree_majority_and_a_tie_imputes_nothing() {
        let e = electorate(&[10000; 6]);
        let cc = RuleSet::civil_code_2021();
        let m = run_with(&cc, &e, MatterKind::Covenant, &[(1, Agree), (2, Disagree), (3, Disagree), (4, Disagree)], &silent());
        let i = m.imputed.clone().unwrap();
        assert_eq!((i.area_to, i.heads_to), (Some(Disagree), Some(Disagree)));
        assert_eq!(m.agreement_area.ratio, r(1, 6));
        assert!(!m.passed);

        let m = run_with(&cc, &e, MatterKind::Covenant, &[(1, Agree), (2, Agree), (3, Disagree), (4, Disagree)], &silent());
        let i = m.imputed.clone().unwrap();
        assert_eq!((i.area_to, i.heads_to), (None, None));
        assert_eq!((m.agreement_area.part, m.agreement_area.whole), (20000, 40000));
        assert!(!m.passed);
    }

    #[test]
    fn silent_area_and_heads_follow_their_own_majorities() {
        // By area agree leads (30000 vs 20000); by head disagree leads (2 vs 1).
        let e = electorate(&[30000, 10000, 10000, 10000]);
        let m = run_with(&RuleSet::civil_code_2021(), &e, MatterKind::Covenant, &[(1, Agree), (2, Disagree), (3, Disagree)], &silent());
        let i = m.imputed.clone().unwrap();
        assert_eq!((i.area, i.heads, i.area_to, i.heads_to), (10000, 1, Some(Agree), Some(Disagree)));
        assert_eq!(m.agreement_area.ratio, r(4, 6));
        assert_eq!(m.agreement_heads.ratio, r(1, 4));
        assert_eq!(m.failures, vec!["同意人数未过半数".to_string()]);
    }

    #[test]
    fn silent_votes_need_the_covenant_clause() {
        let e = electorate(&[100]);
        let opts = TallyOptions { silent_vote: SilentVote::FollowMajority { clause: "  ".into() } };
        let r = tally(&RuleSet::civil_code_2021(), &e, &[Matter { no: 1, kind: MatterKind::Covenant }], &[], &opts);
        assert_eq!(r, Err(TallyError::SilentClauseMissing));
        assert_eq!(TallyOptions::default().silent_vote, SilentVote::NotCounted);
    }

    #[test]
    fn results_serialise_with_fractions_as_text() {
        let e = electorate(&[10000, 10000, 10000]);
        let m = run(&e, MatterKind::Covenant, &[(1, Agree), (2, Agree)]);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["participation_area"]["ratio"], "2/3");
        assert_eq!(json["participation_area"]["percent"], "66.67%");
        assert_eq!(json["kind"], "covenant");
        assert_eq!(json["passed"], true);
    }

    // --- receipts and the published chain -----------------------------------------------

    const SALT: &[u8] = b"per-vote secret salt";

    fn published() -> (Electorate, Vec<Matter>, Vec<Ballot>, Vec<PublishedEntry>) {
        let e = electorate(&[10000, 9000, 8000, 7000, 6000]);
        let matters = vec![Matter { no: 1, kind: MatterKind::Covenant }, Matter { no: 2, kind: MatterKind::RaiseFund }];
        let ballots = vec![
            Ballot { voter: VoterId::Owner(1), choices: BTreeMap::from([(1, Agree), (2, Agree)]) },
            Ballot { voter: VoterId::Owner(2), choices: BTreeMap::from([(1, Agree), (2, Disagree)]) },
            Ballot { voter: VoterId::Owner(3), choices: BTreeMap::from([(1, Disagree)]) },
            Ballot { voter: VoterId::Owner(4), choices: BTreeMap::from([(1, Abstain), (2, Agree)]) },
        ];
        let p = publish_tally(42, &e, &matters, &ballots, SALT).unwrap();
        (e, matters, ballots, p)
    }

    #[test]
    fn receipts_depend_on_every_field_and_the_salt() {
        let base = receipt_code(42, VoterId::Owner(1), "1=agree", SALT);
        assert_eq!(base.len(), 64);
        assert!(base.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(base, receipt_code(42, VoterId::Owner(1), "1=agree", SALT));
        assert_ne!(base, receipt_code(43, VoterId::Owner(1), "1=agree", SALT));
        assert_ne!(base, receipt_code(42, VoterId::Owner(2), "1=agree", SALT));
        assert_ne!(base, receipt_code(42, VoterId::Owner(1), "1=disagree", SALT));
        assert_ne!(base, receipt_code(42, VoterId::Owner(1), "1=agree", b"other salt"));
        // Length prefixes: moving bytes between fields changes the code.
        assert_ne!(receipt_code(42, VoterId::Owner(1), "1=agree", b"x"), receipt_code(42, VoterId::Owner(1), "1=agreex", b""));
    }

    #[test]
    fn published_tally_is_chained_ordered_by_receipt_and_findable_by_voters() {
        let (_, _, ballots, p) = published();
        assert_eq!(p.len(), 4);
        assert_eq!(p[0].prev_hash, GENESIS);
        for w in p.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash);
            assert!(w[0].receipt < w[1].receipt);
        }
        assert_eq!(verify_chain(42, &p), None);
        // Each voter finds their own line by their receipt.
        for b in &ballots {
            let code = receipt_code(42, b.voter, &b.canonical_text(), SALT);
            let line = p.iter().find(|e| e.receipt == code).unwrap();
            assert_eq!(line.choices, b.choices);
        }
        // The chain is bound to its vote.
        assert_eq!(verify_chain(43, &p), Some(0));
    }

    #[test]
    fn verify_chain_names_the_first_broken_line() {
        let (_, _, _, p) = published();
        let mut t = p.clone();
        t[2].choices.insert(1, Agree);
        t[2].choices.insert(2, Agree);
        assert_eq!(verify_chain(42, &t), Some(2));

        let mut t = p.clone();
        t.remove(1);
        assert_eq!(verify_chain(42, &t), Some(1));

        // A line rewritten with a fresh hash breaks the link to the next line.
        let mut t = p.clone();
        t[0].area += 100;
        t[0].hash = published_entry_hash(42, GENESIS, &t[0].receipt, t[0].area, &t[0].choices);
        assert_eq!(verify_chain(42, &t), Some(1));

        let mut t = p.clone();
        t.swap(0, 1);
        assert_eq!(verify_chain(42, &t), Some(0));
        assert_eq!(verify_chain(42, &[]), None);
    }

    #[test]
    fn published_lines_add_up_to_the_published_totals() {
        let (e, matters, ballots, p) = published();
        let res = tally(&RuleSet::civil_code_2021(), &e, &matters, &ballots, &TallyOptions::default()).unwrap();
        assert_eq!(check_published_totals(&p, &res), Ok(()));
        let sums = sums_from_entries(&p);
        assert_eq!(
            sums[&1],
            MatterSums { participating_area: 34000, participating_heads: 4, agree_area: 19000, agree_heads: 2, disagree_area: 8000, disagree_heads: 1 }
        );
        assert_eq!(sums[&2], MatterSums { participating_area: 26000, participating_heads: 3, agree_area: 17000, agree_heads: 2, disagree_area: 9000, disagree_heads: 1 });
        // Recomputing the result from the published lines gives the same outcome.
        for m in &res {
            let again = tally_from_sums(&RuleSet::civil_code_2021(), e.totals, &Matter { no: m.matter_no, kind: m.kind }, &sums[&m.matter_no], &TallyOptions::default()).unwrap();
            assert_eq!(&again, m);
        }
        // A result that claims more agreement than the lines show is caught.
        let mut forged = res.clone();
        forged[1].sums.agree_area += 9000;
        forged[1].sums.disagree_area -= 9000;
        let err = check_published_totals(&p, &forged).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].matter_no, 2);
        assert_eq!(err[0].recomputed, sums[&2]);
        assert_eq!(err[0].to_string(), "事项 2 公布的合计与逐条记录相加不符");
        // A matter nobody voted on must show zeros.
        let mut zero = res.clone();
        zero[0].matter_no = 9;
        assert!(check_published_totals(&p, &zero[..1]).is_err());
    }

    #[test]
    fn publish_rejects_ballots_that_cannot_be_counted() {
        let (e, matters, _, _) = published();
        assert_eq!(publish_tally(42, &e, &matters, &[ballot(99, Agree)], SALT), Err(TallyError::UnknownVoter(VoterId::Owner(99))));
    }

    // --- committee -------------------------------------------------------------------------

    #[test]
    fn committee_has_5_to_11_members_odd() {
        let rule = guidance_rules_2009_committee();
        let (s, e) = (d("2026-03-01"), d("2031-03-01"));
        for n in [5, 7, 9, 11] {
            assert_eq!(validate_committee(&rule, n, s, e), Ok(()), "{n}");
        }
        let errs = validate_committee(&rule, 4, s, e).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].to_string(), "业主委员会委员不得少于 5 人，现为 4 人（《业主大会和业主委员会指导规则》第三十一条、第三十二条）");
        assert_eq!(errs[1].to_string(), "业主委员会委员人数应为单数，现为 4 人（《业主大会和业主委员会指导规则》第三十一条、第三十二条）");
        assert!(matches!(validate_committee(&rule, 6, s, e).unwrap_err()[..], [CommitteeError::EvenCount { count: 6, .. }]));
        assert!(matches!(validate_committee(&rule, 13, s, e).unwrap_err()[..], [CommitteeError::TooMany { count: 13, max: 11, .. }]));
        assert!(matches!(validate_committee(&rule, 12, s, e).unwrap_err()[..], [CommitteeError::TooMany { .. }, CommitteeError::EvenCount { .. }]));
        // A jurisdiction that allows 3 members for small estates (Hangzhou, rules.md §5.4).
        let small = CommitteeRule { min_members: 3, ..rule };
        assert_eq!(validate_committee(&small, 3, s, e), Ok(()));
    }

    #[test]
    fn committee_term_is_at_most_5_years() {
        let rule = guidance_rules_2009_committee();
        assert_eq!(validate_committee(&rule, 7, d("2026-03-01"), d("2031-03-01")), Ok(()));
        assert_eq!(validate_committee(&rule, 7, d("2026-03-01"), d("2031-02-28")), Ok(()));
        let errs = validate_committee(&rule, 7, d("2026-03-01"), d("2031-03-02")).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            "业主委员会任期不得超过 5 年：2026-03-01 起最迟至 2031-03-01，现为至 2031-03-02（《业主大会和业主委员会指导规则》第三十一条、第三十二条）"
        );
        // 29 February: the latest end is 28 February five years later.
        assert_eq!(validate_committee(&rule, 7, d("2028-02-29"), d("2033-02-28")), Ok(()));
        assert!(validate_committee(&rule, 7, d("2028-02-29"), d("2033-03-01")).is_err());
        assert_eq!(
            validate_committee(&rule, 7, d("2026-03-01"), d("2026-02-01")),
            Err(vec![CommitteeError::TermEndsBeforeStart { start: d("2026-03-01"), end: d("2026-02-01") }])
        );
    }

    // --- lifecycle -------------------------------------------------------------------------

    #[test]
    fn vote_lifecycle_happy_path_with_exactly_15_days_notice() {
        let cc = RuleSet::civil_code_2021();
        let mut dates = VoteDates { announced_on: None, opens_on: Some(d("2026-03-16")) };
        assert_eq!(vote_transition(&cc, VoteState::Draft, VoteState::Announced, &dates, d("2026-03-01")), Ok(VoteState::Announced));
        dates.announced_on = Some(d("2026-03-01"));
        assert_eq!(vote_transition(&cc, VoteState::Announced, VoteState::Open, &dates, d("2026-03-16")), Ok(VoteState::Open));
        assert_eq!(vote_transition(&cc, VoteState::Open, VoteState::Closed, &dates, d("2026-03-30")), Ok(VoteState::Closed));
        assert_eq!(vote_transition(&cc, VoteState::Closed, VoteState::Published, &dates, d("2026-04-01")), Ok(VoteState::Published));
    }

    #[test]
    fn vote_notice_shorter_than_15_days_is_refused() {
        let cc = RuleSet::civil_code_2021();
        let dates = VoteDates { announced_on: None, opens_on: Some(d("2026-03-15")) };
        let err = vote_transition(&cc, VoteState::Draft, VoteState::Announced, &dates, d("2026-03-01")).unwrap_err();
        assert_eq!(
            err,
            VoteTransitionError::NoticeTooShort { announced_on: d("2026-03-01"), opens_on: d("2026-03-15"), days: 14, required: 15, article: "《物业管理条例》第十四条".into() }
        );
        assert_eq!(err.to_string(), "公告日 2026-03-01 至开始投票日 2026-03-15 仅 14 天，应至少 15 天（《物业管理条例》第十四条）");
        assert_eq!(vote_transition(&cc, VoteState::Draft, VoteState::Announced, &VoteDates::default(), d("2026-03-01")), Err(VoteTransitionError::NoOpeningDate));

        // Opening: not before the announced day, and never before the notice has run.
        let dates = VoteDates { announced_on: Some(d("2026-03-01")), opens_on: Some(d("2026-03-16")) };
        assert_eq!(vote_transition(&cc, VoteState::Announced, VoteState::Open, &dates, d("2026-03-15")), Err(VoteTransitionError::BeforeOpeningDate(d("2026-03-16"))));
        let dates = VoteDates { announced_on: Some(d("2026-03-01")), opens_on: None };
        assert!(matches!(vote_transition(&cc, VoteState::Announced, VoteState::Open, &dates, d("2026-03-15")), Err(VoteTransitionError::NoticeTooShort { days: 14, .. })));
        assert_eq!(vote_transition(&cc, VoteState::Announced, VoteState::Open, &VoteDates::default(), d("2026-03-15")), Err(VoteTransitionError::NotAnnounced));

        // The notice period is the rule set's.
        let seven = RuleSet { notice_days: 7, ..cc };
        let dates = VoteDates { announced_on: None, opens_on: Some(d("2026-03-08")) };
        assert_eq!(vote_transition(&seven, VoteState::Draft, VoteState::Announced, &dates, d("2026-03-01")), Ok(VoteState::Announced));
    }

    #[test]
    fn vote_lifecycle_refuses_skips_and_going_back() {
        let cc = RuleSet::civil_code_2021();
        let dates = VoteDates { announced_on: Some(d("2026-01-01")), opens_on: Some(d("2026-02-01")) };
        let today = d("2026-06-01");
        for (from, to) in [
            (VoteState::Draft, VoteState::Open),
            (VoteState::Draft, VoteState::Published),
            (VoteState::Announced, VoteState::Closed),
            (VoteState::Open, VoteState::Published),
            (VoteState::Open, VoteState::Announced),
            (VoteState::Closed, VoteState::Open),
            (VoteState::Published, VoteState::Draft),
            (VoteState::Open, VoteState::Open),
        ] {
            assert_eq!(vote_transition(&cc, from, to, &dates, today), Err(VoteTransitionError::Illegal { from, to }));
        }
        assert_eq!(VoteTransitionError::Illegal { from: VoteState::Draft, to: VoteState::Open }.to_string(), "表决不能从「草稿」变为「投票中」");
    }

    // --- properties --------------------------------------------------------------------------

    use proptest::prelude::*;

    /// Random registry: houses with areas, owners from a small pool (so owners hold several
    /// houses and co-own), some developer houses.
    fn rows_strategy() -> impl Strategy<Value = Vec<HouseRow>> {
        prop::collection::vec((1i64..=300_000, 0u8..6, 1i64..=12, 1i64..=12), 1..25).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (area, k, a, b))| {
                    let holder = match k {
                        0 => Holder::DeveloperUnsold,
                        1 if a != b => Holder::Owners(vec![a, b]),
                        _ => Holder::Owners(vec![a]),
                    };
                    HouseRow { house_id: 1000 + i as i64, exclusive_area: area, holder, co_owner_group: None }
                })
                .collect()
        })
    }

    const KINDS: [MatterKind; 3] = [MatterKind::UseFund, MatterKind::RaiseFund, MatterKind::Covenant];

    fn ballots_for(e: &Electorate, codes: &[[u8; 3]]) -> Vec<Ballot> {
        e.voters
            .iter()
            .zip(codes.iter().cycle())
            .filter_map(|(v, c)| {
                let choices: BTreeMap<u32, Choice> =
                    c.iter().enumerate().filter_map(|(i, &x)| [None, Some(Agree), Some(Disagree), Some(Abstain)][x as usize % 4].map(|ch| (i as u32 + 1, ch))).collect();
                (!choices.is_empty() || c[0] == 4).then_some(Ballot { voter: v.id, choices })
            })
            .collect()
    }

    proptest! {
        #[test]
        fn tally_equals_tally_from_published_sums(
            rows in rows_strategy(),
            codes in prop::collection::vec(prop::array::uniform3(0u8..5), 1..30),
            pmr in any::<bool>(),
            follow in any::<bool>(),
        ) {
            let e = freeze_electorate(&rows).unwrap();
            prop_assert_eq!(e.totals.area, rows.iter().map(|r| r.exclusive_area).sum::<i64>());
            prop_assert_eq!(e.voters.iter().map(|v| v.area).sum::<i64>(), e.totals.area);
            let rules = if pmr { RuleSet::pmr_2018_art12() } else { RuleSet::civil_code_2021() };
            let opts = if follow { silent() } else { TallyOptions::default() };
            let matters: Vec<Matter> = KINDS.iter().enumerate().map(|(i, &kind)| Matter { no: i as u32 + 1, kind }).collect();
            let ballots = ballots_for(&e, &codes);
            let res = tally(&rules, &e, &matters, &ballots, &opts).unwrap();
            let published = publish_tally(7, &e, &matters, &ballots, SALT).unwrap();
            prop_assert_eq!(verify_chain(7, &published), None);
            prop_assert_eq!(check_published_totals(&published, &res), Ok(()));
            let sums = sums_from_entries(&published);
            for (m, r) in matters.iter().zip(&res) {
                let s = sums.get(&m.no).copied().unwrap_or_default();
                let again = tally_from_sums(&rules, e.totals, m, &s, &opts).unwrap();
                prop_assert_eq!(&again, r);
            }
        }

        #[test]
        fn civil_code_outcome_matches_the_rules_md_algorithm(
            rows in rows_strategy(),
            codes in prop::collection::vec(prop::array::uniform3(0u8..5), 1..30),
        ) {
            let e = freeze_electorate(&rows).unwrap();
            let matters: Vec<Matter> = KINDS.iter().enumerate().map(|(i, &kind)| Matter { no: i as u32 + 1, kind }).collect();
            let ballots = ballots_for(&e, &codes);
            let res = tally(&RuleSet::civil_code_2021(), &e, &matters, &ballots, &TallyOptions::default()).unwrap();
            for r in &res {
                let (t_a, t_p) = (e.totals.area as i128, e.totals.heads as i128);
                let (p_a, p_p) = (r.sums.participating_area as i128, r.sums.participating_heads as i128);
                let (y_a, y_p) = (r.sums.agree_area as i128, r.sums.agree_heads as i128);
                let quorum = 3 * p_a >= 2 * t_a && 3 * p_p >= 2 * t_p;
                let special = 4 * y_a >= 3 * p_a && 4 * y_p >= 3 * p_p;
                let normal = 2 * y_a > p_a && 2 * y_p > p_p;
                let is_special = matches!(r.kind, MatterKind::RaiseFund | MatterKind::Rebuild | MatterKind::ChangeCommonUse);
                prop_assert_eq!(r.passed, quorum && if is_special { special } else { normal });
                prop_assert_eq!(r.failures.is_empty(), r.passed);
            }
        }

        #[test]
        fn silent_votes_never_change_participation_nor_rescue_a_failed_quorum(
            rows in rows_strategy(),
            codes in prop::collection::vec(prop::array::uniform3(0u8..5), 1..30),
        ) {
            let e = freeze_electorate(&rows).unwrap();
            let matters: Vec<Matter> = KINDS.iter().enumerate().map(|(i, &kind)| Matter { no: i as u32 + 1, kind }).collect();
            let ballots = ballots_for(&e, &codes);
            let cc = RuleSet::civil_code_2021();
            let plain = tally(&cc, &e, &matters, &ballots, &TallyOptions::default()).unwrap();
            let with = tally(&cc, &e, &matters, &ballots, &silent()).unwrap();
            for (a, b) in plain.iter().zip(&with) {
                prop_assert_eq!(&a.participation_area, &b.participation_area);
                prop_assert_eq!(&a.participation_heads, &b.participation_heads);
                prop_assert_eq!(a.participation_area_met && a.participation_heads_met, b.participation_area_met && b.participation_heads_met);
                if !(a.participation_area_met && a.participation_heads_met) {
                    prop_assert!(!b.passed);
                }
                // Silent votes only ever help the side that already leads: a matter that
                // passed without them still passes.
                if a.passed {
                    prop_assert!(b.passed);
                }
            }
        }
    }
}
