//! Who sits on which council: a council's members are named one by one, so that only they
//! recommend for it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CouncilMember {
    Table,
    Id,
    CouncilId,
    UserId,
}

#[derive(DeriveIden)]
enum Council {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CouncilMember::Table)
                    .col(big_pk_auto(CouncilMember::Id))
                    .col(big_integer(CouncilMember::CouncilId))
                    .col(big_integer(CouncilMember::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouncilMember::Table, CouncilMember::CouncilId)
                            .to(Council::Table, Council::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouncilMember::Table, CouncilMember::UserId)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("council_member_user_council")
                    .table(CouncilMember::Table)
                    .col(CouncilMember::UserId)
                    .col(CouncilMember::CouncilId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CouncilMember::Table).to_owned())
            .await
    }
}
