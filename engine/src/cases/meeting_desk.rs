//! Reads behind the meeting screens: the cases the secretariat may place on a meeting's agenda,
//! and the decision sheet of a meeting — each item's decision document with exactly the
//! decisions the reader may take on it now at this meeting, or the decision already taken.

use super::Engine;
use super::file::CaseFile;
use super::meetings::{MeetingView, MinuteEntry};
use super::view::AvailableTransition;
use crate::actor::Actor;
use crate::domain::body::Body;
use crate::domain::role::Role;
use crate::domain::text::Label;
use crate::error::EngineError;
use crate::render::decision_document::{self as decision, DecisionDocument};
use crate::storage::entity::{agenda_item, handover_case};
use crate::workflow::guard::Guard;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// A case that may go on a meeting's agenda: it awaits the meeting's body and is not on it yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgendaCandidate {
    pub case_id: i64,
    pub number: String,
    pub title: String,
    pub state_label: Label,
}

/// One agenda item as the deciding body sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecisionItem {
    pub position: i32,
    pub case_id: i64,
    pub number: String,
    pub title: String,
    pub state_label: Label,
    /// The case's version, to send with a decision.
    pub version: i32,
    /// Whether the case still awaits this meeting's decision.
    pub awaiting_decision: bool,
    /// The decision document's sections.
    pub document: DecisionDocument,
    /// The body's decisions the reader may take on the case now (blocked ones with reasons);
    /// empty once decided, or for a reader who is not a member of the body.
    pub decisions: Vec<AvailableTransition>,
    /// Of `decisions`, the one the Indstilling proposes: the case goes on to the next step
    /// without conditions (approve, recommend), so it needs no comment.
    pub proposed: Option<String>,
    /// The decisions taken on the case at this meeting.
    pub decided: Vec<MinuteEntry>,
}

/// A meeting with its items in agenda order, for the steering group's approval screen and the
/// committee's decision screen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecisionSheet {
    pub meeting: MeetingView,
    /// Whether the reader is a member of the meeting's body.
    pub member_of_body: bool,
    pub items: Vec<DecisionItem>,
}

impl Engine {
    /// The region's cases awaiting the meeting's body that are not on its agenda yet, oldest
    /// first. Only for the region's secretariat, who places them.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the meeting;
    /// [`EngineError::Forbidden`] unless the actor is the region's secretariat.
    pub async fn agenda_candidates(
        &self,
        actor: &Actor,
        meeting_id: i64,
    ) -> Result<Vec<AgendaCandidate>, EngineError> {
        let (meeting, region) = self.visible_meeting(actor, meeting_id).await?;
        self.region_to_act_in(
            actor,
            &region.slug,
            Role::Secretariat,
            "placing cases on an agenda",
        )
        .await?;
        let stage = meeting.body().and_then(Body::deciding_stage);
        let placed: Vec<i64> = agenda_item::Entity::find()
            .filter(agenda_item::Column::MeetingId.eq(meeting.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|i| i.case_id)
            .collect();
        let cases = handover_case::Entity::find()
            .filter(handover_case::Column::RegionId.eq(region.id))
            .filter(handover_case::Column::Id.is_not_in(placed))
            .order_by_asc(handover_case::Column::Id)
            .all(&self.db)
            .await?;
        let mut candidates = Vec::new();
        for case in cases {
            let def = self.definition_of(&case)?;
            let state = Self::state_of(def, &case)?;
            let awaited = match meeting.body() {
                Some(Body::Council(id)) if Some(state.stage) == stage => {
                    self.councils_awaited(&case, state).await?.contains(&id)
                }
                _ => Some(state.stage) == stage,
            };
            if awaited {
                candidates.push(AgendaCandidate {
                    case_id: case.id,
                    number: case.number,
                    title: case.title,
                    state_label: state.label.clone(),
                });
            }
        }
        Ok(candidates)
    }

    /// The meeting's items in order, each with its decision document and the decisions the
    /// actor may take on it now at this meeting: only the body's own decisions, only while the
    /// case awaits this body and stands on this meeting's agenda.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the meeting.
    pub async fn decision_sheet(
        &self,
        actor: &Actor,
        meeting_id: i64,
    ) -> Result<DecisionSheet, EngineError> {
        let minutes = self.minutes(actor, meeting_id).await?;
        let meeting = minutes.meeting;
        let stage = meeting.body.deciding_stage();
        let member_of_body = actor.bodies_in(&meeting.region).contains(&meeting.body);
        let mut items = Vec::with_capacity(meeting.agenda.len());
        for entry in &meeting.agenda {
            let page = self.case_page(actor, entry.case_id).await?;
            let case = page.case;
            let document =
                decision::document(&case, &page.journal, page.hearing.as_ref(), Some(&meeting));
            let file = CaseFile::load(&self.db, case.id).await?;
            let awaiting_decision = Some(case.stage) == stage
                && file
                    .current_meeting(meeting.body)
                    .is_some_and(|m| m.id == meeting.id);
            let (decisions, proposed) = if awaiting_decision && member_of_body {
                self.body_decisions(&case.available_transitions, case.id)
                    .await?
            } else {
                (Vec::new(), None)
            };
            items.push(DecisionItem {
                position: entry.position,
                case_id: case.id,
                number: case.number.clone(),
                title: case.title.clone(),
                state_label: case.state_label.clone(),
                version: case.version,
                awaiting_decision,
                document,
                decisions,
                proposed,
                decided: minutes
                    .decisions
                    .iter()
                    .filter(|d| d.case_id == case.id)
                    .cloned()
                    .collect(),
            });
        }
        Ok(DecisionSheet {
            meeting,
            member_of_body,
            items,
        })
    }

    /// Of the transitions the actor may take on the case, the decisions taken at a meeting, and
    /// which of them the Indstilling proposes.
    async fn body_decisions(
        &self,
        available: &[AvailableTransition],
        case_id: i64,
    ) -> Result<(Vec<AvailableTransition>, Option<String>), EngineError> {
        let stored = handover_case::Entity::find_by_id(case_id)
            .one(&self.db)
            .await?
            .ok_or(EngineError::NotFound { what: "case" })?;
        let def = self.definition_of(&stored)?;
        let state = Self::state_of(def, &stored)?;
        let at_meetings: Vec<_> = def
            .transitions_from(&state.id)
            .filter(|d| d.guards.contains(&Guard::OnAgenda))
            .collect();
        let decisions: Vec<AvailableTransition> = available
            .iter()
            .filter(|t| at_meetings.iter().any(|d| d.id.as_str() == t.id))
            .cloned()
            .collect();
        let proposed = at_meetings
            .iter()
            .filter(|d| !d.require_comment)
            .filter_map(|d| Some((d, def.state(&d.to)?.stage)))
            .find(|(_, to)| *to > state.stage && !to.is_terminal())
            .map(|(d, _)| d.id.as_str())
            .filter(|id| decisions.iter().any(|t| t.id == *id))
            .map(str::to_owned);
        Ok((decisions, proposed))
    }
}
