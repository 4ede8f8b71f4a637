//! How often SQLite's trigram index merges its segments.
//!
//! FTS5 writes every change of a case's search text as a small segment of its own and merges
//! them as they pile up. With its default (`automerge` 4) a level is merged as soon as four
//! segments wait, so a description is rewritten many times over as the index grows: filling an
//! empty database with cases fell from 480 to 117 durable steps per second within 16,000
//! cases, with a quarter of the time in FTS5's merges. With 16 the same database went on at
//! 860 steps per second (docs/PERFORMANCE.md, "Scale"). A search then reads more, smaller
//! segments; the scale run measures that too. PostgreSQL's GIN index has no such setting.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// FTS5 keeps the setting in the index itself, so it holds for every connection.
fn automerge(segments: u8) -> String {
    format!(
        "INSERT INTO handover_case_search(handover_case_search, rank) VALUES ('automerge', {segments})"
    )
}

async fn set_automerge(manager: &SchemaManager<'_>, segments: u8) -> Result<(), DbErr> {
    if manager.get_database_backend() == DatabaseBackend::Sqlite {
        manager
            .get_connection()
            .execute_unprepared(&automerge(segments))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_automerge(manager, 16).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_automerge(manager, 4).await
    }
}
