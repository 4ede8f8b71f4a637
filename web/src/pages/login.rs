//! Logging in and out, and the language switch.

use super::PageState;
use super::error::PageError;
use super::forms::{ErrorSummary, FormField};
use super::i18n::Lang;
use super::session::{
    CsrfForm, LANG_COOKIE, PublicForm, SESSION_COOKIE, Visitor, safe_next, see_other, set_cookie,
};
use super::views::Views;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use overdrag_engine::accounts::LoginError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Serialize)]
struct LoginView {
    errors: ErrorSummary,
    email: FormField,
    password: FormField,
    next: String,
}

impl LoginView {
    fn new(email: &str, next: Option<&str>, errors: ErrorSummary) -> Self {
        Self {
            email: FormField::new("email", email, &errors),
            // A password is never sent back to the browser.
            password: FormField::new("password", "", &errors),
            next: safe_next(next),
            errors,
        }
    }
}

/// The login form; a logged-in user goes straight on.
pub async fn login_page(
    State(state): State<PageState>,
    visitor: Visitor,
    Query(query): Query<NextQuery>,
) -> Result<Response, PageError> {
    if visitor.user.is_some() {
        return Ok(see_other(&safe_next(query.next.as_deref())));
    }
    let view = LoginView::new("", query.next.as_deref(), ErrorSummary::default());
    state
        .views
        .render("login", &visitor.chrome("login.title"), &view)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

impl LoginForm {
    /// The fields left empty; the engine is not asked about those.
    fn missing(&self, views: &Views, lang: Lang) -> Result<ErrorSummary, PageError> {
        let mut errors = ErrorSummary::default();
        if self.email.trim().is_empty() {
            errors.push("email", views.text(lang, "login.email_missing", &[])?);
        }
        if self.password.is_empty() {
            errors.push("password", views.text(lang, "login.password_missing", &[])?);
        }
        Ok(errors)
    }
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// Logs in and goes on to `next`; a refusal shows the form again with the email kept.
pub async fn log_in(
    State(state): State<PageState>,
    PublicForm { visitor, form }: PublicForm<LoginForm>,
) -> Result<Response, PageError> {
    let lang = visitor.lang;
    let missing = form.missing(&state.views, lang)?;
    let (status, errors) = if !missing.is_empty() {
        (StatusCode::UNPROCESSABLE_ENTITY, missing)
    } else {
        match state.engine.log_in(&form.email, &form.password).await {
            Ok(session) => {
                let cookie = set_cookie(&state, SESSION_COOKIE, &session.token, None);
                return Ok(with_cookie(
                    see_other(&safe_next(form.next.as_deref())),
                    &cookie,
                ));
            }
            Err(LoginError::Engine(error)) => return Err(error.into()),
            Err(refused) => {
                let status = match refused {
                    LoginError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let message = refused.message(lang.code()).unwrap_or_default();
                (status, ErrorSummary::single("email", message))
            }
        }
    };
    let view = LoginView::new(&form.email, form.next.as_deref(), errors);
    state
        .views
        .render_with_status(status, "login", &visitor.chrome("login.title"), &view)
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// Ends the session (a POST: a link could be followed by anyone's page).
pub async fn log_out(
    State(state): State<PageState>,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    state.engine.log_out(&user.session_token).await?;
    let cookie = set_cookie(&state, SESSION_COOKIE, "", Some(0));
    Ok(with_cookie(see_other("/login"), &cookie))
}

#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    lang: String,
    next: Option<String>,
}

/// Remembers the chosen language for a year and returns to the page.
pub async fn switch_language(
    State(state): State<PageState>,
    PublicForm { form, .. }: PublicForm<LanguageForm>,
) -> Result<Response, PageError> {
    let lang = Lang::parse(&form.lang)
        .ok_or_else(|| PageError::BadRequest("choose the language da or en".into()))?;
    let cookie = set_cookie(&state, LANG_COOKIE, lang.code(), Some(365 * 24 * 3600));
    Ok(with_cookie(
        see_other(&safe_next(form.next.as_deref())),
        &cookie,
    ))
}
