//! "My tasks": the cases waiting for the actor. A case waits for someone who holds, in the
//! case's region, the role its current state expects to act (`actor` in the workflow); a case
//! waiting for the proposer waits only for its own proposer. Economists also see the cases in
//! the economic assessment whose figures a side has not (validly) signed off. Overdue first,
//! then by due date.

use super::Engine;
use super::file::CaseFile;
use super::view::{CaseKind, PartyRef};
use crate::actor::Actor;
use crate::domain::role::{Role, Side};
use crate::domain::text::Label;
use crate::error::EngineError;
use crate::storage::entity::{handover_case, organisation, region};
use crate::workflow::Stage;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Why a case is on the actor's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskReason {
    /// The case's state waits for a role the actor holds (for the proposer: their own case).
    Act,
    /// Only the economists' sign-off of a side is missing.
    SignOff,
}

/// A case waiting for the actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub case_id: i64,
    pub number: String,
    pub title: String,
    pub region: String,
    pub region_name: String,
    pub kind: CaseKind,
    pub state: String,
    pub state_label: Label,
    pub stage: Stage,
    pub version: i32,
    pub giving_party: PartyRef,
    pub receiving_party: PartyRef,
    /// The role the case waits for.
    pub waiting_for: Role,
    pub reason: TaskReason,
    /// Sides whose sign-off of the current figures is missing (economics only).
    pub unsigned_sides: Vec<Side>,
    pub due_date: Option<NaiveDate>,
    /// Calendar days from today to the due date; negative when overdue.
    pub days_left: Option<i64>,
    pub overdue: bool,
}

/// Overdue first, then the earliest due date, cases without one last; then by number.
fn task_order(a: &TaskView, b: &TaskView) -> std::cmp::Ordering {
    b.overdue
        .cmp(&a.overdue)
        .then_with(|| match (a.due_date, b.due_date) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
        .then_with(|| a.number.cmp(&b.number))
}

impl Engine {
    /// The cases waiting for `actor` in their regions, overdue first, then by due date.
    ///
    /// # Errors
    /// A database error, or a stored case whose workflow definition is not loaded.
    pub async fn my_tasks(&self, actor: &Actor) -> Result<Vec<TaskView>, EngineError> {
        let regions: BTreeMap<i64, region::Model> = region::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|r| actor.roles_in(&r.slug).is_some())
            .map(|r| (r.id, r))
            .collect();
        // Narrow the query to the states that can wait for this actor in each region; the exact
        // rule is applied per case below, against the case's own definition version.
        let mut condition = Condition::any();
        for region in regions.values() {
            let roles = actor.roles_in(&region.slug).cloned().unwrap_or_default();
            let mut states = BTreeSet::new();
            let mut proposer_states = BTreeSet::new();
            for def in self
                .workflows
                .definitions()
                .iter()
                .filter(|d| d.region.as_str() == region.slug)
            {
                for state in &def.states {
                    let economics_signoff = roles.contains(&Role::Economist)
                        && state.stage == Stage::Economics
                        && !state.signoff.is_empty();
                    match state.actor {
                        Some(Role::Proposer) if roles.contains(&Role::Proposer) => {
                            proposer_states.insert(state.id.to_string());
                        }
                        Some(role) if role != Role::Proposer && roles.contains(&role) => {
                            states.insert(state.id.to_string());
                        }
                        _ if economics_signoff => {
                            states.insert(state.id.to_string());
                        }
                        _ => {}
                    }
                }
            }
            if !states.is_empty() {
                condition = condition.add(
                    Condition::all()
                        .add(handover_case::Column::RegionId.eq(region.id))
                        .add(handover_case::Column::State.is_in(states)),
                );
            }
            if !proposer_states.is_empty() {
                condition = condition.add(
                    Condition::all()
                        .add(handover_case::Column::RegionId.eq(region.id))
                        .add(handover_case::Column::State.is_in(proposer_states))
                        .add(handover_case::Column::ProposerUserId.eq(actor.user_id)),
                );
            }
        }
        if condition.is_empty() {
            return Ok(Vec::new());
        }
        let cases = handover_case::Entity::find()
            .filter(condition)
            .all(&self.db)
            .await?;
        let party_ids: BTreeSet<i64> = cases
            .iter()
            .flat_map(|c| [c.giving_party_id, c.receiving_party_id])
            .collect();
        let parties: BTreeMap<i64, PartyRef> = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(party_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| {
                let party = PartyRef {
                    id: o.id,
                    name: o.name,
                    kind: o.kind,
                };
                (party.id, party)
            })
            .collect();
        let party = |id: i64| {
            parties.get(&id).cloned().unwrap_or(PartyRef {
                id,
                name: String::new(),
                kind: String::new(),
            })
        };
        let today = self.today();
        let mut tasks = Vec::new();
        for case in cases {
            let Some(region) = regions.get(&case.region_id) else {
                continue;
            };
            let roles = actor.roles_in(&region.slug).cloned().unwrap_or_default();
            let def = self.definition_of(&case)?;
            let state = Self::state_of(def, &case)?;
            if state.stage.is_terminal() {
                continue;
            }
            let acts = match state.actor {
                Some(Role::Proposer) => case.proposer_user_id == actor.user_id,
                Some(role) => roles.contains(&role),
                None => false,
            };
            let unsigned_sides = if roles.contains(&Role::Economist)
                && state.stage == Stage::Economics
                && !state.signoff.is_empty()
            {
                let file = CaseFile::load(&self.db, case.id).await?;
                let signed = file.facts(&case, today).signed_off;
                state
                    .signoff
                    .iter()
                    .copied()
                    .filter(|side| !signed.contains(side))
                    .collect()
            } else {
                Vec::new()
            };
            let (waiting_for, reason) = match state.actor {
                Some(role) if acts => (role, TaskReason::Act),
                _ if !unsigned_sides.is_empty() => (Role::Economist, TaskReason::SignOff),
                _ => continue,
            };
            let days_left = case.due_date.map(|due| (due - today).num_days());
            tasks.push(TaskView {
                case_id: case.id,
                number: case.number.clone(),
                title: case.title.clone(),
                region: region.slug.clone(),
                region_name: region.name.clone(),
                kind: CaseKind::parse(&case.kind).unwrap_or(CaseKind::Transfer),
                state: case.state.clone(),
                state_label: state.label.clone(),
                stage: state.stage,
                version: case.version,
                giving_party: party(case.giving_party_id),
                receiving_party: party(case.receiving_party_id),
                waiting_for,
                reason,
                unsigned_sides,
                due_date: case.due_date,
                days_left,
                overdue: days_left.is_some_and(|d| d < 0),
            });
        }
        tasks.sort_by(task_order);
        Ok(tasks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(number: &str, due: Option<(i32, u32, u32)>, overdue: bool) -> TaskView {
        TaskView {
            case_id: 1,
            number: number.into(),
            title: String::new(),
            region: String::new(),
            region_name: String::new(),
            kind: CaseKind::Transfer,
            state: String::new(),
            state_label: Label::new("", ""),
            stage: Stage::Draft,
            version: 1,
            giving_party: PartyRef {
                id: 1,
                name: String::new(),
                kind: String::new(),
            },
            receiving_party: PartyRef {
                id: 2,
                name: String::new(),
                kind: String::new(),
            },
            waiting_for: Role::Secretariat,
            reason: TaskReason::Act,
            unsigned_sides: Vec::new(),
            due_date: due.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
            days_left: None,
            overdue,
        }
    }

    #[test]
    fn overdue_comes_first_then_the_earliest_due_date_and_undated_last() {
        let mut tasks = [
            task("A", None, false),
            task("B", Some((2026, 5, 1)), false),
            task("C", Some((2026, 3, 1)), true),
            task("D", Some((2026, 4, 1)), false),
        ];
        tasks.sort_by(task_order);
        let order: Vec<&str> = tasks.iter().map(|t| t.number.as_str()).collect();
        assert_eq!(order, ["C", "D", "B", "A"]);
    }
}
