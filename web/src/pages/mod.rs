//! The server-rendered pages: Danish by default, English by a remembered switch, usable
//! without JavaScript, in the look of Det Fælles Designsystem (served from the binary under
//! `/static/`).
//!
//! To add a screen: write `web/templates/<name>.hbs` (it starts with `{{#> layout}}`), a view
//! struct deriving `Serialize`, and a handler that takes [`CurrentUser`] (or [`Visitor`] for
//! public pages, [`CsrfForm`] for a POST), calls one engine operation, and returns
//! `state.views.render("<name>", &user.chrome("<title key>"), &view)`; add its route in
//! [`routes`]. Texts go into both `web/i18n/da.toml` and `web/i18n/en.toml`.

mod admin_councils;
mod admin_home;
mod admin_organisations;
mod admin_outbox;
mod admin_reform;
mod admin_users;
// The meeting, decision, workflow and public screens.
mod assets;
mod case_forms;
mod case_page;
mod cases;
mod decide;
pub mod error;
mod forms;
mod hearing_link;
mod home;
pub mod i18n;
mod login;
mod meeting_edit;
mod meetings;
mod menu;
mod next_step;
pub mod oidc;
mod party_figures;
mod public_register;
pub mod session;
mod settings;
mod tasks;
pub mod views;
mod workflow_page;
pub mod workflow_svg;

pub use error::PageError;
pub use forms::{ErrorSummary, FormField};
pub use session::{CsrfForm, CurrentUser, PublicForm, Visitor, see_other};
pub use views::{Chrome, Views};

use crate::oidc_config::LoginSettings;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use overdrag_engine::Engine;
use std::sync::Arc;

/// How the pages are served.
#[derive(Clone, Debug, Default)]
pub struct PageSettings {
    /// Mark cookies `Secure`: set when `OVERDRAG_PUBLIC_URL` is https.
    pub secure_cookies: bool,
}

/// What every page handler gets: the engine and the compiled views.
#[derive(Clone, Debug)]
pub struct PageState {
    pub engine: Engine,
    pub views: Arc<Views>,
    pub secure_cookies: bool,
    /// How people log in: password, single sign-on.
    pub login: Arc<oidc::Login>,
}

/// The page routes with their state, security headers and error pages; merge into the
/// server's router. How people log in is read from the environment here, at start
/// ([`LoginSettings::from_env`]).
///
/// # Errors
/// When a template or the texts do not compile (a bug caught at start), or the login
/// settings are wrong (e.g. the single sign-on mapping file: the message names file and line).
pub fn routes(engine: Engine, settings: &PageSettings) -> Result<Router, String> {
    routes_with_login(engine, settings, LoginSettings::from_env()?)
}

/// As [`routes`], with the login settings given.
///
/// # Errors
/// When a template or the texts do not compile.
pub fn routes_with_login(
    engine: Engine,
    settings: &PageSettings,
    login: LoginSettings,
) -> Result<Router, String> {
    // Forms may lead to the identity provider: the login button, and logout's redirect to
    // its end-session endpoint.
    let csp: Arc<str> = match &login.sso {
        Some(sso) => content_security_policy(&oidc::origin_of(&sso.issuer)?),
        None => CONTENT_SECURITY_POLICY.into(),
    };
    let state = PageState {
        engine,
        views: Arc::new(Views::load()?),
        secure_cookies: settings.secure_cookies,
        login: Arc::new(oidc::Login::new(login)?),
    };
    let pages = Router::new()
        .route("/", get(home::front_page))
        .route("/login", get(login::login_page).post(login::log_in))
        .route("/login/oidc", get(oidc::start_login))
        .route(crate::oidc_config::CALLBACK_PATH, get(oidc::finish_login))
        .route("/logout", post(login::log_out))
        .route("/language", post(login::switch_language))
        .route("/admin", get(admin_home::admin_home))
        .route(
            "/admin/users",
            get(admin_users::list_users).post(admin_users::add_user),
        )
        .route("/admin/users/roles", post(admin_users::grant_role))
        .route("/admin/users/roles/remove", post(admin_users::revoke_role))
        // The meeting, decision, workflow and public screens.
        .route(
            "/meetings",
            get(meetings::list_meetings).post(meetings::plan_meeting),
        )
        .route("/meetings/{id}", get(meetings::show_meeting))
        .route("/meetings/{id}/agenda", post(meetings::place_case))
        .route("/meetings/{id}/agenda/order", post(meetings::move_item))
        .route("/meetings/{id}/publish", post(meetings::publish))
        .route("/meetings/{id}/change", post(meeting_edit::change_meeting))
        .route("/meetings/{id}/cancel", post(meeting_edit::cancel_meeting))
        .route("/meetings/{id}/minutes", get(meetings::minutes))
        .route("/meetings/{id}/decide", get(decide::decision_screen))
        .route("/meetings/{id}/decide/{case_id}", post(decide::decide))
        .route("/workflows/{region}", get(workflow_page::show_workflow))
        .route("/public/{region}", get(public_register::public_cases))
        .route(
            "/hearing/{token}",
            get(hearing_link::show_hearing).post(hearing_link::answer_hearing),
        )
        // The case screens: my tasks, the case list, a new case, the case page with its
        // actions, the description and economics forms, and the case's files.
        .route("/tasks", get(tasks::my_tasks))
        .route("/cases", get(cases::list_cases))
        .route(
            "/cases/new",
            get(cases::new_case_form).post(cases::create_case),
        )
        .route("/cases/{id}", get(case_page::show_case))
        .route("/cases/{id}/transitions", post(case_page::take_transition))
        .route("/cases/{id}/signoffs", post(case_page::sign_off))
        .route(
            "/cases/{id}/implementation",
            post(case_page::plan_implementation),
        )
        .route("/cases/{id}/hearing", post(case_page::open_hearing))
        .route("/cases/{id}/councils", post(case_page::choose_councils))
        .route(
            "/cases/{id}/description",
            get(case_forms::description_form).post(case_forms::save_description),
        )
        .route(
            "/cases/{id}/economics",
            get(case_forms::economics_form).post(case_forms::save_economics),
        )
        .route(
            "/cases/{id}/documents/{document_id}",
            get(cases::download_document),
        )
        .route("/cases/{id}/export.zip", get(cases::export_zip))
        .route(
            "/cases/{id}/decision-document",
            get(cases::decision_document),
        )
        // Administration of organisations, councils and the outbox; each user's own settings (web-admin).
        .route(
            "/admin/organisations",
            get(admin_organisations::list_organisations),
        )
        .route(
            "/admin/organisations/{id}/contact",
            post(admin_organisations::set_contact),
        )
        .route("/admin/councils", get(admin_councils::list_councils))
        .route(
            "/admin/councils/moves",
            post(admin_councils::move_municipality),
        )
        .route("/admin/councils/seats", post(admin_councils::seat_member))
        .route("/admin/outbox", get(admin_outbox::list_outbox))
        .route("/admin/reform", get(admin_reform::reform_page))
        .route("/admin/reform/apply", post(admin_reform::apply_reform))
        .route("/admin/outbox/{id}/resend", post(admin_outbox::resend))
        .route(
            "/settings",
            get(settings::settings_page).post(settings::save_settings),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::render_error_pages,
        ))
        .with_state(state);
    Ok(Router::new()
        .route("/static/{*path}", get(assets::serve_static))
        .merge(pages)
        .layer(middleware::from_fn_with_state(csp, security_headers)))
}

/// Unknown paths: an HTML 404 page, except under `/api/`, where the API's problem document
/// answers.
async fn not_found(request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        crate::api::problem::ApiError::from(overdrag_engine::EngineError::NotFound { what: "page" })
            .into_response()
    } else {
        PageError::NotFound.into_response()
    }
}

/// The page may load only what this server serves, never be framed, and never leak its
/// address to other sites.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self'; style-src 'self'; \
    font-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; object-src 'none'";

/// [`CONTENT_SECURITY_POLICY`] with forms also allowed to lead to `origin` (the identity
/// provider's).
fn content_security_policy(origin: &str) -> Arc<str> {
    CONTENT_SECURITY_POLICY
        .replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        )
        .into()
}

async fn security_headers(
    axum::extract::State(csp): axum::extract::State<Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(value);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}
