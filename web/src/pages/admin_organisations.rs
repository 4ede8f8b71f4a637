//! Administration of a region's organisations: hospitals, municipalities (with kommunekode),
//! general practice and the region itself, each with the contact address its mails go to.
//! Who may see and change them is the engine's decision (administrator in the region).

use super::PageState;
use super::error::PageError;
use super::forms::ErrorSummary;
use super::session::{CsrfForm, CurrentUser, encode_query_value, see_other};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use overdrag_engine::EngineError;
use overdrag_engine::domain::role::Role;
use overdrag_engine::organisations::OrganisationView;
use serde::{Deserialize, Serialize};

/// The kinds in the order the page shows them.
const KINDS: [&str; 4] = ["region", "hospital", "municipality", "general_practice"];

#[derive(Debug, Serialize)]
struct RegionLink {
    slug: String,
    name: String,
    current: bool,
}

#[derive(Debug, Serialize)]
struct OrganisationRow {
    id: i64,
    name: String,
    code: Option<String>,
    /// The input's `id` and the error summary's target: `contact_email-<id>`.
    field: String,
    /// The saved address, or what was typed when the form came back with an error.
    contact_email: String,
    error: Option<String>,
    saved: bool,
}

#[derive(Debug, Serialize)]
struct KindGroup {
    kind: String,
    /// `admin_organisations.kinds.<kind>` when there is such a text, else the kind itself.
    heading: String,
    organisations: Vec<OrganisationRow>,
}

#[derive(Debug, Serialize)]
struct OrganisationsView {
    region: String,
    region_name: String,
    regions: Vec<RegionLink>,
    /// Whether to offer the other regions the user administers.
    several_regions: bool,
    saved: Option<String>,
    errors: ErrorSummary,
    groups: Vec<KindGroup>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OrganisationsQuery {
    region: Option<String>,
    saved: Option<i64>,
}

/// What the user typed into one organisation's row, kept when it is refused.
struct Typed<'a> {
    id: i64,
    contact_email: &'a str,
}

/// The region to show: the one asked for, else the first the user administers, else their
/// first region (the engine then says whether they may see it).
pub(super) fn chosen_region(user: &CurrentUser, asked: Option<&str>) -> String {
    if let Some(region) = asked.map(str::trim).filter(|r| !r.is_empty()) {
        return region.to_owned();
    }
    let regions = &user.actor.regions;
    regions
        .iter()
        .find(|(_, roles)| roles.contains(&Role::Admin))
        .or_else(|| regions.iter().next())
        .map(|(slug, _)| slug.clone())
        .unwrap_or_default()
}

async fn organisations_view(
    state: &PageState,
    user: &CurrentUser,
    region: &str,
    saved: Option<i64>,
    typed: Option<Typed<'_>>,
    errors: ErrorSummary,
) -> Result<OrganisationsView, PageError> {
    let organisations = state.engine.organisations(&user.actor, region).await?;
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
        .iter()
        .filter(|(_, roles)| roles.contains(&Role::Admin))
        .map(|(slug, _)| RegionLink {
            slug: slug.clone(),
            name: name_of(slug),
            current: slug == region,
        })
        .collect::<Vec<_>>();
    let mut kinds: Vec<&str> = KINDS.to_vec();
    for o in &organisations {
        if !kinds.contains(&o.kind.as_str()) {
            kinds.push(&o.kind);
        }
    }
    let saved_name = saved.and_then(|id| {
        organisations
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
    });
    let row = |o: &OrganisationView| {
        let field = format!("contact_email-{}", o.id);
        let (contact_email, error) = match &typed {
            Some(t) if t.id == o.id => (t.contact_email.to_owned(), errors.error_for(&field)),
            _ => (o.contact_email.clone().unwrap_or_default(), None),
        };
        OrganisationRow {
            id: o.id,
            name: o.name.clone(),
            code: o.code.clone(),
            field,
            contact_email,
            error,
            saved: saved == Some(o.id),
        }
    };
    let mut groups = Vec::new();
    for kind in kinds {
        let rows: Vec<OrganisationRow> = organisations
            .iter()
            .filter(|o| o.kind == kind)
            .map(row)
            .collect();
        if rows.is_empty() {
            continue;
        }
        groups.push(KindGroup {
            kind: kind.to_owned(),
            heading: state
                .views
                .lookup(user.lang, &format!("admin_organisations.kinds.{kind}"))
                .unwrap_or_else(|| kind.to_owned()),
            organisations: rows,
        });
    }
    Ok(OrganisationsView {
        region: region.to_owned(),
        region_name: name_of(region),
        several_regions: regions.len() > 1,
        regions,
        saved: saved_name,
        errors,
        groups,
    })
}

/// The region's organisations with their contact addresses, each editable.
pub async fn list_organisations(
    State(state): State<PageState>,
    user: CurrentUser,
    Query(query): Query<OrganisationsQuery>,
) -> Result<Response, PageError> {
    let region = chosen_region(&user, query.region.as_deref());
    let view = organisations_view(
        &state,
        &user,
        &region,
        query.saved,
        None,
        ErrorSummary::default(),
    )
    .await?;
    state.views.render(
        "admin/organisations",
        &user.chrome("admin_organisations.title"),
        &view,
    )
}

/// One organisation's new contact address; empty removes it.
#[derive(Debug, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    contact_email: String,
    /// The region whose list to return to.
    #[serde(default)]
    region: String,
}

/// Saves a contact address and returns to the list; a bad address comes back with the error
/// summary naming the organisation, and what was typed.
pub async fn set_contact(
    State(state): State<PageState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<ContactForm>,
) -> Result<Response, PageError> {
    let address = Some(form.contact_email.as_str());
    let refused = match state
        .engine
        .set_contact_email(&user.actor, id, address)
        .await
    {
        Ok(_) => {
            return Ok(see_other(&format!(
                "/admin/organisations?region={}&saved={id}#contact_email-{id}",
                encode_query_value(&form.region)
            )));
        }
        Err(EngineError::Invalid(errors)) => errors,
        Err(other) => return Err(other.into()),
    };
    let region = chosen_region(&user, Some(&form.region));
    // Name the organisation in the message, so the summary says which row is wrong.
    let organisations = state.engine.organisations(&user.actor, &region).await?;
    let name = organisations
        .iter()
        .find(|o| o.id == id)
        .map_or_else(|| id.to_string(), |o| o.name.clone());
    let field = format!("contact_email-{id}");
    let mut errors = ErrorSummary::default();
    for error in &refused {
        let message = if error.field == "contact_email" {
            state.views.text(
                user.lang,
                "admin_organisations.contact_email_invalid",
                &[("name", &name)],
            )?
        } else {
            error.message_in(user.lang.code()).to_owned()
        };
        errors.push(&field, message);
    }
    let typed = Typed {
        id,
        contact_email: &form.contact_email,
    };
    let view = organisations_view(&state, &user, &region, None, Some(typed), errors).await?;
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "admin/organisations",
        &user.chrome("admin_organisations.title"),
        &view,
    )
}
