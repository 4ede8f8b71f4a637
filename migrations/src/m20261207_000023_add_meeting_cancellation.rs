//! A meeting the secretariat cancels stays on record: when, by whom and why. Its agenda is
//! emptied and each case on it is journaled as having left it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Meeting {
    Table,
    CancelledAt,
    CancelledBy,
    CancelReason,
}

/// One column per statement: SQLite alters one column at a time.
async fn add_column(manager: &SchemaManager<'_>, column: ColumnDef) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Meeting::Table)
                .add_column(column)
                .to_owned(),
        )
        .await
}

async fn drop_column(manager: &SchemaManager<'_>, column: Meeting) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Meeting::Table)
                .drop_column(column)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            timestamp_with_time_zone_null(Meeting::CancelledAt).to_owned(),
        )
        .await?;
        add_column(manager, big_integer_null(Meeting::CancelledBy).to_owned()).await?;
        add_column(manager, text_null(Meeting::CancelReason).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Meeting::CancelReason).await?;
        drop_column(manager, Meeting::CancelledBy).await?;
        drop_column(manager, Meeting::CancelledAt).await
    }
}
