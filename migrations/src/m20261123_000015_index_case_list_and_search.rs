//! Indexes that keep the case list, its filters and its search fast with years of cases.
//!
//! Search finds any piece of text in a case's title and description, so a B-tree cannot serve
//! it. Each database gets a trigram index instead: on SQLite an FTS5 table with the trigram
//! tokenizer over `handover_case.search_text` (external content, kept in step by triggers, so
//! the text is stored once); on PostgreSQL a GIN index with `pg_trgm`, which serves `LIKE
//! '%…%'` directly.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    Id,
    RegionId,
    GivingPartyId,
    ReceivingPartyId,
}

/// The SQLite search table; the engine's list query names it too.
const SQLITE_SEARCH: &[&str] = &[
    // Case-sensitive, because the engine already lower-cases the text and the query; that
    // lets a search use GLOB, whose wildcards can be escaped inside the index, unlike LIKE's.
    "CREATE VIRTUAL TABLE handover_case_search USING fts5(search_text, content='handover_case', content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER handover_case_search_insert AFTER INSERT ON handover_case BEGIN \
        INSERT INTO handover_case_search(rowid, search_text) VALUES (new.id, new.search_text); \
     END",
    "CREATE TRIGGER handover_case_search_delete AFTER DELETE ON handover_case BEGIN \
        INSERT INTO handover_case_search(handover_case_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); \
     END",
    // Only when the text changed: a transition rewrites the row but not its text.
    "CREATE TRIGGER handover_case_search_update AFTER UPDATE OF search_text ON handover_case \
     WHEN old.search_text IS NOT new.search_text BEGIN \
        INSERT INTO handover_case_search(handover_case_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); \
        INSERT INTO handover_case_search(rowid, search_text) VALUES (new.id, new.search_text); \
     END",
    "INSERT INTO handover_case_search(handover_case_search) VALUES ('rebuild')",
];

const SQLITE_SEARCH_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS handover_case_search_update",
    "DROP TRIGGER IF EXISTS handover_case_search_delete",
    "DROP TRIGGER IF EXISTS handover_case_search_insert",
    "DROP TABLE IF EXISTS handover_case_search",
];

const POSTGRES_SEARCH: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX handover_case_search_trigram ON handover_case USING gin (search_text gin_trgm_ops)",
];

const POSTGRES_SEARCH_DOWN: &[&str] = &["DROP INDEX IF EXISTS handover_case_search_trigram"];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

fn party_index(name: &str, column: HandoverCase) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(HandoverCase::Table)
        .col(column)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The newest cases of a region, read from the index alone.
        manager
            .create_index(
                Index::create()
                    .name("handover_case_region_newest")
                    .table(HandoverCase::Table)
                    .col(HandoverCase::RegionId)
                    .col(HandoverCase::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(party_index(
                "handover_case_giving_party",
                HandoverCase::GivingPartyId,
            ))
            .await?;
        manager
            .create_index(party_index(
                "handover_case_receiving_party",
                HandoverCase::ReceivingPartyId,
            ))
            .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => run(manager, SQLITE_SEARCH).await,
            DatabaseBackend::Postgres => run(manager, POSTGRES_SEARCH).await,
            _ => Ok(()),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => run(manager, SQLITE_SEARCH_DOWN).await?,
            DatabaseBackend::Postgres => run(manager, POSTGRES_SEARCH_DOWN).await?,
            _ => {}
        }
        for name in [
            "handover_case_receiving_party",
            "handover_case_giving_party",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(HandoverCase::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
