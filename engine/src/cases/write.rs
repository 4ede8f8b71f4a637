//! The write skeleton every change to a case goes through: the version it saw is checked and
//! moved on under the case's row lock, the change's rows, its journal event, its mails and its
//! idempotency record commit together; and the journaling of refused attempts.

use super::Engine;
use crate::actor::Actor;
use crate::domain::ids::StateId;
use crate::error::EngineError;
use crate::journal_event::CaseEvent;
use crate::storage::db;
use crate::storage::entity::handover_case;
use crate::storage::journal::{self, NewEvent};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Columns of the case's row that a change sets together with its new version.
#[derive(Debug, Default)]
pub(crate) struct CaseRowChanges(Vec<(handover_case::Column, sea_orm::Value)>);

impl CaseRowChanges {
    pub(crate) fn none() -> Self {
        Self::default()
    }

    /// The case moves to `state`, due on `due_date` there.
    pub(super) fn state(state: &StateId, due_date: Option<NaiveDate>) -> Self {
        Self::none()
            .set(handover_case::Column::State, state.as_str())
            .set(handover_case::Column::DueDate, due_date)
    }

    pub(crate) fn set(
        mut self,
        column: handover_case::Column,
        value: impl Into<sea_orm::Value>,
    ) -> Self {
        self.0.push((column, value.into()));
        self
    }
}

/// Locks a case's row without changing it, so an append to its journal cannot take the same
/// place in the chain as a concurrent change.
///
/// # Errors
/// A database error.
pub(crate) async fn lock_case(
    txn: &db::WriteTransaction,
    case_id: i64,
) -> Result<(), sea_orm::DbErr> {
    handover_case::Entity::update_many()
        .col_expr(
            handover_case::Column::Version,
            Expr::col(handover_case::Column::Version),
        )
        .filter(handover_case::Column::Id.eq(case_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Moves the case's version on and locks its row: the guards' facts changed.
pub(crate) async fn touch(
    txn: &db::WriteTransaction,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    move_version(txn, case_id, None, now, CaseRowChanges::none()).await?;
    Ok(())
}

/// Moves the case's version on (only from `expected`, if given) with `changes`, and reads the
/// head of its journal in the same statement, under the row lock the update takes. `None` when
/// no row was updated: the case is gone or at another version.
async fn move_version(
    txn: &db::WriteTransaction,
    case_id: i64,
    expected: Option<i32>,
    now: DateTime<Utc>,
    changes: CaseRowChanges,
) -> Result<Option<journal::Head>, EngineError> {
    use handover_case::Column;
    use sea_orm::sea_query::{Query, ReturningClause};
    let mut update = Query::update();
    update
        .table(handover_case::Entity)
        .value(Column::Version, Expr::col(Column::Version).add(1))
        .value(Column::UpdatedAt, Expr::value(now))
        .and_where(Expr::col(Column::Id).eq(case_id));
    if let Some(expected) = expected {
        update.and_where(Expr::col(Column::Version).eq(expected));
    }
    for (column, value) in changes.0 {
        update.value(column, Expr::value(value));
    }
    update.returning(ReturningClause::Exprs(journal::head_exprs(case_id)));
    match txn.query_one(&update).await? {
        Some(row) => Ok(Some(journal::Head::from_row(&row)?)),
        None => Ok(None),
    }
}

impl Engine {
    pub(super) fn check_version(
        case: &handover_case::Model,
        expected: i32,
    ) -> Result<(), EngineError> {
        if case.version == expected {
            Ok(())
        } else {
            Err(EngineError::Conflict {
                expected,
                current: case.version,
            })
        }
    }

    /// Moves the case's version on, only if it is still `expected`, and sets `changes` on the
    /// case's row in the same statement. This is the first write of every change, so it also
    /// takes the case's lock for the rest of the transaction; it answers where the case's
    /// journal stands under that lock, for the change's event to follow.
    pub(super) async fn bump(
        &self,
        txn: &db::WriteTransaction,
        case_id: i64,
        expected: i32,
        changes: CaseRowChanges,
    ) -> Result<journal::Head, EngineError> {
        if let Some(head) = move_version(txn, case_id, Some(expected), self.now(), changes).await? {
            return Ok(head);
        }
        let current = handover_case::Entity::find_by_id(case_id)
            .one(txn)
            .await?
            .map_or(expected, |c| c.version);
        Err(EngineError::Conflict { expected, current })
    }

    /// Journals that `actor` tried `attempted` on the case and was refused, and hands the
    /// refusal back. The case's version does not move: a refusal changes nothing else.
    pub(super) async fn refused(
        &self,
        actor: &Actor,
        case_id: i64,
        attempted: String,
        refusal: EngineError,
    ) -> EngineError {
        self.journal_refusal(actor, case_id, None, attempted, refusal)
            .await
    }

    /// As [`Engine::refused`], for a refusal decided on the case as it stood at version
    /// `seen`. The case and the file its guards read are loaded one after the other, so a
    /// change committed in between (a concurrent decision) can make guards fail that held
    /// for the version the actor saw. If the case has moved on, the actor is told 409 with
    /// the current version, as they would have been a moment later, and nothing is journalled.
    pub(super) async fn refused_at(
        &self,
        actor: &Actor,
        case_id: i64,
        seen: i32,
        attempted: String,
        refusal: EngineError,
    ) -> EngineError {
        self.journal_refusal(actor, case_id, Some(seen), attempted, refusal)
            .await
    }

    pub(super) async fn journal_refusal(
        &self,
        actor: &Actor,
        case_id: i64,
        seen: Option<i32>,
        attempted: String,
        refusal: EngineError,
    ) -> EngineError {
        let record = async {
            let txn = self.begin_write().await?;
            lock_case(&txn, case_id).await?;
            if let Some(seen) = seen {
                let current = handover_case::Entity::find_by_id(case_id)
                    .one(&txn)
                    .await?
                    .map_or(seen, |c| c.version);
                if current != seen {
                    txn.rollback().await?;
                    return Ok(Some(current));
                }
            }
            let event = NewEvent::from_event(
                Some(actor.user_id),
                CaseEvent::Refused {
                    attempted,
                    reason: refusal.to_string(),
                },
            );
            journal::append(&txn, case_id, event, self.now()).await?;
            txn.commit().await.map(|()| None)
        };
        match record.await {
            Ok(Some(current)) => EngineError::Conflict {
                expected: seen.unwrap_or(current),
                current,
            },
            Ok(None) => refusal,
            Err(error) => {
                tracing::error!(%error, case_id, "could not journal a refusal");
                refusal
            }
        }
    }
}
