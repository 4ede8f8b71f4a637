//! The decision screen of a body's meeting (the steering group's approval, the committee's or
//! the regionsråd's decision, a council's recommendation): one meeting, its
//! items in agenda order, each with its decision document (Sagsfremstilling, Økonomiske
//! konsekvenser, Indstilling) and exactly the decisions the reader may take on it now.

use super::PageState;
use super::error::PageError;
use super::forms::ErrorSummary;
use super::meetings::{field_errors, long_date, long_day, path_id};
use super::session::{CsrfForm, CurrentUser, see_other};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use overdrag_engine::EngineError;
use overdrag_engine::domain::body::Body;
use overdrag_engine::render::decision_document::DecisionDocument;
use overdrag_engine::workflow::machine::Refusal;
use serde::{Deserialize, Serialize};

/// One decision the reader may take, as its own form: the comment field it needs and its
/// button.
#[derive(Debug, Serialize)]
struct DecisionForm {
    case_id: i64,
    version: i32,
    transition: String,
    label: String,
    requires_comment: bool,
    /// Why it cannot be taken now; empty when it can.
    blocked_by: Vec<String>,
    /// The id of the list of reasons it is blocked.
    why_id: String,
    /// The comment field's id (its name is `comment`).
    comment_field: String,
    /// What the reader typed, when this decision came back with an error.
    comment: String,
    error: bool,
}

#[derive(Debug, Serialize)]
struct TakenDecision {
    label: String,
    comment: Option<String>,
    decided_by: Option<String>,
    decided_on: String,
}

#[derive(Debug, Serialize)]
struct Item {
    position: i32,
    case_id: i64,
    number: String,
    title: String,
    state_label: String,
    version: i32,
    awaiting_decision: bool,
    document: DecisionDocument,
    /// The decision the Indstilling proposes, first and as the primary action.
    proposed: Option<DecisionForm>,
    /// The other decisions (with conditions, reject, return), set apart; each asks for the
    /// comment it requires before it is sent.
    others: Vec<DecisionForm>,
    /// Whether to show the other decisions unfolded (one of them came back with an error).
    others_open: bool,
    decided: Vec<TakenDecision>,
    errors: ErrorSummary,
    conflict: bool,
}

#[derive(Debug, Serialize)]
struct DecideView {
    id: i64,
    title: String,
    body_name: String,
    /// The i18n key of the screen's heading, which names what the body does here.
    title_key: &'static str,
    held_on: String,
    published: bool,
    member_of_body: bool,
    items: Vec<Item>,
}

/// A decision that came back: on which case, what was typed, and what went wrong.
struct Returned<'a> {
    case_id: i64,
    transition: &'a str,
    comment: &'a str,
    errors: ErrorSummary,
    conflict: bool,
}

async fn decide_view(
    state: &PageState,
    user: &CurrentUser,
    meeting_id: i64,
    returned: Option<Returned<'_>>,
) -> Result<DecideView, PageError> {
    let sheet = state.engine.decision_sheet(&user.actor, meeting_id).await?;
    let lang = user.lang.code();
    let mut returned = returned;
    let items = sheet
        .items
        .into_iter()
        .map(|item| {
            let mine = returned.take_if(|r| r.case_id == item.case_id);
            let mut forms: Vec<DecisionForm> = item
                .decisions
                .iter()
                .map(|d| {
                    let this_one = mine.as_ref().filter(|r| r.transition == d.id);
                    DecisionForm {
                        case_id: item.case_id,
                        version: item.version,
                        transition: d.id.clone(),
                        label: d.label.in_language(lang).to_owned(),
                        requires_comment: d.requires_comment,
                        blocked_by: d
                            .blocked_by
                            .iter()
                            .map(|f| f.message.in_language(lang).to_owned())
                            .collect(),
                        why_id: format!("why-{}-{}", item.case_id, d.id),
                        comment_field: comment_field(item.case_id, &d.id),
                        comment: this_one.map(|r| r.comment.to_owned()).unwrap_or_default(),
                        error: this_one.is_some_and(|r| !r.errors.is_empty()),
                    }
                })
                .collect();
            let proposed = item
                .proposed
                .as_ref()
                .and_then(|id| forms.iter().position(|f| &f.transition == id))
                .map(|at| forms.remove(at));
            let others_open = forms.iter().any(|f| f.error);
            Item {
                proposed,
                others: forms,
                others_open,
                decided: item
                    .decided
                    .iter()
                    .map(|d| TakenDecision {
                        label: d
                            .decision_label
                            .as_ref()
                            .map_or_else(|| d.decision.clone(), |l| l.in_language(lang).to_owned()),
                        comment: d.comment.clone(),
                        decided_by: d.decided_by.as_ref().map(|u| u.name.clone()),
                        decided_on: long_day(user.lang, d.decided_at),
                    })
                    .collect(),
                conflict: mine.as_ref().is_some_and(|r| r.conflict),
                errors: mine.map(|r| r.errors).unwrap_or_default(),
                position: item.position,
                case_id: item.case_id,
                number: item.number,
                title: item.title,
                state_label: item.state_label.in_language(lang).to_owned(),
                version: item.version,
                awaiting_decision: item.awaiting_decision,
                document: item.document,
            }
        })
        .collect();
    let meeting = sheet.meeting;
    Ok(DecideView {
        id: meeting.id,
        title: meeting.title,
        body_name: meeting.body_name,
        title_key: title_key(meeting.body),
        held_on: long_date(user.lang, meeting.held_on),
        published: meeting.published_at.is_some(),
        member_of_body: sheet.member_of_body,
        items,
    })
}

/// The id of a decision's comment field, which the error summary links to.
fn comment_field(case_id: i64, transition: &str) -> String {
    format!("comment-{case_id}-{transition}")
}

fn title_key(body: Body) -> &'static str {
    match body {
        Body::Committee => "decide.committee_title",
        Body::Council(_) => "decide.council_title",
        Body::RegionalCouncil => "decide.regional_council_title",
        Body::SteeringGroup | Body::Secretariat => "decide.steering_title",
    }
}

pub async fn decision_screen(
    State(state): State<PageState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = path_id(&id)?;
    let view = decide_view(&state, &user, id, None).await?;
    state.views.render(
        "meetings/decide",
        &user.chrome(view.title_key).titled(view.title.clone()),
        &view,
    )
}

/// A decision on one item: the transition, the case version the reader saw, and a comment.
#[derive(Debug, Deserialize)]
pub struct DecisionInput {
    transition: String,
    version: i32,
    #[serde(default)]
    comment: String,
}

pub async fn decide(
    State(state): State<PageState>,
    Path((id, case_id)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm<DecisionInput>,
) -> Result<Response, PageError> {
    let (id, case_id) = (path_id(&id)?, path_id(&case_id)?);
    // The case must be an item of this meeting: the sheet is what the reader may see.
    let sheet = state.engine.meeting(&user.actor, id).await?;
    if !sheet.agenda.iter().any(|a| a.case_id == case_id) {
        return Err(PageError::Engine(EngineError::NotFound {
            what: "agenda item",
        }));
    }
    let comment = Some(form.comment.trim()).filter(|c| !c.is_empty());
    let result = state
        .engine
        .commit_transition(
            &user.actor,
            case_id,
            form.version,
            &form.transition,
            comment,
        )
        .await;
    let field = comment_field(case_id, &form.transition);
    let (errors, conflict) = match result {
        Ok(_) => return Ok(see_other(&format!("/meetings/{id}/decide#item-{case_id}"))),
        Err(EngineError::Conflict { .. }) => (
            ErrorSummary::single(&field, state.views.text(user.lang, "decide.conflict", &[])?),
            true,
        ),
        Err(EngineError::Refused(Refusal::Blocked { failures, .. })) => {
            let mut summary = ErrorSummary::default();
            for f in failures {
                summary.push(&field, f.message.in_language(user.lang.code()));
            }
            (summary, false)
        }
        Err(EngineError::Invalid(problems)) => {
            let mut summary = field_errors(&state.views, user.lang, "decide", &problems);
            for item in &mut summary.items {
                item.field.clone_from(&field);
            }
            (summary, false)
        }
        Err(other) => return Err(other.into()),
    };
    let returned = Returned {
        case_id,
        transition: &form.transition,
        comment: &form.comment,
        errors,
        conflict,
    };
    let view = decide_view(&state, &user, id, Some(returned)).await?;
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    state.views.render_with_status(
        status,
        "meetings/decide",
        &user.chrome(view.title_key).titled(view.title.clone()),
        &view,
    )
}
