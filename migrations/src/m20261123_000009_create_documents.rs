//! Documents attached to a case: metadata here, bytes in the content-addressed store.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Document {
    Table,
    Id,
    CaseId,
    FileName,
    ContentType,
    Size,
    Sha256,
    UploadedBy,
    UploadedAt,
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
                    .table(Document::Table)
                    .col(big_pk_auto(Document::Id))
                    .col(big_integer(Document::CaseId))
                    .col(string(Document::FileName))
                    .col(string(Document::ContentType))
                    .col(big_integer(Document::Size))
                    .col(string(Document::Sha256))
                    .col(big_integer(Document::UploadedBy))
                    .col(timestamp_with_time_zone(Document::UploadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Document::Table, Document::CaseId)
                            .to(HandoverCase::Table, HandoverCase::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("document_case")
                    .table(Document::Table)
                    .col(Document::CaseId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Document::Table).to_owned())
            .await
    }
}
