//! The command line: `serve`, `migrate`, `workflows check|graph`, `users add|revoke`, `demo`,
//! `reform plan|apply`, `backup`, `restore`.

mod reform_text;

use crate::config::Config;
use clap::{Parser, Subcommand};
use overdrag_engine::accounts::{self, Password};
use overdrag_engine::cases::reform::ReformScope;
use overdrag_engine::mail::{Deliverer, ENGINE_TEMPLATES, MailTemplates, Reminders, Transport};
use overdrag_engine::storage::db::{self, ConnectError};
use overdrag_engine::users::{self, NewUser};
use overdrag_engine::workflow::definition::DefinitionError;
use overdrag_engine::workflow::{WorkflowSet, graph};
use overdrag_engine::{Engine, EngineError, demo, operations};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "overdrag",
    version,
    about = "Overdrag: planned and agreed task handover between the Danish health sectors"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the server (the default when no command is given).
    Serve {
        /// Load the demo cases first if the database has no cases yet.
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database migrations and stop.
    Migrate,
    /// Check or draw the workflow definitions.
    Workflows {
        #[command(subcommand)]
        command: WorkflowsCommand,
    },
    /// Manage users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Load realistic sample cases for every region.
    Demo,
    /// Carry the open cases across a reform (workflows/reform/): plan shows, apply does.
    Reform {
        #[command(subcommand)]
        command: ReformCommand,
    },
    /// Copy the SQLite database to FILE, consistently, while the server runs. For PostgreSQL
    /// use pg_dump (see the README).
    Backup {
        /// The new file; an existing file is never overwritten.
        file: PathBuf,
    },
    /// Put a backup taken with `overdrag backup` back as the database, after checking it and
    /// every case's journal in it. Stop the server first.
    Restore {
        file: PathBuf,
        /// Replace the database there now; without it, restore refuses to overwrite one.
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ReformCommand {
    /// Print where every open case goes, or why it cannot go yet; changes nothing.
    Plan {
        /// The day to plan for (default: today).
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
        /// Print the plan as JSON, as the API returns it.
        #[arg(long)]
        json: bool,
    },
    /// Carry the cases. Refused before the reform's day unless `--on` gives a day (to
    /// rehearse on a copy of the database). Safe to run again, and to stop and run again.
    Apply {
        /// The day the run counts as (default: today).
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
        /// Carry at most this many cases in this run.
        #[arg(long)]
        limit: Option<usize>,
    },
}

#[derive(Debug, Subcommand)]
enum WorkflowsCommand {
    /// Validate every definition; exit 1 with each problem otherwise.
    Check {
        /// The definitions directory (default: OVERDRAG_WORKFLOWS_DIR or `workflows`).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Print a region's state machine as Mermaid text, labels in Danish.
    Graph {
        /// The region, e.g. syddanmark.
        region: String,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Add a user (or a role to an existing one) and print a new API token for them.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The region slug, e.g. syddanmark.
        #[arg(long)]
        region: String,
        /// proposer, secretariat, economist, steering_group, committee or admin.
        #[arg(long)]
        role: String,
        /// The user's organisation in the region, by name.
        #[arg(long)]
        organisation: Option<String>,
        /// da (default) or en.
        #[arg(long)]
        language: Option<String>,
        /// A password for logging in to the pages (at least 10 characters). Prefer the
        /// environment variable: a command line is visible to other users of the machine.
        #[arg(long, env = "OVERDRAG_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Revoke every API token of a user; they get 401 from then on.
    Revoke {
        #[arg(long)]
        email: String,
    },
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{} problem(s) in the workflow definitions:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Workflows(Vec<DefinitionError>),
    #[error("{0}")]
    Database(#[from] ConnectError),
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Usage(String),
}

fn load_templates(config: &Config) -> Result<MailTemplates, CliError> {
    let templates = MailTemplates::load(&config.mail_templates_dir).map_err(CliError::Workflows)?;
    let missing: Vec<DefinitionError> = ENGINE_TEMPLATES
        .iter()
        .filter(|t| !templates.events().contains(**t))
        .map(|t| DefinitionError {
            file: config.mail_templates_dir.join(t).display().to_string(),
            line: 0,
            message: format!("the engine sends the mail `{t}`; add its templates"),
        })
        .collect();
    if missing.is_empty() {
        Ok(templates)
    } else {
        Err(CliError::Workflows(missing))
    }
}

fn load_workflows(
    config: &Config,
    dir: Option<&Path>,
    templates: &MailTemplates,
) -> Result<WorkflowSet, CliError> {
    WorkflowSet::load_dir(dir.unwrap_or(&config.workflows_dir), templates.events())
        .map_err(CliError::Workflows)
}

/// The SQLite file the configuration names: `DATABASE_URL` if it is a SQLite URL, else the
/// data directory's.
fn sqlite_file(config: &Config) -> Result<PathBuf, CliError> {
    match config.database_url.as_deref() {
        None => Ok(config.data_dir.join("overdrag.db")),
        Some(url) => {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .ok_or_else(|| {
                    CliError::Usage(
                        "`overdrag restore` puts back a SQLite backup; for PostgreSQL use pg_restore (see the README's operations section)".into(),
                    )
                })?;
            Ok(PathBuf::from(path.split('?').next().unwrap_or(path)))
        }
    }
}

async fn start_engine(config: &Config) -> Result<(Engine, MailTemplates), CliError> {
    let templates = load_templates(config)?;
    let workflows = load_workflows(config, None, &templates)?;
    let db = db::connect(config.database_url.as_deref(), &config.data_dir).await?;
    db::migrate(&db).await?;
    let mut engine = Engine::start(db, workflows).await?;
    if let Some(raw) = &config.today {
        let day = chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
            CliError::Usage(format!(
                "OVERDRAG_TODAY is `{raw}`; give a date such as 2027-01-04, or unset it"
            ))
        })?;
        tracing::warn!(%day, "OVERDRAG_TODAY is set: the server runs as if today were this day");
        engine = engine.with_clock(overdrag_engine::cases::clock_on(day));
    }
    let engine = engine
        .with_document_store(config.data_dir.join("documents"))
        .with_idempotency_lease(
            chrono::Duration::from_std(config.idempotency_lease)
                .unwrap_or(overdrag_engine::idempotency::LEASE),
        );
    Ok((engine, templates))
}

/// Runs the command.
///
/// # Errors
/// A [`CliError`] saying what went wrong and what to do.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let config = Config::from_env();
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            let addr = config.socket_addr().map_err(CliError::Usage)?;
            let (engine, templates) = start_engine(&config).await?;
            let transport = Transport::configure(
                config.smtp_url.as_ref().map(|s| s.expose()),
                config.data_dir.join("mail"),
            )
            .map_err(CliError::Usage)?;
            tracing::info!(?transport, "mail delivery");
            let deliverer = Deliverer::new(
                engine.clone(),
                Arc::new(templates),
                transport,
                &config.mail_from,
                &config.public_url,
            )
            .map_err(CliError::Usage)?
            .with_lease(
                chrono::Duration::from_std(config.mail_lease)
                    .unwrap_or(overdrag_engine::mail::delivery::LEASE),
            );
            tokio::spawn(deliverer.run(std::time::Duration::from_secs(2)));
            tokio::spawn(
                Reminders::new(engine.clone(), config.reminder_days)
                    .run(std::time::Duration::from_secs(600)),
            );
            if demo {
                let summary = demo::load_if_empty(&engine).await?;
                tracing::info!("{summary}");
            }
            let settings = crate::server::ServerSettings {
                pages: crate::pages::PageSettings {
                    secure_cookies: config.public_url.starts_with("https://"),
                },
                metrics_token: config.metrics_token.clone(),
            };
            crate::server::serve(engine, addr, &settings)
                .await
                .map_err(CliError::Usage)
        }
        Command::Backup { file } => {
            let db = db::connect(config.database_url.as_deref(), &config.data_dir).await?;
            operations::back_up(&db, &file)
                .await
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let bytes = std::fs::metadata(&file).map_or(0, |m| m.len());
            println!("backed up to {} ({bytes} bytes)", file.display());
            Ok(())
        }
        Command::Restore { file, replace } => {
            let target = sqlite_file(&config)?;
            let check = operations::restore_sqlite(&file, &target, replace)
                .await
                .map_err(|e| CliError::Usage(e.to_string()))?;
            println!(
                "restored {} to {}: {} cases, {} journal events, every journal verified",
                file.display(),
                target.display(),
                check.cases,
                check.events
            );
            Ok(())
        }
        Command::Migrate => {
            let db = db::connect(config.database_url.as_deref(), &config.data_dir).await?;
            db::migrate(&db).await?;
            println!("the database is up to date");
            Ok(())
        }
        Command::Workflows {
            command: WorkflowsCommand::Check { dir },
        } => {
            let set = load_workflows(&config, dir.as_deref(), &load_templates(&config)?)?;
            for def in set.definitions() {
                let valid_to = def.valid_to.map(|d| format!(" to {d}")).unwrap_or_default();
                println!(
                    "ok  {}  {} {} v{}: {} states, {} transitions, valid from {}{valid_to}",
                    def.file,
                    def.region,
                    def.key,
                    def.version,
                    def.states.len(),
                    def.transitions.len(),
                    def.valid_from
                );
            }
            for carry in set.carry_overs() {
                println!(
                    "ok  {}  {} on {}: {} definition(s) carried, {} region(s) merged",
                    carry.file,
                    carry.name,
                    carry.on,
                    carry.carries.len(),
                    carry.merges.len()
                );
            }
            Ok(())
        }
        Command::Workflows {
            command: WorkflowsCommand::Graph { region, dir },
        } => {
            let set = load_workflows(&config, dir.as_deref(), &load_templates(&config)?)?;
            let today = overdrag_engine::domain::calendar::danish_date(chrono::Utc::now());
            let def = set
                .in_force(&region, today)
                .or_else(|| set.latest(&region))
                .ok_or_else(|| {
                    let known: Vec<&str> = set
                        .definitions()
                        .iter()
                        .map(|d| d.region.as_str())
                        .collect();
                    CliError::Usage(format!(
                        "no workflow for region `{region}`; use one of: {}",
                        known.join(", ")
                    ))
                })?;
            print!("{}", graph::mermaid(def));
            Ok(())
        }
        Command::Users {
            command:
                UsersCommand::Add {
                    email,
                    name,
                    region,
                    role,
                    organisation,
                    language,
                    password,
                },
        } => {
            let password = password
                .map(|p| Password::parse(&p))
                .transpose()
                .map_err(|problem| CliError::Usage(problem.message("en")))?;
            let db = db::connect(config.database_url.as_deref(), &config.data_dir).await?;
            db::migrate(&db).await?;
            let (actor, token) = users::add_user(
                &db,
                NewUser {
                    email,
                    name,
                    region,
                    role,
                    organisation,
                    language,
                },
                chrono::Utc::now(),
            )
            .await?;
            if let Some(password) = &password {
                accounts::set_password(&db, actor.user_id, password).await?;
                eprintln!("password set: {} can log in at /login", actor.email);
            }
            let roles: Vec<String> = actor
                .regions
                .iter()
                .map(|(r, roles)| {
                    format!(
                        "{r}: {}",
                        roles
                            .iter()
                            .map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect();
            eprintln!(
                "user {} <{}> — {}",
                actor.name,
                actor.email,
                roles.join("; ")
            );
            println!("{token}");
            Ok(())
        }
        Command::Users {
            command: UsersCommand::Revoke { email },
        } => {
            let db = db::connect(config.database_url.as_deref(), &config.data_dir).await?;
            db::migrate(&db).await?;
            let revoked = users::revoke_tokens(&db, &email, chrono::Utc::now()).await?;
            println!("revoked {revoked} token(s) of {email}");
            Ok(())
        }
        Command::Reform {
            command: ReformCommand::Plan { on, json },
        } => {
            let (engine, _) = start_engine(&config).await?;
            let plan = engine.reform_plan(ReformScope::Everything, on).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&plan)
                        .map_err(|e| CliError::Usage(e.to_string()))?
                );
            } else {
                print!("{}", reform_text::plan(&plan));
            }
            Ok(())
        }
        Command::Reform {
            command: ReformCommand::Apply { on, limit },
        } => {
            let (engine, _) = start_engine(&config).await?;
            let report = engine
                .apply_reform(ReformScope::Everything, on, limit)
                .await?;
            print!("{}", reform_text::report(&report));
            Ok(())
        }
        Command::Demo => {
            let (engine, _) = start_engine(&config).await?;
            println!("{}", demo::load(&engine).await?);
            Ok(())
        }
    }
}
