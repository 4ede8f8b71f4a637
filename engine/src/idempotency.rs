//! Idempotent requests: the first answer to a request with an `Idempotency-Key` is stored and
//! replayed for every retry, so a retried POST never creates a second case.
//!
//! A request claims its key (a row without an answer), its change records on that row what it
//! committed, in the change's own transaction ([`record_commit`]), and then the answer is
//! stored ([`finish`]). A server killed between those steps leaves a claim without an answer.
//! Once the claim is older than the lease, it counts as abandoned. A retry then answers from the
//! committed case when the row says the change committed ([`Idempotency::Committed`]). When it
//! did not commit, the retry takes the claim over and runs the request again.
//!
//! Each step after the claim holds only while the row still carries the claim's time. So a
//! request that was slow, not dead, cannot commit after a retry took its key over: its
//! transaction is rolled back with [`EngineError::IdempotencyTakenOver`].

use crate::cases::{Committed, Engine};
use crate::error::EngineError;
use crate::storage::entity::{handover_case, idempotency_key};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter, Set};

/// How long a claim without an answer counts as still running, unless
/// [`Engine::with_idempotency_lease`] says otherwise. Keep it far above the time a request
/// takes, or a slow request's retry takes its key over and the slow one is refused.
pub const LEASE: Duration = Duration::seconds(60);

/// A request's hold on its key: the request may commit its change with it and store its
/// answer, as long as no retry took the key over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    user_id: i64,
    key: String,
    /// When the key was claimed; every later step checks that the row still says so.
    claimed_at: DateTime<Utc>,
}

impl Claim {
    /// The row, as long as this claim holds it and it has no answer yet.
    fn held(&self) -> Condition {
        Condition::all()
            .add(idempotency_key::Column::UserId.eq(self.user_id))
            .add(idempotency_key::Column::Key.eq(self.key.as_str()))
            .add(idempotency_key::Column::CreatedAt.eq(self.claimed_at))
            .add(idempotency_key::Column::ResponseStatus.is_null())
    }

    /// As [`Claim::held`], and its change has not committed yet.
    fn held_uncommitted(&self) -> Condition {
        self.held()
            .add(idempotency_key::Column::CommittedCaseId.is_null())
    }
}

/// What to do with a request carrying a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// First time, or a claim abandoned before its change committed: run the request, passing
    /// the claim to the change, then [`finish`].
    Fresh(Claim),
    /// Answered before: send this answer again.
    Replay { status: u16, body: String },
    /// A claim abandoned after its change committed: answer as the first request would have,
    /// from what it committed, and store that answer with [`finish`].
    Committed { claim: Claim, committed: Committed },
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
    engine: &Engine,
    user_id: i64,
    key: &str,
    request_hash: &str,
) -> Result<Idempotency, EngineError> {
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(EngineError::invalid(
            "Idempotency-Key",
            "use 1 to 200 visible ASCII characters, e.g. a UUID",
            "brug 1 til 200 synlige ASCII-tegn, fx et UUID",
        ));
    }
    let db = engine.db();
    let now = engine.now();
    let claim = idempotency_key::ActiveModel {
        user_id: Set(user_id),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now),
        committed_case_id: Set(None),
        committed_version: Set(None),
        committed_state: Set(None),
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
    let fresh = |claimed_at| {
        Idempotency::Fresh(Claim {
            user_id,
            key: key.to_owned(),
            claimed_at,
        })
    };
    if inserted == 1 {
        return Ok(fresh(now));
    }
    let stored = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or(EngineError::NotFound {
            what: "idempotency key",
        })?;
    if stored.request_hash != request_hash {
        return Ok(Idempotency::Mismatch);
    }
    if let (Some(status), Some(body)) = (stored.response_status, stored.response_body) {
        return Ok(Idempotency::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
        });
    }
    if stored.created_at + engine.idempotency_lease() > now {
        return Ok(Idempotency::InProgress);
    }
    let claim = Claim {
        user_id,
        key: key.to_owned(),
        claimed_at: stored.created_at,
    };
    if let (Some(case_id), Some(version), Some(state)) = (
        stored.committed_case_id,
        stored.committed_version,
        stored.committed_state,
    ) {
        let case = handover_case::Entity::find_by_id(case_id)
            .one(db)
            .await?
            .ok_or(EngineError::NotFound { what: "case" })?;
        return Ok(Idempotency::Committed {
            claim,
            committed: Committed {
                id: case_id,
                number: case.number,
                state,
                version,
            },
        });
    }
    // Abandoned before its change committed: take it over, unless another retry just did.
    let taken_over = idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::CreatedAt, Expr::value(now))
        .filter(claim.held_uncommitted())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    Ok(if taken_over {
        fresh(now)
    } else {
        Idempotency::InProgress
    })
}

/// Records on the key that its change committed, in the change's transaction `txn`, just
/// before the commit; without a claim, does nothing.
///
/// # Errors
/// [`EngineError::IdempotencyTakenOver`] when a retry took the key over after the lease ran
/// out: the caller's transaction must not commit. A database error.
pub(crate) async fn record_commit(
    txn: &DatabaseTransaction,
    claim: Option<&Claim>,
    committed: &Committed,
) -> Result<(), EngineError> {
    let Some(claim) = claim else {
        return Ok(());
    };
    let recorded = idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::CommittedCaseId,
            Expr::value(committed.id),
        )
        .col_expr(
            idempotency_key::Column::CommittedVersion,
            Expr::value(committed.version),
        )
        .col_expr(
            idempotency_key::Column::CommittedState,
            Expr::value(committed.state.as_str()),
        )
        .filter(claim.held_uncommitted())
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    if recorded {
        Ok(())
    } else {
        Err(EngineError::IdempotencyTakenOver)
    }
}

/// Stores the answer to a claimed request; the first answer stored stays.
///
/// # Errors
/// A database error.
pub async fn finish(
    engine: &Engine,
    claim: &Claim,
    status: u16,
    body: &str,
) -> Result<(), EngineError> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::ResponseStatus,
            Expr::value(i32::from(status)),
        )
        .col_expr(idempotency_key::Column::ResponseBody, Expr::value(body))
        .filter(claim.held())
        .exec(engine.db())
        .await?;
    Ok(())
}

/// Releases the key after a failure the client may retry (a server error). A key whose change
/// committed is kept: a retry after the lease answers from the commit instead of running the
/// change again.
///
/// # Errors
/// A database error.
pub async fn release(engine: &Engine, claim: &Claim) -> Result<(), EngineError> {
    idempotency_key::Entity::delete_many()
        .filter(claim.held_uncommitted())
        .exec(engine.db())
        .await?;
    Ok(())
}
