//! The case list (filters in a GET form, so a search is a bookmark), the new-case form, and the
//! case's files as downloads (documents, the ZIP export, the decision document). Shared pieces
//! of the case screens live here too: choices, dates and amounts in the page's language.

use super::PageState;
use super::error::PageError;
use super::forms::{Choice, ErrorSummary, FormField};
use super::i18n::Lang;
use super::session::{CsrfForm, CurrentUser, encode_query_value, see_other};
use super::views::Views;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use overdrag_engine::EngineError;
use overdrag_engine::cases::list::{CaseQuery, CaseSummary};
use overdrag_engine::cases::view::CaseKind;
use overdrag_engine::cases::{Export, NewCase};
use overdrag_engine::domain::role::Role;
use overdrag_engine::domain::text::Label;
use overdrag_engine::workflow::Stage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Cases per page of the list.
const PER_PAGE: u64 = 20;

/// Options under a heading (`<optgroup>`).
#[derive(Clone, Debug, Serialize)]
pub(super) struct ChoiceGroup {
    pub label: String,
    pub options: Vec<Choice>,
}

/// The engine's field errors for the case forms, each in the page's language where
/// `web/i18n` has a text `cases.field_errors.<field>`, else in the engine's words.
pub(super) fn case_field_errors(
    views: &Views,
    lang: Lang,
    problems: &[overdrag_engine::FieldError],
) -> ErrorSummary {
    let mut errors = ErrorSummary::default();
    for p in problems {
        let message = views
            .lookup(lang, &format!("cases.field_errors.{}", p.field))
            .unwrap_or_else(|| p.message_in(lang.code()).to_owned());
        errors.push(&p.field, message);
    }
    errors
}

/// The `{id}` in a case path; anything but a number is a page that does not exist.
pub(super) fn case_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError::NotFound)
}

pub(super) fn label(label: &Label, lang: Lang) -> String {
    label.in_language(lang.code()).to_owned()
}

/// A date as the page's readers write it: `5. marts 2026` / `5 March 2026`.
pub(super) fn date(day: NaiveDate, lang: Lang) -> String {
    super::meetings::long_date(lang, day)
}

/// Whole kroner with thousands separators: `1.234.567` / `1,234,567`.
pub(super) fn kroner(amount: i64, lang: Lang) -> String {
    let danish = overdrag_engine::render::danish::kroner(amount);
    match lang {
        Lang::Da => danish,
        Lang::En => danish.replace('.', ","),
    }
}

pub(super) fn stage_label(views: &Views, lang: Lang, stage: Stage) -> Result<String, PageError> {
    views.text(lang, &format!("cases.stages.{}", stage.as_str()), &[])
}

pub(super) fn kind_label(kind: CaseKind, lang: Lang) -> String {
    label(&kind.label(), lang)
}

/// "5 days left", "due today" or "3 days overdue".
pub(super) fn days_left_text(views: &Views, lang: Lang, days: i64) -> Result<String, PageError> {
    let n = days.abs().to_string();
    match days {
        0 => views.text(lang, "cases.due_today", &[]),
        d if d > 0 => views.text(lang, "cases.days_left", &[("days", &n)]),
        _ => views.text(lang, "cases.days_overdue", &[("days", &n)]),
    }
}

/// Where a case is on the fixed way draft → closed, for a compact "step 3 of 9".
#[derive(Debug, Serialize)]
pub(super) struct CompactProgress {
    pub step: usize,
    pub of: usize,
    /// One mark per stage: `done`, `current` or `upcoming`.
    pub marks: Vec<&'static str>,
    /// Rejected or withdrawn: the tag to show instead of a position.
    pub ended: Option<String>,
}

pub(super) fn compact_progress(
    views: &Views,
    lang: Lang,
    stage: Stage,
) -> Result<CompactProgress, PageError> {
    let way: Vec<Stage> = Stage::ALL
        .into_iter()
        .filter(|s| !matches!(s, Stage::Rejected | Stage::Withdrawn))
        .collect();
    let ended = match stage {
        Stage::Rejected | Stage::Withdrawn => Some(stage_label(views, lang, stage)?),
        _ => None,
    };
    let position = way.iter().position(|s| *s == stage);
    let marks = way
        .iter()
        .enumerate()
        .map(|(i, _)| match position {
            Some(p) if i < p => "done",
            Some(p) if i == p => "current",
            _ => "upcoming",
        })
        .collect();
    Ok(CompactProgress {
        step: position.map_or(0, |p| p + 1),
        of: way.len(),
        marks,
        ended,
    })
}

/// A file from the engine as a download (`attachment`) or to show in the browser (`inline`).
pub(super) fn file_response(export: Export, disposition: &str) -> Response {
    let mut response = export.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(export.content_type),
    );
    let name = export
        .file_name
        .replace(|c: char| c == '"' || c == '\\' || c.is_control(), "_");
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let value = format!(
        "{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        encode_query_value(&name).replace('/', "%2F")
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

// ---------------------------------------------------------------------------------------------
// The case list.

/// The filters of the list, as the GET form sends them (empty means "any").
#[derive(Debug, Default, Deserialize)]
pub struct ListFilters {
    #[serde(default)]
    region: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    party: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

impl ListFilters {
    /// The query string for `page`, keeping every filter.
    fn link(&self, page: u64) -> String {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("region", &self.region),
            ("state", &self.state),
            ("party", &self.party),
            ("kind", &self.kind),
            ("q", &self.q),
        ] {
            if !value.trim().is_empty() {
                pairs.push(format!("{name}={}", encode_query_value(value.trim())));
            }
        }
        pairs.push(format!("page={page}"));
        format!("/cases?{}", pairs.join("&"))
    }
}

#[derive(Debug, Serialize)]
struct CaseRow {
    id: i64,
    number: String,
    title: String,
    region_name: String,
    kind: String,
    giving_party: String,
    receiving_party: String,
    state_label: String,
    progress: CompactProgress,
    due_date: Option<String>,
}

#[derive(Debug, Serialize)]
struct ListView {
    rows: Vec<CaseRow>,
    total: u64,
    /// False when a search found more than it counts.
    total_exact: bool,
    page: u64,
    pages: u64,
    previous: Option<String>,
    next: Option<String>,
    q: String,
    regions: Vec<Choice>,
    states: Vec<Choice>,
    parties: Vec<ChoiceGroup>,
    kinds: Vec<Choice>,
    filtered: bool,
    may_propose: bool,
}

fn none_if_blank(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

pub async fn list_cases(
    State(state): State<PageState>,
    user: CurrentUser,
    Query(filters): Query<ListFilters>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let page = filters.page.trim().parse::<u64>().unwrap_or(1).max(1);
    let query = CaseQuery {
        region: none_if_blank(&filters.region),
        state: none_if_blank(&filters.state),
        q: none_if_blank(&filters.q),
        party: filters.party.trim().parse().ok(),
        page,
        per_page: PER_PAGE,
    };
    let kind = CaseKind::parse(filters.kind.trim());
    let found = state
        .engine
        .list_cases_of_kind(&user.actor, &query, kind)
        .await?;

    let region_names: BTreeMap<String, String> = state
        .engine
        .regions()
        .await?
        .into_iter()
        .map(|r| (r.slug, r.name))
        .collect();
    let region_name = |slug: &str| region_names.get(slug).cloned().unwrap_or(slug.to_owned());
    let my_regions: Vec<&String> = user.actor.regions.keys().collect();

    let mut rows = Vec::with_capacity(found.items.len());
    for case in &found.items {
        rows.push(case_row(
            &state.views,
            lang,
            case,
            region_name(&case.region),
        )?);
    }
    // The states of the workflows of my regions, each state id once.
    let mut states: BTreeMap<String, String> = BTreeMap::new();
    for def in state.engine.workflows().definitions() {
        if my_regions.iter().any(|r| r.as_str() == def.region.as_str()) {
            for s in &def.states {
                states
                    .entry(s.id.to_string())
                    .or_insert_with(|| label(&s.label, lang));
            }
        }
    }
    let mut parties = Vec::new();
    for slug in &my_regions {
        let options = state
            .engine
            .parties(slug)
            .await?
            .into_iter()
            .map(|p| Choice::new(p.id.to_string(), p.name, filters.party.trim()))
            .collect();
        parties.push(ChoiceGroup {
            label: region_name(slug),
            options,
        });
    }
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    let view = ListView {
        rows,
        total: found.total,
        total_exact: found.total_exact,
        page,
        pages,
        previous: (page > 1).then(|| filters.link(page - 1)),
        next: (page < pages).then(|| filters.link(page + 1)),
        q: filters.q.clone(),
        regions: my_regions
            .iter()
            .map(|slug| Choice::new(slug.as_str(), region_name(slug), filters.region.trim()))
            .collect(),
        states: states
            .into_iter()
            .map(|(id, name)| Choice::new(id, name, filters.state.trim()))
            .collect(),
        parties,
        kinds: [CaseKind::Transfer, CaseKind::NewTask]
            .into_iter()
            .map(|k| Choice::new(k.as_str(), kind_label(k, lang), filters.kind.trim()))
            .collect(),
        filtered: [
            &filters.region,
            &filters.state,
            &filters.party,
            &filters.kind,
            &filters.q,
        ]
        .iter()
        .any(|f| !f.trim().is_empty()),
        may_propose: user
            .actor
            .regions
            .values()
            .any(|roles| roles.contains(&Role::Proposer)),
    };
    state
        .views
        .render("cases/list", &user.chrome("cases.list_title"), &view)
}

fn case_row(
    views: &Views,
    lang: Lang,
    case: &CaseSummary,
    region_name: String,
) -> Result<CaseRow, PageError> {
    Ok(CaseRow {
        id: case.id,
        number: case.number.clone(),
        title: case.title.clone(),
        region_name,
        kind: kind_label(case.kind, lang),
        giving_party: case.giving_party.name.clone(),
        receiving_party: case.receiving_party.name.clone(),
        state_label: label(&case.state_label, lang),
        progress: compact_progress(views, lang, case.stage)?,
        due_date: case.due_date.map(|d| date(d, lang)),
    })
}

// ---------------------------------------------------------------------------------------------
// A new case.

/// What was typed into the new-case form.
#[derive(Debug, Default, Deserialize)]
pub struct NewCaseForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    giving_party: String,
    #[serde(default)]
    receiving_party: String,
}

#[derive(Debug, Serialize)]
struct NewCaseView {
    errors: ErrorSummary,
    region: FormField,
    title: FormField,
    kind: FormField,
    giving_party: FormField,
    receiving_party: FormField,
    regions: Vec<Choice>,
    kinds: Vec<Choice>,
    giving_parties: Vec<ChoiceGroup>,
    receiving_parties: Vec<ChoiceGroup>,
    may_propose: bool,
}

async fn new_case_view(
    state: &PageState,
    user: &CurrentUser,
    typed: &NewCaseForm,
    errors: ErrorSummary,
) -> Result<NewCaseView, PageError> {
    let lang = user.lang;
    let names: BTreeMap<String, String> = state
        .engine
        .regions()
        .await?
        .into_iter()
        .map(|r| (r.slug, r.name))
        .collect();
    let proposer_regions: Vec<&String> = user
        .actor
        .regions
        .iter()
        .filter(|(_, roles)| roles.contains(&Role::Proposer))
        .map(|(slug, _)| slug)
        .collect();
    let mut giving_parties = Vec::new();
    let mut receiving_parties = Vec::new();
    for slug in &proposer_regions {
        let parties = state.engine.parties(slug).await?;
        let name = names.get(slug.as_str()).cloned().unwrap_or_default();
        let group = |current: &str| ChoiceGroup {
            label: name.clone(),
            options: parties
                .iter()
                .map(|p| Choice::new(p.id.to_string(), p.name.clone(), current))
                .collect(),
        };
        giving_parties.push(group(&typed.giving_party));
        receiving_parties.push(group(&typed.receiving_party));
    }
    let kind = if typed.kind.is_empty() {
        "transfer"
    } else {
        typed.kind.as_str()
    };
    Ok(NewCaseView {
        region: FormField::new("region", &typed.region, &errors),
        title: FormField::new("title", &typed.title, &errors),
        kind: FormField::new("kind", kind, &errors),
        giving_party: FormField::new("giving_party", &typed.giving_party, &errors),
        receiving_party: FormField::new("receiving_party", &typed.receiving_party, &errors),
        regions: proposer_regions
            .iter()
            .map(|slug| {
                Choice::new(
                    slug.as_str(),
                    names.get(slug.as_str()).cloned().unwrap_or_default(),
                    &typed.region,
                )
            })
            .collect(),
        kinds: [CaseKind::Transfer, CaseKind::NewTask]
            .into_iter()
            .map(|k| Choice::new(k.as_str(), kind_label(k, lang), kind))
            .collect(),
        giving_parties,
        receiving_parties,
        may_propose: !proposer_regions.is_empty(),
        errors,
    })
}

pub async fn new_case_form(
    State(state): State<PageState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    let view = new_case_view(
        &state,
        &user,
        &NewCaseForm::default(),
        ErrorSummary::default(),
    )
    .await?;
    state
        .views
        .render("cases/new", &user.chrome("cases.new.title"), &view)
}

pub async fn create_case(
    State(state): State<PageState>,
    CsrfForm { user, form }: CsrfForm<NewCaseForm>,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let mut errors = ErrorSummary::default();
    let mut party = |field: &str, raw: &str| match raw.trim().parse::<i64>() {
        Ok(id) => id,
        Err(_) => {
            let message = state
                .views
                .text(lang, &format!("cases.new.{field}_missing"), &[])
                .unwrap_or_default();
            errors.push(field, message);
            0
        }
    };
    let giving_party_id = party("giving_party", &form.giving_party);
    let receiving_party_id = party("receiving_party", &form.receiving_party);
    if errors.is_empty() {
        let input = NewCase {
            region: form.region.clone(),
            title: form.title.clone(),
            kind: form.kind.clone(),
            giving_party_id,
            receiving_party_id,
        };
        match state.engine.commit_case(&user.actor, input).await {
            Ok(case) => return Ok(see_other(&format!("/cases/{}", case.id))),
            Err(EngineError::Invalid(problems)) => {
                errors = case_field_errors(&state.views, lang, &problems);
            }
            Err(other) => return Err(other.into()),
        }
    }
    let view = new_case_view(&state, &user, &form, errors).await?;
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "cases/new",
        &user.chrome("cases.new.title"),
        &view,
    )
}

// ---------------------------------------------------------------------------------------------
// Files.

pub async fn download_document(
    State(state): State<PageState>,
    user: CurrentUser,
    Path((id, document)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let document = document.parse().map_err(|_| PageError::NotFound)?;
    let export = state
        .engine
        .document(&user.actor, case_id(&id)?, document)
        .await?;
    Ok(file_response(export, "attachment"))
}

pub async fn export_zip(
    State(state): State<PageState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let export = state
        .engine
        .case_file_zip(&user.actor, case_id(&id)?)
        .await?;
    Ok(file_response(export, "attachment"))
}

pub async fn decision_document(
    State(state): State<PageState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let export = state
        .engine
        .decision_document(&user.actor, case_id(&id)?, None)
        .await?;
    Ok(file_response(export, "inline"))
}
