//! The secretariat corrects or cancels a meeting from its page, until the day it is held.

use super::PageState;
use super::error::PageError;
use super::forms::{ErrorSummary, FormField};
use super::meetings::{MeetingForms, field_errors, meeting_page, parse_date, path_id};
use super::session::{CsrfForm, CurrentUser, see_other};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use overdrag_engine::EngineError;
use overdrag_engine::cases::MeetingChange;
use overdrag_engine::cases::meetings::MeetingView;
use serde::{Deserialize, Serialize};

/// What was typed into the form that corrects a meeting.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    material_deadline: String,
}

/// The reason a meeting is cancelled.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

/// The correct and cancel forms on the meeting page, with what was typed and its errors.
#[derive(Debug, Serialize)]
pub(super) struct ChangeSection {
    title: FormField,
    held_on: FormField,
    material_deadline: FormField,
    reason: FormField,
    /// A form came back with errors, so its part of the page opens.
    change_open: bool,
    cancel_open: bool,
}

impl ChangeSection {
    /// The forms for `meeting`, holding what was typed in `typed` if a form came back.
    pub(super) fn of(meeting: &MeetingView, typed: &MeetingForms, errors: &ErrorSummary) -> Self {
        let change = typed.change.clone().unwrap_or_else(|| ChangeForm {
            title: meeting.title.clone(),
            held_on: meeting.held_on.to_string(),
            material_deadline: meeting.material_deadline.to_string(),
        });
        let reason = typed.reason.clone().unwrap_or_default();
        Self {
            title: FormField::new("title", &change.title, errors),
            held_on: FormField::new("held_on", &change.held_on, errors),
            material_deadline: FormField::new(
                "material_deadline",
                &change.material_deadline,
                errors,
            ),
            reason: FormField::new("reason", &reason, errors),
            change_open: typed.change.is_some(),
            cancel_open: typed.reason.is_some(),
        }
    }
}

/// Corrects the title and dates of a meeting not yet held.
pub async fn change_meeting(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<ChangeForm>,
) -> Result<Response, PageError> {
    let id = path_id(&id)?;
    let mut errors = ErrorSummary::default();
    let date_message = state
        .views
        .text(user.lang, "meetings.field_errors.date_format", &[])?;
    let held_on = parse_date("held_on", &form.held_on, &mut errors, &date_message);
    let material_deadline = parse_date(
        "material_deadline",
        &form.material_deadline,
        &mut errors,
        &date_message,
    );
    if let (Some(held_on), Some(material_deadline)) = (held_on, material_deadline) {
        let change = MeetingChange {
            title: form.title.clone(),
            held_on,
            material_deadline,
        };
        match state.engine.change_meeting(&user.actor, id, change).await {
            Ok(_) => return Ok(see_other(&format!("/meetings/{id}"))),
            Err(EngineError::Invalid(problems)) => {
                errors = field_errors(&state.views, user.lang, "meetings", &problems);
            }
            Err(other) => return Err(other.into()),
        }
    }
    let typed = MeetingForms {
        change: Some(form),
        ..MeetingForms::default()
    };
    refused(&state, &user, id, errors, &typed).await
}

/// Cancels a meeting not yet held, with the reason its cases' parties are told.
pub async fn cancel_meeting(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<CancelForm>,
) -> Result<Response, PageError> {
    let id = path_id(&id)?;
    match state
        .engine
        .cancel_meeting(&user.actor, id, &form.reason)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/meetings/{id}"))),
        Err(EngineError::Invalid(problems)) => {
            let errors = field_errors(&state.views, user.lang, "meetings", &problems);
            let typed = MeetingForms {
                reason: Some(form.reason),
                ..MeetingForms::default()
            };
            refused(&state, &user, id, errors, &typed).await
        }
        Err(other) => Err(other.into()),
    }
}

/// The meeting page again, with the form that came back and its errors.
async fn refused(
    state: &PageState,
    user: &CurrentUser,
    id: i64,
    errors: ErrorSummary,
    typed: &MeetingForms,
) -> Result<Response, PageError> {
    let view = meeting_page(state, user, id, errors, typed).await?;
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "meetings/show",
        &user
            .chrome("meetings.meeting_title")
            .titled(view.title.clone()),
        &view,
    )
}
