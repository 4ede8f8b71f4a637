//! Correcting or cancelling a meeting that has not been held: a mistyped meeting does not stay
//! in the list for good. Each case on its agenda is journaled with the change and its parties
//! and the body's members are mailed, so nobody comes to a meeting that moved.

use super::Engine;
use super::meetings::{MeetingView, agenda_rule, body_of};
use super::write::move_facts_version;
use crate::actor::Actor;
use crate::error::EngineError;
use crate::journal_event::{CaseEvent, DateChange, MeetingRef};
use crate::storage::entity::{agenda_item, handover_case, meeting};
use crate::storage::journal::{self, NewEvent};
use crate::storage::outbox;
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// The longest reason accepted for cancelling a meeting.
pub const MAX_CANCEL_REASON_CHARS: usize = 2_000;

/// A meeting's title and dates as the secretariat corrects them; its body stays.
#[derive(Clone, Debug)]
pub struct MeetingChange {
    pub title: String,
    pub held_on: NaiveDate,
    pub material_deadline: NaiveDate,
}

impl Engine {
    /// Corrects the title and dates of a meeting not yet held. Each case on its agenda is
    /// journaled with the meeting as it was and is, and mailed (`meeting_changed`) when the
    /// day of the meeting moved.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the region's secretariat;
    /// [`EngineError::Invalid`] naming each bad field, or when the meeting was held or
    /// cancelled.
    pub async fn change_meeting(
        &self,
        actor: &Actor,
        meeting_id: i64,
        change: MeetingChange,
    ) -> Result<MeetingView, EngineError> {
        let meeting = self
            .meeting_to_prepare(actor, meeting_id, "changing a meeting")
            .await?;
        let title = change.title.trim().to_owned();
        let problems =
            self.meeting_field_problems(&title, change.held_on, change.material_deadline);
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems));
        }
        if title == meeting.title
            && change.held_on == meeting.held_on
            && change.material_deadline == meeting.material_deadline
        {
            return self.meeting(actor, meeting.id).await;
        }
        let was = MeetingRef::from(&meeting);
        let deadline_change =
            (change.material_deadline != meeting.material_deadline).then_some(DateChange {
                old: meeting.material_deadline,
                new: change.material_deadline,
            });
        let moved = change.held_on != meeting.held_on;
        let rule = agenda_rule("meeting_changed", body_of(&meeting)?);
        let now = self.now();
        let txn = self.begin_write().await?;
        let mut active: meeting::ActiveModel = meeting.clone().into();
        active.title = Set(title);
        active.held_on = Set(change.held_on);
        active.material_deadline = Set(change.material_deadline);
        let changed = active.update(&txn).await?;
        for case in self.cases_on_agenda(&txn, meeting.id).await? {
            let head = move_facts_version(&txn, case.id, now).await?;
            let event = NewEvent::from_event(
                Some(actor.user_id),
                CaseEvent::MeetingChanged {
                    meeting: MeetingRef::from(&changed),
                    was: was.clone(),
                    material_deadline: deadline_change,
                },
            );
            let event = journal::append_after(&txn, case.id, head, event, now).await?;
            if moved {
                outbox::enqueue(&txn, &case, event.id, std::slice::from_ref(&rule), now).await?;
            }
        }
        txn.commit().await?;
        self.counters.count_step(true);
        self.meeting(actor, meeting.id).await
    }

    /// Cancels a meeting not yet held, with the reason. Its agenda is emptied: each case on
    /// it is journaled as having left it, so it can go on another meeting of the body, and
    /// its parties and the body's members are mailed (`meeting_cancelled`). The meeting stays
    /// on record but leaves the list of meetings.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the region's secretariat;
    /// [`EngineError::Invalid`] without a reason, or when the meeting was held or cancelled.
    pub async fn cancel_meeting(
        &self,
        actor: &Actor,
        meeting_id: i64,
        reason: &str,
    ) -> Result<MeetingView, EngineError> {
        let meeting = self
            .meeting_to_prepare(actor, meeting_id, "cancelling a meeting")
            .await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_CANCEL_REASON_CHARS {
            return Err(EngineError::invalid(
                "reason",
                format!(
                    "say why the meeting is cancelled, in at most {MAX_CANCEL_REASON_CHARS} characters; the parties of its cases are told"
                ),
                format!(
                    "Skriv, hvorfor mødet aflyses (højst {MAX_CANCEL_REASON_CHARS} tegn). Parterne i sagerne på dagsordenen får besked."
                ),
            ));
        }
        let rule = agenda_rule("meeting_cancelled", body_of(&meeting)?);
        let now = self.now();
        let txn = self.begin_write().await?;
        let cases = self.cases_on_agenda(&txn, meeting.id).await?;
        agenda_item::Entity::delete_many()
            .filter(agenda_item::Column::MeetingId.eq(meeting.id))
            .exec(&txn)
            .await?;
        let mut active: meeting::ActiveModel = meeting.clone().into();
        active.cancelled_at = Set(Some(now));
        active.cancelled_by = Set(Some(actor.user_id));
        active.cancel_reason = Set(Some(reason.to_owned()));
        active.update(&txn).await?;
        for case in cases {
            // The case is no longer on an agenda: a fact its guards read, so its version moves.
            let head = move_facts_version(&txn, case.id, now).await?;
            let event = NewEvent::from_event(
                Some(actor.user_id),
                CaseEvent::MeetingCancelled {
                    comment: Some(reason.to_owned()),
                    meeting: MeetingRef::from(&meeting),
                },
            );
            let event = journal::append_after(&txn, case.id, head, event, now).await?;
            outbox::enqueue(&txn, &case, event.id, std::slice::from_ref(&rule), now).await?;
        }
        txn.commit().await?;
        self.counters.count_step(true);
        self.meeting(actor, meeting.id).await
    }

    /// The cases on a meeting's agenda, in agenda order, read in the write transaction.
    async fn cases_on_agenda(
        &self,
        txn: &crate::storage::db::WriteTransaction,
        meeting_id: i64,
    ) -> Result<Vec<handover_case::Model>, EngineError> {
        let items = agenda_item::Entity::find()
            .filter(agenda_item::Column::MeetingId.eq(meeting_id))
            .order_by_asc(agenda_item::Column::Position)
            .all(txn)
            .await?;
        let cases = handover_case::Entity::find()
            .filter(handover_case::Column::Id.is_in(items.iter().map(|i| i.case_id)))
            .all(txn)
            .await?;
        Ok(items
            .iter()
            .filter_map(|i| cases.iter().find(|c| c.id == i.case_id).cloned())
            .collect())
    }
}
