//! Support for Overdrag's end-to-end tests: a fresh database per test, on SQLite or on
//! PostgreSQL, with the shipped workflows loaded, and people with roles.
//!
//! PostgreSQL tests are `#[ignore]`d so a plain `cargo test` shows them as not run; `.ci/run`
//! runs them with `--include-ignored` against `OVERDRAG_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). A PostgreSQL test without a server fails,
//! it never passes silently.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod drive;
pub mod smtp_sink;

use overdrag_engine::domain::description::ProfessionalDescription;
use overdrag_engine::mail::MailTemplates;
use overdrag_engine::storage::db;
use overdrag_engine::users::{self, NewUser};
use overdrag_engine::workflow::WorkflowSet;
use overdrag_engine::{Actor, Engine};
use sea_orm::{ConnectionTrait, Database};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The workflows shipped in `workflows/`, validated against `mail-templates/`.
pub fn shipped_workflows() -> WorkflowSet {
    let templates = MailTemplates::load(&root().join("mail-templates"))
        .expect("mail templates are valid")
        .events()
        .clone();
    WorkflowSet::load_dir(&root().join("workflows"), &templates)
        .expect("shipped workflows are valid")
}

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "overdrag_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A fresh, migrated database for one test, and the engine on it.
#[derive(Debug)]
pub struct TestDb {
    pub engine: Engine,
    pub url: String,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(shipped_workflows()).await
    }

    pub async fn sqlite_with(workflows: WorkflowSet) -> Self {
        let dir = std::env::temp_dir().join(unique_name());
        let url = db::default_sqlite_url(&dir);
        let conn = db::connect(None, &dir).await.expect("sqlite opens");
        db::migrate(&conn)
            .await
            .expect("migrations apply on sqlite");
        let engine = Engine::start(conn, workflows)
            .await
            .expect("engine starts")
            .with_document_store(std::env::temp_dir().join(unique_name()));
        Self {
            engine,
            url,
            postgres: None,
        }
    }

    pub async fn postgres() -> Self {
        Self::postgres_with(shipped_workflows()).await
    }

    pub async fn postgres_with(workflows: WorkflowSet) -> Self {
        let admin_url = std::env::var("OVERDRAG_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let admin = Database::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL test needs a server at {admin_url}: {e}"));
        let name = unique_name();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        let conn = db::connect(Some(&url), std::path::Path::new("data"))
            .await
            .expect("postgres connects");
        db::migrate(&conn)
            .await
            .expect("migrations apply on postgres");
        let engine = Engine::start(conn, workflows)
            .await
            .expect("engine starts")
            .with_document_store(std::env::temp_dir().join(unique_name()));
        Self {
            engine,
            url,
            postgres: Some((admin_url, name)),
        }
    }

    /// Reopens the same database with other workflow definitions, as a restart would.
    pub async fn restart_with(
        &self,
        workflows: WorkflowSet,
    ) -> Result<Engine, overdrag_engine::EngineError> {
        let dir = PathBuf::from("data");
        let conn = db::connect(Some(&self.url), &dir)
            .await
            .expect("reconnects");
        Engine::start(conn, workflows).await
    }

    /// Drops a PostgreSQL test database.
    pub async fn finish(self) {
        if let Some((admin_url, name)) = self.postgres {
            self.engine.db().clone().close().await.ok();
            if let Ok(admin) = Database::connect(&admin_url).await {
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok();
            }
        }
    }
}

/// `engine` on a clock moved on to Monday 4 January 2027, the first working day of the 2027
/// model (or on the real time, once that is later).
pub fn engine_in_2027(engine: &overdrag_engine::Engine) -> overdrag_engine::Engine {
    let clock = TestClock::default();
    let engine = engine.clone().with_clock(clock.clock());
    let start = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).expect("a date");
    if engine.today() < start {
        clock.advance(chrono::Duration::days((start - engine.today()).num_days()));
    }
    engine
}

/// A clock a test moves on by hand: the real time plus however far it was moved.
#[derive(Clone, Debug, Default)]
pub struct TestClock {
    ahead_micros: Arc<AtomicI64>,
}

impl TestClock {
    /// The clock for [`Engine::with_clock`].
    pub fn clock(&self) -> overdrag_engine::cases::Clock {
        let ahead = Arc::clone(&self.ahead_micros);
        Arc::new(move || {
            chrono::Utc::now() + chrono::Duration::microseconds(ahead.load(Ordering::SeqCst))
        })
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let micros = by
            .num_microseconds()
            .expect("a test moves the clock by less than years");
        self.ahead_micros.fetch_add(micros, Ordering::SeqCst);
    }
}

/// Adds a person with `role` in `region` and returns them as an actor.
pub async fn person(engine: &Engine, email: &str, region: &str, role: &str) -> Actor {
    let input = NewUser {
        email: email.into(),
        name: format!("Test {role}"),
        region: region.into(),
        role: role.into(),
        organisation: None,
        language: None,
    };
    users::add_user(engine.db(), input, chrono::Utc::now())
        .await
        .expect("user added")
        .0
}

/// Adds a person with `role` in `region` and returns them with a fresh API token.
pub async fn person_with_token(
    engine: &Engine,
    email: &str,
    region: &str,
    role: &str,
) -> (Actor, String) {
    let input = NewUser {
        email: email.into(),
        name: format!("Test {role}"),
        region: region.into(),
        role: role.into(),
        organisation: None,
        language: None,
    };
    users::add_user(engine.db(), input, chrono::Utc::now())
        .await
        .expect("user added")
}

/// The id of the organisation named `name` in `region`.
pub async fn party(engine: &Engine, region: &str, name: &str) -> i64 {
    engine
        .parties(region)
        .await
        .expect("parties")
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no party {name} in {region}"))
        .id
}

/// Runs the test body on SQLite, and on PostgreSQL as an ignored test.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_sqlite() {
                let db = $crate::TestDb::sqlite().await;
                super::$name(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[ignore = "needs PostgreSQL: run with --include-ignored (.ci/run does)"]
            async fn on_postgres() {
                let db = $crate::TestDb::postgres().await;
                super::$name(&db).await;
                db.finish().await;
            }
        }
    )*};
}

/// A professional description with every required field filled in, so the description guard
/// holds.
pub fn full_description() -> ProfessionalDescription {
    ProfessionalDescription {
        task: "IV-antibiotika gives i eget hjem af hjemmesygeplejen.".into(),
        target_group: "Klinisk stabile voksne.".into(),
        volume_per_year: Some(420),
        competences: "Sygeplejersker med kompetence i infusion.".into(),
        responsibility: "Hospitalet har behandlingsansvaret.".into(),
        quality_and_safety: "Fælles instruks og døgnåben telefon.".into(),
        documentation: "MedCom-korrespondance.".into(),
        timeline: "Opstart 1. april.".into(),
        ..Default::default()
    }
}

/// Holds a meeting of `body` (`steering_group` or `committee`) in `region` today, with the
/// cases on its agenda in the order given and the agenda published — what a decision at a
/// meeting needs: the actor a member of the body, the meeting held or being held (today on or
/// after its date, in Denmark) and its agenda published. The material deadline is today too.
pub async fn meeting_today(
    engine: &Engine,
    secretariat: &Actor,
    region: &str,
    body: &str,
    case_ids: &[i64],
) -> overdrag_engine::cases::meetings::MeetingView {
    let today = engine.today();
    let meeting = engine
        .create_meeting(
            secretariat,
            overdrag_engine::cases::meetings::NewMeeting {
                region: region.into(),
                body: body.into(),
                title: format!("Møde i {body}"),
                held_on: today,
                material_deadline: today,
            },
        )
        .await
        .expect("meeting planned for today");
    for &case_id in case_ids {
        engine
            .place_on_agenda(secretariat, meeting.id, case_id, false)
            .await
            .expect("case placed on the agenda");
    }
    engine
        .publish_agenda(secretariat, meeting.id)
        .await
        .expect("agenda published")
}
