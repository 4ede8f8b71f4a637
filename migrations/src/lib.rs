//! Overdrag's schema, for SQLite and PostgreSQL alike, and the public reference data it is
//! seeded with (regions, municipalities with their kommunekode, hospitals, general practice).

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_regions_and_organisations;
mod m20261123_000002_create_users_and_tokens;
mod m20261123_000003_create_cases_journal_and_outbox;
mod m20261123_000004_add_case_search_and_idempotency;
mod m20261123_000005_add_economics_assumptions;
mod m20261123_000006_create_meetings_and_agendas;
mod m20261123_000007_create_hearings;
mod m20261123_000008_add_publicity_kle_and_references;
mod m20261123_000009_create_documents;
mod m20261123_000010_add_outbox_delivery;
mod m20261123_000011_create_reminders;
mod m20261123_000012_add_outbox_link_token;
mod m20261123_000013_add_digest_publication_and_implementation;
mod m20261123_000014_create_sessions;
mod m20261123_000015_index_case_list_and_search;
mod m20261123_000016_add_idempotency_committed_change;
mod m20261202_000017_tune_case_search_merging;
mod m20261203_000018_index_parties_with_their_region;
mod m20261207_000019_create_councils;
mod m20261207_000020_create_council_members;
mod m20261207_000021_create_case_councils;
mod m20261207_000022_create_council_recommendations;
mod m20261207_000023_add_meeting_cancellation;
mod m20261207_000024_create_account_events_and_sso;
pub mod seed;

/// Runs the migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_regions_and_organisations::Migration),
            Box::new(m20261123_000002_create_users_and_tokens::Migration),
            Box::new(m20261123_000003_create_cases_journal_and_outbox::Migration),
            Box::new(m20261123_000004_add_case_search_and_idempotency::Migration),
            Box::new(m20261123_000005_add_economics_assumptions::Migration),
            Box::new(m20261123_000006_create_meetings_and_agendas::Migration),
            Box::new(m20261123_000007_create_hearings::Migration),
            Box::new(m20261123_000008_add_publicity_kle_and_references::Migration),
            Box::new(m20261123_000009_create_documents::Migration),
            Box::new(m20261123_000010_add_outbox_delivery::Migration),
            Box::new(m20261123_000011_create_reminders::Migration),
            Box::new(m20261123_000012_add_outbox_link_token::Migration),
            Box::new(m20261123_000013_add_digest_publication_and_implementation::Migration),
            Box::new(m20261123_000014_create_sessions::Migration),
            Box::new(m20261123_000015_index_case_list_and_search::Migration),
            Box::new(m20261123_000016_add_idempotency_committed_change::Migration),
            Box::new(m20261202_000017_tune_case_search_merging::Migration),
            Box::new(m20261203_000018_index_parties_with_their_region::Migration),
            Box::new(m20261207_000019_create_councils::Migration),
            Box::new(m20261207_000020_create_council_members::Migration),
            Box::new(m20261207_000021_create_case_councils::Migration),
            Box::new(m20261207_000022_create_council_recommendations::Migration),
            Box::new(m20261207_000023_add_meeting_cancellation::Migration),
            Box::new(m20261207_000024_create_account_events_and_sso::Migration),
        ]
    }
}
