//! The HTTP server: health and readiness, the API and the pages.

use crate::api::problem::ApiError;
use crate::config::Secret;
use crate::metrics::Metrics;
use crate::pages::PageSettings;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use overdrag_engine::Engine;
use serde_json::json;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// How long the readiness check waits for the database: a probe must not hang while the pool
/// waits for a server that is down.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// What the server is started with besides the engine.
#[derive(Clone, Debug, Default)]
pub struct ServerSettings {
    pub pages: PageSettings,
    /// `OVERDRAG_METRICS_TOKEN`: the bearer token `/metrics` answers; unset, it is off.
    pub metrics_token: Option<Secret>,
}

/// The whole application with the default settings (cookies without `Secure`, no
/// `/metrics`), as tests use it.
///
/// # Panics
/// When an embedded template or text table does not compile: a build bug the tests catch.
#[allow(clippy::expect_used)]
pub fn router(engine: Engine) -> Router {
    router_with(engine, &ServerSettings::default()).expect("the embedded page templates compile")
}

/// The whole application: health, `/metrics`, the API under `/api/v1`, the pages and
/// `/static/`, each answer with the headers of [`crate::headers`] and an `x-request-id`, each
/// request counted and logged on one line under its id.
///
/// # Errors
/// When an embedded template or text table does not compile.
pub fn router_with(engine: Engine, settings: &ServerSettings) -> Result<Router, String> {
    let (api, _) = crate::api::routes();
    let pages = crate::pages::routes(engine.clone(), &settings.pages)?;
    let metrics = Metrics::new(&engine, settings.metrics_token.as_ref().map(Secret::expose));
    let scrape = Router::new()
        .route("/metrics", get(crate::metrics::scrape))
        .with_state((engine.clone(), metrics.clone()));
    Ok(Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(api)
        .with_state(engine)
        .merge(pages)
        .merge(scrape)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        .layer(axum::middleware::from_fn(crate::headers::hardened))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid)))
}

/// The span every log line of a request is written in: its id, method and path (a hearing
/// link's token left out, as it opens the hearing to whoever holds it).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
    )
}

/// `path` with the secret of a hearing link replaced by `…`.
fn loggable_path(path: &str) -> String {
    for prefix in ["/hearing/", "/api/v1/hearing-links/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            return format!("{prefix}…{tail}");
        }
    }
    path.to_owned()
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
    settings: &ServerSettings,
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

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn a_hearing_links_token_stays_out_of_the_log() {
        assert_eq!(loggable_path("/hearing/hrg_abc123"), "/hearing/…");
        assert_eq!(
            loggable_path("/api/v1/hearing-links/hrg_abc123/x"),
            "/api/v1/hearing-links/…/x"
        );
        assert_eq!(loggable_path("/cases/7"), "/cases/7");
    }
}
