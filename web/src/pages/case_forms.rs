//! The two content forms of a case: the professional description (every field, with labels
//! and hints) and the economics table (one row per party and year in whole kroner, rows added
//! and removed by extra submit buttons, so no JavaScript is needed). Both keep what was typed
//! when they come back with errors (422) or after someone else changed the case (409).

use super::PageState;
use super::cases::{case_field_errors, case_id};
use super::error::PageError;
use super::forms::{Choice, ErrorSummary, FormField};
use super::i18n::Lang;
use super::session::{CsrfForm, CurrentUser, see_other};
use super::views::Views;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Datelike;
use overdrag_engine::EngineError;
use overdrag_engine::cases::view::CaseView;
use overdrag_engine::domain::description::{FIELDS, ProfessionalDescription};
use overdrag_engine::domain::economics::EconomicsLine;
use serde::Serialize;
use std::collections::BTreeMap;

/// A form as sent: every field by name (the economics rows have numbered names).
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The version field of a content form; the page always sends one.
fn version(fields: &Fields) -> Result<i32, PageError> {
    field(fields, "version")
        .trim()
        .parse()
        .map_err(|_| PageError::BadRequest("the form lacks the case's version".into()))
}

#[derive(Debug, Serialize)]
struct CaseHeading {
    id: i64,
    number: String,
    title: String,
}

fn heading(case: &CaseView) -> CaseHeading {
    CaseHeading {
        id: case.id,
        number: case.number.clone(),
        title: case.title.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// The professional description.

#[derive(Debug, Serialize)]
struct DescriptionInput {
    f: FormField,
    label: String,
    hint: String,
    required: bool,
    /// The volume is a number; everything else is free text.
    number: bool,
}

#[derive(Debug, Serialize)]
struct DescriptionFormView {
    case: CaseHeading,
    version: i32,
    editable: bool,
    conflict: bool,
    errors: ErrorSummary,
    fields: Vec<DescriptionInput>,
}

fn description_values(description: Option<&ProfessionalDescription>) -> BTreeMap<String, String> {
    let json = description.and_then(|d| serde_json::to_value(d).ok());
    FIELDS
        .iter()
        .map(|f| {
            let value = match json.as_ref().and_then(|j| j.get(f.key)) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            (f.key.to_owned(), value)
        })
        .collect()
}

fn description_view(
    views: &Views,
    lang: Lang,
    case: &CaseView,
    editable: bool,
    values: &BTreeMap<String, String>,
    errors: ErrorSummary,
    conflict: bool,
) -> Result<DescriptionFormView, PageError> {
    let mut fields = Vec::new();
    for f in &FIELDS {
        fields.push(DescriptionInput {
            f: FormField::new(f.key, values.get(f.key).map_or("", String::as_str), &errors),
            label: match lang {
                Lang::Da => f.da.to_owned(),
                Lang::En => f.en.to_owned(),
            },
            hint: views.text(lang, &format!("cases.description.hints.{}", f.key), &[])?,
            required: f.required,
            number: f.key == "volume_per_year",
        });
    }
    Ok(DescriptionFormView {
        case: heading(case),
        version: case.version,
        editable,
        conflict,
        errors,
        fields,
    })
}

pub async fn description_form(
    State(state): State<PageState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    let case = state.engine.case(&user.actor, id).await?;
    let actions = state.engine.case_actions(&user.actor, id).await?;
    let values = description_values(case.description.as_ref().map(|d| &d.content));
    let view = description_view(
        &state.views,
        user.lang,
        &case,
        actions.edit_description,
        &values,
        ErrorSummary::default(),
        false,
    )?;
    state.views.render(
        "cases/description",
        &user
            .chrome("cases.description.title")
            .titled(format!("{} {}", case.number, case.title)),
        &view,
    )
}

pub async fn save_description(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    let lang = user.lang;
    let values: BTreeMap<String, String> = FIELDS
        .iter()
        .map(|f| (f.key.to_owned(), field(&form, f.key).to_owned()))
        .collect();
    let text = |key: &str| values.get(key).cloned().unwrap_or_default();
    let mut errors = ErrorSummary::default();
    let volume_raw: String = text("volume_per_year")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let volume_per_year = if volume_raw.is_empty() {
        None
    } else if let Ok(n) = volume_raw.parse::<u32>() {
        Some(n)
    } else {
        errors.push(
            "volume_per_year",
            state
                .views
                .text(lang, "cases.description.volume_invalid", &[])?,
        );
        None
    };
    let description = ProfessionalDescription {
        task: text("task"),
        target_group: text("target_group"),
        volume_per_year,
        competences: text("competences"),
        responsibility: text("responsibility"),
        quality_and_safety: text("quality_and_safety"),
        equipment: text("equipment"),
        training: text("training"),
        documentation: text("documentation"),
        timeline: text("timeline"),
        evidence: text("evidence"),
    };
    let mut conflict = false;
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        match state
            .engine
            .commit_description(&user.actor, id, version(&form)?, description)
            .await
        {
            Ok(_) => return Ok(see_other(&format!("/cases/{id}#description"))),
            Err(EngineError::Invalid(problems)) => {
                errors = case_field_errors(&state.views, lang, &problems);
            }
            Err(EngineError::Conflict { .. }) => {
                conflict = true;
                status = StatusCode::CONFLICT;
            }
            Err(other) => return Err(other.into()),
        }
    }
    // The form comes back with what was typed, on the case's current version.
    let case = state.engine.case(&user.actor, id).await?;
    let actions = state.engine.case_actions(&user.actor, id).await?;
    let view = description_view(
        &state.views,
        lang,
        &case,
        actions.edit_description,
        &values,
        errors,
        conflict,
    )?;
    state.views.render_with_status(
        status,
        "cases/description",
        &user
            .chrome("cases.description.title")
            .titled(format!("{} {}", case.number, case.title)),
        &view,
    )
}

// ---------------------------------------------------------------------------------------------
// The economics table.

/// One row as typed.
#[derive(Clone, Debug, Default)]
struct TypedRow {
    party: String,
    year: String,
    one_off_costs: String,
    running_costs: String,
    savings: String,
}

impl TypedRow {
    fn is_blank(&self) -> bool {
        [
            &self.party,
            &self.year,
            &self.one_off_costs,
            &self.running_costs,
            &self.savings,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

const AMOUNTS: [&str; 3] = ["one_off_costs", "running_costs", "savings"];

#[derive(Debug, Serialize)]
struct RowView {
    index: usize,
    number: usize,
    parties: Vec<Choice>,
    party: FormField,
    year: FormField,
    one_off_costs: FormField,
    running_costs: FormField,
    savings: FormField,
}

#[derive(Debug, Serialize)]
struct EconomicsFormView {
    case: CaseHeading,
    version: i32,
    editable: bool,
    conflict: bool,
    errors: ErrorSummary,
    rows: Vec<RowView>,
    assumptions: FormField,
}

/// The rows of a sent form, in the order of their numbers.
fn typed_rows(form: &Fields) -> Vec<TypedRow> {
    let mut rows: BTreeMap<usize, TypedRow> = BTreeMap::new();
    for (name, value) in form {
        let Some((key, index)) = name.rsplit_once('-') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        let row = rows.entry(index).or_default();
        match key {
            "party" => row.party.clone_from(value),
            "year" => row.year.clone_from(value),
            "one_off_costs" => row.one_off_costs.clone_from(value),
            "running_costs" => row.running_costs.clone_from(value),
            "savings" => row.savings.clone_from(value),
            _ => {}
        }
    }
    rows.into_values().collect()
}

async fn economics_view(
    state: &PageState,
    user: &CurrentUser,
    case: &CaseView,
    rows: &[TypedRow],
    assumptions: &str,
    errors: ErrorSummary,
    conflict: bool,
) -> Result<EconomicsFormView, PageError> {
    let actions = state.engine.case_actions(&user.actor, case.id).await?;
    let parties = state.engine.parties(&case.region).await?;
    let choose = state
        .views
        .text(user.lang, "cases.economics.choose_party", &[])?;
    let row_views = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let name = |key: &str| format!("{key}-{index}");
            let mut options = vec![Choice::new("", choose.clone(), row.party.trim())];
            options.extend(
                parties
                    .iter()
                    .map(|p| Choice::new(p.id.to_string(), p.name.clone(), row.party.trim())),
            );
            RowView {
                index,
                number: index + 1,
                parties: options,
                party: FormField::new(&name("party"), &row.party, &errors),
                year: FormField::new(&name("year"), &row.year, &errors),
                one_off_costs: FormField::new(&name("one_off_costs"), &row.one_off_costs, &errors),
                running_costs: FormField::new(&name("running_costs"), &row.running_costs, &errors),
                savings: FormField::new(&name("savings"), &row.savings, &errors),
            }
        })
        .collect();
    Ok(EconomicsFormView {
        case: heading(case),
        version: case.version,
        editable: actions.edit_economics,
        conflict,
        assumptions: FormField::new("assumptions", assumptions, &errors),
        errors,
        rows: row_views,
    })
}

pub async fn economics_form(
    State(state): State<PageState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    let case = state.engine.case(&user.actor, id).await?;
    let mut rows: Vec<TypedRow> = case
        .economics
        .lines
        .iter()
        .map(|l| TypedRow {
            party: l.party_id.to_string(),
            year: l.year.to_string(),
            one_off_costs: l.one_off_costs.to_string(),
            running_costs: l.running_costs.to_string(),
            savings: l.savings.to_string(),
        })
        .collect();
    if rows.is_empty() {
        let year = (state.engine.today().year() + 1).to_string();
        for party in [case.giving_party.id, case.receiving_party.id] {
            rows.push(TypedRow {
                party: party.to_string(),
                year: year.clone(),
                ..TypedRow::default()
            });
        }
    }
    let assumptions = case.economics.assumptions.clone();
    let view = economics_view(
        &state,
        &user,
        &case,
        &rows,
        &assumptions,
        ErrorSummary::default(),
        false,
    )
    .await?;
    state.views.render(
        "cases/economics",
        &user
            .chrome("cases.economics.title")
            .titled(format!("{} {}", case.number, case.title)),
        &view,
    )
}

/// A whole number of kroner as people type it: digits, grouped by thousands with spaces or
/// Danish dots ("1.800.000"), a minus sign in front; empty is 0. Anything else — decimals
/// ("12,5"), a dot that does not group thousands ("12.5"), letters — is refused, never
/// truncated or guessed at.
fn parse_kroner(raw: &str) -> Option<i64> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    if compact.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match compact.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, compact.as_str()),
    };
    let mut groups = digits.split('.');
    let first = groups.next()?;
    let rest: Vec<&str> = groups.collect();
    let grouped = (1..=3).contains(&first.len()) && rest.iter().all(|g| g.len() == 3);
    let all_digits = std::iter::once(first)
        .chain(rest.iter().copied())
        .all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()));
    if !all_digits || (!rest.is_empty() && !grouped) {
        return None;
    }
    let number: i64 = std::iter::once(first)
        .chain(rest)
        .collect::<String>()
        .parse()
        .ok()?;
    Some(if negative { -number } else { number })
}

/// The lines of the typed rows (blank rows left out), each with its row's index, and the
/// problems found on the way, each naming its row.
fn parse_rows(
    views: &Views,
    lang: Lang,
    rows: &[TypedRow],
    errors: &mut ErrorSummary,
) -> Result<Vec<(usize, EconomicsLine)>, PageError> {
    let mut lines = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        if row.is_blank() {
            continue;
        }
        let number = (index + 1).to_string();
        let mut problem = |key: &str, text_key: &str| -> Result<(), PageError> {
            let column = views.text(lang, &format!("cases.economics.{key}"), &[])?;
            let message = views.text(
                lang,
                &format!("cases.economics.{text_key}"),
                &[("row", &number), ("column", &column)],
            )?;
            errors.push(&format!("{key}-{index}"), message);
            Ok(())
        };
        let party = row.party.trim().parse::<i64>().ok();
        if party.is_none() {
            problem("party", "party_missing")?;
        }
        let year = row.year.trim().parse::<i32>().ok();
        if year.is_none() {
            problem("year", "year_invalid")?;
        }
        let mut amounts = [0i64; 3];
        for (slot, (key, raw)) in amounts.iter_mut().zip(AMOUNTS.iter().zip([
            &row.one_off_costs,
            &row.running_costs,
            &row.savings,
        ])) {
            match parse_kroner(raw) {
                Some(amount) => *slot = amount,
                None => problem(key, "amount_invalid")?,
            }
        }
        if let (Some(party_id), Some(year)) = (party, year) {
            lines.push((
                index,
                EconomicsLine {
                    party_id,
                    year,
                    one_off_costs: amounts[0],
                    running_costs: amounts[1],
                    savings: amounts[2],
                },
            ));
        }
    }
    Ok(lines)
}

/// The engine's `lines[i].field` as the form's `field-<row>`, with the row named.
fn engine_problems(
    views: &Views,
    lang: Lang,
    problems: &[overdrag_engine::FieldError],
    rows_of_lines: &[usize],
) -> Result<ErrorSummary, PageError> {
    let mut errors = ErrorSummary::default();
    for p in problems {
        let parsed = p.field.strip_prefix("lines[").and_then(|rest| {
            let (i, tail) = rest.split_once(']')?;
            Some((i.parse::<usize>().ok()?, tail.trim_start_matches('.')))
        });
        match parsed.and_then(|(i, key)| Some((*rows_of_lines.get(i)?, key))) {
            Some((row, key)) => {
                let key = match key {
                    "party_id" => "party",
                    "" => "year",
                    other => other,
                };
                let message = views.text(
                    lang,
                    "cases.economics.row_problem",
                    &[
                        ("row", &(row + 1).to_string()),
                        ("problem", p.message_in(lang.code())),
                    ],
                )?;
                errors.push(&format!("{key}-{row}"), message);
            }
            None => errors.push(&p.field, p.message_in(lang.code())),
        }
    }
    Ok(errors)
}

pub async fn save_economics(
    State(state): State<PageState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let id = case_id(&id)?;
    let lang = user.lang;
    let mut rows = typed_rows(&form);
    let assumptions = field(&form, "assumptions").to_owned();
    let action = field(&form, "action");
    let mut errors = ErrorSummary::default();
    let mut conflict = false;
    let status = if action == "add_row" {
        let next_year = rows
            .iter()
            .filter_map(|r| r.year.trim().parse::<i32>().ok())
            .max()
            .map(|y| y.to_string())
            .unwrap_or_default();
        rows.push(TypedRow {
            year: next_year,
            ..TypedRow::default()
        });
        StatusCode::OK
    } else if let Some(index) = action.strip_prefix("remove_row:") {
        if let Ok(index) = index.parse::<usize>()
            && index < rows.len()
        {
            rows.remove(index);
        }
        StatusCode::OK
    } else {
        let lines = parse_rows(&state.views, lang, &rows, &mut errors)?;
        if errors.is_empty() {
            let rows_of_lines: Vec<usize> = lines.iter().map(|(i, _)| *i).collect();
            let lines: Vec<EconomicsLine> = lines.into_iter().map(|(_, l)| l).collect();
            match state
                .engine
                .commit_economics(&user.actor, id, version(&form)?, lines, Some(&assumptions))
                .await
            {
                Ok(_) => return Ok(see_other(&format!("/cases/{id}#economics"))),
                Err(EngineError::Invalid(problems)) => {
                    errors = engine_problems(&state.views, lang, &problems, &rows_of_lines)?;
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                Err(EngineError::Conflict { .. }) => {
                    conflict = true;
                    StatusCode::CONFLICT
                }
                Err(other) => return Err(other.into()),
            }
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let case = state.engine.case(&user.actor, id).await?;
    let mut view =
        economics_view(&state, &user, &case, &rows, &assumptions, errors, conflict).await?;
    if !conflict {
        // Adding or removing a row is not saving: the form keeps the version it was opened on.
        view.version = version(&form)?;
    }
    state.views.render_with_status(
        status,
        "cases/economics",
        &user
            .chrome("cases.economics.title")
            .titled(format!("{} {}", case.number, case.title)),
        &view,
    )
}

#[cfg(test)]
mod tests {
    use super::parse_kroner;

    #[test]
    fn whole_kroner_are_read_and_anything_else_is_refused() {
        assert_eq!(parse_kroner("125000"), Some(125_000));
        assert_eq!(parse_kroner("125 000"), Some(125_000));
        assert_eq!(parse_kroner(""), Some(0));
        assert_eq!(parse_kroner("-5"), Some(-5));
        assert_eq!(parse_kroner("12.500"), Some(12_500));
        assert_eq!(parse_kroner("1.800.000"), Some(1_800_000));
        assert_eq!(parse_kroner("-1.800.000"), Some(-1_800_000));
        assert_eq!(parse_kroner("1 800 000"), Some(1_800_000));
        assert_eq!(parse_kroner("12.5"), None);
        assert_eq!(parse_kroner("1.8000"), None);
        assert_eq!(parse_kroner("1000.000"), None);
        assert_eq!(parse_kroner(".500"), None);
        assert_eq!(parse_kroner("1..000"), None);
        assert_eq!(parse_kroner("12,5"), None);
        assert_eq!(parse_kroner("99999999999999999999"), None);
        assert_eq!(parse_kroner("12kr"), None);
        assert_eq!(parse_kroner("-"), None);
    }
}
