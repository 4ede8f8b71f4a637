//! A user's own settings: the language of their pages and mails, and whether mails come one
//! per event or as one daily digest. Each user changes only their own.

use crate::actor::Actor;
use crate::cases::Engine;
use crate::error::EngineError;
use crate::mail::MailPreference;
use crate::storage::entity::app_user;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

/// The languages pages and mails are written in.
pub const LANGUAGES: [&str; 2] = ["da", "en"];

/// What the settings page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserSettings {
    pub name: String,
    pub email: String,
    /// `da` or `en`: the language of the user's mails, and of their pages unless they switch.
    pub language: String,
    /// One mail a day at 07:00 instead of a mail per event.
    pub daily_digest: bool,
}

/// The settings a user chooses.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct SettingsInput {
    /// `da` or `en`.
    pub language: String,
    pub daily_digest: bool,
}

impl Engine {
    /// The actor's own settings.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the user no longer exists; a database error.
    pub async fn user_settings(&self, actor: &Actor) -> Result<UserSettings, EngineError> {
        let user = app_user::Entity::find_by_id(actor.user_id)
            .one(self.db())
            .await?
            .ok_or(EngineError::NotFound { what: "user" })?;
        Ok(UserSettings {
            name: user.name,
            email: user.email,
            language: user.language,
            daily_digest: user.mail_digest,
        })
    }

    /// Sets the actor's language and mail preference. Leaving the digest releases the mails
    /// held for it (see [`Engine::set_mail_preference`]).
    ///
    /// # Errors
    /// [`EngineError::Invalid`] for a language other than `da` or `en` (nothing is changed);
    /// a database error.
    pub async fn set_user_settings(
        &self,
        actor: &Actor,
        input: SettingsInput,
    ) -> Result<UserSettings, EngineError> {
        let language = input.language.trim();
        if !LANGUAGES.contains(&language) {
            return Err(EngineError::invalid(
                "language",
                "use da or en",
                "vælg dansk eller engelsk",
            ));
        }
        app_user::Entity::update_many()
            .col_expr(app_user::Column::Language, Expr::value(language))
            .filter(app_user::Column::Id.eq(actor.user_id))
            .exec(self.db())
            .await?;
        self.set_mail_preference(
            actor,
            MailPreference {
                daily_digest: input.daily_digest,
            },
        )
        .await?;
        self.user_settings(actor).await
    }
}
