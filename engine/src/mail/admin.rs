//! The outbox as administrators see it: every mail with its status, attempts and last error,
//! and resending one that failed.

use crate::actor::Actor;
use crate::cases::Engine;
use crate::error::{EngineError, FieldError};
use crate::storage::entity::{handover_case, organisation, outbox, region};
use crate::storage::outbox::{FAILED, PENDING};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutboxEntry {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub template: String,
    pub recipient_name: String,
    pub recipient_email: Option<String>,
    pub language: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// The mail server's reply once sent.
    pub reply: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutboxPage {
    pub items: Vec<OutboxEntry>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

fn entry(row: outbox::Model, number: String) -> OutboxEntry {
    OutboxEntry {
        id: row.id,
        case_id: row.case_id,
        case_number: number,
        template: row.template,
        recipient_name: row.recipient_name,
        recipient_email: row.recipient_email,
        language: row.language,
        status: row.status,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
        reply: row.reply,
        created_at: row.created_at,
        sent_at: row.sent_at,
    }
}

impl Engine {
    /// The region's mails, newest first, optionally only those with `status`.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the region's admin;
    /// [`EngineError::Invalid`] for a bad page.
    pub async fn outbox(
        &self,
        actor: &Actor,
        region: &str,
        status: Option<&str>,
        page: u64,
        per_page: u64,
    ) -> Result<OutboxPage, EngineError> {
        let region = self.administered_region(actor, region).await?;
        if page == 0 || !(1..=200).contains(&per_page) {
            return Err(EngineError::Invalid(vec![FieldError::new(
                "per_page",
                "pages count from 1, with 1 to 200 mails each",
                "siderne tælles fra 1, med 1 til 200 mails på hver",
            )]));
        }
        let cases: Vec<handover_case::Model> = handover_case::Entity::find()
            .filter(handover_case::Column::RegionId.eq(region.id))
            .all(self.db())
            .await?;
        let mut select =
            outbox::Entity::find().filter(outbox::Column::CaseId.is_in(cases.iter().map(|c| c.id)));
        if let Some(status) = status {
            select = select.filter(outbox::Column::Status.eq(status));
        }
        let paginator = select
            .order_by_desc(outbox::Column::Id)
            .paginate(self.db(), per_page);
        let total = paginator.num_items().await?;
        let rows = paginator.fetch_page(page - 1).await?;
        let number = |id: i64| {
            cases
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.number.clone())
                .unwrap_or_default()
        };
        Ok(OutboxPage {
            items: rows
                .into_iter()
                .map(|r| {
                    let n = number(r.case_id);
                    entry(r, n)
                })
                .collect(),
            total,
            page,
            per_page,
        })
    }

    /// Sends a failed mail again. A party that had no contact address is looked up again.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the region's admin;
    /// [`EngineError::Invalid`] when the mail has not failed or still has no address.
    pub async fn resend_mail(
        &self,
        actor: &Actor,
        outbox_id: i64,
    ) -> Result<OutboxEntry, EngineError> {
        let not_found = EngineError::NotFound { what: "mail" };
        let row = outbox::Entity::find_by_id(outbox_id)
            .one(self.db())
            .await?
            .ok_or(not_found)?;
        let case = handover_case::Entity::find_by_id(row.case_id)
            .one(self.db())
            .await?
            .ok_or(EngineError::NotFound { what: "mail" })?;
        let slug = region::Entity::find_by_id(case.region_id)
            .one(self.db())
            .await?
            .map(|r| r.slug)
            .unwrap_or_default();
        self.administered_region(actor, &slug).await?;
        if row.status != FAILED {
            return Err(EngineError::invalid(
                "status",
                format!(
                    "only failed mails can be resent; this one is {}",
                    row.status
                ),
                format!(
                    "kun mails, der ikke kunne sendes, kan sendes igen; denne har status »{}«",
                    match row.status.as_str() {
                        "pending" => "venter",
                        "digest" => "til daglig samlemail",
                        "sending" => "sendes",
                        "sent" => "sendt",
                        other => other,
                    }
                ),
            ));
        }
        let email = match row.recipient_email.clone() {
            Some(email) => email,
            None => organisation::Entity::find()
                .filter(organisation::Column::RegionId.eq(case.region_id))
                .filter(organisation::Column::Name.eq(row.recipient_name.as_str()))
                .one(self.db())
                .await?
                .and_then(|o| o.contact_email)
                .ok_or_else(|| {
                    EngineError::invalid(
                        "recipient_email",
                        format!(
                            "{} still has no contact address; add it first",
                            row.recipient_name
                        ),
                        format!(
                            "{} har stadig ingen kontaktadresse; tilføj den først",
                            row.recipient_name
                        ),
                    )
                })?,
        };
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(PENDING))
            .col_expr(outbox::Column::Attempts, Expr::value(0))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(self.now()))
            .col_expr(outbox::Column::RecipientEmail, Expr::value(email))
            .filter(outbox::Column::Id.eq(row.id))
            .exec(self.db())
            .await?;
        let row = outbox::Entity::find_by_id(outbox_id)
            .one(self.db())
            .await?
            .ok_or(EngineError::NotFound { what: "mail" })?;
        Ok(entry(row, case.number))
    }
}
