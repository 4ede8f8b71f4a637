//! The journal: an append-only, hash-chained event log per case. Each event's hash covers the
//! previous event's hash, so a case file can prove nothing was edited afterwards.

use crate::domain::economics::hex;
use crate::journal_event::CaseEvent;
use crate::storage::entity::journal_event;
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first event of every case.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event to append: who caused it (none for the system) and what happened.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub actor_user_id: Option<i64>,
    pub event: CaseEvent,
}

impl NewEvent {
    pub fn from_event(actor_user_id: Option<i64>, event: CaseEvent) -> Self {
        Self {
            actor_user_id,
            event,
        }
    }
}

/// Timestamps keep microseconds: PostgreSQL stores no more, and the hash must survive storage.
pub fn storable(now: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

fn digest(event: &journal_event::Model) -> String {
    let fields = (
        &event.prev_hash,
        event.case_id,
        event.seq,
        event
            .occurred_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        event.actor_user_id,
        &event.kind,
        &event.transition,
        &event.from_state,
        &event.to_state,
        &event.comment,
        &event.payload,
    );
    let canonical = serde_json::to_string(&fields).unwrap_or_default();
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// Appends `event` to the case's chain. Call it inside the transaction that changes the case,
/// after the case row is locked by its version update, so appends to one case are serialised.
///
/// # Errors
/// A database error; a concurrent append to the same place fails on the unique (case, seq).
pub async fn append(
    db: &impl ConnectionTrait,
    case_id: i64,
    event: NewEvent,
    now: DateTime<Utc>,
) -> Result<journal_event::Model, DbErr> {
    let last = journal_event::Entity::find()
        .filter(journal_event::Column::CaseId.eq(case_id))
        .order_by_desc(journal_event::Column::Seq)
        .one(db)
        .await?;
    let (seq, prev_hash) = last.map_or((1, GENESIS.to_owned()), |l| (l.seq + 1, l.hash));
    insert(db, case_id, seq, prev_hash, event, now).await
}

/// Where a case's chain stands: its last event's number and hash (0 and the genesis hash
/// before the first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub seq: i32,
    pub hash: String,
}

/// The two expressions that read a case's [`Head`], for a statement that also writes: the
/// last event's number and hash.
pub fn head_exprs(case_id: i64) -> Vec<sea_orm::sea_query::Expr> {
    use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
    let last = |column: journal_event::Column| {
        let select = Query::select()
            .column(column)
            .from(journal_event::Entity)
            .and_where(Expr::col(journal_event::Column::CaseId).eq(case_id))
            .order_by(journal_event::Column::Seq, Order::Desc)
            .limit(1)
            .to_owned();
        Expr::SubQuery(None, Box::new(select.into()))
    };
    vec![
        last(journal_event::Column::Seq),
        last(journal_event::Column::Hash),
    ]
}

impl Head {
    /// The head from a row whose first two columns are [`head_exprs`].
    ///
    /// # Errors
    /// A database error when the row does not hold them.
    pub fn from_row(row: &sea_orm::QueryResult) -> Result<Self, DbErr> {
        let seq: Option<i32> = row.try_get_by_index(0)?;
        let hash: Option<String> = row.try_get_by_index(1)?;
        Ok(match (seq, hash) {
            (Some(seq), Some(hash)) => Self { seq, hash },
            _ => Self {
                seq: 0,
                hash: GENESIS.to_owned(),
            },
        })
    }
}

/// Appends `event` after `head`, read in this transaction under the case's row lock (see
/// [`head_exprs`]), with nothing more to read.
///
/// # Errors
/// A database error; an append racing for the same place fails on the unique (case, seq).
pub async fn append_after(
    db: &impl ConnectionTrait,
    case_id: i64,
    head: Head,
    event: NewEvent,
    now: DateTime<Utc>,
) -> Result<journal_event::Model, DbErr> {
    insert(db, case_id, head.seq + 1, head.hash, event, now).await
}

/// Opens the chain of a case created in this transaction: its first event follows the
/// genesis hash, with nothing to read before it. Should the case already have events, the
/// unique (case, seq) refuses the insert.
///
/// # Errors
/// A database error.
pub async fn open(
    db: &impl ConnectionTrait,
    case_id: i64,
    event: NewEvent,
    now: DateTime<Utc>,
) -> Result<journal_event::Model, DbErr> {
    insert(db, case_id, 1, GENESIS.to_owned(), event, now).await
}

async fn insert(
    db: &impl ConnectionTrait,
    case_id: i64,
    seq: i32,
    prev_hash: String,
    event: NewEvent,
    now: DateTime<Utc>,
) -> Result<journal_event::Model, DbErr> {
    let stored = event
        .event
        .stored()
        .map_err(|e| DbErr::Custom(format!("a journal event does not serialise: {e}")))?;
    let mut model = journal_event::Model {
        id: 0,
        case_id,
        seq,
        occurred_at: storable(now),
        actor_user_id: event.actor_user_id,
        kind: stored.kind.to_owned(),
        transition: stored.transition,
        from_state: stored.from_state,
        to_state: stored.to_state,
        comment: stored.comment,
        payload: stored.payload,
        prev_hash,
        hash: String::new(),
    };
    model.hash = digest(&model);
    let active = journal_event::ActiveModel {
        case_id: Set(model.case_id),
        seq: Set(model.seq),
        occurred_at: Set(model.occurred_at),
        actor_user_id: Set(model.actor_user_id),
        kind: Set(model.kind.clone()),
        transition: Set(model.transition.clone()),
        from_state: Set(model.from_state.clone()),
        to_state: Set(model.to_state.clone()),
        comment: Set(model.comment.clone()),
        payload: Set(model.payload.clone()),
        prev_hash: Set(model.prev_hash.clone()),
        hash: Set(model.hash.clone()),
        ..Default::default()
    };
    active.insert(db).await
}

/// The result of checking a case's chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChainVerification {
    pub verified: bool,
    pub events: usize,
    /// The first event that does not fit the chain, and why.
    pub broken_at: Option<i32>,
    pub problem: Option<String>,
}

/// Checks `events` (oldest first) form an unbroken chain from the genesis hash.
pub fn verify(events: &[journal_event::Model]) -> ChainVerification {
    let mut prev = GENESIS.to_owned();
    for (index, event) in events.iter().enumerate() {
        let expected_seq = i32::try_from(index + 1).unwrap_or(i32::MAX);
        let problem = if event.seq != expected_seq {
            Some(format!("event {} is missing from the chain", expected_seq))
        } else if event.prev_hash != prev {
            Some("the link to the previous event does not match".to_owned())
        } else if digest(event) != event.hash {
            Some("the event's content was changed after it was written".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            return ChainVerification {
                verified: false,
                events: events.len(),
                broken_at: Some(event.seq),
                problem: Some(problem),
            };
        }
        prev = event.hash.clone();
    }
    ChainVerification {
        verified: true,
        events: events.len(),
        broken_at: None,
        problem: None,
    }
}

/// Loads a case's journal, oldest first.
///
/// # Errors
/// A database error.
pub async fn events_of(
    db: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Vec<journal_event::Model>, DbErr> {
    journal_event::Entity::find()
        .filter(journal_event::Column::CaseId.eq(case_id))
        .order_by_asc(journal_event::Column::Seq)
        .all(db)
        .await
}
