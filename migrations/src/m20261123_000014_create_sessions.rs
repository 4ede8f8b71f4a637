//! Accounts for the web pages: a password hash on each user (argon2id, nullable: an API-only
//! user has none), sessions stored by the SHA-256 hash of their token with a CSRF token each,
//! and the failed logins the rate limit counts. The rate limit lives in the database so that
//! several server processes on one PostgreSQL share it.

use crate::m20261123_000002_create_users_and_tokens::AppUser;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUserPassword {
    #[sea_orm(iden = "app_user")]
    Table,
    PasswordHash,
}

#[derive(DeriveIden)]
enum UserSession {
    Table,
    Id,
    TokenHash,
    UserId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginAttempt {
    Table,
    Id,
    Email,
    AttemptedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AppUserPassword::Table)
                    .add_column(string_null(AppUserPassword::PasswordHash))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserSession::Table)
                    .col(big_pk_auto(UserSession::Id))
                    .col(string_uniq(UserSession::TokenHash))
                    .col(big_integer(UserSession::UserId))
                    .col(string(UserSession::CsrfToken))
                    .col(timestamp_with_time_zone(UserSession::CreatedAt))
                    .col(timestamp_with_time_zone(UserSession::LastSeenAt))
                    .col(timestamp_with_time_zone(UserSession::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserSession::Table, UserSession::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_session_user")
                    .table(UserSession::Table)
                    .col(UserSession::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempt::Table)
                    .col(big_pk_auto(LoginAttempt::Id))
                    .col(string(LoginAttempt::Email))
                    .col(timestamp_with_time_zone(LoginAttempt::AttemptedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("login_attempt_email_time")
                    .table(LoginAttempt::Table)
                    .col(LoginAttempt::Email)
                    .col(LoginAttempt::AttemptedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginAttempt::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(UserSession::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AppUserPassword::Table)
                    .drop_column(AppUserPassword::PasswordHash)
                    .to_owned(),
            )
            .await
    }
}
