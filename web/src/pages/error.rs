//! Every page error as an HTML page, mapped from the engine's errors in this one place (as
//! `api/problem.rs` does for the API). A handler returns a [`PageError`]; its response carries
//! an [`ErrorPage`] marker, and [`render_error_pages`] turns that into the page in the
//! visitor's language with the usual layout. A 500 reveals nothing; the cause is logged.

use super::PageState;
use super::i18n::Lang;
use super::session::{SESSION_COOKIE, cookie, lang_of};
use super::views::{ASSET_VERSION, Chrome};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use overdrag_engine::EngineError;
use overdrag_engine::domain::role::Role;
use overdrag_engine::domain::text::Label;
use overdrag_engine::render::danish::{danish_date, english_date};
use overdrag_engine::workflow::machine::Refusal;
use serde::Serialize;

/// An error answered with an HTML page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Whatever the engine says, mapped in [`PageError::page`].
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// 403: the form's CSRF token is missing or wrong; nothing was changed.
    #[error("the form's CSRF token is missing or wrong")]
    Csrf,
    /// 400: the request cannot be read.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 404 for a path no route knows.
    #[error("no such page")]
    NotFound,
    /// 500: a template failed to render (a bug: an unknown field or text key).
    #[error("rendering failed: {0}")]
    Render(String),
}

/// What the error page shows; put on the response by [`PageError::into_response`] and
/// rendered by [`render_error_pages`].
#[derive(Clone, Debug)]
pub struct ErrorPage {
    status: StatusCode,
    /// The prefix of the `error.*_title` / `error.*_text` keys.
    kind: &'static str,
    /// Reasons in words (422, 409), in both languages until the visitor's is known.
    reasons: Vec<Reason>,
    /// The roles that would have been allowed (403).
    needed_roles: Vec<Role>,
}

/// One reason the error page gives; [`render_error_pages`] says it in the visitor's language.
#[derive(Clone, Debug)]
enum Reason {
    /// The engine's own words, in Danish and English.
    Words(Label),
    /// The text `error.reasons.<key>` of `web/i18n`, each value given in both languages.
    Text {
        key: &'static str,
        values: Vec<(&'static str, Label)>,
    },
}

impl Reason {
    fn words(danish: &str, english: &str) -> Self {
        Reason::Words(Label::new(danish, english))
    }

    /// The same value in both languages: a number, a name.
    fn same(value: impl ToString) -> Label {
        let value = value.to_string();
        Label::new(value.clone(), value)
    }

    fn date(date: chrono::NaiveDate) -> Label {
        Label::new(danish_date(date), english_date(date))
    }

    /// The reason in `lang`.
    fn in_language(&self, views: &super::views::Views, lang: Lang) -> String {
        match self {
            Reason::Words(label) => label.in_language(lang.code()).to_owned(),
            Reason::Text { key, values } => {
                let values: Vec<(&str, &str)> = values
                    .iter()
                    .map(|(name, value)| (*name, value.in_language(lang.code())))
                    .collect();
                views
                    .text(lang, &format!("error.reasons.{key}"), &values)
                    .unwrap_or_else(|error| {
                        tracing::error!(%error, "an error page reason has no text");
                        String::new()
                    })
            }
        }
    }
}

impl PageError {
    fn page(&self) -> ErrorPage {
        use EngineError as E;
        let (status, kind) = match self {
            PageError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            PageError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            PageError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            PageError::Render(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            PageError::Engine(error) => match error {
                E::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
                E::Forbidden { .. }
                | E::Refused(Refusal::RoleNotAllowed { .. } | Refusal::NotMember { .. }) => {
                    (StatusCode::FORBIDDEN, "forbidden")
                }
                E::Conflict { .. }
                | E::NotEditable { .. }
                | E::Refused(Refusal::NotAvailable { .. } | Refusal::MeetingNotReady { .. })
                | E::IdempotencyTakenOver
                | E::ReformNotYet { .. } => (StatusCode::CONFLICT, "conflict"),
                E::Invalid(_) | E::Refused(Refusal::Blocked { .. }) | E::NoWorkflow { .. } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
                }
                E::Database(_) if error.is_unavailable() => {
                    (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
                }
                E::Database(_)
                | E::DefinitionChanged { .. }
                | E::DefinitionMissing(_)
                | E::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            },
        };
        let mut page = ErrorPage {
            status,
            kind,
            reasons: Vec::new(),
            needed_roles: Vec::new(),
        };
        if let PageError::Engine(error) = self {
            match error {
                E::Invalid(fields) => {
                    page.reasons = fields
                        .iter()
                        .map(|f| Reason::words(f.message_in("da"), f.message_in("en")))
                        .collect();
                }
                E::Refused(Refusal::Blocked { failures, .. }) => {
                    page.reasons = failures
                        .iter()
                        .map(|f| Reason::Words(f.message.clone()))
                        .collect();
                }
                E::Refused(Refusal::MeetingNotReady { reason, .. }) => {
                    page.reasons = vec![Reason::Words(reason.message())];
                }
                E::NoWorkflow { region, date } => {
                    page.reasons = vec![Reason::Text {
                        key: "no_workflow",
                        values: vec![
                            ("region", Reason::same(region)),
                            ("date", Reason::date(*date)),
                        ],
                    }];
                }
                E::ReformNotYet { reform, on, today } => {
                    page.reasons = vec![Reason::Text {
                        key: "reform_not_yet",
                        values: vec![
                            ("reform", Reason::same(reform)),
                            ("on", Reason::date(*on)),
                            ("today", Reason::date(*today)),
                        ],
                    }];
                }
                E::Conflict { expected, current } => {
                    page.reasons = vec![Reason::Text {
                        key: "conflict",
                        values: vec![
                            ("expected", Reason::same(expected)),
                            ("current", Reason::same(current)),
                        ],
                    }];
                }
                E::NotEditable { section, state } => {
                    // The engine names the section in English; the page says it in both.
                    let section = match *section {
                        "professional description" => {
                            Label::new("Den faglige beskrivelse", "The professional description")
                        }
                        "economic assessment" => Label::new(
                            "Den økonomiske konsekvensvurdering",
                            "The economic assessment",
                        ),
                        "economics sign-off" => {
                            Label::new("Godkendelsen af økonomien", "The economics sign-off")
                        }
                        other => Reason::same(other),
                    };
                    page.reasons = vec![Reason::Text {
                        key: "not_editable",
                        values: vec![("section", section), ("state", Reason::same(state))],
                    }];
                }
                E::Refused(Refusal::NotMember { body, .. }) => {
                    page.reasons = vec![Reason::Text {
                        key: "not_member",
                        values: vec![("body", Label::new(body.danish(), body.english()))],
                    }];
                }
                E::Forbidden { needed, .. }
                | E::Refused(Refusal::RoleNotAllowed { needed, .. }) => {
                    page.needed_roles.clone_from(needed);
                }
                _ => {}
            }
        }
        page
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = self.page();
        match page.status {
            StatusCode::INTERNAL_SERVER_ERROR => tracing::error!(error = ?self, "page failed"),
            StatusCode::SERVICE_UNAVAILABLE => {
                tracing::warn!(error = %self, "database unavailable")
            }
            _ => tracing::debug!(error = %self, "page refused"),
        }
        let mut response = (page.status, page.status.to_string()).into_response();
        response.extensions_mut().insert(page);
        response
    }
}

#[derive(Serialize)]
struct ErrorView {
    status: u16,
    title_key: String,
    text_key: String,
    reasons: Vec<String>,
    needed_roles: Vec<String>,
}

/// Middleware: renders each [`ErrorPage`] response as the HTML error page.
pub async fn render_error_pages(
    State(state): State<PageState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    // Show the layout as the user knows it: logged in, in their language.
    let user = match cookie(&headers, SESSION_COOKIE) {
        Some(token) => state.engine.session(token).await.ok().flatten(),
        None => None,
    };
    let fallback = user
        .as_ref()
        .and_then(|u| Lang::parse(&u.actor.language))
        .unwrap_or_default();
    let lang = lang_of(&headers, fallback);
    let chrome = Chrome {
        lang,
        title_key: format!("error.{}_title", page.kind),
        title_detail: None,
        user: user
            .as_ref()
            .map(|u| super::views::UserBadge::new(&u.actor, &state.engine, &path)),
        csrf: user.map(|u| u.csrf_token).unwrap_or_default(),
        path,
        asset_version: ASSET_VERSION,
        set_cookie: None,
    };
    let view = ErrorView {
        status: page.status.as_u16(),
        title_key: format!("error.{}_title", page.kind),
        text_key: format!("error.{}_text", page.kind),
        reasons: page
            .reasons
            .iter()
            .map(|reason| reason.in_language(&state.views, lang))
            .collect(),
        needed_roles: page
            .needed_roles
            .iter()
            .map(|r| {
                state
                    .views
                    .text(lang, &format!("roles.{}", r.as_str()), &[])
                    .unwrap_or_else(|_| r.as_str().to_owned())
            })
            .collect(),
    };
    match state
        .views
        .render_with_status(page.status, "error", &chrome, &view)
    {
        Ok(rendered) => rendered,
        Err(error) => {
            tracing::error!(%error, "the error page failed to render");
            (page.status, page.status.to_string()).into_response()
        }
    }
}
