//! A case's councils (sundhedsråd, from 2027): those whose areas hold its giving, receiving or
//! heard municipalities; for a case with no municipal party, those the secretariat chose, with
//! a reason, journaled.

use super::file::{CaseFile, Parts};
use super::view::CaseView;
use super::write::{Change, Written};
use super::{CaseAction, Engine};
use crate::actor::Actor;
use crate::councils::CouncilRef;
use crate::error::{EngineError, FieldError};
use crate::journal_event::CaseEvent;
use crate::storage::entity::{case_council, council, handover_case};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeSet;

impl Engine {
    /// Chooses the councils of a case that has no municipal party, and says why.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the secretariat; [`EngineError::Invalid`]
    /// for a case whose municipal parties give it its councils, a council of another region, no
    /// council, or no reason; [`EngineError::Conflict`] on a stale version.
    pub async fn choose_councils(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        council_ids: &[i64],
        reason: &str,
    ) -> Result<CaseView, EngineError> {
        let visible = self.visible_at(actor, case_id, expected_version).await?;
        let case = &visible.case;
        // The heard parties count too: a hearing of municipalities gives their councils.
        let parts = Parts {
            hearing: true,
            ..Parts::NONE
        };
        let file = CaseFile::load_parts(&self.db, case.id, parts).await?;
        let action = CaseAction::ChooseCouncils {
            municipal_party: self.has_municipal_party(case, &file).await?,
        };
        self.permit(actor, &visible, action).await?;
        let chosen: BTreeSet<i64> = council_ids.iter().copied().collect();
        let councils: Vec<CouncilRef> = council::Entity::find()
            .filter(council::Column::Id.is_in(chosen.iter().copied()))
            .filter(council::Column::RegionId.eq(case.region_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| CouncilRef {
                id: c.id,
                name: c.name,
            })
            .collect();
        let mut problems = Vec::new();
        if chosen.is_empty() {
            problems.push(FieldError::new(
                "council_ids",
                "choose at least one of the region's councils",
                "vælg mindst ét af regionens sundhedsråd",
            ));
        }
        if let Some(unknown) = chosen
            .iter()
            .find(|id| !councils.iter().any(|c| c.id == **id))
        {
            problems.push(FieldError::new(
                "council_ids",
                format!("council {unknown} is not one of the case's region's councils"),
                format!("sundhedsråd {unknown} er ikke et af sagens regions sundhedsråd"),
            ));
        }
        problems.extend(crate::policy::councils::reason_problem(reason));
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems));
        }
        let event = CaseEvent::CouncilsChosen {
            councils,
            reason: reason.trim().to_owned(),
        };
        self.commit_change(
            Some(actor.user_id),
            case,
            Change::at(expected_version),
            async |txn, _| {
                case_council::Entity::delete_many()
                    .filter(case_council::Column::CaseId.eq(case.id))
                    .exec(txn)
                    .await?;
                case_council::Entity::insert_many(chosen.iter().map(|id| {
                    case_council::ActiveModel {
                        case_id: sea_orm::Set(case.id),
                        council_id: sea_orm::Set(*id),
                        ..Default::default()
                    }
                }))
                .exec_without_returning(txn)
                .await?;
                Ok(Written::event(event))
            },
        )
        .await?;
        self.case(actor, case_id).await
    }

    /// What the guards and the council stage read of the case in `state`: its file's facts,
    /// and in the council stage its councils.
    pub(super) async fn facts_of(
        &self,
        case: &handover_case::Model,
        file: &CaseFile,
        state: &crate::workflow::State,
    ) -> Result<crate::workflow::guard::CaseFacts, EngineError> {
        let mut facts = file.facts(case, self.today());
        if state.stage == crate::workflow::Stage::Council {
            facts.councils = self
                .councils_of_case(case, file)
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect();
        }
        Ok(facts)
    }

    /// The case's councils still to recommend, when it is in the council stage; none otherwise.
    pub(super) async fn councils_awaited(
        &self,
        case: &handover_case::Model,
        state: &crate::workflow::State,
    ) -> Result<BTreeSet<i64>, EngineError> {
        if state.stage != crate::workflow::Stage::Council {
            return Ok(BTreeSet::new());
        }
        let parts = Parts {
            hearing: true,
            recommendations: true,
            ..Parts::NONE
        };
        let file = CaseFile::load_parts(&self.db, case.id, parts).await?;
        let facts = self.facts_of(case, &file, state).await?;
        Ok(facts.awaited_councils().collect())
    }

    /// The case's councils: from its municipal parties, or else those the secretariat chose.
    /// Whether a municipality is among the case's parties (giving, receiving or heard), whose
    /// area gives the case its councils.
    pub(super) async fn has_municipal_party(
        &self,
        case: &handover_case::Model,
        file: &CaseFile,
    ) -> Result<bool, EngineError> {
        Ok(!self
            .councils_of(super::read::case_parties(case, file))
            .await?
            .is_empty())
    }

    pub(crate) async fn councils_of_case(
        &self,
        case: &handover_case::Model,
        file: &CaseFile,
    ) -> Result<Vec<CouncilRef>, EngineError> {
        let derived = self
            .councils_of(super::read::case_parties(case, file))
            .await?;
        if !derived.is_empty() {
            return Ok(derived);
        }
        let chosen: Vec<i64> = case_council::Entity::find()
            .filter(case_council::Column::CaseId.eq(case.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| c.council_id)
            .collect();
        self.council_refs(chosen).await
    }
}
