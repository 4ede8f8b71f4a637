//! `overdrag-bench`: figures, not impressions. It drives whole handover lifecycles through the
//! engine as the server does — every step loads the case from the database, checks the guards
//! and commits state, journal event and outbox rows in one transaction — and prints
//! lifecycles and durable steps per second. Timing lives here, never in the tests.
//!
//! ```sh
//! cargo run --release -p overdrag-bench -- engine --workers 1 --lifecycles 200
//! DATABASE_URL=postgres://postgres@127.0.0.1/bench cargo run --release -p overdrag-bench -- engine --workers 32
//! cargo run --release -p overdrag-bench -- http --users 64 --lifecycles 500
//! ```
//!
//! The scale run fills a database with 100,000 cases (kept for the next run) and times the
//! case list and its search on the real server, and reads the server's memory:
//!
//! ```sh
//! cargo build --release -p overdrag-bench -p overdrag
//! target/release/overdrag-bench scale --cases 100000
//! ```
//!
//! The floor under a step — bare three-statement transactions through sea-orm and sqlx, no
//! engine — to set the engine's figures against:
//!
//! ```sh
//! target/release/overdrag-bench floor --workers 32
//! ```
//!
//! The fault checks (`scripts/faults.sh`) drive servers started elsewhere and then check the
//! whole database:
//!
//! ```sh
//! overdrag-bench http --database "$DATABASE_URL" --target http://127.0.0.1:18301 --tolerate-faults
//! overdrag-bench verify --database "$DATABASE_URL" --mail-dir data/mail --wait-for-mail 60
//! ```

mod corpus;
mod faults;
mod floor;
mod http;
mod lifecycle;
mod scale;
mod server;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(
    name = "overdrag-bench",
    about = "Measures Overdrag's throughput and prints the figures"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Whole handover lifecycles through the engine, in process.
    Engine {
        /// `postgres://…` or `sqlite://…`; unset: a fresh SQLite file in a temporary directory,
        /// with the settings Overdrag ships (WAL, synchronous=FULL).
        #[arg(long, env = "DATABASE_URL")]
        database: Option<String>,
        /// Concurrent workers, each driving its own cases.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Lifecycles in all.
        #[arg(long, default_value_t = 200)]
        lifecycles: usize,
        /// After each step, also read the whole case back (as an API call answering with the
        /// case does).
        #[arg(long)]
        read_back: bool,
        /// The workflow definitions.
        #[arg(long, default_value = "workflows")]
        workflows: PathBuf,
        /// The mail templates the definitions are checked against.
        #[arg(long, default_value = "mail-templates")]
        mail_templates: PathBuf,
    },
    /// Bare transactions of three statements through the database layer Overdrag is built on,
    /// with no engine around them: the floor under a durable step.
    Floor {
        /// As for `engine`.
        #[arg(long, env = "DATABASE_URL")]
        database: Option<String>,
        /// Concurrent workers for the second run (the first has one).
        #[arg(long, default_value_t = 32)]
        workers: usize,
        /// Transactions per run.
        #[arg(long, default_value_t = 5000)]
        transactions: usize,
    },
    /// Whole lifecycles through the JSON API of a server started in this process, by N
    /// concurrent users with bearer tokens: throughput and latency per endpoint.
    Http {
        /// As for `engine`.
        #[arg(long, env = "DATABASE_URL")]
        database: Option<String>,
        /// Concurrent users.
        #[arg(long, default_value_t = 64)]
        users: usize,
        /// Lifecycles in all.
        #[arg(long, default_value_t = 500)]
        lifecycles: usize,
        #[arg(long, default_value = "workflows")]
        workflows: PathBuf,
        #[arg(long, default_value = "mail-templates")]
        mail_templates: PathBuf,
        /// A server already running, e.g. http://127.0.0.1:8080, to drive instead of one in
        /// this process; repeat it for several, and the users are spread over them. The
        /// people, tokens and meetings are prepared in --database, which must be the
        /// servers' database.
        #[arg(long = "target")]
        targets: Vec<String>,
        /// Ride out a server killed or the database stopped: count connection errors and 503s
        /// by kind, read the case back and send a step again only if it did not commit. The
        /// run fails at the end on any 500, hang or 503 without a problem document.
        #[arg(long)]
        tolerate_faults: bool,
        /// With --tolerate-faults: give up on one step after this many seconds of faults.
        #[arg(long, default_value_t = 120)]
        patience: u64,
        /// Ask each change for only what was committed (`Prefer: return=minimal`), not the
        /// whole case.
        #[arg(long)]
        minimal: bool,
        /// Send each transition to two targets at once with the same version: exactly one
        /// must win and the other get 409.
        #[arg(long)]
        race: bool,
    },
    /// Fills a database with cases across the regions through the engine (kept in --data-dir,
    /// topped up on the next run), then starts the `overdrag` binary on it and prints the case
    /// list, filter and search latency through the API and the page, and the server's memory
    /// at rest and under the HTTP lifecycle load.
    Scale {
        /// As for `engine`; unset: `overdrag.db` in --data-dir.
        #[arg(long, env = "DATABASE_URL")]
        database: Option<String>,
        /// Cases the database should hold.
        #[arg(long, default_value_t = 100_000)]
        cases: u64,
        /// Concurrent workers generating them.
        #[arg(long, default_value_t = 8)]
        workers: usize,
        /// Requests timed per query, reader and surface.
        #[arg(long, default_value_t = 40)]
        samples: usize,
        /// Where the SQLite file, the server's mail and its log are kept between runs.
        #[arg(long, default_value = "target/scale")]
        data_dir: PathBuf,
        /// The server binary; default: `overdrag` beside this one.
        #[arg(long)]
        server: Option<PathBuf>,
        /// Users of the HTTP lifecycle load during which memory is read.
        #[arg(long, default_value_t = 64)]
        load_users: usize,
        #[arg(long, default_value_t = 300)]
        load_lifecycles: usize,
        #[arg(long, default_value = "workflows")]
        workflows: PathBuf,
        #[arg(long, default_value = "mail-templates")]
        mail_templates: PathBuf,
    },
    /// Checks every case in a database: the journal chain, the state and version against the
    /// journal, the outbox rows of each mailing transition, and (with --mail-dir) that each
    /// sent mail is in the directory exactly once. Exits 1 naming each violation.
    Verify {
        #[arg(long, env = "DATABASE_URL")]
        database: String,
        /// The directory the mails went to: the server's `$OVERDRAG_DATA_DIR/mail`, or an
        /// `smtp-sink`'s.
        #[arg(long)]
        mail_dir: Option<PathBuf>,
        /// First wait up to this many seconds for the mail workers to send every row.
        #[arg(long, default_value_t = 0)]
        wait_for_mail: u64,
        /// The mail templates the stored definitions are read against.
        #[arg(long, default_value = "mail-templates")]
        mail_templates: PathBuf,
    },
    /// An SMTP server that writes every mail it accepts to a file of its own, so a mail
    /// delivered twice is two files with one Message-ID. Runs until killed.
    SmtpSink {
        #[arg(long, default_value = "127.0.0.1:2525")]
        listen: std::net::SocketAddr,
        #[arg(long)]
        dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let outcome = match args.command {
        Command::Engine {
            database,
            workers,
            lifecycles,
            read_back,
            workflows,
            mail_templates,
        } => {
            engine(
                database,
                workers,
                lifecycles,
                read_back,
                &workflows,
                &mail_templates,
            )
            .await
        }
        Command::Floor {
            database,
            workers,
            transactions,
        } => {
            let scratch =
                std::env::temp_dir().join(format!("overdrag-floor-{}", std::process::id()));
            let outcome = floor::floor(database.as_deref(), &scratch, workers, transactions).await;
            let _ = std::fs::remove_dir_all(&scratch);
            outcome
        }
        Command::Http {
            database,
            users,
            lifecycles,
            workflows,
            mail_templates,
            targets,
            tolerate_faults,
            patience,
            race,
            minimal,
        } => {
            if targets.is_empty() {
                let plan = InProcessLoad {
                    users,
                    lifecycles,
                    minimal,
                };
                http_load(database, plan, &workflows, &mail_templates).await
            } else {
                let options = http::Options {
                    tolerate_faults: tolerate_faults.then(|| Duration::from_secs(patience)),
                    race,
                };
                let plan = ExternalLoad {
                    targets,
                    users,
                    lifecycles,
                    options,
                };
                external_load(database, plan, &workflows, &mail_templates).await
            }
        }
        Command::Verify {
            database,
            mail_dir,
            wait_for_mail,
            mail_templates,
        } => {
            verify(
                &database,
                mail_dir.as_deref(),
                wait_for_mail,
                &mail_templates,
            )
            .await
        }
        Command::Scale {
            database,
            cases,
            workers,
            samples,
            data_dir,
            server,
            load_users,
            load_lifecycles,
            workflows,
            mail_templates,
        } => {
            let plan = scale::Plan {
                cases,
                workers,
                samples,
                data_dir,
                server,
                load_users,
                load_lifecycles,
            };
            scale::run(database, plan, &workflows, &mail_templates).await
        }
        Command::SmtpSink { listen, dir } => faults::smtp_sink(listen, dir).await,
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("overdrag-bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn engine(
    database: Option<String>,
    workers: usize,
    lifecycles: usize,
    read_back: bool,
    workflows: &std::path::Path,
    mail_templates: &std::path::Path,
) -> Result<(), String> {
    let scratch = std::env::temp_dir().join(format!("overdrag-bench-{}", std::process::id()));
    let bench = lifecycle::Bench::prepare(database.as_deref(), &scratch, workflows, mail_templates)
        .await?
        .reading_back(read_back);
    println!(
        "engine lifecycle on {}{} ({} steps each: create, description, submit, accept, economics of 3 parties x 4 years, 2 sign-offs, to the steering group, agenda, recommend, agenda, approve, follow-up, close)",
        bench.backend(),
        if read_back {
            ", each step reading the case back"
        } else {
            ""
        },
        lifecycle::STEPS_PER_LIFECYCLE
    );
    // A short warm-up so the figures are not the pool filling and the caches warming.
    bench.run(1, workers.min(4)).await?;
    bench.step_latencies().await;
    let (statements_before, driver_before) = bench.statements.read();
    let started = Instant::now();
    let steps = bench.run(lifecycles, workers).await?;
    let seconds = started.elapsed().as_secs_f64();
    let (statements_after, driver_after) = bench.statements.read();
    let verified = bench.verify().await?;
    println!(
        "workers {workers:>3}  lifecycles {lifecycles:>6}  steps {steps:>7}  {seconds:>7.2} s  {:>8.1} lifecycles/s  {:>8.1} durable steps/s  journals verified {verified}",
        lifecycles as f64 / seconds,
        steps as f64 / seconds,
    );
    let statements = statements_after - statements_before;
    println!(
        "  SQL statements per lifecycle {:.1} (per durable step {:.1}, the two reads included); time in the database driver {:.0}% of the wall time",
        statements as f64 / lifecycles as f64,
        statements as f64 / steps as f64,
        (driver_after - driver_before).as_secs_f64() / seconds / workers as f64 * 100.0,
    );
    println!("  step                       p50 ms   p95 ms");
    for (step, p50, p95) in bench.step_latencies().await {
        println!(
            "  {step:<24} {:>8.2} {:>8.2}",
            p50.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3
        );
    }
    if database.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(())
}

/// A load against a server in this process.
struct InProcessLoad {
    users: usize,
    lifecycles: usize,
    /// Each change answers only what was committed (`Prefer: return=minimal`).
    minimal: bool,
}

async fn http_load(
    database: Option<String>,
    plan: InProcessLoad,
    workflows: &std::path::Path,
    mail_templates: &std::path::Path,
) -> Result<(), String> {
    let InProcessLoad {
        users,
        lifecycles,
        minimal,
    } = plan;
    let scratch = std::env::temp_dir().join(format!("overdrag-bench-http-{}", std::process::id()));
    let bench =
        lifecycle::Bench::prepare(database.as_deref(), &scratch, workflows, mail_templates).await?;
    println!(
        "HTTP lifecycle on {} through /api/v1 ({} durable steps each, plus two reads), changes answering {}",
        bench.backend(),
        lifecycle::STEPS_PER_LIFECYCLE,
        if minimal {
            "what was committed (Prefer: return=minimal)"
        } else {
            "the whole case"
        }
    );
    let load = http::Load::start(bench).await?.preferring_minimal(minimal);
    load.run(users.min(8), users.min(8)).await?;
    load.figures().await;
    let started = Instant::now();
    let steps = load.run(lifecycles, users).await?;
    let seconds = started.elapsed().as_secs_f64();
    let checked = load.check().await?;
    println!(
        "users {users:>3}  lifecycles {lifecycles:>6}  steps {steps:>7}  {seconds:>7.2} s  {:>8.1} durable steps/s  409s {}  cases checked {checked} (closed, journal verified, mails in the outbox)",
        steps as f64 / seconds,
        load.conflicts(),
    );
    println!("  endpoint                                  requests   p50 ms   p95 ms   p99 ms");
    for f in load.figures().await {
        println!(
            "  {:<40} {:>9} {:>8.2} {:>8.2} {:>8.2}",
            f.endpoint,
            f.requests,
            f.p50.as_secs_f64() * 1e3,
            f.p95.as_secs_f64() * 1e3,
            f.p99.as_secs_f64() * 1e3
        );
    }
    if database.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(())
}

/// A load on servers running elsewhere.
struct ExternalLoad {
    targets: Vec<String>,
    users: usize,
    lifecycles: usize,
    options: http::Options,
}

async fn external_load(
    database: Option<String>,
    plan: ExternalLoad,
    workflows: &std::path::Path,
    mail_templates: &std::path::Path,
) -> Result<(), String> {
    let database = database.ok_or(
        "--target needs --database (or DATABASE_URL): the servers' database, where the users and their tokens are prepared",
    )?;
    let scratch = std::env::temp_dir().join(format!("overdrag-bench-http-{}", std::process::id()));
    let bench =
        lifecycle::Bench::prepare(Some(&database), &scratch, workflows, mail_templates).await?;
    let load = http::Load::external(bench, plan.targets, &plan.options).await?;
    println!(
        "HTTP lifecycles on {} through /api/v1 of {}: {} users, {} lifecycles{}{}",
        overdrag_engine::storage::db::redacted(&database),
        load.targets().join(" and "),
        plan.users,
        plan.lifecycles,
        if plan.options.tolerate_faults.is_some() {
            ", riding out faults"
        } else {
            ""
        },
        if plan.options.race {
            ", each transition raced between two servers"
        } else {
            ""
        },
    );
    let progress = {
        let load = load.clone();
        let started = Instant::now();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let faults = load.faults_by_kind();
                println!(
                    "  {:>5.1} s: {} lifecycles done{}",
                    started.elapsed().as_secs_f64(),
                    load.lifecycles_done(),
                    if faults.is_empty() {
                        String::new()
                    } else {
                        format!(", faults so far {faults:?}")
                    }
                );
            }
        })
    };
    let started = Instant::now();
    let outcome = load.run(plan.lifecycles, plan.users).await;
    progress.abort();
    let seconds = started.elapsed().as_secs_f64();
    let steps = outcome?;
    let checked = load.check().await?;
    println!(
        "users {:>3}  lifecycles {:>6}  steps {steps:>7}  {seconds:>7.2} s  {:>8.1} durable steps/s  409s {}  cases checked {checked} (closed, journal verified, mails in the outbox)",
        plan.users,
        plan.lifecycles,
        steps as f64 / seconds,
        load.conflicts(),
    );
    if plan.options.race {
        println!(
            "  races: {} transitions sent to two servers at once, each won exactly once",
            load.races()
        );
    }
    let summary = load.fault_summary();
    match &summary {
        Ok(line) | Err(line) if !line.is_empty() => println!("  {line}"),
        _ => {}
    }
    summary.map(|_| ())
}

async fn verify(
    database: &str,
    mail_dir: Option<&std::path::Path>,
    wait_for_mail: u64,
    mail_templates: &std::path::Path,
) -> Result<(), String> {
    use overdrag_engine::storage::db;
    let templates = overdrag_engine::mail::MailTemplates::load(mail_templates)
        .map_err(|e| format!("the mail templates cannot be read: {e:?}"))?;
    let conn = db::connect(Some(database), &std::env::temp_dir())
        .await
        .map_err(|e| e.to_string())?;
    println!("verify {}", db::redacted(database));
    if wait_for_mail > 0 {
        let waited = faults::wait_for_mail(&conn, Duration::from_secs(wait_for_mail)).await?;
        println!("  {waited}");
    }
    let report = faults::verify(&conn, templates.events(), mail_dir).await?;
    if report.print() {
        println!("verify: every invariant holds");
        Ok(())
    } else {
        Err(format!(
            "verify: {} violation(s) of the invariants",
            report.violations.len()
        ))
    }
}
