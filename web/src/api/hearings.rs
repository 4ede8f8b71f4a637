//! Hearings over HTTP: the secretariat opens one, members answer for their organisation, and a
//! heard party answers through its personal link without an account.

use super::auth::Caller;
use super::cases::CaseId;
use super::input::ValidJson;
use super::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use overdrag_engine::cases::hearings::{
    HearingAnswer, HearingInvitation, HearingView, OpenedHearing,
};
use overdrag_engine::cases::{HearingRequest, IntoHearing};
use overdrag_engine::{Engine, EngineError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenHearingInput {
    /// The last day to answer; default: the workflow's answer days in working days.
    pub deadline: Option<NaiveDate>,
    /// The organisations to hear; default: those the region's workflow names.
    #[validate(length(
        min = 1,
        max = 500,
        message = "name between 1 and 500 parties, or leave parties out for the workflow's own"
    ))]
    pub parties: Option<Vec<i64>>,
    /// The transition into the hearing, taken in the same step (e.g. `send_to_hearing`): the
    /// case moves and the parties are invited, or neither happens. Leave it out to open the
    /// hearing of a case already in its hearing state.
    #[validate(length(
        min = 1,
        max = 64,
        message = "name the transition by its id, e.g. send_to_hearing"
    ))]
    pub transition: Option<String>,
    /// With `transition`: the case version you acted on.
    pub expected_version: Option<i32>,
    /// With `transition`: its comment, sent to the parties.
    #[validate(length(
        max = 5000,
        message = "the comment may be at most 5000 characters; attach a document for more"
    ))]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub answer: HearingAnswer,
    /// Required with remarks or an objection.
    #[validate(length(
        max = 10000,
        message = "at most 10000 characters; attach a document for more"
    ))]
    pub text: Option<String>,
}

/// Opens the hearing of a case in its hearing state, or takes the transition into the hearing
/// and opens it in one step. The answer lists each heard party's personal link token — shown
/// this once; only hashes are stored — and, in `hearing.case_version`, the case's new version.
#[utoipa::path(post, path = "/cases/{id}/hearing", tag = "hearings", security(("bearer" = [])), request_body = OpenHearingInput,
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 201, body = OpenedHearing), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn open_hearing(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
    ValidJson(input): ValidJson<OpenHearingInput>,
) -> Result<(StatusCode, Json<OpenedHearing>), ApiError> {
    let request = HearingRequest {
        deadline: input.deadline,
        parties: input.parties.as_deref(),
    };
    let opened = match (input.transition.as_deref(), input.expected_version) {
        (Some(transition), Some(expected_version)) => {
            let step = IntoHearing {
                transition,
                expected_version,
                comment: input.comment.as_deref(),
            };
            engine
                .transition_into_hearing(&actor, id, step, request)
                .await?
        }
        (Some(_), None) => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "expected_version",
                "state the version of the case you acted on, with the transition",
                "Angiv den version af sagen, du handlede på, sammen med handlingen.",
            )]));
        }
        (None, _) => {
            engine
                .open_hearing(&actor, id, request.deadline, request.parties)
                .await?
        }
    };
    Ok((StatusCode::CREATED, Json(opened)))
}

/// The case's hearing: deadline, quorum and every party's answer.
#[utoipa::path(get, path = "/cases/{id}/hearing", tag = "hearings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, body = HearingView), (status = 404, body = Problem)))]
pub async fn get_hearing(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
) -> Result<Json<HearingView>, ApiError> {
    Ok(Json(
        engine
            .hearing(&actor, id)
            .await?
            .ok_or(EngineError::NotFound { what: "hearing" })?,
    ))
}

/// Answers the hearing for the caller's own organisation.
#[utoipa::path(post, path = "/cases/{id}/hearing/answers", tag = "hearings", security(("bearer" = [])), request_body = AnswerInput,
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, body = HearingView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn answer_as_member(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
    ValidJson(input): ValidJson<AnswerInput>,
) -> Result<Json<HearingView>, ApiError> {
    Ok(Json(
        engine
            .answer_hearing_as_member(&actor, id, input.answer, input.text.as_deref())
            .await?,
    ))
}

/// What the holder of a personal hearing link sees. No account needed.
#[utoipa::path(get, path = "/hearing-links/{token}", tag = "hearings",
    params(("token" = String, Path, description = "The party's personal link token")),
    responses((status = 200, body = HearingInvitation), (status = 404, body = Problem)))]
pub async fn invitation(
    State(engine): State<Engine>,
    Path(token): Path<String>,
) -> Result<Json<HearingInvitation>, ApiError> {
    Ok(Json(engine.hearing_invitation(&token).await?))
}

/// Answers through a personal hearing link, until the deadline. No account needed.
#[utoipa::path(post, path = "/hearing-links/{token}", tag = "hearings", request_body = AnswerInput,
    params(("token" = String, Path, description = "The party's personal link token")),
    responses((status = 200, body = HearingInvitation), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn answer_by_link(
    State(engine): State<Engine>,
    Path(token): Path<String>,
    ValidJson(input): ValidJson<AnswerInput>,
) -> Result<Json<HearingInvitation>, ApiError> {
    Ok(Json(
        engine
            .answer_hearing_by_link(&token, input.answer, input.text.as_deref())
            .await?,
    ))
}
