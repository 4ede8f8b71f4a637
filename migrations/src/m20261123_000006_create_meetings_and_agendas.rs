//! Meetings of a region's bodies and their ordered agendas of cases.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Meeting {
    Table,
    Id,
    RegionId,
    Body,
    Title,
    HeldOn,
    MaterialDeadline,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AgendaItem {
    Table,
    Id,
    MeetingId,
    CaseId,
    Position,
    PlacedBy,
    PlacedAt,
    AfterDeadline,
}

#[derive(DeriveIden)]
enum Region {
    Table,
    Id,
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
                    .table(Meeting::Table)
                    .col(big_pk_auto(Meeting::Id))
                    .col(big_integer(Meeting::RegionId))
                    .col(string(Meeting::Body))
                    .col(string(Meeting::Title))
                    .col(date(Meeting::HeldOn))
                    .col(date(Meeting::MaterialDeadline))
                    .col(timestamp_with_time_zone(Meeting::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Meeting::Table, Meeting::RegionId)
                            .to(Region::Table, Region::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AgendaItem::Table)
                    .col(big_pk_auto(AgendaItem::Id))
                    .col(big_integer(AgendaItem::MeetingId))
                    .col(big_integer(AgendaItem::CaseId))
                    .col(integer(AgendaItem::Position))
                    .col(big_integer(AgendaItem::PlacedBy))
                    .col(timestamp_with_time_zone(AgendaItem::PlacedAt))
                    .col(boolean(AgendaItem::AfterDeadline))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AgendaItem::Table, AgendaItem::MeetingId)
                            .to(Meeting::Table, Meeting::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AgendaItem::Table, AgendaItem::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("agenda_item_meeting_case")
                    .table(AgendaItem::Table)
                    .col(AgendaItem::MeetingId)
                    .col(AgendaItem::CaseId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("agenda_item_case")
                    .table(AgendaItem::Table)
                    .col(AgendaItem::CaseId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AgendaItem::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Meeting::Table).to_owned())
            .await
    }
}
