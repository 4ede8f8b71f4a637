//! The database going away under a running server: PostgreSQL cuts every connection (as it
//! does when it is stopped or restarted), and the server answers 503 with a problem document,
//! never 500, and serves again without a restart once connections can be had. The stop and
//! start of the real server, and a request that must fail fast while it is down, are checked
//! by `scripts/faults.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use overdrag_tests::{TestDb, person_with_token};
use sea_orm::{ConnectionTrait, Database};
use tower::ServiceExt;

/// The status, content type and body of `GET uri`.
async fn get(app: &Router, uri: &str, token: &str) -> (StatusCode, String, String) {
    let request = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = to_bytes(response.into_body(), 1024 * 1024).await.unwrap();
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Terminates every connection to the test database but the one that asks, as a stopping
/// PostgreSQL does: the server's pooled connections are dead from now on.
async fn cut_connections(url: &str) {
    let admin = Database::connect(url).await.unwrap();
    admin
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await
        .unwrap();
    admin.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run with --include-ignored (.ci/run does)"]
async fn cut_connections_answer_503_with_a_problem_and_the_server_recovers() {
    let db = TestDb::postgres().await;
    let (_, token) =
        person_with_token(&db.engine, "mette@rm.dk", "midtjylland", "secretariat").await;
    let app = overdrag::server::router(db.engine.clone());
    // A few requests at once, so the pool holds several connections.
    let warm: Vec<_> = (0..4)
        .map(|_| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move { get(&app, "/api/v1/cases", &token).await.0 })
        })
        .collect();
    for request in warm {
        assert_eq!(request.await.unwrap(), StatusCode::OK);
    }

    cut_connections(&db.url).await;
    let (status, content_type, body) = get(&app, "/api/v1/cases", &token).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert!(body.contains("urn:overdrag:problem:unavailable"), "{body}");

    // Each dead connection fails once and is dropped; then the pool connects anew.
    let mut answers = Vec::new();
    loop {
        let (status, _, body) = get(&app, "/api/v1/cases", &token).await;
        answers.push(status);
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(answers.len() < 40, "no recovery: {answers:?}");
    }

    cut_connections(&db.url).await;
    let (status, content_type, body) = get(&app, "/readyz", &token).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(content_type, "application/problem+json", "{body}");
    let mut ready = false;
    for _ in 0..40 {
        if get(&app, "/readyz", &token).await.0 == StatusCode::OK {
            ready = true;
            break;
        }
    }
    assert!(ready, "/readyz did not recover");
    db.finish().await;
}
