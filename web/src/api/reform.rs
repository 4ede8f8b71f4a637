//! The reform over HTTP (administrators): where each open case goes, and carrying them.

use super::auth::Caller;
use super::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use overdrag_engine::Engine;
use overdrag_engine::cases::reform::{ReformPlan, ReformReport, ReformScope};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanParams {
    /// The day to plan for, e.g. 2027-01-01 (default: today).
    pub on: Option<chrono::NaiveDate>,
}

/// Where every open case of the regions the caller administers goes under the reform, or why
/// it cannot go yet, with counts per region and state. Changes nothing.
#[utoipa::path(get, path = "/admin/reform/plan", tag = "admin", security(("bearer" = [])), params(PlanParams),
    responses((status = 200, body = ReformPlan), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn plan(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    query: Result<Query<PlanParams>, QueryRejection>,
) -> Result<Json<ReformPlan>, ApiError> {
    let Query(p) = query.map_err(|e| {
        ApiError::BadRequest(format!("give the day as ?on=2027-01-01: {}", e.body_text()))
    })?;
    Ok(Json(
        engine
            .reform_plan(ReformScope::AdministeredBy(&actor), p.on)
            .await?,
    ))
}

/// Carries the open cases of the regions the caller administers across the reform. Refused
/// (409 `reform-not-yet`) before the reform's day; running it again carries nothing twice.
#[utoipa::path(post, path = "/admin/reform/apply", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ReformReport), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn apply(
    State(engine): State<Engine>,
    Caller(actor): Caller,
) -> Result<Json<ReformReport>, ApiError> {
    Ok(Json(
        engine
            .apply_reform(ReformScope::AdministeredBy(&actor), None, None)
            .await?,
    ))
}
