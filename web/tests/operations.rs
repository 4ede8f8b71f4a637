//! What an operator scripts against: `/metrics` scraped as Prometheus does, the request id on
//! every answer, and a SQLite backup taken under load and restored into a fresh directory
//! with every journal verified.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use overdrag::config::Secret;
use overdrag::server::{ServerSettings, router_with};
use overdrag_engine::Engine;
use overdrag_engine::cases::NewCase;
use overdrag_engine::mail::Reminders;
use overdrag_tests::{TestDb, on_both_databases, party, person_with_token};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use tower::ServiceExt;

const TOKEN: &str = "operator-metrics-token";

struct Answer {
    status: StatusCode,
    request_id: Option<String>,
    text: String,
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    Answer {
        status: response.status(),
        request_id: response
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned()),
        text: String::from_utf8(
            to_bytes(response.into_body(), 1 << 24)
                .await
                .unwrap()
                .to_vec(),
        )
        .unwrap(),
    }
}

fn with_metrics(engine: &Engine) -> Router {
    router_with(
        engine.clone(),
        &ServerSettings {
            metrics_token: Some(Secret::new(TOKEN)),
            ..ServerSettings::default()
        },
    )
    .unwrap()
}

/// The value of the sample `series` (name and labels exactly as exposed), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.trim().parse().unwrap())
}

/// `/metrics` answers the operator's token only, and is not there when no token is set.
async fn metrics_answer_only_the_operators_token(db: &TestDb) {
    let app = with_metrics(&db.engine);
    let scrape = |headers: &'static [(&'static str, &'static str)]| {
        let app = app.clone();
        async move { send(&app, Method::GET, "/metrics", headers, None).await }
    };
    assert_eq!(scrape(&[]).await.status, StatusCode::UNAUTHORIZED);
    let wrong = scrape(&[("authorization", "Bearer operator-metrics-tokeN")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(!wrong.text.contains("overdrag_"), "{}", wrong.text);
    let right = scrape(&[("authorization", "Bearer operator-metrics-token")]).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.text);

    let off = overdrag::server::router(db.engine.clone());
    let answer = send(
        &off,
        Method::GET,
        "/metrics",
        &[("authorization", "Bearer operator-metrics-token")],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

/// After a case is created, a stale change refused and a good one committed, a reminder
/// round run and a mail enqueued, the scrape holds every named series with those counts.
async fn a_scrape_holds_the_named_series(db: &TestDb) {
    let engine = &db.engine;
    let app = with_metrics(engine);
    let (_, proposer) = person_with_token(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let bearer = format!("Bearer {proposer}");
    let auth = [("authorization", bearer.as_str())];
    let created = send(
        &app,
        Method::POST,
        "/api/v1/cases",
        &auth,
        Some(&json!({
            "region": "syddanmark", "title": "IV-behandling i eget hjem", "kind": "transfer",
            "giving_party": party(engine, "syddanmark", "Odense Universitetshospital").await,
            "receiving_party": party(engine, "syddanmark", "Odense Kommune").await,
        })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let case: Value = serde_json::from_str(&created.text).unwrap();
    let description = |version: i64| json!({ "expected_version": version, "description": { "task": "IV-antibiotika gives i eget hjem." } });
    let uri = format!("/api/v1/cases/{}/description", case["id"]);
    let stale = send(&app, Method::PUT, &uri, &auth, Some(&description(99))).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    let version = case["version"].as_i64().unwrap();
    let saved = send(&app, Method::PUT, &uri, &auth, Some(&description(version))).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    Reminders::new(engine.clone(), 3).run_once().await.unwrap();

    let scraped = send(
        &app,
        Method::GET,
        "/metrics",
        &[("authorization", "Bearer operator-metrics-token")],
        None,
    )
    .await;
    assert_eq!(scraped.status, StatusCode::OK);
    let text = &scraped.text;
    for (series, value) in [
        (
            r#"overdrag_http_requests_total{method="POST",route="/api/v1/cases",status="201"}"#,
            1.0,
        ),
        (
            r#"overdrag_http_requests_total{method="PUT",route="/api/v1/cases/{id}/description",status="409"}"#,
            1.0,
        ),
        (
            r#"overdrag_http_requests_total{method="PUT",route="/api/v1/cases/{id}/description",status="200"}"#,
            1.0,
        ),
        (
            r#"overdrag_http_request_duration_seconds_count{method="PUT",route="/api/v1/cases/{id}/description"}"#,
            2.0,
        ),
        ("overdrag_steps_committed_total", 2.0),
        ("overdrag_steps_refused_total", 1.0),
        ("overdrag_reminder_runs_total", 1.0),
        ("overdrag_reminder_runs_failed_total", 0.0),
        ("overdrag_mails_failed", 0.0),
    ] {
        assert_eq!(sample(text, series), Some(value), "{series} in\n{text}");
    }
    for series in [
        "overdrag_outbox_waiting",
        "overdrag_outbox_oldest_waiting_seconds",
        "overdrag_db_pool_connections_open",
        "overdrag_db_pool_connections_idle",
        "overdrag_db_pool_connections_max",
    ] {
        assert!(sample(text, series).is_some(), "{series} in\n{text}");
    }
    assert!(sample(text, "overdrag_db_pool_connections_max").unwrap() >= 1.0);
    assert!(
        text.contains("# TYPE overdrag_http_request_duration_seconds histogram"),
        "{text}"
    );
}

/// Every answer carries a request id; one the caller sends is kept, so a client's id and the
/// server's log lines meet.
async fn every_answer_carries_its_request_id(db: &TestDb) {
    let app = overdrag::server::router(db.engine.clone());
    let first = send(&app, Method::GET, "/healthz", &[], None).await;
    let second = send(&app, Method::GET, "/login", &[], None).await;
    let (first, second) = (first.request_id.unwrap(), second.request_id.unwrap());
    assert_eq!(first.len(), 36, "a UUID: {first}");
    assert_ne!(first, second);
    let given = send(
        &app,
        Method::GET,
        "/healthz",
        &[("x-request-id", "client-chosen-7")],
        None,
    )
    .await;
    assert_eq!(given.request_id.as_deref(), Some("client-chosen-7"));
}

on_both_databases!(
    metrics_answer_only_the_operators_token,
    a_scrape_holds_the_named_series,
    every_answer_carries_its_request_id,
);

fn overdrag(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_overdrag"));
    command
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("OVERDRAG_DATA_DIR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("overdrag runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("overdrag-ops-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn cases_in(engine: &Engine) -> usize {
    overdrag_engine::operations::verify_all_journals(engine.db())
        .await
        .unwrap()
        .cases
}

/// `overdrag backup` copies the database while writers keep committing cases; the copy
/// restored into a fresh directory with `overdrag restore` holds a moment's cases, each
/// journal verified, and restore refuses to overwrite a database or to take a damaged file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_load_restores_with_every_journal_verified() {
    let db = TestDb::sqlite().await;
    let engine = db.engine.clone();
    let proposer = person_with_token(&engine, "anne@ouh.dk", "syddanmark", "proposer")
        .await
        .0;
    let hospital = party(&engine, "syddanmark", "Odense Universitetshospital").await;
    let odense = party(&engine, "syddanmark", "Odense Kommune").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|writer| {
            let (engine, proposer, stop) = (engine.clone(), proposer.clone(), stop.clone());
            tokio::spawn(async move {
                let mut written = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || written < 5 {
                    let case = engine
                        .create_case(
                            &proposer,
                            NewCase {
                                region: "syddanmark".into(),
                                title: format!("Opgave {writer}-{written} under backup"),
                                kind: "transfer".into(),
                                giving_party_id: hospital,
                                receiving_party_id: odense,
                            },
                        )
                        .await
                        .unwrap();
                    engine
                        .transition(&proposer, case.id, case.version, "submit", None)
                        .await
                        .ok();
                    written += 1;
                }
                written
            })
        })
        .collect();
    while cases_in(&engine).await < 10 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before = cases_in(&engine).await;
    let dir = scratch("backup");
    let file = dir.join("overdrag-backup.db");
    let url = db.url.clone();
    let file_arg = file.to_str().unwrap().to_owned();
    let backup = tokio::task::spawn_blocking(move || {
        overdrag(&["backup", &file_arg], &[("DATABASE_URL", &url)])
    })
    .await
    .unwrap();
    let after = cases_in(&engine).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for writer in writers {
        total += writer.await.unwrap();
    }
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(String::from_utf8_lossy(&backup.stdout).contains("backed up to"));
    assert!(
        after > before,
        "the writers committed while the backup ran: {before} → {after} (of {total})"
    );
    let again = overdrag(
        &["backup", file.to_str().unwrap()],
        &[("DATABASE_URL", &db.url)],
    );
    assert!(!again.status.success(), "a backup never overwrites a file");

    let fresh = scratch("restored");
    let fresh_arg = fresh.to_str().unwrap();
    let restore = overdrag(
        &["restore", file.to_str().unwrap()],
        &[("OVERDRAG_DATA_DIR", fresh_arg)],
    );
    let stdout = String::from_utf8_lossy(&restore.stdout).into_owned();
    assert!(
        restore.status.success(),
        "{}{stdout}",
        String::from_utf8_lossy(&restore.stderr)
    );
    assert!(stdout.contains("every journal verified"), "{stdout}");
    let restored = overdrag_engine::storage::db::connect(None, &fresh)
        .await
        .unwrap();
    let check = overdrag_engine::operations::verify_all_journals(&restored)
        .await
        .unwrap();
    restored.close().await.unwrap();
    assert!(check.broken.is_empty(), "{:?}", check.broken);
    assert!(
        (before..=after).contains(&check.cases),
        "the copy holds one moment's cases: {before} ≤ {} ≤ {after}",
        check.cases
    );
    assert!(
        stdout.contains(&format!("{} cases", check.cases)),
        "{stdout}"
    );
    assert!(check.events >= check.cases);

    let over = overdrag(
        &["restore", file.to_str().unwrap()],
        &[("OVERDRAG_DATA_DIR", fresh_arg)],
    );
    assert!(!over.status.success());
    assert!(String::from_utf8_lossy(&over.stderr).contains("--replace"));

    let damaged = dir.join("damaged.db");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 4096].fill(0xA5);
    std::fs::write(&damaged, bytes).unwrap();
    let refused = overdrag(
        &["restore", damaged.to_str().unwrap(), "--replace"],
        &[("OVERDRAG_DATA_DIR", fresh_arg)],
    );
    assert!(!refused.status.success(), "a damaged backup is refused");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("nothing was restored"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_restored_database_untouched(&fresh, check.cases).await;
    db.finish().await;
}

async fn assert_restored_database_untouched(dir: &Path, cases: usize) {
    let restored = overdrag_engine::storage::db::connect(None, dir)
        .await
        .unwrap();
    let check = overdrag_engine::operations::verify_all_journals(&restored)
        .await
        .unwrap();
    restored.close().await.unwrap();
    assert_eq!(check.cases, cases, "a refused restore leaves the database");
}

/// The server started with `OVERDRAG_LOG_FORMAT=json` writes one JSON line per request,
/// carrying the request id its answer carries.
#[test]
fn each_request_is_logged_once_as_json_under_its_id() {
    use std::io::{Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = scratch("json-log");
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_overdrag"))
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("OVERDRAG_DATA_DIR", &dir)
        .env("OVERDRAG_ADDR", format!("127.0.0.1:{port}"))
        .env("OVERDRAG_LOG_FORMAT", "json")
        .stderr(log)
        .spawn()
        .unwrap();
    let get = |path: &str, id: &str| -> Option<String> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nx-request-id: {id}\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        Some(answer)
    };
    let mut answer = None;
    for _ in 0..300 {
        answer = get("/readyz", "probe").filter(|a| a.starts_with("HTTP/1.1 200"));
        if answer.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(answer.is_some(), "the server did not become ready");
    let answer = get("/cases/12345", "log-test-4711").unwrap();
    assert!(
        answer
            .to_lowercase()
            .contains("x-request-id: log-test-4711"),
        "{answer}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    server.kill().unwrap();
    server.wait().unwrap();
    let logged = std::fs::read_to_string(dir.join("server.log")).unwrap();
    let lines: Vec<Value> = logged
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let of_request: Vec<&Value> = lines
        .iter()
        .filter(|line| line["span"]["id"] == "log-test-4711")
        .collect();
    assert_eq!(of_request.len(), 1, "one line per request:\n{logged}");
    let line = of_request[0];
    assert_eq!(line["span"]["path"], "/cases/12345", "{line}");
    assert_eq!(line["span"]["method"], "GET", "{line}");
    assert!(line["fields"]["status"].is_number(), "{line}");
    assert!(line["fields"]["latency"].is_string(), "{line}");
}
