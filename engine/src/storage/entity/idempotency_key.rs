//! The `idempotency_key` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub request_hash: String,
    pub response_status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
    /// When the key was claimed (or last taken over); a claim without an answer older than
    /// the lease was abandoned.
    pub created_at: DateTimeUtc,
    /// The case the request changed, set in the change's own transaction.
    pub committed_case_id: Option<i64>,
    /// The case's version after the change.
    pub committed_version: Option<i32>,
    /// The case's state after the change.
    pub committed_state: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
