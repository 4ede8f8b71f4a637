//! Who is asking, for pages: the session cookie becomes a [`CurrentUser`] (or a redirect to
//! the login page), and every form is checked against the CSRF token of the session
//! ([`CsrfForm`]) or, before login, of the visitor's CSRF cookie ([`PublicForm`]).

use super::PageState;
use super::error::PageError;
use super::i18n::Lang;
use super::views::{ASSET_VERSION, Chrome, UserBadge};
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use overdrag_engine::Actor;
use overdrag_engine::accounts::random_token;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The session cookie: an opaque token, stored in the database only as a hash.
pub const SESSION_COOKIE: &str = "overdrag_session";
/// The language chosen with the switch: `da` or `en`.
pub const LANG_COOKIE: &str = "overdrag_lang";
/// The CSRF token of a visitor who is not logged in (for the login and language forms).
pub const FORM_COOKIE: &str = "overdrag_form";
/// The largest form body accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: `HttpOnly; SameSite=Lax; Path=/`, and `Secure` behind https.
/// `max_age` in seconds; `None` for a cookie that ends with the browser session.
pub fn set_cookie(state: &PageState, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut cookie = format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/");
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if state.secure_cookies {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The language of the request: the switch's cookie, else `fallback`.
pub fn lang_of(headers: &HeaderMap, fallback: Lang) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or(fallback)
}

/// Compares two tokens in time that depends only on their length.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A local path to return to after login: only `/something`, never another host.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Percent-encodes a path for a query value.
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The logged-in user of a page. Absent session: the extractor answers with a redirect to
/// `/login?next=<this page>`.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub actor: Actor,
    pub lang: Lang,
    /// The session's CSRF token, which every form of this user carries.
    pub csrf: String,
    pub(super) session_token: String,
    path: String,
    /// How the layout shows them: name, regions, menu.
    badge: UserBadge,
}

impl CurrentUser {
    /// The layout data for a page titled by the text `title_key`.
    pub fn chrome(&self, title_key: &str) -> Chrome {
        Chrome {
            lang: self.lang,
            title_key: title_key.to_owned(),
            title_detail: None,
            user: Some(self.badge.clone()),
            csrf: self.csrf.clone(),
            path: self.path.clone(),
            asset_version: ASSET_VERSION,
            set_cookie: None,
        }
    }
}

async fn current_user(parts: &Parts, state: &PageState) -> Result<Option<CurrentUser>, PageError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = state.engine.session(token).await? else {
        return Ok(None);
    };
    let fallback = Lang::parse(&session.actor.language).unwrap_or_default();
    let path = parts.uri.path().to_owned();
    Ok(Some(CurrentUser {
        lang: lang_of(&parts.headers, fallback),
        badge: UserBadge::new(&session.actor, &state.engine, &path),
        actor: session.actor,
        csrf: session.csrf_token,
        session_token: token.to_owned(),
        path,
    }))
}

fn to_login(parts: &Parts) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let target = if here == "/" {
        "/login".to_owned()
    } else {
        format!("/login?next={}", encode_query_value(&here))
    };
    Redirect::to(&target).into_response()
}

impl FromRequestParts<PageState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &PageState,
    ) -> Result<Self, Self::Rejection> {
        match current_user(parts, state).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(to_login(parts)),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// Whoever asks, logged in or not: for pages anyone may see (login, errors, public pages).
#[derive(Clone, Debug)]
pub struct Visitor {
    pub lang: Lang,
    pub user: Option<CurrentUser>,
    csrf: String,
    new_form_cookie: Option<String>,
    path: String,
}

impl Visitor {
    /// The layout data for a page titled by the text `title_key`; sets the visitor's CSRF
    /// cookie with the page when they had none.
    pub fn chrome(&self, title_key: &str) -> Chrome {
        if let Some(user) = &self.user {
            return user.chrome(title_key);
        }
        Chrome {
            lang: self.lang,
            title_key: title_key.to_owned(),
            title_detail: None,
            user: None,
            csrf: self.csrf.clone(),
            path: self.path.clone(),
            asset_version: ASSET_VERSION,
            set_cookie: self.new_form_cookie.clone(),
        }
    }
}

impl FromRequestParts<PageState> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &PageState,
    ) -> Result<Self, Self::Rejection> {
        let user = current_user(parts, state).await?;
        let (csrf, new_form_cookie) = match (&user, cookie(&parts.headers, FORM_COOKIE)) {
            (Some(user), _) => (user.csrf.clone(), None),
            (None, Some(token)) => (token.to_owned(), None),
            (None, None) => {
                let token = random_token();
                let set = set_cookie(state, FORM_COOKIE, &token, None);
                (token, Some(set))
            }
        };
        Ok(Visitor {
            lang: user
                .as_ref()
                .map_or_else(|| lang_of(&parts.headers, Lang::Da), |u| u.lang),
            user,
            csrf,
            new_form_cookie,
            path: parts.uri.path().to_owned(),
        })
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

async fn read_form<T: DeserializeOwned>(body: Body, expected: &str) -> Result<T, PageError> {
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| PageError::BadRequest(format!("a form of at most {MAX_FORM_BYTES} bytes")))?;
    let field: CsrfField =
        serde_urlencoded::from_bytes(&bytes).map_err(|e| PageError::BadRequest(e.to_string()))?;
    if !same_token(&field.csrf, expected) {
        return Err(PageError::Csrf);
    }
    serde_urlencoded::from_bytes(&bytes).map_err(|e| PageError::BadRequest(e.to_string()))
}

fn check_form_type(parts: &Parts) -> Result<(), PageError> {
    let is_form = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        Ok(())
    } else {
        Err(PageError::BadRequest(
            "send the form as application/x-www-form-urlencoded".into(),
        ))
    }
}

/// A form posted by a logged-in user, with the session's CSRF token in its hidden `csrf`
/// field (`{{> csrf}}`). A missing or wrong token is refused with 403 before the handler
/// runs; without a session the answer is the redirect to the login page.
#[derive(Debug)]
pub struct CsrfForm<T> {
    pub user: CurrentUser,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<PageState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &PageState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state).await?;
        check_form_type(&parts).map_err(IntoResponse::into_response)?;
        let form = read_form(body, &user.csrf)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(CsrfForm { user, form })
    }
}

/// A form anyone may post (login, language), checked against the visitor's CSRF cookie, or
/// the session's token when logged in.
#[derive(Debug)]
pub struct PublicForm<T> {
    pub visitor: Visitor,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<PageState> for PublicForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &PageState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        check_form_type(&parts).map_err(IntoResponse::into_response)?;
        if visitor.new_form_cookie.is_some() {
            // No cookie came with the form: nothing to compare with.
            return Err(PageError::Csrf.into_response());
        }
        let form = read_form(body, &visitor.csrf)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(PublicForm { visitor, form })
    }
}

/// A redirect after a successful POST (303, so the browser follows with GET).
pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, location.to_owned())],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::{safe_next, same_token};

    #[test]
    fn tokens_compare_equal_only_when_equal() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", ""));
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/cases?x=1")), "/cases?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
