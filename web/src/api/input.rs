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
        let value: T = serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => {
                ApiError::invalid(vec![FieldError::new("body", e.to_string())])
            }
            _ => ApiError::BadRequest(format!("the body is not valid JSON: {e}")),
        })?;
        value
            .validate()
            .map_err(|errors| ApiError::invalid(field_errors(&errors)))?;
        Ok(ValidJson(value))
    }
}

/// The validator's errors as field errors, each with its message.
pub fn field_errors(errors: &validator::ValidationErrors) -> Vec<FieldError> {
    let mut fields: Vec<FieldError> = errors
        .field_errors()
        .into_iter()
        .flat_map(|(field, errors)| {
            errors.iter().map(move |e| {
                FieldError::new(
                    field.to_string(),
                    e.message
                        .as_ref()
                        .map_or_else(|| e.code.to_string(), ToString::to_string),
                )
            })
        })
        .collect();
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    fields
}
