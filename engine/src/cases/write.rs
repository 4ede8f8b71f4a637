//! The write skeleton every change to a case goes through: the version it saw is checked and
//! moved on under the case's row lock, the change's rows, its journal event, its mails and its
//! idempotency record commit together; and the journaling of refused attempts.

use super::Engine;
use super::view::Committed;
use crate::actor::Actor;
use crate::domain::ids::StateId;
use crate::error::EngineError;
use crate::idempotency::{self, Claim};
use crate::journal_event::CaseEvent;
use crate::storage::db;
use crate::storage::entity::{handover_case, organisation};
use crate::storage::journal::{self, NewEvent};
use crate::storage::outbox;
use crate::workflow::definition::NotifyRule;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// One change to an existing case, as the write skeleton commits it.
pub(super) struct Change<'a> {
    /// The version the actor saw; `None` for a change of the case's facts that does not
    /// depend on it (a document, a hearing, an agenda placement), which moves the version on
    /// all the same.
    pub expected_version: Option<i32>,
    /// Columns of the case's row set with the new version.
    pub row: CaseRowChanges,
    /// The idempotency key the change answers, recorded in the same transaction.
    pub claim: Option<&'a Claim>,
}

impl Change<'_> {
    /// A change at the version the actor saw, with no other columns.
    pub(super) fn at(expected_version: i32) -> Self {
        Self {
            expected_version: Some(expected_version),
            row: CaseRowChanges::none(),
            claim: None,
        }
    }

    /// A change of the case's facts, whichever version the actor saw.
    pub(super) fn of_facts() -> Self {
        Self {
            expected_version: None,
            row: CaseRowChanges::none(),
            claim: None,
        }
    }
}

/// What a change wrote: its journal event, the mails it sends, and what the operation answers
/// besides the committed case.
pub(super) struct Written<'a, T> {
    pub event: CaseEvent,
    pub mails: Mails<'a>,
    pub value: T,
    /// A second event of the same change, journaled after the first with its own mails: the
    /// hearing a transition into a hearing opens.
    pub then: Option<(CaseEvent, Mails<'a>)>,
}

impl<'a> Written<'a, ()> {
    /// Only the event.
    pub(super) fn event(event: CaseEvent) -> Self {
        Self {
            event,
            mails: Mails::None,
            value: (),
            then: None,
        }
    }
}

impl<'a, T> Written<'a, T> {
    pub(super) fn with_mails(self, mails: Mails<'a>) -> Self {
        Self { mails, ..self }
    }
}

/// The mails a change sends, enqueued in its transaction.
pub(super) enum Mails<'a> {
    None,
    /// To whom `rules` name, looked up in the transaction.
    Rules(Vec<NotifyRule>),
    /// To whom `rules` name, looked up in `directory` beforehand.
    Looked(&'a outbox::Directory, &'a [NotifyRule]),
    /// Each heard party its personal hearing link.
    Invitations(Vec<(organisation::Model, String)>),
}

impl Engine {
    /// The skeleton of every change to an existing case: in the writer's turn, moves the case's
    /// version on (only from the one the actor saw, or answers 409) with the change's columns,
    /// lets `write` add the change's own rows and name its event, appends the event to the
    /// journal under the case's row lock, enqueues the mails, records the idempotency key and
    /// commits — all or nothing. `actor_user_id` is `None` for a party answering by link.
    ///
    /// # Errors
    /// [`EngineError::Conflict`] on a stale version, an error of `write`, or a database error.
    pub(super) async fn commit_change<'a, T>(
        &self,
        actor_user_id: Option<i64>,
        case: &handover_case::Model,
        change: Change<'_>,
        write: impl AsyncFnOnce(
            &db::WriteTransaction,
            DateTime<Utc>,
        ) -> Result<Written<'a, T>, EngineError>,
    ) -> Result<(Committed, T), EngineError> {
        let result = self
            .commit_change_counted(actor_user_id, case, change, write)
            .await;
        self.counters.count_step(result.is_ok());
        result
    }

    async fn commit_change_counted<'a, T>(
        &self,
        actor_user_id: Option<i64>,
        case: &handover_case::Model,
        change: Change<'_>,
        write: impl AsyncFnOnce(
            &db::WriteTransaction,
            DateTime<Utc>,
        ) -> Result<Written<'a, T>, EngineError>,
    ) -> Result<(Committed, T), EngineError> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let head = match change.expected_version {
            Some(expected) => self.bump(&txn, case.id, expected, change.row).await?,
            None => move_version(&txn, case.id, None, now, change.row)
                .await?
                .ok_or(EngineError::NotFound { what: "case" })?,
        };
        let written = write(&txn, now).await?;
        // A transition's state is the one the case moves to; every other change keeps it.
        let to_state = match &written.event {
            CaseEvent::Transition { to_state, .. } | CaseEvent::ReformCarried { to_state, .. } => {
                Some(to_state.clone())
            }
            _ => None,
        };
        let event = NewEvent::from_event(actor_user_id, written.event);
        let event = journal::append_after(&txn, case.id, head, event, now).await?;
        enqueue(&txn, case, event.id, written.mails, now).await?;
        if let Some((then, mails)) = written.then {
            let head = journal::Head {
                seq: event.seq,
                hash: event.hash,
            };
            let then = NewEvent::from_event(actor_user_id, then);
            let then = journal::append_after(&txn, case.id, head, then, now).await?;
            enqueue(&txn, case, then.id, mails, now).await?;
        }
        let committed = Committed::after(case, to_state.as_deref());
        idempotency::record_commit(&txn, change.claim, &committed).await?;
        txn.commit().await?;
        Ok((committed, written.value))
    }
}

/// Enqueues the mails of the journal event `event_id` in the change's transaction.
async fn enqueue(
    txn: &db::WriteTransaction,
    case: &handover_case::Model,
    event_id: i64,
    mails: Mails<'_>,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    match mails {
        Mails::None => {}
        Mails::Rules(rules) => {
            outbox::enqueue(txn, case, event_id, &rules, now).await?;
        }
        Mails::Looked(directory, rules) => {
            outbox::enqueue_to(txn, case, directory, event_id, rules, now).await?;
        }
        Mails::Invitations(parties) => {
            for (party, token) in &parties {
                outbox::enqueue_invitation(txn, case, event_id, party, token, now).await?;
            }
        }
    }
    Ok(())
}

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

/// Moves the case's version on for a change of its facts made to many cases in one transaction
/// (a meeting changed or cancelled), and reads the head of its journal under the row lock.
///
/// # Errors
/// [`EngineError::NotFound`] for a case that is gone; a database error.
pub(super) async fn move_facts_version(
    txn: &db::WriteTransaction,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<journal::Head, EngineError> {
    move_version(txn, case_id, None, now, CaseRowChanges::none())
        .await?
        .ok_or(EngineError::NotFound { what: "case" })
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
        self.counters.count_step(false);
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
