//! The bodies that meet and decide: the secretariat, the administrative steering group, the
//! political committee (until 2026), and from the 2027 reform each sundhedsråd (council) and
//! the regionsråd (regional council). A body is a value, never a string compared in place: a
//! meeting belongs to one body, a deciding stage is decided by one body, and only that body's
//! members decide the items on its meetings' agendas.

use crate::domain::role::Role;
use crate::workflow::Stage;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A body of a region. Stored and sent as its key: `steering_group`, `committee`,
/// `council:17` (the council with id 17), `regional_council`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Body {
    /// Prepares cases and agendas; holds no meetings of its own.
    Secretariat,
    /// The administrative steering group: recommends, returns or rejects.
    SteeringGroup,
    /// The political committee (SSU), until 2026-12-31: approves, returns or rejects.
    Committee,
    /// One of the region's sundhedsråd, from 2027: recommends for its area.
    Council(i64),
    /// The regionsråd, from 2027: decides on the councils' recommendation.
    RegionalCouncil,
}

impl Body {
    /// The bodies whose membership follows from a role alone; a council's members are named
    /// one by one.
    const BY_ROLE: [Body; 4] = [
        Body::Secretariat,
        Body::SteeringGroup,
        Body::Committee,
        Body::RegionalCouncil,
    ];

    /// The key it is stored and sent as.
    pub fn key(self) -> String {
        match self {
            Body::Council(id) => format!("council:{id}"),
            other => other.fixed_key().to_owned(),
        }
    }

    fn fixed_key(self) -> &'static str {
        match self {
            Body::Secretariat => "secretariat",
            Body::SteeringGroup => "steering_group",
            Body::Committee => "committee",
            Body::Council(_) => "council",
            Body::RegionalCouncil => "regional_council",
        }
    }

    /// Whether the body holds meetings with agendas.
    pub fn holds_meetings(self) -> bool {
        self != Body::Secretariat
    }

    /// The role whose holders in a region may be members of this body there; for a council,
    /// membership is also named per council.
    pub fn member_role(self) -> Role {
        match self {
            Body::Secretariat => Role::Secretariat,
            Body::SteeringGroup => Role::SteeringGroup,
            Body::Committee => Role::Committee,
            Body::Council(_) => Role::Council,
            Body::RegionalCouncil => Role::RegionalCouncil,
        }
    }

    /// The bodies a holder of `roles` who is named to the councils `councils` is a member of.
    pub fn memberships(roles: &BTreeSet<Role>, councils: &BTreeSet<i64>) -> BTreeSet<Body> {
        let by_role = Body::BY_ROLE
            .into_iter()
            .filter(|b| roles.contains(&b.member_role()));
        let named = councils
            .iter()
            .filter(|_| roles.contains(&Role::Council))
            .map(|id| Body::Council(*id));
        by_role.chain(named).collect()
    }

    /// The stage this body's meetings decide in; `None` for a body without meetings.
    pub fn deciding_stage(self) -> Option<Stage> {
        match self {
            Body::SteeringGroup => Some(Stage::SteeringGroup),
            Body::Committee => Some(Stage::Committee),
            Body::Council(_) => Some(Stage::Council),
            Body::RegionalCouncil => Some(Stage::RegionalCouncil),
            Body::Secretariat => None,
        }
    }

    /// The one body that decides a case in `stage`. In the council stage each of the case's
    /// councils recommends in turn, so no single body is named.
    pub fn deciding_in(stage: Stage) -> Option<Body> {
        [Body::SteeringGroup, Body::Committee, Body::RegionalCouncil]
            .into_iter()
            .find(|b| b.deciding_stage() == Some(stage))
    }

    /// Whether cases in `stage` are decided at a body's meeting.
    pub fn decides_at_meetings(stage: Stage) -> bool {
        stage == Stage::Council || Body::deciding_in(stage).is_some()
    }

    /// "the steering group", "a council": for messages in English.
    pub fn english(self) -> &'static str {
        match self {
            Body::Secretariat => "the secretariat",
            Body::SteeringGroup => "the steering group",
            Body::Committee => "the committee",
            Body::Council(_) => "the council",
            Body::RegionalCouncil => "the regional council",
        }
    }

    /// "styregruppen", "sundhedsrådet": for messages in Danish.
    pub fn danish(self) -> &'static str {
        match self {
            Body::Secretariat => "sekretariatet",
            Body::SteeringGroup => "styregruppen",
            Body::Committee => "udvalget",
            Body::Council(_) => "sundhedsrådet",
            Body::RegionalCouncil => "regionsrådet",
        }
    }
}

impl fmt::Display for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Council(id) => write!(f, "council:{id}"),
            other => f.write_str(other.fixed_key()),
        }
    }
}

/// A body name that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown body `{0}`; use steering_group, committee, council:<id of one of the region's councils> or regional_council"
)]
pub struct UnknownBody(pub String);

impl FromStr for Body {
    type Err = UnknownBody;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(id) = s.strip_prefix("council:") {
            return id
                .parse()
                .map(Body::Council)
                .map_err(|_| UnknownBody(s.to_owned()));
        }
        Body::BY_ROLE
            .into_iter()
            .find(|b| b.fixed_key() == s)
            .ok_or_else(|| UnknownBody(s.to_owned()))
    }
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?;
        key.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Body {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A body: steering_group, committee, council:<id> or regional_council",
            ))
            .examples(["steering_group", "council:3"])
            .into()
    }
}

impl utoipa::ToSchema for Body {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_round_trips_through_its_key() {
        for body in [
            Body::Secretariat,
            Body::SteeringGroup,
            Body::Committee,
            Body::Council(17),
            Body::RegionalCouncil,
        ] {
            assert_eq!(body.key().parse::<Body>(), Ok(body));
            let json = serde_json::to_string(&body).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", body.key()));
            assert_eq!(serde_json::from_str::<Body>(&json).ok(), Some(body));
        }
        assert!("council".parse::<Body>().is_err());
        assert!("council:x".parse::<Body>().is_err());
    }

    #[test]
    fn the_deciding_bodies_decide_their_own_stage() {
        for body in [Body::SteeringGroup, Body::Committee] {
            let stage = body.deciding_stage();
            assert!(stage.is_some(), "{body} decides a stage");
            assert_eq!(stage.and_then(Body::deciding_in), Some(body));
        }
        assert_eq!(Body::deciding_in(Stage::Hearing), None);
    }

    #[test]
    fn a_council_member_is_a_member_only_of_the_councils_named() {
        let roles = BTreeSet::from([Role::Council, Role::Proposer]);
        let bodies = Body::memberships(&roles, &BTreeSet::from([3]));
        assert_eq!(bodies, BTreeSet::from([Body::Council(3)]));
        // Named to a council without the role: no membership.
        assert!(Body::memberships(&BTreeSet::new(), &BTreeSet::from([3])).is_empty());
    }
}
