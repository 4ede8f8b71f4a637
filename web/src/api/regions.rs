//! Regions, their parties and their workflow definitions.

use super::auth::Caller;
use super::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use overdrag_engine::cases::view::PartyRef;
use overdrag_engine::regions::RegionView;
use overdrag_engine::{Engine, EngineError};

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
