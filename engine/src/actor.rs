//! Who is acting: a user with roles in one or more regions. Passed into every operation, so
//! the engine, not the handler, decides who may do what.

use crate::domain::role::Role;
use crate::error::EngineError;
use crate::storage::entity::{app_user, membership, region};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub language: String,
    /// The organisation the user works for (a municipality, a hospital), if any.
    pub organisation_id: Option<i64>,
    /// Roles per region slug.
    pub regions: BTreeMap<String, BTreeSet<Role>>,
    /// The councils (sundhedsråd) the user sits on, per region slug.
    pub councils: BTreeMap<String, BTreeSet<i64>>,
}

impl Actor {
    /// The actor's roles in `region`, or `None` if they are not a member there.
    pub fn roles_in(&self, region: &str) -> Option<&BTreeSet<Role>> {
        self.regions.get(region).filter(|roles| !roles.is_empty())
    }

    /// The bodies the actor is a member of in `region`.
    pub fn bodies_in(&self, region: &str) -> BTreeSet<crate::domain::body::Body> {
        let no_councils = BTreeSet::new();
        self.roles_in(region).map_or_else(BTreeSet::new, |roles| {
            crate::domain::body::Body::memberships(
                roles,
                self.councils.get(region).unwrap_or(&no_councils),
            )
        })
    }

    pub fn has_role(&self, region: &str, role: Role) -> bool {
        self.roles_in(region)
            .is_some_and(|roles| roles.contains(&role))
    }

    /// Loads the user with their memberships.
    ///
    /// # Errors
    /// A database error.
    pub async fn load(
        db: &impl ConnectionTrait,
        user_id: i64,
    ) -> Result<Option<Actor>, EngineError> {
        match app_user::Entity::find_by_id(user_id).one(db).await? {
            Some(user) => Ok(Some(Self::of_user(db, user).await?)),
            None => Ok(None),
        }
    }

    /// The actor `user` is, with the roles read from their memberships.
    ///
    /// # Errors
    /// A database error.
    pub async fn of_user(
        db: &impl ConnectionTrait,
        user: app_user::Model,
    ) -> Result<Actor, EngineError> {
        let user_id = user.id;
        // One read for the roles with their regions' slugs: this runs on every request.
        let held: Vec<(String, String)> = membership::Entity::find()
            .select_only()
            .column(region::Column::Slug)
            .column(membership::Column::Role)
            .join(
                JoinType::InnerJoin,
                membership::Entity::belongs_to(region::Entity)
                    .from(membership::Column::RegionId)
                    .to(region::Column::Id)
                    .into(),
            )
            .filter(membership::Column::UserId.eq(user_id))
            .into_tuple()
            .all(db)
            .await?;
        let mut regions: BTreeMap<String, BTreeSet<Role>> = BTreeMap::new();
        for (slug, role) in held {
            // A role no longer in the vocabulary grants nothing.
            if let Ok(role) = role.parse::<Role>() {
                regions.entry(slug).or_default().insert(role);
            }
        }
        // Only a council member's seats are read: most users sit on none.
        let councils = if regions.values().any(|roles| roles.contains(&Role::Council)) {
            council_seats(db, user_id).await?
        } else {
            BTreeMap::new()
        };
        Ok(Actor {
            councils,
            user_id: user.id,
            name: user.name,
            email: user.email,
            language: user.language,
            organisation_id: user.organisation_id,
            regions,
        })
    }
}

/// The councils `user_id` sits on, per region slug.
async fn council_seats(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<BTreeMap<String, BTreeSet<i64>>, EngineError> {
    use crate::storage::entity::{council, council_member};
    let seats: Vec<(String, i64)> = council_member::Entity::find()
        .select_only()
        .column(region::Column::Slug)
        .column(council_member::Column::CouncilId)
        .join(
            JoinType::InnerJoin,
            council_member::Entity::belongs_to(council::Entity)
                .from(council_member::Column::CouncilId)
                .to(council::Column::Id)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            council::Entity::belongs_to(region::Entity)
                .from(council::Column::RegionId)
                .to(region::Column::Id)
                .into(),
        )
        .filter(council_member::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut by_region: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for (slug, council) in seats {
        by_region.entry(slug).or_default().insert(council);
    }
    Ok(by_region)
}
