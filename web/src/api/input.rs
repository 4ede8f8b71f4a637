//! Reading request bodies and query strings: each failure becomes a clear 4xx problem, never a
//! 500 and never a partial write.

use super::problem::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use overdrag_engine::{Engine, FieldError};
use serde::de::DeserializeOwned;
use validator::Validate;

/// The largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// A JSON body that parsed and passed its validation rules.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + Validate> FromRequest<Engine> for ValidJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, engine: &Engine) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, engine)
            .await
            .map_err(|_| ApiError::TooLarge(MAX_JSON_BYTES))?;
        let value: T = parse_json(&bytes)?;
        value
            .validate()
            .map_err(|errors| ApiError::invalid(field_errors(&errors)))?;
        Ok(ValidJson(value))
    }
}

/// A JSON body whose verdict waits until the handler has checked the caller's role, so that a
/// caller without it hears 403 before any word on their input (which would tell them what the
/// operation expects).
#[derive(Debug)]
pub struct JsonAfterRole<T>(Result<T, ApiError>);

impl<T> JsonAfterRole<T> {
    /// The body, once the role has been checked.
    ///
    /// # Errors
    /// As [`ValidJson`]: the body is not JSON, does not parse or breaks a validation rule.
    pub fn read(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + Validate> FromRequest<Engine> for JsonAfterRole<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, engine: &Engine) -> Result<Self, Self::Rejection> {
        Ok(JsonAfterRole(
            ValidJson::from_request(request, engine)
                .await
                .map(|ValidJson(value)| value),
        ))
    }
}

/// Parses a JSON body. A value of the wrong type is a field error naming the field by its
/// path (`lines[5].running_costs`, or `body` for the whole body) and the type expected;
/// broken JSON is a bad request.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let not_json =
        |e: &serde_json::Error| ApiError::BadRequest(format!("the body is not valid JSON: {e}"));
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let error = e.into_inner();
        if error.classify() != serde_json::error::Category::Data {
            return not_json(&error);
        }
        let field = if path.is_empty() || path == "." {
            "body".to_owned()
        } else {
            path
        };
        // Developer-facing: serde's words in both languages.
        let message = without_position(&error);
        ApiError::invalid(vec![FieldError::new(field, message.clone(), message)])
    })?;
    deserializer.end().map_err(|e| not_json(&e))?;
    Ok(value)
}

/// serde's message without the trailing ` at line 1 column 538`: the field names the place.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) if error.line() > 0 => message[..at].to_owned(),
        _ => message,
    }
}

/// The validator's errors as field errors, each with its message (the API's; only the API
/// answers them, so the Danish text is the same).
pub fn field_errors(errors: &validator::ValidationErrors) -> Vec<FieldError> {
    let mut fields: Vec<FieldError> = errors
        .field_errors()
        .into_iter()
        .flat_map(|(field, errors)| {
            errors.iter().map(move |e| {
                let message = e
                    .message
                    .as_ref()
                    .map_or_else(|| e.code.to_string(), ToString::to_string);
                FieldError::new(field.to_string(), message.clone(), message)
            })
        })
        .collect();
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    fields
}
