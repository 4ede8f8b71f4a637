//! The regions and their parties (hospitals, municipalities, general practice).

use crate::cases::Engine;
use crate::cases::view::PartyRef;
use crate::error::EngineError;
use crate::storage::entity::{organisation, region};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// A region with the workflow in force for new cases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RegionView {
    pub slug: String,
    pub code: Option<i32>,
    pub name: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub workflow: Option<crate::cases::view::WorkflowRef>,
}

impl Engine {
    /// Every region, with the workflow version new cases start on today.
    ///
    /// # Errors
    /// A database error.
    pub async fn regions(&self) -> Result<Vec<RegionView>, EngineError> {
        let today = self.today();
        Ok(region::Entity::find()
            .order_by_asc(region::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|r| RegionView {
                workflow: self.workflows().in_force(&r.slug, today).map(|d| {
                    crate::cases::view::WorkflowRef {
                        key: d.key.clone(),
                        version: d.version,
                    }
                }),
                slug: r.slug,
                code: r.code,
                name: r.name,
                valid_from: r.valid_from,
                valid_to: r.valid_to,
            })
            .collect())
    }

    /// The organisations of `region`, by kind and name.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for an unknown region.
    pub async fn parties(&self, region: &str) -> Result<Vec<PartyRef>, EngineError> {
        let region = region::Entity::find()
            .filter(region::Column::Slug.eq(region))
            .one(self.db())
            .await?
            .ok_or(EngineError::NotFound { what: "region" })?;
        Ok(organisation::Entity::find()
            .filter(organisation::Column::RegionId.eq(region.id))
            .order_by_asc(organisation::Column::Kind)
            .order_by_asc(organisation::Column::Name)
            .all(self.db())
            .await?
            .into_iter()
            .map(|o| PartyRef {
                id: o.id,
                name: o.name,
                kind: o.kind,
            })
            .collect())
    }
}
