//! What the case page offers besides the transitions: which sections the actor may edit now,
//! which sides they may sign off, whether they may plan the implementation, open the hearing
//! or attach documents, and where the case stands on its way from draft to closed. The same
//! rules as the operations themselves, so the page offers exactly what the engine accepts.

use super::Engine;
use super::file::CaseFile;
use crate::actor::Actor;
use crate::domain::role::{Role, Side};
use crate::error::EngineError;
use crate::storage::entity::app_user;
use crate::storage::journal;
use crate::workflow::Stage;
use crate::workflow::definition::Section;
use sea_orm::EntityTrait;
use serde::Serialize;

/// How far a case got at one stage of its way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Done,
    Current,
    /// The case ended here: rejected or withdrawn while at this stage.
    Stopped,
    Upcoming,
}

/// One stage of the case's way, as a step indicator shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProgressStep {
    pub stage: Stage,
    pub status: StepStatus,
}

/// What the actor may do with the case now, besides its transitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseActions {
    pub case_id: i64,
    pub version: i32,
    pub edit_description: bool,
    pub edit_economics: bool,
    /// The sides whose sign-off the state takes, the actor may give, and that is missing.
    pub sign_off: Vec<Side>,
    pub plan_implementation: bool,
    /// The case is in hearing and its hearing has not been opened yet.
    pub open_hearing: bool,
    pub attach_documents: bool,
    /// The stages of the case's workflow in order (rejected and withdrawn left out).
    pub progress: Vec<ProgressStep>,
    /// Rejected or withdrawn, when the case ended that way.
    pub ended: Option<Stage>,
}

impl Engine {
    /// What `actor` may do with the case now besides its transitions, and its progress.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the case does not exist or is in another region.
    pub async fn case_actions(
        &self,
        actor: &Actor,
        case_id: i64,
    ) -> Result<CaseActions, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let case = &visible.case;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let roles = Self::case_actor(actor, &visible).roles;
        let file = CaseFile::load(&self.db, case.id).await?;
        let today = self.today();

        let description_editors: Vec<Role> =
            state.actor.into_iter().chain([Role::Secretariat]).collect();
        let edit_description = state.editable.contains(&Section::Description)
            && description_editors.iter().any(|r| roles.contains(r));
        let edit_economics = state.editable.contains(&Section::Economics)
            && [Role::Economist, Role::Secretariat]
                .iter()
                .any(|r| roles.contains(r));

        let mut sign_off = Vec::new();
        if roles.contains(&Role::Economist) && !state.signoff.is_empty() && !file.lines.is_empty() {
            let organisation = app_user::Entity::find_by_id(actor.user_id)
                .one(&self.db)
                .await?
                .and_then(|u| u.organisation_id);
            let signed = file.facts(case, today).signed_off;
            for side in &state.signoff {
                let party = match side {
                    Side::Giving => case.giving_party_id,
                    Side::Receiving => case.receiving_party_id,
                };
                if organisation.is_none_or(|o| o == party) && !signed.contains(side) {
                    sign_off.push(*side);
                }
            }
        }

        let secretariat = visible.roles.contains(&Role::Secretariat);
        let plan_implementation =
            secretariat && matches!(state.stage, Stage::Implementation | Stage::FollowUp);
        let open_hearing = secretariat
            && def.hearing.is_some()
            && state.stage == Stage::Hearing
            && file.hearing_facts(today).is_none();
        let attach_documents = [Role::Proposer, Role::Secretariat, Role::Economist]
            .iter()
            .any(|r| roles.contains(r));

        let ended =
            matches!(state.stage, Stage::Rejected | Stage::Withdrawn).then_some(state.stage);
        let at = if ended.is_some() {
            // Where it stood when it ended: the state the last transition left.
            journal::events_of(&self.db, case.id)
                .await?
                .iter()
                .rev()
                .find_map(|e| match e.event() {
                    Ok(crate::journal_event::CaseEvent::Transition { from_state, .. }) => {
                        Some(from_state)
                    }
                    _ => None,
                })
                .and_then(|from| def.state_by_str(&from))
                .map_or(Stage::Draft, |s| s.stage)
        } else {
            state.stage
        };
        let mut progress = Vec::new();
        let mut reached = false;
        for stage in Stage::ALL
            .into_iter()
            .filter(|s| !matches!(s, Stage::Rejected | Stage::Withdrawn))
            .filter(|s| def.states.iter().any(|st| st.stage == *s))
        {
            let status = if stage == at {
                reached = true;
                if ended.is_some() {
                    StepStatus::Stopped
                } else {
                    StepStatus::Current
                }
            } else if reached {
                StepStatus::Upcoming
            } else {
                StepStatus::Done
            };
            progress.push(ProgressStep { stage, status });
        }

        Ok(CaseActions {
            case_id: case.id,
            version: case.version,
            edit_description,
            edit_economics,
            sign_off,
            plan_implementation,
            open_hearing,
            attach_documents,
            progress,
            ended,
        })
    }
}
