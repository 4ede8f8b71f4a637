//! Accounts for the web pages: passwords (argon2id), logging in with a rate limit kept in the
//! database, and sessions known only by the SHA-256 hash of their token.
//!
//! A wrong email and a wrong password give the same answer and take about the same time: an
//! unknown email is checked against a dummy hash.

use crate::actor::Actor;
use crate::cases::Engine;
use crate::domain::economics::hex;
use crate::error::{EngineError, FieldError};
use crate::storage::entity::{app_user, login_attempt, user_session};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted, in characters (argon2 would take more; nobody types more).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Failed logins per email within [`FAILURE_WINDOW_MINUTES`] before logins are refused.
pub const MAX_FAILURES: usize = 5;
/// The window the failures are counted in.
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// A session ends after this long without a request.
pub const SESSION_IDLE_HOURS: i64 = 8;
/// A session ends this long after login, however busy.
pub const SESSION_MAX_DAYS: i64 = 7;

/// A password that satisfies the length rules. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Why a password is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("the password must be at least {min} characters")]
    TooShort { min: usize },
    #[error("the password must be at most {max} characters")]
    TooLong { max: usize },
}

impl PasswordProblem {
    /// The problem in the user's language (`da` or `en`).
    pub fn message(self, language: &str) -> String {
        match (self, language) {
            (PasswordProblem::TooShort { min }, "en") => {
                format!("The password must be at least {min} characters.")
            }
            (PasswordProblem::TooShort { min }, _) => {
                format!("Adgangskoden skal være mindst {min} tegn.")
            }
            (PasswordProblem::TooLong { max }, "en") => {
                format!("The password must be at most {max} characters.")
            }
            (PasswordProblem::TooLong { max }, _) => {
                format!("Adgangskoden må højst være {max} tegn.")
            }
        }
    }
}

impl From<PasswordProblem> for EngineError {
    fn from(problem: PasswordProblem) -> Self {
        EngineError::Invalid(vec![FieldError::new(
            "password",
            problem.to_string(),
            problem.message("da"),
        )])
    }
}

impl Password {
    /// # Errors
    /// [`PasswordProblem`] when the password is too short or too long.
    pub fn parse(raw: &str) -> Result<Self, PasswordProblem> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            Err(PasswordProblem::TooShort {
                min: MIN_PASSWORD_CHARS,
            })
        } else if chars > MAX_PASSWORD_CHARS {
            Err(PasswordProblem::TooLong {
                max: MAX_PASSWORD_CHARS,
            })
        } else {
            Ok(Password(raw.to_owned()))
        }
    }

    /// The demo's well-known password, which the length rules would refuse. Demo data only.
    pub(crate) fn demo() -> Self {
        Password(crate::demo::DEMO_PASSWORD.to_owned())
    }
}

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The email is unknown, the user has no password, or the password is wrong: one answer.
    #[error("the email or the password is wrong")]
    WrongCredentials,
    /// Too many failures for this email lately.
    #[error("too many failed logins; try again in {minutes} minutes")]
    RateLimited { minutes: i64 },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl LoginError {
    /// The refusal in the user's language (`da` or `en`); `None` for an engine error.
    pub fn message(&self, language: &str) -> Option<String> {
        Some(match (self, language) {
            (LoginError::WrongCredentials, "en") => {
                "The email or the password is wrong.".to_owned()
            }
            (LoginError::WrongCredentials, _) => "E-mail eller adgangskode er forkert.".to_owned(),
            (LoginError::RateLimited { minutes }, "en") => format!(
                "Too many failed logins with this email. Wait {minutes} minute(s) and try again."
            ),
            (LoginError::RateLimited { minutes }, _) => format!(
                "For mange mislykkede login med denne e-mail. Vent {minutes} minut(ter), og prøv igen."
            ),
            (LoginError::Engine(_), _) => return None,
        })
    }
}

/// A new session: the token goes into the cookie and is stored only as a hash.
#[derive(Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The user behind a session, and the CSRF token every form of theirs must carry.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub actor: Actor,
    pub csrf_token: String,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A fresh random token, e.g. for a form's CSRF field before anyone has logged in.
pub fn random_token() -> String {
    random_hex()
}

fn hash_blocking(password: &str) -> Result<String, EngineError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| EngineError::Storage(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| EngineError::Storage(format!("password hash: {e}")))
}

/// A hash of a password nobody knows, verified against when the email is unknown so that the
/// answer takes as long as for a known one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking(&random_hex()).unwrap_or_default())
}

fn verify_blocking(hash: Option<&str>, password: &str) -> bool {
    let (hash, real) = match hash {
        Some(hash) => (hash, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    real && matches
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, EngineError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| EngineError::Storage(format!("password hashing stopped: {e}")))
}

/// Stores the argon2id hash of `password` for the user.
///
/// # Errors
/// [`EngineError::NotFound`] for an unknown user; a database error.
pub async fn set_password(
    db: &impl ConnectionTrait,
    user_id: i64,
    password: &Password,
) -> Result<(), EngineError> {
    let user = app_user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(EngineError::NotFound { what: "user" })?;
    let raw = password.0.clone();
    let hash = blocking(move || hash_blocking(&raw)).await??;
    let mut user = user.into_active_model();
    user.password_hash = Set(Some(hash));
    user.update(db).await?;
    Ok(())
}

fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Opens a session for the user: a new random token, stored only as its hash.
///
/// # Errors
/// A database error.
pub(crate) async fn open_session(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<NewSession, EngineError> {
    let session = NewSession {
        token: format!("ods_{}", random_hex()),
        csrf_token: random_hex(),
        expires_at: now + Duration::hours(SESSION_IDLE_HOURS),
    };
    user_session::ActiveModel {
        token_hash: Set(token_hash(&session.token)),
        user_id: Set(user_id),
        csrf_token: Set(session.csrf_token.clone()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(session.expires_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(session)
}

impl Engine {
    /// Logs in with email and password and opens a session.
    ///
    /// # Errors
    /// [`LoginError::WrongCredentials`] for an unknown email or a wrong password alike;
    /// [`LoginError::RateLimited`] after [`MAX_FAILURES`] failures within
    /// [`FAILURE_WINDOW_MINUTES`]; a database error.
    pub async fn log_in(&self, email: &str, password: &str) -> Result<NewSession, LoginError> {
        let email = normalise_email(email);
        let now = self.now();
        let window_start = now - Duration::minutes(FAILURE_WINDOW_MINUTES);
        let attempts = login_attempt::Entity::find()
            .filter(login_attempt::Column::Email.eq(&email))
            .order_by_asc(login_attempt::Column::AttemptedAt)
            .all(self.db())
            .await
            .map_err(EngineError::from)?;
        let (old, recent): (Vec<_>, Vec<_>) = attempts
            .into_iter()
            .partition(|a| a.attempted_at <= window_start);
        if !old.is_empty() {
            login_attempt::Entity::delete_many()
                .filter(login_attempt::Column::Id.is_in(old.iter().map(|a| a.id)))
                .exec(self.db())
                .await
                .map_err(EngineError::from)?;
        }
        if recent.len() >= MAX_FAILURES {
            let frees_at = recent[recent.len() - MAX_FAILURES].attempted_at
                + Duration::minutes(FAILURE_WINDOW_MINUTES);
            let seconds = (frees_at - now).num_seconds().max(1);
            return Err(LoginError::RateLimited {
                minutes: (seconds + 59) / 60,
            });
        }

        let user = app_user::Entity::find()
            .filter(app_user::Column::Email.eq(&email))
            .one(self.db())
            .await
            .map_err(EngineError::from)?;
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let raw = password.to_owned();
        let matches = blocking(move || verify_blocking(hash.as_deref(), &raw)).await?;
        let user = match (user, matches) {
            (Some(user), true) => user,
            _ => {
                login_attempt::ActiveModel {
                    email: Set(email),
                    attempted_at: Set(now),
                    ..Default::default()
                }
                .insert(self.db())
                .await
                .map_err(EngineError::from)?;
                return Err(LoginError::WrongCredentials);
            }
        };
        login_attempt::Entity::delete_many()
            .filter(login_attempt::Column::Email.eq(&email))
            .exec(self.db())
            .await
            .map_err(EngineError::from)?;
        let session = open_session(self.db(), user.id, now).await?;
        tracing::info!(user = user.id, "logged in");
        Ok(session)
    }

    /// The user behind a session token, if the session is open; moves its expiry on (at most
    /// once a minute, to spare the database).
    ///
    /// # Errors
    /// A database error.
    pub async fn session(&self, token: &str) -> Result<Option<SessionUser>, EngineError> {
        let now = self.now();
        let Some(session) = user_session::Entity::find()
            .filter(user_session::Column::TokenHash.eq(token_hash(token.trim())))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let hard_end = session.created_at + Duration::days(SESSION_MAX_DAYS);
        if session.expires_at <= now || hard_end <= now {
            user_session::Entity::delete_by_id(session.id)
                .exec(self.db())
                .await?;
            return Ok(None);
        }
        let Some(actor) = Actor::load(self.db(), session.user_id).await? else {
            return Ok(None);
        };
        let csrf_token = session.csrf_token.clone();
        if now - session.last_seen_at >= Duration::minutes(1) {
            let mut active = session.into_active_model();
            active.last_seen_at = Set(now);
            active.expires_at = Set((now + Duration::hours(SESSION_IDLE_HOURS)).min(hard_end));
            active.update(self.db()).await?;
        }
        Ok(Some(SessionUser { actor, csrf_token }))
    }

    /// Ends the session with this token; an unknown token is already logged out.
    ///
    /// # Errors
    /// A database error.
    pub async fn log_out(&self, token: &str) -> Result<(), EngineError> {
        user_session::Entity::delete_many()
            .filter(user_session::Column::TokenHash.eq(token_hash(token.trim())))
            .exec(self.db())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Password, PasswordProblem, hash_blocking, verify_blocking};

    #[test]
    fn passwords_have_a_length_rule_told_in_both_languages() {
        assert!(Password::parse("kort").is_err());
        assert!(Password::parse("lang nok adgangskode").is_ok());
        let problem = PasswordProblem::TooShort { min: 10 };
        assert!(problem.message("da").contains("mindst 10 tegn"));
        assert!(problem.message("en").contains("at least 10 characters"));
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_blocking("korrekt hest batteri").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_blocking(Some(&hash), "korrekt hest batteri"));
        assert!(!verify_blocking(Some(&hash), "forkert hest batteri"));
        assert!(!verify_blocking(None, "korrekt hest batteri"));
    }
}
