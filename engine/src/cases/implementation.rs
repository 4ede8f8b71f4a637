//! After the committee's approval: the implementation plan — the day the task moves to the
//! receiving party and the day the handover is evaluated. Reminders go out before each.

use super::Engine;
use super::view::CaseView;
use crate::actor::Actor;
use crate::domain::role::Role;
use crate::error::{EngineError, FieldError};
use crate::storage::entity::handover_case;
use crate::storage::journal::{self, NewEvent};
use crate::workflow::Stage;
use chrono::NaiveDate;
use serde_json::json;

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
        let visible = self.visible(actor, case_id).await?;
        let case = &visible.case;
        Self::check_version(case, expected_version)?;
        if !visible.roles.contains(&Role::Secretariat) {
            let refusal = EngineError::Forbidden {
                action: "planning the implementation".into(),
                needed: vec![Role::Secretariat],
            };
            return Err(self
                .refused(actor, case.id, "plan the implementation".into(), refusal)
                .await);
        }
        let def = self.definition_of(case)?;
        let stage = Self::state_of(def, case)?.stage;
        let mut problems = Vec::new();
        if !matches!(stage, Stage::Implementation | Stage::FollowUp) {
            problems.push(FieldError::new(
                "implementation_on",
                "the implementation is planned once the committee has approved the case",
            ));
        }
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
            ));
        }
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems));
        }
        let mut changes = Vec::new();
        if case.implementation_on != plan.implementation_on {
            changes.push(json!({ "field": "implementation_on", "old": case.implementation_on, "new": plan.implementation_on }));
        }
        if case.follow_up_on != plan.follow_up_on {
            changes.push(json!({ "field": "follow_up_on", "old": case.follow_up_on, "new": plan.follow_up_on }));
        }
        if changes.is_empty() {
            return self.case(actor, case_id).await;
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = super::CaseRowChanges::none()
            .set(
                handover_case::Column::ImplementationOn,
                plan.implementation_on,
            )
            .set(handover_case::Column::FollowUpOn, plan.follow_up_on);
        let head = self.bump(&txn, case.id, expected_version, row).await?;
        let event = NewEvent {
            kind: "implementation_planned",
            actor_user_id: Some(actor.user_id),
            payload: json!({ "changes": changes }),
            ..Default::default()
        };
        journal::append_after(&txn, case.id, head, event, now).await?;
        txn.commit().await?;
        self.case(actor, case_id).await
    }
}
