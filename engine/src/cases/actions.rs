//! What the case page offers besides the transitions: which sections the actor may edit now,
//! which sides they may sign off, whether they may plan the implementation, open the hearing
//! or attach documents, and where the case stands on its way from draft to closed. The same
//! rules as the operations themselves, so the page offers exactly what the engine accepts.

use super::file::CaseFile;
use super::{Engine, Visible};
use crate::actor::Actor;
use crate::domain::role::Side;
use crate::error::EngineError;
use crate::policy::{self, case::CaseAction, case::CaseContext};
use crate::storage::entity::journal_event;
use crate::storage::journal;
use crate::workflow::Stage;
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
    /// The case has no municipal party to give it its councils, its workflow has a council
    /// stage still ahead or under way, and the actor is the secretariat, who chooses them.
    pub choose_councils: bool,
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
        let file = CaseFile::load(&self.db, case_id).await?;
        let events = journal::events_of(&self.db, case_id).await?;
        let municipal_party = self.has_municipal_party(&visible.case, &file).await?;
        self.actions_of(actor, &visible, &file, &events, municipal_party)
    }

    /// What `actor` may do with the visible case, from its loaded file and journal;
    /// `municipal_party` when a municipality is a party, whose area gives the case its councils.
    pub(super) fn actions_of(
        &self,
        actor: &Actor,
        visible: &Visible,
        file: &CaseFile,
        events: &[journal_event::Model],
        municipal_party: bool,
    ) -> Result<CaseActions, EngineError> {
        let case = &visible.case;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let today = self.today();
        let context = CaseContext {
            def,
            state,
            giving_party_id: case.giving_party_id,
            receiving_party_id: case.receiving_party_id,
        };
        let on_case = Self::case_actor(actor, visible);
        let may = |action| policy::case::check(&context, &on_case, action).is_ok();

        let signed = file.facts(case, today).signed_off;
        let sign_off = [Side::Giving, Side::Receiving]
            .into_iter()
            .filter(|side| !file.lines.is_empty() && !signed.contains(side))
            .filter(|side| may(CaseAction::SignOff(*side)))
            .collect();
        let already_open = file.hearing_facts(today).is_some();

        let ended =
            matches!(state.stage, Stage::Rejected | Stage::Withdrawn).then_some(state.stage);
        let at = if ended.is_some() {
            // Where it stood when it ended: the state the last transition left.
            events
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
            edit_description: may(CaseAction::EditDescription),
            edit_economics: may(CaseAction::EditEconomics),
            sign_off,
            plan_implementation: may(CaseAction::PlanImplementation),
            open_hearing: may(CaseAction::OpenHearing { already_open }),
            attach_documents: may(CaseAction::AttachDocument),
            choose_councils: state.stage <= Stage::Council
                && def.states.iter().any(|s| s.stage == Stage::Council)
                && may(CaseAction::ChooseCouncils { municipal_party }),
            progress,
            ended,
        })
    }
}
