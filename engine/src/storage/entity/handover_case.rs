//! The `handover_case` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "handover_case")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub region_id: i64,
    pub workflow_id: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub title: String,
    pub kind: String,
    pub giving_party_id: i64,
    pub receiving_party_id: i64,
    pub proposer_user_id: i64,
    pub state: String,
    pub version: i32,
    pub due_date: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    #[sea_orm(column_type = "Text")]
    pub economics_assumptions: String,
    pub public: bool,
    pub kle: Option<String>,
    /// The day the task moves to the receiving party, once planned.
    pub implementation_on: Option<Date>,
    /// The day the handover is evaluated, once planned.
    pub follow_up_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
