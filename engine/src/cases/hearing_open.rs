//! Opening a case's hearing: on its own, for a case in a hearing state, or in one step with the
//! transition that leads into the hearing, so a case never waits in hearing with no one heard.

use super::hearings::{HearingLink, OpenedHearing, kind_of_party, token_hash};
use super::view::PartyRef;
use super::write::{Change, Mails, Written};
use super::{Engine, Visible};
use crate::actor::Actor;
use crate::domain::economics::hex;
use crate::error::EngineError;
use crate::journal_event::CaseEvent;
use crate::policy::case::CaseAction;
use crate::storage::db::WriteTransaction;
use crate::storage::entity::{handover_case, hearing, hearing_party, organisation};
use crate::workflow::Stage;
use crate::workflow::definition::Definition;
use chrono::{DateTime, NaiveDate, Utc};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// Whom to hear and until when; each left out takes the workflow's own.
#[derive(Clone, Copy, Debug, Default)]
pub struct HearingRequest<'a> {
    /// The last day to answer; default: the workflow's answer days in working days.
    pub deadline: Option<NaiveDate>,
    /// The organisations to hear; default: those the workflow's `[hearing]` names.
    pub parties: Option<&'a [i64]>,
}

/// The transition that leads a case into its hearing, taken in the same step.
#[derive(Clone, Copy, Debug)]
pub struct IntoHearing<'a> {
    pub transition: &'a str,
    /// The case version the actor saw.
    pub expected_version: i32,
    pub comment: Option<&'a str>,
}

/// A hearing checked and ready to be written.
struct HearingPlan {
    deadline: NaiveDate,
    quorum: String,
    parties: Vec<organisation::Model>,
}

impl Engine {
    /// Opens the hearing of a case in a hearing state: the parties the workflow names, and a
    /// deadline (default: the workflow's answer days in working days). Returns each party's
    /// personal link token; only hashes are stored.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the secretariat; [`EngineError::Invalid`]
    /// when the case is not in hearing, already has an open hearing, the deadline is past, or
    /// a named party is not an organisation of the region. `parties` names the heard
    /// organisations; by default they are those the workflow's `[hearing]` names.
    pub async fn open_hearing(
        &self,
        actor: &Actor,
        case_id: i64,
        deadline: Option<NaiveDate>,
        parties: Option<&[i64]>,
    ) -> Result<OpenedHearing, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let case = &visible.case;
        let file = super::file::CaseFile::load(&self.db, case.id).await?;
        let already_open = file.hearing_facts(self.today()).is_some();
        self.permit(actor, &visible, CaseAction::OpenHearing { already_open })
            .await?;
        let plan = self
            .plan_hearing(
                case,
                self.definition_of(case)?,
                HearingRequest { deadline, parties },
            )
            .await?;
        let (_, links) = self
            .commit_change(
                Some(actor.user_id),
                case,
                Change::of_facts(),
                async |txn, now| {
                    let (event, invitations, links) =
                        write_hearing(txn, case.id, actor.user_id, &plan, now).await?;
                    Ok(Written {
                        event,
                        mails: Mails::Invitations(invitations),
                        value: links,
                        then: None,
                    })
                },
            )
            .await?;
        self.opened(actor, &visible, links).await
    }

    /// Takes `step`, a transition into the case's hearing, and opens the hearing in the same
    /// transaction: the case moves and its parties are invited, or neither happens.
    ///
    /// # Errors
    /// As [`Engine::transition`] and [`Engine::open_hearing`]; [`EngineError::Invalid`] on
    /// `transition` when it does not lead into a hearing.
    pub async fn transition_into_hearing(
        &self,
        actor: &Actor,
        case_id: i64,
        step: IntoHearing<'_>,
        request: HearingRequest<'_>,
    ) -> Result<OpenedHearing, EngineError> {
        let visible = self
            .visible_at(actor, case_id, step.expected_version)
            .await?;
        let case = &visible.case;
        let decided = self
            .decide_transition(
                actor,
                &visible,
                step.expected_version,
                step.transition,
                step.comment,
            )
            .await?;
        if decided.to_stage != Some(Stage::Hearing) {
            return Err(EngineError::invalid(
                "transition",
                format!(
                    "the transition `{}` does not lead into a hearing; take it with POST /cases/{case_id}/transitions",
                    step.transition
                ),
                "Handlingen sender ikke sagen i høring.",
            ));
        }
        let plan = self
            .plan_hearing(case, self.definition_of(case)?, request)
            .await?;
        let (_, links) = self
            .commit_change(
                Some(actor.user_id),
                case,
                decided.change(),
                async |txn, now| {
                    decided.write_recommendation(txn, now).await?;
                    let (opened, invitations, links) =
                        write_hearing(txn, case.id, actor.user_id, &plan, now).await?;
                    Ok(Written {
                        event: decided.event.clone(),
                        mails: decided.mails(),
                        value: links,
                        then: Some((opened, Mails::Invitations(invitations))),
                    })
                },
            )
            .await?;
        self.opened(actor, &visible, links).await
    }

    async fn opened(
        &self,
        actor: &Actor,
        visible: &Visible,
        links: Vec<HearingLink>,
    ) -> Result<OpenedHearing, EngineError> {
        let hearing = self
            .hearing(actor, visible.case.id)
            .await?
            .ok_or(EngineError::NotFound { what: "hearing" })?;
        Ok(OpenedHearing { hearing, links })
    }

    /// Checks the deadline and reads the heard parties.
    async fn plan_hearing(
        &self,
        case: &handover_case::Model,
        def: &Definition,
        request: HearingRequest<'_>,
    ) -> Result<HearingPlan, EngineError> {
        let rule = def
            .hearing
            .as_ref()
            .ok_or(EngineError::NotFound { what: "hearing" })?;
        let today = self.today();
        let deadline = request
            .deadline
            .unwrap_or_else(|| def.calendar.add_working_days(today, rule.answer_days));
        if let Some(problem) = crate::domain::calendar::date_problem("deadline", deadline) {
            return Err(EngineError::Invalid(vec![problem]));
        }
        if deadline <= today {
            return Err(EngineError::invalid(
                "deadline",
                "the deadline must be after today",
                "Svarfristen skal ligge efter i dag.",
            ));
        }
        let kinds: Vec<&str> = rule
            .parties
            .iter()
            .filter_map(|p| kind_of_party(p))
            .collect();
        let mut select =
            organisation::Entity::find().filter(organisation::Column::RegionId.eq(case.region_id));
        select = match request.parties {
            Some(ids) => select.filter(organisation::Column::Id.is_in(ids.iter().copied())),
            None => select.filter(organisation::Column::Kind.is_in(kinds)),
        };
        let parties = select
            .order_by_asc(organisation::Column::Name)
            .all(&self.db)
            .await?;
        if let Some(unknown) = request
            .parties
            .and_then(|ids| ids.iter().find(|id| !parties.iter().any(|p| p.id == **id)))
        {
            return Err(EngineError::invalid(
                "parties",
                format!("organisation {unknown} is not a party in the case's region"),
                format!("Organisation {unknown} er ikke part i sagens region."),
            ));
        }
        if parties.is_empty() {
            return Err(EngineError::invalid(
                "parties",
                "the region has no organisations of the kinds the workflow hears",
                "Regionen har ingen organisationer af de slags, arbejdsgangen hører.",
            ));
        }
        Ok(HearingPlan {
            deadline,
            quorum: rule.quorum.stored(),
            parties,
        })
    }
}

/// Writes the hearing and a personal link for each heard party; answers its journal event,
/// the invitations to mail and the links to hand out once.
async fn write_hearing(
    txn: &WriteTransaction,
    case_id: i64,
    opened_by: i64,
    plan: &HearingPlan,
    now: DateTime<Utc>,
) -> Result<
    (
        CaseEvent,
        Vec<(organisation::Model, String)>,
        Vec<HearingLink>,
    ),
    EngineError,
> {
    let opened = hearing::ActiveModel {
        case_id: Set(case_id),
        opened_by: Set(opened_by),
        opened_at: Set(now),
        deadline: Set(plan.deadline),
        quorum: Set(plan.quorum.clone()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut links = Vec::with_capacity(plan.parties.len());
    for party in &plan.parties {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("hrg_{}", hex(&bytes));
        hearing_party::ActiveModel {
            hearing_id: Set(opened.id),
            organisation_id: Set(party.id),
            token_hash: Set(token_hash(&token)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        links.push(HearingLink {
            party: PartyRef {
                id: party.id,
                name: party.name.clone(),
                kind: party.kind.clone(),
            },
            token,
        });
    }
    let event = CaseEvent::HearingOpened {
        hearing: opened.id,
        deadline: plan.deadline,
        quorum: plan.quorum.clone(),
        parties: plan.parties.iter().map(|p| p.name.clone()).collect(),
    };
    // Each heard party gets its personal link by mail, in the same transaction.
    let invitations = plan
        .parties
        .iter()
        .cloned()
        .zip(links.iter().map(|l| l.token.clone()))
        .collect();
    Ok((event, invitations, links))
}
