//! The party filter of the case list, served by one index per side that carries the region.
//!
//! A reader sees only the cases of their regions, so the filter "this organisation is the
//! giving or the receiving party" always comes with `region_id IN (…)`. With an index on the
//! party alone, PostgreSQL's planner estimated the region condition to leave two cases in
//! three and ANDed the party bitmaps with a bitmap of every case in those regions: 35–50 ms at
//! 100,000 cases for 1,353 matches. With the region in the party's index the region condition
//! is met inside the index, and the same count takes 2.5 ms (docs/PERFORMANCE.md, "Scale").

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HandoverCase {
    Table,
    RegionId,
    GivingPartyId,
    ReceivingPartyId,
}

const SIDES: [(&str, &str, HandoverCase); 2] = [
    (
        "handover_case_giving_party",
        "handover_case_giving_party_region",
        HandoverCase::GivingPartyId,
    ),
    (
        "handover_case_receiving_party",
        "handover_case_receiving_party_region",
        HandoverCase::ReceivingPartyId,
    ),
];

fn drop(name: &str) -> IndexDropStatement {
    Index::drop()
        .name(name)
        .table(HandoverCase::Table)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, party) in SIDES {
            manager
                .create_index(
                    Index::create()
                        .name(new)
                        .table(HandoverCase::Table)
                        .col(party)
                        .col(HandoverCase::RegionId)
                        .to_owned(),
                )
                .await?;
            manager.drop_index(drop(old)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, party) in SIDES {
            manager
                .create_index(
                    Index::create()
                        .name(old)
                        .table(HandoverCase::Table)
                        .col(party)
                        .to_owned(),
                )
                .await?;
            manager.drop_index(drop(new)).await?;
        }
        Ok(())
    }
}
