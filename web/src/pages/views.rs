//! Rendering: every template in `web/templates/` is compiled at start in strict mode, and each
//! page is rendered from a typed view inside the shared layout ([`Chrome`]).
//!
//! A template sees `layout` (the [`Chrome`]) and `view` (the page's own view struct), and
//! translates with `{{t "key"}}` or `{{t "key" name=value}}` for a text with `{name}` in it.

use super::error::PageError;
use super::i18n::{Lang, Translations};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use serde::Serialize;
use std::sync::Arc;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub use embedded::STATIC_FILES;

/// Bumped with the crate version, so browsers fetch new assets after an upgrade despite the
/// long cache lifetime.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The compiled templates and the texts.
#[derive(Debug)]
pub struct Views {
    registry: Handlebars<'static>,
    texts: Arc<Translations>,
}

/// A signed-in user as the layout shows them.
#[derive(Clone, Debug, Serialize)]
pub struct UserBadge {
    pub name: String,
    /// The names of the user's regions ("Region Syddanmark"), for the header.
    pub region_names: Vec<String>,
    /// The main menu, the current page's entry marked.
    pub menu: Vec<super::menu::MenuItem>,
    /// Whether to offer the administration screens (display only; the engine decides access).
    pub shows_admin: bool,
}

impl UserBadge {
    /// `actor` on the page at `path`, their regions named by `engine`.
    pub fn new(
        actor: &overdrag_engine::Actor,
        engine: &overdrag_engine::Engine,
        path: &str,
    ) -> Self {
        Self {
            name: actor.name.clone(),
            region_names: actor
                .regions
                .keys()
                .map(|slug| engine.region_name(slug).unwrap_or(slug).to_owned())
                .collect(),
            menu: super::menu::main_menu(actor, path),
            shows_admin: super::menu::administers_any(actor),
        }
    }
}

/// What the layout around every page needs: language, title, who is logged in, and the CSRF
/// token for the forms on the page (`{{> csrf}}`).
#[derive(Clone, Debug, Serialize)]
pub struct Chrome {
    pub lang: Lang,
    /// A key in `web/i18n/*.toml`, e.g. `login.title`.
    pub title_key: String,
    /// What the page is about, before the title key's text: the case's number and title, the
    /// meeting's title (WCAG 2.4.2: each page's title names its page).
    pub title_detail: Option<String>,
    pub user: Option<UserBadge>,
    pub csrf: String,
    /// The current path, where the language switch returns to.
    pub path: String,
    pub asset_version: &'static str,
    /// A cookie to set with this page (the CSRF cookie of a visitor not logged in).
    #[serde(skip)]
    pub set_cookie: Option<String>,
}

impl Chrome {
    /// The same page chrome, its title naming `detail` first.
    #[must_use]
    pub fn titled(mut self, detail: impl Into<String>) -> Self {
        self.title_detail = Some(detail.into());
        self
    }
}

#[derive(Serialize)]
struct Root<'a, V> {
    layout: &'a Chrome,
    view: &'a V,
}

struct TextHelper {
    texts: Arc<Translations>,
}

impl HelperDef for TextHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or_else(|| RenderErrorReason::Other("use {{t \"key\"}}".into()))?;
        let lang = ctx
            .data()
            .pointer("/layout/lang")
            .and_then(|l| l.as_str())
            .and_then(Lang::parse)
            .ok_or_else(|| {
                RenderErrorReason::Other(format!("{{{{t \"{key}\"}}}} needs layout.lang"))
            })?;
        let values: Vec<(String, String)> = h
            .hash()
            .iter()
            .map(|(name, value)| {
                let value = match value.value() {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                ((*name).to_owned(), value)
            })
            .collect();
        let values: Vec<(&str, &str)> = values
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let text = self
            .texts
            .text(lang, key, &values)
            .map_err(|e| RenderError::from(RenderErrorReason::Other(e)))?;
        out.write(&handlebars::html_escape(&text))?;
        Ok(())
    }
}

impl Views {
    /// Compiles every embedded template in strict mode and loads the texts.
    ///
    /// # Errors
    /// A template that does not compile, or texts that do not load, named with the file.
    pub fn load() -> Result<Self, String> {
        let texts = Arc::new(Translations::embedded()?);
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_dev_mode(false);
        registry.register_helper(
            "t",
            Box::new(TextHelper {
                texts: Arc::clone(&texts),
            }),
        );
        for (name, source) in embedded::TEMPLATES {
            registry
                .register_template_string(name, *source)
                .map_err(|e| format!("web/templates/{name}.hbs: {e}"))?;
        }
        Ok(Self { registry, texts })
    }

    /// The names of the embedded templates.
    pub fn template_names(&self) -> Vec<&str> {
        embedded::TEMPLATES.iter().map(|(name, _)| *name).collect()
    }

    /// The text for `key` in `lang`, for the few texts built in Rust (e.g. role names).
    ///
    /// # Errors
    /// [`PageError::Render`] for an unknown key.
    pub fn text(
        &self,
        lang: Lang,
        key: &str,
        values: &[(&str, &str)],
    ) -> Result<String, PageError> {
        self.texts
            .text(lang, key, values)
            .map_err(PageError::Render)
    }

    /// The text for `key` in `lang` when there is one: for optional texts only, such as a
    /// translation of an engine message.
    pub fn lookup(&self, lang: Lang, key: &str) -> Option<String> {
        self.texts.get(lang, key).map(str::to_owned)
    }

    /// Renders `template` with `view` inside the layout, as a 200 page.
    ///
    /// # Errors
    /// [`PageError::Render`] when the template fails (an unknown field or text key).
    pub fn render<V: Serialize>(
        &self,
        template: &str,
        chrome: &Chrome,
        view: &V,
    ) -> Result<Response, PageError> {
        self.render_with_status(StatusCode::OK, template, chrome, view)
    }

    /// Renders like [`Views::render`] with another status, e.g. 422 for a form with errors.
    ///
    /// # Errors
    /// As [`Views::render`].
    pub fn render_with_status<V: Serialize>(
        &self,
        status: StatusCode,
        template: &str,
        chrome: &Chrome,
        view: &V,
    ) -> Result<Response, PageError> {
        let html = self
            .registry
            .render(
                template,
                &Root {
                    layout: chrome,
                    view,
                },
            )
            .map_err(|e| PageError::Render(format!("{template}: {e}")))?;
        let mut response = (status, Html(html)).into_response();
        if let Some(value) = chrome
            .set_cookie
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            response.headers_mut().append(SET_COOKIE, value);
        }
        Ok(response)
    }
}
