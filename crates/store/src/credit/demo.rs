//! Demo credit data (`wuye serve --demo`): registered enterprises with records in every
//! state, owner ratings, one operating-but-unregistered ('missing') enterprise, and a score
//! history over the past year.

use super::{NewRecord, decide, enter, object, rate, recompute_all, rectify, register};
use crate::access::Access;
use crate::cases::Upload;
use crate::db::{Db, Result};
use crate::on;
use chrono::{Datelike, Duration, NaiveDate};

/// What the demo writer wrote (all zero when credit data already existed).
#[derive(Debug, Default)]
pub struct DemoReport {
    pub registered: usize,
    pub records: usize,
    pub ratings: usize,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "信用演示数据：纳入信用管理企业 {} 家，信用记录 {} 条，业主评价 {} 条", self.registered, self.records, self.ratings)
    }
}

const PDF: &[u8] = b"%PDF-1.4\n% wuye demo evidence\n";

/// Writes the demo credit data once (nothing when any registration exists).
pub async fn write_demo(db: &Db, today: NaiveDate) -> Result<DemoReport> {
    let n: i64 = on!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM credit_registrations").fetch_one(p).await)?;
    if n > 0 {
        return Ok(DemoReport::default());
    }
    // Enterprises operating today, by id.
    let ents: Vec<i64> = on!(db, p => sqlx::query_scalar("SELECT n.id FROM enterprises n WHERE EXISTS (SELECT 1 FROM service_contracts sc WHERE sc.enterprise_id = n.id AND sc.start_date <= $1 AND (sc.end_date IS NULL OR sc.end_date >= $1)) ORDER BY n.id LIMIT 8").bind(today).fetch_all(p).await)?;
    if ents.len() < 2 {
        return Ok(DemoReport::default());
    }
    let a = Access::system("demo");
    let ago = |n: i64| today - Duration::days(n);
    let mut rep = DemoReport::default();
    // All but the last are registered a year and a half ago; the last stays 'missing'.
    for e in &ents[..ents.len() - 1] {
        register(db, &a, *e, ago(540)).await?;
        rep.registered += 1;
    }
    let rec = |e: i64, item: &str, pts: i64, occurred: NaiveDate, title: &str| NewRecord {
        enterprise_id: e,
        item_code: item.into(),
        points_tenths: pts,
        source: if item.starts_with('G') { "association".into() } else { "regulator".into() },
        source_org: if item.starts_with('G') { "宁夏物业管理协会".into() } else { "住房和城乡建设局".into() },
        estate_id: None,
        title: title.into(),
        detail: String::new(),
        occurred_on: occurred,
    };
    let ev = || vec![Upload { file_name: "证据.pdf".into(), bytes: PDF.to_vec() }];
    let e0 = ents[0];
    let e1 = ents[1];
    let others = &ents[..ents.len() - 1];
    // Effective records spread over the past year (a history with several changes).
    for (i, e) in others.iter().enumerate() {
        let i = i as i64;
        enter(db, &a, &rec(*e, "G01", 30 + 5 * (i % 3), ago(330 - 10 * i), "获评市级物业服务优秀企业"), &ev(), ago(329 - 10 * i)).await?;
        enter(db, &a, &rec(*e, "B01", 10 + 5 * (i % 4), ago(240 - 7 * i), "未按合同约定清运垃圾，经查实"), &ev(), ago(238 - 7 * i)).await?;
        enter(db, &a, &rec(*e, "G02", 10 + 5 * (i % 2), ago(150 - 5 * i), "行业协会年度表彰"), &[], ago(149 - 5 * i)).await?;
        enter(db, &a, &rec(*e, "B03", 20 + 10 * (i % 3), ago(90 - 3 * i), "消防通道堵塞未按期整改"), &ev(), ago(88 - 3 * i)).await?;
        rep.records += 4;
    }
    // An expired record (occurred more than a year ago).
    enter(db, &a, &rec(e0, "B02", 30, ago(420), "未按规定公示收费标准"), &ev(), ago(418)).await?;
    // Pending with the objection window open.
    enter(db, &a, &rec(e0, "B01", 15, ago(3), "电梯维保记录缺失，经查实"), &ev(), ago(2)).await?;
    // Objected, awaiting the decision.
    let o = enter(db, &a, &rec(e0, "B02", 20, ago(6), "违规收取装修押金"), &ev(), ago(5)).await?;
    object(db, &a, o, "押金已于次日退还，附退款凭证", &ev(), ago(3)).await?;
    // Revoked after an accepted objection.
    let r = enter(db, &a, &rec(e1, "B04", 30, ago(40), "受到行政处罚"), &ev(), ago(38)).await?;
    object(db, &a, r, "处罚决定已被复议撤销", &ev(), ago(35)).await?;
    decide(db, &a, r, true, "经核实，处罚决定已撤销，异议成立", ago(30)).await?;
    // A serious record black-listing an enterprise (the second one, unrectified).
    enter(db, &a, &rec(e1, "S01", 150, ago(60), "发生重大安全责任事故"), &ev(), ago(58)).await?;
    rep.records += 6;
    // A serious record rectified (the third, if any).
    if others.len() > 2 {
        let s = enter(db, &a, &rec(others[2], "S01", 100, ago(200), "拒不退出物业服务项目"), &ev(), ago(198)).await?;
        rectify(db, &a, s, ago(120), ago(120)).await?;
        rep.records += 1;
    }
    // Owner ratings of last year for estates of the first enterprises.
    let year = today.year() - 1;
    let estates: Vec<i64> = on!(db, p => sqlx::query_scalar("SELECT sc.estate_id FROM service_contracts sc WHERE sc.start_date <= $1 AND (sc.end_date IS NULL OR sc.end_date >= $2) ORDER BY sc.estate_id LIMIT 6").bind(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today)).bind(today).fetch_all(p).await)?;
    for (i, es) in estates.iter().enumerate() {
        let score = [935, 860, 720, 550, 910, 800][i % 6];
        if rate(db, &a, *es, year, score, 80 + i as i64 * 7, ago(300)).await.is_ok() {
            rep.ratings += 1;
        }
    }
    // Scores at the start of each month over the past year, then today: a history.
    for m in (1..=12).rev() {
        let day = today - Duration::days(30 * m);
        recompute_all(db, day).await?;
    }
    recompute_all(db, today).await?;
    Ok(rep)
}
