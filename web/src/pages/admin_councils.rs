//! A region's sundhedsråd (the 2027 reform's councils) with the municipalities of their areas
//! and the members who sit on them; the administrator's forms that move a municipality to
//! another council with a reason, and seat or unseat a member. Every member of the region
//! reads the list; only its administrators see the forms, and the engine decides who may
//! change them (administrator in the region).

use super::PageState;
use super::admin_organisations::chosen_region;
use super::error::PageError;
use super::forms::{Choice, ErrorSummary, FormField};
use super::meetings::field_errors;
use super::session::{CsrfForm, CurrentUser, encode_query_value, see_other};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use overdrag_engine::EngineError;
use overdrag_engine::councils::{CouncilMove, CouncilView};
use overdrag_engine::domain::role::Role;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
struct RegionLink {
    slug: String,
    name: String,
    current: bool,
}

#[derive(Debug, Serialize)]
struct MunicipalityRow {
    name: String,
    /// Why the placement is uncertain, when the sources disagree.
    note: Option<String>,
    /// Just moved here (after the redirect).
    moved: bool,
}

#[derive(Debug, Serialize)]
struct MemberRow {
    id: i64,
    name: String,
}

#[derive(Debug, Serialize)]
struct CouncilSection {
    id: i64,
    name: String,
    municipalities: Vec<MunicipalityRow>,
    members: Vec<MemberRow>,
    /// For administrators: the region's holders of the council role not yet on it.
    seat_choices: Vec<Choice>,
    /// The seat form's error, when a seating on this council was refused.
    seat_error: Option<String>,
}

/// The form that moves a municipality: what was chosen and typed, and each field's error.
#[derive(Debug, Serialize)]
struct MoveFormView {
    municipality: FormField,
    municipalities: Vec<Choice>,
    council: FormField,
    councils: Vec<Choice>,
    reason: FormField,
}

#[derive(Debug, Serialize)]
struct CouncilsView {
    region: String,
    region_name: String,
    regions: Vec<RegionLink>,
    /// Whether to offer the user's other regions.
    several_regions: bool,
    /// "<municipality> is moved to <council>", after a move.
    moved: Option<String>,
    errors: ErrorSummary,
    councils: Vec<CouncilSection>,
    /// Only for the region's administrators, and only when the region has councils.
    form: Option<MoveFormView>,
    /// Whether the user may seat and unseat members (the region's administrators).
    can_seat: bool,
    /// "<name> sits on <council>" or "<name> no longer sits on <council>", after a change.
    seated: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CouncilsQuery {
    region: Option<String>,
    moved: Option<i64>,
    /// After a seating: the council and member, and whether they now sit on it.
    council: Option<i64>,
    member: Option<i64>,
    seated: Option<bool>,
}

/// A seating or unseating as submitted.
#[derive(Debug, Default, Deserialize)]
pub struct SeatForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    council_id: String,
    #[serde(default)]
    user_id: String,
    /// `true` to seat, `false` to take off the council.
    #[serde(default)]
    seat: String,
}

/// What a page shows after a seating: the change made, or the refusal on one council's form.
#[derive(Debug, Default)]
struct SeatOutcome {
    done: Option<(i64, i64, bool)>,
    refused: Option<(i64, String)>,
}

/// The move as submitted: ids as text, so that an empty choice comes back as a field error.
#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    municipality_id: String,
    #[serde(default)]
    council_id: String,
    #[serde(default)]
    reason: String,
}

fn choices(
    placeholder: String,
    items: impl Iterator<Item = (i64, String)>,
    chosen: &str,
) -> Vec<Choice> {
    let chosen = chosen.trim();
    let mut out = vec![Choice {
        value: String::new(),
        label: placeholder,
        selected: chosen.is_empty(),
    }];
    out.extend(items.map(|(id, label)| {
        let value = id.to_string();
        Choice {
            selected: value == chosen,
            value,
            label,
        }
    }));
    out
}

async fn councils_view(
    state: &PageState,
    user: &CurrentUser,
    region: &str,
    moved: Option<i64>,
    typed: &MoveForm,
    errors: ErrorSummary,
    seating: SeatOutcome,
) -> Result<CouncilsView, PageError> {
    let councils: Vec<CouncilView> = state.engine.councils(&user.actor, region).await?;
    let can_seat = user.actor.has_role(region, Role::Admin) && !councils.is_empty();
    let candidates: Vec<(i64, String)> = if can_seat {
        state
            .engine
            .user_directory(&user.actor)
            .await?
            .users
            .into_iter()
            .filter(|u| {
                u.roles
                    .iter()
                    .any(|r| r.region == region && r.role == Role::Council)
            })
            .map(|u| (u.id, format!("{} ({})", u.name, u.email)))
            .collect()
    } else {
        Vec::new()
    };
    let seated = match seating.done.and_then(|(council, member, seated)| {
        let c = councils.iter().find(|c| c.id == council)?;
        let name = candidates
            .iter()
            .find(|(id, _)| *id == member)
            .map(|(_, name)| name.clone())?;
        Some((c.name.clone(), name, seated))
    }) {
        Some((council, member, seated)) => Some(state.views.text(
            user.lang,
            if seated {
                "admin_councils.seated"
            } else {
                "admin_councils.unseated"
            },
            &[("member", &member), ("council", &council)],
        )?),
        None => None,
    };
    let choose_member = state
        .views
        .text(user.lang, "admin_councils.choose_member", &[])?;
    let names = state.engine.regions().await?;
    let name_of = |slug: &str| {
        names
            .iter()
            .find(|r| r.slug == slug)
            .map_or_else(|| slug.to_owned(), |r| r.name.clone())
    };
    let regions = user
        .actor
        .regions
        .keys()
        .map(|slug| RegionLink {
            slug: slug.clone(),
            name: name_of(slug),
            current: slug == region,
        })
        .collect::<Vec<_>>();
    let moved_text = match moved.and_then(|id| {
        councils.iter().find_map(|c| {
            c.municipalities
                .iter()
                .find(|m| m.municipality.id == id)
                .map(|m| (m.municipality.name.clone(), c.name.clone()))
        })
    }) {
        Some((municipality, council)) => Some(state.views.text(
            user.lang,
            "admin_councils.moved",
            &[("municipality", &municipality), ("council", &council)],
        )?),
        None => None,
    };
    let form = if user.actor.has_role(region, Role::Admin) && !councils.is_empty() {
        let mut municipalities: Vec<(i64, String)> = councils
            .iter()
            .flat_map(|c| {
                c.municipalities.iter().map(move |m| {
                    (
                        m.municipality.id,
                        format!("{} ({})", m.municipality.name, c.name),
                    )
                })
            })
            .collect();
        municipalities.sort_by(|a, b| a.1.cmp(&b.1));
        Some(MoveFormView {
            municipality: FormField::new("municipality_id", &typed.municipality_id, &errors),
            municipalities: choices(
                state
                    .views
                    .text(user.lang, "admin_councils.choose_municipality", &[])?,
                municipalities.into_iter(),
                &typed.municipality_id,
            ),
            council: FormField::new("council_id", &typed.council_id, &errors),
            councils: choices(
                state
                    .views
                    .text(user.lang, "admin_councils.choose_council", &[])?,
                councils.iter().map(|c| (c.id, c.name.clone())),
                &typed.council_id,
            ),
            reason: FormField::new("reason", &typed.reason, &errors),
        })
    } else {
        None
    };
    let sections = councils
        .into_iter()
        .map(|c| CouncilSection {
            seat_choices: if can_seat {
                choices(
                    choose_member.clone(),
                    candidates
                        .iter()
                        .filter(|(id, _)| c.members.iter().all(|m| m.id != *id))
                        .cloned(),
                    "",
                )
            } else {
                Vec::new()
            },
            seat_error: seating
                .refused
                .as_ref()
                .filter(|(council, _)| *council == c.id)
                .map(|(_, message)| message.clone()),
            members: c
                .members
                .into_iter()
                .map(|m| MemberRow {
                    id: m.id,
                    name: m.name,
                })
                .collect(),
            id: c.id,
            name: c.name,
            municipalities: c
                .municipalities
                .into_iter()
                .map(|m| MunicipalityRow {
                    moved: moved == Some(m.municipality.id),
                    name: m.municipality.name,
                    note: m.note,
                })
                .collect(),
        })
        .collect();
    Ok(CouncilsView {
        region: region.to_owned(),
        region_name: name_of(region),
        several_regions: regions.len() > 1,
        regions,
        moved: moved_text,
        errors,
        councils: sections,
        form,
        can_seat,
        seated,
    })
}

/// The region's councils with their municipalities; the move form for administrators.
pub async fn list_councils(
    State(state): State<PageState>,
    user: CurrentUser,
    Query(query): Query<CouncilsQuery>,
) -> Result<Response, PageError> {
    let region = chosen_region(&user, query.region.as_deref());
    let view = councils_view(
        &state,
        &user,
        &region,
        query.moved,
        &MoveForm::default(),
        ErrorSummary::default(),
        SeatOutcome {
            done: query
                .council
                .zip(query.member)
                .zip(query.seated)
                .map(|((c, m), s)| (c, m, s)),
            refused: None,
        },
    )
    .await?;
    state.views.render(
        "admin/councils",
        &user.chrome("admin_councils.title"),
        &view,
    )
}

/// Moves a municipality to another council and returns to the list at that council; refused
/// choices come back in the error summary with what was chosen and typed.
pub async fn move_municipality(
    State(state): State<PageState>,
    CsrfForm { user, form }: CsrfForm<MoveForm>,
) -> Result<Response, PageError> {
    let region = chosen_region(&user, Some(&form.region));
    let change = CouncilMove {
        municipality_id: chosen_id(&form.municipality_id),
        council_id: chosen_id(&form.council_id),
        reason: form.reason.clone(),
    };
    let (municipality, council) = (change.municipality_id, change.council_id);
    let problems = match state
        .engine
        .move_municipality(&user.actor, &region, change)
        .await
    {
        Ok(_) => {
            return Ok(see_other(&format!(
                "/admin/councils?region={}&moved={municipality}#council-{council}",
                encode_query_value(&region)
            )));
        }
        Err(EngineError::Invalid(problems)) => problems,
        Err(other) => return Err(other.into()),
    };
    let errors = field_errors(&state.views, user.lang, "admin_councils", &problems);
    let view = councils_view(
        &state,
        &user,
        &region,
        None,
        &form,
        errors,
        SeatOutcome::default(),
    )
    .await?;
    refused_page(&state, &user, &view)
}

/// Seats a member on a council (or takes them off it) and returns to the list at that council;
/// a refusal comes back beside that council's form and in the error summary.
pub async fn seat_member(
    State(state): State<PageState>,
    CsrfForm { user, form }: CsrfForm<SeatForm>,
) -> Result<Response, PageError> {
    let region = chosen_region(&user, Some(&form.region));
    let (council, member, seat) = (
        chosen_id(&form.council_id),
        chosen_id(&form.user_id),
        form.seat.trim() != "false",
    );
    let refusal = match state
        .engine
        .set_council_seat(&user.actor, &region, council, member, seat)
        .await
    {
        Ok(_) => {
            return Ok(see_other(&format!(
                "/admin/councils?region={}&council={council}&member={member}&seated={seat}#council-{council}",
                encode_query_value(&region)
            )));
        }
        Err(EngineError::Invalid(problems)) => {
            field_errors(&state.views, user.lang, "admin_councils", &problems)
                .items
                .into_iter()
                .map(|item| item.message)
                .collect::<Vec<_>>()
                .join(" ")
        }
        Err(EngineError::NotFound { what: "user" }) => {
            state
                .views
                .text(user.lang, "admin_councils.field_errors.user_id", &[])?
        }
        Err(other) => return Err(other.into()),
    };
    let errors = ErrorSummary::single(&format!("seat-{council}"), refusal.clone());
    let view = councils_view(
        &state,
        &user,
        &region,
        None,
        &MoveForm::default(),
        errors,
        SeatOutcome {
            done: None,
            refused: Some((council, refusal)),
        },
    )
    .await?;
    refused_page(&state, &user, &view)
}

/// The id chosen in a select; an empty or garbled choice is no id, and the engine then names
/// the field.
fn chosen_id(raw: &str) -> i64 {
    raw.trim().parse::<i64>().unwrap_or(0)
}

/// The councils page again, with what was refused.
fn refused_page(
    state: &PageState,
    user: &CurrentUser,
    view: &CouncilsView,
) -> Result<Response, PageError> {
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "admin/councils",
        &user.chrome("admin_councils.title"),
        view,
    )
}
