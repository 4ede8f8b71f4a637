//! Meetings and agendas: the meetings of a region, planning one, placing cases on its agenda,
//! ordering and publishing it, and the minutes. Who may do what is the engine's decision; the
//! forms are shown to the region's secretariat only as a convenience.

use super::PageState;
use super::error::PageError;
use super::forms::{Choice, ErrorSummary, FormField};
use super::i18n::Lang;
use super::meeting_edit::{ChangeForm, ChangeSection};
use super::session::{CsrfForm, CurrentUser, see_other};
use super::views::Views;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use overdrag_engine::cases::meetings::{MeetingView, NewMeeting};
use overdrag_engine::domain::body::Body;
use overdrag_engine::{EngineError, FieldError};
use serde::{Deserialize, Serialize};

/// A date in the page's language: `23. november 2026` or `23 November 2026`.
pub fn long_date(lang: Lang, date: NaiveDate) -> String {
    match lang {
        Lang::Da => overdrag_engine::render::danish::danish_date(date),
        Lang::En => overdrag_engine::render::danish::english_date(date),
    }
}

/// The date in Denmark of a moment, in the page's language.
pub fn long_day(lang: Lang, at: DateTime<Utc>) -> String {
    long_date(lang, overdrag_engine::domain::calendar::danish_date(at))
}

/// A meeting or case id from the path; anything else is a page that does not exist.
pub fn path_id(raw: &str) -> Result<i64, PageError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(PageError::NotFound)
}

/// The engine's field errors in the page's language: the text `<section>.field_errors.<field>`
/// where there is one, else the engine's own words.
pub fn field_errors(
    views: &Views,
    lang: Lang,
    section: &str,
    errors: &[FieldError],
) -> ErrorSummary {
    let mut summary = ErrorSummary::default();
    for e in errors {
        let message = views
            .lookup(lang, &format!("{section}.field_errors.{}", e.field))
            .unwrap_or_else(|| e.message_in(lang.code()).to_owned());
        summary.push(&e.field, message);
    }
    summary
}

#[derive(Debug, Serialize)]
struct MeetingRow {
    id: i64,
    title: String,
    body_name: String,
    held_on: String,
    material_deadline: String,
    items: usize,
    published: bool,
}

#[derive(Debug, Serialize)]
struct MeetingsView {
    region: String,
    regions: Vec<Choice>,
    meetings: Vec<MeetingRow>,
    can_plan: bool,
    errors: ErrorSummary,
    title: FormField,
    held_on: FormField,
    material_deadline: FormField,
    body: FormField,
    bodies: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
pub struct RegionQuery {
    region: Option<String>,
}

/// What was typed into the form that plans a meeting.
#[derive(Debug, Default, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    material_deadline: String,
}

fn meeting_row(lang: Lang, m: &MeetingView) -> MeetingRow {
    MeetingRow {
        id: m.id,
        title: m.title.clone(),
        body_name: m.body_name.clone(),
        held_on: long_date(lang, m.held_on),
        material_deadline: long_date(lang, m.material_deadline),
        items: m.agenda.len(),
        published: m.published_at.is_some(),
    }
}

async fn meetings_page(
    state: &PageState,
    user: &CurrentUser,
    region: &str,
    typed: &PlanForm,
    errors: ErrorSummary,
) -> Result<MeetingsView, PageError> {
    let meetings = state.engine.meetings(&user.actor, region).await?;
    let names = state.engine.regions().await?;
    let regions = user
        .actor
        .regions
        .keys()
        .map(|slug| Choice {
            label: names
                .iter()
                .find(|r| &r.slug == slug)
                .map_or_else(|| slug.clone(), |r| r.name.clone()),
            selected: slug == region,
            value: slug.clone(),
        })
        .collect();
    let default_body = Body::SteeringGroup.key();
    let body = if typed.body.is_empty() {
        default_body.as_str()
    } else {
        typed.body.as_str()
    };
    let bodies = state
        .engine
        .meeting_bodies(&user.actor, region)
        .await?
        .into_iter()
        .map(|b| {
            let value = b.body.key();
            Choice {
                selected: value == body,
                value,
                label: b.name,
            }
        })
        .collect();
    Ok(MeetingsView {
        region: region.to_owned(),
        regions,
        meetings: meetings.iter().map(|m| meeting_row(user.lang, m)).collect(),
        can_plan: user
            .actor
            .has_role(region, overdrag_engine::policy::meeting::PREPARER),
        title: FormField::new("title", &typed.title, &errors),
        held_on: FormField::new("held_on", &typed.held_on, &errors),
        material_deadline: FormField::new("material_deadline", &typed.material_deadline, &errors),
        body: FormField::new("body", body, &errors),
        bodies,
        errors,
    })
}

/// The region to show: the one asked for, else the user's first.
fn chosen_region(user: &CurrentUser, asked: Option<&str>) -> Result<String, PageError> {
    asked
        .map(str::to_owned)
        .filter(|r| !r.is_empty())
        .or_else(|| user.actor.regions.keys().next().cloned())
        .ok_or(PageError::Engine(EngineError::NotFound { what: "region" }))
}

pub async fn list_meetings(
    State(state): State<PageState>,
    user: CurrentUser,
    Query(query): Query<RegionQuery>,
) -> Result<Response, PageError> {
    let region = chosen_region(&user, query.region.as_deref())?;
    let view = meetings_page(
        &state,
        &user,
        &region,
        &PlanForm::default(),
        ErrorSummary::default(),
    )
    .await?;
    state
        .views
        .render("meetings/list", &user.chrome("meetings.title"), &view)
}

pub(super) fn parse_date(
    field: &str,
    raw: &str,
    summary: &mut ErrorSummary,
    message: &str,
) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok();
    if parsed.is_none() {
        summary.push(field, message);
    }
    parsed
}

pub async fn plan_meeting(
    State(state): State<PageState>,
    CsrfForm { user, form }: CsrfForm<PlanForm>,
) -> Result<Response, PageError> {
    let mut errors = ErrorSummary::default();
    let date_message = state
        .views
        .text(user.lang, "meetings.field_errors.date_format", &[])?;
    let held_on = parse_date("held_on", &form.held_on, &mut errors, &date_message);
    let deadline = parse_date(
        "material_deadline",
        &form.material_deadline,
        &mut errors,
        &date_message,
    );
    if let (Some(held_on), Some(material_deadline)) = (held_on, deadline) {
        let input = NewMeeting {
            region: form.region.clone(),
            body: form.body.clone(),
            title: form.title.clone(),
            held_on,
            material_deadline,
        };
        match state.engine.create_meeting(&user.actor, input).await {
            Ok(meeting) => return Ok(see_other(&format!("/meetings/{}", meeting.id))),
            Err(EngineError::Invalid(problems)) => {
                errors = field_errors(&state.views, user.lang, "meetings", &problems);
            }
            Err(other) => return Err(other.into()),
        }
    }
    let region = chosen_region(&user, Some(&form.region))?;
    let view = meetings_page(&state, &user, &region, &form, errors).await?;
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "meetings/list",
        &user.chrome("meetings.title"),
        &view,
    )
}

#[derive(Debug, Serialize)]
struct AgendaRow {
    position: i32,
    case_id: i64,
    number: String,
    title: String,
    state_label: String,
    after_deadline: bool,
    up: Option<i32>,
    down: Option<i32>,
}

/// What was typed into the meeting page's forms, kept when one comes back with errors.
#[derive(Debug, Default)]
pub(super) struct MeetingForms {
    pub place: PlaceForm,
    pub change: Option<ChangeForm>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct MeetingPage {
    id: i64,
    pub title: String,
    body_name: String,
    region: String,
    held_on: String,
    material_deadline: String,
    published_on: Option<String>,
    agenda: Vec<AgendaRow>,
    /// The secretariat's tools, while the meeting has not been held.
    prepares: bool,
    candidates: Vec<Choice>,
    errors: ErrorSummary,
    override_deadline: bool,
    deadline_passed: bool,
    /// The secretariat's forms that correct and cancel the meeting.
    change: Option<ChangeSection>,
    /// The day the meeting was cancelled, and why.
    cancelled_on: Option<String>,
    cancel_reason: Option<String>,
}

pub(super) async fn meeting_page(
    state: &PageState,
    user: &CurrentUser,
    meeting_id: i64,
    errors: ErrorSummary,
    forms: &MeetingForms,
) -> Result<MeetingPage, PageError> {
    let typed = &forms.place;
    let meeting = state.engine.meeting(&user.actor, meeting_id).await?;
    let today = state.engine.today();
    let prepares = user
        .actor
        .has_role(&meeting.region, overdrag_engine::policy::meeting::PREPARER)
        && meeting.held_on >= today
        && meeting.cancelled_at.is_none();
    let candidates = if prepares {
        state
            .engine
            .agenda_candidates(&user.actor, meeting_id)
            .await?
            .into_iter()
            .map(|c| Choice {
                selected: c.case_id.to_string() == typed.case_id,
                value: c.case_id.to_string(),
                label: format!(
                    "{}: {} ({})",
                    c.number,
                    c.title,
                    c.state_label.in_language(user.lang.code())
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    let last = i32::try_from(meeting.agenda.len()).unwrap_or(i32::MAX);
    let agenda = meeting
        .agenda
        .iter()
        .map(|a| AgendaRow {
            position: a.position,
            case_id: a.case_id,
            number: a.number.clone(),
            title: a.title.clone(),
            state_label: a.state_label.in_language(user.lang.code()).to_owned(),
            after_deadline: a.after_deadline,
            up: (prepares && a.position > 1).then_some(a.position - 1),
            down: (prepares && a.position < last).then_some(a.position + 1),
        })
        .collect();
    let change = prepares.then(|| ChangeSection::of(&meeting, forms, &errors));
    Ok(MeetingPage {
        id: meeting.id,
        title: meeting.title.clone(),
        body_name: meeting.body_name.clone(),
        region: meeting.region.clone(),
        held_on: long_date(user.lang, meeting.held_on),
        material_deadline: long_date(user.lang, meeting.material_deadline),
        published_on: meeting.published_at.map(|at| long_day(user.lang, at)),
        agenda,
        prepares,
        candidates,
        errors,
        override_deadline: typed.override_deadline.is_some(),
        deadline_passed: today > meeting.material_deadline,
        change,
        cancelled_on: meeting.cancelled_at.map(|at| long_day(user.lang, at)),
        cancel_reason: meeting.cancel_reason.clone(),
    })
}

pub async fn show_meeting(
    State(state): State<PageState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = path_id(&id)?;
    let view = meeting_page(
        &state,
        &user,
        id,
        ErrorSummary::default(),
        &MeetingForms::default(),
    )
    .await?;
    state.views.render(
        "meetings/show",
        &user
            .chrome("meetings.meeting_title")
            .titled(view.title.clone()),
        &view,
    )
}

/// A case to place on the agenda, and whether to override the material deadline.
#[derive(Debug, Default, Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    case_id: String,
    override_deadline: Option<String>,
}

pub async fn place_case(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<PlaceForm>,
) -> Result<Response, PageError> {
    let id = path_id(&id)?;
    let errors = match form.case_id.trim().parse::<i64>() {
        Ok(case_id) => {
            let result = state
                .engine
                .commit_placement(&user.actor, id, case_id, form.override_deadline.is_some())
                .await;
            match result {
                Ok(_) => return Ok(see_other(&format!("/meetings/{id}#agenda"))),
                Err(EngineError::Invalid(problems)) => {
                    field_errors(&state.views, user.lang, "meetings", &problems)
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(_) => ErrorSummary::single(
            "case_id",
            state
                .views
                .text(user.lang, "meetings.field_errors.case_id", &[])?,
        ),
    };
    let forms = MeetingForms {
        place: form,
        ..MeetingForms::default()
    };
    let view = meeting_page(&state, &user, id, errors, &forms).await?;
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "meetings/show",
        &user
            .chrome("meetings.meeting_title")
            .titled(view.title.clone()),
        &view,
    )
}

/// A case to move, and the place (1 is first) to move it to.
#[derive(Debug, Deserialize)]
pub struct OrderForm {
    case_id: i64,
    position: i32,
}

pub async fn move_item(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<OrderForm>,
) -> Result<Response, PageError> {
    let id = path_id(&id)?;
    state
        .engine
        .move_agenda_item(&user.actor, id, form.case_id, form.position)
        .await?;
    Ok(see_other(&format!("/meetings/{id}#item-{}", form.case_id)))
}

/// The publish button carries nothing but the CSRF token.
#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

pub async fn publish(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, .. }: CsrfForm<EmptyForm>,
) -> Result<Response, PageError> {
    let id = path_id(&id)?;
    state.engine.publish_agenda(&user.actor, id).await?;
    Ok(see_other(&format!("/meetings/{id}")))
}

#[derive(Debug, Serialize)]
struct MinuteRow {
    case_id: i64,
    number: String,
    title: String,
    decision: String,
    comment: Option<String>,
    decided_by: Option<String>,
    decided_on: String,
}

#[derive(Debug, Serialize)]
struct MinutesPage {
    id: i64,
    title: String,
    body_name: String,
    held_on: String,
    agenda: Vec<AgendaRow>,
    decisions: Vec<MinuteRow>,
}

pub async fn minutes(
    State(state): State<PageState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = path_id(&id)?;
    let minutes = state.engine.minutes(&user.actor, id).await?;
    let lang = user.lang;
    let meeting = &minutes.meeting;
    let view = MinutesPage {
        id: meeting.id,
        title: meeting.title.clone(),
        body_name: meeting.body_name.clone(),
        held_on: long_date(lang, meeting.held_on),
        agenda: meeting
            .agenda
            .iter()
            .map(|a| AgendaRow {
                position: a.position,
                case_id: a.case_id,
                number: a.number.clone(),
                title: a.title.clone(),
                state_label: a.state_label.in_language(lang.code()).to_owned(),
                after_deadline: a.after_deadline,
                up: None,
                down: None,
            })
            .collect(),
        decisions: minutes
            .decisions
            .iter()
            .map(|d| MinuteRow {
                case_id: d.case_id,
                number: d.number.clone(),
                title: d.title.clone(),
                decision: d.decision_label.as_ref().map_or_else(
                    || d.decision.clone(),
                    |l| l.in_language(lang.code()).to_owned(),
                ),
                comment: d.comment.clone(),
                decided_by: d.decided_by.as_ref().map(|u| u.name.clone()),
                decided_on: long_day(lang, d.decided_at),
            })
            .collect(),
    };
    state.views.render(
        "meetings/minutes",
        &user
            .chrome("meetings.minutes_title")
            .titled(view.title.clone()),
        &view,
    )
}
