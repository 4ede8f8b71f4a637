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

mod http;
mod lifecycle;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;

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
        Command::Http {
            database,
            users,
            lifecycles,
            workflows,
            mail_templates,
        } => http_load(database, users, lifecycles, &workflows, &mail_templates).await,
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

async fn http_load(
    database: Option<String>,
    users: usize,
    lifecycles: usize,
    workflows: &std::path::Path,
    mail_templates: &std::path::Path,
) -> Result<(), String> {
    let scratch = std::env::temp_dir().join(format!("overdrag-bench-http-{}", std::process::id()));
    let bench =
        lifecycle::Bench::prepare(database.as_deref(), &scratch, workflows, mail_templates).await?;
    println!(
        "HTTP lifecycle on {} through /api/v1 ({} durable steps each, plus two reads)",
        bench.backend(),
        lifecycle::STEPS_PER_LIFECYCLE
    );
    let load = http::Load::start(bench).await?;
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
