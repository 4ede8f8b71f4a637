//! Each council's recommendation on a case in the council stage (2027 model): the case moves on
//! to the regionsråd when every one of its councils has recommended since it entered the stage.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CouncilRecommendation {
    Table,
    Id,
    CaseId,
    CouncilId,
    MeetingId,
    Transition,
    Comment,
    UserId,
    RecommendedAt,
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
                    .table(CouncilRecommendation::Table)
                    .col(big_pk_auto(CouncilRecommendation::Id))
                    .col(big_integer(CouncilRecommendation::CaseId))
                    .col(big_integer(CouncilRecommendation::CouncilId))
                    .col(big_integer_null(CouncilRecommendation::MeetingId))
                    .col(string(CouncilRecommendation::Transition))
                    .col(text_null(CouncilRecommendation::Comment))
                    .col(big_integer(CouncilRecommendation::UserId))
                    .col(timestamp_with_time_zone(
                        CouncilRecommendation::RecommendedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouncilRecommendation::Table, CouncilRecommendation::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CouncilRecommendation::Table,
                                CouncilRecommendation::CouncilId,
                            )
                            .to(Council::Table, Council::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("council_recommendation_case")
                    .table(CouncilRecommendation::Table)
                    .col(CouncilRecommendation::CaseId)
                    .col(CouncilRecommendation::RecommendedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CouncilRecommendation::Table).to_owned())
            .await
    }
}
