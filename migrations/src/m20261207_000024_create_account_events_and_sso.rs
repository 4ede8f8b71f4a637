//! Single sign-on: the append-only journal of what happened to accounts (created, roles granted
//! and revoked by the identity provider, each login), the link from a provider's subject to a
//! user, and the logins that went to the provider and have not come back yet (each used once).

use crate::m20261123_000002_create_users_and_tokens::AppUser;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountEvent {
    Table,
    Id,
    UserId,
    OccurredAt,
    Kind,
    Region,
    Role,
    Payload,
}

#[derive(DeriveIden)]
enum SsoIdentity {
    Table,
    Id,
    Issuer,
    Subject,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SsoPendingLogin {
    Table,
    Id,
    StateHash,
    PkceVerifier,
    Nonce,
    NextPath,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountEvent::Table)
                    .col(big_pk_auto(AccountEvent::Id))
                    .col(big_integer(AccountEvent::UserId))
                    .col(timestamp_with_time_zone(AccountEvent::OccurredAt))
                    .col(string(AccountEvent::Kind))
                    .col(string_null(AccountEvent::Region))
                    .col(string_null(AccountEvent::Role))
                    .col(text(AccountEvent::Payload))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccountEvent::Table, AccountEvent::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("account_event_user")
                    .table(AccountEvent::Table)
                    .col(AccountEvent::UserId)
                    .col(AccountEvent::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoIdentity::Table)
                    .col(big_pk_auto(SsoIdentity::Id))
                    .col(string(SsoIdentity::Issuer))
                    .col(string(SsoIdentity::Subject))
                    .col(big_integer(SsoIdentity::UserId))
                    .col(timestamp_with_time_zone(SsoIdentity::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoIdentity::Table, SsoIdentity::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sso_identity_issuer_subject")
                    .table(SsoIdentity::Table)
                    .col(SsoIdentity::Issuer)
                    .col(SsoIdentity::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoPendingLogin::Table)
                    .col(big_pk_auto(SsoPendingLogin::Id))
                    .col(string_uniq(SsoPendingLogin::StateHash))
                    .col(string(SsoPendingLogin::PkceVerifier))
                    .col(string(SsoPendingLogin::Nonce))
                    .col(string(SsoPendingLogin::NextPath))
                    .col(timestamp_with_time_zone(SsoPendingLogin::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SsoPendingLogin::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SsoIdentity::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AccountEvent::Table).to_owned())
            .await
    }
}
