//! Access: who is acting (for the audit trail) and what they may reach (their role's
//! scope). Every registry query takes an [`Access`] and adds its scope's predicate to the
//! SQL, so a query without a scope cannot be written by accident: an `Access` comes only
//! from a verified session or API token ([`crate::account`]) or, for the CLI and the demo
//! generator, from the explicitly named [`Access::system`].

use crate::db::StoreError;
use chrono::NaiveDate;
use wuye_domain::account::{Action, Resource, Role, Scope, allows, may_unmask};

/// Who acts: a user, or the system (id 0) for command-line work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
}

impl Actor {
    pub fn system(what: &str) -> Actor {
        Actor { user_id: 0, name: format!("system:{what}") }
    }
}

/// The caller's actor, role and scope. Cannot be built outside this crate except as
/// [`Access::system`].
#[derive(Debug, Clone)]
pub struct Access {
    actor: Actor,
    role: Role,
    scope: Scope,
    /// The user_roles row (None for the system).
    role_id: Option<i64>,
    /// Display label of the role (e.g. the department's name).
    label: String,
    /// The data generation read with the session (see [`crate::cache`]), if any.
    generation: Option<String>,
}

impl Access {
    /// Full access for command-line tasks, migrations and the demo generator; `what` names
    /// the task in the audit trail (`system:import`, `system:demo`…).
    pub fn system(what: &str) -> Access {
        Access { actor: Actor::system(what), role: Role::Admin, scope: Scope::All, role_id: None, label: String::new(), generation: None }
    }

    pub(crate) fn new(actor: Actor, role: Role, scope: Scope, role_id: Option<i64>, label: String) -> Access {
        Access { actor, role, scope, role_id, label, generation: None }
    }

    /// The same access, knowing the data generation read with its session.
    pub(crate) fn at_generation(mut self, generation: String) -> Access {
        self.generation = Some(generation);
        self
    }

    /// The data generation read with the session ([`crate::cache`]); `None` for the
    /// system and API tokens, whose reads then look it up.
    pub fn generation(&self) -> Option<&str> {
        self.generation.as_deref()
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
    pub fn role_id(&self) -> Option<i64> {
        self.role_id
    }
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn can(&self, action: Action, res: Resource) -> bool {
        allows(self.role, action, res)
    }

    /// Errors with [`StoreError::Forbidden`] when the role may not do this at all.
    pub fn require(&self, action: Action, res: Resource) -> Result<(), StoreError> {
        if self.can(action, res) {
            Ok(())
        } else {
            Err(StoreError::Forbidden(format!("{}无权执行此操作", self.role.label_zh())))
        }
    }

    /// Whether this caller may see ID numbers / phones unmasked (each view is logged).
    pub fn may_unmask(&self) -> (bool, bool) {
        may_unmask(self.role)
    }

    /// The region prefix of a region scope (digits only, validated), if any.
    pub fn region_prefix(&self) -> Option<&str> {
        match &self.scope {
            Scope::Region(c) => Some(c.prefix()),
            _ => None,
        }
    }

    // SQL predicates. Scope values are integers or validated digit strings and `today` is
    // a date, so they are written into the SQL text; no user text ever is.

    /// Rows of `estates` (aliased `e`) this caller reaches on `today`.
    pub fn estates_sql(&self, e: &str, today: NaiveDate) -> String {
        match &self.scope {
            Scope::All => "1=1".into(),
            Scope::Region(c) => format!("{e}.region_code LIKE '{}%'", c.prefix()),
            Scope::Enterprise(id) => format!(
                "EXISTS (SELECT 1 FROM service_contracts sc WHERE sc.estate_id = {e}.id AND sc.enterprise_id = {id} AND sc.start_date <= '{today}' AND (sc.end_date IS NULL OR sc.end_date >= '{today}'))"
            ),
            Scope::Estate(id) => format!("{e}.id = {id}"),
            Scope::Owner(id) => format!("EXISTS (SELECT 1 FROM houses sh JOIN ownerships sw ON sw.house_id = sh.id WHERE sh.estate_id = {e}.id AND sw.owner_id = {id})"),
            Scope::Own => "1=0".into(),
        }
    }

    /// Rows of `houses` (aliased `h`, with its estate aliased `e`).
    pub fn houses_sql(&self, h: &str, e: &str, today: NaiveDate) -> String {
        match &self.scope {
            Scope::Owner(id) => format!("EXISTS (SELECT 1 FROM ownerships sw WHERE sw.house_id = {h}.id AND sw.owner_id = {id})"),
            _ => self.estates_sql(e, today),
        }
    }

    /// Rows of `owners` (aliased `o`).
    pub fn owners_sql(&self, o: &str, today: NaiveDate) -> String {
        match &self.scope {
            Scope::All => "1=1".into(),
            Scope::Owner(id) => format!("{o}.id = {id}"),
            Scope::Own => "1=0".into(),
            _ => format!(
                "EXISTS (SELECT 1 FROM ownerships ow JOIN houses oh ON oh.id = ow.house_id JOIN estates oe ON oe.id = oh.estate_id WHERE ow.owner_id = {o}.id AND {})",
                self.estates_sql("oe", today)
            ),
        }
    }

    /// Rows of `enterprises` (aliased `n`).
    pub fn enterprises_sql(&self, n: &str, today: NaiveDate) -> String {
        match &self.scope {
            Scope::All => "1=1".into(),
            Scope::Region(c) => format!(
                "({n}.region_code LIKE '{p}%' OR EXISTS (SELECT 1 FROM service_contracts nc JOIN estates ne ON ne.id = nc.estate_id WHERE nc.enterprise_id = {n}.id AND ne.region_code LIKE '{p}%'))",
                p = c.prefix()
            ),
            Scope::Enterprise(id) => format!("{n}.id = {id}"),
            Scope::Own => "1=0".into(),
            _ => format!("EXISTS (SELECT 1 FROM service_contracts nc JOIN estates ne ON ne.id = nc.estate_id WHERE nc.enterprise_id = {n}.id AND {})", self.estates_sql("ne", today)),
        }
    }

    /// Rows of `service_contracts` (aliased `c`, with its estate aliased `e`). An
    /// enterprise sees all its own contracts, also ended ones.
    pub fn contracts_sql(&self, c: &str, e: &str, today: NaiveDate) -> String {
        match &self.scope {
            Scope::Enterprise(id) => format!("{c}.enterprise_id = {id}"),
            _ => self.estates_sql(e, today),
        }
    }

    /// Whether a region (12-digit code) lies within this caller's reach for figures:
    /// everything for `All`, the subtree for a region scope, nothing otherwise.
    pub fn reaches_region(&self, code: &str) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Region(c) => code.starts_with(c.prefix()),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wuye_domain::region::RegionCode;

    fn access(role: Role, scope: Scope) -> Access {
        Access::new(Actor { user_id: 9, name: "u".into() }, role, scope, Some(1), String::new())
    }

    #[test]
    fn predicates_follow_the_scope() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let r = access(Role::Regulator, Scope::Region(RegionCode::parse("640104").unwrap()));
        assert_eq!(r.estates_sql("e", d), "e.region_code LIKE '640104%'");
        assert!(r.reaches_region("640104001002"));
        assert!(!r.reaches_region("640105000000"));
        let n = access(Role::EnterpriseStaff, Scope::Enterprise(7));
        assert!(n.estates_sql("e", d).contains("sc.enterprise_id = 7 AND sc.start_date <= '2026-11-29'"));
        assert_eq!(n.contracts_sql("c", "e", d), "c.enterprise_id = 7");
        assert_eq!(access(Role::Owner, Scope::Owner(3)).owners_sql("o", d), "o.id = 3");
        assert_eq!(access(Role::Mediator, Scope::Own).estates_sql("e", d), "1=0");
        assert!(Access::system("t").can(Action::Edit, Resource::User));
    }
}
