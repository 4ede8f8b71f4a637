//! Revising the professional description: every revision kept, each changed field journaled.

use super::file::{CaseFile, Parts};
use super::view::CaseView;
use super::view::Committed;
use super::write::{Change, Written};
use super::{CaseRowChanges, Engine};
use crate::actor::Actor;
use crate::domain::description::ProfessionalDescription;
use crate::error::{EngineError, FieldError};
use crate::journal_event::{CaseEvent, FieldChange};
use crate::policy::case::CaseAction;
use crate::storage::entity::{description_revision, handover_case};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

/// The fields that differ between two descriptions, each with its old and new value.
fn changed_fields(
    old: &ProfessionalDescription,
    new: &ProfessionalDescription,
) -> Vec<FieldChange> {
    let (serde_json::Value::Object(old), serde_json::Value::Object(new)) = (json!(old), json!(new))
    else {
        return Vec::new();
    };
    new.iter()
        .filter(|(key, value)| old.get(*key) != Some(value))
        .map(|(key, value)| FieldChange {
            field: key.clone(),
            old: old.get(key).cloned().unwrap_or_default(),
            new: value.clone(),
        })
        .collect()
}

impl Engine {
    /// Stores a new revision of the professional description; every revision is kept, and the
    /// journal records each changed field with its old and new value.
    ///
    /// # Errors
    /// [`EngineError::NotEditable`] outside the states that allow it; [`EngineError::Forbidden`]
    /// for the wrong role; [`EngineError::Invalid`] for fields over their limits;
    /// [`EngineError::Conflict`] on a stale version.
    pub async fn revise_description(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        description: ProfessionalDescription,
    ) -> Result<CaseView, EngineError> {
        self.commit_description(actor, case_id, expected_version, description)
            .await?;
        self.case(actor, case_id).await
    }

    /// As [`Engine::revise_description`], answering only what was committed.
    ///
    /// # Errors
    /// As [`Engine::revise_description`].
    pub async fn commit_description(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        description: ProfessionalDescription,
    ) -> Result<Committed, EngineError> {
        let visible = self
            .permitted_at(
                actor,
                case_id,
                expected_version,
                CaseAction::EditDescription,
            )
            .await?;
        let case = &visible.case;
        let violations = description.limit_violations();
        if !violations.is_empty() {
            return Err(EngineError::Invalid(
                violations
                    .into_iter()
                    .map(|(f, m)| FieldError::new(f, m.en, m.da))
                    .collect(),
            ));
        }
        let file = CaseFile::load_parts(&self.db, case.id, Parts::DESCRIPTION).await?;
        let previous = file
            .description
            .as_ref()
            .map(|(_, d)| d.clone())
            .unwrap_or_default();
        let changes = changed_fields(&previous, &description);
        if changes.is_empty() && file.description.is_some() {
            return Ok(Committed::of(case));
        }
        let revision = file.description.as_ref().map_or(1, |(r, _)| r.revision + 1);
        let content = serde_json::to_string(&description).map_err(|e| {
            let text = e.to_string();
            EngineError::invalid("description", text.clone(), text)
        })?;
        let searchable = super::list::search_text(&case.title, &description.texts());
        let change = Change {
            row: CaseRowChanges::none().set(handover_case::Column::SearchText, searchable),
            ..Change::at(expected_version)
        };
        let event = CaseEvent::DescriptionRevised { revision, changes };
        let (committed, ()) = self
            .commit_change(Some(actor.user_id), case, change, async |txn, now| {
                description_revision::ActiveModel {
                    case_id: Set(case.id),
                    revision: Set(revision),
                    author_user_id: Set(actor.user_id),
                    content: Set(content),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                Ok(Written::event(event))
            })
            .await?;
        Ok(committed)
    }
}
