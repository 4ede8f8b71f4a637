//! The 2027 reform's sundhedsråd (councils): each region's councils with the municipalities of
//! their areas, an administrator's corrections of a municipality's council, and the councils a
//! case's municipal parties give it.

use crate::actor::Actor;
use crate::cases::Engine;
use crate::cases::view::PartyRef;
use crate::domain::body::Body;
use crate::error::EngineError;
use crate::policy;
use crate::storage::entity::{
    app_user, council, council_change, council_member, council_municipality, membership,
    organisation, region,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A council, as a case or a list names it.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct CouncilRef {
    pub id: i64,
    pub name: String,
}

/// A municipality in a council's area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CouncilMunicipalityView {
    pub municipality: PartyRef,
    /// Why its placement is uncertain, when public sources disagree.
    pub note: Option<String>,
}

/// A council with the municipalities of its area, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CouncilView {
    pub id: i64,
    pub region: String,
    pub name: String,
    pub municipalities: Vec<CouncilMunicipalityView>,
    /// Who sits on it: only they recommend for it.
    pub members: Vec<crate::cases::view::UserRef>,
}

/// A correction of a municipality's council.
#[derive(Clone, Debug)]
pub struct CouncilMove {
    pub municipality_id: i64,
    pub council_id: i64,
    pub reason: String,
}

impl Engine {
    /// The councils of `region`, each with its municipalities. Any member of the region reads
    /// them; a region without councils (before the reform) has none.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for a region the actor is not a member of.
    pub async fn councils(
        &self,
        actor: &Actor,
        region: &str,
    ) -> Result<Vec<CouncilView>, EngineError> {
        let region = self.member_region(actor, region).await?;
        let councils = council::Entity::find()
            .filter(council::Column::RegionId.eq(region.id))
            .order_by_asc(council::Column::Name)
            .all(self.db())
            .await?;
        let placed = council_municipality::Entity::find()
            .filter(council_municipality::Column::CouncilId.is_in(councils.iter().map(|c| c.id)))
            .all(self.db())
            .await?;
        let seats = council_member::Entity::find()
            .filter(council_member::Column::CouncilId.is_in(councils.iter().map(|c| c.id)))
            .all(self.db())
            .await?;
        let people: BTreeMap<i64, String> = app_user::Entity::find()
            .filter(app_user::Column::Id.is_in(seats.iter().map(|m| m.user_id)))
            .all(self.db())
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let municipalities: BTreeMap<i64, organisation::Model> = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(placed.iter().map(|p| p.organisation_id)))
            .all(self.db())
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        Ok(councils
            .into_iter()
            .map(|c| {
                let mut members: Vec<CouncilMunicipalityView> = placed
                    .iter()
                    .filter(|p| p.council_id == c.id)
                    .filter_map(|p| {
                        let o = municipalities.get(&p.organisation_id)?;
                        Some(CouncilMunicipalityView {
                            municipality: PartyRef {
                                id: o.id,
                                name: o.name.clone(),
                                kind: o.kind.clone(),
                            },
                            note: p.note.clone(),
                        })
                    })
                    .collect();
                members.sort_by(|a, b| a.municipality.name.cmp(&b.municipality.name));
                let mut sitting: Vec<crate::cases::view::UserRef> = seats
                    .iter()
                    .filter(|m| m.council_id == c.id)
                    .filter_map(|m| {
                        Some(crate::cases::view::UserRef {
                            id: m.user_id,
                            name: people.get(&m.user_id)?.clone(),
                        })
                    })
                    .collect();
                sitting.sort_by(|a, b| a.name.cmp(&b.name));
                CouncilView {
                    id: c.id,
                    region: region.slug.clone(),
                    name: c.name,
                    municipalities: members,
                    members: sitting,
                }
            })
            .collect())
    }

    /// Moves a municipality to another council of its region, and logs who did it and why.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor administers the region;
    /// [`EngineError::Invalid`] naming the field for an unknown municipality or council, one
    /// of another region, or a missing reason.
    pub async fn move_municipality(
        &self,
        actor: &Actor,
        region: &str,
        change: CouncilMove,
    ) -> Result<Vec<CouncilView>, EngineError> {
        policy::councils::correct_placement(actor, region)?;
        let region_row = self.member_region(actor, region).await?;
        let mut problems = Vec::new();
        let placement = council_municipality::Entity::find()
            .filter(council_municipality::Column::OrganisationId.eq(change.municipality_id))
            .one(self.db())
            .await?;
        let from = match &placement {
            Some(p) => {
                council::Entity::find_by_id(p.council_id)
                    .one(self.db())
                    .await?
            }
            None => None,
        }
        .filter(|c| c.region_id == region_row.id);
        if from.is_none() {
            problems.push(crate::FieldError::new(
                "municipality_id",
                format!(
                    "organisation {} is no municipality in a council of {}; pick one from the region's councils",
                    change.municipality_id, region_row.name
                ),
                format!(
                    "organisation {} er ikke en kommune i et af sundhedsrådene i {}; vælg en fra regionens sundhedsråd",
                    change.municipality_id, region_row.name
                ),
            ));
        }
        let to = council::Entity::find_by_id(change.council_id)
            .one(self.db())
            .await?
            .filter(|c| c.region_id == region_row.id);
        if to.is_none() {
            problems.push(crate::FieldError::new(
                "council_id",
                format!(
                    "council {} is not one of {}'s councils",
                    change.council_id, region_row.name
                ),
                format!(
                    "sundhedsråd {} hører ikke til {}",
                    change.council_id, region_row.name
                ),
            ));
        }
        problems.extend(policy::councils::reason_problem(&change.reason));
        let (Some(from), Some(to), true) = (from, to, problems.is_empty()) else {
            return Err(EngineError::Invalid(problems));
        };
        if from.id == to.id {
            return self.councils(actor, region).await;
        }
        let now = self.now();
        let txn = self.begin_write().await?;
        council_municipality::Entity::update_many()
            .col_expr(council_municipality::Column::CouncilId, Expr::value(to.id))
            // A corrected placement is no longer the uncertain reading of the sources.
            .col_expr(
                council_municipality::Column::Note,
                Expr::value(Option::<String>::None),
            )
            .filter(council_municipality::Column::OrganisationId.eq(change.municipality_id))
            .exec(&txn)
            .await?;
        council_change::ActiveModel {
            organisation_id: Set(change.municipality_id),
            from_council_id: Set(from.id),
            to_council_id: Set(to.id),
            reason: Set(change.reason.trim().to_owned()),
            changed_by: Set(actor.user_id),
            changed_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        tracing::info!(
            by = actor.user_id,
            municipality = change.municipality_id,
            from = from.id,
            to = to.id,
            "municipality moved to another council"
        );
        self.councils(actor, region).await
    }

    /// Names `user_id` to sit on the council `council_id` of `region`, or (`seat` false)
    /// takes them off it.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor administers the region;
    /// [`EngineError::NotFound`] for a user who does not belong to the region;
    /// [`EngineError::Invalid`] for a council of another region, or a user without the
    /// region's council role.
    pub async fn set_council_seat(
        &self,
        actor: &Actor,
        region: &str,
        council_id: i64,
        user_id: i64,
        seat: bool,
    ) -> Result<Vec<CouncilView>, EngineError> {
        policy::councils::correct_placement(actor, region)?;
        let region_row = self.member_region(actor, region).await?;
        let council = council::Entity::find_by_id(council_id)
            .one(self.db())
            .await?
            .filter(|c| c.region_id == region_row.id)
            .ok_or_else(|| {
                EngineError::invalid(
                    "council_id",
                    format!(
                        "council {council_id} is not one of {}'s councils",
                        region_row.name
                    ),
                    format!(
                        "sundhedsråd {council_id} hører ikke til {}",
                        region_row.name
                    ),
                )
            })?;
        let roles: Vec<String> = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user_id))
            .filter(membership::Column::RegionId.eq(region_row.id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| m.role)
            .collect();
        if roles.is_empty() {
            return Err(EngineError::NotFound { what: "user" });
        }
        let existing = council_member::Entity::find()
            .filter(council_member::Column::CouncilId.eq(council.id))
            .filter(council_member::Column::UserId.eq(user_id))
            .one(self.db())
            .await?;
        match (seat, existing) {
            (true, None) => {
                if !roles
                    .iter()
                    .any(|r| r == crate::domain::role::Role::Council.as_str())
                {
                    return Err(EngineError::invalid(
                        "user_id",
                        format!(
                            "give the user the council role in {} first",
                            region_row.name
                        ),
                        format!(
                            "giv først brugeren rollen sundhedsråd i {}",
                            region_row.name
                        ),
                    ));
                }
                council_member::ActiveModel {
                    council_id: Set(council.id),
                    user_id: Set(user_id),
                    ..Default::default()
                }
                .insert(self.db())
                .await?;
            }
            (false, Some(seat)) => {
                council_member::Entity::delete_by_id(seat.id)
                    .exec(self.db())
                    .await?;
            }
            _ => {}
        }
        tracing::info!(
            by = actor.user_id,
            user = user_id,
            council = council.id,
            seat,
            "council seat changed"
        );
        self.councils(actor, region).await
    }

    /// The councils whose areas hold any of `organisations` (the municipal ones among them).
    ///
    /// # Errors
    /// A database error.
    pub(crate) async fn councils_of(
        &self,
        organisations: impl IntoIterator<Item = i64>,
    ) -> Result<Vec<CouncilRef>, EngineError> {
        let ids: BTreeSet<i64> = organisations.into_iter().collect();
        let placed = council_municipality::Entity::find()
            .filter(council_municipality::Column::OrganisationId.is_in(ids))
            .all(self.db())
            .await?;
        if placed.is_empty() {
            return Ok(Vec::new());
        }
        self.council_refs(placed.iter().map(|p| p.council_id)).await
    }

    /// The councils `ids`, by name.
    ///
    /// # Errors
    /// A database error.
    pub(crate) async fn council_refs(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<Vec<CouncilRef>, EngineError> {
        let mut councils: Vec<CouncilRef> = council::Entity::find()
            .filter(council::Column::Id.is_in(ids))
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| CouncilRef {
                id: c.id,
                name: c.name,
            })
            .collect();
        councils.sort();
        Ok(councils)
    }

    /// The ids of region `region_id`'s councils; none before the reform.
    pub(crate) async fn council_ids_of(
        &self,
        region_id: i64,
    ) -> Result<BTreeSet<i64>, EngineError> {
        Ok(council::Entity::find()
            .filter(council::Column::RegionId.eq(region_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect())
    }

    /// The name a region gives `body`: from its definition, or a council's own; `fallback`
    /// when neither is known.
    pub(crate) async fn body_name(
        &self,
        def: Option<&crate::workflow::Definition>,
        body: Body,
        fallback: &str,
    ) -> Result<String, EngineError> {
        if let Body::Council(id) = body {
            return Ok(council::Entity::find_by_id(id)
                .one(self.db())
                .await?
                .map_or_else(|| fallback.to_owned(), |c| c.name));
        }
        Ok(def
            .and_then(|d| d.bodies.name_of(body))
            .map_or_else(|| fallback.to_owned(), str::to_owned))
    }

    /// The region `slug` if the actor is a member of it.
    pub(crate) async fn member_region(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<region::Model, EngineError> {
        self.region_by_slug(slug)
            .await?
            .filter(|r| actor.roles_in(&r.slug).is_some())
            .ok_or(EngineError::NotFound { what: "region" })
    }
}
