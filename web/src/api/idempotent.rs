//! Running a POST at most once per `Idempotency-Key`: a retry gets the first answer back.

use super::prefer::Prefer;
use super::problem::{ApiError, problem_response};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use overdrag_engine::cases::Committed;
use overdrag_engine::idempotency::{self, Claim, Idempotency};
use overdrag_engine::{Actor, Engine, EngineError};
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

fn replayed(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// Commits a change to a case with `commit` and answers `success` with the case as `prefer`
/// asks. With an `Idempotency-Key` header, the first answer (success or refusal) is stored and
/// replayed to every retry of the same request. `commit` gets the key's claim, to record in its
/// transaction that it committed: a retry after a crash then answers from that commit.
///
/// # Errors
/// Problems for a reused or in-flight key, and whatever `commit` fails with.
pub async fn run<F, Fut>(
    engine: &Engine,
    actor: &Actor,
    headers: &HeaderMap,
    request: &impl Serialize,
    success: StatusCode,
    prefer: Prefer,
    commit: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(Option<Claim>) -> Fut,
    Fut: Future<Output = Result<Committed, EngineError>>,
{
    let Some(key) = headers.get("idempotency-key") else {
        let value = prefer.answer(engine, actor, commit(None).await?).await?;
        return Ok(json_response(
            success,
            serde_json::to_string(&value).unwrap_or_default(),
        ));
    };
    let key = key.to_str().map_err(|_| {
        ApiError::invalid(vec![overdrag_engine::FieldError::new(
            "Idempotency-Key",
            "use visible ASCII characters",
            "brug synlige ASCII-tegn",
        )])
    })?;
    let hash = overdrag_engine::domain::economics::hex(&Sha256::digest(
        serde_json::to_vec(request).unwrap_or_default(),
    ));
    match idempotency::begin(engine, actor.user_id, key, &hash).await? {
        Idempotency::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Ok(replayed(if status.is_success() {
                json_response(status, body)
            } else {
                problem_response(status, body)
            }))
        }
        Idempotency::InProgress => Err(ApiError::IdempotencyInProgress),
        Idempotency::Mismatch => Err(ApiError::IdempotencyMismatch),
        Idempotency::Committed { claim, committed } => {
            let value = prefer.answer(engine, actor, committed).await?;
            let body = serde_json::to_string(&value).unwrap_or_default();
            idempotency::finish(engine, &claim, success.as_u16(), &body).await?;
            Ok(replayed(json_response(success, body)))
        }
        Idempotency::Fresh(claim) => {
            let answer = match commit(Some(claim.clone())).await {
                Ok(committed) => prefer.answer(engine, actor, committed).await,
                Err(error) => Err(error.into()),
            };
            let (status, body, problem) = match answer {
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
                idempotency::release(engine, &claim).await?;
            } else {
                idempotency::finish(engine, &claim, status.as_u16(), &body).await?;
            }
            Ok(if problem {
                problem_response(status, body)
            } else {
                json_response(status, body)
            })
        }
    }
}
