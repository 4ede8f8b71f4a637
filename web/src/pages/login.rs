//! Logging in and out (with a password, unless switched off, and through single sign-on when
//! configured: see [`super::oidc`]), and the language switch.

use super::PageState;
use super::error::PageError;
use super::forms::{ErrorSummary, FormField};
use super::i18n::Lang;
use super::oidc::{ID_TOKEN_COOKIE, STATE_COOKIE, SsoFailure};
use super::session::{
    CsrfForm, LANG_COOKIE, PublicForm, SESSION_COOKIE, Visitor, cookie, safe_next, see_other,
    set_cookie,
};
use super::views::Views;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use overdrag_engine::accounts::LoginError;
use overdrag_engine::sso::SsoRefusal;
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
    /// Whether the email-and-password form is shown.
    password_login: bool,
    /// The single sign-on button's text, when single sign-on is configured.
    sso_button: Option<String>,
}

impl LoginView {
    fn new(
        state: &PageState,
        lang: Lang,
        email: &str,
        next: Option<&str>,
        errors: ErrorSummary,
    ) -> Result<Self, PageError> {
        let sso_button = match &state.login.sso {
            Some(sso) => Some(match &sso.settings.label {
                Some(name) => state
                    .views
                    .text(lang, "login.sso_button", &[("name", name)])?,
                None => state.views.text(lang, "login.sso_button_default", &[])?,
            }),
            None => None,
        };
        Ok(Self {
            email: FormField::new("email", email, &errors),
            // A password is never sent back to the browser.
            password: FormField::new("password", "", &errors),
            next: safe_next(next),
            errors,
            password_login: state.login.password_login,
            sso_button,
        })
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
    let view = LoginView::new(
        &state,
        visitor.lang,
        "",
        query.next.as_deref(),
        ErrorSummary::default(),
    )?;
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

pub(super) fn with_cookie(mut response: Response, cookie: &str) -> Response {
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
    let (status, errors) = if !state.login.password_login {
        let message = state.views.text(lang, "login.password_off", &[])?;
        (StatusCode::FORBIDDEN, ErrorSummary::single("sso", message))
    } else if !missing.is_empty() {
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
    let view = LoginView::new(&state, lang, &form.email, form.next.as_deref(), errors)?;
    state
        .views
        .render_with_status(status, "login", &visitor.chrome("login.title"), &view)
}

/// A failed single sign-on: the login page again, saying so (the detail goes to the log).
pub(super) fn sso_failed(
    state: &PageState,
    visitor: &Visitor,
    failure: SsoFailure,
) -> Result<Response, PageError> {
    let lang = visitor.lang;
    let status = failure.status();
    let message = match failure {
        SsoFailure::Refused(SsoRefusal::Engine(error)) => return Err(error.into()),
        SsoFailure::Refused(refusal) => {
            tracing::warn!(%refusal, "single sign-on refused");
            refusal.message(lang.code()).unwrap_or_default()
        }
        SsoFailure::Unavailable(detail) => {
            tracing::error!(%detail, "the identity provider cannot be used");
            state.views.text(lang, "login.sso_unavailable", &[])?
        }
        other => {
            tracing::warn!(failure = %other, "single sign-on failed");
            state.views.text(lang, "login.sso_failed", &[])?
        }
    };
    let view = LoginView::new(state, lang, "", None, ErrorSummary::single("sso", message))?;
    let response =
        state
            .views
            .render_with_status(status, "login", &visitor.chrome("login.title"), &view)?;
    // The pending login is used up either way.
    let clear = set_cookie(state, STATE_COOKIE, "", Some(0));
    Ok(with_cookie(response, &clear))
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// Ends the session (a POST: a link could be followed by anyone's page), and, after a single
/// sign-on login, the provider's session too where discovery offers an end-session endpoint.
pub async fn log_out(
    State(state): State<PageState>,
    headers: HeaderMap,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    state.engine.log_out(&user.session_token).await?;
    let id_token = cookie(&headers, ID_TOKEN_COOKIE);
    let target = match (&state.login.sso, id_token) {
        (Some(sso), Some(token)) => sso.logout_url(Some(token)).await,
        _ => None,
    };
    let session = set_cookie(&state, SESSION_COOKIE, "", Some(0));
    let id_token = set_cookie(&state, ID_TOKEN_COOKIE, "", Some(0));
    Ok(with_cookie(
        with_cookie(see_other(target.as_deref().unwrap_or("/login")), &session),
        &id_token,
    ))
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
