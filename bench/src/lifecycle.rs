//! One handover lifecycle in Region Midtjylland (which holds no separate hearing), driven step
//! by step through the engine's public operations, by the people whose role each step needs.

use chrono::Utc;
use overdrag_engine::cases::NewCase;
use overdrag_engine::cases::meetings::NewMeeting;
use overdrag_engine::domain::description::ProfessionalDescription;
use overdrag_engine::domain::economics::EconomicsLine;
use overdrag_engine::domain::role::Side;
use overdrag_engine::mail::MailTemplates;
use overdrag_engine::storage::db;
use overdrag_engine::users::{self, NewUser};
use overdrag_engine::workflow::WorkflowSet;
use overdrag_engine::{Actor, Engine};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const REGION: &str = "midtjylland";

/// The steps in the order a lifecycle takes them; the reloads (twice) are not durable steps.
const STEP_ORDER: [&str; 15] = [
    "create",
    "description",
    "submit",
    "accept",
    "economics",
    "sign-off giving",
    "sign-off receiving",
    "to the steering group",
    "steering-group agenda",
    "reload",
    "recommend",
    "committee agenda",
    "approve",
    "follow-up",
    "close",
];

/// Durable steps in one lifecycle: each is one committed transaction.
pub const STEPS_PER_LIFECYCLE: usize = 14;

/// The people and parties every lifecycle uses, and the meetings its cases go on.
#[derive(Clone)]
pub struct Bench {
    pub engine: Engine,
    /// An API token per role, for the HTTP load.
    pub tokens: Tokens,
    backend: String,
    proposer: Actor,
    secretariat: Actor,
    economist: Actor,
    steering: Actor,
    committee: Actor,
    pub parties: [i64; 3],
    pub steering_meeting: i64,
    pub committee_meeting: i64,
    /// Set once each meeting's agenda is published, after the first case went on it.
    steering_published: Arc<tokio::sync::OnceCell<()>>,
    committee_published: Arc<tokio::sync::OnceCell<()>>,
    case_ids: Arc<Mutex<Vec<i64>>>,
    timings: Arc<Mutex<BTreeMap<&'static str, Vec<Duration>>>>,
    /// Statements sent to the database, and the time spent in the driver, over the whole run.
    pub statements: Arc<DriverCount>,
    /// Whether each step also reads the whole case back, as an API call without
    /// `Prefer: return=minimal` does.
    read_back: bool,
}

/// What the database driver reports: statements and the time they took.
#[derive(Debug, Default)]
pub struct DriverCount {
    statements: AtomicUsize,
    nanos: AtomicU64,
}

impl DriverCount {
    /// Statements and driver time so far.
    pub fn read(&self) -> (usize, Duration) {
        (
            self.statements.load(Ordering::Relaxed),
            Duration::from_nanos(self.nanos.load(Ordering::Relaxed)),
        )
    }
}

/// The bearer token of each person.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub proposer: String,
    pub secretariat: String,
    pub economist: String,
    pub steering: String,
    pub committee: String,
}

/// The time each step of one lifecycle took.
struct StepClock {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Default for StepClock {
    fn default() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }
}

impl StepClock {
    fn lap(&mut self, step: &'static str) {
        let now = Instant::now();
        self.laps.push((step, now - self.last));
        self.last = now;
    }
}

pub fn description() -> ProfessionalDescription {
    let paragraph = |topic: &str| {
        format!(
            "{topic}: Opgaven varetages efter fælles instruks mellem hospital og kommune. \
             Ansvaret for behandlingen ligger hos den ordinerende læge, mens udførelsen \
             overgår til hjemmesygeplejen efter oplæring og godkendt kompetenceprofil."
        )
    };
    ProfessionalDescription {
        task: paragraph("Opgave"),
        target_group: paragraph("Målgruppe"),
        volume_per_year: Some(420),
        competences: paragraph("Kompetencer"),
        responsibility: paragraph("Ansvar"),
        quality_and_safety: paragraph("Kvalitet og patientsikkerhed"),
        equipment: paragraph("Udstyr"),
        training: paragraph("Oplæring"),
        documentation: paragraph("Dokumentation"),
        timeline: paragraph("Tidsplan"),
        evidence: paragraph("Evidens"),
    }
}

pub fn economics(parties: [i64; 3]) -> Vec<EconomicsLine> {
    let mut lines = Vec::new();
    for year in 2027..2031 {
        for (n, party_id) in parties.into_iter().enumerate() {
            let n = i64::try_from(n).unwrap_or(0);
            lines.push(EconomicsLine {
                party_id,
                year,
                one_off_costs: if year == 2027 { 150_000 * (n + 1) } else { 0 },
                running_costs: 1_200_000 * n,
                savings: if n == 0 { 2_900_000 } else { 0 },
            });
        }
    }
    lines
}

async fn person(engine: &Engine, role: &str) -> Result<(Actor, String), String> {
    let input = NewUser {
        email: format!("{role}@bench.overdrag.invalid"),
        name: format!("Bench {role}"),
        region: REGION.into(),
        role: role.into(),
        organisation: None,
        language: None,
    };
    users::add_user(engine.db(), input, Utc::now())
        .await
        .map_err(|e| format!("cannot add the {role}: {e}"))
}

impl Bench {
    /// Connects, migrates, loads the workflows and sets up people, parties and two meetings.
    ///
    /// # Errors
    /// When the database or the definitions cannot be used.
    pub async fn prepare(
        database: Option<&str>,
        scratch: &Path,
        workflows: &Path,
        mail_templates: &Path,
    ) -> Result<Self, String> {
        let conn = db::connect(database, scratch)
            .await
            .map_err(|e| e.to_string())?;
        db::migrate(&conn).await.map_err(|e| e.to_string())?;
        let templates = MailTemplates::load(mail_templates).map_err(|e| format!("{e:?}"))?;
        let set =
            WorkflowSet::load_dir(workflows, templates.events()).map_err(|e| format!("{e:?}"))?;
        let mut engine = Engine::start(conn, set)
            .await
            .map_err(|e| e.to_string())?
            .with_document_store(scratch.join("documents"));
        let statements = Arc::new(DriverCount::default());
        let count = statements.clone();
        // OVERDRAG_BENCH_SLOW_MS=N prints every statement slower than N ms: what to look at
        // when a figure drops.
        let slow = std::env::var("OVERDRAG_BENCH_SLOW_MS")
            .ok()
            .and_then(|ms| ms.parse::<u64>().ok())
            .map(Duration::from_millis);
        engine.set_metric_callback(move |info| {
            count.statements.fetch_add(1, Ordering::Relaxed);
            let nanos = u64::try_from(info.elapsed.as_nanos()).unwrap_or(u64::MAX);
            count.nanos.fetch_add(nanos, Ordering::Relaxed);
            if slow.is_some_and(|slow| info.elapsed > slow) {
                eprintln!(
                    "slow statement, {:.1} ms: {}",
                    info.elapsed.as_secs_f64() * 1e3,
                    info.statement.sql
                );
            }
        });
        let backend = format!("{:?}", engine.db().get_database_backend());
        let parties = engine.parties(REGION).await.map_err(|e| e.to_string())?;
        let of_kind = |kind: &str, skip: usize| {
            parties
                .iter()
                .filter(|p| p.kind == kind)
                .nth(skip)
                .map(|p| p.id)
                .ok_or_else(|| format!("{REGION} has too few parties of kind {kind}"))
        };
        let parties = [
            of_kind("hospital", 0)?,
            of_kind("municipality", 0)?,
            of_kind("municipality", 1)?,
        ];
        let (secretariat, secretariat_token) = person(&engine, "secretariat").await?;
        // Held today, so the bodies decide the cases on the day they go on the agenda: a
        // decision at a meeting needs the meeting held or being held, and its agenda published
        // (see `Bench::publish_once`). A run that goes on past midnight in Denmark finds the
        // meetings held and can place no more cases.
        let held_on = engine.today();
        let meeting = |body: &str| NewMeeting {
            region: REGION.into(),
            body: body.into(),
            title: format!("Benchmark: {body}"),
            held_on,
            material_deadline: held_on,
        };
        let steering_meeting = engine
            .create_meeting(&secretariat, meeting("steering_group"))
            .await
            .map_err(|e| e.to_string())?
            .id;
        let committee_meeting = engine
            .create_meeting(&secretariat, meeting("committee"))
            .await
            .map_err(|e| e.to_string())?
            .id;
        let (proposer, proposer_token) = person(&engine, "proposer").await?;
        let (economist, economist_token) = person(&engine, "economist").await?;
        let (steering, steering_token) = person(&engine, "steering_group").await?;
        let (committee, committee_token) = person(&engine, "committee").await?;
        Ok(Self {
            tokens: Tokens {
                proposer: proposer_token,
                secretariat: secretariat_token,
                economist: economist_token,
                steering: steering_token,
                committee: committee_token,
            },
            proposer,
            economist,
            steering,
            committee,
            secretariat,
            engine,
            backend,
            parties,
            steering_meeting,
            committee_meeting,
            steering_published: Arc::default(),
            committee_published: Arc::default(),
            case_ids: Arc::default(),
            timings: Arc::default(),
            statements,
            read_back: false,
        })
    }

    /// Makes each step read the whole case back after it commits.
    #[must_use]
    pub fn reading_back(mut self, read_back: bool) -> Self {
        self.read_back = read_back;
        self
    }

    /// Publishes the agenda of one of the bench's meetings, once: the first lifecycle to place
    /// its case there does it, and every lifecycle waits for it before its decision, as a
    /// decision at a meeting needs a published agenda. (An empty agenda cannot be published;
    /// cases placed afterwards are announced by their own mail.) A database that is away is
    /// waited for up to two minutes, as the fault checks stop it.
    ///
    /// # Errors
    /// When the agenda cannot be published.
    pub async fn publish_once(&self, meeting: i64) -> Result<(), String> {
        let published = if meeting == self.steering_meeting {
            &self.steering_published
        } else {
            &self.committee_published
        };
        published
            .get_or_try_init(|| async {
                let mut tries = 0;
                loop {
                    match self.engine.publish_agenda(&self.secretariat, meeting).await {
                        Ok(_) => return Ok(()),
                        Err(
                            e @ (overdrag_engine::EngineError::Database(_)
                            | overdrag_engine::EngineError::Storage(_)),
                        ) if tries < 240 => {
                            tries += 1;
                            if tries == 1 {
                                eprintln!(
                                    "publishing the agenda of meeting {meeting}: {e}; trying again"
                                );
                            }
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                        Err(e) => {
                            return Err(format!("publishing the agenda of meeting {meeting}: {e}"));
                        }
                    }
                }
            })
            .await
            .map(|_| ())
    }

    /// Reads the case back as `actor` when the bench was asked to.
    async fn maybe_read_back(&self, actor: &Actor, id: i64) -> Result<(), String> {
        if self.read_back {
            self.engine
                .case(actor, id)
                .await
                .map_err(|e| format!("read back: {e}"))?;
        }
        Ok(())
    }

    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// Runs `lifecycles` lifecycles on `workers` concurrent workers; returns the steps taken.
    ///
    /// # Errors
    /// The first step that failed, with the case and the step.
    pub async fn run(&self, lifecycles: usize, workers: usize) -> Result<usize, String> {
        let next = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..workers.max(1) {
            let bench = self.clone();
            let next = next.clone();
            handles.push(tokio::spawn(async move {
                let mut steps = 0;
                while next.fetch_add(1, Ordering::Relaxed) < lifecycles {
                    steps += bench.lifecycle().await?;
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

    /// One case from draft to closed; returns the durable steps taken.
    async fn lifecycle(&self) -> Result<usize, String> {
        let e = &self.engine;
        let input = NewCase {
            region: REGION.into(),
            title: "Subkutan væskebehandling i eget hjem".into(),
            kind: "transfer".into(),
            giving_party_id: self.parties[0],
            receiving_party_id: self.parties[1],
        };
        let fail = |step: &'static str| {
            move |error: overdrag_engine::EngineError| format!("{step}: {error}")
        };
        let mut clock = StepClock::default();
        let case = e
            .commit_case(&self.proposer, input)
            .await
            .map_err(fail("create"))?;
        self.maybe_read_back(&self.proposer, case.id).await?;
        clock.lap("create");
        let id = case.id;
        let case = e
            .commit_description(&self.proposer, id, case.version, description())
            .await
            .map_err(fail("description"))?;
        self.maybe_read_back(&self.proposer, id).await?;
        clock.lap("description");
        let case = e
            .commit_transition(&self.proposer, id, case.version, "submit", None)
            .await
            .map_err(fail("submit"))?;
        self.maybe_read_back(&self.proposer, id).await?;
        clock.lap("submit");
        let case = e
            .commit_transition(
                &self.secretariat,
                id,
                case.version,
                "accept_description",
                None,
            )
            .await
            .map_err(fail("accept"))?;
        self.maybe_read_back(&self.secretariat, id).await?;
        clock.lap("accept");
        let case = e
            .commit_economics(
                &self.economist,
                id,
                case.version,
                economics(self.parties),
                None,
            )
            .await
            .map_err(fail("economics"))?;
        self.maybe_read_back(&self.economist, id).await?;
        clock.lap("economics");
        let case = e
            .commit_signoff(&self.economist, id, case.version, Side::Giving)
            .await
            .map_err(fail("sign-off giving"))?;
        self.maybe_read_back(&self.economist, id).await?;
        clock.lap("sign-off giving");
        let case = e
            .commit_signoff(&self.economist, id, case.version, Side::Receiving)
            .await
            .map_err(fail("sign-off receiving"))?;
        self.maybe_read_back(&self.economist, id).await?;
        clock.lap("sign-off receiving");
        e.commit_transition(
            &self.secretariat,
            id,
            case.version,
            "send_to_steering_group",
            None,
        )
        .await
        .map_err(fail("to the steering group"))?;
        self.maybe_read_back(&self.secretariat, id).await?;
        clock.lap("to the steering group");
        e.commit_placement(&self.secretariat, self.steering_meeting, id, false)
            .await
            .map_err(fail("steering-group agenda"))?;
        self.maybe_read_back(&self.secretariat, id).await?;
        clock.lap("steering-group agenda");
        // Once per run, not a step of the lifecycle: left out of its timings.
        self.publish_once(self.steering_meeting).await?;
        clock.last = Instant::now();
        // The steering group opens the case on its screen before deciding.
        let case = e.case(&self.steering, id).await.map_err(fail("reload"))?;
        clock.lap("reload");
        e.commit_transition(&self.steering, id, case.version, "recommend", None)
            .await
            .map_err(fail("recommend"))?;
        self.maybe_read_back(&self.steering, id).await?;
        clock.lap("recommend");
        e.commit_placement(&self.secretariat, self.committee_meeting, id, false)
            .await
            .map_err(fail("committee agenda"))?;
        self.maybe_read_back(&self.secretariat, id).await?;
        clock.lap("committee agenda");
        self.publish_once(self.committee_meeting).await?;
        clock.last = Instant::now();
        let case = e.case(&self.committee, id).await.map_err(fail("reload"))?;
        clock.lap("reload");
        let case = e
            .commit_transition(&self.committee, id, case.version, "approve", None)
            .await
            .map_err(fail("approve"))?;
        self.maybe_read_back(&self.committee, id).await?;
        clock.lap("approve");
        let case = e
            .commit_transition(&self.secretariat, id, case.version, "start_follow_up", None)
            .await
            .map_err(fail("follow-up"))?;
        self.maybe_read_back(&self.secretariat, id).await?;
        clock.lap("follow-up");
        let case = e
            .commit_transition(&self.secretariat, id, case.version, "close", None)
            .await
            .map_err(fail("close"))?;
        self.maybe_read_back(&self.secretariat, id).await?;
        clock.lap("close");
        if case.state != "closed" {
            return Err(format!(
                "case {} ended in {}, not closed",
                case.number, case.state
            ));
        }
        self.case_ids.lock().await.push(id);
        let mut timings = self.timings.lock().await;
        for (step, took) in clock.laps {
            timings.entry(step).or_default().push(took);
        }
        Ok(STEPS_PER_LIFECYCLE)
    }

    /// The median and 95th percentile of each step, in the order the lifecycle takes them;
    /// forgets what it measured so far.
    pub async fn step_latencies(&self) -> Vec<(&'static str, Duration, Duration)> {
        let mut timings = self.timings.lock().await;
        let mut rows: Vec<(&'static str, Duration, Duration)> = timings
            .iter_mut()
            .map(|(step, took)| {
                took.sort();
                let at = |q: f64| took[((took.len() - 1) as f64 * q).round() as usize];
                (*step, at(0.5), at(0.95))
            })
            .collect();
        timings.clear();
        rows.sort_by_key(|(step, _, _)| STEP_ORDER.iter().position(|s| s == step));
        rows
    }

    /// Every driven case's journal chain verifies; returns e.g. `200/200`.
    ///
    /// # Errors
    /// A database error, or a chain that does not verify.
    pub async fn verify(&self) -> Result<String, String> {
        let ids = self.case_ids.lock().await.clone();
        for id in &ids {
            let chain = self
                .engine
                .verify_journal(*id)
                .await
                .map_err(|e| e.to_string())?;
            if !chain.verified {
                return Err(format!(
                    "the journal of case {id} does not verify: {chain:?}"
                ));
            }
        }
        Ok(format!("{0}/{0}", ids.len()))
    }
}
