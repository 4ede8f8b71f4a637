//! Meetings of the steering group and committee over HTTP: plan them, place cases on their
//! agendas, read the minutes.

use super::auth::Caller;
use super::input::JsonAfterRole;
use super::prefer::Prefer;
use super::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use overdrag_engine::cases::MeetingChange;
use overdrag_engine::cases::meetings::{MeetingView, Minutes, NewMeeting};
use overdrag_engine::{Engine, policy};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// The `{id}` of a meeting in the path.
#[derive(Debug)]
pub struct MeetingId(pub i64);

impl FromRequestParts<Engine> for MeetingId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        engine: &Engine,
    ) -> Result<Self, Self::Rejection> {
        super::cases::path_id(parts, engine, "meeting")
            .await
            .map(MeetingId)
    }
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeetingInput {
    #[validate(length(
        min = 1,
        max = 64,
        message = "name the region by its slug, e.g. syddanmark"
    ))]
    pub region: String,
    /// `steering_group` or `committee`; in a 2027 region also `council:<id>` (see
    /// `/regions/{region}/councils`) or `regional_council`.
    pub body: String,
    #[validate(length(
        min = 3,
        max = 200,
        message = "give the meeting a title of 3 to 200 characters"
    ))]
    pub title: String,
    pub held_on: NaiveDate,
    /// The last day cases can be placed on the agenda without an override.
    pub material_deadline: NaiveDate,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaInput {
    pub case_id: i64,
    /// Place the case although the material deadline has passed (journaled).
    #[serde(default)]
    pub override_deadline: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingsParams {
    /// The region slug.
    pub region: String,
}

/// Plans a meeting of the region's steering group or committee.
#[utoipa::path(post, path = "/meetings", tag = "meetings", security(("bearer" = [])), request_body = NewMeetingInput,
    responses((status = 201, body = MeetingView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_meeting(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    body: JsonAfterRole<NewMeetingInput>,
) -> Result<(StatusCode, Json<MeetingView>), ApiError> {
    policy::meeting::prepares_meetings_anywhere(&actor, "planning meetings")?;
    let input = body.read()?;
    let meeting = NewMeeting {
        region: input.region,
        body: input.body,
        title: input.title,
        held_on: input.held_on,
        material_deadline: input.material_deadline,
    };
    Ok((
        StatusCode::CREATED,
        Json(engine.create_meeting(&actor, meeting).await?),
    ))
}

/// The region's meetings, soonest first, each with its agenda.
#[utoipa::path(get, path = "/meetings", tag = "meetings", security(("bearer" = [])), params(MeetingsParams),
    responses((status = 200, body = [MeetingView]), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn list_meetings(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    query: Result<Query<MeetingsParams>, QueryRejection>,
) -> Result<Json<Vec<MeetingView>>, ApiError> {
    let Query(params) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "name the region as ?region=syddanmark: {}",
            e.body_text()
        ))
    })?;
    Ok(Json(engine.meetings(&actor, &params.region).await?))
}

/// One meeting with its agenda in order.
#[utoipa::path(get, path = "/meetings/{id}", tag = "meetings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The meeting id")),
    responses((status = 200, body = MeetingView), (status = 404, body = Problem)))]
pub async fn get_meeting(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    MeetingId(id): MeetingId,
) -> Result<Json<MeetingView>, ApiError> {
    Ok(Json(engine.meeting(&actor, id).await?))
}

/// Places a case last on the agenda: only a case awaiting this body, and before the material
/// deadline unless `override_deadline`.
#[utoipa::path(post, path = "/meetings/{id}/agenda", tag = "meetings", security(("bearer" = [])), request_body = AgendaInput,
    params(("id" = i64, Path, description = "The meeting id"), ("Prefer" = Option<String>, Header, description = "`return=minimal` answers with only what was committed to the case (`Committed`) instead of the whole agenda")),
    responses((status = 200, body = MeetingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn place_on_agenda(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    prefer: Prefer,
    MeetingId(id): MeetingId,
    body: JsonAfterRole<AgendaInput>,
) -> Result<Response, ApiError> {
    policy::meeting::prepares_meetings_anywhere(&actor, "placing cases on an agenda")?;
    let input = body.read()?;
    let committed = engine
        .commit_placement(&actor, id, input.case_id, input.override_deadline)
        .await?;
    if prefer.minimal {
        Ok(prefer.applied(Json(committed).into_response()))
    } else {
        Ok(Json(engine.meeting(&actor, id).await?).into_response())
    }
}

/// The decisions taken at the meeting, in agenda order.
#[utoipa::path(get, path = "/meetings/{id}/minutes", tag = "meetings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The meeting id")),
    responses((status = 200, body = Minutes), (status = 404, body = Problem)))]
pub async fn minutes(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    MeetingId(id): MeetingId,
) -> Result<Json<Minutes>, ApiError> {
    Ok(Json(engine.minutes(&actor, id).await?))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaOrderInput {
    pub case_id: i64,
    /// The new place on the agenda, 1 being first.
    #[validate(range(min = 1, max = 1000, message = "give a place from 1 (first) on"))]
    pub position: i32,
}

/// Moves a case to another place on the agenda (secretariat, before the meeting).
#[utoipa::path(put, path = "/meetings/{id}/agenda/order", tag = "meetings", security(("bearer" = [])), request_body = AgendaOrderInput,
    params(("id" = i64, Path, description = "The meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn move_agenda_item(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    MeetingId(id): MeetingId,
    body: JsonAfterRole<AgendaOrderInput>,
) -> Result<Json<MeetingView>, ApiError> {
    policy::meeting::prepares_meetings_anywhere(&actor, "ordering an agenda")?;
    let input = body.read()?;
    Ok(Json(
        engine
            .move_agenda_item(&actor, id, input.case_id, input.position)
            .await?,
    ))
}

/// Publishes the agenda: every case's parties and the body's members are mailed (secretariat).
#[utoipa::path(post, path = "/meetings/{id}/publish", tag = "meetings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn publish_agenda(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    MeetingId(id): MeetingId,
) -> Result<Json<MeetingView>, ApiError> {
    Ok(Json(engine.publish_agenda(&actor, id).await?))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingChangeInput {
    #[validate(length(
        min = 3,
        max = 200,
        message = "give the meeting a title of 3 to 200 characters"
    ))]
    pub title: String,
    pub held_on: NaiveDate,
    pub material_deadline: NaiveDate,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// Why the meeting is cancelled; mailed to the parties of the cases on its agenda.
    pub reason: String,
}

/// Corrects the title and dates of a meeting not yet held (secretariat). The cases on its
/// agenda are journaled with the change, and mailed when the day moves.
#[utoipa::path(put, path = "/meetings/{id}", tag = "meetings", security(("bearer" = [])), request_body = MeetingChangeInput,
    params(("id" = i64, Path, description = "The meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change_meeting(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    MeetingId(id): MeetingId,
    body: JsonAfterRole<MeetingChangeInput>,
) -> Result<Json<MeetingView>, ApiError> {
    policy::meeting::prepares_meetings_anywhere(&actor, "changing a meeting")?;
    let input = body.read()?;
    let change = MeetingChange {
        title: input.title,
        held_on: input.held_on,
        material_deadline: input.material_deadline,
    };
    Ok(Json(engine.change_meeting(&actor, id, change).await?))
}

/// Cancels a meeting not yet held, with the reason (secretariat). The cases on its agenda
/// leave it, journaled, and their parties and the body's members are mailed.
#[utoipa::path(post, path = "/meetings/{id}/cancel", tag = "meetings", security(("bearer" = [])), request_body = CancelInput,
    params(("id" = i64, Path, description = "The meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel_meeting(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    MeetingId(id): MeetingId,
    body: JsonAfterRole<CancelInput>,
) -> Result<Json<MeetingView>, ApiError> {
    policy::meeting::prepares_meetings_anywhere(&actor, "cancelling a meeting")?;
    let input = body.read()?;
    Ok(Json(
        engine.cancel_meeting(&actor, id, &input.reason).await?,
    ))
}
