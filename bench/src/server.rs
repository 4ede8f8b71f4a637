//! The real server as a child process, so its memory can be read from `/proc` exactly as an
//! operator would see it: the `overdrag serve` binary, on the database and directories given,
//! on a free loopback port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `overdrag serve`; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub base: String,
}

/// What `/proc/<pid>/status` says about memory, in kB.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// Resident now.
    pub rss_kb: u64,
    /// The most it was ever resident (the high-water mark).
    pub peak_kb: u64,
}

impl Memory {
    pub fn rss_mb(self) -> f64 {
        self.rss_kb as f64 / 1024.0
    }

    pub fn peak_mb(self) -> f64 {
        self.peak_kb as f64 / 1024.0
    }
}

/// Where the server is started from and with what.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub database: &'a str,
    pub data_dir: &'a Path,
    pub workflows: &'a Path,
    pub mail_templates: &'a Path,
}

/// The `overdrag` binary built beside this one (`target/release/overdrag`).
pub fn sibling_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("overdrag")))
        .unwrap_or_else(|| PathBuf::from("overdrag"))
}

impl ServerProcess {
    /// Starts the server and waits until `/readyz` answers 200.
    ///
    /// # Errors
    /// When the binary cannot be started or the server is not ready within a minute.
    pub async fn start(launch: &Launch<'_>) -> Result<Self, String> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free loopback port: {e}"))?;
        std::fs::create_dir_all(launch.data_dir)
            .map_err(|e| format!("{}: {e}", launch.data_dir.display()))?;
        let log_path = launch.data_dir.join("server.log");
        let log =
            std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(launch.binary)
            .arg("serve")
            .env("DATABASE_URL", launch.database)
            .env("OVERDRAG_ADDR", addr.to_string())
            .env("OVERDRAG_DATA_DIR", launch.data_dir)
            .env("OVERDRAG_WORKFLOWS_DIR", launch.workflows)
            .env("OVERDRAG_MAIL_TEMPLATES_DIR", launch.mail_templates)
            .env_remove("SMTP_URL")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", launch.binary.display()))?;
        let mut server = Self {
            child,
            base: format!("http://{addr}"),
        };
        server.wait_ready(&log_path).await?;
        Ok(server)
    }

    async fn wait_ready(&mut self, log: &Path) -> Result<(), String> {
        let started = Instant::now();
        let url = format!("{}/readyz", self.base);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the server stopped at start ({status}); see {}",
                    log.display()
                ));
            }
            if crate::scale::get(&url, &[])
                .await
                .is_ok_and(|(status, _)| status == 200)
            {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "the server was not ready within a minute; see {}",
                    log.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's memory now.
    ///
    /// # Errors
    /// When `/proc` cannot be read (not Linux, or the server is gone).
    pub fn memory(&self) -> Result<Memory, String> {
        memory_of(self.pid())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads VmRSS and VmHWM of a process.
///
/// # Errors
/// When `/proc/<pid>/status` cannot be read or lacks the lines.
pub fn memory_of(pid: u32) -> Result<Memory, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read the memory of process {pid}: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .ok_or_else(|| format!("/proc/{pid}/status has no {name}"))
    };
    Ok(Memory {
        rss_kb: field("VmRSS:")?,
        peak_kb: field("VmHWM:")?,
    })
}
