//! Administration over HTTP: the mail outbox, and resending a failed mail.

use super::auth::Caller;
use super::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use overdrag_engine::Engine;
use overdrag_engine::mail::admin::{OutboxEntry, OutboxPage};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// The region slug.
    pub region: String,
    /// Only mails with this status: pending, sending, sent or failed.
    pub status: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// The region's mails with status, attempts and last error (admins).
#[utoipa::path(get, path = "/admin/outbox", tag = "admin", security(("bearer" = [])), params(OutboxParams),
    responses((status = 200, body = OutboxPage), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn outbox(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    query: Result<Query<OutboxParams>, QueryRejection>,
) -> Result<Json<OutboxPage>, ApiError> {
    let Query(p) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "name the region as ?region=syddanmark: {}",
            e.body_text()
        ))
    })?;
    Ok(Json(
        engine
            .outbox(
                &actor,
                &p.region,
                p.status.as_deref(),
                p.page.unwrap_or(1),
                p.per_page.unwrap_or(50),
            )
            .await?,
    ))
}

/// Sends a failed mail again (admins).
#[utoipa::path(post, path = "/admin/outbox/{id}/resend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The outbox row")),
    responses((status = 200, body = OutboxEntry), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn resend(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<i64>,
) -> Result<Json<OutboxEntry>, ApiError> {
    Ok(Json(engine.resend_mail(&actor, id).await?))
}
