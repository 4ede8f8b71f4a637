//! What an operator watches and scripts: counts of durable steps and reminder runs, the state
//! of the outbox and of the database pool, an online backup of a SQLite database, and a check
//! of every case's journal (after a restore, say).

use crate::cases::Engine;
use crate::error::EngineError;
use crate::storage::entity::{handover_case, journal_event, outbox};
use crate::storage::journal;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts since the server started, for `/metrics`.
#[derive(Debug, Default)]
pub struct StepCounters {
    committed: AtomicU64,
    refused: AtomicU64,
    reminder_runs: AtomicU64,
    reminder_runs_failed: AtomicU64,
}

impl StepCounters {
    /// Durable steps committed: every change of a case, with its journal event and mails.
    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::Relaxed)
    }

    /// Steps refused: by the role or a stale version before a step is tried, by a guard
    /// (journaled as refused), or by the database at commit. Input refused field by field
    /// is not counted: it never reached a step.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Rounds of the reminder worker, and those of them that failed.
    pub fn reminder_runs(&self) -> (u64, u64) {
        (
            self.reminder_runs.load(Ordering::Relaxed),
            self.reminder_runs_failed.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn count_step(&self, committed: bool) {
        let counter = if committed {
            &self.committed
        } else {
            &self.refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_reminder_run(&self, failed: bool) {
        self.reminder_runs.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.reminder_runs_failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The mails waiting and failed, read at the moment of asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxState {
    /// Mails not yet sent (held digest mails included).
    pub waiting: u64,
    /// When the oldest waiting mail was written; `None` when nothing waits.
    pub oldest_waiting_since: Option<DateTime<Utc>>,
    /// Mails given up on after their attempts; they wait for an administrator's resend.
    pub failed: u64,
}

/// The connections of the database pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open, busy or idle.
    pub open: u32,
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// What a check of every journal found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalCheck {
    pub cases: usize,
    pub events: usize,
    /// The cases whose chain is broken, with the first event that does not fit and why.
    pub broken: Vec<(i64, String)>,
}

/// Why a backup was not taken.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "`overdrag backup` copies a SQLite database; for PostgreSQL use pg_dump (see the README's operations section)"
    )]
    NotSqlite,
    #[error("{path} exists; give a new file name, a backup never overwrites a file")]
    Exists { path: String },
    #[error("the backup file name {path} cannot be used: {reason}")]
    BadPath { path: String, reason: String },
    #[error("the database refused the backup: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl Engine {
    /// The step and reminder counts of this server since it started.
    pub fn counters(&self) -> &StepCounters {
        &self.counters
    }

    /// The mails waiting and failed now.
    ///
    /// # Errors
    /// A database error.
    pub async fn outbox_state(&self) -> Result<OutboxState, EngineError> {
        let waiting = outbox::Entity::find()
            .filter(outbox::Column::SentAt.is_null())
            .filter(outbox::Column::Status.ne(crate::storage::outbox::FAILED));
        let oldest_waiting_since = waiting
            .clone()
            .select_only()
            .column(outbox::Column::CreatedAt)
            .order_by_asc(outbox::Column::CreatedAt)
            .into_tuple::<DateTime<Utc>>()
            .one(self.db())
            .await?;
        let failed = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(crate::storage::outbox::FAILED))
            .count(self.db())
            .await?;
        Ok(OutboxState {
            waiting: waiting.count(self.db()).await?,
            oldest_waiting_since,
            failed,
        })
    }

    /// The connections of the pool the reads use (on SQLite the writer keeps one more of
    /// its own, always open).
    pub fn pool_use(&self) -> PoolUse {
        let (open, idle, max) = match self.db().get_database_backend() {
            DatabaseBackend::Sqlite => {
                let pool = self.db().get_sqlite_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            _ => {
                let pool = self.db().get_postgres_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
        };
        PoolUse {
            open,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        }
    }
}

/// Writes a consistent copy of the SQLite database to `file` while the server runs
/// (`VACUUM INTO`: one read transaction, so the copy is the database as of one moment,
/// and writers go on meanwhile). The copy is a plain database file, in no WAL.
///
/// # Errors
/// [`BackupError::NotSqlite`] on PostgreSQL; [`BackupError::Exists`] when `file` exists;
/// a database error.
pub async fn back_up(db: &DatabaseConnection, file: &Path) -> Result<(), BackupError> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if file.exists() {
        return Err(BackupError::Exists {
            path: file.display().to_string(),
        });
    }
    let path = file.to_str().ok_or_else(|| BackupError::BadPath {
        path: file.display().to_string(),
        reason: "it is not valid UTF-8".into(),
    })?;
    // The file name is bound as a value: a quote in it cannot end the statement.
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        "VACUUM INTO ?",
        [path.into()],
    ))
    .await?;
    Ok(())
}

/// Verifies the hash chain of every case's journal, reading the journal in pages of events
/// ordered by case, not one query per case.
///
/// # Errors
/// A database error.
pub async fn verify_all_journals(db: &DatabaseConnection) -> Result<JournalCheck, EngineError> {
    let mut check = JournalCheck {
        cases: usize::try_from(handover_case::Entity::find().count(db).await?)
            .unwrap_or(usize::MAX),
        ..JournalCheck::default()
    };
    let mut pages = journal_event::Entity::find()
        .order_by_asc(journal_event::Column::CaseId)
        .order_by_asc(journal_event::Column::Seq)
        .paginate(db, 5_000);
    let mut chain: Vec<journal_event::Model> = Vec::new();
    let verify = |chain: &mut Vec<journal_event::Model>, check: &mut JournalCheck| {
        let Some(case_id) = chain.first().map(|e| e.case_id) else {
            return;
        };
        let verified = journal::verify(chain);
        check.events += verified.events;
        if !verified.verified {
            let at = verified
                .broken_at
                .map_or_else(String::new, |seq| format!("event {seq}: "));
            check.broken.push((
                case_id,
                format!("{at}{}", verified.problem.unwrap_or_default()),
            ));
        }
        chain.clear();
    };
    while let Some(events) = pages.fetch_and_next().await? {
        for event in events {
            if chain.first().is_some_and(|e| e.case_id != event.case_id) {
                verify(&mut chain, &mut check);
            }
            chain.push(event);
        }
    }
    verify(&mut chain, &mut check);
    Ok(check)
}

/// Why a backup was not put back.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("{path} does not exist or cannot be read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error(
        "{path} holds a database; stop the server and give --replace to put the backup in its place"
    )]
    TargetExists { path: String },
    #[error("the backup is damaged (SQLite's integrity check says: {0}); nothing was restored")]
    Damaged(String),
    #[error("{} case journal(s) in the backup do not verify, nothing was restored: {}", .0.len(), .0.iter().map(|(id, why)| format!("case {id}: {why}")).collect::<Vec<_>>().join("; "))]
    BrokenJournals(Vec<(i64, String)>),
    #[error("the backup cannot be opened ({0}); nothing was restored")]
    Connect(#[from] crate::storage::db::ConnectError),
    #[error("the backup cannot be read ({0}); nothing was restored")]
    Engine(#[from] EngineError),
    #[error("the backup cannot be read ({0}); nothing was restored")]
    Database(#[from] sea_orm::DbErr),
}

/// Puts the SQLite backup `backup` in place as the database file `target`: copied beside it
/// first, checked (SQLite's integrity check, then every journal's hash chain), brought up to
/// this version's migrations, and only then moved over `target` in one rename, so a failed
/// restore leaves `target` as it was. The server must be stopped: a running server keeps the
/// old file open.
///
/// # Errors
/// A [`RestoreError`] saying what is wrong; `target` is then untouched.
pub async fn restore_sqlite(
    backup: &Path,
    target: &Path,
    replace: bool,
) -> Result<JournalCheck, RestoreError> {
    let unreadable = |reason: String| RestoreError::Unreadable {
        path: backup.display().to_string(),
        reason,
    };
    if !backup.is_file() {
        return Err(unreadable("not a file".into()));
    }
    if target.exists() && !replace {
        return Err(RestoreError::TargetExists {
            path: target.display().to_string(),
        });
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| unreadable(e.to_string()))?;
    let staging = dir.join("overdrag.db.restoring");
    let side_files = |file: &Path| {
        ["-wal", "-shm", "-journal"].map(|suffix| {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            std::path::PathBuf::from(name)
        })
    };
    let clear = |file: &Path| {
        for side in side_files(file) {
            let _ = std::fs::remove_file(side);
        }
    };
    let _ = std::fs::remove_file(&staging);
    clear(&staging);
    std::fs::copy(backup, &staging).map_err(|e| unreadable(e.to_string()))?;
    let checked = check_staged(&staging).await;
    if let Err(error) = checked {
        let _ = std::fs::remove_file(&staging);
        clear(&staging);
        return Err(error);
    }
    clear(target);
    std::fs::rename(&staging, target).map_err(|e| unreadable(e.to_string()))?;
    checked
}

async fn check_staged(staging: &Path) -> Result<JournalCheck, RestoreError> {
    let url = format!("sqlite://{}?mode=rw", staging.display());
    let db = crate::storage::db::connect(Some(&url), Path::new(".")).await?;
    let integrity: Option<String> = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await?
        .and_then(|row| row.try_get_by_index(0).ok());
    if integrity.as_deref() != Some("ok") {
        db.close().await?;
        return Err(RestoreError::Damaged(
            integrity.unwrap_or_else(|| "no answer".into()),
        ));
    }
    crate::storage::db::migrate(&db).await?;
    let check = verify_all_journals(&db).await?;
    // Closing checkpoints the WAL into the file, so the one file renamed holds everything.
    db.close().await?;
    if check.broken.is_empty() {
        Ok(check)
    } else {
        Err(RestoreError::BrokenJournals(check.broken))
    }
}
