//! The region's organisations as administrators keep them: each party's contact address, to
//! which its mails (hearing invitations, decisions) go.

use crate::actor::Actor;
use crate::cases::Engine;
use crate::domain::role::Role;
use crate::error::EngineError;
use crate::storage::entity::{organisation, region};
use crate::users::email_problem;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// An organisation with its contact address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrganisationView {
    pub id: i64,
    /// `hospital`, `municipality`, `general_practice` or `region`.
    pub kind: String,
    /// The official code, e.g. a municipality's kommunekode.
    pub code: Option<String>,
    pub name: String,
    pub contact_email: Option<String>,
}

impl From<organisation::Model> for OrganisationView {
    fn from(o: organisation::Model) -> Self {
        Self {
            id: o.id,
            kind: o.kind,
            code: o.code,
            name: o.name,
            contact_email: o.contact_email,
        }
    }
}

impl Engine {
    /// The organisations of a region the actor administers, by kind and name.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] outside the actor's regions; [`EngineError::Forbidden`] unless
    /// the actor is the region's admin.
    pub async fn organisations(
        &self,
        actor: &Actor,
        region: &str,
    ) -> Result<Vec<OrganisationView>, EngineError> {
        let region = self.administered_region(actor, region).await?;
        Ok(organisation::Entity::find()
            .filter(organisation::Column::RegionId.eq(region.id))
            .order_by_asc(organisation::Column::Kind)
            .order_by_asc(organisation::Column::Name)
            .all(self.db())
            .await?
            .into_iter()
            .map(OrganisationView::from)
            .collect())
    }

    /// Sets or removes an organisation's contact address.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] outside the actor's regions; [`EngineError::Forbidden`] unless
    /// the actor is the region's admin; [`EngineError::Invalid`] for a malformed address.
    pub async fn set_contact_email(
        &self,
        actor: &Actor,
        organisation_id: i64,
        contact_email: Option<&str>,
    ) -> Result<OrganisationView, EngineError> {
        const NOT_FOUND: EngineError = EngineError::NotFound {
            what: "organisation",
        };
        let found = organisation::Entity::find_by_id(organisation_id)
            .one(self.db())
            .await?
            .ok_or(NOT_FOUND)?;
        let slug = region::Entity::find_by_id(found.region_id)
            .one(self.db())
            .await?
            .ok_or(NOT_FOUND)?
            .slug;
        self.administered_region(actor, &slug).await?;
        let email = contact_email
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_lowercase);
        if let Some(problem) = email.as_deref().and_then(email_problem) {
            return Err(EngineError::invalid(
                "contact_email",
                problem.en,
                problem.da,
            ));
        }
        organisation::Entity::update_many()
            .col_expr(organisation::Column::ContactEmail, Expr::value(email))
            .filter(organisation::Column::Id.eq(found.id))
            .exec(self.db())
            .await?;
        let updated = organisation::Entity::find_by_id(found.id)
            .one(self.db())
            .await?
            .ok_or(NOT_FOUND)?;
        Ok(updated.into())
    }

    /// A region the actor is the admin of; another region is reported as not found.
    pub(crate) async fn administered_region(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<region::Model, EngineError> {
        let found = region::Entity::find()
            .filter(region::Column::Slug.eq(slug))
            .one(self.db())
            .await?
            .filter(|r| actor.roles_in(&r.slug).is_some())
            .ok_or(EngineError::NotFound { what: "region" })?;
        if actor.has_role(&found.slug, Role::Admin) {
            Ok(found)
        } else {
            Err(EngineError::Forbidden {
                action: format!("administering {}", found.name),
                needed: vec![Role::Admin],
            })
        }
    }
}
