//! Who administers whom: an administrator of a region manages the users of that region — those
//! who hold a role there or work for one of its organisations — and no one else. A user of
//! another region is, to them, a user that does not exist.

use crate::actor::Actor;
use crate::domain::role::Role;
use crate::error::EngineError;

/// Where a user belongs: the regions they hold a role in, and their organisation's region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserPlace {
    pub regions: std::collections::BTreeSet<String>,
    pub organisation_region: Option<String>,
}

impl UserPlace {
    pub fn belongs_to(&self, region: &str) -> bool {
        self.regions.contains(region) || self.organisation_region.as_deref() == Some(region)
    }
}

/// Whether `admin` administers the users of `region`.
///
/// # Errors
/// [`EngineError::Forbidden`] unless they are its administrator.
pub fn administer(admin: &Actor, region: &str) -> Result<(), EngineError> {
    if admin.has_role(region, Role::Admin) {
        Ok(())
    } else {
        Err(not_administrator(region))
    }
}

/// The refusal for someone who is not administrator of `region`.
pub fn not_administrator(region: &str) -> EngineError {
    EngineError::Forbidden {
        action: format!("administering the users of {region}"),
        needed: vec![Role::Admin],
    }
}

/// Whether `admin` may give or take a role in `region` to or from a user placed at `user`.
///
/// # Errors
/// [`EngineError::Forbidden`] unless they administer the region; [`EngineError::NotFound`]
/// for a user who does not belong to it, so their existence is not told.
pub fn manage_user(admin: &Actor, region: &str, user: &UserPlace) -> Result<(), EngineError> {
    administer(admin, region)?;
    if user.belongs_to(region) {
        Ok(())
    } else {
        Err(EngineError::NotFound { what: "user" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn admin_of(region: &str) -> Actor {
        Actor {
            user_id: 1,
            name: "Admin".into(),
            email: "admin@example.invalid".into(),
            language: "da".into(),
            organisation_id: None,
            regions: BTreeMap::from([(region.to_owned(), BTreeSet::from([Role::Admin]))]),
            councils: BTreeMap::new(),
        }
    }

    #[test]
    fn an_administrator_manages_only_the_users_of_their_region() {
        let admin = admin_of("syddanmark");
        let member = UserPlace {
            regions: BTreeSet::from(["syddanmark".to_owned()]),
            organisation_region: None,
        };
        let employee = UserPlace {
            regions: BTreeSet::new(),
            organisation_region: Some("syddanmark".into()),
        };
        let stranger = UserPlace {
            regions: BTreeSet::from(["nordjylland".to_owned()]),
            organisation_region: Some("nordjylland".into()),
        };
        assert!(manage_user(&admin, "syddanmark", &member).is_ok());
        assert!(manage_user(&admin, "syddanmark", &employee).is_ok());
        assert!(matches!(
            manage_user(&admin, "syddanmark", &stranger),
            Err(EngineError::NotFound { .. })
        ));
        assert!(matches!(
            manage_user(&admin, "nordjylland", &stranger),
            Err(EngineError::Forbidden { .. })
        ));
    }
}
