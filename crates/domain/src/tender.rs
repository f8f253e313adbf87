//! Tendering of property services (物业管理招投标): pure rules, no I/O.
//!
//! Sources (rules.md §5.6): PMR Art 24 (the developer of residential property must tender;
//! negotiation with fewer than 3 bidders or a small project, with the district/county
//! housing authority's approval); 《前期物业管理招标投标管理暂行办法》 (建住房〔2003〕130号):
//! Art 8 (public tender or invitation to ≥ 3 firms), the evaluation committee (≥ 5, odd,
//! outside experts ≥ 2/3, drawn at random from the authority's pool), award ≥ 30 days before
//! the bid validity ends, filing within 15 days of the award.
//!
//! Units: points in tenths (85.5 points = 855); weights in whole percent; money in fen;
//! dates are Asia/Shanghai calendar days.

use chrono::NaiveDate;
use rand::Rng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $code:literal / $zh:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn code(self) -> &'static str { match self { $($name::$v => $code),+ } }
            pub fn label_zh(self) -> &'static str { match self { $($name::$v => $zh),+ } }
            /// Accepts the code or the Chinese label.
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|k| k.code() == s || k.label_zh() == s)
            }
        }
    };
}

code_enum!(
    /// Who tenders: the developer for preliminary service (PMR Art 24, 130号 Art 7), or the
    /// owners' assembly for regular service (Civil Code Art 278).
    TenderKind { Preliminary = "preliminary" / "前期物业", Regular = "regular" / "物业服务" }
);

code_enum!(
    /// How bidders are found (130号 Art 8; PMR Art 24 for negotiation).
    TenderMethod { Public = "public" / "公开招标", Invited = "invited" / "邀请招标", Negotiated = "negotiated" / "协议选聘" }
);

code_enum!(
    /// Where a tender stands. The path is draft → published → closed → panel_drawn →
    /// evaluated → awarded → filed; `failed` (流标) when bidding closes with too few bids;
    /// `cancelled` by the organiser before the award.
    TenderState {
        Draft = "draft" / "草拟",
        Published = "published" / "公告中",
        Closed = "closed" / "投标截止",
        PanelDrawn = "panel_drawn" / "已组建评标委员会",
        Evaluated = "evaluated" / "已评标",
        Awarded = "awarded" / "已定标",
        Filed = "filed" / "已备案",
        Failed = "failed" / "流标",
        Cancelled = "cancelled" / "已取消",
    }
);

impl TenderState {
    /// Colour of the state's badge (words and colour together).
    pub fn css(self) -> &'static str {
        match self {
            TenderState::Filed | TenderState::Awarded => "green",
            TenderState::Failed | TenderState::Cancelled => "red",
            TenderState::Draft => "",
            _ => "amber",
        }
    }
    pub fn is_final(self) -> bool {
        matches!(self, TenderState::Filed | TenderState::Failed | TenderState::Cancelled)
    }
}

/// Whether a tender may move from `from` to `to`. Errors (exact text):
/// `招标状态：「{from}」不能转为「{to}」`.
pub fn check_transition(from: TenderState, to: TenderState) -> Result<(), String> {
    use TenderState::*;
    let ok = matches!(
        (from, to),
        (Draft, Published)
            | (Published, Closed)
            | (Published, Failed)
            | (Closed, PanelDrawn)
            | (Closed, Failed)
            | (PanelDrawn, Evaluated)
            | (Evaluated, Awarded)
            | (Awarded, Filed)
            | (Draft | Published | Closed | PanelDrawn | Evaluated, Cancelled)
    );
    if ok { Ok(()) } else { Err(format!("招标状态：「{}」不能转为「{}」", from.label_zh(), to.label_zh())) }
}

/// Invitations an invited tender needs before its notice goes out (130号 Art 8).
pub const MIN_INVITATIONS: usize = 3;

/// Fewest bids for bidding to close without failing: 3 for public and invited tenders (with
/// fewer, PMR Art 24 allows negotiation instead, so the tender fails, 流标); 1 for a
/// negotiated one. [U] local rules vary; 3 follows PMR Art 24's "fewer than 3 bidders".
pub fn min_bids(method: TenderMethod) -> usize {
    match method {
        TenderMethod::Negotiated => 1,
        _ => 3,
    }
}

/// Checks what a tender needs before its notice is published: an invited tender has at
/// least [`MIN_INVITATIONS`] distinct enterprises invited; a negotiated one has the county
/// housing authority's approval (PMR Art 24). Errors name the field.
pub fn check_publish(method: TenderMethod, invitations: usize, approval: &str) -> Result<(), String> {
    match method {
        TenderMethod::Invited if invitations < MIN_INVITATIONS => Err(format!("邀请：邀请招标须邀请至少 {MIN_INVITATIONS} 家企业，实为 {invitations} 家")),
        TenderMethod::Negotiated if approval.trim().is_empty() => Err("协议选聘批准：协议选聘须经区县住房城乡建设主管部门批准（填写批准文号）".into()),
        _ => Ok(()),
    }
}

/// Checks the dates of a tender: the bid deadline on or after the publication day, and the
/// bid validity ending after the deadline.
pub fn check_dates(published_on: NaiveDate, bid_deadline: NaiveDate, validity_until: NaiveDate) -> Result<(), String> {
    if bid_deadline < published_on {
        return Err(format!("投标截止日：{bid_deadline} 早于公告日 {published_on}"));
    }
    // Bidding closes the day after the deadline at the earliest, and the award must come 30
    // days before the validity ends: validity ≥ deadline + 31 days, else no award is on time.
    let earliest = bid_deadline + chrono::Duration::days(AWARD_DAYS_BEFORE_VALIDITY_END + 1);
    if validity_until < earliest {
        return Err(format!("投标有效期：须不早于 {earliest}（投标截止日 {bid_deadline} 次日起评标，定标须在有效期届满 {AWARD_DAYS_BEFORE_VALIDITY_END} 日前），实为 {validity_until}"));
    }
    Ok(())
}

/// Whether a bid may be made on `on`: the bid deadline day itself is in time, the day
/// after is not. Errors (exact text): `投标截止日：已过投标截止日 {deadline}，不再接受投标`.
pub fn check_bid_in_time(on: NaiveDate, bid_deadline: NaiveDate) -> Result<(), String> {
    if on > bid_deadline { Err(format!("投标截止日：已过投标截止日 {bid_deadline}，不再接受投标")) } else { Ok(()) }
}

/// The credit standing of a bidder as tendering reads it (a copy of the store's
/// `credit::Standing`, kept pure): score in tenths, grade code, barred and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreditSnapshot {
    pub score_tenths: Option<i64>,
    pub grade: String,
    pub barred: bool,
    pub reason: Option<String>,
}

/// Whether an enterprise in this standing may bid (issue 5: black-listed or barred grades
/// cannot bid; rules.md §4 Shangqiu: C and below barred from tenders). Errors (exact text):
/// `信用：该企业被限制参与招投标（{reason}）`.
pub fn may_bid(s: &CreditSnapshot) -> Result<(), String> {
    if s.barred {
        let r = s.reason.clone().filter(|r| !r.trim().is_empty()).unwrap_or_else(|| format!("信用等级 {}", s.grade));
        Err(format!("信用：该企业被限制参与招投标（{r}）"))
    } else {
        Ok(())
    }
}

/// Smallest evaluation panel (130号: 5 or more, odd).
pub const MIN_PANEL: usize = 5;

/// Checks an evaluation panel of `size` members of whom `experts` are outside experts
/// drawn from the pool: `size ≥ 5`, odd, and `3 × experts ≥ 2 × size` (≥ 2/3; integers).
/// Errors (exact text) name the field `评标委员会`.
pub fn check_panel(size: usize, experts: usize) -> Result<(), String> {
    if size < MIN_PANEL {
        return Err(format!("评标委员会：成员至少 {MIN_PANEL} 人，实为 {size} 人"));
    }
    if size % 2 == 0 {
        return Err(format!("评标委员会：成员须为单数，实为 {size} 人"));
    }
    if experts > size {
        return Err(format!("评标委员会：专家人数 {experts} 超过成员人数 {size}"));
    }
    if 3 * experts < 2 * size {
        return Err(format!("评标委员会：专家须不少于成员的三分之二，{size} 人中至少 {} 名专家，实为 {experts} 名", (2 * size).div_ceil(3)));
    }
    Ok(())
}

/// One expert of the pool as the draw sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolExpert {
    pub id: i64,
    /// The enterprise employing the expert, if any (a conflict when it bids).
    pub employer: Option<i64>,
    pub active: bool,
}

/// Draws `count` experts from `pool` with seed `seed`, reproducibly:
///
/// 1. keep the active experts whose employer is not one of `bidders` (a conflict of
///    interest), sorted by id;
/// 2. seed `rand_chacha::ChaCha20Rng::seed_from_u64(seed)`;
/// 3. Fisher–Yates from the end: for `i` from `n−1` down to `1`, `j = next_u64() % (i+1)`,
///    swap `i` and `j`;
/// 4. the first `count` ids, in drawn order.
///
/// Anyone holding the pool's ids, the bidders and the seed gets the same members. Errors
/// when fewer than `count` experts are eligible.
pub fn draw_panel(pool: &[PoolExpert], bidders: &[i64], count: usize, seed: u64) -> Result<Vec<i64>, String> {
    let mut ids: Vec<i64> = pool.iter().filter(|e| e.active && !e.employer.is_some_and(|n| bidders.contains(&n))).map(|e| e.id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < count {
        return Err(format!("评标专家：专家库中可抽取（在册且无利害关系）的专家 {} 名，少于所需 {count} 名", ids.len()));
    }
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    for i in (1..ids.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        ids.swap(i, j);
    }
    ids.truncate(count);
    Ok(ids)
}

/// One evaluation criterion: a name, a weight in whole percent, and whether it is the
/// credit criterion (scored from the bidder's credit, not by the panel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Criterion {
    pub name: String,
    pub weight_pct: i64,
    pub credit: bool,
}

/// Checks a set of criteria (130号 Art 10: the evaluation criteria and method are part of
/// the tender documents): at least one; names non-empty and distinct; each weight 1–100;
/// weights sum to 100; exactly one credit criterion (issue 5). Errors name the row.
pub fn check_criteria(c: &[Criterion]) -> Result<(), String> {
    if c.is_empty() {
        return Err("评标标准：至少一项".into());
    }
    for (i, x) in c.iter().enumerate() {
        let row = i + 1;
        if x.name.trim().is_empty() {
            return Err(format!("评标标准第 {row} 项名称：不能为空"));
        }
        if !(1..=100).contains(&x.weight_pct) {
            return Err(format!("评标标准第 {row} 项权重：应为 1–100 的整数百分比，实为 {}", x.weight_pct));
        }
        if c[..i].iter().any(|y| y.name.trim() == x.name.trim()) {
            return Err(format!("评标标准第 {row} 项名称：「{}」重复", x.name.trim()));
        }
    }
    let sum: i64 = c.iter().map(|x| x.weight_pct).sum();
    if sum != 100 {
        return Err(format!("评标标准权重：合计须为 100%，实为 {sum}%"));
    }
    let credit = c.iter().filter(|x| x.credit).count();
    if credit != 1 {
        return Err(format!("评标标准：须有且仅有一项信用评价，实为 {credit} 项"));
    }
    Ok(())
}

/// Checks one score: 0–100 points in tenths (0..=1000).
pub fn check_points(points_tenths: i64) -> Result<(), String> {
    if (0..=1000).contains(&points_tenths) { Ok(()) } else { Err(format!("评分：应为 0–100 分（精确到 0.1 分），实为 {}", fmt_tenths(points_tenths))) }
}

/// Formats tenths as points: 855 → "85.5", 900 → "90.0".
pub fn fmt_tenths(t: i64) -> String {
    let s = if t < 0 { "-" } else { "" };
    format!("{s}{}.{}", t.abs() / 10, t.abs() % 10)
}

/// How the credit criterion is scored from a bidder's credit: points (tenths, 0–1000) per
/// grade code, and the points of a grade not listed (unrated, missing). [U] no Ningxia rule
/// was found; the default maps AAAA/AAA 100, AA 90, A 80, B 70, C 60, unrated 60, black 0,
/// and is configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreditMapping {
    /// `[grade code, points tenths]` pairs.
    #[schema(value_type = Vec<Object>)]
    pub grades: Vec<(String, i64)>,
    pub otherwise_tenths: i64,
}

impl Default for CreditMapping {
    fn default() -> Self {
        let g = |c: &str, p: i64| (c.to_string(), p);
        CreditMapping { grades: vec![g("AAAA", 1000), g("AAA", 1000), g("AA", 900), g("A", 800), g("B", 700), g("C", 600), g("black", 0), g("missing", 0)], otherwise_tenths: 600 }
    }
}

impl CreditMapping {
    /// The credit criterion's points (tenths) for a grade code.
    pub fn points(&self, grade: &str) -> i64 {
        self.grades.iter().find(|(g, _)| g == grade).map(|(_, p)| *p).unwrap_or(self.otherwise_tenths)
    }
}

/// A bid's total in tenths: the average over panel members of each member's weighted sum
/// `Σ weight_pct × points_tenths / 100`, computed as one integer division of the grand sum
/// by `100 × members`, rounded half up. `member_points[m][c]` is member `m`'s points for
/// criterion `c` (the credit criterion carries the mapped credit points for every member).
pub fn bid_total(weights: &[i64], member_points: &[Vec<i64>]) -> i64 {
    let n = member_points.len() as i64;
    if n == 0 {
        return 0;
    }
    let sum: i64 = member_points.iter().map(|pts| pts.iter().zip(weights).map(|(p, w)| p * w).sum::<i64>()).sum();
    let d = 100 * n;
    (2 * sum + d).div_euclid(2 * d)
}

/// A bid as ranking sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub bid_id: i64,
    pub total_tenths: i64,
    /// The bidder's credit score at bid time (tenths); `None` sorts below any score.
    pub credit_score_tenths: Option<i64>,
    /// When the bid came in (RFC 3339 text or any text that sorts in time order).
    pub submitted_at: String,
}

/// Ranks bids: higher total first; on a tie the higher credit score at bid time; then the
/// earlier bid; then the lower bid id. Returns bid ids, first place first.
pub fn rank(mut bids: Vec<Ranked>) -> Vec<i64> {
    bids.sort_by(|a, b| {
        b.total_tenths
            .cmp(&a.total_tenths)
            .then(b.credit_score_tenths.unwrap_or(-1).cmp(&a.credit_score_tenths.unwrap_or(-1)))
            .then(a.submitted_at.cmp(&b.submitted_at))
            .then(a.bid_id.cmp(&b.bid_id))
    });
    bids.into_iter().map(|b| b.bid_id).collect()
}

/// Days before the bid validity ends by which the award is made (130号).
pub const AWARD_DAYS_BEFORE_VALIDITY_END: i64 = 30;
/// Days after the award within which the filing is made (130号). [U] calendar days: the
/// measure says 15 日 without 工作日, so calendar days are counted.
pub const FILING_DAYS: i64 = 15;

/// The last day to award: 30 days before the bid validity ends.
pub fn award_by(validity_until: NaiveDate) -> NaiveDate {
    validity_until - chrono::Days::new(AWARD_DAYS_BEFORE_VALIDITY_END as u64)
}

/// Whether an award on `awarded_on` was late (after [`award_by`]).
pub fn award_late(awarded_on: NaiveDate, validity_until: NaiveDate) -> bool {
    awarded_on > award_by(validity_until)
}

/// The last day to file: the award day + 15 calendar days (day 15 is in time).
pub fn filing_due(awarded_on: NaiveDate) -> NaiveDate {
    awarded_on + chrono::Days::new(FILING_DAYS as u64)
}

/// Whether the filing is late: filed after [`filing_due`], or not filed and `today` is past
/// it.
pub fn filing_late(awarded_on: NaiveDate, filed_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    filed_on.unwrap_or(today) > filing_due(awarded_on)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bid_validity_leaves_room_for_an_award_on_time() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Deadline 20 Dec: the earliest award is 21 Dec, so validity must run to 20 Jan.
        assert_eq!(check_dates(d("2026-11-30"), d("2026-12-20"), d("2027-01-20")), Ok(()));
        assert_eq!(
            check_dates(d("2026-11-30"), d("2026-12-20"), d("2027-01-19")),
            Err("投标有效期：须不早于 2027-01-20（投标截止日 2026-12-20 次日起评标，定标须在有效期届满 30 日前），实为 2027-01-19".into())
        );
        assert!(check_dates(d("2026-11-30"), d("2026-12-20"), d("2026-12-21")).is_err());
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn panel_sizes_and_experts() {
        assert_eq!(check_panel(5, 4), Ok(()));
        assert_eq!(check_panel(7, 5), Ok(()));
        assert_eq!(check_panel(5, 5), Ok(()));
        assert_eq!(check_panel(4, 4), Err("评标委员会：成员至少 5 人，实为 4 人".into()));
        assert_eq!(check_panel(6, 6), Err("评标委员会：成员须为单数，实为 6 人".into()));
        // 3 × 3 = 9 < 2 × 5 = 10
        assert_eq!(check_panel(5, 3), Err("评标委员会：专家须不少于成员的三分之二，5 人中至少 4 名专家，实为 3 名".into()));
        assert!(check_panel(7, 4).is_err(), "12 < 14");
        assert_eq!(check_panel(9, 6), Ok(()), "18 = 18");
    }

    #[test]
    fn transitions() {
        assert_eq!(check_transition(TenderState::Draft, TenderState::Published), Ok(()));
        assert_eq!(check_transition(TenderState::PanelDrawn, TenderState::Awarded), Err("招标状态：「已组建评标委员会」不能转为「已定标」".into()));
        assert_eq!(check_transition(TenderState::Awarded, TenderState::Cancelled), Err("招标状态：「已定标」不能转为「已取消」".into()));
        assert!(check_transition(TenderState::Closed, TenderState::Failed).is_ok());
        assert!(check_transition(TenderState::Filed, TenderState::Awarded).is_err());
    }

    #[test]
    fn same_seed_same_draw_and_conflicts_excluded() {
        let pool: Vec<PoolExpert> = (1..=20).map(|i| PoolExpert { id: i, employer: if i == 3 { Some(99) } else { None }, active: i != 4 }).collect();
        let a = draw_panel(&pool, &[99], 5, 42).unwrap();
        let mut reversed = pool.clone();
        reversed.reverse();
        let b = draw_panel(&reversed, &[99], 5, 42).unwrap();
        assert_eq!(a, b, "the pool's order does not matter");
        assert_eq!(a.len(), 5);
        assert!(!a.contains(&3) && !a.contains(&4));
        let c = draw_panel(&pool, &[99], 5, 43).unwrap();
        assert_ne!(a, c);
        // Pinned: the algorithm may not change silently.
        assert_eq!(a, draw_panel(&pool, &[99], 5, 42).unwrap());
        assert!(draw_panel(&pool[..5], &[99], 5, 1).is_err(), "3 eligible of 5");
    }

    #[test]
    fn criteria_checks() {
        let c = |n: &str, w: i64, cr: bool| Criterion { name: n.into(), weight_pct: w, credit: cr };
        assert_eq!(check_criteria(&[c("报价", 40, false), c("方案", 40, false), c("信用", 20, true)]), Ok(()));
        assert_eq!(check_criteria(&[c("报价", 40, false), c("方案", 40, false), c("信用", 10, true)]), Err("评标标准权重：合计须为 100%，实为 90%".into()));
        assert_eq!(check_criteria(&[c("报价", 50, false), c("方案", 50, false)]), Err("评标标准：须有且仅有一项信用评价，实为 0 项".into()));
        assert_eq!(check_points(1000), Ok(()));
        assert_eq!(check_points(1001), Err("评分：应为 0–100 分（精确到 0.1 分），实为 100.1".into()));
        assert!(check_points(-1).is_err());
    }

    /// Worked example: weights 报价 40, 方案 40, 信用 20; five members.
    /// Bid A (credit AA → 90.0): 报价 80,82,78,80,80 (sum 400.0); 方案 90,88,92,90,90 (450.0)
    ///   grand = 40×4000 + 40×4500 + 20×900×5 = 160000+180000+90000 = 430000 → /500 = 860 → 86.0
    /// Bid B (credit A → 80.0): 报价 85 ×5 (4250); 方案 85.5 ×5 (4275)
    ///   grand = 40×4250 + 40×4275 + 20×800×5 = 170000+171000+80000 = 421000 → 842 → 84.2
    /// Bid C (credit AAA → 100): 报价 75.3,75,75,75,75 (3753); 方案 80 ×5 (4000)
    ///   grand = 150120 + 160000 + 100000 = 410120 → 820.24 → 820 → 82.0
    #[test]
    fn worked_ranking() {
        let m = CreditMapping::default();
        let w = [40, 40, 20];
        let a: Vec<Vec<i64>> = [(800, 900), (820, 880), (780, 920), (800, 900), (800, 900)].iter().map(|(p, s)| vec![*p, *s, m.points("AA")]).collect();
        let b: Vec<Vec<i64>> = (0..5).map(|_| vec![850, 855, m.points("A")]).collect();
        let mut c: Vec<Vec<i64>> = (0..5).map(|_| vec![750, 800, m.points("AAA")]).collect();
        c[0][0] = 753;
        assert_eq!((bid_total(&w, &a), bid_total(&w, &b), bid_total(&w, &c)), (860, 842, 820));
        let r = |id, t, s: Option<i64>, at: &str| Ranked { bid_id: id, total_tenths: t, credit_score_tenths: s, submitted_at: at.into() };
        assert_eq!(rank(vec![r(3, 820, Some(950), "1"), r(1, 860, Some(880), "3"), r(2, 842, Some(790), "2")]), vec![1, 2, 3]);
        // Ties: credit score, then the earlier bid.
        assert_eq!(rank(vec![r(1, 800, Some(800), "1"), r(2, 800, Some(850), "2")]), vec![2, 1]);
        assert_eq!(rank(vec![r(1, 800, None, "2"), r(2, 800, None, "1")]), vec![2, 1]);
        // Rounding half up: 0.05 rounds to 0.1.
        assert_eq!(bid_total(&[100], &[vec![1], vec![0]]), 1);
    }

    #[test]
    fn deadlines_exactly() {
        assert_eq!(check_bid_in_time(d("2026-11-20"), d("2026-11-20")), Ok(()));
        assert_eq!(check_bid_in_time(d("2026-11-21"), d("2026-11-20")), Err("投标截止日：已过投标截止日 2026-11-20，不再接受投标".into()));
        let award = d("2026-11-01");
        assert_eq!(filing_due(award), d("2026-11-16"));
        assert!(!filing_late(award, Some(d("2026-11-16")), d("2026-12-31")), "day 15 in time");
        assert!(filing_late(award, Some(d("2026-11-17")), d("2026-12-31")), "day 16 late");
        assert!(!filing_late(award, None, d("2026-11-16")));
        assert!(filing_late(award, None, d("2026-11-17")));
        assert_eq!(award_by(d("2026-12-31")), d("2026-12-01"));
        assert!(!award_late(d("2026-12-01"), d("2026-12-31")));
        assert!(award_late(d("2026-12-02"), d("2026-12-31")));
    }

    #[test]
    fn barred_may_not_bid() {
        assert_eq!(may_bid(&CreditSnapshot::default()), Ok(()));
        let black = CreditSnapshot { score_tenths: Some(400), grade: "black".into(), barred: true, reason: Some("列入黑名单".into()) };
        assert_eq!(may_bid(&black), Err("信用：该企业被限制参与招投标（列入黑名单）".into()));
        let c = CreditSnapshot { score_tenths: Some(550), grade: "C".into(), barred: true, reason: None };
        assert_eq!(may_bid(&c), Err("信用：该企业被限制参与招投标（信用等级 C）".into()));
    }

    #[test]
    fn publish_rules() {
        assert_eq!(check_publish(TenderMethod::Invited, 2, ""), Err("邀请：邀请招标须邀请至少 3 家企业，实为 2 家".into()));
        assert_eq!(check_publish(TenderMethod::Invited, 3, ""), Ok(()));
        assert!(check_publish(TenderMethod::Negotiated, 0, " ").is_err());
        assert_eq!(check_publish(TenderMethod::Negotiated, 0, "兴庆住建〔2026〕3号"), Ok(()));
        assert_eq!(min_bids(TenderMethod::Public), 3);
    }
}
