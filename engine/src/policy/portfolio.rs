//! Who sees a region's portfolio overview: everyone who works on the region's cases except
//! the proposers, who follow their own cases.

use crate::actor::Actor;
use crate::domain::role::Role;
use crate::error::EngineError;

/// The roles that see the overview: all but the proposer's.
pub fn viewers() -> impl Iterator<Item = Role> {
    Role::ALL.into_iter().filter(|role| *role != Role::Proposer)
}

/// Whether `actor` sees the portfolio of `region`.
///
/// # Errors
/// [`EngineError::Forbidden`] naming the roles that do.
pub fn sees_portfolio(actor: &Actor, region: &str) -> Result<(), EngineError> {
    if viewers().any(|role| actor.has_role(region, role)) {
        Ok(())
    } else {
        Err(EngineError::Forbidden {
            action: "seeing the portfolio overview".into(),
            needed: viewers().collect(),
        })
    }
}
