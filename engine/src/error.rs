//! The engine's errors, in domain words. The web crate maps each to an HTTP status in one place.

use crate::domain::role::Role;
use crate::workflow::machine::Refusal;
use chrono::NaiveDate;
use sea_orm::DbErr;
use serde::Serialize;

/// A problem with one input field, and how to fix it, in English and Danish.
///
/// The API's problem documents answer `field` and the English `message` only; pages show
/// [`FieldError::message_in`] the visitor's language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    /// In English: what the API answers.
    pub message: String,
    /// The same in Danish, for pages.
    #[serde(skip)]
    pub danish: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        english: impl Into<String>,
        danish: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            message: english.into(),
            danish: danish.into(),
        }
    }

    /// The message in `lang` ("en" gives English; anything else Danish), as
    /// [`crate::domain::text::Label::in_language`].
    pub fn message_in(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.message
        } else {
            &self.danish
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// It does not exist, or the actor may not know that it exists.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The input is wrong; nothing was written.
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The actor lacks the role the action needs.
    #[error("{action} needs one of the roles: {}", .needed.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "))]
    Forbidden { action: String, needed: Vec<Role> },
    /// The case changed since the version the actor saw.
    #[error("the case is at version {current}, not {expected}; reload it and try again")]
    Conflict { expected: i32, current: i32 },
    /// The section cannot be edited in the case's current state.
    #[error("the {section} cannot be changed while the case is in state `{state}`")]
    NotEditable {
        section: &'static str,
        state: String,
    },
    /// The state machine refused the transition.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A reform's carry-over was asked for before the day it takes effect.
    #[error(
        "{reform} takes effect on {on}, and today is {today}; nothing was carried. To rehearse it on a copy of the database, give the day with `--on`"
    )]
    ReformNotYet {
        reform: String,
        on: NaiveDate,
        today: NaiveDate,
    },
    #[error("region {region} has no workflow definition in force on {date}")]
    NoWorkflow { region: String, date: NaiveDate },
    #[error(
        "{file}: version {version} is already stored with other content; raise `version` in the file instead of changing a version cases may use"
    )]
    DefinitionChanged { file: String, version: u32 },
    #[error("a stored case uses workflow definition {0}, which is not loaded from workflows/")]
    DefinitionMissing(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// The request held its `Idempotency-Key` past the lease and a retry took the key over;
    /// this request's change was rolled back, and the retry's answer is the one that counts.
    #[error(
        "a retry took this Idempotency-Key over after its lease ran out; nothing was changed by this request. Send it again to get the retry's answer"
    )]
    IdempotencyTakenOver,
    /// The document store could not be read or written.
    #[error("document store: {0}")]
    Storage(String),
}

impl EngineError {
    /// Whether the database could not be reached or could not serve for now, so nothing was
    /// decided and the same request may succeed in a moment (see
    /// [`crate::storage::db::is_unavailable`]). The web answers it 503.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, EngineError::Database(error) if crate::storage::db::is_unavailable(error))
    }

    /// One field's problem, in English and Danish.
    pub fn invalid(field: &str, english: impl Into<String>, danish: impl Into<String>) -> Self {
        EngineError::Invalid(vec![FieldError::new(field, english, danish)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_speaks_both_languages_but_serializes_only_english() {
        let error = FieldError::new(
            "lines[1]",
            "party 7 has two lines for 2027; merge them into one",
            "parten har to linjer for 2027; læg dem sammen til én",
        );
        assert_eq!(
            error.message_in("en"),
            "party 7 has two lines for 2027; merge them into one"
        );
        assert_eq!(
            error.message_in("da"),
            "parten har to linjer for 2027; læg dem sammen til én"
        );
        // Danish is the default, as for every text in Overdrag.
        assert_eq!(error.message_in("de"), error.message_in("da"));
        assert_eq!(
            serde_json::to_value(&error).ok(),
            Some(serde_json::json!({
                "field": "lines[1]",
                "message": "party 7 has two lines for 2027; merge them into one",
            }))
        );
    }
}
