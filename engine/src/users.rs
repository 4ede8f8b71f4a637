//! Users, their region memberships, and API tokens (stored only as SHA-256 hashes; a token is
//! 256 random bits, so a fast hash is enough).

use crate::actor::Actor;
use crate::domain::economics::hex;
use crate::domain::role::Role;
use crate::domain::text::Label;
use crate::error::{EngineError, FieldError};
use crate::storage::entity::{api_token, app_user, membership, organisation, region};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, Set,
};
use sha2::{Digest, Sha256};

/// A user to add, or a membership to give an existing user (matched by email).
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub region: String,
    pub role: String,
    /// The name of the user's organisation in that region, if any.
    pub organisation: Option<String>,
    pub language: Option<String>,
}

/// Checks an email address enough to catch typing errors; delivery proves the rest.
pub fn email_problem(email: &str) -> Option<Label> {
    const PROBLEM: &str = "write a full email address such as navn@region.dk";
    const PROBLEM_DA: &str = "skriv en fuld e-mailadresse, fx navn@region.dk";
    let problem = || Label::new(PROBLEM_DA, PROBLEM);
    let Some((local, domain)) = email.split_once('@') else {
        return Some(problem());
    };
    let bad = local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || email.len() > 254
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
        || domain.contains('@');
    bad.then(problem)
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Adds the user (or finds them by email), gives them `role` in `region`, and issues a new API
/// token, which is returned once and stored only as a hash.
///
/// # Errors
/// [`EngineError::Invalid`] naming each bad field; a database error.
pub async fn add_user(
    db: &impl ConnectionTrait,
    input: NewUser,
    now: DateTime<Utc>,
) -> Result<(Actor, String), EngineError> {
    let actor = add_member(db, input, now).await?;
    let token = issue_token(db, actor.user_id, now).await?;
    Ok((actor, token))
}

/// Adds the user (or finds them by email) and gives them `role` in `region`; no API token.
///
/// # Errors
/// [`EngineError::Invalid`] naming each bad field; a database error.
pub async fn add_member(
    db: &impl ConnectionTrait,
    input: NewUser,
    now: DateTime<Utc>,
) -> Result<Actor, EngineError> {
    let email = input.email.trim().to_lowercase();
    let name = input.name.trim().to_owned();
    let mut problems = Vec::new();
    if email.is_empty() || !email.contains('@') {
        problems.push(FieldError::new(
            "email",
            "write a full email address such as navn@region.dk",
            "skriv en fuld e-mailadresse, fx navn@region.dk",
        ));
    } else if let Some(problem) = email_problem(&email) {
        problems.push(FieldError::new("email", problem.en, problem.da));
    }
    let length = Label::new(
        "skriv personens navn med højst 200 tegn",
        "give the person's name, at most 200 characters",
    );
    problems.extend(crate::domain::text::single_line_name_problem(
        "name", &name, 1, 200, &length,
    ));
    let role = input
        .role
        .parse::<Role>()
        .map_err(|e| problems.push(FieldError::new("role", e.to_string(), e.danish())))
        .ok();
    let region = region::Entity::find()
        .filter(region::Column::Slug.eq(input.region.trim()))
        .one(db)
        .await?;
    if region.is_none() {
        let known: Vec<String> = region::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.slug)
            .collect();
        problems.push(FieldError::new(
            "region",
            format!(
                "unknown region `{}`; use one of: {}",
                input.region,
                known.join(", ")
            ),
            format!(
                "regionen »{}« findes ikke; brug en af: {}",
                input.region,
                known.join(", ")
            ),
        ));
    }
    let language = input.language.unwrap_or_else(|| "da".into());
    if language != "da" && language != "en" {
        problems.push(FieldError::new(
            "language",
            "use da or en",
            "vælg dansk eller engelsk",
        ));
    }
    let mut organisation_id = None;
    if let (Some(org), Some(region)) = (&input.organisation, &region) {
        let found = organisation::Entity::find()
            .filter(organisation::Column::RegionId.eq(region.id))
            .filter(organisation::Column::Name.eq(org.trim()))
            .one(db)
            .await?;
        match found {
            Some(found) => organisation_id = Some(found.id),
            None => problems.push(FieldError::new(
                "organisation",
                format!("no organisation named `{org}` in {}", region.name),
                format!(
                    "der er ingen organisation ved navn »{org}« i {}",
                    region.name
                ),
            )),
        }
    }
    let (Some(role), Some(region), true) = (role, region, problems.is_empty()) else {
        return Err(EngineError::Invalid(problems));
    };

    let user = match app_user::Entity::find()
        .filter(app_user::Column::Email.eq(&email))
        .one(db)
        .await?
    {
        Some(user) => user,
        None => {
            app_user::ActiveModel {
                email: Set(email.clone()),
                name: Set(name),
                organisation_id: Set(organisation_id),
                language: Set(language),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let has_membership = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .filter(membership::Column::RegionId.eq(region.id))
        .filter(membership::Column::Role.eq(role.as_str()))
        .one(db)
        .await?
        .is_some();
    if !has_membership {
        membership::ActiveModel {
            user_id: Set(user.id),
            region_id: Set(region.id),
            role: Set(role.as_str().to_owned()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Actor::load(db, user.id)
        .await?
        .ok_or(EngineError::NotFound { what: "user" })
}

/// Issues a new API token for the user.
///
/// # Errors
/// A database error.
pub async fn issue_token(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<String, EngineError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("odg_{}", hex(&bytes));
    api_token::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Revokes every API token of the user with `email`; returns how many were revoked.
///
/// # Errors
/// [`EngineError::NotFound`] for an unknown email; a database error.
pub async fn revoke_tokens(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> Result<u64, EngineError> {
    let user = app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?
        .ok_or(EngineError::NotFound { what: "user" })?;
    let revoked = api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_token::Column::UserId.eq(user.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(revoked.rows_affected)
}

/// The actor a token belongs to, if the token is known and not revoked.
///
/// # Errors
/// A database error.
pub async fn actor_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<Actor>, EngineError> {
    // The token and its user in one read: this runs on every API request.
    let found = app_user::Entity::find()
        .join(
            JoinType::InnerJoin,
            sea_orm::RelationDef::from(
                api_token::Entity::belongs_to(app_user::Entity)
                    .from(api_token::Column::UserId)
                    .to(app_user::Column::Id),
            )
            .rev(),
        )
        .filter(api_token::Column::TokenHash.eq(token_hash(token.trim())))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    match found {
        Some(user) => Ok(Some(Actor::of_user(db, user).await?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::email_problem;

    #[test]
    fn email_addresses_are_checked_for_typing_errors() {
        assert_eq!(email_problem("anne@rsyd.dk"), None);
        assert!(email_problem("anne@rsyd").is_some());
        assert!(email_problem("anne rsyd@x.dk").is_some());
        assert!(email_problem("@rsyd.dk").is_some());
        assert!(
            email_problem("anne.rsyd.dk").is_some(),
            "an address needs its @"
        );
    }
}
