//! Connecting to the database named by `DATABASE_URL`, and applying the migrations.

use overdrag_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    RuntimeErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL `{0}` is not supported; use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("the data directory {path} cannot be created or written: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot connect to the database at {url}: {source}")]
    Connect { url: String, source: DbErr },
    #[error("cannot apply the database migrations: {0}")]
    Migrate(DbErr),
}

/// How long a request waits for a PostgreSQL connection before it is answered 503. While the
/// server is down the pool keeps trying to connect until this runs out, so it is what a user
/// waits during an outage; under load a healthy pool hands out a connection in milliseconds.
pub const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// SQLite cannot go away, but its four connections can all be waiting for the write lock.
const SQLITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite URL of the default database file in `data_dir`.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("overdrag.db").display()
    )
}

/// Hides a password in a URL before it is printed.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens the database: `url` if given, else a SQLite file under `data_dir`, created on first
/// use. SQLite runs with WAL and `synchronous=FULL`: a decision must survive a power cut.
///
/// # Errors
/// A [`ConnectError`] naming what is wrong with the URL, directory or server.
pub async fn connect(
    url: Option<&str>,
    data_dir: &Path,
) -> Result<DatabaseConnection, ConnectError> {
    let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => url.to_owned(),
        None => {
            ensure_writable(data_dir)?;
            default_sqlite_url(data_dir)
        }
    };
    let mut options = ConnectOptions::new(url.clone());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(SQLITE_ACQUIRE_TIMEOUT)
        // A ping on every checkout doubles the round trips of each query; a connection that
        // has been busy is known to work, and one idle for a while (the database may have
        // restarted) is still checked before use.
        .test_before_acquire_if_idle_for(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        options.max_connections(4).map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(15))
        });
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        options
            .max_connections(32)
            .min_connections(1)
            .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT);
    } else {
        return Err(ConnectError::UnsupportedUrl(redacted(&url)));
    }
    Database::connect(options)
        .await
        .map_err(|source| ConnectError::Connect {
            url: redacted(&url),
            source,
        })
}

fn ensure_writable(dir: &Path) -> Result<(), ConnectError> {
    let fail = |source| ConnectError::DataDir {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), waiting its turn behind other writers: a transaction that read first
/// and wrote later would otherwise fail with "database is locked" whenever another writer
/// committed in between. PostgreSQL ignores the mode.
///
/// # Errors
/// A database error, or the write lock not coming within the busy timeout.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Whether `error` means the database cannot be reached or cannot serve right now (stopped,
/// restarting, the connection cut, no connection to be had, SQLite's write lock not coming),
/// rather than that the request or the data are wrong. Such a request changed nothing that
/// its answer does not say, and is worth trying again: the web answers it 503, not 500.
pub fn is_unavailable(error: &DbErr) -> bool {
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)) => {
            sqlx_unavailable(error)
        }
        _ => false,
    }
}

fn sqlx_unavailable(error: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match error {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs for a lost or refused connection: class 08 (connection exception),
/// 57P01–57P03 (administrator or crash shutdown, cannot connect now), 53300 (too many
/// connections); and SQLite's primary result code 5 (busy) with its extended codes.
fn unavailable_code(code: &str) -> bool {
    code.starts_with("08")
        || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
        || code.parse::<i32>().is_ok_and(|sqlite| sqlite & 0xff == 5)
}

/// Applies every pending migration.
///
/// # Errors
/// When a migration fails.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), ConnectError> {
    Migrator::up(db, None)
        .await
        .map_err(ConnectError::Migrate)?;
    refresh_statistics(db).await.map_err(ConnectError::Migrate)
}

/// Lets SQLite's query planner know how the cases are spread over regions, states and
/// parties (`PRAGMA optimize`, which analyses only tables whose statistics are missing or
/// stale, and with `analysis_limit` samples rather than reads them). Without statistics it
/// sorts a whole region's cases to show the newest twenty. PostgreSQL's autovacuum keeps its
/// own statistics.
async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA analysis_limit = 1000")
            .await?;
        db.execute_unprepared("PRAGMA optimize = 0x10002").await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_connection_or_an_empty_pool_is_unavailable_not_a_bug() {
        use sea_orm::sqlx::Error;
        use std::sync::Arc;
        let io = |kind| {
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(Error::Io(
                std::io::Error::from(kind),
            ))))
        };
        assert!(is_unavailable(&io(std::io::ErrorKind::BrokenPipe)));
        assert!(is_unavailable(&io(std::io::ErrorKind::UnexpectedEof)));
        assert!(is_unavailable(&DbErr::Exec(RuntimeErr::SqlxError(
            Arc::new(Error::PoolTimedOut)
        ))));
        assert!(is_unavailable(&DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout
        )));
        assert!(!is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(
            Arc::new(Error::RowNotFound)
        ))));
        assert!(!is_unavailable(&DbErr::RecordNotFound("case".into())));
    }

    #[test]
    fn sqlstates_of_a_lost_server_are_unavailable_and_others_are_not() {
        for code in ["08006", "08001", "57P01", "57P03", "53300", "5", "517"] {
            assert!(unavailable_code(code), "{code}");
        }
        for code in ["23505", "40001", "42P01", "19", "2067"] {
            assert!(!unavailable_code(code), "{code}");
        }
    }

    #[test]
    fn passwords_never_print() {
        assert_eq!(
            redacted("postgres://app:secret@db/overdrag"),
            "postgres://app:***@db/overdrag"
        );
        assert_eq!(
            redacted("postgres://app@db/overdrag"),
            "postgres://app@db/overdrag"
        );
        assert_eq!(
            redacted("sqlite://data/overdrag.db"),
            "sqlite://data/overdrag.db"
        );
    }
}
