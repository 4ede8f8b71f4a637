//! The floor under a durable step: what the database layer Overdrag is built on (sea-orm over
//! sqlx, connected with the settings Overdrag ships) does for a bare transaction of three
//! statements — a version bump that returns a row, an event insert and an outbox insert —
//! with no engine around it. The targets are set against such bare transactions
//! measured with SQLite's own C library and with pgbench, so this tells how much of a gap is
//! the engine's and how much the driver's.

use overdrag_engine::storage::db;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// How a bare transaction is sent.
#[derive(Debug, Clone, Copy)]
enum Layer {
    /// Through sea-orm's `DatabaseConnection` and `DatabaseTransaction`, as the engine does.
    SeaOrm,
    /// Straight through the sqlx pool under it.
    Sqlx,
}

impl Layer {
    fn name(self) -> &'static str {
        match self {
            Self::SeaOrm => "sea-orm",
            Self::Sqlx => "sqlx",
        }
    }
}

struct Sql {
    bump: &'static str,
    event: &'static str,
    outbox: &'static str,
}

impl Sql {
    fn for_backend(backend: DatabaseBackend) -> Self {
        match backend {
            DatabaseBackend::Sqlite => Self {
                bump: "UPDATE floor_case SET version = version + 1 WHERE id = ?1 RETURNING version",
                event: "INSERT INTO floor_event (case_id, seq, payload) VALUES (?1, ?2, ?3)",
                outbox: "INSERT INTO floor_outbox (case_id, seq, recipient) VALUES (?1, ?2, ?3)",
            },
            _ => Self {
                bump: "UPDATE floor_case SET version = version + 1 WHERE id = $1 RETURNING version",
                event: "INSERT INTO floor_event (case_id, seq, payload) VALUES ($1, $2, $3)",
                outbox: "INSERT INTO floor_outbox (case_id, seq, recipient) VALUES ($1, $2, $3)",
            },
        }
    }
}

async fn create_tables(conn: &DatabaseConnection, workers: usize) -> Result<(), String> {
    let serial = match conn.get_database_backend() {
        DatabaseBackend::Sqlite => "INTEGER PRIMARY KEY",
        _ => "BIGSERIAL PRIMARY KEY",
    };
    let ddl = [
        "DROP TABLE IF EXISTS floor_outbox".to_owned(),
        "DROP TABLE IF EXISTS floor_event".to_owned(),
        "DROP TABLE IF EXISTS floor_case".to_owned(),
        "CREATE TABLE floor_case (id BIGINT PRIMARY KEY, version INT NOT NULL)".to_owned(),
        format!(
            "CREATE TABLE floor_event (id {serial}, case_id BIGINT NOT NULL, seq INT NOT NULL, payload TEXT NOT NULL)"
        ),
        format!(
            "CREATE TABLE floor_outbox (id {serial}, case_id BIGINT NOT NULL, seq INT NOT NULL, recipient TEXT NOT NULL)"
        ),
    ];
    for statement in ddl {
        conn.execute_unprepared(&statement)
            .await
            .map_err(|e| format!("{statement}: {e}"))?;
    }
    for id in 0..workers {
        conn.execute_unprepared(&format!(
            "INSERT INTO floor_case (id, version) VALUES ({id}, 0)"
        ))
        .await
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// About 2 KB, as a step's journal payload with a description is.
fn payload() -> String {
    "Kommunen overtager opgaven efter aftale med regionen. ".repeat(40)
}

async fn sea_orm_transaction(
    conn: &DatabaseConnection,
    writers: &db::WriteQueue,
    sql: &Sql,
    case: i64,
    payload: &str,
) -> Result<(), String> {
    let backend = conn.get_database_backend();
    let fail = |e: sea_orm::DbErr| e.to_string();
    let txn = writers.begin(conn).await.map_err(fail)?;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql.bump,
            [Value::from(case)],
        ))
        .await
        .map_err(fail)?
        .ok_or("the bump returned no row")?;
    let seq: i32 = row.try_get_by_index(0).map_err(fail)?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql.event,
        [case.into(), seq.into(), payload.into()],
    ))
    .await
    .map_err(fail)?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql.outbox,
        [case.into(), seq.into(), "kommune@example.invalid".into()],
    ))
    .await
    .map_err(fail)?;
    txn.commit().await.map_err(fail)
}

/// The bare transaction on a connection taken from `$pool`, opened with `$begin`. A macro,
/// not a function, because the SQLite and PostgreSQL connections are different types and the
/// bounds that would name both cost more lines than the body.
macro_rules! sqlx_bare_transaction {
    ($pool:expr, $begin:literal, $sql:expr, $case:expr, $payload:expr) => {{
        use sea_orm::sqlx::{Executor, Row, query};
        let fail = |e: sea_orm::sqlx::Error| e.to_string();
        let mut c = $pool.acquire().await.map_err(fail)?;
        c.execute($begin).await.map_err(fail)?;
        let seq: i32 = query($sql.bump)
            .bind($case)
            .fetch_one(&mut *c)
            .await
            .map_err(fail)?
            .get(0);
        query($sql.event)
            .bind($case)
            .bind(seq)
            .bind($payload)
            .execute(&mut *c)
            .await
            .map_err(fail)?;
        query($sql.outbox)
            .bind($case)
            .bind(seq)
            .bind("kommune@example.invalid")
            .execute(&mut *c)
            .await
            .map_err(fail)?;
        c.execute("COMMIT").await.map_err(fail)?;
    }};
}

async fn sqlx_transaction(
    conn: &DatabaseConnection,
    sql: &Sql,
    case: i64,
    payload: &str,
) -> Result<(), String> {
    match conn.get_database_backend() {
        DatabaseBackend::Sqlite => sqlx_bare_transaction!(
            conn.get_sqlite_connection_pool(),
            "BEGIN IMMEDIATE",
            sql,
            case,
            payload
        ),
        _ => sqlx_bare_transaction!(
            conn.get_postgres_connection_pool(),
            "BEGIN",
            sql,
            case,
            payload
        ),
    }
    Ok(())
}

/// Runs `transactions` bare transactions spread over `workers`, each on its own case row.
async fn run(
    conn: &DatabaseConnection,
    layer: Layer,
    workers: usize,
    transactions: usize,
) -> Result<Duration, String> {
    let sql = std::sync::Arc::new(Sql::for_backend(conn.get_database_backend()));
    let payload = std::sync::Arc::new(payload());
    let writers = db::WriteQueue::open(conn)
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..workers {
        let share = transactions / workers + usize::from(worker < transactions % workers);
        let (conn, sql, payload, writers) =
            (conn.clone(), sql.clone(), payload.clone(), writers.clone());
        tasks.spawn(async move {
            let case = i64::try_from(worker).unwrap_or(0);
            for _ in 0..share {
                match layer {
                    Layer::SeaOrm => {
                        sea_orm_transaction(&conn, &writers, &sql, case, &payload).await?;
                    }
                    Layer::Sqlx => sqlx_transaction(&conn, &sql, case, &payload).await?,
                }
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    Ok(started.elapsed())
}

/// One statement that touches no table, timed alone: the cost of a round trip to the driver.
async fn round_trip(conn: &DatabaseConnection, count: usize) -> Result<Duration, String> {
    let started = Instant::now();
    for _ in 0..count {
        conn.query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT 1",
        ))
        .await
        .map_err(|e| e.to_string())?;
    }
    Ok(started.elapsed())
}

/// Prints bare transactions per second through sea-orm and through sqlx, with 1 worker and
/// with `workers`, on `database` (or a fresh SQLite file as shipped).
///
/// # Errors
/// When the database cannot be used.
pub async fn floor(
    database: Option<&str>,
    scratch: &Path,
    workers: usize,
    transactions: usize,
) -> Result<(), String> {
    let conn = db::connect(database, scratch)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "bare transactions on {:?} with Overdrag's connection settings: BEGIN, a version bump returning its row, an event insert (about 2 KB), an outbox insert, COMMIT",
        conn.get_database_backend()
    );
    let trips = transactions.max(1000);
    let elapsed = round_trip(&conn, trips).await?;
    println!(
        "  one statement alone (SELECT 1) through sea-orm: {:.1} µs",
        elapsed.as_secs_f64() * 1e6 / trips as f64
    );
    for worker_count in [1, workers] {
        create_tables(&conn, worker_count).await?;
        for layer in [Layer::SeaOrm, Layer::Sqlx] {
            // A short warm-up fills the pool and the statement caches.
            run(&conn, layer, worker_count, worker_count * 20).await?;
            let elapsed = run(&conn, layer, worker_count, transactions).await?;
            println!(
                "  {:<8} workers {worker_count:>3}  transactions {transactions:>6}  {:>7.2} s  {:>8.1} transactions/s  {:>7.1} µs each",
                layer.name(),
                elapsed.as_secs_f64(),
                transactions as f64 / elapsed.as_secs_f64(),
                elapsed.as_secs_f64() * 1e6 / transactions as f64,
            );
        }
    }
    for table in ["floor_outbox", "floor_event", "floor_case"] {
        conn.execute_unprepared(&format!("DROP TABLE {table}"))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
