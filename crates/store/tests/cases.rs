//! Case store tests: joint-conference matters, referrals and mediation through the one
//! engine, escalation on the right working day, refusals that change nothing, and who
//! sees what. They run on SQLite, or on PostgreSQL when DATABASE_URL names one.

use chrono::NaiveDate;
use wuye_domain::account::{Role, Scope};
use wuye_domain::region::RegionCode;
use wuye_store::access::Access;
use wuye_store::cases::{self, AgreementInput, NewCase, Party, StepInput, Upload};
use wuye_store::testing::{TestDb, count, load_fixture};
use wuye_store::{Db, StoreError, on};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn sys() -> Access {
    Access::system("test")
}

fn region(c: &str) -> Scope {
    Scope::Region(RegionCode::parse(c).unwrap())
}

async fn user(db: &Db, login: &str, role: Role, scope: Scope) -> Access {
    wuye_store::testing::fixture_login(db, login, role, scope).await
}

async fn org(db: &Db, kind: &str, name: &str, code: &str, members: &[&str]) -> i64 {
    let id = cases::create_organisation(db, &sys(), kind, name, code, "").await.unwrap();
    for m in members {
        cases::add_member(db, &sys(), id, m).await.unwrap();
    }
    id
}

async fn id_of(db: &Db, sql: &'static str, bind: &str) -> i64 {
    on!(db, p => sqlx::query_scalar(sql).bind(bind).fetch_one(p).await).unwrap()
}

fn step(action: &str, note: &str) -> StepInput {
    StepInput { action: action.into(), note: note.into(), ..Default::default() }
}

async fn writes(db: &Db) -> (i64, i64, i64, i64) {
    (count(db, "cases").await, count(db, "case_steps").await, count(db, "case_attachments").await, count(db, "audit_log").await)
}

/// The organisations and users of 兴庆区 used by every test here.
struct World {
    reg: Access,
    street: Access,
    urban: Access,
    police: Access,
    mediator: Access,
    housing: i64,
    urban_org: i64,
    police_org: i64,
    street_org: i64,
    mediation_org: i64,
}

async fn world(db: &Db) -> World {
    load_fixture(db).await;
    let reg = user(db, "reg_xq", Role::Regulator, region("640104")).await;
    let street = user(db, "street_fh", Role::Street, region("640104001")).await;
    let urban = user(db, "dept_cg", Role::Department, region("640104")).await;
    let police = user(db, "dept_ga", Role::Department, region("640104")).await;
    let mediator = user(db, "mediator_fh", Role::Mediator, Scope::Own).await;
    World {
        housing: org(db, "housing", "兴庆区住房和城乡建设局", "640104", &["reg_xq"]).await,
        urban_org: org(db, "urban_management", "兴庆区城市管理局", "640104", &["dept_cg"]).await,
        police_org: org(db, "police", "兴庆区公安分局", "640104", &["dept_ga"]).await,
        street_org: org(db, "street", "凤凰北街街道办事处", "640104001", &["street_fh"]).await,
        mediation_org: org(db, "mediation", "凤凰北街人民调解委员会", "640104001", &["mediator_fh"]).await,
        reg,
        street,
        urban,
        police,
        mediator,
    }
}

fn matter(holder: i64, deadline: &str) -> NewCase {
    NewCase { kind: "matter".into(), title: "崇安小区消防通道被占".into(), description: "联席会议议定：限期清理".into(), holder_org_id: Some(holder), deadline: Some(d(deadline)), ..Default::default() }
}

#[tokio::test]
async fn a_matter_runs_is_returned_and_escalates_on_the_right_working_day() {
    let t = TestDb::new().await;
    let db = &t.db;
    let w = world(db).await;
    let today = d("2026-11-30");

    // Matter A: dispatch → accept → progress → report → confirm.
    let a = cases::open(db, &w.reg, &matter(w.urban_org, "2026-12-11"), &[], today).await.unwrap();
    let c = cases::get(db, &w.urban, a, today).await.unwrap();
    assert_eq!((c.state.as_str(), c.holder_org_id, c.deadline, c.supervisor_org_id), ("dispatched", w.urban_org, Some(d("2026-12-11")), w.housing));
    assert_eq!(cases::inbox(db, &w.urban, 10).await.unwrap().len(), 1);
    assert!(cases::inbox(db, &w.police, 10).await.unwrap().is_empty());
    // Confirming before acceptance: out of order, and nothing changes.
    let before = writes(db).await;
    let e = cases::step(db, &w.reg, a, &step("confirm", ""), &[], today).await.unwrap_err().to_string();
    assert_eq!(e, "「确认办结」不能在「已派单待签收」状态下进行，须在「已报结待确认」状态下");
    // The convener cannot accept for the department.
    assert_eq!(cases::step(db, &w.reg, a, &step("accept", ""), &[], today).await.unwrap_err().to_string(), "「签收」须由承办部门办理");
    // An attachment that is neither a document nor an image.
    let exe = Upload { file_name: "照片.exe".into(), bytes: b"MZ\x90\x00".to_vec() };
    let e = cases::step(db, &w.urban, a, &step("accept", ""), &[exe], today).await.unwrap_err().to_string();
    assert!(e.contains("不是文档或图片"), "{e}");
    assert_eq!(writes(db).await, before, "refusals write nothing");

    let photo = Upload { file_name: "现场.png".into(), bytes: b"\x89PNG\r\n\x1a\n0000".to_vec() };
    assert_eq!(cases::step(db, &w.urban, a, &step("accept", ""), &[], today).await.unwrap(), "accepted");
    assert!(cases::step(db, &w.urban, a, &step("progress", ""), &[], today).await.unwrap_err().to_string().contains("办理进展：不能为空"));
    cases::step(db, &w.urban, a, &step("progress", "已约谈物业企业"), &[photo], d("2026-12-02")).await.unwrap();
    assert_eq!(cases::step(db, &w.urban, a, &step("report", "车辆已清离，设置禁停标识"), &[], d("2026-12-04")).await.unwrap(), "reported");
    let c = cases::get(db, &w.reg, a, d("2026-12-04")).await.unwrap();
    // Reported on Fri 4 Dec: the convener has 5 working days, to Fri 11 Dec.
    assert_eq!((c.holder_org_id, c.deadline), (w.housing, Some(d("2026-12-11"))));
    assert_eq!((c.holder.as_str(), c.lead.as_str()), ("兴庆区住房和城乡建设局", "兴庆区城市管理局"), "with the convener, led by the department");
    assert_eq!(cases::step(db, &w.reg, a, &step("confirm", ""), &[], d("2026-12-07")).await.unwrap(), "confirmed");
    let c = cases::get(db, &w.reg, a, d("2026-12-07")).await.unwrap();
    assert!(c.closed && c.deadline.is_none());
    assert_eq!(c.closed_on, Some(d("2026-12-07")));
    let tl = cases::timeline(db, &w.reg, a, d("2026-12-07")).await.unwrap();
    assert_eq!(tl.iter().map(|s| s.action.as_str()).collect::<Vec<_>>(), ["dispatch", "accept", "progress", "report", "confirm"]);
    assert_eq!(cases::attachments(db, &w.reg, a, today).await.unwrap().len(), 1);

    // Matter B: returned with reasons, re-dispatched to the police, accepted there.
    let b = cases::open(db, &w.reg, &matter(w.urban_org, "2026-12-18"), &[], today).await.unwrap();
    assert!(cases::step(db, &w.urban, b, &step("return", ""), &[], today).await.unwrap_err().to_string().contains("退回理由"));
    cases::step(db, &w.urban, b, &step("return", "涉及车辆违停，属公安交管职责"), &[], today).await.unwrap();
    let c = cases::get(db, &w.reg, b, today).await.unwrap();
    assert_eq!((c.state.as_str(), c.holder_org_id, c.deadline), ("returned", w.housing, Some(d("2026-12-02"))));
    // Re-dispatch to the mediation committee: not a department.
    let mut re = StepInput { action: "redispatch".into(), holder_org_id: Some(w.mediation_org), deadline: Some(d("2026-12-18")), ..Default::default() };
    let before = writes(db).await;
    let e = cases::step(db, &w.reg, b, &re, &[], today).await.unwrap_err().to_string();
    assert_eq!(e, "承办部门：「凤凰北街人民调解委员会」不是职能部门，不能派单");
    // A deadline in the past.
    re.holder_org_id = Some(w.police_org);
    re.deadline = Some(d("2026-11-29"));
    assert_eq!(cases::step(db, &w.reg, b, &re, &[], today).await.unwrap_err().to_string(), "期限：应晚于今天（2026-11-30），实为 2026-11-29");
    assert_eq!(writes(db).await, before);
    re.deadline = Some(d("2026-12-18"));
    cases::step(db, &w.reg, b, &re, &[], today).await.unwrap();
    cases::step(db, &w.police, b, &step("accept", ""), &[], today).await.unwrap();
    // The urban department once held it: it still sees the case, but can no longer act.
    assert_eq!(cases::get(db, &w.urban, b, today).await.unwrap().holder_org_id, w.police_org);
    assert!(cases::step(db, &w.urban, b, &step("report", "x"), &[], today).await.is_err());

    // A department of another county is outside the matter's jurisdiction.
    let jf_org = org(db, "urban_management", "金凤区综合执法局", "640106", &[]).await;
    let before = writes(db).await;
    assert_eq!(
        cases::open(db, &w.reg, &matter(jf_org, "2026-12-18"), &[], today).await.unwrap_err().to_string(),
        "承办部门：「金凤区综合执法局」不在本案辖区内（督办：兴庆区住房和城乡建设局）"
    );
    let mut helped = matter(w.urban_org, "2026-12-18");
    helped.helper_org_ids = vec![w.urban_org];
    assert!(cases::open(db, &w.reg, &helped, &[], today).await.unwrap_err().to_string().contains("已是承办部门"));
    helped.helper_org_ids = vec![];
    helped.meeting_id = Some(999);
    assert!(cases::open(db, &w.reg, &helped, &[], today).await.unwrap_err().to_string().contains("联席会议：#999 不存在"));
    // A PDF named as a program.
    let renamed = Upload { file_name: "ok.exe".into(), bytes: b"%PDF-1.4\n".to_vec() };
    assert_eq!(cases::open(db, &w.reg, &matter(w.urban_org, "2026-12-18"), &[renamed], today).await.unwrap_err().to_string(), "附件「ok.exe」：文件名后缀与内容（PDF）不符");
    // A meeting held in the future.
    let m = cases::NewMeeting { convener_org_id: w.housing, title: "联席会议".into(), held_on: d("2026-12-01"), ..Default::default() };
    assert!(cases::create_meeting(db, &w.reg, &m, today).await.unwrap_err().to_string().contains("会议日期"));
    assert_eq!(writes(db).await, before);

    // Dispatch to a non-department, and by someone outside the convener.
    let e = cases::open(db, &w.reg, &matter(w.street_org + 1000, "2026-12-18"), &[], today).await.unwrap_err().to_string();
    assert!(e.contains("不存在"), "{e}");
    assert!(cases::open(db, &w.reg, &matter(w.mediation_org, "2026-12-18"), &[], today).await.unwrap_err().to_string().contains("不是职能部门"));
    assert!(matches!(cases::open(db, &w.urban, &matter(w.police_org, "2026-12-18"), &[], today).await, Err(StoreError::Forbidden(_))));

    // Matter C, due Wed 30 Sep 2026: overdue from 1 Oct, escalated on Thu 8 Oct, when
    // offices reopen after the National Day break, to 银川市 (the convener's parent region).
    let cc = cases::open(db, &w.reg, &matter(w.urban_org, "2026-09-30"), &[], d("2026-09-28")).await.unwrap();
    for day in ["2026-09-30", "2026-10-01", "2026-10-07"] {
        assert_eq!(cases::escalate_due(db, d(day)).await.unwrap(), 0, "{day}");
    }
    let (over, n) = cases::overdue(db, &w.reg, "640104", 10, d("2026-10-07")).await.unwrap();
    assert_eq!((over.len(), n, over[0].id), (1, 1, cc));
    assert_eq!(cases::escalate_due(db, d("2026-10-08")).await.unwrap(), 1);
    assert_eq!(cases::escalate_due(db, d("2026-10-09")).await.unwrap(), 0, "once per deadline");
    let c = cases::get(db, &w.reg, cc, d("2026-10-08")).await.unwrap();
    assert_eq!((c.escalated_on, c.escalated_to.as_deref()), (Some(d("2026-10-08")), Some("640100000000")));
    assert_eq!(cases::timeline(db, &w.reg, cc, d("2026-10-08")).await.unwrap().last().unwrap().action, "escalate");
    assert!(cases::notices(db, &w.reg, 10).await.unwrap().iter().any(|n| n.case_id == cc && n.text.contains("升级督办")));
    // A regulator of 金凤区 does not see it.
    let jf = user(db, "reg_jf", Role::Regulator, region("640106")).await;
    assert!(matches!(cases::get(db, &jf, cc, today).await, Err(StoreError::NotFound)));
    assert!(cases::overdue(db, &jf, "640104", 10, d("2026-10-08")).await.unwrap().0.is_empty());
}

#[tokio::test]
async fn a_referral_goes_to_the_competent_department() {
    let t = TestDb::new().await;
    let db = &t.db;
    let w = world(db).await;
    let today = d("2026-11-30");
    let ca = id_of(db, "SELECT id FROM estates WHERE name = $1", "崇安小区").await;
    let anju = id_of(db, "SELECT id FROM enterprises WHERE uscc = $1", "91640104MA76ANJU1T").await;
    let staff = user(db, "ent_aj", Role::EnterpriseStaff, Scope::Enterprise(anju)).await;
    let r = NewCase {
        kind: "referral".into(),
        title: "3号楼一层违法搭建".into(),
        category: "illegal_construction".into(),
        description: "业主在公共绿地上搭建彩钢房约 12 m²".into(),
        estate_id: Some(ca),
        ..Default::default()
    };
    let id = cases::open(db, &staff, &r, &[Upload { file_name: "现场.jpg".into(), bytes: vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2] }], today).await.unwrap();
    let c = cases::get(db, &w.street, id, today).await.unwrap();
    // Waits with the street office of the estate's street, 3 working days to refer.
    assert_eq!((c.state.as_str(), c.holder_org_id, c.deadline), ("reported", w.street_org, Some(d("2026-12-03"))));
    let none = StepInput { action: "refer".into(), ..Default::default() };
    assert_eq!(cases::step(db, &w.street, id, &none, &[], today).await.unwrap_err().to_string(), "承办部门：「移交」须选择承办的职能部门");
    let refer = StepInput { action: "refer".into(), holder_org_id: Some(w.urban_org), ..Default::default() };
    assert_eq!(cases::step(db, &w.street, id, &refer, &[], today).await.unwrap(), "referred");
    // 15 working days from Mon 30 Nov 2026: Mon 21 Dec.
    assert_eq!(cases::get(db, &w.urban, id, today).await.unwrap().deadline, Some(d("2026-12-21")));
    cases::step(db, &w.urban, id, &step("accept", ""), &[], today).await.unwrap();
    cases::step(db, &w.urban, id, &step("handle", "责令限期拆除，已于 12 月 8 日自行拆除"), &[], d("2026-12-09")).await.unwrap();
    let c = cases::get(db, &staff, id, d("2026-12-09")).await.unwrap();
    assert_eq!((c.state.as_str(), c.closed, c.outcome.as_str()), ("handled", true, "责令限期拆除，已于 12 月 8 日自行拆除"));
    // The reporter followed it: a notice per step.
    assert_eq!(cases::notices(db, &staff, 10).await.unwrap().len(), 3);
    // An unknown category, and an estate outside the enterprise's contracts.
    let mut bad = r.clone();
    bad.category = "parking".into();
    assert!(cases::open(db, &staff, &bad, &[], today).await.unwrap_err().to_string().contains("违法行为类别"));
    let xl = id_of(db, "SELECT id FROM estates WHERE name = $1", "满春园小区").await;
    bad = r.clone();
    bad.estate_id = Some(xl);
    assert!(cases::open(db, &staff, &bad, &[], today).await.unwrap_err().to_string().contains("不在您的范围内"));
}

#[tokio::test]
async fn a_dispute_from_intake_to_agreement() {
    let t = TestDb::new().await;
    let db = &t.db;
    let w = world(db).await;
    let ca = id_of(db, "SELECT id FROM estates WHERE name = $1", "崇安小区").await;
    let ma = id_of(db, "SELECT id FROM owners WHERE name = $1", "马明").await;
    let zhang = id_of(db, "SELECT id FROM owners WHERE name = $1", "张伟").await;
    let anju = id_of(db, "SELECT id FROM enterprises WHERE uscc = $1", "91640104MA76ANJU1T").await;
    let owner = user(db, "owner_mm", Role::Owner, Scope::Owner(ma)).await;
    let party = |side: &str, kind: &str, name: &str, owner_id: Option<i64>, enterprise_id: Option<i64>| Party {
        side: side.into(),
        party_kind: kind.into(),
        name: name.into(),
        owner_id,
        enterprise_id,
        ..Default::default()
    };
    let mut n = NewCase {
        kind: "dispute".into(),
        title: "楼顶漏水维修纠纷".into(),
        category: "owner_enterprise".into(),
        description: "顶层漏水，物业称需动用维修资金，拖延三个月未修".into(),
        estate_id: Some(ca),
        parties: vec![party("applicant", "owner", "马明", Some(ma), None), party("respondent", "owner", "张伟", Some(zhang), None)],
        ..Default::default()
    };
    let today = d("2026-11-27");
    // 张伟 owns no house in 崇安小区.
    let before = writes(db).await;
    assert_eq!(cases::open(db, &owner, &n, &[], today).await.unwrap_err().to_string(), "当事人 2「张伟」：不是本小区的业主");
    assert_eq!(writes(db).await, before);
    // Nor is anyone on both sides.
    n.parties[1] = party("respondent", "owner", "马明", Some(ma), None);
    assert_eq!(cases::open(db, &owner, &n, &[], today).await.unwrap_err().to_string(), "当事人 2「马明」：申请人与被申请人不能是同一方");
    n.parties[1] = party("respondent", "enterprise", "安居物业", None, Some(anju));
    let id = cases::open(db, &owner, &n, &[], today).await.unwrap();
    let c = cases::get(db, &w.mediator, id, today).await.unwrap();
    // Applied Fri 27 Nov: 3 working days to accept, to Wed 2 Dec; held by the committee.
    assert_eq!((c.state.as_str(), c.holder_org_id, c.deadline), ("applied", w.mediation_org, Some(d("2026-12-02"))));
    // Acceptance needs both parties' consent (人民调解法 Art 17).
    let today = d("2026-11-30");
    let mut acc = StepInput { action: "accept".into(), consents: vec![(1, true)], ..Default::default() };
    let e = cases::step(db, &w.mediator, id, &acc, &[], today).await.unwrap_err().to_string();
    assert!(e.contains("当事人 2「宁夏安居物业服务有限公司」未同意调解") && e.contains("第十七条"), "{e}");
    assert!(cases::step(db, &owner, id, &StepInput { consents: vec![(1, true), (2, true)], ..acc.clone() }, &[], today).await.is_err(), "an owner is no mediator");
    acc.consents.push((2, true));
    cases::step(db, &w.mediator, id, &acc, &[], today).await.unwrap();
    // Normally concluded within one month (令75号 Art 33): 30 Dec.
    assert_eq!(cases::get(db, &w.mediator, id, today).await.unwrap().deadline, Some(d("2026-12-30")));
    assert!(cases::step(db, &w.mediator, id, &step("agree", ""), &[], today).await.unwrap_err().to_string().contains("不能在「已受理」状态下"));
    cases::step(db, &w.mediator, id, &step("notify", "已口头告知调解的性质、原则、效力及当事人的权利义务"), &[], today).await.unwrap();
    cases::step(db, &w.mediator, id, &step("session", "第一次调解：双方陈述，物业同意先行查勘"), &[], d("2026-12-03")).await.unwrap();
    cases::step(db, &w.mediator, id, &step("session", "第二次调解：查勘结论为防水层老化"), &[], d("2026-12-10")).await.unwrap();
    let mut g = AgreementInput {
        oral: false,
        facts: "顶层 0601 室楼顶防水层老化漏水".into(),
        terms: "物业于 12 月 31 日前完成修缮，费用由物业先行垫付".into(),
        performance: "物业组织施工，业主配合入户".into(),
        performance_deadline: d("2026-12-31"),
        signed_by_parties: true,
        signed_by_mediator: false,
        effective_on: d("2026-12-15"),
    };
    let agree = |g: &AgreementInput| StepInput { action: "agree".into(), agreement: Some(g.clone()), ..Default::default() };
    let today = d("2026-12-15");
    assert!(cases::step(db, &w.mediator, id, &agree(&g), &[], today).await.unwrap_err().to_string().contains("第二十九条"), "unsigned by the mediator");
    g.signed_by_mediator = true;
    g.effective_on = d("2026-12-09");
    assert_eq!(cases::step(db, &w.mediator, id, &agree(&g), &[], today).await.unwrap_err().to_string(), "调解协议·生效日期：不能早于最近一次调解（2026-12-10）");
    g.effective_on = d("2026-12-16");
    assert!(cases::step(db, &w.mediator, id, &agree(&g), &[], today).await.unwrap_err().to_string().contains("不能晚于今天"));
    g.effective_on = d("2026-12-15");
    assert_eq!(cases::step(db, &w.mediator, id, &agree(&g), &[], today).await.unwrap(), "agreed");
    let ag = cases::agreement(db, &owner, id, today).await.unwrap().unwrap();
    // 30 days after it takes effect (人民调解法 Art 33): 14 Jan 2027.
    assert_eq!(ag.judicial_due, d("2027-01-14"));
    let c = cases::get(db, &owner, id, today).await.unwrap();
    assert!(c.closed && c.outcome.starts_with("物业于 12 月 31 日前"));
    // Satisfaction: the owner for themselves, not for the enterprise.
    cases::rate(db, &owner, id, 1, 5, today).await.unwrap();
    assert!(matches!(cases::rate(db, &owner, id, 2, 1, today).await, Err(StoreError::Forbidden(_))));
    cases::rate(db, &w.mediator, id, 2, 4, today).await.unwrap();
    let ps = cases::parties(db, &owner, id, today).await.unwrap();
    assert_eq!(ps.iter().map(|p| (p.consent, p.satisfaction)).collect::<Vec<_>>(), [(Some(true), Some(5)), (Some(true), Some(4))]);
    assert!(cases::record_agreement_event(db, &w.mediator, id, "judicial_applied", d("2027-01-15"), d("2027-01-20")).await.unwrap_err().to_string().contains("已过"));
    cases::record_agreement_event(db, &w.mediator, id, "judicial_applied", d("2026-12-20"), d("2026-12-21")).await.unwrap();
    // Who sees it: the parties and the mediation committee; not another owner.
    let other = user(db, "owner_zw", Role::Owner, Scope::Owner(zhang)).await;
    assert!(matches!(cases::get(db, &other, id, today).await, Err(StoreError::NotFound)));
    assert!(matches!(cases::get(db, &w.police, id, today).await, Err(StoreError::NotFound)));
    let anju_mgr = user(db, "ent_aj", Role::EnterpriseManager, Scope::Enterprise(anju)).await;
    assert_eq!(cases::get(db, &anju_mgr, id, today).await.unwrap().id, id);
    // The parties' names come from their records, not from what was typed.
    assert_eq!(ps[1].name, "宁夏安居物业服务有限公司");
    // The estate's committee is no party: a dispute is private (人民调解法 Art 15).
    let committee = user(db, "committee_ca", Role::Committee, Scope::Estate(ca)).await;
    assert!(matches!(cases::get(db, &committee, id, today).await, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn regional_days_move_deadlines() {
    let t = TestDb::new().await;
    let db = &t.db;
    let _w = world(db).await;
    let admin = sys();
    cases::add_calendar_day(db, &admin, d("2026-12-01"), "6401", "holiday", "地方假日（测试）").await.unwrap();
    assert!(cases::add_calendar_day(db, &admin, d("2026-12-02"), "6401", "rest", "x").await.unwrap_err().to_string().contains("类型"));
    let yc = cases::calendar_for(db, "640104001002").await.unwrap();
    assert_eq!(yc.add_working_days(d("2026-11-30"), 1), d("2026-12-02"));
    let szs = cases::calendar_for(db, "640205001001").await.unwrap();
    assert_eq!(szs.add_working_days(d("2026-11-30"), 1), d("2026-12-01"), "石嘴山 keeps the national calendar");
    let reg = user(db, "reg2", Role::Regulator, region("640104")).await;
    assert!(matches!(cases::add_calendar_day(db, &reg, d("2026-12-03"), "", "holiday", "x").await, Err(StoreError::Forbidden(_))));
}
