//! The pure state machine: which transitions an actor may take now, and what taking one does.
//! No I/O: storage loads the facts and commits the decision.

use crate::domain::ids::{StateId, TransitionId};
use crate::domain::role::Role;
use crate::workflow::definition::{Definition, NotifyRule, Transition};
use crate::workflow::guard::{self, CaseFacts, Guard, GuardFailure};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeSet;

/// The roles an actor holds on one case: their roles in its region, where `proposer` counts
/// only for the case's own proposer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseActor {
    pub roles: BTreeSet<Role>,
}

impl CaseActor {
    pub fn with_roles(roles: impl IntoIterator<Item = Role>) -> Self {
        Self {
            roles: roles.into_iter().collect(),
        }
    }

    fn may_take(&self, transition: &Transition) -> bool {
        transition.by.iter().any(|r| self.roles.contains(r))
    }
}

/// A transition the actor may take from the current state, with what still blocks it.
#[derive(Clone, Debug, Serialize)]
pub struct TransitionOption<'a> {
    pub transition: &'a Transition,
    /// Guards that do not hold now. A required comment is not listed: it comes with the action.
    pub blocked_by: Vec<GuardFailure>,
}

/// The outcome of a permitted transition, for the caller to commit in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub transition: TransitionId,
    pub from: StateId,
    pub to: StateId,
    pub comment: Option<String>,
    /// Mails to enqueue.
    pub notifications: Vec<NotifyRule>,
    /// When the case is due in its new state, if that state has a deadline.
    pub due_date: Option<NaiveDate>,
}

/// Why a transition was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the case is in state `{state}`, from which there is no transition `{transition}`")]
    NotAvailable {
        transition: TransitionId,
        state: StateId,
    },
    #[error(
        "transition `{transition}` may only be taken by: {}",
        join_roles(needed)
    )]
    RoleNotAllowed {
        transition: TransitionId,
        needed: Vec<Role>,
    },
    #[error("transition `{transition}` is blocked: {}", failures.iter().map(|f| f.message.en.as_str()).collect::<Vec<_>>().join(" "))]
    Blocked {
        transition: TransitionId,
        failures: Vec<GuardFailure>,
    },
}

fn join_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn failures(
    def: &Definition,
    state: &StateId,
    transition: &Transition,
    facts: &CaseFacts,
    comment: Option<&str>,
    with_comment: bool,
) -> Vec<GuardFailure> {
    let Some(state) = def.state(state) else {
        return Vec::new();
    };
    let mut guards: Vec<Guard> = transition.guards.clone();
    if transition.require_comment && !guards.contains(&Guard::CommentGiven) {
        guards.push(Guard::CommentGiven);
    }
    guards
        .into_iter()
        .filter(|g| with_comment || *g != Guard::CommentGiven)
        .filter_map(|g| guard::check(g, facts, state, comment))
        .collect()
}

/// The transitions `actor` may take from `state`, each with the guards that still block it.
pub fn options<'a>(
    def: &'a Definition,
    state: &'a StateId,
    facts: &CaseFacts,
    actor: &CaseActor,
) -> Vec<TransitionOption<'a>> {
    def.transitions_from(state)
        .filter(|t| actor.may_take(t))
        .map(|t| TransitionOption {
            transition: t,
            blocked_by: failures(def, state, t, facts, None, false),
        })
        .collect()
}

/// Decides whether `actor` may take `transition` from `state` now.
///
/// # Errors
/// A [`Refusal`] saying whether the transition does not exist from this state, the actor lacks
/// the role, or which guards failed.
pub fn decide(
    def: &Definition,
    state: &StateId,
    facts: &CaseFacts,
    actor: &CaseActor,
    transition: &TransitionId,
    comment: Option<&str>,
    today: NaiveDate,
) -> Result<Decision, Refusal> {
    let chosen = def
        .transitions_from(state)
        .find(|t| &t.id == transition)
        .ok_or_else(|| Refusal::NotAvailable {
            transition: transition.clone(),
            state: state.clone(),
        })?;
    if !actor.may_take(chosen) {
        return Err(Refusal::RoleNotAllowed {
            transition: transition.clone(),
            needed: chosen.by.clone(),
        });
    }
    let failed = failures(def, state, chosen, facts, comment, true);
    if !failed.is_empty() {
        return Err(Refusal::Blocked {
            transition: transition.clone(),
            failures: failed,
        });
    }
    let due_date = def
        .state(&chosen.to)
        .and_then(|s| s.due_days)
        .map(|days| def.calendar.add_working_days(today, days));
    Ok(Decision {
        transition: chosen.id.clone(),
        from: state.clone(),
        to: chosen.to.clone(),
        comment: comment
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        notifications: chosen.notify.clone(),
        due_date,
    })
}
