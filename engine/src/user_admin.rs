//! Administration of users: who may see and change which users is decided here, not in the web
//! crate. An administrator of a region sees the users with a role there, adds users with an
//! initial password, and gives or removes roles in that region.

use crate::accounts::{self, Password};
use crate::actor::Actor;
use crate::cases::Engine;
use crate::domain::role::Role;
use crate::error::{EngineError, FieldError};
use crate::policy::accounts::{self as policy, UserPlace};
use crate::storage::entity::{app_user, membership, region};
use crate::users::{self, NewUser};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::BTreeMap;

/// A region an administrator manages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ManagedRegion {
    pub slug: String,
    pub name: String,
}

/// A role a user holds in a region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegionRole {
    pub region: String,
    pub region_name: String,
    pub role: Role,
}

/// A user as an administrator sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub language: String,
    /// Whether the user can log in to the pages (an API-only user has no password).
    pub has_password: bool,
    /// Their roles in the regions the administrator manages.
    pub roles: Vec<RegionRole>,
}

/// The users an administrator manages, and the regions they manage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserDirectory {
    pub regions: Vec<ManagedRegion>,
    pub users: Vec<AccountView>,
}

/// A user to add from the administration page.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub name: String,
    pub email: String,
    pub language: String,
    pub password: String,
    pub region: String,
    pub role: String,
}

use policy::{administer as require_admin, not_administrator as not_admin};

fn parse_role(role: &str) -> Result<Role, EngineError> {
    role.parse::<Role>()
        .map_err(|e| EngineError::invalid("role", e.to_string(), e.danish()))
}

impl Engine {
    /// The users with a role in any region where `actor` is administrator.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] when the actor administers no region; a database error.
    pub async fn user_directory(&self, actor: &Actor) -> Result<UserDirectory, EngineError> {
        let regions: BTreeMap<i64, region::Model> = region::Entity::find()
            .order_by_asc(region::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .filter(|r| actor.has_role(&r.slug, Role::Admin))
            .map(|r| (r.id, r))
            .collect();
        if regions.is_empty() {
            return Err(not_admin("any region"));
        }
        let memberships = membership::Entity::find()
            .filter(membership::Column::RegionId.is_in(regions.keys().copied()))
            .order_by_asc(membership::Column::Id)
            .all(self.db())
            .await?;
        let users = app_user::Entity::find()
            .filter(app_user::Column::Id.is_in(memberships.iter().map(|m| m.user_id)))
            .order_by_asc(app_user::Column::Name)
            .all(self.db())
            .await?;
        let users = users
            .into_iter()
            .map(|user| AccountView {
                roles: memberships
                    .iter()
                    .filter(|m| m.user_id == user.id)
                    .filter_map(|m| {
                        let region = regions.get(&m.region_id)?;
                        Some(RegionRole {
                            region: region.slug.clone(),
                            region_name: region.name.clone(),
                            role: m.role.parse().ok()?,
                        })
                    })
                    .collect(),
                id: user.id,
                name: user.name,
                email: user.email,
                language: user.language,
                has_password: user.password_hash.is_some(),
            })
            .collect();
        Ok(UserDirectory {
            regions: regions
                .into_values()
                .map(|r| ManagedRegion {
                    slug: r.slug,
                    name: r.name,
                })
                .collect(),
            users,
        })
    }

    /// Adds a user with a role in a region the actor administers, and their first password.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is administrator in the region;
    /// [`EngineError::Invalid`] naming each bad field, also when the email is taken; a
    /// database error.
    pub async fn add_account(
        &self,
        actor: &Actor,
        input: NewAccount,
    ) -> Result<Actor, EngineError> {
        require_admin(actor, input.region.trim())?;
        let mut problems = Vec::new();
        let password = Password::parse(&input.password)
            .map_err(|p| problems.push(FieldError::new("password", p.to_string(), p.message("da"))))
            .ok();
        let email = input.email.trim().to_lowercase();
        let taken = app_user::Entity::find()
            .filter(app_user::Column::Email.eq(&email))
            .one(self.db())
            .await?
            .is_some();
        if taken {
            problems.push(FieldError::new(
                "email",
                "a user with this email already exists; give them a role instead",
                "der findes allerede en bruger med denne e-mailadresse; giv brugeren en rolle i stedet",
            ));
        }
        let txn = self.begin_write().await?;
        let added = users::add_member(
            &txn,
            NewUser {
                email,
                name: input.name,
                region: input.region,
                role: input.role,
                organisation: None,
                language: Some(input.language),
            },
            self.now(),
        )
        .await;
        let (added, password) = match (added, password) {
            (Ok(added), Some(password)) if problems.is_empty() => (added, password),
            (Err(EngineError::Invalid(more)), _) => {
                problems.extend(more);
                return Err(EngineError::Invalid(problems));
            }
            (Err(other), _) => return Err(other),
            (Ok(_), _) => return Err(EngineError::Invalid(problems)),
        };
        // The transaction is dropped without commit on every early return above.
        accounts::set_password(&txn, added.user_id, &password).await?;
        txn.commit().await?;
        tracing::info!(by = actor.user_id, user = added.user_id, "user added");
        Ok(added)
    }

    /// Gives a user a role in a region the actor administers.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is administrator there;
    /// [`EngineError::Invalid`] for an unknown role; [`EngineError::NotFound`] for an unknown
    /// user; a database error.
    pub async fn grant_role(
        &self,
        actor: &Actor,
        user_id: i64,
        region: &str,
        role: &str,
    ) -> Result<Actor, EngineError> {
        require_admin(actor, region)?;
        let role = parse_role(role)?;
        let user = app_user::Entity::find_by_id(user_id)
            .one(self.db())
            .await?
            .ok_or(EngineError::NotFound { what: "user" })?;
        policy::manage_user(actor, region, &self.user_place(&user).await?)?;
        users::add_member(
            self.db(),
            NewUser {
                email: user.email,
                name: user.name,
                region: region.to_owned(),
                role: role.as_str().to_owned(),
                organisation: None,
                language: Some(user.language),
            },
            self.now(),
        )
        .await
    }

    /// Removes a user's role in a region the actor administers. Administrators cannot remove
    /// their own administrator role, so a region is never left without one by accident.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is administrator there;
    /// [`EngineError::Invalid`] for an unknown role or one's own admin role; a database error.
    pub async fn revoke_role(
        &self,
        actor: &Actor,
        user_id: i64,
        region: &str,
        role: &str,
    ) -> Result<(), EngineError> {
        require_admin(actor, region)?;
        let role = parse_role(role)?;
        let user = app_user::Entity::find_by_id(user_id)
            .one(self.db())
            .await?
            .ok_or(EngineError::NotFound { what: "user" })?;
        policy::manage_user(actor, region, &self.user_place(&user).await?)?;
        if user_id == actor.user_id && role == Role::Admin {
            return Err(EngineError::invalid(
                "role",
                "you cannot remove your own administrator role; ask another administrator",
                "du kan ikke fjerne din egen administratorrolle; bed en anden administrator om det",
            ));
        }
        let region = region::Entity::find()
            .filter(region::Column::Slug.eq(region))
            .one(self.db())
            .await?
            .ok_or(EngineError::NotFound { what: "region" })?;
        membership::Entity::delete_many()
            .filter(membership::Column::UserId.eq(user_id))
            .filter(membership::Column::RegionId.eq(region.id))
            .filter(membership::Column::Role.eq(role.as_str()))
            .exec(self.db())
            .await?;
        tracing::info!(by = actor.user_id, user = user_id, %role, "role removed");
        Ok(())
    }

    /// Where `user` belongs: the regions they hold a role in and their organisation's region.
    async fn user_place(&self, user: &app_user::Model) -> Result<UserPlace, EngineError> {
        use crate::storage::entity::organisation;
        let region_ids: Vec<i64> = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user.id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| m.region_id)
            .collect();
        let organisation_region = match user.organisation_id {
            Some(id) => organisation::Entity::find_by_id(id)
                .one(self.db())
                .await?
                .map(|o| o.region_id),
            None => None,
        };
        let slugs: BTreeMap<i64, String> = region::Entity::find()
            .all(self.db())
            .await?
            .into_iter()
            .map(|r| (r.id, r.slug))
            .collect();
        Ok(UserPlace {
            regions: region_ids
                .iter()
                .filter_map(|id| slugs.get(id).cloned())
                .collect(),
            organisation_region: organisation_region.and_then(|id| slugs.get(&id).cloned()),
        })
    }
}
