//! The reform's page for administrators: where each open case of the regions they administer
//! goes (with counts per region and state), and the button that carries them once the reform
//! has taken effect. What is planned and carried is the engine's decision.

use super::PageState;
use super::error::PageError;
use super::session::{CsrfForm, CurrentUser, see_other};
use axum::extract::{Query, State};
use axum::response::Response;
use overdrag_engine::cases::reform::{ReformPlan, ReformScope};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
struct ReformView {
    plan: ReformPlan,
    /// How many cases the last run carried, when the page follows one.
    carried: Option<usize>,
    blocked: usize,
    /// Whether the states are named in English.
    english: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReformQuery {
    carried: Option<usize>,
}

/// The plan, and the button once the day has come.
pub async fn reform_page(
    State(state): State<PageState>,
    user: CurrentUser,
    Query(query): Query<ReformQuery>,
) -> Result<Response, PageError> {
    let plan = state
        .engine
        .reform_plan(ReformScope::AdministeredBy(&user.actor), None)
        .await?;
    let blocked = plan.cases.iter().filter(|c| c.blocked.is_some()).count();
    state.views.render(
        "admin/reform",
        &user.chrome("admin_reform.title"),
        &ReformView {
            plan,
            carried: query.carried,
            blocked,
            english: user.lang == super::i18n::Lang::En,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct ApplyForm {}

/// Carries the cases and returns to the plan, which then lists what could not go.
pub async fn apply_reform(
    State(state): State<PageState>,
    CsrfForm {
        user,
        form: ApplyForm {},
    }: CsrfForm<ApplyForm>,
) -> Result<Response, PageError> {
    let report = state
        .engine
        .apply_reform(ReformScope::AdministeredBy(&user.actor), None, None)
        .await?;
    Ok(see_other(&format!(
        "/admin/reform?carried={}",
        report.carried.len()
    )))
}
