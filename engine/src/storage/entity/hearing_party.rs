//! The `hearing_party` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hearing_party")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub hearing_id: i64,
    pub organisation_id: i64,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub answer: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub answer_text: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    pub answered_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
