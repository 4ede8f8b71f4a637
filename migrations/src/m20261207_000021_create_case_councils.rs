//! The councils the secretariat chose for a case that has no municipal party to give it its
//! councils (a task between the region and general practice).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CaseCouncil {
    Table,
    Id,
    CaseId,
    CouncilId,
}

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Council {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseCouncil::Table)
                    .col(big_pk_auto(CaseCouncil::Id))
                    .col(big_integer(CaseCouncil::CaseId))
                    .col(big_integer(CaseCouncil::CouncilId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseCouncil::Table, CaseCouncil::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseCouncil::Table, CaseCouncil::CouncilId)
                            .to(Council::Table, Council::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("case_council_case_council")
                    .table(CaseCouncil::Table)
                    .col(CaseCouncil::CaseId)
                    .col(CaseCouncil::CouncilId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseCouncil::Table).to_owned())
            .await
    }
}
