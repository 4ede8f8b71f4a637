//! Who may do what, decided in one place. Every function here is pure: it reads the workflow
//! definition, the facts of the case or meeting and the actor (their roles, organisation and
//! bodies) and answers whether the action is allowed, and why not. The operations call these
//! functions before they write, and the screens' "what may I do now" is computed from the same
//! functions, so a screen offers exactly what the engine accepts.
//!
//! - transitions: [`crate::workflow::machine`] (roles, guards, the deciding body's meeting),
//!   reached through [`transition`] and [`transition_options`];
//! - everything else done to a case: [`case::check`] with a [`case::CaseAction`];
//! - meetings and agendas: [`meeting`];
//! - the portfolio overview: [`portfolio`];
//! - users and roles: [`accounts`].

pub mod accounts;
pub mod case;
pub mod councils;
pub mod meeting;
pub mod portfolio;

use crate::actor::Actor;
use crate::domain::body::Body;
use crate::domain::role::Role;
use std::collections::BTreeSet;

pub use crate::workflow::machine::{decide as transition, options as transition_options};

/// The actor as the policy sees them on one case: their roles in its region (where
/// `proposer` counts only for the case's own proposer), their organisation, and the bodies
/// they are a member of there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseActor {
    pub roles: BTreeSet<Role>,
    /// The organisation the actor works for; `None` for the region's own staff.
    pub organisation_id: Option<i64>,
    pub bodies: BTreeSet<Body>,
}

impl CaseActor {
    /// An actor of no organisation holding `roles`, and member of the bodies those roles make.
    pub fn with_roles(roles: impl IntoIterator<Item = Role>) -> Self {
        let roles: BTreeSet<Role> = roles.into_iter().collect();
        Self {
            bodies: Body::memberships(&roles, &BTreeSet::new()),
            roles,
            organisation_id: None,
        }
    }

    /// `actor` on a case of `region`, where they hold `region_roles`, proposed by
    /// `proposer_user_id`.
    pub fn on_case(
        actor: &Actor,
        region: &str,
        region_roles: &BTreeSet<Role>,
        proposer_user_id: i64,
    ) -> Self {
        let mut roles = region_roles.clone();
        if proposer_user_id != actor.user_id {
            roles.remove(&Role::Proposer);
        }
        Self {
            // A body's membership is held in the region, whoever proposed the case.
            bodies: actor.bodies_in(region),
            roles,
            organisation_id: actor.organisation_id,
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.roles.contains(r))
    }
}
