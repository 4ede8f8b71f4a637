//! The secretariat's work on an agenda before the meeting: putting the items in order and
//! publishing the agenda, which tells every case's parties and the body's members.

use super::meetings::{MeetingView, agenda_rule};
use super::{Engine, lock_case};
use crate::actor::Actor;
use crate::domain::text::Label;
use crate::error::EngineError;
use crate::journal_event::{CaseEvent, MeetingRef};
use crate::storage::entity::{agenda_item, handover_case, meeting};
use crate::storage::journal::{self, NewEvent};
use crate::storage::outbox;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

impl Engine {
    /// Moves a case to `position` (1 is first) on a meeting's agenda; the others keep their
    /// order around it.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the region's secretariat;
    /// [`EngineError::Invalid`] when the case is not on the agenda or the meeting was held.
    pub async fn move_agenda_item(
        &self,
        actor: &Actor,
        meeting_id: i64,
        case_id: i64,
        position: i32,
    ) -> Result<MeetingView, EngineError> {
        let meeting = self
            .meeting_to_prepare(actor, meeting_id, "ordering an agenda")
            .await?;
        let txn = self.begin_write().await?;
        let mut items = agenda_item::Entity::find()
            .filter(agenda_item::Column::MeetingId.eq(meeting.id))
            .order_by_asc(agenda_item::Column::Position)
            .all(&txn)
            .await?;
        let from = items
            .iter()
            .position(|i| i.case_id == case_id)
            .ok_or_else(|| {
                EngineError::invalid(
                    "case_id",
                    "the case is not on this agenda",
                    "sagen er ikke på dagsordenen for dette møde",
                )
            })?;
        let item = items.remove(from);
        let to = usize::try_from(position.max(1) - 1)
            .unwrap_or(0)
            .min(items.len());
        items.insert(to, item);
        for (index, item) in items.iter().enumerate() {
            let wanted = i32::try_from(index + 1).unwrap_or(i32::MAX);
            if item.position != wanted {
                agenda_item::Entity::update_many()
                    .col_expr(agenda_item::Column::Position, Expr::value(wanted))
                    .filter(agenda_item::Column::Id.eq(item.id))
                    .exec(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        self.counters.count_step(true);
        self.meeting(actor, meeting.id).await
    }

    /// Publishes a meeting's agenda: each case on it gets a journal event and its parties and
    /// the body's members a mail, all in one transaction. An agenda is published once; cases
    /// placed afterwards are announced by their own "placed on agenda" mail.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the region's secretariat;
    /// [`EngineError::Invalid`] when the agenda is empty, already published or the meeting held.
    pub async fn publish_agenda(
        &self,
        actor: &Actor,
        meeting_id: i64,
    ) -> Result<MeetingView, EngineError> {
        let meeting = self
            .meeting_to_prepare(actor, meeting_id, "publishing an agenda")
            .await?;
        if let Some(at) = meeting.published_at {
            return Err(EngineError::invalid(
                "meeting",
                format!(
                    "the agenda was published {}",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
                {
                    let local = crate::domain::calendar::danish_time(at);
                    format!(
                        "dagsordenen blev offentliggjort {} kl. {}",
                        crate::render::danish::danish_date(local.date()),
                        local.format("%H.%M")
                    )
                },
            ));
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        let items = agenda_item::Entity::find()
            .filter(agenda_item::Column::MeetingId.eq(meeting.id))
            .order_by_asc(agenda_item::Column::Position)
            .all(&txn)
            .await?;
        if items.is_empty() {
            return Err(EngineError::invalid(
                "meeting",
                "the agenda is empty; place cases on it before publishing",
                "dagsordenen er tom; sæt sager på den, før den offentliggøres",
            ));
        }
        let published = meeting::Entity::update_many()
            .col_expr(meeting::Column::PublishedAt, Expr::value(now))
            .col_expr(meeting::Column::PublishedBy, Expr::value(actor.user_id))
            .filter(meeting::Column::Id.eq(meeting.id))
            .filter(meeting::Column::PublishedAt.is_null())
            .exec(&txn)
            .await?;
        if published.rows_affected == 0 {
            return Err(EngineError::invalid(
                "meeting",
                "the agenda was published by someone else just now",
                "dagsordenen er netop blevet offentliggjort af en anden",
            ));
        }
        let rule = agenda_rule("agenda_published", super::meetings::body_of(&meeting)?);
        for item in &items {
            let Some(case) = handover_case::Entity::find_by_id(item.case_id)
                .one(&txn)
                .await?
            else {
                continue;
            };
            lock_case(&txn, case.id).await?;
            let event = NewEvent::from_event(
                Some(actor.user_id),
                CaseEvent::AgendaPublished {
                    meeting: MeetingRef::from(&meeting),
                    position: item.position,
                    label: Label::new("Dagsordenen er offentliggjort", "The agenda is published"),
                },
            );
            let event = journal::append(&txn, case.id, event, now).await?;
            outbox::enqueue(&txn, &case, event.id, std::slice::from_ref(&rule), now).await?;
        }
        txn.commit().await?;
        self.counters.count_step(true);
        self.meeting(actor, meeting.id).await
    }

    /// A meeting the actor prepares as the region's secretariat, not yet held.
    pub(super) async fn meeting_to_prepare(
        &self,
        actor: &Actor,
        meeting_id: i64,
        action: &str,
    ) -> Result<meeting::Model, EngineError> {
        let (meeting, region) = self.visible_meeting(actor, meeting_id).await?;
        self.region_to_act_in(
            actor,
            &region.slug,
            crate::policy::meeting::PREPARER,
            action,
        )
        .await?;
        crate::policy::meeting::agenda_open(&meeting, self.today())
            .map_err(|problem| EngineError::Invalid(vec![problem]))?;
        Ok(meeting)
    }
}
