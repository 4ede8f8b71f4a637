//! The page behind a heard party's personal link: no account, the case in brief, one answer.

use super::PageState;
use super::error::PageError;
use super::forms::{Choice, ErrorSummary, FormField};
use super::meetings::{field_errors, long_date, long_day};
use super::party_figures::{PartyTable, party_tables};
use super::session::{PublicForm, Visitor, see_other};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use overdrag_engine::EngineError;
use overdrag_engine::cases::hearings::HearingAnswer;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
struct Field {
    label: String,
    text: String,
}

#[derive(Debug, Serialize)]
struct HearingPage {
    token: String,
    number: String,
    title: String,
    region_name: String,
    kind: String,
    party: String,
    giving_party: String,
    receiving_party: String,
    deadline: String,
    /// The day the hearing closed, when it closed before its deadline.
    closed_early_on: Option<String>,
    summary: Vec<Field>,
    economics: Vec<PartyTable>,
    has_own_figures: bool,
    open: bool,
    /// The answer already given, in words.
    answered: Option<String>,
    answered_text: Option<String>,
    answered_on: Option<String>,
    thanks: bool,
    errors: ErrorSummary,
    answers: Vec<Choice>,
    answer: FormField,
    text: FormField,
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
pub struct ThanksQuery {
    answered: Option<String>,
}

const ANSWERS: [HearingAnswer; 3] = [
    HearingAnswer::Agree,
    HearingAnswer::AgreeWithRemarks,
    HearingAnswer::Object,
];

async fn hearing_page(
    state: &PageState,
    visitor: &Visitor,
    token: &str,
    typed: &AnswerForm,
    errors: ErrorSummary,
    thanks: bool,
) -> Result<HearingPage, PageError> {
    let case = state.engine.hearing_case(token).await?;
    let lang = visitor.lang;
    let views = &state.views;
    let invitation = &case.invitation;
    let answer_text =
        |a: HearingAnswer| views.text(lang, &format!("hearing.answer_{}", a.as_str()), &[]);
    let answers = ANSWERS
        .into_iter()
        .map(|a| {
            Ok(Choice {
                value: a.as_str().to_owned(),
                label: answer_text(a)?,
                selected: typed.answer == a.as_str(),
            })
        })
        .collect::<Result<_, PageError>>()?;
    Ok(HearingPage {
        token: token.to_owned(),
        number: invitation.case_number.clone(),
        title: invitation.case_title.clone(),
        region_name: invitation.region_name.clone(),
        kind: case.kind.in_language(lang.code()).to_owned(),
        party: invitation.party.name.clone(),
        giving_party: case.giving_party.clone(),
        receiving_party: case.receiving_party.clone(),
        deadline: long_date(lang, invitation.deadline),
        closed_early_on: invitation
            .closed_on
            .filter(|day| *day < invitation.deadline)
            .map(|day| long_date(lang, day)),
        economics: party_tables(views, lang, &case.economics)?,
        has_own_figures: case.has_own_figures,
        summary: case
            .summary
            .iter()
            .map(|f| Field {
                label: f.label.in_language(lang.code()).to_owned(),
                text: f.text.clone(),
            })
            .collect(),
        open: invitation.open && invitation.answer.is_none(),
        answered: invitation.answer.map(answer_text).transpose()?,
        answered_text: invitation.text.clone(),
        answered_on: case.answered_at.map(|at| long_day(lang, at)),
        thanks,
        answers,
        answer: FormField::new("answer", &typed.answer, &errors),
        text: FormField::new("text", &typed.text, &errors),
        errors,
    })
}

pub async fn show_hearing(
    State(state): State<PageState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Query(query): Query<ThanksQuery>,
) -> Result<Response, PageError> {
    let view = hearing_page(
        &state,
        &visitor,
        &token,
        &AnswerForm::default(),
        ErrorSummary::default(),
        query.answered.is_some(),
    )
    .await?;
    state
        .views
        .render("hearing/answer", &visitor.chrome("hearing.title"), &view)
}

pub async fn answer_hearing(
    State(state): State<PageState>,
    Path(token): Path<String>,
    PublicForm { visitor, form }: PublicForm<AnswerForm>,
) -> Result<Response, PageError> {
    let answer = ANSWERS.into_iter().find(|a| a.as_str() == form.answer);
    let errors = match answer {
        None => ErrorSummary::single(
            "answer",
            state
                .views
                .text(visitor.lang, "hearing.field_errors.answer", &[])?,
        ),
        Some(answer) => {
            let text = Some(form.text.as_str()).filter(|t| !t.trim().is_empty());
            match state.engine.answer_hearing_once(&token, answer, text).await {
                Ok(_) => {
                    return Ok(see_other(&format!(
                        "/hearing/{}?answered=1",
                        super::session::encode_query_value(&token)
                    )));
                }
                // A late or repeated answer: the page says so in place of the form.
                Err(EngineError::Invalid(problems)) => {
                    let problems: Vec<_> = problems
                        .into_iter()
                        .filter(|p| p.field != "answer")
                        .collect();
                    field_errors(&state.views, visitor.lang, "hearing", &problems)
                }
                Err(other) => return Err(other.into()),
            }
        }
    };
    let view = hearing_page(&state, &visitor, &token, &form, errors, false).await?;
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "hearing/answer",
        &visitor.chrome("hearing.title"),
        &view,
    )
}
