//! Connecting to the database named by `DATABASE_URL`, and applying the migrations.

use overdrag_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnAcquireErr, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// How long a writer waits for its turn before it is answered "unavailable" (503): as long as
/// SQLite's own busy timeout, which it replaces for the writers of one server.
pub const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(15);

/// The page cache of the SQLite connection that writes, in KiB (the pool's connections keep
/// SQLite's 2 MB). Each new case merges its trigrams into the search index, and as the index
/// grows the pages a merge touches outgrow 2 MB: with that, filling a database fell from 180
/// to 25 cases a second within 11,000 cases, the writer reading the same pages from the
/// operating system over and over. With 16 MB it held 240 a second past 40,000. It costs at
/// most 16 MB of memory, and only once the writes have filled it.
const WRITER_CACHE_KIB: u32 = 16 * 1024;

/// The turns of one server's writers on SQLite, taken in the order they asked, on a
/// connection kept for writing.
///
/// SQLite has one write lock per file, and a writer that finds it taken is not queued: its
/// busy handler sleeps and tries again, in sleeps that grow to 100 ms, so under load an
/// unlucky writer keeps losing to newcomers. Waiting on a fair async lock before
/// `BEGIN IMMEDIATE` serves them first come, first served, and a waiting writer holds no
/// pooled connection meanwhile. Other processes on the same file still meet the busy handler.
///
/// The writes go through one connection of their own because, in WAL mode, a connection
/// throws its whole page cache away whenever another connection has written. Spread over the
/// pool, every write transaction started cold and read the trigram index's pages from the
/// operating system again: filling a database fell to 66 cases a second at 6,000 cases, where
/// one warm writer keeps 200 (docs/PERFORMANCE.md, "Scale"). The reads stay on the pool.
///
/// PostgreSQL queues its row locks itself and gets neither.
#[derive(Clone, Debug)]
pub struct WriteQueue {
    sqlite: Option<SqliteWriter>,
    timeout: Duration,
}

/// SQLite's writers' one turn, and the connection they write on.
#[derive(Clone, Debug)]
struct SqliteWriter {
    turn: Arc<Semaphore>,
    connection: DatabaseConnection,
}

impl WriteQueue {
    /// The queue `db` needs: on SQLite one turn at a time, on a connection of its own opened
    /// with `db`'s settings; on PostgreSQL none.
    ///
    /// # Errors
    /// When the writer's connection cannot be opened.
    pub async fn open(db: &DatabaseConnection) -> Result<Self, DbErr> {
        if db.get_database_backend() != DbBackend::Sqlite {
            return Ok(Self {
                sqlite: None,
                timeout: WRITE_TURN_TIMEOUT,
            });
        }
        let options = db.get_sqlite_connection_pool().connect_options();
        let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(SQLITE_ACQUIRE_TIMEOUT)
            // Its page cache is the point of it: the connection is not recycled.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(
                (*options)
                    .clone()
                    .pragma("cache_size", format!("-{WRITER_CACHE_KIB}")),
            )
            .await
            .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
        Ok(Self {
            sqlite: Some(SqliteWriter {
                turn: Arc::new(Semaphore::new(1)),
                connection: sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
            }),
            timeout: WRITE_TURN_TIMEOUT,
        })
    }

    /// Reports each statement on the writer's connection to `callback`, as
    /// [`DatabaseConnection::set_metric_callback`] does for the pool.
    pub fn set_metric_callback<F>(&mut self, callback: F)
    where
        F: Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    {
        if let Some(writer) = &mut self.sqlite {
            writer.connection.set_metric_callback(callback);
        }
    }

    /// Waits at most `timeout` for a turn.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Begins a transaction that will write, after waiting its turn. On SQLite it takes the
    /// write lock at once (`BEGIN IMMEDIATE`): a transaction that read first and wrote later
    /// would otherwise fail with "database is locked" whenever another writer committed in
    /// between. PostgreSQL ignores the mode.
    ///
    /// # Errors
    /// A database error, or no turn within the timeout
    /// ([`DbErr::ConnectionAcquire`], which [`is_unavailable`]).
    pub async fn begin(&self, db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
        let (turn, connection) = match &self.sqlite {
            Some(writer) => {
                let waiting =
                    tokio::time::timeout(self.timeout, writer.turn.clone().acquire_owned());
                let turn = match waiting.await {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_closed)) => {
                        return Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed));
                    }
                    Err(_elapsed) => return Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
                };
                (Some(turn), &writer.connection)
            }
            None => (None, db),
        };
        let txn = connection
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(WriteTransaction { txn, _turn: turn })
    }
}

/// A write transaction holding its writer's turn until it commits, rolls back or is dropped.
#[derive(Debug)]
pub struct WriteTransaction {
    txn: DatabaseTransaction,
    _turn: Option<OwnedSemaphorePermit>,
}

impl WriteTransaction {
    /// Commits, then gives the turn to the next writer.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// Rolls back, then gives the turn to the next writer.
    ///
    /// # Errors
    /// When the rollback fails.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
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
    #![allow(clippy::expect_used)]
    use super::*;

    /// A fresh SQLite database as shipped, in a directory of its own.
    async fn scratch_sqlite(name: &str) -> (DatabaseConnection, PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("overdrag-writers-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let conn = connect(None, &dir).await.expect("a scratch database");
        conn.execute_unprepared("CREATE TABLE turn_taken (writer INTEGER NOT NULL)")
            .await
            .expect("a table");
        (conn, dir)
    }

    // On a current-thread runtime a spawned writer runs only when the test yields, so each
    // has asked for its turn before the next one is spawned.
    #[tokio::test(flavor = "current_thread")]
    async fn writers_on_sqlite_are_served_in_the_order_they_asked() {
        let (conn, dir) = scratch_sqlite("order").await;
        let writers = WriteQueue::open(&conn).await.expect("a writer");
        let first = writers.begin(&conn).await.expect("the first turn");
        let mut waiting = Vec::new();
        for writer in 0..8 {
            let (writers, conn) = (writers.clone(), conn.clone());
            waiting.push(tokio::spawn(async move {
                let txn = writers.begin(&conn).await.expect("a turn");
                txn.execute_unprepared(&format!("INSERT INTO turn_taken VALUES ({writer})"))
                    .await
                    .expect("an insert");
                txn.commit().await.expect("a commit");
            }));
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
        }
        first.commit().await.expect("the first commit");
        for writer in waiting {
            writer.await.expect("a writer");
        }
        let order: Vec<i64> = conn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT writer FROM turn_taken ORDER BY rowid",
            ))
            .await
            .expect("the order")
            .iter()
            .map(|row| row.try_get_by_index(0).expect("a writer"))
            .collect();
        assert_eq!(order, (0..8).collect::<Vec<_>>());
        conn.close().await.expect("closed");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_writer_that_gets_no_turn_in_time_is_told_the_database_is_unavailable() {
        let (conn, dir) = scratch_sqlite("timeout").await;
        let writers = WriteQueue::open(&conn)
            .await
            .expect("a writer")
            .with_timeout(Duration::from_millis(50));
        let first = writers.begin(&conn).await.expect("the first turn");
        let error = writers
            .begin(&conn)
            .await
            .expect_err("no second turn while the first is held");
        assert!(is_unavailable(&error), "{error:?}");
        first.rollback().await.expect("rolled back");
        let after = writers
            .begin(&conn)
            .await
            .expect("a turn once the first is done");
        after.commit().await.expect("a commit");
        conn.close().await.expect("closed");
        let _ = std::fs::remove_dir_all(dir);
    }

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
