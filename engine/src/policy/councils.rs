//! Who corrects the councils: a region's administrator moves a municipality between the
//! region's councils, and says why.

use crate::actor::Actor;
use crate::domain::role::Role;
use crate::error::{EngineError, FieldError};

/// Whether `admin` may move a municipality between the councils of `region`.
///
/// # Errors
/// [`EngineError::Forbidden`] unless they are the region's administrator.
pub fn correct_placement(admin: &Actor, region: &str) -> Result<(), EngineError> {
    if admin.has_role(region, Role::Admin) {
        Ok(())
    } else {
        Err(EngineError::Forbidden {
            action: format!("moving a municipality between the councils of {region}"),
            needed: vec![Role::Admin],
        })
    }
}

/// What is wrong with the reason given for a correction, if anything: the log says why.
pub fn reason_problem(reason: &str) -> Option<FieldError> {
    let length = reason.trim().chars().count();
    (!(3..=1000).contains(&length)).then(|| {
        FieldError::new(
            "reason",
            "say in 3 to 1000 characters why the municipality belongs to the other council",
            "skriv med 3 til 1000 tegn, hvorfor kommunen hører til det andet sundhedsråd",
        )
    })
}
