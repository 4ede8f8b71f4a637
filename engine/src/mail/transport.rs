//! Where mails go: an SMTP server (`SMTP_URL`), `.eml` files when no server is configured, or
//! memory in tests. The worker does not care which.

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Why a mail was not delivered: worth retrying, or not.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The server or the network failed for now; the mail waits and is tried again.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The server refused the mail for good (a 5xx answer, a bad address).
    #[error("refused: {0}")]
    Permanent(String),
}

/// A mail kept by the in-memory transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMail {
    pub to: String,
    pub raw: String,
}

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
    Memory(Arc<Mutex<Vec<SentMail>>>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
            Transport::Files(dir) => write!(f, "Transport::Files({})", dir.display()),
            Transport::Memory(_) => f.write_str("Transport::Memory"),
        }
    }
}

impl Transport {
    /// SMTP when `smtp_url` is given (`smtp://host:25` plain, `smtp://…?tls=required` for
    /// STARTTLS, `smtps://user:password@host` for TLS), otherwise `.eml` files in `mail_dir`.
    ///
    /// # Errors
    /// When the URL cannot be read.
    pub fn configure(smtp_url: Option<&str>, mail_dir: PathBuf) -> Result<Self, String> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Transport::Smtp(b.build()))
                .map_err(|e| format!("SMTP_URL cannot be used: {e}; write it as smtp://host:25, smtp://user:password@host:587?tls=required or smtps://user:password@host")),
            None => Ok(Transport::Files(mail_dir)),
        }
    }

    /// Sends one message and returns the server's reply.
    ///
    /// # Errors
    /// [`SendError`] saying whether to retry.
    pub async fn send(&self, message: &Message, file_stem: &str) -> Result<String, SendError> {
        match self {
            Transport::Smtp(smtp) => match smtp.send(message.clone()).await {
                Ok(response) => Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
                Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                Err(e) => Err(SendError::Transient(e.to_string())),
            },
            Transport::Files(dir) => {
                let write = || -> std::io::Result<PathBuf> {
                    std::fs::create_dir_all(dir)?;
                    let path = dir.join(format!("{file_stem}.eml"));
                    let temporary = dir.join(format!(".{file_stem}.eml.tmp"));
                    std::fs::write(&temporary, message.formatted())?;
                    std::fs::rename(&temporary, &path)?;
                    Ok(path)
                };
                write()
                    .map(|p| format!("written to {}", p.display()))
                    .map_err(|e| SendError::Transient(format!("cannot write the mail file: {e}")))
            }
            Transport::Memory(sent) => {
                let to = message
                    .envelope()
                    .to()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
                sent.lock()
                    .map_err(|_| SendError::Transient("the test mailbox is poisoned".into()))?
                    .push(SentMail { to, raw });
                Ok("250 kept in memory".into())
            }
        }
    }
}
