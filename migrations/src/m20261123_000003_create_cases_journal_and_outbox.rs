//! Stored workflow definitions, cases with their description revisions and economics, the
//! hash-chained journal, gap-free case-number counters and the mail outbox.

use crate::m20261123_000001_create_regions_and_organisations::{Organisation, Region};
use crate::m20261123_000002_create_users_and_tokens::AppUser;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WorkflowDefinition {
    Table,
    Id,
    Region,
    Key,
    Version,
    ContentHash,
    Content,
    RegisteredAt,
}

#[derive(DeriveIden)]
enum CaseNumberCounter {
    Table,
    RegionId,
    Year,
    LastSeq,
}

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    Id,
    RegionId,
    WorkflowId,
    Number,
    Title,
    Kind,
    GivingPartyId,
    ReceivingPartyId,
    ProposerUserId,
    State,
    Version,
    DueDate,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DescriptionRevision {
    Table,
    Id,
    CaseId,
    Revision,
    AuthorUserId,
    Content,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EconomicsLine {
    Table,
    Id,
    CaseId,
    PartyId,
    Year,
    OneOffCosts,
    RunningCosts,
    Savings,
}

#[derive(DeriveIden)]
enum EconomicsSignoff {
    Table,
    Id,
    CaseId,
    Side,
    UserId,
    Fingerprint,
    SignedAt,
}

#[derive(DeriveIden)]
enum JournalEvent {
    Table,
    Id,
    CaseId,
    Seq,
    OccurredAt,
    ActorUserId,
    Kind,
    Transition,
    FromState,
    ToState,
    Comment,
    Payload,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    CaseId,
    JournalEventId,
    Template,
    RecipientEmail,
    RecipientName,
    Language,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

fn unique(name: &str, table: impl IntoIden, cols: &[&dyn Fn() -> DynIden]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).unique().to_owned();
    for col in cols {
        index.col(col());
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WorkflowDefinition::Table)
                    .col(big_pk_auto(WorkflowDefinition::Id))
                    .col(string(WorkflowDefinition::Region))
                    .col(string(WorkflowDefinition::Key))
                    .col(integer(WorkflowDefinition::Version))
                    .col(string(WorkflowDefinition::ContentHash))
                    .col(text(WorkflowDefinition::Content))
                    .col(timestamp_with_time_zone(WorkflowDefinition::RegisteredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "workflow_definition_region_key_version",
                WorkflowDefinition::Table,
                &[
                    &|| WorkflowDefinition::Region.into_iden(),
                    &|| WorkflowDefinition::Key.into_iden(),
                    &|| WorkflowDefinition::Version.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseNumberCounter::Table)
                    .col(big_integer(CaseNumberCounter::RegionId))
                    .col(integer(CaseNumberCounter::Year))
                    .col(integer(CaseNumberCounter::LastSeq))
                    .primary_key(
                        Index::create()
                            .col(CaseNumberCounter::RegionId)
                            .col(CaseNumberCounter::Year),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseNumberCounter::Table, CaseNumberCounter::RegionId)
                            .to(Region::Table, Region::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(HandoverCase::Table)
                    .col(big_pk_auto(HandoverCase::Id))
                    .col(big_integer(HandoverCase::RegionId))
                    .col(big_integer(HandoverCase::WorkflowId))
                    .col(string_uniq(HandoverCase::Number))
                    .col(string(HandoverCase::Title))
                    .col(string(HandoverCase::Kind))
                    .col(big_integer(HandoverCase::GivingPartyId))
                    .col(big_integer(HandoverCase::ReceivingPartyId))
                    .col(big_integer(HandoverCase::ProposerUserId))
                    .col(string(HandoverCase::State))
                    .col(integer(HandoverCase::Version))
                    .col(date_null(HandoverCase::DueDate))
                    .col(timestamp_with_time_zone(HandoverCase::CreatedAt))
                    .col(timestamp_with_time_zone(HandoverCase::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(HandoverCase::Table, HandoverCase::RegionId)
                            .to(Region::Table, Region::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HandoverCase::Table, HandoverCase::WorkflowId)
                            .to(WorkflowDefinition::Table, WorkflowDefinition::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HandoverCase::Table, HandoverCase::GivingPartyId)
                            .to(Organisation::Table, Organisation::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HandoverCase::Table, HandoverCase::ReceivingPartyId)
                            .to(Organisation::Table, Organisation::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HandoverCase::Table, HandoverCase::ProposerUserId)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("handover_case_region_state")
                    .table(HandoverCase::Table)
                    .col(HandoverCase::RegionId)
                    .col(HandoverCase::State)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DescriptionRevision::Table)
                    .col(big_pk_auto(DescriptionRevision::Id))
                    .col(big_integer(DescriptionRevision::CaseId))
                    .col(integer(DescriptionRevision::Revision))
                    .col(big_integer(DescriptionRevision::AuthorUserId))
                    .col(text(DescriptionRevision::Content))
                    .col(timestamp_with_time_zone(DescriptionRevision::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DescriptionRevision::Table, DescriptionRevision::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                DescriptionRevision::Table,
                                DescriptionRevision::AuthorUserId,
                            )
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "description_revision_case_revision",
                DescriptionRevision::Table,
                &[&|| DescriptionRevision::CaseId.into_iden(), &|| {
                    DescriptionRevision::Revision.into_iden()
                }],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EconomicsLine::Table)
                    .col(big_pk_auto(EconomicsLine::Id))
                    .col(big_integer(EconomicsLine::CaseId))
                    .col(big_integer(EconomicsLine::PartyId))
                    .col(integer(EconomicsLine::Year))
                    .col(big_integer(EconomicsLine::OneOffCosts))
                    .col(big_integer(EconomicsLine::RunningCosts))
                    .col(big_integer(EconomicsLine::Savings))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EconomicsLine::Table, EconomicsLine::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EconomicsLine::Table, EconomicsLine::PartyId)
                            .to(Organisation::Table, Organisation::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "economics_line_case_party_year",
                EconomicsLine::Table,
                &[
                    &|| EconomicsLine::CaseId.into_iden(),
                    &|| EconomicsLine::PartyId.into_iden(),
                    &|| EconomicsLine::Year.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EconomicsSignoff::Table)
                    .col(big_pk_auto(EconomicsSignoff::Id))
                    .col(big_integer(EconomicsSignoff::CaseId))
                    .col(string(EconomicsSignoff::Side))
                    .col(big_integer(EconomicsSignoff::UserId))
                    .col(string(EconomicsSignoff::Fingerprint))
                    .col(timestamp_with_time_zone(EconomicsSignoff::SignedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EconomicsSignoff::Table, EconomicsSignoff::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EconomicsSignoff::Table, EconomicsSignoff::UserId)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "economics_signoff_case_side",
                EconomicsSignoff::Table,
                &[&|| EconomicsSignoff::CaseId.into_iden(), &|| {
                    EconomicsSignoff::Side.into_iden()
                }],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JournalEvent::Table)
                    .col(big_pk_auto(JournalEvent::Id))
                    .col(big_integer(JournalEvent::CaseId))
                    .col(integer(JournalEvent::Seq))
                    .col(timestamp_with_time_zone(JournalEvent::OccurredAt))
                    .col(big_integer_null(JournalEvent::ActorUserId))
                    .col(string(JournalEvent::Kind))
                    .col(string_null(JournalEvent::Transition))
                    .col(string_null(JournalEvent::FromState))
                    .col(string_null(JournalEvent::ToState))
                    .col(text_null(JournalEvent::Comment))
                    .col(text(JournalEvent::Payload))
                    .col(string(JournalEvent::PrevHash))
                    .col(string(JournalEvent::Hash))
                    .foreign_key(
                        ForeignKey::create()
                            .from(JournalEvent::Table, JournalEvent::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(JournalEvent::Table, JournalEvent::ActorUserId)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One event per place in a case's chain: two writers can never fork it.
        manager
            .create_index(unique(
                "journal_event_case_seq",
                JournalEvent::Table,
                &[&|| JournalEvent::CaseId.into_iden(), &|| {
                    JournalEvent::Seq.into_iden()
                }],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(big_integer(Outbox::CaseId))
                    .col(big_integer(Outbox::JournalEventId))
                    .col(string(Outbox::Template))
                    .col(string_null(Outbox::RecipientEmail))
                    .col(string(Outbox::RecipientName))
                    .col(string_len(Outbox::Language, 2))
                    .col(string(Outbox::Status))
                    .col(integer(Outbox::Attempts))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Outbox::Table, Outbox::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Outbox::Table, Outbox::JournalEventId)
                            .to(JournalEvent::Table, JournalEvent::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_status_next_attempt")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Outbox::Table.into_iden(),
            JournalEvent::Table.into_iden(),
            EconomicsSignoff::Table.into_iden(),
            EconomicsLine::Table.into_iden(),
            DescriptionRevision::Table.into_iden(),
            HandoverCase::Table.into_iden(),
            CaseNumberCounter::Table.into_iden(),
            WorkflowDefinition::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
