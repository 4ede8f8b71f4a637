//! `/metrics` for the operator, in the Prometheus text format: requests and their latency per
//! route, durable steps committed and refused, the outbox, reminder runs and the database
//! pool. It answers only a bearer token equal to `OVERDRAG_METRICS_TOKEN`, and is not there
//! at all when that is unset: the figures tell an outsider how busy a region's cases are.

use crate::api::problem::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use overdrag_engine::Engine;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/api/v1/cases/{id}`), never the path itself, so a series stays
    /// one per route; requests that matched no route count as `unmatched`.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// Latency buckets from 1 ms to about 8 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

/// The series of one server, and the token that may read them.
#[derive(Clone, Debug)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    /// The SHA-256 of the token, compared digest to digest so the comparison takes no longer
    /// for a nearly right token.
    token_digest: Option<[u8; 32]>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    outbox_waiting: Gauge,
    outbox_oldest_seconds: Gauge<f64, AtomicU64>,
    mails_failed: Gauge,
    pool_open: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

impl Metrics {
    /// The series for `engine`'s server; `/metrics` answers `token` only, and is off without.
    pub fn new(engine: &Engine, token: Option<&str>) -> Self {
        let mut registry = Registry::with_prefix("overdrag");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by method, route and status",
            requests.clone(),
        );
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response, by method and route",
            latency.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let outbox_waiting = gauge(&mut registry, "outbox_waiting", "Mails not yet sent");
        let outbox_oldest_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "outbox_oldest_waiting_seconds",
            "Age of the oldest mail not yet sent; 0 when none waits",
            outbox_oldest_seconds.clone(),
        );
        let mails_failed = gauge(
            &mut registry,
            "mails_failed",
            "Mails given up on, waiting for an administrator to resend them",
        );
        let pool_open = gauge(
            &mut registry,
            "db_pool_connections_open",
            "Connections the read pool holds open",
        );
        let pool_idle = gauge(
            &mut registry,
            "db_pool_connections_idle",
            "Open connections of the read pool not in use",
        );
        let pool_max = gauge(
            &mut registry,
            "db_pool_connections_max",
            "The most connections the read pool opens",
        );
        registry.register_collector(Box::new(EngineCounters(engine.clone())));
        Self {
            inner: Arc::new(Inner {
                registry,
                token_digest: token.map(|t| Sha256::digest(t.as_bytes()).into()),
                requests,
                latency,
                outbox_waiting,
                outbox_oldest_seconds,
                mails_failed,
                pool_open,
                pool_idle,
                pool_max,
            }),
        }
    }

    /// Whether `/metrics` is served at all.
    pub fn enabled(&self) -> bool {
        self.inner.token_digest.is_some()
    }

    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = self.inner.token_digest else {
            return false;
        };
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        given.is_some_and(|token| <[u8; 32]>::from(Sha256::digest(token.as_bytes())) == expected)
    }

    fn record(&self, method: &str, route: &str, status: StatusCode, started: Instant) {
        self.inner
            .requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.inner
            .latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
    }

    async fn render(&self, engine: &Engine) -> Result<String, ApiError> {
        let outbox = engine.outbox_state().await?;
        let inner = &self.inner;
        inner.outbox_waiting.set(gauge_value(outbox.waiting));
        inner.mails_failed.set(gauge_value(outbox.failed));
        let oldest = outbox.oldest_waiting_since.map_or(0.0, |since| {
            #[allow(clippy::cast_precision_loss)]
            let ms = (Utc::now() - since).num_milliseconds().max(0) as f64;
            ms / 1000.0
        });
        inner.outbox_oldest_seconds.set(oldest);
        let pool = engine.pool_use();
        inner.pool_open.set(i64::from(pool.open));
        inner.pool_idle.set(i64::from(pool.idle));
        inner.pool_max.set(i64::from(pool.max));
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &inner.registry)
            .map_err(|_| ApiError::Unavailable("the metrics could not be written".into()))?;
        Ok(text)
    }
}

fn gauge_value(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// The engine's own counts, read at each scrape.
#[derive(Debug)]
struct EngineCounters(Engine);

impl Collector for EngineCounters {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counters = self.0.counters();
        let (runs, failed_runs) = counters.reminder_runs();
        for (name, help, value) in [
            (
                "steps_committed",
                "Durable steps committed: a case changed, journaled and its mails enqueued",
                counters.committed(),
            ),
            (
                "steps_refused",
                "Steps refused by a guard, a role, a stale version or the database",
                counters.refused(),
            ),
            ("reminder_runs", "Rounds of the reminder worker", runs),
            (
                "reminder_runs_failed",
                "Rounds of the reminder worker that failed and will be retried",
                failed_runs,
            ),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

/// Counts every request and its latency under its route.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics.record(&method, &route, response.status(), started);
    response
}

/// `GET /metrics`: 404 when no token is configured, 401 without the right bearer token.
pub async fn scrape(
    State((engine, metrics)): State<(Engine, Metrics)>,
    headers: HeaderMap,
) -> Response {
    if !metrics.enabled() {
        return StatusCode::NOT_FOUND.into_response();
    }
    if !metrics.admits(&headers) {
        return ApiError::Unauthorized.into_response();
    }
    match metrics.render(&engine).await {
        Ok(text) => (
            [(
                CONTENT_TYPE,
                prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}
