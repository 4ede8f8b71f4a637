//! The HTTP load: the server runs in this process on a loopback port, and N concurrent users
//! each drive whole lifecycles through the JSON API with bearer tokens, as another system
//! would. Every request's latency is kept per endpoint; anything but a 2xx is an error, except
//! a 409 (a stale version), which is counted apart.

use crate::lifecycle::{Bench, STEPS_PER_LIFECYCLE, description, economics};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Requests by endpoint, with their latencies.
type Latencies = BTreeMap<&'static str, Vec<Duration>>;

#[derive(Clone)]
pub struct Load {
    bench: Bench,
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    latencies: Arc<Mutex<Latencies>>,
    conflicts: Arc<AtomicUsize>,
    cases: Arc<Mutex<Vec<i64>>>,
}

/// One endpoint's figures.
#[derive(Debug)]
pub struct EndpointFigures {
    pub endpoint: &'static str,
    pub requests: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

impl Load {
    /// Starts the server on a free loopback port, in this process.
    ///
    /// # Errors
    /// When no port can be had.
    pub async fn start(bench: Bench) -> Result<Self, String> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free loopback port: {e}"))?;
        let engine = bench.engine.clone();
        tokio::spawn(async move {
            let settings = overdrag::pages::PageSettings::default();
            if let Err(error) = overdrag::server::serve(engine, addr, &settings).await {
                eprintln!("the server stopped: {error}");
            }
        });
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .build(connector);
        let load = Self {
            bench,
            base: format!("http://{addr}"),
            client,
            latencies: Arc::default(),
            conflicts: Arc::default(),
            cases: Arc::default(),
        };
        for _ in 0..100 {
            if load.get_json("/healthz").await.is_ok() {
                return Ok(load);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("the server did not answer /healthz".into())
    }

    async fn get_json(&self, path: &str) -> Result<Value, String> {
        let request = Request::get(format!("{}{path}", self.base))
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }

    /// One API call, timed under `endpoint`.
    async fn call(
        &self,
        endpoint: &'static str,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let request = Request::builder()
            .method(method)
            .uri(format!("{}/api/v1{path}", self.base))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            )))
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("{endpoint}: {e}"))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{endpoint}: {e}"))?
            .to_bytes();
        let took = started.elapsed();
        self.latencies
            .lock()
            .await
            .entry(endpoint)
            .or_default()
            .push(took);
        if status == StatusCode::CONFLICT {
            self.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        if !status.is_success() {
            return Err(format!(
                "{endpoint}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{endpoint}: {e}"))
    }

    async fn transition(
        &self,
        token: &str,
        case: &Value,
        transition: &str,
    ) -> Result<Value, String> {
        self.call(
            "POST /cases/{id}/transitions",
            Method::POST,
            &format!("/cases/{}/transitions", case["id"]),
            token,
            Some(json!({ "transition": transition, "expected_version": case["version"] })),
        )
        .await
    }

    /// One case from draft to closed through the API; returns the durable steps taken.
    async fn lifecycle(&self) -> Result<usize, String> {
        let t = &self.bench.tokens;
        let parties = self.bench.parties;
        let case = self
            .call(
                "POST /cases",
                Method::POST,
                "/cases",
                &t.proposer,
                Some(json!({
                    "region": "midtjylland", "title": "Subkutan væskebehandling i eget hjem",
                    "kind": "transfer", "giving_party": parties[0], "receiving_party": parties[1],
                })),
            )
            .await?;
        let id = case["id"].as_i64().ok_or("the new case has no id")?;
        let case = self
            .call(
                "PUT /cases/{id}/description",
                Method::PUT,
                &format!("/cases/{id}/description"),
                &t.proposer,
                Some(json!({ "expected_version": case["version"], "description": description() })),
            )
            .await?;
        let case = self.transition(&t.proposer, &case, "submit").await?;
        let case = self
            .transition(&t.secretariat, &case, "accept_description")
            .await?;
        let mut case = self
            .call(
                "PUT /cases/{id}/economics",
                Method::PUT,
                &format!("/cases/{id}/economics"),
                &t.economist,
                Some(json!({ "expected_version": case["version"], "lines": economics(parties) })),
            )
            .await?;
        for side in ["giving", "receiving"] {
            case = self
                .call(
                    "POST /cases/{id}/economics/signoffs",
                    Method::POST,
                    &format!("/cases/{id}/economics/signoffs"),
                    &t.economist,
                    Some(json!({ "expected_version": case["version"], "side": side })),
                )
                .await?;
        }
        self.transition(&t.secretariat, &case, "send_to_steering_group")
            .await?;
        for (meeting, token, decision) in [
            (self.bench.steering_meeting, &t.steering, "recommend"),
            (self.bench.committee_meeting, &t.committee, "approve"),
        ] {
            self.call(
                "POST /meetings/{id}/agenda",
                Method::POST,
                &format!("/meetings/{meeting}/agenda"),
                &t.secretariat,
                Some(json!({ "case_id": id })),
            )
            .await?;
            let case = self
                .call(
                    "GET /cases/{id}",
                    Method::GET,
                    &format!("/cases/{id}"),
                    token,
                    None,
                )
                .await?;
            self.transition(token, &case, decision).await?;
        }
        let case = self
            .call(
                "GET /cases/{id}",
                Method::GET,
                &format!("/cases/{id}"),
                &t.secretariat,
                None,
            )
            .await?;
        let case = self
            .transition(&t.secretariat, &case, "start_follow_up")
            .await?;
        let case = self.transition(&t.secretariat, &case, "close").await?;
        if case["state"] != "closed" {
            return Err(format!("case {id} ended in {}", case["state"]));
        }
        self.cases.lock().await.push(id);
        Ok(STEPS_PER_LIFECYCLE)
    }

    /// Runs `lifecycles` lifecycles with `users` concurrent users; returns the steps taken.
    ///
    /// # Errors
    /// The first request that failed.
    pub async fn run(&self, lifecycles: usize, users: usize) -> Result<usize, String> {
        let next = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..users.max(1) {
            let load = self.clone();
            let next = next.clone();
            handles.push(tokio::spawn(async move {
                let mut steps = 0;
                while next.fetch_add(1, Ordering::Relaxed) < lifecycles {
                    steps += load.lifecycle().await?;
                }
                Ok::<usize, String>(steps)
            }));
        }
        let mut steps = 0;
        for handle in handles {
            steps += handle.await.map_err(|e| e.to_string())??;
        }
        Ok(steps)
    }

    /// The figures per endpoint, and forgets them.
    pub async fn figures(&self) -> Vec<EndpointFigures> {
        let mut latencies = self.latencies.lock().await;
        let figures = latencies
            .iter_mut()
            .map(|(endpoint, took)| {
                took.sort();
                let at = |q: f64| {
                    let index = ((took.len() - 1) as f64 * q).round() as usize;
                    took[index]
                };
                EndpointFigures {
                    endpoint,
                    requests: took.len(),
                    p50: at(0.5),
                    p95: at(0.95),
                    p99: at(0.99),
                }
            })
            .collect();
        latencies.clear();
        figures
    }

    pub fn conflicts(&self) -> usize {
        self.conflicts.load(Ordering::Relaxed)
    }

    /// Every case driven over HTTP is closed, its journal verifies and it has mails in the
    /// outbox; returns how many were checked.
    ///
    /// # Errors
    /// The first case that does not hold.
    pub async fn check(&self) -> Result<usize, String> {
        use overdrag_engine::storage::entity::outbox;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let ids = self.cases.lock().await.clone();
        let engine = &self.bench.engine;
        for id in &ids {
            let chain = engine
                .verify_journal(*id)
                .await
                .map_err(|e| e.to_string())?;
            if !chain.verified {
                return Err(format!("the journal of case {id} does not verify"));
            }
            let mails = outbox::Entity::find()
                .filter(outbox::Column::CaseId.eq(*id))
                .count(engine.db())
                .await
                .map_err(|e| e.to_string())?;
            if mails == 0 {
                return Err(format!("case {id} has no mails in the outbox"));
            }
        }
        Ok(ids.len())
    }
}
