//! The `app_user` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub organisation_id: Option<i64>,
    pub language: String,
    /// One daily digest instead of a mail per event.
    pub mail_digest: bool,
    pub created_at: DateTimeUtc,
    /// The argon2id hash (PHC string) of the user's password; `None` for an API-only user.
    pub password_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
