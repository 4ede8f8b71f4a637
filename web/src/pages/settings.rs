//! The logged-in user's own settings: the language of their mails and pages, and whether
//! mails come one per event or as one daily digest at 07:00.

use super::PageState;
use super::error::PageError;
use super::forms::ErrorSummary;
use super::i18n::Lang;
use super::session::{CsrfForm, CurrentUser, LANG_COOKIE, see_other, set_cookie};
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use overdrag_engine::EngineError;
use overdrag_engine::preferences::{SettingsInput, UserSettings};
use serde::{Deserialize, Serialize};

/// How mails reach the user, as the form names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MailChoice {
    /// A mail per event.
    Event,
    /// One daily digest at 07:00.
    Digest,
}

impl MailChoice {
    fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "event" => Some(Self::Event),
            "digest" => Some(Self::Digest),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Digest => "digest",
        }
    }
}

/// A radio button: `id` is `<name>-<value>`, which the error summary links to.
#[derive(Debug, Serialize)]
struct Radio {
    id: String,
    value: &'static str,
    label: String,
    hint: Option<String>,
    checked: bool,
}

#[derive(Debug, Serialize)]
struct SettingsView {
    name: String,
    email: String,
    saved: bool,
    errors: ErrorSummary,
    language_error: Option<String>,
    mail_error: Option<String>,
    languages: Vec<Radio>,
    mails: Vec<Radio>,
}

/// What the form sent, or what is stored.
struct Chosen<'a> {
    language: &'a str,
    mail: &'a str,
}

fn settings_view(
    state: &PageState,
    lang: Lang,
    stored: UserSettings,
    chosen: &Chosen<'_>,
    errors: ErrorSummary,
    saved: bool,
) -> Result<SettingsView, PageError> {
    let text = |key: &str| state.views.text(lang, key, &[]);
    let languages = ["da", "en"]
        .into_iter()
        .map(|code| {
            Ok(Radio {
                id: format!("language-{code}"),
                value: code,
                label: text(&format!("languages.{code}"))?,
                hint: None,
                checked: chosen.language == code,
            })
        })
        .collect::<Result<_, PageError>>()?;
    let mails = [MailChoice::Event, MailChoice::Digest]
        .into_iter()
        .map(|choice| {
            let code = choice.code();
            Ok(Radio {
                id: format!("mail-{code}"),
                value: code,
                label: text(&format!("settings.mail_{code}"))?,
                hint: Some(text(&format!("settings.mail_{code}_hint"))?),
                checked: chosen.mail == code,
            })
        })
        .collect::<Result<_, PageError>>()?;
    Ok(SettingsView {
        name: stored.name,
        email: stored.email,
        saved,
        language_error: errors.error_for("language-da"),
        mail_error: errors.error_for("mail-event"),
        errors,
        languages,
        mails,
    })
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// The user's settings as stored.
pub async fn settings_page(
    State(state): State<PageState>,
    user: CurrentUser,
    Query(query): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let stored = state.engine.user_settings(&user.actor).await?;
    let mail = if stored.daily_digest {
        MailChoice::Digest
    } else {
        MailChoice::Event
    };
    let language = stored.language.clone();
    let chosen = Chosen {
        language: &language,
        mail: mail.code(),
    };
    let view = settings_view(
        &state,
        user.lang,
        stored,
        &chosen,
        ErrorSummary::default(),
        query.saved.is_some(),
    )?;
    state
        .views
        .render("settings", &user.chrome("settings.title"), &view)
}

/// The settings form: both choices are radio buttons.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    language: String,
    #[serde(default)]
    mail: String,
}

/// Saves the settings, shows the pages in the chosen language from now on (as the language
/// switch does), and returns to the settings page.
pub async fn save_settings(
    State(state): State<PageState>,
    CsrfForm { user, form }: CsrfForm<SettingsForm>,
) -> Result<Response, PageError> {
    let language = Lang::parse(&form.language);
    let mail = MailChoice::parse(&form.mail);
    let text = |key: &str| state.views.text(user.lang, key, &[]);
    let mut errors = ErrorSummary::default();
    if let (Some(language), Some(mail)) = (language, mail) {
        let input = SettingsInput {
            language: language.code().to_owned(),
            daily_digest: mail == MailChoice::Digest,
        };
        match state.engine.set_user_settings(&user.actor, input).await {
            Ok(_) => {
                let cookie =
                    set_cookie(&state, LANG_COOKIE, language.code(), Some(365 * 24 * 3600));
                let mut response = see_other("/settings?saved=1");
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(SET_COOKIE, value);
                }
                return Ok(response);
            }
            Err(EngineError::Invalid(_)) => {
                errors.push("language-da", text("settings.language_missing")?);
            }
            Err(other) => return Err(other.into()),
        }
    } else {
        if language.is_none() {
            errors.push("language-da", text("settings.language_missing")?);
        }
        if mail.is_none() {
            errors.push("mail-event", text("settings.mail_missing")?);
        }
    }
    let stored = state.engine.user_settings(&user.actor).await?;
    let chosen = Chosen {
        language: &form.language,
        mail: &form.mail,
    };
    let view = settings_view(&state, user.lang, stored, &chosen, errors, false)?;
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "settings",
        &user.chrome("settings.title"),
        &view,
    )
}
