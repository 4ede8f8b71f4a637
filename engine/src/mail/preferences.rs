//! Each user chooses how mails reach them: one per event (the default) or one daily digest of
//! everything that concerns them.

use crate::actor::Actor;
use crate::cases::Engine;
use crate::error::EngineError;
use crate::storage::entity::{app_user, outbox};
use crate::storage::outbox::{DIGEST, PENDING};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

/// How a user wants their mails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MailPreference {
    /// One mail a day at 07:00 instead of a mail per event.
    pub daily_digest: bool,
}

impl Engine {
    /// The actor's mail preference.
    ///
    /// # Errors
    /// A database error.
    pub async fn mail_preference(&self, actor: &Actor) -> Result<MailPreference, EngineError> {
        let user = app_user::Entity::find_by_id(actor.user_id)
            .one(self.db())
            .await?
            .ok_or(EngineError::NotFound { what: "user" })?;
        Ok(MailPreference {
            daily_digest: user.mail_digest,
        })
    }

    /// Sets the actor's mail preference. Leaving the digest releases what was held for it, so
    /// nothing waits for a digest that no longer comes.
    ///
    /// # Errors
    /// A database error.
    pub async fn set_mail_preference(
        &self,
        actor: &Actor,
        preference: MailPreference,
    ) -> Result<MailPreference, EngineError> {
        let txn = self.begin_write().await?;
        app_user::Entity::update_many()
            .col_expr(
                app_user::Column::MailDigest,
                Expr::value(preference.daily_digest),
            )
            .filter(app_user::Column::Id.eq(actor.user_id))
            .exec(&txn)
            .await?;
        if !preference.daily_digest {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::value(PENDING))
                .col_expr(outbox::Column::NextAttemptAt, Expr::value(self.now()))
                .filter(outbox::Column::Status.eq(DIGEST))
                .filter(outbox::Column::RecipientEmail.eq(actor.email.to_lowercase()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(preference)
    }
}
