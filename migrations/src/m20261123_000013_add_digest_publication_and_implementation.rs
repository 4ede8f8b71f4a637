//! A user's choice of one daily digest instead of a mail per event; when a meeting's agenda
//! was published and by whom; and the implementation plan of an approved case (the day the
//! task moves and the day it is evaluated).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    MailDigest,
}

#[derive(DeriveIden)]
enum Meeting {
    Table,
    PublishedAt,
    PublishedBy,
}

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    ImplementationOn,
    FollowUpOn,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Status,
    RecipientEmail,
    CreatedAt,
}

/// SQLite adds one column per statement, so each column is its own alteration.
async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

async fn drop_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            AppUser::Table,
            boolean(AppUser::MailDigest).default(false).to_owned(),
        )
        .await?;
        add_column(
            manager,
            Meeting::Table,
            timestamp_with_time_zone_null(Meeting::PublishedAt).to_owned(),
        )
        .await?;
        add_column(
            manager,
            Meeting::Table,
            big_integer_null(Meeting::PublishedBy).to_owned(),
        )
        .await?;
        add_column(
            manager,
            HandoverCase::Table,
            date_null(HandoverCase::ImplementationOn).to_owned(),
        )
        .await?;
        add_column(
            manager,
            HandoverCase::Table,
            date_null(HandoverCase::FollowUpOn).to_owned(),
        )
        .await?;
        // The digest round looks up held mails by recipient.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_status_recipient")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::RecipientEmail)
                    .col(Outbox::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_status_recipient")
                    .table(Outbox::Table)
                    .to_owned(),
            )
            .await?;
        drop_column(manager, HandoverCase::Table, HandoverCase::FollowUpOn).await?;
        drop_column(manager, HandoverCase::Table, HandoverCase::ImplementationOn).await?;
        drop_column(manager, Meeting::Table, Meeting::PublishedBy).await?;
        drop_column(manager, Meeting::Table, Meeting::PublishedAt).await?;
        drop_column(manager, AppUser::Table, AppUser::MailDigest).await
    }
}
