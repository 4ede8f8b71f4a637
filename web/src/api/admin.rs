//! Administration over HTTP: the mail outbox, and resending a failed mail; and each user's own
//! mail preference.

use super::auth::Caller;
use super::input::ValidJson;
use super::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use overdrag_engine::Engine;
use overdrag_engine::mail::MailPreference;
use overdrag_engine::mail::admin::{OutboxEntry, OutboxPage};
use overdrag_engine::organisations::OrganisationView;
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionParams {
    /// The region slug.
    pub region: String,
}

/// The region's organisations with their contact addresses (admins).
#[utoipa::path(get, path = "/admin/organisations", tag = "admin", security(("bearer" = [])), params(RegionParams),
    responses((status = 200, body = [OrganisationView]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn organisations(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    query: Result<Query<RegionParams>, QueryRejection>,
) -> Result<Json<Vec<OrganisationView>>, ApiError> {
    let Query(p) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "name the region as ?region=syddanmark: {}",
            e.body_text()
        ))
    })?;
    Ok(Json(engine.organisations(&actor, &p.region).await?))
}

#[derive(Debug, Deserialize, serde::Serialize, validator::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// The address the organisation's mails go to; null or empty removes it.
    #[validate(length(max = 254, message = "an email address has at most 254 characters"))]
    pub contact_email: Option<String>,
}

/// Sets an organisation's contact address (admins).
#[utoipa::path(put, path = "/admin/organisations/{id}/contact", tag = "admin", security(("bearer" = [])), request_body = ContactInput,
    params(("id" = i64, Path, description = "The organisation id")),
    responses((status = 200, body = OrganisationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_contact(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<i64>,
    ValidJson(input): ValidJson<ContactInput>,
) -> Result<Json<OrganisationView>, ApiError> {
    Ok(Json(
        engine
            .set_contact_email(&actor, id, input.contact_email.as_deref())
            .await?,
    ))
}

/// The caller's mail preference: a mail per event, or one daily digest at 07:00.
#[utoipa::path(get, path = "/me/mail-preference", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = MailPreference), (status = 401, body = Problem)))]
pub async fn mail_preference(
    State(engine): State<Engine>,
    Caller(actor): Caller,
) -> Result<Json<MailPreference>, ApiError> {
    Ok(Json(engine.mail_preference(&actor).await?))
}

#[derive(Debug, Deserialize, serde::Serialize, validator::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailPreferenceInput {
    /// One mail a day at 07:00 (Danish time) instead of a mail per event.
    pub daily_digest: bool,
}

/// Chooses a mail per event or one daily digest; leaving the digest sends what it held.
#[utoipa::path(put, path = "/me/mail-preference", tag = "users", security(("bearer" = [])), request_body = MailPreferenceInput,
    responses((status = 200, body = MailPreference), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn set_mail_preference(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    ValidJson(input): ValidJson<MailPreferenceInput>,
) -> Result<Json<MailPreference>, ApiError> {
    let preference = MailPreference {
        daily_digest: input.daily_digest,
    };
    Ok(Json(engine.set_mail_preference(&actor, preference).await?))
}
