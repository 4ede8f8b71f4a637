//! The HTTP server: health and readiness, the API and the pages.

use crate::api::problem::ApiError;
use crate::pages::PageSettings;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use overdrag_engine::Engine;
use serde_json::json;
use std::time::Duration;

/// How long the readiness check waits for the database: a probe must not hang while the pool
/// waits for a server that is down.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The whole application with the default page settings (cookies without `Secure`), as tests
/// use it.
///
/// # Panics
/// When an embedded template or text table does not compile: a build bug the tests catch.
#[allow(clippy::expect_used)]
pub fn router(engine: Engine) -> Router {
    router_with(engine, &PageSettings::default()).expect("the embedded page templates compile")
}

/// The whole application: health, the API under `/api/v1`, the pages and `/static/`, each
/// answer with the headers of [`crate::headers`].
///
/// # Errors
/// When an embedded template or text table does not compile.
pub fn router_with(engine: Engine, settings: &PageSettings) -> Result<Router, String> {
    let (api, _) = crate::api::routes();
    let pages = crate::pages::routes(engine.clone(), settings)?;
    Ok(Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(api)
        .with_state(engine)
        .merge(pages)
        .layer(axum::middleware::from_fn(crate::headers::hardened)))
}

/// The process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: the database answers within [`READY_TIMEOUT`]. Otherwise 503 with a
/// problem document, as every request answers while the database is away.
async fn readyz(State(engine): State<Engine>) -> Response {
    let reason = match tokio::time::timeout(READY_TIMEOUT, engine.ping()).await {
        Ok(Ok(())) => {
            let workflows = engine.workflows().definitions().len();
            return Json(json!({ "status": "ready", "workflows": workflows })).into_response();
        }
        Ok(Err(error)) => error.to_string(),
        Err(_) => format!("no answer within {} s", READY_TIMEOUT.as_secs()),
    };
    ApiError::Unavailable(reason).into_response()
}

/// Serves until Ctrl-C or SIGTERM.
///
/// # Errors
/// When the address cannot be bound, or a page template does not compile.
pub async fn serve(
    engine: Engine,
    addr: std::net::SocketAddr,
    settings: &PageSettings,
) -> Result<(), String> {
    let app = router_with(engine, settings)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr}: {e}; set OVERDRAG_ADDR to a free address")
    })?;
    tracing::info!("Overdrag listens on http://{addr}");
    // A make-service hands each connection the same router. Given the router itself, axum
    // copies all its routes and handlers for every connection it accepts.
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down");
}
