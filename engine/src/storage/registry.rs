//! Stored workflow definitions: a case points at the exact version it started on, and a
//! version's content may never change once stored.

use crate::error::EngineError;
use crate::storage::entity::{handover_case, workflow_definition};
use crate::workflow::WorkflowSet;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};
use std::collections::BTreeMap;

/// (region, key, version) of a definition.
pub type DefinitionKey = (String, String, u32);

/// Stores every definition of `set` not yet stored, and returns the ids of all of them.
///
/// # Errors
/// [`EngineError::DefinitionChanged`] when a stored version that cases use has different
/// content, beyond the end of its validity: raise the version in the file instead.
pub async fn register(
    db: &DatabaseConnection,
    set: &WorkflowSet,
    now: DateTime<Utc>,
) -> Result<BTreeMap<DefinitionKey, i64>, EngineError> {
    let mut ids = BTreeMap::new();
    for def in set.definitions() {
        let version = i32::try_from(def.version).unwrap_or(i32::MAX);
        let stored = workflow_definition::Entity::find()
            .filter(workflow_definition::Column::Region.eq(def.region.as_str()))
            .filter(workflow_definition::Column::Key.eq(def.key.as_str()))
            .filter(workflow_definition::Column::Version.eq(version))
            .one(db)
            .await?;
        let id = match stored {
            Some(stored) if stored.content_hash != def.content_hash => {
                if !may_replace(db, &stored, &def.source).await? {
                    return Err(EngineError::DefinitionChanged {
                        file: def.file.clone(),
                        version: def.version,
                    });
                }
                tracing::info!(file = %def.file, version = def.version, "a stored workflow version's content was replaced");
                let id = stored.id;
                let mut replaced: workflow_definition::ActiveModel = stored.into();
                replaced.content_hash = Set(def.content_hash.clone());
                replaced.content = Set(def.source.clone());
                replaced.update(db).await?;
                id
            }
            Some(stored) => stored.id,
            None => {
                let inserted = workflow_definition::ActiveModel {
                    region: Set(def.region.to_string()),
                    key: Set(def.key.clone()),
                    version: Set(version),
                    content_hash: Set(def.content_hash.clone()),
                    content: Set(def.source.clone()),
                    registered_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                inserted.id
            }
        };
        ids.insert((def.region.to_string(), def.key.clone(), def.version), id);
    }
    Ok(ids)
}

/// Whether a stored version's content may be replaced by `source`: when no case has started on
/// it (a version not yet in force, such as a 2027 model before 2027), or when the change only
/// ends its validity (`valid_to`), which decides where new cases start and nothing about the
/// cases already on it.
async fn may_replace(
    db: &DatabaseConnection,
    stored: &workflow_definition::Model,
    source: &str,
) -> Result<bool, EngineError> {
    let in_use = handover_case::Entity::find()
        .filter(handover_case::Column::WorkflowId.eq(stored.id))
        .count(db)
        .await?
        > 0;
    Ok(!in_use || same_but_validity(&stored.content, source))
}

/// Whether two definition files say the same once `[workflow].valid_to` is set aside.
fn same_but_validity(old: &str, new: &str) -> bool {
    let without_end = |text: &str| {
        let mut table: toml::Table = text.parse().ok()?;
        if let Some(toml::Value::Table(workflow)) = table.get_mut("workflow") {
            workflow.remove("valid_to");
        }
        Some(table)
    };
    matches!((without_end(old), without_end(new)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::same_but_validity;

    #[test]
    fn only_an_end_of_validity_counts_as_the_same_definition() {
        let old = "[workflow]\nkey = \"x\"\nvalid_from = 2024-01-01\n";
        let ended = "# ends with the reform\n[workflow]\nkey = \"x\"\nvalid_from = 2024-01-01\nvalid_to = 2026-12-31\n";
        assert!(same_but_validity(old, ended));
        let relabelled =
            "[workflow]\nkey = \"y\"\nvalid_from = 2024-01-01\nvalid_to = 2026-12-31\n";
        assert!(!same_but_validity(old, relabelled));
        let moved = "[workflow]\nkey = \"x\"\nvalid_from = 2025-01-01\n";
        assert!(!same_but_validity(old, moved));
    }
}
