//! The `council_recommendation` table: one council's recommendation on a case, with the
//! meeting it was given at.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "council_recommendation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub council_id: i64,
    pub meeting_id: Option<i64>,
    /// The transition the council took (`recommend`, `recommend_rejection`, …).
    pub transition: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub user_id: i64,
    pub recommended_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
