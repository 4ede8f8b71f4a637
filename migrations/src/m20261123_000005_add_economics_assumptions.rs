//! The assumptions behind a case's economic assessment, as free text.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    EconomicsAssumptions,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HandoverCase::Table)
                    .add_column(text(HandoverCase::EconomicsAssumptions).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HandoverCase::Table)
                    .drop_column(HandoverCase::EconomicsAssumptions)
                    .to_owned(),
            )
            .await
    }
}
