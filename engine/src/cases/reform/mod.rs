//! Carrying open cases across a reform (the 2027 health reform): the plan of where each open
//! case goes, and the carrying itself, one case per transaction, so a run killed halfway leaves
//! no case half moved and the next run carries the rest.

mod apply;
mod plan;

pub use apply::{CarriedCase, ReformReport};
pub use plan::{Destination, PlanCount, PlannedCase, ReformPlan};

use crate::actor::Actor;
use crate::domain::role::Role;

/// Whose cases a plan or a run covers: every region's (the command line), or those of the
/// regions a person administers, counting the region a merged one goes to.
#[derive(Clone, Copy, Debug)]
pub enum ReformScope<'a> {
    Everything,
    AdministeredBy(&'a Actor),
}

impl ReformScope<'_> {
    /// Whether a case moving from region `from` to region `to` is in the scope.
    fn covers(self, from: &str, to: &str) -> bool {
        match self {
            ReformScope::Everything => true,
            ReformScope::AdministeredBy(actor) => {
                actor.has_role(from, Role::Admin) || actor.has_role(to, Role::Admin)
            }
        }
    }

    /// Whether the scope covers anything at all: an administrator of some region.
    fn is_anyone(self) -> bool {
        match self {
            ReformScope::Everything => true,
            ReformScope::AdministeredBy(actor) => actor
                .regions
                .values()
                .any(|roles| roles.contains(&Role::Admin)),
        }
    }

    fn actor_user_id(self) -> Option<i64> {
        match self {
            ReformScope::Everything => None,
            ReformScope::AdministeredBy(actor) => Some(actor.user_id),
        }
    }
}
