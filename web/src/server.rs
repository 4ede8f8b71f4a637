//! The HTTP server: health and readiness now; the API and pages are mounted here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use overdrag_engine::Engine;
use serde_json::json;

pub fn router(engine: Engine) -> Router {
    let (api, _) = crate::api::routes();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(api)
        .fallback(not_found)
        .with_state(engine)
}

async fn not_found() -> crate::api::problem::ApiError {
    overdrag_engine::EngineError::NotFound { what: "page" }.into()
}

/// The process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: the database answers.
async fn readyz(State(engine): State<Engine>) -> (StatusCode, Json<serde_json::Value>) {
    match engine.ping().await {
        Ok(_) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "workflows": engine.workflows().definitions().len() })),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": "the database does not answer" })),
            )
        }
    }
}

/// Serves until Ctrl-C or SIGTERM.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(engine: Engine, addr: std::net::SocketAddr) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr}: {e}; set OVERDRAG_ADDR to a free address")
    })?;
    tracing::info!("Overdrag listens on http://{addr}");
    axum::serve(listener, router(engine))
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
