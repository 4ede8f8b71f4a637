//! Stored workflow definitions: a case points at the exact version it started on, and a
//! version's content may never change once stored.

use crate::error::EngineError;
use crate::storage::entity::workflow_definition;
use crate::workflow::WorkflowSet;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::collections::BTreeMap;

/// (region, key, version) of a definition.
pub type DefinitionKey = (String, String, u32);

/// Stores every definition of `set` not yet stored, and returns the ids of all of them.
///
/// # Errors
/// [`EngineError::DefinitionChanged`] when a stored version has different content: raise the
/// version in the file instead of editing one that cases may be using.
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
                return Err(EngineError::DefinitionChanged {
                    file: def.file.clone(),
                    version: def.version,
                });
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
