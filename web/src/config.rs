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
