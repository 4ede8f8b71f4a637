//! Reminders already sent: one row per case, kind, state and due date, so each reminder is
//! enqueued at most once, across restarts and several servers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reminder {
    Table,
    Id,
    CaseId,
    Kind,
    State,
    DueOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reminder::Table)
                    .col(big_pk_auto(Reminder::Id))
                    .col(big_integer(Reminder::CaseId))
                    .col(string(Reminder::Kind))
                    .col(string(Reminder::State))
                    .col(date(Reminder::DueOn))
                    .col(timestamp_with_time_zone(Reminder::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reminder::Table, Reminder::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reminder_once")
                    .table(Reminder::Table)
                    .col(Reminder::CaseId)
                    .col(Reminder::Kind)
                    .col(Reminder::State)
                    .col(Reminder::DueOn)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Reminder::Table).to_owned())
            .await
    }
}
