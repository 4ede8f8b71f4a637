//! Every API error as `application/problem+json` (RFC 9457), mapped from the engine's errors in
//! this one place. A 500 reveals nothing; the cause is logged.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use overdrag_engine::domain::role::Role;
use overdrag_engine::workflow::guard::GuardFailure;
use overdrag_engine::workflow::machine::Refusal;
use overdrag_engine::{EngineError, FieldError};
use serde::Serialize;

/// The problem document. Fields beyond RFC 9457's are present only where they apply.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:overdrag:problem:stale-version`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation problems: each field and what to change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a stale version: the case's version now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
    /// For a blocked transition: each guard that failed, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_guards: Vec<GuardFailure>,
    /// For a refusal by role: the roles that may do it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needed_roles: Vec<Role>,
}

/// An error answered by the API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: no token, or an unknown or revoked one.
    #[error("a valid API token is required")]
    Unauthorized,
    /// 400: the request cannot be read (malformed JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// 413: the body is over the limit.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// 415: the body is not JSON.
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// 409: a request with this Idempotency-Key is still being answered.
    #[error("a request with this Idempotency-Key is still being processed; retry in a moment")]
    IdempotencyInProgress,
    /// 422: the Idempotency-Key was used for another request.
    #[error("this Idempotency-Key was already used for a different request; use a new key")]
    IdempotencyMismatch,
    /// 503: the database does not answer in time (the readiness check).
    #[error("the database does not answer: {0}")]
    Unavailable(String),
    /// Whatever the engine says, mapped in [`ApiError::status`].
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl ApiError {
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        ApiError::Engine(EngineError::Invalid(errors))
    }

    /// The status, the problem type and the title of each error.
    fn classify(&self) -> (StatusCode, &'static str, &'static str) {
        use EngineError as E;
        match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
            ),
            ApiError::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                "The request cannot be read",
            ),
            ApiError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "The request is too large",
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported content type",
            ),
            ApiError::IdempotencyInProgress => (
                StatusCode::CONFLICT,
                "idempotency-in-progress",
                "Request in progress",
            ),
            ApiError::IdempotencyMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-mismatch",
                "Idempotency-Key reused",
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The database is unavailable",
            ),
            ApiError::Engine(error) => match error {
                E::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found", "Not found"),
                E::Invalid(_) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "The input is not valid",
                ),
                E::Forbidden { .. } | E::Refused(Refusal::RoleNotAllowed { .. }) => (
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Your role does not allow this",
                ),
                E::Refused(Refusal::NotMember { .. }) => (
                    StatusCode::FORBIDDEN,
                    "not-a-member",
                    "Only the deciding body's members decide this",
                ),
                E::Refused(Refusal::MeetingNotReady { .. }) => (
                    StatusCode::CONFLICT,
                    "meeting-not-ready",
                    "The meeting cannot decide this yet",
                ),
                E::Conflict { .. } => (
                    StatusCode::CONFLICT,
                    "stale-version",
                    "The case has changed",
                ),
                E::NotEditable { .. } => (
                    StatusCode::CONFLICT,
                    "not-editable",
                    "Not editable in this state",
                ),
                E::Refused(Refusal::NotAvailable { .. }) => (
                    StatusCode::CONFLICT,
                    "transition-not-available",
                    "Transition not available",
                ),
                E::Refused(Refusal::Blocked { .. }) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "guards-failed",
                    "The case is not ready for this step",
                ),
                E::ReformNotYet { .. } => (
                    StatusCode::CONFLICT,
                    "reform-not-yet",
                    "The reform has not taken effect",
                ),
                E::NoWorkflow { .. } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "no-workflow",
                    "No workflow in force",
                ),
                E::IdempotencyTakenOver => (
                    StatusCode::CONFLICT,
                    "idempotency-taken-over",
                    "Request taken over by a retry",
                ),
                E::Database(_) if error.is_unavailable() => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The database is unavailable",
                ),
                E::Database(_)
                | E::DefinitionChanged { .. }
                | E::DefinitionMissing(_)
                | E::Storage(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                ),
            },
        }
    }

    pub fn status(&self) -> StatusCode {
        self.classify().0
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let (status, kind, title) = self.classify();
        let detail = match status {
            StatusCode::INTERNAL_SERVER_ERROR => {
                tracing::error!(error = ?self, "request failed");
                "Something went wrong on our side; nothing was changed. Try again, or tell the administrator.".to_owned()
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                tracing::warn!(error = %self, "database unavailable");
                "The database does not answer right now. A change you sent may or may not have been saved (the answer can be lost after the commit): read it back before you send it again.".to_owned()
            }
            _ => self.to_string(),
        };
        let mut problem = Problem {
            kind: format!("urn:overdrag:problem:{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
            current_version: None,
            failed_guards: Vec::new(),
            needed_roles: Vec::new(),
        };
        if let ApiError::Engine(error) = self {
            match error {
                EngineError::Invalid(errors) => problem.errors.clone_from(errors),
                EngineError::Conflict { current, .. } => problem.current_version = Some(*current),
                EngineError::Forbidden { needed, .. }
                | EngineError::Refused(Refusal::RoleNotAllowed { needed, .. }) => {
                    problem.needed_roles.clone_from(needed)
                }
                EngineError::Refused(Refusal::Blocked { failures, .. }) => {
                    problem.failed_guards.clone_from(failures)
                }
                _ => {}
            }
        }
        problem
    }
}

/// Writes a problem document with its status.
pub fn problem_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let body = serde_json::to_string(&problem).unwrap_or_default();
        let mut response = problem_response(self.status(), body);
        if matches!(self, ApiError::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"overdrag\""),
            );
        }
        response
    }
}
