//! How a case is filed: open or closed to the public, its KLE classification, and each party's
//! own ESDH case number, so every party can journalise it in its own system.

use super::Engine;
use super::view::{CaseView, PartyRef};
use super::write::{Change, Written};
use crate::actor::Actor;
use crate::domain::text::Label;
use crate::error::{EngineError, FieldError};
use crate::journal_event::{CaseEvent, ClassificationChange};
use crate::policy::case::CaseAction;
use crate::storage::entity::{external_reference, handover_case, organisation};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

/// A party's own reference for the case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ExternalReferenceView {
    pub party: PartyRef,
    pub reference: String,
}

/// Checks a KLE number: `NN.NN.NN`, optionally with a handling facet such as `G01`.
pub fn kle_problem(kle: &str) -> Option<Label> {
    let (number, facet) = kle.split_at(kle.len().min(8));
    let groups: Vec<&str> = number.split('.').collect();
    let number_ok = groups.len() == 3
        && groups
            .iter()
            .all(|g| g.len() == 2 && g.chars().all(|c| c.is_ascii_digit()));
    let facet_ok = facet.is_empty()
        || (facet.len() == 3
            && facet.starts_with(|c: char| c.is_ascii_uppercase())
            && facet[1..].chars().all(|c| c.is_ascii_digit()));
    (!(number_ok && facet_ok)).then(|| {
        Label::new(
            format!("»{kle}« er ikke et KLE-nummer; skriv det som NN.NN.NN, eventuelt med en facet, fx 29.30.00G01"),
            format!("`{kle}` is not a KLE number; write it as NN.NN.NN, optionally with a facet, e.g. 29.30.00G01"),
        )
    })
}

impl Engine {
    /// Sets whether the case is open to the public and its KLE classification.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the secretariat; [`EngineError::Invalid`]
    /// for a malformed KLE number; [`EngineError::Conflict`] on a stale version.
    pub async fn classify(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        public: bool,
        kle: Option<&str>,
    ) -> Result<CaseView, EngineError> {
        let visible = self
            .permitted_at(actor, case_id, expected_version, CaseAction::Classify)
            .await?;
        let case = &visible.case;
        let kle = kle
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned);
        if let Some(problem) = kle.as_deref().and_then(kle_problem) {
            return Err(EngineError::invalid("kle", problem.en, problem.da));
        }
        let mut changes = Vec::new();
        if case.public != public {
            changes.push(ClassificationChange::Public {
                old: case.public,
                new: public,
            });
        }
        if case.kle != kle {
            changes.push(ClassificationChange::Kle {
                old: case.kle.clone(),
                new: kle.clone(),
            });
        }
        if changes.is_empty() {
            return self.case(actor, case_id).await;
        }
        let change = Change {
            row: super::CaseRowChanges::none()
                .set(handover_case::Column::Public, public)
                .set(handover_case::Column::Kle, kle),
            ..Change::at(expected_version)
        };
        let event = CaseEvent::Classified { changes };
        self.commit_change(Some(actor.user_id), case, change, async |_, _| {
            Ok(Written::event(event))
        })
        .await?;
        self.case(actor, case_id).await
    }

    /// Records a party's own ESDH case number for the case. A member of that organisation or
    /// the secretariat may record it.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] for anyone else; [`EngineError::Invalid`] for an unknown party
    /// or an unusable reference; [`EngineError::Conflict`] on a stale version.
    pub async fn record_external_reference(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        party_id: i64,
        reference: &str,
    ) -> Result<CaseView, EngineError> {
        let visible = self.visible_at(actor, case_id, expected_version).await?;
        let case = &visible.case;
        let reference = reference.trim();
        let party = organisation::Entity::find_by_id(party_id)
            .one(&self.db)
            .await?
            .filter(|o| o.region_id == case.region_id);
        let Some(party) = party else {
            return Err(EngineError::invalid(
                "party_id",
                format!("organisation {party_id} is not a party in the case's region"),
                format!("organisation {party_id} er ikke en part i sagens region"),
            ));
        };
        let action = CaseAction::RecordReference { party_id: party.id };
        self.permit(actor, &visible, action).await?;
        if reference.is_empty()
            || reference.chars().count() > 100
            || reference.chars().any(char::is_control)
        {
            return Err(EngineError::Invalid(vec![FieldError::new(
                "reference",
                "write the case number as it appears in your ESDH system, 1 to 100 characters",
                "skriv sagsnummeret, som det står i jeres ESDH-system, med 1 til 100 tegn",
            )]));
        }
        let existing = external_reference::Entity::find()
            .filter(external_reference::Column::CaseId.eq(case.id))
            .filter(external_reference::Column::OrganisationId.eq(party.id))
            .one(&self.db)
            .await?;
        if existing.as_ref().is_some_and(|e| e.reference == reference) {
            return self.case(actor, case_id).await;
        }
        let event = CaseEvent::ExternalReferenceRecorded {
            party_id: party.id,
            party: party.name.clone(),
            old: existing.map(|e| e.reference),
            new: reference.to_owned(),
        };
        let change = Change::at(expected_version);
        self.commit_change(Some(actor.user_id), case, change, async |txn, now| {
            external_reference::Entity::delete_many()
                .filter(external_reference::Column::CaseId.eq(case.id))
                .filter(external_reference::Column::OrganisationId.eq(party.id))
                .exec(txn)
                .await?;
            external_reference::ActiveModel {
                case_id: Set(case.id),
                organisation_id: Set(party.id),
                reference: Set(reference.to_owned()),
                recorded_by: Set(actor.user_id),
                recorded_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            Ok(Written::event(event))
        })
        .await?;
        self.case(actor, case_id).await
    }

    pub(super) async fn external_references(
        &self,
        case_id: i64,
    ) -> Result<Vec<ExternalReferenceView>, EngineError> {
        let references = external_reference::Entity::find()
            .filter(external_reference::Column::CaseId.eq(case_id))
            .all(&self.db)
            .await?;
        let orgs = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(references.iter().map(|r| r.organisation_id)))
            .all(&self.db)
            .await?;
        Ok(references
            .into_iter()
            .filter_map(|r| {
                let org = orgs.iter().find(|o| o.id == r.organisation_id)?;
                Some(ExternalReferenceView {
                    party: PartyRef {
                        id: org.id,
                        name: org.name.clone(),
                        kind: org.kind.clone(),
                    },
                    reference: r.reference,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::kle_problem;

    #[test]
    fn kle_numbers_are_checked() {
        assert_eq!(kle_problem("29.30.00"), None);
        assert_eq!(kle_problem("29.30.00G01"), None);
        assert!(kle_problem("29.3.00").is_some());
        assert!(kle_problem("293000").is_some());
        assert!(kle_problem("29.30.00X").is_some());
    }
}
