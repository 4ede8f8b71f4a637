//! The `account_event` table: the append-only journal of accounts (created by single sign-on,
//! roles granted and revoked by it, each single sign-on login). Rows are only ever inserted.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub occurred_at: DateTimeUtc,
    pub kind: String,
    pub region: Option<String>,
    pub role: Option<String>,
    /// A JSON object with the details (claims that decided, council, organisation).
    #[sea_orm(column_type = "Text")]
    pub payload: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
