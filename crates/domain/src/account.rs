//! Accounts: roles, the scope each role works in, and what each role may do.
//!
//! A user holds one or more roles, each with a scope; a session works in one of them at a
//! time (the role shown in the top bar). Which rows a scope reaches is decided by the store
//! (it turns a [`Scope`] into SQL); what a role may do with them is decided here.
//! Personal data rules follow rules.md §8 (PIPL Arts 6, 13, 28, 51; Civil Code Art 1034).

use crate::region::{RegionCode, RegionLevel};
use serde::{Deserialize, Serialize};

/// A role on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 平台管理员: everything.
    Admin,
    /// 住建部门（省/市/县）: its region's subtree.
    Regulator,
    /// 街道办事处 / 社区居委会: its street or community.
    Street,
    /// 职能部门 (城管、公安、市场监管…): matters dispatched to it, estate basics in its region.
    Department,
    /// 物业服务企业负责人: its enterprise, and the estates it serves under a contract in force.
    EnterpriseManager,
    /// 物业服务企业员工: as the manager, without editing the enterprise itself.
    EnterpriseStaff,
    /// 业主委员会委员: its estate.
    Committee,
    /// 业主: their own houses, and their estate's public information.
    Owner,
    /// 专业经营单位: its own matters.
    Utility,
    /// 调解员: its own matters.
    Mediator,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Admin,
        Role::Regulator,
        Role::Street,
        Role::Department,
        Role::EnterpriseManager,
        Role::EnterpriseStaff,
        Role::Committee,
        Role::Owner,
        Role::Utility,
        Role::Mediator,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Regulator => "regulator",
            Role::Street => "street",
            Role::Department => "department",
            Role::EnterpriseManager => "enterprise_manager",
            Role::EnterpriseStaff => "enterprise_staff",
            Role::Committee => "committee",
            Role::Owner => "owner",
            Role::Utility => "utility",
            Role::Mediator => "mediator",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "平台管理员",
            Role::Regulator => "住建监管部门",
            Role::Street => "街道/社区",
            Role::Department => "职能部门",
            Role::EnterpriseManager => "物业企业负责人",
            Role::EnterpriseStaff => "物业企业员工",
            Role::Committee => "业委会委员",
            Role::Owner => "业主",
            Role::Utility => "专业经营单位",
            Role::Mediator => "调解员",
        }
    }

    /// Accepts the code or the Chinese label.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL.into_iter().find(|r| r.code() == s || r.label_zh() == s)
    }

    /// What kind of scope this role needs.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::Admin => ScopeKind::All,
            Role::Regulator | Role::Street | Role::Department => ScopeKind::Region,
            Role::EnterpriseManager | Role::EnterpriseStaff => ScopeKind::Enterprise,
            Role::Committee => ScopeKind::Estate,
            Role::Owner => ScopeKind::Owner,
            Role::Utility | Role::Mediator => ScopeKind::Own,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The kind of scope a role needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    All,
    Region,
    Enterprise,
    Estate,
    Owner,
    Own,
}

/// Where a role works: which rows it can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// Everything (administrator).
    All,
    /// A region's subtree (12-digit code).
    #[schema(value_type = String)]
    Region(RegionCode),
    /// An enterprise and the estates it serves under a contract in force today.
    Enterprise(i64),
    /// One estate.
    Estate(i64),
    /// One owner: their houses.
    Owner(i64),
    /// Only the user's own matters.
    Own,
}

impl Scope {
    /// Stored form: `all`, `region:640104000000`, `enterprise:7`, `estate:3`, `owner:12`, `own`.
    pub fn to_text(&self) -> String {
        match self {
            Scope::All => "all".into(),
            Scope::Region(c) => format!("region:{c}"),
            Scope::Enterprise(i) => format!("enterprise:{i}"),
            Scope::Estate(i) => format!("estate:{i}"),
            Scope::Owner(i) => format!("owner:{i}"),
            Scope::Own => "own".into(),
        }
    }

    pub fn from_text(s: &str) -> Option<Scope> {
        let (k, v) = s.split_once(':').unwrap_or((s, ""));
        let id = || v.parse::<i64>().ok().filter(|i| *i > 0);
        match k {
            "all" => Some(Scope::All),
            "own" => Some(Scope::Own),
            "region" => RegionCode::parse(v).ok().map(Scope::Region),
            "enterprise" => id().map(Scope::Enterprise),
            "estate" => id().map(Scope::Estate),
            "owner" => id().map(Scope::Owner),
            _ => None,
        }
    }

    /// Builds the scope of `role` from what an administrator typed: a division code for
    /// region roles, a record id for enterprise, committee and owner roles.
    pub fn for_role(role: Role, code_or_id: &str) -> Result<Scope, String> {
        let v = code_or_id.trim();
        let id = || v.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| format!("{}的范围应为记录编号（正整数），实为 {v:?}", role.label_zh()));
        let scope = match role.scope_kind() {
            ScopeKind::All => Scope::All,
            ScopeKind::Own => Scope::Own,
            ScopeKind::Region => Scope::Region(RegionCode::parse(v).map_err(|e| e.to_string())?),
            ScopeKind::Enterprise => Scope::Enterprise(id()?),
            ScopeKind::Estate => Scope::Estate(id()?),
            ScopeKind::Owner => Scope::Owner(id()?),
        };
        check_role_scope(role, &scope)?;
        Ok(scope)
    }
}

/// A role's scope must be of the right kind, and region roles at the right level:
/// regulators at province, city or county; street offices at street or community.
pub fn check_role_scope(role: Role, scope: &Scope) -> Result<(), String> {
    let ok = match (role.scope_kind(), scope) {
        (ScopeKind::All, Scope::All) | (ScopeKind::Own, Scope::Own) => true,
        (ScopeKind::Enterprise, Scope::Enterprise(_)) | (ScopeKind::Estate, Scope::Estate(_)) | (ScopeKind::Owner, Scope::Owner(_)) => true,
        (ScopeKind::Region, Scope::Region(c)) => match role {
            Role::Regulator => matches!(c.level(), RegionLevel::Province | RegionLevel::City | RegionLevel::County),
            Role::Street => matches!(c.level(), RegionLevel::Street | RegionLevel::Community),
            _ => true,
        },
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(match role {
            Role::Regulator => "住建监管部门的范围应为省、市或县级区划".into(),
            Role::Street => "街道/社区的范围应为乡镇街道或村社区级区划".into(),
            r => format!("{}的范围类型不符: {}", r.label_zh(), scope.to_text()),
        })
    }
}

/// What is being acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Coverage figures and the region tree.
    Dashboard,
    Estate,
    /// Buildings, units and houses.
    House,
    /// Owners and occupants.
    Owner,
    Enterprise,
    Contract,
    /// Ledger imports.
    Import,
    /// Users, roles and tokens.
    User,
    /// The audit trail.
    Audit,
    /// Owners' assembly: covenant, committee, votes and ballots. `View` lets an owner see
    /// and cast their own ballot online; `Edit` enters paper and proxy ballots and runs a
    /// vote's lifecycle; `Create` drafts votes.
    Vote,
    /// The maintenance fund. `View` reads accounts and uses (an owner: their own household
    /// accounts); `Create` manages fund-use applications (the owners' committee); `Edit`
    /// keeps the ledger: accounts, deposits, interest, transfers, refunds (the housing
    /// authority).
    Fund,
    /// Cases: joint-conference matters, law-enforcement referrals, dispute mediation.
    /// `View` reads the cases the scope reaches; `Create` opens one (dispatches a matter,
    /// reports a violation, applies for mediation); steps are decided by membership of
    /// the holding or supervising organisation (the store checks it).
    Case,
    /// Safety (rules.md §6): checklists, inspections, hazards, recurring duties, elevators,
    /// e-bikes, emergency plans and drills. `View` and `Export` read the ledgers of the
    /// estates in scope; `Create` records inspections, duties done, e-bikes, plans and
    /// drills; `Edit` takes hazard steps (the store decides which by the caller's side:
    /// the responsible enterprise rectifies, the street office or regulator re-inspects)
    /// and, for regulators, edits checklist templates and regional settings.
    Safety,
    // credit: BEGIN
    /// Credit of property service enterprises (rules.md §4). `View` reads credit files and
    /// records in scope (owners and committees: published records only); `Create` enters
    /// records (regulators; street offices for their region), objections (the enterprise's
    /// manager) and owner ratings (the committee); `Edit` decides objections, accepts
    /// rectification, registers enterprises and sets the scheme (regulators, admin);
    /// `Export` the credit ledger.
    Credit,
    // credit: END
    // tender: BEGIN
    /// Tendering of property services (rules.md §5.6): `View` and `Export` read the tenders
    /// the scope reaches (an enterprise: those open to it, and only its own bids' prices
    /// before the award); `Create` drafts a tender (regulator, committee for a regular
    /// tender, admin) or, for an enterprise manager, makes a bid; `Edit` runs a tender's
    /// steps and keeps the expert pool (the store checks the caller organises the tender).
    Tender,
    // tender: END
}

/// What is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    View,
    Create,
    Edit,
    Export,
}

/// Whether `role` may do `action` on `resource` (within its scope; the store decides the
/// rows). Departments see estate basics only; owners see their houses and their estate's
/// public information; utility operators and mediators have only their own matters, which
/// later modules add.
pub fn allows(role: Role, action: Action, res: Resource) -> bool {
    use Action::*;
    use Resource::*;
    // tender: BEGIN
    if res == Tender {
        return match role {
            Role::Admin | Role::Regulator | Role::Committee => true,
            Role::Street => matches!(action, View | Export),
            Role::EnterpriseManager => matches!(action, View | Create),
            Role::EnterpriseStaff => action == View,
            _ => false,
        };
    }
    // tender: END
    match role {
        Role::Admin => true,
        Role::Regulator => match res {
            User | Audit => false,
            Vote => matches!(action, View | Export),
            Fund => matches!(action, View | Export | Edit),
            _ => true,
        },
        Role::Street => match res {
            // A street office or community views votes and fund use in its region, and
            // confirms emergency uses (checked by the store on the role itself).
            Vote | Fund => matches!(action, View | Export),
            Dashboard | Estate | House | Owner | Case | Safety => true,
            Enterprise | Contract => matches!(action, View | Export),
            Import => matches!(action, View | Create),
            User | Audit => false,
            // credit: BEGIN
            Credit => matches!(action, View | Create | Export),
            // credit: END
            // tender: BEGIN
            Tender => false, // decided above
            // tender: END
        },
        // credit: BEGIN
        Role::Department if res == Credit => action == View,
        Role::Committee if res == Credit => matches!(action, View | Create),
        Role::Owner if res == Credit => action == View,
        // credit: END
        Role::Department => matches!((res, action), (Dashboard | Estate | Enterprise, View) | (Case, View | Edit | Export) | (Safety, View | Export)),
        Role::EnterpriseManager | Role::EnterpriseStaff => match res {
            Estate | Contract => matches!(action, View | Export),
            House | Owner => true,
            Enterprise => action == View || (role == Role::EnterpriseManager && action == Edit),
            Import => matches!(action, View | Create),
            Fund => action == View,
            Case => matches!(action, View | Create),
            Safety => true,
            Dashboard | User | Audit | Vote => false,
            // credit: BEGIN
            Credit => action == View || (role == Role::EnterpriseManager && action == Create),
            // credit: END
            // tender: BEGIN
            Tender => false, // decided above
            // tender: END
        },
        Role::Committee => match res {
            Estate | House | Owner | Enterprise | Contract => matches!(action, View | Export),
            Vote => true,
            Fund => matches!(action, View | Export | Create),
            Case => matches!(action, View | Create),
            Safety => matches!(action, View | Export),
            _ => false,
        },
        Role::Owner => matches!((res, action), (Estate | House | Owner | Enterprise | Contract | Vote | Fund, View) | (Case, View | Create)),
        Role::Utility => matches!((res, action), (Case, View | Create)),
        Role::Mediator => matches!((res, action), (Case, View | Edit | Export)),
    }
}

/// Which personal data a role may see unmasked (each unmasked view is logged):
/// `(id_number, phone)`. Regulators, street offices and administrators may unmask for a
/// stated purpose; an enterprise needs phones to serve (PIPL Art 13(2), contract
/// necessity) but not ID numbers; committees, departments and others see masks only.
/// An owner always sees their own data in full.
pub fn may_unmask(role: Role) -> (bool, bool) {
    match role {
        Role::Admin | Role::Regulator | Role::Street => (true, true),
        Role::EnterpriseManager | Role::EnterpriseStaff => (false, true),
        _ => (false, false),
    }
}

/// Password rule: at least 10 characters, not all of one kind (letters, digits, others).
pub fn check_password(p: &str) -> Result<(), String> {
    let n = p.chars().count();
    if n < 10 {
        return Err(format!("密码至少 10 位，实为 {n} 位"));
    }
    if n > 128 {
        return Err("密码不超过 128 位".into());
    }
    let kinds = [p.chars().any(|c| c.is_alphabetic()), p.chars().any(|c| c.is_ascii_digit()), p.chars().any(|c| !c.is_alphanumeric())];
    if kinds.iter().filter(|k| **k).count() < 2 {
        return Err("密码须包含字母、数字、符号中的至少两类".into());
    }
    Ok(())
}

/// Login throttling: after `MAX_FAILURES` wrong passwords in a row the account is locked
/// for `LOCK_MINUTES`; a correct password after the lock ends resets the count.
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_check_levels() {
        for s in ["all", "own", "region:640104000000", "enterprise:7", "estate:3", "owner:12"] {
            assert_eq!(Scope::from_text(s).unwrap().to_text(), s);
        }
        assert_eq!(Scope::from_text("estate:0"), None);
        assert_eq!(Scope::for_role(Role::Regulator, "640104"), Ok(Scope::Region(RegionCode::parse("640104").unwrap())));
        assert!(Scope::for_role(Role::Regulator, "640104001").is_err(), "a street is not a regulator's region");
        assert!(Scope::for_role(Role::Street, "6401").is_err());
        assert!(Scope::for_role(Role::Street, "640104001002").is_ok());
        assert!(Scope::for_role(Role::Committee, "abc").is_err());
        assert_eq!(Scope::for_role(Role::Admin, ""), Ok(Scope::All));
        assert_eq!(Role::parse("业主"), Some(Role::Owner));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn permission_matrix() {
        assert!(allows(Role::Regulator, Action::Edit, Resource::Estate));
        assert!(!allows(Role::Regulator, Action::Create, Resource::User));
        assert!(!allows(Role::Regulator, Action::View, Resource::Audit), "the trail spans every region");
        assert!(allows(Role::Department, Action::View, Resource::Estate));
        assert!(!allows(Role::Department, Action::View, Resource::House));
        assert!(!allows(Role::Department, Action::View, Resource::Owner));
        assert!(allows(Role::EnterpriseManager, Action::Edit, Resource::Enterprise));
        assert!(!allows(Role::EnterpriseStaff, Action::Edit, Resource::Enterprise));
        assert!(!allows(Role::EnterpriseManager, Action::Edit, Resource::Estate));
        assert!(!allows(Role::Committee, Action::Edit, Resource::House));
        assert!(!allows(Role::Owner, Action::Export, Resource::House));
        assert!(!allows(Role::Utility, Action::View, Resource::Estate));
        assert_eq!(may_unmask(Role::EnterpriseStaff), (false, true));
        // Votes and the fund.
        assert!(allows(Role::Committee, Action::Edit, Resource::Vote));
        assert!(allows(Role::Committee, Action::Create, Resource::Fund));
        assert!(!allows(Role::Committee, Action::Edit, Resource::Fund), "the ledger is the housing authority's");
        assert!(allows(Role::Owner, Action::View, Resource::Vote));
        assert!(!allows(Role::Owner, Action::Edit, Resource::Vote));
        assert!(!allows(Role::Regulator, Action::Edit, Resource::Vote));
        assert!(allows(Role::Street, Action::View, Resource::Fund));
        assert!(allows(Role::EnterpriseStaff, Action::View, Resource::Fund));
        assert!(!allows(Role::EnterpriseStaff, Action::View, Resource::Vote));
        assert!(!allows(Role::Department, Action::View, Resource::Fund));
        assert_eq!(may_unmask(Role::Committee), (false, false));
    }

    #[test]
    fn passwords() {
        assert!(check_password("short1").is_err());
        assert!(check_password("onlyletters").is_err());
        assert!(check_password("letters and 1").is_ok());
        assert!(check_password("物业管理平台口令2026").is_ok());
    }
}
