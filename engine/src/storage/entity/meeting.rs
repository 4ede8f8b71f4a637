//! The `meeting` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub region_id: i64,
    pub body: String,
    pub title: String,
    pub held_on: Date,
    pub material_deadline: Date,
    pub created_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub published_by: Option<i64>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancelled_by: Option<i64>,
    pub cancel_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The body whose meeting this is; `None` for a stored name no longer in the vocabulary.
    pub fn body(&self) -> Option<crate::domain::body::Body> {
        self.body
            .parse()
            .ok()
            .filter(|b: &crate::domain::body::Body| b.holds_meetings())
    }
}
