//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/v1/openapi.json`,
//! which is generated from the handlers themselves: a route cannot exist undocumented.

mod admin;
mod auth;
pub mod cases;
mod hearings;
mod idempotent;
mod input;
mod meetings;
mod prefer;
pub mod problem;
mod reform;
mod regions;

use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use overdrag_engine::Engine;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Overdrag API", description = "Planned and agreed task handover between the Danish health sectors. Errors are application/problem+json (RFC 9457)."),
    modifiers(&BearerAuth),
    components(schemas(problem::Problem, overdrag_engine::cases::Committed))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The API routes and their OpenAPI document.
pub fn routes() -> (Router<Engine>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::<Engine>::new()
        .routes(routes!(regions::list_regions))
        .routes(routes!(regions::list_parties))
        .routes(routes!(regions::list_councils))
        .routes(routes!(regions::move_municipality))
        .routes(routes!(regions::seat_council_member))
        .routes(routes!(regions::unseat_council_member))
        .routes(routes!(regions::workflow))
        .routes(routes!(cases::create_case, cases::list_cases))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::choose_councils))
        .routes(routes!(cases::put_description))
        .routes(routes!(cases::description_revisions))
        .routes(routes!(cases::description_diff))
        .routes(routes!(cases::put_economics))
        .routes(routes!(cases::economics_csv))
        .routes(routes!(cases::sign_off))
        .routes(routes!(cases::take_transition))
        .routes(routes!(cases::events))
        .routes(routes!(cases::add_document))
        .routes(routes!(cases::decision_document))
        .routes(routes!(cases::export_case_file))
        .routes(routes!(cases::get_document))
        .routes(routes!(cases::classify))
        .routes(routes!(cases::plan_implementation))
        .routes(routes!(cases::record_reference))
        .routes(routes!(hearings::open_hearing, hearings::get_hearing))
        .routes(routes!(hearings::answer_as_member))
        .routes(routes!(hearings::invitation, hearings::answer_by_link))
        .routes(routes!(admin::outbox))
        .routes(routes!(admin::resend))
        .routes(routes!(admin::organisations))
        .routes(routes!(admin::set_contact))
        .routes(routes!(reform::plan))
        .routes(routes!(reform::apply))
        .routes(routes!(admin::mail_preference, admin::set_mail_preference))
        .routes(routes!(meetings::create_meeting, meetings::list_meetings))
        .routes(routes!(meetings::get_meeting, meetings::change_meeting))
        .routes(routes!(meetings::cancel_meeting))
        .routes(routes!(meetings::place_on_agenda))
        .routes(routes!(meetings::move_agenda_item))
        .routes(routes!(meetings::publish_agenda))
        .routes(routes!(meetings::minutes));
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts();
    // Shared, not owned by the handler: axum clones a handler for each request it serves, and
    // the document is about 2 MB in memory.
    let document = Arc::new(openapi.clone());
    let router = router
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(document.as_ref()).into_response() }),
        )
        .layer(DefaultBodyLimit::max(input::MAX_JSON_BYTES));
    (router, openapi)
}
