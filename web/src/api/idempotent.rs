//! Running a POST at most once per `Idempotency-Key`: a retry gets the first answer back.

use super::problem::{ApiError, problem_response};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use overdrag_engine::idempotency::{self, Idempotency};
use overdrag_engine::{Actor, Engine};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::future::Future;

fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Runs `action` and answers `success` with its result; with an `Idempotency-Key` header, the
/// first answer (success or refusal) is stored and replayed to every retry of the same request.
///
/// # Errors
/// Problems for a reused or in-flight key, and whatever `action` fails with.
pub async fn run<T, F>(
    engine: &Engine,
    actor: &Actor,
    headers: &HeaderMap,
    request: &impl Serialize,
    success: StatusCode,
    action: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: Future<Output = Result<T, ApiError>>,
{
    let Some(key) = headers.get("idempotency-key") else {
        let value = action.await?;
        return Ok(json_response(
            success,
            serde_json::to_string(&value).unwrap_or_default(),
        ));
    };
    let key = key.to_str().map_err(|_| {
        ApiError::invalid(vec![overdrag_engine::FieldError::new(
            "Idempotency-Key",
            "use visible ASCII characters",
        )])
    })?;
    let hash = overdrag_engine::domain::economics::hex(&Sha256::digest(
        serde_json::to_vec(request).unwrap_or_default(),
    ));
    match idempotency::begin(engine.db(), actor.user_id, key, &hash, chrono::Utc::now()).await? {
        Idempotency::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = if status.is_success() {
                json_response(status, body)
            } else {
                problem_response(status, body)
            };
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(response)
        }
        Idempotency::InProgress => Err(ApiError::IdempotencyInProgress),
        Idempotency::Mismatch => Err(ApiError::IdempotencyMismatch),
        Idempotency::Fresh => {
            let (status, body, problem) = match action.await {
                Ok(value) => (
                    success,
                    serde_json::to_string(&value).unwrap_or_default(),
                    false,
                ),
                Err(error) => (
                    error.status(),
                    serde_json::to_string(&error.problem()).unwrap_or_default(),
                    true,
                ),
            };
            if status.is_server_error() {
                idempotency::release(engine.db(), actor.user_id, key).await?;
            } else {
                idempotency::finish(engine.db(), actor.user_id, key, status.as_u16(), &body)
                    .await?;
            }
            Ok(if problem {
                problem_response(status, body)
            } else {
                json_response(status, body)
            })
        }
    }
}
