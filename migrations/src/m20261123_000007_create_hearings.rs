//! Hearings of affected parties: who is heard, by when, and each party's answer. Each party
//! gets a personal link; only the hash of its token is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hearing {
    Table,
    Id,
    CaseId,
    OpenedBy,
    OpenedAt,
    Deadline,
    Quorum,
}

#[derive(DeriveIden)]
enum HearingParty {
    Table,
    Id,
    HearingId,
    OrganisationId,
    TokenHash,
    Answer,
    AnswerText,
    AnsweredAt,
    AnsweredBy,
}

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Hearing::Table)
                    .col(big_pk_auto(Hearing::Id))
                    .col(big_integer(Hearing::CaseId))
                    .col(big_integer(Hearing::OpenedBy))
                    .col(timestamp_with_time_zone(Hearing::OpenedAt))
                    .col(date(Hearing::Deadline))
                    .col(string(Hearing::Quorum))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Hearing::Table, Hearing::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("hearing_case")
                    .table(Hearing::Table)
                    .col(Hearing::CaseId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HearingParty::Table)
                    .col(big_pk_auto(HearingParty::Id))
                    .col(big_integer(HearingParty::HearingId))
                    .col(big_integer(HearingParty::OrganisationId))
                    .col(string_uniq(HearingParty::TokenHash))
                    .col(string_null(HearingParty::Answer))
                    .col(text_null(HearingParty::AnswerText))
                    .col(timestamp_with_time_zone_null(HearingParty::AnsweredAt))
                    .col(big_integer_null(HearingParty::AnsweredBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(HearingParty::Table, HearingParty::HearingId)
                            .to(Hearing::Table, Hearing::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HearingParty::Table, HearingParty::OrganisationId)
                            .to(Organisation::Table, Organisation::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HearingParty::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Hearing::Table).to_owned())
            .await
    }
}
