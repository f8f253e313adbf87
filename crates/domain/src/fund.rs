//! The special residential maintenance fund (住宅专项维修资金, "fund"): initial deposits,
//! exact splits of money in proportion to weights (interest by balance, costs by area),
//! the top-up threshold, the kinds of emergency, and the lifecycle of a fund use.
//!
//! Sources (rules.md §2): 《住宅专项维修资金管理办法》 (建设部、财政部令第165号, in force
//! 2008-02-01) Art 7 (deposit by building area), Art 17 (top up below 30%), Arts 22–24
//! (ordinary and emergency use), Art 30 (disclosure) \[E\]; Civil Code Arts 281 and 283 \[V\];
//! PMR Art 53 \[V\].
//!
//! Units: money in integer fen (`i64`, 0.01 元, like [`crate::units::Fen`]); areas in
//! hundredths of m² (`i64`, like [`crate::units::Area`]). Arithmetic is in `i128` and
//! exact; every rounding is named where it happens. Pure functions, no I/O, no clock.

use crate::registry::code_enum;
use serde::{Deserialize, Serialize};

/// Why an amount cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FundError {
    #[error("面积不能为负数：{0}（单位 0.01 m²）")]
    NegativeArea(i64),
    #[error("缴存标准不能为负数：{0} 分/m²")]
    NegativeRate(i64),
    #[error("金额超出范围")]
    Overflow,
    #[error("没有可分摊的对象")]
    NoWeights,
    #[error("第 {index} 项的分摊基数为负数：{weight}")]
    NegativeWeight { index: usize, weight: i64 },
    #[error("分摊基数全部为 0，无法按比例分摊 {total} 分")]
    AllZeroWeights { total: i64 },
}

/// The initial deposit (首期维修资金) of one house in fen: building area × the local rate,
/// 165号令 Art 7 (commercial housing pays by building area; the local housing authority
/// publishes the per-m² amount, 5%–8% of local construction and installation cost).
///
/// `building_area` is in hundredths of m², `rate_fen_per_m2` in fen per m² (e.g. 80 元/m²
/// = 8000). The exact amount `area × rate / 100` fen is rounded **half up to the fen**
/// (0.5 fen → 1 fen): 89.37 m² × 45.55 元/m² = 4 070.8035 元 = 407 080.35 fen → 407 080
/// fen. Errors: negative area or rate; a result beyond `i64`.
pub fn initial_deposit(building_area: i64, rate_fen_per_m2: i64) -> Result<i64, FundError> {
    if building_area < 0 {
        return Err(FundError::NegativeArea(building_area));
    }
    if rate_fen_per_m2 < 0 {
        return Err(FundError::NegativeRate(rate_fen_per_m2));
    }
    let hundredths_of_fen = building_area as i128 * rate_fen_per_m2 as i128;
    i64::try_from((hundredths_of_fen + 50) / 100).map_err(|_| FundError::Overflow)
}

/// Splits `total` fen into parts proportional to `weights`, summing exactly to `total`
/// (largest-remainder method, 最大余额法):
/// 1. each part gets the floor of its exact share `|total| × w / Σw`;
/// 2. the fen left over go one each to the parts with the largest remainders; equal
///    remainders go to the lower index first (deterministic);
/// 3. a negative `total` (a refund or a correction) is split as `|total|` and negated, so
///    `allocate(-t, w) == -allocate(t, w)`.
///
/// Every part is within 1 fen of its exact share (the floor or the ceiling), and a zero
/// weight always gets 0. Uses: interest (增值收益) by household balance (rules.md §2.3,
/// "按分户账余额比例", to confirm locally), costs by area ([`split_by_area`]).
///
/// Errors: no weights; a negative weight (with its index); all weights zero while `total`
/// is not zero — there is no proportion to follow, and splitting equally would silently
/// charge everyone alike, so the caller must decide (with `total == 0` all parts are 0).
pub fn allocate(total: i64, weights: &[i64]) -> Result<Vec<i64>, FundError> {
    if weights.is_empty() {
        return Err(FundError::NoWeights);
    }
    if let Some((index, &weight)) = weights.iter().enumerate().find(|(_, w)| **w < 0) {
        return Err(FundError::NegativeWeight { index, weight });
    }
    let sum: i128 = weights.iter().map(|&w| w as i128).sum();
    if sum == 0 {
        return if total == 0 { Ok(vec![0; weights.len()]) } else { Err(FundError::AllZeroWeights { total }) };
    }
    let magnitude = (total as i128).abs();
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = magnitude * w as i128;
        parts.push(exact / sum);
        remainders.push((exact % sum, i));
    }
    let leftover = magnitude - parts.iter().sum::<i128>();
    // Largest remainder first; on equal remainders the lower index first.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(leftover as usize) {
        parts[i] += 1;
    }
    let sign: i128 = if total < 0 { -1 } else { 1 };
    // Each part is at most |total|, so it fits in i64.
    Ok(parts.into_iter().map(|p| (sign * p) as i64).collect())
}

/// Splits a cost (or a credit) of `cost_fen` over households in proportion to their areas
/// in hundredths of m², exactly as [`allocate`] (parts sum to the cost; each within 1 fen
/// of its exact share). Used to charge a fund use to the household ledgers in its
/// charging scope (列支范围). The basis is the caller's: exclusive area by default (Civil
/// Code Art 283: costs follow the agreement, otherwise the exclusive-area proportion);
/// building area where the rule says so (165号令 Art 21, the developer's share of unsold
/// houses). Errors as [`allocate`]; a negative area is [`FundError::NegativeArea`].
pub fn split_by_area(cost_fen: i64, areas: &[i64]) -> Result<Vec<i64>, FundError> {
    if let Some(&a) = areas.iter().find(|a| **a < 0) {
        return Err(FundError::NegativeArea(a));
    }
    allocate(cost_fen, areas)
}

code_enum! {
    /// How interest and other value-added income (增值收益) is split among an estate's
    /// household ledgers (分户账). rules.md §2.3 \[U\]: the national text retrieved does not
    /// say how interest is credited to each household, so the method is configurable, with
    /// the default "按分户账余额比例" ([`InterestMethod::ByBalance`]); **the method needs
    /// confirmation against the local rule** (rules.md §2.8: no Ningxia fund rule found).
    InterestMethod {
        /// 按分户账余额比例 (default): in proportion to each household's balance on the day
        /// of the allocation (a negative balance weighs 0).
        ByBalance = "by_balance" / "按分户账余额比例" | "按余额",
        /// 按首期缴存额比例: in proportion to each household's initial deposit
        /// ([`initial_deposit`], 165号令 Art 7).
        ByInitialDeposit = "by_initial_deposit" / "按首期缴存额比例" | "按缴存额",
    }
}

impl Default for InterestMethod {
    /// [`InterestMethod::ByBalance`], rules.md §2.3.
    fn default() -> Self {
        InterestMethod::ByBalance
    }
}

impl InterestMethod {
    /// The memo written on each interest entry: which method split it. Kept short, as it is
    /// written once per household (a million rows per run at province scale); that the method
    /// awaits local confirmation (rules.md §2.3 \[U\]) is said where it is chosen.
    pub fn memo(self) -> String {
        format!("{}分配利息", self.label_zh())
    }
}

/// Splits `total` fen of interest among household ledgers by `method` ([`allocate`], parts
/// summing exactly to `total`): `balances` and `initial_deposits` in fen, one of each per
/// household in the same order. A negative balance weighs 0. Errors as [`allocate`]; the
/// two slices of different lengths is [`FundError::NoWeights`] (nothing to pair).
pub fn split_interest(total: i64, method: InterestMethod, balances: &[i64], initial_deposits: &[i64]) -> Result<Vec<i64>, FundError> {
    if balances.len() != initial_deposits.len() {
        return Err(FundError::NoWeights);
    }
    let weights: Vec<i64> = match method {
        InterestMethod::ByBalance => balances.iter().map(|b| (*b).max(0)).collect(),
        InterestMethod::ByInitialDeposit => initial_deposits.iter().map(|d| (*d).max(0)).collect(),
    };
    allocate(total, &weights)
}

/// The top-up threshold of 165号令 Art 17: 30 (percent of the initial deposit).
pub const DEFAULT_TOP_UP_PERCENT: u32 = 30;

/// Whether a household ledger must be topped up (续交): its balance is **below**
/// `percent`% of its initial deposit (165号令 Art 17, rules.md §2.6; pass
/// [`DEFAULT_TOP_UP_PERCENT`] unless a local rule differs). Exact: `balance × 100 <
/// initial × percent`; a balance of exactly 30% is not below. Amounts in fen. A ledger
/// without an initial deposit (`initial_deposit <= 0`) is never below.
pub fn below_top_up_threshold(balance: i64, initial_deposit: i64, percent: u32) -> bool {
    if initial_deposit <= 0 {
        return false;
    }
    (balance as i128) * 100 < (initial_deposit as i128) * percent as i128
}

/// The default top-up amount in fen: the initial deposit minus the current balance, never
/// negative (Haikou 2023 draft, rules.md §2.6 \[E\]; the owners' assembly decides the actual
/// plan, which is a "raise the fund" matter, [`crate::assembly::MatterKind::RaiseFund`]).
pub fn top_up_amount(balance: i64, initial_deposit: i64) -> i64 {
    initial_deposit.saturating_sub(balance).max(0)
}

code_enum! {
    /// An emergency endangering housing safety that allows drawing the fund without an
    /// owners' vote (165号令 Art 24; the typical local lists in rules.md §2.5 \[E\]). The
    /// list is local practice; `Other` covers a danger a local rule adds.
    EmergencyKind {
        /// 屋面、外墙渗漏
        RoofWallLeak = "roof_wall_leak" / "屋面、外墙渗漏" | "屋面渗漏" | "外墙渗漏",
        /// 电梯故障危及人身安全 (often with a special-equipment inspection finding)
        ElevatorFailure = "elevator_failure" / "电梯故障危及人身安全" | "电梯故障",
        /// 消防设施损坏或失灵，或消防部门责令整改
        FireFacilities = "fire_facilities" / "消防设施损坏或失灵" | "消防设施故障",
        /// 外墙构件有脱落危险
        FacadeFalling = "facade_falling" / "外墙构件有脱落危险" | "外墙脱落",
        /// 排水设施坍塌、堵塞或爆裂
        DrainageFailure = "drainage_failure" / "排水设施坍塌、堵塞或爆裂" | "排水管道堵塞" | "排水管道爆裂",
        /// 二次供水水泵故障导致停水
        SecondaryWaterPump = "secondary_water_pump" / "二次供水水泵故障导致停水" | "二次供水故障",
        /// 护栏严重损坏
        RailingDamage = "railing_damage" / "护栏严重损坏" | "护栏损坏",
        /// 玻璃幕墙炸裂
        GlassCurtainWall = "glass_curtain_wall" / "玻璃幕墙炸裂" | "幕墙炸裂",
        /// 地下车库被淹
        FloodedGarage = "flooded_garage" / "地下车库被淹" | "车库进水",
        /// 其他危及房屋安全的紧急情况 (as a local rule lists)
        Other = "other" / "其他危及房屋安全的紧急情况" | "其他",
    }
}

code_enum! {
    /// The procedure of a fund use (rules.md §2.4–2.5).
    FundUsePath {
        /// 一般程序: plan, owners' vote, disbursement (165号令 Arts 22–23). The vote is a
        /// "use the fund" matter, [`crate::assembly::MatterKind::UseFund`].
        Ordinary = "ordinary" / "一般程序",
        /// 应急程序: an emergency confirmed by the sub-district office or the residents'
        /// committee, drawn without an owners' vote (165号令 Art 24; local simplified
        /// procedure, rules.md §2.5).
        Emergency = "emergency" / "应急程序" | "紧急程序",
    }
}

code_enum! {
    /// The state of a fund use.
    FundUseState {
        /// 申请: a plan (projects, budget, charging scope) is proposed
        Application = "application" / "申请",
        /// 业主表决中: owners in the charging scope are voting (ordinary path only)
        Voting = "voting" / "业主表决中" | "表决中",
        /// 表决通过 (ordinary path only)
        Approved = "approved" / "表决通过" | "已批准",
        /// 紧急情况已确认 by the sub-district office or residents' committee (emergency path only)
        Confirmed = "confirmed" / "紧急情况已确认" | "已确认",
        /// 已拨付: the bank paid the repair contractor
        Paid = "paid" / "已拨付",
        /// 已列支: the cost is charged to the household ledgers ([`split_by_area`])
        Charged = "charged" / "已列支" | "已分摊",
        /// 已公示: published to the owners (165号令 Art 30, Civil Code Art 281)
        Disclosed = "disclosed" / "已公示",
        /// 未通过: the vote failed, or the emergency was not confirmed
        Rejected = "rejected" / "未通过" | "未确认",
    }
}

/// An illegal step of a fund use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FundUseTransitionError {
    #[error("应急程序不经业主表决，没有「{}」状态", .0.label_zh())]
    NoVoteInEmergency(FundUseState),
    #[error("一般程序须经业主表决，没有「{}」状态", .0.label_zh())]
    NoConfirmationInOrdinary(FundUseState),
    #[error("{}下维修资金使用不能从「{}」变为「{}」", .path.label_zh(), .from.label_zh(), .to.label_zh())]
    Illegal { path: FundUsePath, from: FundUseState, to: FundUseState },
}

/// The states a fund use may move to next on `path`:
/// - ordinary: application → voting → approved → paid → charged → disclosed, and
///   voting → rejected;
/// - emergency: application → confirmed → paid → charged → disclosed, and
///   application → rejected (the danger is not confirmed).
///
/// `disclosed` and `rejected` are final.
pub fn fund_use_next(path: FundUsePath, from: FundUseState) -> &'static [FundUseState] {
    use FundUseState::*;
    match (path, from) {
        (FundUsePath::Ordinary, Application) => &[Voting],
        (FundUsePath::Ordinary, Voting) => &[Approved, Rejected],
        (FundUsePath::Ordinary, Approved) => &[Paid],
        (FundUsePath::Emergency, Application) => &[Confirmed, Rejected],
        (FundUsePath::Emergency, Confirmed) => &[Paid],
        (_, Paid) => &[Charged],
        (_, Charged) => &[Disclosed],
        _ => &[],
    }
}

/// One step of a fund use on `path` (see [`fund_use_next`]); returns the new state.
/// Moving to `approved` is for the caller to do only with a passed "use the fund" tally
/// ([`crate::assembly::MatterResult::passed`]). Errors name the state that does not
/// belong to the path, or the illegal step.
pub fn fund_use_transition(path: FundUsePath, from: FundUseState, to: FundUseState) -> Result<FundUseState, FundUseTransitionError> {
    for s in [from, to] {
        match (path, s) {
            (FundUsePath::Emergency, FundUseState::Voting | FundUseState::Approved) => return Err(FundUseTransitionError::NoVoteInEmergency(s)),
            (FundUsePath::Ordinary, FundUseState::Confirmed) => return Err(FundUseTransitionError::NoConfirmationInOrdinary(s)),
            _ => {}
        }
    }
    if fund_use_next(path, from).contains(&to) { Ok(to) } else { Err(FundUseTransitionError::Illegal { path, from, to }) }
}

#[cfg(test)]
mod interest_tests {
    use super::*;

    /// rules.md §2.3: 101 fen over three households with balances 100, 300, 0 fen and
    /// initial deposits 1 000, 1 000, 2 000 fen.
    #[test]
    fn interest_by_balance_and_by_initial_deposit() {
        let (balances, initial) = ([100, 300, 0], [1000, 1000, 2000]);
        // By balance: exact 25.25, 75.75, 0 → floors 25, 75, 0; the fen left goes to the
        // largest remainder (75.75).
        assert_eq!(split_interest(101, InterestMethod::ByBalance, &balances, &initial).unwrap(), vec![25, 76, 0]);
        // By initial deposit: exact 25.25, 25.25, 50.5 → 25, 25, 51.
        assert_eq!(split_interest(101, InterestMethod::ByInitialDeposit, &balances, &initial).unwrap(), vec![25, 25, 51]);
        assert_eq!(InterestMethod::default(), InterestMethod::ByBalance);
        // A negative balance weighs nothing.
        assert_eq!(split_interest(10, InterestMethod::ByBalance, &[-50, 50], &[1, 1]).unwrap(), vec![0, 10]);
        // Nothing to split on: all balances 0 is an error, not an even split.
        assert_eq!(split_interest(10, InterestMethod::ByBalance, &[0, 0], &[1, 1]), Err(FundError::AllZeroWeights { total: 10 }));
        assert_eq!(split_interest(10, InterestMethod::ByBalance, &[1], &[1, 1]), Err(FundError::NoWeights));
        assert_eq!(InterestMethod::parse("按首期缴存额比例"), Some(InterestMethod::ByInitialDeposit));
        assert_eq!(InterestMethod::ByBalance.memo(), "按分户账余额比例分配利息");
        assert_eq!(InterestMethod::ByInitialDeposit.code(), "by_initial_deposit");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn initial_deposit_is_area_times_rate_rounded_half_up_to_the_fen() {
        // 89.37 m² × 80 元/m² = 7 149.60 元, exact.
        assert_eq!(initial_deposit(8937, 8000), Ok(714_960));
        // 89.37 m² × 45.55 元/m² = 4 070.8035 元 → 4 070.80 元.
        assert_eq!(initial_deposit(8937, 4555), Ok(407_080));
        // Half a fen rounds up; just under half rounds down.
        assert_eq!(initial_deposit(50, 1), Ok(1));
        assert_eq!(initial_deposit(49, 1), Ok(0));
        assert_eq!(initial_deposit(150, 1), Ok(2));
        assert_eq!(initial_deposit(151, 1), Ok(2));
        assert_eq!(initial_deposit(0, 8000), Ok(0));
        assert_eq!(initial_deposit(-1, 8000), Err(FundError::NegativeArea(-1)));
        assert_eq!(initial_deposit(100, -1), Err(FundError::NegativeRate(-1)));
        assert_eq!(initial_deposit(i64::MAX, 100), Ok(i64::MAX));
        assert_eq!(initial_deposit(i64::MAX, 200), Err(FundError::Overflow));
    }

    #[test]
    fn allocate_by_largest_remainder() {
        // 1 000 元 over areas 89.37, 120.00 and 65.43 m² (Σ 274.80): exact shares
        // 32 521.83…, 43 668.12…, 23 810.04… fen; the one fen left goes to the largest
        // remainder (.83).
        assert_eq!(allocate(100_000, &[8937, 12000, 6543]), Ok(vec![32_522, 43_668, 23_810]));
        // Equal remainders: lower index first.
        assert_eq!(allocate(100, &[1, 1, 1]), Ok(vec![34, 33, 33]));
        assert_eq!(allocate(2, &[1, 1, 1]), Ok(vec![1, 1, 0]));
        // Zero weights get nothing, even on a tie.
        assert_eq!(allocate(10, &[0, 3, 0, 1]), Ok(vec![0, 8, 0, 2]));
        assert_eq!(allocate(1, &[0, 1, 1]), Ok(vec![0, 1, 0]));
        // Exact splits need no rounding.
        assert_eq!(allocate(90, &[1, 2, 3, 0]), Ok(vec![15, 30, 45, 0]));
        assert_eq!(allocate(0, &[5, 7]), Ok(vec![0, 0]));
    }

    #[test]
    fn allocate_negative_totals_mirror_positive_ones() {
        assert_eq!(allocate(-100, &[1, 1, 1]), Ok(vec![-34, -33, -33]));
        assert_eq!(allocate(-100_000, &[8937, 12000, 6543]), Ok(vec![-32_522, -43_668, -23_810]));
    }

    #[test]
    fn allocate_refuses_what_has_no_proportion() {
        assert_eq!(allocate(100, &[]), Err(FundError::NoWeights));
        assert_eq!(allocate(100, &[3, -1]), Err(FundError::NegativeWeight { index: 1, weight: -1 }));
        assert_eq!(allocate(100, &[0, 0]), Err(FundError::AllZeroWeights { total: 100 }));
        assert_eq!(allocate(0, &[0, 0]), Ok(vec![0, 0]));
        assert_eq!(FundError::AllZeroWeights { total: 100 }.to_string(), "分摊基数全部为 0，无法按比例分摊 100 分");
    }

    #[test]
    fn allocate_survives_extreme_values() {
        let parts = allocate(i64::MAX, &[i64::MAX, i64::MAX, 1]).unwrap();
        assert_eq!(parts.iter().map(|&p| p as i128).sum::<i128>(), i64::MAX as i128);
        let parts = allocate(i64::MIN + 1, &[1, 1]).unwrap();
        assert_eq!(parts, vec![-(i64::MAX / 2) - 1, -(i64::MAX / 2)]);
    }

    #[test]
    fn split_by_area_charges_households_exactly() {
        assert_eq!(split_by_area(100_000, &[8937, 12000, 6543]), Ok(vec![32_522, 43_668, 23_810]));
        assert_eq!(split_by_area(100, &[100, -5]), Err(FundError::NegativeArea(-5)));
        let parts = split_by_area(1_234_567, &[8937, 8937, 12000, 6543, 14410]).unwrap();
        assert_eq!(parts.iter().sum::<i64>(), 1_234_567);
        assert_eq!(parts[0], parts[1]);
    }

    #[test]
    fn top_up_below_30_percent_of_the_initial_deposit() {
        // Initial deposit 7 149.60 元: 30% is exactly 2 144.88 元.
        let initial = 714_960;
        assert!(!below_top_up_threshold(214_488, initial, DEFAULT_TOP_UP_PERCENT));
        assert!(below_top_up_threshold(214_487, initial, DEFAULT_TOP_UP_PERCENT));
        assert!(below_top_up_threshold(0, initial, DEFAULT_TOP_UP_PERCENT));
        assert!(!below_top_up_threshold(initial, initial, DEFAULT_TOP_UP_PERCENT));
        // Odd initial amounts: 30% of 1 fen is 0.3 fen; 0 is below it.
        assert!(below_top_up_threshold(0, 1, 30));
        assert!(!below_top_up_threshold(1, 1, 30));
        // A local 25% rule.
        assert!(!below_top_up_threshold(178_740, initial, 25));
        assert!(below_top_up_threshold(178_739, initial, 25));
        // No initial deposit recorded: never below.
        assert!(!below_top_up_threshold(0, 0, 30));
        assert_eq!(top_up_amount(214_487, initial), 500_473);
        assert_eq!(top_up_amount(800_000, initial), 0);
    }

    #[test]
    fn emergency_kinds_have_codes_and_labels() {
        assert_eq!(EmergencyKind::ALL.len(), 10);
        for &k in EmergencyKind::ALL {
            assert_eq!(EmergencyKind::parse(k.code()), Some(k));
            assert_eq!(EmergencyKind::parse(k.label_zh()), Some(k));
        }
        assert_eq!(EmergencyKind::parse("电梯故障"), Some(EmergencyKind::ElevatorFailure));
        assert_eq!(EmergencyKind::FloodedGarage.code(), "flooded_garage");
        assert_eq!(EmergencyKind::FloodedGarage.label_zh(), "地下车库被淹");
    }

    #[test]
    fn ordinary_fund_use_goes_through_the_vote() {
        use FundUseState::*;
        let p = FundUsePath::Ordinary;
        let path = [Application, Voting, Approved, Paid, Charged, Disclosed];
        for w in path.windows(2) {
            assert_eq!(fund_use_transition(p, w[0], w[1]), Ok(w[1]));
        }
        assert_eq!(fund_use_transition(p, Voting, Rejected), Ok(Rejected));
        assert_eq!(fund_use_transition(p, Application, Paid), Err(FundUseTransitionError::Illegal { path: p, from: Application, to: Paid }));
        assert_eq!(fund_use_transition(p, Approved, Voting), Err(FundUseTransitionError::Illegal { path: p, from: Approved, to: Voting }));
        assert_eq!(fund_use_transition(p, Rejected, Voting), Err(FundUseTransitionError::Illegal { path: p, from: Rejected, to: Voting }));
        assert_eq!(fund_use_transition(p, Disclosed, Disclosed), Err(FundUseTransitionError::Illegal { path: p, from: Disclosed, to: Disclosed }));
        assert_eq!(fund_use_transition(p, Application, Confirmed), Err(FundUseTransitionError::NoConfirmationInOrdinary(Confirmed)));
        assert_eq!(
            fund_use_transition(p, Application, Paid).unwrap_err().to_string(),
            "一般程序下维修资金使用不能从「申请」变为「已拨付」"
        );
        assert!(fund_use_next(p, Disclosed).is_empty());
        assert!(fund_use_next(p, Rejected).is_empty());
    }

    #[test]
    fn emergency_fund_use_skips_the_vote_after_confirmation() {
        use FundUseState::*;
        let p = FundUsePath::Emergency;
        let path = [Application, Confirmed, Paid, Charged, Disclosed];
        for w in path.windows(2) {
            assert_eq!(fund_use_transition(p, w[0], w[1]), Ok(w[1]));
        }
        assert_eq!(fund_use_transition(p, Application, Rejected), Ok(Rejected));
        assert_eq!(fund_use_transition(p, Application, Paid), Err(FundUseTransitionError::Illegal { path: p, from: Application, to: Paid }));
        assert_eq!(fund_use_transition(p, Application, Voting), Err(FundUseTransitionError::NoVoteInEmergency(Voting)));
        assert_eq!(fund_use_transition(p, Approved, Paid), Err(FundUseTransitionError::NoVoteInEmergency(Approved)));
        assert_eq!(fund_use_transition(p, Application, Voting).unwrap_err().to_string(), "应急程序不经业主表决，没有「业主表决中」状态");
        assert_eq!(fund_use_next(p, Application), &[Confirmed, Rejected]);
    }

    proptest! {
        #[test]
        fn allocate_conserves_the_total_and_stays_within_a_fen(
            total in -10_000_000_000i64..10_000_000_000,
            weights in prop::collection::vec(prop_oneof![Just(0i64), 1i64..1_000_000, 0i64..i64::MAX / 64], 1..40),
        ) {
            let sum: i128 = weights.iter().map(|&w| w as i128).sum();
            prop_assume!(sum > 0);
            let parts = allocate(total, &weights).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(parts.iter().map(|&p| p as i128).sum::<i128>(), total as i128);
            for (&p, &w) in parts.iter().zip(&weights) {
                // |p − total·w/Σw| < 1 fen, i.e. |p·Σw − total·w| < Σw.
                let diff = p as i128 * sum - total as i128 * w as i128;
                prop_assert!(diff.abs() < sum, "part {} weight {} of {}", p, w, total);
                if w == 0 {
                    prop_assert_eq!(p, 0);
                }
            }
            let neg = allocate(-total, &weights).unwrap();
            prop_assert_eq!(neg, parts.iter().map(|p| -p).collect::<Vec<_>>());
        }

        #[test]
        fn split_by_area_conserves_the_cost(
            cost in 0i64..100_000_000,
            areas in prop::collection::vec(1i64..50_000, 1..200),
        ) {
            let parts = split_by_area(cost, &areas).unwrap();
            prop_assert_eq!(parts.iter().sum::<i64>(), cost);
            prop_assert!(parts.iter().all(|&p| p >= 0));
            // A larger area never pays more than a fen less than a smaller one.
            let n = areas.len().min(30);
            for i in 0..n {
                for j in 0..n {
                    if areas[i] >= areas[j] {
                        prop_assert!(parts[i] + 1 >= parts[j]);
                    }
                }
            }
        }
    }
}
