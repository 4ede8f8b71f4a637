//! Bearer-token authentication: the caller becomes an engine `Actor`; what they may do is the
//! engine's decision.

use super::problem::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use overdrag_engine::{Actor, Engine};

/// The authenticated caller.
#[derive(Debug)]
pub struct Caller(pub Actor);

impl FromRequestParts<Engine> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        engine: &Engine,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let actor = overdrag_engine::users::actor_by_token(engine.db(), token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Caller(actor))
    }
}
