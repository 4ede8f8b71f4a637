//! The HTTP load: N concurrent users each drive whole lifecycles through the JSON API with
//! bearer tokens, as another system would, against a server started in this process on a
//! loopback port, or against servers already running elsewhere (`--target`, users spread
//! over them). Every request's latency is kept per endpoint; anything but a 2xx is an error,
//! except a 409 (a stale version), which is counted apart.
//!
//! Riding out faults (`--tolerate-faults`): while a server is killed or the database is
//! down, connection errors and 503s are counted by kind and the step is tried again. Before
//! it is sent again the case is read back: if its version moved on, the step had committed
//! and only its answer was lost, so it is not repeated. A lost answer to a create is found
//! by the case's unique title. A 500, another 5xx, a 503 without a problem document or a
//! request that hangs is a defect: the run fails at the end, naming how many.
//!
//! Racing (`--race`): each transition is sent to two servers at once with the same version;
//! exactly one may win and the other must get 409, or an update was lost.

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
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Requests by endpoint, with their latencies.
type Latencies = BTreeMap<&'static str, Vec<Duration>>;

/// A request that takes longer than this is counted as a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Fault kinds a run rides out; any other kind is a defect of the server.
const TOLERATED: [&str; 2] = ["connection error", "HTTP 503"];

/// Why a request did not give an answer to go on with.
#[derive(Debug)]
enum CallError {
    /// The server or the database is away for now (or misbehaves while it is): the kind, for
    /// counting, and what happened.
    Fault(String, String),
    /// An answer the lifecycle cannot go on from.
    Fatal(String),
}

impl From<CallError> for String {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Fault(_, detail) | CallError::Fatal(detail) => detail,
        }
    }
}

/// What a run that rides out faults saw.
#[derive(Debug, Default)]
struct Faults {
    patience: Duration,
    by_kind: std::sync::Mutex<BTreeMap<String, usize>>,
    /// Steps sent again after the case showed they had not committed.
    resent: AtomicUsize,
    /// Steps whose answer was lost although they had committed.
    committed_unanswered: AtomicUsize,
}

impl Faults {
    fn count(&self, kind: &str) {
        if let Ok(mut by_kind) = self.by_kind.lock() {
            *by_kind.entry(kind.to_owned()).or_default() += 1;
        }
    }

    fn snapshot(&self) -> BTreeMap<String, usize> {
        self.by_kind.lock().map(|k| k.clone()).unwrap_or_default()
    }
}

/// How a run against servers elsewhere behaves.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Ride out faults, giving up on a step after this long.
    pub tolerate_faults: Option<Duration>,
    /// Send each transition to two servers at once.
    pub race: bool,
}

#[derive(Clone)]
pub struct Load {
    bench: Bench,
    targets: Arc<Vec<String>>,
    client: Client<HttpConnector, Full<Bytes>>,
    latencies: Arc<Mutex<Latencies>>,
    conflicts: Arc<AtomicUsize>,
    cases: Arc<Mutex<Vec<i64>>>,
    faults: Option<Arc<Faults>>,
    race: bool,
    races: Arc<AtomicUsize>,
    lifecycles_done: Arc<AtomicUsize>,
    lifecycles_begun: Arc<AtomicUsize>,
    /// Ask each change for only what was committed (`Prefer: return=minimal`).
    minimal: bool,
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

/// The HTTP client every load shares.
pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build(connector)
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
            let settings = overdrag::server::ServerSettings::default();
            if let Err(error) = overdrag::server::serve(engine, addr, &settings).await {
                eprintln!("the server stopped: {error}");
            }
        });
        let load = Self::new(bench, vec![format!("http://{addr}")], &Options::default());
        load.wait_healthy(Duration::from_secs(5)).await?;
        Ok(load)
    }

    /// Drives servers already running at `targets`, on the database `bench` prepared.
    ///
    /// # Errors
    /// When a target does not answer `/healthz` within a minute.
    pub async fn external(
        bench: Bench,
        targets: Vec<String>,
        options: &Options,
    ) -> Result<Self, String> {
        let targets = targets
            .into_iter()
            .map(|t| t.trim_end_matches('/').to_owned())
            .collect();
        let load = Self::new(bench, targets, options);
        load.wait_healthy(Duration::from_secs(60)).await?;
        Ok(load)
    }

    fn new(bench: Bench, targets: Vec<String>, options: &Options) -> Self {
        Self {
            bench,
            targets: Arc::new(targets),
            client: client(),
            latencies: Arc::default(),
            conflicts: Arc::default(),
            cases: Arc::default(),
            faults: options.tolerate_faults.map(|patience| {
                Arc::new(Faults {
                    patience,
                    ..Faults::default()
                })
            }),
            race: options.race,
            races: Arc::default(),
            lifecycles_done: Arc::default(),
            lifecycles_begun: Arc::default(),
            minimal: false,
        }
    }

    /// Asks each change for only what was committed (`Prefer: return=minimal`) instead of the
    /// whole case.
    #[must_use]
    pub fn preferring_minimal(mut self, minimal: bool) -> Self {
        self.minimal = minimal;
        self
    }

    async fn wait_healthy(&self, patience: Duration) -> Result<(), String> {
        let started = Instant::now();
        for base in self.targets.iter() {
            loop {
                match self.get_json(&format!("{base}/healthz")).await {
                    Ok(_) => break,
                    Err(error) if started.elapsed() > patience => {
                        return Err(format!("{base} does not answer /healthz: {error}"));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        }
        Ok(())
    }

    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let request = Request::get(url)
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

    /// One API call to the server at `base`, timed under `endpoint`.
    async fn call(
        &self,
        base: &str,
        endpoint: &'static str,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<Value, CallError> {
        let request = Request::builder()
            .method(method)
            .uri(format!("{base}/api/v1{path}"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, "application/json")
            .header(
                "prefer",
                if self.minimal {
                    "return=minimal"
                } else {
                    "return=representation"
                },
            )
            .body(Full::new(Bytes::from(
                body.map(Value::to_string).unwrap_or_default(),
            )))
            .map_err(|e| CallError::Fatal(e.to_string()))?;
        let started = Instant::now();
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                CallError::Fault(
                    "connection error".into(),
                    format!("{endpoint} at {base}: {e}"),
                )
            })?;
            let status = response.status();
            let problem = response
                .headers()
                .get(CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| {
                    CallError::Fault(
                        "connection error".into(),
                        format!("{endpoint} at {base}: the answer broke off: {e}"),
                    )
                })?
                .to_bytes();
            Ok::<_, CallError>((status, problem, bytes))
        };
        let (status, problem, bytes) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| {
                CallError::Fault(
                    "hang (no answer within 30 s)".into(),
                    format!("{endpoint} at {base}: no answer within 30 s"),
                )
            })??;
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
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| CallError::Fatal(format!("{endpoint}: {e}")));
        }
        let detail = format!(
            "{endpoint} at {base}: HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        Err(match status {
            StatusCode::SERVICE_UNAVAILABLE if problem => {
                CallError::Fault("HTTP 503".into(), detail)
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                CallError::Fault("HTTP 503 without a problem document".into(), detail)
            }
            s if s.is_server_error() => CallError::Fault(format!("HTTP {}", s.as_u16()), detail),
            _ => CallError::Fatal(detail),
        })
    }

    /// Waits a little before trying again; longer the more tries.
    async fn pause(tries: u32) {
        let millis = (100u64 << tries.min(4)).min(1_500);
        tokio::time::sleep(Duration::from_millis(millis)).await;
    }

    /// Counts a fault and says whether to keep trying; strict runs stop at the first.
    fn absorb(&self, error: CallError, started: Instant) -> Result<(), String> {
        match (error, &self.faults) {
            (CallError::Fault(kind, detail), Some(faults)) => {
                faults.count(&kind);
                if started.elapsed() > faults.patience {
                    Err(format!(
                        "gave up after {} s of faults: {detail}",
                        faults.patience.as_secs()
                    ))
                } else {
                    Ok(())
                }
            }
            (error, _) => Err(error.into()),
        }
    }

    /// The case as it is now, read until an answer comes.
    async fn reread(&self, base: &str, token: &str, id: i64) -> Result<Value, String> {
        let started = Instant::now();
        let path = format!("/cases/{id}");
        let mut tries = 0;
        loop {
            match self
                .call(base, "GET /cases/{id}", Method::GET, &path, token, None)
                .await
            {
                Ok(case) => return Ok(case),
                Err(error) => self.absorb(error, started)?,
            }
            Self::pause(tries).await;
            tries += 1;
        }
    }

    /// One durable step on case `id`, sent while the case is at `version`, until it gets an
    /// answer. After a fault the case is read back: if its version moved on, the step had
    /// committed (one user drives each case) and the case as it is now stands for the lost
    /// answer; otherwise the same step is sent again.
    async fn step<F, Fut>(
        &self,
        base: &str,
        token: &str,
        id: i64,
        version: i64,
        send: F,
    ) -> Result<Value, String>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Value, CallError>>,
    {
        let started = Instant::now();
        loop {
            let error = match send().await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            self.absorb(error, started)?;
            Self::pause(0).await;
            let case = self.reread(base, token, id).await?;
            let faults = self.faults.as_ref().ok_or("a fault in a strict run")?;
            if case["version"].as_i64().is_some_and(|now| now > version) {
                faults.committed_unanswered.fetch_add(1, Ordering::Relaxed);
                return Ok(case);
            }
            faults.resent.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A write to the case at its current version, through [`Load::step`]; `endpoint`
    /// names the method, `PUT …` or `POST …`.
    async fn write(
        &self,
        base: &str,
        endpoint: &'static str,
        token: &str,
        case: &Value,
        path: &str,
        body: Value,
    ) -> Result<Value, String> {
        let id = case["id"].as_i64().ok_or("the case has no id")?;
        let version = case["version"].as_i64().ok_or("the case has no version")?;
        let method = if endpoint.starts_with("PUT ") {
            Method::PUT
        } else {
            Method::POST
        };
        self.step(base, token, id, version, || {
            self.call(base, endpoint, method.clone(), path, token, Some(&body))
        })
        .await
    }

    async fn transition(
        &self,
        base: &str,
        token: &str,
        case: &Value,
        transition: &str,
    ) -> Result<Value, String> {
        let path = format!("/cases/{}/transitions", case["id"]);
        let body = json!({ "transition": transition, "expected_version": case["version"] });
        if self.race {
            return self.race_transition(base, token, case, &path, &body).await;
        }
        self.write(
            base,
            "POST /cases/{id}/transitions",
            token,
            case,
            &path,
            body,
        )
        .await
    }

    /// Sends one transition to this user's server and the next at the same moment, with the
    /// same version: exactly one may win, and the other must be told 409.
    async fn race_transition(
        &self,
        base: &str,
        token: &str,
        case: &Value,
        path: &str,
        body: &Value,
    ) -> Result<Value, String> {
        let index = self.targets.iter().position(|t| t == base).unwrap_or(0);
        let rival = &self.targets[(index + 1) % self.targets.len()];
        let endpoint = "POST /cases/{id}/transitions";
        let (first, second) = tokio::join!(
            self.call(base, endpoint, Method::POST, path, token, Some(body)),
            self.call(rival, endpoint, Method::POST, path, token, Some(body)),
        );
        self.races.fetch_add(1, Ordering::Relaxed);
        let lost = |e: &CallError| matches!(e, CallError::Fatal(d) if d.contains("HTTP 409"));
        match (first, second) {
            (Ok(won), Err(e)) | (Err(e), Ok(won)) if lost(&e) => Ok(won),
            (Ok(_), Ok(_)) => Err(format!(
                "lost update: {base} and {rival} both accepted {body} on case {}",
                case["id"]
            )),
            (Ok(_), Err(e)) | (Err(e), Ok(_)) => Err(format!(
                "the losing server of a race answered other than 409: {}",
                String::from(e)
            )),
            (Err(a), Err(b)) => Err(format!(
                "neither server took the transition: {}; {}",
                String::from(a),
                String::from(b)
            )),
        }
    }

    /// Creates the case titled with `tag`; after a fault the case is looked up by its tag
    /// first, so a create that committed is not made twice.
    async fn create(&self, base: &str, tag: &str) -> Result<Value, String> {
        let t = &self.bench.tokens;
        let parties = self.bench.parties;
        let body = json!({
            "region": "midtjylland", "title": format!("Subkutan væskebehandling i eget hjem ({tag})"),
            "kind": "transfer", "giving_party": parties[0], "receiving_party": parties[1],
        });
        let started = Instant::now();
        loop {
            let error = match self
                .call(
                    base,
                    "POST /cases",
                    Method::POST,
                    "/cases",
                    &t.proposer,
                    Some(&body),
                )
                .await
            {
                Ok(case) => return Ok(case),
                Err(error) => error,
            };
            self.absorb(error, started)?;
            let mut tries = 0;
            let found = loop {
                Self::pause(tries).await;
                tries += 1;
                let path = format!("/cases?q={tag}");
                match self
                    .call(base, "GET /cases", Method::GET, &path, &t.proposer, None)
                    .await
                {
                    Ok(page) => break page["items"][0]["id"].as_i64(),
                    Err(error) => self.absorb(error, started)?,
                }
            };
            let faults = self.faults.as_ref().ok_or("a fault in a strict run")?;
            match found {
                Some(id) => {
                    faults.committed_unanswered.fetch_add(1, Ordering::Relaxed);
                    return self.reread(base, &t.proposer, id).await;
                }
                None => faults.resent.fetch_add(1, Ordering::Relaxed),
            };
        }
    }

    /// One case from draft to closed through the API of the server at `base`; returns the
    /// durable steps taken.
    async fn lifecycle(&self, base: &str, number: usize) -> Result<usize, String> {
        let t = &self.bench.tokens;
        let parties = self.bench.parties;
        // Unique, and no tag is part of another: `lc-1-4-end` is not in `lc-1-40-end`.
        let tag = format!("lc-{}-{number}-end", std::process::id());
        let case = self.create(base, &tag).await?;
        let id = case["id"].as_i64().ok_or("the new case has no id")?;
        let case = self
            .write(
                base,
                "PUT /cases/{id}/description",
                &t.proposer,
                &case,
                &format!("/cases/{id}/description"),
                json!({ "expected_version": case["version"], "description": description() }),
            )
            .await?;
        let case = self.transition(base, &t.proposer, &case, "submit").await?;
        let case = self
            .transition(base, &t.secretariat, &case, "accept_description")
            .await?;
        let mut case = self
            .write(
                base,
                "PUT /cases/{id}/economics",
                &t.economist,
                &case,
                &format!("/cases/{id}/economics"),
                json!({ "expected_version": case["version"], "lines": economics(parties) }),
            )
            .await?;
        for side in ["giving", "receiving"] {
            case = self
                .write(
                    base,
                    "POST /cases/{id}/economics/signoffs",
                    &t.economist,
                    &case,
                    &format!("/cases/{id}/economics/signoffs"),
                    json!({ "expected_version": case["version"], "side": side }),
                )
                .await?;
        }
        let mut case = self
            .transition(base, &t.secretariat, &case, "send_to_steering_group")
            .await?;
        for (meeting, token, decision) in [
            (self.bench.steering_meeting, &t.steering, "recommend"),
            (self.bench.committee_meeting, &t.committee, "approve"),
        ] {
            self.write(
                base,
                "POST /meetings/{id}/agenda",
                &t.secretariat,
                &case,
                &format!("/meetings/{meeting}/agenda"),
                json!({ "case_id": id }),
            )
            .await?;
            // The agenda is published once, by the bench, after the first case went on it.
            self.bench.publish_once(meeting).await?;
            let placed = self.reread(base, token, id).await?;
            case = self.transition(base, token, &placed, decision).await?;
        }
        let case = self
            .transition(base, &t.secretariat, &case, "start_follow_up")
            .await?;
        let case = self
            .transition(base, &t.secretariat, &case, "close")
            .await?;
        if case["state"] != "closed" {
            return Err(format!("case {id} ended in {}", case["state"]));
        }
        self.cases.lock().await.push(id);
        self.lifecycles_done.fetch_add(1, Ordering::Relaxed);
        Ok(STEPS_PER_LIFECYCLE)
    }

    /// Runs `lifecycles` lifecycles with `users` concurrent users, spread over the targets;
    /// returns the steps taken.
    ///
    /// # Errors
    /// The first request that failed for good.
    pub async fn run(&self, lifecycles: usize, users: usize) -> Result<usize, String> {
        let next = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for user in 0..users.max(1) {
            let load = self.clone();
            let next = next.clone();
            let base = self.targets[user % self.targets.len()].clone();
            handles.push(tokio::spawn(async move {
                let mut steps = 0;
                while next.fetch_add(1, Ordering::Relaxed) < lifecycles {
                    let number = load.lifecycles_begun.fetch_add(1, Ordering::Relaxed);
                    steps += load.lifecycle(&base, number).await?;
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

    /// Lifecycles finished so far.
    pub fn lifecycles_done(&self) -> usize {
        self.lifecycles_done.load(Ordering::Relaxed)
    }

    /// The faults seen so far, by kind.
    pub fn faults_by_kind(&self) -> BTreeMap<String, usize> {
        self.faults
            .as_ref()
            .map(|f| f.snapshot())
            .unwrap_or_default()
    }

    /// What riding out the faults took, in words; an error when the servers misbehaved (a
    /// 500, a 503 without a problem document, a hang) rather than only being away.
    ///
    /// # Errors
    /// The defects, counted by kind.
    pub fn fault_summary(&self) -> Result<String, String> {
        let Some(faults) = &self.faults else {
            return Ok(String::new());
        };
        let by_kind = faults.snapshot();
        let words = if by_kind.is_empty() {
            "none".to_owned()
        } else {
            by_kind
                .iter()
                .map(|(kind, n)| format!("{kind} × {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let summary = format!(
            "faults ridden out: {words}; steps sent again {}; steps that had committed though their answer was lost {}",
            faults.resent.load(Ordering::Relaxed),
            faults.committed_unanswered.load(Ordering::Relaxed)
        );
        let defects: Vec<String> = by_kind
            .iter()
            .filter(|(kind, _)| !TOLERATED.contains(&kind.as_str()))
            .map(|(kind, n)| format!("{kind} × {n}"))
            .collect();
        if defects.is_empty() {
            Ok(summary)
        } else {
            Err(format!(
                "{summary}\nthe servers misbehaved rather than only being away: {}",
                defects.join(", ")
            ))
        }
    }

    /// Transitions raced between two servers, each won exactly once.
    pub fn races(&self) -> usize {
        self.races.load(Ordering::Relaxed)
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
