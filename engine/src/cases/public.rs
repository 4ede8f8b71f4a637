//! The public register of a region's decided cases: readable by anyone, so it holds only cases
//! open to the public (`public`) that a body has decided — approved (and since implemented,
//! followed up or closed) or rejected — and only what may be published: number, title, the
//! parties (organisations), the decision and its date. No person is named.

use super::Engine;
use crate::domain::calendar::danish_date;
use crate::domain::text::Label;
use crate::error::EngineError;
use crate::storage::entity::{handover_case, journal_event, organisation, region};
use crate::workflow::Stage;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::BTreeMap;

/// A decided case as the public may read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicCase {
    pub number: String,
    pub title: String,
    pub giving_party: String,
    pub receiving_party: String,
    /// `approved` or `rejected`.
    pub outcome: &'static str,
    /// The transition that decided, e.g. `approve_with_conditions`.
    pub decision_id: String,
    /// The decision as the workflow names it, e.g. "Godkend med betingelser".
    pub decision: Label,
    /// The day the decision was taken (Danish time).
    pub decided_on: NaiveDate,
    /// Where the case stands now.
    pub state_label: Label,
}

/// The public register of one region, newest decision first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicRegister {
    pub region: String,
    pub region_name: String,
    pub cases: Vec<PublicCase>,
}

impl Engine {
    /// The decided cases of `region` that are open to the public. Anyone may read it.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for an unknown region.
    pub async fn public_register(&self, region: &str) -> Result<PublicRegister, EngineError> {
        let region = region::Entity::find()
            .filter(region::Column::Slug.eq(region.trim()))
            .one(&self.db)
            .await?
            .ok_or(EngineError::NotFound { what: "region" })?;
        // The public filter is part of the query: a closed case is never even loaded.
        let cases = handover_case::Entity::find()
            .filter(handover_case::Column::RegionId.eq(region.id))
            .filter(handover_case::Column::Public.eq(true))
            .all(&self.db)
            .await?;
        let mut decided = Vec::new();
        for case in cases {
            let def = self.definition_of(&case)?;
            let state = Self::state_of(def, &case)?;
            let outcome = if state.stage.is_approved() {
                "approved"
            } else if state.stage == Stage::Rejected {
                "rejected"
            } else {
                continue;
            };
            // The decision: the latest transition out of a deciding body's stage into the
            // decided one.
            let events = journal_event::Entity::find()
                .filter(journal_event::Column::CaseId.eq(case.id))
                .filter(journal_event::Column::Kind.eq(crate::journal_event::kind::TRANSITION))
                .order_by_desc(journal_event::Column::Seq)
                .all(&self.db)
                .await?;
            let decision = events.iter().find(|e| {
                let stage_of = |s: &Option<String>| {
                    s.as_deref()
                        .and_then(|s| def.state_by_str(s))
                        .map(|s| s.stage)
                };
                let from = stage_of(&e.from_state);
                let to = stage_of(&e.to_state);
                matches!(from, Some(Stage::SteeringGroup | Stage::Committee))
                    && to.is_some_and(|t| t.is_approved() || t == Stage::Rejected)
            });
            let Some(event) = decision else {
                // Rejected or approved without a body's decision (not in shipped workflows).
                continue;
            };
            let label = event
                .transition
                .as_deref()
                .and_then(|id| {
                    def.transitions
                        .iter()
                        .find(|t| t.id.as_str() == id)
                        .map(|t| t.label.clone())
                })
                .unwrap_or_else(|| state.label.clone());
            let decision = (
                event.transition.clone().unwrap_or_default(),
                label,
                danish_date(event.occurred_at),
            );
            decided.push((case, outcome, decision, state));
        }
        let party_ids: Vec<i64> = decided
            .iter()
            .flat_map(|(c, ..)| [c.giving_party_id, c.receiving_party_id])
            .collect();
        let names: BTreeMap<i64, String> = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(party_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
        let mut cases: Vec<PublicCase> = decided
            .into_iter()
            .map(
                |(case, outcome, (decision_id, decision, decided_on), state)| PublicCase {
                    giving_party: name(case.giving_party_id),
                    receiving_party: name(case.receiving_party_id),
                    number: case.number,
                    title: case.title,
                    outcome,
                    decision_id,
                    decision,
                    decided_on,
                    state_label: state.label.clone(),
                },
            )
            .collect();
        cases.sort_by(|a, b| {
            b.decided_on
                .cmp(&a.decided_on)
                .then_with(|| b.number.cmp(&a.number))
        });
        Ok(PublicRegister {
            region: region.slug,
            region_name: region.name,
            cases,
        })
    }
}
