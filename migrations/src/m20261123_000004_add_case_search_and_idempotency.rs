//! Searchable text per case (title and description, lower-cased) and stored answers to
//! idempotent API requests.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    SearchText,
}

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    UserId,
    Key,
    RequestHash,
    ResponseStatus,
    ResponseBody,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HandoverCase::Table)
                    .add_column(text(HandoverCase::SearchText).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKey::Table)
                    .col(big_integer(IdempotencyKey::UserId))
                    .col(string(IdempotencyKey::Key))
                    .col(string(IdempotencyKey::RequestHash))
                    .col(integer_null(IdempotencyKey::ResponseStatus))
                    .col(text_null(IdempotencyKey::ResponseBody))
                    .col(timestamp_with_time_zone(IdempotencyKey::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKey::UserId)
                            .col(IdempotencyKey::Key),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKey::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(HandoverCase::Table)
                    .drop_column(HandoverCase::SearchText)
                    .to_owned(),
            )
            .await
    }
}
