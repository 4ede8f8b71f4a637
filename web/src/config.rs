//! Configuration, read once at start from environment variables, each with a default that
//! works on a laptop.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    /// `OVERDRAG_ADDR`: where `serve` listens. Default 127.0.0.1:8080.
    pub addr: String,
    /// `DATABASE_URL`: `postgres://…` or `sqlite://…`. Unset: a SQLite file under the data
    /// directory, created on first start.
    pub database_url: Option<String>,
    /// `OVERDRAG_DATA_DIR`: the SQLite file, mail files and documents. Default `data`.
    pub data_dir: PathBuf,
    /// `OVERDRAG_WORKFLOWS_DIR`: the workflow definitions. Default `workflows`.
    pub workflows_dir: PathBuf,
    /// `OVERDRAG_MAIL_TEMPLATES_DIR`: the mail templates. Default `mail-templates`.
    pub mail_templates_dir: PathBuf,
    /// `SMTP_URL`: the mail server, e.g. `smtp://user:password@host:587?tls=required`. Unset:
    /// mails are written as `.eml` files under `data/mail/`.
    pub smtp_url: Option<Secret>,
    /// `OVERDRAG_PUBLIC_URL`: the address users reach Overdrag at, for links in mails.
    /// Default `http://` + `OVERDRAG_ADDR`.
    pub public_url: String,
    /// `OVERDRAG_MAIL_FROM`: the sender of every mail. Default `Overdrag <noreply@overdrag.invalid>`.
    pub mail_from: String,
    /// `OVERDRAG_REMINDER_DAYS`: working days before a deadline when reminders go out. Default 3.
    pub reminder_days: u32,
    /// `OVERDRAG_MAIL_LEASE_SECONDS`: how long the mail worker holds the rows it claimed. Mail
    /// claimed by a server that crashed goes out this long after. Default 600; keep it far
    /// above the time a round of 50 mails takes, or a slow round's mails go out twice.
    pub mail_lease: std::time::Duration,
    /// `OVERDRAG_IDEMPOTENCY_LEASE_SECONDS`: how long a request with an `Idempotency-Key`
    /// holds its key without an answer. A retry after that answers from what a crashed server
    /// committed, or runs the request if it committed nothing. Default 60; keep it far above
    /// the time a request takes, or a slow request is refused in favour of its retry.
    pub idempotency_lease: std::time::Duration,
    /// `OVERDRAG_TODAY`: run as if today were this Danish date (e.g. `2027-01-04`), the time of
    /// day as it is; for a demonstration or a rehearsal on a copy, never for production.
    pub today: Option<String>,
    /// `OVERDRAG_METRICS_TOKEN`: the bearer token `/metrics` answers. Unset: no `/metrics`.
    pub metrics_token: Option<Secret>,
}

/// A value that must never be printed, e.g. a URL with a password.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value read from the environment.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Config {
    pub fn from_env() -> Self {
        Self {
            addr: var("OVERDRAG_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url: var("DATABASE_URL"),
            data_dir: var("OVERDRAG_DATA_DIR").map_or_else(|| "data".into(), PathBuf::from),
            workflows_dir: var("OVERDRAG_WORKFLOWS_DIR")
                .map_or_else(|| "workflows".into(), PathBuf::from),
            mail_templates_dir: var("OVERDRAG_MAIL_TEMPLATES_DIR")
                .map_or_else(|| "mail-templates".into(), PathBuf::from),
            smtp_url: var("SMTP_URL").map(Secret),
            public_url: var("OVERDRAG_PUBLIC_URL").unwrap_or_else(|| {
                format!(
                    "http://{}",
                    var("OVERDRAG_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into())
                )
            }),
            reminder_days: var("OVERDRAG_REMINDER_DAYS")
                .and_then(|d| d.parse().ok())
                .unwrap_or(3),
            mail_lease: std::time::Duration::from_secs(
                var("OVERDRAG_MAIL_LEASE_SECONDS")
                    .and_then(|s| s.parse().ok())
                    .filter(|s| *s > 0)
                    .unwrap_or(600),
            ),
            today: var("OVERDRAG_TODAY"),
            metrics_token: var("OVERDRAG_METRICS_TOKEN").map(Secret),
            idempotency_lease: std::time::Duration::from_secs(
                var("OVERDRAG_IDEMPOTENCY_LEASE_SECONDS")
                    .and_then(|s| s.parse().ok())
                    .filter(|s| *s > 0)
                    .unwrap_or(60),
            ),
            mail_from: var("OVERDRAG_MAIL_FROM")
                .unwrap_or_else(|| "Overdrag <noreply@overdrag.invalid>".into()),
        }
    }

    /// # Errors
    /// When `OVERDRAG_ADDR` is not a socket address.
    pub fn socket_addr(&self) -> Result<SocketAddr, String> {
        self.addr.parse().map_err(|_| {
            format!(
                "OVERDRAG_ADDR `{}` is not an address such as 127.0.0.1:8080",
                self.addr
            )
        })
    }
}
