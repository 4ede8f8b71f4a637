//! The `sso_pending_login` table: a login sent to the identity provider, known by the SHA-256
//! hash of its `state`; taken (deleted) when the provider sends the browser back, so a state
//! works once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_pending_login")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub state_hash: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub next_path: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
