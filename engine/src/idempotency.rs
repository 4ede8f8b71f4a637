//! Idempotent requests: the first answer to a request with an `Idempotency-Key` is stored and
//! replayed for every retry, so a retried POST never creates a second case.

use crate::error::EngineError;
use crate::storage::entity::idempotency_key;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

/// What to do with a request carrying a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// First time: run it, then [`finish`].
    Fresh,
    /// Answered before: send this answer again.
    Replay { status: u16, body: String },
    /// The first request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Claims `key` for `user_id` and this request, or says how it was answered before.
///
/// # Errors
/// [`EngineError::Invalid`] for an unusable key; a database error.
pub async fn begin(
    db: &DatabaseConnection,
    user_id: i64,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Idempotency, EngineError> {
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(EngineError::invalid(
            "Idempotency-Key",
            "use 1 to 200 visible ASCII characters, e.g. a UUID",
        ));
    }
    let claim = idempotency_key::ActiveModel {
        user_id: Set(user_id),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now),
    };
    let inserted = idempotency_key::Entity::insert(claim)
        .on_conflict(
            OnConflict::columns([
                idempotency_key::Column::UserId,
                idempotency_key::Column::Key,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted == 1 {
        return Ok(Idempotency::Fresh);
    }
    let stored = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or(EngineError::NotFound {
            what: "idempotency key",
        })?;
    Ok(
        match (
            stored.request_hash == request_hash,
            stored.response_status,
            stored.response_body,
        ) {
            (false, _, _) => Idempotency::Mismatch,
            (true, Some(status), Some(body)) => Idempotency::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body,
            },
            _ => Idempotency::InProgress,
        },
    )
}

/// Stores the answer to a fresh request.
///
/// # Errors
/// A database error.
pub async fn finish(
    db: &DatabaseConnection,
    user_id: i64,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), EngineError> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::ResponseStatus,
            sea_orm::sea_query::Expr::value(i32::from(status)),
        )
        .col_expr(
            idempotency_key::Column::ResponseBody,
            sea_orm::sea_query::Expr::value(body),
        )
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Releases the key after a failure the client may retry (a server error).
///
/// # Errors
/// A database error.
pub async fn release(db: &DatabaseConnection, user_id: i64, key: &str) -> Result<(), EngineError> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}
