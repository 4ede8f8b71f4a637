//! Whether a case is open to the public, its KLE classification, and each party's own ESDH
//! case number for it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    Id,
    Public,
    Kle,
}

#[derive(DeriveIden)]
enum ExternalReference {
    Table,
    Id,
    CaseId,
    OrganisationId,
    Reference,
    RecordedBy,
    RecordedAt,
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
            .alter_table(
                Table::alter()
                    .table(HandoverCase::Table)
                    .add_column(boolean(HandoverCase::Public).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(HandoverCase::Table)
                    .add_column(string_null(HandoverCase::Kle))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExternalReference::Table)
                    .col(big_pk_auto(ExternalReference::Id))
                    .col(big_integer(ExternalReference::CaseId))
                    .col(big_integer(ExternalReference::OrganisationId))
                    .col(string(ExternalReference::Reference))
                    .col(big_integer(ExternalReference::RecordedBy))
                    .col(timestamp_with_time_zone(ExternalReference::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExternalReference::Table, ExternalReference::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExternalReference::Table, ExternalReference::OrganisationId)
                            .to(Organisation::Table, Organisation::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("external_reference_case_organisation")
                    .table(ExternalReference::Table)
                    .col(ExternalReference::CaseId)
                    .col(ExternalReference::OrganisationId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ExternalReference::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(HandoverCase::Table)
                    .drop_column(HandoverCase::Kle)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(HandoverCase::Table)
                    .drop_column(HandoverCase::Public)
                    .to_owned(),
            )
            .await
    }
}
