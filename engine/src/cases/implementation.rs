//! After the committee's approval: the implementation plan — the day the task moves to the
//! receiving party and the day the handover is evaluated. Reminders go out before each.

use super::Engine;
use super::view::CaseView;
use super::write::{Change, Written};
use crate::actor::Actor;
use crate::error::{EngineError, FieldError};
use crate::journal_event::{CaseEvent, ImplementationChange};
use crate::policy::case::CaseAction;
use crate::storage::entity::handover_case;
use chrono::NaiveDate;

/// The dates of an approved case's implementation plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImplementationPlan {
    /// The day the task moves to the receiving party.
    pub implementation_on: Option<NaiveDate>,
    /// The day the handover is evaluated.
    pub follow_up_on: Option<NaiveDate>,
}

impl Engine {
    /// Records the implementation plan of an approved case, journaled with old and new dates.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the secretariat; [`EngineError::Invalid`]
    /// before approval or for dates out of order; [`EngineError::Conflict`] on a stale version.
    pub async fn plan_implementation(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        plan: ImplementationPlan,
    ) -> Result<CaseView, EngineError> {
        let visible = self.visible_at(actor, case_id, expected_version).await?;
        let case = &visible.case;
        // A case not yet approved is wrong input like a bad date: every problem is named.
        let mut problems = match self
            .permit(actor, &visible, CaseAction::PlanImplementation)
            .await
        {
            Ok(()) => Vec::new(),
            Err(EngineError::Invalid(problems)) => problems,
            Err(refusal) => return Err(refusal),
        };
        problems.extend(crate::domain::calendar::date_problems([
            ("implementation_on", plan.implementation_on),
            ("follow_up_on", plan.follow_up_on),
        ]));
        if let (Some(start), Some(follow_up)) = (plan.implementation_on, plan.follow_up_on)
            && follow_up <= start
        {
            problems.push(FieldError::new(
                "follow_up_on",
                "the follow-up must come after the day the task moves",
                "opfølgningen skal ligge efter den dag, opgaven overgår",
            ));
        }
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems));
        }
        let mut changes = Vec::new();
        if case.implementation_on != plan.implementation_on {
            changes.push(ImplementationChange::ImplementationOn {
                old: case.implementation_on,
                new: plan.implementation_on,
            });
        }
        if case.follow_up_on != plan.follow_up_on {
            changes.push(ImplementationChange::FollowUpOn {
                old: case.follow_up_on,
                new: plan.follow_up_on,
            });
        }
        if changes.is_empty() {
            return self.case(actor, case_id).await;
        }
        let change = Change {
            row: super::CaseRowChanges::none()
                .set(
                    handover_case::Column::ImplementationOn,
                    plan.implementation_on,
                )
                .set(handover_case::Column::FollowUpOn, plan.follow_up_on),
            ..Change::at(expected_version)
        };
        let event = CaseEvent::ImplementationPlanned { changes };
        self.commit_change(Some(actor.user_id), case, change, async |_, _| {
            Ok(Written::event(event))
        })
        .await?;
        self.case(actor, case_id).await
    }
}
