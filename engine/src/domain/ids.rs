//! Identifiers that are always valid once constructed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! snake_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// # Errors
            /// When `raw` is not a lower-case snake_case word of at most 64 characters.
            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                is_snake_case(raw).then(|| Self(raw.to_owned())).ok_or_else(|| InvalidId(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

snake_id!(
    /// The stable id of a workflow state, e.g. `economic_assessment`.
    StateId
);
snake_id!(
    /// The stable id of a transition, e.g. `recommend`.
    TransitionId
);
snake_id!(
    /// A region's slug, e.g. `syddanmark`.
    RegionSlug
);

/// A string that is not a valid snake_case id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a valid id: use lower-case letters, digits and underscores, starting with a letter"
)]
pub struct InvalidId(pub String);

fn is_snake_case(raw: &str) -> bool {
    let mut chars = raw.chars();
    matches!(chars.next(), Some('a'..='z'))
        && raw.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_snake_case_and_refuse_the_rest() {
        assert!(StateId::parse("economic_assessment").is_ok());
        assert!(StateId::parse("Economic").is_err());
        assert!(StateId::parse("1st").is_err());
        assert!(StateId::parse("").is_err());
        assert!(TransitionId::parse("return-to-draft").is_err());
    }
}
