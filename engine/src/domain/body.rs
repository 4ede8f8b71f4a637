//! The bodies that meet and decide: the secretariat, the administrative steering group and the
//! political committee. A body is a value, never a string compared in place: a meeting belongs
//! to one body, a deciding stage is decided by one body, and only that body's members decide
//! the items on its meetings' agendas.

use crate::domain::role::Role;
use crate::workflow::Stage;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A body of a region. The 2027 reform adds the councils and the regional council here.
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
pub enum Body {
    /// Prepares cases and agendas; holds no meetings of its own.
    Secretariat,
    /// The administrative steering group: recommends, returns or rejects.
    SteeringGroup,
    /// The political committee (SSU): approves, returns or rejects.
    Committee,
}

impl Body {
    pub const ALL: [Body; 3] = [Body::Secretariat, Body::SteeringGroup, Body::Committee];

    /// The bodies that hold meetings with agendas.
    pub const MEETING: [Body; 2] = [Body::SteeringGroup, Body::Committee];

    pub fn as_str(self) -> &'static str {
        match self {
            Body::Secretariat => "secretariat",
            Body::SteeringGroup => "steering_group",
            Body::Committee => "committee",
        }
    }

    /// The role whose holders in a region are the members of this body there.
    pub fn member_role(self) -> Role {
        match self {
            Body::Secretariat => Role::Secretariat,
            Body::SteeringGroup => Role::SteeringGroup,
            Body::Committee => Role::Committee,
        }
    }

    /// The bodies a holder of `roles` is a member of.
    pub fn memberships(
        roles: &std::collections::BTreeSet<Role>,
    ) -> std::collections::BTreeSet<Body> {
        Body::ALL
            .into_iter()
            .filter(|b| roles.contains(&b.member_role()))
            .collect()
    }

    /// The stage this body's meetings decide in; `None` for a body without meetings.
    pub fn deciding_stage(self) -> Option<Stage> {
        match self {
            Body::Secretariat => None,
            Body::SteeringGroup => Some(Stage::SteeringGroup),
            Body::Committee => Some(Stage::Committee),
        }
    }

    /// The body that decides a case in `stage`, if a body's meeting decides there.
    pub fn deciding_in(stage: Stage) -> Option<Body> {
        Body::MEETING
            .into_iter()
            .find(|b| b.deciding_stage() == Some(stage))
    }

    /// "the steering group", "the committee": for messages in English.
    pub fn english(self) -> &'static str {
        match self {
            Body::Secretariat => "the secretariat",
            Body::SteeringGroup => "the steering group",
            Body::Committee => "the committee",
        }
    }

    /// "styregruppen", "udvalget": for messages in Danish.
    pub fn danish(self) -> &'static str {
        match self {
            Body::Secretariat => "sekretariatet",
            Body::SteeringGroup => "styregruppen",
            Body::Committee => "udvalget",
        }
    }
}

impl fmt::Display for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A body name that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown body `{0}`; use steering_group or committee")]
pub struct UnknownBody(pub String);

impl FromStr for Body {
    type Err = UnknownBody;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Body::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| UnknownBody(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_round_trips_and_meeting_bodies_decide_their_own_stage() {
        for body in Body::ALL {
            assert_eq!(body.as_str().parse::<Body>(), Ok(body));
        }
        for body in Body::MEETING {
            let stage = body.deciding_stage();
            assert!(stage.is_some(), "{body} holds meetings, so it decides a stage");
            assert_eq!(stage.and_then(Body::deciding_in), Some(body));
        }
        assert_eq!(Body::deciding_in(Stage::Hearing), None);
        assert!("council".parse::<Body>().is_err());
    }
}
