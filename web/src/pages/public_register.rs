//! The public register of a region's decided open cases: readable without login, and holding
//! no personal data (the engine hands out organisations only).

use super::PageState;
use super::error::PageError;
use super::meetings::long_date;
use super::session::Visitor;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Row {
    number: String,
    title: String,
    giving_party: String,
    receiving_party: String,
    approved: bool,
    /// The decision in the workflow's words, when more than plain approval or rejection.
    decision: Option<String>,
    decided_on: String,
    state_label: String,
}

#[derive(Debug, Serialize)]
struct RegisterView {
    region_name: String,
    cases: Vec<Row>,
}

pub async fn public_cases(
    State(state): State<PageState>,
    visitor: Visitor,
    Path(region): Path<String>,
) -> Result<Response, PageError> {
    let register = state.engine.public_register(&region).await?;
    let lang = visitor.lang;
    let view = RegisterView {
        region_name: register.region_name,
        cases: register
            .cases
            .into_iter()
            .map(|c| Row {
                approved: c.outcome == "approved",
                decision: (!matches!(c.decision_id.as_str(), "approve" | "reject"))
                    .then(|| c.decision.in_language(lang.code()).to_owned()),
                decided_on: long_date(lang, c.decided_on),
                state_label: c.state_label.in_language(lang.code()).to_owned(),
                number: c.number,
                title: c.title,
                giving_party: c.giving_party,
                receiving_party: c.receiving_party,
            })
            .collect(),
    };
    state
        .views
        .render("public/register", &visitor.chrome("public.title"), &view)
}
