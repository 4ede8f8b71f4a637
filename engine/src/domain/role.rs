//! Roles a user holds in a region, and the sides of a handover.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a member of a region may do there. The vocabulary is fixed: a workflow names these,
/// it cannot invent new ones.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Submits cases. On a given case, only the case's own proposer acts as `proposer`.
    Proposer,
    /// Prepares cases, builds agendas, keeps the case file.
    Secretariat,
    /// Prepares and signs off the economic consequence assessment.
    Economist,
    /// Member of the administrative steering group.
    SteeringGroup,
    /// Member of the political committee (SSU), until 2026-12-31.
    Committee,
    /// Member of a sundhedsråd (from 2027); which council is named per member.
    Council,
    /// Member of the regionsråd (from 2027).
    RegionalCouncil,
    /// Manages users and organisations.
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Proposer,
        Role::Secretariat,
        Role::Economist,
        Role::SteeringGroup,
        Role::Committee,
        Role::Council,
        Role::RegionalCouncil,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Proposer => "proposer",
            Role::Secretariat => "secretariat",
            Role::Economist => "economist",
            Role::SteeringGroup => "steering_group",
            Role::Committee => "committee",
            Role::Council => "council",
            Role::RegionalCouncil => "regional_council",
            Role::Admin => "admin",
        }
    }

    /// The Danish name, for messages to users.
    pub fn danish(self) -> &'static str {
        match self {
            Role::Proposer => "forslagsstiller",
            Role::Secretariat => "sekretariat",
            Role::Economist => "økonom",
            Role::SteeringGroup => "styregruppe",
            Role::Committee => "det politiske udvalg",
            Role::Council => "sundhedsråd",
            Role::RegionalCouncil => "regionsrådet",
            Role::Admin => "administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}`; use one of: proposer, secretariat, economist, steering_group, committee, council, regional_council, admin"
)]
pub struct UnknownRole(pub String);

impl UnknownRole {
    /// The same in Danish, with the roles' Danish names.
    pub fn danish(&self) -> String {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.danish()).collect();
        format!(
            "rollen »{}« findes ikke; vælg en af rollerne {}",
            self.0,
            roles.join(", ")
        )
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A side of the handover: the organisation the task moves from, or the one it moves to.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Giving,
    Receiving,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Giving => "giving",
            Side::Receiving => "receiving",
        }
    }

    pub fn danish(self) -> &'static str {
        match self {
            Side::Giving => "afgivende part",
            Side::Receiving => "modtagende part",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Side {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "giving" => Ok(Side::Giving),
            "receiving" => Ok(Side::Receiving),
            other => Err(format!("unknown side `{other}`; use giving or receiving")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("chief".parse::<Role>().is_err());
    }
}
