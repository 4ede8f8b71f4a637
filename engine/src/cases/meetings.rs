//! Meetings of a region's bodies (steering group, committee, councils, regionsråd), their ordered agendas, and minutes.
//! A case goes on an agenda only while it awaits that body, and before the material deadline
//! unless the secretariat overrides it — which the journal records.

use super::view::{Committed, UserRef};
use super::write::{Change, Mails, Written};
use super::{Engine, Visible};
use crate::actor::Actor;
use crate::domain::body::Body;
use crate::domain::role::Side;
use crate::domain::text::Label;
use crate::error::{EngineError, FieldError};
use crate::journal_event::{CaseEvent, MeetingRef};
use crate::policy;
use crate::storage::entity::{agenda_item, handover_case, journal_event, meeting, region};
use crate::workflow::definition::{NotifyRule, Recipient};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

/// A meeting to plan.
#[derive(Clone, Debug)]
pub struct NewMeeting {
    pub region: String,
    /// The body's key: `steering_group` or `committee`; in a 2027 region also `council:<id>` or
    /// `regional_council`.
    pub body: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub material_deadline: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AgendaEntry {
    pub position: i32,
    pub case_id: i64,
    pub number: String,
    pub title: String,
    pub state: String,
    pub state_label: Label,
    /// The case's version now: placing a case on an agenda moves it on.
    pub version: i32,
    /// Placed after the material deadline by the secretariat's override.
    pub after_deadline: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: i64,
    pub region: String,
    pub body: Body,
    /// The region's own name for the body.
    pub body_name: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub material_deadline: NaiveDate,
    /// When the secretariat published the agenda; until then it is a draft.
    pub published_at: Option<DateTime<Utc>>,
    /// When the secretariat cancelled the meeting, and why; its agenda is then empty.
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub agenda: Vec<AgendaEntry>,
}

/// A body that holds meetings, with the region's name for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MeetingBody {
    pub body: Body,
    pub name: String,
}

/// One decision taken at a meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MinuteEntry {
    pub case_id: i64,
    pub number: String,
    pub title: String,
    pub decision: String,
    pub decision_label: Option<Label>,
    pub comment: Option<String>,
    pub decided_by: Option<UserRef>,
    pub decided_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Minutes {
    pub meeting: MeetingView,
    pub decisions: Vec<MinuteEntry>,
}

/// The mail of an agenda event: to the case's proposer and parties and the body's members.
pub(super) fn agenda_rule(template: &str, body: Body) -> NotifyRule {
    let body_role = body.member_role();
    NotifyRule {
        template: template.into(),
        to: vec![
            Recipient::Proposer,
            Recipient::Party(Side::Giving),
            Recipient::Party(Side::Receiving),
            Recipient::Role(body_role),
        ],
    }
}

impl Engine {
    /// Plans a meeting of a body of the region.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the region's secretariat;
    /// [`EngineError::Invalid`] naming each bad field.
    pub async fn create_meeting(
        &self,
        actor: &Actor,
        input: NewMeeting,
    ) -> Result<MeetingView, EngineError> {
        let region = self
            .region_to_act_in(
                actor,
                &input.region,
                policy::meeting::PREPARER,
                "planning meetings",
            )
            .await?;
        let mut problems = Vec::new();
        let councils = self.council_ids_of(region.id).await?;
        let body = policy::meeting::meeting_body(&input.body, &councils)
            .map_err(|problem| problems.push(problem))
            .ok();
        let title = input.title.trim().to_owned();
        problems.extend(self.meeting_field_problems(
            &title,
            input.held_on,
            input.material_deadline,
        ));
        let (Some(body), true) = (body, problems.is_empty()) else {
            return Err(EngineError::Invalid(problems));
        };
        let created = meeting::ActiveModel {
            region_id: Set(region.id),
            body: Set(body.key()),
            title: Set(title),
            held_on: Set(input.held_on),
            material_deadline: Set(input.material_deadline),
            created_at: Set(self.now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        self.meeting(actor, created.id).await
    }

    /// What is wrong with a meeting's (trimmed) title and dates, planned or changed today.
    pub(super) fn meeting_field_problems(
        &self,
        title: &str,
        held_on: NaiveDate,
        material_deadline: NaiveDate,
    ) -> Vec<FieldError> {
        let length = crate::domain::text::Label::new(
            "giv mødet en titel på 3 til 200 tegn",
            "give the meeting a title of 3 to 200 characters",
        );
        let mut problems: Vec<FieldError> =
            crate::domain::text::single_line_name_problem("title", title, 3, 200, &length)
                .into_iter()
                .collect();
        problems.extend(crate::domain::calendar::date_problems([
            ("held_on", Some(held_on)),
            ("material_deadline", Some(material_deadline)),
        ]));
        problems.extend(policy::meeting::meeting_dates(
            held_on,
            material_deadline,
            self.today(),
        ));
        problems
    }

    pub(super) async fn visible_meeting(
        &self,
        actor: &Actor,
        meeting_id: i64,
    ) -> Result<(meeting::Model, region::Model), EngineError> {
        const NOT_FOUND: EngineError = EngineError::NotFound { what: "meeting" };
        let meeting = meeting::Entity::find_by_id(meeting_id)
            .one(&self.db)
            .await?
            .ok_or(NOT_FOUND)?;
        let region = self
            .region_by_id(meeting.region_id)
            .await?
            .ok_or(NOT_FOUND)?;
        actor.roles_in(&region.slug).ok_or(NOT_FOUND)?;
        Ok((meeting, region))
    }

    /// The meetings of the region the actor is a member of, soonest first.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for a region the actor is not a member of.
    pub async fn meetings(
        &self,
        actor: &Actor,
        region: &str,
    ) -> Result<Vec<MeetingView>, EngineError> {
        let region = self.member_region(actor, region).await?;
        // A cancelled meeting stays on record, but not in the list of meetings to come.
        let meetings = meeting::Entity::find()
            .filter(meeting::Column::RegionId.eq(region.id))
            .filter(meeting::Column::CancelledAt.is_null())
            .order_by_asc(meeting::Column::HeldOn)
            .all(&self.db)
            .await?;
        let mut views = Vec::with_capacity(meetings.len());
        for meeting in meetings {
            views.push(self.meeting_view(meeting, &region).await?);
        }
        Ok(views)
    }

    /// The bodies the secretariat plans meetings for in `region`, with the region's names for
    /// them: those that decide in a stage of a definition of the region in force today or
    /// starting later (so December's secretariat can plan January's council meetings), each
    /// council by its own name.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for a region the actor is not a member of.
    pub async fn meeting_bodies(
        &self,
        actor: &Actor,
        region: &str,
    ) -> Result<Vec<MeetingBody>, EngineError> {
        let region = self.member_region(actor, region).await?;
        let today = self.today();
        let current: Vec<_> = self
            .workflows
            .definitions()
            .iter()
            .filter(|d| d.region.as_str() == region.slug)
            .filter(|d| d.valid_to.is_none_or(|to| today <= to))
            .collect();
        let decided_in_current = |body: Body| {
            body.deciding_stage().is_some_and(|stage| {
                current
                    .iter()
                    .any(|d| d.states.iter().any(|s| s.stage == stage))
            })
        };
        let councils = self.council_ids_of(region.id).await?;
        let mut bodies = Vec::new();
        for body in policy::meeting::meeting_bodies(&councils) {
            if current.is_empty() || decided_in_current(body) {
                let named_by = current
                    .iter()
                    .copied()
                    .find(|d| d.bodies.name_of(body).is_some());
                let name = self.body_name(named_by, body, &body.key()).await?;
                bodies.push(MeetingBody { body, name });
            }
        }
        Ok(bodies)
    }

    /// One meeting with its agenda in order.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see it.
    pub async fn meeting(
        &self,
        actor: &Actor,
        meeting_id: i64,
    ) -> Result<MeetingView, EngineError> {
        let (meeting, region) = self.visible_meeting(actor, meeting_id).await?;
        self.meeting_view(meeting, &region).await
    }

    async fn meeting_view(
        &self,
        meeting: meeting::Model,
        region: &region::Model,
    ) -> Result<MeetingView, EngineError> {
        let items = agenda_item::Entity::find()
            .filter(agenda_item::Column::MeetingId.eq(meeting.id))
            .order_by_asc(agenda_item::Column::Position)
            .all(&self.db)
            .await?;
        let cases = handover_case::Entity::find()
            .filter(handover_case::Column::Id.in_subquery(agenda_case_ids(meeting.id)))
            .all(&self.db)
            .await?;
        let mut agenda = Vec::with_capacity(items.len());
        for item in items {
            let Some(case) = cases.iter().find(|c| c.id == item.case_id) else {
                continue;
            };
            let state_label = self
                .definition_of(case)
                .ok()
                .and_then(|d| d.state_by_str(&case.state))
                .map_or_else(|| Label::new(&case.state, &case.state), |s| s.label.clone());
            agenda.push(AgendaEntry {
                position: item.position,
                case_id: case.id,
                number: case.number.clone(),
                title: case.title.clone(),
                state: case.state.clone(),
                state_label,
                version: case.version,
                after_deadline: item.after_deadline,
            });
        }
        let def = self
            .workflows
            .in_force(&region.slug, meeting.held_on)
            .or_else(|| self.workflows.latest(&region.slug));
        let body = body_of(&meeting)?;
        let body_name = self.body_name(def, body, &meeting.title).await?;
        Ok(MeetingView {
            id: meeting.id,
            region: region.slug.clone(),
            body,
            body_name,
            title: meeting.title,
            held_on: meeting.held_on,
            material_deadline: meeting.material_deadline,
            published_at: meeting.published_at,
            cancelled_at: meeting.cancelled_at,
            cancel_reason: meeting.cancel_reason,
            agenda,
        })
    }

    /// Places a case last on a meeting's agenda. Only a case awaiting that body qualifies, and
    /// only before the material deadline unless `override_deadline` — the journal records it.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the secretariat; [`EngineError::Invalid`]
    /// saying why the case cannot go on this agenda.
    pub async fn place_on_agenda(
        &self,
        actor: &Actor,
        meeting_id: i64,
        case_id: i64,
        override_deadline: bool,
    ) -> Result<MeetingView, EngineError> {
        self.commit_placement(actor, meeting_id, case_id, override_deadline)
            .await?;
        self.meeting(actor, meeting_id).await
    }

    /// As [`Engine::place_on_agenda`], answering only what was committed to the case.
    ///
    /// # Errors
    /// As [`Engine::place_on_agenda`].
    pub async fn commit_placement(
        &self,
        actor: &Actor,
        meeting_id: i64,
        case_id: i64,
        override_deadline: bool,
    ) -> Result<Committed, EngineError> {
        let (meeting, region) = self.visible_meeting(actor, meeting_id).await?;
        let visible: Visible = self.visible(actor, case_id).await?;
        if !visible.roles.contains(&policy::meeting::PREPARER) {
            let refusal = EngineError::Forbidden {
                action: "placing cases on an agenda".into(),
                needed: vec![policy::meeting::PREPARER],
            };
            return Err(self
                .refused(
                    actor,
                    case_id,
                    format!("place the case on the agenda of meeting {}", meeting.id),
                    refusal,
                )
                .await);
        }
        let case = &visible.case;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let today = self.today();
        if case.region_id != region.id {
            return Err(EngineError::invalid(
                "case_id",
                "the case belongs to another region than the meeting",
                "sagen hører til en anden region end mødet",
            ));
        }
        let awaited = self.councils_awaited(case, state).await?;
        policy::meeting::placement(&meeting, state, &awaited, today, override_deadline)
            .map_err(|problem| EngineError::Invalid(vec![problem]))?;
        let already = agenda_item::Entity::find()
            .filter(agenda_item::Column::MeetingId.eq(meeting.id))
            .filter(agenda_item::Column::CaseId.eq(case.id))
            .one(&self.db)
            .await?;
        if already.is_some() {
            return Err(EngineError::invalid(
                "case_id",
                "the case is already on this agenda",
                "sagen er allerede på dagsordenen for dette møde",
            ));
        }
        let after_deadline = today > meeting.material_deadline;
        let rule = agenda_rule("placed_on_agenda", body_of(&meeting)?);
        // The case's facts change (the on_agenda guard), so its version moves on.
        let change = Change::of_facts();
        let (committed, ()) = self
            .commit_change(Some(actor.user_id), case, change, async |txn, now| {
                // The last place, read in the write transaction so two placements cannot
                // take it both.
                let last: Option<Option<i32>> = agenda_item::Entity::find()
                    .select_only()
                    .column_as(agenda_item::Column::Position.max(), "last")
                    .filter(agenda_item::Column::MeetingId.eq(meeting.id))
                    .into_tuple()
                    .one(txn)
                    .await?;
                let position = last.flatten().unwrap_or(0) + 1;
                agenda_item::ActiveModel {
                    meeting_id: Set(meeting.id),
                    case_id: Set(case.id),
                    position: Set(position),
                    placed_by: Set(actor.user_id),
                    placed_at: Set(now),
                    after_deadline: Set(after_deadline),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                let event = CaseEvent::PlacedOnAgenda {
                    meeting: MeetingRef::from(&meeting),
                    position,
                    after_deadline,
                };
                Ok(Written::event(event).with_mails(Mails::Rules(vec![rule])))
            })
            .await?;
        Ok(committed)
    }

    /// The decisions taken at a meeting, in agenda order.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the meeting.
    pub async fn minutes(&self, actor: &Actor, meeting_id: i64) -> Result<Minutes, EngineError> {
        let meeting = self.meeting(actor, meeting_id).await?;
        let events = journal_event::Entity::find()
            .filter(journal_event::Column::CaseId.in_subquery(agenda_case_ids(meeting.id)))
            .filter(journal_event::Column::Kind.eq(crate::journal_event::kind::TRANSITION))
            .order_by_asc(journal_event::Column::Id)
            .all(&self.db)
            .await?;
        let users = self
            .user_refs(events.iter().filter_map(|e| e.actor_user_id).collect())
            .await?;
        let mut decisions = Vec::new();
        for entry in &meeting.agenda {
            for event in events.iter().filter(|e| e.case_id == entry.case_id) {
                let Ok(CaseEvent::Transition {
                    transition,
                    comment,
                    label,
                    meeting: Some(at),
                    ..
                }) = event.event()
                else {
                    continue;
                };
                if at.id != meeting.id {
                    continue;
                }
                decisions.push(MinuteEntry {
                    case_id: entry.case_id,
                    number: entry.number.clone(),
                    title: entry.title.clone(),
                    decision: transition,
                    decision_label: label,
                    comment,
                    decided_by: event.actor_user_id.and_then(|id| users.get(&id).cloned()),
                    decided_at: event.occurred_at,
                });
            }
        }
        Ok(Minutes { meeting, decisions })
    }
}

/// The body of a stored meeting.
pub(super) fn body_of(meeting: &meeting::Model) -> Result<Body, EngineError> {
    meeting.body().ok_or_else(|| {
        EngineError::DefinitionMissing(format!(
            "meeting {} is of body `{}`, which holds no meetings",
            meeting.id, meeting.body
        ))
    })
}

/// The ids of the cases on a meeting's agenda, as a subquery. The statement's text stays the
/// same however long the agenda is: a list of ids bound one by one would make a new statement
/// for every length, each prepared and kept in every connection's statement cache.
fn agenda_case_ids(meeting_id: i64) -> SelectStatement {
    Query::select()
        .column(agenda_item::Column::CaseId)
        .from(agenda_item::Entity)
        .and_where(agenda_item::Column::MeetingId.eq(meeting_id))
        .to_owned()
}
