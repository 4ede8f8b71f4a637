//! Regions and their organisations, seeded with the public reference data.

use crate::seed;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Region {
    Table,
    Id,
    Slug,
    Code,
    Name,
    ValidFrom,
    ValidTo,
}

#[derive(DeriveIden)]
pub enum Organisation {
    Table,
    Id,
    RegionId,
    Kind,
    Code,
    Name,
    ContactEmail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Region::Table)
                    .col(big_pk_auto(Region::Id))
                    .col(string_uniq(Region::Slug))
                    .col(integer_null(Region::Code))
                    .col(string(Region::Name))
                    .col(date(Region::ValidFrom))
                    .col(date_null(Region::ValidTo))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(big_pk_auto(Organisation::Id))
                    .col(big_integer(Organisation::RegionId))
                    .col(string(Organisation::Kind))
                    .col(string_null(Organisation::Code))
                    .col(string(Organisation::Name))
                    .col(string_null(Organisation::ContactEmail))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organisation::Table, Organisation::RegionId)
                            .to(Region::Table, Region::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("organisation_region_name")
                    .table(Organisation::Table)
                    .col(Organisation::RegionId)
                    .col(Organisation::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        seed_reference_data(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Organisation::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Region::Table).to_owned())
            .await
    }
}

async fn seed_reference_data(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let regions = seed::regions().map_err(DbErr::Migration)?;
    let mut insert = Query::insert()
        .into_table(Region::Table)
        .columns([
            Region::Slug,
            Region::Code,
            Region::Name,
            Region::ValidFrom,
            Region::ValidTo,
        ])
        .to_owned();
    for r in &regions {
        let valid_to = r
            .valid_to
            .as_deref()
            .map(seed::date)
            .transpose()
            .map_err(DbErr::Migration)?;
        insert.values_panic([
            r.slug.clone().into(),
            r.code.into(),
            r.name.clone().into(),
            seed::date(&r.valid_from).map_err(DbErr::Migration)?.into(),
            valid_to.into(),
        ]);
    }
    manager.exec_stmt(insert).await?;

    let organisations = seed::organisations().map_err(DbErr::Migration)?;
    let mut insert = Query::insert()
        .into_table(Organisation::Table)
        .columns([
            Organisation::RegionId,
            Organisation::Kind,
            Organisation::Code,
            Organisation::Name,
        ])
        .to_owned();
    for o in &organisations {
        let region_id = SimpleExpr::SubQuery(
            None,
            Box::new(
                Query::select()
                    .column(Region::Id)
                    .from(Region::Table)
                    .and_where(Expr::col(Region::Slug).eq(o.region.clone()))
                    .to_owned()
                    .into_sub_query_statement(),
            ),
        );
        insert.values_panic([
            region_id,
            o.kind.clone().into(),
            o.code.clone().into(),
            o.name.clone().into(),
        ]);
    }
    manager.exec_stmt(insert).await
}
