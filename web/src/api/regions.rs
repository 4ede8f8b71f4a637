//! Regions, their parties and their workflow definitions.

use super::auth::Caller;
use super::input::ValidJson;
use super::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use overdrag_engine::cases::view::PartyRef;
use overdrag_engine::councils::{CouncilMove, CouncilView};
use overdrag_engine::regions::RegionView;
use overdrag_engine::{Engine, EngineError};
use serde::Deserialize;

/// The regions, each with its code and the workflow version new cases start on.
#[utoipa::path(get, path = "/regions", tag = "regions", security(("bearer" = [])),
    responses((status = 200, body = [RegionView]), (status = 401, body = Problem)))]
pub async fn list_regions(
    State(engine): State<Engine>,
    _caller: Caller,
) -> Result<Json<Vec<RegionView>>, ApiError> {
    Ok(Json(engine.regions().await?))
}

/// The organisations of a region: hospitals, municipalities (with kommunekode), general practice.
#[utoipa::path(get, path = "/regions/{region}/parties", tag = "regions", security(("bearer" = [])),
    params(("region" = String, Path, description = "The region slug, e.g. syddanmark")),
    responses((status = 200, body = [PartyRef]), (status = 404, body = Problem)))]
pub async fn list_parties(
    State(engine): State<Engine>,
    _caller: Caller,
    Path(region): Path<String>,
) -> Result<Json<Vec<PartyRef>>, ApiError> {
    Ok(Json(engine.parties(&region).await?))
}

/// The region's workflow definition in force today, as JSON.
#[utoipa::path(get, path = "/workflows/{region}", tag = "regions", security(("bearer" = [])),
    params(("region" = String, Path, description = "The region slug")),
    responses((status = 200, description = "The definition: states, transitions, guards, notifications", body = Object), (status = 404, body = Problem)))]
pub async fn workflow(
    State(engine): State<Engine>,
    _caller: Caller,
    Path(region): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let workflows = engine.workflows();
    let def = workflows
        .in_force(&region, engine.today())
        .or_else(|| workflows.latest(&region))
        .ok_or(EngineError::NotFound { what: "workflow" })?;
    Ok(Json(serde_json::to_value(def).unwrap_or_default()))
}

/// The region's councils (sundhedsråd, from 2027), each with the municipalities of its area.
#[utoipa::path(get, path = "/regions/{region}/councils", tag = "regions", security(("bearer" = [])),
    params(("region" = String, Path, description = "The region slug, e.g. syddanmark")),
    responses((status = 200, body = [CouncilView]), (status = 404, body = Problem)))]
pub async fn list_councils(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(region): Path<String>,
) -> Result<Json<Vec<CouncilView>>, ApiError> {
    Ok(Json(engine.councils(&actor, &region).await?))
}

#[derive(Debug, Deserialize, serde::Serialize, validator::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouncilMoveInput {
    /// The municipality (organisation id) to move.
    pub municipality_id: i64,
    /// The council whose area it lies in.
    pub council_id: i64,
    /// Why: kept in the log of corrections.
    #[validate(length(max = 1000, message = "the reason has at most 1000 characters"))]
    pub reason: String,
}

/// Moves a municipality to another of the region's councils, with the reason (admins).
#[utoipa::path(post, path = "/regions/{region}/councils/moves", tag = "regions", security(("bearer" = [])),
    request_body = CouncilMoveInput,
    params(("region" = String, Path, description = "The region slug")),
    responses((status = 200, body = [CouncilView]), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn move_municipality(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(region): Path<String>,
    ValidJson(input): ValidJson<CouncilMoveInput>,
) -> Result<Json<Vec<CouncilView>>, ApiError> {
    let change = CouncilMove {
        municipality_id: input.municipality_id,
        council_id: input.council_id,
        reason: input.reason,
    };
    Ok(Json(
        engine.move_municipality(&actor, &region, change).await?,
    ))
}
