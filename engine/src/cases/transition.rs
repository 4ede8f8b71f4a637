//! Taking a transition: the policy decides, the write skeleton commits the new state, the
//! journal event with the meeting a decision was taken at, and the mails.

use super::file::{CaseFile, Parts};
use super::view::CaseView;
use super::view::Committed;
use super::write::{Change, Mails, Written};
use super::{CaseRowChanges, Engine, Visible};
use crate::actor::Actor;
use crate::domain::ids::{StateId, TransitionId};
use crate::error::EngineError;
use crate::idempotency::Claim;
use crate::journal_event::{CaseEvent, MeetingRef};
use crate::policy::{self};
use crate::storage::entity::council_recommendation;
use crate::storage::outbox;
use crate::workflow::Stage;
use crate::workflow::definition::NotifyRule;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, Set};

/// Longest comment accepted with a transition.
pub const MAX_COMMENT_CHARS: usize = 5_000;

impl Engine {
    /// Takes `transition` on the case: checks role and guards, then commits the new state, the
    /// journal event and the outbox rows in one transaction.
    ///
    /// # Errors
    /// [`EngineError::Conflict`] on a stale version; [`EngineError::Refused`] saying why the
    /// state machine refused; [`EngineError::Invalid`] for an over-long comment.
    pub async fn transition(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        transition: &str,
        comment: Option<&str>,
    ) -> Result<CaseView, EngineError> {
        self.commit_transition(actor, case_id, expected_version, transition, comment)
            .await?;
        self.case(actor, case_id).await
    }

    /// As [`Engine::transition`], answering only what was committed: the durable step itself.
    ///
    /// # Errors
    /// As [`Engine::transition`].
    pub async fn commit_transition(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        transition: &str,
        comment: Option<&str>,
    ) -> Result<Committed, EngineError> {
        self.commit_transition_keyed(actor, case_id, expected_version, transition, comment, None)
            .await
    }

    /// As [`Engine::commit_transition`], recording on `claim`'s `Idempotency-Key`, in the
    /// same transaction, that the transition was taken.
    ///
    /// # Errors
    /// As [`Engine::transition`]; [`EngineError::IdempotencyTakenOver`] when a retry took the
    /// key over, and nothing was changed.
    pub async fn commit_transition_keyed(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        transition: &str,
        comment: Option<&str>,
        claim: Option<&Claim>,
    ) -> Result<Committed, EngineError> {
        let visible = self.visible_at(actor, case_id, expected_version).await?;
        let step = self
            .decide_transition(actor, &visible, expected_version, transition, comment)
            .await?;
        let change = Change {
            claim,
            ..step.change()
        };
        let (committed, ()) = self
            .commit_change(
                Some(actor.user_id),
                &visible.case,
                change,
                async |txn, now| {
                    step.write_recommendation(txn, now).await?;
                    Ok(Written::event(step.event.clone()).with_mails(step.mails()))
                },
            )
            .await?;
        Ok(committed)
    }

    /// What taking `transition` on the visible case would write, once the policy allowed it;
    /// a refusal is journaled.
    ///
    /// # Errors
    /// As [`Engine::transition`].
    pub(super) async fn decide_transition(
        &self,
        actor: &Actor,
        visible: &Visible,
        expected_version: i32,
        transition: &str,
        comment: Option<&str>,
    ) -> Result<TransitionStep, EngineError> {
        let case = &visible.case;
        if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            return Err(EngineError::invalid(
                "comment",
                format!(
                    "the comment is longer than {MAX_COMMENT_CHARS} characters; shorten it or attach a document"
                ),
                format!(
                    "Kommentaren er længere end {MAX_COMMENT_CHARS} tegn. Forkort den, eller vedhæft et dokument."
                ),
            ));
        }
        let transition = TransitionId::parse(transition).map_err(|e| {
            EngineError::invalid(
                "transition",
                e.to_string(),
                "Handlingen findes ikke i sagens arbejdsgang.",
            )
        })?;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let chosen = def.transitions_from(&state.id).find(|t| t.id == transition);
        // Only what the transition's guards check is read; an unknown transition is refused
        // by the machine without any.
        let parts = chosen.map_or(Parts::NONE, |t| {
            Parts::for_transition(state.stage, &t.guards)
        });
        // Who the transition's mails go to is read alongside, on another connection.
        let no_rules = Vec::new();
        let rules = chosen.map_or(&no_rules, |t| &t.notify);
        let (file, directory) = tokio::try_join!(
            CaseFile::load_parts(&self.db, case.id, parts),
            outbox::Directory::read(&self.db, case, rules),
        )?;
        let facts = self.facts_of(case, &file, state).await?;
        let actor_on_case = Self::case_actor(actor, visible);
        let decision = match policy::transition(
            def,
            &state.id,
            &facts,
            &actor_on_case,
            &transition,
            comment,
            self.today(),
        ) {
            Ok(decision) => decision,
            Err(refusal) => {
                let attempted = format!("transition {transition}");
                return Err(self
                    .refused_at(actor, case.id, case.version, attempted, refusal.into())
                    .await);
            }
        };
        let label = chosen.map(|t| t.label.clone());
        // A body's decision records the meeting it was taken at.
        let meeting = decision
            .body
            .and_then(|body| file.current_meeting(body))
            .map(MeetingRef::from);
        let moves = decision.to != decision.from;
        let council = match decision.recommendation {
            Some(r) => self.council_refs([r.council]).await?.into_iter().next(),
            None => None,
        };
        let event = match (&council, moves) {
            // A council's recommendation while others are still to give theirs.
            (Some(council), false) => CaseEvent::CouncilRecommended {
                council: council.clone(),
                transition: decision.transition.to_string(),
                label,
                comment: decision.comment.clone(),
                meeting: meeting.clone(),
            },
            _ => CaseEvent::Transition {
                transition: decision.transition.to_string(),
                from_state: decision.from.to_string(),
                to_state: decision.to.to_string(),
                comment: decision.comment.clone(),
                label,
                due_date: decision.due_date,
                meeting: meeting.clone(),
                council: council.clone(),
            },
        };
        let recommendation = decision
            .recommendation
            .map(|r| council_recommendation::ActiveModel {
                case_id: Set(case.id),
                council_id: Set(r.council),
                meeting_id: Set(meeting.as_ref().map(|m| m.id)),
                transition: Set(decision.transition.to_string()),
                comment: Set(decision.comment.clone()),
                user_id: Set(actor.user_id),
                ..Default::default()
            });
        let to_stage = def.state_by_str(decision.to.as_str()).map(|s| s.stage);
        Ok(TransitionStep {
            expected_version,
            row_state: moves.then(|| (decision.to.clone(), decision.due_date)),
            to_stage,
            event,
            recommendation,
            directory,
            notifications: decision.notifications,
        })
    }
}

/// A transition the policy allowed, ready to be written.
pub(super) struct TransitionStep {
    expected_version: i32,
    /// The state the case moves to and its due date there; `None` when it stays.
    row_state: Option<(StateId, Option<NaiveDate>)>,
    /// The stage of the state the case ends in.
    pub to_stage: Option<Stage>,
    pub event: CaseEvent,
    recommendation: Option<council_recommendation::ActiveModel>,
    directory: outbox::Directory,
    notifications: Vec<NotifyRule>,
}

impl TransitionStep {
    /// The change of the case's row, at the version the actor saw.
    pub(super) fn change(&self) -> Change<'static> {
        Change {
            row: match &self.row_state {
                Some((state, due_date)) => CaseRowChanges::state(state, *due_date),
                None => CaseRowChanges::none(),
            },
            ..Change::at(self.expected_version)
        }
    }

    /// The transition's mails, to the recipients read beforehand.
    pub(super) fn mails(&self) -> Mails<'_> {
        Mails::Looked(&self.directory, &self.notifications)
    }

    /// A council's recommendation, recorded with the step.
    pub(super) async fn write_recommendation(
        &self,
        txn: &crate::storage::db::WriteTransaction,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        if let Some(mut row) = self.recommendation.clone() {
            row.recommended_at = Set(now);
            row.insert(txn).await?;
        }
        Ok(())
    }
}
