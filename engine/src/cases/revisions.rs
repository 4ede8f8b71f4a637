//! The history of the professional description: every revision, and what changed between two.

use super::Engine;
use super::view::UserRef;
use crate::actor::Actor;
use crate::domain::description::{FIELDS, ProfessionalDescription};
use crate::error::EngineError;
use crate::storage::entity::description_revision;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RevisionSummary {
    pub revision: i32,
    pub author: UserRef,
    pub revised_at: DateTime<Utc>,
}

/// One field that differs between two revisions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub label: crate::domain::text::Label,
    pub old: String,
    pub new: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DescriptionDiff {
    pub from: i32,
    pub to: i32,
    pub changes: Vec<FieldChange>,
}

fn field_text(description: &ProfessionalDescription, key: &str) -> String {
    match serde_json::to_value(description)
        .ok()
        .and_then(|v| v.get(key).cloned())
    {
        Some(serde_json::Value::String(text)) => text,
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl Engine {
    async fn revisions_of(
        &self,
        actor: &Actor,
        case_id: i64,
    ) -> Result<Vec<description_revision::Model>, EngineError> {
        self.visible(actor, case_id).await?;
        Ok(description_revision::Entity::find()
            .filter(description_revision::Column::CaseId.eq(case_id))
            .order_by_asc(description_revision::Column::Revision)
            .all(&self.db)
            .await?)
    }

    /// Every revision of the description, oldest first.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the case.
    pub async fn description_revisions(
        &self,
        actor: &Actor,
        case_id: i64,
    ) -> Result<Vec<RevisionSummary>, EngineError> {
        let revisions = self.revisions_of(actor, case_id).await?;
        let users = self
            .user_refs(revisions.iter().map(|r| r.author_user_id).collect())
            .await?;
        Ok(revisions
            .into_iter()
            .map(|r| RevisionSummary {
                revision: r.revision,
                author: users.get(&r.author_user_id).cloned().unwrap_or(UserRef {
                    id: r.author_user_id,
                    name: String::new(),
                }),
                revised_at: r.created_at,
            })
            .collect())
    }

    /// The fields that differ between revisions `from` and `to`, in the description's order.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for a revision or case the actor cannot see.
    pub async fn description_diff(
        &self,
        actor: &Actor,
        case_id: i64,
        from: i32,
        to: i32,
    ) -> Result<DescriptionDiff, EngineError> {
        let revisions = self.revisions_of(actor, case_id).await?;
        let content = |n: i32| -> Result<ProfessionalDescription, EngineError> {
            let revision = revisions
                .iter()
                .find(|r| r.revision == n)
                .ok_or(EngineError::NotFound { what: "revision" })?;
            serde_json::from_str(&revision.content).map_err(|e| {
                EngineError::DefinitionMissing(format!("revision {n} is unreadable: {e}"))
            })
        };
        let (old, new) = (content(from)?, content(to)?);
        let changes = FIELDS
            .iter()
            .filter_map(|f| {
                let (before, after) = (field_text(&old, f.key), field_text(&new, f.key));
                (before != after).then(|| FieldChange {
                    field: f.key.to_owned(),
                    label: crate::domain::text::Label::new(f.da, f.en),
                    old: before,
                    new: after,
                })
            })
            .collect();
        Ok(DescriptionDiff { from, to, changes })
    }
}
