//! A small SMTP server for tests: it speaks enough of the protocol for a real client, keeps
//! what it receives, and answers 550 for the addresses it is told to refuse.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One mail as the server received it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Debug)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

fn address(line: &str) -> String {
    line.split_once(':')
        .map(|(_, a)| {
            a.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
        .unwrap_or_default()
}

async fn serve(
    stream: TcpStream,
    refuse: Arc<Vec<String>>,
    received: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut mail = Received::default();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("RSET") {
            mail = Received::default();
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM") {
            mail = Received {
                from: address(&line),
                ..Received::default()
            };
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO") {
            let to = address(&line);
            if refuse.contains(&to) {
                b"550 5.1.1 mailbox unavailable\r\n"
            } else {
                mail.to.push(to);
                b"250 OK\r\n"
            }
        } else if upper.starts_with("DATA") {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            while let Some(data) = lines.next_line().await? {
                if data == "." {
                    break;
                }
                mail.data.push_str(data.strip_prefix('.').unwrap_or(&data));
                mail.data.push('\n');
            }
            if let Ok(mut all) = received.lock() {
                all.push(std::mem::take(&mut mail));
            }
            b"250 2.0.0 queued\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

impl SmtpSink {
    /// Starts a sink on `addr` (port 0 for any), refusing the addresses in `refuse`.
    pub async fn start(addr: &str, refuse: &[&str]) -> Self {
        let listener = TcpListener::bind(addr).await.expect("the sink binds");
        let addr = listener.local_addr().expect("the sink has an address");
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let refuse = Arc::new(refuse.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        let kept = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, refuse.clone(), kept.clone()));
            }
        });
        Self {
            addr,
            received,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Stops listening; the port is free again.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
