//! The mail outbox as administrators see it: every mail of the region with its status,
//! template, recipient, case, attempts and last error, filtered by status and paged; a failed
//! mail can be sent again. Who may do it is the engine's decision (administrator in the region).

use super::PageState;
use super::admin_organisations::chosen_region;
use super::error::PageError;
use super::forms::ErrorSummary;
use super::session::{CsrfForm, CurrentUser, encode_query_value, see_other};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use overdrag_engine::EngineError;
use overdrag_engine::mail::admin::OutboxEntry;
use serde::{Deserialize, Serialize};

/// The statuses a mail can have, in the order the filter offers them.
const STATUSES: [&str; 5] = ["pending", "digest", "sending", "sent", "failed"];
const PER_PAGE: u64 = 25;

/// A status filter: one of [`STATUSES`], or all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StatusFilter(Option<&'static str>);

impl StatusFilter {
    /// Empty means all; anything else must be a known status.
    fn parse(value: Option<&str>) -> Result<Self, PageError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(Self(None)),
            Some(v) => STATUSES
                .into_iter()
                .find(|s| *s == v)
                .map(|s| Self(Some(s)))
                .ok_or_else(|| {
                    PageError::BadRequest(format!(
                        "filter by one of the statuses {}",
                        STATUSES.join(", ")
                    ))
                }),
        }
    }

    fn code(self) -> &'static str {
        self.0.unwrap_or("")
    }
}

#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Debug, Serialize)]
struct MailRow {
    id: i64,
    case_id: i64,
    case_number: String,
    template: String,
    recipient_name: String,
    recipient_email: Option<String>,
    status: String,
    status_label: String,
    /// The DKFDS badge class for the status.
    status_badge: &'static str,
    attempts: i32,
    last_error: Option<String>,
    created_at: String,
    sent_at: Option<String>,
    can_resend: bool,
    resent: bool,
}

#[derive(Debug, Serialize)]
struct PageLink {
    href: String,
}

#[derive(Debug, Serialize)]
struct OutboxView {
    region: String,
    status: String,
    page: u64,
    pages: u64,
    /// Whether there is more than one page.
    paged: bool,
    total: u64,
    statuses: Vec<Choice>,
    mails: Vec<MailRow>,
    previous: Option<PageLink>,
    next: Option<PageLink>,
    resent: Option<Resent>,
    errors: ErrorSummary,
}

/// The mail just sent again: its case number when it is in the listing.
#[derive(Debug, Serialize)]
struct Resent {
    number: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    region: Option<String>,
    status: Option<String>,
    page: Option<u64>,
    resent: Option<i64>,
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn badge(status: &str) -> &'static str {
    match status {
        "sent" => "badge-success",
        "failed" => "badge-error",
        "sending" | "digest" => "badge-warning",
        _ => "badge-info",
    }
}

fn outbox_link(region: &str, status: StatusFilter, page: u64) -> String {
    let mut link = format!("/admin/outbox?region={}", encode_query_value(region));
    if let Some(status) = status.0 {
        link.push_str(&format!("&status={status}"));
    }
    link.push_str(&format!("&page={page}"));
    link
}

/// Where the list is: region, status filter and page.
struct Listing<'a> {
    region: &'a str,
    status: StatusFilter,
    page: u64,
    /// The mail just sent again, to point out.
    resent: Option<i64>,
}

async fn outbox_view(
    state: &PageState,
    user: &CurrentUser,
    at: &Listing<'_>,
    errors: ErrorSummary,
) -> Result<OutboxView, PageError> {
    let found = state
        .engine
        .outbox(&user.actor, at.region, at.status.0, at.page, PER_PAGE)
        .await?;
    let label = |status: &str| {
        state
            .views
            .lookup(user.lang, &format!("admin_outbox.statuses.{status}"))
            .unwrap_or_else(|| status.to_owned())
    };
    let mut statuses = vec![Choice {
        value: String::new(),
        label: state.views.text(user.lang, "admin_outbox.all", &[])?,
        selected: at.status.0.is_none(),
    }];
    statuses.extend(STATUSES.into_iter().map(|s| Choice {
        value: s.to_owned(),
        label: label(s),
        selected: at.status.0 == Some(s),
    }));
    // The mail sent again may have left this listing (a filter on failed mails).
    let resent = at.resent.map(|id| Resent {
        number: found
            .items
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.case_number.clone()),
    });
    let resent_id = at.resent;
    let row = |m: OutboxEntry| MailRow {
        can_resend: m.status == "failed",
        resent: resent_id == Some(m.id),
        status_label: label(&m.status),
        status_badge: badge(&m.status),
        id: m.id,
        case_id: m.case_id,
        case_number: m.case_number,
        template: m.template,
        recipient_name: m.recipient_name,
        recipient_email: m.recipient_email,
        status: m.status,
        attempts: m.attempts,
        last_error: m.last_error,
        created_at: time(m.created_at),
        sent_at: m.sent_at.map(time),
    };
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    Ok(OutboxView {
        region: at.region.to_owned(),
        status: at.status.code().to_owned(),
        page: at.page,
        pages,
        paged: pages > 1,
        total: found.total,
        statuses,
        previous: (at.page > 1).then(|| PageLink {
            href: outbox_link(at.region, at.status, at.page - 1),
        }),
        next: (at.page < pages).then(|| PageLink {
            href: outbox_link(at.region, at.status, at.page + 1),
        }),
        mails: found.items.into_iter().map(row).collect(),
        resent,
        errors,
    })
}

/// The region's mails, newest first.
pub async fn list_outbox(
    State(state): State<PageState>,
    user: CurrentUser,
    Query(query): Query<OutboxQuery>,
) -> Result<Response, PageError> {
    let region = chosen_region(&user, query.region.as_deref());
    let listing = Listing {
        region: &region,
        status: StatusFilter::parse(query.status.as_deref())?,
        page: query.page.unwrap_or(1).max(1),
        resent: query.resent,
    };
    let view = outbox_view(&state, &user, &listing, ErrorSummary::default()).await?;
    state
        .views
        .render("admin/outbox", &user.chrome("admin_outbox.title"), &view)
}

/// The list a resend button returns to.
#[derive(Debug, Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    status: String,
    page: Option<u64>,
}

/// Puts a failed mail back in the queue; a mail that cannot be resent (still no address, or
/// not failed) comes back with the reason in the error summary.
pub async fn resend(
    State(state): State<PageState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<ResendForm>,
) -> Result<Response, PageError> {
    let region = chosen_region(&user, Some(&form.region));
    let listing = Listing {
        region: &region,
        status: StatusFilter::parse(Some(&form.status))?,
        page: form.page.unwrap_or(1).max(1),
        resent: None,
    };
    let refused = match state.engine.resend_mail(&user.actor, id).await {
        Ok(_) => {
            let back = outbox_link(&region, listing.status, listing.page);
            return Ok(see_other(&format!("{back}&resent={id}#mail-{id}")));
        }
        Err(EngineError::Invalid(errors)) => errors,
        Err(other) => return Err(other.into()),
    };
    let mut errors = ErrorSummary::default();
    for error in &refused {
        let key = format!("admin_outbox.refused.{}", error.field);
        let message = state
            .views
            .lookup(user.lang, &key)
            .unwrap_or_else(|| error.message_in(user.lang.code()).to_owned());
        errors.push(&format!("resend-{id}"), message);
    }
    let view = outbox_view(&state, &user, &listing, errors).await?;
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "admin/outbox",
        &user.chrome("admin_outbox.title"),
        &view,
    )
}
