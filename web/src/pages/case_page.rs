//! The case page: everything in the case file — description, economics, hearing, documents,
//! journal, implementation plan — and exactly the actions the reader may take now, each as its
//! own small form; blocked transitions are shown disabled with the reasons. The action forms
//! post here too: transitions, sign-offs, the implementation plan and opening the hearing.
//! A form that fails comes back on the case page with the error summary (422), or with the
//! case as it is now and what was typed when someone changed it meanwhile (409).

use super::PageState;
use super::cases::{case_id, date, days_left_text, kind_label, kroner, label, stage_label};
use super::error::PageError;
use super::forms::{ErrorSummary, FormField};
use super::i18n::Lang;
use super::next_step::{NextStepView, next_step_view};
use super::party_figures::{PartyTable, party_tables, sector_name};
use super::session::{CsrfForm, CurrentUser, see_other};
use super::views::Views;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use overdrag_engine::EngineError;
use overdrag_engine::cases::actions::{CaseActions, StepStatus};
use overdrag_engine::cases::hearings::HearingView;
use overdrag_engine::cases::implementation::ImplementationPlan;
use overdrag_engine::cases::page::CasePage;
use overdrag_engine::cases::view::{CaseView, JournalView};
use overdrag_engine::cases::{HearingRequest, IntoHearing};
use overdrag_engine::domain::calendar::danish_time;
use overdrag_engine::domain::description::FIELDS;
use overdrag_engine::domain::role::Side;
use overdrag_engine::journal_event::CaseEvent;
use overdrag_engine::workflow::machine::Refusal;
use serde::{Deserialize, Serialize};

/// What comes back with the page after a form failed.
#[derive(Debug, Default)]
struct Notice {
    errors: ErrorSummary,
    /// Someone changed the case meanwhile.
    conflict: bool,
    /// The transition whose form was sent, and its comment, to keep.
    kept_transition: Option<(String, String)>,
    /// The implementation dates typed.
    kept_plan: Option<(String, String)>,
    /// The councils ticked and the reason typed, when choosing them was refused.
    kept_councils: Option<(Vec<i64>, String)>,
}

/// One council to tick in the secretariat's choice of a case's councils.
#[derive(Debug, Serialize)]
struct CouncilChoice {
    id: i64,
    name: String,
    checked: bool,
}

/// The secretariat's form that chooses the councils of a case without a municipal party.
#[derive(Debug, Serialize)]
struct CouncilsForm {
    councils: Vec<CouncilChoice>,
    reason: String,
    reason_error: Option<String>,
    councils_error: Option<String>,
}

#[derive(Debug, Serialize)]
struct StepView {
    number: usize,
    label: String,
    status: &'static str,
    current: bool,
    done: bool,
    stopped: bool,
    upcoming: bool,
}

#[derive(Debug, Serialize)]
struct DescriptionField {
    key: &'static str,
    label: String,
    value: String,
}

#[derive(Debug, Serialize)]
struct DescriptionSection {
    revision: i32,
    author: String,
    revised_at: String,
    fields: Vec<DescriptionField>,
}

#[derive(Debug, Serialize)]
struct SectorRow {
    sector: String,
    total_net: String,
    per_citizen: Option<String>,
}

#[derive(Debug, Serialize)]
struct SignoffRow {
    side: String,
    by: String,
    signed_at: String,
    valid: bool,
}

#[derive(Debug, Serialize)]
struct EconomicsSection {
    has_lines: bool,
    parties: Vec<PartyTable>,
    sectors: Vec<SectorRow>,
    total_net: String,
    costs_moved: String,
    savings_released: String,
    balance: String,
    balanced: bool,
    deviation_percent: String,
    threshold_percent: u32,
    assumptions: String,
    signoffs: Vec<SignoffRow>,
}

#[derive(Debug, Serialize)]
struct HearingParty {
    name: String,
    answer: Option<String>,
    text: Option<String>,
    answered_at: Option<String>,
}

#[derive(Debug, Serialize)]
struct HearingSection {
    deadline: String,
    closed_on: Option<String>,
    answered: usize,
    total: usize,
    quorum_met: bool,
    closed: bool,
    parties: Vec<HearingParty>,
}

#[derive(Debug, Serialize)]
struct DocumentRow {
    id: i64,
    file_name: String,
    content_type: String,
    size: String,
    uploaded_by: String,
    uploaded_at: String,
}

#[derive(Debug, Serialize)]
struct JournalRow {
    seq: i32,
    at: String,
    at_iso: String,
    who: Option<String>,
    what: String,
    comment: Option<String>,
}

#[derive(Debug, Serialize)]
struct TransitionForm {
    id: String,
    label: String,
    requires_comment: bool,
    blocked: bool,
    reasons: Vec<String>,
    comment: String,
    comment_error: Option<String>,
    /// Returns, rejections and withdrawals look secondary; the way forward is primary.
    primary: bool,
    /// The form posts to the hearing, which the transition opens in the same step.
    opens_hearing: bool,
}

#[derive(Debug, Serialize)]
struct SignoffButton {
    side: &'static str,
    label: String,
}

#[derive(Debug, Serialize)]
struct PlanForm {
    implementation_on: FormField,
    follow_up_on: FormField,
}

#[derive(Debug, Serialize)]
struct CasePageView {
    id: i64,
    number: String,
    title: String,
    region_name: String,
    kind: String,
    giving_party: String,
    receiving_party: String,
    /// The sundhedsråd whose areas hold the case's municipal parties; empty shows nothing.
    councils: Vec<String>,
    proposer: String,
    state_label: String,
    ended: Option<String>,
    due_date: Option<String>,
    days_left: Option<String>,
    overdue: bool,
    version: i32,
    public: bool,
    kle: Option<String>,
    steps: Vec<StepView>,
    description: Option<DescriptionSection>,
    economics: EconomicsSection,
    hearing: Option<HearingSection>,
    documents: Vec<DocumentRow>,
    journal: Vec<JournalRow>,
    chain_verified: bool,
    chain_problem: Option<String>,
    implementation_on: Option<String>,
    follow_up_on: Option<String>,
    transitions: Vec<TransitionForm>,
    has_actions: bool,
    sign_off: Vec<SignoffButton>,
    edit_description: bool,
    edit_economics: bool,
    open_hearing: bool,
    plan: Option<PlanForm>,
    errors: ErrorSummary,
    conflict: bool,
    /// What happens next and who takes the step, for every reader.
    next_step: Option<NextStepView>,
    choose_councils: Option<CouncilsForm>,
}

fn time(at: DateTime<Utc>, lang: Lang) -> String {
    let local = danish_time(at);
    format!("{} {}", date(local.date(), lang), local.format("%H:%M"))
}

fn enum_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn steps(views: &Views, lang: Lang, actions: &CaseActions) -> Result<Vec<StepView>, PageError> {
    actions
        .progress
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let status = match step.status {
                StepStatus::Done => "done",
                StepStatus::Current => "current",
                StepStatus::Stopped => "stopped",
                StepStatus::Upcoming => "upcoming",
            };
            Ok(StepView {
                number: i + 1,
                label: stage_label(views, lang, step.stage)?,
                status,
                current: step.status == StepStatus::Current,
                done: step.status == StepStatus::Done,
                stopped: step.status == StepStatus::Stopped,
                upcoming: step.status == StepStatus::Upcoming,
            })
        })
        .collect()
}

fn description(case: &CaseView, lang: Lang) -> Option<DescriptionSection> {
    let d = case.description.as_ref()?;
    let json = serde_json::to_value(&d.content).ok()?;
    let fields = FIELDS
        .iter()
        .map(|f| DescriptionField {
            key: f.key,
            label: match lang {
                Lang::Da => f.da.to_owned(),
                Lang::En => f.en.to_owned(),
            },
            value: match json.get(f.key) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => String::new(),
            },
        })
        .collect();
    Some(DescriptionSection {
        revision: d.revision,
        author: d.author.name.clone(),
        revised_at: time(d.revised_at, lang),
        fields,
    })
}

fn economics(views: &Views, lang: Lang, case: &CaseView) -> Result<EconomicsSection, PageError> {
    let e = &case.economics;
    let s = &e.summary;
    let parties = party_tables(views, lang, &s.parties)?;
    let mut sectors = Vec::new();
    for row in &s.sectors {
        sectors.push(SectorRow {
            sector: sector_name(views, lang, row.sector)?,
            total_net: kroner(row.total_net, lang),
            per_citizen: row.net_per_citizen_per_year.map(|n| kroner(n, lang)),
        });
    }
    let mut signoffs = Vec::new();
    for so in &e.signoffs {
        signoffs.push(SignoffRow {
            side: views.text(lang, &format!("cases.sides.{}", so.side.as_str()), &[])?,
            by: so.by.name.clone(),
            signed_at: time(so.signed_at, lang),
            valid: so.valid,
        });
    }
    let balance = enum_name(&s.balance);
    Ok(EconomicsSection {
        has_lines: !e.lines.is_empty(),
        parties,
        sectors,
        total_net: kroner(s.total_net, lang),
        costs_moved: kroner(s.costs_moved, lang),
        savings_released: kroner(s.savings_released, lang),
        balance: views.text(lang, &format!("cases.balance.{balance}"), &[])?,
        balanced: balance == "balanced" || balance == "no_shift",
        deviation_percent: format!(
            "{}{}{}",
            s.deviation_per_mille / 10,
            if lang == Lang::Da { ',' } else { '.' },
            s.deviation_per_mille % 10
        ),
        threshold_percent: s.threshold_percent,
        assumptions: e.assumptions.clone(),
        signoffs,
    })
}

fn hearing(views: &Views, lang: Lang, h: &HearingView) -> Result<HearingSection, PageError> {
    let mut parties = Vec::new();
    for p in &h.parties {
        parties.push(HearingParty {
            name: p.party.name.clone(),
            answer: p
                .answer
                .map(|a| views.text(lang, &format!("cases.hearing.answers.{}", a.as_str()), &[]))
                .transpose()?,
            text: p.text.clone(),
            answered_at: p.answered_at.map(|t| time(t, lang)),
        });
    }
    Ok(HearingSection {
        deadline: date(h.deadline, lang),
        closed_on: h.closed_on.map(|day| date(day, lang)),
        answered: h.answered,
        total: h.parties.len(),
        quorum_met: h.quorum_met,
        closed: h.closed,
        parties,
    })
}

fn journal(views: &Views, lang: Lang, journal: &JournalView) -> Vec<JournalRow> {
    journal
        .events
        .iter()
        .rev()
        .map(|e| {
            let event = e.event().ok();
            let transition_label = event
                .as_ref()
                .and_then(CaseEvent::label)
                .map(|l| l.in_language(lang.code()).to_owned());
            let what = transition_label.unwrap_or_else(|| {
                views
                    .lookup(lang, &format!("cases.events.{}", e.kind))
                    .unwrap_or_else(|| e.kind.clone())
            });
            JournalRow {
                seq: e.seq,
                at: time(e.occurred_at, lang),
                at_iso: e.occurred_at.to_rfc3339(),
                who: e.actor.as_ref().map(|a| a.name.clone()),
                what,
                comment: e.comment.clone(),
            }
        })
        .collect()
}

fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} kB", (bytes + 1023) / 1024)
    }
}

async fn render_case(
    state: &PageState,
    user: &CurrentUser,
    id: i64,
    notice: Notice,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let views = &state.views;
    let engine = &state.engine;
    let CasePage {
        case,
        actions,
        hearing: hearing_view,
        journal: journal_view,
        next_step,
    } = engine.case_page(&user.actor, id).await?;
    let next_step = next_step
        .map(|step| next_step_view(views, lang, &case.region, &step, actions.choose_councils))
        .transpose()?;
    let choose_councils = if actions.choose_councils {
        let (ticked, reason) = notice
            .kept_councils
            .clone()
            .unwrap_or_else(|| (case.councils.iter().map(|c| c.id).collect(), String::new()));
        Some(CouncilsForm {
            councils: engine
                .councils(&user.actor, &case.region)
                .await?
                .into_iter()
                .map(|c| CouncilChoice {
                    checked: ticked.contains(&c.id),
                    id: c.id,
                    name: c.name,
                })
                .collect(),
            reason,
            reason_error: notice.errors.error_for("reason"),
            councils_error: notice.errors.error_for("council_ids"),
        })
    } else {
        None
    };

    let transitions = case
        .available_transitions
        .iter()
        .map(|t| {
            let kept = notice
                .kept_transition
                .as_ref()
                .filter(|(id, _)| *id == t.id)
                .map(|(_, c)| c.clone());
            let primary =
                !(t.id.contains("return") || t.id.contains("reject") || t.id.contains("withdraw"));
            TransitionForm {
                id: t.id.clone(),
                label: label(&t.label, lang),
                requires_comment: t.requires_comment,
                blocked: t
                    .blocked_by
                    .iter()
                    .any(|b| enum_name(&b.guard) != "comment_given"),
                reasons: t
                    .blocked_by
                    .iter()
                    .filter(|b| enum_name(&b.guard) != "comment_given")
                    .map(|b| label(&b.message, lang))
                    .collect(),
                comment_error: notice.errors.error_for(&format!("comment-{}", t.id)),
                comment: kept.unwrap_or_default(),
                primary,
                opens_hearing: t.opens_hearing,
            }
        })
        .collect::<Vec<_>>();
    let mut sign_off = Vec::new();
    for side in &actions.sign_off {
        let side_name = views.text(lang, &format!("cases.sides.{}", side.as_str()), &[])?;
        sign_off.push(SignoffButton {
            side: side.as_str(),
            label: views.text(lang, "cases.sign_off_for", &[("side", &side_name)])?,
        });
    }
    let plan = actions.plan_implementation.then(|| {
        let (start, follow) = notice.kept_plan.clone().unwrap_or_else(|| {
            (
                case.implementation_on
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                case.follow_up_on.map(|d| d.to_string()).unwrap_or_default(),
            )
        });
        PlanForm {
            implementation_on: FormField::new("implementation_on", &start, &notice.errors),
            follow_up_on: FormField::new("follow_up_on", &follow, &notice.errors),
        }
    });
    let has_actions = !transitions.is_empty()
        || !sign_off.is_empty()
        || actions.edit_description
        || actions.edit_economics
        || actions.open_hearing
        || actions.choose_councils
        || plan.is_some();
    let view = CasePageView {
        id: case.id,
        number: case.number.clone(),
        title: case.title.clone(),
        region_name: case.region_name.clone(),
        kind: kind_label(case.kind, lang),
        giving_party: case.giving_party.name.clone(),
        receiving_party: case.receiving_party.name.clone(),
        councils: case.councils.iter().map(|c| c.name.clone()).collect(),
        proposer: case.proposer.name.clone(),
        state_label: label(&case.state_label, lang),
        ended: actions
            .ended
            .map(|s| stage_label(views, lang, s))
            .transpose()?,
        due_date: case.due_date.map(|d| date(d, lang)),
        days_left: case
            .due_date
            .map(|d| days_left_text(views, lang, (d - state.engine.today()).num_days()))
            .transpose()?,
        overdue: case.due_date.is_some_and(|d| d < state.engine.today()),
        version: case.version,
        public: case.public,
        kle: case.kle.clone(),
        steps: steps(views, lang, &actions)?,
        description: description(&case, lang),
        economics: economics(views, lang, &case)?,
        hearing: hearing_view
            .as_ref()
            .map(|h| hearing(views, lang, h))
            .transpose()?,
        documents: case
            .documents
            .iter()
            .map(|d| DocumentRow {
                id: d.id,
                file_name: d.file_name.clone(),
                content_type: d.content_type.clone(),
                size: size(d.size),
                uploaded_by: d.uploaded_by.name.clone(),
                uploaded_at: time(d.uploaded_at, lang),
            })
            .collect(),
        journal: journal(views, lang, &journal_view),
        chain_verified: journal_view.chain.verified,
        chain_problem: journal_view.chain.problem.clone(),
        implementation_on: case.implementation_on.map(|d| date(d, lang)),
        follow_up_on: case.follow_up_on.map(|d| date(d, lang)),
        transitions,
        has_actions,
        sign_off,
        edit_description: actions.edit_description,
        edit_economics: actions.edit_economics,
        open_hearing: actions.open_hearing,
        plan,
        errors: notice.errors,
        conflict: notice.conflict,
        next_step,
        choose_councils,
    };
    views.render_with_status(
        status,
        "cases/show",
        &user
            .chrome("cases.case_title")
            .titled(format!("{} {}", case.number, case.title)),
        &view,
    )
}

pub async fn show_case(
    State(state): State<PageState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    render_case(&state, &user, id, Notice::default(), StatusCode::OK).await
}

/// The version field of an action form; the page always sends one.
fn version(raw: &str) -> Result<i32, PageError> {
    raw.trim()
        .parse()
        .map_err(|_| PageError::BadRequest("the form lacks the case's version".into()))
}

/// The case page again after a failed action: 409 with the case as it is now when it changed
/// meanwhile, 422 with the error summary when the input or a guard was refused.
async fn after_failure(
    state: &PageState,
    user: &CurrentUser,
    id: i64,
    mut notice: Notice,
    error: EngineError,
    field: &str,
) -> Result<Response, PageError> {
    let status = match error {
        EngineError::Conflict { .. } => {
            notice.conflict = true;
            StatusCode::CONFLICT
        }
        EngineError::Invalid(problems) => {
            for p in &problems {
                let target = if p.field == "comment" || p.field == "case_id" || p.field == "side" {
                    field.to_owned()
                } else {
                    p.field.clone()
                };
                let message = state
                    .views
                    .lookup(user.lang, &format!("cases.field_errors.{}", p.field))
                    .unwrap_or_else(|| p.message_in(user.lang.code()).to_owned());
                notice.errors.push(&target, message);
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        EngineError::Refused(Refusal::Blocked { failures, .. }) => {
            for f in &failures {
                notice.errors.push(field, label(&f.message, user.lang));
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        other => return Err(other.into()),
    };
    render_case(state, user, id, notice, status).await
}

#[derive(Debug, Deserialize)]
pub struct TransitionInput {
    #[serde(default)]
    transition: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    comment: String,
}

pub async fn take_transition(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<TransitionInput>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    let comment = Some(form.comment.trim()).filter(|c| !c.is_empty());
    let result = state
        .engine
        .commit_transition(
            &user.actor,
            id,
            version(&form.version)?,
            &form.transition,
            comment,
        )
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/cases/{id}"))),
        Err(error) => {
            let notice = Notice {
                kept_transition: Some((form.transition.clone(), form.comment.clone())),
                ..Notice::default()
            };
            let field = format!("comment-{}", form.transition);
            after_failure(&state, &user, id, notice, error, &field).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SignoffForm {
    #[serde(default)]
    side: String,
    #[serde(default)]
    version: String,
}

pub async fn sign_off(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<SignoffForm>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    let side: Side = form
        .side
        .parse()
        .map_err(|e: String| PageError::BadRequest(e))?;
    match state
        .engine
        .commit_signoff(&user.actor, id, version(&form.version)?, side)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#economics"))),
        Err(error) => after_failure(&state, &user, id, Notice::default(), error, "economics").await,
    }
}

#[derive(Debug, Deserialize)]
pub struct PlanInput {
    #[serde(default)]
    implementation_on: String,
    #[serde(default)]
    follow_up_on: String,
    #[serde(default)]
    version: String,
}

pub async fn plan_implementation(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<PlanInput>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    let mut notice = Notice {
        kept_plan: Some((form.implementation_on.clone(), form.follow_up_on.clone())),
        ..Notice::default()
    };
    let mut day = |field: &str, raw: &str| -> Option<NaiveDate> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
        if parsed.is_none() {
            let message = state
                .views
                .text(user.lang, "cases.plan.bad_date", &[])
                .unwrap_or_default();
            notice.errors.push(field, message);
        }
        parsed
    };
    let plan = ImplementationPlan {
        implementation_on: day("implementation_on", &form.implementation_on),
        follow_up_on: day("follow_up_on", &form.follow_up_on),
    };
    if !notice.errors.is_empty() {
        return render_case(&state, &user, id, notice, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match state
        .engine
        .plan_implementation(&user.actor, id, version(&form.version)?, plan)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#implementation"))),
        Err(error) => after_failure(&state, &user, id, notice, error, "implementation_on").await,
    }
}

/// Chooses the councils of a case without a municipal party: the ticked `council_ids`, a
/// `reason` and the case `version` (a form of repeated fields, read as pairs).
pub async fn choose_councils(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let ticked: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "council_ids")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect();
    let reason = value("reason");
    let notice = Notice {
        kept_councils: Some((ticked.clone(), reason.clone())),
        ..Notice::default()
    };
    match state
        .engine
        .choose_councils(
            &user.actor,
            id,
            version(&value("version"))?,
            &ticked,
            &reason,
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#councils"))),
        Err(error) => after_failure(&state, &user, id, notice, error, "council_ids").await,
    }
}

/// Opens the hearing of a case in hearing, or, with a `transition`, sends the case into its
/// hearing and opens it in one step (the "Send i høring" button).
pub async fn open_hearing(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<TransitionInput>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    let result = if form.transition.is_empty() {
        state.engine.open_hearing(&user.actor, id, None, None).await
    } else {
        let step = IntoHearing {
            transition: &form.transition,
            expected_version: version(&form.version)?,
            comment: Some(form.comment.trim()).filter(|c| !c.is_empty()),
        };
        state
            .engine
            .transition_into_hearing(&user.actor, id, step, HearingRequest::default())
            .await
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#hearing"))),
        Err(error) if form.transition.is_empty() => {
            after_failure(&state, &user, id, Notice::default(), error, "open-hearing").await
        }
        Err(error) => {
            let notice = Notice {
                kept_transition: Some((form.transition.clone(), form.comment.clone())),
                ..Notice::default()
            };
            let field = format!("comment-{}", form.transition);
            after_failure(&state, &user, id, notice, error, &field).await
        }
    }
}
