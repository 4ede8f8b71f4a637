//! What an idempotent request committed, recorded on its key in the change's own transaction:
//! a server killed after the commit but before it stored its answer leaves the key marked
//! committed, so a retry answers from the committed case instead of running it twice.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    CommittedCaseId,
    CommittedVersion,
    CommittedState,
}

// SQLite alters one column per statement, so each column has its own.
fn add(column: ColumnDef) -> TableAlterStatement {
    Table::alter()
        .table(IdempotencyKey::Table)
        .add_column(column)
        .to_owned()
}

fn drop(column: IdempotencyKey) -> TableAlterStatement {
    Table::alter()
        .table(IdempotencyKey::Table)
        .drop_column(column)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(add(big_integer_null(IdempotencyKey::CommittedCaseId)))
            .await?;
        manager
            .alter_table(add(integer_null(IdempotencyKey::CommittedVersion)))
            .await?;
        manager
            .alter_table(add(string_null(IdempotencyKey::CommittedState)))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            IdempotencyKey::CommittedState,
            IdempotencyKey::CommittedVersion,
            IdempotencyKey::CommittedCaseId,
        ] {
            manager.alter_table(drop(column)).await?;
        }
        Ok(())
    }
}
