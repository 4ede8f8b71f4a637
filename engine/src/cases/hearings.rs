//! Hearings of affected parties. The secretariat opens one with the parties the workflow names
//! and a deadline; each party answers by its personal link (no account needed) or as a
//! logged-in member of the organisation. Answers after the deadline are refused.

use super::Engine;
use super::view::PartyRef;
use super::write::{Change, Mails, Written};
use crate::actor::Actor;
use crate::domain::economics::hex;
use crate::error::{EngineError, FieldError};
use crate::journal_event::{AnsweredVia, CaseEvent};
use crate::policy::case::CaseAction;
use crate::storage::entity::{
    app_user, handover_case, hearing, hearing_party, organisation, region,
};
use crate::workflow::Stage;
use crate::workflow::definition::Quorum;
use chrono::{DateTime, NaiveDate, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A heard party's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HearingAnswer {
    Agree,
    AgreeWithRemarks,
    Object,
}

impl HearingAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            HearingAnswer::Agree => "agree",
            HearingAnswer::AgreeWithRemarks => "agree_with_remarks",
            HearingAnswer::Object => "object",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [
            HearingAnswer::Agree,
            HearingAnswer::AgreeWithRemarks,
            HearingAnswer::Object,
        ]
        .into_iter()
        .find(|a| a.as_str() == raw)
    }
}

/// Longest answer text.
pub const MAX_ANSWER_CHARS: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HearingPartyView {
    pub party: PartyRef,
    pub answer: Option<HearingAnswer>,
    pub text: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HearingView {
    pub id: i64,
    pub case_id: i64,
    pub deadline: NaiveDate,
    /// `all`, `majority` or `at_least:N`.
    pub quorum: String,
    pub parties: Vec<HearingPartyView>,
    pub answered: usize,
    pub quorum_met: bool,
    /// Everyone answered, or the deadline passed with the quorum met.
    pub closed: bool,
}

/// A party's personal link token, handed out once when the hearing opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HearingLink {
    pub party: PartyRef,
    pub token: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenedHearing {
    pub hearing: HearingView,
    pub links: Vec<HearingLink>,
}

/// What the holder of a link sees: the case, their party, the deadline and their answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HearingInvitation {
    pub case_number: String,
    pub case_title: String,
    pub region_name: String,
    pub party: PartyRef,
    pub deadline: NaiveDate,
    /// Answers are accepted until the deadline, while the case is in hearing.
    pub open: bool,
    pub answer: Option<HearingAnswer>,
    pub text: Option<String>,
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.trim().as_bytes()))
}

fn kind_of_party(spec: &str) -> Option<&'static str> {
    match spec {
        "municipalities" => Some("municipality"),
        "general_practice" => Some("general_practice"),
        "hospitals" => Some("hospital"),
        _ => None,
    }
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
        let def = self.definition_of(case)?;
        let today = self.today();
        let file = super::file::CaseFile::load(&self.db, case.id).await?;
        let already_open = file.hearing_facts(today).is_some();
        self.permit(actor, &visible, CaseAction::OpenHearing { already_open })
            .await?;
        let rule = def
            .hearing
            .as_ref()
            .ok_or(EngineError::NotFound { what: "hearing" })?;
        let deadline =
            deadline.unwrap_or_else(|| def.calendar.add_working_days(today, rule.answer_days));
        if let Some(problem) = crate::domain::calendar::date_problem("deadline", deadline) {
            return Err(EngineError::Invalid(vec![problem]));
        }
        if deadline <= today {
            return Err(EngineError::invalid(
                "deadline",
                "the deadline must be after today",
            ));
        }
        let kinds: Vec<&str> = rule
            .parties
            .iter()
            .filter_map(|p| kind_of_party(p))
            .collect();
        let chosen = parties;
        let mut select =
            organisation::Entity::find().filter(organisation::Column::RegionId.eq(case.region_id));
        select = match chosen {
            Some(ids) => select.filter(organisation::Column::Id.is_in(ids.iter().copied())),
            None => select.filter(organisation::Column::Kind.is_in(kinds)),
        };
        let parties = select
            .order_by_asc(organisation::Column::Name)
            .all(&self.db)
            .await?;
        if let Some(unknown) =
            chosen.and_then(|ids| ids.iter().find(|id| !parties.iter().any(|p| p.id == **id)))
        {
            return Err(EngineError::invalid(
                "parties",
                format!("organisation {unknown} is not a party in the case's region"),
            ));
        }
        if parties.is_empty() {
            return Err(EngineError::invalid(
                "parties",
                "the region has no organisations of the kinds the workflow hears",
            ));
        }
        let (_, links) = self
            .commit_change(
                Some(actor.user_id),
                case,
                Change::of_facts(),
                async |txn, now| {
                    let opened = hearing::ActiveModel {
                        case_id: Set(case.id),
                        opened_by: Set(actor.user_id),
                        opened_at: Set(now),
                        deadline: Set(deadline),
                        quorum: Set(rule.quorum.stored()),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                    let mut links = Vec::with_capacity(parties.len());
                    for party in &parties {
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
                        deadline,
                        quorum: rule.quorum.stored(),
                        parties: parties.iter().map(|p| p.name.clone()).collect(),
                    };
                    // Each heard party gets its personal link by mail, in the same transaction.
                    let invitations = parties
                        .iter()
                        .cloned()
                        .zip(links.iter().map(|l| l.token.clone()))
                        .collect();
                    Ok(Written {
                        event,
                        mails: Mails::Invitations(invitations),
                        value: links,
                    })
                },
            )
            .await?;
        let hearing = self
            .hearing(actor, case.id)
            .await?
            .ok_or(EngineError::NotFound { what: "hearing" })?;
        Ok(OpenedHearing { hearing, links })
    }

    /// The case's current hearing with every party's answer, if one is open or was held.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the case.
    pub async fn hearing(
        &self,
        actor: &Actor,
        case_id: i64,
    ) -> Result<Option<HearingView>, EngineError> {
        self.visible(actor, case_id).await?;
        let file = super::file::CaseFile::load(&self.db, case_id).await?;
        self.hearing_of(case_id, &file).await
    }

    /// The hearing in a loaded case file, with its parties' names.
    pub(super) async fn hearing_of(
        &self,
        case_id: i64,
        file: &super::file::CaseFile,
    ) -> Result<Option<HearingView>, EngineError> {
        let Some((hearing, parties)) = &file.hearing else {
            return Ok(None);
        };
        let orgs = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(parties.iter().map(|p| p.organisation_id)))
            .all(&self.db)
            .await?;
        let party_views: Vec<HearingPartyView> = parties
            .iter()
            .map(|p| {
                let org = orgs.iter().find(|o| o.id == p.organisation_id);
                HearingPartyView {
                    party: PartyRef {
                        id: p.organisation_id,
                        name: org.map(|o| o.name.clone()).unwrap_or_default(),
                        kind: org.map(|o| o.kind.clone()).unwrap_or_default(),
                    },
                    answer: p.answer.as_deref().and_then(HearingAnswer::parse),
                    text: p.answer_text.clone(),
                    answered_at: p.answered_at,
                }
            })
            .collect();
        let today = self.today();
        let quorum = Quorum::from_stored(&hearing.quorum);
        let facts = crate::workflow::guard::HearingFacts {
            parties: u32::try_from(parties.len()).unwrap_or(u32::MAX),
            answered: u32::try_from(parties.iter().filter(|p| p.answer.is_some()).count())
                .unwrap_or(u32::MAX),
            deadline: hearing.deadline,
            deadline_passed: today > hearing.deadline,
            quorum,
        };
        Ok(Some(HearingView {
            id: hearing.id,
            case_id,
            deadline: hearing.deadline,
            quorum: hearing.quorum.clone(),
            answered: party_views.iter().filter(|p| p.answer.is_some()).count(),
            parties: party_views,
            quorum_met: facts.quorum_met(),
            closed: facts.closed(),
        }))
    }

    /// What the holder of a hearing link sees.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for an unknown token.
    pub async fn hearing_invitation(&self, token: &str) -> Result<HearingInvitation, EngineError> {
        let (party, hearing, case) = self.by_token(token).await?;
        self.invitation(&party, &hearing, &case).await
    }

    pub(super) async fn by_token(
        &self,
        token: &str,
    ) -> Result<(hearing_party::Model, hearing::Model, handover_case::Model), EngineError> {
        const NOT_FOUND: EngineError = EngineError::NotFound {
            what: "hearing link",
        };
        let party = hearing_party::Entity::find()
            .filter(hearing_party::Column::TokenHash.eq(token_hash(token)))
            .one(&self.db)
            .await?
            .ok_or(NOT_FOUND)?;
        let hearing = hearing::Entity::find_by_id(party.hearing_id)
            .one(&self.db)
            .await?
            .ok_or(NOT_FOUND)?;
        let case = handover_case::Entity::find_by_id(hearing.case_id)
            .one(&self.db)
            .await?
            .ok_or(NOT_FOUND)?;
        Ok((party, hearing, case))
    }

    /// Whether answers are still accepted: the hearing is the case's current one, in the hearing
    /// state, and the deadline has not passed.
    async fn accepts_answers(
        &self,
        hearing: &hearing::Model,
        case: &handover_case::Model,
    ) -> Result<bool, EngineError> {
        let def = self.definition_of(case)?;
        let in_hearing = Self::state_of(def, case)?.stage == Stage::Hearing;
        let file = super::file::CaseFile::load(&self.db, case.id).await?;
        let current = file
            .hearing
            .as_ref()
            .is_some_and(|(h, _)| h.id == hearing.id)
            && file.hearing_facts(self.today()).is_some();
        Ok(in_hearing && current && self.today() <= hearing.deadline)
    }

    async fn invitation(
        &self,
        party: &hearing_party::Model,
        hearing: &hearing::Model,
        case: &handover_case::Model,
    ) -> Result<HearingInvitation, EngineError> {
        let org = organisation::Entity::find_by_id(party.organisation_id)
            .one(&self.db)
            .await?
            .ok_or(EngineError::NotFound { what: "party" })?;
        let region = region::Entity::find_by_id(case.region_id)
            .one(&self.db)
            .await?
            .ok_or(EngineError::NotFound { what: "region" })?;
        Ok(HearingInvitation {
            case_number: case.number.clone(),
            case_title: case.title.clone(),
            region_name: region.name,
            party: PartyRef {
                id: org.id,
                name: org.name,
                kind: org.kind,
            },
            deadline: hearing.deadline,
            open: self.accepts_answers(hearing, case).await?,
            answer: party.answer.as_deref().and_then(HearingAnswer::parse),
            text: party.answer_text.clone(),
        })
    }

    /// Records the answer given through a party's personal link.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for an unknown token; [`EngineError::Invalid`] for a late
    /// answer or a missing text.
    pub async fn answer_hearing_by_link(
        &self,
        token: &str,
        answer: HearingAnswer,
        text: Option<&str>,
    ) -> Result<HearingInvitation, EngineError> {
        let (party, hearing, case) = self.by_token(token).await?;
        self.answer_by_link(&party, &hearing, &case, answer, text)
            .await
    }

    /// Records an answer through a link over the party as the caller read it: the write is
    /// conditional on that answer, so a caller that checked "not answered yet" cannot
    /// overwrite an answer that came in after its check.
    pub(crate) async fn answer_by_link(
        &self,
        party: &hearing_party::Model,
        hearing: &hearing::Model,
        case: &handover_case::Model,
        answer: HearingAnswer,
        text: Option<&str>,
    ) -> Result<HearingInvitation, EngineError> {
        self.record_answer(party, hearing, case, answer, text, None)
            .await?;
        let party = hearing_party::Entity::find_by_id(party.id)
            .one(&self.db)
            .await?
            .ok_or(EngineError::NotFound { what: "party" })?;
        self.invitation(&party, hearing, case).await
    }

    /// Records the answer of the actor's own organisation.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] when the actor's organisation is not heard; otherwise as
    /// [`Engine::answer_hearing_by_link`].
    pub async fn answer_hearing_as_member(
        &self,
        actor: &Actor,
        case_id: i64,
        answer: HearingAnswer,
        text: Option<&str>,
    ) -> Result<HearingView, EngineError> {
        self.visible(actor, case_id).await?;
        let organisation = app_user::Entity::find_by_id(actor.user_id)
            .one(&self.db)
            .await?
            .and_then(|u| u.organisation_id);
        let file = super::file::CaseFile::load(&self.db, case_id).await?;
        let Some((hearing, parties)) = &file.hearing else {
            return Err(EngineError::invalid("case_id", "the case has no hearing"));
        };
        let Some(party) = parties
            .iter()
            .find(|p| Some(p.organisation_id) == organisation)
        else {
            return Err(EngineError::Forbidden {
                action: "answering this hearing (your organisation is not heard)".into(),
                needed: vec![],
            });
        };
        let case = handover_case::Entity::find_by_id(case_id)
            .one(&self.db)
            .await?
            .ok_or(EngineError::NotFound { what: "case" })?;
        self.record_answer(party, hearing, &case, answer, text, Some(actor.user_id))
            .await?;
        self.hearing(actor, case_id)
            .await?
            .ok_or(EngineError::NotFound { what: "hearing" })
    }

    async fn record_answer(
        &self,
        party: &hearing_party::Model,
        hearing: &hearing::Model,
        case: &handover_case::Model,
        answer: HearingAnswer,
        text: Option<&str>,
        user: Option<i64>,
    ) -> Result<(), EngineError> {
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        let mut problems = Vec::new();
        if !self.accepts_answers(hearing, case).await? {
            problems.push(FieldError::new(
                "answer",
                format!(
                    "the hearing closed on {}; answers are no longer accepted",
                    hearing.deadline
                ),
            ));
        }
        if answer != HearingAnswer::Agree && text.is_none() {
            problems.push(FieldError::new("text", "write your remarks or objection"));
        }
        if text.is_some_and(|t| t.chars().count() > MAX_ANSWER_CHARS) {
            problems.push(FieldError::new(
                "text",
                format!("at most {MAX_ANSWER_CHARS} characters; attach a document for more"),
            ));
        }
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems));
        }
        // Written only over the answer this request saw, so two answers sent at once never
        // both count: the later one is refused and can be sent again knowingly.
        let unchanged = match &party.answer {
            Some(seen) => hearing_party::Column::Answer.eq(seen.as_str()),
            None => hearing_party::Column::Answer.is_null(),
        };
        self.commit_change(user, case, Change::of_facts(), async |txn, now| {
            let written = hearing_party::Entity::update_many()
                .col_expr(hearing_party::Column::Answer, Expr::value(answer.as_str()))
                .col_expr(
                    hearing_party::Column::AnswerText,
                    Expr::value(text.map(str::to_owned)),
                )
                .col_expr(hearing_party::Column::AnsweredAt, Expr::value(now))
                .col_expr(hearing_party::Column::AnsweredBy, Expr::value(user))
                .filter(hearing_party::Column::Id.eq(party.id))
                .filter(unchanged)
                .exec(txn)
                .await?;
            if written.rows_affected == 0 {
                // Nothing is committed: the transaction rolls back as it is dropped.
                return Err(EngineError::invalid(
                    "answer",
                    "the answer was changed by someone else just now; reload the page to see it",
                ));
            }
            Ok(Written::event(CaseEvent::HearingAnswered {
                comment: text.map(str::to_owned),
                hearing: hearing.id,
                party_id: party.organisation_id,
                answer,
                via: if user.is_some() {
                    AnsweredVia::Member
                } else {
                    AnsweredVia::Link
                },
                previous: party.answer.as_deref().and_then(HearingAnswer::parse),
            }))
        })
        .await?;
        Ok(())
    }
}

impl Engine {
    /// The deadline of the case's open hearing and the heard organisations that have not
    /// answered, if a hearing is open.
    ///
    /// # Errors
    /// A database error.
    pub(crate) async fn open_hearing_parties(
        &self,
        case: &handover_case::Model,
        today: NaiveDate,
    ) -> Result<Option<(NaiveDate, Vec<i64>)>, EngineError> {
        let file = super::file::CaseFile::load(&self.db, case.id).await?;
        let Some(facts) = file.hearing_facts(today) else {
            return Ok(None);
        };
        let Some((hearing, parties)) = &file.hearing else {
            return Ok(None);
        };
        if facts.closed() || facts.deadline_passed {
            return Ok(None);
        }
        Ok(Some((
            hearing.deadline,
            parties
                .iter()
                .filter(|p| p.answer.is_none())
                .map(|p| p.organisation_id)
                .collect(),
        )))
    }
}
