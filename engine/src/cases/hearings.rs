//! Hearings of affected parties. The secretariat opens one with the parties the workflow names
//! and a deadline; each party answers by its personal link (no account needed) or as a
//! logged-in member of the organisation. Answers after the deadline are refused.

use super::Engine;
use super::view::PartyRef;
use super::write::{Change, Written};
use crate::actor::Actor;
use crate::domain::economics::hex;
use crate::error::{EngineError, FieldError};
use crate::journal_event::{AnsweredVia, CaseEvent};
use crate::storage::entity::{
    app_user, handover_case, hearing, hearing_party, organisation, region,
};
use crate::workflow::Stage;
use crate::workflow::guard::HearingFacts;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
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
    /// The day the hearing closed: the day of the last answer when every party answered
    /// before the deadline, else the deadline; null while it is open.
    pub closed_on: Option<NaiveDate>,
    /// The case's version now, so a client that just answered need not read the case again.
    pub case_version: i32,
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
    /// The day the hearing closed (see [`HearingView::closed_on`]); null while it is open.
    pub closed_on: Option<NaiveDate>,
    pub answer: Option<HearingAnswer>,
    pub text: Option<String>,
}

/// The day a closed hearing closed: the Danish day of the last answer when everyone answered
/// by the deadline, else the deadline itself.
fn closed_on(facts: &HearingFacts, parties: &[hearing_party::Model]) -> Option<NaiveDate> {
    if !facts.closed() {
        return None;
    }
    let last_answer = parties
        .iter()
        .filter_map(|p| p.answered_at)
        .max()
        .map(crate::domain::calendar::danish_date);
    Some(match last_answer {
        Some(day) if facts.answered >= facts.parties && day <= facts.deadline => day,
        _ => facts.deadline,
    })
}

pub(super) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.trim().as_bytes()))
}

pub(super) fn kind_of_party(spec: &str) -> Option<&'static str> {
    match spec {
        "municipalities" => Some("municipality"),
        "general_practice" => Some("general_practice"),
        "hospitals" => Some("hospital"),
        _ => None,
    }
}

impl Engine {
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
        let case_version = handover_case::Entity::find_by_id(case_id)
            .select_only()
            .column(handover_case::Column::Version)
            .into_tuple::<i32>()
            .one(&self.db)
            .await?
            .ok_or(EngineError::NotFound { what: "case" })?;
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
        let facts = super::file::hearing_facts_of(hearing, parties, self.today());
        Ok(Some(HearingView {
            id: hearing.id,
            case_id,
            deadline: hearing.deadline,
            quorum: hearing.quorum.clone(),
            answered: party_views.iter().filter(|p| p.answer.is_some()).count(),
            parties: party_views,
            quorum_met: facts.quorum_met(),
            closed: facts.closed(),
            closed_on: closed_on(&facts, parties),
            case_version,
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
        let heard = hearing_party::Entity::find()
            .filter(hearing_party::Column::HearingId.eq(hearing.id))
            .all(&self.db)
            .await?;
        let open = self.accepts_answers(hearing, case).await?;
        let closed_on = closed_on(
            &super::file::hearing_facts_of(hearing, &heard, self.today()),
            &heard,
        )
        .or_else(|| (!open).then_some(hearing.deadline));
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
            open,
            closed_on,
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
            return Err(EngineError::invalid(
                "case_id",
                "the case has no hearing",
                "sagen har ingen høring",
            ));
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
                format!(
                    "høringen sluttede {}; der modtages ikke flere svar",
                    crate::render::danish::danish_date(hearing.deadline)
                ),
            ));
        }
        if answer != HearingAnswer::Agree && text.is_none() {
            problems.push(FieldError::new(
                "text",
                "write your remarks or objection",
                "skriv jeres bemærkninger eller indsigelse",
            ));
        }
        if text.is_some_and(|t| t.chars().count() > MAX_ANSWER_CHARS) {
            problems.push(FieldError::new(
                "text",
                format!("at most {MAX_ANSWER_CHARS} characters; attach a document for more"),
                format!("højst {MAX_ANSWER_CHARS} tegn; vedhæft et dokument, hvis der er mere"),
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
                    "svaret er netop blevet ændret af en anden; genindlæs siden for at se det",
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
