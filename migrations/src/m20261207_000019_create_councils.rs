//! The 2027 reform's sundhedsråd (councils), each for an area of its region's municipalities,
//! seeded from `seed/councils.csv`; the municipalities' places, which an administrator may
//! correct; and the log of those corrections.

use crate::seed;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Council {
    Table,
    Id,
    RegionId,
    Name,
}

#[derive(DeriveIden)]
enum CouncilMunicipality {
    Table,
    Id,
    CouncilId,
    OrganisationId,
    /// Why the placement is uncertain, when public sources disagree.
    Note,
}

#[derive(DeriveIden)]
enum CouncilChange {
    Table,
    Id,
    OrganisationId,
    FromCouncilId,
    ToCouncilId,
    Reason,
    ChangedBy,
    ChangedAt,
}

#[derive(DeriveIden)]
enum Region {
    Table,
    Id,
    Slug,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    RegionId,
    Kind,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Council::Table)
                    .col(big_pk_auto(Council::Id))
                    .col(big_integer(Council::RegionId))
                    .col(string(Council::Name))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Council::Table, Council::RegionId)
                            .to(Region::Table, Region::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("council_region_name")
                    .table(Council::Table)
                    .col(Council::RegionId)
                    .col(Council::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CouncilMunicipality::Table)
                    .col(big_pk_auto(CouncilMunicipality::Id))
                    .col(big_integer(CouncilMunicipality::CouncilId))
                    .col(big_integer(CouncilMunicipality::OrganisationId))
                    .col(string_null(CouncilMunicipality::Note))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouncilMunicipality::Table, CouncilMunicipality::CouncilId)
                            .to(Council::Table, Council::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CouncilMunicipality::Table,
                                CouncilMunicipality::OrganisationId,
                            )
                            .to(Organisation::Table, Organisation::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A municipality lies in one council's area.
        manager
            .create_index(
                Index::create()
                    .name("council_municipality_organisation")
                    .table(CouncilMunicipality::Table)
                    .col(CouncilMunicipality::OrganisationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CouncilChange::Table)
                    .col(big_pk_auto(CouncilChange::Id))
                    .col(big_integer(CouncilChange::OrganisationId))
                    .col(big_integer(CouncilChange::FromCouncilId))
                    .col(big_integer(CouncilChange::ToCouncilId))
                    .col(text(CouncilChange::Reason))
                    .col(big_integer(CouncilChange::ChangedBy))
                    .col(timestamp_with_time_zone(CouncilChange::ChangedAt))
                    .to_owned(),
            )
            .await?;
        seed_councils(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CouncilChange::Table.into_iden(),
            CouncilMunicipality::Table.into_iden(),
            Council::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn region_id(slug: &str) -> SimpleExpr {
    SimpleExpr::SubQuery(
        None,
        Box::new(
            Query::select()
                .column(Region::Id)
                .from(Region::Table)
                .and_where(Expr::col(Region::Slug).eq(slug))
                .to_owned()
                .into_sub_query_statement(),
        ),
    )
}

async fn seed_councils(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let rows = seed::councils().map_err(DbErr::Migration)?;
    let mut councils: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.region.as_str(), r.council.as_str()))
        .collect();
    councils.sort_unstable();
    councils.dedup();
    let mut insert = Query::insert()
        .into_table(Council::Table)
        .columns([Council::RegionId, Council::Name])
        .to_owned();
    for (region, name) in &councils {
        insert.values_panic([region_id(region), (*name).into()]);
    }
    manager.exec_stmt(insert).await?;

    let mut insert = Query::insert()
        .into_table(CouncilMunicipality::Table)
        .columns([
            CouncilMunicipality::CouncilId,
            CouncilMunicipality::OrganisationId,
            CouncilMunicipality::Note,
        ])
        .to_owned();
    for row in &rows {
        let council = Query::select()
            .column(Council::Id)
            .from(Council::Table)
            .and_where(Expr::col(Council::RegionId).eq(region_id(&row.region)))
            .and_where(Expr::col(Council::Name).eq(row.council.as_str()))
            .to_owned();
        let municipality = Query::select()
            .column(Organisation::Id)
            .from(Organisation::Table)
            .and_where(Expr::col(Organisation::RegionId).eq(region_id(&row.region)))
            .and_where(Expr::col(Organisation::Kind).eq("municipality"))
            .and_where(Expr::col(Organisation::Code).eq(row.municipality_code.as_str()))
            .to_owned();
        insert.values_panic([
            SimpleExpr::SubQuery(None, Box::new(council.into_sub_query_statement())),
            SimpleExpr::SubQuery(None, Box::new(municipality.into_sub_query_statement())),
            row.note.clone().into(),
        ]);
    }
    manager.exec_stmt(insert).await
}
